"""benchlib.py -- what the bench.d modes that replay through a running probe share
(`scripts/bench --scrape`, `--compare`).

- a probe's threads (EAL names its worker lcores rte-worker-N) and their CPU time from
  /proc/PID/task/TID/schedstat (nanoseconds), the steal time of CPUs (/proc/stat);
- the stats snapshots a probe writes (--stats, JSON Lines) and the worker lcores'
  packet rate between two of them;
- medians, nearest-rank percentiles, an exact Mann-Whitney test, and number formats for
  the Markdown reports.

Python standard library only; imported by the scripts next to it.
"""
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import time

WORKER_PREFIX = "rte-worker-"
# Largest number of rank permutations the exact test enumerates.
MANN_WHITNEY_MAX = 200000


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def threads(pid, match):
    """{tid: comm} of PID's threads whose name satisfies match(comm)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
        except OSError:
            continue
        if match(comm):
            out[int(tid)] = comm
    return out


def thread_cpu(pid, tid):
    """(nanoseconds on CPU from schedstat, utime+stime ticks from stat)."""
    ns = int(open(f"/proc/{pid}/task/{tid}/schedstat").read().split()[0])
    f = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
    return ns, int(f[11]) + int(f[12])  # fields 14 and 15 of proc(5)'s stat


def lcore_list(spec):
    """EAL's -l list ("0,1", "0-3") as CPU numbers, main lcore first."""
    cpus = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def steal_ticks(cpus):
    """Clock ticks the hypervisor took from these CPUs (steal, /proc/stat)."""
    total = 0
    for line in open("/proc/stat"):
        name, *vals = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            total += int(vals[7])
    return total


def snapshots(path):
    snaps = []
    try:
        for line in open(path):
            try:
                snaps.append(json.loads(line))
            except ValueError:
                pass  # a line still being written
    except OSError:
        pass
    return [s for s in snaps if not s.get("final")]


def worker_rate(snaps, t0, t1):
    """Worker packets a second between the first and the last snapshot of [t0, t1]."""
    w = [s for s in snaps if t0 <= s["ts"] <= t1]
    if len(w) < 2 or w[-1]["ts"] <= w[0]["ts"]:
        return None
    pk = lambda s: sum(l["packets"] for l in s["lcores"] if l["role"] == "worker")
    return (pk(w[-1]) - pk(w[0])) / (w[-1]["ts"] - w[0]["ts"])


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def pct(v, q):
    """Nearest-rank percentile."""
    if not v:
        return None
    s = sorted(v)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def mann_whitney_p(x, y):
    """Exact two-sided p of the Mann-Whitney U test (ties get mid-ranks)."""
    n, m = len(x), len(y)
    if not n or not m or math.comb(n + m, n) > MANN_WHITNEY_MAX:
        return None
    allv = sorted(x + y)
    rank = {v: (allv.index(v) + 1 + len(allv) - allv[::-1].index(v)) / 2 for v in allv}
    ranks = [rank[v] for v in x + y]
    mean = n * (n + m + 1) / 2
    obs = abs(sum(rank[v] for v in x) - mean)
    total = hits = 0
    for idx in itertools.combinations(range(n + m), n):
        total += 1
        if abs(sum(ranks[i] for i in idx) - mean) >= obs - 1e-9:
            hits += 1
    return hits / total


def f(v, digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}"


def rng(v, digits=2):
    v = [x for x in v if x is not None]
    return f"{min(v):.{digits}f}..{max(v):.{digits}f}" if v else "n/a"


def git_commit(path):
    """Short commit of the git work tree that holds path, "+uncommitted" if it differs
    from it; "unknown" outside one."""
    d = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    r = subprocess.run(["git", "-C", d, "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True)
    commit = r.stdout.strip() if r.returncode == 0 else ""
    if not commit:
        return "unknown"
    if subprocess.run(["git", "-C", d, "diff", "--quiet", "HEAD"]).returncode != 0:
        commit += "+uncommitted"
    return commit


def cpu_model():
    return next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                 if l.startswith("model name")), "unknown")


def load_average():
    return " ".join(open("/proc/loadavg").read().split()[:3])
