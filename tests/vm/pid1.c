// SPDX-License-Identifier: GPL-2.0
/* pid1.c - the PID 1 setup shared by the test guests (see pid1.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "pid1.h"

static const char *pid1_name = "pid1";

void pid1_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", pid1_name);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

static void mount_fs(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) && errno != EBUSY)
		pid1_say("mount %s on %s: %s", type, dir, strerror(errno));
}

/*
 * The debug kernel (tinyconfig, BASE_SMALL) starts with pid_max 4096,
 * which one run of the suites wraps; the stock kernels start at 32768.
 * Past the wrap, t_races' protect_fork control (an attacker seizing each
 * newest pid) read 1 and 0 children where it reads 30 to 40 otherwise.
 * Raise it to the stock value, never lower.
 */
static void raise_pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	int cur = 0;

	if (f) {
		if (fscanf(f, "%d", &cur) != 1)
			cur = 0;
		fclose(f);
	}
	if (cur > 0 && cur < 32768 && pid1_write_file("/proc/sys/kernel/pid_max", "32768"))
		pid1_say("pid_max 32768: %s", strerror(errno));
}

void pid1_setup(const char *name)
{
	int fd;

	pid1_name = name;
	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");
	mount_fs("devtmpfs", "/dev", "devtmpfs");
	/*
	 * What udev or systemd would add: the kernel hands a script run by
	 * execveat() on a descriptor to its interpreter as /dev/fd/N/...
	 */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	mount_fs("debugfs", "/sys/kernel/debug", "debugfs");
	raise_pid_max();
	/* Where the lockdown LSM shows (and takes) its mode; not every kernel has it. */
	if (access("/sys/kernel/security", F_OK) == 0)
		mount_fs("securityfs", "/sys/kernel/security", "securityfs");
	mount_fs("tmpfs", "/tmp", "tmpfs");

	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

int pid1_results_port(void)
{
	struct termios tio;
	int fd = open(PID1_RESULTS_PORT, O_WRONLY | O_NOCTTY);

	if (fd < 0) {
		pid1_say("cannot open %s: %s", PID1_RESULTS_PORT, strerror(errno));
		return -1;
	}
	if (!tcgetattr(fd, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	return fd;
}

int pid1_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	int ret, err;

	if (fd < 0)
		return -1;
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

int pid1_load_module(const char *name, const char *params, const char **step)
{
	char path[256];
	int fd, ret, err;

	snprintf(path, sizeof(path), PID1_MODDIR "/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*step = "open";
		return -1;
	}
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	*step = "finit_module";
	errno = err;
	return ret ? -1 : 0;
}

int pid1_unload_module(const char *name, unsigned int flags, int tries)
{
	while (tries-- > 0) {
		if (!syscall(SYS_delete_module, name, flags))
			return 0;
		if ((errno != EBUSY && errno != EAGAIN) || !tries)
			break;
		usleep(100 * 1000);
	}
	return -1;
}

void pid1_poweroff(int results_fd)
{
	if (results_fd >= 0)
		tcdrain(results_fd);
	sync();
	if (!access("/sys/firmware/acpi", F_OK))
		reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT);
}
