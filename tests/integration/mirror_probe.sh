# shellcheck shell=bash
# The probe on the mirror port of scripts/lib/mirror.sh, for it_mirror.sh and
# it_open_flows.sh (source it after lib.sh and mirror.sh).

# vdev PMD: the probe's port on the mirror. af_xdp: --rxd 4096 (see docs/pmds.md:
# with 2048 or fewer descriptors its RX ring overflows before the PMD's 2048
# fill buffers run out, and DPDK 22.11 counts only the latter in imissed).
# FRAMECNT: af_packet's ring (the overload makes it small).
vdev() {
	case $1 in
	af_packet) echo "net_af_packet0,iface=$MIR_M1,framecnt=${FRAMECNT:-16384}${QPAIRS:+,qpairs=$QPAIRS}" ;;
	af_xdp) echo "net_af_xdp0,iface=$MIR_M1" ;;
	tap) echo "net_tap0,iface=$MIR_TAP" ;;
	esac
}

# start_probe PMD OUT LCORES...: the probe on the mirror, in the background,
# returns once its first snapshot is written.
start_probe() {
	local pmd=$1 out=$2 i
	shift 2
	# shellcheck disable=SC2046
	ip netns exec "$MIR_NSP" "$DPPROBE" --no-pci $(dpp_eal_mem_args) "$@" \
		--file-prefix "$PREFIX" --log-level=lib.eal:warning --vdev "$(vdev "$pmd")" -- \
		--rxd "${RXD:-4096}" --flows "$out.flows.jsonl" --stats "$out.stats.jsonl" \
		--stats-interval 0.5 2>"$out.err" &
	PROBE_PID=$!
	for ((i = 0; i < 100; i++)); do
		if [[ -s "$out.stats.jsonl" ]]; then
			[[ $pmd != tap ]] || mirror_into_tap || fail "tap redirect"
			return 0
		fi
		kill -0 "$PROBE_PID" 2>/dev/null || fail "$pmd probe died: $(cat "$out.err")"
		sleep 0.1
	done
	fail "$pmd probe wrote no snapshot in 10 s: $(cat "$out.err")"
}

stop_probe() {
	local rc=0
	kill -INT "$PROBE_PID"
	timeout 20 tail --pid="$PROBE_PID" -f /dev/null || kill -KILL "$PROBE_PID"
	wait "$PROBE_PID" || rc=$?
	PROBE_PID=
	((rc == 0)) || fail "$1 probe exit status $rc: $(cat "$2.err")"
}

