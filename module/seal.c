// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard seal: no other kernel boots over the RAM after the lock.
 *
 * kexec replaces the running kernel with another one without clearing
 * RAM, and a crash (kdump) kernel loaded in advance boots on panic, where
 * its /proc/vmcore holds all of the old RAM: every protected process's
 * memory, a core dump of everything. The lock's own lockdown answers
 * (lsm.c) refuse kexec_load(), and kexec_file_load() of an image that
 * does not verify; but a distribution-signed kernel verifies, and
 * kexec_file_load() then asks lockdown nothing, and an image loaded
 * before the lock stays loaded. So at the lock:
 *
 * 1. loading a kexec or crash image is refused from this moment on
 *    (aiguard_kexec_closed(), asked by lsm.c's handlers of
 *    security_kernel_read_file() and security_kernel_load_data(), which
 *    every kexec load passes), so nothing can be loaded between 2 and 3;
 * 2. the crash image and the kexec image are unloaded, with the kexec
 *    system calls as kexec-tools would (-p -u, -u);
 * 3. kernel.kexec_load_disabled is set to 1, the kernel's own one-way
 *    switch, which refuses both system calls, unloads included.
 *
 * A crash kernel that cannot be unloaded (kexec_load_disabled already
 * set with an image loaded) fails the lock: kdump and the lock's promise
 * cannot both hold, and the lock does not pretend. A kexec image that
 * cannot be unloaded is harmless: reboot(LINUX_REBOOT_CMD_KEXEC), the one
 * way to boot it, is refused from step 1 on (lsm.c). The syscalls run as
 * the process that asked for the lock: CAP_SYS_BOOT is needed, as for
 * kexec itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kexec.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sched.h>

#include "compat.h"
#include "seal.h"
#include "sym.h"

/* From <uapi/linux/kexec.h>, which a module build cannot include as such. */
#define AIGUARD_KEXEC_FILE_UNLOAD	0x00000001UL
#define AIGUARD_KEXEC_FILE_ON_CRASH	0x00000002UL
#define AIGUARD_KEXEC_ON_CRASH		0x00000001UL

typedef long (*aiguard_syscall_fn)(const struct pt_regs *regs);

/* Found at load: the wrapper each unload goes through (NULL: no kexec). */
static aiguard_syscall_fn aiguard_kexec_file_load;
static aiguard_syscall_fn aiguard_kexec_load;

static DEFINE_MUTEX(aiguard_seal_mutex);
static bool aiguard_kexec_shut;		/* loads refused from now on */
static bool aiguard_kexec_sealed;	/* all three steps done */
static struct task_struct *aiguard_sealer;	/* the task unloading, meanwhile */

