// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard objects: what a protected process creates on memory-backed
 * storage belongs to its label, for as long as the object lives.
 *
 * A POSIX shm object (/dev/shm), a file on tmpfs, ramfs or hugetlbfs, a
 * memfd and a SysV segment hold the workload's data in RAM, outside its
 * address space and beyond its life: root reads them by name. Each such
 * object a protected process creates is listed here with the process's
 * label, keyed by the kernel object that names it (its inode, or a SysV
 * segment's kern_ipc_perm), until the kernel frees that object; lsm.c
 * refuses opens and attaches by anyone outside the label.
 *
 * An inode is listed when it is allocated (the one hook that can still
 * fail the creation, and so never lets an object exist unlisted), as
 * pending: what it will be is not known yet. Once it has a name and a
 * mode (d_instantiate) lsm.c keeps it, active, or drops it. Only active
 * entries decide anything.
 *
 * The table is an rhashtable: lookups under RCU from the open path, inserts
 * from the allocation hooks (atomic: kprobe handlers), removals from the
 * free hooks, one of which (security_shm_free()) runs in an RCU callback.
 * rhashtable's bucket locks disable softirqs, so that mix is safe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "obj.h"

/**
 * struct aiguard_obj - one labelled object
 * @node: in aiguard_objs
 * @key: the inode or kern_ipc_perm; never dereferenced here
 * @active: settled and kept; a pending entry decides nothing
 * @flags: AIGUARD_PROTECT_* flags of its creator (permissive)
 * @life: the life of the label it was created in (struct aiguard_entry)
 * @label: its creator's label
 * @rcu: freed after readers are done
 */
struct aiguard_obj {
	struct rhash_head node;
	const void *key;
	bool active;
	u32 flags;
	u64 life;
	char label[AIGUARD_LABEL_MAX];
	struct rcu_head rcu;
};

static const struct rhashtable_params aiguard_obj_params = {
	.key_len = sizeof(void *),
	.key_offset = offsetof(struct aiguard_obj, key),
	.head_offset = offsetof(struct aiguard_obj, node),
	.automatic_shrinking = true,
};

static struct rhashtable aiguard_objs;
static bool aiguard_objs_ready;
static atomic_t aiguard_obj_listed = ATOMIC_INIT(0);	/* pending or active */
atomic_t aiguard_obj_nr = ATOMIC_INIT(0);		/* active */

/**
 * aiguard_obj_init - create the table
 *
 * Return: 0 or -ENOMEM.
 */
int aiguard_obj_init(void)
{
	int err = rhashtable_init(&aiguard_objs, &aiguard_obj_params);

	aiguard_objs_ready = !err;
	return err;
}

static void aiguard_obj_destroy(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * aiguard_obj_exit - forget every object
 *
 * Called once no hook can run any more. The objects stay; they are open
 * to anyone again, as every process is once aiguard is unloaded.
 */
void aiguard_obj_exit(void)
{
	if (!aiguard_objs_ready)
		return;
	rhashtable_free_and_destroy(&aiguard_objs, aiguard_obj_destroy, NULL);
	atomic_set(&aiguard_obj_nr, 0);
	atomic_set(&aiguard_obj_listed, 0);
	aiguard_objs_ready = false;
}

/**
 * aiguard_obj_storage - whether a filesystem keeps its files in memory
 * @sb: the filesystem
 *
 * tmpfs (/dev/shm, /run, /tmp where it is tmpfs, and the kernel's own
 * mounts behind memfds, SysV segments and shared anonymous mappings),
 * ramfs and hugetlbfs. Their files are RAM: nothing else holds the data.
 *
 * Return: true for those.
 */
bool aiguard_obj_storage(const struct super_block *sb)
{
	switch (sb->s_magic) {
	case TMPFS_MAGIC:
	case RAMFS_MAGIC:
	case HUGETLBFS_MAGIC:
		return true;
	default:
		return false;
	}
}

static void aiguard_obj_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct aiguard_obj, rcu));
}

