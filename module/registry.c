// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard registry: two resizable RCU hash tables (see registry.h).
 *
 * rhashtable gives O(1) lookups at any size and grows in a worker, so an
 * insert from atomic context (fork) never waits for a resize.
 */
#include <linux/err.h>
#include <linux/limits.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <kunit/visibility.h>

#include "registry.h"

static struct kmem_cache *aiguard_entry_cache;

/*
 * A fork of a protected process allocates its child's entry in a kprobe
 * handler, atomically: when memory is tight that allocation fails, and the
 * fork with it, since the child must not run unprotected. A protected
 * service would then lose its workers exactly under load. Atomic
 * allocations fall back on this reserve, which every freed entry tops up
 * again; only a burst of more forks than it holds, with the slab unable to
 * give even one entry meanwhile, still fails a fork (-ENOMEM). Allocations
 * that may sleep (protect, exec) go to the slab: they wait for reclaim
 * instead, and must not wait for a reserve entry to be freed.
 */
#define AIGUARD_ENTRY_RESERVE	64
static mempool_t *aiguard_entry_pool;

static const struct rhashtable_params aiguard_groups_params = {
	.key_len = sizeof(void *),
	.key_offset = offsetof(struct aiguard_entry, key),
	.head_offset = offsetof(struct aiguard_entry, node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params aiguard_pending_params = {
	.key_len = sizeof(void *),
	.key_offset = offsetof(struct aiguard_entry, task),
	.head_offset = offsetof(struct aiguard_entry, pnode),
	.automatic_shrinking = true,
};

/**
 * aiguard_registry_cache_init - create the entry slab cache
 *
 * Return: 0 or -ENOMEM.
 */
int aiguard_registry_cache_init(void)
{
	aiguard_entry_cache = KMEM_CACHE(aiguard_entry, 0);
	if (!aiguard_entry_cache)
		return -ENOMEM;
	aiguard_entry_pool = mempool_create_slab_pool(AIGUARD_ENTRY_RESERVE,
						      aiguard_entry_cache);
	if (!aiguard_entry_pool) {
		kmem_cache_destroy(aiguard_entry_cache);
		return -ENOMEM;
	}
	return 0;
}

/**
 * aiguard_registry_cache_exit - destroy the entry slab cache
 *
 * Waits for pending RCU frees first.
 */
void aiguard_registry_cache_exit(void)
{
	rcu_barrier();
	mempool_destroy(aiguard_entry_pool);
	kmem_cache_destroy(aiguard_entry_cache);
}

/**
 * aiguard_registry_entry_size - bytes the slab uses for one entry
 *
 * Return: the object size of the entry cache.
 */
unsigned int aiguard_registry_entry_size(void)
{
	return kmem_cache_size(aiguard_entry_cache);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_entry_size);

/**
 * aiguard_registry_init - set up an empty registry
 * @reg: the registry
 * @release: see &aiguard_registry.release
 *
 * Return: 0 or a negative errno.
 */
int aiguard_registry_init(struct aiguard_registry *reg,
			  void (*release)(const void *key))
{
	int err;

	atomic_set(&reg->nr_groups, 0);
	atomic_set(&reg->nr_pending, 0);
	reg->release = release;
	spin_lock_init(&reg->filter_lock);
	reg->filter = kvzalloc(1 << AIGUARD_FILTER_BITS, GFP_KERNEL);
	if (!reg->filter)
		return -ENOMEM;
	err = rhashtable_init(&reg->groups, &aiguard_groups_params);
	if (err)
		goto err_filter;
	err = rhashtable_init(&reg->pending, &aiguard_pending_params);
	if (err)
		goto err_groups;
	return 0;

err_groups:
	rhashtable_destroy(&reg->groups);
err_filter:
	kvfree(reg->filter);
	reg->filter = NULL;
	return err;
}

/*
 * Raise (+1) before publishing an entry, lower (-1) after unlinking it. A
 * counter that reached its maximum stays there: a permanent "maybe" for its
 * bucket, never a false "no".
 */
static void aiguard_filter_bump(u8 *c, int delta)
{
	if (*c != U8_MAX)
		WRITE_ONCE(*c, *c + delta);
}

static void aiguard_filter_update(struct aiguard_registry *reg, const void *key,
				  int delta)
{
	unsigned long flags;
	u32 a, b;

	aiguard_filter_slots(key, &a, &b);
	spin_lock_irqsave(&reg->filter_lock, flags);
	aiguard_filter_bump(&reg->filter[a], delta);
	aiguard_filter_bump(&reg->filter[b], delta);
	spin_unlock_irqrestore(&reg->filter_lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_init);

static void aiguard_entry_free_now(struct aiguard_entry *e)
{
	if (e->key && e->reg->release)
		e->reg->release(e->key);
	mempool_free(e, aiguard_entry_pool);
}

static void aiguard_entry_free_rcu(struct rcu_head *head)
{
	aiguard_entry_free_now(container_of(head, struct aiguard_entry, rcu));
}

static void aiguard_entry_destroy(void *ptr, void *arg)
{
	aiguard_entry_free_now(ptr);
}

/**
 * aiguard_registry_destroy - free every entry and the tables
 * @reg: the registry; no reader or writer may use it any more
 *
 * Waits for the RCU frees of entries removed before, so @reg itself may be
 * freed on return.
 */
void aiguard_registry_destroy(struct aiguard_registry *reg)
{
	/* Entries retired earlier still point at @reg until their RCU free. */
	rcu_barrier();
	/* A pending entry is never also in @groups: free each table's own. */
	rhashtable_free_and_destroy(&reg->pending, aiguard_entry_destroy, NULL);
	rhashtable_free_and_destroy(&reg->groups, aiguard_entry_destroy, NULL);
	atomic_set(&reg->nr_groups, 0);
	atomic_set(&reg->nr_pending, 0);
	kvfree(reg->filter);
	reg->filter = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_destroy);

/**
 * aiguard_registry_lookup - find a committed entry
 * @reg: the registry
 * @key: its key
 *
 * Call under rcu_read_lock(); the entry stays valid until the matching
 * rcu_read_unlock().
 *
 * Return: the entry or NULL.
 */
struct aiguard_entry *aiguard_registry_lookup(struct aiguard_registry *reg,
					      const void *key)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "aiguard registry lookup outside RCU");
	if (!key || !atomic_read(&reg->nr_groups) ||
	    !aiguard_filter_may_hold(reg, key))
		return NULL;
	return rhashtable_lookup(&reg->groups, &key, aiguard_groups_params);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_lookup);

/**
 * aiguard_registry_lookup_pending - find the entry of a child being forked
 * @reg: the registry
 * @task: the child
 *
 * Call under rcu_read_lock().
 *
 * Return: the entry or NULL.
 */
struct aiguard_entry *aiguard_registry_lookup_pending(struct aiguard_registry *reg,
						      const void *task)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "aiguard pending lookup outside RCU");
	if (!atomic_read(&reg->nr_pending))
		return NULL;
	return rhashtable_lookup(&reg->pending, &task, aiguard_pending_params);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_lookup_pending);

