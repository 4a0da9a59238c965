#!/usr/bin/python3
"""tshark_flows.py CAPTURE [--tshark PATH] [--skipped FILE] -- the accuracy reference.

Builds one flow record per tshark `tcp.stream`, exactly as the dpprobe
contract defines flow records (docs: "Flow records" and "Precise rules"), and
prints them as JSON Lines on stdout (same layout as the probe's --flows,
sorted by first_ts). One tshark pass (-T fields) over the whole capture;
tshark's TCP preferences are left at their defaults (only
tcp.relative_sequence_numbers is set, which changes no analysis).

Where each field comes from:
  client/server   sender of the first SYN-without-ACK; with none, the side
                  with the higher port, on a tie the greater address
  first_ts/last_ts frame.time_epoch of the first/last counted frame
  outcome/rst_by  the contract's precise rule, from the flags of the counted
                  frames in file order
  end_reason      null: not compared (the probe's timers decide it)
  handshake       syn = SYN-without-ACK segments (either direction),
                  synack = SYN+ACK segments; syn_to_synack_us from the last
                  SYN before the first SYN-ACK to it; synack_to_ack_us from the
                  first SYN-ACK to the other side's first pure ACK after it
  packets, payload_bytes (tcp.len), rst, fin   counted frames
  retrans         non-SYN frames with tcp.analysis.retransmission,
                  .fast_retransmission or .spurious_retransmission
  out_of_order    non-SYN frames with tcp.analysis.out_of_order
  zero_window     frames with tcp.analysis.zero_window
  win_max         tcp.window_size: the window as tshark scaled it (see below)
  wscale/mss/sack_ok  parsed here from the raw option bytes (tcp.options) of
                  each side's first SYN or SYN-ACK (normally the client's SYN,
                  the server's SYN-ACK; in a flow without a SYN, a SYN-ACK
                  from the higher port is the client's, c2s)
  tshark_stream, tshark_sliced  (not contract fields) the tcp.stream, and how
                  many of the counted frames were sliced (frame.cap_len <
                  frame.len): what the probe's parse.sliced should sum to

Which frames count (the contract's "Which packets count"), applied here on
tshark's fields: tshark dissects TCP in the frame, the frame is not TCP inside
ICMP/ICMPv6 (frame.protocols); the link type is one the contract names
(frame.encap_type: Ethernet, Linux cooked v1/v2, raw IP, BSD loopback; in
frame.protocols tshark's eth, sll, raw, null, and for raw IPv4/IPv6, 228/229,
nothing before ip/ipv6), then at most 4 VLAN tags (vlan/ieee8021ad layers), then one IPv4 or
IPv6 header (IPv6 extension headers allowed) directly followed by TCP: a
frame with anything else in between (MPLS, PPPoE, GRE, IP in IP, VXLAN, ...)
is a tunnel the contract does not cover and is left out; IPv4 IHL >= 5, IP
total length (IPv6: payload length + 40) >= the header and within the
frame's length on the wire (frame.len: a sliced frame counts when its whole
IP and TCP header was captured, as the contract's "Sliced frames count" says,
with tcp.len from the IP length as tshark gives it),
not a fragment (ip.flags.mf, ip.frag_offset; an IPv6 fragment header with
offset 0 and M clear is an atomic fragment, RFC 6946, and counts), TCP data
offset >= 5 and within the segment, options well formed and wholly captured
(each length >= 2 and inside the header; MSS 4, WS 3, SACK-permitted 2,
timestamps 10, SACK 2+8n). An IPv4 total length of 0 (TSO, frames over
64 KiB) is taken as the frame's length, as tshark does (ip.tso_support).

--skipped FILE writes a JSON object counting the frames left out by reason
(icmp, link:NAME, encap:CHAIN, fragment, malformed:WHAT), and the frames
that counted although sliced ("sliced") or on a link other than Ethernet
("linklayer:NAME"), so a comparison can say why a flow is not in the
reference. A record whose tcp.stream also holds frames left out (not
ICMP-quoted ones, which tshark does not analyse) carries "ref_left_out":
{reason: frames}: tshark's analysis flags on its counted frames took those
frames into account, so they may differ from the probe's by design.

Places where tshark's view and the contract can differ ON PURPOSE (and what
this script does):
 1. Malformed frames: tshark still dissects many of them as TCP and feeds them
    to its per-stream analysis (and gives them a tcp.stream); the contract
    never lets them touch a flow. This script drops them (the checks above),
    and drops a stream entirely when none of its frames counts. If a
    malformed frame shared a 4-tuple with a real flow, tshark's analysis
    flags on the real frames could differ from the probe's; the crafted
    frames of the test captures use their own ports so this cannot happen.
 2. Fragments: tshark reassembles IP fragments (ip.defragment default on) and
    dissects TCP in the reassembled frame; the contract counts them as
    `fragments` and never tracks them. Dropped here.
 3. TCP inside ICMP errors: tshark dissects the quoted header as tcp (with a
    tcp.stream); the contract says it is not TCP. Dropped here.
 4. Window scaling: win_max is the largest tcp.window_size, the window as
    tshark scaled it when it dissected the frame (one pass in file order, so
    never retroactively). With the default tcp.default_window_size_scaling
    ("not known") that is the contract's rule (Wireshark 4.0 packet-tcp.c,
    dissect_tcp() "re-calculate window size" and verify_tcp_window_scaling()):
    SYN and SYN-ACK windows raw; a side's shift is known from its own SYN or
    SYN-ACK; a SYN or SYN-ACK without the option turns scaling off for both
    sides, so with both captured a side is scaled only if both carried it;
    with only one side's SYN captured that side is scaled by its shift and
    the other stays raw; a shift above 14 is used as 14 (`wscale` reports
    the raw option value).
 5. Flow boundaries: a flow is a tshark tcp.stream. tshark starts a new
    stream on a 4-tuple when a SYN arrives after the previous connection
    closed (port reuse); a probe with other rules (idle timeout, eviction,
    its own reuse rule) can split differently. compare_flows.py matches
    flows by 4-tuple and first_ts in order.
 6. Out-of-order vs retransmission: the split is tshark's timing rule (the
    contract says to follow it); it depends on tshark's RTT estimate from
    the handshake and on the 3 ms default, so frames close to the threshold
    are sensitive to microsecond timestamp rounding.
 7. handshake.syn counts SYN-without-ACK segments from both sides (the
    contract does not restrict the direction; only simultaneous open
    differs).
 8. outcome for a flow whose first segment is a SYN-ACK (capture started
    mid-handshake): no SYN seen, so `midstream`, client = higher port.
 9. end_reason is not derived (null): it depends on the probe's timers and on
    the end of input, which tshark does not model.
10. Streams split by payload dissectors: a dissector that creates its own
    conversation on a 4-tuple (VNC) makes tshark start a new tcp.stream, with
    fresh analysis, in the middle of a connection, where its TCP rules would
    not (a new stream only on a SYN with another sequence number). When a
    later stream on a 4-tuple starts without a SYN, tshark is run again with
    the payload protocols of those frames disabled (--disable-protocol),
    which changes nothing in TCP's own analysis; --skipped then says
    "disabled:PROTOS".
"""
import argparse
import ipaddress
import json
import subprocess
import sys
from decimal import ROUND_FLOOR, Decimal

