#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of the aiguard tool (no module needed):
#   sh tools/tests/run.sh /path/to/dynamic/aiguard
# 0. the JSON writer on its own (json_test.c);
# 1. without a module: exit 3 and "modprobe aiguard";
# 2. against an LD_PRELOAD stand-in of /dev/aiguard (mock_aiguard.c):
#    tests/e2e/t_tool.sh, ABI mismatch, JSON validity, and the operations
#    commands: events (canned records, incl. DROPPED, an unknown type and
#    a larger record), permissive, allow/revoke/grants, lock, status.
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
# x NAME RC CMD...: run CMD (stdout in $W/o, both in $W/out), expect exit RC.
x() {
	_n=$1 _w=$2
	shift 2
	"$@" >"$W/o" 2>"$W/e"; _r=$?
	cat "$W/o" "$W/e" >"$W/out"
	echo "# exit $_r: $*" >>"$W/out"
	t "$_n (exit $_w)" "[ $_r -eq $_w ]"
}
# py FILE EXPR: FILE is JSON (or, with -l, JSON lines) and EXPR holds for d.
HAVE_PY=false
command -v python3 >/dev/null 2>&1 && HAVE_PY=true
py() {
	if [ "$1" = -l ]; then
		shift
		python3 -c 'import json,sys; d=[json.loads(l) for l in open(sys.argv[1])]; assert '"$2"', d' "$1" >>"$W/out" 2>&1
	else
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert '"$2"', d' "$1" >>"$W/out" 2>&1
	fi
}
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

cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$HERE/.." -o "$W/json_test" \
	"$HERE/json_test.c" "$HERE/../json.c" || exit 1
"$W/json_test" >"$W/out" 2>&1; r=$?
t "JSON writer: escapes, UTF-8 checks, commas, nesting (json_test.c)" "[ $r -eq 0 ]"
if $HAVE_PY; then
	"$W/json_test" all >"$W/all.json" 2>"$W/out"
	t "JSON writer: bytes 0x01-0xff make valid JSON, non-UTF-8 as U+FFFD" \
		"py '$W/all.json' 'd==\"\".join(chr(i) if i<128 else chr(0xfffd) for i in range(1,256))'"
fi

cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$ROOT/uapi" -o "$W/ocistate_test" \
	"$HERE/ocistate_test.c" "$HERE/../ocistate.c" || exit 1
"$W/ocistate_test" >"$W/out" 2>&1; r=$?
t "OCI state reader: $(tail -n 1 "$W/out") (ocistate_test.c)" "[ $r -eq 0 ]"

# oci_state ID PID STATUS ANNOTATIONS: a state document as runtimes write it
oci_state() {
	printf '{"ociVersion":"1.0.2","id":"%s","status":"%s","pid":%s,"bundle":"/run/b","annotations":{%s}}' \
		"$1" "$3" "$2" "$4"
}
oci_state c0ffee00c0ffee00 1 created '"io.aiguard.label":"llm"' >"$W/st"
"$A" oci-hook <"$W/st" >"$W/out" 2>&1; r=$?
t "no module: oci-hook of an annotated container exits 3 (the engine does not start it)" \
	"[ $r -eq 3 ] && grep -q 'modprobe aiguard' '$W/out'"
oci_state c0ffee00c0ffee00 1 created '"other":"x"' >"$W/st"
"$A" oci-hook <"$W/st" >"$W/out" 2>&1; r=$?
t "no module: oci-hook of a container without io.aiguard.label exits 0" "[ $r -eq 0 ] && [ ! -s '$W/out' ]"

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

AIGUARD_MOCK_ABI=1 "$A" status >"$W/out" 2>&1; r=$?
t "ABI mismatch: status exits 9" "[ $r -eq 9 ] && grep -q 'ABI mismatch' '$W/out'"
AIGUARD_MOCK_ABI=1 "$A" version >"$W/out" 2>&1; r=$?
t "ABI mismatch: version exits 9" "[ $r -eq 9 ] && grep -q MISMATCH '$W/out'"
AIGUARD_MOCK_ABI=1 "$A" exec -- true >"$W/out" 2>&1; r=$?
t "ABI mismatch: exec exits 9" "[ $r -eq 9 ]"

# --- /dev/aiguard that is not the loaded module's node --------------------
AIGUARD_MOCK_DEVNO=10:99 "$A" status >"$W/out" 2>&1; r=$?
t "replaced node: status exits 3, says the node was replaced and how to fix it" \
	"[ $r -eq 3 ] && grep -q 'is device 1:3, but the aiguard module.s is 10:99 .*node was replaced.*mknod /dev/aiguard c 10 99' '$W/out'"
rm -f "$W/ran"
AIGUARD_MOCK_DEVNO=10:99 "$A" exec --label x -- touch "$W/ran" >"$W/out" 2>&1; r=$?
t "replaced node: exec exits 3 without running the command" "[ $r -eq 3 ] && [ ! -e '$W/ran' ]"
AIGUARD_MOCK_DEVNO=none "$A" list >"$W/out" 2>&1; r=$?
t "stale node without a module: exits 3, says not loaded" \
	"[ $r -eq 3 ] && grep -q 'exists, but the aiguard module is not loaded' '$W/out'"

# --- bad arguments: each a usage error (2) with a message that is short,
# --- printable and says what was wrong
long=$(printf '%05000d' 0 | tr 0 x)
x "label of 5000 bytes" 2 "$A" protect --label "$long" 1
t "its message is cut and gives the length" \
	"grep -q \"invalid label 'x*\\.\\.\\. (5000 bytes)': label is too long\" '$W/e' && [ \$(wc -c <'$W/e') -lt 300 ]"