/**
 * aiguard_registry_find - the entry of a pending task or a committed key
 * @reg: the registry
 * @key: the task's committed key
 * @task: the task, which may still be pending
 *
 * An entry moves from @pending to @groups while the task is already
 * visible by pid (aiguard_registry_commit_pending()), so a lookup of both
 * tables must never see it in neither. The writer links it into @groups,
 * then unlinks it from @pending, with a write barrier between; this reads
 * in the reverse order with a read barrier between, so a miss in @pending
 * (the unlink is visible) means the link is visible too. Reading @groups
 * first instead can miss both: @groups just before the link and @pending
 * just after the unlink, for a task protected all along (t_races
 * protect_fork caught a tracer attaching in that instant).
 *
 * Call under rcu_read_lock().
 *
 * Return: the entry or NULL.
 */
struct aiguard_entry *aiguard_registry_find(struct aiguard_registry *reg,
					    const void *key, const void *task)
{
	struct aiguard_entry *e = aiguard_registry_lookup_pending(reg, task);

	if (e)
		return e;
	/* Pairs with smp_wmb() in aiguard_registry_commit_pending(). */
	smp_rmb();
	return aiguard_registry_lookup(reg, key);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_find);

static struct aiguard_entry *aiguard_entry_alloc(struct aiguard_registry *reg,
						 const char *label, u32 flags,
						 u64 life, gfp_t gfp)
{
	struct aiguard_entry *e;

	if (gfpflags_allow_blocking(gfp)) {
		e = kmem_cache_zalloc(aiguard_entry_cache, gfp);
	} else {
		e = mempool_alloc(aiguard_entry_pool, gfp);
		if (e)
			memset(e, 0, sizeof(*e));
	}
	if (!e)
		return NULL;
	e->reg = reg;
	e->flags = flags;
	e->life = life;
	strscpy(e->label, label, sizeof(e->label));
	return e;
}

