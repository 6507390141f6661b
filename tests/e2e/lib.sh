# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - the shell library of the e2e tests (sourced by t_ops.sh,
# t_lock.sh and t_tool.sh; not a test itself): TAP output and the checks
# they share. busybox-sh compatible. The C tests have tap.c and lib.c.
#
#     . "$(dirname "$0")/lib.sh"
#     tap_start t_name 12
#
# tap_start prints the TAP header and plan and sets AG (the tool: AIGUARD
# or aiguard from PATH), TMP (a private directory), OUT (what the last
# check saw, shown when it fails), N (the test counter) and PIDS
# (processes killed on exit, with TMP removed: tap_cleanup). MARK, when a
# test sets it, is the environment marker of its sleepers.

# tap_start NAME PLAN
tap_start() {
	AG=${AIGUARD:-aiguard}
	TMP=${TMPDIR:-/tmp}/$1.$$
	mkdir -p "$TMP"
	OUT=$TMP/out
	N=0
	PIDS=""
	echo "TAP version 13"
	echo "1..$2"
	trap tap_cleanup EXIT
	trap 'exit 1' INT TERM
}

# tap_cleanup: kills PIDS and removes TMP (a test with more to undo sets
# its own EXIT trap and calls this last).
tap_cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	# and reaped: a protected one still exiting would be counted in the
	# next suite's registry baseline
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}

pass() { N=$((N + 1)); echo "ok $N - $1"; }
# fail NAME: also shows the start of $OUT as diagnostics.
fail() {
	N=$((N + 1)); echo "not ok $N - $1"
	[ -s "$OUT" ] && { tr '\0\033' '  ' <"$OUT"; echo; } | sed 's/^/#   /' | head -12
}
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }
# t NAME CONDITION: CONDITION is eval'd.
t() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

# rc NAME EXPECTED_RC CMD...: run CMD (stdout in $OUT.o, stderr in $OUT.e,
# both in $OUT) and check its exit status.
rc() {
	name=$1 want=$2
	shift 2
	"$@" >"$OUT.o" 2>"$OUT.e"
	got=$?
	cat "$OUT.o" "$OUT.e" >"$OUT"
	if [ "$got" -eq "$want" ]; then
		pass "$name (exit $want)"
	else
		echo "# expected exit $want, got $got: $*" >>"$OUT"
		fail "$name (exit $want)"
	fi
}

# has NAME PATTERN: the last rc's output matches PATTERN (grep -E).
has() {
	if grep -Eq "$2" "$OUT"; then pass "$1"; else
		echo "# output does not match: $2" >>"$OUT"; fail "$1"; fi
}

nap() { sleep "$1" 2>/dev/null || sleep 1; }

# wait_protected PID: poll (5 s at most) until the module reports PID as
# protected.
wait_protected() {
	_i=0
	while [ $_i -lt 50 ]; do
		"$AG" status "$1" 2>/dev/null | grep -q ': protected' && return 0
		nap 0.1
		_i=$((_i + 1))
	done
	return 1
}

# sleeper VAR: starts "sleep 1000000" (outlives any run: make stress runs
# t_load.sh for more than 1000 s) with OPS_MARK=$MARK in its environment,
# killed on exit; its pid goes to VAR.
sleeper() {
	OPS_MARK=$MARK sleep 1000000 &
	eval "$1=\$!"
	PIDS="$PIDS $!"
	# Until the child has exec'd sleep: before that it is the forked
	# shell, whose environment lacks OPS_MARK (readable() would fail on
	# a loaded machine; 30 s at most).
	wait_comm "$!" sleep
}

# wait_comm PID NAME: poll (30 s at most) until PID's comm is NAME, i.e.
# until a child started with "CMD &" (or through "aiguard exec") has
# exec'd NAME; before that it is the forked shell or the tool.
wait_comm() {
	_sl=0
	while [ $_sl -lt 300 ] && [ "$(cat /proc/"$1"/comm 2>/dev/null)" != "$2" ]; do
		sleep 0.1
		_sl=$((_sl + 1))
	done
}

# start_tracer TARGET [ptrace|perf]: starts hold (next to this library),
# which attaches to TARGET with PTRACE_SEIZE (or opens a per-task perf
# event on it) once attach_tracer releases it, so that a grant can name it
# first; killed on exit. Sets TR (its pid) and TRN (its name for
# attach_tracer).
tracer_n=0
start_tracer() {
	tracer_n=$((tracer_n + 1))
	TRN=tr$tracer_n
	rm -f "$TMP/go.$TRN" "$TMP/$TRN.out"
	"$(dirname "$0")/hold" "${2:-ptrace}" "$TMP/go.$TRN" "$1" "$TMP/$TRN.out" &
	TR=$!
	PIDS="$PIDS $TR"
}
# attach_tracer NAME: releases it; true once it reports "attached".
attach_tracer() {
	: >"$TMP/go.$1"
	_i=0
	while [ $_i -lt 100 ] && [ ! -s "$TMP/$1.out" ]; do
		nap 0.1
		_i=$((_i + 1))
	done
	cp "$TMP/$1.out" "$OUT"
	grep -qx attached "$TMP/$1.out"
}
# gone PID: it exited (a zombie counts: our child, not reaped yet).
# loaded: aiguard.ko is loaded
loaded() { [ -d /sys/module/aiguard ]; }

# dev_up: /dev/aiguard appears (devtmpfs) within 5 s
dev_up() {
	_i=0
	while [ $_i -lt 50 ] && [ ! -c /dev/aiguard ]; do nap 0.1; _i=$((_i + 1)); done
	[ -c /dev/aiguard ]
}

# unload_when_free [SECONDS]: rmmod aiguard, retrying for SECONDS
# (default 5) while something still holding it lets go (an events reader,
# BPF programs freed from a workqueue, processes still exiting)
unload_when_free() {
	_i=0
	while [ $_i -lt $((${1:-5} * 10)) ]; do
		rmmod aiguard 2>"$OUT" && return 0
		nap 0.1
		_i=$((_i + 1))
	done
	return 1
}

gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
# gone_within PID SECONDS
gone_within() {
	_i=0
	while [ $_i -lt $(($2 * 10)) ]; do
		gone "$1" && return 0
		nap 0.1
		_i=$((_i + 1))
	done
	gone "$1"
}

# readable PID: root's cat gets the marker out of PID's environment.
readable() {
	cat /proc/"$1"/environ >"$TMP/env" 2>"$OUT"
	tr '\0' '\n' <"$TMP/env" | grep -q "^OPS_MARK=$MARK\$"
}
