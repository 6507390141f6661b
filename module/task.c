// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard tasks: which thread groups are protected, and how protection
 * follows them through fork, exec and exit.
 *
 * A thread group is keyed by its TGID struct pid, pinned while protected:
 * a struct pid is never reused, so a recycled pid number cannot inherit
 * protection. task_tgid() is reachable from any thread of the group, so
 * every thread, present and future, is covered by one entry.
 *
 * A new thread group has no TGID pid until late in copy_process(); from
 * security_task_alloc() until sched_process_fork the child is protected
 * through a pending entry keyed by its task_struct. The child is not
 * visible by pid and cannot run before it is committed, so there is no
 * moment at which it is reachable and unprotected.
 *
 * Every entry holds a reference on the module: while anything is
 * protected, rmmod fails with EBUSY instead of silently dropping the
 * protection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "audit.h"
#include "compat.h"
#include "grant.h"
#include "guard.h"
#include "mem.h"
#include "policy.h"
#include "registry.h"
#include "stats.h"
#include "task.h"

struct aiguard_registry aiguard_registry;

/* Private domains are "@<n>"; users cannot write '@', so no clash. */
static atomic64_t aiguard_private_domains = ATOMIC64_INIT(0);

/* Keep the module pinned for as long as an entry exists. */
static void aiguard_entry_added(void)
{
	__module_get(THIS_MODULE);
}

static void aiguard_entry_removed(int err)
{
	if (!err)
		module_put(THIS_MODULE);
}

static void aiguard_release_pid(const void *key)
{
	put_pid((struct pid *)key);
}

/**
 * aiguard_task_init - create the registry
 *
 * Return: 0 or a negative errno.
 */
int aiguard_task_init(void)
{
	int err = aiguard_registry_cache_init();

	if (err)
		return err;
	err = aiguard_registry_init(&aiguard_registry, aiguard_release_pid);
	if (err)
		aiguard_registry_cache_exit();
	return err;
}

/**
 * aiguard_task_exit - drop all protection; hooks must be detached
 */
void aiguard_task_exit(void)
{
	aiguard_registry_destroy(&aiguard_registry);
	aiguard_registry_cache_exit();
}

/**
 * aiguard_task_entry_size - bytes one protected process costs in the slab
 *
 * Return: the object size of a registry entry.
 */
unsigned int aiguard_task_entry_size(void)
{
	return aiguard_registry_entry_size();
}

/**
 * aiguard_task_counts - how many thread groups are protected or pending
 * @protected: out: committed entries
 * @pending: out: children between fork and pid attachment
 */
void aiguard_task_counts(u64 *protected, u64 *pending)
{
	*protected = atomic_read(&aiguard_registry.nr_groups);
	*pending = atomic_read(&aiguard_registry.nr_pending);
}

/**
 * struct aiguard_walk - adapts a task-level visitor to the registry's
 * @fn: the visitor, given the group's TGID pid
 * @arg: its argument
 */
struct aiguard_walk {
	int (*fn)(struct pid *tgid, const struct aiguard_entry *e, void *arg);
	void *arg;
};

static int aiguard_walk_one(const struct aiguard_entry *e, void *arg)
{
	struct aiguard_walk *walk = arg;

	/* The module keys every committed entry by its pinned TGID pid. */
	return walk->fn((struct pid *)e->key, e, walk->arg);
}

/**
 * aiguard_task_for_each - visit every protected thread group
 * @fn: called under rcu_read_lock() with the group's TGID pid and entry;
 *      stop by returning non-zero
 * @arg: passed to @fn
 *
 * Return: the first non-zero value @fn returned, or 0.
 */
int aiguard_task_for_each(int (*fn)(struct pid *tgid,
				    const struct aiguard_entry *e, void *arg),
			  void *arg)
{
	struct aiguard_walk walk = { .fn = fn, .arg = arg };

	return aiguard_registry_for_each(&aiguard_registry, aiguard_walk_one,
					 &walk);
}

