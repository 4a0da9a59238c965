#!/usr/bin/python3
"""public_captures.py [options] CAPTURE_OR_DIR... -- dpprobe against tshark on many captures.

For every capture (a directory is searched recursively for pcap and pcapng
files, recognised by their magic number): runs tshark_flows.py (the
reference) and dpprobe (through net_pcap, --no-pci, no hugepages, one
worker), each bounded by --timeout, and compares the flow records with
compare_flows.py's matching (by 4-tuple, then first_ts in order) and
field rules.

The probe's timers are lifted so that a flow ends only where tshark ends it:
--idle-timeout and --syn-timeout are set to a year, and so is --close-linger
when `dpprobe -- --help` lists it (a closed flow then keeps its late FIN and
RST segments, as a tshark stream does).

Per capture it prints one line:
    NAME: tshark T probe P equal E differ D missing M extra X [fields...] [notes]
where equal/differ count matched flows, missing are reference flows the probe
did not write, extra are probe flows tshark does not have, and the notes say
what tshark_flows.py left out (link types it does not read, tunnels, ...) and
how dpprobe ended (crash, hang, error). The summary gives captures, flows,
field agreement in % of the fields compared, and every difference grouped by
cause with up to --examples examples each.

Causes are assigned from the data, so read them as a first sort, not a
verdict:
  probe_error / probe_crash / probe_hang   dpprobe exited non-zero, was killed
                                           by a signal, or ran out of time
  ref_error                                tshark_flows.py failed
  ref_unreadable                           (listed, not a difference) tshark cannot
                                           read the file's link or record type
  linktype                                 the probe wrote no flows where tshark
                                           has some on a non-Ethernet link (or it
                                           refused the link type: probe_refused_link,
                                           the contract's exit 2, is listed and only
                                           a difference when tshark has flows)
  tunnel                                   (a note) TCP inside a tunnel or an
                                           encapsulation the contract does not read
  flow_boundary                            flows on a 4-tuple split or merged
                                           differently (unmatched flows on a 4-tuple
                                           both sides have)
  missing_flow / extra_flow                a 4-tuple only one side has
  ref_left_out:WHAT                        tshark's stream also held frames the
                                           contract leaves out (tunnelled copies,
                                           fragments, malformed frames): by design
  sliced:FIELD                             a field differs in a capture with sliced
                                           frames
  window_scaling:CASE                      win_max; CASE both_syns, one_side_syn
                                           (only the SYN or only the SYN-ACK seen) or no_syn
  timestamps                               first_ts, last_ts
  handshake                                syn, synack, the handshake intervals
  seq_analysis                             retrans, out_of_order
  outcome                                  outcome, rst_by
  endpoints                                client/server chosen differently
  counts                                   packets, payload_bytes, fin, rst, zero_window
  options                                  wscale, mss, sack_ok

Options:
  --dpprobe PATH     the binary (default: build/dataplane/dpprobe under the repo)
  --timeout SEC      per run of each tool (default 120)
  --jobs N           captures compared at once (default 1; the machine is shared)
  --keep DIR         keep each capture's ref/probe/stats files under DIR
  --json FILE        write the per-capture results and the summary as JSON
  --examples N       examples per cause in the summary (default 3)
  --fail-on-diff     exit 1 when any capture differs (for tests)
  -q                 only the summary
Exit status: 0 done (or no difference with --fail-on-diff), 1 differences with
--fail-on-diff, 2 bad usage.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_flows as cf  # noqa: E402  (same directory)

MAGICS = {b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1",
          b"\x0a\x0d\x0d\x0a"}
YEAR_S = "31536000"
FIELD_CAUSE = {
    "first_ts": "timestamps", "last_ts": "timestamps",
    "outcome": "outcome", "rst_by": "outcome",
    "handshake.syn": "handshake", "handshake.synack": "handshake",
    "handshake.syn_to_synack_us": "handshake", "handshake.synack_to_ack_us": "handshake",
    "client.ip": "endpoints", "client.port": "endpoints",
    "server.ip": "endpoints", "server.port": "endpoints",
}
DIR_CAUSE = {"retrans": "seq_analysis", "out_of_order": "seq_analysis",
             "win_max": "window_scaling", "wscale": "options", "mss": "options",
             "sack_ok": "options"}


class Opts:
    """Matching and tolerance settings for compare_flows.equal()."""
    time_tolerance_us = 50.0
    time_tolerance_pct = 1.0
    ts_tolerance_us = 1.0
    match_window_us = 100000.0


def field_cause(field):
    if field in FIELD_CAUSE:
        return FIELD_CAUSE[field]
    return DIR_CAUSE.get(field.split(".", 1)[1], "counts")


def is_capture(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in MAGICS
    except OSError:
        return False


def gather(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(root, f)
                    if is_capture(full):
                        out.append(full)
        elif is_capture(p):
            out.append(p)
        else:
            sys.exit("public_captures: %s: not a pcap or pcapng file" % p)
    return out


def probe_options(dpprobe):
    """Probe options that lift its timers, from what its --help offers."""
    try:
        h = subprocess.run([dpprobe, "--no-pci", "--", "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        sys.exit("public_captures: %s --help: %s" % (dpprobe, e))
    opts = ["--idle-timeout", YEAR_S, "--syn-timeout", YEAR_S]
    if "--close-linger" in h:
        opts += ["--close-linger", YEAR_S]
    return opts


def lcore_args():
    return ["-l", "0,1"] if (os.cpu_count() or 1) >= 2 else ["--lcores", "0@0,1@0"]


def flow_capacity(path):
    """A table big enough for the capture, small enough to start fast."""
    need = max(65536, os.path.getsize(path) // 10)
    cap = 1
    while cap < need:
        cap <<= 1
    return str(min(cap, 1 << 20))


def run(cmd, timeout, **kw):
    """(returncode or None on timeout, stderr text, seconds)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, start_new_session=True,
                         universal_newlines=True, errors="replace", **kw)
    try:
        _, err = p.communicate(timeout=timeout)
        return p.returncode, err, time.monotonic() - t0
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)   # the group of the process started above
        _, err = p.communicate()
        return None, err, time.monotonic() - t0


