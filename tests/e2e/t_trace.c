// SPDX-License-Identifier: GPL-2.0
/*
 * Trace events cannot capture a protected process's memory.
 *
 * A writer writes its canary to /dev/null in a loop. Three dynamic events
 * fetch the written buffer from user memory:
 *   - a tracefs kprobe event on vfs_write with a ustring fetch argument;
 *   - the same with a plain string argument (on x86 a user address is
 *     read from user memory);
 *   - an eprobe on syscalls/sys_enter_write dereferencing its buf field.
 * Each captures the canary of an unprotected writer (control), not that
 * of a protected one, and still that of a second control beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"

#define GROUP	"aiguard_e2e_trace"

static void canary_of(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "TRACE-CANARY-%08d", pid);
}

/* The child: writes its canary to /dev/null every 2 ms. */
static void write_loop(void *unused)
{
	int fd = open("/dev/null", O_WRONLY);
	char c[64];

	(void)unused;
	canary_of(getpid(), c, sizeof(c));
	for (;;) {
		if (write(fd, c, strlen(c) + 1) < 0)
			_exit(2);
		usleep(2000);
	}
}

/* Forks a writer; protected first when label is set. */
static pid_t writer(const char *label)
{
	return fork_protected(label, NULL, write_loop, NULL);
}

static char buf[1 << 20];

/* Whether the trace holds pid's canary, polling up to ms. */
static int captured(pid_t pid, int ms)
{
	char want[64];
	ssize_t n;
	int i;

	canary_of(pid, want, sizeof(want));
	for (i = 0; i <= ms / 50; i++) {
		n = tracefs_read("trace", buf, sizeof(buf));
		if (n > 0 && has(buf, n, want))
			return 1;
		if (i < ms / 50)
			usleep(50000);
	}
	return 0;
}

/* How many lines of event name come from pid (it fired, whatever it got). */
static int lines_of(pid_t pid, const char *name)
{
	char task[32], event[64];
	ssize_t n = tracefs_read("trace", buf, sizeof(buf));
	int count = 0;

	snprintf(task, sizeof(task), "-%d ", pid);
	snprintf(event, sizeof(event), " %s: ", name);
	if (n <= 0)
		return 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (strstr(l, task) && strstr(l, event))
			count++;
	return count;
}

static void one(const char *name, const char *def, const char *file)
{
	char enable[128], del[128];
	pid_t ctl, prot, ctl2;

	snprintf(enable, sizeof(enable), "events/%s/%s/enable", GROUP, name);
	snprintf(del, sizeof(del), "-:%s/%s\n", GROUP, name);
	tracefs_write(file, del, 1);
	if (!tap_ok(tracefs_write(file, def, 1) == 0, "%s: event defined: %s (%s)", name, def,
		    strerror(errno)))
		return;
	tracefs_write("trace", "", 0);
	tap_ok(tracefs_write(enable, "1", 0) == 0, "%s: event enabled", name);

	ctl = writer(NULL);
	tap_ok(captured(ctl, 5000), "%s: control: the event captures the canary", name);
	prot = writer("e2e-trace");
	ctl2 = writer(NULL);
	tap_ok(captured(ctl2, 5000), "%s: a control beside the protected writer is still captured",
	       name);
	usleep(300000);
	tap_ok(lines_of(prot, name) > 0, "%s: protected: the event fires (%d lines)", name,
	       lines_of(prot, name));
	tap_ok(!captured(prot, 0), "%s: protected: the event does not capture the canary", name);

	tracefs_write(enable, "0", 0);
	child_kill(ctl);
	child_kill(prot);
	child_kill(ctl2);
	tracefs_write(file, del, 1);
}

int main(int argc, char **argv)
{
	struct aiguard_stats st0, st1;
	int have;

	tap_init(argc, argv, 300);
	if (!tracefs_dir()) {
		tap_skip("no tracefs", "trace events");
		return tap_done();
	}
	have = ag_stats(&st0) == 0;
	one("kw_ustring", "p:" GROUP "/kw_ustring vfs_write buf=+0(%si):ustring\n",
	    "kprobe_events");
	one("kw_string", "p:" GROUP "/kw_string vfs_write buf=+0(%si):string\n",
	    "kprobe_events");
	one("ew_ustring", "e:" GROUP "/ew_ustring syscalls.sys_enter_write buf=+0($buf):ustring\n",
	    "dynamic_events");
	if (have && ag_stats(&st1) == 0)
		tap_ok(st1.denied[AIGUARD_HOOK_TRACE_READ] > st0.denied[AIGUARD_HOOK_TRACE_READ],
		       "denials are counted under the trace_read hook (%llu -> %llu)",
		       (unsigned long long)st0.denied[AIGUARD_HOOK_TRACE_READ],
		       (unsigned long long)st1.denied[AIGUARD_HOOK_TRACE_READ]);
	else
		tap_ok(0, "aiguard stats readable");
	return tap_done();
}
