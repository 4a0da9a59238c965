#!/usr/bin/env python3
"""compare.py -- two dpprobe builds on the same replays (`scripts/bench --compare`).

  compare.py DPPROBE_A DPPROBE_B OUTDIR --captures CAPTURES.json
             [--runs 5] [--seconds 5] [--warmup 1] [--lcores 0,1] [--memory nohuge|huge]

A is the build under test (the current one), B the one it is compared with.
CAPTURES.json is a list of {"name", "file", "flows", "packets", "mbufs",
"capacity", "eal_mem"}, as scripts/bench sizes them. Each capture is replayed
through net_pcap infinite_rx with both builds, alternating A B A B ... for
--runs rounds (round by round: every capture with A, then with B), with the
same EAL options, --flow-capacity, --total-num-mbufs, --mbuf-size 256,
--flows /dev/null and a stats snapshot a second; nothing else is passed, so
each build runs with its own defaults for everything else. The script runs on
the main lcore's CPU; the probe gets the CPUs it had.

Per run, the window opens at the first snapshot that is both --warmup (1 or
more) snapshots after the first one (which comes a second after the replay
starts) and after the first pass over the capture (the worker has seen the
capture's packet count: that pass creates the flows and takes the table's
page faults, every later one is lookups and tracking of the same flows), and
lasts --seconds snapshots. The first pass's wall time is reported apart. When a snapshot
appears, the script reads the worker threads' CPU time (schedstat) at once, so
each window has both the worker lcores' `packets` and the worker's CPU time:
- Mpps: the worker's packets over the window's wall time (the snapshots' ts);
- worker on CPU: its CPU time over that wall time (below 100 % when other
  processes on the shared CPUs preempted it), steal from /proc/stat;
- Mpps per worker CPU-second: the worker's packets over its CPU time, which
  that preemption does not move (contention for caches and memory it does);
- the snapshot's flow_tables (flow_state_bytes, bytes_per_flow, bytes) and the
  process's VmHWM at the end of the window, and the final snapshot's checks.

Per capture it reports both builds' medians and ranges, A against B as the
difference of the medians and as the median (and range) of the per-round
paired differences, an exact Mann-Whitney p, each build's spread, and whether
A is within --target % (5) of B per worker CPU-second. Writes OUTDIR/compare.md,
OUTDIR/compare.csv (one row per capture) and OUTDIR/work/compare.jsonl (one line
per run); prints compare.md.
"""
import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from benchlib import (WORKER_PREFIX, cpu_model, f, git_commit, lcore_list, load_average, log,
                      mann_whitney_p, med, steal_ticks, thread_cpu, threads)

# Seconds to wait for the capture to be loaded (the first snapshot).
LOAD_TIMEOUT_S = 300
# Seconds the first pass over a capture may take, from the first snapshot.
FIRST_PASS_TIMEOUT_S = 120
# Seconds for a clean stop after SIGINT before SIGKILL.
STOP_TIMEOUT_S = 120
# Seconds between looks at the stats file: the worker's CPU time is read at
# most this late after a snapshot (0.1 % of a 5 s window).
POLL_S = 0.002
# The probe options every run passes: both builds must know them.
PROBE_OPTIONS = ("--flows", "--stats", "--stats-interval", "--total-num-mbufs", "--mbuf-size",
                 "--flow-capacity", "--duration")
FLOW_TABLE_KEYS = ("flow_state_bytes", "bytes_per_flow", "bytes", "resident_bytes",
                   "huge_bytes")


def probe_help(dpprobe, prefix):
    """The probe's --help text (EAL started without memory to speak of)."""
    try:
        p = subprocess.run([dpprobe, "--no-pci", "--no-huge", "--no-shconf", "-m", "64",
                            "--file-prefix", prefix, "--log-level=lib.eal:warning", "--",
                            "--help"], capture_output=True, text=True, timeout=60)
        return p.stdout + p.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def missing_options(dpprobe, prefix):
    text = probe_help(dpprobe, prefix)
    return [o for o in PROBE_OPTIONS if f"  {o} " not in text]