x "label of non-UTF-8 bytes and a terminal escape" 2 "$A" protect --label "$(printf 'a\377\033[31m')" 1
t "its message shows the bytes escaped, none raw" \
	"grep -qF \"invalid label 'a\\xff\\x1b[31m'\" '$W/e' && ! grep -q \"\$(printf '\033')\" '$W/e' && ! grep -q \"\$(printf '\377')\" '$W/e'"
x "an unknown command of 100000 bytes" 2 "$A" "$(printf '%0100000d' 0 | tr 0 y)"
t "its message is cut" "[ \$(wc -c <'$W/e') -lt 300 ] && grep -q '(100000 bytes)' '$W/e'"
x "empty pid" 2 "$A" protect ""
x "empty label" 2 "$A" protect --label "" 1
x "empty user" 2 "$A" exec --user "" -- true
x "empty ttl" 2 "$A" allow --tracer 1 --target 1 --ttl ""
x "pid of 30 digits" 2 "$A" status 999999999999999999999999999999

# comm with characters JSON must escape
cp "$(command -v sleep)" "$W/a\"b\\c	d"
"$W/a\"b\\c	d" 1000 &
P1=$!
sleep 1000 &
P2=$!
"$A" protect --label j "$P1" "$P2" >"$W/out" 2>&1; r=$?
t "protect two pids without --join: the second is an outsider's join (exit 10)" \
	"[ $r -eq 10 ] && grep -q 'pid $P1: protected, label j' '$W/out' && grep -q 'pid $P2: the label has live members and this process is not one of them; add --join' '$W/out'"
"$A" protect --label j --join "$P1" "$P2" >"$W/out" 2>&1; r=$?
t "protect two pids with --join" "[ $r -eq 0 ] && grep -q 'pid $P2: protected, label j' '$W/out'"
"$A" protect --label other "$P1" 2147483647 "$P2" >"$W/out" 2>&1; r=$?
t "several failures: exit is the highest code (7 over 5)" "[ $r -eq 7 ] && grep -q \"already protected with label 'j'\" '$W/out'"
if command -v python3 >/dev/null 2>&1; then
	"$A" list --json >"$W/list.json" 2>"$W/out"
	export EXP_COMM="$(printf 'a"b\\c\td')"
	t "list --json is valid JSON with escaped comm" \
		"python3 -c 'import json,os,sys; d=json.load(open(sys.argv[1])); assert d[\"total\"]==2; assert os.environ[\"EXP_COMM\"] in [p[\"comm\"] for p in d[\"processes\"]], d' '$W/list.json' 2>'$W/out'"
	"$A" status --json >"$W/st.json" 2>"$W/out"
	t "status --json is valid JSON" \
		"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"abi_version\"]==3 and d[\"protected\"]==2 and len(d[\"hooks\"])==16 and d[\"sealed\"] is False and d[\"sampling_events\"]==0 and d[\"cleared_pages\"]==4096' '$W/st.json' 2>'$W/out'"
	"$A" status --json "$P1" >"$W/p.json" 2>"$W/out"
	t "status --json PID is valid JSON" \
		"python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d==dict(pid=$P1,protected=True,label=\"j\",permissive=False,enter=False)' '$W/p.json' 2>'$W/out'"
fi
kill "$P1" "$P2" 2>/dev/null

# --- events ---------------------------------------------------------------
if [ -w /dev/full ]; then
	timeout 20 "$A" events --follow >/dev/full 2>"$W/out"; r=$?
	t "events --follow to a full disk: exits 1 at once, says why" \
		"[ $r -eq 1 ] && grep -q 'cannot write audit records to standard output: No space left on device' '$W/out'"
fi
x "events dumps the ring" 0 "$A" events
t "events: 14 records, one line each" "[ \$(wc -l <'$W/o') -eq 14 ]"
t "events: DROPPED first, with the count" \
	"head -1 '$W/o' | grep -qx '2026-11-26T01:40:12.123Z DROPPED lost=3 (records overwritten before this reader got them)'"
t "events: DENY line" \
	"grep -qx '2026-11-26T01:40:13.123Z DENY ptrace_access attach+fscreds caller=1234(gdb) uid=0 target=4242(python3) label=llama' '$W/o'"
t "events: AUDIT and GRANT_USED with the grant id" \
	"grep -q ' AUDIT ptrace_access read+fscreds caller=1300(cat) ' '$W/o' && grep -q ' GRANT_USED ptrace_access attach+realcreds grant=7 caller=1400(gdb) ' '$W/o'"
t "events: MODE, LOCK, TAMPER, GRANT_ADD" \
	"grep -q ' MODE permissive caller=1(aiguard)' '$W/o' && grep -q ' LOCK caller=' '$W/o' && grep -q ' TAMPER state=hooks_dead caller=kernel\$' '$W/o' && grep -q ' GRANT_ADD grant=7 ' '$W/o'"
t "events: unknown type printed generically" \
	"grep -qx '2026-11-26T01:40:22.123Z UNKNOWN(type=99) hook=16 detail=5 count=77 caller=1600(new) uid=0 target=4242(python3) label=llama' '$W/o'"
t "events: unknown hook printed by number" "grep -q ' DENY hook=16 detail=5 caller=1700(x)' '$W/o'"
t "events: a larger record is skipped by its size" "tail -1 '$W/o' | grep -q 'caller=1900(last)'"
t "events: comm cannot inject control characters" \
	"grep -q 'caller=1500(ev\"il??\\[2J?\\\\)' '$W/o' && ! tr -d '\\n' <'$W/o' | grep -q '[[:cntrl:]]'"
