#!/usr/bin/env bash
# A real Prometheus server (Debian's package) scrapes a running probe every
# second; once the traffic has stopped, every dpprobe series its HTTP API
# holds equals the JSON snapshot of the same ts and the final snapshot;
# promtool check metrics finds nothing to say about a scrape; DPDK's
# telemetry client answers every /dpprobe/ command with the same numbers.
#
# Traffic that stops while the probe runs: the demo capture (finite) plus
# an idle net_ring port (never ends), so the probe keeps serving after the
# capture is read, until SIGTERM.
. "$(dirname "$0")/lib.sh"
LIVE="/usr/bin/python3 $SRC/tests/integration/live_check.py"
PROM_PID=
prom_cleanup() {
	[[ -n "$PROM_PID" ]] && kill "$PROM_PID" 2>/dev/null
	it_cleanup
}
trap prom_cleanup EXIT
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/install-deps --tests)"
command -v promtool >/dev/null || fail "promtool is not installed"

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PP=$(free_port)
PS=$(free_port)
n=$($CHECK pcap-count "$DEMO_PCAP")

# shellcheck disable=SC2046
"$DPPROBE" $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP" --vdev net_ring0 -- --rxq 1 \
	--flows "$TMP/flows.jsonl" --stats "$TMP/stats.jsonl" --stats-interval 0.5 \
	--prometheus "127.0.0.1:$PP" 2>"$TMP/err" &
PROBE_PID=$!

cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: dpprobe
    static_configs:
      - targets: ['127.0.0.1:$PP']
EOF
promtool check config "$TMP/prometheus.yml" >/dev/null || fail "promtool rejects the test's config"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PS" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM_PID=$!

# The capture is read and the flows it opened have ended (net_ring's clock
# ages them), as Prometheus sees it: bounded waits.
$LIVE wait-prom "http://127.0.0.1:$PS" 'dpprobe_parse_packets_total' "$n" 90 ||
	fail "Prometheus never saw the capture ($(tail -3 "$TMP/prom.log"); $(cat "$TMP/err"))"
$LIVE wait-prom "http://127.0.0.1:$PS" 'dpprobe_flows_active' 0 30
kill -0 "$PROBE_PID" || fail "probe died: $(cat "$TMP/err")"

# A scrape as Prometheus reads it: promtool has nothing to say.
curl -sf --max-time 5 "http://127.0.0.1:$PP/metrics" >"$TMP/scrape.txt" || fail "scrape failed"
lint=$(promtool check metrics <"$TMP/scrape.txt" 2>&1) || fail "promtool check metrics: $lint"
[[ -z "$lint" ]] || fail "promtool check metrics: $lint"
grep -q '^# HELP dpprobe_rx_burst_packets ' "$TMP/scrape.txt" || fail "no burst histogram"
# Every family has HELP and TYPE.
helps=$(grep -c '^# HELP ' "$TMP/scrape.txt")
types=$(grep -c '^# TYPE ' "$TMP/scrape.txt")
((helps == types && helps > 40)) || fail "HELP $helps, TYPE $types"
curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PP/other" >"$TMP/code"
[[ $(cat "$TMP/code") == 404 ]] || fail "/other: HTTP $(cat "$TMP/code"), expected 404"

# DPDK telemetry, while the probe runs (its runtime dir: /var/run/dpdk/PREFIX).
$LIVE telemetry "$PREFIX" "$TMP/stats.jsonl" "$TMP/tel_flows.json" ||
	fail "telemetry differs from the snapshots"

# Let Prometheus take one more scrape of the idle probe, then stop the probe.
sleep 2
# Queries below ask for this moment: once the probe is gone, Prometheus marks
# its series stale at the next failed scrape, and a query for "now" is empty.
t_stop=$(date +%s.%N)
kill -TERM "$PROBE_PID"
for _ in $(seq 1 300); do
	kill -0 "$PROBE_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$PROBE_PID" 2>/dev/null && fail "SIGTERM: still running after 30 s"
rc=0
wait "$PROBE_PID" || rc=$?
PROBE_PID=
((rc == 0)) || fail "exit status $rc: $(cat "$TMP/err")"
$CHECK conservation "$TMP/stats.jsonl" "$TMP/flows.jsonl" >/dev/null

# The values Prometheus stored (queried after the probe stopped: the last scrape).
$LIVE prom-api "http://127.0.0.1:$PS" "$TMP/stats.jsonl" "$t_stop"
# Every query of the Grafana dashboard in docs/ returns data from that server.
$LIVE dashboard "http://127.0.0.1:$PS" "$SRC/docs/grafana/dpprobe-dashboard.json" "$TMP/stats.jsonl" \
	"$t_stop"
$LIVE scrape "$TMP/scrape.txt" "$TMP/stats.jsonl"

# /dpprobe/recent_flows: the most retransmitting of the records written, most first.
/usr/bin/python3 - "$TMP/tel_flows.json" "$TMP/flows.jsonl" <<'PY'
import json, sys
tel = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
want = sorted((r["c2s"]["retrans"] + r["s2c"]["retrans"] for r in recs), reverse=True)
got = [f["retrans"] for f in tel]
if got != want[:len(got)] or len(got) != min(len(recs), 32):
    sys.exit(f"/dpprobe/recent_flows retrans {got}, records {want}")
print(f"telemetry flows: {len(got)} records by retransmissions")
PY
echo "ok: prometheus and telemetry equal the snapshots"
