#!/usr/bin/python3
"""Unit tests of relink.py (no root, no tshark): the link headers it writes,
byte for byte, for a VLAN-tagged IPv4 TCP frame, IPv6 TCP frames and an ARP frame."""
import contextlib
import io
import os
import shutil
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import pcapio  # noqa: E402
import relink  # noqa: E402

CLIENT = bytes.fromhex("020000000001")
SERVER = bytes.fromhex("020000000002")
IP4 = bytes([0x45, 0, 0, 40]) + bytes(5) + bytes([6]) + bytes(10)
TCP_SYN = bytes(12) + bytes([0x50, 0x02]) + bytes(6)
TCP_ACK = bytes(12) + bytes([0x50, 0x10]) + bytes(6)
IP6 = bytes([0x60, 0, 0, 0, 0, 20, 6, 64]) + bytes(32)


def eth(dst, src, etype, payload, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst + src + tag + struct.pack("!H", etype) + payload


FRAMES = [
    eth(SERVER, CLIENT, 0x0800, IP4[:12] + bytes(8) + TCP_SYN, vlan=100),  # to the server
    eth(CLIENT, SERVER, 0x86DD, IP6 + TCP_ACK),                            # from it
    eth(b"\xff" * 6, CLIENT, 0x0806, bytes(28)),                           # ARP broadcast
    eth(SERVER, CLIENT, 0x86DD, IP6 + TCP_ACK),
    eth(SERVER, CLIENT, 0x86DD, IP6 + TCP_ACK + bytes(200)),
]


class RelinkTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="relink-test.")
        self.src = os.path.join(self.dir, "eth.pcap")
        pcapio.write(self.src, [(1, i, f, len(f)) for i, f in enumerate(FRAMES)], 1)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_relink(self, linktype, snaplen=0, endian="<", src=None):
        out = os.path.join(self.dir, "out.pcap")
        with contextlib.redirect_stderr(io.StringIO()) as err:
            relink.relink(src or self.src, out, linktype, snaplen, endian)
        self.assertEqual(pcapio.header(out)[0], linktype)
        return list(pcapio.read(out)), err.getvalue()

    def test_refuses_input_that_is_not_ethernet(self):
        other = os.path.join(self.dir, "raw.pcap")
        pcapio.write(other, [(1, 0, IP4, 20)], pcapio.LINKTYPE_RAW)
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as e:
            self.run_relink(113, src=other)
        self.assertEqual(e.exception.code, 2)

    def test_cooked_v1_keeps_vlan_tags_and_marks_outgoing(self):
        recs, _ = self.run_relink(pcapio.LINKTYPE_LINUX_SLL)
        self.assertEqual(len(recs), len(FRAMES))
        syn = recs[0].data
        self.assertEqual(syn[:16], struct.pack("!HHH8sH", 0, 1, 6, CLIENT + b"\0\0", 0x8100))
        self.assertEqual(syn[16:], FRAMES[0][14:])  # TCI, inner type, IPv4
        self.assertEqual(struct.unpack("!H", recs[1].data[:2])[0], 4)  # the server's: outgoing
        self.assertEqual(struct.unpack("!H", recs[2].data[:2])[0], 1)  # broadcast
        self.assertEqual(recs[0].orig_len, len(FRAMES[0]) + 2)

    def test_cooked_v2_header(self):
        recs, _ = self.run_relink(pcapio.LINKTYPE_LINUX_SLL2)
        self.assertEqual(recs[1].data[:20],
                         struct.pack("!HHIHBB8s", 0x86DD, 0, 2, 1, 4, 6, SERVER + b"\0\0"))
        self.assertEqual(recs[1].data[20:], FRAMES[1][14:])

    def test_raw_ip_strips_ethernet_and_tags_and_drops_other_frames(self):
        for lt, want in [(101, [0, 1, 3, 4]), (228, [0]), (229, [1, 3, 4])]:
            recs, err = self.run_relink(lt)
            self.assertEqual([r.ts_usec for r in recs], want, lt)
            self.assertIn("%d dropped" % (len(FRAMES) - len(want)), err)
        recs, _ = self.run_relink(101)
        self.assertEqual(recs[0].data, FRAMES[0][18:])
        self.assertEqual(recs[0].orig_len, len(FRAMES[0]) - 18)

    def test_bsd_loopback_address_families_and_byte_orders(self):
        for lt, endian, order in [(0, "<", "<"), (0, ">", ">"), (108, "<", ">")]:
            recs, _ = self.run_relink(lt, endian=endian)
            fams = [struct.unpack(order + "I", r.data[:4])[0] for r in recs]
            self.assertEqual(fams, [2, 24, 28, 30], (lt, endian))
            self.assertEqual(recs[0].data[4:], FRAMES[0][18:])

    def test_snaplen_cuts_records_keeps_wire_length_and_counts_cut_headers(self):
        recs, err = self.run_relink(pcapio.LINKTYPE_LINUX_SLL2, snaplen=60)
        self.assertEqual(pcapio.header(os.path.join(self.dir, "out.pcap"))[1], 60)
        self.assertEqual([len(r.data) for r in recs], [min(60, len(f) + 6) for f in FRAMES])
        self.assertEqual([r.orig_len for r in recs], [len(f) + 6 for f in FRAMES])
        # the TCP header ends at 20 + 4 + 20 + 20 = 64 (tagged IPv4) or at
        # 20 + 40 + 20 = 80 (IPv6), both past 60: four segments are cut
        self.assertIn("4 TCP headers cut", err)
        recs, err = self.run_relink(pcapio.LINKTYPE_ETHERNET, snaplen=64)
        self.assertIn("3 TCP headers cut", err)  # 14 + 4 + 20 + 20 = 58 fits


if __name__ == "__main__":
    unittest.main(verbosity=2)
