#!/usr/bin/env bash
# The probe on malformed and unusual captures (tests/data/malformed/, see its
# README): each run exits 0 (the file was read: the final snapshot is there
# and the contract's conservation holds) or 2 (refused at start-up: exactly
# one "dpprobe: error:" line naming the file), never a crash, a sanitizer
# abort or a hang (each run is bounded to 60 s).
. "$(dirname "$0")/lib.sh"

dir="$SRC/tests/data/malformed"
n=0
bad=()
for f in "$dir"/*.pcap "$dir"/*.pcapng; do
	[[ -f "$f" ]] || continue
	n=$((n + 1))
	name=$(basename "$f")
	rc=0
	# shellcheck disable=SC2046
	{
		run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$f" -- \
			--flows "$TMP/$name.flows" --stats "$TMP/$name.stats" \
			>/dev/null 2>"$TMP/$name.err"
	} 2>/dev/null || rc=$?
	case $rc in
	0)
		if $CHECK conservation "$TMP/$name.stats" "$TMP/$name.flows" >/dev/null 2>"$TMP/$name.chk"; then
			echo "ok: $name: read"
		else
			bad+=("$name: exit 0 but $(cat "$TMP/$name.chk")")
		fi
		;;
	2)
		errs=$(grep -c '^dpprobe: error:' "$TMP/$name.err" || true)
		if [[ "$errs" == 1 ]] && grep '^dpprobe: error:' "$TMP/$name.err" | grep -qF "$name"; then
			echo "ok: $name: refused ($(grep -m1 '^dpprobe: error:' "$TMP/$name.err" | cut -c1-120))"
		else
			bad+=("$name: exit 2 with $errs \"dpprobe: error:\" lines, not one naming the file")
		fi
		;;
	137)
		bad+=("$name: killed after 60 s (hang)")
		;;
	*)
		bad+=("$name: exit $rc$( ((rc > 128)) && echo " (signal $((rc - 128)))"): $(grep -m1 -E 'dpprobe|ERROR|SEGV' "$TMP/$name.err" || true)")
		;;
	esac
done
((n >= 10)) || fail "only $n captures in $dir"
if ((${#bad[@]})); then
	printf 'FAIL: %s\n' "${bad[@]}" >&2
	exit 1
fi
echo "ok: $n malformed captures, no crash, no hang"
