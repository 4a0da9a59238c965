#!/bin/bash
# make_demo.sh OUT.pcap: the small demo capture in tests/data/demo.pcap (see README.md)
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
trap 'exit 130' INT TERM
OUT=${1:?usage: make_demo.sh OUT.pcap}
net_up 1500
srv rr    rr     --addr $S4 --port 8080 --count 3 --resp-bytes 3000
srv bulk  source --addr $S4 --port 8081 --count 1 --bytes 200000
srv ab    rr     --addr $S4 --port 8082 --count 1 --resp-bytes 500
srv udp   udp    --addr $S4 --port 7777 --hold 3
cap_start "$WORK/demo.pcap"
cli rr      --addr $S4 --port 8080 --count 3 --resp-bytes 3000 --gap 0.05 || die rr
cli recv    --addr $S4 --port 8081 --bytes 200000 || die bulk
cli refused --addr $S4 --port 9    --count 1 || die refused
cli abort   --addr $S4 --port 8082 --resp-bytes 500 || die abort
cli ping    --addr $S4 --count 2 --bytes 56 --gap 0.2 || die ping
cli udp     --addr $S4 --port 7777 --count 1 --bytes 200 || die udp
srv_wait rr; srv_wait bulk; srv_wait ab
cap_stop
cp "$WORK/demo.pcap" "$OUT"
