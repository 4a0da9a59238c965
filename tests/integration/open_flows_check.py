#!/usr/bin/python3
"""open_flows_check.py -- /dpprobe/flows,N against tshark (it_open_flows.sh).

  open_flows_check.py ask PREFIX N OUT
      ask the running probe (dpdk-telemetry.py -f PREFIX) for /dpprobe/flows,N
      and write the answer's flows, in order, as JSON to OUT.
  open_flows_check.py compare ANSWER CAPTURE --open PORTS --half-open PORT --workers W
      ANSWER (from ask, N large enough for every open flow) holds exactly the
      flows tshark sees open in CAPTURE (tcpdump of the mirror, stopped while
      they were open): those to PORTS (a-b), one record each, with tshark's
      retransmissions and packets per direction, most retransmitting first,
      plus the half-open connect to PORT; every worker answered. Packets and
      bytes must equal tshark's. Retransmissions are not compared one to
      one, only shown: Wireshark's rule tells a retransmission from an
      out-of-order segment by packet times and the handshake's RTT, and
      af_packet gives the probe only its poll's time (docs/pmds.md).
  open_flows_check.py records ANSWER FLOWS --open PORTS
      each of ANSWER's flows to PORTS has its record in FLOWS (written once
      they closed, with no loss since the answer) with the same endpoints
      and retransmissions per direction.
  open_flows_check.py top ANSWER FULL N
      ANSWER (asked with N) is the first N of FULL's retransmission counts.
  open_flows_check.py none ANSWER --closed PORTS
      no flow of ANSWER goes to PORTS (they have closed since).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from live_check import telemetry  # noqa: E402


def fail(msg):
    print("open_flows_check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def flows_of(ans):
    """The answer's flows in answer order (keys flow0, flow1, ...)."""
    n = sum(1 for k in ans if k.startswith("flow"))
    return [ans[f"flow{i}"] for i in range(n)]


def ports(spec):
    a, _, b = spec.partition("-")
    return range(int(a), int(b or a) + 1)


def port_of(ep):
    return int(ep.rsplit(":", 1)[1])


def cmd_ask(a):
    ans = telemetry(a.prefix, f"/dpprobe/flows,{a.n}")
    json.dump(ans, open(a.out, "w"))
    got = flows_of(ans)
    print(f"/dpprobe/flows,{a.n}: {len(got)} flows, {ans['answered']} of {ans['workers']} workers"
          f" answered; retrans {[f['retrans'] for f in got]}")


def tshark_open(capture):
    out = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "..", "compare", "tshark_flows.py"),
                          capture], capture_output=True, text=True, timeout=120, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def cmd_compare(a):
    ans = json.load(open(a.answer))
    got = flows_of(ans)
    if ans["answered"] != ans["workers"] or ans["workers"] != a.workers:
        fail(f"{ans['answered']} of {ans['workers']} workers answered, expected {a.workers}")
    open_ports = ports(a.open)
    ref = {}
    for r in tshark_open(a.capture):
        if r["server"]["port"] in open_ports:
            ref[(r["client"]["ip"], r["client"]["port"])] = r
    if len(ref) != len(open_ports):
        fail(f"tshark sees {len(ref)} connections to {a.open}, the test made {len(open_ports)}")
    seen = set()
    half = 0
    shown = []
    sums = [0, 0, 0]  # live retrans, tshark retrans, tshark retrans + out_of_order
    for f in got:
        server = port_of(f["server"])
        if server == a.half_open:
            if f["state"] != "half_open" or f["s2c_packets"] != 0:
                fail(f"the unanswered connect is {f}")
            half += 1
            continue
        if server not in open_ports:
            fail(f"a flow the test did not open: {f}")
        cip, _, cport = f["client"].rpartition(":")
        r = ref.get((cip, int(cport)))
        if r is None or (cip, int(cport)) in seen:
            fail(f"{f['client']}: not one of tshark's connections, or twice: {f}")
        seen.add((cip, int(cport)))
        want = {"state": "open", "c2s_packets": r["c2s"]["packets"], "s2c_packets": r["s2c"]["packets"],
                "c2s_bytes": r["c2s"]["payload_bytes"], "s2c_bytes": r["s2c"]["payload_bytes"]}
        for k, v in want.items():
            if f[k] != v:
                fail(f"{f['client']} -> {f['server']}: {k} {f[k]}, tshark {v}")
        shown.append(f"{f['retrans']}/{r['c2s']['retrans'] + r['s2c']['retrans']}")
        sums[0] += f["retrans"]
        sums[1] += r["c2s"]["retrans"] + r["s2c"]["retrans"]
        sums[2] += r["c2s"]["retrans"] + r["s2c"]["retrans"] + \
            r["c2s"]["out_of_order"] + r["s2c"]["out_of_order"]
        if f["retrans"] != f["c2s_retrans"] + f["s2c_retrans"]:
            fail(f"{f['client']}: retrans {f['retrans']} is not the sum of both directions")
    if len(seen) != len(ref) or half != 1:
        fail(f"answer has {len(seen)} of {len(ref)} open connections and {half} half-open")
    order = [f["retrans"] for f in got]
    if order != sorted(order, reverse=True):
        fail(f"not most retransmitting first: {order}")
    total = sum(f["retrans"] for f in got)
    if total == 0:
        fail("no retransmission in any open flow: the loss rule did not work, nothing is tested")
    print(f"open flows equal tshark's: {len(seen)} open + 1 half-open, packets and bytes equal;"
          f" retransmissions live/tshark {' '.join(shown)}: {sums[0]} against {sums[1]}"
          f" ({sums[2]} with out-of-order segments)")


