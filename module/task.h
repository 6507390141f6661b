/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard tasks: which thread groups are protected, and how protection
 * follows them through fork, exec and exit. task.c owns the registry;
 * nothing else touches it.
 */
#ifndef _AIGUARD_TASK_H
#define _AIGUARD_TASK_H

#include <linux/sched.h>
#include <linux/types.h>

#include "registry.h"

struct pid;

/* Defined in task.c; used here only by the inline hot-path tests below. */
extern struct aiguard_registry aiguard_registry;

/**
 * aiguard_task_none_protected - whether nothing is protected or pending
 *
 * The first test of every hook: inline, one or two loads, no call.
 *
 * Return: true if no task can be protected.
 */
static __always_inline bool aiguard_task_none_protected(void)
{
	return aiguard_registry_empty(&aiguard_registry);
}

/**
 * aiguard_task_may_be_protected - cheap test before a lookup
 * @task: any task
 *
 * Almost every check is about an unprotected task; this answers that
 * without a store or a call (registry.h, aiguard_registry_may_hold()).
 *
 * Return: false if @task is certainly not protected.
 */
static __always_inline bool aiguard_task_may_be_protected(struct task_struct *task)
{
	return aiguard_registry_may_hold(&aiguard_registry, task_tgid(task));
}

int aiguard_task_init(void);
void aiguard_task_exit(void);
unsigned int aiguard_task_entry_size(void);
void aiguard_task_counts(u64 *protected, u64 *pending);

const struct aiguard_entry *aiguard_task_entry(struct task_struct *task);
struct task_struct *aiguard_pid_task(struct pid *pid);
int aiguard_task_for_each(int (*fn)(struct pid *tgid,
				    const struct aiguard_entry *e, void *arg),
			  void *arg);

int aiguard_protect_pid(struct pid *pid, char *label, u32 flags);
int aiguard_unprotect_pid(struct pid *pid);
int aiguard_task_grant(struct pid *tracer, struct pid *target, u32 ttl_sec,
		       u64 *id);
int aiguard_task_selftest_mark(struct pid *tgid);
void aiguard_task_selftest_unmark(struct pid *tgid);

int aiguard_task_inherit(struct task_struct *child, unsigned long clone_flags);
void aiguard_task_forked(struct task_struct *parent, struct task_struct *child);
void aiguard_task_exited(struct task_struct *task);
void aiguard_task_freed(struct task_struct *task);

#endif /* _AIGUARD_TASK_H */
