# shellcheck shell=bash
# A mirror port on one host, shared by scripts/mirror-demo and
# tests/integration/it_mirror.sh (source it; bash; root).
#
#   $MIR_NSC  client  $MIR_IFC 198.18.0.1/24 --veth-- $MIR_IFS 198.18.0.2/24  server  $MIR_NSS
#   in $MIR_NSS, both directions of $MIR_IFS are copied into $MIR_M0
#   (nftables netdev `dup to` on ingress and egress, or tc clsact mirred);
#   $MIR_M0 --veth-- $MIR_M1 in $MIR_NSP, the probe's namespace: no address,
#   nothing but the mirrored frames arrive there.
#
# Offloads are off on every veth end (no GSO super-frames), IPv6 is off in
# every namespace and the neighbours are static, so the only frames on the
# mirror are the TCP connections the traffic functions make.
# Every name starts with dppm and carries the caller's PID. mirror_down
# deletes the namespaces, which takes the veths, tc filters and nft tables with
# them, and its directory of ready files ($MIR_TMP).

MIR_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MIR_PEER=$(cd "$MIR_LIB_DIR/../../tests/scenarios" && pwd)/tcp_peer.py
MIR_TAG=${MIR_TAG:-dppm$$}
MIR_NSC=${MIR_TAG}c
MIR_NSS=${MIR_TAG}s
MIR_NSP=${MIR_TAG}p
MIR_IFC=${MIR_TAG}c0
MIR_IFS=${MIR_TAG}s0
MIR_M0=${MIR_TAG}m0
MIR_M1=${MIR_TAG}m1
MIR_C4=198.18.0.1
MIR_S4=198.18.0.2
MIR_PIDS=()
MIR_TMP=

mir_die() {
	echo "mirror: $*" >&2
	return 1
}

# mirror_up [nft|tc]: namespaces, veths, the mirror.
mirror_up() {
	local how=${1:-nft} ns ifn spec
	MIR_TMP=$(mktemp -d "/tmp/$MIR_TAG.XXXXXX") || mir_die "mktemp" || return 1
	ip netns add "$MIR_NSC" && ip netns add "$MIR_NSS" && ip netns add "$MIR_NSP" ||
		mir_die "cannot create namespaces" || return 1
	ip link add "$MIR_IFC" netns "$MIR_NSC" type veth peer name "$MIR_IFS" netns "$MIR_NSS" &&
		ip link add "$MIR_M0" netns "$MIR_NSS" type veth peer name "$MIR_M1" netns "$MIR_NSP" ||
		mir_die "cannot create veth pairs" || return 1
	for ns in "$MIR_NSC" "$MIR_NSS" "$MIR_NSP"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	for spec in "$MIR_NSC:$MIR_IFC" "$MIR_NSS:$MIR_IFS" "$MIR_NSS:$MIR_M0" "$MIR_NSP:$MIR_M1"; do
		ns=${spec%%:*}
		ifn=${spec#*:}
		ip -n "$ns" link set "$ifn" up || mir_die "cannot bring $ifn up" || return 1
		ip netns exec "$ns" ethtool -K "$ifn" tso off gso off gro off >/dev/null ||
			mir_die "ethtool -K $ifn" || return 1
	done
	ip -n "$MIR_NSC" addr add "$MIR_C4/24" dev "$MIR_IFC"
	ip -n "$MIR_NSS" addr add "$MIR_S4/24" dev "$MIR_IFS"
	ip -n "$MIR_NSC" neigh replace "$MIR_S4" dev "$MIR_IFC" \
		lladdr "$(ip -n "$MIR_NSS" -br link show "$MIR_IFS" | awk '{print $3}')"
	ip -n "$MIR_NSS" neigh replace "$MIR_C4" dev "$MIR_IFS" \
		lladdr "$(ip -n "$MIR_NSC" -br link show "$MIR_IFC" | awk '{print $3}')"
	# Connects that time out: the server's input drops SYNs to :8081. The
	# netdev ingress hook (the mirror) runs before it, so the SYNs are mirrored.
	ip netns exec "$MIR_NSS" nft -f - <<-EOF || mir_die "nft drop table" || return 1
		table inet dppm_drop {
			chain in { type filter hook input priority 0; policy accept;
				tcp dport 8081 drop; }
		}
	EOF
	# Bounded SYN retries in the client: SYNs at 0 s and 1 s, ETIMEDOUT at 3 s.
	ip netns exec "$MIR_NSC" sysctl -qw net.ipv4.tcp_syn_retries=1
	ip netns exec "$MIR_NSC" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null || true
	case $how in
	nft)
		ip netns exec "$MIR_NSS" nft -f - <<-EOF || mir_die "nft dup table" || return 1
			table netdev dppm_mirror {
				chain in { type filter hook ingress device "$MIR_IFS" priority 0;
					dup to "$MIR_M0"; }
				chain out { type filter hook egress device "$MIR_IFS" priority 0;
					dup to "$MIR_M0"; }
			}
		EOF
		;;
	tc)
		ip netns exec "$MIR_NSS" tc qdisc add dev "$MIR_IFS" clsact &&
			ip netns exec "$MIR_NSS" tc filter add dev "$MIR_IFS" ingress \
				u32 match u32 0 0 action mirred egress mirror dev "$MIR_M0" &&
			ip netns exec "$MIR_NSS" tc filter add dev "$MIR_IFS" egress \
				u32 match u32 0 0 action mirred egress mirror dev "$MIR_M0" ||
			mir_die "tc mirred" || return 1
		;;
	*) mir_die "unknown mirror method '$how' (nft or tc)" || return 1 ;;
	esac
}