def cmd_records(a):
    open_ports = ports(a.open)
    recs = {}
    for line in open(a.flows):
        if line.strip():
            r = json.loads(line)
            recs[(f"{r['client']['ip']}:{r['client']['port']}",
                  f"{r['server']['ip']}:{r['server']['port']}")] = r
    n = 0
    for f in flows_of(json.load(open(a.answer))):
        if port_of(f["server"]) not in open_ports:
            continue
        r = recs.get((f["client"], f["server"]))
        if r is None:
            fail(f"no record for {f['client']} -> {f['server']}")
        for d in ("c2s", "s2c"):
            if f[f"{d}_retrans"] != r[d]["retrans"]:
                fail(f"{f['client']}: {d}_retrans {f[f'{d}_retrans']} open, {r[d]['retrans']} in its record")
        n += 1
    if n != len(open_ports):
        fail(f"{n} of {len(open_ports)} open flows checked")
    print(f"records: the {n} flows kept the retransmissions /dpprobe/flows showed")


def cmd_top(a):
    got = [f["retrans"] for f in flows_of(json.load(open(a.answer)))]
    full = [f["retrans"] for f in flows_of(json.load(open(a.full)))]
    if got != full[:a.n]:
        fail(f"/dpprobe/flows,{a.n} retrans {got}, the first {a.n} of all open: {full}")
    print(f"/dpprobe/flows,{a.n}: the {a.n} most retransmitting ({got})")


def cmd_none(a):
    closed = ports(a.closed)
    for f in flows_of(json.load(open(a.answer))):
        if port_of(f["server"]) in closed:
            fail(f"a closed flow answered as open: {f}")
    print("closed flows are not open flows")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ask")
    p.add_argument("prefix")
    p.add_argument("n", type=int)
    p.add_argument("out")
    p = sub.add_parser("compare")
    p.add_argument("answer")
    p.add_argument("capture")
    p.add_argument("--open", required=True)
    p.add_argument("--half-open", type=int, required=True)
    p.add_argument("--workers", type=int, required=True)
    p = sub.add_parser("top")
    p.add_argument("answer")
    p.add_argument("full")
    p.add_argument("n", type=int)
    p = sub.add_parser("records")
    p.add_argument("answer")
    p.add_argument("flows")
    p.add_argument("--open", required=True)
    p = sub.add_parser("none")
    p.add_argument("answer")
    p.add_argument("--closed", required=True)
    a = ap.parse_args()
    {"ask": cmd_ask, "compare": cmd_compare, "records": cmd_records, "top": cmd_top, "none": cmd_none}[a.cmd](a)


if __name__ == "__main__":
    main()
