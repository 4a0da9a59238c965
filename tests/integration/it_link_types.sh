#!/usr/bin/env bash
# Link types and sliced frames (contract: "Link types", "Sliced frames count").
# Bad input first: a capture of a link type dpprobe does not decode (802.11,
# USER0), a text file, random bytes, an empty, a gzip'd and a missing file must each
# give exit 2, one line on stderr naming the file (and the link type), and no
# output file; a capture cut inside its last record one warning line.
# Then real kernel TCP (make_scenarios.sh), rewritten by relink.py into every
# link type the contract names and sliced to snap lengths 96 and 128: on each
# file dpprobe must agree with tshark field by field (compare_capture.sh),
# tshark must find the flows of the original, parse.sliced must count the
# sliced frames, the flow records must be those of the original capture
# where no header was cut, and bulk at -s 96 must still carry its 5 MB; also
# a big-endian DLT_NULL file, a big-endian Ethernet one and pcapng. Then a
# crafted capture of the sliced-frame edges (IP length beyond the wire length,
# options past the snap length). Last, a live `tcpdump -i any -s 128` capture
# (Linux cooked v2) of kernel TCP between two namespaces.
. "$(dirname "$0")/lib.sh"

COMPARE="$SRC/tests/compare"
LTCHECK="/usr/bin/python3 $SRC/tests/integration/linktype_check.py"
PEER=(/usr/bin/python3 "$SRC/tests/scenarios/tcp_peer.py")
SCENARIOS="normal bulk refused ipv6 loss zero_window vlan"
# LINKTYPE[:SNAPLEN][:be] (be: a big-endian file), or an editcap -F format
# (pcapng, nsecpcap: nanosecond classic pcap)
VARIANTS="113 276 101 228 229 0 108 1:96 1:128 276:96 276:128"
variants() {
	case $1 in
	normal) echo "${VARIANTS/229 /} 0:be 1:be pcapng nsecpcap" ;;
	ipv6) echo "$VARIANTS 0:be" ;;
	refused) echo "$VARIANTS" ;;
	# IPv4 only: refused.229 already shows an empty rewrite
	*) echo "${VARIANTS/229 /}" ;;
	esac
}
BULK_BYTES=5000000

failures=()
failed() {
	echo "FAIL: $*" >&2
	failures+=("$*")
}

# Namespaces for the live capture: h1lt<pid>c / h1lt<pid>s.
LT_TAG="h1lt$$"
LT_PIDS=()
lt_cleanup() {
	local p
	for p in "${LT_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${LT_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	ip netns del "${LT_TAG}c" 2>/dev/null || true
	ip netns del "${LT_TAG}s" 2>/dev/null || true
	it_cleanup
}
trap lt_cleanup EXIT

# lt_wait PID: wait for a process we started; it is no longer ours to kill.
lt_wait() {
	local rc=0 keep=() p
	wait "$1" || rc=$?
	for p in "${LT_PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	LT_PIDS=("${keep[@]}")
	return "$rc"
}

# ---- bad input ------------------------------------------------------------
# bad_input NAME FILE [REGEX]: exit 2, exactly one stderr line, which is a
# dpprobe error naming FILE (and matching REGEX), and no output file.
bad_input() {
	local name=$1 file=$2 re=${3:-} rc=0 err="$TMP/bad/$1.err"
	# shellcheck disable=SC2046
	run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$file" -- \
		--flows "$TMP/bad/$name.flows.jsonl" --stats "$TMP/bad/$name.stats.jsonl" \
		>"$TMP/bad/$name.out" 2>"$err" || rc=$?
	local nl
	nl=$(wc -l <"$err")
	if ((rc != 2)); then
		failed "bad input $name: exit status $rc, expected 2 (stderr: $(head -3 "$err"))"
	elif ((nl != 1)); then
		failed "bad input $name: $nl lines on stderr, expected 1: $(head -5 "$err")"
	elif ! grep -q '^dpprobe: error: ' "$err" || ! grep -qF "$file" "$err"; then
		failed "bad input $name: the error does not name $file: $(cat "$err")"
	elif [[ -n "$re" ]] && ! grep -qE "$re" "$err"; then
		failed "bad input $name: the error does not name the link type ($re): $(cat "$err")"
	elif [[ -e "$TMP/bad/$name.flows.jsonl" || -e "$TMP/bad/$name.stats.jsonl" ]]; then
		failed "bad input $name: an output file was created"
	else
		echo "ok: bad input $name: $(cat "$err")"
	fi
}

