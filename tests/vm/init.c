// SPDX-License-Identifier: GPL-2.0
/*
 * init.c - PID 1 of the aiguard test guests (in the style of WireGuard's
 * QEMU harness). Built static with pid1.c (the setup it shares with the
 * benchmark driver) and tests/e2e/tap.c; the initramfs holds only this,
 * busybox, the modules in /lib/aiguard/, the tool and the tests.
 *
 * It mounts the pseudo filesystems, loads aiguard.ko, checks the device,
 * relays KUnit results (when aiguard_kunit.ko is there), runs the smoke
 * test /tests/vm/t_smoke, then the "loaded" suites of
 * /tests/e2e/tests.list in list order, each with its output going to the
 * results port; unloads the module, asks kmemleak for leaks (debug
 * kernel); loads the module again for the "locked" suites, which lock the
 * policy, and checks that not even a forced unload removes it; prints the
 * end sentinel and powers off.
 *
 * The kernel console is ttyS0 (first -serial); results go to ttyS1 (second
 * -serial) as TAP, one "# suite: <name>" header per block. Checks made by
 * init itself are in suite "guest". tests/vm/run.sh parses that port.
 *
 * Kernel command line parameters the kernel does not know end up in our
 * environment: ag_test_timeout=<seconds> overrides the per-test timeout.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pid1.h"
#include "tap.h"

#define MODDIR PID1_MODDIR
#define SENTINEL "# aiguard-vm: done"

static int res = -1;	/* results port */

/* One TAP result of the "guest" suite, also shown on the console. */
static void check(int ok, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(res, "# suite: guest\n");
	tap_ok(ok, "%s", msg);
	pid1_say("%s: %s", ok ? "ok" : "FAILED", msg);
}

/* Copies a file to the results port; optional prefix on every line. */
static long relay_file(const char *path, const char *prefix)
{
	char line[1024];
	long n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		dprintf(res, "%s%s", prefix, line);
		n++;
	}
	fclose(f);
	return n;
}

/* Runs a program (or busybox sh script) and waits; returns the wait status. */
static int run(char *const argv[], int out_fd, int timeout, int *timed_out)
{
	time_t deadline = time(NULL) + timeout;
	int status;
	pid_t pid = fork();

	*timed_out = 0;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setsid();	/* own process group, so a timeout kills it all */
		if (out_fd >= 0) {
			dup2(out_fd, 1);
			dup2(out_fd, 2);
		}
		if (chdir("/tmp"))
			_exit(126);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t r;

		/*
		 * As PID 1, reap every orphan too, not just the test: a
		 * suite's sleepers, killed as it exits, are reparented here,
		 * and a zombie left in /proc breaks /proc walkers (readdir
		 * of a zombie's /proc/PID/net fails with EINVAL, which the
		 * kernel's proc/read selftest asserts never happens).
		 */
		while ((r = waitpid(-1, &status, WNOHANG)) > 0)
			if (r == pid)
				return status;
		if (r < 0 && errno != EINTR && errno != ECHILD)
			return -1;
		if (time(NULL) > deadline) {
			*timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		usleep(50 * 1000);
	}
}

static int load_module(const char *name)
{
	const char *step;

	if (pid1_load_module(name, "", &step)) {
		check(0, "load %s.ko: %s: %s", name, step, strerror(errno));
		return -1;
	}
	check(1, "load %s.ko", name);
	return 0;
}

/*
 * Up to 5 s: a suite's orphaned grandchildren (t_races forks them by the
 * hundred) may still be exiting, holding /dev/aiguard open. A reference
 * that is really leaked never goes, and still fails the check.
 */
static void unload_module(const char *name)
{
	if (pid1_unload_module(name, O_NONBLOCK, 50))
		check(0, "unload %s: delete_module: %s", name, strerror(errno));
	else
		check(1, "unload %s", name);
}

static void check_device(void)
{
	struct stat st;
	int tries;

	/* the node appears through devtmpfs; give it a moment */
	for (tries = 0; tries < 20 && stat("/dev/aiguard", &st); tries++)
		usleep(100 * 1000);
	if (tries == 20) {
		check(0, "/dev/aiguard exists: %s", strerror(errno));
		return;
	}
	check(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600,
	      "/dev/aiguard is a character device with mode 0600 (mode %o)",
	      st.st_mode & 07777);
}

