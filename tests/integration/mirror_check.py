#!/usr/bin/env python3
"""Checks for it_mirror.sh (stdlib only).

    mirror_check.py flows LIVE.jsonl REF.jsonl [--expect outcome=N,...] [--expect-class class=N,...]
        The probe's records from the live mirror port (LIVE) equal those of the
        same probe on tcpdump's capture of that mirror through net_pcap (REF):
        the same flows (by 4-tuple, in first_ts order), and in each the fields
        that do not depend on when a packet was stamped. Packet times differ
        by design (the live PMDs stamp packets with the probe's clock when
        they are polled, the capture with the kernel's when they were
        copied), so first_ts/last_ts, the handshake intervals, and the split
        of retransmissions into retrans and out_of_order (a timing rule) are
        not compared; their sum is.
    mirror_check.py loss STATS OFFERED PMD
        Overload accounting. OFFERED is the kernel's count of frames that
        reached the probe's interface. OFFERED minus the probe's ipackets must
        be accounted for by a drop counter of the final snapshot. Prints the
        figures. af_packet's and net_tap's kernel drops are read by no counter
        in DPDK 22.11: unless the snapshot carries a capture-loss counter (a
        key containing "capture_loss"), their loss is shown, not failed.
"""
import argparse
import collections
import os
import sys

# The JSON Lines reader every integration check uses (a bad line fails there).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import lines  # noqa: E402

DIR_FIELDS = ["packets", "payload_bytes", "zero_window", "rst", "fin", "win_max", "wscale",
              "mss", "sack_ok"]
FIELDS = (["outcome", "rst_by", "handshake.syn", "handshake.synack"]
          + [d + "." + f for d in ("c2s", "s2c") for f in DIR_FIELDS])
# Diagnosis fields that come from the packets themselves, not their times.
DIAG_FIELDS = ["class", "cause", "syn_retrans", "synack_retrans", "history"]


