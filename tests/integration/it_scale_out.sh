#!/usr/bin/env bash
# The same flow records (in any order) from 1, 2 and 4 workers, with RX
# queues spread over workers (the capture split by a symmetric flow hash into
# several rx_pcap= files, as RSS would) and in software distribution
# (--dist sw: one RX lcore hashes flows onto the workers' rings).
. "$(dirname "$0")/lib.sh"

caps=("$DEMO_PCAP")
bash "$SRC/tests/scenarios/make_scenarios.sh" "$TMP/scen" normal loss ipv6 mixed rst_server \
	>"$TMP/make.log" 2>&1 || fail "make_scenarios.sh: $(tail -5 "$TMP/make.log")"
caps+=("$TMP"/scen/*.pcap)

probe() { # out.jsonl nb_lcores_after_main vdev [probe opts]
	local out=$1 lc=$2 vdev=$3
	shift 3
	# shellcheck disable=SC2046
	run_probe 120 $(eal_args "$lc") --vdev "$vdev" -- --flows "$out" \
		--stats "$out.stats" "$@" 2>"$TMP/err" || fail "exit status $? ($(cat "$TMP/err"))"
	$CHECK conservation "$out.stats" "$out" >/dev/null
}

for cap in "${caps[@]}"; do
	name=$(basename "$cap" .pcap)
	probe "$TMP/$name.1.jsonl" 1 "net_pcap0,rx_pcap=$cap"
	for n in 2 4; do
		/usr/bin/python3 "$SRC/tests/compare/split_pcap.py" "$cap" "$n" "$TMP/$name.part$n."
		vdev="net_pcap0"
		for ((i = 0; i < n; i++)); do vdev+=",rx_pcap=$TMP/$name.part$n.$i.pcap"; done
		probe "$TMP/$name.q$n.jsonl" "$n" "$vdev"
		$CHECK same-flows "$TMP/$name.1.jsonl" "$TMP/$name.q$n.jsonl" >/dev/null ||
			fail "$name: $n queues on $n workers differ from 1 worker"
		probe "$TMP/$name.sw$n.jsonl" $((n + 1)) "net_pcap0,rx_pcap=$cap" --dist sw
		$CHECK same-flows "$TMP/$name.1.jsonl" "$TMP/$name.sw$n.jsonl" >/dev/null ||
			fail "$name: --dist sw with $n workers differs from 1 worker"
		drops=$($CHECK get "$TMP/$name.sw$n.jsonl.stats" rings | /usr/bin/python3 -c \
			'import json,sys; print(sum(r["enq_drops"] for r in json.load(sys.stdin)))')
		[[ "$drops" == 0 ]] || fail "$name: --dist sw dropped $drops packets"
	done
	echo "ok: $name: $(grep -c . "$TMP/$name.1.jsonl") flows, same with 2 and 4 workers, queues and sw"
done
