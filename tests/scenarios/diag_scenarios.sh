#!/bin/bash
# diag_scenarios.sh OUTDIR [scenario...]
#
# One capture of REAL kernel TCP per diagnosis class and cause (CONTRACT
# "Diagnosis"), with its ground truth from the applications and the kernels:
# OUTDIR/NAME.pcap and OUTDIR/NAME.truth.json. The truth holds every call the
# peers made (tcp_peer.py scripted: errno, how long it blocked, bytes, local
# port, TCP_INFO), `nstat -az` of both namespaces before and after, the
# packet counters of the scenario's nft rules, and the dpprobe options the
# scenario needs (probe_runs); tests/integration/check_diagnosis.py turns it
# into the expected diagnosis. Nothing here runs dpprobe. Without names, makes
# them all (about a minute). Run as root.
#
# Namespaces, veth, addresses and tcpdump are lib.sh's (client 198.18.0.1 /
# fd00:dd::1, server 198.18.0.2 / fd00:dd::2, and 198.18.0.3 in `services`).
#
#   refused           3 connects to a closed port                     refused
#   no_answer         2 connects, SYNs dropped by nft on the server's input,
#                     client tcp_syn_retries=1 (2 SYNs, ETIMEDOUT at 3 s)
#                                                                      timed_out / no_answer
#   synack_lost       2 connects to a listener, its SYN-ACKs dropped by nft on
#                     the client's input (ETIMEDOUT)                   timed_out / synack_lost
#   aq_abort          tcp_abort_on_overflow=1, listen backlog 1 with
#                     TCP_DEFER_ACCEPT, 3 connects, then a request on each:
#                     one request's data finds the accept queue full (bare
#                     RST, the client reads ECONNRESET); the server accepts
#                     the 2 others after 1 s.        reset / accept_queue_overflow, ok
#   aq_drop           the same with the default tcp_abort_on_overflow=0 and
#                     the accept after 2 s: the kernel drops the first one's
#                     data and ACKs and retransmits its SYN-ACK until the
#                     queue has room.          stalled (ok with a high threshold) / accept_queue_overflow
#   syn_retrans       a first SYN dropped by an nft quota (port 8080), and a
#                     SYN dropped by a full accept queue (backlog 0, port
#                     8081); both retransmitted and served             ok / syn_retransmitted
#   idle_reset        the server answers, sleeps 2 s (0.3 s for a second
#                     connection), closes with SO_LINGER 0; dpprobe with
#                     --idle-reset-threshold 1                 reset / idle_timeout, reset / abort
#   data_after_close  the server answers and closes, the client keeps
#                     writing (EPIPE)                                  reset / data_after_close
#   abort             the server aborts after answering; the client aborts;
#                     a listener closes with a connection in its queue; a
#                     server accepts and aborts at once (the lookalike of an
#                     accept-queue overflow, as the contract says)
#                                                    reset / abort (3), reset / accept_queue_overflow
#   zero_window       the server (SO_RCVBUF 4096) does not read for 2 s during
#                     a 400 kB upload                                  stalled / zero_window
#   rto_stall         nft drops every client data segment on the server's
#                     input until 1.2 s after the request was sent  stalled / retransmission_timeout
#   port_reuse        3 connections from the same source port; the server
#                     closes first (TIME_WAIT on the server); reuse 0.3 s and
#                     5.5 s later                                      ok, port_reuse_gap_us
#   port_pressure     client ip_local_port_range 40000-40007, tcp_tw_reuse=0:
#                     24 connections where the server closes first (ports
#                     recycle), then 10 where the client closes first: 8 fill
#                     its TIME_WAIT, the last 2 fail with EADDRNOTAVAIL
#                                                                      max_ports_per_client 8
#   midstream         the capture starts after two connections' handshakes and
#                     first exchange; one then closes normally, the other is
#                     aborted by the client          unknown, reset / abort (midstream)
#   services          at once: 6 ok to .2:8080, 3 refused on .2:8081, 2 aborted
#                     by .3:8080, 3 ok to [fd00:dd::2]:8080, 2 timed out on
#                     [fd00:dd::2]:8082                                services
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
trap 'exit 130' INT TERM

