#!/usr/bin/env python3
"""Assertions on dpprobe's outputs for the integration tests (stdlib only).

    check.py pcap-count FILE              print the number of records in a pcap
    check.py get STATS PATH               print a field of the final snapshot (PATH: ports.0.ipackets)
    check.py get-latest STATS PATH        the same of the latest snapshot a running probe wrote
    check.py conservation STATS FLOWS     the contract's conservation rules at exit
    check.py snapshots STATS              every line is a stats snapshot; the last, only, is final
    check.py same-flows A B               the same flow records (any order; lcore/queue ignored)
"""
import json
import struct
import sys


def fail(msg):
    print(f"check: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def pcap_count(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            fail(f"{path}: not a classic pcap")
        n = 0
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack(endian + "IIII", rec)[2]
            f.seek(incl, 1)
            n += 1
    return n


def lines(path, typ):
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                fail(f"{path}:{i}: invalid JSON: {e}")
            if obj.get("type") == typ:
                out.append(obj)
    return out


def final(path):
    snaps = lines(path, "stats")
    if not snaps or not snaps[-1].get("final"):
        fail(f"{path}: last snapshot is not final")
    return snaps[-1]


def get(obj, dotted):
    for part in dotted.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def check_services(s, flows):
    """Diagnosis counts and services add up to the records (CONTRACT "Services")."""
    by_class = {}
    by_server = {}
    for r in flows:
        d = r.get("diagnosis")
        if d is None:
            fail("a flow record without diagnosis")
        by_class[d["class"]] = by_class.get(d["class"], 0) + 1
        key = (r["server"]["ip"], r["server"]["port"])
        e = by_server.setdefault(key, {"flows": 0, "class": {}})
        e["flows"] += 1
        e["class"][d["class"]] = e["class"].get(d["class"], 0) + 1
    tcp_class = {k: v for k, v in s["tcp"]["class"].items() if v}
    if tcp_class != by_class and s["flows"]["export_drops"] == 0:
        fail(f"tcp.class {tcp_class} != the records' classes {by_class}")
    services, other = s["services"], s["services_other"]
    total = sum(x["flows"] for x in services) + other["flows"]
    if total != len(flows):
        fail(f"services + services_other count {total} flows, {len(flows)} records written")
    for cls in s["tcp"]["class"]:
        n = sum(x["class"][cls] for x in services) + other["class"][cls]
        if n != by_class.get(cls, 0):
            fail(f"services count {n} '{cls}' flows, the records {by_class.get(cls, 0)}")
    for x in services:
        key = (x["server"]["ip"], x["server"]["port"])
        want = by_server.get(key)
        got = {k: v for k, v in x["class"].items() if v}
        if want is None:
            fail(f"service {key}: no record names it")
        exact = s["services_tables"]["evicted"] == 0
        if (want["flows"] != x["flows"] or want["class"] != got) if exact else \
                x["flows"] > want["flows"]:
            fail(f"service {key}: {x['flows']} flows {got}, records say {want}")
        if x["active"] != 0:
            fail(f"service {key}: {x['active']} active flows at exit")
    ranked = sorted(by_server.values(), key=lambda e: -(e["flows"] + e["flows"]
                    - e["class"].get("ok", 0) - e["class"].get("unknown", 0)))
    named = len(services) + other["services"]
    # A service folded into other to make room in a worker's table is no longer named.
    if named != len(by_server) if s["services_tables"]["evicted"] == 0 else named > len(by_server):
        fail(f"{len(services)} services listed and {other['services']} in other,"
             f" the records name {len(by_server)}")
    if ranked and services and s["services_tables"]["evicted"] == 0:
        best = ranked[0]["flows"] * 2 - ranked[0]["class"].get("ok", 0) - \
            ranked[0]["class"].get("unknown", 0)
        first = services[0]["flows"] * 2 - services[0]["class"]["ok"] - \
            services[0]["class"]["unknown"]
        if first != best:
            fail(f"the first service ranks {first}, the best by the records {best}")


def main():
    cmd = sys.argv[1]
    if cmd == "pcap-count":
        print(pcap_count(sys.argv[2]))
    elif cmd == "get":
        print(json.dumps(get(final(sys.argv[2]), sys.argv[3])))
    elif cmd == "get-latest":  # of a running probe: its latest complete snapshot line
        done = open(sys.argv[2]).read().rpartition("\n")[0].splitlines()
        print(json.dumps(get(json.loads(done[-1]), sys.argv[3])) if done else "null")
    elif cmd == "snapshots":
        snaps = lines(sys.argv[2], "stats")
        finals = [s for s in snaps if s["final"]]
        if len(finals) != 1 or not snaps[-1]["final"]:
            fail(f"expected exactly one final snapshot, last; got {len(finals)}")
        for s in snaps:
            fl = s["flows"]
            if fl["created"] != fl["ended"] + fl["active"]:
                fail(f"snapshot at {s['ts']}: created {fl['created']} != ended {fl['ended']}"
                     f" + active {fl['active']}")
        print(len(snaps))
    elif cmd == "conservation":
        s = final(sys.argv[2])
        flows = lines(sys.argv[3], "flow")
        fl = s["flows"]
        if fl["created"] != fl["ended"] + fl["active"]:
            fail(f"created {fl['created']} != ended {fl['ended']} + active {fl['active']}")
        if fl["active"] != 0:
            fail(f"active {fl['active']} flows at exit")
        if len(flows) != fl["created"] - fl["export_drops"]:
            fail(f"{len(flows)} flow records written, expected created {fl['created']}"
                 f" - export_drops {fl['export_drops']}")
        # One table per worker; its memory covers at least the flow state.
        ft = s["flow_tables"]
        workers = sum(1 for lc in s["lcores"] if lc["role"] == "worker")
        if ft["count"] != workers:
            fail(f"flow_tables.count {ft['count']} != {workers} workers")
        if not ft["flow_state_bytes"] <= ft["bytes_per_flow"] or ft["capacity"] <= 0:
            fail(f"flow_tables inconsistent: {ft}")
        flows_cap = ft["count"] * ft["capacity"]
        if abs(ft["bytes"] - ft["bytes_per_flow"] * flows_cap) > 0.05 * flows_cap + 1:
            fail(f"flow_tables.bytes {ft['bytes']} != bytes_per_flow x count x capacity")
        if not 0 <= ft["huge_bytes"] <= ft["bytes"] + (2 << 20) * ft["count"]:
            fail(f"flow_tables.huge_bytes {ft['huge_bytes']} out of range")
        # Touched as flows use it: never more than the tables, huge pages within it.
        if not ft["huge_bytes"] <= ft["resident_bytes"] <= ft["bytes"] + (2 << 20) * ft["count"]:
            fail(f"flow_tables.resident_bytes {ft['resident_bytes']} out of range: {ft}")
        check_services(s, flows)
        print(f"conservation ok: {len(flows)} records")
    elif cmd == "same-flows":
        def canon(path):
            recs = lines(path, "flow")
            for r in recs:
                r.pop("lcore", None)
                r.pop("queue", None)
            return sorted(json.dumps(r, sort_keys=True) for r in recs)
        a, b = canon(sys.argv[2]), canon(sys.argv[3])
        if a != b:
            sa, sb = set(a), set(b)
            for x in list(sa - sb)[:3]:
                print("only in first: " + x, file=sys.stderr)
            for x in list(sb - sa)[:3]:
                print("only in second: " + x, file=sys.stderr)
            fail(f"flow records differ ({len(a)} vs {len(b)})")
        print(f"same {len(a)} flow records")
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
