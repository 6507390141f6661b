// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID files that expose memory, environment, maps and fd links,
 * and the ones that must keep working.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "attacks.h"

static const struct attack *const attacks[] = {
	&atk_proc_mem, &atk_proc_environ, &atk_proc_auxv, &atk_proc_maps,
	&atk_proc_smaps, &atk_proc_pagemap, &atk_proc_syscall, &atk_proc_stack,
	&atk_proc_fd_open_memfd, &atk_readlink_exe, &atk_readlink_cwd,
	&atk_readlink_root, &atk_readlink_fd,
};

/* /proc/PID/task/TID/mem of a second thread */
static void task_mem(struct target *ctl, struct target *prot)
{
	struct target *ts[2] = { ctl, prot };

	for (int i = 0; i < 2; i++) {
		struct target_msg m;
		struct victim v = victim_of(ts[i]);

		if (target_cmd(ts[i], TCMD_THREAD, 0, &m) == 0 && m.ret == 0)
			v.tid = m.tid;
		else
			tap_diag("no second thread in target %d", ts[i]->pid);
		if (i == 0)
			check_control(&atk_proc_task_mem, &v);
		else
			check_protected(&atk_proc_task_mem, &v);
	}
}

/*
 * Descriptors opened before protection: /proc/PID/mem checks ptrace
 * access at open, so it is opened while the target is still unprotected
 * and used after it is protected. Every read is decided again. A second
 * unprotected target's descriptor keeps reading.
 */
static void opened_before(void)
{
	struct target a, b;
	int mem_a, mem_b;
	char buf[256];
	ssize_t n;

	target_spawn(&a, TGT_CONTROL, NULL);
	target_spawn(&b, TGT_CONTROL, NULL);
	snprintf(buf, sizeof(buf), "/proc/%d/mem", a.pid);
	mem_a = open(buf, O_RDONLY | O_CLOEXEC);
	snprintf(buf, sizeof(buf), "/proc/%d/mem", b.pid);
	mem_b = open(buf, O_RDONLY | O_CLOEXEC);
	if (!tap_ok(mem_a >= 0 && mem_b >= 0,
		    "opened_before: /proc/PID/mem opens while unprotected"))
		goto out;
	n = pread(mem_a, buf, sizeof(buf), a.info.heap_addr);
	tap_ok(n > 0 && has(buf, n, a.c.heap),
	       "opened_before: control: the mem descriptor reads the canary before protection");
	EXPECT_RET(ag_protect(AIGUARD_TARGET_PID, a.pid, "e2e-opened-before", NULL), 0,
		   "opened_before: protect the target");
	memset(buf, 0, sizeof(buf));
	errno = 0;
	n = pread(mem_a, buf, sizeof(buf), a.info.heap_addr);
	tap_ok(n < 0 && errno == EPERM && !has(buf, sizeof(buf), a.c.heap),
	       "opened_before: after protection, the mem descriptor is refused (%zd, %s)",
	       n, errname(errno));
	n = pread(mem_b, buf, sizeof(buf), b.info.heap_addr);
	tap_ok(n > 0 && has(buf, n, b.c.heap),
	       "opened_before: control: another process's mem descriptor still reads");
out:
	if (mem_a >= 0)
		close(mem_a);
	if (mem_b >= 0)
		close(mem_b);
	target_stop(&a);
	target_stop(&b);
}

static int set_permissive(int on)
{
	struct aiguard_mode m = { .flags = on ? AIGUARD_MODE_PERMISSIVE : 0 };

	return ag_fd() < 0 ? -1 : ioctl(ag_fd(), AIGUARD_IOC_SET_MODE, &m);
}

/* A /proc/PID/mem opened in permissive mode is refused once it is off. */
static void opened_permissive(void)
{
	struct target a;
	char path[64], buf[256];
	int fd = -1;
	ssize_t n;

	target_spawn(&a, TGT_PIDFD, "e2e-opened-permissive");
	if (!tap_ok(target_is_protected(&a) && set_permissive(1) == 0,
		    "opened_permissive: a protected target, permissive mode on"))
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/mem", a.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf), a.info.heap_addr);
	tap_ok(n > 0 && has(buf, n, a.c.heap),
	       "opened_permissive: control: in permissive mode its mem opens and reads");
	set_permissive(0);
	memset(buf, 0, sizeof(buf));
	errno = 0;
	n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf), a.info.heap_addr);
	tap_ok(fd >= 0 && n < 0 && errno == EPERM && !has(buf, sizeof(buf), a.c.heap),
	       "opened_permissive: permissive off, the descriptor is refused (%zd, %s)",
	       n, errname(errno));