static aiguard_syscall_fn aiguard_seal_find(const char *name)
{
	unsigned long addr = aiguard_sym_addr(name);

	if (!addr)
		return NULL;
	if (!aiguard_indirect_callable(addr)) {
		pr_err("refusing to load: %s has no ENDBR, so the lock could not unload kexec images\n",
		       name);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return (aiguard_syscall_fn)addr;
}

/**
 * aiguard_seal_init - find the kexec system calls
 *
 * Return: 0, or -EOPNOTSUPP where they cannot be called (see the log).
 */
int aiguard_seal_init(void)
{
	aiguard_syscall_fn fn;

	might_sleep();
	fn = IS_ENABLED(CONFIG_KEXEC_FILE) ? aiguard_seal_find(AIGUARD_KEXEC_FILE_LOAD_SYMBOL) :
					      NULL;
	if (IS_ERR(fn))
		return PTR_ERR(fn);
	aiguard_kexec_file_load = fn;
	fn = IS_ENABLED(CONFIG_KEXEC) ? aiguard_seal_find(AIGUARD_KEXEC_LOAD_SYMBOL) : NULL;
	if (IS_ERR(fn))
		return PTR_ERR(fn);
	aiguard_kexec_load = fn;
	return 0;
}

/**
 * aiguard_kexec_closed - whether loading a kexec or crash image is refused
 *
 * Any context. The lock's own unloading (by the task sealing) passes.
 *
 * Return: true from the moment the lock began sealing.
 */
bool aiguard_kexec_closed(void)
{
	return READ_ONCE(aiguard_kexec_shut) && READ_ONCE(aiguard_sealer) != current;
}

/* Unloads one image; retries while a load begun before step 1 holds kexec. */
static long aiguard_kexec_unload(bool crash)
{
	struct pt_regs regs = {};
	long err = -EOPNOTSUPP;
	int tries;

	for (tries = 0; tries < 50; tries++) {
		memset(&regs, 0, sizeof(regs));
		if (aiguard_kexec_file_load) {
			aiguard_syscall_args(&regs, -1, -1, 0, 0,
					     AIGUARD_KEXEC_FILE_UNLOAD |
					     (crash ? AIGUARD_KEXEC_FILE_ON_CRASH : 0));
			err = aiguard_kexec_file_load(&regs);
		} else if (aiguard_kexec_load) {
			/* no segments: unload (KEXEC_ARCH_DEFAULT is 0) */
			aiguard_syscall_args(&regs, 0, 0, 0,
					     crash ? AIGUARD_KEXEC_ON_CRASH : 0, 0);
			err = aiguard_kexec_load(&regs);
		}
		if (err != -EBUSY)
			break;
		msleep(20);
	}
	return err;
}

/* Step 3: the kernel's one-way switch, through its sysctl. */
static int aiguard_kexec_disable(void)
{
	struct file *f = filp_open("/proc/sys/kernel/kexec_load_disabled", O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, "1\n", 2, &pos);
	filp_close(f, NULL);
	return n == 2 ? 0 : n < 0 ? n : -EIO;
}

/**
 * aiguard_seal_kexec - unload kexec images and close kexec for good
 *
 * Called by the lock before it locks, as the process asking for it.
 * Sealing twice is sealing once.
 *
 * Return: 0; -EPERM if the caller may not use kexec (CAP_SYS_BOOT); -EBUSY
 * if a crash image stays loaded (kexec_load_disabled was set with one
 * loaded); or another errno from the unload. On an error nothing is
 * locked, but kexec loads stay refused.
 */
int aiguard_seal_kexec(void)
{
	long crash, image;
	int err = 0;

	might_sleep();
	mutex_lock(&aiguard_seal_mutex);
	if (aiguard_kexec_sealed || (!aiguard_kexec_file_load && !aiguard_kexec_load))
		goto out;
	/* What kexec itself asks; the unloads below would fail without it. */
	if (!capable(CAP_SYS_BOOT)) {
		err = -EPERM;
		goto out;
	}
	WRITE_ONCE(aiguard_sealer, current);
	/* Step 1 is seen by every load that starts after this. */
	smp_store_mb(aiguard_kexec_shut, true);
	crash = aiguard_kexec_unload(true);
	image = aiguard_kexec_unload(false);
	WRITE_ONCE(aiguard_sealer, NULL);
	if (kexec_crash_loaded()) {
		pr_err("cannot lock: a crash kernel is loaded and cannot be unloaded (error %ld); kdump and the lock exclude each other\n",
		       crash);
		err = -EBUSY;
		goto out;
	}
	/*
	 * An image left loaded (kexec_load_disabled set earlier, error
	 * EPERM) can only be booted by reboot(LINUX_REBOOT_CMD_KEXEC), which
	 * lsm.c refuses from step 1 on.
	 */
	if (image)
		pr_warn("kexec image not unloaded (error %ld); rebooting into it is refused\n",
			image);
	err = aiguard_kexec_disable();
	if (err) {
		/* Loads stay refused by step 1; only the sysctl says otherwise. */
		pr_warn("cannot set kernel.kexec_load_disabled (error %d); aiguard refuses kexec loads itself\n",
			err);
		err = 0;
	}
	aiguard_kexec_sealed = true;
	pr_notice("kexec sealed: no kexec or crash image is loaded, and none can be\n");
out:
	mutex_unlock(&aiguard_seal_mutex);
	return err;
}