mkdir -p "$TMP/bad"
$LTCHECK retype "$DEMO_PCAP" "$TMP/bad/ieee80211.pcap" 105
$LTCHECK retype "$DEMO_PCAP" "$TMP/bad/user0.pcap" 147
printf 'this is a text file, not a capture\nsecond line\n' >"$TMP/bad/text.pcap"
/usr/bin/python3 -c 'import random, sys; r = random.Random(8)
sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(4096)))' >"$TMP/bad/random.pcap"
: >"$TMP/bad/empty.pcap"
gzip -c "$DEMO_PCAP" >"$TMP/bad/gzipped.pcap"
bad_input ieee80211 "$TMP/bad/ieee80211.pcap" '105|IEEE802_11'
bad_input user0 "$TMP/bad/user0.pcap" '147|USER0'
bad_input text "$TMP/bad/text.pcap"
bad_input random "$TMP/bad/random.pcap"
bad_input empty "$TMP/bad/empty.pcap"
bad_input gzipped "$TMP/bad/gzipped.pcap"
bad_input missing "$TMP/bad/no-such-file.pcap"

# A capture cut inside its last record: read up to the cut, one warning.
size=$(stat -c %s "$DEMO_PCAP")
head -c $((size - 7)) "$DEMO_PCAP" >"$TMP/bad/cut.pcap"
rc=0
# shellcheck disable=SC2046
run_probe 120 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$TMP/bad/cut.pcap" -- \
	--flows "$TMP/bad/cut.flows.jsonl" --stats "$TMP/bad/cut.stats.jsonl" \
	2>"$TMP/bad/cut.err" || rc=$?
nwarn=$(grep -c '^dpprobe: warning: ' "$TMP/bad/cut.err" || true)
nflows=$(grep -c '"type":"flow"' "$TMP/bad/cut.flows.jsonl" 2>/dev/null || true)
if ((rc != 0)); then
	failed "cut capture: exit status $rc, expected 0: $(grep dpprobe "$TMP/bad/cut.err")"
elif ((nwarn != 1)) ||
	! grep '^dpprobe: warning: ' "$TMP/bad/cut.err" | grep -qF "$TMP/bad/cut.pcap"; then
	failed "cut capture: $nwarn 'dpprobe: warning:' lines naming the file, expected 1:" \
		"$(cat "$TMP/bad/cut.err")"
elif grep -q '^dpprobe: error' "$TMP/bad/cut.err"; then
	failed "cut capture: an error line: $(cat "$TMP/bad/cut.err")"
elif ((nflows != 6)); then
	failed "cut capture: $nflows flow records, demo.pcap has 6"
else
	echo "ok: cut capture: $(grep '^dpprobe: warning: ' "$TMP/bad/cut.err")"
fi

# ---- real traffic in every link type --------------------------------------
scen="$TMP/scenarios"
# shellcheck disable=SC2086
bash "$SRC/tests/scenarios/make_scenarios.sh" "$scen" $SCENARIOS >"$TMP/make.log" 2>&1 ||
	fail "make_scenarios.sh failed: $(tail -20 "$TMP/make.log")"

