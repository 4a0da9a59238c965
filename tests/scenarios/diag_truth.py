#!/usr/bin/python3
"""Assemble a diagnosis scenario's ground truth (diag_scenarios.sh).

    diag_truth.py build OUT.truth.json --scenario NAME [--run NAME:ARG,ARG... ...]
                  [--nstat SIDE BEFORE AFTER ...] [--nft SIDE FILE ...]
                  [--peers DIR] [--note KEY=VALUE ...]

The truth file holds what the applications saw (every peer's --result file:
per connection the errno of each call, how long it blocked, bytes written and
read, the local port, TCP_INFO) and what the kernels counted (`nstat -az` in
each namespace before and after, the counters of the scenario's nft rules),
plus the dpprobe runs the scenario's rules need (`probe_runs`: a name and
the options, e.g. `--idle-reset-threshold 1`). Nothing in
it comes from dpprobe.
"""
import argparse
import glob
import json
import os
import sys

# The counters the checker reads; every counter that changed is kept as well.
NAMED = [
    "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPSynRetrans",
    "TcpExtTCPTimeouts", "TcpExtTCPAbortOnData", "TcpExtTCPAbortOnClose",
    "TcpExtTCPAbortOnTimeout", "TcpOutRsts", "TcpRetransSegs", "TcpExtTW",
    "TcpExtTWRecycled", "TcpExtTCPTimeWaitOverflow", "TcpExtEmbryonicRsts",
    "TcpExtTCPReqQFullDoCookies", "TcpExtSyncookiesSent", "TcpExtSyncookiesRecv",
    "TcpExtTCPDeferAcceptDrop", "TcpExtTCPToZeroWindowAdv", "TcpExtTCPFromZeroWindowAdv",
    "TcpExtTCPWantZeroWindowAdv", "TcpExtTCPLossProbes", "TcpAttemptFails",
    "TcpActiveOpens", "TcpPassiveOpens", "TcpEstabResets", "TcpExtTCPChallengeACK",
]


def load_nstat(path):
    with open(path) as f:
        return json.load(f)["kernel"]


def nft_counters(path):
    """{comment: packets} for every nft rule with a comment and a counter."""
    with open(path) as f:
        rs = json.load(f)["nftables"]
    out = {}
    for item in rs:
        rule = item.get("rule")
        if not rule or "comment" not in rule:
            continue
        for e in rule.get("expr", []):
            if "counter" in e:
                out[rule["comment"]] = {"packets": e["counter"]["packets"],
                                        "bytes": e["counter"]["bytes"]}
    return out


def build(a):
    runs = []
    for r in a.run or ["default:"]:
        name, _, args = r.partition(":")
        runs.append({"name": name, "args": [x for x in args.split(",") if x]})
    truth = {"scenario": a.scenario, "probe_runs": runs,
             "nstat": {}, "nft": {}, "peers": {}, "notes": {}}
    for side, before, after in a.nstat or []:
        b, f = load_nstat(before), load_nstat(after)
        delta = {k: f[k] - b.get(k, 0) for k in f if f[k] != b.get(k, 0)}
        truth["nstat"][side] = {
            "before": {k: b.get(k) for k in NAMED},
            "after": {k: f.get(k) for k in NAMED},
            "delta": {**{k: f.get(k, 0) - b.get(k, 0) for k in NAMED}, **delta},
        }
    for side, path in a.nft or []:
        truth["nft"][side] = nft_counters(path)
    if a.peers:
        for p in sorted(glob.glob(os.path.join(a.peers, "*.json"))):
            with open(p) as f:
                peer = json.load(f)
            truth["peers"]["%s:%s" % (peer["role"], peer["label"])] = peer
    for kv in a.note or []:
        k, _, v = kv.partition("=")
        try:
            truth["notes"][k] = json.loads(v)
        except json.JSONDecodeError:
            truth["notes"][k] = v
    with open(a.out + ".tmp", "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    os.rename(a.out + ".tmp", a.out)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out")
    b.add_argument("--scenario", required=True)
    b.add_argument("--run", action="append", help="NAME:ARG,ARG...: one dpprobe run")
    b.add_argument("--nstat", nargs=3, action="append", metavar=("SIDE", "BEFORE", "AFTER"))
    b.add_argument("--nft", nargs=2, action="append", metavar=("SIDE", "FILE"))
    b.add_argument("--peers")
    b.add_argument("--note", action="append")
    a = p.parse_args()
    build(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
