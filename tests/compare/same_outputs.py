#!/usr/bin/python3
"""same_outputs.py -- two builds of dpprobe write the same flow records and snapshots.

    same_outputs.py run DPPROBE OUTDIR     run every scenario, write OUTDIR/NAME/{flows,stats}.jsonl
    same_outputs.py diff BEFORE AFTER      compare two OUTDIRs; exit 1 on a difference

For a change to how the outputs are written (not what they say): run the
old binary and the new one on the same scenarios (the demo capture, the
public and malformed captures, two queues, two workers, --dist sw, services
on and off, the ring-sizing port), then diff.

What must be equal:
- flow records: byte for byte (same lines in the same order);
- the final snapshot: byte for byte once the fields that depend on timing
  are masked (ts, busy_pct, resident and huge-page memory, the polls that
  found nothing, the ring-sizing port's measurements);
- every snapshot line: the same keys in the same order. Earlier lines are
  taken while the capture is read, so their numbers depend on timing: each
  line's key layout (list indices and the names under parse.malformed and
  xstats folded) must be one the other build wrote in that scenario.
"""
import glob
import json
import os
import re
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = f"{SRC}/tests/data"
EAL = ["--no-pci", "--no-huge", "--no-shconf", "-m", "256", "--log-level=lib.eal:warning"]


def lcores(n):
    """main + n-1 others, mapped onto the CPUs there are."""
    cpus = os.cpu_count() or 1
    return ["--lcores", ",".join(f"{i}@{i % cpus}" for i in range(n))]


def scenarios():
    demo = f"{DATA}/demo.pcap"
    # --work-ns slows the worker down, so the capture takes several intervals.
    slow = ["--stats-interval", "0.01", "--work-ns", "200000"]
    out = [
        ("demo", 2, [f"net_pcap0,rx_pcap={demo}"], slow),
        ("demo-services2", 2, [f"net_pcap0,rx_pcap={demo}"], slow + ["--services", "2"]),
        ("demo-services0", 2, [f"net_pcap0,rx_pcap={demo}"], slow + ["--services", "0"]),
        ("demo-2q-1w", 2, [f"net_pcap0,rx_pcap={demo},rx_pcap={demo}"], slow),
        ("demo-2q-2w", 3, [f"net_pcap0,rx_pcap={demo},rx_pcap={demo}"], slow),
        ("demo-2ports", 3, [f"net_pcap0,rx_pcap={demo}", f"net_pcap1,rx_pcap={demo}"], slow),
        ("demo-dist-sw", 4, [f"net_pcap0,rx_pcap={demo},rx_pcap={demo}"],
         slow + ["--dist", "sw"]),
        ("ring-port", 3, [], ["--stats-interval", "0.05", "--load", "const", "--load-rate",
                              "200000", "--load-packets", "40000", "--rxd", "256"]),
    ]
    for pcap in sorted(glob.glob(f"{DATA}/public/*.pcap") + glob.glob(f"{DATA}/malformed/*.pcap")):
        name = os.path.basename(pcap)[:-5]
        if os.path.getsize(pcap) <= 24:
            continue  # empty captures: start-up errors, no output
        out.append((name, 2, [f"net_pcap0,rx_pcap={pcap}"],
                    ["--stats-interval", "0.01", "--work-ns", "20000"]))
    return out


def run(dpprobe, outdir):
    failed = 0
    for name, nl, vdevs, opts in scenarios():
        d = f"{outdir}/{name}"
        os.makedirs(d, exist_ok=True)
        cmd = [dpprobe] + EAL + lcores(nl) + ["--file-prefix", f"same-outputs-{os.getpid()}"]
        for v in vdevs:
            cmd += ["--vdev", v]
        cmd += ["--", "--flows", f"{d}/flows.jsonl", "--stats", f"{d}/stats.jsonl"] + opts
        with open(f"{d}/err", "w") as err:
            rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=err, timeout=300).returncode
        with open(f"{d}/rc", "w") as f:
            f.write(f"{rc}\n")
        with open(f"{d}/kind", "w") as f:
            # Several workers hand records to the exporter in any order; the
            # load study's port offers packets paced by the clock.
            f.write("timing\n" if "--load" in opts else
                    "unordered\n" if nl - ("--dist" in opts) > 2 else "exact\n")
        lines = sum(1 for _ in open(f"{d}/stats.jsonl")) if os.path.exists(f"{d}/stats.jsonl") else 0
        print(f"{name}: exit {rc}, {lines} snapshots")
        failed += rc != 0
    return failed


# Numbers that depend on when a snapshot was taken, not on what was read.
RING = re.compile(r'("size":[0-9]+,"count":)[0-9]+(,"max":)[0-9]+(,"enq_drops")')
TIMING = re.compile(r'"(ts|busy_pct|resident_bytes|huge_bytes|polls|empty|samples)":(-?[0-9][0-9.eE+-]*|null)')
NUMBER = re.compile(r'(?<=[:\[,])-?[0-9][0-9.eE+-]*')
FOLDED = {"malformed", "xstats"}  # objects whose keys come and go with the input


