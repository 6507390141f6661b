/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard LSM-style handlers (lsm.c), called by the attach code (hooks.c):
 * one per security hook, with the hook's arguments and return convention.
 */
#ifndef _AIGUARD_LSM_H
#define _AIGUARD_LSM_H

#include <linux/security.h>
#include <linux/types.h>
#include <linux/aiguard.h>

#include "obj.h"
#include "task.h"

struct address_space;
struct dentry;
struct file;
struct folio;
struct folio_batch;
struct inode;
struct kern_ipc_perm;
struct mm_struct;
struct page;
struct perf_event;
struct super_block;
struct task_struct;

/**
 * aiguard_secrets_held - whether anything is protected
 *
 * A protected process, or an object one created (obj.c), which outlives
 * it: while either exists, whole-memory readers (/proc/kcore, hibernation,
 * reads through kernel addresses) stay closed. Inline, two loads.
 *
 * Return: true if there is anything to keep.
 */
static __always_inline bool aiguard_secrets_held(void)
{
	return !aiguard_task_none_protected() || !aiguard_obj_none();
}

int aiguard_ptrace_access_check(struct task_struct *child, unsigned int mode,
				bool (*ns_join)(void));
int aiguard_ptrace_traceme(struct task_struct *parent);
int aiguard_perf_event_alloc(struct perf_event *event);
void aiguard_perf_event_free(struct perf_event *event);
int aiguard_locked_down(enum lockdown_reason what);
int aiguard_task_prctl(int option, unsigned long arg2);
void aiguard_bprm_committing_creds(void);
void aiguard_bprm_committed_creds(void);
int aiguard_kcore_read(void);
int aiguard_kprobes_switch(void);
int aiguard_kernel_load(bool module, bool kexec);
int aiguard_kexec_reboot(void);
bool aiguard_coredump(void);
int aiguard_delete_module(const char __user *name, unsigned int flags);
int aiguard_bpf_access(struct task_struct *task, enum aiguard_bpf_access what);
int aiguard_uprobe_install(struct mm_struct *mm);
int aiguard_uprobe_hit(void);
int aiguard_swap_out(struct mm_struct *mm, bool lazyfree);
int aiguard_migrate(struct mm_struct *mm, u32 how);
void aiguard_evict_tracers(void);
void aiguard_evict_watchers(struct task_struct *task);
int aiguard_proc_file_add(const struct file_operations *fops, bool seq, unsigned int mode);
int aiguard_proc_mem_access(struct mm_struct *mm, unsigned int mode);
int aiguard_trace_read(void);
int aiguard_perf_sample(void);
int aiguard_kernel_read(unsigned long addr, size_t size);
int aiguard_bpf_load(u32 detail, bool protecting);
int aiguard_inode_alloc(struct inode *inode);
void aiguard_d_instantiate(struct dentry *dentry, struct inode *inode);
int aiguard_shm_alloc(struct kern_ipc_perm *perm);
void aiguard_inode_free(struct inode *inode);
void aiguard_shm_free(struct kern_ipc_perm *perm);
int aiguard_file_open(struct file *file);
int aiguard_shm_shmat(struct kern_ipc_perm *perm);
int aiguard_shm_shmctl(struct kern_ipc_perm *perm, int cmd);
void aiguard_object_folio_freed(struct folio *folio);
void aiguard_object_batch_freed(struct address_space *mapping, struct folio_batch *fbatch);

#endif /* _AIGUARD_LSM_H */
