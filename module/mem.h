/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard mem: the memory a protected process lets go of is cleared before
 * the kernel frees it (mem.c). task.c and lsm.c say which address spaces
 * are protected; mem.c follows them with MMU notifiers.
 */
#ifndef _AIGUARD_MEM_H
#define _AIGUARD_MEM_H

#include <linux/types.h>

struct folio;
struct mm_struct;
struct task_struct;

int aiguard_mem_init(void);
void aiguard_mem_exit(void);
int aiguard_mem_track(struct mm_struct *mm);
int aiguard_mem_track_later(struct task_struct *task);
void aiguard_mem_untrack(struct mm_struct *mm);
u64 aiguard_mem_cleared(void);
bool aiguard_mem_clear_folio(struct folio *folio);
bool aiguard_mem_kernel_alias(unsigned long addr, size_t size);

#endif /* _AIGUARD_MEM_H */
