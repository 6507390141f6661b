#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of the aiguard tool (no module needed):
#   sh tools/tests/run.sh /path/to/dynamic/aiguard
# 1. without a module: exit 3 and "modprobe aiguard";
# 2. against an LD_PRELOAD stand-in of /dev/aiguard (mock_aiguard.c):
#    tests/e2e/t_tool.sh, ABI mismatch, JSON validity.
# Prints TAP; exits 1 if a test fails.
set -u
AG=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
W=$(mktemp -d /tmp/aiguard-check.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
N=0 FAILS=0

ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N - $1"; sed 's/^/#   /' "$W/out" | head -8; }
t() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }

echo "TAP version 13"
if [ -e /dev/aiguard ]; then
	echo "1..0 # SKIP /dev/aiguard exists: host tests need a machine without the module"
	exit 0
fi
cc -shared -fPIC -O2 -Wall -Wextra -Werror -I"$ROOT/uapi" \
	-o "$W/mock.so" "$HERE/mock_aiguard.c" -ldl || exit 1
cp "$AG" "$W/aiguard"
chmod 755 "$W/aiguard" "$W/mock.so"
A=$W/aiguard

"$A" status >"$W/out" 2>&1; r=$?
t "no module: status exits 3" "[ $r -eq 3 ]"
t "no module: message says modprobe aiguard" "grep -q 'modprobe aiguard' '$W/out'"
"$A" list --json >"$W/out" 2>&1; r=$?
t "no module: list exits 3" "[ $r -eq 3 ]"
"$A" version >"$W/out" 2>&1; r=$?
t "no module: version exits 0, says not loaded" "[ $r -eq 0 ] && grep -q 'module: not loaded' '$W/out'"
"$A" exec -- true >"$W/out" 2>&1; r=$?
t "no module: exec exits 3 without running the command" "[ $r -eq 3 ]"

export AIGUARD_MOCK_STATE="$W/state" LD_PRELOAD="$W/mock.so"

AIGUARD_MOCK_ABI=2 "$A" status >"$W/out" 2>&1; r=$?
t "ABI mismatch: status exits 9" "[ $r -eq 9 ] && grep -q 'ABI mismatch' '$W/out'"
AIGUARD_MOCK_ABI=2 "$A" version >"$W/out" 2>&1; r=$?
t "ABI mismatch: version exits 9" "[ $r -eq 9 ] && grep -q MISMATCH '$W/out'"
AIGUARD_MOCK_ABI=2 "$A" exec -- true >"$W/out" 2>&1; r=$?
t "ABI mismatch: exec exits 9" "[ $r -eq 9 ]"

# comm with characters JSON must escape
cp "$(command -v sleep)" "$W/a\"b\\c	d"
"$W/a\"b\\c	d" 1000 &
P1=$!
sleep 1000 &
P2=$!
"$A" protect --label j "$P1" "$P2" >"$W/out" 2>&1; r=$?
t "protect two pids" "[ $r -eq 0 ]"
"$A" protect --label other "$P1" 2147483647 "$P2" >"$W/out" 2>&1; r=$?
t "several failures: exit is the highest code (7 over 5)" "[ $r -eq 7 ] && grep -q \"already protected with label 'j'\" '$W/out'"
if command -v python3 >/dev/null 2>&1; then
	"$A" list --json >"$W/list.json" 2>"$W/out"
	export EXP_COMM="$(printf 'a"b\\c\td')"
	t "list --json is valid JSON with escaped comm" \
		"python3 -c 'import json,os,sys; d=json.load(open(sys.argv[1])); assert d[\"total\"]==2; assert os.environ[\"EXP_COMM\"] in [p[\"comm\"] for p in d[\"processes\"]], d' '$W/list.json' 2>'$W/out'"
	"$A" status --json >"$W/st.json" 2>"$W/out"
	t "status --json is valid JSON" \
		"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"abi_version\"]==1 and d[\"protected\"]==2 and len(d[\"hooks\"])==7' '$W/st.json' 2>'$W/out'"
	"$A" status --json "$P1" >"$W/p.json" 2>"$W/out"
	t "status --json PID is valid JSON" \
		"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d==dict(pid=$P1,protected=True,label=\"j\")' '$W/p.json' 2>'$W/out'"
fi
kill "$P1" "$P2" 2>/dev/null

# The guest suite, against the stand-in. Test "environ unreadable" needs
# the real module and is expected to fail here.
AIGUARD="$A" sh "$ROOT/tests/e2e/t_tool.sh" >"$W/e2e" 2>&1
grep -v "^ok\|environ unreadable\|^TAP\|^1\.\." "$W/e2e" >"$W/out"
t "tests/e2e/t_tool.sh against the stand-in ($(grep -c '^ok' "$W/e2e") ok)" \
	"! grep -q '^not ok' '$W/out' && [ \$(grep -c '^ok\|^not ok' '$W/e2e') -eq \$(sed -n 's/^1\.\.//p' '$W/e2e') ]"

echo "1..$N"
[ "$FAILS" -eq 0 ]