# mirror_down: safe under set -e, in a trap, and when nothing was made.
mirror_down() {
	local p
	for p in "${MIR_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${MIR_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	MIR_PIDS=()
	ip netns del "$MIR_NSC" 2>/dev/null || true
	ip netns del "$MIR_NSS" 2>/dev/null || true
	ip netns del "$MIR_NSP" 2>/dev/null || true
	[[ -z "$MIR_TMP" ]] || rm -rf "$MIR_TMP"
	MIR_TMP=
}

# mirror_into_tap: net_tap's port is a kernel tap device the PMD creates in the
# probe's namespace ($MIR_TAP); what the kernel sends out of it, the PMD receives.
# So the frames arriving on $MIR_M1 are redirected into it (tc mirred), after
# the probe has started.
MIR_TAP=${MIR_TAG}t0
mirror_into_tap() {
	ip netns exec "$MIR_NSP" ethtool -K "$MIR_TAP" tso off gso off gro off >/dev/null 2>&1 || true
	ip netns exec "$MIR_NSP" tc qdisc add dev "$MIR_M1" clsact &&
		ip netns exec "$MIR_NSP" tc filter add dev "$MIR_M1" ingress u32 match u32 0 0 \
			action mirred egress redirect dev "$MIR_TAP" ||
		mir_die "tc redirect from $MIR_M1 into $MIR_TAP"
}

# mirror_counter DIR FIELD IFACE NS: a kernel counter of an interface
# (ip -s -j link: rx packets, tx dropped, ...).
mirror_counter() {
	ip -n "$4" -s -j link show "$3" |
		/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[0]['stats64']['$1']['$2'])"
}

# Frames that reached the probe's interface ($MIR_M1), as the kernel counts them.
mirror_offered() { mirror_counter rx packets "$MIR_M1" "$MIR_NSP"; }
# Frames the mirror could not hand to $MIR_M1 (the veth's queue was full):
# lost before the probe's interface, counted by the kernel on $MIR_M0.
mirror_lost_on_link() { mirror_counter tx dropped "$MIR_M0" "$MIR_NSS"; }

# mirror_server NAME ARGS...: a tcp_peer server in the server namespace, ready on return.
mirror_server() {
	local name=$1 rf i
	shift
	rf="$MIR_TMP/$name.ready"
	ip netns exec "$MIR_NSS" /usr/bin/python3 "$MIR_PEER" server "$@" --addr "$MIR_S4" --ready-file "$rf" &
	MIR_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[[ -e "$rf" ]] && { rm -f "$rf"; return 0; }
		sleep 0.02
	done
	mir_die "server $name did not become ready"
}

mirror_client() { ip netns exec "$MIR_NSC" /usr/bin/python3 "$MIR_PEER" client "$@" --addr "$MIR_S4"; }

# mirror_wait_servers: every peer started in the background so far has exited successfully.
mirror_wait_servers() {
	local p rc=0
	for p in "${MIR_PIDS[@]}"; do wait "$p" || rc=1; done
	MIR_PIDS=()
	return $rc
}

# mirror_traffic: one round of real kernel TCP of every kind, about 4 s:
#   10 healthy request/response connections (:8080)        completed 10
#   3 connects to a closed port (:9)                          refused 3
#   2 connects whose SYNs the server drops (:8081)             syn_timeout 2
#   1 client abort and 1 server abort (SO_LINGER 0, :8082/3)   reset 2
#   1 upload into a server that stops reading for 2 s with a
#     4 KiB receive buffer (:8084): zero windows, a stall       completed 1
# Returns non-zero if any peer did not see what it expected.
mirror_traffic() {
	local rc=0
	mirror_server rr rr --port 8080 --count 10 --resp-bytes 4000 --timeout 15 &&
		mirror_server rstc rr --port 8082 --count 1 --resp-bytes 1500 --timeout 15 &&
		mirror_server rsts abort --port 8083 --count 1 --resp-bytes 1500 --timeout 15 &&
		mirror_server zw sink --port 8084 --count 1 --rcvbuf 4096 --pause 2 --timeout 15 ||
		return 1
	# In the background, by its own PID (no subshell), so mirror_down can end it.
	ip netns exec "$MIR_NSC" /usr/bin/python3 "$MIR_PEER" client timeout --addr "$MIR_S4" \
		--port 8081 --count 2 --timeout 10 &
	MIR_PIDS+=($!)
	mirror_client rr --port 8080 --count 10 --resp-bytes 4000 --gap 0.01 --timeout 15 || rc=1
	mirror_client refused --port 9 --count 3 --timeout 5 || rc=1
	mirror_client abort --port 8082 --resp-bytes 1500 --timeout 5 || rc=1
	mirror_client wait --port 8083 --timeout 5 || rc=1
	mirror_client send --port 8084 --bytes 400000 --timeout 15 || rc=1
	mirror_wait_servers || rc=1
	return $rc
}

# mirror_bulk BYTES [CPU [READY_FILE PAUSE TAIL]]: one upload as fast as the
# kernel goes (:8090), the client pinned to CPU when given ("" for none). With
# READY_FILE: the client writes it once the bulk is written, sleeps PAUSE
# seconds, then sends TAIL bytes more before it closes.
mirror_bulk() {
	local bytes=$1 cpu=${2:-} pin=() tail=()
	[[ -n "$cpu" ]] && pin=(taskset -c "$cpu")
	[[ -n "${3:-}" ]] && tail=(--ready-file "$3" --pause "$4" --tail-bytes "$5")
	mirror_server bulk sink --port 8090 --count 1 --timeout 60 || return 1
	ip netns exec "$MIR_NSC" "${pin[@]}" /usr/bin/python3 "$MIR_PEER" client send --addr "$MIR_S4" --port 8090 \
		--bytes "$bytes" "${tail[@]}" --timeout 60 || return 1
	mirror_wait_servers
}
