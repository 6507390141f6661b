// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID files that expose memory, environment, maps and fd links,
 * and the ones that must keep working.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
	still_works(&prot);

	target_stop(&ctl);
	target_stop(&prot);
	return tap_done();
}
