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
            With --tail-bytes: after the bulk write READY_FILE, sleep --pause
            seconds (or, with --go-file, wait until that file exists), then
            send the tail before shutdown(WR) (an observer that lost frames
            during the bulk sees the peer ACK data it never saw).
  abort     connect, request, read the answer, close with SO_LINGER 0 (RST).
  wait      connect, request, read until the server's RST (server `abort`).
  refused   --count connects that must fail with ECONNREFUSED.
  timeout   --count parallel connects that must fail with ETIMEDOUT.
  overflow  --count clients connect one after the other, then each sends
            a line, then each waits for the answer: all must end with RST
            (the server is `noaccept`; see make_scenarios.sh accept_overflow).
  udp       send --count UDP datagrams of --bytes bytes.

Scripted modes (both roles: tcp_peer.py ROLE scripted ...; diag_scenarios.sh):
  each connection runs --steps (send, recv, sleep, shutdown, linger0, close,
  ...; see the comment above scripted_client) and every call is recorded with
  its errno, how long it blocked, bytes and the socket's TCP_INFO in the JSON
  file --result. The server listens with --backlog (and --defer), waits
  --accept-delay, then accepts --count connections (--threads: in parallel).

Exit status 0 when the mode's expectation held, 1 otherwise.
"""
import argparse
import errno
import json
import os
import select
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
        if a.tail_bytes:
            ready(a.ready_file)
            if a.go_file:
                while not os.path.exists(a.go_file):
                    if time.monotonic() > deadline:
                        log("send: no", a.go_file, "before the timeout")
                        return 1
                    time.sleep(0.02)
            else:
                time.sleep(a.pause)
            s.sendall(payload(a.tail_bytes))
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


# ---- scripted peers (diag_scenarios.sh) ------------------------------------
# Every call a connection makes is recorded (wall time, how long it blocked,
# bytes, errno) with the kernel's TCP_INFO for the socket, and written as JSON
# to --result: that file is the applications' side of a scenario's ground
# truth. A connection runs a list of steps (--steps, one list per connection,
# cycled); after a failed step only `close` still runs.
#
#   line:N        send one request line of N bytes ending in "\n"
#   send:N        send N bytes of bulk payload
#   recv:N        read until N bytes or EOF;  recv:line  until "\n";  recv:eof  to EOF
#   sleep:S       sleep S seconds (recorded as slept, measured)
#   shutdown      shutdown(SHUT_WR): our FIN
#   linger0       SO_LINGER 0, so that close() sends an RST
#   close         close the socket
#   writeloop:N:S send N bytes every S seconds until a send fails (at most 50)
#   mark:PATH     write PATH (the wall time) so the calling script can act
#   tcpinfo       record TCP_INFO now
#   twcheck       (server) after a short wait, the kernel's state of this
#                 4-tuple in /proc/net/tcp{,6}, e.g. TIME_WAIT
# --expect (one per connection, cycled): "ok" (no call failed) or
# "OP:ERRNO[|ERRNO...]" (the first failing call is OP and fails that way);
# the peer exits 1 when a connection did otherwise. --expect-count WANT=N
# instead: N connections end as WANT, whichever they are.

# struct tcp_info (include/uapi/linux/tcp.h): (name, offset, format)
TCP_INFO_FIELDS = [
    ("state", 0, "B"), ("retransmits", 2, "B"), ("probes", 3, "B"), ("backoff", 4, "B"),
    ("rto_us", 8, "I"), ("snd_mss", 16, "I"), ("unacked", 24, "I"), ("lost", 32, "I"),
    ("retrans", 36, "I"), ("rtt_us", 68, "I"), ("snd_cwnd", 80, "I"),
    ("total_retrans", 100, "I"), ("bytes_acked", 120, "Q"), ("bytes_received", 128, "Q"),
    ("segs_out", 136, "I"), ("segs_in", 140, "I"), ("data_segs_in", 152, "I"),
    ("data_segs_out", 156, "I"), ("busy_time_us", 168, "Q"), ("rwnd_limited_us", 176, "Q"),
    ("sndbuf_limited_us", 184, "Q"), ("bytes_sent", 200, "Q"), ("bytes_retrans", 208, "Q"),
    ("snd_wnd", 228, "I"), ("rcv_wnd", 232, "I"), ("total_rto", 240, "H"),
    ("total_rto_recoveries", 242, "H"), ("total_rto_time_ms", 244, "I"),
]
TCP_STATES = ["?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
              "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
              "NEW_SYN_RECV"]


def tcp_info(s):
    try:
        raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except OSError as e:
        return {"error": errname(e)}
    out = {}
    for name, off, fmt in TCP_INFO_FIELDS:
        size = struct.calcsize(fmt)
        out[name] = struct.unpack_from(fmt, raw, off)[0] if off + size <= len(raw) else None
    st = out["state"]
    out["state"] = TCP_STATES[st] if st < len(TCP_STATES) else st
    return out


def errname(e):
    if isinstance(e, socket.timeout) or e.errno is None:
        return "timeout"
    return errno.errorcode.get(e.errno, str(e.errno))


def proc_addr(h):
    """An address:port of /proc/net/tcp{,6} as (ip string, port)."""
    import ipaddress
    ip, port = h.split(":")
    raw = bytes.fromhex(ip)
    # each 32-bit word is in host (little-endian) order
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(raw)), int(port, 16)


def kernel_state(local, peer):
    """The kernel's state for the 4-tuple (local, peer), or None if it has none."""
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            if proc_addr(f[1]) == local and proc_addr(f[2]) == peer:
                st = int(f[3], 16)
                return TCP_STATES[st] if st < len(TCP_STATES) else st
    return None


