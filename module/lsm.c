// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard LSM-style handlers: one per security hook, named after it, with
 * the hook's arguments and return convention. Each takes a snapshot of the
 * labels involved, asks the policy, and hands the verdict to
 * aiguard_enforce(), which applies grants and permissive mode, keeps the
 * counters and writes the log line and the audit record. hooks.c decides
 * how the handlers get called.
 *
 * Most run in kprobe context: atomic, no sleeping. aiguard_bpf_access()
 * runs inside BPF programs, in NMI too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/perf_event.h>
#include <linux/pid_namespace.h>
#include <linux/prctl.h>
#include <linux/proc_fs.h>
#include <linux/ptrace.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/shm.h>
#include <uapi/linux/shm.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "audit.h"
#include "compat.h"
#include "grant.h"
#include "guard.h"
#include "lsm.h"
#include "mem.h"
#include "obj.h"
#include "policy.h"
#include "seal.h"
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
 * @target_enter: whether outsiders may join @target's namespaces
 * @quiet: count only, no log line or record (always in NMI, where the
 *         audit ring's lock could be held by the code the NMI interrupted)
 * @always: refused in permissive mode too: allowing it would not leak,
 *          it would crash the kernel
 * @object: about an object (obj.c), whose label is in @label
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
	bool target_enter;
	bool quiet;
	bool always;
	bool object;
};

/*
 * Copy the labels out of the registry so the decision and its record do
 * not depend on entries that may go away. @caller may be NULL: nobody.
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
		req->target_enter = e->flags & AIGUARD_PROTECT_ENTER;
		e = caller ? aiguard_task_entry(caller) : NULL;
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
	if (req->object)
		pr_notice("%s %s of label %s by pid %d (%s, uid %u)\n",
			  prefix, req->what, req->label, task_tgid_nr(current),
			  current->comm, from_kuid(&init_user_ns, current_uid()));
	else if (req->target)
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
	bool permissive = !aiguard_locked() && !req->always &&
			  (aiguard_permissive() || req->target_permissive);
	u64 grant = 0;

	/*
	 * NMI, and breakpoint kprobes, which run as NMI: the audit ring's
	 * lock and clock may be held by the code we interrupted.
	 */
	if (in_nmi())
		req->quiet = true;

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
		if (req->quiet)
			return 0;
		aiguard_log("permissive: would deny", req);
		aiguard_record(AIGUARD_EVENT_AUDIT, req, 0);
		return 0;
	case AIGUARD_AUDIT_SILENT:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_AUDITED);
		return 0;
	case AIGUARD_DENY:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_DENIED);
		if (req->quiet)
			return req->err;
		aiguard_log("denied", req);
		aiguard_record(AIGUARD_EVENT_DENY, req, 0);
		return req->err;
	default:
		aiguard_stats_count(req->hook, AIGUARD_COUNT_DENIED);
		return req->err;
	}
}

/*
 * Whether @tracer may still access @t with @mode, as if it asked now:
 * the policy, permissive mode, or a live grant. Uses no grant and writes
 * no record. For accesses checked once and then kept: a ptrace link, an
 * open /proc/PID/mem.
 */
static bool aiguard_tracer_entitled(struct task_struct *tracer, struct task_struct *t,
				    unsigned int mode)
{
	struct aiguard_request req = { .target = t };
	const char *caller;

	if (!aiguard_snapshot(&req, tracer))
		return true;
	caller = aiguard_opt(req.caller_protected, req.caller);
	if (aiguard_policy_access(caller, req.label, mode) == AIGUARD_ALLOW)
		return true;
	if (!aiguard_locked() && (aiguard_permissive() || req.target_permissive))
		return true;
	return aiguard_grant_covers(tracer, t);
}

/* A watcher no longer entitled, not init, not killed already. */
static bool aiguard_evictable(struct task_struct *w, struct task_struct *t, unsigned int mode)
{
	return !__fatal_signal_pending(w) && !is_global_init(w) &&
	       !aiguard_tracer_entitled(w, t, mode);
}

/*
 * The owner of a per-task perf event in @t's contexts that may no longer
 * watch the task the event was opened on (*@watched), or NULL. That task
 * is hw.target, not the context's: at a context switch between a task
 * and its forked child with equivalent contexts, perf swaps the two
 * contexts instead of moving the events, so the original event of an
 * inherited pair can sit in the child's context (where it counts the
 * child, as the clone counts the parent). Events inherited from a
 * parent's event are left alone: their owner is whoever opened the
 * parent's (a launcher, maybe a supervisor), and exec drops them
 * (aiguard_bprm_committing_creds()). Under rcu_read_lock(): a context is
 * freed after a grace period, and perf clears event->owner before the
 * owner can be freed; hw.target is held until the event is freed.
 */
static struct task_struct *aiguard_perf_outsider(struct task_struct *t,
						 struct task_struct **watched)
{
	struct perf_event_context *ctx;
	struct task_struct *owner, *target, *found = NULL;
	struct perf_event *event;
	unsigned long flags;
	int i;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "perf contexts read outside RCU");
	for (i = 0; !found && i < AIGUARD_PERF_TASK_CTXS; i++) {
		ctx = aiguard_perf_task_ctx(t, i);
		if (!ctx)
			continue;
		raw_spin_lock_irqsave(&ctx->lock, flags);
		/* a context can move between tasks until it is locked */
		if (ctx->task == t) {
			list_for_each_entry(event, &ctx->event_list, event_entry) {
				if (event->parent)
					continue;
				owner = READ_ONCE(event->owner);
				target = event->hw.target ?: t;
				if (owner && aiguard_evictable(owner, target, PTRACE_MODE_READ)) {
					found = owner;
					*watched = target;
					break;
				}
			}
		}
		raw_spin_unlock_irqrestore(&ctx->lock, flags);
	}
	return found;
}

static void aiguard_evict(u16 hook, const char *what, struct task_struct *w,
			  struct task_struct *t)
{
	struct aiguard_request req = { .target = t };

	if (!aiguard_snapshot(&req, w))
		return;
	send_sig(SIGKILL, w, 1);
	pr_notice("killed pid %d (%s), whose %s of pid %d (%s, label %s) was no longer permitted\n",
		  task_tgid_nr(w), w->comm, what, task_tgid_nr(t), t->comm, req.label);
	aiguard_audit_evict(hook, w, aiguard_opt(req.caller_protected, req.caller), t, req.label);
}

/*
 * The /proc/PID files that keep reading the mm they were opened on
 * (compat.h): their f_op, whether they are seq files, and the
 * PTRACE_MODE_* their open asked for. Filled in by hooks.c at load,
 * before any hook can run, and read-only after.
 */
