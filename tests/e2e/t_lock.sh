#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of "aiguard lock": the policy is sealed, labels are
# closed to outsiders, grants end, and the kernel is sealed as
# lockdown=integrity seals it (each with its control before the lock).
# A lock lasts until reboot and keeps
# the module loaded: tests/e2e/tests.list puts this file in the "locked"
# phase, which the guest init runs after the module's unload and leak
# checks, on a freshly loaded module, and ends by checking that the locked
# module refuses even a forced unload.
# Run as root in the test guest with the module loaded; busybox-sh
# compatible, prints TAP, exits 0, never waits without a bound.

. "$(dirname "$0")/lib.sh"
tap_start t_lock 76
MARK=lock$$secret
LOCKED_MSG='the aiguard policy is locked (aiguard lock); reboot to change it'

sleeper T
sleeper U
sleeper V
sleeper W
sleeper X
KO=/lib/aiguard/aiguard.ko
KPE=/sys/kernel/debug/kprobes/enabled
HERE=$(dirname "$0")

# insmod_says: loads aiguard.ko a second time; what the kernel answered.
insmod_says() {
	insmod "$KO" >"$OUT" 2>&1
	cat "$OUT"
}

# --- before the lock: the controls --------------------------------------
rc "protect the target" 0 "$AG" protect --label lockA "$T"
wait_protected "$T"
t "protected target: root is denied" "! readable $T"
rc "protect a second process" 0 "$AG" protect --label lockB "$U"
rc "control: before the lock, unprotect works" 0 "$AG" unprotect "$U"
rc "protect it again" 0 "$AG" protect --label lockB "$U"
rc "control: before the lock, permissive on works" 0 "$AG" permissive on
rc "permissive off" 0 "$AG" permissive off
rc "status before the lock" 0 "$AG" status
t "status: not locked yet" "grep -q '^locked: no' '$OUT.o'"
t "status: not sealed yet" "grep -q '^sealed: no' '$OUT.o'"
PARAM=/sys/module/aiguard/parameters/permissive
t "control: before the lock, the permissive parameter can be written" \
	"sh -c 'echo Y > $PARAM && echo N > $PARAM' 2>'$OUT'"
rc "control: before the lock, an outsider joins with --join" 0 "$AG" protect --label lockA --join "$X"
rc "control: before the lock, a grant is made" 0 "$AG" allow --tracer "$W" --target "$T" --ttl 600
start_tracer "$T"
TH=$TR
rc "control: before the lock, a grant for a tracer" 0 "$AG" allow --tracer "$TH" --target "$T" --ttl 600
t "control: before the lock, the granted tracer attaches" "attach_tracer $TRN"
start_tracer "$T" environ
TF=$TR
rc "control: before the lock, a grant for a reader" 0 "$AG" allow --tracer "$TF" --target "$T" --ttl 600
t "control: before the lock, the granted reader holds environ open" "attach_tracer $TRN"
t "control: loading an unsigned module gets past the signature check (File exists)" \
	"insmod_says | grep -q 'File exists'"
if [ -w "$KPE" ]; then
	# refused while aiguard is loaded, locked or not (t_ops.sh, t_load.sh)
	t "before the lock too, root's write to kprobes/enabled is refused" \
		"! sh -c 'echo 0 > $KPE' 2>'$OUT' && [ \"\$(cat $KPE)\" = 1 ]"
else
	skip "before the lock too, root's write to kprobes/enabled is refused" "no $KPE"
fi
if [ -e /dev/mem ]; then
	t "control: before the lock, root opens /dev/mem" "dd if=/dev/mem of=/dev/null bs=1 count=1 2>'$OUT'"
else
	skip "control: before the lock, root opens /dev/mem" "no /dev/mem on this kernel"
fi

# --- kexec before the lock: a crash image, and what kexec_load does -------
KX=$HERE/kexec_load
CRASH=/sys/kernel/kexec_crash_loaded
KLD=/proc/sys/kernel/kexec_load_disabled
# kexec_tampers FILE: TAMPER records with the kexec_load bit (1 << 17).
kexec_tampers() {
	grep '"type":"tamper",' "$1" | sed -n 's/.*"detail":\([0-9]*\).*/\1/p' |
		while read -r d; do [ $((d & 131072)) -ne 0 ] && echo x; done | wc -l
}
HAVE_KEXEC=""
if [ -e "$CRASH" ] && [ -e "$KLD" ] && [ -x "$KX" ]; then
	HAVE_KEXEC=yes
	timeout 60 "$AG" events --json >"$TMP/evk0" 2>"$OUT"
	"$KX" crash >"$OUT" 2>&1
	r=$?
	if [ $r -eq 77 ]; then
		skip "control: before the lock, a crash image loads while processes are protected" \
			"no crashkernel= memory"
	else
		t "control: before the lock, a crash image loads while processes are protected (exit $r)" \
			"[ $r -eq 0 ] && [ \"\$(cat $CRASH)\" = 1 ]"
	fi
	timeout 60 "$AG" events --json >"$TMP/evk1" 2>"$OUT"
	t "loading it left a TAMPER record (kexec_load): $(kexec_tampers "$TMP/evk0") -> $(kexec_tampers "$TMP/evk1")" \
		"[ $(kexec_tampers "$TMP/evk1") -gt $(kexec_tampers "$TMP/evk0") ]"
	t "control: before the lock, kexec_load with no segments (an unload) succeeds" \
		"'$KX' unload >'$OUT' 2>&1"
	t "control: before the lock, kexec_load_disabled is 0" "[ \"\$(cat $KLD)\" = 0 ]"
