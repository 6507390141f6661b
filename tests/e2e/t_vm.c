// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-process memory and fd syscalls: process_vm_readv/writev,
 * pidfd_getfd, kcmp, get_robust_list, process_madvise.
 */
#include "attacks.h"

static const struct attack *const attacks[] = {
	&atk_vm_readv, &atk_vm_writev, &atk_pidfd_getfd_memfd,
	&atk_pidfd_getfd_file, &atk_kcmp_file, &atk_get_robust_list,
	&atk_process_madvise,
};

int main(int argc, char **argv)
{
	struct target ctl, prot;

	tap_init(argc, argv, 60);
	target_spawn(&ctl, TGT_CONTROL, NULL);
	target_spawn(&prot, TGT_SELF, "e2e-vm");

	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		check_pair(attacks[i], &ctl, &prot);

	target_stop(&ctl);
	target_stop(&prot);
	return tap_done();
}
