#!/bin/bash
# make_scenarios.sh OUTDIR [scenario...]
#
# One capture of REAL kernel TCP traffic per scenario: two network namespaces,
# one veth pair with offloads off, python peers (tcp_peer.py), tcpdump on the
# server-side veth inside the server namespace (classic pcap, microseconds).
# Writes OUTDIR/NAME.pcap and OUTDIR/NAME.expect.json (outcome counts known by
# construction). Without scenario names, makes them all. Run as root.
#
# Scenarios (client 198.18.0.1 / fd00:dd::1, server 198.18.0.2 / fd00:dd::2):
#   normal            10 sequential request/response connections       completed 10
#   bulk              one 5 MB upload client -> server                   completed 1
#   refused           3 connects to closed port 9 (SYN, RST/ACK)         refused 3
#   syn_timeout       2 parallel connects, SYNs dropped by nft in the server ns,
#                     tcp_syn_retries=2 in the client ns (3 SYNs each)   syn_timeout 2
#   syn_dropped_once  the first SYN dropped (nft quota), retransmitted SYN
#                     answered: handshake.syn == 2                       completed 1
#   loss              3 MB upload, nft `numgen random mod 100 < 3 drop` in the
#                     server's input (real fast/RTO retransmissions)     completed 1
#   zero_window       server SO_RCVBUF 4096 stops reading for 2 s, 400 kB upload
#                     (zero windows and zero-window probes)              completed 1
#   rst_client        request/answer, client closes with SO_LINGER 0     reset 1 (client)
#   rst_server        request/answer, server closes with SO_LINGER 0     reset 1 (server)
#   accept_overflow   listen backlog 1, TCP_DEFER_ACCEPT, never accept,
#                     tcp_abort_on_overflow=1; 3 clients connect one after the
#                     other, then each sends a line. The kernel keeps only one
#                     pending request (the others get SYN cookies), so the
#                     deferred one overflows the accept queue when its data
#                     arrives: bare RST. The two queued ones are reset when the
#                     listener closes (RST/ACK).                          reset 3 (server)
#   ipv6              5 request/response + 2 refused over fd00:dd::/64   completed 5, refused 2
#   vlan              3 request/response, every frame on the veth tagged
#                     802.1Q VID 100                                     completed 3
#   vlan_qinq         the same under an 802.1ad outer tag (0x88a8 VID 200,
#                     then 0x8100 VID 100)                               completed 3
#                     (no 8021q module on this kernel: tc eBPF pushes and
#                     pops the tags, see vlan_bpf.py)
#   mixed             2 request/response, ICMP echo (56 and 3000 bytes, the
#                     latter fragmented at MTU 1500), UDP 200 and 4000 bytes
#                     (IPv4 and IPv6 fragments), plus crafted frames appended
#                     (see craft.py): 10 that must not create a flow, and a
#                     padded midstream pair                       completed 2, midstream 1
set -u
. "$(dirname "$0")/lib.sh"
BPFDIR=
on_exit() {
    cleanup
    [ -n "$BPFDIR" ] && umount "$BPFDIR" 2>/dev/null
    cleanup_all
}
trap on_exit EXIT
trap 'exit 130' INT TERM

ALL="normal bulk refused syn_timeout syn_dropped_once loss zero_window rst_client rst_server accept_overflow ipv6 vlan vlan_qinq mixed"
scenario_args "$@"

expect() { echo "$2" > "$OUT/$1.expect.json"; }

nft_table() {   # nft_table NS: an inet table with an input chain
    ip netns exec "$1" nft add table inet dpp
    ip netns exec "$1" nft add chain inet dpp in '{ type filter hook input priority 0; policy accept; }'
}

sc_normal() {
    srv n rr --addr $S4 --port 8080 --count 10 --resp-bytes 4000
    cap_start "$WORK/cap.pcap"
    cli rr --addr $S4 --port 8080 --count 10 --resp-bytes 4000 --gap 0.01 || die "rr"
    srv_wait n
    cap_stop
    expect normal '{"completed":10}'
}

sc_bulk() {
    srv b sink --addr $S4 --port 8080 --count 1
    cap_start "$WORK/cap.pcap"
    cli send --addr $S4 --port 8080 --bytes 5000000 || die "bulk"
    srv_wait b
    cap_stop
    expect bulk '{"completed":1}'
}

