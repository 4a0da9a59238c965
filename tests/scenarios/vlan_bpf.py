#!/usr/bin/python3
"""Load tiny tc (cls_bpf, direct-action) eBPF programs that push or pop VLAN
tags, and pin them under DIR (a bpffs mount).  stdlib only: the programs are
hand-assembled and loaded with the bpf(2) syscall through ctypes.

This kernel has no 8021q module, no bridge VLAN filtering and no act_vlan,
so VLAN-tagged traffic between namespaces is made with these:
  DIR/push_q     egress: push 802.1Q tag VID 100
  DIR/push_qinq  egress: push 802.1Q VID 100, then 802.1ad (0x88a8) VID 200 outside it
  DIR/pop1       ingress: pop one tag
  DIR/pop2       ingress: pop two tags
Attach with: tc qdisc add dev X clsact;
             tc filter add dev X egress bpf direct-action object-pinned DIR/push_q
The capture tap sees frames after tc egress and before tc ingress, so a
capture on the veth shows the tags in both directions.

usage: vlan_bpf.py DIR
"""
import ctypes
import os
import struct
import sys

NR_BPF = 321          # x86_64
BPF_PROG_LOAD, BPF_OBJ_PIN = 5, 6
SCHED_CLS = 3
HELPER_VLAN_PUSH, HELPER_VLAN_POP = 18, 19


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def mov_rr(dst, src):
    return insn(0xBF, dst, src)


def mov_ri(dst, imm):
    return insn(0xB7, dst, 0, 0, imm)


def call(h):
    return insn(0x85, imm=h)


EXIT = insn(0x95)


def push(proto, vid):
    # bpf_skb_vlan_push(skb, __be16 proto, u16 tci): proto in network order
    be = struct.unpack("<H", struct.pack(">H", proto))[0]
    return mov_rr(1, 6) + mov_ri(2, be) + mov_ri(3, vid) + call(HELPER_VLAN_PUSH)


def pop():
    return mov_rr(1, 6) + call(HELPER_VLAN_POP)


def prog(body):
    return mov_rr(6, 1) + body + mov_ri(0, 0) + EXIT   # TC_ACT_OK


PROGS = {
    "push_q": prog(push(0x8100, 100)),
    "push_qinq": prog(push(0x8100, 100) + push(0x88A8, 200)),
    "pop1": prog(pop()),
    "pop2": prog(pop() + pop()),
}

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(ctypes.c_long(NR_BPF), ctypes.c_int(cmd), buf, ctypes.c_uint(128))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def load(code):
    insns = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(65536)
    attr = struct.pack("<IIQQIIQ", SCHED_CLS, len(code) // 8, ctypes.addressof(insns),
                       ctypes.addressof(lic), 1, len(log), ctypes.addressof(log))
    try:
        return bpf(BPF_PROG_LOAD, attr)
    except OSError:
        sys.stderr.write(log.value.decode(errors="replace"))
        raise


def pin(fd, path):
    p = ctypes.create_string_buffer(path.encode())
    bpf(BPF_OBJ_PIN, struct.pack("<QII", ctypes.addressof(p), fd, 0))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    for name, code in PROGS.items():
        fd = load(code)
        pin(fd, os.path.join(d, name))
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