FIELDS = [
    "frame.number", "frame.time_epoch", "frame.cap_len", "frame.len", "frame.encap_type",
    "frame.protocols",
    "ip.src", "ip.dst", "ip.hdr_len", "ip.len", "ip.flags.mf", "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.hdr_len", "tcp.len",
    "tcp.flags", "tcp.window_size_value", "tcp.window_size", "tcp.options",
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order",
    "tcp.analysis.zero_window",
]
IDX = {f: i for i, f in enumerate(FIELDS)}

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

OPT_LEN = {2: lambda n: n == 4, 3: lambda n: n == 3, 4: lambda n: n == 2,
           8: lambda n: n == 10, 5: lambda n: n >= 10 and (n - 2) % 8 == 0}


def parse_options(hexstr):
    """Return (ok, {"mss":..,"wscale":..,"sack_ok":..}) from raw option bytes."""
    b = bytes.fromhex(hexstr.replace(":", "")) if hexstr else b""
    res = {"mss": None, "wscale": None, "sack_ok": False}
    i = 0
    while i < len(b):
        kind = b[i]
        if kind == 0:          # end of option list
            break
        if kind == 1:          # NOP
            i += 1
            continue
        if i + 1 >= len(b):
            return False, res
        n = b[i + 1]
        if n < 2 or i + n > len(b):
            return False, res
        chk = OPT_LEN.get(kind)
        if chk and not chk(n):
            return False, res
        if kind == 2:
            res["mss"] = int.from_bytes(b[i + 2:i + 4], "big")
        elif kind == 3:
            res["wscale"] = b[i + 2]
        elif kind == 4:
            res["sack_ok"] = True
        i += n
    return True, res


