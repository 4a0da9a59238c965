#!/usr/bin/env python3
"""split_pcap.py IN.pcap N OUTPREFIX

Split a classic pcap into N files by a symmetric hash of each TCP flow's
addresses and ports (both directions of a flow land in the same file), the
way RSS with a symmetric key spreads flows over queues. Frames that are not
TCP over IPv4/IPv6 (behind up to 4 VLAN tags) go to file 0. Writes
OUTPREFIX0.pcap .. OUTPREFIX{N-1}.pcap, keeping record order and times.
"""
import struct
import sys
import zlib


def flow_key(frame):
    off = 12
    for _ in range(5):
        if len(frame) < off + 2:
            return None
        et = struct.unpack_from("!H", frame, off)[0]
        if et in (0x8100, 0x88A8, 0x9100):
            off += 4
            continue
        break
    off += 2
    if et == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 0x0F) * 4
        if frame[off + 9] != 6:
            return None
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        l4 = off + ihl
    elif et == 0x86DD and len(frame) >= off + 40:
        if frame[off + 6] != 6:
            return None
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        l4 = off + 40
    else:
        return None
    if len(frame) < l4 + 4:
        return None
    sp, dp = struct.unpack_from("!HH", frame, l4)
    a, b = (src, sp), (dst, dp)
    lo, hi = min(a, b), max(a, b)
    return lo[0] + struct.pack("!H", lo[1]) + hi[0] + struct.pack("!H", hi[1])


def main():
    src, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(src, "rb") as f:
        ghdr = f.read(24)
        magic = struct.unpack("<I", ghdr[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        outs = [open(f"{prefix}{i}.pcap", "wb") for i in range(n)]
        for o in outs:
            o.write(ghdr)
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                break
            incl = struct.unpack(endian + "IIII", rh)[2]
            frame = f.read(incl)
            key = flow_key(frame)
            i = 0 if key is None else zlib.crc32(key) % n
            outs[i].write(rh + frame)
        for o in outs:
            o.close()


if __name__ == "__main__":
    main()
