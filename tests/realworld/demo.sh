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

Why: the control is the same server, same user, same tools, started
without aiguard. For the protected one the aiguard module refuses, in the
kernel, every caller outside the "demo" trust domain - root included -
through handlers (kprobes) on the paths these tools use:
security_ptrace_access_check (gdb, gcore, strace, /proc/PID/{mem,environ,
maps,smaps,fd/*}, process_vm_readv, pidfd_getfd), security_perf_event_alloc
(perf: root otherwise gets per-task events without any ptrace check) and
the core-dump path (the process stays non-dumpable and do_coredump is
refused: no core, to a file or a |pipe, even with suid_dumpable=2). The
worker child inherited the label at fork. Inside the domain access stays
allowed (same_label_reads_it), and ps/top/kill keep working.

The monitoring rows (sslsniff, bpftrace_write, perf_probe, tracefs_kprobe,
uprobe_events) are what observability agents do: uprobes on libssl and
libc, BPF programs and trace events with user-string fetch arguments, all
reading the prompt a client sent over HTTPS after the server decrypted it.
None of them goes through the ptrace check. In the protected run the same
tool also watches an unprotected copy of the server (the list above): it
must still capture that one.

The ct_* rows run the same server in podman containers: the control
without annotations, the protected one with io.aiguard.label=demo, which
makes podman run "aiguard oci-hook" before the entrypoint starts. nsenter
and podman exec get into the container (exec sessions and health checks
keep working) but still read nothing of the server.
TXT
echo
echo "(logs: $logdir; total $(($(date +%s) - t0)) s)"
