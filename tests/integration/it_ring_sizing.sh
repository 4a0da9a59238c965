#!/usr/bin/env bash
# The ring-sizing study end to end (scripts/ring-sizing --quick: two ring sizes,
# one burst profile): the larger ring drops less, and what the probe measured
# agrees with the model replaying the run's own arrivals and service times
# (loss within max(1e-4, 10 %), p99 sojourn within 10 %, occupancy KS <= 0.05).
# Then the study's and the probe's bad parameters: one line, exit 2.
. "$(dirname "$0")/lib.sh"

# One sweep and its checks; returns non-zero, saying why, when a check fails.
quick_sweep() {
	local out=$1 rc=0
	DPPROBE=$DPPROBE timeout --signal=KILL 300 "$SRC/scripts/ring-sizing" --quick --out "$out" \
		2>"$TMP/rs.err" || rc=$?
	cat "$TMP/rs.err"
	((rc == 0)) || { echo "ring-sizing --quick: exit status $rc"; return 1; }
	for f in points.jsonl points.csv summary.json loss_vs_ring.png occupancy_cdf.png sojourn.png; do
		[[ -s "$out/$f" ]] || { echo "ring-sizing --quick: no $f"; return 1; }
	done
	# <<- strips the leading tabs only: the Python keeps its own indentation.
	/usr/bin/python3 - "$out" <<-'PY' || return 1
	import csv, json, sys
	out = sys.argv[1]
	cols = ("ring_size,profile,rho,burst,stall_us,work_ns,offered,dropped,loss,sim_loss,occ_p50,"
	        "occ_p99,occ_max,full_frac,sojourn_p50_us,sojourn_p99_us,sim_sojourn_p99_us,ks,"
	        "cycles_per_pkt").split(",")
	rows = list(csv.DictReader(open(f"{out}/points.csv")))
	assert list(rows[0].keys()) == cols, f"CSV columns {list(rows[0].keys())}"
	assert len(rows) == 2, f"{len(rows)} points, expected 2"
	small, large = sorted(rows, key=lambda r: int(r["ring_size"]))
	assert int(small["offered"]) == int(large["offered"]) > 0
	assert float(large["loss"]) < float(small["loss"]), \
	    f"K={large['ring_size']} lost {large['loss']}, K={small['ring_size']} {small['loss']}"
	for r in rows:
	    loss, sim_loss = float(r["loss"]), float(r["sim_loss"])
	    p99, sim_p99 = float(r["sojourn_p99_us"]), float(r["sim_sojourn_p99_us"])
	    assert abs(loss - sim_loss) <= max(1e-4, 0.1 * loss), f"K={r['ring_size']} loss {loss} model {sim_loss}"
	    assert abs(p99 - sim_p99) <= 0.1 * p99, f"K={r['ring_size']} p99 {p99} model {sim_p99}"
	    assert float(r["ks"]) <= 0.05, f"K={r['ring_size']} KS {r['ks']}"
	    assert int(r["dropped"]) == round(loss * int(r["offered"]))
	    assert int(r["occ_max"]) <= int(r["ring_size"])
	summary = json.load(open(f"{out}/summary.json"))
	assert summary["targets"]["all_met"], summary["targets"]
	b = summary["profiles"]["burst"]["largest_lossless_burst"]
	assert b[small["ring_size"]] is not None and b[small["ring_size"]] >= int(small["ring_size"]), b
	print("ok: larger ring drops less (%s < %s); model agrees on both points" % (large["loss"], small["loss"]))
	PY
}

# The model replays the run's own arrivals and service times, so it agrees
# whatever the machine does; but on a shared 2-CPU machine a preemption in
# the middle of a small ring's few busy polls can move the occupancy
# distribution past KS 0.05. Up to three sweeps: the checks must all hold on
# one of them, and the failures of the others are shown.
ok=0
for attempt in 1 2 3; do
	if quick_sweep "$TMP/rs$attempt"; then
		ok=1
		break
	fi
	echo "sweep $attempt: a check failed (above); trying again" >&2
done
((ok)) || fail "ring-sizing --quick: the checks failed on three sweeps"

# Bad study parameters: one line on stderr, exit 2, before any run.
cases=(
	"--sizes 64,100|--sizes"
	"--sizes 32|--sizes"
	"--rho 1.2|--rho"
	"--profile const,square|--profile"
	"--stall-us 5|--stall"
	"--work-ns -3|--work-ns"
)
for c in "${cases[@]}"; do
	opts=${c%|*}
	must=${c#*|}
	rc=0
	# shellcheck disable=SC2086
	DPPROBE=$DPPROBE "$SRC/scripts/ring-sizing" $opts --out "$TMP/bad" >"$TMP/out" 2>"$TMP/err" || rc=$?
	((rc == 2)) || fail "ring-sizing '$opts': exit status $rc, expected 2 ($(cat "$TMP/err"))"
	[[ $(wc -l <"$TMP/err") -eq 1 ]] || fail "ring-sizing '$opts': expected one line, got: $(cat "$TMP/err")"
	grep -q -- "^ring-sizing: error: .*$must" "$TMP/err" || fail "ring-sizing '$opts': $(cat "$TMP/err")"
	[[ ! -e "$TMP/bad" ]] || fail "ring-sizing '$opts': output directory created"
	echo "ok: ring-sizing '$opts' -> $(cat "$TMP/err")"
done

# The probe's own options of the study.
cases=(
	"--load square|--load"
	"--load const --load-rate 0|--load-rate"
	"--load const --load-rate 2e7|--load-rate"
	"--load burst --load-burst 0|--load-burst"
	"--load const --work-dist gamma|--work-dist"
	"--load const --stall-us 5|--stall-us"
	"--stall-every 10|--stall-every"
	"--load-record $TMP/x.rec|--load-record"
	"--load const --dist sw|--load"
	"--load const --rxd 100|--rxd"
)
for c in "${cases[@]}"; do
	opts=${c%|*}
	must=${c#*|}
	rc=0
	# shellcheck disable=SC2046,SC2086
	run_probe 60 $(eal_args 2) -- --flows "$TMP/f.jsonl" $opts >"$TMP/out" 2>"$TMP/err" || rc=$?
	((rc == 2)) || fail "dpprobe '$opts': exit status $rc, expected 2"
	[[ $(wc -l <"$TMP/err") -eq 1 ]] || fail "dpprobe '$opts': expected one line, got: $(cat "$TMP/err")"
	grep -q -- "^dpprobe: error: .*$must" "$TMP/err" || fail "dpprobe '$opts': $(cat "$TMP/err")"
	[[ ! -e "$TMP/f.jsonl" ]] || fail "dpprobe '$opts': output created"
	echo "ok: dpprobe '$opts' -> $(cat "$TMP/err")"
done
rc=0
# shellcheck disable=SC2046
run_probe 60 $(eal_args 1) -- --flows "$TMP/f.jsonl" --load const >"$TMP/out" 2>"$TMP/err" || rc=$?
((rc == 2)) && grep -q "^dpprobe: error: --load: needs at least three lcores" "$TMP/err" ||
	fail "--load on two lcores: $rc $(cat "$TMP/err")"
echo "ok: --load on two lcores -> $(grep '^dpprobe' "$TMP/err")"
