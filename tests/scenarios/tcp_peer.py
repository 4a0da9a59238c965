#!/usr/bin/python3
"""Small TCP/UDP peers for generating real kernel traffic in test namespaces.

Every mode is bounded in time (--timeout, default 20 s) and in count; nothing
loops forever.  Servers write READY_FILE (when given) once they listen, so the
caller can wait for them instead of sleeping.

Server modes (tcp_peer.py server MODE --addr A --port P [options]):
  rr        accept --count connections; for each read a request line, answer
            with --resp-bytes bytes, wait for the client's FIN, close (FIN).
  sink      accept --count connections; optionally with small --rcvbuf and
            --pause seconds before reading; read to EOF, close.
  source    accept --count connections; send --bytes bytes, shutdown(WR),
            read to EOF, close.
  abort     accept --count connections; read a request line, answer, then
            close with SO_LINGER 0 (RST from the server).
  noaccept  listen with --backlog (and TCP_DEFER_ACCEPT --defer), never
            accept; close the listener after --hold seconds (connections
            still in its accept queue are then reset by the kernel).
  udp       receive UDP datagrams for --hold seconds (and reply to each).

Client modes (tcp_peer.py client MODE --addr A --port P [options]):
  rr        --count sequential request/response connections, normal close.
  recv      connect, read to EOF (the server is a `source`), close.
  send      connect, send --bytes bytes, shutdown(WR), read to EOF, close.
  abort     connect, request, read the answer, close with SO_LINGER 0 (RST).
  wait      connect, request, read until the server's RST (server `abort`).
  refused   --count connects that must fail with ECONNREFUSED.
  timeout   --count parallel connects that must fail with ETIMEDOUT.
  overflow  --count clients connect one after the other, then each sends
            a line, then each waits for the answer: all must end with RST
            (the server is `noaccept`; see make_scenarios.sh accept_overflow).
  udp       send --count UDP datagrams of --bytes bytes.

Exit status 0 when the mode's expectation held, 1 otherwise.
"""
import argparse
import errno
import os
import socket
import struct
import sys
import threading
import time


def log(*a):
    print("tcp_peer:", *a, file=sys.stderr, flush=True)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ready(path):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("ready\n")
        os.rename(tmp, path)


def read_line(s, limit=65536):
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < limit:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    return buf


