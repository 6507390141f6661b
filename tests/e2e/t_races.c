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
 * - protect_exit: a target is SIGKILLed and protected at once while an
 *   attacker reads its memory: once protect returned 0, no read gets in,
 *   even while the dying target still holds its memory;
 * - protect_fork: a parent is protected while a fork is in flight and an
 *   attacker seizes the child the instant it has a pid (the window is
 *   widened with the test-only parameter fork_delay_us), and keeps trying
 *   while denied, through the instant the child's entry moves from the
 *   pending table to the committed one: the child must not end up
 *   protected with the attacker reading it;
 * - exec_mem: a process re-execs itself in a loop while an attacker opens
 *   and reads its /proc/PID/mem: protected, no read ever gets the canary;
 * - exit_fd: a protected process holding a secret in a memfd is SIGKILLed
 *   while an attacker keeps opening /proc/PID/fd/N and reading it; its
 *   exit is slowed down between exit_mm() and exit_files() by SysV shm
 *   segments that exit_shm() destroys one by one, each behind a reader of
 *   /proc/sysvipc/shm that holds the IPC lock: no read gets the secret,
 *   protection lasts until the descriptors are gone; the control is the
 *   same process unprotected;
 * - protect_reap: a protect is overtaken by its target's exit and then
 *   by its reaping (the test-only parameter protect_delay_ms holds it
 *   twice): the entry must not outlive the process;
 * - pid_reuse: a protected process exits and its pid number is handed to
 *   a new, unrelated process (pid_max lowered so that pids wrap
 *   quickly): the newcomer is not protected, and root reads it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

/*
 * Forks until a child gets @p (it stays, paused) or @max forks were made.
 * Returns p, or -1; *@tries counts the forks.
 */
static pid_t fork_onto(pid_t p, long max, long *tries)
{
	int st;

	while (*tries < max) {
		pid_t c = fork();

		if (c == 0) {
			if (getpid() != p)
				_exit(0);
			for (;;)
				pause();
		}
		if (c < 0)
			return -1;
		(*tries)++;
		if (c == p)
			return c;
		waitpid(c, &st, 0);
	}
	return -1;
}

/*
 * How the pid comes back: the pids must wrap around to it, a fork per pid
 * between (ns_last_pid would take one, but the debug kernel has no
 * PID_NS). pid_max is lowered below the last pid handed out (to 1024 at
 * most) before the protected process is forked, so that its pid is a low
 * one (allocation wraps to 300 and takes the first free number), and then
 * to its pid + 1, so that the wrap comes right after it: a few forks, not
 * the thousands up to a pid_max of 32768 (minutes on the debug kernel).
 */
static void pid_reuse(void)
{
	char path[64], buf[256];
	struct aiguard_process_info info;
	int old_max = read_int("/proc/sys/kernel/pid_max");
	pid_t p, q = -1;
	long tries = 0;
	int qret;

	/* the last pid handed out, a child's: below it, the next fork wraps */
	p = fork();
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid(p, NULL, 0);
	snprintf(buf, sizeof(buf), "%d", p > 1024 ? 1024 : p > 301 ? p : 301);
	if (write_file("/proc/sys/kernel/pid_max", buf)) {
		tap_skip("cannot lower pid_max", "pid_reuse: a protected process");
		tap_skip("cannot lower pid_max", "pid_reuse: the newcomer on a reused pid is not protected");
		tap_skip("cannot lower pid_max", "pid_reuse: root reads the newcomer's environ");
		return;
	}
	p = fork_protected(LABEL "-reuse", NULL, sleep_forever, NULL);
	if (!tap_ok(p > 0 && old_max > 0 && p < 1024,
		    "pid_reuse: a protected process (pid %d, below 1024)", p)) {
		child_kill(p);
		goto out;
	}
	child_kill(p);
	/* pids above p go unused: allocation wraps to 300 and on */
	snprintf(buf, sizeof(buf), "%d", p + 1);
	if (!write_file("/proc/sys/kernel/pid_max", buf))
		q = fork_onto(p, 2000, &tries);
	memset(&info, 0xff, sizeof(info));
	qret = q == p ? ag_query(AIGUARD_TARGET_PID, q, &info) : -1;
	tap_ok(qret == 0 && !(info.flags & AIGUARD_PROC_PROTECTED),
	       "pid_reuse: the newcomer on a reused pid is not protected (pid %d after %ld forks, query %d, flags %#x)",
	       q, tries, qret, info.flags);
	snprintf(path, sizeof(path), "/proc/%d/environ", q);
	tap_ok(q == p && read_file(path, buf, sizeof(buf)) > 0,
	       "pid_reuse: root reads the newcomer's environ");
	child_kill(q);
out:
	snprintf(buf, sizeof(buf), "%d", old_max);
	write_file("/proc/sys/kernel/pid_max", buf);
}

