/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard internals shared between the module's files.
 */
#ifndef _AIGUARD_H
#define _AIGUARD_H

#include <linux/atomic.h>
#include <linux/export.h>
#include <linux/types.h>
#include <linux/aiguard.h>

/*
 * The KUnit module (tests/kunit/) calls the pure parts of aiguard; they are
 * exported, in their own namespace, only to kernels built with KUnit.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_FOR_AIGUARD_TESTS(sym) EXPORT_SYMBOL_NS_GPL(sym, AIGUARD_KUNIT)
#else
#define EXPORT_SYMBOL_FOR_AIGUARD_TESTS(sym)
#endif

struct aiguard_registry;
struct pid;
struct task_struct;

/* registry.c */
int aiguard_registry_cache_init(void);
void aiguard_registry_cache_exit(void);
unsigned int aiguard_registry_entry_size(void);

/* task.c: protection of tasks, on top of the registry */
extern struct aiguard_registry aiguard_registry;
int aiguard_task_init(void);
void aiguard_task_exit(void);
const char *aiguard_task_label(struct task_struct *task);
int aiguard_protect_pid(struct pid *pid, char *label);
int aiguard_unprotect_pid(struct pid *pid);
int aiguard_task_inherit(struct task_struct *child, unsigned long clone_flags);
void aiguard_task_forked(struct task_struct *parent, struct task_struct *child);
void aiguard_task_exited(struct task_struct *task);
void aiguard_task_freed(struct task_struct *task);

/* lsm.c: the LSM-style handlers and their counters */
void aiguard_count(enum aiguard_hook hook, bool denied);
void aiguard_stats_fill(struct aiguard_stats *stats);
void aiguard_stats_reset(void);

/* hooks.c: attaching the handlers */
int aiguard_hooks_attach(void);
void aiguard_hooks_detach(void);
void aiguard_hooks_missed(u64 missed[AIGUARD_HOOK_SLOTS]);

/* dev.c */
int aiguard_dev_init(void);
void aiguard_dev_exit(void);

#endif /* _AIGUARD_H */
