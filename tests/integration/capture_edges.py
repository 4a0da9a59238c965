#!/usr/bin/python3
"""Captures and counts for it_capture_files.sh (stdlib only).

    capture_edges.py cut IN OUT
        writes IN (classic pcap or pcapng) cut in the middle of a record (the
        one halfway through the file: its header and half of its bytes stay);
        prints the number of complete records left
    capture_edges.py complete FILE
        prints the number of complete records in a classic pcap or pcapng
        file that may be cut short (a record whose header or bytes run past
        the end is not; in pcapng, records are the packet blocks)
    capture_edges.py pcapng IN.pcap OUT.pcapng
        writes a classic pcap as pcapng (one section, one interface, enhanced
        packet blocks), as dumpcap and Wireshark write it
    capture_edges.py raw IN.pcap OUT.pcap
        writes the IPv4 and IPv6 frames of an Ethernet capture without their
        Ethernet header (and VLAN tags) as link type 101 (LINKTYPE_RAW, what
        tcpdump writes for tun devices); prints how many frames it kept
    capture_edges.py jsonl FILE TYPE
        checks that every line of FILE is a whole JSON object of "type" TYPE
        (nothing half-written); prints how many there are
    capture_edges.py flows OUT.pcap N
        writes N complete TCP connections (handshake, a request, an answer,
        FIN both ways), 20 ms of packet time apart, so that closed flows
        leave the table while the capture is read
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios"))
from craft import eth, ipv4, tcp, write_pcap  # noqa: E402

SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
MAGICS = {0xA1B2C3D4: "<", 0xD4C3B2A1: ">", 0xA1B23C4D: "<", 0x4D3CB2A1: ">"}


PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_PACKET_BLOCKS = (2, 3, 6)  # obsolete packet, simple packet, enhanced packet


def pcapng_spans(data):
    """(start, end) of each complete packet block of a pcapng file."""
    spans, off, e = [], 0, "<"
    while off + 12 <= len(data):
        btype = struct.unpack("<I", data[off:off + 4])[0]
        if btype == PCAPNG_SHB:
            e = "<" if struct.unpack("<I", data[off + 8:off + 12])[0] == 0x1A2B3C4D else ">"
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        if btype in PCAPNG_PACKET_BLOCKS:
            spans.append((off, off + blen))
        off += blen
    return spans, off


def record_spans(data):
    """(start, end) of each complete record, and the offset where reading stopped."""
    if len(data) >= 4 and struct.unpack("<I", data[:4])[0] == PCAPNG_SHB:
        return pcapng_spans(data)
    e = MAGICS.get(struct.unpack("<I", data[:4])[0]) if len(data) >= 24 else None
    if e is None:
        sys.exit("capture_edges: not a classic pcap")
    spans, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        if off + 16 + incl > len(data):
            break
        spans.append((off, off + 16 + incl))
        off += 16 + incl
    return spans, off


def cut(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    spans, _ = record_spans(data)
    if len(spans) < 2:
        sys.exit("capture_edges: too few records to cut")
    k = len(spans) // 2
    start, end = spans[k]
    # Inside the record's bytes, past its header (16 bytes; a pcapng block's 8 + 20).
    at = start + 28 + (end - start - 28) // 2
    assert start + 16 < at < end
    with open(dst, "wb") as f:
        f.write(data[:at])
    print(k)


def complete(path):
    with open(path, "rb") as f:
        spans, _ = record_spans(f.read())
    print(len(spans))


def ip(i, host):
    return f"198.18.{host}.{i % 250 + 1}"


def flows(path, n):
    recs = []
    t = 1700000000 * 1000000
    for i in range(n):
        c, s = ip(i // 250, 1), "198.18.0.2"
        cp, sp = 20000 + i % 40000, 80
        cs, ss = 1000 + i, 500000 + i
        seq = [cs, ss]

        def send(side, flags, payload=b""):
            nonlocal t
            t += 100
            src, dst, a, b = (c, s, cp, sp) if side == 0 else (s, c, sp, cp)
            ack = seq[1 - side] if flags & ACK else 0
            frame = eth(ipv4(src, dst, 6, tcp(src, dst, a, b, seq[side], ack, flags,
                                               payload=payload, win=64000)))
            recs.append((t // 1000000, t % 1000000, len(frame), frame))
            seq[side] += len(payload) + (1 if flags & (SYN | FIN) else 0)

        send(0, SYN)
        send(1, SYN | ACK)
        send(0, ACK)
        send(0, ACK | PSH, b"GET / HTTP/1.0\r\n\r\n")
        send(1, ACK | PSH, b"HTTP/1.0 200 OK\r\n\r\n")
        send(0, FIN | ACK)
        send(1, FIN | ACK)
        send(0, ACK)
        t += 20000
    write_pcap(path, recs)


def raw(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    spans, _ = record_spans(data)
    e = MAGICS[struct.unpack("<I", data[:4])[0]]
    out = [data[:20] + struct.pack(e + "I", 101)]
    kept = 0
    for start, end in spans:
        hdr, frame = data[start:start + 16], data[start + 16:end]
        sec, frac, incl, orig = struct.unpack(e + "IIII", hdr)
        off, etype = 12, None
        while off + 2 <= len(frame):
            etype = struct.unpack(">H", frame[off:off + 2])[0]
            if etype in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            break
        if etype not in (0x0800, 0x86DD):
            continue
        ip = frame[off + 2:]
        out.append(struct.pack(e + "IIII", sec, frac, len(ip), orig - (off + 2)) + ip)
        kept += 1
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    print(kept)


def to_pcapng(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    spans, _ = record_spans(data)
    magic = struct.unpack("<I", data[:4])[0]
    e = MAGICS[magic]
    ns = magic in (0xA1B23C4D, 0x4D3CB2A1)
    snap, link = struct.unpack(e + "II", data[16:24])

    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = [block(PCAPNG_SHB, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
           # Interface: link type, snap length, if_tsresol (9: 10^-9 s, 6: 10^-6 s).
           block(1, struct.pack("<HHI", link & 0xFFFF, 0, snap)
                 + struct.pack("<HHB3x", 9, 1, 9 if ns else 6) + struct.pack("<HH", 0, 0))]
    for start, end in spans:
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[start:start + 16])
        ts = sec * (10**9 if ns else 10**6) + frac
        out.append(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, incl, orig)
                         + data[start + 16:end]))
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    print(len(spans))


def jsonl(path, typ):
    n = 0
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{i}: not a whole JSON line: {e}")
            if obj.get("type") != typ:
                sys.exit(f"{path}:{i}: type {obj.get('type')!r}, want {typ!r}")
            n += 1
    print(n)


def main(argv):
    if len(argv) == 4 and argv[1] == "cut":
        cut(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "complete":
        complete(argv[2])
    elif len(argv) == 4 and argv[1] == "pcapng":
        to_pcapng(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "raw":
        raw(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "jsonl":
        jsonl(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "flows":
        flows(argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
