#!/usr/bin/python3
"""Assertions of it_link_types.sh (stdlib only).

    linktype_check.py retype IN OUT LINKTYPE
        IN's records under another link type (for link types dpprobe must refuse)
    linktype_check.py sliced-edges OUT
        a crafted capture, snap length 96, of the contract's sliced-frame
        edges: to port 9200 a midstream segment of 300 payload bytes sliced to
        96 (tracked, sliced) and its ACK; to 9201 a segment whose IP length
        (1000) is beyond its wire length (354), sliced (ip_len_beyond_frame,
        no flow); to 9202 a segment whose IP and TCP options run past the 96
        captured bytes (malformed, no flow)
    linktype_check.py run CAPTURE RUNDIR [--orig ORIGDIR] [--linktype N]
                          [--snaplen S] [--header-cut H] [--min-payload-bytes B]
                          [--outcomes JSON]
        checks one compare_capture.sh run on CAPTURE, whose COMPARE_KEEP_DIR
        was RUNDIR (probe.jsonl, stats.jsonl, ref.jsonl):
        - the file has link type N and snap length S, when given;
        - tshark found flows on it: as many as on the original (ORIGDIR, the
          run on the Ethernet capture CAPTURE was made from), only those of
          its IP version for link types 228 and 229; so a probe that reads
          nothing cannot agree with a tshark that reads nothing;
        - parse.sliced in the final snapshot equals the number of frames
          tshark counted whose captured length is below their wire length,
          is > 0 when records were sliced, and is 0 on an unsliced file;
        - with H given (relink.py's count of TCP segments cut inside their IP
          or TCP header), parse.malformed counts H frames more than on the
          original (none more without ORIGDIR), unless --malformed is given;
        - with ORIGDIR and H == 0, dpprobe's flow records are those it wrote
          for the original (lcore and queue aside): the link type and the
          slicing change nothing; with H > 0, tshark still uses the cut
          frames in its analysis (tshark_flows.py, difference 1) and the
          run was compared without retrans and out_of_order: their sum per
          direction must still equal tshark's;
        - with B, the flows' payload_bytes add up to at least B, and with
          ORIGDIR and H == 0 to what tshark gives on the original;
        - with JSON ({"completed": 5}), the flows have those outcomes;
        - with --malformed JSON ({"tcp_opt_len": 1, "*": 2}), those
          parse.malformed counts ("*": their total).
Prints one summary line; exit status 1 with the reason on failure.
"""
import argparse
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import pcapio  # noqa: E402

LINKTYPE_IPV4, LINKTYPE_IPV6 = 228, 229


def fail(msg):
    print("linktype_check: FAIL: %s" % msg, file=sys.stderr)
    sys.exit(1)


def jsonl(path, typ):
    with open(path, encoding="utf-8") as f:
        objs = [json.loads(line) for line in f if line.strip()]
    return [o for o in objs if o.get("type") == typ]


def final_stats(rundir):
    snaps = jsonl(os.path.join(rundir, "stats.jsonl"), "stats")
    if not snaps or not snaps[-1].get("final"):
        fail("%s: no final stats snapshot" % rundir)
    return snaps[-1]


def of_version(flows, linktype):
    if linktype == LINKTYPE_IPV4:
        return [f for f in flows if ":" not in f["client"]["ip"]]
    if linktype == LINKTYPE_IPV6:
        return [f for f in flows if ":" in f["client"]["ip"]]
    return flows


def flow_key(f):
    return (f["client"]["ip"], f["client"]["port"], f["server"]["ip"], f["server"]["port"])


def canon(flows):
    out = []
    for f in flows:
        f = {k: v for k, v in f.items() if k not in ("lcore", "queue")}
        out.append(json.dumps(f, sort_keys=True))
    return sorted(out)


