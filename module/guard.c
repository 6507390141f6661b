// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard guard: the module-wide switches (global permissive mode, the
 * lock) and a watchdog that notices when the kernel stops calling the
 * hooks.
 *
 * Locking is one-way, like Yama's ptrace_scope=3: once set, unprotect,
 * permissive mode and new grants are refused, the module pins itself, and
 * delete_module("aiguard") is refused even with O_TRUNC (rmmod -f), which
 * MODULE_FORCE_UNLOAD kernels would otherwise honour.
 *
 * Root can switch off every kprobe through debugfs, or ftrace (and with
 * it ftrace-based kprobes) through kernel.ftrace_enabled. The latter is
 * refused while aiguard holds a permanent ftrace_ops (hooks.c); for the
 * former, the watchdog calls a probed canary function every second and
 * raises AIGUARD_STATE_HOOKS_DEAD, with a critical log line and an audit
 * record, when the probe no longer fires.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "aiguard.h"
#include "policy.h"

static bool aiguard_is_locked;
static bool aiguard_is_permissive;
static bool aiguard_hooks_dead;
static bool aiguard_guard_ready;
static DEFINE_MUTEX(aiguard_guard_mutex);

static void aiguard_watchdog(struct work_struct *work);
static DECLARE_DELAYED_WORK(aiguard_watchdog_work, aiguard_watchdog);

/**
 * aiguard_locked - whether the policy is sealed until reboot
 *
 * Return: true once aiguard_lock() has run.
 */
bool aiguard_locked(void)
{
	return READ_ONCE(aiguard_is_locked);
}

/**
 * aiguard_permissive - whether global audit-only mode is on
 *
 * Return: true if decisions are recorded but not enforced.
 */
bool aiguard_permissive(void)
{
	return READ_ONCE(aiguard_is_permissive);
}

/**
 * aiguard_state - the AIGUARD_STATE_* bits now in force
 *
 * Return: the bits.
 */
u32 aiguard_state(void)
{
	u32 state = 0;

	if (aiguard_locked())
		state |= AIGUARD_STATE_LOCKED;
	if (aiguard_permissive())
		state |= AIGUARD_STATE_PERMISSIVE;
	if (READ_ONCE(aiguard_hooks_dead))
		state |= AIGUARD_STATE_HOOKS_DEAD;
	return state;
}

/**
 * aiguard_set_permissive - switch global audit-only mode
 * @on: the new mode
 *
 * Return: 0, or -EPERM to turn it on once locked.
 */
int aiguard_set_permissive(bool on)
{
	int err;

	mutex_lock(&aiguard_guard_mutex);
	err = aiguard_policy_lock_check(on ? AIGUARD_OP_PERMISSIVE_ON :
					AIGUARD_OP_PERMISSIVE_OFF, aiguard_locked());
	if (!err && on != aiguard_is_permissive) {
		WRITE_ONCE(aiguard_is_permissive, on);
		if (aiguard_guard_ready)
			aiguard_audit_state(AIGUARD_EVENT_MODE,
					    on ? AIGUARD_MODE_PERMISSIVE : 0);
		pr_notice("%s mode\n", on ? "permissive (audit-only)" : "enforcing");
	}
	mutex_unlock(&aiguard_guard_mutex);
	return err;
}

static int aiguard_param_set_permissive(const char *val,
					const struct kernel_param *kp)
{
	bool on;
	int err = kstrtobool(val, &on);

	return err ? err : aiguard_set_permissive(on);
}

static int aiguard_param_get_permissive(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", aiguard_permissive() ? 'Y' : 'N');
}

static const struct kernel_param_ops aiguard_permissive_ops = {
	.set = aiguard_param_set_permissive,
	.get = aiguard_param_get_permissive,
};
module_param_cb(permissive, &aiguard_permissive_ops, NULL, 0600);
MODULE_PARM_DESC(permissive, "Audit-only mode: record every decision but allow access (refused once locked)");

/**
 * aiguard_lock - seal the policy until reboot
 *
 * Return: 0; locking twice is not an error.
 */
int aiguard_lock(void)
{
	mutex_lock(&aiguard_guard_mutex);
	if (!aiguard_is_locked) {
		/* Permissive mode would leave a sealed policy unenforced. */
		WRITE_ONCE(aiguard_is_permissive, false);
		WRITE_ONCE(aiguard_is_locked, true);
		__module_get(THIS_MODULE);
		aiguard_audit_state(AIGUARD_EVENT_LOCK, aiguard_state());
		pr_notice("policy locked until reboot; the module can no longer be unloaded\n");
	}
	mutex_unlock(&aiguard_guard_mutex);
	return 0;
}

/**
 * aiguard_delete_module_denied - whether to refuse a delete_module() call
 * @name: its user-space module name argument
 *
 * Runs in kprobe context, so the name is read without faulting; a name
 * that cannot be read while locked is refused too.
 *
 * Return: true to fail the call with EPERM.
 */
bool aiguard_delete_module_denied(const char __user *name)
{
	char buf[sizeof(KBUILD_MODNAME)];

	if (!aiguard_policy_lock_check(AIGUARD_OP_UNLOAD, aiguard_locked()))
		return false;
	if (copy_from_user_nofault(buf, name, sizeof(buf)))
		return true;
	return !memcmp(buf, KBUILD_MODNAME, sizeof(buf));
}

static void aiguard_watchdog(struct work_struct *work)
{
	bool dead = !aiguard_hooks_alive();

	if (dead != READ_ONCE(aiguard_hooks_dead)) {
		WRITE_ONCE(aiguard_hooks_dead, dead);
		if (dead)
			pr_crit("CRITICAL: kprobes no longer fire (disabled through debugfs?): processes are NOT protected\n");
		else
			pr_notice("kprobes fire again; protection restored\n");
		aiguard_audit_state(AIGUARD_EVENT_TAMPER, aiguard_state());
	}
	schedule_delayed_work(&aiguard_watchdog_work, HZ);
}

/**
 * aiguard_guard_init - start the watchdog
 *
 * Return: 0.
 */
int aiguard_guard_init(void)
{
	aiguard_guard_ready = true;
	schedule_delayed_work(&aiguard_watchdog_work, HZ);
	return 0;
}

/**
 * aiguard_guard_exit - stop the watchdog
 */
void aiguard_guard_exit(void)
{
	cancel_delayed_work_sync(&aiguard_watchdog_work);
	aiguard_guard_ready = false;
}
