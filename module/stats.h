/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard stats: per-hook counters of the decisions made on protected
 * targets. A service: it calls nothing else in aiguard.
 */
#ifndef _AIGUARD_STATS_H
#define _AIGUARD_STATS_H

#include <linux/aiguard.h>

/**
 * enum aiguard_outcome - what became of one decision, for its counter
 * @AIGUARD_COUNT_ALLOWED: access allowed (same label, or not protected).
 * @AIGUARD_COUNT_DENIED: access refused.
 * @AIGUARD_COUNT_AUDITED: a denial that permissive mode let through.
 * @AIGUARD_COUNT_GRANTED: a denial that a break-glass grant let through.
 */
enum aiguard_outcome {
	AIGUARD_COUNT_ALLOWED,
	AIGUARD_COUNT_DENIED,
	AIGUARD_COUNT_AUDITED,
	AIGUARD_COUNT_GRANTED,
};

void aiguard_stats_count(enum aiguard_hook hook, enum aiguard_outcome outcome);
void aiguard_stats_reset(void);
void aiguard_stats_fill(struct aiguard_stats *stats);
void aiguard_stats_fill_status(struct aiguard_status *status);
void aiguard_stats_sampling(int delta);

#endif /* _AIGUARD_STATS_H */
