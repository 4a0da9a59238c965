#!/usr/bin/env bash
# Mirror-port monitoring on net_af_packet, net_af_xdp and net_tap (scripts/lib/mirror.sh):
# real kernel TCP of every kind between two namespaces, both directions of the
# server's veth mirrored (nftables netdev dup) into a veth whose far end the
# probe owns in a third namespace (net_tap: a tap device there, into which tc
# redirects what arrives on that veth end).
#  1. For each PMD: tcpdump captures the mirror at the same time; every frame
#     the kernel delivered reached the probe, and the probe's flow records equal
#     those of the same probe run on the capture through net_pcap.
#  2. For each PMD, an overload: the worker shares CPU 0 with the main lcore and
#     the sender (--lcores 0@0,1@0) and is stopped for 0.3 s in every 0.5 s
#     of a bulk upload (af_packet with a 2048-frame ring). The frames the
#     kernel offered minus those the probe received must be in a drop counter
#     (af_xdp: imissed), and some must have been lost. af_packet's kernel drops
#     are read by no DPDK 22.11 counter, nor are net_tap's (the kernel drops
#     them on the tap's queue): the test prints those losses as known gaps
#     (and requires a capture_loss counter once the snapshot has one). So is
#     af_xdp's with --rxd 1024, below its 2048 fill buffers (the probe warns).
. "$(dirname "$0")/lib.sh"
# shellcheck source=../../scripts/lib/mirror.sh
. "$SRC/scripts/lib/mirror.sh"
# shellcheck source=mirror_probe.sh
. "$SRC/tests/integration/mirror_probe.sh"

MIRROR_CHECK="/usr/bin/python3 $SRC/tests/integration/mirror_check.py"
TD_PID=
PULSE_PID=
mir_cleanup() {
	local p
	for p in $TD_PID $PULSE_PID; do kill "$p" 2>/dev/null || true; done
	mirror_down
	it_cleanup
}
trap mir_cleanup EXIT

xdp_mode() { # how the kernel attached the XDP program: xdp (native) or xdpgeneric
	ip -n "$MIR_NSP" -d link show "$MIR_M1" | grep -o -m1 -E '\bxdp(generic|drv|offload)?\b'
}

# accuracy PMD [WORKERS]: WORKERS > 1 only for af_packet (qpairs=WORKERS: the
# kernel's fanout must keep both directions of a flow on one queue).
accuracy() {
	local pmd=$1 workers=${2:-1} out="$TMP/$1-${2:-1}" i offered0 offered1 td ipackets
	mirror_up nft || fail "mirror setup"
	# tcpdump on the mirror's sending end, in the server namespace: with af_xdp the
	# probe's own end hands every frame to XDP before any packet socket sees it.
	ip netns exec "$MIR_NSS" tcpdump -i "$MIR_M0" -U --immediate-mode -B 131072 -s 0 -n \
		--time-stamp-precision=micro -w "$out.pcap" 2>"$out.td.err" &
	TD_PID=$!
	QPAIRS=$((workers > 1 ? workers : 0))
	[[ $QPAIRS != 0 ]] || QPAIRS=
	# shellcheck disable=SC2046
	start_probe "$pmd" "$out" $(dpp_eal_lcore_args "$workers")
	QPAIRS=
	for ((i = 0; i < 100; i++)); do
		grep -qs "listening on" "$out.td.err" && break
		sleep 0.05
	done
	grep -qs "listening on" "$out.td.err" || fail "tcpdump did not start"
	[[ $pmd == af_xdp ]] && echo "af_xdp on veth: XDP attached as '$(xdp_mode)'"
	offered0=$(mirror_offered)
	mirror_traffic || fail "$pmd: the traffic peers did not see what they expected"
	sleep 0.5
	offered1=$(mirror_offered)
	kill -INT "$TD_PID"
	wait "$TD_PID" || true
	TD_PID=
	stop_probe "$pmd" "$out"
	grep -q "^0 packets dropped by kernel" "$out.td.err" ||
		fail "tcpdump lost frames: $(cat "$out.td.err")"
	(($(mirror_lost_on_link) == 0)) || fail "the mirror veth dropped $(mirror_lost_on_link) frames"
	td=$($CHECK pcap-count "$out.pcap")
	ipackets=$($CHECK get "$out.stats.jsonl" ports.0.ipackets)
	echo "$pmd ($workers worker(s)): kernel offered $((offered1 - offered0)), tcpdump captured $td, probe received $ipackets"
	if ((workers > 1)); then
		for ((i = 0; i < workers; i++)); do
			(($($CHECK get "$out.stats.jsonl" "ports.0.queues.$i.packets") > 0)) ||
				fail "$pmd qpairs=$workers: queue $i received nothing, the fanout is not tested"
		done
	fi
	((td == offered1 - offered0)) || fail "$pmd: tcpdump captured $td of $((offered1 - offered0)) frames"
	((ipackets == td)) || fail "$pmd: the probe received $ipackets of $td frames"
	$CHECK conservation "$out.stats.jsonl" "$out.flows.jsonl"
	# The same probe on the capture.
	# shellcheck disable=SC2046
	run_probe 60 "$DPPROBE" $(eal_args 1) --vdev "net_pcap0,rx_pcap=$out.pcap" -- \
		--flows "$out.ref.jsonl" --stats "$out.ref.stats.jsonl" 2>"$out.ref.err" ||
		fail "probe on the capture: $(cat "$out.ref.err")"
	$MIRROR_CHECK flows "$out.flows.jsonl" "$out.ref.jsonl" \
		--expect completed=11,refused=3,syn_timeout=2,reset=2 \
		--expect-class ok=10,refused=3,timed_out=2,reset=2,stalled=1
	mirror_down
}

