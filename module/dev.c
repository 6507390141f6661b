// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard device: /dev/aiguard and its ioctl ABI (uapi/linux/aiguard.h).
 *
 * The node is root-only (0600), and every state-changing command checks
 * CAP_SYS_ADMIN again at call time, because an open descriptor can be
 * passed to, or inherited by, a less privileged process.
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
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "aiguard.h"
#include "compat.h"
#include "policy.h"
#include "registry.h"

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

static long aiguard_ioc_version(void __user *arg)
{
	struct aiguard_version ver = {
		.abi_version = AIGUARD_ABI_VERSION,
		.label_max = AIGUARD_LABEL_MAX,
	};

	return copy_to_user(arg, &ver, sizeof(ver)) ? -EFAULT : 0;
}

static long aiguard_ioc_protect(void __user *arg)
{
	struct aiguard_protect req;
	struct pid *pid;
	long err;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	err = aiguard_label_check(req.label, true);
	if (err)
		return err;
	pid = aiguard_target_pid(&req.target);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	err = aiguard_protect_pid(pid, req.label);
	put_pid(pid);
	if (err)
		return err;
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long aiguard_ioc_unprotect(void __user *arg)
{
	struct aiguard_unprotect req;
	struct pid *pid;
	long err;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	pid = aiguard_target_pid(&req.target);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	err = aiguard_unprotect_pid(pid);
	put_pid(pid);
	return err;
}

static void aiguard_info_fill(struct aiguard_process_info *info,
			      struct pid *tgid, const char *label)
{
	info->pid = pid_vnr(tgid);
	info->flags = label ? AIGUARD_PROC_PROTECTED : 0;
	if (label)
		strscpy(info->label, label, sizeof(info->label));
}

static long aiguard_ioc_query(void __user *arg)
{
	struct aiguard_query req;
	struct task_struct *task;
	struct pid *pid;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	pid = aiguard_target_pid(&req.target);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task)
		task = get_pid_task(pid, PIDTYPE_TGID);
	put_pid(pid);
	if (!task)
		return -ESRCH;

	memset(&req.info, 0, sizeof(req.info));
	rcu_read_lock();
	aiguard_info_fill(&req.info, task_tgid(task), aiguard_task_label(task));
	rcu_read_unlock();
	put_task_struct(task);
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
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

static int aiguard_list_one(const struct aiguard_entry *e, void *arg)
{
	struct aiguard_list_ctx *ctx = arg;
	struct pid *tgid = (struct pid *)e->key;

	/* Processes outside the caller's pid namespace are not shown. */
	if (!pid_vnr(tgid))
		return 0;
	if (ctx->count < ctx->capacity)
		aiguard_info_fill(&ctx->buf[ctx->count++], tgid, e->label);
	ctx->total++;
	return 0;
}

/* An upper bound on one LIST call, so the kernel copy stays small. */
#define AIGUARD_LIST_MAX 65536

static long aiguard_ioc_list(void __user *arg)
{
	struct aiguard_list_ctx ctx = { };
	struct aiguard_list req;
	long err = 0;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved || (!req.entries && req.capacity))
		return -EINVAL;
	ctx.capacity = min_t(u32, req.capacity, AIGUARD_LIST_MAX);
	if (ctx.capacity) {
		ctx.buf = kvcalloc(ctx.capacity, sizeof(*ctx.buf), GFP_KERNEL);
		if (!ctx.buf)
			return -ENOMEM;
	}
	aiguard_registry_for_each(&aiguard_registry, aiguard_list_one, &ctx);

	if (ctx.count &&
	    copy_to_user(u64_to_user_ptr(req.entries), ctx.buf,
			 array_size(ctx.count, sizeof(*ctx.buf))))
		err = -EFAULT;
	kvfree(ctx.buf);
	if (err)
		return err;
	req.count = ctx.count;
	req.total = ctx.total;
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long aiguard_ioc_stats(void __user *arg)
{
	struct aiguard_stats *stats;
	long err = 0;

	stats = kzalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	aiguard_stats_fill(stats);
	if (copy_to_user(arg, stats, sizeof(*stats)))
		err = -EFAULT;
	kfree(stats);
	return err;
}

static long aiguard_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case AIGUARD_IOC_GET_VERSION:
		return aiguard_ioc_version(uarg);
	case AIGUARD_IOC_QUERY:
		return aiguard_ioc_query(uarg);
	case AIGUARD_IOC_LIST:
		return aiguard_ioc_list(uarg);
	case AIGUARD_IOC_GET_STATS:
		return aiguard_ioc_stats(uarg);
	case AIGUARD_IOC_PROTECT:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return aiguard_ioc_protect(uarg);
	case AIGUARD_IOC_UNPROTECT:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return aiguard_ioc_unprotect(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations aiguard_fops = {
	.owner = THIS_MODULE,
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
