#!/usr/bin/env python3
"""Helpers for scripts/bench: parse one run's output into a JSON line, and
turn all the runs (raw.jsonl) into results.csv and results.md.

  report.py testpmd LOG                 -> {"mpps": ..., "samples": n}
  report.py dpprobe STATS.jsonl         -> {"mpps": ..., "created": ..., ...}
  report.py summarize RAW.jsonl MACHINE.json OUTDIR
"""

import csv
import json
import re
import statistics
import sys


def parse_testpmd(path):
    """Median Rx-pps of the periodic displays after the first one (testpmd
    prints the first once the file is loaded, with a rate of 0; each later
    one is the rate since the previous display)."""
    text = open(path, errors="replace").read()
    pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", text)]
    steady = [p for p in pps[1:] if p > 0]
    total = re.findall(r"Accumulated forward statistics.*?RX-packets:\s+(\d+)", text, re.S)
    return {
        "mpps": statistics.median(steady) / 1e6 if steady else None,
        "samples": len(steady),
        "rx_total": int(total[-1]) if total else None,
    }


def parse_dpprobe(path):
    """Port rate between the second and the last periodic snapshot (the first
    second loads the table), and the final snapshot's counters."""
    snaps = [json.loads(line) for line in open(path) if line.strip()]
    periodic = [s for s in snaps if not s.get("final")]
    final = next((s for s in snaps if s.get("final")), snaps[-1] if snaps else None)
    out = {"mpps": None, "samples": 0}
    use = periodic[1:] if len(periodic) >= 3 else periodic
    if len(use) >= 2:
        a, b = use[0], use[-1]
        dp = sum(p["ipackets"] for p in b["ports"]) - sum(p["ipackets"] for p in a["ports"])
        dt = b["ts"] - a["ts"]
        if dt > 0:
            out["mpps"] = dp / dt / 1e6
            out["samples"] = len(use) - 1
    if final:
        port = final["ports"][0]
        out.update(
            ipackets=port["ipackets"],
            rx_nombuf=port["rx_nombuf"],
            ierrors=port["ierrors"],
            created=final["flows"]["created"],
            evicted=final["flows"]["evicted"],
            table_full_drops=final["flows"]["table_full_drops"],
            export_drops=final["flows"]["export_drops"],
            completed=final["tcp"]["completed"],
            syn_timeout=final["tcp"]["syn_timeout"],
            tcp=final["parse"]["tcp"],
            busy_pct=[l["busy_pct"] for l in final["lcores"] if l["role"] == "worker"],
        )
    return out


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=2):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def human(n):
    for div, suf in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suf}"
    return str(n)