def run_probe(cap, work, a, popts, n):
    prefix = "dpp-pub-%d-%d" % (os.getpid(), n)
    cmd = ([a.dpprobe, "--no-pci", "--no-huge", "--no-shconf", "-m", "256"] + lcore_args()
           + ["--file-prefix", prefix, "--log-level=lib.eal:warning",
              "--vdev", "net_pcap0,rx_pcap=" + cap, "--",
              "--flows", os.path.join(work, "probe.jsonl"),
              "--stats", os.path.join(work, "stats.jsonl"), "--stats-interval", "3600",
              "--flow-capacity", flow_capacity(cap)] + popts)
    rc, err, secs = run(cmd, a.timeout, stdout=subprocess.DEVNULL)
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    return rc, err, secs


def last_stats(path):
    last = None
    try:
        with open(path) as fh:
            for line in fh:
                if '"stats"' in line:
                    try:
                        last = json.loads(line)
                    except ValueError:
                        pass
    except OSError:
        pass
    return last


def compare(ref_path, probe_path, sliced):
    """Per-capture comparison: counts, field tallies and classified differences."""
    o = Opts()
    ref, probe = cf.load(ref_path), cf.load(probe_path)
    groups = {}
    for r in ref:
        groups.setdefault(r["_key"], ([], []))[0].append(r)
    for p in probe:
        groups.setdefault(p["_key"], ([], []))[1].append(p)
    res = {"ref": len(ref), "probe": len(probe), "equal": 0, "differ": 0, "missing": 0,
           "extra": 0, "fields": 0, "fields_equal": 0, "diffs": []}
    for key in sorted(groups, key=lambda k: min(x["_ts"] for x in groups[k][0] + groups[k][1])):
        rs, ps = groups[key]
        pairs, rl, pl = cf.pair_up(rs, ps, o.match_window_us * 1e-6)
        both = bool(rs) and bool(ps)
        for r in rl:
            res["missing"] += 1
            lo = r.get("ref_left_out")
            res["diffs"].append({"cause": ("ref_left_out:" + ",".join(sorted({k.split(":")[0] for k in lo}))
                                           if lo else "flow_boundary" if both else "missing_flow"),
                                 "flow": cf.label(r), "what": "in tshark only, outcome %s, %d+%d pkts"
                                 % (r.get("outcome"), r["c2s"]["packets"], r["s2c"]["packets"])})
        for p in pl:
            res["extra"] += 1
            res["diffs"].append({"cause": "flow_boundary" if both else "extra_flow",
                                 "flow": cf.label(p), "what": "in probe only, outcome %s, %d+%d pkts"
                                 % (p.get("outcome"), cf.get(p, "c2s.packets"),
                                    cf.get(p, "s2c.packets"))})
        for r, p in pairs:
            bad = []
            for f in cf.FIELDS:
                res["fields"] += 1
                rv, pv = cf.get(r, f), cf.get(p, f)
                if cf.equal(f, rv, pv, o):
                    res["fields_equal"] += 1
                else:
                    bad.append((f, rv, pv))
            if not bad:
                res["equal"] += 1
                continue
            res["differ"] += 1
            # A flow whose packet counts differ was cut differently or saw
            # other frames: every other field follows from that one cause.
            pk = [b for b in bad if b[0].endswith(".packets")]
            if r.get("ref_left_out"):
                causes = {"ref_left_out:" + ",".join(sorted({k.split(":")[0]
                                                             for k in r["ref_left_out"]}))}
            elif pk and (rl or pl or len(rs) != len(ps)):
                causes = {"flow_boundary"}
            elif sliced:
                causes = {"sliced:" + field_cause(b[0]) for b in bad}
            else:
                causes = {field_cause(b[0]) for b in bad}
            if "window_scaling" in causes:
                # Which of Wireshark's cases: both SYN and SYN-ACK captured,
                # or only one side's (then that side is scaled by its shift).
                hs = r.get("handshake", {})
                causes.discard("window_scaling")
                causes.add("window_scaling:" + ("both_syns" if hs.get("syn") and hs.get("synack")
                                                else "one_side_syn" if hs.get("syn") or hs.get("synack")
                                                else "no_syn"))
            what = "; ".join("%s ref=%s probe=%s" % (f, cf.show(rv), cf.show(pv))
                             for f, rv, pv in bad)
            for c in sorted(causes):
                res["diffs"].append({"cause": c, "flow": cf.label(r), "what": what,
                                     "fields": [b[0] for b in bad]})
    return res