static struct {
	const struct file_operations *fops;
	unsigned int mode;
	bool seq;
} aiguard_proc_files[8];
static unsigned int aiguard_nr_proc_files;

/**
 * aiguard_proc_file_add - name a /proc/PID file that keeps its mm
 * @fops: its f_op, as found on /proc/self
 * @seq: whether aiguard_proc_file_mm() finds its mm through a seq file
 * @mode: PTRACE_MODE_* its open asks for
 *
 * Return: 0, or -ENOSPC if the table is full.
 */
int aiguard_proc_file_add(const struct file_operations *fops, bool seq, unsigned int mode)
{
	unsigned int i = aiguard_nr_proc_files;

	if (i == ARRAY_SIZE(aiguard_proc_files))
		return -ENOSPC;
	aiguard_proc_files[i].fops = fops;
	aiguard_proc_files[i].seq = seq;
	aiguard_proc_files[i].mode = mode;
	aiguard_nr_proc_files = i + 1;
	return 0;
}

struct aiguard_fd_walk {
	struct task_struct *holder;
	struct task_struct **target;	/* out: the protected process read */
};

/*
 * iterate_fd() callback, under the holder's task_lock and file_lock: the
 * file table holds a reference to @file, and the file one to its mm.
 */
static int aiguard_fd_outsider(const void *arg, struct file *file, unsigned int fd)
{
	const struct aiguard_fd_walk *w = arg;
	struct task_struct *owner;
	struct mm_struct *mm;
	unsigned int i;

	for (i = 0; i < aiguard_nr_proc_files; i++)
		if (file->f_op == aiguard_proc_files[i].fops)
			break;
	if (i == aiguard_nr_proc_files)
		return 0;
	mm = aiguard_proc_file_mm(file, aiguard_proc_files[i].seq);
	owner = mm ? aiguard_mm_owner(mm) : NULL;
	if (!owner || !aiguard_task_may_be_protected(owner) ||
	    !aiguard_evictable(w->holder, owner, aiguard_proc_files[i].mode))
		return 0;
	*w->target = owner;
	return 1;
}

/*
 * Under rcu_read_lock(): every process holding an open /proc/PID/{environ,
 * auxv,pagemap,maps,smaps,smaps_rollup,numa_maps} of a protected process
 * that it may no longer open is killed. Their opens were checked, their
 * reads are not (mem's are, aiguard_proc_mem_access(): mem is not here),
 * and checking each environ or maps read would cost every reader of any
 * process (4% on environ, BENCHMARKS.md). A table shared by threads is
 * walked once; the walk costs about as much as reading every process's
 * fd directory, and runs only when permissions shrink or a running
 * process is protected. What it cannot see: descriptors in flight in a
 * unix socket (SCM_RIGHTS) and io_uring's registered files, and init's.
 */
static void aiguard_evict_readers(void)
{
	struct task_struct *p, *t, *target;
	struct aiguard_fd_walk w = { .target = &target };

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "threads walked outside RCU");
	for_each_process_thread(p, t) {
		if (t != p && READ_ONCE(t->files) == READ_ONCE(p->files))
			continue;
		target = NULL;
		w.holder = t;
		task_lock(t);
		if (t->files)
			iterate_fd(t->files, 0, aiguard_fd_outsider, &w);
		task_unlock(t);
		/* SIGKILL ends the whole group, whatever else it holds */
		if (target)
			aiguard_evict(AIGUARD_HOOK_PTRACE_ACCESS, "open /proc file", t, target);
	}
}

/*
 * ptrace is checked at attach and perf_event_open() at open only: a
 * tracer or a per-task event let in by a grant or by permissive mode
 * stays when that permission ends. So whenever permissions shrink (a
 * grant ends, permissive mode goes off, the lock), every tracer of a
 * protected thread, every owner of a perf event on one and every holder
 * of a /proc descriptor on one is judged again; one that would be
 * refused is killed (there is no detaching
 * another process's tracee, or closing its descriptor, from outside),
 * and an EVICT record says so.
 */
static DEFINE_MUTEX(aiguard_evict_mutex);
static unsigned int aiguard_evict_epoch;

/* Under rcu_read_lock(): @t's tracer and perf event owners, if outsiders. */
static void aiguard_evict_thread(struct task_struct *t)
{
	struct task_struct *tracer, *owner, *watched;
	int n;

	tracer = ptrace_parent(t);
	if (tracer && aiguard_evictable(tracer, t, PTRACE_MODE_ATTACH))
		aiguard_evict(AIGUARD_HOOK_PTRACE_ACCESS, "ptrace", tracer, t);
	/* one owner at a time: a killed one is no longer evictable */
	for (n = 0; n < 16 && (owner = aiguard_perf_outsider(t, &watched)); n++)
		aiguard_evict(AIGUARD_HOOK_PERF_EVENT, "perf event", owner, watched);
}

/**
 * aiguard_evict_watchers - end outsiders' watchers of a newly protected process
 * @task: any thread of it
 *
 * A per-task perf event opened on it before protection would keep
 * counting or sampling it, and an open /proc/PID/environ or maps keep
 * reading it (a tracer makes protect fail with -EBUSY instead, see
 * task.c).
 */
void aiguard_evict_watchers(struct task_struct *task)
{
	struct task_struct *t;
	struct mm_struct *mm;
	bool held;

	/*
	 * Every one of those /proc files holds the mm with mmgrab(): an mm
	 * with no reference but its users' own (mm_count 1, as for nearly
	 * every process) has none open, and protecting many processes does
	 * not walk every descriptor table once each.
	 */
	task_lock(task);
	mm = task->mm;
	held = mm && atomic_read(&mm->mm_count) > 1;
	task_unlock(task);

	might_sleep();
	mutex_lock(&aiguard_evict_mutex);
	rcu_read_lock();
	for_each_thread(task, t)
		aiguard_evict_thread(t);
	if (held)
		aiguard_evict_readers();
	rcu_read_unlock();
	mutex_unlock(&aiguard_evict_mutex);
}

/**
 * aiguard_evict_tracers - end watchers whose permission has ended
 *
 * Tracers, owners of perf events and holders of /proc/PID descriptors
 * (aiguard_evict_readers()) of protected processes are judged again.
 * Called after a revoke, permissive mode off or the lock, and once a
 * second by the watchdog (grants also end by expiry); it walks the
 * threads only when some permission has shrunk since its last walk.
 */
