#!/usr/bin/env bash
# /dpprobe/flows,N answers the open flows with the most retransmissions, as
# the workers find them in their own tables (stats/open_flows.c), on a live
# mirror port (scripts/lib/mirror.sh, af_packet, two workers):
#  - six uploads of real kernel TCP to :8090-8095, whose data the server's
#    input drops at random (5 %, after the mirror copied it, so the mirror
#    sees every retransmission), then held open, all data acknowledged;
#  - one connect whose SYNs the server drops (:8081), still retrying.
# While they are open the answer holds exactly those seven flows, with the
# packets and bytes tshark counts on a tcpdump capture of the mirror taken
# until then, most retransmitting first, from both workers; N = 3 gives the
# first three. Then the loss stops and the uploads close: none of them is an
# open flow any more, and their records keep the retransmissions the answer
# showed. Retransmissions are printed beside tshark's, not compared: the
# rule that tells them from out-of-order segments goes by packet times and
# the handshake's RTT, and af_packet gives only the poll's time
# (docs/pmds.md, with the figures of such runs).
. "$(dirname "$0")/lib.sh"
# shellcheck source=../../scripts/lib/mirror.sh
. "$SRC/scripts/lib/mirror.sh"
# shellcheck source=mirror_probe.sh
. "$SRC/tests/integration/mirror_probe.sh"
OFC="/usr/bin/python3 $SRC/tests/integration/open_flows_check.py"
command -v dpdk-telemetry.py >/dev/null || fail "dpdk-telemetry.py is not installed (dpdk-dev)"
command -v tshark >/dev/null || fail "tshark is not installed (scripts/install-deps --tests)"

TD_PID=
of_cleanup() {
	[[ -z "$TD_PID" ]] || kill "$TD_PID" 2>/dev/null || true
	mirror_down
	it_cleanup
}
trap of_cleanup EXIT

out=$TMP/of
mirror_up nft || fail "mirror setup"
# Loss after the mirror: the server's input drops 5 % of what is sent to :8090-8095.
ip netns exec "$MIR_NSS" nft -f - <<-EOF || fail "nft loss table"
	table inet dppof_loss {
		chain in { type filter hook input priority -10; policy accept;
			tcp dport 8090-8095 numgen random mod 100 < 5 drop; }
	}
EOF
# The unanswered connect keeps retrying for 15 s (SYNs at 0, 1, 3 and 7 s).
ip netns exec "$MIR_NSC" sysctl -qw net.ipv4.tcp_syn_retries=3

ip netns exec "$MIR_NSS" tcpdump -i "$MIR_M0" -U --immediate-mode -B 131072 -s 0 -n \
	--time-stamp-precision=micro -w "$out.pcap" 2>"$out.td.err" &
TD_PID=$!
# shellcheck disable=SC2046
QPAIRS=2 start_probe af_packet "$out" $(dpp_eal_lcore_args 2)
for ((i = 0; i < 100; i++)); do
	grep -qs "listening on" "$out.td.err" && break
	sleep 0.05
done
grep -qs "listening on" "$out.td.err" || fail "tcpdump did not start"

for port in 8090 8091 8092 8093 8094 8095; do
	mirror_server "sink$port" sink --port "$port" --count 1 --timeout 60 || fail "server :$port"
done
ip netns exec "$MIR_NSC" /usr/bin/python3 "$MIR_PEER" client timeout --addr "$MIR_S4" \
	--port 8081 --count 1 --timeout 30 &
MIR_PIDS+=($!)
for port in 8090 8091 8092 8093 8094 8095; do
	# 100 to 600 KB each, then open with everything acknowledged until the
	# test says go, then a tail and FIN.
	ip netns exec "$MIR_NSC" /usr/bin/python3 "$MIR_PEER" client send --addr "$MIR_S4" --port "$port" \
		--bytes $(((port - 8089) * 100000)) --ready-file "$MIR_TMP/sent$port" \
		--go-file "$MIR_TMP/go" --tail-bytes 1000 --timeout 60 &
	MIR_PIDS+=($!)
done

# Every upload written and acknowledged (Send-Q 0 on all six sockets): no
# retransmission is still to come while they wait.
settled=0 n=0 q=
for ((i = 0; i < 400; i++)); do
	n=$(find "$MIR_TMP" -name 'sent*' | wc -l)
	q=$(ip netns exec "$MIR_NSC" ss -tnH state established '( dport >= :8090 and dport <= :8095 )' |
		awk '{n++; q += $2} END {print n + 0, q + 0}')
	if ((n == 6)) && [[ $q == "6 0" ]]; then
		settled=1
		break
	fi
	sleep 0.05
done
((settled)) || fail "the uploads did not settle in 20 s (ready $n, sockets/Send-Q $q)"
# The probe has received every frame the kernel offered it (its snapshots, 0.5 s apart).
for ((i = 0; i < 40; i++)); do
	sleep 0.5
	(($($CHECK get-latest "$out.stats.jsonl" ports.0.ipackets) == $(mirror_offered))) && break
done

$OFC ask "$PREFIX" 32 "$out.all.json" || fail "telemetry"
$OFC ask "$PREFIX" 3 "$out.top3.json" || fail "telemetry"
kill -INT "$TD_PID"
wait "$TD_PID" || true
TD_PID=
grep -q "^0 packets dropped by kernel" "$out.td.err" || fail "tcpdump lost frames: $(cat "$out.td.err")"
$OFC compare "$out.all.json" "$out.pcap" --open 8090-8095 --half-open 8081 --workers 2
$OFC top "$out.top3.json" "$out.all.json" 3

# No more loss; the uploads send their tails and close: then they are not open flows.
ip netns exec "$MIR_NSS" nft delete table inet dppof_loss || fail "nft delete"
touch "$MIR_TMP/go"
mirror_wait_servers || fail "a peer did not see what it expected"
sleep 0.5
$OFC ask "$PREFIX" 32 "$out.after.json" || fail "telemetry"
$OFC none "$out.after.json" --closed 8090-8095
stop_probe af_packet "$out"
$OFC records "$out.all.json" "$out.flows.jsonl" --open 8090-8095
$CHECK conservation "$out.stats.jsonl" "$out.flows.jsonl"
echo "ok: /dpprobe/flows answers the open flows, their packets as tshark counts them"
