/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard seal: what the lock closes beyond aiguard's own switches, so
 * that no other kernel boots over the protected processes' RAM (seal.c).
 */
#ifndef _AIGUARD_SEAL_H
#define _AIGUARD_SEAL_H

#include <linux/types.h>

int aiguard_seal_init(void);
int aiguard_seal_kexec(void);
bool aiguard_kexec_closed(void);

#endif /* _AIGUARD_SEAL_H */
