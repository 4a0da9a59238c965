#!/usr/bin/env bash
# Public captures nobody here made (tests/data/public, see its README): every
# contract field of every flow must equal tshark's analysis. They cover the
# link types the contract reads (BSD loopback, raw IPv4, link type 12, Linux cooked v1),
# window scaling when only the SYN or only the SYN-ACK was captured, late FIN
# and RST retransmissions after the close (--close-linger), a sliced frame, an
# IPv4 BIG TCP frame over 64 KiB, nanosecond timestamps, and TCP inside MPLS
# and PPPoE (left out on both sides).
. "$(dirname "$0")/lib.sh"

out=$(/usr/bin/python3 "$SRC/tests/compare/public_captures.py" --dpprobe "$DPPROBE" \
	--timeout 120 --fail-on-diff --keep "$TMP/keep" "$SRC/tests/data/public" 2>&1) ||
	fail "dpprobe and tshark disagree on public captures:
$out"
n=$(grep -Ec ': tshark [0-9]+ probe [0-9]+ equal' <<<"$out" || true)
((n >= 10)) || fail "only $n public captures compared:
$out"
echo "ok: $n public captures agree with tshark: $(grep '^fields:' <<<"$out")"
