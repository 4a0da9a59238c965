# Shared helpers for make_scenarios.sh and make_demo.sh (source it, bash only).
#
# Two network namespaces joined by one veth pair, offloads off on both ends:
#   $NSC (client) $IFC 198.18.0.1/24 fd00:dd::1/64
#   $NSS (server) $IFS 198.18.0.2/24 fd00:dd::2/64
# Every name carries the caller's PID so parallel runs do not clash.
# Nothing here touches the root namespace beyond creating/deleting the pair.

SCEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEER="/usr/bin/python3 $SCEN_DIR/tcp_peer.py"
TAG=dpps$$
NSC=${TAG}c
NSS=${TAG}s
IFC=${TAG}c0
IFS_=${TAG}s0
C4=198.18.0.1
S4=198.18.0.2
C6=fd00:dd::1
S6=fd00:dd::2
PIDS=()          # background processes we started (killed by PID on exit)
CAP_PID=
WORK=$(mktemp -d /tmp/${TAG}.XXXXXX)

die() { echo "ERROR: $*" >&2; exit 1; }

# scenario_args OUTDIR [scenario...]: the command line of a scenario script.
# Sets OUT (the output folder, made and absolute) and LIST (the scenarios
# asked for, all of $ALL without any); an unknown name is fatal.
scenario_args() {
    OUT=${1:?usage: $(basename "$0") OUTDIR [scenario...]}
    shift
    mkdir -p "$OUT" || die "cannot create $OUT"
    OUT=$(cd "$OUT" && pwd)
    LIST=${*:-$ALL}
    local s
    for s in $LIST; do
        case " $ALL " in *" $s "*) ;; *) die "unknown scenario '$s' (known: $ALL)";; esac
    done
}

cleanup() {
    local p
    for p in "${PIDS[@]}" $CAP_PID; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}" $CAP_PID; do
        wait "$p" 2>/dev/null
    done
    PIDS=(); CAP_PID=
    ip netns del "$NSC" 2>/dev/null
    ip netns del "$NSS" 2>/dev/null
    true
}

cleanup_all() { cleanup; rm -rf "$WORK"; }

nsc() { ip netns exec "$NSC" "$@"; }
nss() { ip netns exec "$NSS" "$@"; }

# net_up [mtu]: fresh namespaces and veth pair
net_up() {
    local mtu=${1:-1500}
    cleanup
    ip netns add "$NSC" || die "netns add $NSC"
    ip netns add "$NSS" || die "netns add $NSS"
    ip link add "$IFC" netns "$NSC" type veth peer name "$IFS_" netns "$NSS" || die "veth"
    local ns ifn
    for ns in "$NSC" "$NSS"; do
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    # no link-local address: keeps DAD/MLD noise out of the captures
    nsc ip link set "$IFC" addrgenmode none
    nss ip link set "$IFS_" addrgenmode none
    nsc ip link set "$IFC" mtu "$mtu" up
    nss ip link set "$IFS_" mtu "$mtu" up
    nsc ethtool -K "$IFC" tso off gso off gro off >/dev/null 2>&1 || die "ethtool $IFC"
    nss ethtool -K "$IFS_" tso off gso off gro off >/dev/null 2>&1 || die "ethtool $IFS_"
    nsc ip addr add $C4/24 dev "$IFC"
    nss ip addr add $S4/24 dev "$IFS_"
    nsc ip -6 addr add $C6/64 dev "$IFC" nodad
    nss ip -6 addr add $S6/64 dev "$IFS_" nodad
    # avoid stray router solicitations/MLD noise on the wire as far as possible
    nsc sysctl -qw net.ipv6.conf.$IFC.router_solicitations=0 2>/dev/null
    nss sysctl -qw net.ipv6.conf.$IFS_.router_solicitations=0 2>/dev/null
}

# cap_start FILE [IF]: tcpdump in the server namespace, wait until it listens.
# --immediate-mode: without it libpcap's TPACKET_V3 ring hands packets over only
# when a block fills or its 1 s timeout expires, and SIGINT loses what is still
# in the current block (short scenarios came out empty). -B: 128 MiB ring, a 5 MB
# transfer over veth outruns the default 2 MiB one. -Z root: files stay root's.
cap_start() {
    local f=$1 dev=${2:-$IFS_} i
    rm -f "$f" "$WORK/tcpdump.err"
    ip netns exec "$NSS" tcpdump -i "$dev" -U --immediate-mode -B 131072 -Z root -s 0 -w "$f" --time-stamp-precision=micro \
        2>"$WORK/tcpdump.err" &
    CAP_PID=$!
    for i in $(seq 1 100); do
        grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break
        kill -0 $CAP_PID 2>/dev/null || die "tcpdump died: $(cat "$WORK/tcpdump.err")"
        sleep 0.05
    done
    grep -q "listening on" "$WORK/tcpdump.err" || die "tcpdump did not start"
    sleep 0.1
}

# cap_stop: SIGINT by PID, wait for it to flush and exit
cap_stop() {
    [ -n "$CAP_PID" ] || return 0
    sleep 0.2
    kill -INT "$CAP_PID" 2>/dev/null
    local i
    for i in $(seq 1 50); do
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$CAP_PID" 2>/dev/null && kill -KILL "$CAP_PID"
    wait "$CAP_PID" 2>/dev/null
    CAP_PID=
    # a capture that lost packets would make every counter wrong
    local dropped
    dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$WORK/tcpdump.err")
    [ "${dropped:-x}" = 0 ] || die "tcpdump: ${dropped:-unknown number of} packets dropped by kernel"
}

# srv NAME args...: start a tcp_peer server in the server ns, wait until ready
srv() {
    local name=$1; shift
    local rf="$WORK/$name.ready" i
    rm -f "$rf"
    ip netns exec "$NSS" $PEER server "$@" --ready-file "$rf" &
    PIDS+=($!)
    eval "SRV_$name=$!"
    for i in $(seq 1 100); do
        [ -e "$rf" ] && return 0
        sleep 0.02
    done
    die "server $name did not become ready"
}

# srv_wait NAME: wait for a server to exit (it is bounded by its own --timeout)
srv_wait() {
    local pid
    eval "pid=\$SRV_$1"
    local rc=0
    wait "$pid" || rc=$?
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    [ $rc = 0 ] || die "server $1 failed"
}

cli() { ip netns exec "$NSC" $PEER client "$@"; }
