// SPDX-License-Identifier: GPL-2.0
/*
 * Joining a protected process's namespaces, as container runtimes do for
 * exec sessions and exec health checks (AIGUARD_PROTECT_ENTER).
 *
 * Three targets, each a child that protects itself and forks a child of
 * its own (protection is inherited, and so is the flag): one protected
 * with AIGUARD_PROTECT_ENTER, one without, one unprotected (the control).
 * As root, outside every label, the test opens and reads the link of
 * /proc/PID/ns/X, and calls setns(2) on a pidfd and on an open namespace
 * file, each in a forked child so that the test keeps its own
 * namespaces:
 * - the control: everything works (the attack paths work at all);
 * - with enter: everything works, and then, inside the target's
 *   namespaces, the memory paths stay closed: /proc/PID/environ, mem,
 *   root, process_vm_readv, PTRACE_ATTACH;
 * - without enter: every join is refused (EACCES, EPERM).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib.h"

#define LABEL "e2e-enter"

/* What the targets hold: found in their memory only by a read that got in. */
static volatile char secret[64] = "ENTER-SECRET-0c7e3b";

struct tgt {
	pid_t pid, kid;
};

static void body(void *arg)
{
	(void)arg;
	if (fork() == 0) {		/* the inheriting child */
		for (;;)
			pause();
	}
	for (;;)
		pause();
}

/* The child a target forked: the only entry of its /proc/PID/task/../children. */
static pid_t kid_of(pid_t pid)
{
	char path[64], buf[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	for (i = 0; i < 200; i++) {
		if (read_file(path, buf, sizeof(buf) - 1) > 0 && atoi(buf) > 0)
			return atoi(buf);
		usleep(10000);
	}
	return -1;
}

/* flags UINT32_MAX: not protected. Each target has a label of its own. */
static int start(struct tgt *t, uint32_t flags, const char *label)
{
	int pfd[2], err = 0;

	if (pipe(pfd))
		return -1;
	t->pid = fork();
	if (t->pid == 0) {
		close(pfd[0]);
		if (flags != UINT32_MAX &&
		    ag_protect_flags(AIGUARD_TARGET_SELF, 0, label, NULL, flags))
			err = errno;
		if (write(pfd[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		body(NULL);
	}
	close(pfd[1]);
	track_child(t->pid);
	if (read(pfd[0], &err, sizeof(err)) != sizeof(err))
		err = EPIPE;
	close(pfd[0]);
	if (err) {
		errno = err;
		return -1;
	}
	t->kid = kid_of(t->pid);
	if (t->kid > 0)
		track_child(t->kid);
	return t->kid > 0 ? 0 : -1;
}

/*
 * In a child: join @pid's namespaces the way runtimes do, then try the
 * memory paths from inside. Returns a bit mask of what worked.
 */
enum {
	J_OPEN = 1, J_READLINK = 2, J_SETNS_FD = 4, J_SETNS_PIDFD = 8,
	M_ENVIRON = 16, M_MEM = 32, M_ROOT = 64, M_VMREADV = 128, M_ATTACH = 256,
};

static int try_join(pid_t pid)
{
	char path[64], link[128];
	int fd, pidfd, got = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/uts", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		got |= J_OPEN;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (readlink(path, link, sizeof(link)) > 0)
		got |= J_READLINK;
	if (fd >= 0 && setns(fd, CLONE_NEWUTS) == 0)
		got |= J_SETNS_FD;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && setns(pidfd, CLONE_NEWUTS | CLONE_NEWIPC) == 0)
		got |= J_SETNS_PIDFD;
	return got;
}

static int try_memory(pid_t pid)
{
	char path[64], buf[256];
	struct iovec local = { buf, sizeof(secret) }, remote = { (void *)secret, sizeof(secret) };
	int fd, got = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	if (read_file(path, buf, sizeof(buf)) >= 0)
		got |= M_ENVIRON;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, buf, sizeof(secret), (off_t)(uintptr_t)secret) > 0 &&
	    has(buf, sizeof(secret), "ENTER-SECRET"))
		got |= M_MEM;
	snprintf(path, sizeof(path), "/proc/%d/root/", pid);
	if (access(path, F_OK) == 0)
		got |= M_ROOT;
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) > 0 &&
	    has(buf, sizeof(secret), "ENTER-SECRET"))
		got |= M_VMREADV;
	if (ptrace(PTRACE_ATTACH, pid, 0, 0) == 0) {
		got |= M_ATTACH;
		ptrace(PTRACE_DETACH, pid, 0, 0);
	}
	return got;
}

