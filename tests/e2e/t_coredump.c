// SPDX-License-Identifier: GPL-2.0
/*
 * Dumpable flag and core dumps.
 * Changes core_pattern, suid_dumpable and RLIMIT_CORE for the run and
 * restores them; with AIGUARD_E2E_HOST=1 the core dump part is skipped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib.h"

#define CORE_DIR	"/tmp/aiguard-cores"
#define CORE_PATTERN	"/proc/sys/kernel/core_pattern"
#define SUID_DUMPABLE	"/proc/sys/fs/suid_dumpable"

static char saved_pattern[256], saved_suid[16];
static int saved;

static void restore(void)
{
	if (!saved)
		return;
	if (write_file(CORE_PATTERN, saved_pattern) < 0 ||
	    write_file(SUID_DUMPABLE, saved_suid) < 0)
		tap_diag("WARNING: could not restore core_pattern/suid_dumpable");
	saved = 0;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[n - 1] = 0;
}

static int setup(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (read_file(CORE_PATTERN, saved_pattern, sizeof(saved_pattern)) < 0 ||
	    read_file(SUID_DUMPABLE, saved_suid, sizeof(saved_suid)) < 0)
		return -1;
	chomp(saved_pattern);
	chomp(saved_suid);
	if (saved_pattern[0] == 0)
		strcpy(saved_pattern, "core");
	saved = 1;
	tap_atexit(restore);
	tap_diag("saved core_pattern '%s', suid_dumpable %s", saved_pattern, saved_suid);
	mkdir(CORE_DIR, 0700);
	if (setrlimit(RLIMIT_CORE, &rl) < 0 || write_file(SUID_DUMPABLE, "2") < 0)
		return -1;
	return 0;
}

/* ---- dumpable ------------------------------------------------------------- */

static int cmd_ret(struct target *t, char cmd, struct target_msg *m)
{
	if (target_cmd(t, cmd, 0, m) < 0) {
		m->ret = -2;
		m->err = errno;
	}
	return m->ret;
}

static void dumpable(void)
{
	struct target ctl, prot;
	struct target_msg m;

	target_spawn(&ctl, TGT_CONTROL, NULL);
	target_spawn(&prot, TGT_PIDFD, "e2e-dump");

	expect_ret(cmd_ret(&ctl, TCMD_GET_DUMPABLE, &m), m.err, 1, "get_dumpable_control_is_1");
	if (target_is_protected(&prot))
		expect_ret(cmd_ret(&prot, TCMD_GET_DUMPABLE, &m), m.err, 0,
			   "get_dumpable_protected_is_0");
	else
		tap_ok(0, "get_dumpable_protected_is_0");

	expect_ret(cmd_ret(&ctl, TCMD_SET_DUMPABLE, &m), m.err, 0, "set_dumpable_control");
	if (target_is_protected(&prot)) {
		cmd_ret(&prot, TCMD_SET_DUMPABLE, &m);
		expect_fail(m.ret, m.err, EPERM, 0, "set_dumpable_protected_eperm");
		expect_ret(cmd_ret(&prot, TCMD_GET_DUMPABLE, &m), m.err, 0,
			   "get_dumpable_protected_still_0");
	} else {
		tap_ok(0, "set_dumpable_protected_eperm");
		tap_diag("  target not protected");
		tap_ok(0, "get_dumpable_protected_still_0");
		tap_diag("  target not protected");
	}

	/* execve resets dumpable to 1, the module must clear it again */
	if (cmd_ret(&ctl, TCMD_EXEC, &m) == 0)
		ctl.info = m;
	expect_ret(cmd_ret(&ctl, TCMD_GET_DUMPABLE, &m), m.err, 1,
		   "get_dumpable_after_exec_control_is_1");
	if (target_is_protected(&prot) && cmd_ret(&prot, TCMD_EXEC, &m) == 0) {
		prot.info = m;
		expect_ret(cmd_ret(&prot, TCMD_GET_DUMPABLE, &m), m.err, 0,
			   "get_dumpable_after_exec_protected_is_0");
	} else {
		tap_ok(0, "get_dumpable_after_exec_protected_is_0");
	}
	target_stop(&ctl);
	target_stop(&prot);
}

/* ---- core dumps ----------------------------------------------------------- */

/* Crashes t with sig; returns the wait status (-1 when it did not die). */
static int crash(struct target *t, int sig)
{
	int st = 0;
	pid_t pid = t->pid;

	target_cmd(t, TCMD_SIGNAL, sig, NULL);
	if (wait_timeout(pid, &st, 0, 10000) != pid)
		return -1;
	t->pid = -1;
	return st;
}

