#!/usr/bin/env python3
"""Check dpprobe's diagnosis against a scenario's ground truth (stdlib only).

    check_diagnosis.py runs TRUTH.json
        print the dpprobe runs the scenario needs, one a line: NAME ARG...
    check_diagnosis.py check TRUTH.json RUN FLOWS.jsonl STATS.jsonl
        assert every flow's diagnosis (class, cause, evidence) and the final
        snapshot's services against the truth; exit 1 on any failure
    check_diagnosis.py mutants TRUTH.json RUN FLOWS.jsonl STATS.jsonl
        the test of the test: change one diagnosis field of one flow, or one
        count of one service, at a time and print the changes no assertion
        notices

The truth (tests/scenarios/diag_scenarios.sh) is what the applications saw and
what the kernels counted; nothing in it comes from dpprobe, and nothing here
compares dpprobe with an earlier dpprobe run. Each flow is matched to the
connection that made it by its 4-tuple (the client's port is in the truth) and
time. Then:
- every scenario: syn_retrans is the client kernel's SYN retransmissions for
  that socket (TCP_INFO total_retrans when connect() returned, before any
  data); synack_retrans is the server kernel's SYN-ACK retransmissions for the
  request (TCP_INFO total_retrans of the accepted socket: the child inherits
  the request's count); summed over flows they are the TcpExtTCPSynRetrans
  deltas of the client and server namespaces. No flow the applications did not
  make; none missing.
- per scenario, the class, the cause and the evidence the contract defines,
  from the errno and timings the applications recorded (see each rule below).
- services (CONTRACT "Services"), when the snapshot has them: per server
  ip:port the flows, class and cause counts, clients, port_reuse and
  max_ports_per_client from the truth; conservation with services_other.
"""
import collections
import ipaddress
import json
import sys

# Clock slack, microseconds: the applications read CLOCK_REALTIME around each
# call and the capture stamps packets with the same clock; a bound built from
# the applications' times is widened by this much for timer granularity.
CLOCK_TOL_US = 2000
# The capture is taken on the server's veth: a segment the server sends is
# stamped inside the server's call, but one the client sends is stamped when
# the server's receive softirq runs, which a busy machine may defer. A bound
# that rests on the time of a client segment is widened by this much.
SOFTIRQ_TOL_US = 20000
# A stall or zero-window episode begins when the window fills, a few round
# trips after the transfer starts; bounds from a sleeping reader take this
# fraction of the sleep as the lower bound.
ZW_FRACTION = 0.75
# The contract's defaults, unless the run sets them.
DEFAULTS = {"--stall-threshold": 1.0, "--idle-reset-threshold": 10.0, "--time-wait": 60.0}


