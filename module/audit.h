/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard audit stream: a bounded ring of fixed-size records that hooks
 * fill in atomic context and readers of /dev/aiguard drain.
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

#endif /* _AIGUARD_AUDIT_H */