static char *slurp(const char *path, ssize_t *len)
{
	struct stat sb;
	char *buf;

	if (stat(path, &sb) < 0)
		return NULL;
	buf = malloc(sb.st_size + 1);
	if (!buf)
		return NULL;
	*len = read_file(path, buf, sb.st_size + 1);
	return buf;
}

/* Waits up to ms for path to appear. */
static int appears(const char *path, int ms)
{
	for (int i = 0; i < ms; i += 20) {
		if (access(path, F_OK) == 0)
			return 1;
		usleep(20000);
	}
	return access(path, F_OK) == 0;
}

static void core_case(enum tgt_mode mode, int sig, int pipe_mode)
{
	const char *kind = pipe_mode ? "pipe" : "file";
	const char *sname = sig == SIGSEGV ? "sigsegv" : "sigabrt";
	char path[128], tmp[128];
	struct target t;
	ssize_t len = 0;
	char *data;
	int st;

	if (target_spawn(&t, mode, "e2e-core") < 0 ||
	    (mode != TGT_CONTROL && !target_is_protected(&t))) {
		tap_ok(0, "coredump_%s_%s_%s", kind, sname,
		       mode == TGT_CONTROL ? "control_has_canary" : "protected_none");
		target_stop(&t);
		return;
	}
	if (pipe_mode) {
		snprintf(path, sizeof(path), CORE_DIR "/pipe.%d", t.pid);
		snprintf(tmp, sizeof(tmp), CORE_DIR "/.pipe.%d", t.pid);
	} else {
		snprintf(path, sizeof(path), CORE_DIR "/core.%d", t.pid);
		tmp[0] = 0;
	}
	unlink(path);
	st = crash(&t, sig);
	if (mode == TGT_CONTROL) {
		int ok = appears(path, 5000);

		data = ok ? slurp(path, &len) : NULL;
		tap_ok(st != -1 && WIFSIGNALED(st) && WCOREDUMP(st) && data &&
		       has(data, len, t.c.heap) && has(data, len, t.c.env),
		       "coredump_%s_%s_control_has_canary", kind, sname);
		tap_diag("  status %#x (signaled %d, core %d), %s: %s, %zd bytes, heap canary %s",
			 st, st != -1 && WIFSIGNALED(st), st != -1 && WCOREDUMP(st), path,
			 ok ? "present" : "missing", len,
			 has(data, len, t.c.heap) ? "found" : "not found");
	} else {
		int exists = appears(path, 1000) || (tmp[0] && access(tmp, F_OK) == 0);

		data = exists ? slurp(path, &len) : NULL;
		tap_ok(st != -1 && WIFSIGNALED(st) && !WCOREDUMP(st) && !exists,
		       "coredump_%s_%s_protected_none", kind, sname);
		tap_diag("  status %#x (signaled %d, core %d), %s %s%s", st,
			 st != -1 && WIFSIGNALED(st), st != -1 && WCOREDUMP(st), path,
			 exists ? "EXISTS" : "absent",
			 exists && leaks(&t, data, len) ? " and LEAKS the canary" : "");
	}
	free(data);
	unlink(path);
	target_stop(&t);
}

static void coredumps(void)
{
	char pattern[256];
	static const int sigs[] = { SIGSEGV, SIGABRT };

	if (setup() < 0) {
		tap_ok(0, "coredump_setup");
		tap_diag("  %s", strerror(errno));
		return;
	}
	for (int p = 0; p < 2; p++) {
		if (p == 0)
			snprintf(pattern, sizeof(pattern), CORE_DIR "/core.%%p");
		else
			snprintf(pattern, sizeof(pattern), "|%s __aiguard_corehelper " CORE_DIR " %%p",
				 self_exe());
		if (write_file(CORE_PATTERN, pattern) < 0) {
			tap_ok(0, "coredump_set_pattern %s", pattern);
			continue;
		}
		for (int s = 0; s < 2; s++) {
			core_case(TGT_CONTROL, sigs[s], p);
			core_case(TGT_PIDFD, sigs[s], p);
		}
	}
	restore();
}

int main(int argc, char **argv)
{
	tap_init(argc, argv, 120);
	dumpable();
	if (host_mode()) {
		tap_skip("AIGUARD_E2E_HOST=1: core_pattern left alone", "coredump_file_and_pipe");
	} else {
		coredumps();
	}
	return tap_done();
}
