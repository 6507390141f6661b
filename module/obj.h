/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard objects (obj.c): what a protected process creates on
 * memory-backed storage, and the label it belongs to.
 */
#ifndef _AIGUARD_OBJ_H
#define _AIGUARD_OBJ_H

#include <linux/atomic.h>
#include <linux/types.h>

#include <linux/aiguard.h>

struct super_block;

/* Active (settled) labelled objects; read inline by the hot paths. */
extern atomic_t aiguard_obj_nr;

/**
 * aiguard_obj_none - whether no object is labelled
 *
 * The first test of every object hook: one load, no call.
 *
 * Return: true if there is nothing to look up.
 */
static __always_inline bool aiguard_obj_none(void)
{
	return !atomic_read(&aiguard_obj_nr);
}

int aiguard_obj_init(void);
void aiguard_obj_exit(void);
bool aiguard_obj_storage(const struct super_block *sb);
int aiguard_obj_add(const void *key, const char *label, u32 flags, u64 life, bool active);
bool aiguard_obj_settle(const void *key, bool keep);
void aiguard_obj_forget(const void *key);
bool aiguard_obj_find(const void *key, char label[AIGUARD_LABEL_MAX], u32 *flags, u64 *life);
unsigned int aiguard_obj_count(void);

#endif /* _AIGUARD_OBJ_H */
