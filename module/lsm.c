// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard LSM-style handlers: one per security hook, named after it, with
 * the hook's arguments and return convention. They look up labels, ask the
 * policy and keep the counters; hooks.c decides how they get called.
 *
 * All of them run in kprobe or tracepoint context: atomic, no sleeping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/perf_event.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "aiguard.h"
#include "compat.h"
#include "lsm.h"
#include "policy.h"
#include "registry.h"

static atomic64_t aiguard_allowed[AIGUARD_HOOK_NR];
static atomic64_t aiguard_denied[AIGUARD_HOOK_NR];

/* Yama-style: one line per denial, at most a burst of 10 every 5 s. */
static DEFINE_RATELIMIT_STATE(aiguard_log_rs, 5 * HZ, 10);

/**
 * aiguard_count - count one decision on a protected target
 * @hook: which hook decided
 * @denied: whether it denied
 */
void aiguard_count(enum aiguard_hook hook, bool denied)
{
	atomic64_inc(denied ? &aiguard_denied[hook] : &aiguard_allowed[hook]);
}

/**
 * aiguard_stats_reset - zero the decision counters
 */
void aiguard_stats_reset(void)
{
	int i;

	for (i = 0; i < AIGUARD_HOOK_NR; i++) {
		atomic64_set(&aiguard_allowed[i], 0);
		atomic64_set(&aiguard_denied[i], 0);
	}
}

/**
 * aiguard_stats_fill - copy the counters and registry sizes out
 * @stats: zeroed by the caller
 */
void aiguard_stats_fill(struct aiguard_stats *stats)
{
	int i;

	stats->nr_protected = atomic_read(&aiguard_registry.nr_groups);
	stats->nr_pending = atomic_read(&aiguard_registry.nr_pending);
	for (i = 0; i < AIGUARD_HOOK_NR; i++) {
		stats->allowed[i] = atomic64_read(&aiguard_allowed[i]);
		stats->denied[i] = atomic64_read(&aiguard_denied[i]);
	}
	aiguard_hooks_missed(stats->missed);
}

static const char *aiguard_mode_name(unsigned int mode)
{
	return (mode & PTRACE_MODE_ATTACH) ? "attach" : "read";
}

/* @target is NULL for a denial that protects all protected processes. */
static void aiguard_log_denial(const char *what, struct task_struct *target,
			       const char *label)
{
	if (!__ratelimit(&aiguard_log_rs))
		return;
	if (target)
		pr_notice("denied %s of pid %d (%s, label %s) by pid %d (%s, uid %u)\n",
			  what, task_tgid_nr(target), target->comm, label,
			  task_tgid_nr(current), current->comm,
			  from_kuid(&init_user_ns, current_uid()));
	else
		pr_notice("denied %s by pid %d (%s, uid %u) while processes are protected\n",
			  what, task_tgid_nr(current), current->comm,
			  from_kuid(&init_user_ns, current_uid()));
}

static int aiguard_decide(enum aiguard_hook hook, enum aiguard_verdict verdict,
			  const char *what, struct task_struct *target,
			  const char *label, int err)
{
	aiguard_count(hook, verdict != AIGUARD_ALLOW);
	if (verdict == AIGUARD_ALLOW)
		return 0;
	if (verdict == AIGUARD_DENY)
		aiguard_log_denial(what, target, label);
	return err;
}

/**
 * aiguard_ptrace_access_check - security_ptrace_access_check() handler
 * @child: the task being accessed
 * @mode: PTRACE_MODE_* of the request
 *
 * Return: 0 or -EPERM, as __ptrace_may_access() reports any denial.
 */
int aiguard_ptrace_access_check(struct task_struct *child, unsigned int mode)
{
	enum aiguard_verdict verdict;
	char label[AIGUARD_LABEL_MAX];
	const char *target_label;

	if (aiguard_registry_empty(&aiguard_registry))
		return 0;
	rcu_read_lock();
	target_label = aiguard_task_label(child);
	if (!target_label) {
		rcu_read_unlock();
		return 0;
	}
	verdict = aiguard_policy_access(aiguard_task_label(current),
					target_label, mode);
	strscpy(label, target_label, sizeof(label));
	rcu_read_unlock();
	return aiguard_decide(AIGUARD_HOOK_PTRACE_ACCESS, verdict,
			      aiguard_mode_name(mode), child, label, -EPERM);
}

/**
 * aiguard_ptrace_traceme - security_ptrace_traceme() handler
 * @parent: the would-be tracer of current
 *
 * Return: 0 or -EPERM.
 */
int aiguard_ptrace_traceme(struct task_struct *parent)
{
	enum aiguard_verdict verdict;
	char label[AIGUARD_LABEL_MAX];
	const char *self_label;

	if (aiguard_registry_empty(&aiguard_registry))
		return 0;
	rcu_read_lock();
	self_label = aiguard_task_label(current);
	if (!self_label) {
		rcu_read_unlock();
		return 0;
	}
	verdict = aiguard_policy_traceme(self_label, aiguard_task_label(parent));
	strscpy(label, self_label, sizeof(label));
	rcu_read_unlock();
	return aiguard_decide(AIGUARD_HOOK_PTRACE_TRACEME, verdict,
			      "PTRACE_TRACEME", current, label, -EPERM);
}

