// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard_bench - kernel-level benchmark of the aiguard registry.
 *
 * Runs at load time, on its own copy of module/registry.c (registry_copy.c):
 * for each table size (1, 1k, 10k, 100k, 1M entries by default) it inserts
 * that many entries, waits for the rhashtable to finish resizing, times
 * lookups of present keys (random order), of absent keys, and of one hot
 * key, then removes everything. Keys are distinct pointers, as in the
 * module (where they are pinned struct pid pointers).
 *
 * One line per size goes to the kernel log, prefixed "aiguard_bench: R ";
 * the guest driver (tests/bench/bench.c) relays them to the results port.
 * Nothing here touches the real module: only load it while aiguard.ko is
 * not loaded (both create a slab cache named aiguard_entry).
 *
 *   insmod aiguard_bench.ko [sizes=1,1000,...] [lookups=N]
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "registry.h"

static unsigned int sizes[8] = { 1, 1000, 10000, 100000, 1000000 };
static int nr_sizes = 5;
module_param_array(sizes, uint, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "Table sizes to measure (default 1,1000,10000,100000,1000000)");

static unsigned int lookups = 1000000;
module_param(lookups, uint, 0444);
MODULE_PARM_DESC(lookups, "Timed lookups per size and kind (default 1000000)");

/* Lookups per RCU read section; between chunks the thread may reschedule. */
#define BENCH_CHUNK 4096

static u64 *keyspace;	/* &keyspace[i] is key i; i >= n is never inserted */

static const void *bench_key(unsigned int i)
{
	return &keyspace[i];
}