class Checker:
    def __init__(self, truth, run, flows, stats):
        self.truth = truth
        self.run = run
        self.flows = flows
        self.stats = stats
        self.fails = []
        self.oks = 0
        self.scen = truth["scenario"]
        args = next(r["args"] for r in truth["probe_runs"] if r["name"] == run)
        self.opts = dict(DEFAULTS)
        for k, v in zip(args[::2], args[1::2]):
            self.opts[k] = float(v)

    # -- reporting ------------------------------------------------------------
    def ok(self, cond, what):
        if cond:
            self.oks += 1
        else:
            self.fails.append(what)
        return cond

    def eq(self, got, want, what):
        return self.ok(got == want, f"{what}: got {got!r}, truth says {want!r}")

    def between(self, got, lo, hi, what):
        if got is None:
            return self.ok(False, f"{what}: got null, truth says between {lo:.0f} and {hi:.0f}")
        return self.ok(lo <= got <= hi, f"{what}: got {got}, truth says between {lo:.0f} and {hi:.0f}")

    # -- truth ------------------------------------------------------------------
    def delta(self, side, name):
        return self.truth["nstat"][side]["delta"].get(name, 0)

    def nft(self, side, name):
        return self.truth["nft"].get(side, {}).get(name, {}).get("packets", 0)

    def peers(self, role, label=None):
        return [p for k, p in sorted(self.truth["peers"].items())
                if p["role"] == role and (label is None or p["label"] == label)]

    def match(self):
        """Pair every client connection with its flow and its server record."""
        by_tuple = collections.defaultdict(list)
        for f in self.flows:
            key = (norm(f["client"]["ip"]), f["client"]["port"],
                   norm(f["server"]["ip"]), f["server"]["port"])
            by_tuple[key].append(f)
        conns = []
        for p in self.peers("client"):
            for c in p["conns"]:
                c = dict(c, label=p["label"])
                c["key"] = (norm(c["local"][0]), c["local"][1], norm(c["peer"][0]), c["peer"][1])
                conns.append(c)
        # the same 4-tuple used again (port reuse): in order of time
        for key, fl in by_tuple.items():
            fl.sort(key=lambda f: f["first_ts"])
        cl = collections.defaultdict(list)
        for c in conns:
            if c["local"][1]:
                cl[c["key"]].append(c)
        for key, cs in cl.items():
            cs.sort(key=lambda c: c["connect"]["t0"])
            fl = by_tuple.get(key, [])
            self.eq(len(fl), len(cs), f"flows on {fmt(key)} (connections the client made)")
            for c, f in zip(cs, fl):
                c["flow"] = f
        for key, fl in by_tuple.items():
            if key not in cl:
                self.ok(False, f"{len(fl)} flow(s) on {fmt(key)} that no application made")
        for c in conns:
            if not c["local"][1]:
                c["flow"] = None   # connect() failed before a packet (EADDRNOTAVAIL)
        # a server's accepted connection: the latest connect on its 4-tuple before the accept
        for p in self.peers("server"):
            for s in p["conns"]:
                key = (norm(s["peer"][0]), s["peer"][1], norm(s["local"][0]), s["local"][1])
                cands = [c for c in cl.get(key, []) if c["connect"]["t0"] <= s["accept"]["t"]]
                if cands:
                    max(cands, key=lambda c: c["connect"]["t0"])["server"] = dict(s, label=p["label"])
        self.conns = conns
        return conns

    # -- per-flow assertions ----------------------------------------------------
    def diag(self, c):
        f = c.get("flow")
        if f is None:
            return None
        d = f.get("diagnosis")
        if d is None and not c.get("said_no_diag"):
            c["said_no_diag"] = True
            self.ok(False, f"{name(c)}: the flow record has no diagnosis")
        return d

    def expect(self, c, cls, cause, why):
        d = self.diag(c)
        if d is None:
            return None
        self.eq(d.get("class"), cls, f"{name(c)}: class ({why})")
        self.eq(d.get("cause"), cause, f"{name(c)}: cause ({why})")
        return d

    def universal(self, expected):
        """What every scenario's truth says about every flow: SYN and SYN-ACK
        retransmissions per socket and per namespace; idle_before_rst_us only
        on reset flows; port_reuse_gap_us from the 4-tuples the client used;
        no zero window from a side whose kernel never advertised one; a stall
        only where payload went, and never longer than the connection."""
        syn = synack = 0
        zw_side = {"c2s": self.delta("client", "TcpExtTCPToZeroWindowAdv"),
                   "s2c": self.delta("server", "TcpExtTCPToZeroWindowAdv")}
        if not hasattr(self, "gaps"):
            self.gaps = reuse_gaps(self, self.conns)
            check_gaps(self, self.conns)
        for c in self.conns:
            d = self.diag(c)
            if d is None:
                continue
            cls = expected[id(c)][0]
            if cls != "reset":
                # CONTRACT: "for a flow whose handshake completed ...; else null"
                self.eq(d.get("idle_before_rst_us"), None,
                        f"{name(c)}: idle_before_rst_us (not a reset: {cls})")
                # A midstream reset keeps its value: the contract applies idle_timeout to
                # midstream flows, which needs that silence; the lead chose to report the
                # evidence the cause is decided on (docs/diagnosing.md says so).
            else:
                self.ok(d.get("idle_before_rst_us") is not None,
                        f"{name(c)}: idle_before_rst_us is null on a reset")
            for side, n in zw_side.items():
                if n == 0:
                    self.eq((d.get("zero_window_us") or {}).get(side), 0,
                            f"{name(c)}: zero_window_us.{side} (that side's kernel never "
                            "advertised a zero window: TcpExtTCPToZeroWindowAdv)")
            s = c.get("server") or {}
            if c["bytes_written"] + s.get("bytes_written", 0) + c["bytes_read"] == 0:
                self.eq(d.get("longest_stall_us"), None,
                        f"{name(c)}: longest_stall_us (no payload went either way)")
            else:
                life = (last_time(c) - c["connect"]["t0"]) * 1e6 + SOFTIRQ_TOL_US
                self.between(d.get("longest_stall_us"), 0, life,
                             f"{name(c)}: longest_stall_us (payload went; the connection's lifetime)")
            self.eq(d.get("stall_dir") is None, d.get("longest_stall_us") is None,
                    f"{name(c)}: stall_dir null exactly when longest_stall_us is")
            if cls == "ok" and d.get("longest_stall_us") is not None:
                thr = self.opts["--stall-threshold"] * 1e6
                self.ok(d["longest_stall_us"] < thr,
                        f"{name(c)}: longest_stall_us {d['longest_stall_us']} >= the stall "
                        f"threshold on a flow that is ok")
            ti = c.get("tcp_info_connect") or {}
            if ti.get("total_retrans") is not None:
                self.eq(d.get("syn_retrans"), ti["total_retrans"],
                        f"{name(c)}: syn_retrans (client TCP_INFO total_retrans at connect)")
            s = c.get("server")
            if s and (s.get("tcp_info_accept") or {}).get("total_retrans") is not None:
                self.eq(d.get("synack_retrans"), s["tcp_info_accept"]["total_retrans"],
                        f"{name(c)}: synack_retrans (server TCP_INFO total_retrans at accept)")
            syn += d.get("syn_retrans") or 0
            synack += d.get("synack_retrans") or 0
        if any(c.get("flow") and "diagnosis" in c["flow"] for c in self.conns):
            self.eq(syn, self.delta("client", "TcpExtTCPSynRetrans"),
                    "sum of syn_retrans (client namespace TcpExtTCPSynRetrans delta)")
            self.eq(synack, self.delta("server", "TcpExtTCPSynRetrans"),
                    "sum of synack_retrans (server namespace TcpExtTCPSynRetrans delta)")

    # -- services ---------------------------------------------------------------
    def services(self, expected):
        """expected: {conn id: (class, cause)} for every connection with a flow."""
        snap = self.stats[-1] if self.stats else None
        if snap is None or "services" not in snap:
            self.ok(False, "the final stats snapshot has no services")
            return
        want = {}
        tw = self.opts["--time-wait"]
        for c in self.conns:
            f = c.get("flow")
            if f is None:
                continue
            key = (norm(f["server"]["ip"]), f["server"]["port"])
            w = want.setdefault(key, {"flows": 0, "class": collections.Counter(),
                                      "cause": collections.Counter(), "clients": set(),
                                      "ports": collections.defaultdict(list), "reuse": 0})
            w["flows"] += 1
            cls, cause = expected[id(c)]
            w["class"][cls] += 1
            if cause:
                w["cause"][cause] += 1
            w["clients"].add(norm(f["client"]["ip"]))
            w["ports"][norm(f["client"]["ip"])].append((c["connect"]["t0"], f["client"]["port"]))
        for key, w in want.items():
            # port reuse: a connection on a 4-tuple used less than --time-wait before
            for ip, uses in w["ports"].items():
                uses.sort()
                last = {}
                for t, port in uses:
                    if port in last and t - last[port] < tw:
                        w["reuse"] += 1
                    last[port] = t
        got = {}
        for s in snap["services"]:
            got[(norm(s["server"]["ip"]), s["server"]["port"])] = s
        for key, w in sorted(want.items()):
            s = got.get(key)
            if not self.ok(s is not None, f"service {fmt2(key)}: missing from services"):
                continue
            self.eq(s.get("flows"), w["flows"], f"service {fmt2(key)}: flows")
            self.eq(s.get("active"), 0, f"service {fmt2(key)}: active at exit")
            self.eq(nonzero(s.get("class")), dict(w["class"]), f"service {fmt2(key)}: class counts")
            self.eq(nonzero(s.get("cause")), dict(w["cause"]), f"service {fmt2(key)}: cause counts")
            self.eq(s.get("clients"), len(w["clients"]), f"service {fmt2(key)}: clients")
            self.eq(s.get("port_reuse"), w["reuse"],
                    f"service {fmt2(key)}: port_reuse (connections on a 4-tuple used < --time-wait before)")
            ports = max(len({p for _, p in u}) for u in w["ports"].values())
            self.eq(s.get("max_ports_per_client"), ports,
                    f"service {fmt2(key)}: max_ports_per_client (distinct source ports the client used)")
        for key in got:
            self.ok(key in want, f"service {fmt2(key)} in the stats: no application used it")
        other = snap.get("services_other") or {}
        total = sum(s.get("flows", 0) for s in snap["services"]) + other.get("flows", 0)
        self.eq(total, len(self.flows), "services flows + services_other flows (records written)")


