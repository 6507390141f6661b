// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard device: /dev/aiguard and its ioctl ABI (uapi/linux/aiguard.h).
 *
 * The node is root-only (0600), and every state-changing command checks
 * CAP_SYS_ADMIN again at call time, because an open descriptor can be
 * passed to, or inherited by, a less privileged process. read() and
 * poll() serve the audit stream; each open file reads at its own pace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "audit.h"
#include "bpf.h"
#include "compat.h"
#include "dev.h"
#include "grant.h"
#include "guard.h"
#include "hooks.h"
#include "lsm.h"
#include "mem.h"
#include "obj.h"
#include "policy.h"
#include "seal.h"
#include "stats.h"
#include "task.h"

/* Pin the ABI: these sizes are part of the command numbers. */
static void __always_unused aiguard_abi_sizes(void)
{
	BUILD_BUG_ON(sizeof(struct aiguard_target) != 8);
	BUILD_BUG_ON(sizeof(struct aiguard_version) != 16);
	BUILD_BUG_ON(sizeof(struct aiguard_protect) != 48);
	BUILD_BUG_ON(sizeof(struct aiguard_unprotect) != 16);
	BUILD_BUG_ON(sizeof(struct aiguard_process_info) != 40);
	BUILD_BUG_ON(sizeof(struct aiguard_query) != 56);
	BUILD_BUG_ON(sizeof(struct aiguard_list) != 32);
	BUILD_BUG_ON(sizeof(struct aiguard_stats) != 416);
	BUILD_BUG_ON(sizeof(struct aiguard_status) != 304);
	BUILD_BUG_ON(sizeof(struct aiguard_mode) != 8);
	BUILD_BUG_ON(sizeof(struct aiguard_grant) != 32);
	BUILD_BUG_ON(sizeof(struct aiguard_revoke) != 16);
	BUILD_BUG_ON(sizeof(struct aiguard_grant_info) != 24);
	BUILD_BUG_ON(sizeof(struct aiguard_grant_list) != 32);
	BUILD_BUG_ON(sizeof(struct aiguard_lock) != 8);
	BUILD_BUG_ON(sizeof(struct aiguard_event) != 160);
	BUILD_BUG_ON(AIGUARD_HOOK_NR > AIGUARD_HOOK_SLOTS);
}

/*
 * Resolve a target to a referenced struct pid. A pidfd names its process
 * race-free; a pid number is looked up in the caller's pid namespace.
 */
static struct pid *aiguard_target_pid(const struct aiguard_target *target)
{
	struct pid *pid;
	struct file *f;
	int err = aiguard_target_check(target);

	if (err)
		return ERR_PTR(err);

	switch (target->type) {
	case AIGUARD_TARGET_SELF:
		return get_pid(task_tgid(current));
	case AIGUARD_TARGET_PID:
		pid = find_get_pid(target->id);
		return pid ? pid : ERR_PTR(-ESRCH);
	default:
		f = fget(target->id);
		if (!f)
			return ERR_PTR(-EBADF);
		pid = aiguard_pidfd_pid(f);
		if (!IS_ERR(pid))
			get_pid(pid);
		fput(f);
		return pid;
	}
}

/*
 * The handlers below get the kernel copy of their argument: the
 * dispatcher (aiguard_ioctl()) copies it in for _IOW commands, zeroes it
 * for _IOR ones, and copies it back for _IOR commands that succeeded.
 */
static long aiguard_ioc_version(void *arg)
{
	struct aiguard_version *ver = arg;

	ver->abi_version = AIGUARD_ABI_VERSION;
	ver->label_max = AIGUARD_LABEL_MAX;
	return 0;
}

/* Resolve @target, run @fn on the pid, drop it. */
static long aiguard_with_pid(const struct aiguard_target *target,
			     long (*fn)(struct pid *pid, void *arg), void *arg)
{
	struct pid *pid = aiguard_target_pid(target);
	long err;

	if (IS_ERR(pid))
		return PTR_ERR(pid);
	err = fn(pid, arg);
	put_pid(pid);
	return err;
}

static long aiguard_protect_one(struct pid *pid, void *arg)
{
	struct aiguard_protect *req = arg;
	struct task_struct *task;
	long err;

	/* the hooks that only something protected needs, attached first */
	err = aiguard_hooks_hold();
	if (err)
		return err;
	/* nothing can be protected while a program can read any address */
	err = aiguard_bpf_protect_begin();
	if (err) {
		aiguard_hooks_release();
		return err;
	}
	err = aiguard_protect_pid(pid, req->label, req->flags);
	aiguard_bpf_protect_end();
	aiguard_hooks_release();
	/* what an outsider opened on it before does not outlive protection */
	task = err ? NULL : aiguard_pid_task(pid);
	if (task) {
		aiguard_evict_watchers(task);
		put_task_struct(task);
	}
	return err;
}

