// SPDX-License-Identifier: GPL-2.0
/*
 * smoke.c - the VM harness's own smoke test (/tests/vm/t_smoke in the
 * guest): proves the pipeline end to end without the e2e suite. Talks to
 * /dev/aiguard through the version ioctl of uapi/linux/aiguard.h and prints
 * TAP (tests/e2e/tap.c). Like every test it exits 0 even when a check fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/aiguard.h>

#include "tap.h"

int main(void)
{
	struct aiguard_version v;
	int fd, ret;

	tap_header();
	tap_plan(5);
	fd = open("/dev/" AIGUARD_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (!tap_ok(fd >= 0, "open /dev/aiguard"))
		tap_diag("open: %s", strerror(errno));

	memset(&v, 0xff, sizeof(v));
	ret = ioctl(fd, AIGUARD_IOC_GET_VERSION, &v);
	tap_ok(ret == 0, "AIGUARD_IOC_GET_VERSION succeeds");
	tap_ok(ret == 0 && v.abi_version == AIGUARD_ABI_VERSION, "abi_version matches the header");
	tap_ok(ret == 0 && v.label_max == AIGUARD_LABEL_MAX && v.reserved == 0,
	       "label_max matches, reserved is zero");
	if (ret == 0)
		tap_diag("abi_version %u features 0x%x label_max %u",
			 v.abi_version, v.features, v.label_max);

	ret = ioctl(fd, _IO(AIGUARD_IOC_MAGIC, 0x7f));
	tap_ok(ret == -1 && errno == ENOTTY, "unknown ioctl fails with ENOTTY");
	if (fd >= 0)
		close(fd);
	return 0;
}