void aiguard_evict_tracers(void)
{
	struct task_struct *p, *t;
	unsigned int epoch;

	might_sleep();
	mutex_lock(&aiguard_evict_mutex);
	epoch = aiguard_grant_ends() + aiguard_guard_narrowings();
	if (epoch == aiguard_evict_epoch) {
		mutex_unlock(&aiguard_evict_mutex);
		return;
	}
	aiguard_evict_epoch = epoch;
	rcu_read_lock();
	for_each_process_thread(p, t) {
		if (aiguard_task_none_protected())
			break;
		if (!aiguard_task_may_be_protected(t))
			continue;
		aiguard_evict_thread(t);
	}
	if (!aiguard_task_none_protected())
		aiguard_evict_readers();
	rcu_read_unlock();
	mutex_unlock(&aiguard_evict_mutex);
}

static const char *aiguard_mode_name(unsigned int mode)
{
	return (mode & PTRACE_MODE_ATTACH) ? "attach" : "read";
}

static noinline int aiguard_ptrace_access_check_slow(struct task_struct *child,
						     unsigned int mode,
						     bool (*ns_join)(void))
{
	enum aiguard_verdict verdict;
	const char *caller;
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_PTRACE_ACCESS, .what = aiguard_mode_name(mode),
		.detail = mode, .target = child, .grantable = true, .err = -EPERM,
	};

	if (aiguard_task_none_protected() ||
	    !aiguard_snapshot(&req, current))
		return 0;
	caller = aiguard_opt(req.caller_protected, req.caller);
	verdict = aiguard_policy_access(caller, req.label, mode);
	/* Only a refusal of a target that allows it is worth the stack walk. */
	if (verdict != AIGUARD_ALLOW && req.target_enter && ns_join && ns_join())
		verdict = aiguard_policy_enter(caller, req.label, mode, true);
	return aiguard_enforce(&req, verdict);
}

/**
 * aiguard_ptrace_access_check - security_ptrace_access_check() handler
 * @child: the task being accessed
 * @mode: PTRACE_MODE_* of the request
 * @ns_join: whether this check is one that only hands out @child's
 *           namespaces (/proc/PID/ns/, setns(2) on a pidfd); asked only
 *           when the answer matters. NULL: never.
 *
 * Return: 0 or -EPERM, as __ptrace_may_access() reports any denial.
 */
int aiguard_ptrace_access_check(struct task_struct *child, unsigned int mode,
				bool (*ns_join)(void))
{
	if (!aiguard_task_may_be_protected(child))
		return 0;
	return aiguard_ptrace_access_check_slow(child, mode, ns_join);
}

/*
 * The mm hooks (/proc/PID/mem, uprobe breakpoints, swap-out) are given
 * an address space, not a task: whose memory it is comes from mm->owner,
 * which memcg keeps pointing at a live user of the mm (NULL once none is
 * left, as for the old mm of an exec). @decide runs under RCU, and only
 * for an owner that may be protected.
 */
static int aiguard_decide_for_owner(struct mm_struct *mm,
				    int (*decide)(struct task_struct *owner, u32 arg),
				    u32 arg)
{
	struct task_struct *owner;
	int err = 0;

	if (!mm || aiguard_task_none_protected())
		return 0;
	rcu_read_lock();
	owner = aiguard_mm_owner(mm);
	if (owner && aiguard_task_may_be_protected(owner))
		err = decide(owner, arg);
	rcu_read_unlock();
	return err;
}

/* A use still allowed is not counted or recorded again: the open was. */
static int aiguard_proc_mem_decide(struct task_struct *owner, u32 mode)
{
	if (aiguard_tracer_entitled(current, owner, mode))
		return 0;
	return aiguard_ptrace_access_check_slow(owner, mode, NULL);
}

/**
 * aiguard_proc_mem_access - a read or write on an open /proc/PID/mem
 * @mm: the address space the file was opened on (its private_data)
 * @mode: PTRACE_MODE_* the open asked for
 *
 * The open passed ptrace_may_access(), but the file keeps working for
 * as long as it is open: opened before protection, under a grant or in
 * permissive mode, it would outlive them. So every use is decided again,
 * as if current opened the file now; a refusal is counted and recorded
 * as a ptrace_access denial.
 *
 * Return: 0 or -EPERM.
 */
int aiguard_proc_mem_access(struct mm_struct *mm, unsigned int mode)
{
	return aiguard_decide_for_owner(mm, aiguard_proc_mem_decide, mode);
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

/*
 * An event copied from a parent event into a child that current is
 * creating (fork or thread): the child will have current's label, and the
 * one who wants to watch it is whoever opened the original event. perf
 * clears ->owner (to NULL) when that task exits, before the task can be
 * freed; under RCU a non-NULL owner stays valid, as perf itself relies on.
 */
static int aiguard_perf_inherit(struct aiguard_request *req,
				struct perf_event *parent)
{
	struct task_struct *owner;
	bool protected;

	req->what = "inherited perf event";
	req->target = current;
	req->grantable = false;
	if (!aiguard_task_may_be_protected(current))
		return 0;
	rcu_read_lock();
	owner = READ_ONCE(parent->owner);
	protected = aiguard_snapshot(req, owner);
	rcu_read_unlock();
	if (!protected)
		return 0;
	return aiguard_enforce(req, aiguard_policy_access(aiguard_opt(req->caller_protected,
								      req->caller),
							  req->label, PTRACE_MODE_READ));
}

static noinline int aiguard_perf_decide(struct perf_event *event)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_PERF_EVENT, .what = "perf event",
		.detail = (u32)event->attr.sample_type, .target = event->hw.target,
		.grantable = true, .err = -EACCES,
	};

	if (event->parent)
		return aiguard_perf_inherit(&req, event->parent);
	if (!req.target) {
		req.what = "system-wide user-memory perf sampling";
		return aiguard_enforce(&req,
				       aiguard_policy_perf_system(true,
								  event->attr.sample_type));
	}
	if (!aiguard_task_may_be_protected(req.target) || !aiguard_snapshot(&req, current))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_access(aiguard_opt(req.caller_protected,
								       req.caller),
							   req.label, PTRACE_MODE_READ));
}

/* A CPU-wide (or cgroup) event that copies user stacks or registers. */
static bool aiguard_perf_samples_users(struct perf_event *event)
{
	return !event->hw.target && !event->parent &&
	       aiguard_policy_perf_system(true, event->attr.sample_type) != AIGUARD_ALLOW;
}

