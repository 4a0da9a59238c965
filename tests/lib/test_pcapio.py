#!/usr/bin/python3
"""Unit tests of pcapio (no root, no network): bad input first, then round trips
through classic pcap in both byte orders, nanosecond pcap and pcapng built by
hand, and, when editcap is installed, through files Wireshark's own writer made."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapio  # noqa: E402

RECS = [
    (1700000000, 1, bytes(range(60)), 60),
    (1700000000, 999999, b"\xaa" * 1514, 1514),
    (4000000000, 500000, b"\x01\x02\x03", 1500),  # after 2038, already sliced
]


def block(e, btype, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def option(e, code, val):
    return struct.pack(e + "HH", code, len(val)) + val + b"\0" * (-len(val) % 4)


def pcapng(e, ifaces, packets):
    """A pcapng file: ifaces = [(linktype, snaplen, tsresol byte or None)],
    packets = [("epb", ifid, ticks, data, orig) | ("spb", data, orig)]."""
    out = block(e, pcapio.PCAPNG_SHB,
                struct.pack(e + "IHHq", pcapio.PCAPNG_BOM, 1, 0, -1))
    for lt, snap, res in ifaces:
        opts = option(e, pcapio.IDB_OPT_TSRESOL, bytes([res])) if res is not None else b""
        opts += option(e, 0, b"") if opts else b""
        out += block(e, pcapio.PCAPNG_IDB, struct.pack(e + "HHI", lt, 0, snap) + opts)
    # a name resolution block and a custom block, both to be skipped
    out += block(e, 4, option(e, 0, b""))
    out += block(e, 0x00000BAD, b"\x01\x02\x03\x04")
    for p in packets:
        if p[0] == "epb":
            _, ifid, ticks, data, orig = p
            out += block(e, pcapio.PCAPNG_EPB,
                         struct.pack(e + "IIIII", ifid, ticks >> 32, ticks & 0xFFFFFFFF,
                                     len(data), orig) + data)
        else:
            _, data, orig = p
            out += block(e, pcapio.PCAPNG_SPB, struct.pack(e + "I", orig) + data)
    return out


class PcapioTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pcapio-test.")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name, content=None):
        p = os.path.join(self.dir, name)
        if content is not None:
            with open(p, "wb") as f:
                f.write(content)
        return p

    def test_rejects_files_that_are_not_captures(self):
        for name, content in [("empty", b""), ("short", b"\xd4\xc3"),
                              ("text", b"this is not a capture file\n"),
                              ("random", bytes((i * 97 + 13) % 256 for i in range(4096)))]:
            with self.assertRaises(pcapio.PcapError, msg=name):
                list(pcapio.read(self.path(name, content)))

    def test_rejects_a_file_cut_inside_a_record(self):
        p = self.path("full.pcap")
        pcapio.write(p, RECS, pcapio.LINKTYPE_ETHERNET)
        with open(p, "rb") as f:
            whole = f.read()
        for cut in (24 + 8, 24 + 16 + 30, len(whole) - 1):
            with self.assertRaises(pcapio.PcapError, msg="cut at %d" % cut):
                list(pcapio.read(self.path("cut.pcap", whole[:cut])))
        with self.assertRaises(pcapio.PcapError):
            list(pcapio.read(self.path("hdr.pcap", whole[:20])))

    def test_rejects_pcapng_without_section_header_byte_order(self):
        e = "<"
        bad = struct.pack(e + "II", pcapio.PCAPNG_SHB, 28) + b"\x11\x22\x33\x44" + b"\0" * 16
        with self.assertRaises(pcapio.PcapError):
            list(pcapio.read(self.path("bad.pcapng", bad)))

    def test_classic_round_trip_both_byte_orders(self):
        for endian in ("<", ">"):
            for lt in (0, 1, 101, 108, 113, 228, 229, 276):
                p = self.path("rt.pcap")
                self.assertEqual(pcapio.write(p, RECS, lt, endian=endian), len(RECS))
                got = list(pcapio.read(p))
                self.assertEqual(got, [pcapio.Record(*r, lt) for r in RECS], (endian, lt))

    def test_write_slices_to_the_snap_length_and_keeps_orig_len(self):
        p = self.path("snap.pcap")
        pcapio.write(p, RECS, pcapio.LINKTYPE_LINUX_SLL2, snaplen=96)
        with open(p, "rb") as f:
            self.assertEqual(struct.unpack("<I", f.read(24)[16:20])[0], 96)
        got = list(pcapio.read(p))
        self.assertEqual([len(r.data) for r in got], [60, 96, 3])
        self.assertEqual([r.orig_len for r in got], [60, 1514, 1500])
        self.assertEqual(got[1].data, RECS[1][2][:96])

    def test_header_gives_link_type_and_snap_length_without_records(self):
        for endian in ("<", ">"):
            p = self.path("empty.pcap")
            pcapio.write(p, [], pcapio.LINKTYPE_IPV6, snaplen=128, endian=endian)
            self.assertEqual(pcapio.header(p), (229, 128))
            self.assertEqual(list(pcapio.read(p)), [])
        ng = pcapng("<", [(113, 96, None)], [("spb", b"\x45" * 100, 100)])
        p = self.path("t.pcapng", ng)
        self.assertEqual(pcapio.header(p), (113, 96))
        self.assertEqual([len(r.data) for r in pcapio.read(p)], [96])
        with self.assertRaises(pcapio.PcapError):
            pcapio.header(self.path("text", b"hello, world, this is text\n"))

    def test_classic_nanosecond_magic(self):
        for e in ("<", ">"):
            hdr = struct.pack(e + "IHHiIII", pcapio.MAGIC_NSEC, 2, 4, 0, 0, 65535, 113)
            rec = struct.pack(e + "IIII", 5, 123456789, 2, 2) + b"\x45\x00"
            got = list(pcapio.read(self.path("ns.pcap", hdr + rec)))
            self.assertEqual(got, [pcapio.Record(5, 123456, b"\x45\x00", 2, 113)])

    def test_pcapng_interfaces_resolutions_and_simple_blocks(self):
        for e in ("<", ">"):
            data = bytes(range(100))
            f = pcapng(e, [(1, 0, None), (276, 0, 9), (101, 0, 0x80 | 20)],
                       [("epb", 0, 1700000000 * 10 ** 6 + 250000, data, 100),
                        ("epb", 1, 1700000001 * 10 ** 9 + 123456789, data[:96], 1500),
                        ("epb", 2, 3 * 2 ** 20 + 2 ** 19, data[:7], 7),
                        ("spb", data[:41], 41)])
            got = list(pcapio.read(self.path("t.pcapng", f)))
            self.assertEqual(got, [
                pcapio.Record(1700000000, 250000, data, 100, 1),
                pcapio.Record(1700000001, 123456, data[:96], 1500, 276),
                pcapio.Record(3, 500000, data[:7], 7, 101),
                pcapio.Record(0, 0, data[:41], 41, 1),
            ], e)

    @unittest.skipUnless(shutil.which("editcap"), "editcap not installed")
    def test_reads_what_wiresharks_writer_makes(self):
        src = self.path("src.pcap")
        pcapio.write(src, RECS[:2], pcapio.LINKTYPE_ETHERNET)
        want = list(pcapio.read(src))
        for fmt, extra in [("pcapng", []), ("nsecpcap", []), ("pcap", ["-s", "40"])]:
            out = self.path("out." + fmt)
            subprocess.run(["editcap", "-F", fmt] + extra + [src, out], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            got = list(pcapio.read(out))
            if extra:
                want_fmt = [r._replace(data=r.data[:40]) for r in want]
            else:
                want_fmt = want
            self.assertEqual(got, want_fmt, fmt)


if __name__ == "__main__":
    unittest.main(verbosity=2)
