#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading aiguard.ko, again and again, and loads that fail:
#   - an events reader open across an unload attempt holds the module:
#     rmmod fails, nothing breaks, and once the reader is gone rmmod works;
#   - the tool without the module, with a stale /dev/aiguard, and with
#     /dev/aiguard replaced by another device: exit 3, and a message that
#     says which (exec runs nothing);
#   - CYCLES insmod/rmmod cycles (10; 1000 under "make stress"), each with
#     a process protected before the unload: after each load enforcement
#     works (a protected sleeper's environ is refused to root) and the
#     process protected by the previous load is not protected any more;
#   - with every kprobe switched off (debugfs kprobes/enabled), aiguard
#     refuses to load and says why; loaded, it refuses the switch-off;
#   - every step of the load fails in turn (module parameter fail_at=N,
#     N = 1, 2, ... until a load succeeds): each failed load is refused
#     with a kernel log line naming its step, and leaves no module, no
#     kprobe and no ftrace function behind (counted in debugfs before and
#     after);
#   - the held set (object probes, ftrace guards) is attached by the first
#     protect request and detached once nothing is held; an attach that
#     fails (fail_hold) fails the request and leaves nothing behind.
# Leaves aiguard.ko loaded, as it found it. Run as root in the test guest;
# busybox-sh compatible, prints TAP, exits 0, never waits without a bound.

. "$(dirname "$0")/lib.sh"
tap_start t_load 38
KO=/lib/aiguard/aiguard.ko
CYCLES=${AG_LOAD_CYCLES:-10}
[ -n "${ag_stress:-}" ] && CYCLES=${AG_LOAD_CYCLES:-1000}
MARK=t_load.$$

mount -t debugfs none /sys/kernel/debug 2>/dev/null
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
KPROBES=/sys/kernel/debug/kprobes/list
FTRACE=/sys/kernel/tracing/enabled_functions
[ -r "$FTRACE" ] || FTRACE=/sys/kernel/debug/tracing/enabled_functions

# what the module may leave behind: kprobes and ftrace call sites in use
probes() { wc -l <"$KPROBES"; }
ftraced() { wc -l <"$FTRACE"; }

# --- an events reader across an unload attempt ---------------------------
"$AG" events --follow >"$TMP/events" 2>&1 &
READER=$!
PIDS="$PIDS $READER"
_i=0
while [ $_i -lt 50 ] && [ "$(cat /sys/module/aiguard/refcnt)" = 0 ]; do nap 0.1; _i=$((_i + 1)); done
t "an events reader holds the module" "[ \"\$(cat /sys/module/aiguard/refcnt)\" -ge 1 ]"
t "rmmod with the reader open fails, and the module stays" \
	"! rmmod aiguard 2>'$OUT' && loaded && [ -c /dev/aiguard ]"
t "the reader is still alive and following" "kill -0 $READER"
kill -9 "$READER" 2>/dev/null
wait "$READER" 2>/dev/null
t "control: once the reader is gone, rmmod works" unload_when_free

# --- the tool without the module, and with a node that is not its own -----
rc "tool without the module: exit 3" 3 "$AG" status
has "it says the module is not loaded" 'not loaded \(run: modprobe aiguard\)'
mknod /dev/aiguard c 1 3
rc "tool with a stale /dev/aiguard and no module: exit 3" 3 "$AG" status
has "it says the module is not loaded" 'exists, but the aiguard module is not loaded'
rm -f /dev/aiguard
insmod "$KO" 2>"$OUT" && dev_up
# aside within devtmpfs: the same inode comes back, which devtmpfs still
# owns and removes at unload (a node copied across file systems is not)
mv /dev/aiguard /dev/.aiguard-t_load
mknod /dev/aiguard c 1 3
rc "tool with /dev/aiguard replaced by /dev/null's device: exit 3" 3 \
	"$AG" exec --label t-load -- touch "$TMP/ran"
has "it says the node was replaced" 'is device 1:3, but the aiguard module.s is 10:[0-9]+ .*node was replaced'
t "and it did not run the command unprotected" "[ ! -e '$TMP/ran' ]"
rm -f /dev/aiguard
mv /dev/.aiguard-t_load /dev/aiguard
rc "control: with the module's node back, status works" 0 "$AG" status
rmmod aiguard 2>/dev/null

