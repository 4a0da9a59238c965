#!/usr/bin/env bash
# Real kernel TCP between two network namespaces; dpprobe on net_af_packet
# over the server's veth counts exactly the packets tcpdump counts on the
# same veth at the same time.
. "$(dirname "$0")/lib.sh"

NS_C="dppit$$c"
NS_S="dppit$$s"
IF_C="dppit$$c0"
IF_S="dppit$$s0"
TD_PID=
SRV_PID=
net_cleanup() {
	for p in $TD_PID $SRV_PID; do kill "$p" 2>/dev/null || true; done
	ip netns del "$NS_C" 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
	it_cleanup
}
trap net_cleanup EXIT

ip netns add "$NS_C"
ip netns add "$NS_S"
ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_S" netns "$NS_S"
for ns_if in "$NS_C:$IF_C:198.18.0.1" "$NS_S:$IF_S:198.18.0.2"; do
	IFS=: read -r ns ifn addr <<<"$ns_if"
	# No IPv6 on the link: no router solicitations or MLD noise in the counts.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$addr/24" dev "$ifn"
	ip -n "$ns" link set "$ifn" up
	ip netns exec "$ns" ethtool -K "$ifn" tso off gso off gro off >/dev/null
done
# Static neighbours: no ARP exchange between the two captures starting.
ip -n "$NS_C" neigh replace 198.18.0.2 lladdr "$(ip -n "$NS_S" -br link show "$IF_S" | awk '{print $3}')" dev "$IF_C"
ip -n "$NS_S" neigh replace 198.18.0.1 lladdr "$(ip -n "$NS_C" -br link show "$IF_C" | awk '{print $3}')" dev "$IF_S"

ip netns exec "$NS_S" taskset -c 0 tcpdump -i "$IF_S" -U -n --immediate-mode -w "$TMP/ref.pcap" 2>"$TMP/td.err" &
TD_PID=$!
# shellcheck disable=SC2046
ip netns exec "$NS_S" "$DPPROBE" $(eal_args 1) --vdev "net_af_packet0,iface=$IF_S,framecnt=16384" -- \
	--flows "$TMP/flows.jsonl" --stats "$TMP/stats.jsonl" --stats-interval 0.2 2>"$TMP/err" &
PROBE_PID=$!
for _ in $(seq 1 150); do
	grep -qs "listening on" "$TMP/td.err" && [[ -s "$TMP/stats.jsonl" ]] && break
	kill -0 "$PROBE_PID" 2>/dev/null || fail "probe died: $(cat "$TMP/err")"
	sleep 0.1
done
grep -qs "listening on" "$TMP/td.err" || fail "tcpdump did not start"
[[ -s "$TMP/stats.jsonl" ]] || fail "probe did not start"

# Real TCP: 20 request/response connections, served by a bounded python server.
# The peers run on the main lcore's CPU so the worker keeps its own: a
# descheduled worker lets the kernel's packet ring overflow, and af_packet
# drops are invisible to DPDK (see docs/pmds.md).
cpu0="taskset -c 0"
ip netns exec "$NS_S" $cpu0 timeout 30 /usr/bin/python3 - <<'PY' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.2", 8080)); s.listen(64); s.settimeout(20)
for _ in range(20):
    c, _ = s.accept()
    c.recv(1000); c.sendall(b"x" * 20000); c.close()
PY
SRV_PID=$!
sleep 0.3
ip netns exec "$NS_C" $cpu0 timeout 30 /usr/bin/python3 - <<'PY'
import socket
for i in range(20):
    c = socket.create_connection(("198.18.0.2", 8080), timeout=5)
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    got = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += len(b)
    c.close()
    assert got == 20000, got
PY
wait "$SRV_PID" || fail "server failed"
SRV_PID=
sleep 1
kill -INT "$TD_PID"
wait "$TD_PID" || true
TD_PID=
kill -INT "$PROBE_PID"
rc=0
wait "$PROBE_PID" || rc=$?
PROBE_PID=
((rc == 0)) || fail "probe exit status $rc: $(cat "$TMP/err")"

want=$($CHECK pcap-count "$TMP/ref.pcap")
got=$($CHECK get "$TMP/stats.jsonl" ports.0.ipackets)
((want > 200)) || fail "tcpdump saw only $want packets"
[[ "$got" == "$want" ]] || fail "af_packet: dpprobe counted $got packets, tcpdump $want"
$CHECK conservation "$TMP/stats.jsonl" "$TMP/flows.jsonl"
echo "ok: af_packet counted $got packets, as tcpdump did"
