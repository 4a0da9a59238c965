#!/usr/bin/env bash
# The same capture given twice (two rx_pcap= files, so two RX queues) is
# counted twice, on two queues, by one worker and then by two workers.
. "$(dirname "$0")/lib.sh"

n=$($CHECK pcap-count "$DEMO_PCAP")
for workers in 1 2; do
	# shellcheck disable=SC2046
	run_probe 120 $(eal_args $workers) \
		--vdev "net_pcap0,rx_pcap=$DEMO_PCAP,rx_pcap=$DEMO_PCAP" -- \
		--flows "$TMP/flows.jsonl" --stats "$TMP/stats.jsonl" 2>"$TMP/err" ||
		fail "exit status $? ($(cat "$TMP/err"))"
	got=$($CHECK get "$TMP/stats.jsonl" ports.0.ipackets)
	[[ "$got" == "$((2 * n))" ]] || fail "$workers workers: ipackets $got, expected $((2 * n))"
	for q in 0 1; do
		qp=$($CHECK get "$TMP/stats.jsonl" ports.0.queues.$q.packets)
		[[ "$qp" == "$n" ]] || fail "$workers workers: queue $q packets $qp, expected $n"
	done
	l0=$($CHECK get "$TMP/stats.jsonl" ports.0.queues.0.lcore)
	l1=$($CHECK get "$TMP/stats.jsonl" ports.0.queues.1.lcore)
	if ((workers == 2)); then
		[[ "$l0" != "$l1" ]] || fail "2 workers: both queues on lcore $l0"
	fi
	$CHECK conservation "$TMP/stats.jsonl" "$TMP/flows.jsonl"
done
echo "ok: $((2 * n)) packets over two queues"
