#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn pcap captures into a libFuzzer corpus for fuzz_parse.

Reads classic pcap files (either byte order, microsecond or nanosecond
magic) and writes each distinct Ethernet frame as one file named after its
SHA-1, the way libFuzzer names its own corpus entries. Frames are capped at
the captured length and at 65535 bytes (the parser takes a 16-bit length).

    tests/fuzz/make_corpus.py OUT_DIR capture.pcap [more.pcap ...] [--max N]

pcapng is not read: convert with `editcap -F pcap in.pcapng out.pcap`.
"""

import argparse
import hashlib
import os
import struct
import sys

LINKTYPE_ETHERNET = 1
MAX_FRAME = 65535

# Magic as read little-endian -> (byte order of the file, nanosecond stamps).
MAGICS = {
    0xA1B2C3D4: ("<", False),
    0xD4C3B2A1: (">", False),
    0xA1B23C4D: ("<", True),
    0x4D3CB2A1: (">", True),
}


class PcapError(Exception):
    pass


def read_frames(path):
    """Yield the captured bytes of every record of one classic pcap file."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            raise PcapError("shorter than a pcap file header")
        magic = struct.unpack("<I", head[:4])[0]
        if magic not in MAGICS:
            if magic == 0x0A0D0D0A:
                raise PcapError("pcapng is not supported; convert with editcap -F pcap")
            raise PcapError("not a pcap file (magic 0x%08x)" % magic)
        order, _ = MAGICS[magic]
        linktype = struct.unpack(order + "I", head[20:24])[0] & 0x0FFFFFFF
        if linktype != LINKTYPE_ETHERNET:
            raise PcapError("link type %d, not Ethernet" % linktype)
        rec = struct.Struct(order + "IIII")
        while True:
            hdr = f.read(rec.size)
            if not hdr:
                return
            if len(hdr) < rec.size:
                raise PcapError("truncated record header")
            _, _, incl_len, _ = rec.unpack(hdr)
            if incl_len > 0x4000000:
                raise PcapError("record of %d bytes: corrupt file" % incl_len)
            data = f.read(incl_len)
            if len(data) < incl_len:
                raise PcapError("truncated record")
            yield data[:MAX_FRAME]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", help="corpus directory (created if missing)")
    ap.add_argument("pcaps", nargs="+", help="classic pcap files, Ethernet link type")
    ap.add_argument("--max", type=int, default=300, help="stop after this many files (300)")
    args = ap.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    seen = set(os.listdir(args.out_dir))
    written = 0
    for path in args.pcaps:
        try:
            for frame in read_frames(path):
                if written >= args.max:
                    break
                name = hashlib.sha1(frame).hexdigest()
                if name in seen:
                    continue
                seen.add(name)
                with open(os.path.join(args.out_dir, name), "wb") as out:
                    out.write(frame)
                written += 1
        except (OSError, PcapError) as e:
            print("make_corpus.py: %s: %s" % (path, e), file=sys.stderr)
            return 1
        if written >= args.max:
            break
    print("make_corpus.py: wrote %d new frames to %s" % (written, args.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
