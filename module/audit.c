// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard audit ring (see audit.h).
 *
 * Writers never wait and never allocate: a full ring overwrites its oldest
 * record. Each reader keeps its own position; one that fell behind gets an
 * AIGUARD_EVENT_DROPPED record saying how many it lost, so nothing is lost
 * silently and no hook ever blocks on a slow reader.
 */
#include <linux/cred.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include <kunit/visibility.h>

#include "audit.h"

static void aiguard_ring_wake(struct irq_work *work)
{
	struct aiguard_ring *ring = container_of(work, struct aiguard_ring, wake);

	wake_up_interruptible(&ring->wait);
}

/**
 * aiguard_ring_init - allocate an empty ring
 * @ring: the ring
 * @capacity: records; rounded up to a power of two, at least 2
 *
 * Return: 0 or -ENOMEM.
 */
int aiguard_ring_init(struct aiguard_ring *ring, u32 capacity)
{
	ring->capacity = roundup_pow_of_two(max_t(u32, capacity, 2));
	ring->slots = vmalloc_array(ring->capacity, sizeof(*ring->slots));
	if (!ring->slots)
		return -ENOMEM;
	spin_lock_init(&ring->lock);
	ring->next_seq = 1;
	init_waitqueue_head(&ring->wait);
	init_irq_work(&ring->wake, aiguard_ring_wake);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_ring_init);

/**
 * aiguard_ring_destroy - free a ring; no writer or reader may remain
 * @ring: the ring
 */
void aiguard_ring_destroy(struct aiguard_ring *ring)
{
	irq_work_sync(&ring->wake);
	vfree(ring->slots);
	ring->slots = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_ring_destroy);

/**
 * aiguard_ring_push - append a record; safe in any context but NMI
 * @ring: the ring
 * @ev: the record; its size, version, seq and time_ns are filled in here
 */
void aiguard_ring_push(struct aiguard_ring *ring, struct aiguard_event *ev)
{
	unsigned long flags;

	ev->size = sizeof(*ev);
	ev->version = AIGUARD_EVENT_VERSION;
	ev->time_ns = ktime_get_real_ns();
	spin_lock_irqsave(&ring->lock, flags);
	ev->seq = ring->next_seq++;
	ring->slots[ev->seq & (ring->capacity - 1)] = *ev;
	spin_unlock_irqrestore(&ring->lock, flags);
	if (wq_has_sleeper(&ring->wait))
		irq_work_queue(&ring->wake);
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_ring_push);

static u64 aiguard_ring_oldest_locked(struct aiguard_ring *ring)
{
	return ring->next_seq > ring->capacity ? ring->next_seq - ring->capacity : 1;
}

/**
 * aiguard_ring_oldest - sequence number of the oldest record still held
 * @ring: the ring
 *
 * Return: where a new reader starts.
 */
u64 aiguard_ring_oldest(struct aiguard_ring *ring)
{
	unsigned long flags;
	u64 seq;

	spin_lock_irqsave(&ring->lock, flags);
	seq = aiguard_ring_oldest_locked(ring);
	spin_unlock_irqrestore(&ring->lock, flags);
	return seq;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_ring_oldest);

/**
 * aiguard_ring_read - take the next record for one reader
 * @ring: the ring
 * @pos: the reader's next sequence number; advanced
 * @ev: where the record goes
 *
 * A reader behind the oldest record gets a synthetic
 * %AIGUARD_EVENT_DROPPED record counting what it lost, then continues from
 * the oldest one.
 *
 * Return: true if @ev was filled, false if the reader is up to date.
 */
bool aiguard_ring_read(struct aiguard_ring *ring, u64 *pos,
		       struct aiguard_event *ev)
{
	unsigned long flags;
	bool got = true;
	u64 oldest;

	spin_lock_irqsave(&ring->lock, flags);
	oldest = aiguard_ring_oldest_locked(ring);
	if (*pos < oldest) {
		memset(ev, 0, sizeof(*ev));
		ev->size = sizeof(*ev);
		ev->version = AIGUARD_EVENT_VERSION;
		ev->type = AIGUARD_EVENT_DROPPED;
		ev->hook = AIGUARD_HOOK_NONE;
		ev->count = oldest - *pos;
		ev->seq = *pos;
		ev->time_ns = ktime_get_real_ns();
		*pos = oldest;
	} else if (*pos < ring->next_seq) {
		*ev = ring->slots[*pos & (ring->capacity - 1)];
		(*pos)++;
	} else {
		got = false;
	}
	spin_unlock_irqrestore(&ring->lock, flags);
	return got;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_ring_read);

/**
 * aiguard_ring_written - records pushed since the ring was made
 * @ring: the ring
 *
 * Return: the count.
 */
u64 aiguard_ring_written(struct aiguard_ring *ring)
{
	return READ_ONCE(ring->next_seq) - 1;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_ring_written);

/**
 * aiguard_ring_overwritten - records lost to a reader that never read
 * @ring: the ring
 *
 * Return: how many records have been overwritten.
 */
u64 aiguard_ring_overwritten(struct aiguard_ring *ring)
{
	u64 written = aiguard_ring_written(ring);

	return written > ring->capacity ? written - ring->capacity : 0;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_ring_overwritten);

/* The module's stream. */
struct aiguard_ring aiguard_audit_ring;

static unsigned int audit_records = 4096;
module_param(audit_records, uint, 0444);
MODULE_PARM_DESC(audit_records, "Capacity of the audit ring in records (power of two, default 4096)");

/**
 * aiguard_audit_init - allocate the module's audit ring
 *
 * Return: 0 or -ENOMEM.
 */
int aiguard_audit_init(void)
{
	return aiguard_ring_init(&aiguard_audit_ring, clamp(audit_records, 16U, 1U << 20));
}

