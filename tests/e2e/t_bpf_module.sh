#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# aiguard.ko and the BPF programs it rewrites (module/bpf.c):
#   - a program that calls a user-memory helper, loaded while aiguard is
#     loaded, holds the module: rmmod fails until the program is gone;
#   - such a program loaded while aiguard is NOT loaded was never rewritten:
#     insmod refuses to load beside it and the kernel log names it;
#     control: once it is gone, insmod works.
# Leaves aiguard.ko loaded, as it found it. Run as root in the test guest;
# busybox-sh compatible, prints TAP, exits 0, never waits without a bound.

. "$(dirname "$0")/lib.sh"
tap_start t_bpf_module 9
KO=/lib/aiguard/aiguard.ko
HOLDER="$(dirname "$0")/t_bpf"

# start_holder: a t_bpf process holding a loaded program; sets HPID.
start_holder() {
	# The child opens (and truncates) the file itself, later than this
	# shell goes on: the previous holder's "held" must not be found first.
	rm -f "$TMP/hold"
	"$HOLDER" hold >"$TMP/hold" 2>&1 &
	HPID=$!
	PIDS="$PIDS $HPID"
	# loading runs the verifier: seconds under TCG, more on a busy host
	i=0
	while [ $i -lt 600 ] && ! grep -q '^held' "$TMP/hold"; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q '^held' "$TMP/hold" && return 0
	echo "# holder after $((i / 10)) s: $(tr '\n' ' ' <"$TMP/hold"); alive: $(kill -0 "$HPID" 2>/dev/null && echo yes || echo no)"
	return 1
}

# stop_holder: kills it and waits until the kernel has freed the program.
stop_holder() {
	kill -9 "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	i=0
	while [ $i -lt 100 ] && [ -r /sys/module/aiguard/refcnt ] &&
		[ "$(cat /sys/module/aiguard/refcnt)" != 0 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

t "aiguard.ko is loaded and unused" "[ \"\$(cat /sys/module/aiguard/refcnt)\" = 0 ]"
t "a program with user-memory helpers loads beside aiguard" start_holder
t "it holds the module: rmmod fails" "! rmmod aiguard 2>'$OUT'"
stop_holder
t "control: once the program is freed, rmmod works" "rmmod aiguard 2>'$OUT'"
t "a program with user-memory helpers loads without aiguard" start_holder
t "insmod refuses to load beside it" "! insmod $KO 2>'$OUT'"
t "the kernel log names the program and the helper" \
	"dmesg | grep 'refusing to load: BPF program' | tail -n 1 | grep -q 'calls bpf_probe_read_user'"
stop_holder
t "control: once the program is gone, insmod works" "insmod $KO 2>'$OUT'"
t "and /dev/aiguard answers again" "i=0; while [ \$i -lt 50 ] && [ ! -c /dev/aiguard ]; do sleep 0.1; i=\$((i+1)); done; [ -c /dev/aiguard ]"
tap_cleanup