static u32 bench_next(u32 *state)
{
	/* xorshift32: cheap and spreads over the whole table */
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

enum bench_kind { BENCH_LOOP, BENCH_HIT, BENCH_MISS, BENCH_HOT };

/*
 * Time @count operations of @kind on a table of @n entries. Returns total
 * ns; @found counts successful lookups (a sanity check, and it keeps the
 * compiler from dropping the lookups).
 */
static u64 bench_lookups(struct aiguard_registry *reg, unsigned int n,
			 enum bench_kind kind, unsigned int count, u64 *found)
{
	u32 state = 2463534242U;
	unsigned int done = 0, i, idx;
	u64 total = 0, t0;
	unsigned long sink = 0;

	*found = 0;
	while (done < count) {
		unsigned int chunk = min_t(unsigned int, BENCH_CHUNK, count - done);

		rcu_read_lock();
		t0 = ktime_get_ns();
		for (i = 0; i < chunk; i++) {
			idx = bench_next(&state) % n;
			switch (kind) {
			case BENCH_LOOP:
				sink += (unsigned long)bench_key(idx);
				break;
			case BENCH_HIT:
				*found += !!aiguard_registry_lookup(reg, bench_key(idx));
				break;
			case BENCH_MISS:
				*found += !!aiguard_registry_lookup(reg, bench_key(n + idx));
				break;
			case BENCH_HOT:
				*found += !!aiguard_registry_lookup(reg, bench_key(0));
				break;
			}
		}
		total += ktime_get_ns() - t0;
		rcu_read_unlock();
		done += chunk;
		cond_resched();
	}
	if (kind == BENCH_LOOP)
		*found = sink ? count : 0;
	return total;
}

/* Wait until no resize is running or due, so lookups see a settled table. */
static struct bucket_table *bench_settle(struct aiguard_registry *reg)
{
	struct bucket_table *tbl;
	int i;

	for (i = 0; i < 100; i++) {
		flush_work(&reg->groups.run_work);
		tbl = rcu_dereference_protected(reg->groups.tbl, 1);
		if (!rcu_access_pointer(tbl->future_tbl) && !tbl->nest &&
		    !rht_grow_above_75(&reg->groups, tbl))
			break;
		schedule_work(&reg->groups.run_work);
	}
	return rcu_dereference_protected(reg->groups.tbl, 1);
}

static int bench_one(unsigned int n)
{
	struct aiguard_registry reg;
	struct aiguard_entry *old;
	struct bucket_table *tbl;
	u64 t0, t_ins, t_rm, t_loop, t_hit, t_miss, t_hot, found[4];
	unsigned int i, retries = 0, buckets, nest;
	int err;

	err = aiguard_registry_init(&reg, NULL);
	if (err)
		return err;

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		old = aiguard_registry_insert(&reg, bench_key(i), "bench", 0,
					      GFP_KERNEL);
		if (IS_ERR(old) && retries < 100000) {
			/* table busy resizing: let the worker run, retry */
			retries++;
			cond_resched();
			i--;
			continue;
		}
		if (old) {
			pr_err("insert %u of %u failed (%ld)\n", i, n,
			       IS_ERR(old) ? PTR_ERR(old) : -EEXIST);
			err = -EIO;
			goto out;
		}
		if (!(i & 1023))
			cond_resched();
	}
	t_ins = ktime_get_ns() - t0;

	tbl = bench_settle(&reg);
	buckets = tbl->size;
	nest = tbl->nest;

	t_loop = bench_lookups(&reg, n, BENCH_LOOP, lookups, &found[0]);
	t_hit = bench_lookups(&reg, n, BENCH_HIT, lookups, &found[1]);
	t_miss = bench_lookups(&reg, n, BENCH_MISS, lookups, &found[2]);
	t_hot = bench_lookups(&reg, n, BENCH_HOT, lookups, &found[3]);

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		if (aiguard_registry_remove(&reg, bench_key(i))) {
			pr_err("remove %u of %u failed\n", i, n);
			err = -EIO;
			goto out;
		}
		if (!(i & 1023))
			cond_resched();
	}
	t_rm = ktime_get_ns() - t0;

	if (found[1] != lookups || found[2] || found[3] != lookups)
		pr_err("lookup sanity: hits %llu misses %llu hot %llu of %u\n",
		       found[1], found[2], found[3], lookups);

	/* ns values are x1000 (picoseconds) so the host keeps 3 decimals */
	pr_info("R n=%u lookups=%u insert_ps=%llu loop_ps=%llu hit_ps=%llu miss_ps=%llu hot_ps=%llu remove_ps=%llu buckets=%u nest=%u entry_bytes=%u bucket_bytes=%zu insert_retries=%u\n",
		n, lookups, div_u64(t_ins * 1000, n), div_u64(t_loop * 1000, lookups),
		div_u64(t_hit * 1000, lookups), div_u64(t_miss * 1000, lookups),
		div_u64(t_hot * 1000, lookups), div_u64(t_rm * 1000, n),
		buckets, nest, aiguard_registry_entry_size(),
		sizeof(tbl->buckets[0]), retries);
	err = 0;
out:
	aiguard_registry_destroy(&reg);
	rcu_barrier();
	return err;
}

static int __init aiguard_bench_init(void)
{
	unsigned int max = 0;
	int i, err;

	for (i = 0; i < nr_sizes; i++) {
		if (!sizes[i])
			return -EINVAL;
		max = max(max, sizes[i]);
	}
	/* n present keys and up to n absent ones */
	keyspace = vmalloc_array(2 * (size_t)max, sizeof(*keyspace));
	if (!keyspace)
		return -ENOMEM;
	err = aiguard_registry_cache_init();
	if (err)
		goto out_keys;
	pr_info("start: %d sizes, %u lookups each, entry object %u bytes\n",
		nr_sizes, lookups, aiguard_registry_entry_size());
	for (i = 0; i < nr_sizes && !err; i++)
		err = bench_one(sizes[i]);
	pr_info("done (%d)\n", err);
	aiguard_registry_cache_exit();
out_keys:
	vfree(keyspace);
	keyspace = NULL;
	return err;
}

static void __exit aiguard_bench_exit(void)
{
}

module_init(aiguard_bench_init);
module_exit(aiguard_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("aiguard registry benchmark (tests/bench)");