t "events: unterminated comm and labels are cut at their size" \
	"grep -q 'caller=1800(0123456789abcdef) uid=0 caller_label=cccccccccccccccccccccccccccccccc target=4242(fedcba9876543210) label=tttttttttttttttttttttttttttttttt\$' '$W/o'"
x "events --json" 0 "$A" events --json
t "events --json: 14 lines" "[ \$(wc -l <'$W/o') -eq 14 ]"
cp "$W/o" "$W/ev.json"
if $HAVE_PY; then
	t "events --json: every line is valid JSON" "py -l '$W/ev.json' 'len(d)==14'"
	t "events --json: types" "py -l '$W/ev.json' '[e[\"type\"] for e in d]==\"dropped deny audit grant_used deny protect mode grant_add lock tamper unknown deny deny deny\".split()'"
	t "events --json: DENY fields" "py -l '$W/ev.json' 'd[1]==dict(seq=4,time=\"2026-11-26T01:40:13.123Z\",time_ns=1795657213123456789,type=\"deny\",hook=\"ptrace_access\",detail=10,mode=[\"attach\",\"fscreds\"],caller=dict(pid=1234,tgid=1234,uid=0,comm=\"gdb\",label=\"\"),target=dict(pid=4242,tgid=4242,comm=\"python3\",label=\"llama\"),count=0)'"
	t "events --json: DROPPED count, unknown type kept raw" "py -l '$W/ev.json' 'd[0][\"count\"]==3 and d[10][\"type_nr\"]==99 and d[10][\"hook_nr\"]==16 and d[10][\"count\"]==77 and d[11][\"hook\"] is None'"
	t "events --json: hostile comm survives escaped" "py -l '$W/ev.json' '[ord(c) for c in d[4][\"caller\"][\"comm\"]]==[101,118,34,105,108,10,27,91,50,74,0xfffd,92]'"
fi
x "events: a record with an impossible size stops with an error" 1 env AIGUARD_MOCK_EVENTS=bad "$A" events
t "events: the good records before it were printed" "[ \$(wc -l <'$W/o') -eq 14 ] && grep -q malformed '$W/e'"
x "events: a record larger than the read buffer" 0 env AIGUARD_MOCK_EVENTS=huge "$A" events
t "events: the buffer grows, both records printed" "grep -q 'caller=2000(huge)' '$W/o' && grep -q 'caller=2001(after)' '$W/o'"
x "events: empty ring" 0 env AIGUARD_MOCK_EVENTS=none "$A" events
t "events: empty ring prints nothing" "[ ! -s '$W/o' ]"
x "events: module without an audit stream" 9 env AIGUARD_MOCK_NOOPS=1 "$A" events
t "events: says the ABIs differ" "grep -q 'cannot read audit records: .*ABI differ' '$W/e'"
x "events: extra argument" 2 "$A" events now
x "events: unknown option" 2 "$A" events --tail
x "events --help" 0 "$A" events --help
for sig in INT TERM; do
	: >"$W/f.out"
	"$A" events --follow --json >"$W/f.out" 2>"$W/f.err" &
	FP=$!
	i=0
	while [ $i -lt 50 ] && [ "$(wc -l <"$W/f.out")" -lt 14 ]; do sleep 0.1; i=$((i + 1)); done
	t "events --follow: records are flushed while it waits ($sig)" "[ \$(wc -l <'$W/f.out') -eq 14 ]"
	kill -"$sig" "$FP"
	i=0
	while [ $i -lt 50 ] && kill -0 "$FP" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$FP" 2>/dev/null
	wait "$FP"; r=$?
	cp "$W/f.err" "$W/out"
	t "events --follow: SIG$sig ends it with exit 0" "[ $r -eq 0 ]"
done

# --- permissive -------------------------------------------------------------
x "permissive shows the mode" 0 "$A" permissive
t "permissive: off at first" "grep -q '^permissive mode: off' '$W/o'"
x "permissive on" 0 "$A" permissive on
x "status after permissive on" 0 "$A" status
t "status shows mode permissive, not locked" "grep -q '^mode: permissive' '$W/o' && grep -q '^locked: no' '$W/o'"
x "permissive off" 0 "$A" permissive off
x "status after permissive off" 0 "$A" status
t "status shows mode enforcing" "grep -q '^mode: enforcing\$' '$W/o' && ! grep -q CRITICAL '$W/out'"
t "status: five counters per hook" "grep -Eq '^ptrace_access +11 +5 +2 +1 +0\$' '$W/o'"
x "permissive maybe: usage" 2 "$A" permissive maybe
x "permissive on off: usage" 2 "$A" permissive on off
x "permissive --help" 0 "$A" permissive --help

sleep 1000 &
P3=$!
sleep 1000 &
P4=$!
x "protect --permissive" 0 "$A" protect --permissive --label pm "$P3"
t "protect --permissive says so" "grep -qx 'pid $P3: protected, label pm (permissive)' '$W/o'"
"$A" protect --label en "$P4" >/dev/null 2>&1
x "list" 0 "$A" list
t "list shows the PERMISSIVE marker only for it" \
	"grep -Eq '^$P3 +pm +PERMISSIVE +- +sleep\$' '$W/o' && grep -Eq '^$P4 +en +enforcing +- +sleep\$' '$W/o'"
