#!/usr/bin/env python3
"""The live interfaces' docs can't drift from the code: docs/output.md's
Prometheus table lists exactly the metrics of stats/metrics.def, with their
type, labels and snapshot field; its telemetry table and README.md name
every command stats/telemetry.c registers; README.md lists --prometheus."""
import re
import sys

src = sys.argv[1]
defs = open(f"{src}/stats/metrics.def").read()
want = {}
for g, k, prom, typ in re.findall(r"^DPP_SCALAR\((\w+), (\w+), (\w+), (\w+),", defs, re.M):
    want[prom] = (typ, "", f"{g}.{k}")
for _id, prom, typ, labels, json in re.findall(
        r'^DPP_FAMILY\((\w+), (\w+), (\w+), "(.*?)", "(.*?)",', defs, re.M):
    want[prom] = (typ, labels.replace(",", ", "), json)

doc = open(f"{src}/docs/output.md").read()
readme = open(f"{src}/README.md").read()
problems = []
table = doc.split("### Prometheus metrics", 1)[1].split("###", 1)[0]
got = {}
for prom, typ, labels, json in re.findall(
        r"^\| `(\w+)` \| (\w+) \| ([\w, ]*?) *\| `(.*?)` \|", table, re.M):
    got[prom] = (typ, labels.strip(), json)
for prom, spec in want.items():
    if prom not in got:
        problems.append(f"{prom} is not in docs/output.md's Prometheus table")
    elif got[prom] != spec:
        problems.append(f"{prom}: docs say {got[prom]}, metrics.def says {spec}")
for prom in got:
    if prom not in want:
        problems.append(f"{prom} is documented but not in stats/metrics.def")

tel = open(f"{src}/stats/telemetry.c").read()
cmds = re.findall(r'^\t\t\{"(/dpprobe/\w+)",', tel, re.M)
ttable = doc.split("### Telemetry commands", 1)[1]
for c in cmds:
    if f"`{c}" not in ttable:
        problems.append(f"telemetry {c} is not in docs/output.md's telemetry table")
    if c not in readme:
        problems.append(f"telemetry {c} is not in README.md")
if "--prometheus" not in readme:
    problems.append("README.md does not describe --prometheus")
if not want or not cmds:
    problems.append("nothing found in metrics.def or telemetry.c")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(want)} metrics and {len(cmds)} telemetry commands documented")