# compare NAME CAPTURE HEADER_CUT CHECK-ARGS...: dpprobe vs tshark on CAPTURE,
# then linktype_check.py's assertions on that same run. HEADER_CUT: TCP
# segments the snap length cut inside their headers; tshark still feeds them
# to its analysis, the probe counts them as malformed (tshark_flows.py,
# difference 1), so retrans and out_of_order are then compared as a sum.
compare() {
	local name=$1 cap=$2 cut=$3 out
	shift 3
	local ignore=()
	((cut == 0)) || ignore=(--ignore retrans --ignore out_of_order)
	mkdir -p "$TMP/run/$name"
	if ! out=$(COMPARE_KEEP_DIR="$TMP/run/$name" bash "$COMPARE/compare_capture.sh" \
		"$DPPROBE" "$cap" "${ignore[@]}" 2>&1); then
		failed "$name: dpprobe and tshark disagree: $(tail -12 <<<"$out")"
		return 1
	fi
	if ! out=$($LTCHECK run "$cap" "$TMP/run/$name" --header-cut "$cut" "$@" 2>&1); then
		failed "$name: $out"
		return 1
	fi
	if ! $CHECK conservation "$TMP/run/$name/stats.jsonl" "$TMP/run/$name/probe.jsonl" \
		>/dev/null 2>"$TMP/run/$name/cons.err"; then
		failed "$name: $(cat "$TMP/run/$name/cons.err")"
		return 1
	fi
	echo "ok: $name: $out"
}

passed=0
for s in $SCENARIOS; do
	t0=$SECONDS
	orig="$scen/$s.pcap"
	extra=()
	[[ $s == bulk ]] && extra=(--min-payload-bytes "$BULK_BYTES")
	compare "$s" "$orig" 0 --linktype 1 "${extra[@]}" || continue
	files=()
	names=()
	checks=()
	cuts=()
	for v in $(variants "$s"); do
		IFS=: read -r lt a b <<<"$v"
		snap=''
		endian=little
		for opt in $a $b; do
			case $opt in
			be) endian=big ;;
			*) snap=$opt ;;
			esac
		done
		tag=$s.$lt${snap:+-s$snap}
		[[ $endian == big ]] && tag+=-be
		f="$TMP/lt/$tag.pcap"
		mkdir -p "$TMP/lt"
		cut=0
		if [[ $lt == pcapng || $lt == nsecpcap ]]; then
			editcap -F "$lt" "$orig" "$f" || fail "editcap -F $lt $orig"
			lt=1
		else
			out=$(/usr/bin/python3 "$COMPARE/relink.py" "$orig" "$f" --linktype "$lt" \
				${snap:+--snaplen "$snap"} --endian "$endian" 2>&1) ||
				fail "relink.py $orig --linktype $lt ${snap:+--snaplen $snap}: $out"
			cut=$(sed -n 's/.* \([0-9]*\) TCP headers cut$/\1/p' <<<"$out")
		fi
		cuts+=("$cut")
		files+=("$f")
		names+=("$tag")
		checks+=("--linktype $lt${snap:+ --snaplen $snap}")
	done
	# relink.py must not be the reason for a difference: same TCP in tshark.
	if ! out=$(/usr/bin/python3 "$COMPARE/same_tcp.py" "$orig" "${files[@]}" 2>&1); then
		failed "$s: relink.py's rewrites differ from the original in tshark: $out"
		continue
	fi
	for i in "${!files[@]}"; do
		# shellcheck disable=SC2086
		compare "${names[$i]}" "${files[$i]}" "${cuts[$i]}" --orig "$TMP/run/$s" \
			${checks[$i]} "${extra[@]}" && passed=$((passed + 1))
	done
	echo "time: $s: $((SECONDS - t0)) s for ${#files[@]} rewrites"
done

# ---- crafted edges of "Sliced frames count" -------------------------------
# A sliced segment is tracked; an IP length beyond the wire length (not only
# beyond the captured bytes) stays ip_len_beyond_frame; a frame cut inside its
# IP or TCP options stays malformed. No flow but the first pair's.
$LTCHECK sliced-edges "$TMP/sliced-edges.pcap"
compare sliced-edges "$TMP/sliced-edges.pcap" 0 --linktype 1 --snaplen 96 \
	--malformed '{"*":2}' --outcomes '{"midstream":1}' &&
	passed=$((passed + 1))