else
	for n in "a crash image loads" "TAMPER record" "kexec_load unloads" "kexec_load_disabled 0"; do
		skip "control: kexec before the lock: $n" "no kexec in this kernel"
	done
fi

# --- lock --------------------------------------------------------------------
rc "lock" 0 "$AG" lock
rc "lock twice" 0 "$AG" lock
rc "status after the lock" 0 "$AG" status
t "status: locked yes" "grep -q '^locked: yes' '$OUT.o'"
rc "status --json after the lock" 0 "$AG" status --json
t "status --json: locked true" "grep -q '\"locked\":true,' '$OUT.o'"
timeout 60 "$AG" events --json >"$TMP/evl" 2>"$OUT"
t "a LOCK record" "grep -q '\"type\":\"lock\",' '$TMP/evl'"
t "status --json: sealed true" "grep -q '\"sealed\":true,' '$OUT.o'"
if [ -e /sys/kernel/security/lockdown ]; then
	t "the kernel's own lockdown was raised to integrity" \
		"grep -q '\\[integrity\\]' /sys/kernel/security/lockdown"
else
	skip "the kernel's own lockdown was raised to integrity" "no lockdown LSM (aiguard seals alone)"
fi

# --- the lock ended the grant ---------------------------------------------
rc "grants after the lock" 0 "$AG" grants --json
t "the lock ended the grant" "grep -q '^{\"total\":0,' '$OUT.o'"
timeout 60 "$AG" events --json >"$TMP/evg" 2>"$OUT"
t "a GRANT_END record for it" "grep -q '\"type\":\"grant_end\",' '$TMP/evg'"
t "the lock killed the tracer a grant had let in" "gone_within $TH 3"
t "an EVICT record for it" "grep '\"type\":\"evict\",' '$TMP/evg' | grep -q '\"caller\":{\"pid\":$TH,'"
t "the lock killed the reader holding environ open under a grant" "gone_within $TF 3"
t "an EVICT record for the reader" "grep '\"type\":\"evict\",' '$TMP/evg' | grep -q '\"caller\":{\"pid\":$TF,'"

# --- labels are closed to outsiders ---------------------------------------
rc "an outsider's join after the lock: not permitted, even with --join" 4 \
	"$AG" protect --label lockA --join "$V"
t "join: says the policy is locked" "grep -qF '$LOCKED_MSG' '$OUT.e'"
rc "exec into a label with members after the lock: not permitted" 4 \
	"$AG" exec --label lockA --join -- true
timeout 60 "$AG" events --json >"$TMP/evj" 2>"$OUT"
t "a DENY record on the join hook" "grep '\"type\":\"deny\",' '$TMP/evj' | grep -q '\"hook\":\"join\"'"
t "the refused process is not protected" "! \"$AG\" status $V | grep -q ': protected'"

# --- the kernel is sealed ---------------------------------------------------
SIGNED=/lib/aiguard/signed/dummy.ko
if [ -f "$SIGNED" ]; then
	t "a module signed by the distribution still loads after the lock" "insmod $SIGNED 2>'$OUT'"
	t "and unloads without force" "rmmod dummy 2>'$OUT'"
else
	skip "a module signed by the distribution still loads after the lock" "no signed module for this kernel"
	skip "and unloads without force" "no signed module for this kernel"
fi
t "the permissive parameter is refused after the lock" \
	"! sh -c 'echo Y > $PARAM' 2>'$OUT' && grep -q N $PARAM"
t "loading an unsigned module is refused (Operation not permitted)" \
	"insmod_says | grep -q 'not permitted'"
if [ -e "$KPE" ]; then
	t "writing kprobes/enabled is refused" "! sh -c 'echo 0 > $KPE' 2>'$OUT'"
	# (sealed, debugfs no longer opens 0600 files even for reading)
	rc "the hooks still fire: status is not critical" 0 "$AG" status --json
	t "status --json: critical false, protection holds" \
		"grep -q '\"critical\":false' '$OUT.o' && ! readable $T"
