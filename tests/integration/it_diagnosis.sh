#!/usr/bin/env bash
# Diagnosis on real kernel TCP: make every diagnosis scenario fresh
# (tests/scenarios/diag_scenarios.sh: namespaces, veth, tcpdump, and the
# ground truth of the applications and the kernels), read each capture through
# net_pcap with the options the scenario needs, and check every flow's
# diagnosis and the services in the final snapshot against the truth
# (check_diagnosis.py). All scenarios are checked before the test fails.
. "$(dirname "$0")/lib.sh"
DIAG="/usr/bin/python3 $SRC/tests/integration/check_diagnosis.py"

# DPP_DIAG_DIR: check the captures and truths already there instead of making them
# DPP_DIAG_SCENARIOS: make only these scenarios
scen=${DPP_DIAG_DIR:-$TMP/diag}
if [[ -z "${DPP_DIAG_DIR:-}" ]]; then
	# shellcheck disable=SC2086
	bash "$SRC/tests/scenarios/diag_scenarios.sh" "$scen" ${DPP_DIAG_SCENARIOS:-} >"$TMP/make.log" 2>&1 ||
		fail "diag_scenarios.sh failed: $(tail -20 "$TMP/make.log")"
fi

shopt -s nullglob
truths=("$scen"/*.truth.json)
((${#truths[@]} > 0)) || fail "no truth files in $scen"
bad=0
runs=0
for truth in "${truths[@]}"; do
	name=$(basename "$truth" .truth.json)
	while read -r run args; do
		out="$TMP/$name.$run"
		runs=$((runs + 1))
		# shellcheck disable=SC2046,SC2086
		if ! run_probe 120 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$scen/$name.pcap" -- \
			--flows "$out.flows.jsonl" --stats "$out.stats.jsonl" $args 2>"$out.err"; then
			echo "FAIL: $name/$run: dpprobe $args: $(tail -1 "$out.err")"
			bad=$((bad + 1))
			continue
		fi
		$CHECK conservation "$out.stats.jsonl" "$out.flows.jsonl" >/dev/null ||
			{ bad=$((bad + 1)); continue; }
		$DIAG check "$truth" "$run" "$out.flows.jsonl" "$out.stats.jsonl" || bad=$((bad + 1))
	done < <($DIAG runs "$truth")
done
[[ -n "${DPP_DIAG_SCENARIOS:-}${DPP_DIAG_DIR:-}" ]] || ((runs >= 16)) || fail "only $runs runs were made"
((bad == 0)) || fail "$bad of $runs diagnosis runs failed"
echo "ok: $runs diagnosis runs agree with the applications and the kernels"