# ---- live: tcpdump -i any -s 128 (Linux cooked v2) of kernel TCP ------------
# lt_host NS IF ADDR4 ADDR6: one end of the veth pair, offloads off.
lt_host() {
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" addrgenmode none
	ip -n "$1" link set "$2" up
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || return 1
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" -6 addr add "$4/64" dev "$2" nodad
}

# live_capture FILE: 4 request/response connections over IPv4, a 1 MB upload
# over IPv6 and 2 refused connects, captured in the server namespace with
# tcpdump -i any -s 128.
live_capture() {
	local nc="${LT_TAG}c" ns="${LT_TAG}s" ic="${LT_TAG}c0" is="${LT_TAG}s0" cap=$1 i
	ip netns add "$nc" && ip netns add "$ns" || return 1
	ip link add "$ic" netns "$nc" type veth peer name "$is" netns "$ns" || return 1
	lt_host "$nc" "$ic" 198.18.7.1 fd00:7::1 && lt_host "$ns" "$is" 198.18.7.2 fd00:7::2 ||
		return 1
	ip netns exec "$ns" tcpdump -i any -s 128 -U --immediate-mode -B 131072 -Z root \
		-w "$cap" --time-stamp-precision=micro 2>"$TMP/live.tcpdump.err" &
	local dump=$!
	LT_PIDS+=("$dump")
	for i in $(seq 1 100); do
		grep -q "listening on" "$TMP/live.tcpdump.err" 2>/dev/null && break
		kill -0 "$dump" 2>/dev/null || return 1
		sleep 0.05
	done
	grep -q "listening on" "$TMP/live.tcpdump.err" || return 1
	local srv4 srv6
	ip netns exec "$ns" "${PEER[@]}" server rr --addr 198.18.7.2 --port 8080 --count 4 \
		--resp-bytes 6000 --timeout 20 --ready-file "$TMP/live.r4" >/dev/null 2>&1 &
	srv4=$!
	LT_PIDS+=("$srv4")
	ip netns exec "$ns" "${PEER[@]}" server sink --addr fd00:7::2 --port 8081 --count 1 \
		--timeout 20 --ready-file "$TMP/live.r6" >/dev/null 2>&1 &
	srv6=$!
	LT_PIDS+=("$srv6")
	for i in $(seq 1 100); do
		[[ -e "$TMP/live.r4" && -e "$TMP/live.r6" ]] && break
		sleep 0.02
	done
	ip netns exec "$nc" "${PEER[@]}" client rr --addr 198.18.7.2 --port 8080 --count 4 \
		--resp-bytes 6000 --gap 0.01 >/dev/null 2>&1 || return 1
	ip netns exec "$nc" "${PEER[@]}" client send --addr fd00:7::2 --port 8081 \
		--bytes 1000000 >/dev/null 2>&1 || return 1
	ip netns exec "$nc" "${PEER[@]}" client refused --addr 198.18.7.2 --port 9 --count 2 \
		>/dev/null 2>&1 || return 1
	lt_wait "$srv4" && lt_wait "$srv6" || return 1
	sleep 0.2
	kill -INT "$dump"
	for i in $(seq 1 50); do
		kill -0 "$dump" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$dump" 2>/dev/null && kill -KILL "$dump"
	lt_wait "$dump" || true
	grep -q '^0 packets dropped by kernel' "$TMP/live.tcpdump.err" || return 1
}

if live_capture "$TMP/live.pcap"; then
	compare live-any "$TMP/live.pcap" 0 --linktype 276 --snaplen 128 \
		--outcomes '{"completed":5,"refused":2}' \
		--min-payload-bytes $((4 * (6000 + 7) + 1000000)) && passed=$((passed + 1))
else
	failed "live capture (tcpdump -i any): $(tail -3 "$TMP/live.tcpdump.err" 2>/dev/null)"
fi

if ((${#failures[@]})); then
	echo "${#failures[@]} failures, $passed link-type runs passed ($SECONDS s):" >&2
	printf '  %s\n' "${failures[@]}" >&2
	exit 1
fi
echo "ok: $passed link-type and sliced runs agree with tshark ($SECONDS s)"
