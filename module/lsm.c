// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard LSM-style handlers: one per security hook, named after it, with
 * the hook's arguments and return convention. Each takes a snapshot of the
 * labels involved, asks the policy, and hands the verdict to
 * aiguard_enforce(), which applies grants and permissive mode, keeps the
 * counters and writes the log line and the audit record. hooks.c decides
 * how the handlers get called.
 *
 * All of them run in kprobe context: atomic, no sleeping.
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
#include <linux/uaccess.h>

#include "audit.h"
#include "compat.h"
#include "grant.h"
#include "guard.h"
#include "lsm.h"
#include "policy.h"
#include "stats.h"
#include "task.h"

/* Yama-style: one line per denial, at most a burst of 10 every 5 s. */
static DEFINE_RATELIMIT_STATE(aiguard_log_rs, 5 * HZ, 10);

/**
 * struct aiguard_request - one access being decided
 * @hook: the hook deciding
 * @what: for the log line
 * @detail: for the audit record (PTRACE_MODE_* bits, prctl option, ...)
 * @target: the protected task, or NULL for system-wide decisions
 * @grantable: whether break-glass grants apply
 * @err: the error a denial returns
 * @caller: label of current ("" if unprotected)
 * @label: label of @target ("" if unprotected)
 * @caller_protected: whether current is protected
 * @target_protected: whether @target is protected
 * @target_permissive: whether @target is protected in audit-only mode
 */
struct aiguard_request {
	enum aiguard_hook hook;
	const char *what;
	u32 detail;
	struct task_struct *target;
	bool grantable;
	int err;
	char caller[AIGUARD_LABEL_MAX];
	char label[AIGUARD_LABEL_MAX];
	bool caller_protected;
	bool target_protected;
	bool target_permissive;
};

/*
 * Copy the labels out of the registry so the decision and its record do
 * not depend on entries that may go away.
 */
static bool aiguard_snapshot(struct aiguard_request *req,
			     struct task_struct *caller)
{
	const struct aiguard_entry *e;

	req->caller[0] = '\0';
	req->label[0] = '\0';
	rcu_read_lock();
	e = aiguard_task_entry(req->target);
	req->target_protected = e;
	if (e) {
		strscpy(req->label, e->label, sizeof(req->label));
		req->target_permissive = e->flags & AIGUARD_PROTECT_PERMISSIVE;
		e = aiguard_task_entry(caller);
		req->caller_protected = e;
		if (e)
			strscpy(req->caller, e->label, sizeof(req->caller));
	}
	rcu_read_unlock();
	return req->target_protected;
}

static const char *aiguard_opt(bool protected, const char *label)
{
	return protected ? label : NULL;
}

static void aiguard_log(const char *prefix, const struct aiguard_request *req)
{
	if (!__ratelimit(&aiguard_log_rs))
		return;
	if (req->target)
		pr_notice("%s %s of pid %d (%s, label %s) by pid %d (%s, uid %u)\n",
			  prefix, req->what, task_tgid_nr(req->target),
			  req->target->comm, req->label, task_tgid_nr(current),
			  current->comm, from_kuid(&init_user_ns, current_uid()));
	else
		pr_notice("%s %s by pid %d (%s, uid %u) while processes are protected\n",
			  prefix, req->what, task_tgid_nr(current), current->comm,
			  from_kuid(&init_user_ns, current_uid()));
}

static void aiguard_record(u16 type, const struct aiguard_request *req, u64 count)
{
	aiguard_audit_decision(type, req->hook, req->detail, count,
			       aiguard_opt(req->caller_protected, req->caller),
			       req->target,
			       aiguard_opt(req->target_protected, req->label));
}

/*
 * Apply grants and permissive mode to the policy's verdict, count it,
 * and report it. Returns 0 to allow or req->err to deny.
 */
static int aiguard_enforce(struct aiguard_request *req,
			   enum aiguard_verdict verdict)
{
	/* A locked policy is enforced, whatever was permissive before. */
	bool permissive = !aiguard_locked() &&
			  (aiguard_permissive() || req->target_permissive);
	u64 grant = 0;

	if (verdict == AIGUARD_DENY && req->grantable && req->target)
		grant = aiguard_grant_check(req->target);

	switch (aiguard_policy_enforce(verdict, grant, permissive)) {
	case AIGUARD_ALLOW:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_ALLOWED);
		return 0;
	case AIGUARD_GRANT:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_GRANTED);
		aiguard_record(AIGUARD_EVENT_GRANT_USED, req, grant);
		return 0;
	case AIGUARD_AUDIT:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_AUDITED);
		aiguard_log("permissive: would deny", req);
		aiguard_record(AIGUARD_EVENT_AUDIT, req, 0);
		return 0;
	case AIGUARD_AUDIT_SILENT:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_AUDITED);
		return 0;
	case AIGUARD_DENY:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_DENIED);
		aiguard_log("denied", req);
		aiguard_record(AIGUARD_EVENT_DENY, req, 0);
		return req->err;
	default:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_DENIED);
		return req->err;
	}
}

