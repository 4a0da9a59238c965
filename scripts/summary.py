#!/usr/bin/env python3
"""Print a short human summary of a dpprobe run from its JSON Lines outputs.

    summary.py [--capture PCAP] STATS.jsonl [FLOWS.jsonl]

Reads the final stats snapshot (the last line with "final": true) and the
flow records. The answer comes first: each service (server ip:port) with its
failures in plain words, from the flow records' diagnosis (or, without flow
records, the snapshot's services), then the longest stalls, then the slowest
handshakes; then the data path: ports, queues, rings, drops, parse results,
outcomes, retransmissions, zero windows.
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


# What each diagnosis (class, cause) means, in the words of the debugging table.
PHRASES = {
    ("refused", None): "refused: SYN answered by RST (nothing listening, or a firewall rejecting)",
    ("timed_out", "no_answer"): "timed out: SYNs never answered (host or port unreachable, a "
                                "firewall dropping, or a full SYN queue)",
    ("timed_out", "synack_lost"): "timed out although the server answered: its SYN-ACK was "
                                  "lost on the way back, or the client gave up",
    ("reset", "accept_queue_overflow"): "reset by the server before it accepted them (accept "
                                        "queue overflow: listen backlog full)",
    ("reset", "idle_timeout"): "reset after sitting idle (a proxy or load balancer idle timeout)",
    ("reset", "data_after_close"): "reset after one side closed and the other kept writing "
                                   "(EPIPE / ECONNRESET)",
    ("reset", "abort"): "aborted with an RST (application abort or protocol error)",
    ("reset", None): "reset",
    ("stalled", "accept_queue_overflow"): "stalled in the handshake: the server dropped the "
                                          "client's ACK and resent its SYN-ACK (accept queue "
                                          "full, tcp_abort_on_overflow=0)",
    ("stalled", "zero_window"): "stalled on a zero window (the receiver stopped reading)",
    ("stalled", "retransmission_timeout"): "stalled on retransmission timeouts (loss)",
    ("stalled", "no_progress"): "stalled with no progress",
    ("ok", "accept_queue_overflow"): "completed, but the server dropped the handshake ACK "
                                     "first (accept queue full)",
    ("ok", "syn_retransmitted"): "connected only after SYN retransmissions (loss, or a full "
                                 "SYN or accept queue)",
}
FAIL_ORDER = ["refused", "timed_out", "reset", "stalled", "ok"]


def fmt_us(us):
    if us is None:
        return "-"
    return f"{us / 1e6:.2f} s" if us >= 1e6 else f"{us / 1e3:.1f} ms" if us >= 1e3 else f"{us:.0f} us"


def diagnosis_lines(flows):
    """Per service, its failures in plain words; then stalls; then slow handshakes."""
    out = []
    diag = [f for f in flows if isinstance(f.get("diagnosis"), dict)]
    if not diag:
        return slowest_handshakes(flows)
    by_service = collections.defaultdict(list)
    for f in diag:
        by_service[ep(f["server"])].append(f)

    def failures(recs):
        return sum(1 for f in recs if f["diagnosis"]["class"] not in ("ok", "unknown"))

    services = sorted(by_service.items(), key=lambda kv: (-failures(kv[1]), -len(kv[1]), kv[0]))
    bad = [(svc, recs) for svc, recs in services
           if any((f["diagnosis"]["class"], f["diagnosis"]["cause"]) in PHRASES for f in recs)]
    out.append("Services" + ("" if bad else ": no failed or stalled connections"))
    for svc, recs in bad[:10]:
        n = len(recs)
        counts = collections.Counter((f["diagnosis"]["class"], f["diagnosis"]["cause"])
                                     for f in recs)
        for (cls, cause), k in sorted(counts.items(),
                                      key=lambda kv: (FAIL_ORDER.index(kv[0][0])
                                                      if kv[0][0] in FAIL_ORDER else 9, -kv[1])):
            phrase = PHRASES.get((cls, cause)) or PHRASES.get((cls, None))
            if phrase is None:
                continue
            by = collections.Counter(f.get("rst_by") for f in recs
                                     if (f["diagnosis"]["class"], f["diagnosis"]["cause"])
                                     == (cls, cause) and f.get("rst_by"))
            who = f" (RST from the {by.most_common(1)[0][0]})" if cls == "reset" and by else ""
            out.append(f"  {svc}: {k} of {n} connections {phrase}{who}")
    if len(bad) > 10:
        out.append(f"  ... and {len(bad) - 10} more services with failures")

    # Stalls that made a connection "stalled" (at least --stall-threshold), longest first.
    stalls = [f for f in diag if f["diagnosis"].get("longest_stall_us")
              and f["diagnosis"]["class"] == "stalled"]
    stalls.sort(key=lambda f: -f["diagnosis"]["longest_stall_us"])
    out.append("Stalls" + ("" if stalls else ": none over --stall-threshold"))
    for f in stalls[:3]:
        d = f["diagnosis"]
        out.append(f"  {ep(f['client'])} -> {ep(f['server'])}: {fmt_us(d['longest_stall_us'])}"
                   f" ({d.get('stall_dir')}), {d['class']}" +
                   (f" / {d['cause']}" if d.get("cause") else ""))
    return out + slowest_handshakes(flows)


def slowest_handshakes(flows):
    out = []
    hs = [f for f in flows if f["handshake"]["syn_to_synack_us"] is not None]
    hs.sort(key=lambda f: -f["handshake"]["syn_to_synack_us"])
    if hs:
        out.append("Slowest handshakes (SYN -> SYN-ACK, SYN-ACK -> ACK)")
    for f in hs[:3]:
        h = f["handshake"]
        out.append(f"  {ep(f['client'])} -> {ep(f['server'])}: {fmt_us(h['syn_to_synack_us'])},"
                   f" {fmt_us(h['synack_to_ack_us'])}")
    return out


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
    flows = load_jsonl(a.flows, "flow") if a.flows else []
    if flows:
        for line in diagnosis_lines(flows):
            print(line)
    elif s.get("services"):
        print("Services")
        for sv in s["services"][:10]:
            bad = {k: v for k, v in sv.get("class", {}).items() if k not in ("ok", "unknown") and v}
            causes = ", ".join(f"{k} {v}" for k, v in sorted(sv.get("cause", {}).items()) if v)
            print(f"  {ep(sv['server'])}: {sv['flows']} connections; " +
                  (", ".join(f"{k} {v}" for k, v in sorted(bad.items())) or "no failures") +
                  (f" (causes: {causes})" if causes else ""))
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
        print(f"Outputs: {a.flows} ({len(flows)} flow records), {a.stats} ({len(snaps)} snapshots)")
    else:
        print(f"Outputs: {a.stats} ({len(snaps)} snapshots)")


if __name__ == "__main__":
    main()