def summarize(raw_path, machine_path, outdir):
    runs = [json.loads(line) for line in open(raw_path) if line.strip()]
    machine = json.load(open(machine_path))
    tsc_hz = machine["tsc_hz"]
    groups = {}
    for r in runs:
        key = (r["section"], r["capture"], r.get("mem", ""), r["tool"])
        groups.setdefault(key, []).append(r)

    def caps():
        seen = []
        for r in runs:
            c = (r["capture"], r["flows"], r["packets"], r.get("kind", ""))
            if c not in seen:
                seen.append(c)
        return seen

    rows = []  # CSV rows
    md = []
    md.append("# dpprobe benchmark\n")
    md.append(f"- date: {machine['date']}")
    md.append(f"- CPU: {machine['cpu']}, {machine['cpus']} CPUs, TSC {tsc_hz / 1e9:.3f} GHz")
    md.append(f"- memory: {machine['mem']}; kernel {machine['kernel']}; {machine['os']}")
    md.append(f"- DPDK {machine['dpdk']}; hugepages: {machine['hugepages']}")
    md.append(f"- dpprobe {machine['commit']}; runs per figure: {machine['runs']} (median); "
              f"replay duration {machine['seconds']} s")
    md.append(f"- peers: {machine['peers']}")
    md.append("")

    md.append("## Replay rate (net_pcap infinite_rx, one worker lcore)\n")
    md.append("Mpps is the steady rate on the port (testpmd: its Rx-pps; dpprobe: ipackets "
              "between stats snapshots); ns and cycles (TSC) per packet are dpprobe's. "
              "Peak RSS excludes hugepages; without hugepages it includes the mbuf pool "
              "that holds the whole capture.\n")
    md.append("| capture | flows | packets | memory | testpmd Mpps | dpprobe Mpps | dpprobe/testpmd "
              "| ns/pkt | cycles/pkt | dpprobe peak RSS MB | table B/flow | checks |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cap, flows, packets, kind in caps():
        for mem in ("nohuge", "huge"):
            tp = groups.get(("replay", cap, mem, "testpmd"), [])
            dp = groups.get(("replay", cap, mem, "dpprobe"), [])
            if not tp and not dp:
                continue
            skipped = [r.get("skipped") for r in tp + dp if r.get("skipped")]
            tp_mpps = med([r.get("mpps") for r in tp])
            dp_mpps = med([r.get("mpps") for r in dp])
            ratio = dp_mpps / tp_mpps if tp_mpps and dp_mpps else None
            ns = 1e3 / dp_mpps if dp_mpps else None
            cyc = tsc_hz / (dp_mpps * 1e6) if dp_mpps else None
            rss = med([r.get("peak_rss_kb") for r in dp])
            rss_mb = rss / 1024 if rss else None
            table_bpf = dp[0].get("table_bytes_per_flow") if dp else None
            checks = []
            if dp:
                last = dp[-1]
                checks.append(f"created {last.get('created')}")
                for k in ("rx_nombuf", "evicted", "table_full_drops", "export_drops"):
                    if last.get(k):
                        checks.append(f"{k} {last.get(k)}")
                fails = [r for r in dp if r.get("rc") not in (0, None)]
                if fails:
                    checks.append(f"{len(fails)} run(s) exit {fails[0].get('rc')}")
            if skipped:
                checks = [skipped[0]]
            md.append(f"| {cap} | {human(flows)} | {packets} | {mem} | {fmt(tp_mpps)} | "
                      f"{fmt(dp_mpps)} | {fmt(ratio)} | {fmt(ns, 1)} | {fmt(cyc, 0)} | "
                      f"{fmt(rss_mb, 0)} | {fmt(table_bpf, 0)} | {'; '.join(checks)} |")
            for tool, g, mpps in (("testpmd", tp, tp_mpps), ("dpprobe", dp, dp_mpps)):
                if not g:
                    continue
                vals = [r.get("mpps") for r in g if r.get("mpps") is not None]
                rows.append({
                    "section": "replay", "capture": cap, "flows": flows, "packets": packets,
                    "memory": mem, "tool": tool, "runs": len(vals),
                    "mpps_median": mpps, "mpps_min": min(vals) if vals else None,
                    "mpps_max": max(vals) if vals else None,
                    "ns_per_pkt": 1e3 / mpps if mpps else None,
                    "cycles_per_pkt": tsc_hz / (mpps * 1e6) if mpps else None,
                    "ratio_to_testpmd": (mpps / tp_mpps) if (mpps and tp_mpps) else None,
                    "wall_s": None,
                    "peak_rss_mb": (med([r.get("peak_rss_kb") for r in g]) or 0) / 1024 or None,
                    "rss_bytes_per_flow": None,
                    "table_bytes_per_flow": table_bpf if tool == "dpprobe" else None,
                    "note": "; ".join(skipped[:1]) or
                            ("; ".join(checks) if tool == "dpprobe" else ""),
                })
    md.append("")

    md.append("## Offline analysis of the finite capture (process start to exit)\n")
    md.append("Wall time is the median; rate = packets / wall time. dpprobe reads the file "
              "through net_pcap (no hugepages, flows to /dev/null); argus `-r F -w /dev/null`; "
              "tcptrace `-n F`; tshark `-r F -q -z conv,tcp` (TCP analysis on). "
              "RSS/flow = peak RSS / flows.\n")
    md.append("| capture | flows | packets | tool | wall s | Mpps | time vs dpprobe | "
              "peak RSS MB | RSS B/flow | checks |")
    md.append("|---|---|---|---|---|---|---|---|---|---|")
    for cap, flows, packets, kind in caps():
        dp_wall = med([r.get("wall_s") for r in groups.get(("offline", cap, "", "dpprobe"), [])])
        for tool in ("dpprobe", "argus", "tcptrace", "tshark"):
            g = groups.get(("offline", cap, "", tool), [])
            if not g:
                continue
            skipped = next((r["skipped"] for r in g if r.get("skipped")), None)
            wall = med([r.get("wall_s") for r in g])
            rss = med([r.get("peak_rss_kb") for r in g])
            mpps = packets / wall / 1e6 if wall else None
            speed = wall / dp_wall if (wall and dp_wall) else None
            rss_mb = rss / 1024 if rss else None
            bpf = rss * 1024 / flows if rss else None
            checks = []
            if skipped:
                checks.append(skipped)
            fails = [r for r in g if r.get("rc") not in (0, None) and not r.get("skipped")]
            if fails:
                checks.append(f"{len(fails)} run(s) exit {fails[0].get('rc')}")
            if tool == "dpprobe" and g and not skipped:
                last = g[-1]
                expect = last.get("expect_completed")
                checks.append(f"completed {last.get('completed')}"
                              + (f"/{expect}" if expect is not None else ""))
                for k in ("evicted", "table_full_drops", "export_drops"):
                    if last.get(k):
                        checks.append(f"{k} {last.get(k)}")
            md.append(f"| {cap} | {human(flows)} | {packets} | {tool} | {fmt(wall)} | "
                      f"{fmt(mpps, 3)} | {fmt(speed, 1) + 'x' if speed else 'n/a'} | "
                      f"{fmt(rss_mb, 0)} | {fmt(bpf, 0)} | {'; '.join(checks)} |")
            rows.append({
                "section": "offline", "capture": cap, "flows": flows, "packets": packets,
                "memory": "nohuge" if tool == "dpprobe" else "", "tool": tool,
                "runs": len([r for r in g if r.get("wall_s") is not None]),
                "mpps_median": mpps, "mpps_min": None, "mpps_max": None,
                "ns_per_pkt": wall * 1e9 / packets if wall else None,
                "cycles_per_pkt": None, "ratio_to_testpmd": None,
                "wall_s": wall, "peak_rss_mb": rss_mb, "rss_bytes_per_flow": bpf,
                "table_bytes_per_flow": g[0].get("table_bytes_per_flow"),
                "note": "; ".join(checks),
            })
    md.append("")
    notes = machine.get("notes") or []
    if notes:
        md.append("Notes:\n")
        md.extend(f"- {n}" for n in notes)
        md.append("")

    with open(f"{outdir}/results.md", "w") as f:
        f.write("\n".join(md))
    fields = ["section", "capture", "flows", "packets", "memory", "tool", "runs", "mpps_median",
              "mpps_min", "mpps_max", "ns_per_pkt", "cycles_per_pkt", "ratio_to_testpmd",
              "wall_s", "peak_rss_mb", "rss_bytes_per_flow", "table_bytes_per_flow", "note"]
    with open(f"{outdir}/results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "testpmd":
        print(json.dumps(parse_testpmd(sys.argv[2])))
    elif len(sys.argv) == 3 and sys.argv[1] == "dpprobe":
        print(json.dumps(parse_dpprobe(sys.argv[2])))
    elif len(sys.argv) == 5 and sys.argv[1] == "summarize":
        summarize(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
