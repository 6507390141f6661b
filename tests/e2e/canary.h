/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Canaries that exist in clear only where a holder writes them, and a
 * scanner of RAM through /proc/kcore that looks for them (canary.c).
 */
#ifndef AG_E2E_CANARY_H
#define AG_E2E_CANARY_H

#include <stddef.h>
#include <stdint.h>

#define NEEDLE		40	/* bytes of a canary, repeated to fill */

uint64_t mix(uint64_t x);
unsigned char canary_byte(uint64_t seed, unsigned int i);
void canary_fill(volatile unsigned char *p, size_t len, uint64_t seed);
int canary_intact_at(const volatile unsigned char *p, size_t from, size_t len, uint64_t seed);

/* A canary as the scanner keeps it: XOR-encoded with a key of its own. */
struct needle {
	unsigned char enc[NEEDLE], key[NEEDLE];
	int found;
};

void needle_of(struct needle *n, uint64_t seed);
int kcore_scan_init(void);
int kcore_scan(struct needle *nd, int n);
long kcore_frames_with(struct needle *n, const uint64_t *pfn, size_t nr);

#endif
