#!/usr/bin/python3
"""compare_flows.py REF.jsonl PROBE.jsonl [options]

Compares flow records field by field: REF is normally tshark_flows.py output,
PROBE is dpprobe's --flows output (the contract's JSON). Lines whose "type" is
not "flow" are ignored (stats snapshots may be mixed in); fields a side does
not define in the contract are ignored.

Matching: flows are grouped by their two endpoints (ip, port) regardless of
which one is the client, so a probe that picks the other side as client still
matches and shows up as a client/server mismatch. Within a group (port reuse
gives several flows per 4-tuple) both lists are sorted by first_ts and paired
in order; a flow whose first_ts is more than --match-window-us away from the
other side's next one is left unmatched instead of shifting every later pair.

Compared fields (contract "Flow records"):
  client.ip client.port server.ip server.port      exact (addresses normalised)
  first_ts last_ts                                 within --ts-tolerance-us (1)
  outcome rst_by                                   exact
  handshake.syn handshake.synack                   exact
  handshake.syn_to_synack_us, .synack_to_ack_us    within max(--time-tolerance-us,
                                                   --time-tolerance-pct of ref);
                                                   null only equals null
  c2s./s2c. packets payload_bytes retrans out_of_order zero_window rst fin
            win_max wscale mss sack_ok             exact
end_reason is not compared (tshark cannot know the probe's timers).

--ignore FIELD (repeatable) skips a field: a full dotted name
(c2s.out_of_order), or a last component that applies wherever it appears
(out_of_order = c2s.out_of_order and s2c.out_of_order). Use it only for
differences documented as deliberate.

Exit status: 0 all matched and equal, 1 any mismatch or unmatched flow,
2 bad input.
"""
import argparse
import ipaddress
import json
import sys

DIR_FIELDS = ["packets", "payload_bytes", "retrans", "out_of_order", "zero_window",
              "rst", "fin", "win_max", "wscale", "mss", "sack_ok"]
FIELDS = (["client.ip", "client.port", "server.ip", "server.port",
           "first_ts", "last_ts", "outcome", "rst_by",
           "handshake.syn", "handshake.synack",
           "handshake.syn_to_synack_us", "handshake.synack_to_ack_us"]
          + ["c2s." + f for f in DIR_FIELDS] + ["s2c." + f for f in DIR_FIELDS])
TS_FIELDS = {"first_ts", "last_ts"}
HS_TIME_FIELDS = {"handshake.syn_to_synack_us", "handshake.synack_to_ack_us"}
IP_FIELDS = {"client.ip", "server.ip"}
MISSING = object()


def load(path):
    flows = []
    try:
        fh = open(path)
    except OSError as e:
        sys.exit("compare_flows: %s: %s" % (path, e.strerror))
    with fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                o = json.loads(line)
            except ValueError as e:
                print("compare_flows: %s:%d: not JSON: %s" % (path, n, e), file=sys.stderr)
                sys.exit(2)
            if not isinstance(o, dict) or o.get("type") != "flow":
                continue
            try:
                ep = (norm_ip(o["client"]["ip"]), int(o["client"]["port"]))
                sp = (norm_ip(o["server"]["ip"]), int(o["server"]["port"]))
                ts = float(o["first_ts"])
            except (KeyError, TypeError, ValueError) as e:
                print("compare_flows: %s:%d: flow without usable client/server/first_ts (%s)"
                      % (path, n, e), file=sys.stderr)
                sys.exit(2)
            o["_line"] = n
            o["_key"] = tuple(sorted([ep, sp], key=lambda x: (str(x[0]), x[1])))
            o["_ts"] = ts
            flows.append(o)
    return flows


def norm_ip(s):
    try:
        return ipaddress.ip_address(str(s))
    except ValueError:
        return str(s)


def get(o, dotted):
    for part in dotted.split("."):
        if not isinstance(o, dict) or part not in o:
            return MISSING
        o = o[part]
    return o


def show(v):
    return "<missing>" if v is MISSING else json.dumps(v)


def equal(field, r, p, a):
    if r is MISSING or p is MISSING:
        return r is p
    if field in IP_FIELDS:
        return norm_ip(r) == norm_ip(p)
    if field in TS_FIELDS:
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            return False
        # In whole microseconds: a float difference of two epoch times near
        # 1.7e9 carries about 2e-7 s of rounding of its own.
        return abs(round(float(r) * 1e6) - round(float(p) * 1e6)) <= a.ts_tolerance_us
    if field in HS_TIME_FIELDS:
        if r is None or p is None:
            return r is None and p is None
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            return False
        tol = max(a.time_tolerance_us, abs(float(r)) * a.time_tolerance_pct / 100.0)
        return abs(float(r) - float(p)) <= tol + 1e-9
    if isinstance(r, bool) or isinstance(p, bool):
        return r is p
    if isinstance(r, (int, float)) and isinstance(p, (int, float)):
        return r == p
    return r == p