x "list --json" 0 "$A" list --json
cp "$W/o" "$W/l.json"
$HAVE_PY && t "list --json: permissive only where set" \
	"py '$W/l.json' '[p.get(\"permissive\",False) for p in sorted(d[\"processes\"],key=lambda p:p[\"label\"])]==[False,True]'"
x "status PID of a permissive process" 0 "$A" status "$P3"
t "status PID says permissive" "grep -q 'label pm (permissive' '$W/o'"
x "exec --permissive" 0 "$A" exec --permissive --label pe -- sh -c "\"$A\" status \$\$"
t "exec --permissive: the process is permissive" "grep -q 'protected, label pe (permissive' '$W/o'"

# --- allow / grants / revoke ----------------------------------------------
x "allow without --target: usage" 2 "$A" allow --tracer $$
x "allow without --tracer: usage" 2 "$A" allow --target "$P4"
x "allow --tracer abc: usage" 2 "$A" allow --tracer abc --target "$P4"
x "allow --ttl 0: usage" 2 "$A" allow --tracer $$ --target "$P4" --ttl 0
x "allow --ttl 86401: usage" 2 "$A" allow --tracer $$ --target "$P4" --ttl 86401
x "allow --ttl 10s: usage" 2 "$A" allow --tracer $$ --target "$P4" --ttl 10s
x "allow: stray argument: usage" 2 "$A" allow --tracer $$ --target "$P4" extra
x "allow: tracer gone" 5 "$A" allow --tracer 2147483647 --target "$P4"
x "allow: target not protected" 8 "$A" allow --tracer $$ --target $$
t "allow: says the target is not protected" "grep -q 'is not protected' '$W/e'"
x "allow" 0 "$A" allow --tracer $$ --target "$P4" --ttl 86400
t "allow prints only the grant id" "grep -Eqx '[0-9]+' '$W/o'"
G1=$(cat "$W/o")
x "allow with the default ttl" 0 "$A" allow --tracer "$P3" --target "$P4"
G2=$(cat "$W/o")
x "allow: too many grants" 1 env AIGUARD_MOCK_GRANTS_MAX=2 "$A" allow --tracer $$ --target "$P4"
t "allow: says too many grants" "grep -q 'too many grants' '$W/e'"
x "grants" 0 "$A" grants
t "grants lists both with comm and ttl" \
	"grep -Eq '^$G1 +$$ +[^ ]+ +$P4 +sleep +86[34][0-9]{2}s +0\$' '$W/o' && grep -Eq '^$G2 +$P3 +sleep +$P4 +sleep +(600|599)s +0\$' '$W/o'"
x "grants --json" 0 "$A" grants --json
cp "$W/o" "$W/g.json"
$HAVE_PY && t "grants --json is valid JSON" \
	"py '$W/g.json' 'd[\"total\"]==2 and sorted(g[\"id\"] for g in d[\"grants\"])==sorted([$G1,$G2]) and all(g[\"target_pid\"]==$P4 and g[\"target_comm\"]==\"sleep\" for g in d[\"grants\"])'"
x "status --json with grants" 0 "$A" status --json
cp "$W/o" "$W/s.json"
$HAVE_PY && t "status --json: mode, lock, critical, events, grants, 5 counters" \
	"py '$W/s.json' 'd[\"mode\"]==\"enforcing\" and d[\"locked\"] is False and d[\"critical\"] is False and d[\"events\"]==14 and d[\"events_dropped\"]==3 and d[\"ring_size\"]==4096 and len(d[\"grants\"])==2 and d[\"hooks\"][\"ptrace_access\"]==dict(allowed=11,denied=5,audited=2,granted=1,missed=0) and len(d[\"hooks\"])==16'"
x "status with system-wide user sampling" 0 env AIGUARD_MOCK_SAMPLING=1 "$A" status
t "status warns about system-wide user sampling" "grep -q '^warning: 2 system-wide perf event(s) sample user stacks or registers' '$W/o'"
x "status --json with system-wide user sampling" 0 env AIGUARD_MOCK_SAMPLING=1 "$A" status --json
$HAVE_PY && t "status --json: sampling_events" "py '$W/o' 'd[\"sampling_events\"]==2'"
x "revoke" 0 "$A" revoke "$G1"
x "revoke again: no such grant" 8 "$A" revoke "$G1"
x "revoke abc: usage" 2 "$A" revoke abc
x "revoke without ID: usage" 2 "$A" revoke
x "revoke two IDs: usage" 2 "$A" revoke 1 2
x "grants after revoke" 0 "$A" grants --json
t "grants: only the other one is left" "grep -q '\"total\":1,' '$W/o' && grep -q '\"id\":$G2,' '$W/o'"
kill "$P3" 2>/dev/null; wait "$P3" 2>/dev/null
x "grants after the tracer exited" 0 "$A" grants --json
t "grants: a grant ends with its tracer" "grep -q '\"total\":0,' '$W/o'"

# --- status: dead hooks, another ABI, grants unreadable -------------------
x "status with dead hooks still exits 0" 0 env AIGUARD_MOCK_DEAD=1 "$A" status
t "status: CRITICAL line on stdout and stderr" \
	"grep -q '^CRITICAL: hooks are not running (kprobes or ftrace disabled) .* protection is OFF\$' '$W/o' && grep -q 'CRITICAL: hooks are not running' '$W/e'"
x "status --json with dead hooks" 0 env AIGUARD_MOCK_DEAD=1 "$A" status --json
cp "$W/o" "$W/d.json"
$HAVE_PY && t "status --json: critical true" "py '$W/d.json' 'd[\"critical\"] is True and d[\"state\"]==256'"
x "status against a module without GET_STATUS: ABI mismatch" 9 env AIGUARD_MOCK_NOOPS=1 "$A" status
t "status: says the ABIs differ, prints no partial table" \
	"grep -q 'cannot read the module state: .*ABI differ' '$W/e' && [ ! -s '$W/o' ]"
