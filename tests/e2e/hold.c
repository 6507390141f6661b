// SPDX-License-Identifier: GPL-2.0
/*
 * hold - a watcher that stays on its target, for the grant and permissive
 * tests of tests/e2e/t_ops.sh and t_lock.sh.
 *
 *   hold ptrace|perf|environ|maps GOFILE PID OUTFILE
 *
 * Waits (30 s at most) for GOFILE to exist, so that a grant can name this
 * process before it acts, then either PTRACE_SEIZEs PID (which does not
 * stop it), opens a per-task perf event on it (task-clock, counting), or
 * opens /proc/PID/environ or maps and reads something from it. It writes
 * "attached" or "error ERRNO" to OUTFILE. Attached, it stays so, with
 * the file open, until killed. Exits 1 when the attach fails, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *path, const char *what, int err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	if (err)
		fprintf(f, "%s %d\n", what, err);
	else
		fprintf(f, "%s\n", what);
	fclose(f);
}

static int perf_on(pid_t pid)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	return syscall(SYS_perf_event_open, &a, pid, -1, -1, 0) < 0 ? -1 : 0;
}

/* Open /proc/PID/FILE, kept open, and read from it: data, or -1. */
static int proc_open(pid_t pid, const char *file)
{
	char path[64], buf[256];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	errno = 0;
	if (read(fd, buf, sizeof(buf)) > 0)
		return 0;
	if (!errno)
		errno = ENODATA;
	return -1;
}

static int attach(const char *how, pid_t pid)
{
	if (!strcmp(how, "ptrace"))
		return ptrace(PTRACE_SEIZE, pid, NULL, NULL) ? -1 : 0;
	if (!strcmp(how, "perf"))
		return perf_on(pid);
	return proc_open(pid, how);
}

int main(int argc, char **argv)
{
	long pid;
	int i;

	if (argc != 5 || (strcmp(argv[1], "ptrace") && strcmp(argv[1], "perf") &&
			  strcmp(argv[1], "environ") && strcmp(argv[1], "maps")) ||
	    (pid = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: hold ptrace|perf|environ|maps GOFILE PID OUTFILE\n");
		return 2;
	}
	for (i = 0; i < 300 && access(argv[2], F_OK); i++)
		usleep(100000);
	if (attach(argv[1], (pid_t)pid)) {
		say(argv[4], "error", errno);
		return 1;
	}
	say(argv[4], "attached", 0);
	for (;;)
		pause();
}
