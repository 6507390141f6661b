// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard skeleton: misc device and version ioctl.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/aiguard.h>

static long aiguard_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct aiguard_version ver = {
		.abi_version = AIGUARD_ABI_VERSION,
		.label_max = AIGUARD_LABEL_MAX,
	};

	if (cmd != AIGUARD_IOC_GET_VERSION)
		return -ENOTTY;
	if (copy_to_user((void __user *)arg, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

static const struct file_operations aiguard_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = aiguard_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice aiguard_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = AIGUARD_DEVICE_NAME,
	.fops = &aiguard_fops,
	.mode = 0600,
};

static int __init aiguard_init(void)
{
	return misc_register(&aiguard_misc);
}

static void __exit aiguard_exit(void)
{
	misc_deregister(&aiguard_misc);
}

module_init(aiguard_init);
module_exit(aiguard_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("aiguard: runtime memory isolation for AI workload processes");
