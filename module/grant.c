// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard break-glass grants: one named tracer process may access one
 * protected process until a deadline.
 *
 * Both processes are held by their pinned TGID struct pid, so a grant can
 * never pass to a process that reuses a pid number. Grants are few
 * (AIGUARD_GRANTS_MAX) and consulted only after the policy has denied, so
 * a short RCU list is enough; a once-a-second worker ends expired grants
 * and those whose processes have gone, and reports each end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "audit.h"
#include "grant.h"
#include "guard.h"
#include "policy.h"

/**
 * struct aiguard_grant_entry - one active grant
 * @node: link in aiguard_grants
 * @id: its id, never reused while loaded
 * @tracer: TGID pid of the process let in (pinned)
 * @target: TGID pid of the protected process (pinned)
 * @expires: jiffies64 deadline
 * @uses: accesses allowed so far
 * @rcu: deferred free
 */
struct aiguard_grant_entry {
	struct list_head node;
	u64 id;
	struct pid *tracer;
	struct pid *target;
	u64 expires;
	atomic_t uses;
	struct rcu_head rcu;
};

static LIST_HEAD(aiguard_grants);
static DEFINE_SPINLOCK(aiguard_grants_lock);
static atomic_t aiguard_nr_grants = ATOMIC_INIT(0);
static atomic64_t aiguard_grant_ids = ATOMIC64_INIT(0);
static atomic_t aiguard_grants_ended = ATOMIC_INIT(0);

static void aiguard_grant_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(aiguard_grant_reaper, aiguard_grant_reap);

static void aiguard_grant_free(struct rcu_head *head)
{
	struct aiguard_grant_entry *g = container_of(head, struct aiguard_grant_entry, rcu);

	put_pid(g->tracer);
	put_pid(g->target);
	kfree(g);
}

static void aiguard_grant_end(struct aiguard_grant_entry *g)
{
	lockdep_assert_held(&aiguard_grants_lock);
	list_del_rcu(&g->node);
	atomic_dec(&aiguard_nr_grants);
	atomic_inc(&aiguard_grants_ended);
	aiguard_audit_grant(AIGUARD_EVENT_GRANT_END, g->id, g->tracer, g->target);
	call_rcu(&g->rcu, aiguard_grant_free);
}

/**
 * aiguard_grant_add - let @tracer's process access @target's until a deadline
 * @tracer: TGID pid of the tracer; the caller holds a reference
 * @target: TGID pid of the protected process; the caller holds a reference
 * @ttl_sec: lifetime in seconds, already validated
 * @id: out: the new grant's id
 *
 * Return: 0, -EPERM if the policy is locked, -ENOSPC if
 * AIGUARD_GRANTS_MAX grants exist, or -ENOMEM.
 */
int aiguard_grant_add(struct pid *tracer, struct pid *target, u32 ttl_sec,
		      u64 *id)
{
	struct aiguard_grant_entry *g;
	int err;

	might_sleep();
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->tracer = get_pid(tracer);
	g->target = get_pid(target);
	g->expires = get_jiffies_64() + (u64)ttl_sec * HZ;
	g->id = atomic64_inc_return(&aiguard_grant_ids);

	spin_lock(&aiguard_grants_lock);
	/*
	 * Checked under the lock that aiguard_grant_end_all() takes after
	 * the policy is locked: a grant made concurrently is ended there.
	 */
	err = aiguard_locked() ? -EPERM :
	      atomic_read(&aiguard_nr_grants) >= AIGUARD_GRANTS_MAX ? -ENOSPC : 0;
	if (err) {
		spin_unlock(&aiguard_grants_lock);
		aiguard_grant_free(&g->rcu);
		return err;
	}
	list_add_tail_rcu(&g->node, &aiguard_grants);
	atomic_inc(&aiguard_nr_grants);
	spin_unlock(&aiguard_grants_lock);

	*id = g->id;
	aiguard_audit_grant(AIGUARD_EVENT_GRANT_ADD, g->id, g->tracer, g->target);
	mod_delayed_work(system_wq, &aiguard_grant_reaper, HZ);
	return 0;
}

/**
 * aiguard_grant_revoke - end a grant now
 * @id: its id
 *
 * Return: 0, or -ENOENT if there is no such grant.
 */
int aiguard_grant_revoke(u64 id)
{
	struct aiguard_grant_entry *g;
	int err = -ENOENT;

	spin_lock(&aiguard_grants_lock);
	list_for_each_entry(g, &aiguard_grants, node) {
		if (g->id == id) {
			aiguard_grant_end(g);
			err = 0;
			break;
		}
	}
	spin_unlock(&aiguard_grants_lock);
	return err;
}

/**
 * aiguard_grant_check - whether a grant lets current access @target
 * @target: the protected task
 *
 * Called only after the policy denied. Safe in atomic context.
 *
 * Return: the grant id that allows it (counted as used), or 0.
 */
