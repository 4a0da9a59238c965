#!/usr/bin/python3
"""Helper of sanitizer_corpus.sh (stdlib only).

    sanitizer_corpus.py list DIR       print every capture file under DIR, one a line,
                                       sorted: files with a pcap or pcapng magic number,
                                       and files named *.pcap, *.pcapng, *.cap whatever
                                       they hold (the probe must refuse those cleanly)
    sanitizer_corpus.py summary RESULTS LOGDIR
                                       classify each run listed in RESULTS (lines
                                       "rc<TAB>seconds<TAB>file<TAB>log") from its exit
                                       status and its stderr log; print a summary; exit 1
                                       on any crash, sanitizer report, hang or unexpected
                                       exit status

Classes: ok (exit 0), refused (exit 2: the probe refused the file at start-up, the
contract's answer to an unsupported link type or a file that is not a capture),
report (an AddressSanitizer / UndefinedBehaviorSanitizer / LeakSanitizer report in
stderr, whatever the status), hang (killed by timeout: status 124 or 137), crash
(killed by any other signal: status > 128), other (any other status).
"""
import collections
import os
import sys

MAGICS = {
    b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",  # pcap, microseconds
    b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",  # pcap, nanoseconds
    b"\x0a\x0d\x0d\x0a",                        # pcapng section header
}
NAMES = (".pcap", ".pcapng", ".cap")
REPORT_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                "runtime error:", "UndefinedBehaviorSanitizer")
SIGNALS = {4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
           11: "SIGSEGV", 15: "SIGTERM"}


def list_captures(top):
    out = []
    for d, _, files in os.walk(top):
        for name in files:
            path = os.path.join(d, name)
            try:
                with open(path, "rb") as f:
                    magic = f.read(4)
            except OSError:
                continue
            if magic in MAGICS or name.lower().endswith(NAMES):
                out.append(path)
    for p in sorted(out):
        print(p)


def classify(rc, log):
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    if any(m in text for m in REPORT_MARKS):
        return "report", text
    if rc in (124, 137):
        return "hang", text
    if rc > 128:
        return "crash", text
    if rc == 0:
        return "ok", text
    if rc == 2:
        return "refused", text
    return "other", text


def first_line(text, prefix=None):
    for line in text.splitlines():
        if prefix is None or line.startswith(prefix):
            return line.strip()
    return ""


def report_excerpt(text):
    """The sanitizer's summary line and the first frames of its stack."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if any(m in l for m in REPORT_MARKS)), None)
    if start is None:
        return []
    frames = [l.strip() for l in lines[start:] if l.strip().startswith("#")][:8]
    summary = next((l.strip() for l in lines if l.startswith("SUMMARY:")), lines[start].strip())
    return [summary] + frames


def probe_frame(text):
    """'func file:line' of the first stack frame outside DPDK and the C library."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#") and " in " in line and "/lib/x86_64-linux-gnu/" not in line \
                and "/usr/include/" not in line and "compiler-rt" not in line:
            where = line.split(" in ", 1)[1]
            func, _, path = where.partition(" ")
            return f"{func} {os.path.basename(path)}"
    return "(no stack)"


def summary(results):
    runs = []
    with open(results, encoding="utf-8") as f:
        for line in f:
            rc, secs, path, log = line.rstrip("\n").split("\t")
            cls, text = classify(int(rc), log)
            runs.append((path, int(rc), float(secs), cls, text, log))
    by_status = collections.Counter(r[1] for r in runs)
    by_class = collections.Counter(r[3] for r in runs)
    print(f"captures: {len(runs)}")
    print("exit statuses: " + ", ".join(
        f"{rc}{'(' + SIGNALS[rc - 128] + ')' if rc > 128 and rc - 128 in SIGNALS else ''}: {n}"
        for rc, n in sorted(by_status.items())))
    print("classes: " + ", ".join(f"{c}: {by_class.get(c, 0)}"
                                  for c in ("ok", "refused", "report", "crash", "hang", "other")))
    if runs:
        slow = max(runs, key=lambda r: r[2])
        print(f"longest run: {slow[2]:.1f} s ({os.path.basename(slow[0])})")
    refused = [r for r in runs if r[3] == "refused"]
    if refused:
        reasons = collections.Counter(
            first_line(r[4], "dpprobe: error:").split(":", 3)[-1].strip()[:60] or "(no error line)"
            for r in refused)
        print("refused at start-up (exit 2), by reason:")
        for reason, n in reasons.most_common():
            print(f"  {n:5d}  {reason}")
    bad = [r for r in runs if r[3] in ("report", "crash", "hang", "other")]
    if bad:
        # One line per distinct place: the first frame in the probe's own code.
        places = collections.Counter((r[3], probe_frame(r[4])) for r in bad)
        print("distinct failures (class, first frame in dpprobe's code):")
        for (cls, where), n in places.most_common():
            print(f"  {n:5d}  {cls}  {where}")
    for path, rc, secs, cls, text, log in bad:
        print(f"{cls.upper()}: {path} (exit {rc}, {secs:.1f} s, log {log})")
        for l in report_excerpt(text) or [first_line(text, "dpprobe:") or first_line(text)]:
            print(f"    {l}")
    return 1 if bad else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "list":
        list_captures(sys.argv[2])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "summary":
        return summary(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
