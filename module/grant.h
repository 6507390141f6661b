/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard grants: break-glass access of one named process to one
 * protected process until a deadline. A service: it knows pids, not
 * protection; task.c checks the target before it asks for a grant.
 */
#ifndef _AIGUARD_GRANT_H
#define _AIGUARD_GRANT_H

#include <linux/types.h>
#include <linux/aiguard.h>

struct pid;
struct task_struct;

int aiguard_grant_add(struct pid *tracer, struct pid *target, u32 ttl_sec,
		      u64 *id);
int aiguard_grant_revoke(u64 id);
u64 aiguard_grant_check(struct task_struct *target);
bool aiguard_grant_covers(struct task_struct *tracer, struct task_struct *target);
unsigned int aiguard_grant_ends(void);
unsigned int aiguard_grant_count(void);
u32 aiguard_grant_list(struct aiguard_grant_info *buf, u32 capacity, u32 *total);
void aiguard_grant_end_all(void);
void aiguard_grant_exit(void);

#endif /* _AIGUARD_GRANT_H */
