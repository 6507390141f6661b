/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard guard: the module-wide switches (global permissive mode, the
 * lock) and the state bits that status reports.
 */
#ifndef _AIGUARD_GUARD_H
#define _AIGUARD_GUARD_H

#include <linux/types.h>

bool aiguard_locked(void);
int aiguard_lock(void);
bool aiguard_permissive(void);
unsigned int aiguard_guard_narrowings(void);
int aiguard_set_permissive(bool on);
void aiguard_guard_set_hooks_dead(bool dead);
u32 aiguard_state(void);
void aiguard_guard_init(void);
void aiguard_guard_exit(void);

#endif /* _AIGUARD_GUARD_H */