def send_count(s, data, rec):
    """send() until all of data is taken; counts what the kernel accepted."""
    n = 0
    try:
        while n < len(data):
            n += s.send(data[n:])
    finally:
        rec["bytes_written"] += n
    return n


def run_steps(s, steps, rec, deadline, role):
    """Run one connection's steps on socket s, recording each call in rec."""
    closed = False
    for st in steps:
        op, _, arg = st.partition(":")
        if rec["failed_op"] and op != "close":
            continue
        ev = {"op": op, "arg": arg, "t0": time.time(), "bytes": 0, "errno": None}
        m0 = time.monotonic()
        try:
            if not closed:
                s.settimeout(max(0.01, deadline - time.monotonic()))
            if op == "line":
                ev["bytes"] = send_count(s, b"x" * (int(arg) - 1) + b"\n", rec)
            elif op == "send":
                ev["bytes"] = send_count(s, payload(int(arg)), rec)
            elif op == "recv":
                want = None if arg in ("eof", "line") else int(arg)
                got = b""
                while want is None or len(got) < want:
                    d = s.recv(1 << 16 if want is None else min(1 << 16, want - len(got)))
                    rec["bytes_read"] += len(d)
                    ev["bytes"] += len(d)
                    if not d:
                        ev["eof"] = True
                        break
                    if arg == "line":
                        got = (got + d)[-1:]
                        if got == b"\n":
                            break
                    elif want is not None:
                        got += d
            elif op == "sleep":
                time.sleep(float(arg))
            elif op == "shutdown":
                s.shutdown(socket.SHUT_WR)
            elif op == "linger0":
                linger0(s)
            elif op == "close":
                rec["tcp_info_end"] = tcp_info(s)
                s.close()
                closed = True
            elif op == "writeloop":
                n, gap = arg.split(":")
                ev["sends_ok"] = 0
                for _ in range(50):
                    ev["bytes"] += send_count(s, payload(int(n)), rec)
                    ev["sends_ok"] += 1
                    time.sleep(float(gap))
                else:
                    raise TimeoutError("writeloop: 50 sends and no error")
            elif op == "mark":
                with open(arg + ".tmp", "w") as f:
                    f.write("%.6f\n" % time.time())
                os.rename(arg + ".tmp", arg)
            elif op == "tcpinfo":
                ev["tcp_info"] = tcp_info(s)
            elif op == "twcheck":
                time.sleep(0.05)
                ev["state"] = kernel_state(tuple(rec["local"]), tuple(rec["peer"]))
            else:
                raise ValueError("unknown step " + st)
        except OSError as e:
            ev["errno"] = errname(e)
            rec["failed_op"] = op
            rec["errno"] = ev["errno"]
        ev["blocked_s"] = time.monotonic() - m0
        rec["events"].append(ev)
    if not closed:
        rec["tcp_info_end"] = tcp_info(s)
        s.close()