def norm(ip):
    return str(ipaddress.ip_address(ip))


def fmt(key):
    return "%s -> %s" % (fmt2(key[:2]), fmt2(key[2:]))


def fmt2(k):
    ip, port = k
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)


def name(c):
    return "%s#%d (client port %d)" % (c["label"], c["conn"], c["local"][1])


def nonzero(d):
    return {k: v for k, v in (d or {}).items() if v}


def ev(rec, op, arg=None):
    """The first event of a connection with that op (and arg)."""
    for e in rec["events"]:
        if e["op"] == op and (arg is None or e["arg"] == arg):
            return e
    return None


def end(e):
    return e["t0"] + e["blocked_s"]


def last_time(c):
    """When the last call of either side of a connection returned."""
    t = end(c["connect"])
    for rec in (c, c.get("server")):
        for e in (rec or {}).get("events", []):
            t = max(t, end(e))
    return t


def server_abort_bounds(k, c, what):
    """A server that answered, slept, then closed with SO_LINGER 0: the silence
    before its RST is at least the sleep (the answer left before it) and at
    most from the answer's send() to the end of close()."""
    s = c.get("server")
    if not k.ok(s is not None, f"{name(c)}: no server record"):
        return None
    slept = ev(s, "sleep")["blocked_s"] * 1e6
    # the silence starts at the answer, or, with no answer, at the handshake
    start = ev(s, "send")["t0"] if ev(s, "send") else c["connect"]["t0"]
    return slept - CLOCK_TOL_US, (end(ev(s, "close")) - start) * 1e6 + CLOCK_TOL_US


# -- the scenarios' rules ---------------------------------------------------------
# Each returns {id(conn): (class, cause)} for the services check.

def r_refused(k):
    out = {}
    for c in k.conns:
        k.eq(c["errno"], "ECONNREFUSED", f"{name(c)}: the scenario's connect")
        k.expect(c, "refused", None, "connect() failed with ECONNREFUSED")
        out[id(c)] = ("refused", None)
    # the server's kernel answered each SYN with one RST
    k.eq(len(out), k.delta("server", "TcpOutRsts"), "refused flows (server TcpOutRsts delta)")
    return out


