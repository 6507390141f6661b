/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard device: /dev/aiguard, its ioctl ABI (uapi/linux/aiguard.h) and
 * the audit stream readers.
 */
#ifndef _AIGUARD_DEV_H
#define _AIGUARD_DEV_H

int aiguard_dev_init(void);
void aiguard_dev_exit(void);

#endif /* _AIGUARD_DEV_H */