/**
 * aiguard_perf_event_alloc - security_perf_event_alloc() handler
 * @event: the new event; hw.target is its task for per-task events
 *
 * Root and CAP_PERFMON skip the ptrace check in perf_event_open(), so
 * per-task events on a protected process are refused here, and so are
 * CPU-wide events that would copy user stacks of whatever runs, and
 * events inherited into a protected child from an outsider's event.
 * CPU-wide user-sampling events allowed (nothing was protected) are
 * counted: they keep sampling processes protected later, and status
 * reports them.
 *
 * Return: 0 or -EACCES, what perf_event_open() returns when the ptrace
 * check fails.
 */
int aiguard_perf_event_alloc(struct perf_event *event)
{
	int err = 0;

	if (!aiguard_task_none_protected())
		err = aiguard_perf_decide(event);
	if (!err && aiguard_perf_samples_users(event))
		aiguard_stats_sampling(1);
	return err;
}

/**
 * aiguard_perf_event_free - security_perf_event_free() handler
 * @event: an event that perf_event_alloc() returned, being freed
 */
void aiguard_perf_event_free(struct perf_event *event)
{
	if (aiguard_perf_samples_users(event))
		aiguard_stats_sampling(-1);
}

/**
 * aiguard_locked_down - security_locked_down() handler
 * @what: the kernel feature being asked for
 *
 * Return: 0, or -EPERM (what lockdown itself returns) for /proc/kcore
 * and hibernation while any process or object is protected, and for every
 * integrity reason once the policy is locked (aiguard_policy_lockdown()).
 */
int aiguard_locked_down(enum lockdown_reason what)
{
	bool locked = aiguard_locked();
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .detail = what, .err = -EPERM,
		.what = what == LOCKDOWN_KCORE ? "/proc/kcore" :
			what == LOCKDOWN_HIBERNATION ? "hibernation" :
			"a kernel-integrity operation (lockdown reason)",
	};

	if (!locked && (!aiguard_policy_exposes_memory(what) || !aiguard_secrets_held()))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_lockdown(what, aiguard_secrets_held(),
							     locked));
}

/**
 * aiguard_kcore_read - handler for reads of /proc/kcore
 *
 * The open is checked by aiguard_locked_down(), but a descriptor opened
 * while nothing was protected would keep reading: every read is checked
 * too.
 *
 * Return: 0 or -EPERM.
 */
int aiguard_kcore_read(void)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .what = "/proc/kcore read",
		.detail = LOCKDOWN_KCORE, .err = -EPERM,
	};

	if (!aiguard_secrets_held())
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

/* Make a protected current's new mm non-dumpable; whether it was protected. */
static bool aiguard_exec_nondump(void)
{
	bool protected;

	if (!aiguard_task_may_be_protected(current))
		return false;
	rcu_read_lock();
	protected = aiguard_task_entry(current);
	rcu_read_unlock();
	if (protected && current->mm)
		aiguard_mm_disable_dump(current->mm);
	return protected;
}

/**
 * aiguard_bprm_committing_creds - security_bprm_committing_creds() handler
 *
 * begin_new_exec() drops the task's perf events (perf_event_exit_task())
 * only when the new mm is not dumpable once the new creds are in; it has
 * just made it dumpable. Clearing it here, before that test, drops every
 * event attached before the exec, inherited ones included, so no monitor
 * of the launcher follows the workload into its protected life.
 */
void aiguard_bprm_committing_creds(void)
{
	aiguard_exec_nondump();
}

/**
 * aiguard_bprm_committed_creds - security_bprm_committed_creds() handler
 *
 * commit_creds() may have reset dumpable again (fs.suid_dumpable); make it
 * non-dumpable again while exec still holds cred_guard_mutex and
 * exec_update_lock, so no ptrace attach or /proc/PID/mem open can slip in.
 * And follow the new address space (mem.c) from the task's first user
 * instruction on; a task that cannot be followed is killed before it.
 */
void aiguard_bprm_committed_creds(void)
{
	int err;

	if (!aiguard_exec_nondump())
		return;
	aiguard_stats_count(AIGUARD_HOOK_EXEC, AIGUARD_COUNT_ALLOWED);
	/* The new address space is cleared when let go of, as the old one was. */
	err = aiguard_mem_track_later(current);
	if (err) {
		pr_err("cannot follow the new memory of protected pid %d (%s) (error %d); killing it\n",
		       task_tgid_nr(current), current->comm, err);
		send_sig(SIGKILL, current, 1);
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
 * @flags: its flags argument
 *
 * A forced unload (O_TRUNC) of aiguard is always refused: it would run
 * the module's exit, and free its code, under open /dev/aiguard files
 * and the module references of protected processes (a use-after-free,
 * permissive mode or not). Once locked, a forced unload of any module is
 * refused: the flags are a register value, so no other thread can change
 * them between this check and the kernel's. The module name lives in user
 * memory, which the kernel reads again after us; a racing thread could
 * show us another name, so before the lock it only guards against
 * mistakes (root may still unprotect everything and rmmod then), and
 * after it serves for a clear EPERM on a plain "rmmod aiguard", which
 * cannot succeed anyway: the lock holds a module reference.
 *
 * Return: -EPERM to refuse the call, else 0.
 */
int aiguard_delete_module(const char __user *name, unsigned int flags)
{
	char buf[sizeof(KBUILD_MODNAME)];
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .what = "forced module unload",
		.detail = flags, .err = -EPERM, .always = true,
	};
	bool ours;

	if (!aiguard_locked() && !(flags & O_TRUNC))
		return 0;
	ours = copy_from_user_nofault(buf, name, sizeof(buf)) ||
	       !memcmp(buf, KBUILD_MODNAME, sizeof(buf));
	if (flags & O_TRUNC && (ours || aiguard_locked()))
		return aiguard_enforce(&req, AIGUARD_DENY);
	return ours ? -EPERM : 0;
}

/*
 * A kexec or crash image: before the lock, loading one while anything is
 * protected is recorded (a kernel booted over the RAM reads everything);
 * from the moment the lock seals kexec (seal.c) it is refused.
 */
static int aiguard_kexec_load_decide(void)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .detail = LOCKDOWN_KEXEC,
		.what = "kexec or crash image load", .err = -EPERM, .always = true,
	};

	if (aiguard_kexec_closed())
		return aiguard_enforce(&req, AIGUARD_DENY);
	if (!aiguard_task_none_protected()) {
		pr_warn_ratelimited("pid %d (%s) loads a kexec or crash image while processes are protected: a kernel booted over RAM reads their memory\n",
				    task_tgid_nr(current), current->comm);
		aiguard_audit_state(AIGUARD_EVENT_TAMPER,
				    aiguard_state() | AIGUARD_TAMPER_KEXEC_LOAD);
	}
	return 0;
}

