# shellcheck shell=bash
# Shared by the integration tests: run as `bash it_X.sh DPPROBE SRCDIR`.
set -euo pipefail

DPPROBE=$(realpath "$1")
SRC=$(realpath "$2")
. "$SRC/scripts/lib/eal.sh"
CHECK="/usr/bin/python3 $SRC/tests/integration/check.py"
DEMO_PCAP="$SRC/tests/data/demo.pcap"
TMP=$(mktemp -d "/tmp/dpp-it.XXXXXX")
PREFIX="dpp-it-$$"
PROBE_PID=

it_cleanup() {
	if [[ -n "$PROBE_PID" ]] && kill -0 "$PROBE_PID" 2>/dev/null; then
		kill -KILL "$PROBE_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP" "/var/run/dpdk/$PREFIX"
}
trap it_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# EAL options every test uses: never touch the VM's NIC, unique prefix.
eal_args() {
	local workers=${1:-1}
	# shellcheck disable=SC2046
	echo --no-pci $(dpp_eal_mem_args) $(dpp_eal_lcore_args "$workers") \
		--file-prefix "$PREFIX" --log-level=lib.eal:warning
}

# run_probe TIMEOUT_SEC [dpprobe args...]: run to completion, bounded in time.
run_probe() {
	local t=$1
	shift
	timeout --signal=KILL "$t" "$DPPROBE" "$@"
}
