/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The registry of protected thread groups.
 *
 * Entries are keyed by an opaque pointer that the owner keeps alive while
 * the entry exists (the module uses the thread group's pinned struct pid,
 * which can never be reused, unlike a pid number). A second table holds
 * "pending" entries keyed by a task_struct: a child between fork and the
 * moment its pid is attached. Lookups are lock-free under RCU and safe in
 * atomic context; inserts can be atomic too.
 */
#ifndef _AIGUARD_REGISTRY_H
#define _AIGUARD_REGISTRY_H

#include <linux/atomic.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/aiguard.h>

/**
 * struct aiguard_entry - one protected thread group
 * @node: link in &aiguard_registry.groups, keyed by @key
 * @pnode: link in &aiguard_registry.pending, keyed by @task
 * @key: owner's key (a pinned struct pid * in the module)
 * @task: the child task while pending, else NULL
 * @reg: registry the entry belongs to, for the RCU release
 * @flags: AIGUARD_PROTECT_* flags, inherited with the label
 * @life: which life of its label the group belongs to: a label lives
 *        from the protect that finds it without members until its last
 *        member is gone, and the next one is another life (0: none)
 * @label: trust domain, NUL-terminated
 * @rcu: deferred free
 */
struct aiguard_entry {
	struct rhash_head node;
	struct rhash_head pnode;
	const void *key;
	const void *task;
	struct aiguard_registry *reg;
	u32 flags;
	u64 life;
	char label[AIGUARD_LABEL_MAX];
	struct rcu_head rcu;
};

/**
 * struct aiguard_registry - a set of protected thread groups
 * @groups: committed entries by key
 * @pending: entries of children that have no pid yet, by task
 * @nr_groups: number of entries in @groups
 * @nr_pending: number of entries in @pending
 * @release: called with an entry's key once the entry is gone and no RCU
 *           reader can see it any more (may be NULL)
 * @filter: counting Bloom filter over the keys in @groups: each key
 *          raises two saturating counters (aiguard_filter_slots()); a zero
 *          in either proves the key absent without touching the table
 * @filter_lock: serialises counter updates (writers are rare)
 */
struct aiguard_registry {
	struct rhashtable groups;
	struct rhashtable pending;
	atomic_t nr_groups;
	atomic_t nr_pending;
	void (*release)(const void *key);
	u8 *filter;
	spinlock_t filter_lock; /* serialises @filter updates */
};

/*
 * 256 KiB per registry. With 10 000 protected processes about 0.5 % of
 * the checks on unprotected ones go on to a lookup (one counter: 3.7 %).
 */
#define AIGUARD_FILTER_BITS	18

/*
 * A key's two counters, from two separate 18-bit parts of one 64-bit mix
 * of the pointer. The mix is murmur3's finaliser (xor-shift, multiply,
 * twice), whose every output bit depends on every input bit. With the
 * slots from a single multiplication (hash_64()) instead, real processes'
 * struct pid pointers fared far worse than random keys: with 10 000
 * protected, 1 % to 9 % of the unprotected processes passed the filter
 * and paid a table lookup on every check (6.1 and 6.12), against about
 * 0.5 % for random keys; why those pointers defeat one multiplication is
 * not known (a model of slab strides did not reproduce it). Measured by
 * make bench's "K" lines (tests/bench).
 */
static inline void aiguard_filter_slots(const void *key, u32 *a, u32 *b)
{
	u64 h = (unsigned long)key;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	*a = h & ((1U << AIGUARD_FILTER_BITS) - 1);
	*b = (h >> 32) & ((1U << AIGUARD_FILTER_BITS) - 1);
}

/**
 * aiguard_filter_may_hold - whether @key may be in the groups table
 * @reg: the registry
 * @key: a committed key
 *
 * Return: false if @key is certainly absent.
 */
static inline bool aiguard_filter_may_hold(struct aiguard_registry *reg,
					   const void *key)
{
	u32 a, b;

	aiguard_filter_slots(key, &a, &b);
	return READ_ONCE(reg->filter[a]) && READ_ONCE(reg->filter[b]);
}

int aiguard_registry_cache_init(void);
void aiguard_registry_cache_exit(void);
unsigned int aiguard_registry_entry_size(void);
int aiguard_registry_init(struct aiguard_registry *reg,
			  void (*release)(const void *key));
void aiguard_registry_destroy(struct aiguard_registry *reg);

/**
 * aiguard_registry_empty - whether nothing is protected or pending
 * @reg: the registry
 *
 * The hot-path test: with an empty registry every hook returns at once.
 */
static inline bool aiguard_registry_empty(struct aiguard_registry *reg)
{
	if (atomic_read(&reg->nr_pending))
		return false;
	/*
	 * A commit raises nr_groups before it lowers nr_pending: read them
	 * the other way round, or both could be read as 0 mid-commit.
	 * Pairs with smp_wmb() in aiguard_registry_commit_pending().
	 */
	smp_rmb();
	return !atomic_read(&reg->nr_groups);
}

/**
 * aiguard_registry_may_hold - cheap test before a lookup
 * @reg: the registry
 * @key: a committed key
 *
 * The hot-path answer for unprotected processes: no store, no call, one
 * or two loads. Never wrong when it says no: a counter is raised before
 * its entry is published and lowered only after it is unlinked.
 *
 * Return: false if no committed entry and no pending entry can match, true
 * if a lookup is needed.
 */
static inline bool aiguard_registry_may_hold(struct aiguard_registry *reg,
					     const void *key)
{
	if (atomic_read(&reg->nr_pending))
		return true;
	/* As in aiguard_registry_empty(): a commit may be under way. */
	smp_rmb();
	if (!atomic_read(&reg->nr_groups))
		return false;
	return aiguard_filter_may_hold(reg, key);
}

struct aiguard_entry *aiguard_registry_lookup(struct aiguard_registry *reg,
					      const void *key);
struct aiguard_entry *aiguard_registry_find(struct aiguard_registry *reg,
					    const void *key, const void *task);
struct aiguard_entry *aiguard_registry_lookup_pending(struct aiguard_registry *reg,
						      const void *task);
struct aiguard_entry *aiguard_registry_insert(struct aiguard_registry *reg,
					      const void *key, const char *label,
					      u32 flags, gfp_t gfp);
struct aiguard_entry *aiguard_registry_insert_life(struct aiguard_registry *reg,
						   const void *key, const char *label,
						   u32 flags, u64 life, gfp_t gfp);
int aiguard_registry_remove(struct aiguard_registry *reg, const void *key);
int aiguard_registry_add_pending(struct aiguard_registry *reg, const void *task,
				 const char *label, u32 flags, gfp_t gfp);
int aiguard_registry_add_pending_life(struct aiguard_registry *reg, const void *task,
				      const char *label, u32 flags, u64 life, gfp_t gfp);
int aiguard_registry_commit_pending(struct aiguard_registry *reg,
				    const void *task, const void *key);
int aiguard_registry_drop_pending(struct aiguard_registry *reg,
				  const void *task);

/**
 * aiguard_registry_for_each - visit every committed entry
 * @reg: the registry
 * @fn: called under rcu_read_lock() for each entry; stop by returning
 *      non-zero
 * @arg: passed to @fn
 *
 * Return: the first non-zero value @fn returned, or 0.
 */
int aiguard_registry_for_each(struct aiguard_registry *reg,
			      int (*fn)(const struct aiguard_entry *e, void *arg),
			      void *arg);

#endif /* _AIGUARD_REGISTRY_H */