/**
 * aiguard_perf_event_alloc - security_perf_event_alloc() handler
 * @event: the new event; hw.target is its task for per-task events
 *
 * Root and CAP_PERFMON skip the ptrace check in perf_event_open(), so
 * per-task events on a protected process are refused here, and so are
 * CPU-wide events that would copy user stacks of whatever runs.
 *
 * Return: 0 or -EACCES, what perf_event_open() returns when the ptrace
 * check fails.
 */
int aiguard_perf_event_alloc(struct perf_event *event)
{
	struct task_struct *target = event->hw.target;
	enum aiguard_verdict verdict;
	char label[AIGUARD_LABEL_MAX];
	const char *target_label;

	if (aiguard_registry_empty(&aiguard_registry))
		return 0;
	if (!target) {
		verdict = aiguard_policy_perf_system(true, event->attr.sample_type);
		return aiguard_decide(AIGUARD_HOOK_PERF_EVENT, verdict,
				      "system-wide user-memory perf sampling",
				      NULL, NULL, -EACCES);
	}
	rcu_read_lock();
	target_label = aiguard_task_label(target);
	if (!target_label) {
		rcu_read_unlock();
		return 0;
	}
	verdict = aiguard_policy_access(aiguard_task_label(current),
					target_label, PTRACE_MODE_READ);
	strscpy(label, target_label, sizeof(label));
	rcu_read_unlock();
	return aiguard_decide(AIGUARD_HOOK_PERF_EVENT, verdict, "perf event",
			      target, label, -EACCES);
}

/**
 * aiguard_locked_down - security_locked_down() handler
 * @what: the kernel feature being asked for
 *
 * Return: 0, or -EPERM (what lockdown itself returns) for /proc/kcore
 * while any process is protected.
 */
int aiguard_locked_down(enum lockdown_reason what)
{
	enum aiguard_verdict verdict;

	if (what != LOCKDOWN_KCORE || aiguard_registry_empty(&aiguard_registry))
		return 0;
	verdict = aiguard_policy_kcore(true);
	return aiguard_decide(AIGUARD_HOOK_LOCKED_DOWN, verdict, "/proc/kcore",
			      NULL, NULL, -EPERM);
}

/**
 * aiguard_task_prctl - security_task_prctl() handler
 * @option: prctl option
 * @arg2: first argument
 *
 * Return: 0 to let prctl() go on, or -EPERM.
 */
int aiguard_task_prctl(int option, unsigned long arg2)
{
	enum aiguard_verdict verdict;
	char label[AIGUARD_LABEL_MAX];
	const char *self_label;

	if (option != PR_SET_DUMPABLE || aiguard_registry_empty(&aiguard_registry))
		return 0;
	rcu_read_lock();
	self_label = aiguard_task_label(current);
	if (!self_label) {
		rcu_read_unlock();
		return 0;
	}
	verdict = aiguard_policy_prctl(self_label, option, arg2);
	strscpy(label, self_label, sizeof(label));
	rcu_read_unlock();
	return aiguard_decide(AIGUARD_HOOK_TASK_PRCTL, verdict,
			      "PR_SET_DUMPABLE", current, label, -EPERM);
}

/**
 * aiguard_bprm_committed_creds - security_bprm_committed_creds() handler
 *
 * begin_new_exec() has just reset dumpable for the new program; make it
 * non-dumpable again while exec still holds cred_guard_mutex and
 * exec_update_lock, so no ptrace attach or /proc/PID/mem open can slip in.
 */
void aiguard_bprm_committed_creds(void)
{
	bool protected;

	if (aiguard_registry_empty(&aiguard_registry))
		return;
	rcu_read_lock();
	protected = aiguard_task_label(current);
	rcu_read_unlock();
	if (protected && current->mm) {
		aiguard_mm_disable_dump(current->mm);
		aiguard_count(AIGUARD_HOOK_EXEC, false);
	}
}

/**
 * aiguard_coredump - handler for the core dump entry point
 *
 * The last line of defence: whatever dumpable, RLIMIT_CORE, suid_dumpable
 * and core_pattern (file or pipe) say, a protected process is not dumped.
 *
 * Return: true to skip the dump.
 */
bool aiguard_coredump(void)
{
	enum aiguard_verdict verdict;
	char label[AIGUARD_LABEL_MAX];
	const char *self_label;

	if (aiguard_registry_empty(&aiguard_registry))
		return false;
	rcu_read_lock();
	self_label = aiguard_task_label(current);
	if (!self_label) {
		rcu_read_unlock();
		return false;
	}
	verdict = aiguard_policy_coredump(self_label);
	strscpy(label, self_label, sizeof(label));
	rcu_read_unlock();
	return aiguard_decide(AIGUARD_HOOK_COREDUMP, verdict, "core dump",
			      current, label, 1);
}