sc_refused() {
    cap_start "$WORK/cap.pcap"
    cli refused --addr $S4 --port 9 --count 3 || die "refused"
    cap_stop
    expect refused '{"refused":3}'
}

sc_syn_timeout() {
    nsc sysctl -qw net.ipv4.tcp_syn_retries=2
    # kernels >= 6.5 retransmit the first SYNs every 1 s (tcp_syn_linear_timeouts=4):
    # turn that off so the client sends the classic 3 SYNs (0, 1, 3 s) and gives up at 7 s
    nsc sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null
    nft_table "$NSS"
    nss nft add rule inet dpp in tcp dport 8080 drop
    cap_start "$WORK/cap.pcap"
    cli timeout --addr $S4 --port 8080 --count 2 --timeout 15 || die "syn_timeout"
    cap_stop
    expect syn_timeout '{"syn_timeout":2}'
}

sc_syn_dropped_once() {
    nft_table "$NSS"
    # a SYN is 60 bytes of IP: the first one is within the quota and dropped,
    # the retransmitted one (120 >= 100) is over it and passes
    nss nft add rule inet dpp in tcp dport 8080 'tcp flags & (syn|ack) == syn' quota until 100 bytes drop
    srv d rr --addr $S4 --port 8080 --count 1 --resp-bytes 1000
    cap_start "$WORK/cap.pcap"
    cli rr --addr $S4 --port 8080 --count 1 --resp-bytes 1000 || die "rr"
    srv_wait d
    cap_stop
    expect syn_dropped_once '{"completed":1}'
}

sc_loss() {
    nft_table "$NSS"
    nss nft add rule inet dpp in tcp dport 8080 numgen random mod 100 '<' 3 drop
    srv l sink --addr $S4 --port 8080 --count 1
    cap_start "$WORK/cap.pcap"
    cli send --addr $S4 --port 8080 --bytes 3000000 --timeout 30 || die "loss"
    srv_wait l
    cap_stop
    expect loss '{"completed":1}'
}

sc_zero_window() {
    srv z sink --addr $S4 --port 8080 --count 1 --rcvbuf 4096 --pause 2
    cap_start "$WORK/cap.pcap"
    cli send --addr $S4 --port 8080 --bytes 400000 || die "zero_window"
    srv_wait z
    cap_stop
    expect zero_window '{"completed":1}'
}

sc_rst_client() {
    srv r rr --addr $S4 --port 8080 --count 1 --resp-bytes 1500
    cap_start "$WORK/cap.pcap"
    cli abort --addr $S4 --port 8080 --resp-bytes 1500 || die "abort"
    srv_wait r
    cap_stop
    expect rst_client '{"reset":1}'
}

sc_rst_server() {
    srv r abort --addr $S4 --port 8080 --count 1 --resp-bytes 1500
    cap_start "$WORK/cap.pcap"
    cli wait --addr $S4 --port 8080 || die "wait for RST"
    srv_wait r
    cap_stop
    expect rst_server '{"reset":1}'
}

sc_accept_overflow() {
    nss sysctl -qw net.ipv4.tcp_abort_on_overflow=1 net.ipv4.tcp_syncookies=1
    srv o noaccept --addr $S4 --port 8080 --backlog 1 --defer 5 --hold 0.8
    cap_start "$WORK/cap.pcap"
    cli overflow --addr $S4 --port 8080 --count 3 --gap 0.02 --hold 3 --timeout 5 || die "overflow"
    srv_wait o
    cap_stop
    expect accept_overflow '{"reset":3}'
}

sc_ipv6() {
    srv v rr --addr $S6 --port 8080 --count 5 --resp-bytes 3000
    cap_start "$WORK/cap.pcap"
    cli rr --addr $S6 --port 8080 --count 5 --resp-bytes 3000 --gap 0.01 || die "rr6"
    cli refused --addr $S6 --port 9 --count 2 || die "refused6"
    srv_wait v
    cap_stop
    expect ipv6 '{"completed":5,"refused":2}'
}

