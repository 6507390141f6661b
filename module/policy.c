// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard policy: the decisions, free of kernel state.
 *
 * A label is NULL for an unprotected process. Protected processes may reach
 * each other only inside one label (a supervisor and its workers); everyone
 * else, root included, is an outsider.
 */
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/perf_event.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <linux/sched/coredump.h>
#include <linux/security.h>
#include <linux/string.h>

#include <kunit/visibility.h>

#include "policy.h"

/**
 * aiguard_policy_same_domain - whether two processes share a trust domain
 * @a: label of the first process, NULL if unprotected
 * @b: label of the second process, NULL if unprotected
 *
 * Return: true only if both are protected with the same label.
 */
bool aiguard_policy_same_domain(const char *a, const char *b)
{
	return a && b && !strncmp(a, b, AIGUARD_LABEL_MAX);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_same_domain);

/**
 * aiguard_policy_access - decide a ptrace_may_access() request
 * @caller_label: label of the accessing process, NULL if unprotected
 * @target_label: label of the accessed process, NULL if unprotected
 * @mode: PTRACE_MODE_* bits of the request
 *
 * Reads (PTRACE_MODE_READ: /proc maps, environ, fd links, ...) and attaches
 * (PTRACE_MODE_ATTACH: ptrace, /proc/PID/mem, process_vm_readv, ...) are
 * treated alike: both expose the target's memory or what it holds open.
 *
 * Return: the verdict; %AIGUARD_DENY_SILENT when @mode has
 * PTRACE_MODE_NOAUDIT, whose callers degrade quietly instead of failing.
 */
enum aiguard_verdict aiguard_policy_access(const char *caller_label,
					   const char *target_label,
					   unsigned int mode)
{
	if (!target_label || aiguard_policy_same_domain(caller_label, target_label))
		return AIGUARD_ALLOW;
	return (mode & PTRACE_MODE_NOAUDIT) ? AIGUARD_DENY_SILENT : AIGUARD_DENY;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_access);

/**
 * aiguard_policy_enter - decide a ptrace_may_access() request that only
 *                        hands out the target's namespaces
 * @caller_label: label of the accessing process, NULL if unprotected
 * @target_label: label of the accessed process, NULL if unprotected
 * @mode: PTRACE_MODE_* bits of the request
 * @enter: whether the target was protected with %AIGUARD_PROTECT_ENTER
 *
 * Opening /proc/PID/ns/X and setns(2) on a pidfd check read access to
 * the target and give nothing but a namespace: no memory, no descriptor.
 * An outsider gets in only where the target was protected to allow it
 * (containers: exec sessions and health checks join this way), and only
 * for a read check; the process that joins stays outside the label.
 *
 * Return: the verdict.
 */
enum aiguard_verdict aiguard_policy_enter(const char *caller_label,
					  const char *target_label,
					  unsigned int mode, bool enter)
{
	if (enter && target_label && !(mode & PTRACE_MODE_ATTACH))
		return AIGUARD_ALLOW;
	return aiguard_policy_access(caller_label, target_label, mode);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_enter);

/**
 * aiguard_policy_traceme - decide PTRACE_TRACEME
 * @tracee_label: label of the process asking to be traced
 * @tracer_label: label of its parent, the would-be tracer
 *
 * Return: %AIGUARD_ALLOW unless a protected process would hand itself to a
 * tracer outside its domain.
 */
enum aiguard_verdict aiguard_policy_traceme(const char *tracee_label,
					    const char *tracer_label)
{
	return aiguard_policy_access(tracer_label, tracee_label, PTRACE_MODE_ATTACH);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_traceme);

