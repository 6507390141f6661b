// SPDX-License-Identifier: GPL-2.0
/*
 * tests/bench/lsm_ref.bpf.c - aiguard's core decision as a BPF-LSM program,
 * for `make bench` only: the way eBPF enforcement agents (KubeArmor,
 * Tetragon) would express "outsiders may not touch a protected process".
 *
 * A hash map names the protected thread groups and their trust domain.
 * A ptrace access check (every /proc/PID/{mem,environ,maps,...} open,
 * ptrace attach, process_vm_readv, pidfd_getfd) on a protected target
 * from a caller outside its domain is refused; so is PTRACE_TRACEME of a
 * protected process by an outsider parent. The order matches aiguard's:
 * the target is looked up first, so an unprotected target costs one miss.
 *
 * What it cannot express as a BPF-LSM program: core dumps (no LSM hook
 * on the dump path; aiguard keeps the mm non-dumpable and refuses
 * do_coredump()), and the non-LSM paths aiguard also closes (uprobes,
 * BPF helpers, trace event fetches). Inheritance is tracked the way
 * eBPF agents track process trees, with BTF tracepoint programs: a new
 * process of a protected one gets its domain at sched_process_fork, and
 * a group's entry goes when its leader exits. So the reference pays on
 * fork, thread creation and exit as aiguard does.
 *
 * Built with the Debian toolchain: clang -target bpf, libbpf's headers,
 * bpftool gen skeleton (tests/bench/run.sh). task_struct.tgid is read
 * through CO-RE, relocated by libbpf against the guest kernel's BTF.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

/* tgid -> trust domain (a label's number, chosen by the benchmark) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 17);	/* room for BENCH_BIG=100000 */
	__type(key, __u32);
	__type(value, __u32);
} lsm_ref_protected SEC(".maps");

/* 0 if @caller may access @target, else -EPERM. */
static __always_inline int lsm_ref_decide(__u32 caller, __u32 target)
{
	__u32 *t, *c;

	t = bpf_map_lookup_elem(&lsm_ref_protected, &target);
	if (!t || caller == target)
		return 0;
	c = bpf_map_lookup_elem(&lsm_ref_protected, &caller);
	return c && *c == *t ? 0 : -EPERM;
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(lsm_ref_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	if (ret)
		return ret;
	return lsm_ref_decide(bpf_get_current_pid_tgid() >> 32, child->tgid);
}

SEC("lsm/ptrace_traceme")
int BPF_PROG(lsm_ref_traceme, struct task_struct *parent, int ret)
{
	if (ret)
		return ret;
	/* the tracee is current; the would-be tracer is the caller */
	return lsm_ref_decide(parent->tgid, bpf_get_current_pid_tgid() >> 32);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(lsm_ref_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 p = parent->tgid, c = child->tgid;
	__u32 *d;

	if (p == c)	/* a new thread */
		return 0;
	d = bpf_map_lookup_elem(&lsm_ref_protected, &p);
	if (d)
		bpf_map_update_elem(&lsm_ref_protected, &c, d, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(lsm_ref_exit, struct task_struct *task)
{
	__u32 t = task->tgid;

	if (task->pid == task->tgid)
		bpf_map_delete_elem(&lsm_ref_protected, &t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
