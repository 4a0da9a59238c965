#!/usr/bin/env bash
# Run the ASan/UBSan build of dpprobe on every capture file under DIR (for
# example the tcpdump project's tests/ folder, ~800 captures, many of them
# malformed) and fail on any crash, sanitizer report or hang.
#   tests/compare/sanitizer_corpus.sh DIR [DPPROBE] [LOGDIR]
# DPPROBE defaults to build-asan/dataplane/dpprobe (see README: the sanitizer
# build); LOGDIR (default: a new /tmp/dpp-sancorpus.XXXXXX, kept) gets one
# stderr log per capture and results.tsv. Each run: net_pcap on the file,
# no PCI, no hugepages, lcores 0 and 1, under `timeout 60`. Exit status 2
# from the probe (a file it refuses at start-up) is fine and reported as
# such; the classes are explained in sanitizer_corpus.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:?usage: sanitizer_corpus.sh DIR [DPPROBE] [LOGDIR]}
probe=$(realpath "${2:-$root/build-asan/dataplane/dpprobe}")
logdir=${3:-$(mktemp -d /tmp/dpp-sancorpus.XXXXXX)}
mkdir -p "$logdir"
[[ -x "$probe" ]] || { echo "sanitizer_corpus: no probe at $probe" >&2; exit 1; }

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
results="$logdir/results.tsv"
: >"$results"
mapfile -t files < <(/usr/bin/python3 "$here/sanitizer_corpus.py" list "$dir")
echo "sanitizer_corpus: ${#files[@]} captures under $dir, probe $probe, logs in $logdir"
i=0
for f in "${files[@]}"; do
	i=$((i + 1))
	log="$logdir/$i.log"
	start=$(date +%s.%N)
	rc=0
	# -k: a run that ignores SIGTERM is killed 5 s later (status 137). The
	# outer redirection keeps bash's own "Aborted" notices off the terminal.
	{
		timeout -k 5 60 "$probe" --no-pci --no-huge --no-shconf -m 256 -l 0,1 \
			--log-level=lib.eal:warning --vdev "net_pcap0,rx_pcap=$f" -- \
			--flows /dev/null --stats /dev/null </dev/null >/dev/null 2>"$log"
	} 2>/dev/null || rc=$?
	end=$(date +%s.%N)
	printf '%s\t%s\t%s\t%s\n' "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')" \
		"$f" "$log" >>"$results"
	((rc == 0 || rc == 2)) || echo "  [$i/${#files[@]}] exit $rc: $f" >&2
done
/usr/bin/python3 "$here/sanitizer_corpus.py" summary "$results" "$logdir"
