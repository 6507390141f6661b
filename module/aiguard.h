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

struct aiguard_entry;
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
const struct aiguard_entry *aiguard_task_entry(struct task_struct *task);
struct task_struct *aiguard_pid_task(struct pid *pid);
int aiguard_protect_pid(struct pid *pid, char *label, u32 flags);
int aiguard_unprotect_pid(struct pid *pid);
int aiguard_task_inherit(struct task_struct *child, unsigned long clone_flags);
void aiguard_task_forked(struct task_struct *parent, struct task_struct *child);
void aiguard_task_exited(struct task_struct *task);
void aiguard_task_freed(struct task_struct *task);

/* lsm.c: the LSM-style handlers and their counters */
void aiguard_count(enum aiguard_hook hook, bool denied);
void aiguard_stats_fill(struct aiguard_stats *stats);
void aiguard_stats_reset(void);
void aiguard_status_counters(struct aiguard_status *status);

/* hooks.c: attaching the handlers */
int aiguard_hooks_attach(void);
void aiguard_hooks_detach(void);
void aiguard_hooks_missed(u64 missed[AIGUARD_HOOK_SLOTS]);

/* audit.c: the audit stream */
int aiguard_audit_init(void);
void aiguard_audit_exit(void);
void aiguard_audit_decision(u16 type, u16 hook, u32 detail, u64 count,
			    const char *caller_label, struct task_struct *target,
			    const char *target_label);
void aiguard_audit_protect(u16 type, struct task_struct *target,
			   const char *label, u32 flags);
void aiguard_audit_grant(u16 type, u64 id, struct pid *tracer, struct pid *target);
void aiguard_audit_state(u16 type, u32 detail);

/* grant.c: break-glass grants */
int aiguard_grant_add(struct pid *tracer, struct pid *target, u32 ttl_sec,
		      u64 *id);
int aiguard_grant_revoke(u64 id);
u64 aiguard_grant_check(struct task_struct *target);
unsigned int aiguard_grant_count(void);
u32 aiguard_grant_list(struct aiguard_grant_info *buf, u32 capacity, u32 *total);
void aiguard_grant_exit(void);

/* guard.c: lock, global mode, and watching the hooks stay alive */
bool aiguard_locked(void);
int aiguard_lock(void);
bool aiguard_permissive(void);
int aiguard_set_permissive(bool on);
u32 aiguard_state(void);
bool aiguard_delete_module_denied(const char __user *name);
int aiguard_guard_init(void);
void aiguard_guard_exit(void);

/* hooks.c: the canary the watchdog calls */
bool aiguard_hooks_alive(void);

/* dev.c */
int aiguard_dev_init(void);
void aiguard_dev_exit(void);

#endif /* _AIGUARD_H */