def r_no_answer(k):
    out = {}
    syns = 0
    for c in k.conns:
        d = k.expect(c, "timed_out", "no_answer",
                     "connect() blocked %.1f s and failed with %s; nothing reached the server's TCP"
                     % (c["connect"]["blocked_s"], c["errno"]))
        k.eq(c["errno"], "ETIMEDOUT", f"{name(c)}: the scenario's connect")
        if d:
            k.eq(d.get("synack_retrans"), 0, f"{name(c)}: synack_retrans (no SYN-ACK was sent)")
            syns += (d.get("syn_retrans") or 0) + 1
        out[id(c)] = ("timed_out", "no_answer")
    if any(c.get("flow") and "diagnosis" in c["flow"] for c in k.conns):
        k.eq(syns, k.nft("server", "syn_drop"), "SYNs (syn_retrans + 1, summed) = SYNs nft dropped")
    return out


def r_synack_lost(k):
    out = {}
    synacks = 0
    for c in k.conns:
        d = k.expect(c, "timed_out", "synack_lost",
                     "connect() failed with %s; the server's SYN-ACKs were dropped on the client"
                     % c["errno"])
        k.eq(c["errno"], "ETIMEDOUT", f"{name(c)}: the scenario's connect")
        if d:
            synacks += (d.get("synack_retrans") or 0) + 1
        out[id(c)] = ("timed_out", "synack_lost")
    if any(c.get("flow") and "diagnosis" in c["flow"] for c in k.conns):
        k.eq(synacks, k.nft("client", "synack_drop"),
             "SYN-ACKs (synack_retrans + 1, summed) = SYN-ACKs nft dropped on the client")
    return out


def r_aq_abort(k):
    """tcp_abort_on_overflow=1: the overflowed connection is the one whose
    recv() got ECONNRESET with nothing read and that the server never accepted.
    The kernel counts one ListenOverflows per such connection (the request is
    reset at its first overflow)."""
    out, n = {}, 0
    for c in k.conns:
        if c["errno"] == "ECONNRESET" and c["bytes_read"] == 0 and "server" not in c:
            d = k.expect(c, "reset", "accept_queue_overflow",
                         "handshake done, request sent, ECONNRESET, never accepted")
            if d:
                k.eq(c["flow"].get("rst_by"), "server", f"{name(c)}: rst_by")
                line, recv = ev(c, "line"), ev(c, "recv")
                hi = (end(recv) - line["t0"]) * 1e6 + CLOCK_TOL_US
                k.between(d.get("idle_before_rst_us"), 0, hi,
                          f"{name(c)}: idle_before_rst_us (the RST answered the request at once)")
            out[id(c)] = ("reset", "accept_queue_overflow")
            n += 1
        else:
            k.eq(c["errno"], None, f"{name(c)}: the scenario's accepted connection")
            k.expect(c, "ok", None, "accepted and served")
            out[id(c)] = ("ok", None)
    k.eq(n, k.delta("server", "TcpExtListenOverflows"),
         "accept_queue_overflow flows (server TcpExtListenOverflows delta: one per connection here)")
    k.ok(n >= 1, "the scenario overflowed no connection")
    return out


def r_aq_drop(k):
    """tcp_abort_on_overflow=0: the kernel drops the overflowed connection's data
    and ACKs and retransmits its SYN-ACK (the accepted socket's TCP_INFO
    total_retrans); the client's data cannot be acknowledged before the server
    first accept()s, which empties the queue. ListenOverflows counts every
    segment that found the queue full, not one per connection."""
    out, n = {}, 0
    stall_thr = k.opts["--stall-threshold"] * 1e6
    srv = k.peers("server")[0]
    first_accept = min(s["accept"]["t"] for s in srv["conns"])
    for c in k.conns:
        k.eq(c["errno"], None, f"{name(c)}: every connection is served in the end")
        s = c.get("server") or {}
        if (s.get("tcp_info_accept") or {}).get("total_retrans", 0) >= 1:
            line, recv = ev(c, "line"), ev(c, "recv")
            lo = (first_accept - end(line)) * 1e6 - SOFTIRQ_TOL_US
            hi = (end(recv) - line["t0"]) * 1e6 + CLOCK_TOL_US
            cls = "stalled" if lo >= stall_thr else "ok" if hi < stall_thr else None
            if cls is None:
                k.ok(False, f"{name(c)}: the stall ({lo:.0f}..{hi:.0f} us) straddles the threshold")
                continue
            d = k.expect(c, cls, "accept_queue_overflow",
                         "its SYN-ACK retransmitted by the kernel while the accept queue was full; "
                         "the request waited %.2f s for the first accept()" % (lo / 1e6))
            if d:
                k.between(d.get("longest_stall_us"), lo, hi,
                          f"{name(c)}: longest_stall_us (request sent -> first accept() .. answer read)")
                k.eq(d.get("stall_dir"), "c2s", f"{name(c)}: stall_dir")
            out[id(c)] = (cls, "accept_queue_overflow")
            n += 1
        else:
            k.expect(c, "ok", None, "queued in time, served after the accept delay")
            out[id(c)] = ("ok", None)
    k.ok(n >= 1, "the scenario overflowed no connection")
    lo = k.delta("server", "TcpExtListenOverflows")
    k.ok(lo >= n, f"server TcpExtListenOverflows delta {lo} < {n} overflowed connections")
    print(f"note: {k.scen}: TcpExtListenOverflows delta {lo} for {n} connection(s): with "
          "tcp_abort_on_overflow=0 the kernel counts every ACK and data segment that finds the "
          "queue full, not connections")
    return out