/**
 * aiguard_policy_instrument - decide instrumentation running in a process
 * @target_label: label of the process whose memory or context it is
 *
 * BPF programs and uprobe handlers belong to no process: whoever loaded
 * them, they run for everyone. So they are outside every label, like an
 * unprotected debugger, and a protected process is closed to them.
 *
 * Return: %AIGUARD_DENY if @target_label is set, else %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_instrument(const char *target_label)
{
	return aiguard_policy_access(NULL, target_label, PTRACE_MODE_ATTACH);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_instrument);

/**
 * aiguard_policy_swap - decide writing a process's memory to swap
 * @target_label: label of the process the memory belongs to
 *
 * A swap device holds what it was given in the clear for whoever reads
 * it, root included; encrypted swap decrypts for that reader too. So a
 * protected process's memory stays resident, as if mlock()ed.
 *
 * Return: %AIGUARD_DENY if @target_label is set, else %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_swap(const char *target_label)
{
	return target_label ? AIGUARD_DENY : AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_swap);

/**
 * aiguard_policy_migrate - decide moving a process's memory to other pages
 * @target_label: label of the process the memory belongs to
 * @split: whether the "move" is a huge page being split in place, which
 *         maps the same pages again and frees none of them
 *
 * Migration (compaction, NUMA balancing, hot-remove) copies a page and
 * frees the old one, with the data still in it: a protected process's
 * memory is not moved, like mlock()ed memory under
 * vm.compact_unevictable_allowed=0.
 *
 * Return: %AIGUARD_DENY if @target_label is set and this is not a split,
 * else %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_migrate(const char *target_label, bool split)
{
	return target_label && !split ? AIGUARD_DENY : AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_migrate);

/**
 * aiguard_policy_object - decide an open or attach of a labelled object
 * @caller_label: label of the caller, NULL if unprotected
 * @object_label: label of the process that created the object
 * @same_life: whether the caller is in the life of the label the object
 *             was created in (struct aiguard_entry)
 * @op: AIGUARD_OBJ_* (what is asked)
 *
 * An object a protected process created in memory holds its data, and
 * belongs to its label for that label's life: the members (its workers,
 * its children, who joined it) use it; anyone else, root included, does
 * not. Once every member is gone, a process protected under the same
 * name is another life, or root could kill the workload and step into
 * its label to read what it left: such leftovers are closed to everyone
 * until removed. Unlocking a SysV segment would let its pages go to swap:
 * refused to everyone.
 *
 * Return: %AIGUARD_ALLOW for a member of the object's life opening or
 * attaching, else %AIGUARD_DENY.
 */
enum aiguard_verdict aiguard_policy_object(const char *caller_label,
					   const char *object_label, bool same_life, u32 op)
{
	if (op == AIGUARD_OBJ_SHM_UNLOCK)
		return AIGUARD_DENY;
	if (caller_label && same_life && !strncmp(caller_label, object_label, AIGUARD_LABEL_MAX))
		return AIGUARD_ALLOW;
	return AIGUARD_DENY;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_object);

/**
 * aiguard_policy_kernel_read - decide a read through a kernel address
 * @any_protected: whether any process is protected
 * @private_page: whether the range aliases user memory or a free page
 *
 * The direct map aliases every page of RAM: read there, a protected
 * process's memory, its shared memory and what it freed are as open as
 * its own addresses. Whose page it is would take an rmap walk; any such
 * page is closed while anything is protected, and kernel data stays
 * readable.
 *
 * Return: %AIGUARD_DENY if both, else %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_kernel_read(bool any_protected, bool private_page)
{
	return any_protected && private_page ? AIGUARD_DENY : AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_kernel_read);

/**
 * aiguard_policy_bpf_load - decide loading a BPF program
 * @any_protected: whether any process is protected, or being protected
 * @unchecked: whether it reads kernel memory with plain loads no helper
 *             check sees (bpf_rdonly_cast, or past the end of a struct)
 *
 * Return: %AIGUARD_DENY if both, else %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_bpf_load(bool any_protected, bool unchecked)
{
	return any_protected && unchecked ? AIGUARD_DENY : AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_bpf_load);

/**
 * aiguard_policy_past_struct - whether a load through a typed pointer leaves its struct
 * @off: the load's offset from the start of the struct
 * @size: the load's size in bytes
 * @struct_size: the struct's size (BTF)
 *
 * The verifier lets a load past the end of a struct whose last member is
 * a flexible array through, at any offset; within the struct a load
 * reads the object's own fields. A negative offset or size is refused
 * by the verifier before it asks.
 *
 * Return: true if some byte of the load lies at or beyond @struct_size.
 */