def read_to_eof(s, deadline):
    n = 0
    while time.monotonic() < deadline:
        d = s.recv(1 << 16)
        if not d:
            return n
        n += len(d)
    raise TimeoutError("read_to_eof deadline")


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def listener(a, backlog=16):
    s = socket.socket(family_of(a.addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        # must be set on the listener so the window is small from the SYN-ACK on
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.bind((a.addr, a.port))
    s.listen(backlog)
    s.settimeout(a.timeout)
    return s


def payload(n):
    block = bytes(range(256)) * 256
    out = bytearray()
    while len(out) < n:
        out += block[: n - len(out)]
    return bytes(out)


def server(a):
    deadline = time.monotonic() + a.timeout
    if a.mode == "udp":
        s = socket.socket(family_of(a.addr), socket.SOCK_DGRAM)
        s.bind((a.addr, a.port))
        ready(a.ready_file)
        end = time.monotonic() + a.hold
        got = 0
        while time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                d, peer = s.recvfrom(65535)
            except socket.timeout:
                break
            got += 1
            s.sendto(b"ack", peer)
        log("udp server got", got)
        return 0
    if a.mode == "noaccept":
        s = listener(a, a.backlog)
        if a.defer:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, a.defer)
        ready(a.ready_file)
        time.sleep(a.hold)
        s.close()
        return 0
    s = listener(a, max(16, a.count))
    ready(a.ready_file)
    for i in range(a.count):
        s.settimeout(max(0.01, deadline - time.monotonic()))
        c, peer = s.accept()
        c.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if a.mode == "rr":
                req = read_line(c)
                c.sendall(payload(a.resp_bytes))
                read_to_eof(c, deadline)
                c.close()
            elif a.mode == "sink":
                if a.pause:
                    time.sleep(a.pause)
                n = read_to_eof(c, deadline)
                log("sink read", n, "bytes from", peer)
                c.close()
            elif a.mode == "source":
                c.sendall(payload(a.bytes))
                c.shutdown(socket.SHUT_WR)
                read_to_eof(c, deadline)
                c.close()
            elif a.mode == "abort":
                read_line(c)
                c.sendall(payload(a.resp_bytes))
                time.sleep(0.05)   # let the answer be ACKed first
                linger0(c)
                c.close()
            else:
                log("unknown server mode", a.mode)
                return 2
        except (ConnectionResetError, BrokenPipeError) as e:
            log("server conn", i, "reset:", e)
            c.close()
    s.close()
    return 0


def connect(a, timeout=None):
    s = socket.socket(family_of(a.addr), socket.SOCK_STREAM)
    if a.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(timeout if timeout is not None else a.timeout)
    s.connect((a.addr, a.port))
    return s


def client(a):
    deadline = time.monotonic() + a.timeout
    if a.mode == "rr":
        for i in range(a.count):
            s = connect(a)
            s.sendall(b"GET /%d\n" % i)
            got = 0
            while got < a.resp_bytes:
                d = s.recv(1 << 16)
                if not d:
                    break
                got += len(d)
            if got != a.resp_bytes:
                log("rr short answer", got)
                return 1
            s.shutdown(socket.SHUT_WR)
            read_to_eof(s, deadline)
            s.close()
            if a.gap:
                time.sleep(a.gap)
        return 0
    if a.mode == "recv":
        s = connect(a)
        n = read_to_eof(s, deadline)
        s.close()
        log("recv got", n)
        return 0 if n == a.bytes else 1
    if a.mode == "send":
        s = connect(a)
        s.sendall(payload(a.bytes))
        s.shutdown(socket.SHUT_WR)
        read_to_eof(s, deadline)
        s.close()
        return 0
    if a.mode == "abort":
        s = connect(a)
        s.sendall(b"GET /abort\n")
        got = 0
        while got < a.resp_bytes:
            d = s.recv(1 << 16)
            if not d:
                break
            got += len(d)
        time.sleep(0.05)
        linger0(s)
        s.close()
        return 0
    if a.mode == "wait":
        # the server aborts: request, answer, then wait for its RST (no FIN from us)
        s = connect(a)
        s.sendall(b"GET /wait\n")
        try:
            read_to_eof(s, deadline)
            r = 1
        except ConnectionResetError:
            r = 0
        s.close()
        return r
    if a.mode == "refused":
        bad = 0
        for i in range(a.count):
            try:
                s = connect(a)
                s.close()
                bad += 1
            except ConnectionRefusedError:
                pass
        return 1 if bad else 0
    if a.mode == "timeout":
        res = []

        def one():
            try:
                s = connect(a)
                s.close()
                res.append("connected")
            except OSError as e:
                # a socket timeout larger than the SYN retries gives ETIMEDOUT
                res.append(errno.errorcode.get(e.errno, str(e)))
        ts = [threading.Thread(target=one) for _ in range(a.count)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(a.timeout + 1)
        log("timeout results", res)
        return 0 if res == ["ETIMEDOUT"] * a.count else 1
    if a.mode == "overflow":
        # connect --count clients one after the other (--gap between them),
        # then send a line on each, then wait on each for the server's answer
        # (against `noaccept` that is an RST); prints one result per client
        socks, res = [], []
        for i in range(a.count):
            try:
                socks.append(connect(a, timeout=a.hold))
            except OSError as e:
                res.append("connect-" + (errno.errorcode.get(e.errno) or "timeout"))
            if a.gap:
                time.sleep(a.gap)
        for i, s in enumerate(socks):
            try:
                s.sendall(b"hello %d\n" % i)
            except OSError:
                pass
            if a.gap:
                time.sleep(a.gap)
        for s in socks:
            try:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                d = s.recv(100)
                r = "eof" if not d else "data"
            except ConnectionResetError:
                r = "reset"
            except socket.timeout:
                r = "timeout"
            except OSError as e:
                r = errno.errorcode.get(e.errno, str(e))
            res.append(r)
            s.close()
        log("overflow results", res)
        return 0 if res == ["reset"] * a.count else 1
    if a.mode == "ping":
        return ping(a)
    if a.mode == "udp":
        s = socket.socket(family_of(a.addr), socket.SOCK_DGRAM)
        if family_of(a.addr) == socket.AF_INET:
            # allow the kernel to fragment large datagrams
            s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_DONTFRAG, 0)
        s.settimeout(0.5)
        for i in range(a.count):
            s.sendto(payload(a.bytes), (a.addr, a.port))
            try:
                s.recvfrom(100)
            except socket.timeout:
                pass
        return 0
    log("unknown client mode", a.mode)
    return 2


IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0
IPV6_DONTFRAG = 62


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def ping(a):
    """ICMP echo over a raw socket (no ping binary on the test machines);
    --bytes of payload, --count requests, waits for each reply.  IPv4 echo
    larger than the MTU is fragmented by the kernel."""
    v6 = family_of(a.addr) == socket.AF_INET6
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_DONTFRAG, 0)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    s.settimeout(1.0)
    ident = os.getpid() & 0xFFFF
    ok = 0
    for seq in range(1, a.count + 1):
        data = payload(a.bytes)
        typ = 128 if v6 else 8
        hdr = struct.pack("!BBHHH", typ, 0, 0, ident, seq)
        ck = 0 if v6 else csum(hdr + data)   # the kernel fills the ICMPv6 checksum
        pkt = struct.pack("!BBHHH", typ, 0, ck, ident, seq) + data
        s.sendto(pkt, (a.addr, 0))
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            try:
                r = s.recv(65535)
            except socket.timeout:
                break
            icmp = r if v6 else r[(r[0] & 15) * 4:]
            if icmp[0] == (129 if v6 else 0) and struct.unpack("!H", icmp[4:6])[0] == ident:
                ok += 1
                break
        if a.gap:
            time.sleep(a.gap)
    log("ping replies", ok, "of", a.count)
    return 0 if ok == a.count else 1


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("mode")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--bytes", type=int, default=1000)
    p.add_argument("--resp-bytes", type=int, default=2000)
    p.add_argument("--rcvbuf", type=int, default=0)
    p.add_argument("--pause", type=float, default=0.0)
    p.add_argument("--backlog", type=int, default=1)
    p.add_argument("--defer", type=int, default=0,
                   help="TCP_DEFER_ACCEPT seconds on a noaccept listener")
    p.add_argument("--hold", type=float, default=3.0)
    p.add_argument("--gap", type=float, default=0.0)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--ready-file")
    a = p.parse_args()
    try:
        return server(a) if a.role == "server" else client(a)
    except Exception as e:  # report, never hang
        log(a.role, a.mode, "failed:", type(e).__name__, e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
