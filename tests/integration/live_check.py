#!/usr/bin/env python3
"""Checks of the live interfaces against the stats snapshots (stdlib only).

    live_check.py prom-api URL STATS       every dpprobe series a Prometheus server holds equals
                                           the JSON snapshot of the same ts, and the final one
    live_check.py scrape FILE STATS        a text scrape equals the JSON snapshot of its ts
    live_check.py telemetry PREFIX STATS   every /dpprobe/ telemetry command equals the JSON
                                           snapshot of the same ts (and the final one)
    live_check.py wait-prom URL EXPR N T   wait (at most T s) until EXPR's value is N

What each metric must be is derived here from the snapshot's JSON and from
stats/metrics.def (scalars: name, group and key), so a metric whose JSON
key drifted, a missing series or an extra one fails.
"""
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

SRC = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Fields that move while the probe idles (every poll counts): compared with
# the snapshot of the same ts only, not with the final one.
MOVING = {"dpprobe_snapshot_timestamp_seconds", "dpprobe_rx_polls_total",
          "dpprobe_rx_empty_polls_total", "dpprobe_rx_burst_packets_bucket",
          "dpprobe_rx_burst_packets_count", "dpprobe_lcore_busy_ratio"}


def fail(msg):
    print(f"live_check: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def metrics_def():
    text = open(f"{SRC}/stats/metrics.def").read()
    scalars = re.findall(r"^DPP_SCALAR\((\w+), (\w+), (\w+), (\w+),", text, re.M)
    families = re.findall(r"^DPP_FAMILY\((\w+), (\w+), (\w+),", text, re.M)
    return scalars, families


def snapshots(path, need_final=True):
    out = []
    for line in open(path, encoding="utf-8"):
        if line.strip():
            o = json.loads(line)
            if o.get("type") == "stats":
                out.append(o)
    if not out or (need_final and not out[-1]["final"]):
        fail(f"{path}: no final snapshot")
    return out


def key(name, **labels):
    return (name, tuple(sorted((k, str(v)) for k, v in labels.items())))


def malformed_reasons():
    return re.findall(r"^DPP_MALFORMED\((\w+),", open(f"{SRC}/tcpparse/malformed.def").read(),
                      re.M)


def expected(snap):
    """Every sample /metrics must show for this snapshot."""
    scalars, _ = metrics_def()
    e = {key("dpprobe_snapshot_timestamp_seconds"): snap["ts"]}
    for p in snap["ports"]:
        port = p["port"]
        for name, field in (("dpprobe_port_received_packets_total", "ipackets"),
                            ("dpprobe_rx_bytes_total", "ibytes"),
                            ("dpprobe_rx_missed_packets_total", "imissed"),
                            ("dpprobe_rx_errors_total", "ierrors"),
                            ("dpprobe_rx_nombuf_total", "rx_nombuf")):
            e[key(name, port=port)] = p[field]
        for q in p["queues"]:
            lab = {"port": port, "queue": q["queue"]}
            b = q["bursts"]
            e[key("dpprobe_rx_packets_total", **lab)] = q["packets"]
            e[key("dpprobe_rx_ring_size_descriptors", **lab)] = q["ring_size"]
            e[key("dpprobe_rx_polls_total", **lab)] = b["polls"]
            e[key("dpprobe_rx_empty_polls_total", **lab)] = b["empty"]
            e[key("dpprobe_rx_full_polls_total", **lab)] = b["full"]
            hist = b["hist"]
            burst = len(hist) - 1
            le = 0
            while True:
                e[key("dpprobe_rx_burst_packets_bucket", le=le, **lab)] = sum(hist[:le + 1])
                if le >= burst:
                    break
                le = 1 if le == 0 else min(2 * le, burst)
            e[key("dpprobe_rx_burst_packets_bucket", le="+Inf", **lab)] = b["polls"]
            e[key("dpprobe_rx_burst_packets_sum", **lab)] = sum(i * n for i, n in enumerate(hist))
            e[key("dpprobe_rx_burst_packets_count", **lab)] = b["polls"]
            if q["occupancy"]["supported"]:
                e[key("dpprobe_rx_ring_occupancy_max_descriptors", **lab)] = \
                    q["occupancy"]["max"] or 0
    for r in snap["rings"]:
        for name, field in (("dpprobe_ring_size_elements", "size"),
                            ("dpprobe_ring_count_elements", "count"),
                            ("dpprobe_ring_max_elements", "max"),
                            ("dpprobe_ring_enqueued_total", "enqueued"),
                            ("dpprobe_ring_enqueue_drops_total", "enq_drops")):
            e[key(name, ring=r["name"])] = r[field]
    for lc in snap["lcores"]:
        lab = {"lcore": lc["lcore"], "role": lc["role"]}
        e[key("dpprobe_lcore_busy_ratio", **lab)] = lc["busy_pct"] / 100.0
        e[key("dpprobe_lcore_packets_total", **lab)] = lc["packets"]
    for group, k, prom, _type in scalars:
        if group not in snap or k not in snap[group]:
            fail(f"metrics.def: {group}.{k} ({prom}) is not in the stats snapshot")
        e[key(prom)] = snap[group][k]
    for reason in malformed_reasons():
        e[key("dpprobe_parse_malformed_total", reason=reason)] = \
            snap["parse"]["malformed"].get(reason, 0)
    for outcome in ("refused", "syn_timeout", "reset", "completed"):
        e[key("dpprobe_tcp_outcomes_total", outcome=outcome)] = snap["tcp"][outcome]
    for d in ("c2s", "s2c"):
        cl = snap["capture_loss"][d]
        e[key("dpprobe_capture_loss_acks_total", direction=d)] = cl["acks_of_unseen_data"]
        e[key("dpprobe_capture_loss_unseen_bytes_total", direction=d)] = cl["unseen_bytes"]
    for c, n in snap["tcp"]["class"].items():
        e[key("dpprobe_tcp_connections_total", **{"class": c})] = n
    for c, n in snap["tcp"]["cause"].items():
        e[key("dpprobe_tcp_causes_total", cause=c)] = n
    for server, sv in services(snap):
        for name, v in (("dpprobe_service_flows_total", sv["flows"]),
                        ("dpprobe_service_active_flows", sv["active"]),
                        ("dpprobe_service_port_reuse_total", sv["port_reuse"]),
                        ("dpprobe_service_clients", sv["clients"]),
                        ("dpprobe_service_max_ports_per_client", sv["max_ports_per_client"])):
            e[key(name, server=server)] = v
        for c, n in sv["class"].items():
            e[key("dpprobe_service_connections_total", server=server, **{"class": c})] = n
        for c, n in sv["cause"].items():
            e[key("dpprobe_service_failures_total", server=server, cause=c)] = n
        for d in ("c2s", "s2c"):
            e[key("dpprobe_service_packets_total", server=server, direction=d)] = sv[d]["packets"]
            e[key("dpprobe_service_retransmitted_segments_total", server=server, direction=d)] = \
                sv[d]["retrans"]
    return e


def services(snap):
    """(server label, service) for the snapshot's top services, then other."""
    out = []
    for sv in snap.get("services", []):
        ip, port = sv["server"]["ip"], sv["server"]["port"]
        out.append((f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}", sv))
    if "services_other" in snap:
        out.append(("other", snap["services_other"]))
    return out


# Latency histograms: the JSON has their percentiles, not their buckets;
# checked for shape here and by their percentiles through telemetry.
LATENCY = ("dpprobe_service_handshake_seconds", "dpprobe_service_response_seconds")


def check_latency(got, snap):
    n = 0
    for server, sv in services(snap):
        for fam, legs in ((LATENCY[0], ("syn_to_synack", "synack_to_ack")), (LATENCY[1], (None,))):
            for leg in legs:
                lab = {"server": server} if leg is None else {"server": server, "leg": leg}
                buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in got.items()
                                  if k[0] == fam + "_bucket" and
                                  {a: b for a, b in k[1] if a != "le"} == lab))
                count = got.get(key(fam + "_count", **lab))
                if not buckets or count is None or key(fam + "_sum", **lab) not in got:
                    fail(f"{fam} {lab}: no histogram")
                vals = [v for _, v in buckets]
                if vals != sorted(vals) or buckets[-1] != (math.inf, count) or count > sv["flows"]:
                    fail(f"{fam} {lab}: buckets {buckets}, count {count}, flows {sv['flows']}")
                n += 1
    return n


