#!/usr/bin/env bash
# Capture files and outputs at their edges (issue 8, item 5):
#  (a) a capture cut in the middle of a record, classic pcap and pcapng
#      (part a-pcapng): every complete record is read (parse.packets),
#      exactly one "dpprobe: warning:" line naming the file and saying it is
#      truncated, exit 0, a clean stop (one final snapshot, conservation);
#  (b) --flows on a full disk (a 16 KiB tmpfs): exit 1, exactly one
#      "dpprobe: error:" line naming that output, within a bounded time,
#      and the stats file elsewhere still gets its final snapshot;
#  (c) the same for --stats on the full disk: exit 1, one error line naming
#      it, bounded time, and the flows file elsewhere holds only whole records;
#  (d) the demo capture as raw IP (link type 101, what tcpdump writes on a
#      tun device; libpcap reports it as DLT_RAW, 12 on Linux) is read, not
#      refused, and gives the same flow records as the Ethernet original;
#  (e) a pcapng whose two interfaces have different link types
#      (tests/data/malformed/two-link-types.pcapng: libpcap stops at the
#      second one) is not read short in silence: refused at start-up (exit 2,
#      one error line naming it), or every record read, or one warning line
#      naming it.
# Each part is reported on its own; the test fails if any part fails.
. "$(dirname "$0")/lib.sh"

EDGES="/usr/bin/python3 $SRC/tests/integration/capture_edges.py"
MNT="$TMP/full"
LIMIT_S=60 # a failed output must stop the probe well within this

cleanup() {
	if mountpoint -q "$MNT" 2>/dev/null; then
		umount "$MNT" || umount -l "$MNT"
	fi
	it_cleanup
}
trap cleanup EXIT

failed=()
part_fail() { # part message
	echo "part $1: FAIL: $2" >&2
	failed+=("$1")
}

# run_capture NAME CAPTURE [probe options...]: sets rc and secs; stderr in $TMP/NAME.err.
run_capture() {
	local name=$1 cap=$2 t0 t1
	shift 2
	t0=$(date +%s%N)
	rc=0
	# shellcheck disable=SC2046
	{
		run_probe $((LIMIT_S + 30)) $(eal_args 1) --vdev "net_pcap0,rx_pcap=$cap" -- "$@" \
			>/dev/null 2>"$TMP/$name.err"
	} 2>/dev/null || rc=$?
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 1000000000))
}

# one_line NAME PREFIX PATTERN...: exactly one stderr line starts with PREFIX
# and it contains every fixed-string PATTERN (case-insensitive for words).
one_line() {
	local name=$1 prefix=$2 lines n
	shift 2
	lines=$(grep "^$prefix" "$TMP/$name.err" || true)
	n=$(grep -c "^$prefix" "$TMP/$name.err" || true)
	if [[ "$n" != 1 ]]; then
		echo "$n lines start with '$prefix' (want 1): $(head -c 300 "$TMP/$name.err" | tr '\n' '|')"
		return 1
	fi
	for p in "$@"; do
		if ! grep -qiF -- "$p" <<<"$lines"; then
			echo "'$lines' does not say '$p'"
			return 1
		fi
	done
}

# (a) A truncated capture, classic pcap and pcapng (what dumpcap writes).
part_a() { # part source
	local part=$1 src=$2 cut n got msg
	cut="$TMP/cut-$part.${src##*.}"
	n=$($EDGES cut "$src" "$cut")
	[[ $($EDGES complete "$cut") == "$n" ]] || { part_fail "$part" "reader disagrees"; return; }
	run_capture "$part" "$cut" --flows "$TMP/$part.flows" --stats "$TMP/$part.stats"
	((rc == 0)) || { part_fail "$part" "exit status $rc ($(head -c 300 "$TMP/$part.err"))"; return; }
	got=$($CHECK get "$TMP/$part.stats" parse.packets 2>&1) ||
		{ part_fail "$part" "no final snapshot: $got"; return; }
	[[ "$got" == "$n" ]] ||
		{ part_fail "$part" "parse.packets $got, the file has $n complete records"; return; }
	msg=$($CHECK snapshots "$TMP/$part.stats" 2>&1 >/dev/null) || { part_fail "$part" "$msg"; return; }
	msg=$($CHECK conservation "$TMP/$part.stats" "$TMP/$part.flows" 2>&1 >/dev/null) ||
		{ part_fail "$part" "$msg"; return; }
	if grep -q '^dpprobe: error:' "$TMP/$part.err"; then
		part_fail "$part" "an error line: $(grep -m1 '^dpprobe: error:' "$TMP/$part.err")"
		return
	fi
	msg=$(one_line "$part" 'dpprobe: warning:' "$cut" truncat) || { part_fail "$part" "$msg"; return; }
	echo "part $part: ok: $n complete records of ${src##*/} read, one warning, exit 0"
}

