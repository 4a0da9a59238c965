#!/usr/bin/env python3
"""scrape.py -- what a Prometheus scrape costs (`scripts/bench --scrape`).

  scrape.py DPPROBE CAPTURE OUTDIR --packets N --flows N --mbufs N --capacity N
            --eal-mem "EAL ARGS" [--memory nohuge|huge] [--runs 5] [--seconds 5]
            [--rates 0,1,10]

Replays CAPTURE through net_pcap infinite_rx with `--prometheus` on in
every run and alternates the variants round by round (A B C A B C ...):
A without a scraper, then one variant per further rate of --rates (by
default B at 1 scrape/s and C at 10/s), each fetching /metrics over one
keep-alive connection (as Prometheus does) for --seconds. The window opens
at the probe's first stats snapshot. The scraper is this process, pinned
to the main lcore's CPU, so the client never takes the worker's CPU.

Per run:
- the worker's packet rate: the worker lcores' `packets` between the
  snapshot that opened the window and the last one inside it;
- the worker threads' CPU time over the window (schedstat), so a run that
  other processes on the shared CPUs preempted shows as a lower on-CPU
  share, and the rate per worker CPU-second, which that does not move;
  and the steal time of the worker's CPU (/proc/stat), which neither sees;
- the CPU time of libmicrohttpd's thread (named MHD-single until its first
  request, then dpp-prometheus) over the window, from
  /proc/PID/task/TID/schedstat (nanoseconds) and, for comparison,
  utime+stime of .../stat (clock ticks of 10 ms, too coarse for a few
  scrapes);
- each scrape's wall time seen by the client;
- after the window, with the probe still running, 200 scrapes back to
  back and the control thread's CPU for them: a scrape with warm caches,
  what the spaced-out ones are compared with.

Writes OUTDIR/scrape.md, OUTDIR/scrape.csv (one row per variant) and
OUTDIR/work/scrape.jsonl (one line per run); prints scrape.md. Nothing is
asserted: the machine is shared, so the report puts B and C against A's
own spread (and an exact Mann-Whitney test of the rates).
"""
import argparse
import csv
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from benchlib import (WORKER_PREFIX, cpu_model, f, git_commit, lcore_list, load_average, log,
                      mann_whitney_p, med, pct, snapshots, steal_ticks, thread_cpu, threads,
                      worker_rate)

# Seconds to wait for the capture to be loaded (the first snapshot).
LOAD_TIMEOUT_S = 300
# Seconds for a clean stop after SIGINT before SIGKILL.
STOP_TIMEOUT_S = 60
# Seconds a scrape may take before it counts as failed.
SCRAPE_TIMEOUT_S = 2
# Attempts at a run whose port was taken between our look for it and the bind.
PORT_ATTEMPTS = 3
MHD_NAMES = ("MHD-single", "dpp-prometheus")
# Scrapes in a row after each scraping window (warm caches), and their time limit.
BACK_TO_BACK = 200
BACK_TO_BACK_S = 10


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape_once(conn, port):
    """One GET /metrics on conn (opened if None): (conn, seconds or None, (bytes, lines))."""
    try:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=SCRAPE_TIMEOUT_S)
        s = time.monotonic()
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read()
        dt = time.monotonic() - s
        if r.status == 200 and body.endswith(b"\n"):
            return conn, dt, (len(body), body.count(b"\n"))
        return conn, None, (None, None)
    except (OSError, http.client.HTTPException):
        if conn is not None:
            conn.close()
        return None, None, (None, None)


def scrape_loop(port, rate, seconds, t0):
    """Fetch /metrics `rate` times a second until t0 + seconds (monotonic)."""
    lat, failed, size, conn = [], 0, (None, None), None
    end = t0 + seconds
    for k in range(int(round(seconds * rate))):
        due = t0 + k / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        if time.monotonic() >= end:
            break
        conn, dt, got = scrape_once(conn, port)
        if dt is None:
            failed += 1
        else:
            lat.append(dt)
            size = got
    if conn is not None:
        conn.close()
    return lat, failed, size


def back_to_back(port, n, limit_s):
    """n scrapes in a row on one connection, for limit_s at most: how many answered."""
    conn, ok, end = None, 0, time.monotonic() + limit_s
    for _ in range(n):
        if time.monotonic() >= end:
            break
        conn, dt, _ = scrape_once(conn, port)
        ok += dt is not None
    if conn is not None:
        conn.close()
    return ok