static long aiguard_ioc_protect(void *arg)
{
	struct aiguard_protect *req = arg;
	bool permissive = req->flags & AIGUARD_PROTECT_PERMISSIVE;
	long err;

	if ((req->flags & ~(AIGUARD_PROTECT_PERMISSIVE | AIGUARD_PROTECT_JOIN |
			    AIGUARD_PROTECT_ENTER)) ||
	    req->reserved)
		return -EINVAL;
	err = aiguard_label_check(req->label, true);
	if (!err)
		err = aiguard_policy_lock_check(permissive ? AIGUARD_OP_PROTECT_PERMISSIVE :
						AIGUARD_OP_PROTECT, aiguard_locked());
	return err ?: aiguard_with_pid(&req->target, aiguard_protect_one, req);
}

static long aiguard_unprotect_one(struct pid *pid, void *arg)
{
	return aiguard_unprotect_pid(pid);
}

static long aiguard_ioc_unprotect(void *arg)
{
	struct aiguard_unprotect *req = arg;
	long err;

	if (req->flags || req->reserved)
		return -EINVAL;
	err = aiguard_policy_lock_check(AIGUARD_OP_UNPROTECT, aiguard_locked());
	return err ?: aiguard_with_pid(&req->target, aiguard_unprotect_one, NULL);
}

static void aiguard_info_fill(struct aiguard_process_info *info,
			      struct pid *tgid, const struct aiguard_entry *e)
{
	info->pid = pid_vnr(tgid);
	if (!e)
		return;
	info->flags = AIGUARD_PROC_PROTECTED;
	if (e->flags & AIGUARD_PROTECT_PERMISSIVE)
		info->flags |= AIGUARD_PROC_PERMISSIVE;
	if (e->flags & AIGUARD_PROTECT_ENTER)
		info->flags |= AIGUARD_PROC_ENTER;
	strscpy(info->label, e->label, sizeof(info->label));
}

static long aiguard_query_one(struct pid *pid, void *arg)
{
	struct aiguard_process_info *info = arg;
	struct task_struct *task = aiguard_pid_task(pid);

	if (!task)
		return -ESRCH;
	memset(info, 0, sizeof(*info));
	rcu_read_lock();
	aiguard_info_fill(info, task_tgid(task), aiguard_task_entry(task));
	rcu_read_unlock();
	put_task_struct(task);
	return 0;
}

static long aiguard_ioc_query(void *arg)
{
	struct aiguard_query *req = arg;

	if (req->flags || req->reserved)
		return -EINVAL;
	return aiguard_with_pid(&req->target, aiguard_query_one, &req->info);
}

/**
 * struct aiguard_list_ctx - state of one LIST walk
 * @buf: kernel copy of the caller's array
 * @capacity: its length
 * @count: entries written
 * @total: entries visible to the caller
 */
struct aiguard_list_ctx {
	struct aiguard_process_info *buf;
	u32 capacity;
	u32 count;
	u32 total;
};

static int aiguard_list_one(struct pid *tgid, const struct aiguard_entry *e,
			    void *arg)
{
	struct aiguard_list_ctx *ctx = arg;

	/* Processes outside the caller's pid namespace are not shown. */
	if (!pid_vnr(tgid))
		return 0;
	if (ctx->count < ctx->capacity)
		aiguard_info_fill(&ctx->buf[ctx->count++], tgid, e);
	ctx->total++;
	return 0;
}

/* An upper bound on one LIST call, so the kernel copy stays small. */
#define AIGUARD_LIST_MAX 65536

/*
 * Copy @count elements of @size bytes from @buf to the caller's array;
 * @buf is freed either way.
 */
static long aiguard_copy_array(u64 uptr, void *buf, u32 count, size_t size)
{
	long err = 0;

	if (count && copy_to_user(u64_to_user_ptr(uptr), buf, array_size(count, size)))
		err = -EFAULT;
	kvfree(buf);
	return err;
}

static long aiguard_ioc_list(void *arg)
{
	struct aiguard_list *req = arg;
	struct aiguard_list_ctx ctx = { };
	long err;

	if (req->flags || req->reserved || (!req->entries && req->capacity))
		return -EINVAL;
	ctx.capacity = min_t(u32, req->capacity, AIGUARD_LIST_MAX);
	if (ctx.capacity) {
		ctx.buf = kvcalloc(ctx.capacity, sizeof(*ctx.buf), GFP_KERNEL);
		if (!ctx.buf)
			return -ENOMEM;
	}
	aiguard_task_for_each(aiguard_list_one, &ctx);
	err = aiguard_copy_array(req->entries, ctx.buf, ctx.count, sizeof(*ctx.buf));
	req->count = ctx.count;
	req->total = ctx.total;
	return err;
}

