// SPDX-License-Identifier: GPL-2.0
/*
 * smoke.c - the VM harness's own smoke test (/tests/vm/t_smoke in the
 * guest): proves the pipeline end to end without the e2e suite. Talks to
 * /dev/aiguard through the version ioctl of uapi/linux/aiguard.h and prints
 * TAP. Like every test it exits 0 even when a check fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/aiguard.h>

static int n;

static void tap(int ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, name);
}

int main(void)
{
	struct aiguard_version v;
	int fd, ret;

	printf("TAP version 13\n1..5\n");
	fd = open("/dev/" AIGUARD_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	tap(fd >= 0, "open /dev/aiguard");
	if (fd < 0)
		printf("# open: %s\n", strerror(errno));

	memset(&v, 0xff, sizeof(v));
	ret = ioctl(fd, AIGUARD_IOC_GET_VERSION, &v);
	tap(ret == 0, "AIGUARD_IOC_GET_VERSION succeeds");
	tap(ret == 0 && v.abi_version == AIGUARD_ABI_VERSION, "abi_version matches the header");
	tap(ret == 0 && v.label_max == AIGUARD_LABEL_MAX && v.reserved == 0,
	    "label_max matches, reserved is zero");
	if (ret == 0)
		printf("# abi_version %u features 0x%x label_max %u\n",
		       v.abi_version, v.features, v.label_max);

	ret = ioctl(fd, _IO(AIGUARD_IOC_MAGIC, 0x7f));
	tap(ret == -1 && errno == ENOTTY, "unknown ioctl fails with ENOTTY");
	if (fd >= 0)
		close(fd);
	return 0;
}