# --- load/unload cycles ---------------------------------------------------
# Each cycle protects a fresh sleeper, checks that root cannot read it,
# releases it (unprotect on even cycles, exit on odd ones) and unloads.
# A protected process holds the module: the first cycle checks that rmmod
# is refused before the release.
sleeper S0
bad="" held=""
c=0
while [ $c -lt "$CYCLES" ]; do
	c=$((c + 1))
	if ! insmod "$KO" 2>"$OUT" || ! dev_up; then bad="cycle $c: insmod"; break; fi
	sleeper S
	if ! "$AG" protect --label t-load "$S" >"$OUT" 2>&1; then bad="cycle $c: protect"; break; fi
	if cat /proc/"$S"/environ >/dev/null 2>&1; then
		bad="cycle $c: root read a protected environ"
		break
	fi
	if ! readable "$S0"; then bad="cycle $c: control unreadable"; break; fi
	if [ $c -eq 1 ]; then
		rmmod aiguard 2>/dev/null || held=yes
		loaded || { bad="cycle 1: rmmod removed the module of a protected process"; break; }
	fi
	if [ $((c % 2)) -eq 0 ]; then
		"$AG" unprotect "$S" >"$OUT" 2>&1 || { bad="cycle $c: unprotect"; break; }
		readable "$S" || { bad="cycle $c: released process unreadable"; break; }
	fi
	kill -9 "$S" 2>/dev/null
	wait "$S" 2>/dev/null
	unload_when_free || { bad="cycle $c: rmmod after the release"; break; }
done
echo "# $c of $CYCLES cycles${bad:+; failed at $bad}"
t "rmmod is refused while a process is protected" "[ -n '$held' ]"
t "$CYCLES insmod/rmmod cycles, enforcing after each load" "[ -z '$bad' ] && [ $c -eq $CYCLES ]"
loaded && rmmod aiguard 2>/dev/null

# --- kprobes switched off: no load; loaded: no switch-off ------------------
KPE=/sys/kernel/debug/kprobes/enabled
if [ -w "$KPE" ] && ! loaded; then
	t "control: without aiguard, root switches every kprobe off" \
		"sh -c 'echo 0 > $KPE' 2>'$OUT' && [ \"\$(cat $KPE)\" = 0 ]"
	dmesg -c >/dev/null 2>&1
	insmod "$KO" >"$OUT" 2>&1
	r=$?
	dmesg >>"$OUT"
	t "aiguard refuses to load while kprobes are off, and says why (exit $r)" \
		"[ $r -ne 0 ] && ! loaded && grep -q 'kprobes are registered but do not fire' '$OUT'"
	echo 1 >"$KPE"
	t "with kprobes on again, it loads" "insmod $KO 2>'$OUT' && dev_up"
	t "loaded, it refuses the switch-off, and kprobes stay on" \
		"! sh -c 'echo 0 > $KPE' 2>'$OUT' && [ \"\$(cat $KPE)\" = 1 ]"
	unload_when_free
else
	for n in "control: switch off without aiguard" "no load while off" "loads when on" \
		"refuses the switch-off"; do
		skip "kprobes/enabled: $n" "no writable $KPE, or aiguard loaded"
	done
fi

# --- every step of the load fails in turn ---------------------------------
if [ -r "$KPROBES" ] && [ -r "$FTRACE" ]; then
	P0=$(probes) F0=$(ftraced)
	n=0 refused=0 named=0 clean=0 last=""
	while [ $n -lt 300 ]; do
		n=$((n + 1))
		dmesg -c >/dev/null 2>&1
		if insmod "$KO" fail_at=$n 2>"$OUT"; then
			break
		fi
		refused=$((refused + 1))
		if dmesg | grep -q "refusing to load: step $n ("; then
			named=$((named + 1))
		elif [ $((refused - named)) -ge 3 ]; then
			echo "# step $n: not refused on request: $(head -c 200 "$OUT")"
			break	# failing for another reason: stop here
		fi
		if ! loaded && [ "$(probes)" -eq "$P0" ] && [ "$(ftraced)" -eq "$F0" ]; then
			clean=$((clean + 1))
		else
			echo "# step $n: left behind: module $(loaded && echo yes || echo no)," \
				"kprobes $(probes) (before $P0), ftrace $(ftraced) (before $F0)"
		fi
		last=$(dmesg | grep -o 'step [0-9]* ([^)]*)' | tail -n 1)
		[ $((n % 10)) -eq 1 ] && echo "# fail_at=$n: $last"
	done
	steps=$((n - 1))
	echo "# $steps load steps; the last one: $last"
	t "a load can fail at each of its steps (at least 20; here $steps)" \
		"[ $steps -ge 20 ] && loaded"
	t "each injected failure refused the load ($refused of $steps)" "[ $refused -eq $steps ]"
	t "each named its step in the kernel log ($named of $steps)" "[ $named -eq $steps ]"
	t "each left no module, kprobe or ftrace function behind ($clean of $steps)" \
		"[ $clean -eq $steps ]"
	t "the module loaded with fail_at past the last step enforces" \
		"dev_up && sleeper S && $AG protect --label t-load \$S >'$OUT' 2>&1 && ! cat /proc/\$S/environ >/dev/null 2>&1"
	t "kprobes are back to the count without the module after rmmod" \
		"kill -9 \$S; wait \$S 2>/dev/null; unload_when_free && [ \$(probes) -eq $P0 ] && [ \$(ftraced) -eq $F0 ]"
