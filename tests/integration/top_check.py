#!/usr/bin/env python3
"""top_check.py PANE.txt STATS.jsonl: what scripts/top shows is the snapshot's.

The pane says which snapshot it shows (its ts); the numbers expected are
computed here from that snapshot and the one before it in the file, and each
must appear on the screen as top formats it. The screen must fit 80x24 and
show a live rate (the probe is running). Exit 1 on any difference.
"""
import json
import re
import sys


def main():
    pane = open(sys.argv[1], encoding="utf-8").read()
    lines = pane.rstrip("\n").split("\n")
    snaps = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
    snaps = [s for s in snaps if s.get("type") == "stats"]
    errors = []
    if len(lines) > 24 or any(len(l) > 80 for l in lines):
        errors.append(f"the view does not fit 80x24: {len(lines)} lines, widest {max(map(len, lines))}")
    m = re.search(r"snapshot (\d+\.\d{3})  dt (\d+\.\d\d) s", pane)
    if not m:
        sys.exit(f"top_check: FAIL: no snapshot time on the screen:\n{pane}")
    idx = [i for i, s in enumerate(snaps) if f"{s['ts']:.3f}" == m.group(1)]
    if not idx or idx[0] == 0:
        sys.exit(f"top_check: FAIL: snapshot {m.group(1)} not in the file after another one")
    cur, prev = snaps[idx[0]], snaps[idx[0] - 1]
    dt = cur["ts"] - prev["ts"]

    def want(text, what):
        if text not in pane:
            errors.append(f"{what}: expected {text!r}")

    def want_cell(label, r, total):
        if not re.search(rf"(^|\| ){re.escape(label)}\s+{re.escape(f'{r:.1f}')}\s+{total}( |$)",
                         pane, re.M):
            errors.append(f"{label}: expected {r:.1f}/s, total {total}")

    want(f"dt {dt:.2f} s", "interval")
    p, pp = cur["ports"][0], prev["ports"][0]
    pps = (p["ipackets"] - pp["ipackets"]) / dt
    if pps <= 0:
        errors.append("the probe received nothing between the two snapshots: nothing to check")
    want(f"port 0 {p['driver']}: {pps / 1e6:.3f} Mpps ({pps:.0f}/s)", "port rate")
    want(f"total {p['ipackets']}", "port total")
    q, pq = p["queues"][0], pp["queues"][0]
    qpps = (q["packets"] - pq["packets"]) / dt
    ne = (q["bursts"]["polls"] - q["bursts"]["empty"]) - (pq["bursts"]["polls"] - pq["bursts"]["empty"])
    avg = (q["packets"] - pq["packets"]) / ne if ne else 0.0
    full = 100.0 * (q["bursts"]["full"] - pq["bursts"]["full"]) / ne if ne else 0.0
    want(f"q0 lcore {q['lcore']}: {qpps / 1e6:.3f} Mpps", "queue rate")
    want(f"burst {avg:.1f}/{len(q['bursts']['hist']) - 1} full {full:.1f}%", "burst fullness")
    drops = {
        "missed": lambda s: sum(x["imissed"] for x in s["ports"]),
        "nombuf": lambda s: sum(x["rx_nombuf"] for x in s["ports"]),
        "rx_err": lambda s: sum(x["ierrors"] for x in s["ports"]),
        "rings": lambda s: sum(r["enq_drops"] for r in s["rings"]),
        "table": lambda s: s["flows"]["table_full_drops"],
        "export": lambda s: s["flows"]["export_drops"],
        "malformed": lambda s: sum(s["parse"].get("malformed", {}).values()),
    }
    for label, f in drops.items():
        want_cell(label, (f(cur) - f(prev)) / dt, f(cur))
    for lc in cur["lcores"]:
        want(f"{lc['lcore']} {lc['role']} {lc['busy_pct']:.1f}%", "lcore busy")
    fl, pf = cur["flows"], prev["flows"]
    want(f"flows active {fl['active']}  new/s {(fl['created'] - pf['created']) / dt:.1f}"
         f"  ended/s {(fl['ended'] - pf['ended']) / dt:.1f}", "flows")
    for key, label in (("completed", "completed"), ("refused", "refused"),
                       ("syn_timeout", "timedout"), ("reset", "reset"), ("retrans", "retrans"),
                       ("zero_window", "zerowin")):
        want_cell(label, (cur["tcp"][key] - prev["tcp"][key]) / dt, cur["tcp"][key])
    for r in cur["rings"]:
        want(f"ring {r['name']}: {r['count']}/{r['size']} high-water {r['max']}", "ring fill")
    fail_classes = ["refused", "timed_out", "reset", "stalled"]
    for sv in cur.get("services") or []:
        cls = sv.get("class", {})
        if sum(cls.get(c, 0) for c in fail_classes):
            ip = f"[{sv['server']['ip']}]" if ":" in sv["server"]["ip"] else sv["server"]["ip"]
            want(f"{ip}:{sv['server']['port']} flows {sv['flows']} "
                 + " ".join(f"{c} {cls[c]}" for c in fail_classes if cls.get(c)), "failing service")
    if errors:
        print("top_check: FAIL:\n  " + "\n  ".join(errors) + "\n--- screen:\n" + pane,
              file=sys.stderr)
        sys.exit(1)
    print(f"top_check: the screen shows snapshot {m.group(1)}: {pps / 1e6:.3f} Mpps,"
          f" every number as computed from the file")


if __name__ == "__main__":
    main()
