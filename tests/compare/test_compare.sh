#!/bin/bash
# test_compare.sh [CAPDIR]
#
# Self-test of the reference and the comparer. For every CAPDIR/*.pcap (and
# tests/data/demo.pcap):
#   1. tshark_flows.py CAPTURE > ref.jsonl succeeds and gives >= 1 flow;
#   2. compare_flows.py ref ref exits 0 with 0 mismatches;
#   3. a copy with ONE field of one flow changed (a different field for each
#      capture, rotating through all compared fields) makes it exit 1;
#   4. a copy with one flow removed makes it exit 1 (unmatched flow);
#   5. when NAME.expect.json exists beside the capture, the outcome counts of ref.jsonl
#      equal it.
# Without CAPDIR the scenarios are generated first into a temporary directory
# with ../scenarios/make_scenarios.sh (needs root). Exit 0 when all pass.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/dppcmp$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

if [ $# -ge 1 ]; then
    CAPDIR=$1
else
    CAPDIR=$TMP/scen
    "$HERE/../scenarios/make_scenarios.sh" "$CAPDIR" >"$TMP/make.log" 2>&1 || {
        cat "$TMP/make.log"; echo "FAIL: make_scenarios.sh"; exit 1; }
fi

caps=("$CAPDIR"/*.pcap)
[ -e "${caps[0]}" ] || { echo "no captures in $CAPDIR"; exit 1; }
[ -e "$HERE/../data/demo.pcap" ] && caps+=("$HERE/../data/demo.pcap")

fail=0
i=0
for cap in "${caps[@]}"; do
    name=$(basename "$cap" .pcap)
    before=$fail
    ref=$TMP/$name.ref.jsonl
    if ! $PY "$HERE/tshark_flows.py" "$cap" >"$ref" 2>"$TMP/err"; then
        echo "FAIL $name: tshark_flows.py: $(cat "$TMP/err")"; fail=1; continue
    fi
    n=$(grep -c '"type": "flow"' "$ref")
    if [ "$n" -lt 1 ]; then echo "FAIL $name: no flows"; fail=1; continue; fi

    if ! $PY "$HERE/compare_flows.py" -q "$ref" "$ref" >"$TMP/out" 2>&1; then
        echo "FAIL $name: self-compare: $(cat "$TMP/out")"; fail=1
    fi

    # one field changed, rotating through the compared fields
    field=$($PY - "$ref" "$TMP/alt.jsonl" "$i" <<'EOF'
import json, sys
ref, alt, i = sys.argv[1], sys.argv[2], int(sys.argv[3])
FIELDS = ["outcome", "c2s.packets", "s2c.payload_bytes", "handshake.syn",
          "first_ts", "last_ts", "c2s.win_max", "s2c.rst", "c2s.fin", "rst_by",
          "handshake.syn_to_synack_us", "s2c.retrans", "c2s.out_of_order",
          "s2c.zero_window", "c2s.mss", "s2c.wscale", "c2s.sack_ok",
          "server.port", "client.ip", "handshake.synack", "handshake.synack_to_ack_us"]
flows = [json.loads(l) for l in open(ref)]
k = len(flows) // 2
f = FIELDS[i % len(FIELDS)]
o = flows[k]
*path, leaf = f.split(".")
for p in path:
    o = o[p]
v = o[leaf]
if leaf == "outcome":
    o[leaf] = "established" if v != "established" else "completed"
elif leaf == "rst_by":
    o[leaf] = "client" if v != "client" else "server"
elif leaf == "sack_ok":
    o[leaf] = not v
elif leaf.endswith("_ts"):
    o[leaf] = v + 0.000005
elif leaf.endswith("_us"):
    o[leaf] = 1000.0 if v is None else v + max(60.0, v * 0.02)
elif leaf == "ip":
    o[leaf] = "198.19.255.254"
elif v is None:
    o[leaf] = 3
else:
    o[leaf] = v + 1
with open(alt, "w") as fh:
    for fl in flows:
        fh.write(json.dumps(fl) + "\n")
print(f)
EOF
)
    i=$((i + 1))
    $PY "$HERE/compare_flows.py" "$ref" "$TMP/alt.jsonl" >"$TMP/out" 2>&1
    rc=$?
    if [ $rc != 1 ]; then
        echo "FAIL $name: altered $field not detected (rc=$rc)"; cat "$TMP/out"; fail=1
    fi

    # one flow removed
    sed '1d' "$ref" >"$TMP/drop.jsonl"
    $PY "$HERE/compare_flows.py" -q "$ref" "$TMP/drop.jsonl" >"$TMP/out" 2>&1
    rc=$?
    if [ $rc != 1 ]; then echo "FAIL $name: removed flow not detected (rc=$rc)"; fail=1; fi

    exp=${cap%.pcap}.expect.json
    got=$($PY -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["outcome"] for l in open(sys.argv[1]))
print(json.dumps(dict(sorted(c.items())), separators=(",", ":")))' "$ref")
    if [ -e "$exp" ]; then
        want=$($PY -c 'import json,sys; print(json.dumps(dict(sorted(json.load(open(sys.argv[1])).items())), separators=(",", ":")))' "$exp")
        if [ "$got" != "$want" ]; then
            echo "FAIL $name: outcomes $got, expected $want"; fail=1
        fi
    fi
    [ $fail = $before ] && st=ok || st=FAIL
    printf '%-4s %-18s %3d flows %-34s altered %s\n' "$st" "$name" "$n" "$got" "$field"
done
if [ $fail = 0 ]; then echo "PASS test_compare.sh"; else echo "FAIL test_compare.sh"; fi
exit $fail
