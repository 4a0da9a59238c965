#!/usr/bin/env python3
"""Print a short human summary of a dpprobe run from its JSON Lines outputs.

    summary.py [--capture PCAP] STATS.jsonl [FLOWS.jsonl]

Reads the final stats snapshot (the last line with "final": true) and the
flow records; prints ports, queues, rings, drops, parse results and, when
flow records are given, outcomes, retransmissions, zero windows and the
slowest handshakes.
"""
import argparse
import collections
import json
import sys


def load_jsonl(path, want_type):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"summary: {path}:{n}: not JSON ({e})")
            if obj.get("type") == want_type:
                out.append(obj)
    return out


def ep(e):
    ip = e["ip"]
    return f"[{ip}]:{e['port']}" if ":" in ip else f"{ip}:{e['port']}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture")
    ap.add_argument("stats")
    ap.add_argument("flows", nargs="?")
    a = ap.parse_args()

    snaps = load_jsonl(a.stats, "stats")
    finals = [s for s in snaps if s.get("final")]
    if not finals:
        sys.exit(f"summary: {a.stats}: no final snapshot (did the probe stop cleanly?)")
    s = finals[-1]

    print("dpprobe summary" + (f" of {a.capture}" if a.capture else ""))
    print("Ports")
    for p in s["ports"]:
        print(f"  port {p['port']} {p['driver']}: {p['ipackets']} packets, {p['ibytes']} bytes;"
              f" missed {p['imissed']}, errors {p['ierrors']}, no mbuf {p['rx_nombuf']}")
        for q in p["queues"]:
            b = q["bursts"]
            occ = q["occupancy"]
            occ_s = (f"occupancy last {occ['last']} max {occ['max']} of {q['ring_size']}"
                     if occ["supported"] else "occupancy not reported by this PMD")
            busy = b["polls"] - b["empty"]
            print(f"    queue {q['queue']} on lcore {q['lcore']}: ring {q['ring_size']},"
                  f" {q['packets']} packets in {busy} non-empty polls,"
                  f" {b['full']} full bursts; {occ_s}")
    print("Rings")
    for r in s["rings"]:
        print(f"  {r['name']}: size {r['size']}, high-water {r['max']}, drops {r['enq_drops']}")
    pr = s["parse"]
    mal = pr.get("malformed", {})
    mal_s = ", ".join(f"{k} {v}" for k, v in sorted(mal.items())) or "none"
    print(f"Parse: {pr.get('packets', 0)} packets, {pr.get('tcp', 0)} TCP, {pr['non_ip']} non-IP,"
          f" {pr['non_tcp']} non-TCP, {pr['fragments']} fragments; malformed: {mal_s}")
    fl = s["flows"]
    drops = {
        "NIC missed": sum(p["imissed"] for p in s["ports"]),
        "mbuf exhaustion": sum(p["rx_nombuf"] for p in s["ports"]),
        "own rings": sum(r["enq_drops"] for r in s["rings"]),
        "flow table full": fl["table_full_drops"],
        "flow export": fl["export_drops"],
    }
    print("Drops: " + ", ".join(f"{k} {v}" for k, v in drops.items()))
    t = s["tcp"]
    print(f"TCP: {fl['created']} flows ({fl['evicted']} evicted); {t['syn']} SYN, {t['synack']} SYN-ACK,"
          f" {t['rst']} RST, {t['retrans']} retransmissions, {t['zero_window']} zero windows")

    if a.flows:
        flows = load_jsonl(a.flows, "flow")
        outcomes = collections.Counter(f["outcome"] for f in flows)
        print(f"Flows: {len(flows)} records: " +
              ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
        for kind in ("refused", "syn_timeout", "reset"):
            for f in [f for f in flows if f["outcome"] == kind][:3]:
                extra = f" by {f['rst_by']}" if f.get("rst_by") else ""
                print(f"  {kind}{extra}: {ep(f['client'])} -> {ep(f['server'])}"
                      f" (SYNs {f['handshake']['syn']})")
        rt = [f for f in flows if f["c2s"]["retrans"] + f["s2c"]["retrans"] > 0]
        for f in sorted(rt, key=lambda f: -(f["c2s"]["retrans"] + f["s2c"]["retrans"]))[:3]:
            print(f"  retransmits: {ep(f['client'])} -> {ep(f['server'])}:"
                  f" c2s {f['c2s']['retrans']} (+{f['c2s']['out_of_order']} out of order),"
                  f" s2c {f['s2c']['retrans']} (+{f['s2c']['out_of_order']} out of order)")
        zw = [f for f in flows if f["c2s"]["zero_window"] + f["s2c"]["zero_window"] > 0]
        for f in zw[:3]:
            print(f"  zero window: {ep(f['client'])} -> {ep(f['server'])}:"
                  f" c2s {f['c2s']['zero_window']}, s2c {f['s2c']['zero_window']}")
        hs = [f for f in flows if f["handshake"]["syn_to_synack_us"] is not None]
        hs.sort(key=lambda f: -f["handshake"]["syn_to_synack_us"])
        if hs:
            print("  slowest handshakes (SYN -> SYN-ACK, SYN-ACK -> ACK):")
        for f in hs[:3]:
            h = f["handshake"]
            ack = "-" if h["synack_to_ack_us"] is None else f"{h['synack_to_ack_us']:.1f} us"
            print(f"    {ep(f['client'])} -> {ep(f['server'])}: {h['syn_to_synack_us']:.1f} us, {ack}")
        print(f"Outputs: {a.flows} ({len(flows)} flow records), {a.stats} ({len(snaps)} snapshots)")
    else:
        print(f"Outputs: {a.stats} ({len(snaps)} snapshots)")


if __name__ == "__main__":
    main()