def run_tshark(cap, tshark, disabled=()):
    cmd = [tshark, "-r", cap, "-n", "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=f", "-E", "quote=n",
           "-E", "header=n",
           "-o", "tcp.relative_sequence_numbers:TRUE",
           "-Y", "tcp && !icmp && !icmpv6"]
    for proto in sorted(disabled):
        cmd += ["--disable-protocol", proto]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    # A capture cut short in the middle of a record, or with a record
    # longer than 262144 bytes (tshark's exit status 2 and its message),
    # still has every frame before that one: that is where libpcap, and so
    # net_pcap and the probe, stop too (libpcap's MAXIMUM_SNAPLEN is 262144).
    if p.returncode != 0 and not (p.returncode == 2 and (
            "cut short in the middle" in p.stderr or "bigger than maximum of 262144" in p.stderr)):
        sys.exit("tshark failed (%d): %s" % (p.returncode, p.stderr.strip()))
    return p.stdout.splitlines()


def ival(s, default=None):
    if s is None or s == "":
        return default
    try:
        return int(s, 0)
    except ValueError:
        return default


class Frame:
    __slots__ = ("no", "ts", "src", "dst", "sport", "dport", "flags", "tlen", "app", "sliced",
                 "win", "opts", "retrans", "ooo", "zw", "stream")


# Bytes before the IP header (VLAN tags aside), by Wireshark's encapsulation
# number (frame.encap_type) for the link types the contract names: Ethernet,
# Linux cooked v1 and v2, raw IP (101), IPv4 (228), IPv6 (229), BSD loopback
# (DLT_NULL and DLT_LOOP). Frames of any other encapsulation never count.
LINK_HDR_LEN = {1: 14, 25: 16, 210: 20, 7: 0, 129: 0, 130: 0, 15: 4, 174: 4}
# tshark's names for those link layers in frame.protocols (raw IPv4/IPv6
# frames start at ip/ipv6 with no link layer name).
LINK_NAMES = ("eth", "sll", "null", "raw")
TAG_LAYERS = ("vlan", "ieee8021ad")
# Layers that may sit between the link header and IP without being another
# protocol: tshark lists "ethertype" after Ethernet and Linux cooked headers.
GLUE_LAYERS = ("ethertype",)
# IPv6 extension headers the probe walks (an atomic fragment included).
IPV6_EXT_LAYERS = ("ipv6.hopopts", "ipv6.routing", "ipv6.dstopts", "ipv6.fraghdr")


