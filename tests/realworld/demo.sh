#!/bin/bash
# make demo: boot a stock Debian kernel (6.12, or KERNEL=6.1) in QEMU, run
# real attack tools as root against an unprotected and an aiguard-protected
# toy inference server, and print what leaked.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
kernel=${KERNEL:-${1:-6.12}}
logdir=${RW_LOGDIR:-$top/build/realworld/logs/demo-$kernel}
rm -rf "$logdir"
t0=$(date +%s)
"$here/run-guest.sh" "$kernel" "$logdir" || exit 1
echo
"$here/report.sh" table "$logdir/results.tap" "$(grep -o 'kernel=.*' "$logdir/times" | cut -d= -f2)"
cat <<'TXT'

Why: every "protected" row is the same kernel decision. The aiguard module
puts handlers (kprobes) on the LSM hooks these paths pass through:
security_ptrace_access_check (gdb, gcore, strace, /proc/PID/{mem,environ,
maps,smaps,fd/*}, process_vm_readv, pidfd_getfd), security_perf_event_alloc
(perf, which root otherwise gets without a ptrace check) and the core-dump
path (no core, file or pipe, even with suid_dumpable=2). The caller is root,
but not in the "demo" trust domain, so it is refused; the worker child
inherited the label at fork. The control is the same server, same user,
started without aiguard.
TXT
echo
echo "(logs: $logdir; total $(($(date +%s) - t0)) s)"
