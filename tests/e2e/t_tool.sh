#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of the aiguard(8) tool; run as root in the test guest
# with the module loaded. busybox-sh compatible, prints TAP, exits 0.
# AIGUARD may name the binary (default: aiguard from PATH).

AG=${AIGUARD:-aiguard}
TMP=${TMPDIR:-/tmp}/t_tool.$$
mkdir -p "$TMP"
OUT=$TMP/out
N=0
PIDS=""

echo "TAP version 13"
echo "1..34"

pass() { N=$((N + 1)); echo "ok $N - $1"; }
fail() {
	N=$((N + 1)); echo "not ok $N - $1"
	[ -f "$OUT" ] && sed 's/^/#   /' "$OUT" | head -10
}
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }

# rc NAME EXPECTED_RC CMD...: run CMD (output in $OUT), check its exit code.
rc() {
	name=$1 want=$2
	shift 2
	"$@" >"$OUT" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		pass "$name (exit $want)"
	else
		echo "# expected exit $want, got $got: $*" >>"$OUT"
		fail "$name (exit $want)"
	fi
}

# has NAME PATTERN: the last command's output matches PATTERN (grep -E).
has() {
	if grep -Eq "$2" "$OUT"; then pass "$1"; else
		echo "# output does not match: $2" >>"$OUT"; fail "$1"; fi
}

# wait_protected PID: poll until the module reports PID as protected.
wait_protected() {
	i=0
	while [ $i -lt 50 ]; do
		"$AG" status "$1" 2>/dev/null | grep -q ': protected' && return 0
		sleep 0.1 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	return 1
}

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# --- version and status -------------------------------------------------
rc "version runs" 0 "$AG" version
has "version shows module ABI 1" '^module: ABI 1$'
rc "--version" 0 "$AG" --version
rc "status runs" 0 "$AG" status
has "status shows hook counters" '^ptrace_access( +[0-9]+){5}$'
rc "status --json runs" 0 "$AG" status --json
has "status --json is one object with abi_version 1" '^\{"abi_version":1,.*"hooks":\{.*\}\}$'

# --- exec -----------------------------------------------------------------
rc "exec runs the command" 0 "$AG" exec --label t -- sh -c 'cat /proc/self/status'
has "exec: command output seen" '^Name:'
rc "exec: process is protected from inside" 0 \
	"$AG" exec --label t -- sh -c "$AG"' status $$'
has "exec: label t in force" '^pid [0-9]+: protected, label t$'
rc "exec without --label" 0 "$AG" exec -- sh -c "$AG"' status $$'
has "exec without --label gets a private domain" 'protected, label @[0-9]+$'
rc "exec --user 65534 --group 65534" 0 \
	"$AG" exec --label t --user 65534 --group 65534 -- cat /proc/self/status
has "exec drops uid and gid" '^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534' 
rc "exec: command not found" 127 "$AG" exec -- /nonexistent/cmd
rc "exec: command not executable" 126 "$AG" exec -- /

# A process started with exec is really protected: root cannot read it.
"$AG" exec --label t2 -- sleep 1000 &
EP=$!
PIDS="$PIDS $EP"
: >"$OUT"
if wait_protected "$EP" && ! cat /proc/"$EP"/environ >/dev/null 2>&1; then
	pass "exec'd process: /proc/PID/environ unreadable by root"
else
	fail "exec'd process: /proc/PID/environ unreadable by root"
fi

# --- protect / status / list / unprotect -------------------------------
sleep 1000 &
SP=$!
PIDS="$PIDS $SP"
rc "protect a running process" 0 "$AG" protect --label t3 "$SP"
has "protect reports the label" "^pid $SP: protected, label t3\$"
rc "status PID" 0 "$AG" status "$SP"
has "status PID shows the label" "^pid $SP: protected, label t3\$"
rc "list --json" 0 "$AG" list --json
has "list --json contains the pid" "^\{\"total\":[0-9]+,\"processes\":\[.*\{\"pid\":$SP,\"label\":\"t3\",\"comm\":\"sleep\"\}"
rc "protect with another label: conflict" 7 "$AG" protect --label other "$SP"
rc "non-root protect is refused" 4 \
	"$AG" exec --user 65534 --group 65534 -- "$AG" protect --label t3 "$SP"
# EBUSY needs a traced process: only when strace is in the guest.
TP=""
if command -v strace >/dev/null 2>&1; then
	strace -o /dev/null sleep 1000 &
	STP=$!
	PIDS="$PIDS $STP"
	sleep 1
	TP=$(cat /proc/"$STP"/task/"$STP"/children 2>/dev/null)
	TP=${TP%% *}
fi
if [ -n "$TP" ]; then
	PIDS="$PIDS $TP"
	rc "protect a traced process: busy" 6 "$AG" protect --label t4 "$TP"
else
	skip "protect a traced process: busy (exit 6)" "no strace in this system"
fi
rc "unprotect" 0 "$AG" unprotect "$SP"
rc "unprotect an unprotected process" 8 "$AG" unprotect "$SP"

# --- usage errors and unknown processes --------------------------------
rc "protect without pid: usage" 2 "$AG" protect
rc "protect 12abc: usage" 2 "$AG" protect 12abc
rc "invalid label: usage" 2 "$AG" protect --label 'bad label!' "$SP"
rc "unknown command: usage" 2 "$AG" frobnicate
rc "unknown pid" 5 "$AG" protect 2147483647

exit 0