def close(a, b, name):
    if name == "dpprobe_lcore_busy_ratio":
        return abs(a - b) <= 0.0006  # printed as %.1f percent in JSON, %.4f ratio here
    if name == "dpprobe_snapshot_timestamp_seconds":
        return abs(a - b) <= 2e-6
    return a == b


def compare(got, want, what, skip=(), upper=None):
    """got == want, except for the MOVING counters when `upper` is given: the
    view is collected just after the JSON snapshot of the same ts, so those
    lie between that one and the next (upper, {} for none)."""
    bad = []
    skip = tuple(skip) + tuple(f"{f}_{s}" for f in LATENCY for s in ("bucket", "sum", "count"))
    for k, v in want.items():
        if k[0] in skip:
            continue
        if k not in got:
            bad.append(f"missing {k}")
        elif upper is not None and k[0] in MOVING and k[0] != "dpprobe_lcore_busy_ratio" \
                and k[0] != "dpprobe_snapshot_timestamp_seconds":
            if not float(v) <= float(got[k]) <= float(upper.get(k, math.inf)):
                bad.append(f"{k}: {got[k]} not within [{v}, {upper.get(k)}]")
        elif not close(float(got[k]), float(v), k[0]):
            bad.append(f"{k}: {got[k]} != {v}")
    for k in got:
        if k not in want and k[0] not in skip:
            bad.append(f"unexpected {k} = {got[k]}")
    if bad:
        fail(f"{what}: {len(bad)} differences: " + "; ".join(bad[:8]))
    return len(want) - sum(1 for k in want if k[0] in skip)


