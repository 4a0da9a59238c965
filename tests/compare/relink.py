#!/usr/bin/python3
"""relink.py IN OUT --linktype N [--snaplen S] [--endian little|big]

Rewrites an Ethernet capture (classic pcap or pcapng) into link type N, the
way the tools that write that link type lay frames out, so the same real
traffic can be read through every link type dpprobe decodes:

  1    Ethernet, frames unchanged (with --snaplen: a sliced copy)
  113  Linux cooked v1 (tcpdump -i any, older): 16-byte header: packet type
       (0 to us, 1 broadcast, 2 multicast, 4 outgoing), ARPHRD_ETHER (1),
       address length 6, the source MAC padded to 8 bytes, protocol = the
       ethertype after the MAC addresses. VLAN tags stay in the payload
       with protocol 0x8100 (0x88a8), as Linux writes them when the tags are
       not offloaded; 802.3 length frames get protocol 4 (ETH_P_802_2).
  276  Linux cooked v2 (tcpdump -i any): 20-byte header: protocol, reserved,
       interface index, ARPHRD_ETHER, packet type, address length, address.
  101  raw IP; 228 IPv4 only; 229 IPv6 only: the Ethernet header and VLAN
       tags are stripped; frames that are not IP are dropped, and for 228 /
       229 frames of the other IP version too.
  0    BSD loopback (DLT_NULL): a 4-byte address family in the writer's byte
       order (the file's): 2 for IPv4; IPv6 cycles through 24, 28 and 30
       (NetBSD/OpenBSD, FreeBSD, macOS), as captures from each system carry.
  108  OpenBSD loopback (DLT_LOOP): the same, always in network byte order.

"Us" (the capturing host, for the cooked packet types) is the destination MAC
of the first TCP SYN without ACK, else of the first unicast frame.

--snaplen S cuts every record's captured bytes to S (after the rewrite),
keeps its original length and writes S as the file's snap length; without
it the file's snap length is 262144. --endian picks the byte order of the
output file (default little). Record times are kept (microseconds).
Prints "relink: N in, M out, D dropped, H TCP headers cut" on stderr, H being
the TCP segments the snap length cut inside their IP or TCP header (malformed
under the contract). Exit status 2 on bad input.
"""
import argparse
import itertools
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pcapio  # noqa: E402

VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
ETH_P_802_2 = 0x0004
ARPHRD_ETHER = 1
PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OUTGOING = 0, 1, 2, 4
AF_INET = 2
AF_INET6_BSDS = (24, 28, 30)
SLL2_IFINDEX = 2
LINKTYPES = (0, 1, 101, 108, 113, 228, 229, 276)
MAX_VLAN_TAGS = 8


def l3_of(frame):
    """(ethertype after the VLAN tags, offset of the layer-3 header), or None."""
    if len(frame) < 14:
        return None
    off = 12
    for _ in range(MAX_VLAN_TAGS + 1):
        if len(frame) < off + 2:
            return None
        et = struct.unpack_from("!H", frame, off)[0]
        if et not in VLAN_TPIDS:
            return et, off + 2
        off += 4
    return None


def tcp_offset(frame):
    """Offset of the TCP header of an Ethernet frame of TCP over IP (IPv6
    without extension headers), or None."""
    l3 = l3_of(frame)
    if l3 is None:
        return None
    et, off = l3
    if et == ETH_P_IP and len(frame) >= off + 20 and frame[off + 9] == 6:
        return off + (frame[off] & 0x0F) * 4
    if et == ETH_P_IPV6 and len(frame) >= off + 40 and frame[off + 6] == 6:
        return off + 40
    return None


def tcp_header_end(frame):
    """Offset just past the TCP header (options included), or None."""
    l4 = tcp_offset(frame)
    if l4 is None or len(frame) < l4 + 13:
        return None
    return l4 + (frame[l4 + 12] >> 4) * 4


def is_syn(frame):
    l4 = tcp_offset(frame)
    return l4 is not None and len(frame) >= l4 + 14 and frame[l4 + 13] & 0x12 == 0x02


