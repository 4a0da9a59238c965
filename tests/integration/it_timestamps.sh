#!/usr/bin/env bash
# Capture times the contract pins down, against tshark: a capture dated
# after 2038 (pcap's seconds are unsigned 32-bit: no wrap to 2487, no
# negative time), and a handshake whose SYN-ACK is stamped before its SYN
# (times that go backwards: the interval is reported negative, as measured,
# not null).
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 - "$SRC/tests/lib" "$DEMO_PCAP" "$TMP" <<'PY' || fail "making the captures"
import sys
sys.path.insert(0, sys.argv[1])
import pcapio
recs = list(pcapio.read(sys.argv[2]))
# 2040-01-01 is 2208988800 s: above 2^31, below 2^32.
shift = 2208988800 - recs[0].ts_sec
pcapio.write(f"{sys.argv[3]}/y2040.pcap",
             [(r.ts_sec + shift, r.ts_usec, r.data, r.orig_len) for r in recs], pcapio.LINKTYPE_ETHERNET)
# The first SYN-ACK gets a time 500 us before the SYN it answers.
def flags(d):
    return d[14 + (d[14] & 0xf) * 4 + 13] if len(d) > 54 and d[12:14] == b"\x08\x00" and d[23] == 6 else 0
out, syn_t, done = [], None, False
for r in recs:
    t = r.ts_sec * 1000000 + r.ts_usec
    f = flags(r.data)
    if f & 0x12 == 0x02 and syn_t is None:
        syn_t = t
    if f & 0x12 == 0x12 and syn_t is not None and not done:
        t, done = syn_t - 500, True
    out.append((t // 1000000, t % 1000000, r.data, r.orig_len))
pcapio.write(f"{sys.argv[3]}/backwards.pcap", out, pcapio.LINKTYPE_ETHERNET)
PY

for name in y2040 backwards; do
	out=$(bash "$SRC/tests/compare/compare_capture.sh" "$DPPROBE" "$TMP/$name.pcap" 2>&1) ||
		fail "$name: dpprobe and tshark disagree:
$out"
	# shellcheck disable=SC2046
	run_probe 60 $(eal_args 1) --vdev "net_pcap0,rx_pcap=$TMP/$name.pcap" -- \
		--flows "$TMP/$name.jsonl" 2>/dev/null || fail "$name: exit status $?"
	echo "ok: $name: $(tail -1 <<<"$out")"
done
/usr/bin/python3 - "$TMP/y2040.jsonl" "$TMP/backwards.jsonl" <<'PY' || fail "times"
import json, sys
y = [json.loads(l) for l in open(sys.argv[1])]
if not y or not all(2208988800 <= r["first_ts"] < 2208988800 + 86400 for r in y):
    sys.exit(f"2040 capture: first_ts {[r['first_ts'] for r in y]}")
b = [json.loads(l) for l in open(sys.argv[2])]
neg = [r["handshake"]["syn_to_synack_us"] for r in b
       if r["handshake"]["syn_to_synack_us"] is not None and r["handshake"]["syn_to_synack_us"] < 0]
if neg != [-500.0]:
    sys.exit(f"backwards: negative syn_to_synack_us {neg}, expected [-500.0]")
print(f"times: {len(y)} flows in 2040, one SYN-ACK 500 us before its SYN")
PY
echo "ok: timestamps after 2038 and going backwards"