ALL="refused no_answer synack_lost aq_abort aq_drop syn_retrans idle_reset data_after_close abort zero_window rto_stall port_reuse port_pressure midstream services"
scenario_args "$@"
TRUTH="/usr/bin/python3 $SCEN_DIR/diag_truth.py"
PEERS=$WORK/peers
S4B=198.18.0.3
RUNS=()     # dpprobe runs the scenario needs: NAME:ARG,ARG...  (default: one run, no options)
NOTES=()    # KEY=JSON facts the script itself saw

# srv_s NAME [tcp_peer options]: a scripted server; its record goes to the truth
srv_s() {
    local name=$1; shift
    srv "$name" scripted --label "$name" --result "$PEERS/server-$name.json" --backlog 16 "$@"
}
# cli_s NAME [tcp_peer options]: a scripted client in the foreground
cli_s() {
    local name=$1; shift
    cli scripted --label "$name" --result "$PEERS/client-$name.json" "$@"
}
# cli_bg NAME [options]: the same in the background; cli_wait NAME
cli_bg() {
    local name=$1; shift
    ip netns exec "$NSC" $PEER client scripted --label "$name" --result "$PEERS/client-$name.json" "$@" &
    PIDS+=($!)
    eval "CLI_$name=$!"
}
cli_wait() {
    local pid rc=0 p keep=()
    eval "pid=\$CLI_$1"
    wait "$pid" || rc=$?
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    [ $rc = 0 ] || die "client $1 failed"
}

nft_in() {   # nft_in NS: an inet table with an input chain
    ip netns exec "$1" nft add table inet dpp || die "nft table"
    ip netns exec "$1" nft add chain inet dpp in '{ type filter hook input priority 0; policy accept; }' ||
        die "nft chain"
}
# nft_drop NS NAME MATCH...: count and drop what matches; NAME names the counter in the truth
nft_drop() {
    local ns=$1 name=$2; shift 2
    ip netns exec "$ns" nft add rule inet dpp in "$@" counter drop comment "\"$name\"" ||
        die "nft rule $name"
}
now() { date +%s.%N; }
# wait_file F SEC: bounded wait for a marker file
wait_file() {
    local i
    for i in $(seq 1 $(( $2 * 50 ))); do
        [ -e "$1" ] && return 0
        sleep 0.02
    done
    die "no $1 after $2 s"
}
snap() {     # snap TAG: nstat -az of both namespaces (history neither read nor written)
    nsc nstat -azsj >"$WORK/nstat.client.$1" || die "nstat client"
    nss nstat -azsj >"$WORK/nstat.server.$1" || die "nstat server"
}
tw_count() { # tw_count NS: sockets in TIME_WAIT in that namespace
    ip netns exec "$1" ss -Htan state time-wait | wc -l
}
syn_retries() {  # syn_retries N: the client sends 1+N SYNs at 0, 1, 3, ... s
    nsc sysctl -qw net.ipv4.tcp_syn_retries="$1"
    # kernels >= 6.5 retransmit the first SYNs every 1 s (tcp_syn_linear_timeouts):
    # off, for the classic exponential backoff
    nsc sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null
}

sc_refused() {
    cap_start "$WORK/cap.pcap"
    cli_s refused --addr $S4 --port 9 --count 3 --gaps 0.05 --expect connect:ECONNREFUSED ||
        die "refused"
    cap_stop
}

sc_no_answer() {
    syn_retries 1
    nft_in "$NSS"
    nft_drop "$NSS" syn_drop tcp dport 8080
    cap_start "$WORK/cap.pcap"
    cli_s no_answer --addr $S4 --port 8080 --count 2 --parallel --gaps 0.05 --timeout 10 \
        --expect connect:ETIMEDOUT || die "no_answer"
    cap_stop
}

sc_synack_lost() {
    syn_retries 1
    # the server gives up on the request after one SYN-ACK retransmission (3 s),
    # so no SYN-ACK is sent between the end of the capture and the nft counters
    nss sysctl -qw net.ipv4.tcp_synack_retries=1
    nft_in "$NSC"
    nft_drop "$NSC" synack_drop tcp sport 8080 'tcp flags & (syn|ack) == syn|ack'
    srv l noaccept --addr $S4 --port 8080 --backlog 16 --hold 4
    cap_start "$WORK/cap.pcap"
    cli_s synack_lost --addr $S4 --port 8080 --count 2 --parallel --gaps 0.05 --timeout 10 \
        --expect connect:ETIMEDOUT || die "synack_lost"
    srv_wait l
    cap_stop
}