static long aiguard_ioc_stats(void *arg)
{
	struct aiguard_stats *stats = arg;

	aiguard_task_counts(&stats->nr_protected, &stats->nr_pending);
	aiguard_stats_fill(stats);
	aiguard_hooks_missed(stats->missed);
	return 0;
}

static long aiguard_ioc_status(void *arg)
{
	struct aiguard_status *status = arg;

	status->state = aiguard_state();
	status->nr_grants = aiguard_grant_count();
	status->events = aiguard_ring_written(&aiguard_audit_ring);
	status->events_dropped = aiguard_ring_overwritten(&aiguard_audit_ring);
	status->ring_size = aiguard_audit_ring.capacity;
	status->cleared_pages = aiguard_mem_cleared();
	status->unchecked_progs = aiguard_bpf_nr_unchecked();
	status->objects = aiguard_obj_count();
	aiguard_stats_fill_status(status);
	return 0;
}

static long aiguard_ioc_set_mode(void *arg)
{
	struct aiguard_mode *req = arg;
	long err;

	if ((req->flags & ~AIGUARD_MODE_PERMISSIVE) || req->reserved)
		return -EINVAL;
	err = aiguard_set_permissive(req->flags & AIGUARD_MODE_PERMISSIVE);
	if (!err)
		aiguard_evict_tracers();
	return err;
}

static long aiguard_grant_one(struct pid *tracer, void *arg)
{
	struct aiguard_grant *req = arg;
	struct pid *target = aiguard_target_pid(&req->target);
	long err;

	if (IS_ERR(target))
		return PTR_ERR(target);
	err = aiguard_task_grant(tracer, target, req->ttl_sec, &req->id);
	put_pid(target);
	return err;
}

static long aiguard_ioc_grant(void *arg)
{
	struct aiguard_grant *req = arg;
	long err;

	if (req->flags || req->id || !req->ttl_sec || req->ttl_sec > AIGUARD_GRANT_TTL_MAX)
		return -EINVAL;
	err = aiguard_policy_lock_check(AIGUARD_OP_GRANT, aiguard_locked());
	return err ?: aiguard_with_pid(&req->tracer, aiguard_grant_one, req);
}

static long aiguard_ioc_revoke(void *arg)
{
	struct aiguard_revoke *req = arg;
	long err;

	if (req->flags || req->reserved)
		return -EINVAL;
	err = aiguard_grant_revoke(req->id);
	if (!err)
		aiguard_evict_tracers();
	return err;
}

static long aiguard_ioc_list_grants(void *arg)
{
	struct aiguard_grant_list *req = arg;
	struct aiguard_grant_info *buf = NULL;
	u32 capacity, count;

	if (req->flags || req->reserved || (!req->entries && req->capacity))
		return -EINVAL;
	capacity = min_t(u32, req->capacity, AIGUARD_GRANTS_MAX);
	if (capacity) {
		buf = kvcalloc(capacity, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	count = aiguard_grant_list(buf, capacity, &req->total);
	req->count = count;
	return aiguard_copy_array(req->entries, buf, count, sizeof(*buf));
}

static long aiguard_ioc_lock(void *arg)
{
	struct aiguard_lock *req = arg;
	long err;

	if (req->flags || req->reserved)
		return -EINVAL;
	/* No other kernel may boot over the RAM once locked. */
	err = aiguard_seal_kexec() ?: aiguard_lock();
	if (!err) {
		aiguard_grant_end_all();
		aiguard_evict_tracers();
	}
	return err;
}

/* Room for the argument of any command in aiguard_iocs[]. */
union aiguard_ioc_arg {
	struct aiguard_version version;
	struct aiguard_protect protect;
	struct aiguard_unprotect unprotect;
	struct aiguard_query query;
	struct aiguard_list list;
	struct aiguard_stats stats;
	struct aiguard_status status;
	struct aiguard_mode mode;
	struct aiguard_grant grant;
	struct aiguard_revoke revoke;
	struct aiguard_grant_list grant_list;
	struct aiguard_lock lock;
};

/**
 * struct aiguard_ioc - one ioctl command
 * @cmd: its number, which also gives the argument's size and direction
 * @fn: its handler, given the kernel copy of the argument
 * @admin: whether it changes state, and so needs CAP_SYS_ADMIN at call
 *         time (an open descriptor may have been passed on)
 */
struct aiguard_ioc {
	unsigned int cmd;
	long (*fn)(void *arg);
	bool admin;
};

#define AIGUARD_IOC(c, handler, needs_admin) \
	{ .cmd = (c), .fn = (handler), .admin = (needs_admin) }

static const struct aiguard_ioc aiguard_iocs[] = {
	AIGUARD_IOC(AIGUARD_IOC_GET_VERSION, aiguard_ioc_version, false),
	AIGUARD_IOC(AIGUARD_IOC_PROTECT, aiguard_ioc_protect, true),
	AIGUARD_IOC(AIGUARD_IOC_UNPROTECT, aiguard_ioc_unprotect, true),
	AIGUARD_IOC(AIGUARD_IOC_QUERY, aiguard_ioc_query, false),
	AIGUARD_IOC(AIGUARD_IOC_LIST, aiguard_ioc_list, false),
	AIGUARD_IOC(AIGUARD_IOC_GET_STATS, aiguard_ioc_stats, false),
	AIGUARD_IOC(AIGUARD_IOC_GET_STATUS, aiguard_ioc_status, false),
	AIGUARD_IOC(AIGUARD_IOC_SET_MODE, aiguard_ioc_set_mode, true),
	AIGUARD_IOC(AIGUARD_IOC_GRANT, aiguard_ioc_grant, true),
	AIGUARD_IOC(AIGUARD_IOC_REVOKE, aiguard_ioc_revoke, true),
	AIGUARD_IOC(AIGUARD_IOC_LIST_GRANTS, aiguard_ioc_list_grants, false),
	AIGUARD_IOC(AIGUARD_IOC_LOCK, aiguard_ioc_lock, true),
};

static const struct aiguard_ioc *aiguard_ioc_find(unsigned int cmd)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(aiguard_iocs); i++)
		if (aiguard_iocs[i].cmd == cmd)
			return &aiguard_iocs[i];
	return NULL;
}