/*
 * Publish @e in the groups table under @key. Its filter counters go up
 * first and come down only if the insert fails, so the filter never says
 * "absent" for a published key.
 *
 * Return: NULL, the entry already there, or an ERR_PTR().
 */
static struct aiguard_entry *aiguard_groups_link(struct aiguard_registry *reg,
						 struct aiguard_entry *e,
						 const void *key)
{
	struct aiguard_entry *old;

	e->key = key;
	aiguard_filter_update(reg, key, 1);
	old = rhashtable_lookup_get_insert_fast(&reg->groups, &e->node,
						aiguard_groups_params);
	if (old) {
		aiguard_filter_update(reg, key, -1);
		e->key = NULL;
		return old;
	}
	atomic_inc(&reg->nr_groups);
	return NULL;
}

/**
 * aiguard_registry_insert - add a committed entry unless one exists
 * @reg: the registry
 * @key: its key; on success the registry owns the caller's reference to it
 * @label: trust domain
 * @flags: AIGUARD_PROTECT_* flags
 * @gfp: allocation flags (GFP_ATOMIC from hooks)
 *
 * Return: NULL if inserted, the existing entry for @key (call under
 * rcu_read_lock() to use it; the caller keeps its reference), or an
 * ERR_PTR() on allocation failure.
 */
