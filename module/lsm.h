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

struct mm_struct;
struct perf_event;
struct task_struct;

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

#endif /* _AIGUARD_LSM_H */