def build_state(dpprobe):
    """"current" or what ninja would rebuild in the build directory that holds dpprobe."""
    d = os.path.dirname(os.path.abspath(dpprobe))
    for _ in range(3):
        if os.path.exists(os.path.join(d, "build.ninja")):
            r = subprocess.run(["ninja", "-C", d, "-n"], capture_output=True, text=True)
            if r.returncode != 0:
                return "unknown (ninja -n failed)"
            if "no work to do" in r.stdout:
                return "up to date"
            return "stale: ninja would rebuild it"
        d = os.path.dirname(d)
    return "unknown (no build.ninja above it)"


def probe_cmd(dpprobe, cap, a, prefix, stats):
    return [dpprobe, "--no-pci", *cap["eal_mem"].split(), "-l", a.lcores,
            "--file-prefix", prefix, "--log-level=lib.eal:warning",
            "--vdev", f"net_pcap0,rx_pcap={cap['file']},infinite_rx=1", "--",
            "--flows", os.devnull, "--stats", stats, "--stats-interval", "1",
            "--total-num-mbufs", str(cap["mbufs"]), "--mbuf-size", "256",
            "--flow-capacity", str(cap["capacity"]),
            # A backstop only: this script stops the probe itself.
            "--duration", str(LOAD_TIMEOUT_S + a.warmup + a.seconds + 60)]


def vm_hwm_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def worker_packets(snap):
    return sum(l["packets"] for l in snap["lcores"] if l["role"] == "worker")


def window_start(samples, warmup, first_pass):
    """Index of the snapshot that opens the window: --warmup snapshots after the first
    one at least, and the first pass over the capture (first_pass packets) done by it."""
    for i in range(warmup, len(samples)):
        if worker_packets(samples[i]["snap"]) >= first_pass:
            return i
    return None


def watch(p, stats, done, workers, steal_cpus, deadline):
    """Follow the stats file until done(samples) or the deadline: for each periodic
    snapshot, the snapshot and, read as soon as it appeared, the workers' CPU ns and
    steal ticks."""
    samples = []
    with open(stats) as fh:
        buf = ""
        while not done(samples) and time.monotonic() < deadline and p.poll() is None:
            chunk = fh.read()
            if not chunk:
                time.sleep(POLL_S)
                continue
            cpu = sum(thread_cpu(p.pid, t)[0] for t in workers)
            steal = steal_ticks(steal_cpus)
            buf += chunk
            *lines, buf = buf.split("\n")
            for line in lines:
                try:
                    s = json.loads(line)
                except ValueError:
                    continue
                if not s.get("final"):
                    samples.append({"snap": s, "cpu_ns": cpu, "steal": steal})
    return samples


def first_pass_s(samples, packets):
    """Seconds from the start of the replay (a snapshot interval before the first
    snapshot) until the worker had seen `packets`, interpolated between snapshots."""
    t_prev, pk_prev = samples[0]["snap"]["ts"] - 1, 0
    for x in samples:
        t, pk = x["snap"]["ts"], worker_packets(x["snap"])
        if pk >= packets:
            return t_prev - samples[0]["snap"]["ts"] + 1 + \
                (t - t_prev) * (packets - pk_prev) / max(1, pk - pk_prev)
        t_prev, pk_prev = t, pk
    return None