def r_syn_retrans(k):
    """A connect that needed more than one SYN and then succeeded: ok /
    syn_retransmitted. On 8080 nft dropped the first SYN (its counter); on
    8081 the full accept queue dropped it (ListenOverflows, one per SYN)."""
    out = {}
    q = 0
    for c in k.conns:
        k.eq(c["errno"], None, f"{name(c)}: served")
        retr = c["tcp_info_connect"]["total_retrans"]
        if retr >= 1:
            d = k.expect(c, "ok", "syn_retransmitted",
                         "connect() blocked %.2f s: %d SYN retransmission(s), then served"
                         % (c["connect"]["blocked_s"], retr))
            out[id(c)] = ("ok", "syn_retransmitted")
            if d and c["peer"][1] == 8081:
                q += d.get("syn_retrans") or 0
            if d and c["peer"][1] == 8080:
                k.eq(d.get("syn_retrans"), k.nft("server", "syn_quota"),
                     f"{name(c)}: syn_retrans (SYNs nft dropped)")
        else:
            k.expect(c, "ok", None, "one SYN, served")
            out[id(c)] = ("ok", None)
    if any(c.get("flow") and "diagnosis" in c["flow"] for c in k.conns):
        k.eq(q, k.delta("server", "TcpExtListenOverflows"),
             "syn_retrans on 8081 (SYNs the full accept queue dropped: TcpExtListenOverflows delta)")
    return out


def r_idle_reset(k):
    """The server answered, slept S, then closed with SO_LINGER 0: the silence
    before its RST is at least S (it sent the answer before sleeping) and at
    most from the answer's send() to the end of close()."""
    out = {}
    thr = k.opts["--idle-reset-threshold"] * 1e6
    for c in k.conns:
        k.eq(c["errno"], "ECONNRESET", f"{name(c)}: the client's recv")
        b = server_abort_bounds(k, c, "idle")
        if b is None:
            continue
        lo, hi = b
        slept = lo + CLOCK_TOL_US
        cause = "idle_timeout" if lo >= thr else "abort" if hi < thr else None
        if not k.ok(cause is not None, f"{name(c)}: the silence straddles the threshold"):
            continue
        d = k.expect(c, "reset", cause, "the server slept %.2f s, then aborted; threshold %.1f s"
                     % (slept / 1e6, thr / 1e6))
        if d:
            k.between(d.get("idle_before_rst_us"), lo, hi,
                      f"{name(c)}: idle_before_rst_us (the server's sleep .. send->close)")
            k.eq(c["flow"].get("rst_by"), "server", f"{name(c)}: rst_by")
        out[id(c)] = ("reset", cause)
    k.eq(k.delta("server", "TcpExtTCPAbortOnData"), len(out),
         "server TcpExtTCPAbortOnData delta (one SO_LINGER 0 close per connection)")
    return out


def r_data_after_close(k):
    out = {}
    for c in k.conns:
        w = ev(c, "writeloop")
        k.ok(c["errno"] in ("EPIPE", "ECONNRESET") and c["failed_op"] == "writeloop",
             f"{name(c)}: the client's write after the server's close failed with {c['errno']}")
        k.ok(w is not None and w.get("sends_ok", 0) >= 1,
             f"{name(c)}: the client's first write after the FIN succeeded")
        d = k.expect(c, "reset", "data_after_close",
                     "the server closed; the client read EOF, wrote, got %s" % c["errno"])
        if d:
            k.eq(c["flow"].get("rst_by"), "server", f"{name(c)}: rst_by")
            # the RST answered the first write: it was there when a later write failed
            k.between(d.get("idle_before_rst_us"), 0, w["blocked_s"] * 1e6 + CLOCK_TOL_US,
                      f"{name(c)}: idle_before_rst_us (the RST answered the first write)")
        out[id(c)] = ("reset", "data_after_close")
    k.eq(k.delta("server", "TcpOutRsts"), 1, "server TcpOutRsts delta (one RST, for the data)")
    return out


