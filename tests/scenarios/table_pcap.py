#!/usr/bin/python3
"""Crafted captures for the flow table's end-to-end test (stdlib only).

  table_pcap.py gen OUTDIR
      writes, for each scenario NAME below, OUTDIR/NAME.pcap (classic pcap,
      Ethernet, microseconds), OUTDIR/NAME.args (the probe options it needs,
      one per line) and OUTDIR/NAME.expect.json (every flow record and
      counter it must produce, known by construction).
  table_pcap.py check EXPECT.json FLOWS.jsonl STATS.jsonl
      compares a run with its expectation: every counter listed, and the flow
      records one for one (by client, server and first_ts: outcome,
      end_reason, last_ts, handshake and per-direction counts). Records that
      end before the probe exits (evicted, timed out, lingered out) must come
      first in the file and in exactly the expected order; the ones written
      at exit follow, in any order.

Scenarios (one worker, so --flow-capacity is the whole table; the half-open
budget is max(1, capacity / 4); see the policy in tcpparse/flow_table.c):

  flood   capacity 64 (budget 16). 40 handshakes with data each way stay
          open; then 2000 spoofed SYNs from distinct random sources to the
          same server port, 10 us apart, never answered; then each of the 40
          sends more data and closes with FIN both ways. Every SYN past the
          budget evicts the oldest half-open flow: flood SYN k ends when SYN
          k + 16 arrives (1984 evictions, in SYN order), the last 16 are
          written at exit; the 40 are one `completed` record each.
  flood_answered
          the same, but the server answers every spoofed SYN with a SYN-ACK:
          the handshake is not over until the client ACKs, so those flows
          stay half-open and in the budget (1984 evicted as `established`,
          since a SYN-ACK was seen); the 40 are one `completed` record each.
  full    capacity 32 (budget 8). 32 established flows, then data on each in
          the order 17, 5, 0, 1, 2, ... (so 17, 5, 0 are the least recently
          seen); 10 new SYNs: nothing may be evicted for a SYN when every
          entry is open, so 10 table_full_drops and no flow; then two new
          midstream flows and a data segment of flow 17 (a new midstream
          flow now): they evict 17, 5 and 0, in that order.
  order   capacity 16 (budget 4). 9 open flows (touched in the order
          6, 2, 8, 0, 1, 3, 4, 5, 7), then 6 closed ones (FIN both ways,
          last ACKs in the order 3, 0, 5, 1, 4, 2), then one unanswered SYN:
          full, and every open flow older than every closed one. Then new
          flows N0..N8 (N6 a SYN, the others midstream): N0 evicts the
          half-open SYN, N1..N5 the closed flows oldest first (3, 0, 5, 1, 4;
          they keep end_reason fin), N6 (a SYN) the last closed one (2), N7
          evicts N6 (half-open goes first), N8 the least recently seen open
          flow (6). 9 evictions, 3 records with end_reason evicted.
  aging   --idle-timeout 5 --syn-timeout 3 (and the test's --close-linger 2), packet time only. At t=0 s:
          E1, S1 established, S2 and H1 a SYN, H2 a SYN (again at 1 s and
          2.5 s, same ISN), X1 and X2 closed (FIN both ways). X2 gets an ACK
          at 1.5 s (within the 2 s linger: same record). S2's SYN-ACK comes
          at 2 s (< syn-timeout: one record). S1 sends data at 4 s (< idle
          timeout: one record). Then a 60 s gap: at 64 s E1 sends data, H1
          sends its SYN again (same ISN) and completes a handshake, X1 sends
          an ACK; each of these is a new flow, the old ones having ended
          (E1, S1, S2 idle; H1, H2 syn_timeout; X1, X2 fin).

All addresses are in 198.18.0.0/15.
"""
import json
import os
import random
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from craft import eth, ipv4, tcp, write_pcap  # noqa: E402

SYN, ACK, PSH, RST, FIN = 0x02, 0x10, 0x08, 0x04, 0x01
T0_US = 1700000000 * 1000000
SEC = 1000000  # microseconds


