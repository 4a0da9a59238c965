#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_flow (tests/fuzz/corpus_flow/).

Each seed is one input in fuzz_flow.c's encoding, written out by name so a
reader can see what it exercises:

    header  capacity byte, timeouts byte, time-wait / start-time byte
    ops     0-3 one segment; 4 a script (whole connections over a run of
            tuples); 5-6 a burst of segments; 7 time passes (expire)

    tests/fuzz/make_corpus_flow.py OUT_DIR

Files are named after their SHA-1, as libFuzzer names its own entries.
corpus_flow/ also keeps inputs the fuzzer found, as regression seeds:
  2f190bb594e6e877aae5638980ec792677a025c4  a port-reuse gap on a flow whose 4-tuple
      never ended: hot tuples 8 and 9 (ports swapped) had the same flow hash
      before 730d54c, so the memory of ended 4-tuples mistook one for the other.
"""

import hashlib
import os
import sys

# Scripts (fuzz_flow.c: scripts[]).
COMPLETED, SYN_ONLY, REFUSED, OPEN, RESET, MIDSTREAM, ANSWERED, CLOSING = range(8)
# Flags as fuzz_flow.c's flag_table indexes them.
F_ACK, F_PSH_ACK, F_SYN, F_SYNACK, F_FINACK, F_RST, F_RSTACK = 0, 1, 3, 4, 5, 6, 7
# Time steps (fuzz_flow.c: time_step_of()).
T_SAME = 0x00
T_10US = 0x01          # 10 us
T_1MS = 0x02           # 1 ms
T_SEC = 0x03           # 1 s
T_MIN = 0x07           # 1 minute
T_IDLE = 0x0b          # exactly the idle timeout
T_SYN = 0x1b           # exactly the SYN timeout
T_LINGER = 0x2b        # exactly the close linger
T_TW = 0x3b            # exactly the time-wait memory
T_LINGER_LESS = 0x2f   # the close linger less 1 us


def header(capacity, idle=0, syn=0, linger=0, tw=3, slots=0, start=1):
    """idle: 1,2,5,off s; syn: 0.5,1,3,off s; linger: 5 (default),0.1,1,2 s;
    tw: off,2,10,60 s; slots: capacity,4,8,16; start: 0, 2023, 2038, 2106."""
    b1 = idle | syn << 2 | linger << 4 | tw << 6
    b2 = slots << 1 | start << 3
    return bytes([capacity - 16, b1, b2])


def script(kind, first_tuple, flows, time=T_10US, burst=0, round_robin=True,
           options=0x1c, swap=False):
    """burst: 0 one packet at a time, else the burst length (1..32)."""
    op = 4 | (((burst - 1) | 0x10) << 3 if burst else 0)
    b0 = kind | (flows - 1) << 3
    b3 = (1 if round_robin else 0) | options | (0x80 if swap else 0)
    return bytes([op & 0xff, b0, first_tuple, time, b3])


def expire(time, behind=False):
    return bytes([7 | (8 if behind else 0), time])


def seg(tuple_, ep, flag, seq_mode=0, ack_mode=0, length=0, delta=0, opt=0, time=T_10US):
    """One segment. tuple_: 0..9 hot, 10..137 cold; length: index into len_table;
    opt bits: 0-1 window (0 same, 1 zero, 3 new), 2 MSS, 3 WS, 4 SACK-ok, 5 TS."""
    if tuple_ < 10:
        out = [(tuple_ << 1) | ep]
    else:
        out = [(96 << 1) | ep, tuple_ - 10]
    out += [flag, seq_mode | ack_mode << 2 | length << 4, delta, opt, time]
    return bytes(out)


def single(*segs):
    return b"".join(bytes([0]) + s for s in segs)


def burst(queue, *segs):
    assert 1 <= len(segs) <= 80
    return bytes([5 | (queue - 1) << 4, len(segs) - 1]) + b"".join(segs)


def handshake(t, isn_delta=0, time=T_10US):
    return single(seg(t, 0, F_SYN, delta=isn_delta, opt=0x1c, time=time),
                  seg(t, 1, F_SYNACK, opt=0x1c, time=time),
                  seg(t, 0, F_ACK, time=time))


SEEDS = {
    # 20 complete connections interleaved, through bursts, then an idle gap.
    "completed_bursts": header(64) + script(COMPLETED, 10, 14, burst=16)
    + expire(T_MIN) + script(MIDSTREAM, 40, 5),
    # A SYN flood cycling through the half-open budget, answered and not,
    # with established flows that must survive it.
    "syn_flood": header(16) + script(OPEN, 8, 6) + script(SYN_ONLY, 20, 32, time=T_SAME)
    + script(ANSWERED, 60, 32, burst=32) + script(COMPLETED, 8, 6, round_robin=False),
    # Every entry open, then SYNs (dropped) and midstream flows (evicting).
    "table_full": header(16) + script(OPEN, 30, 16) + script(SYN_ONLY, 70, 8)
    + script(MIDSTREAM, 90, 4, burst=8),
    # Closed flows lingering, evicted, aged out; late segments after the linger.
    "linger_late": header(24, linger=1, tw=2) + script(COMPLETED, 8, 10)
    + script(RESET, 20, 6) + expire(T_LINGER) + script(CLOSING, 8, 10)
    + expire(T_TW) + script(CLOSING, 8, 4),
    # Timeouts hit exactly and missed by 1 us; a clock that goes back.
    "aging_edges": header(20, idle=0, syn=1, linger=2) + script(SYN_ONLY, 8, 4)
    + script(OPEN, 14, 4) + expire(T_SYN) + expire(T_SEC, behind=True)
    + expire(T_LINGER_LESS) + expire(T_IDLE) + script(REFUSED, 20, 3),
    # Hot tuples: port reuse with a new ISN, the same SYN again, data with
    # retransmissions, a hole, keep-alives, zero windows, an RST.
    "hot_reuse": header(16, tw=3)
    + handshake(0)
    + single(seg(0, 0, F_PSH_ACK, length=10), seg(0, 0, F_PSH_ACK, seq_mode=1, length=10, delta=9),
             seg(0, 1, F_ACK, opt=1), seg(0, 0, F_ACK, seq_mode=1, length=4),
             seg(0, 1, F_ACK, opt=3, delta=5), seg(0, 0, F_PSH_ACK, seq_mode=2, length=9, delta=3),
             seg(0, 0, F_FINACK), seg(0, 1, F_FINACK), seg(0, 0, F_ACK))
    + single(seg(0, 0, F_SYN, seq_mode=3, delta=0x42, opt=0x1c, time=T_SEC))
    + single(seg(0, 0, F_SYN, time=T_SEC), seg(0, 1, F_RSTACK))
    + handshake(5) + handshake(4) + handshake(6)
    + single(seg(4, 1, F_RST, time=T_MIN), seg(6, 0, F_PSH_ACK, length=13, delta=1)),
    # Sequence numbers across the wrap (base 0xffffff00) and big segments.
    "wrap_bigtcp": header(16) + single(seg(1, 0, F_SYN, delta=2, opt=0x0c),
                                       seg(1, 1, F_SYNACK, delta=3, opt=0x0c),
                                       seg(1, 0, F_ACK), seg(1, 0, F_PSH_ACK, length=14),
                                       seg(1, 0, F_PSH_ACK, length=13), seg(1, 1, F_ACK),
                                       seg(1, 0, F_PSH_ACK, seq_mode=1, length=14, delta=200)),
}


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        path = os.path.join(out, hashlib.sha1(data).hexdigest())
        with open(path, "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes -> {os.path.basename(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