def r_abort(k):
    """ab_srv: the server aborts after answering; ab_cli: the client aborts;
    ab_lst: the listener closes with the connection (and its request, which the
    kernel acknowledged) in its accept queue; ab_now: the server accepts and
    aborts before any payload. The contract: "An application that accepts and
    aborts at once looks the same" as an accept-queue overflow, so ab_now is
    accept_queue_overflow although the kernel's ListenOverflows did not move."""
    out = {}
    for c in k.conns:
        lab = c["label"]
        if lab == "ab_now":
            d = k.expect(c, "reset", "accept_queue_overflow",
                         "accepted and aborted before any payload (the contract's lookalike)")
            out[id(c)] = ("reset", "accept_queue_overflow")
            b = server_abort_bounds(k, c, "abort")
            if d and b:
                k.between(d.get("idle_before_rst_us"), b[0], b[1],
                          f"{name(c)}: idle_before_rst_us (the server's sleep .. accept->close)")
        else:
            why = {"ab_srv": "the server aborted (SO_LINGER 0) after answering",
                   "ab_cli": "the client aborted (SO_LINGER 0) after reading the answer",
                   "ab_lst": "the listener closed with the connection in its accept queue"}[lab]
            d = k.expect(c, "reset", "abort", why)
            out[id(c)] = ("reset", "abort")
            if d:
                k.eq(c["flow"].get("rst_by"), "client" if lab == "ab_cli" else "server",
                     f"{name(c)}: rst_by")
            if d and lab == "ab_cli":
                # the client read the answer, slept, aborted
                lo = ev(c, "sleep")["blocked_s"] * 1e6 - CLOCK_TOL_US
                hi = (end(ev(c, "close")) - ev(c, "recv")["t0"]) * 1e6 + SOFTIRQ_TOL_US
                k.between(d.get("idle_before_rst_us"), lo, hi,
                          f"{name(c)}: idle_before_rst_us (the client's sleep .. recv->close)")
            if d and lab == "ab_lst":
                hi = (end(ev(c, "recv")) - ev(c, "line")["t0"]) * 1e6 + CLOCK_TOL_US
                k.between(d.get("idle_before_rst_us"), 0, hi,
                          f"{name(c)}: idle_before_rst_us (request sent .. its recv() reset)")
            if d and lab == "ab_srv":
                b = server_abort_bounds(k, c, "abort")
                if b:
                    k.between(d.get("idle_before_rst_us"), b[0], b[1],
                              f"{name(c)}: idle_before_rst_us (the server's sleep .. send->close)")
    k.eq(k.delta("server", "TcpExtListenOverflows"), 0,
         "server TcpExtListenOverflows delta (no queue overflowed)")
    k.eq(k.delta("server", "TcpOutRsts"), 3, "server TcpOutRsts delta (ab_srv, ab_lst, ab_now)")
    k.eq(k.delta("client", "TcpExtTCPAbortOnData"), 1,
         "client TcpExtTCPAbortOnData delta (ab_cli's SO_LINGER 0 close)")
    return out


def r_zero_window(k):
    """The server did not read for S seconds; its window stayed closed for
    most of it. Upper bounds: the sender's kernel counted the time it was
    limited by the receive window (TCP_INFO rwnd_limited), and its send()
    blocked no longer than the transfer."""
    out = {}
    for c in k.conns:
        s = c.get("server")
        if not k.ok(s is not None, f"{name(c)}: no server record"):
            continue
        slept = ev(s, "sleep")["blocked_s"] * 1e6
        send = ev(c, "send")
        rwnd = c["tcp_info_end"]["rwnd_limited_us"]
        hi = min(send["blocked_s"] * 1e6, rwnd) + SOFTIRQ_TOL_US
        d = k.expect(c, "stalled", "zero_window", "the reader slept %.2f s" % (slept / 1e6))
        out[id(c)] = ("stalled", "zero_window")
        if d:
            zw = d.get("zero_window_us") or {}
            k.between(zw.get("s2c"), ZW_FRACTION * slept, hi,
                      f"{name(c)}: zero_window_us.s2c (the reader's sleep .. sender rwnd-limited)")
            k.eq(zw.get("c2s"), 0, f"{name(c)}: zero_window_us.c2s (the client's window never closed)")
            k.between(d.get("longest_stall_us"), ZW_FRACTION * slept, hi,
                      f"{name(c)}: longest_stall_us")
            k.eq(d.get("stall_dir"), "c2s", f"{name(c)}: stall_dir")
    k.ok(k.delta("server", "TcpExtTCPToZeroWindowAdv") >= 1,
         "server TcpExtTCPToZeroWindowAdv: the kernel never advertised a zero window")
    return out


def r_rto_stall(k):
    """nft dropped every client data segment until loss_ended: the request
    cannot be acknowledged before then; it was answered by the time recv()
    returned."""
    out = {}
    loss_ended = k.truth["notes"]["loss_ended"]
    for c in k.conns:
        line, recv = ev(c, "line"), ev(c, "recv")
        lo = (loss_ended - end(line)) * 1e6 - SOFTIRQ_TOL_US
        hi = (end(recv) - line["t0"]) * 1e6 + CLOCK_TOL_US
        d = k.expect(c, "stalled", "retransmission_timeout",
                     "%d RTOs (TCP_INFO total_rto), data dropped for %.2f s"
                     % (c["tcp_info_end"]["total_rto"], lo / 1e6))
        out[id(c)] = ("stalled", "retransmission_timeout")
        if d:
            k.between(d.get("longest_stall_us"), lo, hi,
                      f"{name(c)}: longest_stall_us (request sent -> loss ended .. answer read)")
            k.eq(d.get("stall_dir"), "c2s", f"{name(c)}: stall_dir")
            f = c["flow"]["c2s"]
            k.eq(f["retrans"] + f["out_of_order"], k.delta("client", "TcpRetransSegs"),
                 f"{name(c)}: c2s retrans + out_of_order (client TcpRetransSegs delta)")
    k.ok(k.delta("client", "TcpExtTCPTimeouts") >= 1, "client TcpExtTCPTimeouts: no RTO fired")
    k.ok(k.nft("server", "data_drop") >= 1, "nft dropped no data segment")
    return out