def host_mac(records):
    """The capturing host's MAC: see the module docstring."""
    first_unicast = None
    for r in records:
        if len(r.data) < 14:
            continue
        if is_syn(r.data):
            return r.data[0:6]
        if first_unicast is None and not r.data[0] & 1:
            first_unicast = r.data[0:6]
    return first_unicast or b"\0" * 6


def packet_type(frame, me):
    dst, src = frame[0:6], frame[6:12]
    if dst == b"\xff" * 6:
        return PACKET_BROADCAST
    if dst[0] & 1:
        return PACKET_MULTICAST
    if src == me and dst != me:
        return PACKET_OUTGOING
    return PACKET_HOST


class Relinker:
    def __init__(self, linktype, endian, me):
        self.linktype = linktype
        self.endian = endian
        self.me = me
        self.af6 = itertools.cycle(AF_INET6_BSDS)

    def frame(self, frame):
        """(new link header, offset of the bytes kept from FRAME), or None to drop it."""
        lt = self.linktype
        if lt == pcapio.LINKTYPE_ETHERNET:
            return b"", 0
        if len(frame) < 14:
            return None
        if lt in (pcapio.LINKTYPE_LINUX_SLL, pcapio.LINKTYPE_LINUX_SLL2):
            proto = struct.unpack_from("!H", frame, 12)[0]
            if proto < 0x0600:
                proto = ETH_P_802_2
            ptype = packet_type(frame, self.me)
            addr = frame[6:12] + b"\0\0"
            if lt == pcapio.LINKTYPE_LINUX_SLL:
                hdr = struct.pack("!HHH8sH", ptype, ARPHRD_ETHER, 6, addr, proto)
            else:
                hdr = struct.pack("!HHIHBB8s", proto, 0, SLL2_IFINDEX, ARPHRD_ETHER,
                                  ptype, 6, addr)
            return hdr, 14
        l3 = l3_of(frame)
        if l3 is None or l3[0] not in (ETH_P_IP, ETH_P_IPV6):
            return None
        et, off = l3
        if lt == pcapio.LINKTYPE_RAW:
            return b"", off
        if lt == pcapio.LINKTYPE_IPV4:
            return (b"", off) if et == ETH_P_IP else None
        if lt == pcapio.LINKTYPE_IPV6:
            return (b"", off) if et == ETH_P_IPV6 else None
        af = AF_INET if et == ETH_P_IP else next(self.af6)
        order = self.endian if lt == pcapio.LINKTYPE_NULL else ">"
        return struct.pack(order + "I", af), off
    # Every link type in LINKTYPES is handled above.


def relink(path_in, path_out, linktype, snaplen, endian):
    try:
        recs = list(pcapio.read(path_in))
    except (OSError, pcapio.PcapError) as e:
        sys.exit("relink: %s" % e)
    bad = sorted({r.linktype for r in recs} - {pcapio.LINKTYPE_ETHERNET})
    if bad:
        print("relink: %s: link type %s, not Ethernet" % (path_in, bad), file=sys.stderr)
        sys.exit(2)
    rl = Relinker(linktype, endian, host_mac(recs))
    out = []
    header_cut = 0
    for r in recs:
        res = rl.frame(r.data)
        if res is None:
            continue
        hdr, keep = res
        grow = len(hdr) - keep
        end = tcp_header_end(r.data)
        if snaplen and end is not None and end + grow > snaplen:
            header_cut += 1
        out.append((r.ts_sec, r.ts_usec, hdr + r.data[keep:], r.orig_len + grow))
    pcapio.write(path_out, out, linktype, snaplen or pcapio.DEFAULT_SNAPLEN, endian)
    print("relink: %d in, %d out, %d dropped, %d TCP headers cut"
          % (len(recs), len(out), len(recs) - len(out), header_cut), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--linktype", type=int, required=True, choices=LINKTYPES)
    ap.add_argument("--snaplen", type=int, default=0)
    ap.add_argument("--endian", choices=("little", "big"), default="little")
    a = ap.parse_args()
    if a.snaplen < 0 or a.snaplen > pcapio.DEFAULT_SNAPLEN:
        ap.error("--snaplen must be between 1 and %d" % pcapio.DEFAULT_SNAPLEN)
    relink(a.input, a.output, a.linktype, a.snaplen, "<" if a.endian == "little" else ">")
    return 0


if __name__ == "__main__":
    sys.exit(main())