def ignored(field, ign):
    return field in ign or field.rsplit(".", 1)[-1] in ign


def pair_up(refs, probes, window_s):
    """In-order pairing of two first_ts-sorted lists; returns (pairs, ref_left, probe_left)."""
    refs = sorted(refs, key=lambda o: o["_ts"])
    probes = sorted(probes, key=lambda o: o["_ts"])
    pairs, rl, pl = [], [], []
    i = j = 0
    while i < len(refs) and j < len(probes):
        d = probes[j]["_ts"] - refs[i]["_ts"]
        if abs(d) <= window_s:
            pairs.append((refs[i], probes[j]))
            i += 1
            j += 1
        elif d > 0:
            rl.append(refs[i])
            i += 1
        else:
            pl.append(probes[j])
            j += 1
    rl.extend(refs[i:])
    pl.extend(probes[j:])
    return pairs, rl, pl


def label(o):
    return "%s:%s -> %s:%s first_ts %.6f (line %d)" % (
        get(o, "client.ip"), get(o, "client.port"), get(o, "server.ip"),
        get(o, "server.port"), o["_ts"], o["_line"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="see the module docstring for details")
    ap.add_argument("ref")
    ap.add_argument("probe")
    ap.add_argument("--time-tolerance-us", type=float, default=50.0,
                    help="handshake times: absolute tolerance (default 50)")
    ap.add_argument("--time-tolerance-pct", type=float, default=1.0,
                    help="handshake times: relative tolerance in %% of ref (default 1)")
    ap.add_argument("--ts-tolerance-us", type=float, default=1.0,
                    help="first_ts/last_ts tolerance (default 1)")
    ap.add_argument("--match-window-us", type=float, default=100000.0,
                    help="max first_ts distance for pairing flows (default 100000 = 0.1 s)")
    ap.add_argument("--ignore", action="append", default=[], metavar="FIELD")
    ap.add_argument("-q", "--quiet", action="store_true", help="only the summary")
    a = ap.parse_args()
    known = set(FIELDS) | {f.rsplit(".", 1)[-1] for f in FIELDS}
    for f in a.ignore:
        if f not in known:
            print("compare_flows: --ignore %s: unknown field (known: %s)"
                  % (f, " ".join(FIELDS)), file=sys.stderr)
            return 2
    ign = set(a.ignore)

    ref, probe = load(a.ref), load(a.probe)
    groups = {}
    for o in ref:
        groups.setdefault(o["_key"], ([], []))[0].append(o)
    for o in probe:
        groups.setdefault(o["_key"], ([], []))[1].append(o)

    nflows = nfields = nmis = 0
    unmatched_ref, unmatched_probe = [], []
    out = []
    for key in sorted(groups, key=lambda k: min(o["_ts"] for o in groups[k][0] + groups[k][1])):
        rs, ps = groups[key]
        pairs, rl, pl = pair_up(rs, ps, a.match_window_us * 1e-6)
        unmatched_ref += rl
        unmatched_probe += pl
        for r, p in pairs:
            nflows += 1
            diffs = []
            for f in FIELDS:
                if ignored(f, ign):
                    continue
                nfields += 1
                rv, pv = get(r, f), get(p, f)
                if not equal(f, rv, pv, a):
                    diffs.append("    %-28s ref=%s probe=%s" % (f, show(rv), show(pv)))
            if diffs:
                nmis += len(diffs)
                out.append("MISMATCH %s (probe line %d)" % (label(r), p["_line"]))
                out.extend(diffs)
    for o in sorted(unmatched_ref, key=lambda o: o["_ts"]):
        out.append("UNMATCHED in ref only:   %s outcome=%s" % (label(o), get(o, "outcome")))
    for o in sorted(unmatched_probe, key=lambda o: o["_ts"]):
        out.append("UNMATCHED in probe only: %s outcome=%s" % (label(o), get(o, "outcome")))
    if not a.quiet:
        for l in out:
            print(l)
    if unmatched_ref or unmatched_probe:
        print("unmatched flows: %d in ref only, %d in probe only"
              % (len(unmatched_ref), len(unmatched_probe)))
    if ign:
        print("ignored fields: %s" % " ".join(sorted(ign)))
    print("%d flows, %d fields compared, %d mismatches" % (nflows, nfields, nmis))
    return 1 if (nmis or unmatched_ref or unmatched_probe) else 0


if __name__ == "__main__":
    sys.exit(main())
