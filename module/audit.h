/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard audit stream: a bounded ring of fixed-size records that hooks
 * fill in atomic context and readers of /dev/aiguard drain. A service:
 * it calls nothing else in aiguard.
 */
#ifndef _AIGUARD_AUDIT_H
#define _AIGUARD_AUDIT_H

#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/aiguard.h>

/**
 * struct aiguard_ring - records by sequence number, oldest overwritten
 * @lock: serialises writers and readers' copies
 * @slots: @capacity records; record seq s lives in slot s % @capacity
 * @capacity: a power of two
 * @next_seq: sequence number the next record gets (the first is 1)
 * @wait: readers sleeping in read() or poll()
 * @wake: defers the wake-up out of the hook's context, whatever locks
 *        the hooked function holds
 */
struct aiguard_ring {
	spinlock_t lock; /* protects slots and next_seq */
	struct aiguard_event *slots;
	u32 capacity;
	u64 next_seq;
	wait_queue_head_t wait;
	struct irq_work wake;
};

int aiguard_ring_init(struct aiguard_ring *ring, u32 capacity);
void aiguard_ring_destroy(struct aiguard_ring *ring);
void aiguard_ring_push(struct aiguard_ring *ring, struct aiguard_event *ev);
bool aiguard_ring_read(struct aiguard_ring *ring, u64 *pos,
		       struct aiguard_event *ev);
u64 aiguard_ring_oldest(struct aiguard_ring *ring);
u64 aiguard_ring_written(struct aiguard_ring *ring);
u64 aiguard_ring_overwritten(struct aiguard_ring *ring);

extern struct aiguard_ring aiguard_audit_ring;

struct pid;
struct task_struct;

int aiguard_audit_init(void);
void aiguard_audit_exit(void);
void aiguard_audit_decision(u16 type, u16 hook, u32 detail, u64 count,
			    const char *caller_label, struct task_struct *target,
			    const char *target_label);
void aiguard_audit_protect(u16 type, struct task_struct *target,
			   const char *label, u32 flags);
void aiguard_audit_grant(u16 type, u64 id, struct pid *tracer, struct pid *target);
void aiguard_audit_state(u16 type, u32 detail);
void aiguard_audit_evict(u16 hook, struct task_struct *tracer, const char *tracer_label,
			 struct task_struct *target, const char *target_label);

#endif /* _AIGUARD_AUDIT_H */
