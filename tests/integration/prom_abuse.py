#!/usr/bin/env python3
"""Abuse a running probe's /metrics (stdlib only), then measure a scrape's cost.

    prom_abuse.py HOST PORT PID

200 idle connections stay open; a slow client sends its request one byte
at a time; garbage requests (binary junk, a bad method, an unknown path,
an oversized header, a request body, a truncated request line). Meanwhile
every scrape must answer 200 with the whole text in under 2 s. Then 1000
scrapes over one keep-alive connection, and the CPU time the probe's
control thread (named dpp-prometheus) spent on them, from
/proc/PID/task/TID/stat. Prints "cpu_per_scrape_us N".
"""
import http.client
import os
import socket
import sys
import threading
import time

HOST, PORT, PID = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
errors = []


def fail(msg):
    print(f"prom_abuse: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def scrape(conn=None):
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
    t0 = time.monotonic()
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read()
    dt = time.monotonic() - t0
    if own:
        conn.close()
    if r.status != 200 or not body.endswith(b"\n") or b"dpprobe_rx_packets_total" not in body:
        fail(f"scrape: HTTP {r.status}, {len(body)} bytes")
    return dt


def slow_client():
    """One byte every 20 ms: the request arrives in ~1 s; the answer must still come."""
    try:
        s = socket.create_connection((HOST, PORT), timeout=5)
        for b in b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n":
            s.send(bytes([b]))
            time.sleep(0.02)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        if not data.startswith(b"HTTP/1.1 200") or b"dpprobe_flows_active" not in data:
            errors.append(f"slow client got {data[:80]!r}")
    except OSError as e:
        errors.append(f"slow client: {e}")


def garbage(payload, want_close=True):
    """Send junk; the server answers an error or closes, and keeps serving."""
    try:
        s = socket.create_connection((HOST, PORT), timeout=5)
        s.sendall(payload)
        s.settimeout(5)
        try:
            data = s.recv(4096)
        except socket.timeout:
            data = b"(timeout)"
        s.close()
        return data[:40]
    except OSError as e:
        return f"({e})".encode()


def cpus_allowed(pid, tid):
    for line in open(f"/proc/{pid}/task/{tid}/status"):
        if line.startswith("Cpus_allowed_list:"):
            return line.split()[1]
    return None


def control_thread(pid):
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            if open(f"/proc/{pid}/task/{tid}/comm").read().strip() == "dpp-prometheus":
                return tid
        except OSError:
            continue
    fail("no thread named dpp-prometheus in the probe")


def thread_cpu_ticks(pid):
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            if open(f"/proc/{pid}/task/{tid}/comm").read().strip() == "dpp-prometheus":
                f = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
                return int(f[11]) + int(f[12])  # utime + stime (fields 14, 15)
        except OSError:
            continue
    fail("no thread named dpp-prometheus in the probe")


def main():
    scrape()  # names the control thread
    # The HTTP thread runs where the main lcore runs, never on a worker's CPU.
    tid = control_thread(PID)
    if cpus_allowed(PID, tid) != cpus_allowed(PID, PID):
        fail(f"control thread CPUs {cpus_allowed(PID, tid)}, main lcore {cpus_allowed(PID, PID)}")
    print(f"control thread {tid} on CPUs {cpus_allowed(PID, tid)} (the main lcore's)")
    idle = []
    for _ in range(200):
        idle.append(socket.create_connection((HOST, PORT), timeout=5))
    slow = threading.Thread(target=slow_client)
    slow.start()
    answers = {
        "binary junk": garbage(os.urandom(3000)),
        "bad method": garbage(b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
        "unknown path": garbage(b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
        "bad version": garbage(b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"),
        "huge header": garbage(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 100000 +
                               b"\r\n\r\n"),
        "body": garbage(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
        "half a line": garbage(b"GET /metr"),
    }
    for what, a in answers.items():
        print(f"  {what}: {a!r}")
        if a.startswith(b"HTTP/1.1 200"):
            fail(f"{what}: answered 200")
    worst = 0.0
    for _ in range(20):
        worst = max(worst, scrape())
        time.sleep(0.05)
    slow.join(10)
    if slow.is_alive() or errors:
        fail(f"slow client: {errors or 'no answer in 10 s'}")
    if worst > 2.0:
        fail(f"a scrape took {worst:.2f} s with 200 idle connections open")
    print(f"20 scrapes with 200 idle connections, a slow client and garbage: worst {worst * 1000:.1f} ms")
    # The idle ones are still open (the inactivity timeout is 10 s): still served.
    alive = sum(1 for s in idle if s.fileno() >= 0)
    print(f"{alive} idle connections still open")

    conn = http.client.HTTPConnection(HOST, PORT, timeout=5)
    hz = os.sysconf("SC_CLK_TCK")
    before = thread_cpu_ticks(PID)
    t0 = time.monotonic()
    for _ in range(1000):
        scrape(conn)
    wall = time.monotonic() - t0
    ticks = thread_cpu_ticks(PID) - before
    conn.close()
    per = ticks / hz / 1000 * 1e6
    print(f"1000 scrapes in {wall:.2f} s; control thread CPU {ticks / hz * 1000:.0f} ms")
    print(f"cpu_per_scrape_us {per:.0f}")
    # Idle connections held open the whole time; they go when we exit.
    for s in idle:
        s.close()


main()