/*
 * The label of @task's group, or NULL. Call under rcu_read_lock(); the
 * string lives until the matching rcu_read_unlock().
 */
static const char *aiguard_task_label(struct task_struct *task)
{
	const struct aiguard_entry *e = aiguard_task_entry(task);

	return e ? e->label : NULL;
}

/*
 * Copy the label (and, if @flags, the flags, if @life, the label's life)
 * of @task's entry, so the caller does not depend on an entry that may go
 * away. Returns whether @task is protected; @label is left alone when it
 * is not.
 */
static bool aiguard_task_copy(struct task_struct *task, char *label, u32 *flags, u64 *life)
{
	const struct aiguard_entry *e;

	rcu_read_lock();
	e = aiguard_task_entry(task);
	if (e) {
		strscpy(label, e->label, AIGUARD_LABEL_MAX);
		if (flags)
			*flags = e->flags;
		if (life)
			*life = e->life;
	}
	rcu_read_unlock();
	return e;
}

/**
 * aiguard_task_entry - the registry entry protecting a task's thread group
 * @task: any task the caller holds a reference to, or current
 *
 * Call under rcu_read_lock(). Safe in atomic context.
 *
 * Return: the entry, or NULL if @task is not protected.
 */
const struct aiguard_entry *aiguard_task_entry(struct task_struct *task)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "aiguard task lookup outside RCU");
	if (aiguard_registry_empty(&aiguard_registry))
		return NULL;
	return aiguard_registry_find(&aiguard_registry, task_tgid(task), task);
}

static bool aiguard_group_traced(struct task_struct *leader)
{
	struct task_struct *t;
	bool traced = false;

	rcu_read_lock();
	for_each_thread(leader, t) {
		if (READ_ONCE(t->ptrace)) {
			traced = true;
			break;
		}
	}
	rcu_read_unlock();
	return traced;
}

/**
 * aiguard_pid_task - the task a pid names, whatever kind of pid it is
 * @pid: a thread group's pid (from a pidfd or a pid number) or a thread's
 *
 * Return: the task, referenced (put_task_struct()), or NULL if it is gone.
 */
struct task_struct *aiguard_pid_task(struct pid *pid)
{
	return get_pid_task(pid, PIDTYPE_TGID) ?: get_pid_task(pid, PIDTYPE_PID);
}

/*
 * Drop the entry of @self's group, keyed @tgid, once no thread of it can
 * still hand anything out through /proc: the group is dead (signal->live
 * is 0) and every thread, @self included, is past
 * exit_task_namespaces(). do_exit() clears mm, files
 * (/proc/PID/task/TID/fd/N of a memfd or a deleted file), fs and then
 * nsproxy, each under task_lock(), so a thread without nsproxy has none
 * of the others either. Exiting threads call this after that
 * (cgroup_exit()); the full barrier pairs with the one in the group's
 * other callers (and with the ordered atomic_dec_and_test() of
 * signal->live), so at least the last thread to get there sees all
 * others' nsproxy as NULL. @self is not skipped: protect calls this for a
 * target that may be anywhere between its signal->live decrement and
 * exit_task_namespaces(), still holding its memory or its files, or
 * already reaped (no threads left to visit).
 */
static void aiguard_release_dead_group(struct task_struct *self,
				       struct pid *tgid)
{
	struct task_struct *t;
	bool busy = false;