def probe_cmd(a, prefix, port, stats):
    return [a.dpprobe, "--no-pci", *a.eal_mem.split(), "-l", a.lcores,
            "--file-prefix", prefix, "--log-level=lib.eal:warning",
            "--vdev", f"net_pcap0,rx_pcap={a.capture},infinite_rx=1", "--",
            "--flows", os.devnull, "--stats", stats, "--stats-interval", "1",
            "--total-num-mbufs", str(a.mbufs), "--mbuf-size", "256",
            "--flow-capacity", str(a.capacity), "--prometheus", f"127.0.0.1:{port}",
            # A backstop only: this script stops the probe itself.
            "--duration", str(LOAD_TIMEOUT_S + a.seconds + 60)]


def measure(a, p, port, stats, rate, rec):
    """The window of one running probe: fills rec."""
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while time.monotonic() < deadline and p.poll() is None and not snapshots(stats):
        time.sleep(0.02)
    if p.poll() is not None:
        rec.update(rc=p.returncode, error=f"exited {p.returncode} before the window")
        return
    first = snapshots(stats)
    if not first:
        rec["error"] = f"no stats snapshot in {LOAD_TIMEOUT_S} s"
        return
    mhd = threads(p.pid, lambda c: c in MHD_NAMES)
    workers = threads(p.pid, lambda c: c.startswith(WORKER_PREFIX))
    if len(mhd) != 1 or not workers:
        rec["error"] = f"threads not found: libmicrohttpd {mhd}, workers {workers}"
        return
    tid = next(iter(mhd))
    ns0, ticks0 = thread_cpu(p.pid, tid)
    wk0 = sum(thread_cpu(p.pid, t)[0] for t in workers)
    st0 = steal_ticks(lcore_list(a.lcores)[1:])
    w0, m0 = time.time(), time.monotonic()
    lat, failed, size = (scrape_loop(port, rate, a.seconds, m0) if rate > 0
                         else ([], 0, (None, None)))
    rest = m0 + a.seconds - time.monotonic()
    if rest > 0:
        time.sleep(rest)
    ns1, ticks1 = thread_cpu(p.pid, tid)
    wk1 = sum(thread_cpu(p.pid, t)[0] for t in workers)
    st1 = steal_ticks(lcore_list(a.lcores)[1:])
    w1 = time.time()
    rec.update(scrapes=len(lat), failed=failed, latency_s=lat, bytes=size[0], lines=size[1],
               cpu_ns=ns1 - ns0, cpu_ticks=ticks1 - ticks0, window_s=w1 - w0,
               worker_cpu_share=(wk1 - wk0) / 1e9 / (w1 - w0),
               worker_steal_share=(st1 - st0) / os.sysconf("SC_CLK_TCK") / (w1 - w0) /
               max(1, len(lcore_list(a.lcores)) - 1),
               mhd_name_after=threads(p.pid, lambda c: c in MHD_NAMES).get(tid))
    # The snapshot that opened the window is its start (written at most a poll before w0).
    rate_pps = worker_rate(snapshots(stats), first[-1]["ts"], w1)
    if rate_pps is not None:
        rec["mpps"] = rate_pps / 1e6
        rec["mpps_per_worker_cpu_s"] = rec["mpps"] / rec["worker_cpu_share"]
    if rate > 0:
        # After the window, the same scrape back to back: what it costs with warm caches.
        b0 = thread_cpu(p.pid, tid)[0]
        n = back_to_back(port, BACK_TO_BACK, BACK_TO_BACK_S)
        if n:
            rec["back_to_back_us"] = (thread_cpu(p.pid, tid)[0] - b0) / n / 1e3


def run_one(a, rate, rnd, work, prefix, orig_cpus):
    label = f"{rate:g}hz-{rnd}"
    stats = os.path.join(work, f"scrape-{label}.stats.jsonl")
    lg = os.path.join(work, f"scrape-{label}.log")
    rec = {"rate": rate, "round": rnd, "mpps": None, "mpps_per_worker_cpu_s": None,
           "worker_cpu_share": None, "worker_steal_share": None, "scrapes": 0, "failed": 0,
           "cpu_ns": None, "cpu_ticks": None, "latency_s": [], "bytes": None, "rc": None,
           "back_to_back_us": None, "error": None}
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        if os.path.exists(stats):
            os.unlink(stats)
        with open(lg, "w") as out:
            p = subprocess.Popen(probe_cmd(a, prefix, port, stats), stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=out,
                                 preexec_fn=lambda: os.sched_setaffinity(0, orig_cpus))
        try:
            measure(a, p, port, stats, rate, rec)
            if rec["rc"] == 2 and attempt + 1 < PORT_ATTEMPTS and \
                    "--prometheus" in open(lg, errors="replace").read():
                rec.update(rc=None, error=None)  # the port was taken meanwhile: another one
                continue
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    rec["rc"] = p.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    rec["error"] = rec["error"] or f"no clean stop in {STOP_TIMEOUT_S} s"
            return rec
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    return rec


