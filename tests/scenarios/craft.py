#!/usr/bin/python3
"""Crafted frames and a pcap merger (stdlib only, no mergecap needed).

  craft.py malformed OUT.pcap --ts EPOCH_SECONDS
      writes the crafted frames listed in FRAMES below, 1 ms apart from --ts.
  craft.py merge OUT.pcap IN.pcap [IN.pcap ...]
      merges classic pcap files (Ethernet linktype, microsecond) by record
      time; the sort is stable, so equal times keep file order.
  craft.py lastts IN.pcap
      prints the time of the last record (seconds since the epoch).

All crafted addresses are in 198.18.0.0/15; ports 9001.. so that none of them
shares a 4-tuple with the real traffic of a scenario.

Frames that must NOT create a flow under the contract's "Which packets count"
rule (the parse.malformed / fragments / non-TCP reason is given in FRAMES):
  tcp_doff_short, tcp_doff_beyond, ip_len_beyond_frame, ipv4_truncated,
  ipv4_ihl_short, tcp_opt_len_short, tcp_opt_len_beyond, vlan_empty,
  tcp_in_icmp_error, tcp_in_fragment.
Frames that MUST create exactly one flow: the two `padded_*` frames (one
midstream flow 198.18.0.101:40000 -> 198.18.0.102:9100; Ethernet padding after
the IP packet must not count as payload: payload_bytes is 2, not 8).
"""
import struct
import sys

MAC_A = bytes.fromhex("020000000a01")
MAC_B = bytes.fromhex("020000000a02")
ETH_IP4 = 0x0800


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def ip4addr(s):
    return bytes(int(x) for x in s.split("."))