/* Under RCU; drops @o from the table and the counts, if still there. */
static void aiguard_obj_drop(struct aiguard_obj *o)
{
	if (rhashtable_remove_fast(&aiguard_objs, &o->node, aiguard_obj_params))
		return;
	if (READ_ONCE(o->active))
		atomic_dec(&aiguard_obj_nr);
	atomic_dec(&aiguard_obj_listed);
	call_rcu(&o->rcu, aiguard_obj_free_rcu);
}

/**
 * aiguard_obj_forget - an object is being freed
 * @key: its inode or kern_ipc_perm
 *
 * Any context but hard interrupt.
 */
void aiguard_obj_forget(const void *key)
{
	struct aiguard_obj *o;

	if (!atomic_read(&aiguard_obj_listed))
		return;
	rcu_read_lock();
	o = rhashtable_lookup(&aiguard_objs, &key, aiguard_obj_params);
	if (o)
		aiguard_obj_drop(o);
	rcu_read_unlock();
}

/**
 * aiguard_obj_add - list a new object
 * @key: its inode or kern_ipc_perm
 * @label: its creator's label
 * @flags: its creator's AIGUARD_PROTECT_* flags
 * @life: the life of its creator's label
 * @active: whether it is settled (a SysV segment), or pending (an inode,
 *          until aiguard_obj_settle())
 *
 * Atomic context (an allocation hook). A listed key is a freed object
 * whose free the table missed: its entry is replaced.
 *
 * Return: 0, or -ENOMEM, which must fail the object's creation: it would
 * otherwise exist unlisted.
 */
int aiguard_obj_add(const void *key, const char *label, u32 flags, u64 life, bool active)
{
	struct aiguard_obj *o = kmalloc(sizeof(*o), GFP_ATOMIC);
	int err;

	if (!o)
		return -ENOMEM;
	o->key = key;
	o->active = active;
	o->flags = flags;
	o->life = life;
	strscpy(o->label, label, sizeof(o->label));
	aiguard_obj_forget(key);
	err = rhashtable_insert_fast(&aiguard_objs, &o->node, aiguard_obj_params);
	if (err) {
		kfree(o);
		return -ENOMEM;
	}
	atomic_inc(&aiguard_obj_listed);
	if (active)
		atomic_inc(&aiguard_obj_nr);
	return 0;
}

/**
 * aiguard_obj_settle - a pending object has its name and mode
 * @key: its inode
 * @keep: whether it is to belong to its label; else it is dropped
 *
 * Called whenever an inode gets a dentry: an active entry (a second
 * name) or an unlisted inode (not created by a protected process) stay
 * as they are. Any context but hard interrupt.
 *
 * Return: true if @key was pending and is now active.
 */
bool aiguard_obj_settle(const void *key, bool keep)
{
	struct aiguard_obj *o;
	bool kept = false;

	if (!atomic_read(&aiguard_obj_listed))
		return false;
	rcu_read_lock();
	o = rhashtable_lookup(&aiguard_objs, &key, aiguard_obj_params);
	if (o && !READ_ONCE(o->active)) {
		if (keep) {
			/* d_instantiate() of one inode is not concurrent */
			WRITE_ONCE(o->active, true);
			atomic_inc(&aiguard_obj_nr);
			kept = true;
		} else {
			aiguard_obj_drop(o);
		}
	}
	rcu_read_unlock();
	return kept;
}

/**
 * aiguard_obj_find - the label of an object, if it has one (active)
 * @key: its inode or kern_ipc_perm
 * @label: out: the label
 * @flags: out: its creator's flags
 * @life: out: the life of the label it was created in
 *
 * Any context.
 *
 * Return: true if @key is a labelled object.
 */
bool aiguard_obj_find(const void *key, char label[AIGUARD_LABEL_MAX], u32 *flags, u64 *life)
{
	struct aiguard_obj *o;
	bool found;

	rcu_read_lock();
	o = rhashtable_lookup(&aiguard_objs, &key, aiguard_obj_params);
	found = o && READ_ONCE(o->active);
	if (found) {
		strscpy(label, o->label, AIGUARD_LABEL_MAX);
		*flags = o->flags;
		*life = o->life;
	}
	rcu_read_unlock();
	return found;
}

/**
 * aiguard_obj_count - how many objects are labelled (active)
 *
 * Return: the count.
 */
unsigned int aiguard_obj_count(void)
{
	return atomic_read(&aiguard_obj_nr);
}
