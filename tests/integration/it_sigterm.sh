#!/usr/bin/env bash
# A capture replayed forever (infinite_rx) never ends: SIGTERM and SIGINT
# mid-run give a final snapshot, every flow written, and exit status 0.
. "$(dirname "$0")/lib.sh"

for sig in TERM INT; do
	rm -f "$TMP/stats.jsonl" "$TMP/flows.jsonl"
	# shellcheck disable=SC2046
	"$DPPROBE" $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP,infinite_rx=1" -- \
		--flows "$TMP/flows.jsonl" --stats "$TMP/stats.jsonl" --stats-interval 0.2 \
		--total-num-mbufs 16383 2>"$TMP/err" &
	PROBE_PID=$!
	# Wait (bounded) until it is running: two snapshots written.
	for _ in $(seq 1 150); do
		[[ -s "$TMP/stats.jsonl" ]] && (($(wc -l <"$TMP/stats.jsonl") >= 2)) && break
		kill -0 "$PROBE_PID" 2>/dev/null || fail "probe died: $(cat "$TMP/err")"
		sleep 0.1
	done
	(($(wc -l <"$TMP/stats.jsonl") >= 2)) || fail "no snapshots after 15 s"
	kill -s "$sig" "$PROBE_PID"
	rc=0
	for _ in $(seq 1 300); do
		kill -0 "$PROBE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PROBE_PID" 2>/dev/null && fail "SIG$sig: still running after 30 s"
	wait "$PROBE_PID" || rc=$?
	PROBE_PID=
	((rc == 0)) || fail "SIG$sig: exit status $rc ($(cat "$TMP/err"))"
	$CHECK snapshots "$TMP/stats.jsonl" >/dev/null
	pk=$($CHECK get "$TMP/stats.jsonl" ports.0.ipackets)
	((pk > 0)) || fail "SIG$sig: no packets counted"
	$CHECK conservation "$TMP/stats.jsonl" "$TMP/flows.jsonl"
	echo "ok: SIG$sig after $pk packets"
done
