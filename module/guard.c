// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard guard: the module-wide switches (global permissive mode, the
 * lock) and the state bits that status reports.
 *
 * Locking is one-way, like Yama's ptrace_scope=3: once set, unprotect,
 * permissive mode and new grants are refused, the module pins itself, and
 * delete_module("aiguard") is refused even with O_TRUNC (rmmod -f), which
 * MODULE_FORCE_UNLOAD kernels would otherwise honour.
 *
 * Whether the hooks still fire is watched by hooks.c, which reports here
 * (aiguard_guard_set_hooks_dead()) so that every state bit has one home.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>

#include "audit.h"
#include "guard.h"
#include "policy.h"

static bool aiguard_is_locked;
static bool aiguard_is_permissive;
static bool aiguard_hooks_dead;
static bool aiguard_guard_ready;
static atomic_t aiguard_guard_narrowed = ATOMIC_INIT(0);
static DEFINE_MUTEX(aiguard_guard_mutex);

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
 * aiguard_guard_narrowings - how often permissions shrank since load
 *
 * Return: a count that changes when permissive mode goes off or the
 * policy is locked: what was let in before may no longer be.
 */
unsigned int aiguard_guard_narrowings(void)
{
	return atomic_read(&aiguard_guard_narrowed);
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
		state |= AIGUARD_STATE_LOCKED | AIGUARD_STATE_SEALED;
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
		if (!on)
			atomic_inc(&aiguard_guard_narrowed);
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
		atomic_inc(&aiguard_guard_narrowed);
		__module_get(THIS_MODULE);
		aiguard_audit_state(AIGUARD_EVENT_LOCK, aiguard_state());
		pr_notice("policy locked until reboot; the module can no longer be unloaded, and the kernel is sealed as lockdown=integrity would\n");
	}
	mutex_unlock(&aiguard_guard_mutex);
	return 0;
}

/**
 * aiguard_guard_set_hooks_dead - report whether the kernel calls the hooks
 * @dead: true if the canary probe no longer fires
 *
 * A change is logged (critically when the hooks die) and recorded.
 */
void aiguard_guard_set_hooks_dead(bool dead)
{
	if (dead == READ_ONCE(aiguard_hooks_dead))
		return;
	WRITE_ONCE(aiguard_hooks_dead, dead);
	if (dead)
		pr_crit("CRITICAL: kprobes no longer fire (disabled through debugfs?): processes are NOT protected\n");
	else
		pr_notice("kprobes fire again; protection restored\n");
	aiguard_audit_state(AIGUARD_EVENT_TAMPER, aiguard_state());
}

/**
 * aiguard_guard_init - let mode changes be recorded from now on
 *
 * Before the audit ring exists (a permissive=1 module parameter is set
 * before init runs) a mode change is only logged.
 */
void aiguard_guard_init(void)
{
	mutex_lock(&aiguard_guard_mutex);
	aiguard_guard_ready = true;
	mutex_unlock(&aiguard_guard_mutex);
}

/**
 * aiguard_guard_exit - stop recording mode changes; the ring is going away
 *
 * The permissive parameter stays writable through sysfs until the module
 * is freed, after its exit function has run.
 */
void aiguard_guard_exit(void)
{
	mutex_lock(&aiguard_guard_mutex);
	aiguard_guard_ready = false;
	mutex_unlock(&aiguard_guard_mutex);
}