bool aiguard_policy_past_struct(int off, int size, u32 struct_size)
{
	if (off < 0 || size <= 0)
		return false;
	return (u64)off + (u64)size > struct_size;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_past_struct);

/**
 * aiguard_policy_prctl - decide a prctl() by the calling process
 * @label: label of the caller, NULL if unprotected
 * @option: prctl option
 * @arg2: its first argument
 *
 * A protected process stays non-dumpable: making itself dumpable again
 * would re-open core dumps and the uid-based ptrace path.
 *
 * Return: %AIGUARD_DENY for PR_SET_DUMPABLE to anything but
 * SUID_DUMP_DISABLE by a protected process, else %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_prctl(const char *label, int option,
					  unsigned long arg2)
{
	if (label && option == PR_SET_DUMPABLE && arg2 != SUID_DUMP_DISABLE)
		return AIGUARD_DENY;
	return AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_prctl);

/**
 * aiguard_policy_coredump - decide a core dump of the calling process
 * @label: label of the dumping process, NULL if unprotected
 *
 * Return: %AIGUARD_DENY for any protected process.
 */
enum aiguard_verdict aiguard_policy_coredump(const char *label)
{
	return label ? AIGUARD_DENY : AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_coredump);

/* Sample fields that copy user memory or user registers of whoever runs. */
#define AIGUARD_PERF_USER_DATA \
	(PERF_SAMPLE_STACK_USER | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_REGS_INTR)

/**
 * aiguard_policy_perf_system - decide a perf event not bound to one task
 * @any_protected: whether some process is protected now
 * @sample_type: the event's PERF_SAMPLE_* bits
 *
 * A CPU-wide (or cgroup) event samples whatever runs on the CPU, protected
 * processes included, and PERF_SAMPLE_STACK_USER copies their stack.
 * Counting and kernel-only or callchain sampling stay allowed.
 *
 * Return: %AIGUARD_DENY for user stack or register sampling while any
 * process is protected, else %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_perf_system(bool any_protected,
						u64 sample_type)
{
	if (any_protected && (sample_type & AIGUARD_PERF_USER_DATA))
		return AIGUARD_DENY;
	return AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_perf_system);

/**
 * aiguard_policy_kcore - decide opening /proc/kcore
 * @any_protected: whether some process is protected now
 *
 * /proc/kcore maps all RAM, protected processes' pages included.
 *
 * Return: %AIGUARD_DENY while any process is protected.
 */
enum aiguard_verdict aiguard_policy_kcore(bool any_protected)
{
	return any_protected ? AIGUARD_DENY : AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_kcore);

/**
 * aiguard_policy_exposes_memory - whether a lockdown reason exposes all RAM
 * @reason: an enum lockdown_reason
 *
 * /proc/kcore maps all RAM; hibernation writes it to swap, and
 * /dev/snapshot hands the image to user space. Both carry protected
 * processes' pages. (The kernel itself refuses hibernation while any
 * memfd_secret() memory exists, for the same reason.)
 *
 * Return: true for %LOCKDOWN_KCORE and %LOCKDOWN_HIBERNATION.
 */
bool aiguard_policy_exposes_memory(int reason)
{
	return reason == LOCKDOWN_KCORE || reason == LOCKDOWN_HIBERNATION;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_exposes_memory);