# A 16 KiB tmpfs with FREE_KIB of it left (tmpfs counts whole 4 KiB pages).
full_disk() {
	local free_kib=$1
	mkdir -p "$MNT"
	mountpoint -q "$MNT" && umount "$MNT"
	mount -t tmpfs -o size=16k,mode=0755 dpp-full "$MNT" || fail "cannot mount a tmpfs on $MNT"
	head -c $(((16 - free_kib) * 1024)) /dev/zero >"$MNT/filler" || fail "cannot fill $MNT"
}

# (b) --flows on a full disk; (c) --stats on a full disk. Every condition is
# checked and each one that fails is said.
part_full() { # part full-output
	local part=$1 out=$2 msg bad=0
	if ((rc == 137)); then
		part_fail "$part" "no stop within $((LIMIT_S + 30)) s (killed)"
		return
	fi
	((secs <= LIMIT_S)) || { part_fail "$part" "took $secs s (limit $LIMIT_S)"; bad=1; }
	((rc == 1)) || { part_fail "$part" "exit status $rc, want 1 ($(head -c 300 "$TMP/$part.err"))"; bad=1; }
	msg=$(one_line "$part" 'dpprobe: error:' "$out") || { part_fail "$part" "$msg"; bad=1; }
	if [[ $part == b ]]; then
		msg=$($CHECK snapshots "$TMP/b.stats" 2>&1 >/dev/null) ||
			{ part_fail b "the stats file elsewhere: $msg"; bad=1; }
	else
		msg=$($EDGES jsonl "$TMP/c.flows" flow 2>&1 >/dev/null) ||
			{ part_fail c "the flows file elsewhere: $msg"; bad=1; }
	fi
	((bad)) || echo "part $part: ok: exit 1 in $secs s, one error line naming $out"
}

$EDGES flows "$TMP/many.pcap" 3000

part_a a "$DEMO_PCAP"
$EDGES pcapng "$DEMO_PCAP" "$TMP/demo.pcapng" >/dev/null
part_a a-pcapng "$TMP/demo.pcapng"

full_disk 4
run_capture b "$TMP/many.pcap" --flows "$MNT/flows.jsonl" --stats "$TMP/b.stats"
part_full b "$MNT/flows.jsonl"
umount "$MNT"

full_disk 0
run_capture c "$TMP/many.pcap" --flows "$TMP/c.flows" --stats "$MNT/stats.jsonl" --stats-interval 0.2
part_full c "$MNT/stats.jsonl"
umount "$MNT"

# (d) Raw IP (LINKTYPE_RAW 101).
part_d() {
	local n msg
	n=$($EDGES raw "$DEMO_PCAP" "$TMP/raw.pcap")
	run_capture d-eth "$DEMO_PCAP" --flows "$TMP/d-eth.flows" --stats "$TMP/d-eth.stats"
	((rc == 0)) || { part_fail d "the Ethernet demo: exit status $rc"; return; }
	run_capture d "$TMP/raw.pcap" --flows "$TMP/d.flows" --stats "$TMP/d.stats"
	((rc == 0)) || { part_fail d "exit status $rc ($(grep -m1 '^dpprobe:' "$TMP/d.err"))"; return; }
	[[ $($CHECK get "$TMP/d.stats" parse.packets) == "$n" ]] ||
		{ part_fail d "parse.packets $($CHECK get "$TMP/d.stats" parse.packets), $n frames"; return; }
	msg=$($CHECK same-flows "$TMP/d-eth.flows" "$TMP/d.flows" 2>&1) || { part_fail d "$msg"; return; }
	echo "part d: ok: raw IP read, $msg"
}
part_d

# (e) Two link types in one pcapng.
part_e() {
	local f="$SRC/tests/data/malformed/two-link-types.pcapng" got msg
	run_capture e "$f" --flows "$TMP/e.flows" --stats "$TMP/e.stats"
	if ((rc == 2)); then
		msg=$(one_line e 'dpprobe: error:' "$f") || { part_fail e "exit 2: $msg"; return; }
		echo "part e: ok: refused at start-up"
		return
	fi
	((rc == 0)) || { part_fail e "exit status $rc"; return; }
	got=$($CHECK get "$TMP/e.stats" parse.packets)
	if [[ "$got" == 4 ]]; then
		echo "part e: ok: all 4 records read"
	elif msg=$(one_line e 'dpprobe: warning:' "$f"); then
		echo "part e: ok: $got of 4 records read, with a warning"
	else
		part_fail e "$got of 4 records read, exit 0, and no warning ($msg)"
	fi
}
part_e

if ((${#failed[@]})); then
	fail "parts: $(printf '%s\n' "${failed[@]}" | sort -u | tr '\n' ' ')"
fi
echo "ok: truncated capture, full disk for --flows and for --stats, raw IP, two link types"