def frame_of(cols, skipped=None):
    """A Frame when the frame counts under the contract, else None.

    skipped, a dict or None, gets one count per reason a frame is left out
    ("icmp", "link:NAME", "encap:CHAIN", "fragment", "malformed:WHAT"), and
    "sliced" counts frames that do count although their captured length is
    below their length on the wire."""
    def skip(reason):
        if skipped is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
        return None

    g = lambda f: cols[IDX[f]] if IDX[f] < len(cols) else ""
    protos = g("frame.protocols").split(":")
    if "tcp" not in protos:
        return None
    chain = protos[:protos.index("tcp")]
    if "icmp" in chain or "icmpv6" in chain:
        return skip("icmp")
    link_hdr = LINK_HDR_LEN.get(ival(g("frame.encap_type")))
    if link_hdr is None or not chain:
        return skip("link:" + (chain[0] if chain else "none"))
    if chain[0] in LINK_NAMES:
        link, i = chain[0], 1
    else:
        link, i = "raw", 0      # raw IPv4 / IPv6 (228, 229): no link layer name
    # The link header, VLAN tags, one IP header (IPv6 with its extension
    # headers), then TCP: anything else (MPLS, PPPoE, GRE, IP in IP, VXLAN,
    # ...) is a tunnel or an encapsulation the contract does not read.
    ntags = 0
    while i < len(chain) and (chain[i] in TAG_LAYERS or chain[i] in GLUE_LAYERS):
        ntags += chain[i] in TAG_LAYERS
        i += 1
    l3 = chain[i] if i < len(chain) else None
    rest = chain[i + 1:]
    if (l3 not in ("ip", "ipv6") or (l3 == "ip" and rest)
            or (l3 == "ipv6" and any(p not in IPV6_EXT_LAYERS for p in rest))):
        return skip("encap:" + ":".join(chain))
    if ntags > 4:
        return skip("malformed:vlan_depth")
    l3off = link_hdr + 4 * ntags
    wire = ival(g("frame.len"), 0)
    cap = ival(g("frame.cap_len"), 0)
    # IP length against the frame's length on the wire, not the captured
    # length: a sliced frame counts when its IP and TCP headers were captured
    # (tshark then has tcp.hdr_len and all of tcp.options, checked below).
    if l3 == "ip":
        hl, tl = ival(g("ip.hdr_len")), ival(g("ip.len"))
        if hl is None or tl is None or hl < 20 or tl < hl or l3off + tl > wire:
            return skip("malformed:ip_len")
        if ival(g("ip.flags.mf"), 0) or ival(g("ip.frag_offset"), 0):
            return skip("fragment")
        src, dst = g("ip.src"), g("ip.dst")
    else:
        plen = ival(g("ipv6.plen"))
        if plen is None or l3off + 40 + plen > wire:
            return skip("malformed:ip_len")
        # RFC 6946: a fragment header with offset 0 and no more fragments
        # is an atomic fragment, not a fragment.
        if g("ipv6.fraghdr.offset") != "" and (ival(g("ipv6.fraghdr.offset"), 0)
                                               or g("ipv6.fraghdr.more") in ("1", "True")):
            return skip("fragment")
        src, dst = g("ipv6.src"), g("ipv6.dst")
        tl = 40 + plen
    thl, tlen = ival(g("tcp.hdr_len")), ival(g("tcp.len"))
    if thl is None or tlen is None or thl < 20 or tlen < 0:
        return skip("malformed:tcp_hdr")   # data offset < 5, beyond the segment, or cut
    ok, opts = parse_options(g("tcp.options"))
    if not ok or len(bytes.fromhex(g("tcp.options").replace(":", ""))) != thl - 20:
        return skip("malformed:tcp_opt")
    if l3off + tl - tlen > cap:
        return skip("malformed:cut_header")   # sliced inside the IP or TCP header
    if cap < wire:
        skip("sliced")
    if link != "eth":
        skip("linklayer:" + link)
    f = Frame()
    f.no = int(g("frame.number"))
    f.ts = Decimal(g("frame.time_epoch"))
    f.src, f.dst = src, dst
    f.sport, f.dport = int(g("tcp.srcport")), int(g("tcp.dstport"))
    f.flags = ival(g("tcp.flags"), 0)
    f.tlen = tlen
    f.sliced = cap < wire
    f.app = tuple(protos[len(chain) + 1:])    # what tshark dissected in the payload
    # tcp.window_size is the window as tshark scaled it when it dissected
    # the frame (one pass, in file order): Wireshark 4.0's rule exactly
    # (packet-tcp.c, dissect_tcp() and verify_tcp_window_scaling()).
    f.win = ival(g("tcp.window_size"), ival(g("tcp.window_size_value"), 0))
    f.opts = opts
    f.retrans = bool(g("tcp.analysis.retransmission") or g("tcp.analysis.fast_retransmission")
                     or g("tcp.analysis.spurious_retransmission"))
    f.ooo = bool(g("tcp.analysis.out_of_order"))
    f.zw = bool(g("tcp.analysis.zero_window"))
    f.stream = int(g("tcp.stream"))
    return f