static const char *aiguard_mode_name(unsigned int mode)
{
	return (mode & PTRACE_MODE_ATTACH) ? "attach" : "read";
}

static noinline int aiguard_ptrace_access_check_slow(struct task_struct *child,
						     unsigned int mode)
{
	const char *caller;
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_PTRACE_ACCESS, .what = aiguard_mode_name(mode),
		.detail = mode, .target = child, .grantable = true, .err = -EPERM,
	};

	if (aiguard_task_none_protected() ||
	    !aiguard_snapshot(&req, current))
		return 0;
	caller = aiguard_opt(req.caller_protected, req.caller);
	return aiguard_enforce(&req, aiguard_policy_access(caller, req.label, mode));
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
	if (!aiguard_task_may_be_protected(child))
		return 0;
	return aiguard_ptrace_access_check_slow(child, mode);
}

/**
 * aiguard_ptrace_traceme - security_ptrace_traceme() handler
 * @parent: the would-be tracer of current
 *
 * Return: 0 or -EPERM.
 */
int aiguard_ptrace_traceme(struct task_struct *parent)
{
	const char *parent_label;
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_PTRACE_TRACEME, .what = "PTRACE_TRACEME",
		.target = current, .err = -EPERM,
	};

	/* Here the protected one is current, and the outsider its parent. */
	if (!aiguard_task_may_be_protected(current) || !aiguard_snapshot(&req, parent))
		return 0;
	parent_label = aiguard_opt(req.caller_protected, req.caller);
	return aiguard_enforce(&req, aiguard_policy_traceme(req.label, parent_label));
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
	const char *caller;
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_PERF_EVENT, .what = "perf event",
		.detail = (u32)event->attr.sample_type, .target = event->hw.target,
		.grantable = true, .err = -EACCES,
	};

	if (aiguard_task_none_protected())
		return 0;
	if (!req.target) {
		req.what = "system-wide user-memory perf sampling";
		return aiguard_enforce(&req,
				       aiguard_policy_perf_system(true,
								  event->attr.sample_type));
	}
	if (!aiguard_task_may_be_protected(req.target) || !aiguard_snapshot(&req, current))
		return 0;
	caller = aiguard_opt(req.caller_protected, req.caller);
	return aiguard_enforce(&req, aiguard_policy_access(caller, req.label,
							   PTRACE_MODE_READ));
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
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .what = "/proc/kcore",
		.detail = what, .err = -EPERM,
	};

	if (what != LOCKDOWN_KCORE || aiguard_task_none_protected())
		return 0;
	return aiguard_enforce(&req, aiguard_policy_kcore(true));
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
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_TASK_PRCTL, .what = "PR_SET_DUMPABLE",
		.detail = option, .target = current, .err = -EPERM,
	};

	if (option != PR_SET_DUMPABLE || !aiguard_task_may_be_protected(current) ||
	    !aiguard_snapshot(&req, current))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_prctl(req.label, option, arg2));
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

	if (!aiguard_task_may_be_protected(current))
		return;
	rcu_read_lock();
	protected = aiguard_task_entry(current);
	rcu_read_unlock();
	if (protected && current->mm) {
		aiguard_mm_disable_dump(current->mm);
		aiguard_stats_count(AIGUARD_HOOK_EXEC, AIGUARD_COUNT_ALLOWED);
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
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_COREDUMP, .what = "core dump",
		.target = current, .err = 1,
	};

	if (!aiguard_task_may_be_protected(current) || !aiguard_snapshot(&req, current))
		return false;
	return aiguard_enforce(&req, aiguard_policy_coredump(req.label));
}

/**
 * aiguard_delete_module - handler for the delete_module() syscall
 * @name: its user-space module name argument
 *
 * Runs in kprobe context, so the name is read without faulting; a name
 * that cannot be read while locked is refused too.
 *
 * Return: true to fail the call with EPERM.
 */
bool aiguard_delete_module(const char __user *name)
{
	char buf[sizeof(KBUILD_MODNAME)];

	if (!aiguard_policy_lock_check(AIGUARD_OP_UNLOAD, aiguard_locked()))
		return false;
	if (copy_from_user_nofault(buf, name, sizeof(buf)))
		return true;
	return !memcmp(buf, KBUILD_MODNAME, sizeof(buf));
}
