// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard stats: one atomic64 per hook and outcome. Handlers count from
 * kprobe context; /dev/aiguard copies the counters out.
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/minmax.h>

#include "stats.h"

static atomic64_t aiguard_counters[4][AIGUARD_HOOK_NR];
static atomic_t aiguard_sampling_events;

/**
 * aiguard_stats_count - count one decision
 * @hook: the hook that decided
 * @outcome: what became of it
 *
 * Safe in any context.
 */
void aiguard_stats_count(enum aiguard_hook hook, enum aiguard_outcome outcome)
{
	atomic64_inc(&aiguard_counters[outcome][hook]);
}

/**
 * aiguard_stats_reset - zero every counter
 *
 * Used once at load, so the operator's counters do not start at the
 * self-test's decisions.
 */
void aiguard_stats_reset(void)
{
	int o, i;

	for (o = 0; o < ARRAY_SIZE(aiguard_counters); o++)
		for (i = 0; i < AIGUARD_HOOK_NR; i++)
			atomic64_set(&aiguard_counters[o][i], 0);
}

static void aiguard_stats_copy(u64 *out, enum aiguard_outcome outcome)
{
	int i;

	for (i = 0; i < AIGUARD_HOOK_NR; i++)
		out[i] = atomic64_read(&aiguard_counters[outcome][i]);
}

/**
 * aiguard_stats_fill - copy the allowed and denied counters
 * @stats: the answer of AIGUARD_IOC_GET_STATS; other fields untouched
 */
void aiguard_stats_fill(struct aiguard_stats *stats)
{
	aiguard_stats_copy(stats->allowed, AIGUARD_COUNT_ALLOWED);
	aiguard_stats_copy(stats->denied, AIGUARD_COUNT_DENIED);
}

/**
 * aiguard_stats_fill_status - copy the audited and granted counters
 * @status: the answer of AIGUARD_IOC_GET_STATUS; other fields untouched
 */
void aiguard_stats_fill_status(struct aiguard_status *status)
{
	aiguard_stats_copy(status->audited, AIGUARD_COUNT_AUDITED);
	aiguard_stats_copy(status->granted, AIGUARD_COUNT_GRANTED);
	status->sampling_events = max(atomic_read(&aiguard_sampling_events), 0);
}

/**
 * aiguard_stats_sampling - count CPU-wide user-sampling perf events alive
 * @delta: +1 when one is created, -1 when it is freed
 */
void aiguard_stats_sampling(int delta)
{
	atomic_add(delta, &aiguard_sampling_events);
}