def variant_names(rates):
    return {r: f"{chr(ord('A') + i)}: " +
            ("no scraper" if r == 0 else f"{r:g} scrape{'' if r == 1 else 's'}/s")
            for i, r in enumerate(rates)}


def summarize(a, runs, meta):
    names = variant_names(a.rates)
    base = a.rates[0]
    by = {r: [x for x in runs if x["rate"] == r] for r in a.rates}
    a_mpps = [x["mpps"] for x in by[base] if x["mpps"] is not None]
    a_med = med(a_mpps)
    a_spread = (max(a_mpps) - min(a_mpps)) / a_med * 100 if a_med else None
    a_norm = [x["mpps_per_worker_cpu_s"] for x in by[base]]
    a_norm_med = med(a_norm)
    base_round = {x["round"]: x["mpps"] for x in by[base]}
    hz = os.sysconf("SC_CLK_TCK")
    rows = []
    for r in a.rates:
        g = by[r]
        v = [x["mpps"] for x in g if x["mpps"] is not None]
        norm = [x["mpps_per_worker_cpu_s"] for x in g if x["mpps_per_worker_cpu_s"]]
        scrapes = sum(x["scrapes"] for x in g)
        cpu_ns = sum(x["cpu_ns"] for x in g if x["cpu_ns"] is not None)
        ticks = sum(x["cpu_ticks"] for x in g if x["cpu_ticks"] is not None)
        window = sum(x.get("window_s") or 0 for x in g)
        per_run = [x["cpu_ns"] / x["scrapes"] / 1e3 for x in g if x["scrapes"] and x["cpu_ns"]]
        lat = [s * 1e3 for x in g for s in x["latency_s"]]
        row = {"section": "scrape", "capture": meta["capture"], "flows": a.flows,
               "packets": a.packets, "memory": a.memory, "variant": names[r],
               "scrapes_per_s": r, "runs": len(v), "mpps_median": med(v),
               "mpps_min": min(v) if v else None, "mpps_max": max(v) if v else None,
               "worker_cpu_pct_median": (med([x["worker_cpu_share"] for x in g]) or 0) * 100,
               "worker_steal_pct_median": (med([x["worker_steal_share"] for x in g]) or 0) * 100,
               "worker_steal_pct_max": max([x["worker_steal_share"] or 0 for x in g] or [0]) * 100,
               "mpps_per_worker_cpu_s_median": med(norm),
               "mpps_per_worker_cpu_s_min": min(norm) if norm else None,
               "mpps_per_worker_cpu_s_max": max(norm) if norm else None}
        if r != base and v and a_med:
            paired = [(x["mpps"] - base_round[x["round"]]) / base_round[x["round"]] * 100
                      for x in g if x["mpps"] is not None and base_round.get(x["round"])]
            diff = (med(v) - a_med) / a_med * 100
            row.update(diff_vs_a_pct=diff, a_spread_pct=a_spread,
                       within_noise=abs(diff) <= a_spread,
                       paired_diff_median_pct=med(paired),
                       paired_diff_min_pct=min(paired) if paired else None,
                       paired_diff_max_pct=max(paired) if paired else None,
                       mann_whitney_p=mann_whitney_p(v, a_mpps),
                       norm_diff_vs_a_pct=(med(norm) - a_norm_med) / a_norm_med * 100
                       if norm and a_norm_med else None)
        row.update(scrapes=scrapes, scrape_failures=sum(x["failed"] for x in g),
                   control_cpu_us_per_s=cpu_ns / 1e3 / window if window else None,
                   cpu_us_per_scrape=cpu_ns / 1e3 / scrapes if scrapes else None,
                   cpu_us_per_scrape_min=min(per_run) if per_run else None,
                   cpu_us_per_scrape_max=max(per_run) if per_run else None,
                   cpu_us_per_scrape_ticks=ticks / hz * 1e6 / scrapes if scrapes else None,
                   back_to_back_us=med([x["back_to_back_us"] for x in g]),
                   latency_ms_median=med(lat), latency_ms_p99=pct(lat, 99),
                   latency_ms_max=max(lat) if lat else None,
                   scrape_bytes=med([x["bytes"] for x in g]),
                   scrape_lines=med([x.get("lines") for x in g]),
                   note="; ".join(sorted(
                       {f"round {x['round']}: {x['error']}" for x in g if x["error"]} |
                       {f"round {x['round']}: exit {x['rc']}" for x in g
                        if x["rc"] not in (0, None)})))
        rows.append(row)

    letters = " ".join(n.split(":")[0] for n in names.values())
    md = ["# What a Prometheus scrape costs (`scripts/bench --scrape`)\n",
          f"- date: {meta['date']}; CPU: {meta['cpu']}, {os.cpu_count()} CPUs; "
          f"dpprobe {meta['commit']}",
          f"- load average {meta['load_start']} at the start, {meta['load_end']} at the end "
          "(other work on these CPUs moves every figure)",
          f"- capture {meta['capture']} ({a.flows} flows, {a.packets} packets) replayed through "
          f"net_pcap infinite_rx, one worker (lcores {a.lcores}), memory {a.memory}, "
          "`--prometheus` on in every run",
          f"- {a.runs} rounds of {letters}, interleaved; a {a.seconds} s window per run from "
          f"the first stats snapshot; {meta['total_s']:.0f} s in all",
          "- the scraper keeps one connection alive (as Prometheus does) and runs on the main "
          "lcore's CPU",
          "",
          "## Worker packet rate\n",
          "Mpps: the worker lcore's `packets` over the window (stats snapshots). vs A: the "
          "difference of the medians, against A's spread ((max - min) / median); paired: each "
          "run against the A run of its round; p: exact two-sided Mann-Whitney test against "
          "A's runs. Worker on CPU: the worker thread's CPU time (schedstat) over the window; "
          "Mpps per worker CPU-s divides that out, so preemption by other processes does not "
          "move it. Steal: time the hypervisor gave the worker's CPU to someone else "
          "(/proc/stat), median (max) of the runs.\n",
          "| variant | runs | Mpps median | min..max | vs A | paired vs A, median (min..max) "
          "| p | worker on CPU | steal | Mpps per worker CPU-s (min..max) | vs A |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if "diff_vs_a_pct" in row:
            vs = (f"{row['diff_vs_a_pct']:+.1f} % (A's spread {row['a_spread_pct']:.1f} %: "
                  f"{'within' if row['within_noise'] else 'beyond'} noise)")
            paired = (f"{row['paired_diff_median_pct']:+.1f} % "
                      f"({row['paired_diff_min_pct']:+.1f}..{row['paired_diff_max_pct']:+.1f})")
            p = f(row["mann_whitney_p"])
            nvs = ("n/a" if row["norm_diff_vs_a_pct"] is None
                   else f"{row['norm_diff_vs_a_pct']:+.1f} %")
        else:
            vs = paired = p = nvs = "-"
        md.append(f"| {row['variant']} | {row['runs']} | {f(row['mpps_median'])} | "
                  f"{f(row['mpps_min'])}..{f(row['mpps_max'])} | {vs} | {paired} | {p} | "
                  f"{row['worker_cpu_pct_median']:.1f} % | "
                  f"{row['worker_steal_pct_median']:.1f} % ({row['worker_steal_pct_max']:.1f} %) | "
                  f"{f(row['mpps_per_worker_cpu_s_median'])} "
                  f"({f(row['mpps_per_worker_cpu_s_min'])}..{f(row['mpps_per_worker_cpu_s_max'])})"
                  f" | {nvs} |")
    md += ["",
           "## Control thread and client\n",
           "CPU: the libmicrohttpd thread's CPU time over the window (schedstat, ns) divided "
           "by the scrapes answered (per-run range); without a scraper, what it spends idle. "
           f"Back to back: after each window, {BACK_TO_BACK} scrapes in a row on one "
           "connection (median of the runs), the cost with warm caches. "
           "Latency: request sent to body read, seen by the client (the first scrape of a run "
           "opens the connection).\n",
           "| variant | scrapes (failed) | control CPU µs/scrape (min..max of runs) | control "
           "CPU µs/s | from utime+stime, µs/scrape | back to back, µs/scrape "
           "| latency ms median | p99 | max | bytes | lines |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cpu = ("-" if row["cpu_us_per_scrape"] is None else
               f"{row['cpu_us_per_scrape']:.0f} ({f(row['cpu_us_per_scrape_min'], 0)}.."
               f"{f(row['cpu_us_per_scrape_max'], 0)})")
        md.append(f"| {row['variant']} | {row['scrapes']} ({row['scrape_failures']}) | {cpu} | "
                  f"{f(row['control_cpu_us_per_s'], 1)} | "
                  f"{f(row['cpu_us_per_scrape_ticks'], 0) if row['scrapes'] else '-'} | "
                  f"{f(row['back_to_back_us'], 0) if row['scrapes'] else '-'} | "
                  f"{f(row['latency_ms_median'])} | {f(row['latency_ms_p99'])} | "
                  f"{f(row['latency_ms_max'])} | "
                  f"{'-' if row['scrape_bytes'] is None else int(row['scrape_bytes'])} | "
                  f"{'-' if row['scrape_lines'] is None else int(row['scrape_lines'])} |")
    notes = [f"- {row['variant']}: {row['note']}" for row in rows if row["note"]]
    if notes:
        md += [""] + notes
    text = "\n".join(md) + "\n"
    open(os.path.join(a.out, "scrape.md"), "w").write(text)
    fields = ["section", "capture", "flows", "packets", "memory", "variant", "scrapes_per_s",
              "runs", "mpps_median", "mpps_min", "mpps_max", "diff_vs_a_pct", "a_spread_pct",
              "within_noise", "paired_diff_median_pct", "paired_diff_min_pct",
              "paired_diff_max_pct", "mann_whitney_p", "worker_cpu_pct_median",
              "worker_steal_pct_median", "worker_steal_pct_max", "mpps_per_worker_cpu_s_median",
              "mpps_per_worker_cpu_s_min", "mpps_per_worker_cpu_s_max", "norm_diff_vs_a_pct",
              "scrapes", "scrape_failures", "cpu_us_per_scrape", "cpu_us_per_scrape_min",
              "cpu_us_per_scrape_max", "cpu_us_per_scrape_ticks", "back_to_back_us",
              "control_cpu_us_per_s",
              "latency_ms_median", "latency_ms_p99", "latency_ms_max", "scrape_bytes",
              "scrape_lines", "note"]
    with open(os.path.join(a.out, "scrape.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return text


def rates_arg(s):
    try:
        rates = [float(x) for x in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("a list of scrapes a second, e.g. 0,1,10")
    if rates[0] != 0 or any(r <= 0 or r > 100 for r in rates[1:]) or len(set(rates)) != len(rates):
        raise argparse.ArgumentTypeError("0 first (no scraper), then distinct rates in (0, 100]")
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dpprobe")
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--packets", type=int, required=True)
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--mbufs", type=int, required=True)
    ap.add_argument("--capacity", type=int, required=True)
    ap.add_argument("--eal-mem", required=True)
    ap.add_argument("--memory", default="nohuge")
    ap.add_argument("--lcores", default="0,1")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rates", type=rates_arg, default=rates_arg("0,1,10"))
    a = ap.parse_args()
    if a.runs < 1 or a.seconds < 3:
        ap.error("--runs must be 1 or more and --seconds 3 or more")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = os.path.join(a.out, "work")
    os.makedirs(work, exist_ok=True)
    # The client runs where the main lcore runs; the probe gets the CPUs we had.
    orig_cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {lcore_list(a.lcores)[0]})
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    meta = {"date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), "cpu": cpu_model(),
            "commit": git_commit(root), "capture": os.path.basename(a.capture).rsplit(".", 1)[0],
            "load_start": load_average()}
    prefix = f"dppscrape{os.getpid()}"
    names = variant_names(a.rates)
    runs = []
    t0 = time.monotonic()
    with open(os.path.join(work, "scrape.jsonl"), "w") as raw:
        for rnd in range(1, a.runs + 1):
            for rate in a.rates:
                rec = run_one(a, rate, rnd, work, prefix, orig_cpus)
                if rec["error"]:
                    log(f"scrape {rnd}/{a.runs} {names[rate]}: {rec['error']} "
                        f"(see {work}/scrape-{rate:g}hz-{rnd}.log)")
                else:
                    cost = (f", {rec['cpu_ns'] / rec['scrapes'] / 1e3:.0f} us CPU a scrape"
                            if rec["scrapes"] else "")
                    log(f"scrape {rnd}/{a.runs} {names[rate]}: {f(rec['mpps'])} Mpps "
                        f"(worker on CPU {rec['worker_cpu_share'] * 100:.0f} %, steal "
                        f"{rec['worker_steal_share'] * 100:.0f} %), {rec['scrapes']} "
                        f"scrapes{cost}")
                runs.append(rec)
                raw.write(json.dumps(rec) + "\n")
                raw.flush()
    meta["load_end"] = load_average()
    meta["total_s"] = time.monotonic() - t0
    print(summarize(a, runs, meta))
    log(f"wrote {a.out}/scrape.md and {a.out}/scrape.csv")
    return 0 if all(r["mpps"] is not None for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
