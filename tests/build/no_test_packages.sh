#!/usr/bin/env bash
# The build a newcomer's `scripts/demo` makes must not need the test
# packages (cmocka above all): configure and build the default options with
# pkg-config seeing only what the build packages install (libdpdk and what
# it requires, libnuma, libpcap, libmicrohttpd), and check that no unit test was built.
#   no_test_packages.sh SRCDIR
set -euo pipefail
src=$(realpath "$1")
work=$(mktemp -d /tmp/dpp-notest.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/pc"

# The .pc files of these packages and, recursively, of what they require
# (public and private: pkgconf reads both for --cflags).
python3 - "$work/pc" libdpdk numa libpcap libmicrohttpd <<'PY'
import os, shutil, subprocess, sys
dest, todo, seen = sys.argv[1], list(sys.argv[2:]), set()
while todo:
    name = todo.pop()
    if name in seen:
        continue
    seen.add(name)
    path = subprocess.run(["pkg-config", "--variable=pcfiledir", name], check=True,
                          capture_output=True, text=True).stdout.strip()
    shutil.copy(os.path.join(path, name + ".pc"), dest)
    for flag in ("--print-requires", "--print-requires-private"):
        out = subprocess.run(["pkg-config", flag, name], check=True, capture_output=True,
                             text=True).stdout.split("\n")
        todo += [l.split()[0] for l in out if l.strip()]
if any(n.startswith("cmocka") for n in seen):
    sys.exit("the build packages' .pc closure contains cmocka")
print(f"{len(seen)} .pc files: {' '.join(sorted(seen))}")
PY

if ! PKG_CONFIG_LIBDIR="$work/pc" PKG_CONFIG_PATH= meson setup "$work/build" "$src" >"$work/setup.log" 2>&1; then
	cat "$work/setup.log"
	echo "FAIL: meson setup without the test packages" >&2
	exit 1
fi
if ! ninja -C "$work/build" >"$work/build.log" 2>&1; then
	tail -30 "$work/build.log"
	echo "FAIL: build without the test packages" >&2
	exit 1
fi
[[ -x "$work/build/dataplane/dpprobe" ]] || { echo "FAIL: no dpprobe built" >&2; exit 1; }
if compgen -G "$work/build/tests/unit/test_*" >/dev/null; then
	echo "FAIL: unit tests were built without cmocka" >&2
	exit 1
fi
grep -q "cmocka" "$work/setup.log" || { echo "FAIL: meson said nothing about cmocka" >&2; exit 1; }
echo "ok: dpprobe builds without the test packages ($(grep -i cmocka "$work/setup.log" | head -1))"