def reuse_gaps(k, conns):
    """Expected port_reuse_gap_us bounds, per connection: the previous
    connection on the same 4-tuple ended (its last packet is the answer to the
    client's close()) and this connect() sent the SYN."""
    tw = k.opts["--time-wait"]
    prev = {}
    out = {}
    for c in sorted(conns, key=lambda c: c["connect"]["t0"]):
        if c.get("flow") is None:
            continue
        p = prev.get(c["key"])
        if p is not None and c["connect"]["t0"] - end(ev(p, "close")) < tw:
            cl = ev(p, "close")
            out[id(c)] = (max(0, (c["connect"]["t0"] - end(cl)) * 1e6 - SOFTIRQ_TOL_US),
                          (end(c["connect"]) - cl["t0"]) * 1e6 + SOFTIRQ_TOL_US)
        else:
            out[id(c)] = None
        prev[c["key"]] = c
    return out


def check_gaps(k, conns):
    for c in conns:
        if c.get("flow") is None:
            continue
        d = k.diag(c)
        if d is None:
            continue
        b = k.gaps[id(c)]
        if b is None:
            k.eq(d.get("port_reuse_gap_us"), None, f"{name(c)}: port_reuse_gap_us (first use)")
        else:
            k.between(d.get("port_reuse_gap_us"), b[0], b[1],
                      f"{name(c)}: port_reuse_gap_us (previous close() .. this connect())")


def r_port_reuse(k):
    out = {}
    k.gaps = reuse_gaps(k, k.conns)
    for c in k.conns:
        k.eq(c["errno"], None, f"{name(c)}: served")
        k.expect(c, "ok", None, "served; the 4-tuple reused after the server's TIME_WAIT")
        out[id(c)] = ("ok", None)
        s = c.get("server")
        if k.ok(s is not None, f"{name(c)}: no server record"):
            k.eq(ev(s, "twcheck").get("state"), "TIME_WAIT",
                 f"{name(c)}: the server kernel's state of the 4-tuple after its close")
    k.eq(sum(1 for v in k.gaps.values() if v), 2, "reuses the scenario made")
    check_gaps(k, k.conns)
    return out


def r_port_pressure(k):
    out = {}
    k.gaps = reuse_gaps(k, k.conns)
    lo, hi = k.truth["notes"]["port_range"]
    for c in k.conns:
        if c["errno"] == "EADDRNOTAVAIL":
            k.eq(c.get("flow"), None, f"{name(c)}: EADDRNOTAVAIL sends nothing")
            continue
        k.eq(c["errno"], None, f"{name(c)}: served")
        k.ok(lo <= c["local"][1] <= hi, f"{name(c)}: port outside ip_local_port_range")
        k.expect(c, "ok", None, "served from the narrow port range")
        out[id(c)] = ("ok", None)
    check_gaps(k, k.conns)
    # the client's TIME_WAIT held every port towards 8081: the last connects failed
    to81 = {c["local"][1] for c in k.conns if c["peer"][1] == 8081 and c["local"][1]}
    k.eq(len(to81), hi - lo + 1, "ports used towards :8081 (the whole range)")
    k.eq(k.truth["notes"]["client_time_wait"], len(to81),
         "client sockets in TIME_WAIT (ss) = ports towards :8081")
    k.ok(any(c["errno"] == "EADDRNOTAVAIL" for c in k.conns), "no connect ran out of ports")
    return out


def r_midstream(k):
    """The capture began after both connections' first exchange (the mark
    each client wrote after it, before the capture started): no SYN seen.
    mid_fin closes normally: unknown / null. mid_rst is aborted by its client
    (SO_LINGER 0): an RST in a midstream flow is reset, and "In a midstream
    flow the reset causes other than accept_queue_overflow apply": abort."""
    out = {}
    started = k.truth["notes"]["capture_started"]
    for c in k.conns:
        c["midstream"] = True
        mark = ev(c, "mark")
        k.ok(mark is not None and end(mark) < started,
             f"{name(c)}: the first exchange was not over when the capture started")
        if c["label"] == "mid_fin":
            d = k.expect(c, "unknown", None, "handshake before the capture, normal close")
            out[id(c)] = ("unknown", None)
        else:
            d = k.expect(c, "reset", "abort", "handshake before the capture, client SO_LINGER 0")
            out[id(c)] = ("reset", "abort")
            if d:
                k.eq(c["flow"].get("rst_by"), "client", f"{name(c)}: rst_by")
        if d:
            k.eq(c["flow"].get("outcome"), "midstream", f"{name(c)}: outcome")
            k.eq(d.get("syn_retrans"), 0, f"{name(c)}: syn_retrans (no SYN seen)")
            k.eq(d.get("synack_retrans"), 0, f"{name(c)}: synack_retrans (no SYN-ACK seen)")
    return out


def r_services(k):
    out = {}
    for c in k.conns:
        lab = c["label"]
        cls, cause = {"svc_ok": ("ok", None), "svc_ok6": ("ok", None),
                      "svc_ref": ("refused", None), "svc_ab": ("reset", "abort"),
                      "svc_to6": ("timed_out", "no_answer")}[lab]
        d = k.expect(c, cls, cause, "%s: errno %s" % (lab, c["errno"]))
        out[id(c)] = (cls, cause)
        if d and lab == "svc_ab":
            b = server_abort_bounds(k, c, "abort")
            if b:
                k.between(d.get("idle_before_rst_us"), b[0], b[1],
                          f"{name(c)}: idle_before_rst_us (the server's sleep .. send->close)")
    return out