/**
 * aiguard_kernel_load - security_kernel_read_file() and _load_data() handler
 * @module: what is being loaded is a kernel module
 * @kexec: it is a kexec image or initramfs
 *
 * kexec images: see aiguard_kexec_load_decide(). Modules, on kernels
 * built without CONFIG_MODULE_SIG only: such a kernel never asks lockdown
 * about a module's signature, so any module loads, and a module can
 * unhook aiguard; after the lock every module load is refused there.
 *
 * Return: 0 or -EPERM.
 */
int aiguard_kernel_load(bool module, bool kexec)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .detail = LOCKDOWN_MODULE_SIGNATURE,
		.what = "module load (this kernel does not check module signatures)",
		.err = -EPERM,
	};

	if (kexec)
		return aiguard_kexec_load_decide();
	if (!module || IS_ENABLED(CONFIG_MODULE_SIG) || !aiguard_locked())
		return 0;
	return aiguard_enforce(&req, AIGUARD_DENY);
}

/**
 * aiguard_kexec_reboot - handler for kernel_kexec(), reboot(LINUX_REBOOT_CMD_KEXEC)
 *
 * Boots the loaded kexec image over the RAM. Once the lock sealed kexec
 * no image is loaded; this refuses one that could not be unloaded.
 *
 * Return: 0 or -EPERM.
 */
int aiguard_kexec_reboot(void)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .detail = LOCKDOWN_KEXEC,
		.what = "reboot into a kexec image", .err = -EPERM, .always = true,
	};

	if (!aiguard_kexec_closed())
		return 0;
	return aiguard_enforce(&req, AIGUARD_DENY);
}

/**
 * aiguard_kprobes_switch - handler for writes to debugfs kprobes/enabled
 *
 * Writing 0 there disarms every kprobe, aiguard's included: every
 * protection would be open until it is written 1 again, and whatever
 * was opened meanwhile (a process's environ or maps) would keep reading
 * afterwards. So every write is refused while aiguard is loaded (a
 * write of 1 too: the value is in user memory, which a racing thread
 * could change after this check), permissive mode too. Lockdown's
 * debugfs rule refuses the open after the lock already; this refuses a
 * descriptor opened before. aiguard does not load while kprobes are off
 * (hooks.c), so while it is loaded they are on.
 *
 * Return: -EPERM.
 */
int aiguard_kprobes_switch(void)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_LOCKED_DOWN, .what = "write to kprobes/enabled",
		.detail = LOCKDOWN_DEBUGFS, .err = -EPERM, .always = true,
	};

	return aiguard_enforce(&req, aiguard_policy_lock_check(AIGUARD_OP_KPROBES_SWITCH,
							       aiguard_locked()) ?
				     AIGUARD_DENY : AIGUARD_ALLOW);
}

static const char *const aiguard_bpf_what[] = {
	[AIGUARD_BPF_READ] = "BPF read of user memory",
	[AIGUARD_BPF_READ_TASK] = "BPF read of another task's memory",
	[AIGUARD_BPF_STACK] = "BPF read of the user stack",
	[AIGUARD_BPF_WRITE] = "BPF write to user memory",
	[AIGUARD_BPF_PRINTF] = "BPF formatting of user strings",
};

static noinline int aiguard_bpf_access_slow(struct task_struct *task,
					    enum aiguard_bpf_access what)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_BPF, .what = aiguard_bpf_what[what],
		.detail = what, .target = task, .err = -EPERM,
	};

	if (!aiguard_snapshot(&req, NULL))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_instrument(req.label));
}

/**
 * aiguard_bpf_access - a BPF helper is about to touch a process's memory
 * @task: the process (current, for all but bpf_copy_from_user_task and
 *        bpf_get_task_stack)
 * @what: which kind of access
 *
 * Called by the helper wrappers in bpf.c, wherever the program runs:
 * any context up to NMI. Lock-free; in NMI the decision is counted but
 * neither logged nor recorded.
 *
 * Return: 0, or -EPERM if @task is protected.
 */
int aiguard_bpf_access(struct task_struct *task, enum aiguard_bpf_access what)
{
	if (!aiguard_task_may_be_protected(task))
		return 0;
	return aiguard_bpf_access_slow(task, what);
}

/*
 * An entry hit takes its breakpoint out of the process, but a return
 * breakpoint set up before protection fires once per pending return, and a
 * process with many threads in a probed function, or a breakpoint that
 * could not be taken out, hits again: every hit is refused and counted,
 * but only a burst of them is recorded, or the audit ring would hold
 * nothing else. (Return handlers sit in kernel/trace/, probed by
 * breakpoint kprobes, which run as NMI: their hits are only counted.)
 */
static DEFINE_RATELIMIT_STATE(aiguard_uprobe_rs, 5 * HZ, 10);

static noinline int aiguard_uprobe_decide(struct task_struct *task, u32 what)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_UPROBE,
		.what = what == AIGUARD_UPROBE_INSTALL ? "uprobe breakpoint" : "uprobe handler",
		.detail = what, .target = task, .err = -EPERM,
		.quiet = what == AIGUARD_UPROBE_HIT && !__ratelimit(&aiguard_uprobe_rs),
	};

	if (!aiguard_snapshot(&req, NULL))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_instrument(req.label));
}

/**
 * aiguard_uprobe_install - a uprobe breakpoint is about to be written
 * @mm: the address space it goes into
 *
 * uprobe_write_opcode() writes every breakpoint of every uprobe
 * interface (tracefs, perf, BPF) into one mm at a time, when the probe is
 * registered and when the file is mapped later.
 *
 * Return: 0, or -EPERM if the owner of @mm is protected.
 */
int aiguard_uprobe_install(struct mm_struct *mm)
{
	return aiguard_decide_for_owner(mm, aiguard_uprobe_decide, AIGUARD_UPROBE_INSTALL);
}

/**
 * aiguard_uprobe_hit - a uprobe handler is about to run in current
 *
 * For a breakpoint written before current was protected: the handler
 * would see its registers and read its memory.
 *
 * Return: 0, or -EPERM if current is protected.
 */
int aiguard_uprobe_hit(void)
{
	if (!aiguard_task_may_be_protected(current))
		return 0;
	return aiguard_uprobe_decide(current, AIGUARD_UPROBE_HIT);
}

/*
 * Reclaim asks once per folio and mapping, and under memory pressure it
 * keeps asking about the same resident folios: count every refusal,
 * record a burst.
 */