def new_rec(i, role):
    return {"conn": i, "role": role, "local": None, "peer": None, "connect": None,
            "events": [], "failed_op": None, "errno": None,
            "bytes_written": 0, "bytes_read": 0}


def expect_ok(rec, want):
    """Does a connection's record match its --expect?"""
    if want == "ok":
        return rec["failed_op"] is None
    op, _, errs = want.partition(":")
    return rec["failed_op"] == op and rec["errno"] in errs.split("|")


def write_result(a, recs, extra):
    if not a.result:
        return
    out = {"role": a.role, "label": a.label, "addr": a.addr, "port": a.port,
           "steps": a.steps, "expect": a.expect, "conns": recs}
    out.update(extra)
    with open(a.result + ".tmp", "w") as f:
        json.dump(out, f, indent=1)
    os.rename(a.result + ".tmp", a.result)


def check_expect(a, recs):
    if a.expect_count:
        # which connection the kernel treats which way may depend on timing:
        # only the number of connections per outcome is asserted
        bad = 0
        for spec in a.expect_count:
            want, _, n = spec.rpartition("=")
            got = sum(1 for r in recs if expect_ok(r, want))
            if got != int(n):
                log(a.role, a.label, want, "on", got, "connections, expected", n)
                bad += 1
        return 1 if bad else 0
    bad = 0
    for r in recs:
        want = a.expect[r["conn"] % len(a.expect)] if a.expect else "ok"
        if not expect_ok(r, want):
            log(a.role, a.label, "conn", r["conn"], "expected", want, "got",
                r["failed_op"], r["errno"])
            bad += 1
    return 1 if bad else 0


def scripted_connect(a, i, deadline):
    """Non-blocking connect, so the local port is known even when it fails."""
    rec = new_rec(i, "client")
    s = socket.socket(family_of(a.addr), socket.SOCK_STREAM)
    if a.bind_port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if family_of(a.addr) == socket.AF_INET6 else "0.0.0.0", a.bind_port))
    if a.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.setblocking(False)
    ev = {"t0": time.time(), "errno": None}
    m0 = time.monotonic()
    r = s.connect_ex((a.addr, a.port))
    try:
        rec["local"] = list(s.getsockname()[:2])
    except OSError:
        pass
    rec["peer"] = [a.addr, a.port]
    if r == errno.EINPROGRESS:
        _, w, _ = select.select([], [s], [], max(0.01, deadline - time.monotonic()))
        r = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if w else -1
    if r:
        ev["errno"] = "timeout" if r == -1 else errno.errorcode.get(r, str(r))
        rec["failed_op"] = "connect"
        rec["errno"] = ev["errno"]
    ev["blocked_s"] = time.monotonic() - m0
    rec["connect"] = ev
    rec["tcp_info_connect"] = tcp_info(s)
    if r:
        s.close()
        return rec, None
    s.setblocking(True)
    return rec, s


def scripted_client(a):
    deadline = time.monotonic() + a.timeout
    recs = [None] * a.count
    gaps = [float(g) for g in a.gaps.split(",")] if a.gaps else [0.0]
    steps = [st.split() for st in (a.steps or ["close"])]

    def one(i, s=None):
        if s is None:
            recs[i], s = scripted_connect(a, i, deadline)
        if s is not None:
            run_steps(s, steps[i % len(steps)], recs[i], deadline, "client")

    try:
        threads = []
        if a.connect_all_first:
            socks = []
            for i in range(a.count):
                recs[i], s = scripted_connect(a, i, deadline)
                socks.append(s)
                time.sleep(gaps[i % len(gaps)])
            for i, s in enumerate(socks):
                if s is not None:
                    threads.append(threading.Thread(target=one, args=(i, s)))
                    threads[-1].start()
                    time.sleep(gaps[i % len(gaps)])
        else:
            for i in range(a.count):
                if a.parallel:
                    threads.append(threading.Thread(target=one, args=(i,)))
                    threads[-1].start()
                else:
                    one(i)
                time.sleep(gaps[i % len(gaps)])
        for t in threads:
            t.join(max(0.01, deadline - time.monotonic()) + 1)
    finally:
        write_result(a, [r for r in recs if r is not None], {})
    if any(r is None for r in recs) or any(t.is_alive() for t in threads):
        log("client", a.label, "did not finish in time")
        return 1
    return check_expect(a, recs)


