#!/usr/bin/env bash
# The flow table end to end, on crafted captures (tests/scenarios/table_pcap.py
# describes each one): a SYN flood cycles through the half-open budget and
# never evicts established flows, also when the server answers the spoofed
# SYNs with SYN-ACKs; a SYN into a table full of open flows is a
# table_full_drop while a midstream packet evicts the least recently seen open
# flow; eviction order half-open, then closed (keeping fin), then open; aging
# across capture time gaps (idle, syn_timeout, the 2 s linger) in packet time.
# Every run: the exact counters and every flow record (records that end early
# in the exact order they must end), created == ended + active in every
# snapshot, and at exit active == 0 and records == created - export_drops.
# The aging capture is also replayed one packet per burst: the same records.
. "$(dirname "$0")/lib.sh"

GEN="/usr/bin/python3 $SRC/tests/scenarios/table_pcap.py"
$GEN gen "$TMP/cap" >"$TMP/gen.log" 2>&1 || fail "table_pcap.py gen: $(tail -5 "$TMP/gen.log")"

# probe NAME OUT [extra probe options]: one worker, so the capacity is the whole table.
# Snapshots every 10 ms: a run lasts well under a second, and those taken between
# the end of the capture and exit must show the table as it is before its flush.
probe() {
	local name=$1 out=$2 args=()
	shift 2
	mapfile -t args <"$TMP/cap/$name.args"
	# shellcheck disable=SC2046
	run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$TMP/cap/$name.pcap" -- \
		--flows "$out" --stats "$out.stats" --stats-interval 0.01 --close-linger 2 "${args[@]}" "$@" \
		2>"$out.err" || fail "$name: exit status $? ($(cat "$out.err"))"
	$CHECK snapshots "$out.stats" >/dev/null || fail "$name: snapshots"
	$CHECK conservation "$out.stats" "$out" >/dev/null || fail "$name: conservation"
}

for name in flood flood_answered full order aging; do
	out="$TMP/$name.jsonl"
	probe "$name" "$out"
	msg=$($GEN check "$TMP/cap/$name.expect.json" "$out" "$out.stats") ||
		fail "$name: records or counters differ from what was crafted"
	echo "ok: $msg (options: $(paste -sd" " "$TMP/cap/$name.args"))"
done

# Aging is in packet time, whatever the bursts: one packet per burst, same records.
probe aging "$TMP/aging.b1.jsonl" --burst 1
$CHECK same-flows "$TMP/aging.jsonl" "$TMP/aging.b1.jsonl" >/dev/null ||
	fail "aging: --burst 1 gives different records"
echo "ok: aging: same records with --burst 1"

# A flood that never ends: the flood capture replayed in a loop into a 64-flow
# table ends a flow on nearly every packet, faster than records are written.
# The probe must still write its snapshots and stop on --duration (the main
# lcore used to stay in its export drain for ever).
out="$TMP/loop"
# shellcheck disable=SC2046
run_probe 120 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$TMP/cap/flood.pcap,infinite_rx=1" -- \
	--flows /dev/null --stats "$out.stats" --stats-interval 0.2 --duration 2 \
	--flow-capacity 64 --total-num-mbufs 16384 2>"$out.err" ||
	fail "flood replayed in a loop: exit status $? ($(cat "$out.err"))"
n=$($CHECK snapshots "$out.stats") || fail "flood loop: snapshots"
((n >= 5)) || fail "flood loop: $n snapshots in a 2 s run with --stats-interval 0.2"
evicted=$($CHECK get "$out.stats" flows.evicted)
((evicted > 2000)) || fail "flood loop: only $evicted evictions"
echo "ok: flood replayed in a loop: $n snapshots, $evicted evictions, stopped on --duration"