def one(cap, n, a, popts):
    name = os.path.relpath(cap, a.base) if a.base else cap
    work = tempfile.mkdtemp(prefix="dpp-pub.")
    out = {"capture": name, "path": cap, "notes": []}
    try:
        skipped = os.path.join(work, "skipped.json")
        with open(os.path.join(work, "ref.jsonl"), "w") as fh:
            rc, err, secs = run(["/usr/bin/python3", os.path.join(HERE, "tshark_flows.py"), cap,
                                 "--skipped", skipped], a.timeout, stdout=fh)
        out["ref_seconds"] = round(secs, 2)
        if rc != 0 and ("doesn't support" in err or "isn't a capture file in a format" in err):
            # tshark cannot read this link type or record type at all: there
            # is no reference to compare with (listed, not a difference).
            out["status"] = "ref_unreadable"
            out["error"] = err.strip().splitlines()[-1][:200]
            return out
        if rc != 0:
            out["status"] = "ref_error"
            out["error"] = "tshark_flows.py %s: %s" % (
                "timed out" if rc is None else "exit %d" % rc, err.strip().splitlines()[-1:])
            return out
        try:
            sk = json.load(open(skipped))
        except (OSError, ValueError):
            sk = {}
        out["skipped"] = sk
        rc, err, secs = run_probe(cap, work, a, popts, n)
        out["probe_seconds"] = round(secs, 2)
        errl = [l for l in err.splitlines() if l.strip() and not l.startswith(("EAL:", "TELEMETRY:"))]
        if rc is None:
            out["status"] = "probe_hang"
            out["error"] = "dpprobe killed after %ds" % a.timeout
        elif rc < 0:
            out["status"] = "probe_crash"
            out["error"] = "dpprobe killed by signal %d (%s)" % (
                -rc, signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else "?")
        elif rc == 2 and errl and "is not supported" in errl[-1] and "link type" in errl[-1]:
            # The contract's answer to a link type it does not read: one line
            # and exit 2. Only a difference when tshark found counted TCP.
            out["status"] = "probe_refused_link"
            out["error"] = errl[-1].split(": ", 2)[-1][:160]
        elif rc != 0:
            out["status"] = "probe_error"
            out["error"] = "dpprobe exit %d: %s" % (rc, errl[-1] if errl else "")
        else:
            out["status"] = "ok"
        st = last_stats(os.path.join(work, "stats.jsonl"))
        if st:
            prs = st.get("parse", {})
            out["parse"] = {k: prs[k] for k in prs if k not in ("packets", "tcp") and prs[k]}
            out["late_segments"] = st.get("flows", {}).get("late_segments")
        probe_path = os.path.join(work, "probe.jsonl")
        if not os.path.exists(probe_path):
            open(probe_path, "w").close()
        if out["status"] != "ok":
            res = compare(os.path.join(work, "ref.jsonl"), probe_path, False)
            if out["status"] != "probe_refused_link":
                res["diffs"] = [{"cause": out["status"], "flow": "(whole capture)",
                                 "what": out["error"]}]
            else:
                for d in res["diffs"]:
                    d["cause"] = "linktype"
                    d["what"] += "; " + out["error"]
        else:
            res = compare(os.path.join(work, "ref.jsonl"), probe_path, sk.get("sliced", 0) > 0)
            # Flows on a link type the probe does not decode: it counts the
            # frames as non_ip (or refuses the file) and writes none of them.
            if (res["missing"] and any(k.startswith("linklayer:") for k in sk)
                    and out.get("parse", {}).get("non_ip")):
                for d in res["diffs"]:
                    if d["cause"] in ("missing_flow", "flow_boundary"):
                        d["cause"] = "linktype"
        out.update(res)
        for k, v in sorted(sk.items()):
            if k.startswith("encap:"):
                out["notes"].append("tunnel %s x%d" % (k[6:], v))
            elif k.startswith("link:"):
                out["notes"].append("link %s x%d" % (k[5:], v))
            elif k.startswith("linklayer:"):
                out["notes"].append("%s x%d" % (k[10:], v))
            elif k.startswith("disabled:"):
                out["notes"].append("ref disabled " + k[9:])
            elif k == "sliced":
                out["notes"].append("sliced x%d" % v)
        if out.get("late_segments"):
            out["notes"].append("late_segments %d" % out["late_segments"])
        return out
    finally:
        if a.keep:
            dst = os.path.join(a.keep, name.replace("/", "__"))
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(work, dst)
        shutil.rmtree(work, ignore_errors=True)