def ts_out(d):
    # Microseconds, cut as libpcap cuts a nanosecond pcapng time for a
    # microsecond reader (net_pcap's packet time): down, not to nearest.
    return float(d.quantize(Decimal("0.000001"), rounding=ROUND_FLOOR))


def us_between(a, b):
    return float(((b - a) * 1000000).quantize(Decimal("0.001")))


def addr_key(ip):
    return ipaddress.ip_address(ip)


def build(frames):
    frames.sort(key=lambda f: f.no)
    first_syn = next((f for f in frames if f.flags & SYN and not f.flags & ACK), None)
    f0 = frames[0]
    a, b = (f0.src, f0.sport), (f0.dst, f0.dport)
    if first_syn is not None:
        client = (first_syn.src, first_syn.sport)
        server = (first_syn.dst, first_syn.dport)
    else:
        ka = (a[1], addr_key(a[0]))
        kb = (b[1], addr_key(b[0]))
        client, server = (a, b) if ka > kb else (b, a)

    def is_c2s(f):
        return (f.src, f.sport) == client

    dirs = {}
    for name in ("c2s", "s2c"):
        dirs[name] = {"packets": 0, "payload_bytes": 0, "retrans": 0, "out_of_order": 0,
                      "zero_window": 0, "rst": 0, "fin": 0, "win_max": 0,
                      "wscale": None, "mss": None, "sack_ok": False}
    first_synack = next((f for f in frames if f.flags & SYN and f.flags & ACK), None)
    # Options: each side's own first SYN or SYN-ACK (the client's SYN, the
    # server's SYN-ACK). Where no SYN was seen the client is the higher port,
    # which may be the side that sent the SYN-ACK: its options are still its
    # own, c2s.
    for name in ("c2s", "s2c"):
        first = next((f for f in frames if f.flags & SYN and (is_c2s(f) == (name == "c2s"))),
                     None)
        if first is not None:
            dirs[name].update(first.opts)

    nsyn = nsynack = 0
    last_syn_before_sa = None
    synack_to_ack = None
    first_rst = None
    first_fin = {"c2s": None, "s2c": None}
    for f in frames:
        d = "c2s" if is_c2s(f) else "s2c"
        st = dirs[d]
        st["packets"] += 1
        st["payload_bytes"] += f.tlen
        fl = f.flags
        if fl & SYN and not fl & ACK:
            nsyn += 1
            if first_synack is None or f.no < first_synack.no:
                last_syn_before_sa = f
        if fl & SYN and fl & ACK:
            nsynack += 1
        if not fl & SYN:
            if f.retrans:
                st["retrans"] += 1
            if f.ooo:
                st["out_of_order"] += 1
        if f.zw:
            st["zero_window"] += 1
        if fl & RST:
            st["rst"] += 1
            if first_rst is None:
                first_rst = (f.no, d)
        if fl & FIN:
            st["fin"] += 1
            if first_fin[d] is None:
                first_fin[d] = f.no
        st["win_max"] = max(st["win_max"], f.win)
        # The first pure ACK from the side that did not send the SYN-ACK: the
        # client in an ordinary handshake, the server in a split one (the
        # client answering the server's SYN with a SYN-ACK, suricata-verify
        # tcp-split-handshake-01-4whs).
        if (synack_to_ack is None and first_synack is not None
                and is_c2s(f) != is_c2s(first_synack) and f.no > first_synack.no and fl & ACK
                and not fl & (SYN | FIN | RST) and f.tlen == 0):
            synack_to_ack = us_between(first_synack.ts, f.ts)

    if first_syn is None:
        outcome = "midstream"
    elif first_synack is None:
        outcome = "refused" if dirs["s2c"]["rst"] else "syn_timeout"
    else:
        both_fin = first_fin["c2s"] is not None and first_fin["s2c"] is not None
        second_fin = max(first_fin["c2s"], first_fin["s2c"]) if both_fin else None
        if first_rst is not None and (second_fin is None or first_rst[0] < second_fin):
            outcome = "reset"
        elif both_fin:
            outcome = "completed"
        else:
            outcome = "established"
    rst_by = None
    if first_rst is not None:
        rst_by = "client" if first_rst[1] == "c2s" else "server"

    hs = {"syn": nsyn, "synack": nsynack,
          "syn_to_synack_us": (us_between(last_syn_before_sa.ts, first_synack.ts)
                               if first_synack is not None and last_syn_before_sa is not None
                               else None),
          "synack_to_ack_us": synack_to_ack}
    return {"type": "flow",
            "client": {"ip": client[0], "port": client[1]},
            "server": {"ip": server[0], "port": server[1]},
            "first_ts": ts_out(frames[0].ts), "last_ts": ts_out(frames[-1].ts),
            "outcome": outcome, "rst_by": rst_by, "end_reason": None,
            "handshake": hs, "c2s": dirs["c2s"], "s2c": dirs["s2c"],
            "tshark_stream": frames[0].stream,
            "tshark_sliced": sum(1 for f in frames if f.sliced)}