def first_difference(want, got):
    """A short description of the first differing field of two flow lists."""
    for a, b in zip(want, got):
        if a == b:
            continue
        a, b = json.loads(a), json.loads(b)
        diffs = []

        def walk(x, y, path):
            if isinstance(x, dict) and isinstance(y, dict):
                for k in sorted(set(x) | set(y)):
                    walk(x.get(k), y.get(k), path + [k])
            elif x != y:
                diffs.append("%s: %r != %r" % (".".join(path), x, y))
        walk(a, b, [])
        return "flow %s:%s: %s" % (a["client"]["ip"], a["client"]["port"], "; ".join(diffs[:4]))
    return "%d records vs %d" % (len(want), len(got))


def check_run(a):
    lt, snap = pcapio.header(a.capture)
    name = os.path.basename(a.capture)
    if a.linktype is not None and lt != a.linktype:
        fail("%s: link type %s, expected %d" % (name, lt, a.linktype))
    if a.snaplen is not None and snap != a.snaplen:
        fail("%s: snap length %s, expected %d" % (name, snap, a.snaplen))
    cut = sum(1 for r in pcapio.read(a.capture) if len(r.data) < r.orig_len)
    ref = jsonl(os.path.join(a.rundir, "ref.jsonl"), "flow")
    probe = jsonl(os.path.join(a.rundir, "probe.jsonl"), "flow")
    stats = final_stats(a.rundir)
    if a.orig:
        want_ref = of_version(jsonl(os.path.join(a.orig, "ref.jsonl"), "flow"), lt)
        if len(ref) != len(want_ref):
            fail("%s: tshark finds %d flows, %d on the original capture"
                 % (name, len(ref), len(want_ref)))
    if not ref and not (a.orig and not want_ref):
        fail("%s: tshark finds no flow: nothing was compared" % name)
    parse = stats.get("parse", {})
    if "sliced" not in parse:
        fail("%s: the stats have no parse.sliced (parse: %s)" % (name, json.dumps(parse)))
    sliced = parse["sliced"]
    want_sliced = sum(f.get("tshark_sliced", 0) for f in ref)
    if sliced != want_sliced:
        fail("%s: parse.sliced %d, tshark counted %d sliced frames (%d records cut)"
             % (name, sliced, want_sliced, cut))
    if cut and not sliced and any(f["c2s"]["payload_bytes"] + f["s2c"]["payload_bytes"]
                                  for f in ref):
        fail("%s: %d records were cut, yet no frame counted as sliced" % (name, cut))
    if not cut and sliced:
        fail("%s: parse.sliced %d on a file with no sliced record" % (name, sliced))
    malformed = sum(parse.get("malformed", {}).values())
    orig_malformed = 0
    if a.orig:
        orig_malformed = sum(final_stats(a.orig)["parse"].get("malformed", {}).values())
    if (a.header_cut is not None and a.malformed is None
            and malformed - orig_malformed != a.header_cut):
        fail("%s: %d malformed frames (%d on the original), but %d TCP segments were cut "
             "inside their headers: %s" % (name, malformed, orig_malformed, a.header_cut,
                                           json.dumps(parse.get("malformed"))))
    same = "-"
    if a.orig and not a.header_cut:
        want = canon(of_version(jsonl(os.path.join(a.orig, "probe.jsonl"), "flow"), lt))
        got = canon(probe)
        if want != got:
            fail("%s: flow records differ from the original capture's: %s"
                 % (name, first_difference(want, got)))
        same = "same records as the original"
    elif a.header_cut:
        by_key = {}
        for f in sorted(ref, key=lambda f: f["first_ts"]):
            by_key.setdefault(flow_key(f), []).append(f)
        for f in sorted(probe, key=lambda f: f["first_ts"]):
            r = by_key.get(flow_key(f), [None]).pop(0) if by_key.get(flow_key(f)) else None
            for d in ("c2s", "s2c"):
                if r is None or (f[d]["retrans"] + f[d]["out_of_order"]
                                 != r[d]["retrans"] + r[d]["out_of_order"]):
                    fail("%s: %s retrans + out_of_order differ from tshark's: %s vs %s"
                         % (name, d, f[d], r and r[d]))
        same = "%d headers cut, malformed %s" % (a.header_cut, json.dumps(parse["malformed"]))
    total = sum(f["c2s"]["payload_bytes"] + f["s2c"]["payload_bytes"] for f in probe)
    if a.min_payload_bytes is not None:
        if total < a.min_payload_bytes:
            fail("%s: payload_bytes add up to %d, expected at least %d"
                 % (name, total, a.min_payload_bytes))
        if a.orig and not a.header_cut:
            oref = of_version(jsonl(os.path.join(a.orig, "ref.jsonl"), "flow"), lt)
            want = sum(f["c2s"]["payload_bytes"] + f["s2c"]["payload_bytes"] for f in oref)
            if total != want:
                fail("%s: payload_bytes add up to %d, tshark gives %d on the original"
                     % (name, total, want))
    if a.malformed is not None:
        got = dict(parse.get("malformed", {}), **{"*": malformed})
        for reason, n in json.loads(a.malformed).items():
            if got.get(reason, 0) != n:
                fail("%s: parse.malformed %s, expected %s" % (name, json.dumps(got), a.malformed))
    if a.outcomes is not None:
        got = dict(collections.Counter(f["outcome"] for f in probe))
        if got != json.loads(a.outcomes):
            fail("%s: outcomes %s, expected %s" % (name, json.dumps(got), a.outcomes))
    print("%s: link type %s snaplen %s: %d flows, %d payload bytes, %d records cut, "
          "parse.sliced %d, %s" % (name, lt, snap, len(probe), total, cut, sliced, same))