u64 aiguard_grant_check(struct task_struct *target)
{
	struct pid *tracer = task_tgid(current), *victim = task_tgid(target);
	struct aiguard_grant_entry *g;
	u64 now = get_jiffies_64(), id = 0;

	if (!atomic_read(&aiguard_nr_grants))
		return 0;
	rcu_read_lock();
	list_for_each_entry_rcu(g, &aiguard_grants, node) {
		if (aiguard_policy_grant_match(g->tracer, g->target, g->expires,
					       tracer, victim, now)) {
			atomic_inc(&g->uses);
			id = g->id;
			break;
		}
	}
	rcu_read_unlock();
	return id;
}

/**
 * aiguard_grant_covers - whether a live grant lets @tracer access @target
 * @tracer: any task
 * @target: the protected task
 *
 * Like aiguard_grant_check(), for a tracer other than current, and
 * without counting a use. Call under rcu_read_lock().
 *
 * Return: true if a grant not yet expired names both processes.
 */
bool aiguard_grant_covers(struct task_struct *tracer, struct task_struct *target)
{
	struct aiguard_grant_entry *g;
	u64 now = get_jiffies_64();

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "grant lookup outside RCU");
	if (!atomic_read(&aiguard_nr_grants))
		return false;
	list_for_each_entry_rcu(g, &aiguard_grants, node)
		if (aiguard_policy_grant_match(g->tracer, g->target, g->expires,
					       task_tgid(tracer), task_tgid(target), now))
			return true;
	return false;
}

/**
 * aiguard_grant_ends - how many grants have ended since load
 *
 * Return: a count that changes whenever a grant ends, for whoever must
 * re-check what grants let in.
 */
unsigned int aiguard_grant_ends(void)
{
	return atomic_read(&aiguard_grants_ended);
}

static bool aiguard_pid_gone(struct pid *pid)
{
	return !pid_has_task(pid, PIDTYPE_TGID);
}

static void aiguard_grant_reap(struct work_struct *work)
{
	struct aiguard_grant_entry *g, *tmp;
	u64 now = get_jiffies_64();

	spin_lock(&aiguard_grants_lock);
	list_for_each_entry_safe(g, tmp, &aiguard_grants, node)
		if (time_after_eq64(now, g->expires) ||
		    aiguard_pid_gone(g->tracer) || aiguard_pid_gone(g->target))
			aiguard_grant_end(g);
	spin_unlock(&aiguard_grants_lock);
	if (atomic_read(&aiguard_nr_grants))
		schedule_delayed_work(&aiguard_grant_reaper, HZ);
}

/**
 * aiguard_grant_count - active grants
 *
 * Return: how many.
 */
unsigned int aiguard_grant_count(void)
{
	return atomic_read(&aiguard_nr_grants);
}

/**
 * aiguard_grant_list - copy out active grants
 * @buf: room for @capacity entries
 * @capacity: its length
 * @total: out: active grants
 *
 * Return: entries written.
 */
u32 aiguard_grant_list(struct aiguard_grant_info *buf, u32 capacity, u32 *total)
{
	struct aiguard_grant_entry *g;
	u64 now = get_jiffies_64();
	u32 n = 0, all = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(g, &aiguard_grants, node) {
		all++;
		if (n >= capacity)
			continue;
		buf[n].id = g->id;
		buf[n].tracer_pid = pid_vnr(g->tracer);
		buf[n].target_pid = pid_vnr(g->target);
		buf[n].ttl_left_sec = time_before64(now, g->expires) ?
			DIV_ROUND_UP_ULL(g->expires - now, HZ) : 0;
		buf[n].uses = atomic_read(&g->uses);
		n++;
	}
	rcu_read_unlock();
	*total = all;
	return n;
}

/**
 * aiguard_grant_end_all - end every grant now, with a record for each
 *
 * Called once the policy is locked: no grant outlives the lock.
 */
void aiguard_grant_end_all(void)
{
	struct aiguard_grant_entry *g, *tmp;

	spin_lock(&aiguard_grants_lock);
	list_for_each_entry_safe(g, tmp, &aiguard_grants, node)
		aiguard_grant_end(g);
	spin_unlock(&aiguard_grants_lock);
}

/**
 * aiguard_grant_exit - end all grants at unload
 */
void aiguard_grant_exit(void)
{
	struct aiguard_grant_entry *g, *tmp;

	cancel_delayed_work_sync(&aiguard_grant_reaper);
	spin_lock(&aiguard_grants_lock);
	list_for_each_entry_safe(g, tmp, &aiguard_grants, node) {
		list_del_rcu(&g->node);
		atomic_dec(&aiguard_nr_grants);
		call_rcu(&g->rcu, aiguard_grant_free);
	}
	spin_unlock(&aiguard_grants_lock);
}