/* What the attacker of protect_exit and exec_mem shares with the test. */
struct race_shared {
	volatile pid_t pid;		/* the process to read, 0: none */
	volatile int protected;		/* set once protect has returned 0 */
	volatile int stop;
	long before, after;		/* canary reads before / after protect returned */
};

/* Reads the canary through /proc/PID/mem of whatever sh->pid names. */
static void mem_reader(struct race_shared *sh)
{
	char path[64];
	uint64_t word;
	pid_t pid;
	int fd, prot;

	while (!sh->stop) {
		pid = sh->pid;
		prot = sh->protected;
		if (pid <= 0) {
			sched_yield();
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		if (pread(fd, &word, sizeof(word), (off_t)(uintptr_t)&race_canary) ==
		    sizeof(word) && word == race_canary)
			__atomic_fetch_add(prot ? &sh->after : &sh->before, 1, __ATOMIC_RELAXED);
		close(fd);
	}
	_exit(0);
}

static struct race_shared *race_shared(pid_t *reader)
{
	struct race_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sh == MAP_FAILED)
		return NULL;
	memset(sh, 0, sizeof(*sh));
	*reader = fork();
	if (*reader == 0)
		mem_reader(sh);
	track_child(*reader);
	return sh;
}

static void race_shared_end(struct race_shared *sh, pid_t reader)
{
	sh->stop = 1;
	waitpid(reader, NULL, 0);
	munmap(sh, sizeof(*sh));
}

/*
 * protect racing the target's exit: the target is SIGKILLed and protected
 * at once while an attacker reads its memory. Once protect has returned
 * 0, no read may get through, even while the target is still letting go
 * of its memory (the entry must not go before the memory does).
 */
static void protect_exit(int n)
{
	int ok = 0, srch = 0, other = 0, i;
	struct race_shared *sh;
	pid_t reader;

	sh = race_shared(&reader);
	if (!sh) {
		tap_ok(0, "protect_exit: shared page");
		return;
	}
	for (i = 0; i < n; i++) {
		pid_t t = fork();
		int pidfd, err;

		if (t == 0) {
			for (;;)
				pause();
		}
		pidfd = (int)syscall(SYS_pidfd_open, t, 0);
		sh->protected = 0;
		sh->pid = t;
		usleep(1000 + 100 * (i % 10));	/* reads of the live, unprotected target */
		kill(t, SIGKILL);
		err = ag_protect(AIGUARD_TARGET_PIDFD, pidfd, LABEL "-exit", NULL) ? errno : 0;
		if (!err)
			sh->protected = 1;
		usleep(2000);
		if (!err)
			ok++;
		else if (err == ESRCH)
			srch++;
		else
			other++;
		sh->pid = 0;
		waitpid(t, NULL, 0);
		close(pidfd);
	}
	tap_ok(sh->before > 0, "protect_exit: control: root reads the target before it is protected (%ld reads)",
	       sh->before);
	tap_ok(sh->after == 0 && other == 0,
	       "protect_exit: no read after protect returned (%ld), protect 0 (%d) or ESRCH (%d), no other error (%d), of %d",
	       sh->after, ok, srch, other, n);
	race_shared_end(sh, reader);
}

#define EXIT_FD		100	/* where the exit_fd target keeps its memfd */
#define EXIT_SEGS	400	/* SysV shm segments it leaves to exit_shm() */
#define RMID_FORCED	"/proc/sys/kernel/shm_rmid_forced"

struct exit_shared {
	volatile pid_t pid;	/* the target, 0: none */
	volatile int ready, dying, stop, stall;
	long before, after;	/* secret reads before / after the SIGKILL */
};

static const char exit_secret[] = "exit-fd-secret-7d1c";