x "status --json against a module without GET_STATUS: ABI mismatch" 9 env AIGUARD_MOCK_NOOPS=1 "$A" status --json
t "status --json: no partial object on stdout" "[ ! -s '$W/o' ]"
for f in "" --json; do
	x "status${f:+ $f} when the grants cannot be listed still exits 0" 0 \
		env AIGUARD_MOCK_GRANTS_FAIL=1 "$A" status $f
	grep -q "cannot list grants: Input/output error" "$W/e" && cp "$W/o" "$W/gf$f"
done
t "status: says why, leaves the grants out, shows the counters" \
	"! grep -q '^active grants' '$W/gf' && grep -Eq '^ptrace_access +11 +5 +2 +1 +0\$' '$W/gf'"
$HAVE_PY && t "status --json: says why, grants null, the rest there" \
	"py '$W/gf--json' 'd[\"grants\"] is None and d[\"mode\"]==\"enforcing\" and d[\"hooks\"][\"ptrace_access\"][\"audited\"]==2'"
x "permissive on against a module without SET_MODE" 9 env AIGUARD_MOCK_NOOPS=1 "$A" permissive on

# --- lock (own state file: it is sticky) ------------------------------------
x "lock: non-root" 4 "$A" exec --user 65534 --group 65534 -- "$A" lock
t "lock: non-root is not told 'locked'" "! grep -q 'policy is locked' '$W/out'"
x "lock: stray argument: usage" 2 "$A" lock now
x "lock --help" 0 "$A" lock --help
t "lock --help says irreversible" "grep -q 'IRREVERSIBLE until the machine reboots' '$W/o'"
x "lock" 0 "$A" lock
x "lock twice" 0 "$A" lock
x "status after lock" 0 "$A" status
t "status: locked yes" "grep -q '^locked: yes' '$W/o'"
t "status: sealed yes" "grep -q '^sealed: yes' '$W/o'"
x "unprotect after lock" 4 "$A" unprotect "$P4"
t "unprotect after lock: locked message" "grep -q 'the aiguard policy is locked (aiguard lock); reboot to change it' '$W/e'"
x "permissive on after lock" 4 "$A" permissive on
t "permissive on after lock: locked message" "grep -q 'policy is locked (aiguard lock); reboot' '$W/e'"
x "permissive off after lock" 0 "$A" permissive off
x "allow after lock" 4 "$A" allow --tracer $$ --target "$P4"
t "allow after lock: locked message" "grep -q 'policy is locked (aiguard lock); reboot' '$W/e'"
x "protect --permissive after lock" 4 "$A" protect --permissive $$
t "protect --permissive after lock: locked message" "grep -q 'policy is locked (aiguard lock); reboot' '$W/e'"
x "protect after lock still works" 0 "$A" protect --label late $$
sleep 1000 &
P5=$!
x "protect --join into a label with members after lock" 4 "$A" protect --label late --join "$P5"
t "protect --join after lock: locked message" "grep -q 'policy is locked (aiguard lock); reboot' '$W/e'"
x "protect into a new label after lock still works" 0 "$A" protect --label later "$P5"
kill "$P5" 2>/dev/null
kill "$P4" 2>/dev/null
rm -f "$AIGUARD_MOCK_STATE"

# --- status --prometheus ----------------------------------------------------
sleep 1000 &
P6=$!
"$A" protect --label prom "$P6" >/dev/null 2>&1
x "status --prometheus" 0 "$A" status --prometheus
cp "$W/o" "$W/prom"
t "prometheus: every sample line is aiguard_name{labels} value" \
	"grep -v '^#' '$W/prom' | grep -Evq '^aiguard_[a-z_]+(\{[^}]*\})? [0-9.e+-]+\$' && false || [ \$(grep -vc '^#' '$W/prom') -gt 40 ]"
t "prometheus: one HELP and one TYPE before each family's samples" \
	"awk '/^# HELP /{h[\$3]++; next} /^# TYPE /{if (!(\$3 in h)) exit 1; ty[\$3]++; next} {n=\$1; sub(/\{.*/, \"\", n); if (!(n in ty)) exit 1} END {for (k in ty) if (ty[k] != 1 || h[k] != 1) exit 1}' '$W/prom'"
t "prometheus: per-hook counters with a hook label" \
	"grep -qx 'aiguard_hook_denied_total{hook=\"ptrace_access\"} 5' '$W/prom' && grep -qx 'aiguard_hook_allowed_total{hook=\"ptrace_access\"} 11' '$W/prom' && grep -qx 'aiguard_hook_audited_total{hook=\"ptrace_access\"} 2' '$W/prom' && grep -qx 'aiguard_hook_granted_total{hook=\"ptrace_access\"} 1' '$W/prom' && [ \$(grep -c '^aiguard_hook_missed_total{hook=' '$W/prom') -eq 16 ]"
t "prometheus: state gauges and counters" \
	"grep -qx 'aiguard_hooks_alive 1' '$W/prom' && grep -qx 'aiguard_locked 0' '$W/prom' && grep -qx 'aiguard_sealed 0' '$W/prom' && grep -qx 'aiguard_permissive 0' '$W/prom' && grep -qx 'aiguard_protected_processes 1' '$W/prom' && grep -qx 'aiguard_pending_processes 0' '$W/prom' && grep -qx 'aiguard_events_written_total 14' '$W/prom' && grep -qx 'aiguard_events_dropped_total 3' '$W/prom' && grep -qx 'aiguard_sampling_events 0' '$W/prom' && grep -qx 'aiguard_cleared_pages_total 4096' '$W/prom' && grep -qx 'aiguard_grants 0' '$W/prom' && grep -qx '# TYPE aiguard_hook_denied_total counter' '$W/prom'"
