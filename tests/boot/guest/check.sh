#!/bin/bash
# The boot guest's checks (agtest-check.service), run once systemd has
# brought the system up from the installed .debs: TAP on /dev/ttyS1 (the
# host's results file), then the guest powers off.
#
# Order matters: the policy is already locked (aiguard-lock.service,
# LOCK_AFTER="agtest-protected.service"), so everything here runs as it
# would on a sealed production host.
OUT=/dev/ttyS1
exec 3>"$OUT" || exec 3>&1
N=0
FAILS=0
ok() { N=$((N + 1)); echo "ok $N - $1" >&3; }
nok() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N - $1" >&3; }
diag() { sed 's/^/# /' >&3; }
# t NAME CMD...: ok when CMD succeeds; its output goes to diag on failure.
t() {
	local name=$1
	shift
	if "$@" >/tmp/t.out 2>&1; then ok "$name"; else nok "$name"; diag </tmp/t.out; fi
}
prop() { systemctl show -p "$2" --value "$1"; }
journal_has() { journalctl -q -o cat -u "$1" | grep -qF -- "$2"; }
# wait_for SECONDS CMD...: polls CMD every 0.5 s.
wait_for() {
	local n=$(($1 * 2))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
		n=$((n - 1))
	done
	"$@"
}
SECRET=agboot-env-5f3a9c
AG=/usr/sbin/aiguard
echo "# suite: boot" >&3
echo "1..36" >&3

# --- the packages, installed and booted -----------------------------------
t "systemd is PID 1" grep -qx systemd /proc/1/comm
t "aiguard.service loaded the module at boot" systemctl is-active --quiet aiguard.service
t "the module is DKMS's build for this kernel" \
	sh -c "modinfo -n aiguard | grep -q '^/lib/modules/$(uname -r)/updates/dkms/aiguard.ko'"
t "/sys/module/aiguard exists" test -d /sys/module/aiguard
t "/dev/aiguard is 0600 root:root (the package's udev rule)" \
	sh -c '[ "$(stat -c "%a %U %G" /dev/aiguard)" = "600 root root" ]'
t "the tool and the module agree (aiguard status)" "$AG" status
t "the man page is installed" test -s /usr/share/man/man8/aiguard.8.gz

# --- the example unit: protected, same pid, notify, journald --------------
P=$(prop agtest-protected.service MainPID)
C=$(prop agtest-control.service MainPID)
t "agtest-protected.service is active (Type=notify: READY=1 went through aiguard exec)" \
	systemctl is-active --quiet agtest-protected.service
t "its STATUS= text reached systemd" \
	sh -c '[ "$(systemctl show -p StatusText --value agtest-protected.service)" = serving ]'
t "its main pid is the workload itself (aiguard exec keeps the pid)" \
	sh -c "[ $P -gt 0 ] && grep -qx python3 /proc/$P/comm"
t "the workload runs as the unit's --user" sh -c "[ \$(stat -c %U /proc/$P) = llm ]"
t "the workload is protected, label agboot" sh -c "$AG status $P | grep -q agboot"
t "control: the control unit's workload is not protected" \
	sh -c "[ $C -gt 0 ] && $AG status $C | grep -q 'not protected'"
t "journald has the workload's stdout" journal_has agtest-protected.service "workload: stdout ok, pid $P"
t "journald has the workload's stderr" journal_has agtest-protected.service "workload: stderr ok"
t "stdin is systemd's /dev/null" journal_has agtest-protected.service "workload: stdin is /dev/null"

# --- attacks by root, with the control -------------------------------------
t "control: root reads the control's environ" sh -c "tr '\\0' '\\n' </proc/$C/environ | grep -q $SECRET"
t "root cannot read the protected workload's environ" \
	sh -c "! tr '\\0' '\\n' </proc/$P/environ 2>/dev/null | grep -q $SECRET"
t "control: gdb attaches to the control" \
	sh -c "timeout 120 gdb -q -batch -p $C -ex 'info inferiors' 2>&1 | grep -q 'process $C'"