def measure(p, stats, a, cap, rec):
    """The window of one running probe: fills rec."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < LOAD_TIMEOUT_S and p.poll() is None and \
            not (os.path.exists(stats) and os.path.getsize(stats)):
        time.sleep(0.01)
    if p.poll() is not None:
        rec.update(rc=p.returncode, error=f"exited {p.returncode} before the first snapshot")
        return
    if not os.path.getsize(stats):
        rec["error"] = f"no stats snapshot in {LOAD_TIMEOUT_S} s"
        return
    # The first snapshot comes a second after the workers start: the load before it.
    rec["load_s"] = time.monotonic() - t0 - 1
    workers = threads(p.pid, lambda c: c.startswith(WORKER_PREFIX))
    if not workers:
        rec["error"] = "no worker thread (rte-worker-*) found"
        return
    steal_cpus = lcore_list(a.lcores)[1:]

    # Snapshot 0 was written before the workers' CPU was first read: never a bound
    # (--warmup is 1 or more).
    def done(samples):
        o = window_start(samples, a.warmup, cap["packets"])
        return o is not None and len(samples) > o + a.seconds

    samples = watch(p, stats, done, workers, steal_cpus,
                    time.monotonic() + FIRST_PASS_TIMEOUT_S + a.warmup + a.seconds + 10)
    if samples:
        rec["first_pass_s"] = first_pass_s(samples, cap["packets"])
    if not done(samples):
        rec["error"] = (f"{len(samples)} snapshots, the window not complete (first pass over "
                        f"the capture: {rec.get('first_pass_s')} s)")
        return
    o = window_start(samples, a.warmup, cap["packets"])
    rec["window_opens_s"] = samples[o]["snap"]["ts"] - samples[0]["snap"]["ts"] + 1
    win = samples[o:o + a.seconds + 1]
    s0, s1 = win[0], win[-1]
    dt = s1["snap"]["ts"] - s0["snap"]["ts"]
    pk = worker_packets(s1["snap"]) - worker_packets(s0["snap"])
    cpu_s = (s1["cpu_ns"] - s0["cpu_ns"]) / 1e9
    rec.update(window_s=dt, packets=pk, worker_cpu_s=cpu_s, mpps=pk / dt / 1e6,
               worker_cpu_share=cpu_s / dt,
               mpps_per_worker_cpu_s=pk / cpu_s / 1e6 if cpu_s > 0 else None,
               worker_steal_share=(s1["steal"] - s0["steal"]) / os.sysconf("SC_CLK_TCK") / dt /
               max(1, len(steal_cpus)),
               interval_mpps=[
                   (worker_packets(y["snap"]) - worker_packets(x["snap"])) /
                   (y["snap"]["ts"] - x["snap"]["ts"]) / 1e6 for x, y in zip(win, win[1:])],
               interval_mpps_per_cpu_s=[
                   (worker_packets(y["snap"]) - worker_packets(x["snap"])) /
                   max(1, y["cpu_ns"] - x["cpu_ns"]) * 1e3 for x, y in zip(win, win[1:])],
               vm_hwm_kb=vm_hwm_kb(p.pid))
    ft = s1["snap"].get("flow_tables")
    if ft:
        rec["flow_tables"] = {k: ft.get(k) for k in FLOW_TABLE_KEYS}


def final_checks(stats):
    """The final snapshot's counters worth a look: flows created, losses."""
    final = None
    try:
        for line in open(stats):
            try:
                s = json.loads(line)
            except ValueError:
                continue
            if s.get("final"):
                final = s
    except OSError:
        pass
    if final is None:
        return None
    port = final["ports"][0]
    fl = final.get("flows", {})
    return {"created": fl.get("created"), "evicted": fl.get("evicted"),
            "table_full_drops": fl.get("table_full_drops"),
            "rx_nombuf": port.get("rx_nombuf"), "ierrors": port.get("ierrors")}


def run_one(a, build, dpprobe, cap, rnd, work, prefix, orig_cpus):
    label = f"{cap['name']}-{build}-{rnd}"
    stats = os.path.join(work, f"compare-{label}.stats.jsonl")
    lg = os.path.join(work, f"compare-{label}.log")
    rec = {"capture": cap["name"], "build": build, "round": rnd, "mpps": None,
           "mpps_per_worker_cpu_s": None, "worker_cpu_share": None, "worker_steal_share": None,
           "flow_tables": None, "rc": None, "error": None}
    if os.path.exists(stats):
        os.unlink(stats)
    open(stats, "w").close()
    with open(lg, "w") as out:
        p = subprocess.Popen(probe_cmd(dpprobe, cap, a, prefix, stats), stdin=subprocess.DEVNULL,
                             stdout=out, stderr=out,
                             preexec_fn=lambda: os.sched_setaffinity(0, orig_cpus))
    try:
        measure(p, stats, a, cap, rec)
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                rec["rc"] = p.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                rec["error"] = rec["error"] or f"no clean stop in {STOP_TIMEOUT_S} s"
        elif rec["rc"] is None:
            rec["rc"] = p.returncode
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    rec["final"] = final_checks(stats)
    return rec


def spread_pct(v):
    v = [x for x in v if x is not None]
    m = med(v)
    return (max(v) - min(v)) / m * 100 if v and m else None


def diff_pct(x, y):
    return (x - y) / y * 100 if x is not None and y else None