/* try_join() and then try_memory() of @pid, in a child; -1 if it died. */
static int attempt(pid_t pid)
{
	int pfd[2], got = -1, st;
	pid_t c;

	if (pipe(pfd))
		return -1;
	c = fork();
	if (c == 0) {
		int g = try_join(pid);

		g |= try_memory(pid);
		if (write(pfd[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &got, sizeof(got)) != sizeof(got))
		got = -1;
	close(pfd[0]);
	waitpid(c, &st, 0);
	return got;
}

static void report(const char *who, int got)
{
	tap_diag("  %s: open %d readlink %d setns(fd) %d setns(pidfd) %d | environ %d mem %d root %d process_vm_readv %d attach %d",
		 who, !!(got & J_OPEN), !!(got & J_READLINK), !!(got & J_SETNS_FD),
		 !!(got & J_SETNS_PIDFD), !!(got & M_ENVIRON), !!(got & M_MEM), !!(got & M_ROOT),
		 !!(got & M_VMREADV), !!(got & M_ATTACH));
}

#define JOINS (J_OPEN | J_READLINK | J_SETNS_FD | J_SETNS_PIDFD)
#define MEMORY (M_ENVIRON | M_MEM | M_ROOT | M_VMREADV | M_ATTACH)

int main(int argc, char **argv)
{
	struct tgt ctl, in, closed;
	struct aiguard_process_info qi;
	int got;

	tap_init(argc, argv, 300);
	if (!tap_ok(start(&ctl, UINT32_MAX, NULL) == 0, "control target and its child started") ||
	    !tap_ok(start(&in, AIGUARD_PROTECT_ENTER, LABEL) == 0,
		    "a target protected with enter, and its child (%s)", strerror(errno)) ||
	    !tap_ok(start(&closed, 0, LABEL "-closed") == 0,
		    "a target protected without enter, and its child (%s)", strerror(errno)))
		return tap_done();

	tap_ok(!ag_query(AIGUARD_TARGET_PID, in.kid, &qi) && (qi.flags & AIGUARD_PROC_ENTER) &&
	       !strcmp(qi.label, LABEL), "the child inherited the label and the enter flag");
	tap_ok(!ag_query(AIGUARD_TARGET_PID, closed.pid, &qi) && !(qi.flags & AIGUARD_PROC_ENTER),
	       "without it, QUERY shows no enter flag");
	/* Root cannot open a running workload to joins by protecting it again. */
	EXPECT_FAIL(ag_protect_flags(AIGUARD_TARGET_PID, closed.pid, LABEL "-closed", NULL,
				     AIGUARD_PROTECT_ENTER), EEXIST, 0,
		    "protecting it again with enter fails with EEXIST");
	EXPECT_FAIL(ag_protect_flags(AIGUARD_TARGET_PID, closed.pid, "", NULL,
				     AIGUARD_PROTECT_ENTER | AIGUARD_PROTECT_JOIN), EEXIST, 0,
		    "the same with any label and the join flag");
	tap_ok(!ag_query(AIGUARD_TARGET_PID, closed.pid, &qi) && !(qi.flags & AIGUARD_PROC_ENTER),
	       "and QUERY still shows no enter flag (the joins below stay refused)");
	EXPECT_FAIL(ag_protect_flags(AIGUARD_TARGET_PID, in.pid, LABEL, NULL, 0), EEXIST, 0,
		    "nor is enter dropped silently: protecting it again without enter fails");
	EXPECT_RET(ag_protect_flags(AIGUARD_TARGET_PID, in.pid, LABEL, NULL,
				    AIGUARD_PROTECT_ENTER), 0,
		   "protecting again as in force succeeds");

	/* The debug kernel's tinyconfig has no namespaces to join. */
	if (access("/proc/self/ns/uts", F_OK)) {
		static const char *const names[] = {
			"control: root joins its namespaces and reads its memory",
			"enter: root opens /proc/PID/ns/*, reads the links, setns() on the file and on a pidfd",
			"enter: inside its namespaces, root still reads nothing",
			"enter, inherited: the child's namespaces too, and not its memory",
			"without enter: every join is refused, and the memory paths",
			"without enter, inherited: the same for its child",
			"without enter: open of /proc/PID/ns/mnt",
			"without enter: setns() on a pidfd fails with EPERM",
		};
		unsigned int i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			tap_skip("kernel without namespaces (no /proc/self/ns/uts)", "%s", names[i]);
		goto out;
	}
	got = attempt(ctl.pid);
	report("control", got);
	tap_ok(got >= 0 && (got & JOINS) == JOINS && (got & MEMORY) == MEMORY,
	       "control: root joins its namespaces and reads its memory");

	got = attempt(in.pid);
	report("enter", got);
	tap_ok(got >= 0 && (got & JOINS) == JOINS,
	       "enter: root opens /proc/PID/ns/*, reads the links, setns() on the file and on a pidfd");
	tap_ok(got >= 0 && !(got & MEMORY),
	       "enter: inside its namespaces, root still reads nothing (environ, mem, root, process_vm_readv, attach)");
	got = attempt(in.kid);
	report("enter, child", got);
	tap_ok(got >= 0 && (got & JOINS) == JOINS && !(got & MEMORY),
	       "enter, inherited: the child's namespaces too, and not its memory");

	got = attempt(closed.pid);
	report("no enter", got);
	tap_ok(got >= 0 && !(got & (JOINS | MEMORY)),
	       "without enter: every join is refused, and the memory paths");
	got = attempt(closed.kid);
	report("no enter, child", got);
	tap_ok(got >= 0 && !(got & (JOINS | MEMORY)), "without enter, inherited: the same for its child");

	/* the errnos of a refused join, as runtimes will report them */
	{
		char path[64];
		int pidfd = (int)syscall(SYS_pidfd_open, closed.pid, 0);
		pid_t c;
		int st;

		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", closed.pid);
		EXPECT_FAIL(open(path, O_RDONLY | O_CLOEXEC), EACCES, 0,
			    "without enter: open of /proc/PID/ns/mnt");
		c = fork();
		if (c == 0)
			_exit(setns(pidfd, CLONE_NEWUTS) == -1 && errno == EPERM ? 0 : 1);
		waitpid(c, &st, 0);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "without enter: setns() on a pidfd fails with EPERM");
		close(pidfd);
	}
out:
	child_kill(in.kid);
	child_kill(in.pid);
	child_kill(closed.kid);
	child_kill(closed.pid);
	child_kill(ctl.kid);
	child_kill(ctl.pid);
	return tap_done();
}