# Why TCP_DEFER_ACCEPT: the kernel completes a handshake inside connect() on a
# veth, so a queue cannot fill between a SYN and its ACK by timing alone. The
# deferral drops the pure ACKs and keeps the requests pending (with backlog 1,
# two of them; the third connect gets a SYN cookie and goes straight to the
# accept queue). The first request's data completes it (queue: 2, full), the
# second's data then completes a handshake at a full queue: the overflow the
# scenario is about. Which connection it is, the truth says (the one the
# server never accepted); the peers assert only how many.
sc_aq_abort() {
    nss sysctl -qw net.ipv4.tcp_abort_on_overflow=1 net.ipv4.tcp_syncookies=1
    srv_s aq_srv --addr $S4 --port 8080 --backlog 1 --defer 5 --accept-delay 1.0 --count 2 \
        --steps "recv:line send:500 recv:eof close"
    cap_start "$WORK/cap.pcap"
    cli_s aq_cli --addr $S4 --port 8080 --count 3 --connect-all-first --gaps 0.05 \
        --steps "line:20 recv:500 close" \
        --expect-count recv:ECONNRESET=1 --expect-count ok=2 || die "aq_abort client"
    srv_wait aq_srv
    cap_stop
}

sc_aq_drop() {
    nss sysctl -qw net.ipv4.tcp_abort_on_overflow=0 net.ipv4.tcp_syncookies=1
    # --defer 1: the SYN-ACK timer retransmits from its first expiry (1 s) on
    srv_s aq_srv --addr $S4 --port 8080 --backlog 1 --defer 1 --accept-delay 2.0 --count 3 \
        --timeout 15 --steps "recv:line send:500 recv:eof close"
    cap_start "$WORK/cap.pcap"
    cli_s aq_cli --addr $S4 --port 8080 --count 3 --connect-all-first --gaps 0.05 --timeout 15 \
        --steps "line:20 recv:500 close" --expect-count ok=3 || die "aq_drop client"
    srv_wait aq_srv
    cap_stop
    # a stall threshold above the stall: the same flow is ok / accept_queue_overflow
    RUNS=("default:" "high_stall:--stall-threshold,60")
}

sc_syn_retrans() {
    nft_in "$NSS"
    # a SYN is 60 bytes of IP: the first is within the quota and dropped, the
    # retransmitted one (120 >= 100) is over it and passes
    nft_drop "$NSS" syn_quota tcp dport 8080 'tcp flags & (syn|ack) == syn' quota until 100 bytes
    srv_s sr_loss --addr $S4 --port 8080 --count 1 --steps "recv:line send:300 recv:eof close"
    cap_start "$WORK/cap.pcap"
    cli_s sr_loss --addr $S4 --port 8080 --steps "line:20 recv:300 close" || die "sr_loss"
    # backlog 0: one connection fills the accept queue until the accept at 0.5 s;
    # the second connect's SYN (0.1 s) is dropped (ListenOverflows), its retransmission served
    srv_s sr_queue --addr $S4 --port 8081 --backlog 0 --accept-delay 0.5 --count 2 \
        --steps "recv:line send:300 recv:eof close"
    cli_s sr_queue --addr $S4 --port 8081 --count 2 --parallel --gaps 0.1 \
        --steps "line:20 recv:300 close" || die "sr_queue"
    srv_wait sr_loss
    srv_wait sr_queue
    cap_stop
}

sc_idle_reset() {
    srv_s idle_srv --addr $S4 --port 8080 --count 2 --threads \
        --steps "recv:line send:200 sleep:2 linger0 close" \
        --steps "recv:line send:200 sleep:0.3 linger0 close"
    cap_start "$WORK/cap.pcap"
    cli_s idle_cli --addr $S4 --port 8080 --count 2 --parallel --gaps 0.1 \
        --steps "line:20 recv:eof close" --expect recv:ECONNRESET || die "idle_reset"
    srv_wait idle_srv
    cap_stop
    RUNS=("default:--idle-reset-threshold,1")
}

sc_data_after_close() {
    srv_s dac_srv --addr $S4 --port 8080 --count 1 --steps "recv:line send:300 close"
    cap_start "$WORK/cap.pcap"
    cli_s dac_cli --addr $S4 --port 8080 \
        --steps "line:20 recv:eof sleep:0.05 writeloop:100:0.05" \
        --expect "writeloop:EPIPE|ECONNRESET" || die "data_after_close"
    srv_wait dac_srv
    cap_stop
}

