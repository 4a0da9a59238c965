#!/usr/bin/env bash
# Compare dpprobe with tshark on one capture, flow by flow, field by field.
#   compare_capture.sh DPPROBE CAPTURE.pcap [compare_flows.py options...]
# Runs dpprobe on the capture through net_pcap (no hugepages, --no-pci),
# runs tshark_flows.py on the same file, and compares. Keeps the two JSON
# Lines files next to a temporary dir it prints when they differ.
# With COMPARE_KEEP_DIR=DIR (an existing directory) the files are written
# there instead and always kept (probe.jsonl, stats.jsonl, probe.err,
# ref.jsonl), for tests that assert more on the same run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
probe=$(realpath "$1")
cap=$(realpath "$2")
shift 2
. "$here/../../scripts/lib/eal.sh"
prefix="dpp-cmp-$$"
keep=0
if [[ -n "${COMPARE_KEEP_DIR:-}" ]]; then
	work=$(realpath "$COMPARE_KEEP_DIR")
	keep=1
else
	work=$(mktemp -d /tmp/dpp-compare.XXXXXX)
fi
trap '[[ $keep == 1 ]] || rm -rf "$work"; rm -rf "/var/run/dpdk/$prefix"' EXIT

# shellcheck disable=SC2046
if ! timeout --signal=KILL 300 "$probe" --no-pci $(dpp_eal_mem_args) $(dpp_eal_lcore_args 1) \
	--file-prefix "$prefix" --log-level=lib.eal:warning --vdev "net_pcap0,rx_pcap=$cap" -- \
	--flows "$work/probe.jsonl" --stats "$work/stats.jsonl" 2>"$work/probe.err"; then
	keep=1
	echo "compare: dpprobe failed on $cap (see $work/probe.err)" >&2
	cat "$work/probe.err" >&2
	exit 1
fi
/usr/bin/python3 "$here/tshark_flows.py" "$cap" >"$work/ref.jsonl"
if ! /usr/bin/python3 "$here/compare_flows.py" "$work/ref.jsonl" "$work/probe.jsonl" "$@"; then
	keep=1
	echo "compare: $cap differs; files kept in $work" >&2
	exit 1
fi