/* KUnit runs the suites at module load; debugfs keeps their KTAP. */
static void run_kunit(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if (access(MODDIR "/aiguard_kunit.ko", F_OK))
		return;
	if (load_module("aiguard_kunit"))
		return;
	d = opendir("/sys/kernel/debug/kunit");
	check(d != NULL, "KUnit results in /sys/kernel/debug/kunit");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/results", de->d_name);
		if (access(path, R_OK)) {
			check(0, "read %s: %s", path, strerror(errno));
			continue;
		}
		dprintf(res, "# suite: kunit/%s\n", de->d_name);
		relay_file(path, "");
	}
	if (d)
		closedir(d);
	unload_module("aiguard_kunit");
}

/*
 * The e2e suites and their order come from tests.list ("<phase> <file>"
 * lines, see tests/e2e/tests.list): the "loaded" ones run after the smoke
 * test with the module loaded at boot; the "locked" ones seal the policy
 * until reboot, after which the module cannot be unloaded, so they run
 * last, after the unload and leak checks (see run_locked()).
 */
#define TESTS_LIST "/tests/e2e/tests.list"
#define MAX_SUITES 64

static struct suite {
	char phase[16];
	char file[128];
} suites[MAX_SUITES];
static int nsuites;

static void read_tests_list(void)
{
	char line[256], phase[16], file[128], extra[2];
	int lineno = 0, n;
	FILE *f = fopen(TESTS_LIST, "r");

	if (!f) {
		check(0, "read %s: %s", TESTS_LIST, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		n = sscanf(line, "%15s %127s %1s", phase, file, extra);
		if (n <= 0 || phase[0] == '#')
			continue;
		if (n != 2 || (strcmp(phase, "loaded") && strcmp(phase, "locked")) ||
		    nsuites == MAX_SUITES) {
			check(0, "%s line %d: \"<loaded|locked> <file>\" (at most %d): %s",
			      TESTS_LIST, lineno, MAX_SUITES, line);
			continue;
		}
		strcpy(suites[nsuites].phase, phase);
		strcpy(suites[nsuites].file, file);
		nsuites++;
	}
	fclose(f);
	pid1_say("%s: %d suites", TESTS_LIST, nsuites);
}

static int count_suites(const char *phase)
{
	int i, n = 0;

	for (i = 0; i < nsuites; i++)
		n += !strcmp(suites[i].phase, phase);
	return n;
}

/* Runs dir/name as suite "<suite_prefix>/<name>" and checks how it ended. */
static void run_suite(const char *dir, const char *suite_prefix, const char *name,
		      int timeout)
{
	char path[512], *argv[3];
	size_t len = strlen(name);
	int status, timed_out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (len > 3 && !strcmp(name + len - 3, ".sh")) {
		argv[0] = "/bin/sh";
		argv[1] = path;
		argv[2] = NULL;
	} else {
		argv[0] = path;
		argv[1] = NULL;
	}
	pid1_say("running %s/%s", suite_prefix, name);
	dprintf(res, "# suite: %s/%s\n", suite_prefix, name);
	status = run(argv, res, timeout, &timed_out);
	if (timed_out)
		check(0, "%s/%s finished within %d s", suite_prefix, name, timeout);
	else if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		check(0, "%s/%s exited cleanly (wait status 0x%x)",
		      suite_prefix, name, status);
	else
		check(1, "%s/%s exited cleanly", suite_prefix, name);
}

/* Runs the e2e suites of one phase, in list order. */
static void run_phase(const char *phase, int timeout)
{
	int i;

	for (i = 0; i < nsuites; i++)
		if (!strcmp(suites[i].phase, phase))
			run_suite("/tests/e2e", "e2e", suites[i].file, timeout);
}

/* Debug kernel only: report objects leaked between boot and now. */
static void kmemleak_start(void)
{
	/* no automatic scans (they would report boot-time objects on the
	 * console); forget whatever boot already leaked. */
	pid1_write_file("/sys/kernel/debug/kmemleak", "scan=off");
	pid1_write_file("/sys/kernel/debug/kmemleak", "scan");
	pid1_write_file("/sys/kernel/debug/kmemleak", "clear");
}

/*
 * One kmemleak record ("unreferenced object ..." and its indented lines)
 * is in @rec: relay it and say whether it was allocated by start_kernel()
 * itself, before init (and so before any module) existed. Such objects
 * are the kernel's own; with ACPI the debug kernel reports a few from
 * acpi_early_init(). Allocations from interrupts in CPU 0's idle loop
 * also end in start_kernel(), but through cpu_startup_entry(): those
 * count.
 */
static int kmemleak_record(const char *rec)
{
	int boot = strstr(rec, " start_kernel+") && !strstr(rec, "cpu_startup_entry");

	dprintf(res, "# kmemleak%s: %s", boot ? " (boot, before init)" : "", rec);
	return boot;
}

static void kmemleak_report(void)
{
	char line[1024], rec[8192] = "";
	long objects = 0, boot = 0;
	FILE *f;

	pid1_write_file("/sys/kernel/debug/kmemleak", "scan");
	sleep(1);
	pid1_write_file("/sys/kernel/debug/kmemleak", "scan");
	dprintf(res, "# suite: guest\n");
	f = fopen("/sys/kernel/debug/kmemleak", "r");
	if (!f) {
		check(0, "kmemleak: read the report: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19) || !rec[0]) {
			if (rec[0])
				boot += kmemleak_record(rec);
			objects++;
			rec[0] = '\0';
		}
		/* every line of a record gets the prefix */
		snprintf(rec + strlen(rec), sizeof(rec) - strlen(rec), "%s%s",
			 rec[0] ? "# kmemleak: " : "", line);
	}
	if (rec[0])
		boot += kmemleak_record(rec);
	fclose(f);
	check(objects == boot,
	      "kmemleak: no leaks after unloading the modules (%ld objects, %ld of them allocated by start_kernel before init)",
	      objects, boot);
}

/*
 * Load the module again, let the "locked" suites seal it, then prove that
 * not even a forced unload (O_TRUNC, rmmod -f) gets it out.
 */
static void run_locked(int timeout)
{
	int ret;

	if (!count_suites("locked"))
		return;
	if (load_module("aiguard"))
		return;
	run_phase("locked", timeout);
	ret = pid1_unload_module("aiguard", O_NONBLOCK | O_TRUNC, 1);
	check(ret == -1 && errno == EPERM,
	      "locked module refuses a forced unload (ret %d, %s)", ret,
	      ret ? strerror(errno) : "unloaded");
	check(!access("/sys/module/aiguard", F_OK) && !access("/dev/aiguard", F_OK),
	      "locked module and /dev/aiguard still present");
}

int main(void)
{
	const char *t = getenv("ag_test_timeout");
	int timeout = t ? atoi(t) : 120;
	int has_kmemleak, timed_out;
	struct utsname u;
	FILE *tap;

	pid1_setup("aiguard-init");
	setenv("PATH", "/usr/bin:/bin:/sbin", 1);
	setenv("HOME", "/tmp", 1);

	res = pid1_results_port();
	if (res < 0)
		goto out;
	/* the guest suite's results; flushed after every line */
	tap = fdopen(res, "w");
	if (!tap) {
		pid1_say("fdopen %s: %s", PID1_RESULTS_PORT, strerror(errno));
		goto out;
	}
	tap_output(tap);

	{
		char *bb[] = { "/bin/busybox", "--install", "-s", "/bin", NULL };

		run(bb, -1, 30, &timed_out);
	}

	uname(&u);
	dprintf(res, "TAP version 13\n# kernel: %s %s\n", u.release, u.version);
	pid1_say("kernel %s, per-test timeout %d s", u.release, timeout);

	has_kmemleak = !access("/sys/kernel/debug/kmemleak", F_OK);
	if (has_kmemleak)
		kmemleak_start();

	load_module("aiguard");
	check(!access("/sys/module/aiguard", F_OK), "/sys/module/aiguard present");
	check_device();
	run_kunit();
	read_tests_list();
	run_suite("/tests/vm", "vm", "t_smoke", timeout);
	run_phase("loaded", timeout);
	unload_module("aiguard");
	check(access("/sys/module/aiguard", F_OK) && access("/dev/aiguard", F_OK),
	      "module and /dev/aiguard gone after unload");
	if (has_kmemleak)
		kmemleak_report();
	run_locked(timeout);

	dprintf(res, SENTINEL "\n");
out:
	pid1_poweroff(res);
	return 0;
}