def eth(payload, etype=ETH_IP4, tags=()):
    h = MAC_B + MAC_A
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ihl=5, total_len=None, frag=0, ident=1, opts=b""):
    hl = ihl * 4
    tl = total_len if total_len is not None else 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, 0, tl, ident, frag, 64, proto, 0,
                    ip4addr(src), ip4addr(dst)) + opts
    c = csum(h[:max(hl, 20)])
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + payload


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", opts=b"", doff=None, win=1000):
    d = doff if doff is not None else (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, d << 4, flags, win, 0, 0) + opts
    pseudo = ip4addr(src) + ip4addr(dst) + struct.pack("!BBH", 0, 6, len(h) + len(payload))
    c = csum(pseudo + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


A, B = "198.18.0.101", "198.18.0.102"
SYN, ACK, PSH, RST, FIN = 0x02, 0x10, 0x08, 0x04, 0x01


def frames():
    """(name, why, frame bytes)"""
    out = []
    seg = tcp(A, B, 9001, 80, 1000, 0, SYN, doff=4)
    out.append(("tcp_doff_short", "malformed: TCP data offset 4 < 5",
                eth(ipv4(A, B, 6, seg))))
    seg = tcp(A, B, 9002, 80, 1000, 0, SYN, doff=15)
    out.append(("tcp_doff_beyond", "malformed: data offset 60 bytes > 20-byte segment",
                eth(ipv4(A, B, 6, seg))))
    seg = tcp(A, B, 9003, 80, 1000, 0, SYN)
    out.append(("ip_len_beyond_frame", "malformed: IP total length 1000 > 40 bytes carried",
                eth(ipv4(A, B, 6, seg, total_len=1000))))
    full = eth(ipv4(A, B, 6, tcp(A, B, 9004, 80, 1000, 0, SYN)))
    out.append(("ipv4_truncated", "malformed: only 10 bytes of the IPv4 header captured",
                full[:14 + 10]))
    seg = tcp(A, B, 9005, 80, 1000, 0, SYN)
    out.append(("ipv4_ihl_short", "malformed: IPv4 IHL 4 < 5",
                eth(ipv4(A, B, 6, seg, ihl=4))))
    seg = tcp(A, B, 9006, 80, 1000, 0, SYN, opts=bytes([2, 1, 0, 0]))
    out.append(("tcp_opt_len_short", "malformed: option length 1 < 2",
                eth(ipv4(A, B, 6, seg))))
    seg = tcp(A, B, 9007, 80, 1000, 0, SYN, opts=bytes([3, 7, 1, 0]))
    out.append(("tcp_opt_len_beyond", "malformed: option length 7 runs past the header",
                eth(ipv4(A, B, 6, seg))))
    out.append(("vlan_empty", "malformed: 802.1Q tag and inner type, nothing after",
                eth(b"", ETH_IP4, tags=[(0x8100, 100)])))
    # TCP header quoted inside an ICMP port-unreachable (a SYN from B to A)
    inner = ipv4(B, A, 6, tcp(B, A, 9008, 80, 5000, 0, SYN))
    icmp = struct.pack("!BBHI", 3, 3, 0, 0) + inner
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    out.append(("tcp_in_icmp_error", "not TCP: TCP inside an ICMP error",
                eth(ipv4(A, B, 1, icmp))))
    seg = tcp(A, B, 9009, 80, 1000, 0, SYN) + bytes(24)
    out.append(("tcp_in_fragment", "fragments: first IPv4 fragment (MF) carrying TCP",
                eth(ipv4(A, B, 6, seg, frag=0x2000, ident=77))))
    # valid, midstream, padded to the 60-byte Ethernet minimum
    f = eth(ipv4(A, B, 6, tcp(A, B, 40000, 9100, 7000, 9000, ACK)))
    out.append(("padded_ack", "valid: midstream pure ACK with 6 bytes of padding",
                f + b"\0" * (60 - len(f))))
    f = eth(ipv4(A, B, 6, tcp(A, B, 40000, 9100, 7000, 9000, ACK | PSH, payload=b"hi")))
    out.append(("padded_data", "valid: 2 payload bytes then 4 bytes of padding",
                f + b"\xee" * (60 - len(f))))
    return out


def pcap_header():
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        e = "<"
    elif magic == 0xD4C3B2A1:
        e = ">"
    else:
        sys.exit("%s: not a classic microsecond pcap (magic %#x)" % (path, magic))
    lt = struct.unpack(e + "I", data[20:24])[0]
    if lt != 1:
        sys.exit("%s: linktype %d, want 1 (Ethernet)" % (path, lt))
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        recs.append((sec, usec, orig, data[off + 16: off + 16 + incl]))
        off += 16 + incl
    return recs


def write_pcap(path, recs):
    with open(path, "wb") as f:
        f.write(pcap_header())
        for sec, usec, orig, frame in recs:
            f.write(struct.pack("<IIII", sec, usec, len(frame), max(orig, len(frame))))
            f.write(frame)


def main(argv):
    if len(argv) >= 2 and argv[0] == "malformed":
        out = argv[1]
        ts = float(argv[argv.index("--ts") + 1]) if "--ts" in argv else 1700000000.0
        t_us = int(round(ts * 1e6))
        recs = []
        for i, (name, why, fr) in enumerate(frames()):
            t = t_us + 1000 * i
            recs.append((t // 1000000, t % 1000000, len(fr), fr))
        write_pcap(out, recs)
        return 0
    if len(argv) >= 3 and argv[0] == "merge":
        allr = []
        for p in argv[2:]:
            allr.extend(read_pcap(p))
        allr.sort(key=lambda r: (r[0], r[1]))
        write_pcap(argv[1], allr)
        return 0
    if len(argv) == 2 and argv[0] == "lastts":
        recs = read_pcap(argv[1])
        if not recs:
            sys.exit("no records")
        print("%d.%06d" % (recs[-1][0], recs[-1][1]))
        return 0
    if len(argv) == 1 and argv[0] == "list":
        for name, why, fr in frames():
            print("%-20s %3d bytes  %s" % (name, len(fr), why))
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