sc_abort() {
    srv_s ab_srv --addr $S4 --port 8080 --count 1 \
        --steps "recv:line send:1500 sleep:0.05 linger0 close"
    srv_s ab_cli --addr $S4 --port 8081 --count 1 --steps "recv:line send:1500 recv:eof close" \
        --expect recv:ECONNRESET
    # "at once": no payload either way; the short wait only lets the client's
    # connect() return before the RST (else it could report ECONNRESET itself)
    srv_s ab_now --addr $S4 --port 8083 --count 1 --steps "sleep:0.2 linger0 close"
    cap_start "$WORK/cap.pcap"
    # the listener closes 1 s after it listens: its client must be connected by then
    srv ab_lst noaccept --addr $S4 --port 8082 --backlog 4 --hold 1.0
    cli_bg ab_lst --addr $S4 --port 8082 --steps "line:20 recv:eof close" --expect recv:ECONNRESET
    cli_s ab_srv --addr $S4 --port 8080 --steps "line:20 recv:eof close" \
        --expect recv:ECONNRESET || die "ab_srv"
    cli_s ab_cli --addr $S4 --port 8081 --steps "line:20 recv:1500 sleep:0.05 linger0 close" ||
        die "ab_cli"
    cli_s ab_now --addr $S4 --port 8083 --steps "recv:eof close" \
        --expect recv:ECONNRESET || die "ab_now"
    cli_wait ab_lst
    srv_wait ab_srv
    srv_wait ab_cli
    srv_wait ab_lst
    srv_wait ab_now
    cap_stop
}

sc_zero_window() {
    srv_s zw_srv --addr $S4 --port 8080 --count 1 --rcvbuf 4096 --steps "sleep:2 recv:eof close"
    cap_start "$WORK/cap.pcap"
    cli_s zw_cli --addr $S4 --port 8080 --steps "send:400000 shutdown recv:eof close" ||
        die "zero_window"
    srv_wait zw_srv
    cap_stop
}

sc_rto_stall() {
    nft_in "$NSS"
    # data segments only (a 1000-byte request; handshake and ACKs are shorter)
    nft_drop "$NSS" data_drop tcp dport 8080 ip length '>' 200
    srv_s rto_srv --addr $S4 --port 8080 --count 1 --steps "recv:line send:500 recv:eof close"
    cap_start "$WORK/cap.pcap"
    rm -f "$WORK/rto.mark"
    cli_bg rto_cli --addr $S4 --port 8080 --steps "mark:$WORK/rto.mark line:1000 recv:500 close"
    wait_file "$WORK/rto.mark" 5
    sleep 1.2
    # an accept in front of the drop ends the loss and keeps the drop's counter
    nss nft insert rule inet dpp in tcp dport 8080 accept || die "nft insert"
    NOTES+=("loss_ended=$(now)")
    cli_wait rto_cli
    srv_wait rto_srv
    cap_stop
}

sc_port_reuse() {
    srv_s pr_srv --addr $S4 --port 8080 --count 3 --steps "recv:line send:300 close twcheck"
    cap_start "$WORK/cap.pcap"
    cli_s pr_cli --addr $S4 --port 8080 --count 3 --bind-port 40500 --gaps 0.3,5.5 \
        --steps "line:20 recv:eof close" || die "port_reuse"
    srv_wait pr_srv
    cap_stop
}

sc_port_pressure() {
    nsc sysctl -qw net.ipv4.ip_local_port_range="40000 40007" net.ipv4.tcp_tw_reuse=0
    srv_s pp_srvclose --addr $S4 --port 8080 --count 24 --steps "recv:line send:100 close"
    srv_s pp_cliclose --addr $S4 --port 8081 --count 8 --steps "recv:line send:100 recv:eof close"
    cap_start "$WORK/cap.pcap"
    cli_s pp_srvclose --addr $S4 --port 8080 --count 24 --steps "line:20 recv:eof close" ||
        die "pp_srvclose"
    local e=() i
    for i in 1 2 3 4 5 6 7 8; do e+=(--expect ok); done
    cli_s pp_cliclose --addr $S4 --port 8081 --count 10 --steps "line:20 recv:100 close" \
        "${e[@]}" --expect connect:EADDRNOTAVAIL --expect connect:EADDRNOTAVAIL ||
        die "pp_cliclose"
    srv_wait pp_srvclose
    srv_wait pp_cliclose
    cap_stop
    NOTES+=("client_time_wait=$(tw_count "$NSC")" "server_time_wait=$(tw_count "$NSS")"
        "port_range=[40000,40007]")
}

