// SPDX-License-Identifier: GPL-2.0
/*
 * Races that matter, tried many times each (counts in the TAP lines):
 *
 * - fork_attach: a protected parent forks in a loop and hands each
 *   child's pid to an attacker at once, which tries PTRACE_ATTACH and
 *   reads the child's memory through /proc/CHILD/mem in the instant
 *   after the fork; the control parent is not protected, so there the
 *   attacker must win;
 * - protect_attach: a tracer keeps PTRACE_ATTACHing a fresh target while
 *   it is being protected: protect returns EBUSY (traced) or the target
 *   ends up protected and untraced, never protected and traced;
 * - pid_reuse: a protected process exits and its pid number is handed to
 *   a new, unrelated process (pid_max lowered for the test so that pids
 *   wrap quickly): the newcomer is not protected, and root reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib.h"

#define LABEL "e2e-races"

/* Read through /proc/CHILD/mem at its address, which a fork keeps. */
static volatile uint64_t race_canary = 0x5eedfacecafe1234ULL;

/* TracerPid of @pid from /proc/PID/status, or -1. */
static int tracer_of(pid_t pid)
{
	char path[64], buf[2048], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "TracerPid:");
	return p ? atoi(p + 10) : -1;
}

/*
 * The attacker side of fork_attach: for each pid read from @rfd, try to
 * attach and to open its mem; count what got in.
 */
static void attacker(int rfd, int wfd)
{
	long got[2] = { 0, 0 };
	char path[64];
	uint64_t word;
	pid_t pid;
	int fd;

	while (read(rfd, &pid, sizeof(pid)) == sizeof(pid)) {
		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0) {
			got[0]++;
			/* detach needs the tracee stopped; the parent waits for it */
			waitpid(pid, NULL, __WALL);
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
		}
		/*
		 * What counts is memory read: an open of a child that has
		 * already exited succeeds without an mm and reads nothing.
		 * The child is a fork of this program: same addresses.
		 */
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			if (pread(fd, &word, sizeof(word), (off_t)(uintptr_t)&race_canary) ==
			    sizeof(word) && word == race_canary)
				got[1]++;
			close(fd);
		}
	}
	if (write(wfd, got, sizeof(got)) != sizeof(got))
		_exit(1);
	_exit(0);
}

/*
 * A parent (protected when @label is set) that forks @n children, each of
 * which lingers briefly; every pid goes to the attacker as soon as fork
 * returns. Returns the attacker's two success counts in @got.
 */