/**
 * aiguard_audit_exit - free the audit ring; no hook or reader remains
 */
void aiguard_audit_exit(void)
{
	aiguard_ring_destroy(&aiguard_audit_ring);
}

/*
 * get_task_comm() takes task_lock(), which ptrace_may_access() already
 * holds for the target when our hook runs; a racy copy is good enough.
 */
static void aiguard_comm(char *buf, struct task_struct *task)
{
	strscpy_pad(buf, task->comm, TASK_COMM_LEN);
}

static void aiguard_event_caller(struct aiguard_event *ev, const char *label)
{
	ev->caller_pid = task_pid_nr(current);
	ev->caller_tgid = task_tgid_nr(current);
	ev->caller_uid = from_kuid(&init_user_ns, current_uid());
	aiguard_comm(ev->caller_comm, current);
	if (label)
		strscpy(ev->caller_label, label, sizeof(ev->caller_label));
}

static void aiguard_event_target(struct aiguard_event *ev,
				 struct task_struct *target, const char *label)
{
	if (target) {
		ev->target_pid = task_pid_nr(target);
		ev->target_tgid = task_tgid_nr(target);
		aiguard_comm(ev->target_comm, target);
	}
	if (label)
		strscpy(ev->target_label, label, sizeof(ev->target_label));
}

/**
 * aiguard_audit_decision - record a hook's decision
 * @type: DENY, AUDIT or GRANT_USED
 * @hook: enum aiguard_hook
 * @detail: what was attempted (PTRACE_MODE_* bits, prctl option, ...)
 * @count: grant id for GRANT_USED, else 0
 * @caller_label: label of current, or NULL
 * @target: the protected task, or NULL for a system-wide decision
 * @target_label: its label, or NULL
 */
void aiguard_audit_decision(u16 type, u16 hook, u32 detail, u64 count,
			    const char *caller_label, struct task_struct *target,
			    const char *target_label)
{
	struct aiguard_event ev = { .type = type, .hook = hook,
				    .detail = detail, .count = count };

	aiguard_event_caller(&ev, caller_label);
	aiguard_event_target(&ev, target, target_label);
	aiguard_ring_push(&aiguard_audit_ring, &ev);
}

/**
 * aiguard_audit_protect - record protect, join or unprotect of a process
 * @type: PROTECT, JOIN or UNPROTECT
 * @target: the process
 * @label: its label
 * @flags: AIGUARD_PROTECT_* flags in force
 */
void aiguard_audit_protect(u16 type, struct task_struct *target,
			   const char *label, u32 flags)
{
	struct aiguard_event ev = { .type = type, .hook = AIGUARD_HOOK_NONE,
				    .detail = flags };

	aiguard_event_caller(&ev, NULL);
	aiguard_event_target(&ev, target, label);
	aiguard_ring_push(&aiguard_audit_ring, &ev);
}

/**
 * aiguard_audit_grant - record a grant being made or ending
 * @type: GRANT_ADD or GRANT_END
 * @id: the grant
 * @tracer: TGID pid of its tracer
 * @target: TGID pid of its target
 */
void aiguard_audit_grant(u16 type, u64 id, struct pid *tracer, struct pid *target)
{
	struct aiguard_event ev = { .type = type, .hook = AIGUARD_HOOK_NONE,
				    .count = id };
	struct task_struct *t;

	/* For grant records the "caller" is the tracer the grant names. */
	ev.caller_tgid = pid_nr(tracer);
	ev.caller_pid = ev.caller_tgid;
	ev.target_tgid = pid_nr(target);
	ev.target_pid = ev.target_tgid;
	rcu_read_lock();
	t = pid_task(tracer, PIDTYPE_TGID);
	if (t) {
		ev.caller_uid = from_kuid(&init_user_ns, task_uid(t));
		aiguard_comm(ev.caller_comm, t);
	}
	t = pid_task(target, PIDTYPE_TGID);
	if (t)
		aiguard_comm(ev.target_comm, t);
	rcu_read_unlock();
	aiguard_ring_push(&aiguard_audit_ring, &ev);
}

/**
 * aiguard_audit_evict - record a watcher killed for lost permission
 * @hook: AIGUARD_HOOK_PTRACE_ACCESS (a tracer) or _PERF_EVENT (an event owner)
 * @tracer: the watching task, killed
 * @tracer_label: its label, or NULL
 * @target: the protected task it watched
 * @target_label: its label
 */
void aiguard_audit_evict(u16 hook, struct task_struct *tracer, const char *tracer_label,
			 struct task_struct *target, const char *target_label)
{
	struct aiguard_event ev = { .type = AIGUARD_EVENT_EVICT, .hook = hook };

	ev.caller_pid = task_pid_nr(tracer);
	ev.caller_tgid = task_tgid_nr(tracer);
	ev.caller_uid = from_kuid(&init_user_ns, task_uid(tracer));
	aiguard_comm(ev.caller_comm, tracer);
	if (tracer_label)
		strscpy(ev.caller_label, tracer_label, sizeof(ev.caller_label));
	aiguard_event_target(&ev, target, target_label);
	aiguard_ring_push(&aiguard_audit_ring, &ev);
}

/**
 * aiguard_audit_state - record a change of the module's state
 * @type: LOCK, MODE or TAMPER
 * @detail: AIGUARD_STATE_* or AIGUARD_MODE_* bits now in force
 */
void aiguard_audit_state(u16 type, u32 detail)
{
	struct aiguard_event ev = { .type = type, .hook = AIGUARD_HOOK_NONE,
				    .detail = detail };

	aiguard_event_caller(&ev, NULL);
	aiguard_ring_push(&aiguard_audit_ring, &ev);
}