sc_midstream() {
    srv_s mid_srv --addr $S4 --port 8080 --count 2 --threads \
        --steps "recv:line send:300 recv:line send:300 recv:eof close" \
        --expect-count ok=1 --expect-count recv:ECONNRESET=1
    rm -f "$WORK/mid.0" "$WORK/mid.1"
    cli_bg mid_fin --addr $S4 --port 8080 \
        --steps "line:20 recv:300 mark:$WORK/mid.0 sleep:1.5 line:20 recv:300 close"
    cli_bg mid_rst --addr $S4 --port 8080 \
        --steps "line:20 recv:300 mark:$WORK/mid.1 sleep:1.5 line:20 recv:300 linger0 close"
    wait_file "$WORK/mid.0" 5
    wait_file "$WORK/mid.1" 5
    # both handshakes and first exchanges are over: the capture sees neither
    cap_start "$WORK/cap.pcap"
    NOTES+=("capture_started=$(now)")
    cli_wait mid_fin
    cli_wait mid_rst
    srv_wait mid_srv
    cap_stop
}

sc_services() {
    syn_retries 1
    nss ip addr add $S4B/24 dev "$IFS_"
    nft_in "$NSS"
    nft_drop "$NSS" svc_syn_drop ip6 daddr $S6 tcp dport 8082
    srv_s svc_ok --addr $S4 --port 8080 --count 6 --threads --steps "recv:line send:2000 recv:eof close"
    srv_s svc_ab --addr $S4B --port 8080 --count 2 --threads \
        --steps "recv:line send:500 sleep:0.05 linger0 close"
    srv_s svc_ok6 --addr $S6 --port 8080 --count 3 --threads --steps "recv:line send:1000 recv:eof close"
    cap_start "$WORK/cap.pcap"
    cli_bg svc_ok --addr $S4 --port 8080 --count 6 --parallel --gaps 0.02 --steps "line:20 recv:2000 close"
    cli_bg svc_ref --addr $S4 --port 8081 --count 3 --gaps 0.02 --expect connect:ECONNREFUSED
    cli_bg svc_ab --addr $S4B --port 8080 --count 2 --parallel --gaps 0.02 \
        --steps "line:20 recv:eof close" --expect recv:ECONNRESET
    cli_bg svc_ok6 --addr $S6 --port 8080 --count 3 --parallel --gaps 0.02 --steps "line:20 recv:1000 close"
    cli_bg svc_to6 --addr $S6 --port 8082 --count 2 --parallel --gaps 0.02 --timeout 10 \
        --expect connect:ETIMEDOUT
    local c
    for c in svc_ok svc_ref svc_ab svc_ok6 svc_to6; do cli_wait $c; done
    for c in svc_ok svc_ab svc_ok6; do srv_wait $c; done
    cap_stop
}

T0=$(now)
for s in $LIST; do
    t1=$(now)
    net_up 1500
    rm -rf "$PEERS" "$WORK/cap.pcap"
    mkdir -p "$PEERS"
    RUNS=("default:")
    NOTES=()
    snap before
    "sc_$s"
    snap after
    nsc nft -j list ruleset >"$WORK/nft.client.json" || die "nft list client"
    nss nft -j list ruleset >"$WORK/nft.server.json" || die "nft list server"
    args=()
    for r in "${RUNS[@]}"; do args+=(--run "$r"); done
    for n in "${NOTES[@]}"; do args+=(--note "$n"); done
    $TRUTH build "$OUT/$s.truth.json" --scenario "$s" \
        --nstat client "$WORK/nstat.client.before" "$WORK/nstat.client.after" \
        --nstat server "$WORK/nstat.server.before" "$WORK/nstat.server.after" \
        --nft client "$WORK/nft.client.json" --nft server "$WORK/nft.server.json" \
        --peers "$PEERS" "${args[@]}" || die "$s: truth"
    cleanup
    [ -s "$WORK/cap.pcap" ] || die "$s: no capture"
    mv "$WORK/cap.pcap" "$OUT/$s.pcap"
    printf '%-18s %6.2f s\n' "$s" "$(echo "$(now) - $t1" | bc)"
done
printf 'total %.2f s\n' "$(echo "$(now) - $T0" | bc)"