def read(capture, tshark, disabled):
    """One tshark pass: (streams, skipped, left_out)."""
    streams = {}
    skipped = {}
    left_out = {}      # tcp.stream -> {reason: frames} for frames left out of it
    for line in run_tshark(capture, tshark, disabled):
        cols = line.split("\t")
        why = {}
        f = frame_of(cols, why)
        for k, v in why.items():
            skipped[k] = skipped.get(k, 0) + v
        if f is not None:
            streams.setdefault(f.stream, []).append(f)
            continue
        st = ival(cols[IDX["tcp.stream"]]) if IDX["tcp.stream"] < len(cols) else None
        reasons = [k for k in why if k != "icmp"]
        if st is not None and reasons:
            d = left_out.setdefault(st, {})
            d[reasons[0]] = d.get(reasons[0], 0) + 1
    return streams, skipped, left_out


def split_by_dissectors(streams):
    """Payload protocols of streams tshark split without a SYN.

    Wireshark's TCP starts a new stream on a 4-tuple in use only for a SYN
    whose sequence number differs from that side's first one (packet-tcp.c
    dissect_tcp(), "If this is a SYN packet, then check if its seq-nr is
    different from the base_seq"). A later stream on the same 4-tuple that
    starts otherwise was made by a payload dissector that created its own
    conversation on the 4-tuple (VNC does, ndpi vnc.pcap): TCP then finds
    that conversation and starts over with a fresh tcp.stream and fresh
    analysis state. Returns the payload protocols of the frames on both
    sides of each such split, to be disabled in a second pass."""
    by_tuple = {}
    for fr in streams.values():
        key = frozenset([(fr[0].src, fr[0].sport), (fr[0].dst, fr[0].dport)])
        by_tuple.setdefault(key, []).append(fr)
    protos = set()
    for group in by_tuple.values():
        group.sort(key=lambda fr: fr[0].no)
        for prev, cur in zip(group, group[1:]):
            if cur[0].flags & (SYN | ACK) == SYN:
                continue
            for f in prev + cur:
                protos.update(p for p in f.app if p not in ("data", "_ws.malformed"))
    return protos


def main():
    ap = argparse.ArgumentParser(description="tshark reference flow records (JSON Lines)")
    ap.add_argument("capture")
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--skipped", metavar="FILE",
                    help="write the counts of frames left out, by reason, as JSON")
    a = ap.parse_args()
    disabled = set()
    for _ in range(3):
        streams, skipped, left_out = read(a.capture, a.tshark, disabled)
        more = split_by_dissectors(streams) - disabled
        if not more:
            break
        disabled |= more
    if disabled:
        skipped["disabled:" + ",".join(sorted(disabled))] = 1
    if a.skipped:
        with open(a.skipped, "w") as fh:
            json.dump(skipped, fh, sort_keys=True)
    recs = [build(fr) for fr in streams.values()]
    for r in recs:
        # tshark's analysis of this stream also saw frames the contract
        # leaves out (a tunnelled copy, a fragment, a malformed frame): its
        # flags on the counted frames may differ from the probe's by design.
        if r["tshark_stream"] in left_out:
            r["ref_left_out"] = left_out[r["tshark_stream"]]
    recs.sort(key=lambda r: (r["first_ts"], r["tshark_stream"]))
    out = sys.stdout
    for r in recs:
        out.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
