#!/usr/bin/env bash
# A finite capture of N packets: the probe stops by itself with status 0,
# the final snapshot shows ipackets == N, the contract's conservation rules
# hold, and reading the capture twice gives identical flow records.
. "$(dirname "$0")/lib.sh"

n=$($CHECK pcap-count "$DEMO_PCAP")
((n > 0)) || fail "empty demo capture"

for run in 1 2; do
	# shellcheck disable=SC2046
	run_probe 120 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP" -- \
		--flows "$TMP/flows$run.jsonl" --stats "$TMP/stats$run.jsonl" \
		--stats-interval 0.2 2>"$TMP/err$run" || fail "run $run exit status $? ($(cat "$TMP/err$run"))"
	got=$($CHECK get "$TMP/stats$run.jsonl" ports.0.ipackets)
	[[ "$got" == "$n" ]] || fail "run $run: ipackets $got, capture has $n"
	q=$($CHECK get "$TMP/stats$run.jsonl" ports.0.queues.0.packets)
	[[ "$q" == "$n" ]] || fail "run $run: queue packets $q, capture has $n"
	parsed=$($CHECK get "$TMP/stats$run.jsonl" parse.packets)
	[[ "$parsed" == "$n" ]] || fail "run $run: parsed $parsed of $n packets"
	$CHECK snapshots "$TMP/stats$run.jsonl" >/dev/null
	$CHECK conservation "$TMP/stats$run.jsonl" "$TMP/flows$run.jsonl"
done
$CHECK same-flows "$TMP/flows1.jsonl" "$TMP/flows2.jsonl"
echo "ok: $n packets, stopped by itself, same records twice"