/* Opens /proc/PID/fd/EXIT_FD of the target and reads the secret, in a loop. */
static void fd_reader(struct exit_shared *sh)
{
	char path[64], buf[sizeof(exit_secret)];
	int fd, dying;
	pid_t pid;

	while (!sh->stop) {
		pid = sh->pid;
		dying = sh->dying;
		if (pid <= 0) {
			sched_yield();
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, EXIT_FD);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		if (pread(fd, buf, sizeof(buf), 0) == sizeof(buf) &&
		    !memcmp(buf, exit_secret, sizeof(buf)))
			__atomic_fetch_add(dying ? &sh->after : &sh->before, 1, __ATOMIC_RELAXED);
		close(fd);
	}
	_exit(0);
}

/*
 * While sh->stall: reads all of /proc/sysvipc/shm in one read(), which
 * holds the IPC ids lock for reading over every segment; exit_shm() takes
 * it for writing once per segment it destroys.
 */
static void ipc_staller(struct exit_shared *sh)
{
	static char buf[1 << 20];
	int fd;

	while (!sh->stop) {
		if (!sh->stall) {
			usleep(1000);
			continue;
		}
		fd = open("/proc/sysvipc/shm", O_RDONLY);
		if (fd < 0)
			_exit(1);
		if (read(fd, buf, sizeof(buf)) < 0)
			_exit(1);
		close(fd);
	}
	_exit(0);
}

static void exit_fd_target(struct exit_shared *sh)
{
	int fd = memfd_create("exit-fd-secret", 0), i;

	if (fd < 0 || write(fd, exit_secret, sizeof(exit_secret)) != sizeof(exit_secret) ||
	    dup2(fd, EXIT_FD) != EXIT_FD)
		_exit(1);
	for (i = 0; i < EXIT_SEGS; i++)
		if (shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) < 0)
			break;
	sh->ready = 1;
	for (;;)
		pause();
}

/* One kind of round, n times; returns the reads after the SIGKILL. */
static long exit_fd_rounds(struct exit_shared *sh, int n, int protect, long *before,
			   int *protect_failed)
{
	int i, j;

	sh->before = sh->after = 0;
	for (i = 0; i < n; i++) {
		pid_t t;

		sh->ready = sh->dying = 0;
		t = fork();
		if (t == 0)
			exit_fd_target(sh);
		track_child(t);
		for (j = 0; j < 30000 && !sh->ready; j++)
			usleep(1000);
		if (protect && ag_protect(AIGUARD_TARGET_PID, t, LABEL "-exitfd", NULL))
			(*protect_failed)++;
		sh->pid = t;
		sh->stall = 1;
		usleep(5000);		/* the attacker tries the live target */
		sh->dying = 1;
		kill(t, SIGKILL);
		waitpid(t, NULL, 0);
		sh->stall = 0;
		sh->pid = 0;
		usleep(1000);
	}
	*before = sh->before;
	return sh->after;
}

static void exit_fd(int n)
{
	long ctl_before, ctl_after, before, after;
	char old[16] = "0";
	time_t t0;
	int failed = 0;
	struct exit_shared *sh;
	pid_t reader, staller;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		tap_ok(0, "exit_fd: shared page");
		return;
	}
	memset(sh, 0, sizeof(*sh));
	read_file(RMID_FORCED, old, sizeof(old) - 1);
	old[strcspn(old, "\n")] = '\0';
	/* exit_shm() then destroys each segment: a long exit_mm()..exit_files() */
	write_file(RMID_FORCED, "1");
	reader = fork();
	if (reader == 0)
		fd_reader(sh);
	track_child(reader);
	staller = fork();
	if (staller == 0)
		ipc_staller(sh);
	track_child(staller);
	t0 = time(NULL);
	ctl_after = exit_fd_rounds(sh, n, 0, &ctl_before, &failed);
	after = exit_fd_rounds(sh, n, 1, &before, &failed);
	tap_diag("exit_fd: %d rounds of each kind in %ld s", n, (long)(time(NULL) - t0));
	sh->stop = 1;
	waitpid(reader, NULL, 0);
	waitpid(staller, NULL, 0);
	write_file(RMID_FORCED, old);
	munmap(sh, sizeof(*sh));

	tap_ok(ctl_before > 0,
	       "exit_fd: control: root reads an unprotected process's memfd through /proc/PID/fd (%ld reads, %ld while it exited)",
	       ctl_before, ctl_after);
	tap_ok(failed == 0 && before == 0 && after == 0,
	       "exit_fd: protected: no read while alive (%ld) or exiting (%ld), of %d SIGKILLs (protect failed %d times)",
	       before, after, n, failed);
}