static DEFINE_RATELIMIT_STATE(aiguard_swap_rs, 5 * HZ, 10);

static noinline int aiguard_swap_decide(struct task_struct *task, u32 lazyfree)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_SWAP,
		.what = lazyfree ? "discard of memory freed with MADV_FREE" :
			"swap-out of memory",
		.detail = lazyfree, .target = task, .err = -EPERM,
		.quiet = !__ratelimit(&aiguard_swap_rs),
	};

	if (!aiguard_snapshot(&req, NULL))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_swap(req.label));
}

/**
 * aiguard_swap_out - reclaim is about to unmap an anonymous or shmem folio from @mm
 * @mm: the address space it is mapped in
 * @lazyfree: the folio was freed with MADV_FREE, and reclaim would discard
 *            it rather than write it to swap
 *
 * Once unmapped everywhere, the folio is written to a swap device, where
 * root reads it back (zram and dm-crypt decrypt for the reader); a
 * MADV_FREE folio is freed instead, with its data, where no unmap of the
 * process will clear it (mem.c). Either way it stays mapped.
 *
 * Return: 0, or -EPERM if the owner of @mm is protected.
 */
int aiguard_swap_out(struct mm_struct *mm, bool lazyfree)
{
	return aiguard_decide_for_owner(mm, aiguard_swap_decide, lazyfree);
}

/* Compaction keeps trying the same pages: count every refusal, record a burst. */
static DEFINE_RATELIMIT_STATE(aiguard_migrate_rs, 5 * HZ, 10);

static noinline int aiguard_move_decide(struct task_struct *task, u32 how)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_MIGRATE,
		.what = how == AIGUARD_MOVE_COLLAPSE ? "collapse of memory into a huge page" :
			"migration of memory",
		.detail = how, .target = task, .err = -EPERM,
		.quiet = !__ratelimit(&aiguard_migrate_rs),
	};

	if (!aiguard_snapshot(&req, NULL))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_migrate(req.label,
							    how == AIGUARD_MOVE_SPLIT));
}

/**
 * aiguard_migrate - the kernel is about to move pages of @mm elsewhere
 * @mm: the address space they are mapped in
 * @how: AIGUARD_MOVE_* (uapi): a migration unmapping an anonymous or
 *       shmem folio, a huge page split in place (the same pages mapped
 *       again), or khugepaged or MADV_COLLAPSE copying small pages into a
 *       huge one
 *
 * Migration and collapse copy the data and free the originals, data and
 * all, where no unmap of the process will clear them (mem.c): the memory
 * stays where it is.
 *
 * Return: 0, or -EPERM if the owner of @mm is protected.
 */
int aiguard_migrate(struct mm_struct *mm, u32 how)
{
	return aiguard_decide_for_owner(mm, aiguard_move_decide, how);
}

/*
 * Instrumentation about to read current's memory where it runs (a trace
 * event's fetch, a perf sample): decided like any other, but it fires on
 * every event, so a burst from @rs is recorded and all are counted.
 */
static noinline int aiguard_instrumented(enum aiguard_hook hook, const char *what, int err,
					 struct ratelimit_state *rs)
{
	struct aiguard_request req = {
		.hook = hook, .what = what, .target = current, .err = err,
	};

	req.quiet = !__ratelimit(rs);
	if (!aiguard_snapshot(&req, NULL))
		return 0;
	return aiguard_enforce(&req, aiguard_policy_instrument(req.label));
}

static DEFINE_RATELIMIT_STATE(aiguard_trace_rs, 5 * HZ, 10);

/**
 * aiguard_trace_read - a non-faulting read of current's user memory
 *
 * copy_from_user_nofault() and strncpy_from_user_nofault() are how code
 * that runs in any context (trace events' fetch arguments, BPF helpers,
 * perf) reads the memory of whatever process is current. The kernel's
 * own system calls use the faulting copies. Any context, NMI included.
 *
 * Return: 0, or -EFAULT (what the copy returns for a bad address) if
 * current is protected.
 */
int aiguard_trace_read(void)
{
	if (!aiguard_task_may_be_protected(current))
		return 0;
	return aiguard_instrumented(AIGUARD_HOOK_TRACE_READ, "traced read of user memory",
				    -EFAULT, &aiguard_trace_rs);
}

static DEFINE_RATELIMIT_STATE(aiguard_sample_rs, 5 * HZ, 10);

/**
 * aiguard_perf_sample - perf is about to copy current's user stack or registers into a sample
 *
 * For CPU-wide events opened before anything was protected (new ones
 * that would copy them are refused while anything is protected,
 * aiguard_perf_event_alloc()): they keep sampling every task, and in a
 * protected one their samples carry no stack bytes and zero registers.
 * Any context, NMI included.
 *
 * Return: 0, or -EPERM if current is protected.
 */
int aiguard_perf_sample(void)
{
	if (!aiguard_task_may_be_protected(current))
		return 0;
	return aiguard_instrumented(AIGUARD_HOOK_PERF_EVENT,
				    "perf sample of the user stack or registers",
				    -EPERM, &aiguard_sample_rs);
}

/* Readers poll: record a burst, count them all. */
static DEFINE_RATELIMIT_STATE(aiguard_kread_rs, 5 * HZ, 10);

static noinline int aiguard_kernel_read_slow(unsigned long addr, size_t size)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_KERNEL_READ,
		.what = "read of user or free memory through a kernel address",
		.err = -EFAULT,
	};

	if (!aiguard_mem_kernel_alias(addr, size))
		return 0;
	req.quiet = !__ratelimit(&aiguard_kread_rs);
	return aiguard_enforce(&req, aiguard_policy_kernel_read(true, true));
}

/**
 * aiguard_kernel_read - a read through a kernel address is about to happen
 * @addr: its first byte
 * @size: its length (for a string, the most it may read)
 *
 * copy_from_kernel_nofault() and strncpy_from_kernel_nofault() are how
 * BPF's kernel-read helpers and printf formats, trace events' fetches and
 * anything else read kernel memory that may not be there. Any context,
 * NMI included.
 *
 * Return: 0, or -EFAULT if the range aliases user or free memory while
 * anything is protected (aiguard_secrets_held()).
 */
int aiguard_kernel_read(unsigned long addr, size_t size)
{
	if (likely(!aiguard_secrets_held()))
		return 0;
	return aiguard_kernel_read_slow(addr, size);
}

