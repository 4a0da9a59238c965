#!/usr/bin/python3
"""tshark_flows.py CAPTURE [--tshark PATH] -- the accuracy reference.

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
                  first SYN-ACK to the client's first pure ACK after it
  packets, payload_bytes (tcp.len), rst, fin   counted frames
  retrans         non-SYN frames with tcp.analysis.retransmission,
                  .fast_retransmission or .spurious_retransmission
  out_of_order    non-SYN frames with tcp.analysis.out_of_order
  zero_window     frames with tcp.analysis.zero_window
  win_max         from tcp.window_size_value (raw), scaled here (see below)
  wscale/mss/sack_ok  parsed here from the raw option bytes (tcp.options) of
                  the first SYN (c2s) / first SYN-ACK (s2c)
  tshark_stream, tshark_sliced  (not contract fields) the tcp.stream, and how
                  many of the counted frames were sliced (frame.cap_len <
                  frame.len): what the probe's parse.sliced should sum to

Which frames count (the contract's "Which packets count", "Sliced frames
count" and "Link types"), applied here on tshark's fields: the link type is
one the contract names (frame.encap_type), tshark dissects TCP in the frame,
the frame is not TCP inside ICMP/ICMPv6 (frame.protocols), at most 4 VLAN tags
(vlan/ieee8021ad layers), IPv4 IHL >= 5, IP total length (IPv6: payload length
+ 40) >= the header and within the frame's length on the wire (frame.len),
the whole IP and TCP header captured (a sliced frame counts with tcp.len from
the IP length, as tshark gives it), not a fragment (ip.flags.mf, ip.frag_offset,
ipv6.fraghdr), TCP data offset >= 5 and within the segment, options well
formed (each length >= 2 and inside the header; MSS 4, WS 3, SACK-permitted
2, timestamps 10, SACK 2+8n).

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
 4. tcp.window_size (the scaled window) applies tshark's own guesses
    (tcp.default_window_size_scaling) when it saw no handshake; the contract
    wants the raw 16-bit value for midstream flows and scaling only when both
    the first SYN and the first SYN-ACK carried window scale. Computed here
    from tcp.window_size_value; a shift above 14 is used as 14 (RFC 7323, and
    what tshark does) -- `wscale` itself reports the raw option value.
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
"""
import argparse
import ipaddress
import json
import subprocess
import sys
from decimal import Decimal

FIELDS = [
    "frame.number", "frame.time_epoch", "frame.cap_len", "frame.len", "frame.encap_type",
    "frame.protocols",
    "ip.src", "ip.dst", "ip.hdr_len", "ip.len", "ip.flags.mf", "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.fraghdr.offset",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.hdr_len", "tcp.len",
    "tcp.flags", "tcp.window_size_value", "tcp.options",
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order",
    "tcp.analysis.zero_window",
]
IDX = {f: i for i, f in enumerate(FIELDS)}

# Bytes before the IP header (VLAN tags aside), by Wireshark's encapsulation
# number (frame.encap_type) for the link types the contract names: Ethernet,
# Linux cooked v1 and v2, raw IP (101), IPv4 (228), IPv6 (229), BSD loopback
# (DLT_NULL and DLT_LOOP). Frames of any other encapsulation never count.
LINK_HDR_LEN = {1: 14, 25: 16, 210: 20, 7: 0, 129: 0, 130: 0, 15: 4, 174: 4}

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