out:
	set_permissive(0);
	if (fd >= 0)
		close(fd);
	target_stop(&a);
}

/*
 * Entries of /proc/PID/map_files: how many besides "." and "..", or -1
 * with errno; *opened says whether open() succeeded.
 */
static int map_files_list(pid_t pid, int *opened)
{
	char path[64], buf[4096];
	int fd, n = 0;
	long got;

	snprintf(path, sizeof(path), "/proc/%d/map_files", pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*opened = fd >= 0;
	if (fd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);

			n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
			off += de->d_reclen;
		}
	}
	if (got < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return n;
}

/*
 * map_files: the kernel asks the ptrace check when the directory is
 * read, so root used to open a protected process's and then fail in the
 * middle of the listing, which every /proc walker treats as an error. It
 * is refused at open, with the errno readdir gave; the control's lists.
 */
static void map_files(struct target *ctl, struct target *prot)
{
	struct aiguard_stats st0, st1;
	int opened, n;

	n = map_files_list(ctl->pid, &opened);
	tap_ok(n > 0, "proc_map_files_lists_control (%d entries%s%s)", n,
	       n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	ag_stats(&st0);
	errno = 0;
	n = map_files_list(prot->pid, &opened);
	if (n >= 0)
		tap_ok(0, "proc_map_files_refused_at_open_protected (opened, %d entries listed)", n);
	else
		tap_ok(!opened && errno == EACCES,
		       "proc_map_files_refused_at_open_protected (%s: %s)",
		       opened ? "opened, then getdents" : "open", strerror(errno));
	ag_stats(&st1);
	tap_ok(st1.denied[AIGUARD_HOOK_PTRACE_ACCESS] > st0.denied[AIGUARD_HOOK_PTRACE_ACCESS],
	       "proc_map_files_refusal_counted (%llu -> %llu)",
	       (unsigned long long)st0.denied[AIGUARD_HOOK_PTRACE_ACCESS],
	       (unsigned long long)st1.denied[AIGUARD_HOOK_PTRACE_ACCESS]);
}

static void still_readable(struct target *t, const char *file, const char *want)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", t->pid, file);
	if (!target_is_protected(t)) {
		tap_ok(0, "proc_%s_readable_protected", file);
		return;
	}
	n = read_file(path, buf, sizeof(buf));
	/* cmdline is NUL-separated: search all of it. */
	tap_ok(n > 0 && memmem(buf, n, want, strlen(want)) && !leaks(t, buf, n),
	       "proc_%s_readable_protected", file);
	if (n < 0)
		tap_diag("  %s: %s", path, strerror(errno));
}

static void still_works(struct target *t)
{
	char want[32];
	struct dirent *de;
	DIR *d;
	int found = 0, st = 0;

	still_readable(t, "status", "Name:");
	still_readable(t, "cmdline", "__aiguard_target");
	snprintf(want, sizeof(want), "%d (", t->pid);
	still_readable(t, "stat", want);

	d = opendir("/proc");
	while (d && (de = readdir(d)))
		if (atoi(de->d_name) == t->pid)
			found = 1;
	if (d)
		closedir(d);
	tap_ok(found && target_is_protected(t), "proc_readdir_lists_protected");

	if (!target_is_protected(t)) {
		tap_ok(0, "kill_sigterm_protected");
		return;
	}
	EXPECT_RET(kill(t->pid, SIGTERM), 0, "kill_sigterm_protected");
	tap_ok(wait_timeout(t->pid, &st, 0, 3000) == t->pid && WIFSIGNALED(st) &&
	       WTERMSIG(st) == SIGTERM, "kill_sigterm_protected_terminates");
	t->pid = -1;
}

int main(int argc, char **argv)
{
	struct target ctl, prot;

	tap_init(argc, argv, 60);
	target_spawn(&ctl, TGT_CONTROL, NULL);
	target_spawn(&prot, TGT_PIDFD, "e2e-procfs");

	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		check_pair(attacks[i], &ctl, &prot);
	task_mem(&ctl, &prot);
	opened_before();
	opened_permissive();
	map_files(&ctl, &prot);
	still_works(&prot);

	target_stop(&ctl);
	target_stop(&prot);
	return tap_done();
}