x "status --prometheus with dead hooks" 0 env AIGUARD_MOCK_DEAD=1 "$A" status --prometheus
t "prometheus: hooks_alive 0 when the hooks are dead" "grep -qx 'aiguard_hooks_alive 0' '$W/o'"
x "status --prometheus --json: usage" 2 "$A" status --prometheus --json
x "status --prometheus PID: usage" 2 "$A" status --prometheus "$P6"
x "status --prometheus without the module" 3 env -u LD_PRELOAD "$A" status --prometheus
t "prometheus: no partial output without the module" "[ ! -s '$W/o' ]"
M=$W/metrics
x "aiguard-metrics writes aiguard.prom" 0 env AIGUARD="$A" AIGUARD_CONF="$W/nonexistent" \
	sh -c "METRICS_DIR='$M' && export METRICS_DIR && sed 's|^METRICS_DIR=.*|METRICS_DIR=$M|' '$ROOT/packaging/aiguard-metrics' >'$W/am' && sh '$W/am'"
t "aiguard-metrics: the file is the exposition, nothing left behind" \
	"grep -qx 'aiguard_module_loaded 1' '$M/aiguard.prom' && [ \$(ls -A '$M' | wc -l) -eq 1 ]"
x "aiguard-metrics without the module" 0 env -u LD_PRELOAD AIGUARD="$A" AIGUARD_CONF="$W/nonexistent" sh "$W/am"
t "aiguard-metrics: says aiguard_module_loaded 0 instead of going stale" \
	"grep -qx 'aiguard_module_loaded 0' '$M/aiguard.prom' && [ \$(ls -A '$M' | wc -l) -eq 1 ]"

# --- doctor (AIGUARD_ROOT: a fake /proc and /sys) ----------------------------
R=$W/root
# fake PATH VALUE: writes VALUE to $R/PATH
fake() { mkdir -p "$(dirname "$R$1")" && printf '%s\n' "$2" >"$R$1"; }
for s in kernel/yama/ptrace_scope=2 kernel/kptr_restrict=1 kernel/perf_event_paranoid=3 \
	kernel/unprivileged_bpf_disabled=1 kernel/kexec_load_disabled=1 kernel/modules_disabled=1 \
	kernel/ftrace_enabled=1 kernel/core_pattern=core fs/suid_dumpable=0; do
	fake "/proc/sys/${s%%=*}" "${s#*=}"
done
fake /sys/kernel/security/lockdown "none [integrity] confidentiality"
fake /sys/module/module/parameters/sig_enforce Y
fake /sys/kernel/debug/kprobes/enabled 1
fake /sys/block/dm-0/dm/uuid CRYPT-LUKS2-0123456789abcdef-swap
fake /proc/cmdline "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro init_on_free=1 quiet"
fake /sys/kernel/kexec_crash_loaded 0
mkdir -p "$R/sys/module/aiguard"
mkdir -p "$R/sys/firmware/efi/efivars"
printf '\001\000\000\000\001' >"$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a2c4b5a1b7"
SWAPS='Filename\tType\tSize\tUsed\tPriority\n/dev/dm-0 partition 1048572 0 -2\n/dev/zram0 partition 1048572 0 100\n'
printf 'Filename\tType\tSize\tUsed\tPriority\n' >"$R/proc/swaps"
fake /proc/mounts "proc /proc proc rw,nosuid,nodev,noexec,relatime,hidepid=invisible 0 0"
export AIGUARD_ROOT="$R"
# dv CHECK VERDICT: the last doctor --json ($W/doc.json) says VERDICT for CHECK
dv() { py "$W/doc.json" "[c[\"verdict\"] for c in d[\"checks\"] if c[\"check\"]==\"$1\"]==[\"$2\"]"; }
doc() { "$A" doctor --json >"$W/doc.json" 2>"$W/out"; _r=$?; cat "$W/doc.json" >>"$W/out"; return $_r; }
x "doctor on a good machine, unlocked" 0 "$A" doctor
t "doctor: text lists each check, only the lock warns" \
	"grep -q '^OK    module loaded ' '$W/o' && grep -q '^WARN  policy locked and sealed ' '$W/o' && grep -q '^      fix: aiguard lock once' '$W/o' && grep -qx '19 ok, 1 warn, 0 fail' '$W/o'"