/**
 * aiguard_policy_lockdown - decide a security_locked_down() question
 * @reason: the enum lockdown_reason asked about
 * @any_protected: whether some process is protected now
 * @locked: whether the policy is locked
 *
 * Once locked, aiguard seals the kernel as lockdown=integrity does: no
 * unsigned modules, kexec, hibernation, /dev/mem, raw I/O, debugfs writes
 * (kprobes/enabled among them) or BPF writes to user memory. Whatever the
 * lockdown LSM says, it cannot lower this. What exposes all of RAM
 * (/proc/kcore, hibernation) is refused while any process is protected,
 * locked or not.
 *
 * Return: %AIGUARD_DENY or %AIGUARD_ALLOW.
 */
enum aiguard_verdict aiguard_policy_lockdown(int reason, bool any_protected,
					     bool locked)
{
	if (locked && reason > LOCKDOWN_NONE && reason < LOCKDOWN_INTEGRITY_MAX)
		return AIGUARD_DENY;
	if (aiguard_policy_exposes_memory(reason))
		return aiguard_policy_kcore(any_protected);
	return AIGUARD_ALLOW;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_lockdown);

/**
 * aiguard_policy_enforce - turn a policy verdict into what happens
 * @verdict: %AIGUARD_ALLOW, %AIGUARD_DENY or %AIGUARD_DENY_SILENT
 * @granted: whether a break-glass grant covers this caller and target
 * @permissive: whether audit-only mode applies (global or the target's)
 *
 * A grant beats permissive mode so that its use is reported as such.
 * Grants are not consulted for silent (NOAUDIT) checks, which only
 * degrade what /proc shows.
 *
 * Return: %AIGUARD_ALLOW, %AIGUARD_GRANT, %AIGUARD_AUDIT,
 * %AIGUARD_AUDIT_SILENT, or @verdict unchanged.
 */
enum aiguard_verdict aiguard_policy_enforce(enum aiguard_verdict verdict,
					    bool granted, bool permissive)
{
	if (verdict == AIGUARD_ALLOW)
		return AIGUARD_ALLOW;
	if (verdict == AIGUARD_DENY && granted)
		return AIGUARD_GRANT;
	if (permissive)
		return verdict == AIGUARD_DENY ? AIGUARD_AUDIT : AIGUARD_AUDIT_SILENT;
	return verdict;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_enforce);

/**
 * aiguard_policy_grant_match - whether a grant covers an access
 * @grant_tracer: the grant's tracer process key
 * @grant_target: the grant's target process key
 * @expires: the grant's deadline (jiffies64)
 * @tracer: key of the process asking for access
 * @target: key of the process it wants to access
 * @now: the current time (jiffies64)
 *
 * Keys are compared by identity: the exact tracer process, not its uid
 * and not its children.
 *
 * Return: true if the grant names both processes and has not expired.
 */
bool aiguard_policy_grant_match(const void *grant_tracer,
				const void *grant_target, u64 expires,
				const void *tracer, const void *target, u64 now)
{
	return grant_tracer == tracer && grant_target == target &&
	       time_before64(now, expires);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_grant_match);

/**
 * aiguard_policy_lock_check - whether the lock refuses an operation
 * @op: the operation
 * @locked: whether the policy is locked
 *
 * A locked policy only tightens: what weakens protection (unprotect,
 * audit-only mode, new grants, unloading) is refused; protecting more,
 * switching audit-only mode off, ending grants and locking again are not.
 *
 * Switching every kprobe off (debugfs kprobes/enabled) is refused locked
 * or not: it would open every protection at once, silently until the
 * watchdog's next tick, and a /proc descriptor opened meanwhile would
 * outlive the switch. An operator who needs kprobes off unloads aiguard
 * first, which needs nothing protected.
 *
 * Return: 0, or -EPERM.
 */