class Capture:
    """Frames with their packet time (us); time only goes forward."""

    def __init__(self, t0_us=T0_US):
        self.t = t0_us
        self.recs = []

    def emit(self, frame, dt):
        self.t += dt
        self.recs.append((self.t, frame))

    def at(self, t_us):
        if t_us < self.t:
            raise ValueError("time goes back")
        self.t = t_us

    def write(self, path):
        write_pcap(path, [(t // SEC, t % SEC, len(f), f) for t, f in self.recs])


class Conn:
    """One 4-tuple; side 0 is the client (it sends the SYN, and has the
    higher port, so it is also the client of a midstream flow). Keeps the
    counts of the flow record the probe should write for its current
    incarnation; record() closes it with the outcome and end reason
    expected and starts counting the next one (a new flow, same tuple)."""

    def __init__(self, scen, cip, cport, sip, sport, cisn=1000, sisn=500000):
        assert cport > sport
        self.scen = scen
        self.ep = [(cip, cport), (sip, sport)]
        self.nxt = [cisn, sisn]
        self.isn = [cisn, sisn]
        self._reset()

    def _reset(self):
        self.first = self.last = None
        self.pk = [0, 0]
        self.bytes = [0, 0]
        self.fin = [0, 0]
        self.syn = self.synack = 0

    def send(self, side, flags, n=0, dt=10, seq=None, tracked=True):
        (src, sp), (dst, dp) = self.ep[side], self.ep[1 - side]
        s = self.nxt[side] if seq is None else seq
        ack = self.nxt[1 - side] if flags & ACK else 0
        frame = eth(ipv4(src, dst, 6, tcp(src, dst, sp, dp, s, ack, flags,
                                           payload=b"d" * n, win=64000)))
        self.scen.cap.emit(frame, dt)
        if seq is None:
            adv = n + (1 if flags & (SYN | FIN) else 0)
            self.nxt[side] = (s + adv) & 0xFFFFFFFF
        if not tracked:
            return
        t = self.scen.cap.t
        if self.first is None:
            self.first = t
        self.last = t
        self.pk[side] += 1
        self.bytes[side] += n
        if flags & FIN:
            self.fin[side] += 1
        if flags & SYN:
            if flags & ACK:
                self.synack += 1
            else:
                self.syn += 1

    def c(self, flags, n=0, dt=10, **kw):
        self.send(0, flags, n, dt, **kw)

    def s(self, flags, n=0, dt=10, **kw):
        self.send(1, flags, n, dt, **kw)

    def handshake(self, data=True):
        self.c(SYN)
        self.s(SYN | ACK, dt=100)
        self.c(ACK, dt=100)
        if data:
            self.c(ACK | PSH, 100)
            self.s(ACK | PSH, 200)

    def close(self):
        """FIN from the client, FIN from the server, the client's last ACK."""
        self.c(FIN | ACK)
        self.s(FIN | ACK)
        self.c(ACK)

    def record(self, outcome, end_reason, ordered, **extra):
        assert self.first is not None
        (cip, cport), (sip, sport) = self.ep
        rec = {"client": [cip, cport], "server": [sip, sport],
               "first_us": self.first, "last_us": self.last,
               "outcome": outcome, "end_reason": end_reason,
               "syn": self.syn, "synack": self.synack,
               "c2s": [self.pk[0], self.bytes[0], self.fin[0]],
               "s2c": [self.pk[1], self.bytes[1], self.fin[1]],
               "extra": extra}
        (self.scen.ordered if ordered else self.scen.at_exit).append(rec)
        self._reset()


class Scenario:
    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.cap = Capture()
        self.ordered = []  # records written before exit, in this order
        self.at_exit = []  # records written at exit, any order
        self.counters = {}

    def write(self, outdir):
        self.cap.write(os.path.join(outdir, self.name + ".pcap"))
        with open(os.path.join(outdir, self.name + ".args"), "w") as f:
            f.write("\n".join(self.args) + "\n")
        n = len(self.cap.recs)
        recs = self.ordered + self.at_exit
        c = dict(self.counters)
        # Derived from the crafted records themselves (cross-checks the hand counts).
        assert c["flows.created"] == len(recs), (self.name, c["flows.created"], len(recs))
        assert c["tcp.syn"] >= sum(r["syn"] for r in recs)
        c.update({"flows.ended": len(recs), "flows.active": 0, "flows.export_drops": 0,
                  "ports.0.ipackets": n, "parse.packets": n, "parse.tcp": n,
                  "tcp.rst": 0, "tcp.retrans": 0, "tcp.zero_window": 0,
                  "tcp.refused": 0, "tcp.reset": 0})
        for oc in ("syn_timeout", "completed"):
            c.setdefault("tcp." + oc, sum(r["outcome"] == oc for r in recs))
        exp = {"name": self.name, "packets": n, "counters": c,
               "ordered": self.ordered, "at_exit": self.at_exit}
        with open(os.path.join(outdir, self.name + ".expect.json"), "w") as f:
            json.dump(exp, f, indent=0)


def ip(net, i):
    """net 'a.b' + index -> 'a.b.x.y'."""
    return "%s.%d.%d" % (net, (i >> 8) & 0xFF, i & 0xFF)


def flood_scenario(name, server, est_base, est_port, est_isn, seed, answered):
    """40 established flows, then 2000 spoofed SYNs into a 64-flow table
    (budget 16), answered by the server with a SYN-ACK or not, then the 40
    send data and close. Whether answered or not, the flood flows stay
    half-open (the spoofed client never ACKs) and evict only each other."""
    cap_, n_est, n_flood = 64, 40, 2000
    budget = cap_ // 4
    sc = Scenario(name, ["--flow-capacity", str(cap_)])
    est = [Conn(sc, ip("198.18", est_base + i + 1), est_port + i, *server, cisn=est_isn + i)
           for i in range(n_est)]
    for c in est:
        c.handshake()
    rnd = random.Random(seed)
    seen = set()
    flood = []
    while len(flood) < n_flood:
        src = (ip("198.19", rnd.randrange(1, 65535)), rnd.randrange(1024, 65536))
        if src in seen:
            continue
        seen.add(src)
        flood.append(Conn(sc, src[0], src[1], *server, cisn=rnd.getrandbits(32)))
    for c in flood:
        c.c(SYN, dt=10)
        if answered:
            c.s(SYN | ACK, dt=5)
    for c in est:
        c.c(ACK | PSH, 50, dt=100)
        c.close()
    # SYN k is evicted by SYN k + budget; the last `budget` are still there at exit.
    # With a SYN-ACK seen, the contract calls the handshake done (established).
    outcome = "established" if answered else "syn_timeout"
    for k, c in enumerate(flood):
        if k < n_flood - budget:
            c.record(outcome, "evicted", True)
    for c in flood[n_flood - budget:]:
        c.record(outcome, "exit", False)
    for c in est:
        c.record("completed", "fin", False)  # lingering at exit: keeps fin
    sc.counters = {"flows.created": n_est + n_flood, "flows.evicted": n_flood - budget,
                   "flows.table_full_drops": 0, "tcp.syn": n_est + n_flood,
                   "tcp.synack": n_est + (n_flood if answered else 0),
                   "tcp.syn_timeout": 0 if answered else n_flood, "tcp.completed": n_est}
    return sc


def scen_flood():
    return flood_scenario("flood", ("198.18.0.1", 80), 0x100, 40000, 1000, 20221122,
                          answered=False)


def scen_flood_answered():
    """The flood again, but the server answers every spoofed SYN with a
    SYN-ACK (as a real server on a mirror port does)."""
    return flood_scenario("flood_answered", ("198.18.0.2", 443), 0x200, 41000, 3000,
                          20261121, answered=True)


def scen_full():
    cap_, n_syn = 32, 10
    sc = Scenario("full", ["--flow-capacity", str(cap_)])
    server = ("198.18.0.2", 443)
    est = [Conn(sc, ip("198.18", 0x200 + i + 1), 41000 + i, *server) for i in range(cap_)]
    for c in est:
        c.handshake()
    order = [17, 5] + [i for i in range(cap_) if i not in (17, 5)]
    for i in order:
        est[i].c(ACK | PSH, 10)
    # Every entry open: a SYN finds nothing to evict and is not tracked.
    for j in range(n_syn):
        Conn(sc, ip("198.18", 0x300 + j + 1), 42000 + j, *server).c(SYN, tracked=False)
    mid = [Conn(sc, ip("198.18", 0x400 + k + 1), 43000 + k, *server) for k in range(2)]
    mid[0].c(ACK | PSH, 20)  # evicts 17
    est[17].record("established", "evicted", True)
    mid[1].c(ACK | PSH, 20)  # evicts 5
    est[5].record("established", "evicted", True)
    est[17].c(ACK | PSH, 30)  # 17's tuple again: a new midstream flow, evicts 0
    est[0].record("established", "evicted", True)
    for i in order[3:]:
        est[i].record("established", "exit", False)
    for c in mid + [est[17]]:
        c.record("midstream", "exit", False)
    sc.counters = {"flows.created": cap_ + 3, "flows.evicted": 3,
                   "flows.table_full_drops": n_syn, "tcp.syn": cap_, "tcp.synack": cap_,
                   "tcp.syn_timeout": 0, "tcp.completed": 0}
    return sc


def scen_order():
    cap_ = 16
    sc = Scenario("order", ["--flow-capacity", str(cap_)])
    server = ("198.18.0.4", 22)
    op = [Conn(sc, ip("198.18", 0x500 + i + 1), 44000 + i, *server) for i in range(9)]
    cl = [Conn(sc, ip("198.18", 0x600 + i + 1), 44100 + i, *server) for i in range(6)]
    half = Conn(sc, "198.18.7.1", 44200, *server)
    new = [Conn(sc, ip("198.18", 0x800 + k + 1), 45000 + k, *server) for k in range(9)]
    open_order = [6, 2, 8, 0, 1, 3, 4, 5, 7]
    closed_order = [3, 0, 5, 1, 4, 2]
    for c in op:
        c.handshake()
    for i in open_order:
        op[i].c(ACK | PSH, 10)
    for c in cl:
        c.handshake()
        c.c(FIN | ACK)
        c.s(FIN | ACK)
    for i in closed_order:
        cl[i].c(ACK)
    half.c(SYN)  # 16 entries: 9 open, 6 closed, 1 half-open
    new[0].c(ACK | PSH, 5)
    half.record("syn_timeout", "evicted", True)
    for k, i in enumerate(closed_order[:5], start=1):
        new[k].c(ACK | PSH, 5)
        cl[i].record("completed", "fin", True)
    new[6].c(SYN)  # a SYN may evict a closed flow
    cl[closed_order[5]].record("completed", "fin", True)
    new[7].c(ACK | PSH, 5)  # half-open first, even this young
    new[6].record("syn_timeout", "evicted", True)
    new[8].c(ACK | PSH, 5)  # then the least recently seen open flow
    op[open_order[0]].record("established", "evicted", True)
    for i in open_order[1:]:
        op[i].record("established", "exit", False)
    for k in (0, 1, 2, 3, 4, 5, 7, 8):
        new[k].record("midstream", "exit", False)
    sc.counters = {"flows.created": 9 + 6 + 1 + 9, "flows.evicted": 9,
                   "flows.table_full_drops": 0, "tcp.syn": 9 + 6 + 1 + 1,
                   "tcp.synack": 15, "tcp.syn_timeout": 2, "tcp.completed": 6}
    return sc


def scen_aging():
    sc = Scenario("aging", ["--flow-capacity", "1024", "--idle-timeout", "5",
                            "--syn-timeout", "3"])
    server = ("198.18.0.3", 80)
    e1, s1, s2, h1, h2, x1, x2 = (Conn(sc, "198.18.9.%d" % (i + 1), 46000 + i, *server)
                                  for i in range(7))
    cap = sc.cap
    e1.handshake()
    s1.handshake()
    s2.c(SYN)
    h1.c(SYN)
    h2.c(SYN)
    x1.handshake()
    x1.close()
    x2.handshake(data=False)
    x2.close()
    cap.at(T0_US + 1 * SEC)
    h2.c(SYN, seq=h2.isn[0], dt=0)  # retransmission: same ISN, same flow
    cap.at(T0_US + 1500000)
    x2.c(ACK, dt=0)  # within X2's linger: counted in the closed flow
    cap.at(T0_US + 2 * SEC)
    # X1 lingered out at the first packet >= 2 s after its last one: this one.
    x1.record("completed", "fin", True)
    s2_syn = s2.first
    s2.s(SYN | ACK, dt=0)  # 2 s after the SYN, syn-timeout 3: same flow
    s2.c(ACK, dt=100)
    cap.at(T0_US + 2500000)
    h2.c(SYN, seq=h2.isn[0], dt=0)
    cap.at(T0_US + 4 * SEC)
    # At 4 s: H1 (SYN at ~0) is 3 s past due, X2 (last packet 1.5 s) lingered out;
    # H2's last SYN was 1.5 s ago, S1 is 4 s idle: both stay.
    h1.record("syn_timeout", "syn_timeout", True)
    x2.record("completed", "fin", True)
    s1.c(ACK | PSH, 10, dt=0)
    # 60 s gap in packet time.
    cap.at(T0_US + 64 * SEC)
    # Ended by the first packet after the gap: half-open list, then open (LRU).
    h2.record("syn_timeout", "syn_timeout", True)
    e1.record("established", "idle", True)
    s2.record("established", "idle", True,
              **{"handshake.syn_to_synack_us": float(s2.last - 100 - s2_syn)})
    s1.record("established", "idle", True)
    h1.c(SYN, seq=h1.isn[0], dt=0)  # same ISN, but the old flow is gone: new flow
    h1.s(SYN | ACK, dt=100)
    h1.c(ACK, dt=100)
    e1.c(ACK | PSH, 10, dt=100)
    x1.c(ACK, dt=100)
    h1.record("established", "exit", False)
    e1.record("midstream", "exit", False)
    x1.record("midstream", "exit", False)
    sc.counters = {"flows.created": 10, "flows.evicted": 0, "flows.table_full_drops": 0,
                   "tcp.syn": 10, "tcp.synack": 6, "tcp.syn_timeout": 2,
                   "tcp.completed": 2}
    return sc


SCENARIOS = [scen_flood, scen_flood_answered, scen_full, scen_order, scen_aging]


# ---------------------------------------------------------------- check

def load(path, typ):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line, parse_float=Decimal)
                if obj.get("type") == typ:
                    out.append(obj)
    return out


def dotted(obj, path):
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def us(x):
    return int(Decimal(x) * 1000000)


def got_record(r):
    return {"client": [r["client"]["ip"], r["client"]["port"]],
            "server": [r["server"]["ip"], r["server"]["port"]],
            "first_us": us(r["first_ts"]), "last_us": us(r["last_ts"]),
            "outcome": r["outcome"], "end_reason": r["end_reason"],
            "syn": r["handshake"]["syn"], "synack": r["handshake"]["synack"],
            "c2s": [r["c2s"]["packets"], r["c2s"]["payload_bytes"], r["c2s"]["fin"]],
            "s2c": [r["s2c"]["packets"], r["s2c"]["payload_bytes"], r["s2c"]["fin"]],
            "raw": r}


FIELDS = ("last_us", "outcome", "end_reason", "syn", "synack", "c2s", "s2c")


def key(r):
    return (tuple(r["client"]), tuple(r["server"]), r["first_us"])


def compare(exp, got, errs, where):
    for f in FIELDS:
        if exp[f] != got[f]:
            errs.append("%s %s: %s is %s, expected %s" % (where, key(exp), f, got[f], exp[f]))
    for path, want in exp["extra"].items():
        have = dotted(got["raw"], path)
        have = float(have) if isinstance(have, Decimal) else have
        if have != want:
            errs.append("%s %s: %s is %s, expected %s" % (where, key(exp), path, have, want))


def check(exp_path, flows_path, stats_path):
    with open(exp_path) as f:
        exp = json.load(f)
    name = exp["name"]
    errs = []
    snap = load(stats_path, "stats")
    if not snap or not snap[-1].get("final"):
        sys.exit("%s: no final snapshot" % name)
    final = snap[-1]
    for path, want in sorted(exp["counters"].items()):
        have = dotted(final, path)
        if have != want:
            errs.append("counter %s is %s, expected %s" % (path, have, want))
    # Snapshots taken once every packet was tracked but before the exit flush
    # (the probe waits >= 150 ms of quiet input before it stops): the table
    # then holds exactly the flows written at exit. There must be some.
    before = {"flows.created": exp["counters"]["flows.created"],
              "flows.ended": len(exp["ordered"]), "flows.active": len(exp["at_exit"]),
              "flows.evicted": exp["counters"]["flows.evicted"],
              "flows.table_full_drops": exp["counters"]["flows.table_full_drops"]}
    settled = [s for s in snap[:-1] if dotted(s, "parse.packets") == exp["packets"]]
    if not settled:
        errs.append("no snapshot between the end of the capture and exit (%d snapshots)"
                    % len(snap))
    for s in settled:
        for path, want in sorted(before.items()):
            have = dotted(s, path)
            if have != want:
                errs.append("snapshot at %s, before exit: %s is %s, expected %s"
                            % (s["ts"], path, have, want))
    got = [got_record(r) for r in load(flows_path, "flow")]
    n_exp = len(exp["ordered"]) + len(exp["at_exit"])
    if len(got) != n_exp:
        errs.append("%d flow records, expected %d" % (len(got), n_exp))
    keys = [key(g) for g in got]
    if len(set(keys)) != len(keys):
        errs.append("duplicate records (same tuple and first_ts)")
    # Records ended before exit: first in the file, in order.
    ordered = exp["ordered"]
    for i, e in enumerate(ordered):
        if i >= len(got):
            break
        if key(got[i]) != key(e):
            errs.append("record #%d is %s %s/%s, expected %s %s/%s" % (
                i, key(got[i]), got[i]["outcome"], got[i]["end_reason"],
                key(e), e["outcome"], e["end_reason"]))
            continue
        compare(e, got[i], errs, "record #%d" % i)
    rest = {key(g): g for g in got[len(ordered):]}
    for e in exp["at_exit"]:
        g = rest.pop(key(e), None)
        if g is None:
            errs.append("missing record written at exit: %s" % (key(e),))
            continue
        compare(e, g, errs, "exit record")
    for k, g in list(rest.items())[:5]:
        errs.append("unexpected record %s %s/%s" % (k, g["outcome"], g["end_reason"]))
    if errs:
        for e in errs[:25]:
            print("%s: FAIL: %s" % (name, e), file=sys.stderr)
        if len(errs) > 25:
            print("%s: ... and %d more" % (name, len(errs) - 25), file=sys.stderr)
        sys.exit(1)
    c = exp["counters"]
    print("%s: %d records (%d before exit, in order), created %d, evicted %d, "
          "table_full_drops %d, syn %d; %d snapshots, %d after the capture was read"
          % (name, len(got), len(ordered), c["flows.created"], c["flows.evicted"],
             c["flows.table_full_drops"], c["tcp.syn"], len(snap), len(settled)))


def main(argv):
    if len(argv) == 2 and argv[0] == "gen":
        os.makedirs(argv[1], exist_ok=True)
        for fn in SCENARIOS:
            sc = fn()
            sc.write(argv[1])
            print(sc.name)
        return 0
    if len(argv) == 4 and argv[0] == "check":
        check(*argv[1:])
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