if $HAVE_PY; then
	doc; r=$?
	t "doctor --json: valid, 20 checks, each with verdict, detail and fix" \
		"[ $r -eq 0 ] && py '$W/doc.json' 'len(d[\"checks\"])==20 and d[\"critical\"] is False and d[\"warn\"]==1 and all(set(c)=={\"check\",\"verdict\",\"critical\",\"detail\",\"fix\"} for c in d[\"checks\"])'"
	# flip CHECK FILE VALUE VERDICT: set FILE, expect VERDICT for CHECK, restore
	flip() {
		_old=$(cat "$R$2")
		fake "$2" "$3"
		doc
		t "doctor: $2=$3 makes '$1' $4" "dv '$1' '$4'"
		fake "$2" "$_old"
	}
	flip kernel.yama.ptrace_scope /proc/sys/kernel/yama/ptrace_scope 1 warn
	flip kernel.kptr_restrict /proc/sys/kernel/kptr_restrict 0 warn
	flip kernel.perf_event_paranoid /proc/sys/kernel/perf_event_paranoid 1 warn
	flip kernel.unprivileged_bpf_disabled /proc/sys/kernel/unprivileged_bpf_disabled 0 warn
	flip kernel.kexec_load_disabled /proc/sys/kernel/kexec_load_disabled 0 warn
	flip kernel.modules_disabled /proc/sys/kernel/modules_disabled 0 warn
	flip kernel.ftrace_enabled /proc/sys/kernel/ftrace_enabled 0 fail
	flip "core dumps" /proc/sys/fs/suid_dumpable 2 warn
	flip "kernel lockdown" /sys/kernel/security/lockdown "[none] integrity confidentiality" warn
	flip "module signature enforcement" /sys/module/module/parameters/sig_enforce N warn
	flip "kprobes enabled" /sys/kernel/debug/kprobes/enabled 0 fail
	flip init_on_free /proc/cmdline "BOOT_IMAGE=/boot/vmlinuz ro quiet init_on_free=0" warn
	mkdir -p "$R/boot"
	fake /proc/sys/kernel/osrelease 6.12.0-test
	fake /boot/config-6.12.0-test "CONFIG_INIT_ON_FREE_DEFAULT_ON=y"
	flip init_on_free /proc/cmdline "BOOT_IMAGE=/boot/vmlinuz ro quiet" ok
	fake /boot/config-6.12.0-test "# CONFIG_INIT_ON_FREE_DEFAULT_ON is not set"
	flip init_on_free /proc/cmdline "BOOT_IMAGE=/boot/vmlinuz ro quiet" warn
	flip "crash kernel (kdump)" /sys/kernel/kexec_crash_loaded 1 warn
	# shellcheck disable=SC2059
	printf "$SWAPS" >"$R/proc/swaps"
	doc
	t "doctor: swap on dm-crypt and zram only is ok, says protected memory stays off it" \
		"dv swap ok && grep -q '2 device(s), zram or dm-crypt; protected memory is kept off swap' '$W/doc.json'"
	fake /sys/block/dm-0/dm/uuid LVM-abcdef
	doc
	t "doctor: swap on plain dm-0 warns, says plaintext" \
		"dv swap warn && grep -q '1 of 2 device(s) neither zram nor dm-crypt (/dev/dm-0)' '$W/doc.json'"
	printf 'Filename\tType\tSize\tUsed\tPriority\n' >"$R/proc/swaps"
	doc
	t "doctor: no swap is ok" "dv swap ok"
	flip "/proc hidepid" /proc/mounts "proc /proc proc rw,relatime 0 0" warn
	printf '\001\000\000\000\000' >"$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a2c4b5a1b7"
	doc
	t "doctor: SecureBoot efivar 0 makes 'Secure Boot' warn" "dv 'Secure Boot' warn"
	printf '\001\000\000\000\001' >"$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0a2c4b5a1b7"
	doc; r=$?
	t "doctor: a non-critical failure keeps exit 0" "[ $r -eq 0 ] && dv 'hooks alive' ok"
	AIGUARD_MOCK_DEAD=1 doc; r=$?
	t "doctor: dead hooks are critical (exit 11)" \
		"[ $r -eq 11 ] && dv 'hooks alive' fail && py '$W/doc.json' 'd[\"critical\"] is True'"
	LD_PRELOAD= doc; r=$?
	t "doctor: no module is critical (exit 11), the rest still checked" \
		"[ $r -eq 11 ] && dv 'module loaded' fail && py '$W/doc.json' 'len(d[\"checks\"])==17'"
	"$A" lock >/dev/null 2>&1
	fake /sys/kernel/security/lockdown "[none] integrity confidentiality"
	fake /proc/sys/kernel/kexec_load_disabled 0
	doc; r=$?
	t "doctor: after aiguard lock, locked and sealed cover lockdown and kexec" \
		"[ $r -eq 0 ] && dv 'policy locked and sealed' ok && dv 'kernel lockdown' ok && dv kernel.kexec_load_disabled ok"
	rm -f "$AIGUARD_MOCK_STATE"
fi
x "doctor: stray argument: usage" 2 "$A" doctor now
x "doctor --help" 0 "$A" doctor --help
unset AIGUARD_ROOT
kill "$P6" 2>/dev/null

for c in events permissive allow revoke grants lock doctor; do
	x "help $c" 0 "$A" help "$c"
done
x "--help lists the new commands" 0 "$A" --help
t "--help: events, permissive, allow, revoke, grants, lock, doctor" \
	"for c in events permissive allow revoke grants lock doctor; do grep -q \"^  \$c\" '$W/o' || exit 1; done"

# --- oci-hook against the stand-in -------------------------------------
rm -f "$AIGUARD_MOCK_STATE"
sleep 1000 &
C1=$!
sleep 1000 &
C2=$!
# hook NAME RC ID PID STATUS ANNOTATIONS: oci-hook on that state
hook() {
	_n=$1 _w=$2
	oci_state "$3" "$4" "$5" "$6" >"$W/st"
	x "$_n" "$_w" sh -c '"$1" oci-hook <"$2"' sh "$A" "$W/st"
}
hook "oci-hook: annotated container" 0 aaaa1111bbbb2222cccc "$C1" created \
	'"io.aiguard.label":"llm","io.kubernetes.pod.name":"x"'
t "oci-hook: says which container and pid, with the label" \
	"grep -qx 'container aaaa1111bbbb: pid $C1 protected, label llm' '$W/o'"
