// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard - runtime memory isolation for AI workload processes
 *
 * Load order is fail-closed: the registry and the audit ring, then every
 * hook with a self-test, and only then the device that lets anyone ask
 * for protection, and the watchdog. If any step fails, nothing stays
 * behind.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/utsname.h>

#include "audit.h"
#include "dev.h"
#include "grant.h"
#include "guard.h"
#include "hooks.h"
#include "obj.h"
#include "task.h"

static int __init aiguard_init(void)
{
	int err;

	err = aiguard_task_init();
	if (err)
		return err;
	err = aiguard_obj_init();
	if (err)
		goto err_task;
	err = aiguard_audit_init();
	if (err)
		goto err_obj;
	err = aiguard_hooks_attach();
	if (err)
		goto err_audit;
	err = aiguard_load_fault("device") ?: aiguard_dev_init();
	if (err) {
		pr_err("refusing to load: cannot register /dev/%s (error %d)\n",
		       AIGUARD_DEVICE_NAME, err);
		goto err_hooks;
	}
	aiguard_guard_init();
	aiguard_hooks_watch();
	pr_info("enforcing on %s (ABI %d, %u bytes per protected process)\n",
		init_utsname()->release, AIGUARD_ABI_VERSION,
		aiguard_task_entry_size());
	return 0;

err_hooks:
	aiguard_hooks_detach();
err_audit:
	aiguard_audit_exit();
err_obj:
	aiguard_obj_exit();
err_task:
	aiguard_task_exit();
	return err;
}

static void __exit aiguard_exit(void)
{
	aiguard_guard_exit();
	aiguard_dev_exit();
	aiguard_hooks_detach();
	aiguard_obj_exit();
	aiguard_grant_exit();
	aiguard_task_exit();
	aiguard_audit_exit();
	pr_info("unloaded; no process is protected any more\n");
}

module_init(aiguard_init);
module_exit(aiguard_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("aiguard: runtime memory isolation for AI workload processes");