static long aiguard_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct aiguard_ioc *ioc = aiguard_ioc_find(cmd);
	void __user *uarg = (void __user *)arg;
	union aiguard_ioc_arg buf;
	long err;

	/* A command whose argument is missing from the union is a bug. */
	if (!ioc || WARN_ON_ONCE(_IOC_SIZE(cmd) > sizeof(buf)))
		return -ENOTTY;
	if (ioc->admin && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	memset(&buf, 0, sizeof(buf));
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(&buf, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;
	err = ioc->fn(&buf);
	if (!err && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &buf, _IOC_SIZE(cmd)))
		return -EFAULT;
	return err;
}

/**
 * struct aiguard_reader - an open file's place in the audit stream
 * @pos: sequence number of the next record it reads
 */
struct aiguard_reader {
	u64 pos;
};

static int aiguard_open(struct inode *inode, struct file *file)
{
	struct aiguard_reader *reader = kzalloc(sizeof(*reader), GFP_KERNEL);

	if (!reader)
		return -ENOMEM;
	reader->pos = aiguard_ring_oldest(&aiguard_audit_ring);
	file->private_data = reader;
	return 0;
}

static int aiguard_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static bool aiguard_reader_ready(struct aiguard_reader *reader)
{
	return reader->pos < aiguard_ring_written(&aiguard_audit_ring) + 1;
}

static ssize_t aiguard_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct aiguard_reader *reader = file->private_data;
	struct aiguard_event ev;
	size_t done = 0;
	int err;

	if (len < sizeof(ev))
		return -EINVAL;
	for (;;) {
		if (aiguard_ring_read(&aiguard_audit_ring, &reader->pos, &ev))
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(aiguard_audit_ring.wait,
					       aiguard_reader_ready(reader));
		if (err)
			return err;
	}
	do {
		if (copy_to_user(buf + done, &ev, sizeof(ev)))
			return done ? done : -EFAULT;
		done += sizeof(ev);
	} while (len - done >= sizeof(ev) &&
		 aiguard_ring_read(&aiguard_audit_ring, &reader->pos, &ev));
	return done;
}

static __poll_t aiguard_poll(struct file *file, poll_table *wait)
{
	struct aiguard_reader *reader = file->private_data;

	poll_wait(file, &aiguard_audit_ring.wait, wait);
	return aiguard_reader_ready(reader) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations aiguard_fops = {
	.owner = THIS_MODULE,
	.open = aiguard_open,
	.release = aiguard_release,
	.read = aiguard_read,
	.poll = aiguard_poll,
	.unlocked_ioctl = aiguard_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice aiguard_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = AIGUARD_DEVICE_NAME,
	.fops = &aiguard_fops,
	.mode = 0600,
};

/**
 * aiguard_dev_init - create /dev/aiguard
 *
 * Return: 0 or a negative errno.
 */
int aiguard_dev_init(void)
{
	return misc_register(&aiguard_misc);
}

/**
 * aiguard_dev_exit - remove /dev/aiguard
 */
void aiguard_dev_exit(void)
{
	misc_deregister(&aiguard_misc);
}
