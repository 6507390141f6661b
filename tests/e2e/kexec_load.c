// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_load - what kexec-tools does, reduced to the system calls, for
 * tests/e2e/t_lock.sh.
 *
 *   kexec_load crash       load a one-page crash image into the memory
 *                          crashkernel= reserved ("Crash kernel" in
 *                          /proc/iomem): kexec_load(KEXEC_ON_CRASH)
 *   kexec_load unload      kexec_load() with no segments: unload the
 *                          kexec image (kexec -u)
 *   kexec_load file FILE   kexec_file_load() of FILE as a crash kernel
 *
 * The crash image is never booted: the test only needs the kernel to hold
 * it (/sys/kernel/kexec_crash_loaded). Prints "ok" or the errno's name;
 * exits 0 on success, 1 on a refused call, 77 when the kernel reserved no
 * crash memory, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int done(long ret)
{
	if (ret == 0) {
		puts("ok");
		return 0;
	}
	printf("%s\n", strerrorname_np(errno) ?: "unknown errno");
	return 1;
}

/* The start of the "Crash kernel" range of /proc/iomem, or 0. */
static unsigned long crash_base(void)
{
	unsigned long start = 0, end, found = 0;
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "Crash kernel") &&
		    sscanf(line, " %lx-%lx", &start, &end) == 2 && end > start) {
			found = start;
			break;
		}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	static char page[4096] = { (char)0xf4 };	/* hlt */
	struct kexec_segment seg;
	unsigned long base;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "crash")) {
		base = crash_base();
		if (!base) {
			puts("no crash kernel memory (crashkernel=)");
			return 77;
		}
		seg.buf = page;
		seg.bufsz = sizeof(page);
		seg.mem = (void *)base;
		seg.memsz = sizeof(page);
		return done(syscall(SYS_kexec_load, base, 1UL, &seg,
				    (unsigned long)KEXEC_ON_CRASH));
	}
	if (argc == 2 && !strcmp(argv[1], "unload"))
		return done(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
	if (argc == 3 && !strcmp(argv[1], "file")) {
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return done(-1);
		return done(syscall(SYS_kexec_file_load, fd, -1, 1UL, "",
				    (unsigned long)(KEXEC_FILE_ON_CRASH | KEXEC_FILE_NO_INITRAMFS)));
	}
	fprintf(stderr, "usage: kexec_load crash | unload | file FILE\n");
	return 2;
}