int aiguard_policy_lock_check(enum aiguard_op op, bool locked)
{
	if (op == AIGUARD_OP_KPROBES_SWITCH)
		return -EPERM;
	if (!locked)
		return 0;
	switch (op) {
	case AIGUARD_OP_PROTECT_PERMISSIVE:
	case AIGUARD_OP_UNPROTECT:
	case AIGUARD_OP_PERMISSIVE_ON:
	case AIGUARD_OP_GRANT:
	case AIGUARD_OP_UNLOAD:
	case AIGUARD_OP_FORCED_UNLOAD:
		return -EPERM;
	default:
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_lock_check);

/**
 * aiguard_policy_join - decide whether a protect request may add to a label
 * @has_members: whether @label has live members
 * @caller_label: label of the requesting process, NULL if unprotected
 * @label: the label asked for
 * @join_flag: whether the request carries %AIGUARD_PROTECT_JOIN
 * @locked: whether the policy is locked
 *
 * A label with members is a closed domain: it grows by inheritance and by
 * requests of its members. Anything else would let root step into a
 * workload's domain and read it as a peer.
 *
 * Return: the verdict.
 */
enum aiguard_join aiguard_policy_join(bool has_members, const char *caller_label,
				      const char *label, bool join_flag,
				      bool locked)
{
	if (!has_members)
		return AIGUARD_JOIN_NEW;
	if (aiguard_policy_same_domain(caller_label, label))
		return AIGUARD_JOIN_MEMBER;
	if (locked)
		return AIGUARD_JOIN_LOCKED;
	return join_flag ? AIGUARD_JOIN_EXPLICIT : AIGUARD_JOIN_NEEDS_FLAG;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_join);

/**
 * aiguard_policy_reprotect - decide a protect request for a protected group
 * @label_in_force: the group's label
 * @flags_in_force: the %AIGUARD_PROTECT_* flags the group was protected with
 * @label: the label asked for ("" for any)
 * @flags: the flags asked for
 *
 * Protecting again is idempotent, so that launch scripts may repeat it.
 * It never changes what is in force: a request that differs in the label
 * or in a flag kept with the entry (permissive, enter) would otherwise
 * succeed without doing what it asked, or, if it were applied, let root
 * loosen a running workload (make it permissive, open it to namespace
 * joins) without the unprotect that the lock refuses.
 *
 * Return: 0, or -EEXIST.
 */
int aiguard_policy_reprotect(const char *label_in_force, u32 flags_in_force,
			     const char *label, u32 flags)
{
	const u32 kept = AIGUARD_PROTECT_PERMISSIVE | AIGUARD_PROTECT_ENTER;

	if (label[0] && strncmp(label_in_force, label, AIGUARD_LABEL_MAX))
		return -EEXIST;
	return ((flags_in_force ^ flags) & kept) ? -EEXIST : 0;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_policy_reprotect);

static bool aiguard_label_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/**
 * aiguard_label_check - validate a label from user space
 * @label: AIGUARD_LABEL_MAX bytes
 * @allow_empty: whether "" (ask for a private domain) is acceptable
 *
 * Return: 0, or -EINVAL if @label is not NUL-terminated, has a character
 * outside [A-Za-z0-9._-], is empty when that is not allowed, or has a
 * non-zero byte after its terminating NUL (reserved for later use).
 */
int aiguard_label_check(const char *label, bool allow_empty)
{
	size_t len = strnlen(label, AIGUARD_LABEL_MAX);
	size_t i;

	if (len == AIGUARD_LABEL_MAX || (!len && !allow_empty))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!aiguard_label_char_ok(label[i]))
			return -EINVAL;
	for (i = len; i < AIGUARD_LABEL_MAX; i++)
		if (label[i])
			return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_label_check);

/**
 * aiguard_target_check - validate a process reference from user space
 * @target: the reference
 *
 * Return: 0, or -EINVAL for an unknown type, a non-zero id with
 * %AIGUARD_TARGET_SELF, a pid below 1 or a negative pidfd.
 */
int aiguard_target_check(const struct aiguard_target *target)
{
	switch (target->type) {
	case AIGUARD_TARGET_SELF:
		return target->id ? -EINVAL : 0;
	case AIGUARD_TARGET_PID:
		return target->id > 0 ? 0 : -EINVAL;
	case AIGUARD_TARGET_PIDFD:
		return target->id >= 0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_target_check);
