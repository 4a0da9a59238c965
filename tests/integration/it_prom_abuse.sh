#!/usr/bin/env bash
# /metrics under abuse while the workers poll a capture replayed forever:
# 200 idle connections, a slow client, garbage requests; scrapes keep
# answering in time, the control thread's CPU per scrape is reported, and
# SIGTERM with connections still open stops the probe cleanly (exit 0,
# final snapshot, every flow written).
. "$(dirname "$0")/lib.sh"

PP=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2046
"$DPPROBE" $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP,infinite_rx=1" -- \
	--flows "$TMP/flows.jsonl" --stats "$TMP/stats.jsonl" --stats-interval 0.5 \
	--total-num-mbufs 16383 --prometheus "$PP" 2>"$TMP/err" &
PROBE_PID=$!
for _ in $(seq 1 150); do
	curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$PP/metrics" && break
	kill -0 "$PROBE_PID" 2>/dev/null || fail "probe died: $(cat "$TMP/err")"
	sleep 0.1
done
curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$PP/metrics" || fail "no /metrics after 15 s"

timeout 120 /usr/bin/python3 "$SRC/tests/integration/prom_abuse.py" 127.0.0.1 "$PP" "$PROBE_PID" \
	>"$TMP/abuse.out" 2>&1 || fail "abuse: $(cat "$TMP/abuse.out")"
cat "$TMP/abuse.out"
per=$(awk '/^cpu_per_scrape_us/ {print $2}' "$TMP/abuse.out")
# A scrape renders a few kB from a copy: far below a millisecond of CPU.
((per < 2000)) || fail "control thread CPU per scrape ${per} us"
kill -0 "$PROBE_PID" 2>/dev/null || fail "probe died under abuse: $(cat "$TMP/err")"

# Connections left open when SIGTERM comes: still a clean stop.
/usr/bin/python3 - "$PP" <<'PY' &
import socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(50)]
time.sleep(20)
PY
HOLD_PID=$!
sleep 1
kill -TERM "$PROBE_PID"
for _ in $(seq 1 300); do
	kill -0 "$PROBE_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$PROBE_PID" 2>/dev/null && fail "SIGTERM: still running after 30 s"
rc=0
wait "$PROBE_PID" || rc=$?
PROBE_PID=
kill "$HOLD_PID" 2>/dev/null || true
((rc == 0)) || fail "exit status $rc ($(cat "$TMP/err"))"
$CHECK snapshots "$TMP/stats.jsonl" >/dev/null
$CHECK conservation "$TMP/stats.jsonl" "$TMP/flows.jsonl"
echo "ok: /metrics under abuse; ${per} us of control-thread CPU per scrape; clean stop"