RULES = {
    "refused": r_refused, "no_answer": r_no_answer, "synack_lost": r_synack_lost,
    "aq_abort": r_aq_abort, "aq_drop": r_aq_drop, "syn_retrans": r_syn_retrans,
    "idle_reset": r_idle_reset, "data_after_close": r_data_after_close, "abort": r_abort,
    "zero_window": r_zero_window, "rto_stall": r_rto_stall, "port_reuse": r_port_reuse,
    "port_pressure": r_port_pressure, "midstream": r_midstream, "services": r_services,
}


def load_lines(path, typ):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                if obj.get("type") == typ:
                    out.append(obj)
    return out


def run_checks(truth, run, flows, stats, quiet=False):
    k = Checker(truth, run, flows, stats)
    k.match()
    if quiet:
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            expected = RULES[truth["scenario"]](k)
    else:
        expected = RULES[truth["scenario"]](k)
    k.universal(expected)
    k.services(expected)
    return k


def mutants(flows):
    """(description, mutated copy of the flows): one diagnosis field changed."""
    import copy
    other = {"refused": "ok", "timed_out": "refused", "reset": "ok", "stalled": "ok",
             "ok": "stalled", "unknown": "ok"}
    for i, f in enumerate(flows):
        d = f.get("diagnosis")
        if d is None:
            continue
        tag = "flow %s:%d" % (f["client"]["ip"], f["client"]["port"])
        changes = [("class", other.get(d["class"], "ok")),
                   ("cause", None if d["cause"] else "abort"),
                   ("syn_retrans", d["syn_retrans"] + 1),
                   ("synack_retrans", d["synack_retrans"] + 1),
                   ("stall_dir", "s2c" if d["stall_dir"] == "c2s" else "c2s")]
        for key in ("idle_before_rst_us", "longest_stall_us", "port_reuse_gap_us"):
            v = d.get(key)
            changes += [(key, 12345)] if v is None else [(key, v * 0.5), (key, v * 2 + 1e6), (key, None)]
        for side in ("c2s", "s2c"):
            v = (d.get("zero_window_us") or {}).get(side) or 0
            changes.append(("zero_window_us." + side, v * 0.5 if v else 5e5))
        for key, val in changes:
            m = copy.deepcopy(flows)
            if "." in key:
                a, b = key.split(".")
                m[i]["diagnosis"].setdefault(a, {})[b] = val
            else:
                m[i]["diagnosis"][key] = val
            yield f"{tag} {key}={val!r} (was {d.get(key.split('.')[0])!r})", m


def stats_mutants(stats):
    """(description, mutated copy of the stats): one service count changed."""
    import copy
    if not stats or "services" not in stats[-1]:
        return
    for i, sv in enumerate(stats[-1]["services"]):
        tag = "service %s:%d" % (sv["server"]["ip"], sv["server"]["port"])
        keys = [(k,) for k in ("flows", "clients", "port_reuse", "max_ports_per_client")]
        keys += [("class", k) for k in sv["class"]] + [("cause", k) for k in sv["cause"]]
        for path in keys:
            m = copy.deepcopy(stats)
            o = m[-1]["services"][i]
            for p in path[:-1]:
                o = o[p]
            o[path[-1]] += 1
            yield f"{tag} {'.'.join(path)} +1", m


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "mutants":
        # the test of the test: change one diagnosis field at a time in a run
        # that passes and say which changes no assertion notices
        with open(sys.argv[2]) as f:
            truth = json.load(f)
        flows, stats = load_lines(sys.argv[4], "flow"), load_lines(sys.argv[5], "stats")
        base = len(run_checks(truth, sys.argv[3], flows, stats, quiet=True).fails)
        n = survived = 0
        for what, m in mutants(flows):
            n += 1
            if len(run_checks(truth, sys.argv[3], m, stats, quiet=True).fails) <= base:
                survived += 1
                print(f"survived: {truth['scenario']}/{sys.argv[3]}: {what}")
        for what, m in stats_mutants(stats):
            n += 1
            if len(run_checks(truth, sys.argv[3], flows, m, quiet=True).fails) <= base:
                survived += 1
                print(f"survived: {truth['scenario']}/{sys.argv[3]}: {what}")
        print(f"{truth['scenario']}/{sys.argv[3]}: {n - survived} of {n} mutants caught "
              f"(baseline failures {base})")
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "runs":
        with open(sys.argv[2]) as f:
            truth = json.load(f)
        for r in truth["probe_runs"]:
            print(" ".join([r["name"]] + r["args"]))
        return 0
    if len(sys.argv) != 6 or sys.argv[1] != "check":
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[2]) as f:
        truth = json.load(f)
    run = sys.argv[3]
    k = run_checks(truth, run, load_lines(sys.argv[4], "flow"), load_lines(sys.argv[5], "stats"))
    tag = f"{truth['scenario']}/{run}"
    if not any("diagnosis" in f for f in k.flows):
        # say once why everything fails, then the details
        print(f"FAIL: {tag}: no flow record has a diagnosis object (CONTRACT \"Diagnosis\")")
    for f in k.fails:
        print(f"FAIL: {tag}: {f}")
    print(f"{tag}: {k.oks} assertions held, {len(k.fails)} failed, {len(k.flows)} flows")
    return 1 if k.fails else 0


if __name__ == "__main__":
    sys.exit(main())
