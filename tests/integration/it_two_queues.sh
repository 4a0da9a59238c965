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

# Each record carries the queue its flow came in on, also for flows that end
# at the exit flush: the demo's flows split by flow over two files (two
# queues, one worker), closed flows kept until exit by a long linger. A
# record stamped with the queue polled last would put every flow on one.
/usr/bin/python3 "$SRC/tests/compare/split_pcap.py" "$DEMO_PCAP" 2 "$TMP/part" >/dev/null
# shellcheck disable=SC2046
run_probe 120 $(eal_args 1) \
	--vdev "net_pcap0,rx_pcap=$TMP/part0.pcap,rx_pcap=$TMP/part1.pcap" -- \
	--flows "$TMP/q.jsonl" --stats "$TMP/q.stats.jsonl" --close-linger 3600 2>"$TMP/err" ||
	fail "split: exit status $? ($(cat "$TMP/err"))"
for q in 0 1; do
	tshark -r "$TMP/part$q.pcap" -Y tcp -T fields -e tcp.srcport -e tcp.dstport 2>/dev/null |
		tr '\t' '\n' | sort -u >"$TMP/ports$q"
done
/usr/bin/python3 - "$TMP/q.jsonl" "$TMP/ports0" "$TMP/ports1" <<'PY' || fail "split: records on the wrong queue"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ports = [set(int(p) for p in open(f).read().split()) for f in sys.argv[2:4]]
if not recs:
    sys.exit("no records")
queues = set()
for r in recs:
    want = [q for q in (0, 1) if r["client"]["port"] in ports[q]]
    if want != [r["queue"]]:
        sys.exit(f"flow {r['client']} -> {r['server']} ({r['end_reason']}) on queue {r['queue']}, its packets came on {want}")
    queues.add(r["queue"])
if queues != {0, 1}:
    sys.exit(f"every flow on queues {queues}: the split gave both queues flows")
print(f"split: {len(recs)} records, each on its own queue")
PY
$CHECK conservation "$TMP/q.stats.jsonl" "$TMP/q.jsonl"
echo "ok: records carry their own queue"
