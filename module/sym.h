/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard sym: where kernel functions and data are, for the few things the
 * kernel does not export (sym.c). A leaf: it calls nothing else in aiguard.
 */
#ifndef _AIGUARD_SYM_H
#define _AIGUARD_SYM_H

#include <linux/types.h>

int aiguard_sym_init(void);
unsigned long aiguard_sym_addr(const char *name);
bool aiguard_sym_extent(const char *name, unsigned long *start, unsigned long *size);
s32 aiguard_sym_btf_func(const char *name);

/**
 * struct aiguard_site - a kernel function looked for among the return
 *                       addresses of a stack
 * @name: the function
 * @start: its first byte once resolved; 0: not on this kernel
 * @size: its length in bytes
 */
struct aiguard_site {
	const char *name;
	unsigned long start, size;
};

bool aiguard_sites_init(struct aiguard_site *sites, unsigned int n);
bool aiguard_site_on_stack(const unsigned long *trace, unsigned int depth,
			   const struct aiguard_site *sites, unsigned int n);

#endif /* _AIGUARD_SYM_H */
