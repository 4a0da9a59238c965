#!/usr/bin/env bash
# Every bad option or config file: exit status 2, one line on stderr naming
# the option (or file) and the reason, and no output file half-written.
. "$(dirname "$0")/lib.sh"

printf '[probe]\nrxd = 1000\n' >"$TMP/bad_value.ini"
printf '[probe]\nno-such-key = 1\n' >"$TMP/bad_key.ini"
printf '[probe\nrxd = 512\n' >"$TMP/malformed.ini"
printf '[probe]\nidle-reset-threshold = 0\n' >"$TMP/bad_idle_reset.ini"

cases=(
	"--no-such-option 1|--no-such-option"
	"--stats-interval -1|--stats-interval"
	"--stats-interval 0|--stats-interval"
	"--idle-timeout abc|--idle-timeout"
	"--syn-timeout -5|--syn-timeout"
	"--duration 1e999|--duration"
	"--rxd 1000|--rxd"
	"--rxd 8|--rxd"
	"--burst 0|--burst"
	"--burst 100000|--burst"
	"--total-num-mbufs -1|--total-num-mbufs"
	"--mbuf-size 10|--mbuf-size"
	"--flow-capacity x|--flow-capacity"
	"--config $TMP/nonexistent.ini|nonexistent.ini"
	"--config $TMP/bad_value.ini|rxd"
	"--config $TMP/bad_key.ini|no-such-key"
	"--config $TMP/malformed.ini|malformed"
	"stray-argument|stray-argument"
	"--dist rss|--dist"
	"--dist-ring 1000|--dist-ring"
	"--export-ring 0|--export-ring"
	"--prometheus 0|--prometheus"
	"--prometheus 70000|--prometheus"
	"--prometheus garbage|--prometheus"
	"--prometheus 127.0.0.1:|--prometheus"
	"--prometheus 300.1.1.1:9100|--prometheus"
	"--prometheus [::1:9100|--prometheus"
	"--prometheus ::1:9100|--prometheus"
	"--prometheus 192.0.2.1:9100|--prometheus"
	"--stall-threshold 0|--stall-threshold"
	"--stall-threshold soon|--stall-threshold"
	"--idle-reset-threshold -1|--idle-reset-threshold"
	"--config $TMP/bad_idle_reset.ini|idle-reset-threshold"
	"--services -1|--services"
	"--services 100000|--services"
	"--time-wait 0|--time-wait"
	"--close-linger 0|--close-linger"
	"--close-linger later|--close-linger"
	"--time-wait-slots 8|--time-wait-slots"
	"--time-wait-slots -1|--time-wait-slots"
)
for c in "${cases[@]}"; do
	opts=${c%|*}
	must=${c#*|}
	rc=0
	# shellcheck disable=SC2046,SC2086
	run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP" -- \
		--flows "$TMP/out_flows.jsonl" --stats "$TMP/out_stats.jsonl" $opts \
		>"$TMP/out" 2>"$TMP/err" || rc=$?
	((rc == 2)) || fail "'$opts': exit status $rc, expected 2"
	[[ $(wc -l <"$TMP/err") -eq 1 ]] || fail "'$opts': expected one line, got: $(cat "$TMP/err")"
	grep -q "^dpprobe: error: .*$must" "$TMP/err" || fail "'$opts': error does not name '$must': $(cat "$TMP/err")"
	[[ ! -e "$TMP/out_flows.jsonl" && ! -e "$TMP/out_stats.jsonl" ]] ||
		fail "'$opts': output files were created"
	echo "ok: '$opts' -> $(cat "$TMP/err")"
done

# A busy --prometheus port: one line naming it, exit 2, nothing written.
busy_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$busy_port" &
BUSY_PID=$!
for _ in $(seq 1 50); do
	ss -ltn "sport = :$busy_port" | grep -q LISTEN && break
	sleep 0.1
done
rc=0
# shellcheck disable=SC2046
run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP" -- --prometheus "$busy_port" \
	--flows "$TMP/out_flows.jsonl" --stats "$TMP/out_stats.jsonl" >/dev/null 2>"$TMP/err" || rc=$?
kill "$BUSY_PID" 2>/dev/null || true
((rc == 2)) || fail "busy --prometheus port: exit status $rc"
[[ $(wc -l <"$TMP/err") -eq 1 ]] && grep -q "^dpprobe: error: --prometheus $busy_port: Address already in use" "$TMP/err" ||
	fail "busy --prometheus port: $(cat "$TMP/err")"
[[ ! -e "$TMP/out_flows.jsonl" && ! -e "$TMP/out_stats.jsonl" ]] || fail "busy port: output created"
echo "ok: busy --prometheus port -> $(cat "$TMP/err")"

# Problems found after EAL starts: still exit 2 with our own error line.
rc=0
# shellcheck disable=SC2046
run_probe 60 $(eal_args 1) -- --flows "$TMP/out_flows.jsonl" >/dev/null 2>"$TMP/err" || rc=$?
((rc == 2)) || fail "no port: exit status $rc"
grep -q "^dpprobe: error: no ports" "$TMP/err" || fail "no port: $(cat "$TMP/err")"
[[ ! -e "$TMP/out_flows.jsonl" ]] || fail "no port: output created"
echo "ok: no port -> $(grep '^dpprobe' "$TMP/err")"

rc=0
# shellcheck disable=SC2046
run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$TMP/missing.pcap" -- \
	--flows "$TMP/out_flows.jsonl" >/dev/null 2>"$TMP/err" || rc=$?
((rc == 2)) || fail "missing capture: exit status $rc"
grep -q "^dpprobe: error: " "$TMP/err" || fail "missing capture: $(cat "$TMP/err")"
echo "ok: missing capture -> $(grep '^dpprobe' "$TMP/err")"

# --dist sw needs an RX lcore and at least one worker besides the main lcore.
rc=0
# shellcheck disable=SC2046
run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$DEMO_PCAP" -- --dist sw \
	--flows "$TMP/out_flows.jsonl" >/dev/null 2>"$TMP/err" || rc=$?
((rc == 2)) && grep -q "^dpprobe: error: --dist sw" "$TMP/err" || fail "--dist sw on 2 lcores: $rc $(cat "$TMP/err")"
[[ ! -e "$TMP/out_flows.jsonl" ]] || fail "--dist sw: output created"
echo "ok: --dist sw with one worker lcore -> $(cat "$TMP/err")"

rc=0
"$DPPROBE" --help >"$TMP/out" 2>&1 || rc=$?
((rc == 0)) && grep -q -- "--flow-capacity" "$TMP/out" || fail "--help"
for o in --stall-threshold --idle-reset-threshold --services --time-wait; do
	grep -q -- "$o" "$TMP/out" || fail "--help does not list $o"
done
rc=0
"$DPPROBE" --version >"$TMP/out" 2>&1 || rc=$?
((rc == 0)) && grep -q "^dpprobe " "$TMP/out" || fail "--version"
echo "ok: --help, --version"
