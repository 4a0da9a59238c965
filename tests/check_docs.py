#!/usr/bin/env python3
"""Docs and code can't drift apart: every malformed reason defined in
tcpparse/malformed.def has a row in docs/output.md, and the docs list no
reason the code does not have."""
import re
import sys

src = sys.argv[1]
defs = re.findall(r"^DPP_MALFORMED\((\w+),", open(f"{src}/tcpparse/malformed.def").read(), re.M)
doc = open(f"{src}/docs/output.md").read()
table = doc.split("### Malformed reasons", 1)[1].split("###", 1)[0]
documented = re.findall(r"^\| `(\w+)` \|", table, re.M)
missing = [d for d in defs if d not in documented]
extra = [d for d in documented if d not in defs]
if missing or extra or not defs:
    print(f"undocumented reasons: {missing}; documented but not defined: {extra}")
    sys.exit(1)
print(f"{len(defs)} malformed reasons documented")

# Every diagnosis class and cause (tcpparse/diagnosis.def) is explained in
# docs/diagnosing.md and named in docs/output.md.
diag = open(f"{src}/tcpparse/diagnosis.def").read()
names = re.findall(r"^DPP_DIAG_(?:CLASS|CAUSE)\((\w+),", diag, re.M)
guide = open(f"{src}/docs/diagnosing.md").read()
undocumented = [n for n in names if f"`{n}`" not in guide or f"`{n}`" not in doc]
if undocumented or len(names) < 16:
    print(f"diagnosis names missing from docs/diagnosing.md or docs/output.md: {undocumented}")
    sys.exit(1)
print(f"{len(names)} diagnosis classes and causes documented")