static int fork_attach_round(const char *label, int n, long got[2])
{
	int to_att[2], from_att[2], st;
	pid_t att, par;

	if (pipe(to_att) || pipe(from_att))
		return -1;
	att = fork();
	if (att == 0) {
		close(to_att[1]);
		close(from_att[0]);
		attacker(to_att[0], from_att[1]);
	}
	close(to_att[0]);
	close(from_att[1]);
	par = fork();
	if (par == 0) {
		if (label && ag_protect(AIGUARD_TARGET_SELF, 0, label, NULL))
			_exit(2);
		for (int i = 0; i < n; i++) {
			pid_t c = fork();

			if (c == 0) {
				usleep(20000);
				_exit(0);
			}
			if (c > 0 && write(to_att[1], &c, sizeof(c)) != sizeof(c))
				_exit(3);
			if (c > 0)
				waitpid(c, NULL, 0);
		}
		_exit(0);
	}
	close(to_att[1]);
	st = -1;
	if (par > 0)
		waitpid(par, &st, 0);
	if (read(from_att[0], got, 2 * sizeof(long)) != 2 * sizeof(long))
		got[0] = got[1] = -1;
	close(from_att[0]);
	waitpid(att, NULL, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void fork_attach(int n)
{
	long ctl[2], prot[2];
	int rc, rp;

	rc = fork_attach_round(NULL, n, ctl);
	tap_ok(rc == 0 && ctl[0] > 0 && ctl[1] > 0,
	       "fork_attach: control: the attacker gets into children of an unprotected parent (attach %ld, mem read %ld of %d)",
	       ctl[0], ctl[1], n);
	rp = fork_attach_round(LABEL "-fork", n, prot);
	tap_ok(rp == 0 && prot[0] == 0 && prot[1] == 0,
	       "fork_attach: never into a child of a protected parent, right after its fork (attach %ld, mem read %ld of %d)",
	       prot[0], prot[1], n);
}

/* A target that sleeps; the tracer child attaches to it in a loop. */
static void protect_attach(int n)
{
	int busy = 0, protected = 0, both = 0, other = 0;

	for (int i = 0; i < n; i++) {
		pid_t t = fork(), tr;
		int err;

		if (t == 0) {
			for (;;)
				pause();
		}
		tr = fork();
		if (tr == 0) {
			for (int k = 0; k < 2000; k++) {
				if (ptrace(PTRACE_SEIZE, t, NULL, NULL) == 0) {
					for (;;)
						pause();
				}
			}
			_exit(1);
		}
		/* let the tracer start in some rounds, not in others */
		if (i & 1)
			usleep(200 * (i % 7));
		err = ag_protect(AIGUARD_TARGET_PID, t, LABEL "-attach", NULL) ? errno : 0;
		usleep(20000);	/* a SEIZE that were still to win would have won by now */
		if (!err && tracer_of(t) > 0)
			both++;
		else if (!err)
			protected++;
		else if (err == EBUSY)
			busy++;
		else
			other++;
		kill(tr, SIGKILL);
		waitpid(tr, NULL, 0);
		kill(t, SIGKILL);
		waitpid(t, NULL, 0);
	}
	tap_ok(both == 0 && other == 0 && protected + busy == n,
	       "protect_attach: protected and untraced (%d) or EBUSY (%d), never both (%d), no other error (%d), of %d",
	       protected, busy, both, other, n);
}

static void sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

static void pid_reuse(void)
{
	char path[64], buf[256];
	struct aiguard_process_info info;
	int old_max = read_int("/proc/sys/kernel/pid_max");
	pid_t p, q = -1;
	long tries = 0;
	int st, qret;

	p = fork_protected(LABEL "-reuse", NULL, sleep_forever, NULL);
	if (!tap_ok(p > 0 && old_max > 0, "pid_reuse: a protected process (pid %d)", p))
		return;
	/* pids above p (or 1023) go unused: allocation wraps to 300 and on */
	snprintf(buf, sizeof(buf), "%d", p + 1 > 1024 ? p + 1 : 1024);
	if (write_file("/proc/sys/kernel/pid_max", buf)) {
		child_kill(p);
		tap_skip("cannot lower pid_max", "pid_reuse: the newcomer on a reused pid is not protected (pid_max %s)", buf);
		tap_skip("cannot lower pid_max", "pid_reuse: root reads the newcomer's environ");
		return;
	}
	child_kill(p);
	while (tries < 20000) {
		pid_t c = fork();

		if (c == 0) {
			if (getpid() != p)
				_exit(0);
			for (;;)
				pause();
		}
		if (c < 0)
			break;
		tries++;
		if (c == p) {
			q = c;
			break;
		}
		waitpid(c, &st, 0);
	}
	snprintf(buf, sizeof(buf), "%d", old_max);
	write_file("/proc/sys/kernel/pid_max", buf);
	memset(&info, 0xff, sizeof(info));
	qret = q == p ? ag_query(AIGUARD_TARGET_PID, q, &info) : -1;
	tap_ok(qret == 0 && !(info.flags & AIGUARD_PROC_PROTECTED),
	       "pid_reuse: the newcomer on a reused pid is not protected (pid %d after %ld forks, query %d, flags %#x)",
	       q, tries, qret, info.flags);
	snprintf(path, sizeof(path), "/proc/%d/environ", q);
	tap_ok(q == p && read_file(path, buf, sizeof(buf)) > 0,
	       "pid_reuse: root reads the newcomer's environ");
	if (q > 0) {
		kill(q, SIGKILL);
		waitpid(q, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	int n = getenv("AG_RACES_N") ? atoi(getenv("AG_RACES_N")) : 200;

	tap_init(argc, argv, 300);
	fork_attach(n);
	protect_attach(n / 4);
	pid_reuse();
	return tap_done();
}