def fail(msg):
    print("mirror_check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def get(o, dotted):
    for part in dotted.split("."):
        if not isinstance(o, dict) or part not in o:
            return "<missing>"
        o = o[part]
    return o


def key(r):
    return (r["client"]["ip"], r["client"]["port"], r["server"]["ip"], r["server"]["port"])


def view(r):
    v = {f: get(r, f) for f in FIELDS}
    for d in ("c2s", "s2c"):
        v[d + ".retrans+out_of_order"] = r[d]["retrans"] + r[d]["out_of_order"]
    if "diagnosis" in r:
        for f in DIAG_FIELDS:
            v["diagnosis." + f] = get(r["diagnosis"], f)
    return v


def cmd_flows(a):
    live, ref = lines(a.live, "flow"), lines(a.ref, "flow")
    groups = collections.defaultdict(lambda: ([], []))
    for r in live:
        groups[key(r)][0].append(r)
    for r in ref:
        groups[key(r)][1].append(r)
    bad = 0
    for k, (lv, rf) in sorted(groups.items(), key=lambda kv: str(kv[0])):
        lv.sort(key=lambda r: r["first_ts"])
        rf.sort(key=lambda r: r["first_ts"])
        if len(lv) != len(rf):
            print(f"  {k}: {len(lv)} live records, {len(rf)} from the capture", file=sys.stderr)
            bad += 1
            continue
        for x, y in zip(lv, rf):
            vx, vy = view(x), view(y)
            diff = {f: (vx[f], vy.get(f, "<missing>")) for f in vx if vx[f] != vy.get(f)}
            # Seen under load: a live zero-window flow once counted one
            # retransmission more than its capture (2 vs 1; the same 599 frames
            # on both sides). Not proven, but a likely cause: veth queues a frame
            # on the sending CPU's backlog, so frames the mirror sends from two
            # CPUs can reach the probe in another order than tcpdump saw them
            # leave, and an overtaken segment counts once more. A difference of
            # one is shown, not failed.
            for f in [f for f in diff if f.endswith("retrans+out_of_order")]:
                if isinstance(diff[f][1], int) and abs(diff[f][0] - diff[f][1]) <= 1:
                    print(f"  {k}: {f} live {diff[f][0]}, capture {diff[f][1]} (allowed: 1)",
                          file=sys.stderr)
                    del diff[f]
            if diff:
                print(f"  {k}: live != capture: {diff}", file=sys.stderr)
                bad += 1
    if bad:
        fail(f"{bad} flows differ between the live mirror and its capture")
    outcomes = collections.Counter(r["outcome"] for r in live)
    if a.expect:
        want = {k: int(v) for k, v in (kv.split("=") for kv in a.expect.split(","))}
        if dict(outcomes) != want:
            fail(f"outcomes {dict(outcomes)}, expected {want}")
    diag = "no diagnosis on this build"
    if live and "diagnosis" in live[0]:
        classes = collections.Counter((r["diagnosis"]["class"], r["diagnosis"]["cause"])
                                      for r in live)
        diag = "diagnosis " + ", ".join(f"{c}/{k} {n}" for (c, k), n in sorted(
            classes.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))))
        if a.expect_class:
            want = {k: int(v) for k, v in (kv.split("=") for kv in a.expect_class.split(","))}
            got = collections.Counter(r["diagnosis"]["class"] for r in live)
            if dict(got) != want:
                fail(f"diagnosis classes {dict(got)}, expected {want}")
    print(f"same {len(live)} flows live and from the capture ({diag}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


def find_keys(o, word, path=""):
    """(dotted path, value) of every numeric leaf whose dotted path contains word."""
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            p = f"{path}.{k}" if path else k
            if word in p and isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append((p, v))
            else:
                out += find_keys(v, word, p)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            out += find_keys(v, word, f"{path}.{i}")
    return out


# PMDs whose kernel-side drops DPDK 22.11 does not read, and where they happen.
GAPS = {
    "af_packet": "in the kernel's packet ring (DPDK 22.11's af_packet does not read"
                 " PACKET_STATISTICS)",
    "tap": "in the kernel, on the tap device's queue (net_tap reads no kernel drop counter)",
    "af_xdp-rxd1024": "in the kernel's XSK RX ring (rx_ring_full: a ring smaller than the"
                      " PMD's 2048 fill buffers overflows first, and DPDK 22.11 reads only"
                      " rx_dropped)",
}


def cmd_loss(a):
    snaps = lines(a.stats, "stats")
    if not snaps or not snaps[-1].get("final"):
        fail(f"{a.stats}: no final snapshot")
    s = snaps[-1]
    p = s["ports"][0]
    got, imissed, nombuf = p["ipackets"], p["imissed"], p["rx_nombuf"]
    ring_drops = sum(r["enq_drops"] for r in s["rings"])
    lost = a.offered - got
    print(f"{a.pmd} overload: {a.offered} frames offered to the probe's interface (kernel),"
          f" {got} received (ipackets), {lost} lost; imissed {imissed}, rx_nombuf {nombuf},"
          f" ring enq_drops {ring_drops}")
    if lost < 0:
        fail(f"the probe received {got} frames, more than the {a.offered} the kernel offered")
    if lost == 0:
        fail("no frame was lost: the overload did not overload (the test proves nothing)")
    if a.pmd in GAPS:
        if imissed == lost:
            print(f"{a.pmd}: every lost frame is counted in imissed now (the known gap closed)")
            return
        loss = find_keys(s, "capture_loss")
        if not loss:
            print(f"KNOWN GAP: {a.pmd} lost {lost} of {a.offered} frames {GAPS[a.pmd]} and no"
                  f" counter of the probe shows it (imissed {imissed}). Issue 10 item 7:"
                  f" a TCP-inferred capture-loss counter.")
            return
        if not any(v > 0 for _, v in loss):
            fail(f"{a.pmd} lost {lost} frames, capture-loss counters all zero: {loss}")
        print(f"{a.pmd}: capture-loss counters saw the loss: {loss}")
        return
    # A failed fill-ring refill leaves the frames in the RX ring (rx_nombuf
    # counts the attempts, not lost frames), so only imissed must match exactly
    # when no refill failed.
    if nombuf == 0 and imissed != lost:
        fail(f"{lost} frames lost, imissed says {imissed}: {lost - imissed} lost silently")
    if nombuf and not imissed <= lost <= imissed + nombuf:
        fail(f"{lost} frames lost, not within imissed {imissed} .. + rx_nombuf {nombuf}")
    print(f"{a.pmd}: every lost frame is counted (imissed {imissed} == offered - received)")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("flows")
    f.add_argument("live")
    f.add_argument("ref")
    f.add_argument("--expect")
    f.add_argument("--expect-class", help="diagnosis class counts, checked when records have them")
    lo = sub.add_parser("loss")
    lo.add_argument("stats")
    lo.add_argument("offered", type=int)
    lo.add_argument("pmd", choices=["af_packet", "af_xdp", "tap"] + list(GAPS))
    a = ap.parse_args()
    cmd_flows(a) if a.cmd == "flows" else cmd_loss(a)


if __name__ == "__main__":
    main()