def mask(line):
    """The line's text with the timing fields replaced by T."""
    line = TIMING.sub(r'"\1":T', line)
    line = RING.sub(r"\1T\2T\3", line)  # a ring's count and high-water mark
    line = re.sub(r'"hist":\[[0-9]+', '"hist":[T', line)  # the polls that found nothing
    # Every number of the load study's ring port is a measurement.
    i = line.find('"ring_port":{')
    while i >= 0:
        depth, j = 0, i + len('"ring_port":')
        while True:
            depth += {"{": 1, "}": -1}.get(line[j], 0)
            j += 1
            if depth == 0:
                break
        line = line[:i] + NUMBER.sub("T", line[i:j]) + line[j:]
        i = line.find('"ring_port":{', i + 1)
    return line


def layout(v, path="", out=None):
    """Key paths in order of first appearance, list indices folded."""
    if out is None:
        out = {}
    if isinstance(v, dict):
        for k, x in v.items():
            if path.split(".")[-1] in FOLDED:
                k = "*"
            p = f"{path}.{k}" if path else k
            out.setdefault(p, None)
            layout(x, p, out)
    elif isinstance(v, list):
        for x in v:
            layout(x, path + "[]", out)
    return tuple(out)


def diff(before, after):
    problems = []
    names = sorted(os.listdir(before))
    for name in names:
        a, b = f"{before}/{name}", f"{after}/{name}"
        if not os.path.isdir(b):
            problems.append(f"{name}: not run after")
            continue
        rca, rcb = open(f"{a}/rc").read().strip(), open(f"{b}/rc").read().strip()
        if rca != rcb:
            problems.append(f"{name}: exit {rca} before, {rcb} after")
        kind = open(f"{a}/kind").read().strip()
        fa = open(f"{a}/flows.jsonl", "rb").read() if os.path.exists(f"{a}/flows.jsonl") else b""
        fb = open(f"{b}/flows.jsonl", "rb").read() if os.path.exists(f"{b}/flows.jsonl") else b""
        if kind == "unordered":
            fa, fb = b"".join(sorted(fa.splitlines(True))), b"".join(sorted(fb.splitlines(True)))
        if kind != "timing" and fa != fb:
            problems.append(f"{name}: flow records differ")
        sa = [l for l in open(f"{a}/stats.jsonl")] if os.path.exists(f"{a}/stats.jsonl") else []
        sb = [l for l in open(f"{b}/stats.jsonl")] if os.path.exists(f"{b}/stats.jsonl") else []
        ja = [json.loads(l) for l in sa]
        jb = [json.loads(l) for l in sb]
        if not ja or not jb:
            if ja or jb:
                problems.append(f"{name}: snapshots {len(ja)} before, {len(jb)} after")
            continue
        if not (ja[-1].get("final") and jb[-1].get("final")):
            problems.append(f"{name}: a last snapshot is not final")
        ma, mb = mask(sa[-1]), mask(sb[-1])
        if kind != "timing" and ma != mb:
            i = next((i for i in range(min(len(ma), len(mb))) if ma[i] != mb[i]), 0)
            problems.append(f"{name}: final snapshot differs at\n  before: ...{ma[max(0, i - 100):i + 60]}"
                            f"\n  after:  ...{mb[max(0, i - 100):i + 60]}")
        # Every key the old build always wrote, in the old build's order.
        order = {}
        for j in [ja[-1]] + ja[:-1]:
            for k in layout(j):
                order.setdefault(k, len(order))
        always = set.intersection(*(set(layout(j)) for j in ja))
        for i, j in enumerate(jb):
            keys = layout(j)
            # A key inside a list is missing only where the list has elements.
            missing = {k for k in always - set(keys)
                       if "[]" not in k or any(x.startswith(k[:k.rindex("[]") + 2] + ".")
                                               for x in keys)}
            unknown = [k for k in keys if k not in order]
            pos = [order[k] for k in keys if k in order]
            if missing or unknown or pos != sorted(pos):
                problems.append(f"{name}: snapshot {i + 1} after: keys missing {sorted(missing)[:5]}, "
                                f"new {unknown[:5]}, in order {pos == sorted(pos)}")
                break
        for i, line in enumerate(sb):
            if not line.endswith("\n") or line.count("\n") != 1:
                problems.append(f"{name}: snapshot {i + 1} is not one whole line")
        print(f"{name} ({kind}): {len(fa.splitlines())} records, equal {fa == fb}; "
              f"snapshots {len(ja)} before, {len(jb)} after, final equal {ma == mb}")
    for name in sorted(os.listdir(after)):
        if name not in names:
            problems.append(f"{name}: only after")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"same outputs: {len(names)} scenarios")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        sys.exit(1 if run(os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])) else 0)
    if len(sys.argv) == 4 and sys.argv[1] == "diff":
        sys.exit(diff(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
