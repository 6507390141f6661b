/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard hooks: attaching the handlers of lsm.c and task.c to the kernel
 * (kprobes and tracepoints), the load-time self-test, and the watchdog
 * that checks the probes keep firing.
 */
#ifndef _AIGUARD_HOOKS_H
#define _AIGUARD_HOOKS_H

#include <linux/types.h>
#include <linux/aiguard.h>

int aiguard_load_fault(const char *what);
int aiguard_hooks_attach(void);
void aiguard_hooks_watch(void);
void aiguard_hooks_detach(void);
void aiguard_hooks_missed(u64 missed[AIGUARD_HOOK_SLOTS]);
int aiguard_hooks_hold(void);
void aiguard_hooks_release(void);

#endif /* _AIGUARD_HOOKS_H */