else
	skip "writing kprobes/enabled is refused" "no $KPE"
	skip "the hooks still fire: status is not critical" "no $KPE"
	skip "status --json: critical false, protection holds" "no $KPE"
fi
if [ -e /dev/mem ]; then
	t "opening /dev/mem is refused" "! dd if=/dev/mem of=/dev/null bs=1 count=1 2>'$OUT'"
else
	skip "opening /dev/mem is refused" "no /dev/mem on this kernel"
fi
if [ -n "$HAVE_KEXEC" ]; then
	t "the lock unloaded the crash image (kexec_crash_loaded $(cat $CRASH))" "[ \"\$(cat $CRASH)\" = 0 ]"
	t "kexec_load_disabled reads 1 after the lock" "[ \"\$(cat $KLD)\" = 1 ]"
	t "kexec_load with no segments fails after the lock (EPERM)" \
		"! '$KX' unload >'$OUT' 2>&1 && grep -q EPERM '$OUT'"
	t "a crash image cannot be loaded again (EPERM)" \
		"! '$KX' crash >'$OUT' 2>&1 && grep -q EPERM '$OUT'"
	t "kexec_file_load is refused after the lock (EPERM)" \
		"! '$KX' file /bin/busybox >'$OUT' 2>&1 && grep -q EPERM '$OUT'"
else
	for n in "crash image unloaded" "kexec_load_disabled 1" "kexec_load refused" \
		"crash image refused" "kexec_file_load refused"; do
		skip "kexec after the lock: $n" "no kexec in this kernel"
	done
fi
if [ -x "$HERE/unload_race" ]; then
	"$HERE/unload_race" aiguard 3 >"$OUT" 2>&1
	r=$?
	echo "# $(cat "$OUT")"
	t "forced unload with a name flipped by another thread never wins (exit $r)" \
		"[ $r -eq 0 ] && grep -q ' unloaded 0 eperm [1-9]' '$OUT' && [ -d /sys/module/aiguard ]"
else
	skip "forced unload with a name flipped by another thread never wins" "no unload_race helper"
fi

# --- refused now ---------------------------------------------------------
rc "unprotect after the lock: not permitted" 4 "$AG" unprotect "$U"
t "unprotect: says the policy is locked" "grep -qF '$LOCKED_MSG' '$OUT.e'"
rc "the process is still protected" 0 "$AG" status "$U"
t "status PID: still protected" "grep -q ': protected, label lockB' '$OUT.o'"
rc "permissive on after the lock: not permitted" 4 "$AG" permissive on
t "permissive on: says the policy is locked" "grep -qF '$LOCKED_MSG' '$OUT.e'"
rc "new grant after the lock: not permitted" 4 "$AG" allow --tracer $$ --target "$T" --ttl 5
t "allow: says the policy is locked" "grep -qF '$LOCKED_MSG' '$OUT.e'"
rc "protect --permissive after the lock: not permitted" 4 "$AG" protect --permissive "$W"
rmmod aiguard >"$OUT" 2>&1
r=$?
t "rmmod aiguard fails after the lock (exit $r)" "[ $r -ne 0 ] && [ -e /dev/aiguard ] && [ -d /sys/module/aiguard ]"

# --- still working ---------------------------------------------------------
t "protection still holds: root is denied" "! readable $T"
t "control: an unprotected process is readable" "readable $V"
rc "protecting a new process still works" 0 "$AG" protect --label lockC "$V"
wait_protected "$V"
t "the new process is protected: root is denied" "! readable $V"
rc "permissive off after the lock is allowed" 0 "$AG" permissive off
# BPF monitoring: the whole of t_bpf again, sealed (its controls read
# unprotected processes; protected ones stay closed), and t_kread (reads
# through kernel addresses; its phase A needs nothing protected and skips)
for s in t_bpf t_kread; do
	case $s in
	t_bpf) what="BPF programs still read unprotected processes, not protected ones" ;;
	*) what="kernel-address reads of protected pages still fail, of kernel data still work" ;;
	esac
	if [ -x "$HERE/$s" ]; then
		"$HERE/$s" >"$TMP/$s.tap" 2>&1
		r=$?
		# what failed first: fail() shows only the first lines of $OUT
		{ grep -A3 '^not ok' "$TMP/$s.tap"; grep '^# ' "$TMP/$s.tap"; } >"$OUT"
		t "after the lock: $what ($s, exit $r)" \
			"[ $r -eq 0 ] && grep -q '^ok ' '$TMP/$s.tap' && ! grep -q '^not ok' '$TMP/$s.tap'"
	else
		skip "after the lock: $what" "no $s"
	fi
done

exit 0
