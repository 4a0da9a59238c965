#!/usr/bin/env python3
"""startup.py DPPROBE OUTDIR [--runs N] -- what a small capture costs.

Times process start to exit on a one-packet capture (the first TCP frame of
tests/data/demo.pcap), for dpprobe at the default --flow-capacity (2^20 a
worker), at --flow-capacity 4096, and for `tshark -r` on the same file, in
alternating order, N runs each; reports the median wall time and the median
peak RSS (the kernel's maxrss of the child). dpprobe runs without hugepages
(--no-huge -m 256), as the demo does on a machine without them.
Writes OUTDIR/startup.md and prints it.
"""
import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "tests", "data", "demo.pcap")


def one_packet_capture(path):
    """The demo capture's file header and its first TCP/IPv4 record."""
    data = open(DEMO, "rb").read()
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, off + 8)[0]
        frame = data[off + 16:off + 16 + caplen]
        if len(frame) > 34 and frame[12:14] == b"\x08\x00" and frame[23] == 6:
            with open(path, "wb") as f:
                f.write(data[:24] + data[off:off + 16 + caplen])
            return
        off += 16 + caplen
    sys.exit("startup: no TCP frame in the demo capture")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dpprobe")
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cap = os.path.join(a.out, "one-packet.pcap")
    one_packet_capture(cap)
    # A prefix of its own: EAL's default ("rte") may be another probe's.
    prefix = f"dppstartup{os.getpid()}"
    eal = ["--no-pci", "--no-huge", "--no-shconf", "-m", "256", "-l", "0,1",
           "--file-prefix", prefix, "--log-level=lib.eal:warning"]
    tools = {
        "dpprobe, --flow-capacity 1048576 (default)":
            [a.dpprobe] + eal + ["--vdev", f"net_pcap0,rx_pcap={cap}", "--", "--flows",
                                 os.devnull],
        "dpprobe, --flow-capacity 4096":
            [a.dpprobe] + eal + ["--vdev", f"net_pcap0,rx_pcap={cap}", "--", "--flows",
                                 os.devnull, "--flow-capacity", "4096"],
        "tshark -r": ["tshark", "-r", cap],
    }
    walls = {k: [] for k in tools}
    rss = {k: [] for k in tools}
    for _ in range(a.runs):
        for name, cmd in tools.items():
            # Peak RSS per process: /usr/bin/time's %M, since RUSAGE_CHILDREN is a maximum over all.
            t0 = time.monotonic()
            p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            walls[name].append(time.monotonic() - t0)
            if p.returncode != 0:
                sys.exit(f"startup: {name} failed ({p.returncode}): {p.stderr.strip()}")
            rss[name].append(int(p.stderr.strip().splitlines()[-1]) / 1024.0)
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    base = statistics.median(walls["dpprobe, --flow-capacity 4096"])
    lines = ["| tool | median wall s | vs --flow-capacity 4096 | median peak RSS MB |",
             "|---|---|---|---|"]
    for name in tools:
        w = statistics.median(walls[name])
        lines.append(f"| {name} | {w:.3f} | {w / base:.2f}x | {statistics.median(rss[name]):.0f} |")
    text = (f"One-packet capture, {a.runs} alternating runs each (`scripts/bench --startup`):\n\n"
            + "\n".join(lines) + "\n")
    open(os.path.join(a.out, "startup.md"), "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
