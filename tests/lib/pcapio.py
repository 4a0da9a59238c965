"""pcapio: read and write capture files, for the tests and scripts (stdlib only).

    import pcapio
    for rec in pcapio.read("in.pcapng"):      # classic pcap or pcapng
        rec.ts_sec, rec.ts_usec, rec.data, rec.orig_len, rec.linktype
    pcapio.write("out.pcap", records, linktype=pcapio.LINKTYPE_ETHERNET, snaplen=96)

Reading:
  - classic pcap in either byte order, microsecond (0xa1b2c3d4) or nanosecond
    (0xa1b23c4d) magic; nanoseconds are cut to microseconds;
  - pcapng: every section (SHB) in either byte order; interfaces (IDB) with
    their own link type, snap length and if_tsresol (powers of 10 or of 2)
    and if_tsoffset; Enhanced (EPB) and Simple (SPB, no timestamp: 0) packet
    blocks; every other block is skipped.
  Each record is a Record: (ts_sec, ts_usec, data, orig_len, linktype), where
  data holds the captured bytes (len(data) is the captured length). A file that
  is not a capture, or ends inside a header or a record, raises PcapError.

header(path) gives (linktype, snaplen) from the file header (pcapng: the first
interface), also for a file without records.

Writing: classic pcap, microsecond timestamps, the link type and snap length
given. A record longer than the snap length is cut to it and keeps its
orig_len, as tcpdump -s does.
"""
import collections
import struct

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

MAGIC_USEC = 0xA1B2C3D4
MAGIC_NSEC = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_BOM = 0x1A2B3C4D
PCAPNG_IDB = 1
PCAPNG_SPB = 3
PCAPNG_EPB = 6
IDB_OPT_TSRESOL = 9
IDB_OPT_TSOFFSET = 14

DEFAULT_SNAPLEN = 262144
LINKTYPE_MASK = 0x03FFFFFF  # the bits above: FCS length, as libpcap's LT_LINKTYPE()

Record = collections.namedtuple("Record", "ts_sec ts_usec data orig_len linktype")


class PcapError(Exception):
    """The file is not a capture we can read, or it is cut short."""


def _read_exact(f, n, what):
    b = f.read(n)
    if len(b) != n:
        raise PcapError("%s: file ends inside %s (%d of %d bytes)"
                        % (getattr(f, "name", "capture"), what, len(b), n))
    return b