# The kernel has no 8021q module, no bridge VLAN filtering and no act_vlan, so
# the tags are pushed/popped by tiny tc eBPF programs (vlan_bpf.py) on both
# veth ends: push on egress, pop on ingress. The capture tap sits after tc
# egress and before tc ingress, so the server-side capture shows the tags in
# both directions. All traffic on the veth (ARP included) is tagged.
bpf_progs() {
    [ -n "$BPFDIR" ] && return 0
    BPFDIR=$WORK/bpf
    mkdir -p "$BPFDIR" && mount -t bpf bpf "$BPFDIR" || die "mount bpffs"
    /usr/bin/python3 "$SCEN_DIR/vlan_bpf.py" "$BPFDIR" || die "vlan_bpf.py"
}
vlan_tags() {   # vlan_tags NS IF push_q|push_qinq pop1|pop2
    ip netns exec "$1" tc qdisc add dev "$2" clsact || die "clsact"
    ip netns exec "$1" tc filter add dev "$2" egress bpf direct-action \
        object-pinned "$BPFDIR/$3" || die "tc egress $3"
    ip netns exec "$1" tc filter add dev "$2" ingress bpf direct-action \
        object-pinned "$BPFDIR/$4" || die "tc ingress $4"
}

sc_vlan() {
    bpf_progs
    vlan_tags "$NSC" "$IFC" push_q pop1
    vlan_tags "$NSS" "$IFS_" push_q pop1
    srv v rr --addr $S4 --port 8080 --count 3 --resp-bytes 3000
    cap_start "$WORK/cap.pcap"
    cli rr --addr $S4 --port 8080 --count 3 --resp-bytes 3000 --gap 0.01 || die "rr vlan"
    srv_wait v
    cap_stop
    expect vlan '{"completed":3}'
}

sc_vlan_qinq() {
    bpf_progs
    # the inner tag travels in the frame data: keep frames within MTU + 4
    nsc ip link set "$IFC" mtu 1496
    nss ip link set "$IFS_" mtu 1496
    vlan_tags "$NSC" "$IFC" push_qinq pop2
    vlan_tags "$NSS" "$IFS_" push_qinq pop2
    srv v rr --addr $S4 --port 8080 --count 3 --resp-bytes 3000
    cap_start "$WORK/cap.pcap"
    cli rr --addr $S4 --port 8080 --count 3 --resp-bytes 3000 --gap 0.01 || die "rr qinq"
    srv_wait v
    cap_stop
    expect vlan_qinq '{"completed":3}'
}

sc_mixed() {
    srv m rr --addr $S4 --port 8080 --count 2 --resp-bytes 2000
    srv u4 udp --addr $S4 --port 7777 --hold 3
    srv u6 udp --addr $S6 --port 7777 --hold 3
    cap_start "$WORK/real.pcap"
    cli rr --addr $S4 --port 8080 --count 1 --resp-bytes 2000 || die "rr"
    cli ping --addr $S4 --count 2 --bytes 56 || die "ping"
    cli ping --addr $S4 --count 1 --bytes 3000 || die "ping 3000"
    cli udp --addr $S4 --port 7777 --count 1 --bytes 200 || die "udp"
    cli udp --addr $S4 --port 7777 --count 1 --bytes 4000 || die "udp 4000"
    cli udp --addr $S6 --port 7777 --count 1 --bytes 4000 || die "udp6 4000"
    cli rr --addr $S4 --port 8080 --count 1 --resp-bytes 2000 || die "rr"
    srv_wait m
    cap_stop
    local last
    last=$(/usr/bin/python3 "$SCEN_DIR/craft.py" lastts "$WORK/real.pcap") || die "lastts"
    /usr/bin/python3 "$SCEN_DIR/craft.py" malformed "$WORK/crafted.pcap" \
        --ts "$(/usr/bin/python3 -c "print($last + 0.01)")" || die "craft"
    /usr/bin/python3 "$SCEN_DIR/craft.py" merge "$WORK/cap.pcap" "$WORK/real.pcap" \
        "$WORK/crafted.pcap" || die "merge"
    expect mixed '{"completed":2,"midstream":1}'
}

T0=$(date +%s.%N)
for s in $LIST; do
    t1=$(date +%s.%N)
    net_up 1500
    rm -f "$WORK/cap.pcap"
    "sc_$s"
    cleanup
    [ -s "$WORK/cap.pcap" ] || die "$s: no capture"
    mv "$WORK/cap.pcap" "$OUT/$s.pcap"
    printf '%-18s %6.2f s  %s\n' "$s" "$(echo "$(date +%s.%N) - $t1" | bc 2>/dev/null || echo 0)" \
        "$(cat "$OUT/$s.expect.json")"
done
printf 'total %.2f s\n' "$(echo "$(date +%s.%N) - $T0" | bc 2>/dev/null || echo 0)"