def rng_of(v, digits=2):
    v = [x for x in v if x is not None]
    return f"{f(min(v), digits)}..{f(max(v), digits)}" if v else "n/a"


def summarize(a, caps, runs, meta):
    rows = []
    for cap in caps:
        row = {"capture": cap["name"], "flows": cap["flows"], "packets": cap["packets"],
               "memory": a.memory, "capacity": cap["capacity"]}
        by = {}
        for b in ("a", "b"):
            g = [x for x in runs if x["capture"] == cap["name"] and x["build"] == b]
            by[b] = {x["round"]: x for x in g}
            v = [x["mpps"] for x in g if x["mpps"] is not None]
            n = [x["mpps_per_worker_cpu_s"] for x in g if x["mpps_per_worker_cpu_s"]]
            ft = next((x["flow_tables"] for x in g if x.get("flow_tables")), None) or {}
            row.update({
                f"{b}_runs": len(v), f"{b}_mpps_median": med(v),
                f"{b}_mpps_min": min(v) if v else None, f"{b}_mpps_max": max(v) if v else None,
                f"{b}_mpps_spread_pct": spread_pct(v),
                f"{b}_worker_cpu_pct_median": (med([x["worker_cpu_share"] for x in g]) or 0) * 100,
                f"{b}_worker_steal_pct_max":
                    max([x["worker_steal_share"] or 0 for x in g] or [0]) * 100,
                f"{b}_norm_median": med(n), f"{b}_norm_min": min(n) if n else None,
                f"{b}_norm_max": max(n) if n else None, f"{b}_norm_spread_pct": spread_pct(n),
                f"{b}_flow_state_bytes": ft.get("flow_state_bytes"),
                f"{b}_bytes_per_flow": ft.get("bytes_per_flow"),
                f"{b}_table_bytes": ft.get("bytes"),
                f"{b}_vm_hwm_mb": (med([x.get("vm_hwm_kb") for x in g]) or 0) / 1024 or None,
                f"{b}_load_s_median": med([x.get("load_s") for x in g]),
                f"{b}_first_pass_s_median": med([x.get("first_pass_s") for x in g]),
                f"{b}_window_opens_s_max": max([x.get("window_opens_s") or 0 for x in g] or [0]),
                f"{b}_created": next((x["final"]["created"] for x in g if x.get("final")), None),
                f"{b}_notes": "; ".join(sorted(
                    {f"round {x['round']}: {x['error']}" for x in g if x["error"]} |
                    {f"round {x['round']}: exit {x['rc']}" for x in g
                     if x["rc"] not in (0, None)} |
                    {f"round {x['round']}: rx_nombuf {x['final']['rx_nombuf']}" for x in g
                     if x.get("final") and x["final"].get("rx_nombuf")}))})
        paired = {}
        for key, col in (("mpps", "mpps"), ("mpps_per_worker_cpu_s", "norm")):
            d = [diff_pct(by["a"][r][key], by["b"][r][key]) for r in by["a"]
                 if r in by["b"] and by["a"][r][key] is not None and by["b"][r][key]]
            paired[col] = d
            av = [x[key] for x in by["a"].values() if x[key] is not None]
            bv = [x[key] for x in by["b"].values() if x[key] is not None]
            row.update({f"{col}_diff_pct": diff_pct(med(av), med(bv)),
                        f"{col}_paired_diff_median_pct": med(d),
                        f"{col}_paired_diff_min_pct": min(d) if d else None,
                        f"{col}_paired_diff_max_pct": max(d) if d else None,
                        f"{col}_mann_whitney_p": mann_whitney_p(av, bv)})
        d, t = paired["norm"], -a.target
        if not d:
            verdict = "not measured"
        elif min(d) >= t:
            verdict = f"met: every round within {a.target:g} %"
        elif max(d) < t:
            verdict = f"missed: every round more than {a.target:g} % slower"
        elif med(d) >= t:
            verdict = (f"met on the median; {sum(x < t for x in d)} of {len(d)} rounds "
                       f"more than {a.target:g} % slower")
        else:
            verdict = (f"missed on the median; {sum(x >= t for x in d)} of {len(d)} rounds "
                       f"within {a.target:g} %")
        row["target_pct"] = a.target
        row["target_met"] = bool(d) and med(d) >= t
        row["verdict"] = verdict
        rows.append(row)

    def pct_cell(row, col):
        if row[f"{col}_diff_pct"] is None:
            return "n/a", "n/a", "n/a"
        lo, hi = row[f"{col}_paired_diff_min_pct"], row[f"{col}_paired_diff_max_pct"]
        return (f"{row[f'{col}_diff_pct']:+.1f} %",
                f"{row[f'{col}_paired_diff_median_pct']:+.1f} % ({lo:+.1f}..{hi:+.1f})",
                f(row[f"{col}_mann_whitney_p"]))

    md = ["# Two dpprobe builds on the same replays (`scripts/bench --compare`)\n",
          f"- date: {meta['date']}; CPU: {meta['cpu']}, {os.cpu_count()} CPUs",
          f"- A (current): `{a.dpprobe_a}`, commit {meta['commit_a']}, {meta['state_a']}",
          f"- B (other): `{a.dpprobe_b}`, commit {meta['commit_b']}, {meta['state_b']}",
          f"- load average {meta['load_start']} at the start, {meta['load_end']} at the end "
          "(other work on these CPUs moves every figure)",
          f"- net_pcap infinite_rx, one worker (lcores {a.lcores}), memory {a.memory}; "
          f"{a.runs} rounds of A then B for each capture; per run a window of {a.seconds} "
          f"s between stats snapshots, opening at the first snapshot {a.warmup + 1} s or more "
          "after the replay started and after the first pass over the capture; "
          f"{meta['total_s']:.0f} s in all",
          "- same EAL options, `--flow-capacity`, `--total-num-mbufs`, `--mbuf-size 256`, "
          "`--flows /dev/null`, `--stats-interval 1` for both; every other option at each "
          "build's default",
          "",
          "## Replay rate\n",
          "Mpps: the worker lcore's `packets` over the window (stats snapshots). Per worker "
          "CPU-s: the same packets over the worker thread's CPU time in the window "
          "(schedstat, read when each snapshot appeared), which preemption by other "
          "processes does not move. A vs B: the difference of the medians; paired: each "
          "round's A run against its B run, median (min..max); p: exact two-sided "
          "Mann-Whitney test. Spread: (max - min) / median of a build's runs.\n",
          "| capture | build | runs | Mpps median | min..max | spread | worker on CPU | "
          "steal max | Mpps per worker CPU-s | min..max | spread |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        for b, name in (("a", "A current"), ("b", "B other")):
            md.append(f"| {row['capture']} | {name} | {row[f'{b}_runs']} | "
                      f"{f(row[f'{b}_mpps_median'])} | "
                      f"{f(row[f'{b}_mpps_min'])}..{f(row[f'{b}_mpps_max'])} | "
                      f"{f(row[f'{b}_mpps_spread_pct'], 1)} % | "
                      f"{row[f'{b}_worker_cpu_pct_median']:.1f} % | "
                      f"{row[f'{b}_worker_steal_pct_max']:.1f} % | "
                      f"{f(row[f'{b}_norm_median'])} | "
                      f"{f(row[f'{b}_norm_min'])}..{f(row[f'{b}_norm_max'])} | "
                      f"{f(row[f'{b}_norm_spread_pct'], 1)} % |")
    md += ["",
           f"## A against B (target: A at most {a.target:g} % slower per worker CPU-s)\n",
           "| capture | Mpps: A vs B | paired | p | per worker CPU-s: A vs B | paired | p "
           "| target |",
           "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        m, n = pct_cell(row, "mpps"), pct_cell(row, "norm")
        md.append(f"| {row['capture']} | {m[0]} | {m[1]} | {m[2]} | {n[0]} | {n[1]} | {n[2]} "
                  f"| {row['verdict']} |")
    md += ["",
           "## Flow state and memory\n",
           "From the snapshot at the end of the window (`flow_tables`): the state of one flow, "
           "all table memory over the capacity, and the table's bytes; the process's peak "
           "RSS (VmHWM, without hugepages it includes the mbuf pool that holds the whole "
           "capture); load: the seconds from start to the replay (EAL, pool, loading the "
           "file); first pass: the seconds the replay took to go once through the capture "
           "(creating every flow; wall time, so preemption counts), and when the window "
           "opened at the latest (s after the replay started).\n",
           "| capture | build | flow_state_bytes | bytes_per_flow | table MB | peak RSS MB | "
           "load s | first pass s | window opened at s | created | notes |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        for b, name in (("a", "A current"), ("b", "B other")):
            fsb = row[f"{b}_flow_state_bytes"]
            tb = row[f"{b}_table_bytes"]
            md.append(f"| {row['capture']} | {name} | "
                      f"{'not in its snapshot' if fsb is None else fsb} | "
                      f"{f(row[f'{b}_bytes_per_flow'], 1)} | "
                      f"{'n/a' if tb is None else f'{tb / 1048576:.0f}'} | "
                      f"{f(row[f'{b}_vm_hwm_mb'], 0)} | {f(row[f'{b}_load_s_median'], 1)} | "
                      f"{f(row[f'{b}_first_pass_s_median'], 2)} | "
                      f"{f(row[f'{b}_window_opens_s_max'], 0)} | "
                      f"{row[f'{b}_created']} | {row[f'{b}_notes']} |")
    text = "\n".join(md) + "\n"
    open(os.path.join(a.out, "compare.md"), "w").write(text)
    fields = list(rows[0].keys()) if rows else []
    with open(os.path.join(a.out, "compare.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dpprobe_a")
    ap.add_argument("dpprobe_b")
    ap.add_argument("out")
    ap.add_argument("--captures", required=True)
    ap.add_argument("--memory", default="nohuge")
    ap.add_argument("--lcores", default="0,1")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--target", type=float, default=5.0)
    a = ap.parse_args()
    if a.runs < 1 or a.seconds < 2 or a.warmup < 1:
        ap.error("--runs must be 1 or more, --seconds 2 or more, --warmup 1 or more")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    caps = json.load(open(a.captures))
    work = os.path.join(a.out, "work")
    os.makedirs(work, exist_ok=True)
    prefix = f"dppcompare{os.getpid()}"
    for path in (a.dpprobe_a, a.dpprobe_b):
        if not os.access(path, os.X_OK):
            sys.exit(f"compare: {path} is not an executable")
        miss = missing_options(path, prefix)
        if miss:
            sys.exit(f"compare: {path} does not know {' '.join(miss)}")
    meta = {"date": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()), "cpu": cpu_model(),
            "commit_a": git_commit(a.dpprobe_a), "commit_b": git_commit(a.dpprobe_b),
            "state_a": build_state(a.dpprobe_a), "state_b": build_state(a.dpprobe_b),
            "load_start": load_average()}
    for b in ("a", "b"):
        if meta[f"state_{b}"].startswith("stale"):
            log(f"compare: {getattr(a, 'dpprobe_' + b)} is {meta[f'state_{b}']}")
    # The script runs where the main lcore runs; the probe gets the CPUs we had.
    orig_cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {lcore_list(a.lcores)[0]})
    runs = []
    t0 = time.monotonic()
    with open(os.path.join(work, "compare.jsonl"), "w") as raw:
        for rnd in range(1, a.runs + 1):
            for cap in caps:
                for b, path in (("a", a.dpprobe_a), ("b", a.dpprobe_b)):
                    rec = run_one(a, b, path, cap, rnd, work, prefix, orig_cpus)
                    if rec["error"]:
                        log(f"compare {rnd}/{a.runs} {cap['name']} {b.upper()}: {rec['error']} "
                            f"(see {work}/compare-{cap['name']}-{b}-{rnd}.log)")
                    else:
                        log(f"compare {rnd}/{a.runs} {cap['name']} {b.upper()}: "
                            f"{f(rec['mpps'])} Mpps, {f(rec['mpps_per_worker_cpu_s'])} per "
                            f"worker CPU-s (on CPU {rec['worker_cpu_share'] * 100:.0f} %, steal "
                            f"{rec['worker_steal_share'] * 100:.0f} %)")
                    runs.append(rec)
                    raw.write(json.dumps(rec) + "\n")
                    raw.flush()
    meta["load_end"] = load_average()
    meta["total_s"] = time.monotonic() - t0
    print(summarize(a, caps, runs, meta))
    log(f"wrote {a.out}/compare.md and {a.out}/compare.csv")
    return 0 if all(r["mpps"] is not None for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