else
	for what in "steps" "refused" "named" "clean" "enforces" "kprobes back"; do
		skip "fail_at: $what" "no $KPROBES or $FTRACE"
	done
	rmmod aiguard 2>/dev/null
fi

# --- leave it loaded, as found ---------------------------------------------
t "insmod without parameters works" "insmod $KO 2>'$OUT' && dev_up"
t "and its fail_at is 0" "[ \"\$(cat /sys/module/aiguard/parameters/fail_at 2>/dev/null)\" = 0 ]"

# --- the held set: hooks on every process's paths, only while needed ------
# The object hooks and the guards (hooks.c, ftrace_ops) are attached by the
# first protect request and detached 10 s after nothing is held; an
# attach that fails fails the request and leaves nothing behind.
held_open() { grep -q '^security_file_open ' "$FTRACE"; }
held_kread() { grep -q '^copy_from_kernel_nofault ' "$FTRACE"; }
# counts_back P F SECONDS: poll until kprobes and ftrace functions are
# back to P and F (an unregistered ftrace_ops may leave its functions
# listed for a moment); on failure, what differs from $TMP/kp1, ft1.
counts_back() {
	_h=0
	while [ $_h -lt $(($3 * 10)) ] && { [ "$(probes)" -ne "$1" ] || [ "$(ftraced)" -ne "$2" ]; }; do
		nap 0.1
		_h=$((_h + 1))
	done
	[ "$(probes)" -eq "$1" ] && [ "$(ftraced)" -eq "$2" ] && return 0
	{ diff "$TMP/kp1" "$KPROBES"; diff "$TMP/ft1" "$FTRACE"; } >"$OUT" 2>&1
	return 1
}
FH=/sys/module/aiguard/parameters/fail_hold
if [ -r "$KPROBES" ] && [ -r "$FTRACE" ] && [ -w "$FH" ]; then
	t "held set: off after the load, with nothing protected" "! held_open && ! held_kread"
	PL=$(probes) FL=$(ftraced)
	cp "$KPROBES" "$TMP/kp1"
	cp "$FTRACE" "$TMP/ft1"
	sleeper H
	rc "held set: a protect request attaches it" 0 "$AG" protect --label t-held "$H"
	t "held set: on while a process is protected (security_file_open, copy_from_kernel_nofault)" \
		"held_open && held_kread"
	t "held set: the protected process is closed to root" "! readable $H"
	kill -9 "$H"; wait "$H" 2>/dev/null
	t "held set: off again once the last protected process is gone" \
		"counts_back $PL $FL 30 && ! held_open && ! held_kread"
	sleeper H
	echo Y >"$FH"
	dmesg -c >/dev/null 2>&1
	rc "held set: an attach that fails fails the protect request (exit 1)" 1 \
		"$AG" protect --label t-held "$H"
	has "it says a hook could not be attached" 'could not attach a hook that protection needs'
	t "the kernel log says why" "dmesg | grep -q 'refusing to protect: attaching the hooks it needs failed'"
	t "the process stays unprotected: root reads its environ" "readable $H"
	t "the failed attach left no kprobe or ftrace function behind" "counts_back $PL $FL 5"
	echo N >"$FH"
	rc "control: without the injected failure the same request protects it" 0 \
		"$AG" protect --label t-held "$H"
	t "control: root is denied" "! readable $H"
	kill -9 "$H"; wait "$H" 2>/dev/null
else
	for n in "off after load" "protect attaches" "on while protected" "closed" "off again" \
		"failing attach" "message" "kernel log" "unprotected" "nothing left" \
		"control protects" "control denied"; do
		skip "held set: $n" "no $KPROBES, $FTRACE or $FH"
	done
fi
tap_cleanup
