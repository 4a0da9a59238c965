"""What-if from a real capture: its timestamps are the arrival process; with a
probe's per-packet service time, the ring-sizing model answers "what ring size,
at what probe speed, would this traffic have needed?".

    /usr/bin/python3 scripts/ringsim/whatif.py CAPTURE [--service-ns S | --study DIR]
        [--sizes 64,...,8192] [--speeds 0.5,1,2] [--burst 32] [--json OUT]

The service time is --service-ns, or the study's measured uncontended cost
(DIR/summary.json from scripts/ring-sizing). A probe "speed" of 2 serves twice
as fast. For each ring size K the report gives the loss at each speed, the
smallest K without drops, and how long a stall of the poll core each K absorbs
when the traffic is at its busiest (K over the peak rate in any 100 us window).
Classic pcap files (microsecond or nanosecond); one capture is one queue.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ringsim import sim  # noqa: E402


def pcap_times(path):
    """Record times (s, from the first) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: not a pcap file")
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = ">"
        magic = struct.unpack(">I", data[:4])[0]
    else:
        raise ValueError(f"{path}: not a classic pcap file (pcapng: convert with editcap -F pcap)")
    frac = 1e-9 if magic == 0xa1b23c4d else 1e-6
    times, off = [], 24
    hdr = struct.Struct(end + "IIII")
    while off + 16 <= len(data):
        sec, sub, caplen, _ = hdr.unpack_from(data, off)
        off += 16 + caplen
        if off > len(data):
            break
        times.append(sec + sub * frac)
    t = np.array(times, dtype=np.float64)
    if len(t) == 0:
        raise ValueError(f"{path}: no packets")
    t = np.sort(t - t[0])
    return t


def peak_rate(t, window=100e-6):
    if len(t) < 2:
        return 0.0
    j = np.searchsorted(t, t + window, side="left")
    return float((j - np.arange(len(t))).max() / window)


def main(argv):
    p = argparse.ArgumentParser(prog="whatif", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("capture")
    p.add_argument("--service-ns", type=float)
    p.add_argument("--study")
    p.add_argument("--sizes", default="64,128,256,512,1024,2048,4096,8192")
    p.add_argument("--speeds", default="0.5,1,2")
    p.add_argument("--burst", type=int, default=32)
    p.add_argument("--json")
    a = p.parse_args(argv)
    try:
        t = pcap_times(a.capture)
    except (OSError, ValueError) as e:
        print(f"whatif: error: {e}", file=sys.stderr)
        return 2
    if a.service_ns is None:
        if a.study is None:
            print("whatif: error: give --service-ns or --study DIR", file=sys.stderr)
            return 2
        with open(os.path.join(a.study, "summary.json")) as f:
            a.service_ns = json.load(f)["service_us_clean"] * 1e3
    if not a.service_ns > 0:
        print(f"whatif: error: --service-ns {a.service_ns}: must be above 0", file=sys.stderr)
        return 2
    sizes = [int(x) for x in a.sizes.split(",")]
    speeds = [float(x) for x in a.speeds.split(",")]
    span = float(t[-1]) if len(t) > 1 else 0.0
    peak = peak_rate(t)
    report = {"capture": a.capture, "packets": len(t), "span_s": span,
              "mean_pps": len(t) / span if span > 0 else None, "peak_pps_100us": peak,
              "service_ns": a.service_ns, "points": []}
    for speed in speeds:
        s = a.service_ns * 1e-9 / speed
        for K in sizes:
            r = sim.simulate(t, np.full(len(t), s), K, a.burst, min(s, 50e-9))
            report["points"].append({
                "ring_size": K, "speed": speed, "service_ns": s * 1e9, "loss": r.loss,
                "dropped": r.dropped,
                "sojourn_p99_us": sim.percentile(r.sojourns, 0.99) * 1e6,
                "stall_absorbed_us_at_peak": K / peak * 1e6 if peak > 0 else None})
    report["smallest_lossless_ring"] = {
        f"{speed:g}": min([q["ring_size"] for q in report["points"]
                           if q["speed"] == speed and q["dropped"] == 0], default=None)
        for speed in speeds}
    print(f"{a.capture}: {len(t)} packets over {span:.3f} s; peak {peak / 1e6:.3f} Mpps in 100 us; "
          f"probe {a.service_ns:.0f} ns a packet at speed 1")
    print(f"{'K':>6} " + " ".join(f"{'loss x' + format(sp, 'g'):>12}" for sp in speeds) +
          f" {'stall absorbed at peak':>24}")
    for K in sizes:
        row = [q for q in report["points"] if q["ring_size"] == K]
        absorbed = row[0]["stall_absorbed_us_at_peak"]
        print(f"{K:>6} " + " ".join(f"{q['loss']:>12.3g}" for q in row) +
              f" {absorbed if absorbed is not None else float('nan'):>21.1f} us")
    for sp, k in report["smallest_lossless_ring"].items():
        print(f"speed x{sp}: {'no drop from K=' + str(k) if k else 'drops at every size tried'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
