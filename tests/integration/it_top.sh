#!/usr/bin/env bash
# scripts/top in a plain 80x24 terminal (tmux) against a live probe (net_pcap
# replaying the demo capture forever, a stats snapshot every second): the
# numbers on the screen are those of the snapshot it says it shows and the one
# before it; q quits.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || fail "tmux is not installed"
SOCK="dppmtop$$"
tm() { tmux -L "$SOCK" "$@"; }
top_cleanup() {
	tm kill-server 2>/dev/null || true
	it_cleanup
}
trap top_cleanup EXIT

# shellcheck disable=SC2046
"$DPPROBE" $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP,infinite_rx=1" -- \
	--total-num-mbufs 8191 --flows "$TMP/flows.jsonl" --stats "$TMP/stats.jsonl" \
	--stats-interval 1 --duration 30 2>"$TMP/err" &
PROBE_PID=$!
for ((i = 0; i < 100; i++)); do
	[[ -s "$TMP/stats.jsonl" ]] && break
	kill -0 "$PROBE_PID" 2>/dev/null || fail "probe died: $(cat "$TMP/err")"
	sleep 0.1
done
[[ -s "$TMP/stats.jsonl" ]] || fail "probe wrote no snapshot"

tm new-session -d -x 80 -y 24 -s top \
	"/usr/bin/python3 $SRC/scripts/top --stats $TMP/stats.jsonl; echo top-exit-\$? >$TMP/top.rc" ||
	fail "tmux new-session"
# Three snapshots later the view shows rates between two live snapshots.
for ((i = 0; i < 100; i++)); do
	(($(grep -c '"type":"stats"' "$TMP/stats.jsonl") >= 4)) && break
	sleep 0.1
done
sleep 1.5
tm capture-pane -p -t top >"$TMP/pane1.txt"
sleep 2
tm capture-pane -p -t top >"$TMP/pane2.txt"
echo "--- scripts/top in tmux 80x24:"
cat "$TMP/pane2.txt"
echo "---"
for pane in pane1 pane2; do
	/usr/bin/python3 "$SRC/tests/integration/top_check.py" "$TMP/$pane.txt" "$TMP/stats.jsonl" ||
		fail "scripts/top showed other numbers than the snapshot ($pane)"
done
cmp -s "$TMP/pane1.txt" "$TMP/pane2.txt" && fail "the view did not change in 2 s"

tm send-keys -t top q
for ((i = 0; i < 30; i++)); do
	[[ -s "$TMP/top.rc" ]] && break
	sleep 0.1
done
[[ "$(cat "$TMP/top.rc" 2>/dev/null)" == top-exit-0 ]] || fail "q did not quit top (rc: $(cat "$TMP/top.rc" 2>/dev/null))"
kill -INT "$PROBE_PID"
rc=0
wait "$PROBE_PID" || rc=$?
PROBE_PID=
((rc == 0)) || fail "probe exit status $rc"
echo "ok: scripts/top shows the snapshot's numbers in 80x24 and quits on q"