"$A" status "$C1" >"$W/out" 2>&1
t "oci-hook: the init is protected with the label" "grep -q ': protected, label llm' '$W/out'"
hook "oci-hook: a second container with a label that has members: outsider" 10 \
	dddd3333 "$C2" created '"io.aiguard.label":"llm"'
t "oci-hook: says how to join or take a label of its own" \
	"grep -q 'container dddd3333: label llm has members already: set io.aiguard.join=true' '$W/e'"
hook "oci-hook: with io.aiguard.join=true it joins" 0 dddd3333 "$C2" created \
	'"io.aiguard.label":"llm","io.aiguard.join":"true"'
"$A" unprotect "$C1" "$C2" >/dev/null 2>&1
hook "oci-hook: default" 0 eeee4444 "$C1" created '"io.aiguard.label":"dx"'
"$A" status --json "$C1" >"$W/p.json" 2>"$W/out"
$HAVE_PY && t "oci-hook: by default exec sessions may join (status --json: enter)" \
	"py '$W/p.json' 'd[\"enter\"] is True'"
"$A" unprotect "$C1" >/dev/null 2>&1
hook "oci-hook: io.aiguard.exec=deny" 0 eeee4444 "$C1" created \
	'"io.aiguard.label":"nx","io.aiguard.exec":"deny"'
t "oci-hook: exec=deny says so" "grep -q 'protected, label nx (no exec sessions)' '$W/o'"
"$A" status --json "$C1" >"$W/p.json" 2>"$W/out"
$HAVE_PY && t "oci-hook: exec=deny: status --json: enter false" "py '$W/p.json' 'd[\"enter\"] is False'"
"$A" unprotect "$C1" >/dev/null 2>&1
hook "oci-hook: io.aiguard.exec neither allow nor deny" 2 eeee4444 "$C1" created \
	'"io.aiguard.label":"nx","io.aiguard.exec":"yes"'
hook "oci-hook: permissive" 0 eeee4444 "$C1" creating \
	'"io.aiguard.label":"pm","io.aiguard.permissive":"true"'
t "oci-hook: permissive says so" "grep -q 'protected, label pm (permissive)' '$W/o'"
"$A" unprotect "$C1" >/dev/null 2>&1
hook "oci-hook: invalid label" 2 ffff5555 "$C1" created '"io.aiguard.label":"a b"'
t "oci-hook: invalid label: names the container and the annotation" \
	"grep -q 'container ffff5555: annotation io.aiguard.label: invalid label' '$W/e'"
hook "oci-hook: permissive neither true nor false" 2 ffff5555 "$C1" created \
	'"io.aiguard.label":"a","io.aiguard.permissive":"yes"'
hook "oci-hook: an unknown io.aiguard annotation" 2 ffff5555 "$C1" created \
	'"io.aiguard.label":"a","io.aiguard.lable":"b"'
t "oci-hook: unknown annotation: says which" "grep -q 'unknown annotation io.aiguard.lable' '$W/e'"
hook "oci-hook: join without a label" 2 ffff5555 "$C1" created '"io.aiguard.join":"true"'
hook "oci-hook: status running: too late" 2 ffff5555 "$C1" running '"io.aiguard.label":"a"'
t "oci-hook: too late: says where to run it" "grep -q 'run the hook at createRuntime or prestart' '$W/e'"
printf '{"id":"x","status":"created","annotations":{"io.aiguard.label":"a"}}' >"$W/st"
x "oci-hook: no pid" 2 sh -c '"$1" oci-hook <"$2"' sh "$A" "$W/st"
printf '{"id":"x","pid":%s,"status":"created","annotations":{"io.aiguard.label":"a"}' "$C1" >"$W/st"
x "oci-hook: truncated state" 2 sh -c '"$1" oci-hook <"$2"' sh "$A" "$W/st"
t "oci-hook: truncated state: says where" "grep -q 'invalid OCI state on stdin: byte [0-9]*: .}. expected' '$W/e'"
x "oci-hook: empty stdin" 2 sh -c '"$1" oci-hook </dev/null' sh "$A"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$W/big"
x "oci-hook: 2 MB of state" 1 sh -c '"$1" oci-hook <"$2"' sh "$A" "$W/big"
kill "$C2" 2>/dev/null
wait "$C2" 2>/dev/null
hook "oci-hook: the init is gone" 5 gggg6666 "$C2" created '"io.aiguard.label":"gone"'
x "oci-hook: operands are refused" 2 "$A" oci-hook now
x "help oci-hook" 0 "$A" help oci-hook
kill "$C1" 2>/dev/null
rm -f "$AIGUARD_MOCK_STATE"

# The guest suite, against the stand-in. Test "environ unreadable" needs
# the real module and is expected to fail here. "status shows hook
# counters" expects the three-counter table of before GET_STATUS (now five
# counters: allowed denied audited granted missed); t_tool.sh is not ours.
AIGUARD="$A" sh "$ROOT/tests/e2e/t_tool.sh" >"$W/e2e" 2>&1
grep -v "^ok\|environ unreadable\|status shows hook counters\|^TAP\|^1\.\." "$W/e2e" >"$W/out"
t "tests/e2e/t_tool.sh against the stand-in ($(grep -c '^ok' "$W/e2e") ok)" \
	"! grep -q '^not ok' '$W/out' && [ \$(grep -c '^ok\|^not ok' '$W/e2e') -eq \$(sed -n 's/^1\.\.//p' '$W/e2e') ]"

echo "1..$N"
[ "$FAILS" -eq 0 ]