def _classic(f, head):
    e = "<" if struct.unpack("<I", head)[0] in (MAGIC_USEC, MAGIC_NSEC) else ">"
    nsec = struct.unpack(e + "I", head)[0] == MAGIC_NSEC
    hdr = _read_exact(f, 20, "the pcap file header")
    _major, _minor, _zone, _sigfigs, _snaplen, network = struct.unpack(e + "HHiIII", hdr)
    linktype = network & LINKTYPE_MASK
    while True:
        rh = f.read(16)
        if not rh:
            return
        if len(rh) != 16:
            raise PcapError("%s: file ends inside a record header" % f.name)
        sec, frac, incl, orig = struct.unpack(e + "IIII", rh)
        data = _read_exact(f, incl, "a record")
        yield Record(sec, frac // 1000 if nsec else frac, data, orig, linktype)


def _tsresol(v):
    """Ticks per second of an if_tsresol byte."""
    return 2 ** (v & 0x7F) if v & 0x80 else 10 ** v


def _options(e, body):
    """(code, value) pairs of a pcapng option list."""
    i = 0
    while i + 4 <= len(body):
        code, n = struct.unpack_from(e + "HH", body, i)
        if code == 0:
            return
        yield code, body[i + 4:i + 4 + n]
        i += 4 + ((n + 3) & ~3)


def _pcapng(f, seen=None):
    e = None
    ifaces = []  # (linktype, snaplen, ticks per second, offset seconds)
    first = True
    while True:
        bh = f.read(8)
        if not bh:
            return
        if len(bh) != 8:
            raise PcapError("%s: file ends inside a block header" % f.name)
        btype_le = struct.unpack("<I", bh[:4])[0]
        if btype_le == PCAPNG_SHB:
            bom = _read_exact(f, 4, "a section header")
            if struct.unpack("<I", bom)[0] == PCAPNG_BOM:
                e = "<"
            elif struct.unpack(">I", bom)[0] == PCAPNG_BOM:
                e = ">"
            else:
                raise PcapError("%s: pcapng section with a bad byte-order magic" % f.name)
            total = struct.unpack(e + "I", bh[4:])[0]
            if total < 28 or total % 4:
                raise PcapError("%s: bad section header length %d" % (f.name, total))
            _read_exact(f, total - 12, "a section header")
            ifaces = []
            first = False
            continue
        if first:
            raise PcapError("%s: pcapng file does not start with a section header" % f.name)
        btype, total = struct.unpack(e + "II", bh)
        if total < 12 or total % 4:
            raise PcapError("%s: bad pcapng block length %d" % (f.name, total))
        body = _read_exact(f, total - 8, "a block")[:-4]
        if btype == PCAPNG_IDB:
            if len(body) < 8:
                raise PcapError("%s: short interface description block" % f.name)
            lt, _res, snap = struct.unpack_from(e + "HHI", body)
            tps, off = 10 ** 6, 0
            for code, val in _options(e, body[8:]):
                if code == IDB_OPT_TSRESOL and len(val) >= 1:
                    tps = _tsresol(val[0])
                elif code == IDB_OPT_TSOFFSET and len(val) >= 8:
                    off = struct.unpack(e + "q", val[:8])[0]
            ifaces.append((lt, snap, tps, off))
            if seen is not None:
                seen.append(ifaces[-1])
        elif btype == PCAPNG_EPB:
            if len(body) < 20:
                raise PcapError("%s: short enhanced packet block" % f.name)
            ifid, hi, lo, incl, orig = struct.unpack_from(e + "IIIII", body)
            if ifid >= len(ifaces) or 20 + incl > len(body):
                raise PcapError("%s: bad enhanced packet block" % f.name)
            lt, _snap, tps, off = ifaces[ifid]
            ticks = (hi << 32) | lo
            sec, rest = divmod(ticks, tps)
            yield Record(sec + off, rest * 10 ** 6 // tps, body[20:20 + incl], orig, lt)
        elif btype == PCAPNG_SPB:
            if not ifaces or len(body) < 4:
                raise PcapError("%s: simple packet block without an interface" % f.name)
            lt, snap, _tps, _off = ifaces[0]
            orig = struct.unpack_from(e + "I", body)[0]
            incl = min(orig, len(body) - 4, snap or orig)
            yield Record(0, 0, body[4:4 + incl], orig, lt)


def read(path):
    """Yield every packet record of a classic pcap or pcapng file at PATH."""
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4:
            raise PcapError("%s: not a capture file (%d bytes)" % (path, len(head)))
        le = struct.unpack("<I", head)[0]
        be = struct.unpack(">I", head)[0]
        if le in (MAGIC_USEC, MAGIC_NSEC) or be in (MAGIC_USEC, MAGIC_NSEC):
            yield from _classic(f, head)
        elif le == PCAPNG_SHB:
            f.seek(0)
            yield from _pcapng(f)
        else:
            raise PcapError("%s: not a capture file (magic %#010x)" % (path, be))


def header(path):
    """(linktype, snaplen) of a classic pcap file's header, or of a pcapng file's
    first interface (None, None when it has none): known also for a file
    without records."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) == 24:
        for e in ("<", ">"):
            if struct.unpack(e + "I", head[:4])[0] in (MAGIC_USEC, MAGIC_NSEC):
                snap, network = struct.unpack(e + "II", head[16:24])
                return network & LINKTYPE_MASK, snap
    if len(head) >= 4 and struct.unpack("<I", head[:4])[0] == PCAPNG_SHB:
        seen = []
        with open(path, "rb") as f:
            for _rec in _pcapng(f, seen):
                break  # the interface of the first packet is described by now
        return seen[0][:2] if seen else (None, None)
    raise PcapError("%s: not a capture file" % path)


def write(path, records, linktype, snaplen=DEFAULT_SNAPLEN, endian="<"):
    """Write RECORDS as a classic microsecond pcap; return how many were written.

    RECORDS yields Records or (ts_sec, ts_usec, data, orig_len[, ...]) tuples;
    data longer than SNAPLEN is cut to it, orig_len is at least len(data).
    ENDIAN is "<" (little, the default) or ">" (big) for every header.
    """
    if endian not in ("<", ">"):
        raise ValueError("endian must be '<' or '>'")
    n = 0
    with open(path, "wb") as f:
        f.write(struct.pack(endian + "IHHiIII", MAGIC_USEC, 2, 4, 0, 0, snaplen, linktype))
        for rec in records:
            sec, usec, data, orig = rec[0], rec[1], rec[2], rec[3]
            orig = max(orig, len(data))
            data = data[:snaplen]
            f.write(struct.pack(endian + "IIII", sec, usec, len(data), orig))
            f.write(data)
            n += 1
    return n