def same_and_next(snaps, ts):
    s = snapshot_at(snaps, ts)
    i = snaps.index(s)
    return s, expected(snaps[i + 1]) if i + 1 < len(snaps) else {}


def snapshot_at(snaps, ts):
    best = min(snaps, key=lambda s: abs(s["ts"] - ts))
    if abs(best["ts"] - ts) > 2e-6:
        fail(f"no JSON snapshot has ts {ts} (nearest {best['ts']})")
    return best


def parse_text(text):
    """Samples of a Prometheus text scrape; checks HELP and TYPE precede each family."""
    got, typed = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            typed[name] = typ
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line)
        if not m:
            fail(f"unparsable line {line!r}")
        name, labels, val = m.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in typed and base not in typed:
            fail(f"{name} has no TYPE line before it")
        lab = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
        got[key(name, **lab)] = float(val)
    return got


def prom_query(url, expr, at=None):
    q = {"query": expr}
    if at is not None:
        q["time"] = f"{at:.3f}"
    with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode(q)}",
                                timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        fail(f"query {expr}: {body}")
    return body["data"]["result"]


def cmd_prom_api(url, stats, at=None):
    snaps = snapshots(stats)
    at = time.time() if at is None else at
    got = {}
    for s in prom_query(url, '{__name__=~"dpprobe_.+"}', at):
        m = dict(s["metric"])
        name = m.pop("__name__")
        m.pop("job", None)
        m.pop("instance", None)
        got[key(name, **m)] = float(s["value"][1])
    ts = got.get(key("dpprobe_snapshot_timestamp_seconds"))
    if ts is None:
        fail("Prometheus holds no dpprobe_snapshot_timestamp_seconds")
    same, nxt = same_and_next(snaps, ts)
    n = compare(got, expected(same), "Prometheus vs the snapshot of its ts", upper=nxt)
    m = compare(got, expected(snaps[-1]), "Prometheus vs the final snapshot", skip=MOVING)
    h = check_latency(got, same)
    print(f"prometheus api: {n} series equal the snapshot at {ts:.6f}, {m} equal the final one;"
          f" {h} latency histograms")


def cmd_scrape(path, stats):
    snaps = snapshots(stats)
    got = parse_text(open(path, encoding="utf-8").read())
    ts = got.get(key("dpprobe_snapshot_timestamp_seconds"))
    if ts is None:
        fail(f"{path}: no dpprobe_snapshot_timestamp_seconds")
    same, nxt = same_and_next(snaps, ts)
    n = compare(got, expected(same), f"{path} vs the snapshot of its ts", upper=nxt)
    check_latency(got, same)
    print(f"scrape: {n} samples equal the snapshot at {ts:.6f}")