struct aiguard_entry *aiguard_registry_insert(struct aiguard_registry *reg,
					      const void *key, const char *label,
					      u32 flags, gfp_t gfp)
{
	return aiguard_registry_insert_life(reg, key, label, flags, 0, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_insert);

/**
 * aiguard_registry_insert_life - aiguard_registry_insert(), in a life of the label
 * @reg: the registry
 * @key: its key; on success the registry owns the caller's reference to it
 * @label: trust domain
 * @flags: AIGUARD_PROTECT_* flags
 * @life: see struct aiguard_entry
 * @gfp: allocation flags (GFP_ATOMIC from hooks)
 *
 * Return: as aiguard_registry_insert().
 */
struct aiguard_entry *aiguard_registry_insert_life(struct aiguard_registry *reg,
						   const void *key, const char *label,
						   u32 flags, u64 life, gfp_t gfp)
{
	struct aiguard_entry *e, *old;

	e = aiguard_entry_alloc(reg, label, flags, life, gfp);
	if (!e)
		return ERR_PTR(-ENOMEM);
	old = aiguard_groups_link(reg, e, key);
	if (old)
		mempool_free(e, aiguard_entry_pool);
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_insert_life);

/*
 * Take @e out of one table and free it after a grace period. Returns
 * -ENOENT if @e is NULL or a concurrent caller unlinked it first: exactly
 * one caller wins.
 */
static int aiguard_entry_unlink(struct aiguard_registry *reg,
				struct aiguard_entry *e, bool pending)
{
	if (!e)
		return -ENOENT;
	if (pending) {
		if (rhashtable_remove_fast(&reg->pending, &e->pnode,
					   aiguard_pending_params))
			return -ENOENT;
		atomic_dec(&reg->nr_pending);
	} else {
		if (rhashtable_remove_fast(&reg->groups, &e->node,
					   aiguard_groups_params))
			return -ENOENT;
		atomic_dec(&reg->nr_groups);
		aiguard_filter_update(reg, e->key, -1);
	}
	call_rcu(&e->rcu, aiguard_entry_free_rcu);
	return 0;
}

/**
 * aiguard_registry_remove - remove a committed entry
 * @reg: the registry
 * @key: its key, released (after an RCU grace period) if the entry existed
 *
 * Safe against concurrent removal of the same key: exactly one caller wins.
 *
 * Return: 0, or -ENOENT if there was no entry.
 */
int aiguard_registry_remove(struct aiguard_registry *reg, const void *key)
{
	int err;

	rcu_read_lock();
	err = aiguard_entry_unlink(reg, aiguard_registry_lookup(reg, key), false);
	rcu_read_unlock();
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_remove);

/**
 * aiguard_registry_add_pending - protect a child before it has a pid
 * @reg: the registry
 * @task: the child task
 * @label: trust domain inherited from the parent
 * @flags: AIGUARD_PROTECT_* flags inherited from the parent
 * @gfp: allocation flags
 *
 * Return: 0, -ENOMEM, or -EEXIST if @task is pending already.
 */
int aiguard_registry_add_pending(struct aiguard_registry *reg, const void *task,
				 const char *label, u32 flags, gfp_t gfp)
{
	return aiguard_registry_add_pending_life(reg, task, label, flags, 0, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_add_pending);

/**
 * aiguard_registry_add_pending_life - aiguard_registry_add_pending(), in a life of the label
 * @reg: the registry
 * @task: the child task
 * @label: trust domain inherited from the parent
 * @flags: AIGUARD_PROTECT_* flags inherited from the parent
 * @life: the parent's (struct aiguard_entry)
 * @gfp: allocation flags
 *
 * Return: as aiguard_registry_add_pending().
 */
int aiguard_registry_add_pending_life(struct aiguard_registry *reg, const void *task,
				      const char *label, u32 flags, u64 life, gfp_t gfp)
{
	struct aiguard_entry *e, *old;

	e = aiguard_entry_alloc(reg, label, flags, life, gfp);
	if (!e)
		return -ENOMEM;
	e->task = task;
	old = rhashtable_lookup_get_insert_fast(&reg->pending, &e->pnode,
						aiguard_pending_params);
	if (old) {
		mempool_free(e, aiguard_entry_pool);
		return IS_ERR(old) ? PTR_ERR(old) : -EEXIST;
	}
	atomic_inc(&reg->nr_pending);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_add_pending_life);

/**
 * aiguard_registry_commit_pending - key a pending entry by its group
 * @reg: the registry
 * @task: the child task
 * @key: its new key; on success the registry owns the caller's reference
 *
 * The entry joins @groups before it leaves @pending, so a concurrent
 * aiguard_registry_find() always finds it in one of them. On failure the
 * entry stays pending and keeps protecting @task until
 * aiguard_registry_drop_pending().
 *
 * Return: 0, -ENOENT if @task is not pending, -EEXIST if @key is taken,
 * or -ENOMEM.
 */
int aiguard_registry_commit_pending(struct aiguard_registry *reg,
				    const void *task, const void *key)
{
	struct aiguard_entry *e, *old;
	int err = -ENOENT;

	rcu_read_lock();
	e = aiguard_registry_lookup_pending(reg, task);
	if (!e)
		goto out;
	old = aiguard_groups_link(reg, e, key);
	if (old) {
		err = IS_ERR(old) ? PTR_ERR(old) : -EEXIST;
		goto out;
	}
	/*
	 * The link (entry, filter counters, nr_groups) is visible before
	 * the unlink and nr_pending's decrement. Pairs with smp_rmb() in
	 * aiguard_registry_find(), aiguard_registry_empty() and
	 * aiguard_registry_may_hold().
	 */
	smp_wmb();
	if (!rhashtable_remove_fast(&reg->pending, &e->pnode,
				    aiguard_pending_params))
		atomic_dec(&reg->nr_pending);
	err = 0;
out:
	rcu_read_unlock();
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_commit_pending);

/**
 * aiguard_registry_drop_pending - forget a child that never got a pid
 * @reg: the registry
 * @task: the child task (fork failed, or the task is being freed)
 *
 * Return: 0, or -ENOENT if @task was not pending.
 */
int aiguard_registry_drop_pending(struct aiguard_registry *reg,
				  const void *task)
{
	int err;

	rcu_read_lock();
	err = aiguard_entry_unlink(reg, aiguard_registry_lookup_pending(reg, task),
				   true);
	rcu_read_unlock();
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_drop_pending);

int aiguard_registry_for_each(struct aiguard_registry *reg,
			      int (*fn)(const struct aiguard_entry *e, void *arg),
			      void *arg)
{
	struct rhashtable_iter iter;
	struct aiguard_entry *e;
	int ret = 0;

	rhashtable_walk_enter(&reg->groups, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter)) != NULL) {
		if (IS_ERR(e)) {
			if (PTR_ERR(e) == -EAGAIN)
				continue;
			break;
		}
		ret = fn(e, arg);
		if (ret)
			break;
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_registry_for_each);