def line_of(r):
    if r["status"] in ("ref_error", "ref_unreadable"):
        return "%s: %s %s" % (r["capture"], r["status"].upper(), r["error"])
    fields = sorted({f for d in r["diffs"] for f in d.get("fields", [])})
    s = "%s: tshark %d probe %d equal %d differ %d missing %d extra %d" % (
        r["capture"], r["ref"], r["probe"], r["equal"], r["differ"], r["missing"], r["extra"])
    if fields:
        s += " [" + " ".join(fields) + "]"
    if r["status"] != "ok":
        s += " " + r["status"].upper() + ": " + r["error"][:200]
    if r["notes"]:
        s += " (" + "; ".join(r["notes"]) + ")"
    return s


def summary(results, nex):
    tot = {k: sum(r.get(k, 0) for r in results)
           for k in ("ref", "probe", "equal", "differ", "missing", "extra", "fields",
                     "fields_equal")}
    lines = ["", "== summary",
             "captures %d (with TCP in the reference: %d; differing: %d)" % (
                 len(results), sum(1 for r in results if r.get("ref")),
                 sum(1 for r in results if r.get("diffs"))),
             "flows: tshark %d, probe %d; matched %d (equal %d, differ %d); missing %d, extra %d"
             % (tot["ref"], tot["probe"], tot["equal"] + tot["differ"], tot["equal"],
                tot["differ"], tot["missing"], tot["extra"]),
             "fields: %d compared, %d equal (%.3f %%)" % (
                 tot["fields"], tot["fields_equal"],
                 100.0 * tot["fields_equal"] / tot["fields"] if tot["fields"] else 100.0)]
    for st in ("ref_unreadable", "probe_refused_link", "ref_error", "probe_error", "probe_crash",
               "probe_hang"):
        bad = [r for r in results if r["status"] == st]
        if bad:
            lines.append("%s: %d captures: %s" % (st, len(bad), ", ".join(r["capture"] for r in bad)))
    tun = [r["capture"] for r in results if any(n.startswith("tunnel") for n in r.get("notes", []))]
    if tun:
        lines.append("captures with TCP in tunnels (not compared): %d: %s" % (len(tun), ", ".join(tun)))
    by = {}
    for r in results:
        for d in r.get("diffs", []):
            by.setdefault(d["cause"], []).append((r["capture"], d))
    lines.append("differences by cause (flows; captures):")
    for c in sorted(by, key=lambda c: -len(by[c])):
        caps = sorted({x[0] for x in by[c]})
        lines.append("  %-22s %6d flows in %d captures" % (c, len(by[c]), len(caps)))
        seen = set()
        for capname, d in by[c]:
            if capname in seen:
                continue
            seen.add(capname)
            lines.append("      e.g. %s: %s: %s" % (capname, d["flow"], d["what"][:300]))
            if len(seen) >= nex:
                break
    return tot, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="see the module docstring for details")
    ap.add_argument("paths", nargs="+", metavar="CAPTURE_OR_DIR")
    ap.add_argument("--dpprobe", default=os.path.join(HERE, "..", "..", "build", "dataplane",
                                                       "dpprobe"))
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--fail-on-diff", action="store_true")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()
    a.dpprobe = os.path.realpath(a.dpprobe)
    if not os.access(a.dpprobe, os.X_OK):
        print("public_captures: %s: not an executable" % a.dpprobe, file=sys.stderr)
        return 2
    caps = gather(a.paths)
    if not caps:
        print("public_captures: no captures in %s" % " ".join(a.paths), file=sys.stderr)
        return 2
    a.base = os.path.commonpath([os.path.dirname(os.path.realpath(c)) for c in caps])
    caps = [os.path.realpath(c) for c in caps]
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    popts = probe_options(a.dpprobe)
    print("# dpprobe %s, probe options %s, %d captures" % (a.dpprobe, " ".join(popts), len(caps)),
          flush=True)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = [ex.submit(one, c, i, a, popts) for i, c in enumerate(caps)]
        for fut in futs:
            r = fut.result()
            results.append(r)
            if not a.quiet:
                print(line_of(r), flush=True)
    tot, lines = summary(results, a.examples)
    print("\n".join(lines))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"probe_options": popts, "totals": tot, "captures": results}, fh, indent=1)
    differs = any(r.get("diffs") or r["status"] not in ("ok", "ref_unreadable", "probe_refused_link")
                  for r in results)
    return 1 if (a.fail_on_diff and differs) else 0


if __name__ == "__main__":
    sys.exit(main())