def run_tshark(cap, tshark):
    cmd = [tshark, "-r", cap, "-n", "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=f", "-E", "quote=n",
           "-E", "header=n",
           "-o", "tcp.relative_sequence_numbers:TRUE",
           "-Y", "tcp && !icmp && !icmpv6"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
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
    __slots__ = ("no", "ts", "src", "dst", "sport", "dport", "flags", "tlen",
                 "win", "opts", "retrans", "ooo", "zw", "stream", "sliced")


def frame_of(cols):
    """A Frame when the frame counts under the contract, else None."""
    g = lambda f: cols[IDX[f]] if IDX[f] < len(cols) else ""
    protos = g("frame.protocols").split(":")
    if "icmp" in protos or "icmpv6" in protos or "tcp" not in protos:
        return None
    # link layer: Ethernet + VLAN tags before the first IP layer
    l3 = None
    ntags = 0
    for p in protos:
        if p in ("vlan", "ieee8021ad"):
            ntags += 1
        elif p in ("ip", "ipv6"):
            l3 = p
            break
    link_hdr = LINK_HDR_LEN.get(ival(g("frame.encap_type")))
    if l3 is None or ntags > 4 or link_hdr is None:
        return None
    l3off = link_hdr + 4 * ntags
    cap = ival(g("frame.cap_len"), 0)
    wire = ival(g("frame.len"), cap)
    if l3 == "ip":
        hl, tl = ival(g("ip.hdr_len")), ival(g("ip.len"))
        if hl is None or tl is None or hl < 20 or tl < hl or l3off + tl > wire:
            return None
        if ival(g("ip.flags.mf"), 0) or ival(g("ip.frag_offset"), 0):
            return None
        src, dst = g("ip.src"), g("ip.dst")
    else:
        plen = ival(g("ipv6.plen"))
        if plen is None:
            return None
        tl = 40 + plen
        if l3off + tl > wire:
            return None
        if g("ipv6.fraghdr.offset") != "":
            return None
        src, dst = g("ipv6.src"), g("ipv6.dst")
    thl, tlen = ival(g("tcp.hdr_len")), ival(g("tcp.len"))
    if thl is None or tlen is None or thl < 20 or tlen < 0:
        return None          # data offset < 5 or beyond the segment
    if l3off + tl - tlen > cap:
        return None          # sliced inside the IP or TCP header
    ok, opts = parse_options(g("tcp.options"))
    if not ok or len(bytes.fromhex(g("tcp.options").replace(":", ""))) != thl - 20:
        return None
    f = Frame()
    f.no = int(g("frame.number"))
    f.ts = Decimal(g("frame.time_epoch"))
    f.src, f.dst = src, dst
    f.sport, f.dport = int(g("tcp.srcport")), int(g("tcp.dstport"))
    f.flags = ival(g("tcp.flags"), 0)
    f.tlen = tlen
    f.win = ival(g("tcp.window_size_value"), 0)
    f.opts = opts
    f.retrans = bool(g("tcp.analysis.retransmission") or g("tcp.analysis.fast_retransmission")
                     or g("tcp.analysis.spurious_retransmission"))
    f.ooo = bool(g("tcp.analysis.out_of_order"))
    f.zw = bool(g("tcp.analysis.zero_window"))
    f.stream = int(g("tcp.stream"))
    f.sliced = cap < wire
    return f


def ts_out(d):
    return float(d.quantize(Decimal("0.000001")))


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
    c_syn = first_syn if first_syn is not None else None
    # options: first SYN (client side), first SYN-ACK (server side)
    if c_syn is not None:
        dirs["c2s"].update(c_syn.opts)
    if first_synack is not None:
        dirs["s2c"].update(first_synack.opts)
    scaling = (c_syn is not None and first_synack is not None
               and c_syn.opts["wscale"] is not None
               and first_synack.opts["wscale"] is not None)

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
        win = f.win
        if not fl & SYN and scaling:
            win = win << min(st["wscale"], 14)
        st["win_max"] = max(st["win_max"], win)
        if (synack_to_ack is None and first_synack is not None and d == "c2s"
                and f.no > first_synack.no and fl & ACK
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


def main():
    ap = argparse.ArgumentParser(description="tshark reference flow records (JSON Lines)")
    ap.add_argument("capture")
    ap.add_argument("--tshark", default="tshark")
    a = ap.parse_args()
    streams = {}
    for line in run_tshark(a.capture, a.tshark):
        cols = line.split("\t")
        f = frame_of(cols)
        if f is not None:
            streams.setdefault(f.stream, []).append(f)
    recs = [build(fr) for fr in streams.values()]
    recs.sort(key=lambda r: (r["first_ts"], r["tshark_stream"]))
    out = sys.stdout
    for r in recs:
        out.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
