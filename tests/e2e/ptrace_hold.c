// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace_hold - a tracer that stays attached, for the grant and permissive
 * tests of tests/e2e/t_ops.sh and t_lock.sh.
 *
 *   ptrace_hold GOFILE PID OUTFILE
 *
 * Waits (30 s at most) for GOFILE to exist, so that a grant can name this
 * process before it attaches, then PTRACE_SEIZEs PID (which does not stop
 * it) and writes "attached" or "error ERRNO" to OUTFILE. Attached, it
 * stays so until killed. Exits 1 when the attach fails, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
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

int main(int argc, char **argv)
{
	int i;
	long pid;

	if (argc != 4 || (pid = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: ptrace_hold GOFILE PID OUTFILE\n");
		return 2;
	}
	for (i = 0; i < 300 && access(argv[1], F_OK); i++)
		usleep(100000);
	if (ptrace(PTRACE_SEIZE, (pid_t)pid, NULL, NULL)) {
		say(argv[3], "error", errno);
		return 1;
	}
	say(argv[3], "attached", 0);
	for (;;)
		pause();
}
