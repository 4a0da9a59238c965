#!/usr/bin/python3
"""same_tcp.py ORIG NEW [NEW...]

Checks that relink.py's rewrites of ORIG dissect, in tshark, to the same TCP
segments as ORIG: frame for frame, the same time, addresses, IP length, ports,
raw sequence and acknowledgement numbers, flags, header and payload length,
window, options and TCP analysis flags. On a sliced NEW a segment whose
options the snap length cut must carry a prefix of ORIG's options, and its
analysis flags are not compared. For a NEW of link type 228 (IPv4) or 229
(IPv6) only ORIG's segments of that IP version are expected. So a difference
dpprobe shows on NEW but not on ORIG is the probe's, not relink's.
Prints one line per NEW; exit status 1 on the first difference.
"""
import concurrent.futures
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pcapio  # noqa: E402

FIELDS = ["frame.time_epoch", "ip.src", "ip.dst", "ip.len", "ipv6.src", "ipv6.dst",
          "ipv6.plen", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.flags", "tcp.hdr_len", "tcp.len", "tcp.window_size_value", "tcp.options",
          "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
          "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order",
          "tcp.analysis.zero_window", "tcp.analysis.zero_window_probe",
          "tcp.analysis.keep_alive", "tcp.analysis.duplicate_ack",
          "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment"]


def segments(path):
    cmd = ["tshark", "-r", path, "-n", "-Y", "tcp", "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=f", "-E", "quote=n"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        sys.exit("same_tcp: tshark failed on %s: %s" % (path, p.stderr.strip()))
    return [tuple(line.split("\t")) for line in p.stdout.splitlines()]


OPTS = FIELDS.index("tcp.options")


def same(want, got):
    """Equal segments. A segment whose options the snap length cut (a prefix
    of the original's) is malformed under the contract: its fields before the
    options must be equal, its analysis flags may differ (tshark's duplicate
    ACK rule, for one, looks at SACK blocks it no longer has)."""
    if want == got:
        return True
    cut = got[OPTS] != want[OPTS] and want[OPTS].startswith(got[OPTS])
    return cut and want[:OPTS] == got[:OPTS]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    orig = segments(sys.argv[1])
    if not orig:
        sys.exit("same_tcp: %s has no TCP segment" % sys.argv[1])
    v4 = FIELDS.index("ip.src")
    by_version = {None: orig,
                  pcapio.LINKTYPE_IPV4: [s for s in orig if s[v4]],
                  pcapio.LINKTYPE_IPV6: [s for s in orig if not s[v4]]}
    status = 0
    news = sys.argv[2:]
    # one tshark per core at a time: this runs on every rewrite of a capture
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        dissected = list(pool.map(segments, news))
    for path, got in zip(news, dissected):
        lt, _snap = pcapio.header(path)
        want = by_version.get(lt, orig)
        diff = next((i for i, (a, b) in enumerate(zip(want, got)) if not same(a, b)), None)
        if diff is None and len(want) != len(got):
            diff = min(len(want), len(got))
        if diff is None:
            print("same_tcp: %s (link type %s): %d TCP segments as in the original"
                  % (os.path.basename(path), lt, len(got)))
            continue
        status = 1
        w = want[diff] if diff < len(want) else ()
        g = got[diff] if diff < len(got) else ()
        fields = [f"{f}: {a!r} != {b!r}" for f, a, b in
                  zip(FIELDS, w + ("",) * len(FIELDS), g + ("",) * len(FIELDS)) if a != b]
        print("same_tcp: %s (link type %s): TCP segment %d differs (%d vs %d segments): %s"
              % (path, lt, diff + 1, len(want), len(got), "; ".join(fields)), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