	if (atomic_read(&self->signal->live))
		return;
	/* Pairs with the same barrier in the group's other exiting threads. */
	smp_mb();
	rcu_read_lock();
	if (!aiguard_registry_lookup(&aiguard_registry, tgid)) {
		rcu_read_unlock();
		return;
	}
	for_each_thread(self, t) {
		if (READ_ONCE(t->nsproxy)) {
			busy = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!busy)
		aiguard_entry_removed(aiguard_registry_remove(&aiguard_registry,
							      tgid));
}

/*
 * Serialises the "does this label have members?" check with the insert
 * that follows it, so that two outsiders cannot both found one label.
 * Protect requests are rare; forks (which only add to labels their
 * parent is in) do not take it.
 */
static DEFINE_MUTEX(aiguard_join_mutex);

/*
 * Lives of labels (struct aiguard_entry): a protect that finds its label
 * without members starts a new one; every other member of the label,
 * joined or forked, carries the life of the members it found.
 */
static atomic64_t aiguard_label_lives = ATOMIC64_INIT(0);

struct aiguard_label_query {
	const char *label;
	u64 life;
};

static int aiguard_label_match(struct pid *tgid, const struct aiguard_entry *e,
			       void *arg)
{
	struct aiguard_label_query *q = arg;

	if (strncmp(e->label, q->label, AIGUARD_LABEL_MAX))
		return 0;
	q->life = e->life;
	return 1;
}

/*
 * Whether @label may gain @task through a request of current, and how to
 * record it. Returns the PROTECT or JOIN record type to write, or a
 * negative errno; @life is the life of the label @task will be in.
 */
static int aiguard_join_check(struct task_struct *task, const char *label,
			      u32 flags, u64 *life)
{
	struct aiguard_label_query q = { .label = label };
	char caller[AIGUARD_LABEL_MAX] = "";
	const char *cur;
	bool members;

	lockdep_assert_held(&aiguard_join_mutex);
	cur = aiguard_task_copy(current, caller, NULL, NULL) ? caller : NULL;
	/* A private domain ("" asks for a new one) cannot be joined. */
	members = label[0] && aiguard_task_for_each(aiguard_label_match, &q);
	*life = members ? q.life : atomic64_inc_return(&aiguard_label_lives);

	switch (aiguard_policy_join(members, cur, label,
				    flags & AIGUARD_PROTECT_JOIN, aiguard_locked())) {
	case AIGUARD_JOIN_NEW:
	case AIGUARD_JOIN_MEMBER:
		return AIGUARD_EVENT_PROTECT;
	case AIGUARD_JOIN_EXPLICIT:
		return AIGUARD_EVENT_JOIN;
	case AIGUARD_JOIN_NEEDS_FLAG:
		return -EXDEV;
	default:
		aiguard_stats_count(AIGUARD_HOOK_JOIN, AIGUARD_COUNT_DENIED);
		aiguard_audit_decision(AIGUARD_EVENT_DENY, AIGUARD_HOOK_JOIN, flags, 0,
				       cur, task, label);
		pr_notice_ratelimited("denied joining label %s by pid %d (%s): the policy is locked\n",
				      label, task_tgid_nr(current), current->comm);
		return -EPERM;
	}
}

/*
 * Whether the group @tgid is protected already: 0 (and @label set to the
 * label in force) if as asked, -EEXIST if with another label or other
 * flags (aiguard_policy_reprotect()), -ENOENT if not protected.
 */
static int aiguard_protected_as(struct pid *tgid, char *label, u32 flags)
{
	const struct aiguard_entry *old;
	int err = -ENOENT;

	rcu_read_lock();
	old = aiguard_registry_lookup(&aiguard_registry, tgid);
	if (old) {
		err = aiguard_policy_reprotect(old->label, old->flags, label, flags);
		if (!err)
			strscpy(label, old->label, AIGUARD_LABEL_MAX);
	}
	rcu_read_unlock();
	return err;
}

/* Insert the entry of @task's group @tgid; make its memory non-dumpable. */
static int aiguard_protect_insert(struct task_struct *task, struct pid *tgid,
				  char *label, u32 flags, u64 life)
{
	struct aiguard_entry *old;
	struct mm_struct *mm;

	if (!label[0])
		snprintf(label, AIGUARD_LABEL_MAX, "@%lld",
			 atomic64_inc_return(&aiguard_private_domains));
	aiguard_entry_added();
	/* The entry's reference; put when the entry goes. */
	get_pid(tgid);
	/* Kept and inherited: permissive, enter; the join flag was for this request. */
	old = aiguard_registry_insert_life(&aiguard_registry, tgid, label,
					   flags & (AIGUARD_PROTECT_PERMISSIVE |
						    AIGUARD_PROTECT_ENTER),
					   life, GFP_KERNEL);
	if (old) {
		aiguard_entry_removed(0);
		/* Cannot be an existing entry: we hold cred_guard_mutex. */
		put_pid(tgid);
		return IS_ERR(old) ? PTR_ERR(old) : -EEXIST;
	}
	mm = get_task_mm(task);
	if (mm) {
		aiguard_mm_disable_dump(mm);
		mmput(mm);
	}
	return 0;
}

/*
 * From now on, what the group's memory lets go of is cleared (mem.c). If
 * that cannot be set up, the request fails and the group is left as it
 * was: unprotected.
 */
static int aiguard_protect_memory(struct task_struct *task, struct pid *tgid)
{
	struct mm_struct *mm = get_task_mm(task);
	int err = 0;

	if (mm) {
		err = aiguard_mem_track(mm);
		mmput(mm);
	}
	if (err)
		aiguard_entry_removed(aiguard_registry_remove(&aiguard_registry, tgid));
	return err;
}

/*
 * Test only (t_races protect_reap): a protect sleeps this long after the
 * target's checks and again after its entry is inserted, the two steps
 * that the target's exit and its reaping can overtake. 0, the default,
 * sleeps nothing; it can only slow protect requests down.
 */
static uint protect_delay_ms;
module_param(protect_delay_ms, uint, 0600);
MODULE_PARM_DESC(protect_delay_ms, "test only: sleep this long twice in every protect (0: none)");

static void aiguard_protect_delay(void)
{
	uint delay = READ_ONCE(protect_delay_ms);

	if (unlikely(delay))
		msleep(min(delay, 1000U));
}

/*
 * The checks and the insert, under the target's cred_guard_mutex. @tgid
 * is the group's pid, taken before the target can be reaped.
 */
static int aiguard_protect_group(struct task_struct *task, struct pid *tgid,
				 char *label, u32 flags)
{
	int err, type;
	u64 life;

	/* The leader may be gone while other threads live on. */
	if (!atomic_read(&task->signal->live) || !pid_alive(task))
		return -ESRCH;
	aiguard_protect_delay();
	err = aiguard_protected_as(tgid, label, flags);
	if (err != -ENOENT)
		return err;
	if (aiguard_group_traced(task))
		return -EBUSY;

	mutex_lock(&aiguard_join_mutex);
	type = aiguard_join_check(task, label, flags, &life);
	err = type < 0 ? type : aiguard_protect_insert(task, tgid, label, flags, life);
	mutex_unlock(&aiguard_join_mutex);
	if (!err)
		err = aiguard_protect_memory(task, tgid);
	if (err)
		return err;
	aiguard_audit_protect(type, task, label, flags);
	aiguard_protect_delay();
	/*
	 * If the whole group exited meanwhile, its threads' exit hooks may
	 * have run before the entry existed: nobody else would drop it. It
	 * may have been reaped too, which leaves task_tgid() NULL: the entry
	 * is found by @tgid, the key it went in under.
	 */
	aiguard_release_dead_group(task, tgid);
	return 0;
}

static int aiguard_protect_locked(struct task_struct *task, char *label, u32 flags)
{
	struct pid *tgid;
	int err;

	/*
	 * A kernel thread has no user memory to guard, and kthreadd's entry
	 * would be inherited by every kernel thread created after it.
	 */
	if (task->flags & PF_KTHREAD)
		return -EINVAL;
	/*
	 * Pinned once, before the checks: reaping the group can happen at
	 * any point of this request and detaches its pid from @task (t_races
	 * protect_reap). Looking the key up again after an insert would then
	 * miss the entry, which would outlive the process and pin the module.
	 */
	tgid = get_task_pid(task, PIDTYPE_TGID);
	if (!tgid)
		return -ESRCH;
	err = aiguard_protect_group(task, tgid, label, flags);
	put_pid(tgid);
	return err;
}

/*
 * Run @fn on the task @pid names, in process context; -ESRCH if it is
 * gone. The task is referenced for the call.
 */
static int aiguard_pid_call(struct pid *pid,
			    int (*fn)(struct task_struct *task, void *arg), void *arg)
{
	struct task_struct *task;
	int err;

	might_sleep();
	task = aiguard_pid_task(pid);
	if (!task)
		return -ESRCH;
	err = fn(task, arg);
	put_task_struct(task);
	return err;
}

/**
 * struct aiguard_protect_req - what aiguard_protect_pid() was asked
 * @label: see aiguard_protect_pid()
 * @flags: see aiguard_protect_pid()
 */
struct aiguard_protect_req {
	char *label;
	u32 flags;
};

static int aiguard_protect_task(struct task_struct *task, void *arg)
{
	struct aiguard_protect_req *req = arg;
	int err = mutex_lock_interruptible(&task->signal->cred_guard_mutex);

	if (err)
		return err;
	err = aiguard_protect_locked(task, req->label, req->flags);
	mutex_unlock(&task->signal->cred_guard_mutex);
	return err;
}

/**
 * aiguard_protect_pid - protect a thread group
 * @pid: any pid of the group; the caller holds a reference
 * @label: AIGUARD_LABEL_MAX bytes, validated; "" asks for a private
 *         domain, and on success holds the label in force
 * @flags: AIGUARD_PROTECT_* flags, validated
 *
 * Holding cred_guard_mutex orders this against ptrace attach and exec:
 * a tracer either attached before (we fail with -EBUSY) or will meet the
 * ptrace hook. A label with live members only grows by a request of a
 * member, or of an outsider with %AIGUARD_PROTECT_JOIN before the lock.
 *
 * Return: 0, -ESRCH (no such process or exiting), -EINVAL (a kernel
 * thread), -EBUSY (traced), -EEXIST (protected with another label or
 * other flags), -EXDEV (the label has members and the caller is outside it, without
 * the join flag), -EPERM (the same after the lock), -EINTR or -ENOMEM.
 */
int aiguard_protect_pid(struct pid *pid, char *label, u32 flags)
{
	struct aiguard_protect_req req = { .label = label, .flags = flags };

	return aiguard_pid_call(pid, aiguard_protect_task, &req);
}

static int aiguard_unprotect_task(struct task_struct *task, void *unused)
{
	char label[AIGUARD_LABEL_MAX] = "";
	struct mm_struct *mm;
	int err;

	aiguard_task_copy(task, label, NULL, NULL);
	err = aiguard_registry_remove(&aiguard_registry, task_tgid(task));
	aiguard_entry_removed(err);
	if (err)
		return err;
	aiguard_audit_protect(AIGUARD_EVENT_UNPROTECT, task, label, 0);
	mm = get_task_mm(task);
	if (mm) {
		aiguard_mem_untrack(mm);
		mmput(mm);
	}
	return 0;
}

/**
 * aiguard_unprotect_pid - release a thread group
 * @pid: any pid of the group; the caller holds a reference
 *
 * The group stays non-dumpable: its earlier dumpable state is unknown.
 *
 * Return: 0, -ESRCH or -ENOENT (not protected).
 */
int aiguard_unprotect_pid(struct pid *pid)
{
	return aiguard_pid_call(pid, aiguard_unprotect_task, NULL);
}

/**
 * aiguard_task_inherit - handler for security_task_alloc()
 * @child: the task being created
 * @clone_flags: its clone flags
 *
 * Threads share their group's entry; a new thread group gets a pending
 * entry with the parent's label. Runs in a kprobe handler: atomic.
 *
 * Return: 0, or -ENOMEM, which fails the fork rather than let a child of
 * a protected process run unprotected.
 */
int aiguard_task_inherit(struct task_struct *child, unsigned long clone_flags)
{
	char label[AIGUARD_LABEL_MAX];
	u32 flags = 0;
	u64 life = 0;
	int err;

	/*
	 * An entry pending under this address belongs to a task freed
	 * without our free hook seeing it (that kprobe, unlike this one,
	 * can run nested in softirq context and be skipped). The address is
	 * being handed out again: forget that entry before anyone can look
	 * it up. This hook runs in process context, never inside another
	 * kprobe, so it is never skipped.
	 */
	if (unlikely(atomic_read(&aiguard_registry.nr_pending)))
		aiguard_entry_removed(aiguard_registry_drop_pending(&aiguard_registry,
								    child));
	if ((clone_flags & CLONE_THREAD) || !aiguard_task_copy(current, label, &flags, &life))
		return 0;

	aiguard_entry_added();
	err = aiguard_registry_add_pending_life(&aiguard_registry, child, label,
						flags, life, GFP_ATOMIC);
	if (err)
		aiguard_entry_removed(0);
	aiguard_stats_count(AIGUARD_HOOK_TASK_ALLOC,
			    err ? AIGUARD_COUNT_DENIED : AIGUARD_COUNT_ALLOWED);
	return err;
}

/**
 * aiguard_task_forked - handler for the sched_process_fork tracepoint
 * @parent: current
 * @child: the new task, fully set up but not yet running
 *
 * Moves a pending child to its TGID key. If the parent was protected while
 * this fork was in flight (after security_task_alloc), protect the child
 * now and kill it: it was reachable unprotected. A child that cannot be
 * protected is killed before it runs.
 */
void aiguard_task_forked(struct task_struct *parent, struct task_struct *child)
{
	char label[AIGUARD_LABEL_MAX];
	struct aiguard_entry *old;
	struct pid *tgid;
	u32 flags = 0;
	u64 life = 0;
	int err;

	if (aiguard_registry_empty(&aiguard_registry) || !thread_group_leader(child))
		return;

	tgid = get_pid(task_tgid(child));
	err = aiguard_registry_commit_pending(&aiguard_registry, child, tgid);
	if (!err) {
		/* A CLONE_VM child shares its parent's address space, tracked already. */
		if (!child->mm || child->mm == parent->mm)
			return;
		err = aiguard_mem_track_later(child);
		if (!err)
			return;
		goto kill;
	}
	if (err != -ENOENT) {
		/* Still protected by its pending entry until it is freed. */
		put_pid(tgid);
		goto kill;
	}

	if (!aiguard_task_copy(parent, label, &flags, &life)) {
		put_pid(tgid);
		return;
	}
	aiguard_entry_added();
	old = aiguard_registry_insert_life(&aiguard_registry, tgid, label, flags, life,
					   GFP_ATOMIC);
	if (!old) {
		/*
		 * The parent was protected while this fork was in flight,
		 * after security_task_alloc(): the child, a copy of the
		 * parent's memory, has been visible by pid and unprotected
		 * since copy_process() attached it, so a tracer may have
		 * attached or a /proc file been opened in that window.
		 * Protected from now on, it is also killed before it runs:
		 * what got in cannot be undone otherwise.
		 */
		pr_warn_ratelimited("child %d of pid %d was forked while its parent was being protected; killing it\n",
				    task_pid_nr(child), task_tgid_nr(parent));
		send_sig(SIGKILL, child, 1);
		return;
	}
	aiguard_entry_removed(0);
	put_pid(tgid);
	if (!IS_ERR(old))
		return;
	err = PTR_ERR(old);
kill:
	pr_err("cannot protect child %d of protected pid %d (error %d); killing it\n",
	       task_pid_nr(child), task_tgid_nr(parent), err);
	send_sig(SIGKILL, child, 1);
}

/**
 * aiguard_task_exited - handler for cgroup_exit() in do_exit()
 * @task: current, after exit_mm(), exit_files(), exit_fs() and
 *        exit_task_namespaces()
 *
 * Not at the sched_process_exit tracepoint, which comes before
 * exit_files(): a descriptor of a protected process could be opened
 * through /proc in between, after its entry was gone.
 */
void aiguard_task_exited(struct task_struct *task)
{
	if (!aiguard_registry_empty(&aiguard_registry))
		aiguard_release_dead_group(task, task_tgid(task));
}

/**
 * aiguard_task_freed - handler for free_task()
 * @task: a task being freed, e.g. a child whose fork failed
 *
 * free_task() rather than security_task_free(): a fork that fails in
 * lsm_task_alloc(), after aiguard_task_inherit() ran, frees the child
 * without calling security_task_free().
 */
void aiguard_task_freed(struct task_struct *task)
{
	if (atomic_read(&aiguard_registry.nr_pending))
		aiguard_entry_removed(aiguard_registry_drop_pending(&aiguard_registry,
								    task));
}

/**
 * aiguard_task_grant - let one process access a protected one for a while
 * @tracer: any pid of the process let in; the caller holds a reference
 * @target: any pid of the protected process; the caller holds a reference
 * @ttl_sec: lifetime in seconds, validated
 * @id: out: the grant's id
 *
 * Return: 0, -ESRCH if either process is gone, -EINVAL if @target is not
 * protected, or what aiguard_grant_add() returns.
 */
int aiguard_task_grant(struct pid *tracer, struct pid *target, u32 ttl_sec,
		       u64 *id)
{
	struct task_struct *tracer_task, *target_task;
	struct pid *tracer_tgid = NULL, *target_tgid = NULL;
	int err = -ESRCH;

	tracer_task = aiguard_pid_task(tracer);
	target_task = aiguard_pid_task(target);
	rcu_read_lock();
	if (tracer_task && target_task) {
		/* NULL once a task is reaped: it cannot be named any more. */
		tracer_tgid = get_pid(task_tgid(tracer_task));
		target_tgid = get_pid(task_tgid(target_task));
		if (tracer_tgid && target_tgid)
			err = aiguard_task_label(target_task) ? 0 : -EINVAL;
	}
	rcu_read_unlock();
	if (!err)
		err = aiguard_grant_add(tracer_tgid, target_tgid, ttl_sec, id);
	put_pid(tracer_tgid);
	put_pid(target_tgid);
	if (tracer_task)
		put_task_struct(tracer_task);
	if (target_task)
		put_task_struct(target_task);
	return err;
}

/**
 * aiguard_task_selftest_mark - protect a group for the load-time self-test
 * @tgid: its TGID pid; on success the mark owns the caller's reference
 *
 * Unlike aiguard_protect_pid() this leaves the group's dumpable state,
 * the audit stream and the module's reference count alone: the mark is
 * taken away before the load completes.
 *
 * Return: 0, -EBUSY if the group is already protected, or -ENOMEM.
 */
int aiguard_task_selftest_mark(struct pid *tgid)
{
	struct aiguard_entry *old;

	old = aiguard_registry_insert(&aiguard_registry, tgid, "@selftest", 0,
				      GFP_KERNEL);
	if (!old)
		return 0;
	return IS_ERR(old) ? PTR_ERR(old) : -EBUSY;
}

/**
 * aiguard_task_selftest_unmark - undo aiguard_task_selftest_mark()
 * @tgid: the same pid; its reference is dropped once no reader sees it
 */
void aiguard_task_selftest_unmark(struct pid *tgid)
{
	aiguard_registry_remove(&aiguard_registry, tgid);
}
