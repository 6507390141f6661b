#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of "aiguard lock". A lock lasts until reboot and keeps
# the module loaded: tests/e2e/tests.list puts this file in the "locked"
# phase, which the guest init runs after the module's unload and leak
# checks, on a freshly loaded module, and ends by checking that the locked
# module refuses even a forced unload.
# Run as root in the test guest with the module loaded; busybox-sh
# compatible, prints TAP, exits 0, never waits without a bound.

. "$(dirname "$0")/lib.sh"
tap_start t_lock 31
MARK=lock$$secret
LOCKED_MSG='the aiguard policy is locked (aiguard lock); reboot to change it'

sleeper T
sleeper U
sleeper V
sleeper W

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

# --- lock --------------------------------------------------------------------
rc "lock" 0 "$AG" lock
rc "lock twice" 0 "$AG" lock
rc "status after the lock" 0 "$AG" status
t "status: locked yes" "grep -q '^locked: yes' '$OUT.o'"
rc "status --json after the lock" 0 "$AG" status --json
t "status --json: locked true" "grep -q '\"locked\":true,' '$OUT.o'"

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
timeout 60 "$AG" events --json >"$TMP/ev" 2>"$OUT"
t "a LOCK record" "grep -q '\"type\":\"lock\",' '$TMP/ev'"

exit 0