# overload PMD [LABEL]: LABEL names the case for mirror_check (default PMD).
overload() {
	local pmd=$1 label=${2:-$1} out="$TMP/${2:-$1}.over" offered0 offered1
	mirror_up nft || fail "mirror setup"
	FRAMECNT=2048 start_probe "$pmd" "$out" --lcores 0@0,1@0
	offered0=$(mirror_offered)
	# While the upload runs the probe is stopped for 0.3 s in every 0.5 s (at
	# most 60 times): far more frames a pause than any ring here holds. The
	# upload's first frames are waited for (at most 10 s: python starts slowly
	# on a loaded machine). Once the bulk is written (READY) the pulses end and
	# the client waits 2 s before a 256 KiB tail: the probe, running again,
	# sees the server ACK data it lost, whatever part of the bulk that was
	# (without a tail, losing everything after a pause leaves no trace).
	local ready="$out.bulk-written"
	(
		for ((i = 0; i < 200; i++)); do
			(($(mirror_offered) - offered0 >= 1000)) && break
			sleep 0.05
		done
		for ((i = 0; i < 60; i++)); do
			[[ -e $ready ]] && break
			kill -STOP "$PROBE_PID"
			sleep 0.3
			kill -CONT "$PROBE_PID"
			sleep 0.2
		done
	) &
	PULSE_PID=$!
	mirror_bulk 80000000 0 "$ready" 2 262144 || fail "$pmd: bulk upload failed"
	kill "$PULSE_PID" 2>/dev/null || true
	wait "$PULSE_PID" || true
	PULSE_PID=
	kill -CONT "$PROBE_PID"
	sleep 0.5
	offered1=$(mirror_offered)
	# The PMD deletes its tap device when it stops: read the kernel's view first.
	[[ $pmd != tap ]] || echo "tap overload: kernel counters of $MIR_TAP: TX $(mirror_counter tx packets \
		"$MIR_TAP" "$MIR_NSP") frames to the PMD, TX dropped $(mirror_counter tx dropped "$MIR_TAP" "$MIR_NSP")"
	# shellcheck disable=SC2046
	[[ $pmd != af_xdp ]] || echo "af_xdp overload: kernel counters of $MIR_M1 (ethtool -S):" \
		$(ip netns exec "$MIR_NSP" ethtool -S "$MIR_M1" | grep -E 'xdp_redirect|_drops' | tr -s ' ')
	stop_probe "$pmd" "$out"
	echo "$pmd overload: the mirror veth itself dropped $(mirror_lost_on_link) frames (kernel, before the probe's interface)"
	$MIRROR_CHECK loss "$out.stats.jsonl" $((offered1 - offered0)) "$label"
	$CHECK conservation "$out.stats.jsonl" "$out.flows.jsonl"
	mirror_down
}

accuracy af_packet 2
for pmd in af_packet af_xdp tap; do
	accuracy "$pmd"
	overload "$pmd"
done
# af_xdp with a ring below its 2048 fill buffers: the loss the probe warns about.
RXD=1024 overload af_xdp af_xdp-rxd1024
grep -q "below 2048" "$TMP/af_xdp-rxd1024.over.err" || fail "no warning for af_xdp --rxd 1024"
echo "ok: mirror port on af_packet, af_xdp and tap"