/**
 * aiguard_bpf_load - a BPF program that reads kernel memory unchecked is being verified
 * @detail: how (AIGUARD_BPF_RDONLY_CAST or AIGUARD_BPF_PAST_STRUCT)
 * @protecting: whether any process is protected, or being protected
 *
 * Its loads reach kernel memory, and through the direct map any page,
 * with no helper: no check of aiguard's sees them. Process context (the
 * bpf() syscall), atomic (a kprobe handler).
 *
 * Return: 0, or -EPERM to refuse the program.
 */
int aiguard_bpf_load(u32 detail, bool protecting)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_BPF, .detail = detail,
		.what = detail == AIGUARD_BPF_RDONLY_CAST ?
			"load of a BPF program that casts numbers to pointers (bpf_rdonly_cast)" :
			"load of a BPF program that reads past the end of a kernel struct",
		.err = -EPERM,
	};

	if (!protecting)
		return 0;
	return aiguard_enforce(&req, aiguard_policy_bpf_load(true, true));
}

/*
 * Objects on memory-backed storage (obj.c). An object is labelled when a
 * protected process creates it: creation is the only moment whose owner
 * is certain. A file an outsider created and the workload then writes
 * stays the outsider's: whoever created it could keep a descriptor or a
 * mapping that no later label would close.
 *
 * Which of its creations: a regular file or FIFO created private to its
 * owner (no permission for group or others: POSIX shm objects, tempfile
 * and mkstemp files, SysV segments as runtimes create them, all 0600),
 * and any file without a name (memfds, the files behind SysV segments and
 * shared anonymous mappings). What the workload creates for others to
 * read (a pid file, a 0644 log, a socket, a directory) stays readable.
 */

/* The label (its flags, its life) of current, if it is protected. Any context. */
static bool aiguard_current_label(char label[AIGUARD_LABEL_MAX], u32 *flags, u64 *life)
{
	const struct aiguard_entry *e;

	if (likely(aiguard_task_none_protected()) || !aiguard_task_may_be_protected(current))
		return false;
	rcu_read_lock();
	e = aiguard_task_entry(current);
	if (e) {
		strscpy(label, e->label, AIGUARD_LABEL_MAX);
		*flags = e->flags;
		*life = e->life;
	}
	rcu_read_unlock();
	return e;
}

/**
 * aiguard_inode_alloc - security_inode_alloc() handler
 * @inode: the new inode (its mode not set yet)
 *
 * Process context (the creating syscall), a kprobe handler. An inode a
 * protected process allocates on memory-backed storage is listed,
 * pending, until aiguard_d_instantiate() knows what it is.
 *
 * Return: 0, or -ENOMEM, which fails the creation: the object must not
 * exist unlisted.
 */
int aiguard_inode_alloc(struct inode *inode)
{
	char label[AIGUARD_LABEL_MAX];
	u32 flags = 0;
	u64 life = 0;

	if (likely(aiguard_task_none_protected()) || !aiguard_obj_storage(inode->i_sb) ||
	    !aiguard_current_label(label, &flags, &life))
		return 0;
	return aiguard_obj_add(inode, label, flags, life, false);
}

/**
 * aiguard_d_instantiate - security_d_instantiate() handler
 * @dentry: the name an inode gets
 * @inode: the inode, or NULL
 *
 * Every new file gets its first dentry here, with its mode set: a named
 * one in its directory, a memfd or the file behind a SysV segment a
 * dentry of its own (IS_ROOT). A pending inode is kept or dropped; the
 * pages of a kept regular file are made unevictable, as SHM_LOCK does,
 * so that reclaim never writes them to swap. Process context.
 */
void aiguard_d_instantiate(struct dentry *dentry, struct inode *inode)
{
	bool keep;

	/* only an inode on memory-backed storage is ever listed */
	if (!inode || !aiguard_obj_storage(inode->i_sb))
		return;
	keep = (S_ISREG(inode->i_mode) || S_ISFIFO(inode->i_mode)) &&
	       (IS_ROOT(dentry) || !(inode->i_mode & 0077));
	if (aiguard_obj_settle(inode, keep) && S_ISREG(inode->i_mode))
		mapping_set_unevictable(inode->i_mapping);
}

/**
 * aiguard_shm_alloc - security_shm_alloc() handler
 * @perm: the new SysV segment (its mode set)
 *
 * Process context (shmget()). Its pages are those of a file without a
 * name, labelled by aiguard_d_instantiate() when it is created next.
 *
 * Return: 0, or -ENOMEM, which fails the creation.
 */
int aiguard_shm_alloc(struct kern_ipc_perm *perm)
{
	char label[AIGUARD_LABEL_MAX];
	u32 flags = 0;
	u64 life = 0;

	/* a free the table did not see: security_shm_free() runs in an RCU callback */
	aiguard_obj_forget(perm);
	if ((perm->mode & 0077) || !aiguard_current_label(label, &flags, &life))
		return 0;
	return aiguard_obj_add(perm, label, flags, life, true);
}

/**
 * aiguard_inode_free - security_inode_free() handler
 * @inode: the inode being freed
 *
 * Process context. Only an inode on memory-backed storage is ever listed:
 * any other is not looked up.
 */
void aiguard_inode_free(struct inode *inode)
{
	if (aiguard_obj_storage(inode->i_sb))
		aiguard_obj_forget(inode);
}

/**
 * aiguard_shm_free - security_shm_free() handler
 * @perm: the SysV segment being freed
 *
 * An RCU callback.
 */
void aiguard_shm_free(struct kern_ipc_perm *perm)
{
	aiguard_obj_forget(perm);
}

static noinline int aiguard_object_decide(const void *key, u32 op, const char *what)
{
	struct aiguard_request req = {
		.hook = AIGUARD_HOOK_OBJECT, .detail = op, .what = what,
		.err = op == AIGUARD_OBJ_SHM_UNLOCK ? -EPERM : -EACCES, .object = true,
	};
	const struct aiguard_entry *e;
	bool same_life = false;
	u64 life;
	u32 flags;

	if (!aiguard_obj_find(key, req.label, &flags, &life))
		return 0;
	req.target_protected = true;	/* the record carries the object's label */
	req.target_permissive = flags & AIGUARD_PROTECT_PERMISSIVE;
	rcu_read_lock();
	e = aiguard_task_entry(current);
	req.caller_protected = e;
	if (e) {
		strscpy(req.caller, e->label, sizeof(req.caller));
		same_life = e->life == life;
	}
	rcu_read_unlock();
	return aiguard_enforce(&req, aiguard_policy_object(aiguard_opt(req.caller_protected,
								       req.caller),
							   req.label, same_life, op));
}