t "gdb cannot attach to the protected workload" \
	sh -c "timeout 120 gdb -q -batch -p $P -ex 'info inferiors' 2>&1 | grep -q 'Operation not permitted'"

# --- the lock from /etc/aiguard/aiguard.conf --------------------------------
t "aiguard-lock.service ran" systemctl is-active --quiet aiguard-lock.service
t "the policy is locked (LOCK_AFTER in aiguard.conf)" sh -c "$AG status | grep -q '^locked: yes'"
t "the lock came after the protected unit was up" sh -c \
	"[ $(prop aiguard-lock.service ActiveEnterTimestampMonotonic) -ge $(prop agtest-protected.service ActiveEnterTimestampMonotonic) ]"
t "rmmod is refused after the lock" sh -c '! rmmod aiguard 2>/dev/null && test -d /sys/module/aiguard'

# --- metrics: the packaged aiguard-metrics.service ---------------------------
PROM=/var/lib/prometheus/node-exporter/aiguard.prom
t "aiguard-metrics.service writes aiguard.prom" sh -c "systemctl start aiguard-metrics.service && test -s $PROM"
t "it says: module loaded, hooks alive, locked" sh -c \
	"grep -qx 'aiguard_module_loaded 1' $PROM && grep -qx 'aiguard_hooks_alive 1' $PROM && grep -qx 'aiguard_locked 1' $PROM"
t "it counts the protected workload" sh -c "awk '\$1 == \"aiguard_protected_processes\" && \$2 >= 1 { f = 1 } END { exit !f }' $PROM"

# --- signals, stop, restart, exit status -----------------------------------
t "systemctl kill -s USR1 reaches the workload" sh -c \
	"systemctl kill -s USR1 agtest-protected.service && sleep 1 && journalctl -q -o cat -u agtest-protected.service | grep -q 'got SIGUSR1'"
t "systemctl stop: the workload gets SIGTERM" sh -c \
	"timeout 60 systemctl stop agtest-protected.service && journalctl -q -o cat -u agtest-protected.service | grep -q 'got SIGTERM'"
t "and the unit stopped cleanly (Result=success)" sh -c \
	"[ \$(systemctl show -p Result --value agtest-protected.service) = success ]"
t "after the lock, the unit restarts protected (a new label: the old members are gone)" sh -c \
	"timeout 120 systemctl start agtest-protected.service && P2=\$(systemctl show -p MainPID --value agtest-protected.service) && [ \$P2 != $P ] && $AG status \$P2 | grep -q agboot"
t "a workload's exit status is the unit's (exit 7 through aiguard exec)" sh -c \
	"! systemctl start agtest-exit.service; [ \$(systemctl show -p ExecMainStatus --value agtest-exit.service) = 7 ]"

# --- aiguard doctor on this host --------------------------------------------
doctor() { "$AG" doctor --json >/tmp/doctor.json 2>/dev/null; }
verdict() {
	python3 -c 'import json,sys; d=json.load(open("/tmp/doctor.json")); print([c["verdict"] for c in d["checks"] if c["check"]==sys.argv[1]][0])' "$1"
}
doctor
for c in "module loaded" "hooks alive" "policy locked and sealed"; do
	v=$(verdict "$c" 2>&1)
	t "doctor: $c: $v" test "$v" = ok
done
sysctl -qw kernel.yama.ptrace_scope=1
doctor
v1=$(verdict kernel.yama.ptrace_scope 2>&1)
sysctl -qw kernel.yama.ptrace_scope=2
doctor
v2=$(verdict kernel.yama.ptrace_scope 2>&1)
t "doctor: the ptrace_scope verdict follows the setting (1: $v1, 2: $v2)" \
	sh -c "[ '$v1' = warn ] && [ '$v2' = ok ]"

echo "# boot checks: $N run, $FAILS failed" >&3
echo "AIGUARD-BOOT-END" >&3
sync
systemctl poweroff --no-block