#define FORK_DELAY "/sys/module/aiguard/parameters/fork_delay_us"

/*
 * The attacker of protect_fork: seizes every new pid as soon as it is
 * allocated (ns_last_pid), and once stopped reads the canary of the
 * child, a fork of this program. A read of a child that is protected
 * by then is a leak; of one that is not, the control.
 */
/*
 * The newest pid: ns_last_pid, or where the kernel has none
 * (CHECKPOINT_RESTORE off) the highest pid in /proc.
 */
static pid_t newest_pid(void)
{
	pid_t pid = read_int("/proc/sys/kernel/ns_last_pid"), max = -1;
	struct dirent *d;
	DIR *dir;

	if (pid > 0)
		return pid;
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		pid = atoi(d->d_name);
		if (pid > max)
			max = pid;
	}
	closedir(dir);
	return max;
}

static void fork_seizer(struct race_shared *sh)
{
	pid_t seen = 0, pid;
	uint64_t word;
	int st, i, seized;

	while (!sh->stop) {
		pid = newest_pid();
		if (pid <= 0 || pid == seen)
			continue;
		seen = pid;
		/*
		 * A denied child is tried again until its fork completes, so
		 * that the seize also lands at the instant its protection
		 * moves from the pending entry to the committed one.
		 */
		for (i = 0; (seized = !ptrace(PTRACE_SEIZE, pid, NULL, NULL)) == 0; i++)
			if (errno != EPERM || i == 20000 || newest_pid() != pid)
				break;
		if (!seized)
			continue;
		ptrace(PTRACE_INTERRUPT, pid, NULL, NULL);
		for (i = 0; i < 100; i++) {
			if (waitpid(pid, &st, __WALL | WNOHANG) == pid)
				break;
			usleep(2000);
		}
		errno = 0;
		word = (uint64_t)ptrace(PTRACE_PEEKDATA, pid, (void *)&race_canary, NULL);
		if (!errno && word == race_canary) {
			struct aiguard_process_info info;
			int prot = ag_query(AIGUARD_TARGET_PID, pid, &info) == 0 &&
				   (info.flags & AIGUARD_PROC_PROTECTED);

			__atomic_fetch_add(prot ? &sh->after : &sh->before, 1, __ATOMIC_RELAXED);
		}
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	_exit(0);
}

/*
 * protect racing a fork in flight: a parent forks in a loop and is
 * protected meanwhile, while an attacker seizes each new pid as soon as
 * it exists. With fork_delay_us (a test-only parameter) the window
 * between a child becoming visible and the fork hook is 20 ms wide, so
 * both the protect and the seize land in it. No child may end up
 * protected with the attacker reading it; children of the parent before
 * its protection are read (the control).
 */
static void fork_delay_off(void)
{
	write_file(FORK_DELAY, "0");
}

static void protect_fork(int rounds)
{
	int i, tries, err, protected_ok = 0;
	struct race_shared *sh;
	pid_t seizer;

	tap_atexit(fork_delay_off);	/* also when the alarm ends the test */
	if (write_file(FORK_DELAY, "20000")) {
		tap_skip("no fork_delay_us parameter", "protect_fork: control");
		tap_skip("no fork_delay_us parameter", "protect_fork: no child protected and read");
		return;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		write_file(FORK_DELAY, "0");
		tap_ok(0, "protect_fork: shared page");
		return;
	}
	memset(sh, 0, sizeof(*sh));
	seizer = fork();
	if (seizer == 0)
		fork_seizer(sh);
	track_child(seizer);
	for (i = 0; i < rounds; i++) {
		pid_t p = fork();

		if (p == 0) {
			/* fork back to back, reaping nothing: always mid-fork */
			signal(SIGCHLD, SIG_IGN);
			for (;;) {
				if (fork() == 0) {
					usleep(300000);
					_exit(0);
				}
			}
		}
		usleep(30000 + 7000 * (i % 5));	/* a fork or two go by unprotected */
		/*
		 * EBUSY: the seizer has the parent itself, a new pid too,
		 * attached at this moment (slow kernels); it lets go soon.
		 */
		for (tries = 0; tries < 200; tries++) {
			err = ag_protect(AIGUARD_TARGET_PID, p, LABEL "-fork2", NULL);
			if (!err || errno != EBUSY)
				break;
			usleep(10000);
		}
		if (!err)
			protected_ok++;
		usleep(400000);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
	sh->stop = 1;
	waitpid(seizer, NULL, 0);
	write_file(FORK_DELAY, "0");
	tap_ok(sh->before > 0, "protect_fork: control: the attacker reads children forked before the protection (%ld)",
	       sh->before);
	tap_ok(sh->after == 0 && protected_ok == rounds,
	       "protect_fork: no child read while protected (%ld), %d of %d parents protected mid-fork",
	       sh->after, protected_ok, rounds);
	munmap(sh, sizeof(*sh));
}

#define PROTECT_DELAY "/sys/module/aiguard/parameters/protect_delay_ms"

static void protect_delay_off(void)
{
	write_file(PROTECT_DELAY, "0");
}

/* How many entries carry @label (-1: LIST failed). */
static int label_entries(const char *label)
{
	static struct aiguard_process_info info[1024];
	struct aiguard_list l = { .entries = (uintptr_t)info, .capacity = 1024 };
	int i, n = 0;

	if (ioctl(ag_fd(), AIGUARD_IOC_LIST, &l))
		return -1;
	for (i = 0; i < (int)l.count; i++)
		n += !strncmp(info[i].label, label, sizeof(info[i].label));
	return n;
}

/*
 * protect_reap: a protect overtaken by its target's exit and then by its
 * reaping. The test-only parameter protect_delay_ms makes the protect
 * sleep after its checks, while the target is SIGKILLed and exits (its
 * exit hook finds no entry yet), and again after the insert, while the
 * parent reaps it. Reaping detaches the group's pid from the task, so a
 * protect that looked the key up again would miss its own entry and
 * leave it behind, pinning the module (the fuzzer's exiting children hit
 * this in CI). Every round must race like that, and no entry may be left.
 */
/*
 * Whether @pid sleeps in msleep() (/proc/PID/wchan): the protect's
 * delay, past its checks. Polled for 5 s at most: a fixed pause lost the
 * race on a loaded CI machine (the protect was still before its checks
 * when the target was killed), and the first protect of a run attaches
 * the held set first, sleeping elsewhere (mutexes, RCU) meanwhile.
 */
static int asleep_in_protect(pid_t pid)
{
	char path[64], buf[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	for (i = 0; i < 5000; i++) {
		if (read_file(path, buf, sizeof(buf)) > 0 && !strcmp(buf, "msleep"))
			return 1;
		usleep(1000);
	}
	return 0;
}

static void protect_reap(int rounds)
{
	int i, raced = 0, left = -1, sync[2];
	char c;

	tap_atexit(protect_delay_off);	/* also when the alarm ends the test */
	if (write_file(PROTECT_DELAY, "100") || pipe(sync)) {
		tap_skip("no protect_delay_ms parameter", "protect_reap: target reaped mid-protect");
		tap_skip("no protect_delay_ms parameter", "protect_reap: no entry left");
		return;
	}
	for (i = 0; i < rounds; i++) {
		struct aiguard_process_info qi;
		int pidfd, st, seen = 0, j;
		siginfo_t si;
		pid_t t, p;

		t = fork();
		if (t == 0) {
			for (;;)
				pause();
		}
		pidfd = (int)syscall(SYS_pidfd_open, t, 0);
		p = fork();
		if (p == 0) {
			if (write(sync[1], "x", 1) != 1)
				_exit(100);
			_exit(ag_protect(AIGUARD_TARGET_PID, t, LABEL "-reap", NULL) ? errno : 0);
		}
		if (read(sync[0], &c, 1) != 1)
			break;
		asleep_in_protect(p);	/* the protect is past its checks, asleep */
		kill(t, SIGKILL);
		memset(&si, 0, sizeof(si));
		waitid(P_PID, t, &si, WEXITED | WNOWAIT);	/* a zombie: exit hook done */
		for (j = 0; j < 500 && !seen; j++) {	/* the insert: second sleep */
			seen = !ag_query(AIGUARD_TARGET_PIDFD, pidfd, &qi) &&
			       (qi.flags & AIGUARD_PROC_PROTECTED);
			if (!seen)
				usleep(1000);
		}
		waitpid(t, NULL, 0);	/* reaped while the protect sleeps */
		waitpid(p, &st, 0);
		raced += seen && WIFEXITED(st) && WEXITSTATUS(st) == 0;
		close(pidfd);
	}
	write_file(PROTECT_DELAY, "0");
	close(sync[0]);
	close(sync[1]);
	for (i = 0; i < 100 && left; i++) {
		left = label_entries(LABEL "-reap");
		if (left)
			usleep(10000);
	}
	tap_ok(raced == rounds,
	       "protect_reap: the target exited and was reaped inside its protect (%d of %d rounds)",
	       raced, rounds);
	tap_ok(left == 0, "protect_reap: no entry outlives its reaped process (%d left)", left);
}

/* The exec_mem target: re-exec this binary @argv[2] more times, then exit. */
#define RACE_EXEC_ARG "--race-exec"
static void race_exec_main(char **argv)
{
	char next[16];
	int left = atoi(argv[2]);

	if (left <= 0)
		_exit(0);
	snprintf(next, sizeof(next), "%d", left - 1);
	execl("/proc/self/exe", argv[0], RACE_EXEC_ARG, next, (char *)NULL);
	_exit(1);
}

/*
 * exec racing a /proc/PID/mem open: a process re-execs itself @n times
 * while an attacker opens and reads its mem. Protected, not one read
 * gets the canary, in any image or between two; the control shows the
 * attacker reading an unprotected one.
 */
static long exec_mem_round(const char *label, int n, int *status)
{
	struct race_shared *sh;
	int ready[2];
	pid_t reader, p;
	char num[16], c;
	long got;

	sh = race_shared(&reader);
	if (!sh)
		return -1;
	snprintf(num, sizeof(num), "%d", n);
	if (pipe(ready))
		return -1;
	p = fork();
	if (p == 0) {
		close(ready[0]);
		if (label && ag_protect(AIGUARD_TARGET_SELF, 0, label, NULL))
			_exit(2);
		/* the attacker starts once it is protected, not before */
		if (write(ready[1], "1", 1) != 1)
			_exit(3);
		close(ready[1]);
		execl("/proc/self/exe", self_exe(), RACE_EXEC_ARG, num, (char *)NULL);
		_exit(1);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	close(ready[0]);
	sh->protected = label != NULL;
	sh->pid = p;
	waitpid(p, status, 0);
	sh->pid = 0;
	got = label ? sh->after : sh->before;
	race_shared_end(sh, reader);
	return got;
}

static void exec_mem(int n)
{
	int sc = -1, sp = -1;
	long ctl = exec_mem_round(NULL, n, &sc), prot = exec_mem_round(LABEL "-exec", n, &sp);

	tap_ok(ctl > 0 && WIFEXITED(sc) && !WEXITSTATUS(sc),
	       "exec_mem: control: root reads a process that keeps exec'ing (%ld reads over %d execs)",
	       ctl, n);
	tap_ok(prot == 0 && WIFEXITED(sp) && !WEXITSTATUS(sp),
	       "exec_mem: never a protected one, across %d execs (%ld reads)", n, prot);
}

int main(int argc, char **argv)
{
	/* "make stress" sets ag_stress: 50 times the tries */
	int n = getenv("AG_RACES_N") ? atoi(getenv("AG_RACES_N")) :
		getenv("ag_stress") ? 10000 : 200;

	if (argc >= 3 && !strcmp(argv[1], RACE_EXEC_ARG))
		race_exec_main(argv);
	tap_init(argc, argv, getenv("ag_stress") ? 7200 : 540);
	fork_attach(n);
	protect_attach(n / 4);
	protect_exit(n / 4);
	protect_fork(getenv("ag_stress") ? 200 : 30);
	protect_reap(getenv("ag_stress") ? 200 : 10);
	exec_mem(n);
	exit_fd(getenv("ag_stress") ? 200 : 6);
	pid_reuse();
	return tap_done();
}