def scripted_server(a):
    deadline = time.monotonic() + a.timeout
    s = listener(a, a.backlog)
    if a.defer:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, a.defer)
    extra = {"listen": {"t0": time.time(), "backlog": a.backlog, "defer": a.defer}}
    ready(a.ready_file)
    steps = [st.split() for st in (a.steps or ["close"])]
    recs, threads = [], []
    try:
        if a.accept_delay:
            time.sleep(a.accept_delay)
        extra["listen"]["accept_from"] = time.time()
        for i in range(a.count):
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                c, peer = s.accept()
            except socket.timeout:
                extra["accept_timeout"] = time.time()
                break
            rec = new_rec(i, "server")
            rec["accept"] = {"t": time.time()}
            rec["local"] = list(c.getsockname()[:2])
            rec["peer"] = list(peer[:2])
            rec["tcp_info_accept"] = tcp_info(c)
            recs.append(rec)
            if a.threads:
                threads.append(threading.Thread(target=run_steps, args=(
                    c, steps[i % len(steps)], rec, deadline, "server")))
                threads[-1].start()
            else:
                run_steps(c, steps[i % len(steps)], rec, deadline, "server")
        for t in threads:
            t.join(max(0.01, deadline - time.monotonic()) + 1)
        s.close()
        extra["listen"]["closed"] = time.time()
    finally:
        write_result(a, recs, extra)
    if len(recs) < a.count:
        log("server", a.label, "accepted", len(recs), "of", a.count)
        return 1
    return check_expect(a, recs)


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
    p.add_argument("--tail-bytes", type=int, default=0)
    p.add_argument("--go-file", help="send: the tail waits for this file (see --tail-bytes)")
    p.add_argument("--rcvbuf", type=int, default=0)
    p.add_argument("--pause", type=float, default=0.0)
    p.add_argument("--backlog", type=int, default=1)
    p.add_argument("--defer", type=int, default=0,
                   help="TCP_DEFER_ACCEPT seconds on a noaccept listener")
    p.add_argument("--hold", type=float, default=3.0)
    p.add_argument("--gap", type=float, default=0.0)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--ready-file")
    # scripted modes
    p.add_argument("--steps", action="append",
                   help="scripted: one connection's steps (repeat: one list per connection)")
    p.add_argument("--expect", action="append",
                   help="scripted: ok or OP:ERRNO[|ERRNO] per connection (repeat, cycled)")
    p.add_argument("--expect-count", action="append",
                   help="scripted: WANT=N, N connections end as WANT (an --expect value)")
    p.add_argument("--result", help="scripted: write the record of every call here (JSON)")
    p.add_argument("--label", default="")
    p.add_argument("--gaps", help="scripted client: seconds after each connection, cycled")
    p.add_argument("--parallel", action="store_true",
                   help="scripted client: each connection in its own thread")
    p.add_argument("--connect-all-first", action="store_true",
                   help="scripted client: connect every socket, then run the steps")
    p.add_argument("--bind-port", type=int, default=0,
                   help="scripted client: bind this source port (SO_REUSEADDR)")
    p.add_argument("--accept-delay", type=float, default=0.0,
                   help="scripted server: seconds between listen() and the first accept()")
    p.add_argument("--threads", action="store_true",
                   help="scripted server: run each accepted connection in its own thread")
    a = p.parse_args()
    try:
        if a.mode == "scripted":
            return scripted_server(a) if a.role == "server" else scripted_client(a)
        return server(a) if a.role == "server" else client(a)
    except Exception as e:  # report, never hang
        log(a.role, a.mode, "failed:", type(e).__name__, e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
