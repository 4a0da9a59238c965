#!/usr/bin/env bash
# Accuracy against Wireshark on real kernel TCP: make every scenario's
# capture fresh (namespaces, veth, tcpdump), read it through net_pcap, and
# require every contract field of every flow to equal tshark's analysis;
# the outcome counts must also be those the scenario built on purpose.
. "$(dirname "$0")/lib.sh"

scen="$TMP/scenarios"
bash "$SRC/tests/scenarios/make_scenarios.sh" "$scen" >"$TMP/make.log" 2>&1 ||
	fail "make_scenarios.sh failed: $(tail -20 "$TMP/make.log")"

total=0
for cap in "$scen"/*.pcap; do
	name=$(basename "$cap" .pcap)
	out=$(bash "$SRC/tests/compare/compare_capture.sh" "$DPPROBE" "$cap" 2>&1) ||
		fail "$name: dpprobe and tshark disagree:
$out"
	# Outcomes as built by the scenario (dpprobe's own records this time).
	# shellcheck disable=SC2046
	run_probe 120 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$cap" -- \
		--flows "$TMP/$name.flows.jsonl" --stats "$TMP/$name.stats.jsonl" 2>/dev/null ||
		fail "$name: dpprobe exit status $?"
	/usr/bin/python3 - "$scen/$name.expect.json" "$TMP/$name.flows.jsonl" <<'PY' || fail "$name: outcomes"
import collections, json, sys
want = json.load(open(sys.argv[1]))
got = collections.Counter(json.loads(l)["outcome"] for l in open(sys.argv[2]) if l.strip())
if dict(got) != want:
    sys.exit(f"outcomes {dict(got)}, scenario built {want}")
PY
	$CHECK conservation "$TMP/$name.stats.jsonl" "$TMP/$name.flows.jsonl" >/dev/null
	echo "ok: $name: $(tail -1 <<<"$out")"
	total=$((total + 1))
done
((total >= 14)) || fail "only $total scenarios were made"

# The mixed capture carries non-TCP, fragments and crafted malformed TCP:
# each must be counted under its reason and none may create a flow.
m="$TMP/mixed.stats.jsonl"
for key in parse.non_tcp parse.fragments parse.non_ip; do
	v=$($CHECK get "$m" "$key")
	((v > 0)) || fail "mixed: $key is $v"
done
/usr/bin/python3 - "$m" <<'PY' || fail "mixed: malformed reasons"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])][-1]
mal = s["parse"]["malformed"]
need = ["tcp_doff_short", "tcp_doff_beyond_segment", "ip_len_beyond_frame", "ipv4_truncated",
        "tcp_opt_len", "ipv4_ihl_short"]
missing = [r for r in need if mal.get(r, 0) < 1]
if missing:
    sys.exit(f"malformed reasons not counted: {missing} (got {mal})")
print("mixed: malformed", mal)
PY
echo "ok: $total scenarios agree with tshark"