def sliced_edges(out):
    sys.path.insert(0, os.path.join(HERE, "..", "scenarios"))
    import craft  # the frame builders of the crafted malformed frames
    a, b = "198.18.0.111", "198.18.0.112"
    ack_psh = craft.ACK | craft.PSH
    body = bytes(range(256)) + bytes(44)
    frames = [
        craft.eth(craft.ipv4(a, b, 6, craft.tcp(a, b, 40100, 9200, 1000, 5000, ack_psh, body))),
        craft.eth(craft.ipv4(b, a, 6, craft.tcp(b, a, 9200, 40100, 5000, 1300, craft.ACK))),
        craft.eth(craft.ipv4(a, b, 6, craft.tcp(a, b, 40101, 9201, 1000, 5000, ack_psh, body),
                             total_len=1000)),
        craft.eth(craft.ipv4(a, b, 6, craft.tcp(a, b, 40102, 9202, 1000, 5000, ack_psh, body,
                                                opts=bytes([1] * 40)),
                             ihl=15, opts=bytes([1] * 40))),
    ]
    t = 1800000000
    pcapio.write(out, [(t, 1000 * i, f, len(f)) for i, f in enumerate(frames)],
                 pcapio.LINKTYPE_ETHERNET, snaplen=96)


def main():
    ap = argparse.ArgumentParser(description="it_link_types assertions")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("retype")
    r.add_argument("input")
    r.add_argument("output")
    r.add_argument("linktype", type=int)
    c = sub.add_parser("run")
    c.add_argument("capture")
    c.add_argument("rundir")
    c.add_argument("--orig")
    c.add_argument("--linktype", type=int)
    c.add_argument("--snaplen", type=int)
    c.add_argument("--header-cut", type=int)
    c.add_argument("--min-payload-bytes", type=int)
    c.add_argument("--outcomes")
    c.add_argument("--malformed")
    e = sub.add_parser("sliced-edges")
    e.add_argument("output")
    a = ap.parse_args()
    if a.cmd == "retype":
        pcapio.write(a.output, pcapio.read(a.input), a.linktype)
    elif a.cmd == "sliced-edges":
        sliced_edges(a.output)
    else:
        check_run(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