/*
 * The process a /proc/PID/map_files directory of @sb is about, from the
 * name of @dir's parent (PID, in the mount's pid namespace). Returns it
 * with a reference, or NULL.
 *
 * Called from an ftrace handler, with preemption off: nothing here may
 * sleep, so no dget_parent()/dput(). @dir is pinned by the file being
 * opened, and a dentry pins its parent; procfs never moves a dentry, so
 * d_parent stays what it is, and d_lock keeps the name still.
 */
static struct task_struct *aiguard_map_files_task(struct dentry *dir, struct super_block *sb)
{
	struct dentry *parent = READ_ONCE(dir->d_parent);
	struct task_struct *task = NULL;
	char name[16] = "";
	int nr;

	spin_lock(&parent->d_lock);
	if (parent->d_parent == sb->s_root && parent->d_name.len < sizeof(name))
		memcpy(name, parent->d_name.name, parent->d_name.len);
	spin_unlock(&parent->d_lock);
	if (kstrtoint(name, 10, &nr) || nr <= 0)
		return NULL;
	rcu_read_lock();
	task = pid_task(find_pid_ns(nr, proc_pid_ns(sb)), PIDTYPE_PID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

/*
 * /proc/PID/map_files asks ptrace_may_access(PTRACE_MODE_READ_FSCREDS) at
 * readdir, not at open: root passes the directory's permission check,
 * opens it, and then its getdents() fails with EACCES after "." and "..".
 * Every /proc walker (find, lsof, the kernel's proc selftests, support
 * bundle collectors) treats a directory that opened as one it can list,
 * and some abort. So for a protected process the refusal readdir would
 * give (EACCES) is given at open, like fdinfo's. The directory is found
 * by what it is, not by address: a directory named map_files directly
 * under a PID directory of a procfs mount.
 */
static int aiguard_map_files_open(struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;
	struct super_block *sb = dentry->d_sb;
	struct task_struct *task;
	int err;

	if (sb->s_magic != PROC_SUPER_MAGIC || aiguard_task_none_protected() ||
	    dentry->d_name.len != 9 || memcmp(dentry->d_name.name, "map_files", 9))
		return 0;
	task = aiguard_map_files_task(dentry, sb);
	if (!task)
		return 0;
	/* as __ptrace_may_access(): a thread group reads its own */
	err = same_thread_group(task, current) ? 0 :
	      aiguard_ptrace_access_check(task, PTRACE_MODE_READ_FSCREDS, NULL);
	put_task_struct(task);
	return err ? -EACCES : 0;
}

/**
 * aiguard_file_open - security_file_open() handler
 * @file: the file being opened
 *
 * Every open, in any process: reading, mapping, sendfile(), splice(),
 * copy_file_range() and cp all start here, by any name (a hard link, a
 * bind mount, /proc/PID/root/...), and so do the kernel's own opens for
 * others (nfsd, overlayfs's of its lower files, fanotify's descriptors).
 * Regular files and FIFOs: a directory stays listable, existence is not
 * hidden. The one directory refused is a protected process's
 * /proc/PID/map_files, whose listing the kernel would refuse anyway.
 * Process context, but called from an ftrace handler with preemption
 * off: must not sleep.
 *
 * Return: 0, or -EACCES for an outsider opening a labelled object or a
 * protected process's map_files.
 */
int aiguard_file_open(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (unlikely(S_ISDIR(inode->i_mode)))
		return aiguard_map_files_open(file);
	if (likely(aiguard_obj_none()))
		return 0;
	if ((!S_ISREG(inode->i_mode) && !S_ISFIFO(inode->i_mode)) ||
	    !aiguard_obj_storage(inode->i_sb))
		return 0;
	return aiguard_object_decide(inode, AIGUARD_OBJ_OPEN, "open of an object in memory");
}

/**
 * aiguard_shm_shmat - security_shm_shmat() handler
 * @perm: the segment
 *
 * Return: 0, or -EACCES for an outsider attaching a labelled segment.
 */
int aiguard_shm_shmat(struct kern_ipc_perm *perm)
{
	if (likely(aiguard_obj_none()))
		return 0;
	return aiguard_object_decide(perm, AIGUARD_OBJ_SHMAT, "shmat of a SysV segment");
}

/**
 * aiguard_shm_shmctl - security_shm_shmctl() handler
 * @perm: the segment, NULL for IPC_INFO and SHM_INFO
 * @cmd: the command
 *
 * SHM_UNLOCK of a segment that SHM_LOCK locked would make its pages
 * evictable again, and so writable to swap; a labelled segment stays
 * locked. Everything else (IPC_STAT, IPC_RMID, SHM_LOCK) is allowed:
 * existence and removal are not hidden.
 *
 * Return: 0, or -EPERM.
 */
int aiguard_shm_shmctl(struct kern_ipc_perm *perm, int cmd)
{
	if (likely(aiguard_obj_none()) || !perm || cmd != SHM_UNLOCK)
		return 0;
	return aiguard_object_decide(perm, AIGUARD_OBJ_SHM_UNLOCK, "SHM_UNLOCK of a SysV segment");
}

/* Clears @folio of @mapping if its file is an object of a label. */
static void aiguard_object_folio_clear(struct address_space *mapping, struct folio *folio)
{
	char label[AIGUARD_LABEL_MAX];
	u32 flags;
	u64 life;

	if (mapping && aiguard_obj_find(mapping->host, label, &flags, &life))
		aiguard_mem_clear_folio(folio);
}

/**
 * aiguard_object_folio_freed - a folio is leaving a file's page cache
 * @folio: locked, unmapped, about to be freed (truncation, eviction)
 *
 * What a protected process kept in an object is cleared before the
 * kernel frees its pages. Any context but interrupt.
 */
void aiguard_object_folio_freed(struct folio *folio)
{
	if (likely(aiguard_obj_none()))
		return;
	aiguard_object_folio_clear(READ_ONCE(folio->mapping), folio);
}

/**
 * aiguard_object_batch_freed - folios are leaving a file's page cache
 * @mapping: the file's
 * @fbatch: the folios, locked, unmapped, about to be freed
 *
 * As aiguard_object_folio_freed(), for truncate_inode_pages_range()'s
 * batches (ramfs). Any context but interrupt.
 */
void aiguard_object_batch_freed(struct address_space *mapping, struct folio_batch *fbatch)
{
	unsigned int i;

	if (likely(aiguard_obj_none()))
		return;
	for (i = 0; i < folio_batch_count(fbatch); i++)
		aiguard_object_folio_clear(mapping, fbatch->folios[i]);
}