def telemetry(prefix, cmd):
    out = subprocess.run(["dpdk-telemetry.py", "-f", prefix], input=cmd + "\n",
                         capture_output=True, text=True, timeout=20).stdout
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{") and cmd.split(",")[0] in line:
            return json.loads(line)[cmd.split(",")[0]]
    fail(f"telemetry {cmd}: no answer in {out!r}")


def cmd_telemetry(prefix, stats):
    """While the probe runs: `final` is the latest snapshot written."""
    snaps = snapshots(stats, need_final=False)
    scalars, _ = metrics_def()
    listed = telemetry(prefix, "/")
    for c in ("/dpprobe/stats", "/dpprobe/ports", "/dpprobe/rings", "/dpprobe/lcores",
              "/dpprobe/services", "/dpprobe/flows", "/dpprobe/recent_flows"):
        if c not in listed:
            fail(f"telemetry: {c} is not registered ({listed})")
    st = telemetry(prefix, "/dpprobe/stats")
    time.sleep(0.1)
    snaps = snapshots(stats, need_final=False)
    snap = snapshot_at(snaps, float(st["ts"]))
    final = snaps[-1]
    checked = 0
    for s in (snap, final):
        for group, k, prom, _type in scalars:
            if st[group][k] != s[group][k]:
                fail(f"/dpprobe/stats {group}.{k} = {st[group][k]}, snapshot {s[group][k]}")
            checked += 1
        for reason in malformed_reasons():
            if st["malformed"][reason] != s["parse"]["malformed"].get(reason, 0):
                fail(f"/dpprobe/stats malformed.{reason} differs")
        for o in ("refused", "syn_timeout", "reset", "completed"):
            if st["outcomes"][o] != s["tcp"][o]:
                fail(f"/dpprobe/stats outcomes.{o} differs")
        for d in ("c2s", "s2c"):
            for f in ("acks_of_unseen_data", "unseen_bytes"):
                if st["capture_loss"][f"{d}_{f}"] != s["capture_loss"][d][f]:
                    fail(f"/dpprobe/stats capture_loss {d}_{f} differs")
                checked += 1
        for obj in ("class", "cause"):
            if st[obj] != s["tcp"][obj]:
                fail(f"/dpprobe/stats {obj} = {st[obj]}, snapshot tcp.{obj} {s['tcp'][obj]}")
            checked += len(st[obj])
    ports = telemetry(prefix, "/dpprobe/ports")
    ports = {k: v for k, v in ports.items() if k.startswith("port")}
    if len(ports) != len(final["ports"]):
        fail(f"/dpprobe/ports: {len(ports)} ports, snapshot {len(final['ports'])}")
    for p in final["ports"]:
        tp = ports[f"port{p['port']}"]
        for f in ("ipackets", "ibytes", "imissed", "ierrors", "rx_nombuf"):
            if tp[f] != p[f]:
                fail(f"/dpprobe/ports port{p['port']}.{f} = {tp[f]}, snapshot {p[f]}")
            checked += 1
        if tp["driver"] != p["driver"] or tp["queues"] != len(p["queues"]):
            fail(f"/dpprobe/ports port{p['port']}: {tp}")
        detail = telemetry(prefix, f"/dpprobe/ports,{p['port']}")
        ts = float(detail["ts"])
        time.sleep(0.1)  # the snapshot of that ts is written right after it is published
        snaps = snapshots(stats, need_final=False)
        same = snapshot_at(snaps, ts)
        sp = [x for x in same["ports"] if x["port"] == p["port"]][0]
        for q in sp["queues"]:
            tq = detail[f"queue{q['queue']}"]
            for f, want in (("packets", q["packets"]), ("ring_size", q["ring_size"]),
                            ("lcore", q["lcore"]), ("full", q["bursts"]["full"])):
                if tq[f] != want:
                    fail(f"/dpprobe/ports,{p['port']} queue{q['queue']}.{f} = {tq[f]}, "
                         f"snapshot {want}")
                checked += 1
            # polls move while idle: read just after the snapshot of the same ts.
            if not tq["polls"] >= q["bursts"]["polls"] or not tq["empty"] >= q["bursts"]["empty"]:
                fail(f"/dpprobe/ports,{p['port']} queue{q['queue']}: polls behind the snapshot")
    rings = {k: v for k, v in telemetry(prefix, "/dpprobe/rings").items() if k != "ts"}
    if sorted(r["name"] for r in rings.values()) != sorted(r["name"] for r in final["rings"]):
        fail(f"/dpprobe/rings: {rings}")
    for r in final["rings"]:
        tr = [x for x in rings.values() if x["name"] == r["name"]][0]
        for f in ("size", "count", "max", "enq_drops", "enqueued"):
            if tr[f] != r[f]:
                fail(f"/dpprobe/rings {r['name']}.{f} = {tr[f]}, snapshot {r[f]}")
            checked += 1
    lcores = telemetry(prefix, "/dpprobe/lcores")
    for lc in final["lcores"]:
        tl = lcores[f"lcore{lc['lcore']}"]
        if tl["role"] != lc["role"] or tl["packets"] != lc["packets"]:
            fail(f"/dpprobe/lcores lcore{lc['lcore']}: {tl} vs {lc}")
        checked += 2
    sv = telemetry(prefix, "/dpprobe/services")
    snap = snapshot_at(snapshots(stats, need_final=False), float(sv["ts"]))
    tsv = [v for k, v in sv.items() if k.startswith("service")] + \
        ([sv["other"]] if "other" in sv else [])
    want = services(snap)
    if [t["server"] for t in tsv] != [w[0] for w in want]:
        fail(f"/dpprobe/services: {[t['server'] for t in tsv]}, snapshot {[w[0] for w in want]}")
    for t, (server, w) in zip(tsv, want):
        pairs = [("flows", w["flows"]), ("active", w["active"]), ("port_reuse", w["port_reuse"]),
                 ("clients", w["clients"]), ("max_ports_per_client", w["max_ports_per_client"])]
        pairs += [(f"class_{c}", n) for c, n in w["class"].items()]
        pairs += [(f"cause_{c}", n) for c, n in w["cause"].items()]
        for d in ("c2s", "s2c"):
            pairs += [(f"{d}_packets", w[d]["packets"]), (f"{d}_retrans", w[d]["retrans"])]
        for name, h in (("syn_to_synack", w["handshake_us"]["syn_to_synack"]),
                        ("synack_to_ack", w["handshake_us"]["synack_to_ack"]),
                        ("server_response", w["server_response_us"])):
            for q in ("p50", "p90", "p99", "max"):
                if h[q] is None:
                    if f"{name}_{q}_us" in t:
                        fail(f"/dpprobe/services {server}: {name}_{q}_us where the snapshot has null")
                else:
                    pairs.append((f"{name}_{q}_us", h[q]))
        for f, want_v in pairs:
            if t.get(f) != want_v:
                fail(f"/dpprobe/services {server}.{f} = {t.get(f)}, snapshot {want_v}")
            checked += 1
    # Ended flows (the capture's have all ended; open ones: it_open_flows.sh).
    flows = telemetry(prefix, "/dpprobe/recent_flows,32")
    got = [flows[f"flow{i}"] for i in range(sum(k.startswith("flow") for k in flows))]
    print(f"telemetry: {checked} values equal the snapshots; {len(got)} recent flows")
    return got


def cmd_wait_prom(url, expr, want, timeout):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            res = prom_query(url, expr)
            if res:
                last = float(res[0]["value"][1])
                if last == float(want):
                    print(f"{expr} = {last}")
                    return
        except OSError:
            pass
        time.sleep(0.5)
    fail(f"{expr} never became {want} in {timeout} s (last {last})")


def cmd_dashboard(url, dashboard, stats, at=None):
    """Every query of the Grafana dashboard returns data from this Prometheus.

    Grafana's $__rate_interval becomes 1m (the test's scrapes span less). The
    only panel allowed to be empty is ring occupancy, and only when no queue
    of the final snapshot reports occupancy (no virtual PMD does)."""
    dash = json.load(open(dashboard))
    final = snapshots(stats)[-1]
    occupancy = any(q["occupancy"]["supported"] for p in final["ports"] for q in p["queues"])
    n = 0
    for panel in dash["panels"]:
        for t in panel["targets"]:
            expr = t["expr"].replace("$__rate_interval", "1m")
            res = prom_query(url, expr, at)
            n += 1
            if res:
                continue
            if "occupancy" in expr and not occupancy:
                print(f"dashboard: '{panel['title']}' empty: no queue reports occupancy")
                continue
            fail(f"dashboard panel '{panel['title']}': {expr} returned no data")
    print(f"dashboard: {n} queries of {len(dash['panels'])} panels returned data")


def main():
    cmd = sys.argv[1]
    if cmd == "prom-api":
        cmd_prom_api(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else None)
    elif cmd == "scrape":
        cmd_scrape(sys.argv[2], sys.argv[3])
    elif cmd == "telemetry":
        flows = cmd_telemetry(sys.argv[2], sys.argv[3])
        if len(sys.argv) > 4:
            json.dump(flows, open(sys.argv[4], "w"))
    elif cmd == "dashboard":
        cmd_dashboard(sys.argv[2], sys.argv[3], sys.argv[4],
                      float(sys.argv[5]) if len(sys.argv) > 5 else None)
    elif cmd == "wait-prom":
        cmd_wait_prom(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
