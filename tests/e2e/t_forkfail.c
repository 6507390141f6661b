// SPDX-License-Identifier: GPL-2.0
/*
 * A protected process's fork failing at each of its allocations in turn
 * leaves nothing of aiguard behind.
 *
 * A child of a protected process is protected from security_task_alloc()
 * on, through a "pending" entry keyed by its task_struct, until it has a
 * pid. When the fork fails after that point the entry must go with the
 * task, or it leaks (with a module reference), and the next task the slab
 * puts at that address looks protected. The LSM blob allocation
 * (lsm_task_alloc()) is one such point: when it fails,
 * security_task_free() is never called.
 *
 * With the kernel's fault injection (/proc/self/fail-nth, failslab; the
 * debug kernel has it), a protected child forks with its Nth slab
 * allocation failing, for N = 1, 2, ... until a fork succeeds. After each
 * failed fork no entry may stay pending (GET_STATS nr_pending), and an
 * unprotected process's children are not protected.
 *
 * Memory pressure: with every allocation from aiguard's entry cache failing
 * (failslab with its cache filter; the debug guest boots with
 * slub_debug=A,aiguard_entry, which marks that cache alone for it), a
 * protected process still forks a burst of
 * children, from aiguard's reserve, each of them protected; past the
 * reserve its forks fail with ENOMEM, and no child ever runs unprotected.
 *
 * Skipped where the kernel has no fault injection (the stock kernels).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib.h"

#define LABEL		"e2e-forkfail"
#define GFP_WAIT	"/sys/kernel/debug/failslab/ignore-gfp-wait"
#define VERBOSE		"/sys/kernel/debug/failslab/verbose"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_N		400
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define CACHE_FAIL	"/sys/kernel/slab/aiguard_entry/failslab"	/* the mark, read-only */
#define BURST		16	/* well inside the module's reserve of 64 */
#define MAX_KIDS	256	/* well past it */

struct result {
	int32_t tried, failed, survived, succeeded_at, leaked, first_leak;
	int32_t fail_errno;
};

/*
 * This thread's fail-nth, opened once: an open() allocates, and would
 * use up (or take) an injected failure itself.
 */
static int nth_fd = -1;

static int set_fail_nth(int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%d", n);

	return pwrite(nth_fd, s, (size_t)len, 0) == len ? 0 : -1;
}

/* What is left of the count; -1 on error. */
static int fail_nth_left(void)
{
	char s[16];
	ssize_t n = pread(nth_fd, s, sizeof(s) - 1, 0);

	if (n <= 0)
		return -1;
	s[n] = '\0';
	return atoi(s);
}

/* nr_pending back to 0 within 2 s (a failed fork's task is freed by RCU). */
static int pending_drained(void)
{
	struct aiguard_stats st;
	int i;

	for (i = 0; i < 200; i++) {
		if (ag_stats(&st) == 0 && st.nr_pending == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Runs in the protected child: fork with the Nth allocation failing. */
static void forker(void *arg)
{
	struct result *r = arg;
	pid_t pid;
	int n;

	nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		_exit(2);
	for (n = 1; n <= MAX_N; n++) {
		int left;

		r->tried = n;
		if (set_fail_nth(n))
			_exit(2);
		pid = fork();
		if (pid == 0)
			_exit(0);
		/*
		 * Some allocations of a fork have a fallback: their failure
		 * does not fail the fork. What is left of the count says
		 * whether the fork made n allocations at all.
		 */
		left = fail_nth_left();
		set_fail_nth(0);
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			if (left > 0) {
				r->succeeded_at = n;
				break;
			}
			r->survived++;
		} else {
			r->failed++;
			r->fail_errno = errno;
		}
		if (!pending_drained()) {
			if (!r->leaked++)
				r->first_leak = n;
		}
	}
	_exit(0);
}

struct burst {
	int32_t forked, unprotected, fail_errno;
	volatile int32_t go;	/* b[0]: the entry cache fails from now on */
};

/*
 * Runs in a protected process: forks up to max children that stay alive,
 * until a fork fails; each must be protected from the start.
 */
static void burst(struct burst *b, int max)
{
	struct aiguard_process_info info;
	static pid_t kids[MAX_KIDS];
	int i, n = 0;
	pid_t pid;

	b->fail_errno = 0;
	for (i = 0; i < max; i++) {
		pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			b->fail_errno = errno;
			break;
		}
		kids[n++] = pid;
		if (ag_query(AIGUARD_TARGET_PID, pid, &info) ||
		    !(info.flags & AIGUARD_PROC_PROTECTED))
			b->unprotected++;
	}
	b->forked = n;
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
}

static void pressure_forker(void *arg)
{
	struct burst *b = arg;
	int i;

	for (i = 0; i < 10000 && !b[0].go; i++)
		usleep(1000);
	burst(&b[0], BURST);
	/* the burst's entries go back to the reserve after a grace period */
	sleep(1);
	burst(&b[1], MAX_KIDS);
	_exit(0);
}

/* failslab settings this test changes, restored afterwards */
static const char *const fs_knobs[] = {
	"probability", "interval", "times", "space", "verbose", "cache-filter",
	"ignore-gfp-wait",
};
#define NKNOBS	((int)(sizeof(fs_knobs) / sizeof(fs_knobs[0])))

/* The injection on or off: failslab's probability, 100 or 0 percent. */
static int inject(int on)
{
	return write_file(FAILSLAB "probability", on ? "100" : "0");
}

static void test_pressure(void)
{
	static const char *const set[] = { "0", "1", "-1", "0", "0", "Y", "N" };
	char saved[NKNOBS][32], path[128], mark[8] = "";
	int i, st, bad_knob = 0, probe_err;
	struct burst *b;
	pid_t pid, probe;

	read_file(CACHE_FAIL, mark, sizeof(mark) - 1);
	if (mark[0] != '1') {
		tap_skip("aiguard's entry cache has no failslab mark (boot with "
			 "slub_debug=A,aiguard_entry)", "pressure_injection_works");
		tap_skip("no failslab mark", "pressure_burst_forks_from_reserve");
		tap_skip("no failslab mark", "pressure_past_reserve_fails_enomem");
		tap_skip("no failslab mark", "pressure_forks_again_after");
		return;
	}
	b = mmap(NULL, 2 * sizeof(*b), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (b == MAP_FAILED) {
		tap_bail_out("mmap");
		return;
	}
	memset(b, 0, 2 * sizeof(*b));
	/* off for now; with cache-filter, only marked caches ever fail */
	for (i = 0; i < NKNOBS; i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", fs_knobs[i]);
		memset(saved[i], 0, sizeof(saved[i]));
		read_file(path, saved[i], sizeof(saved[i]) - 1);
		saved[i][strcspn(saved[i], "\n")] = '\0';
		if (write_file(path, set[i])) {
			tap_diag("cannot set failslab/%s to %s: %s", fs_knobs[i], set[i],
				 strerror(errno));
			bad_knob++;
		}
	}
	/*
	 * Whether the injection works: a protect (GFP_KERNEL, which
	 * ignore-gfp-wait=N lets fail too) must now fail with ENOMEM.
	 */
	probe = fork();
	if (probe == 0) {
		pause();
		_exit(0);
	}
	bad_knob += !!inject(1);
	probe_err = ag_protect(AIGUARD_TARGET_PID, probe, LABEL "-probe", NULL) ? errno : 0;
	inject(0);
	child_kill(probe);
	/* the forker is protected before its entry cache starts failing */
	pid = fork_protected(LABEL "-pressure", NULL, pressure_forker, b);
	bad_knob += !!inject(1);
	b[0].go = 1;
	if (pid > 0 && wait_timeout(pid, &st, 0, 300000) != pid)
		child_kill(pid);
	inject(0);
	for (i = 0; i < NKNOBS; i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", fs_knobs[i]);
		write_file(path, saved[i]);
	}

	tap_ok(!bad_knob && probe_err == ENOMEM,
	       "pressure_injection_works: a protect fails with ENOMEM (%s)",
	       errname(probe_err));
	tap_ok(pid > 0 && b[0].forked == BURST && b[0].unprotected == 0,
	       "pressure_burst_forks_from_reserve");
	tap_diag("  entry cache failing every allocation: a burst of %d forks made %d "
		 "children (%d unprotected), last error %s", BURST, b[0].forked,
		 b[0].unprotected, errname(b[0].fail_errno));
	tap_ok(b[1].fail_errno == ENOMEM && b[1].forked < MAX_KIDS && b[1].unprotected == 0,
	       "pressure_past_reserve_fails_enomem");
	tap_diag("  then %d children until a fork failed with %s (%d unprotected)",
		 b[1].forked, errname(b[1].fail_errno), b[1].unprotected);
	memset(b, 0, 2 * sizeof(*b));
	b[0].go = 1;
	pid = fork_protected(LABEL "-after", NULL, pressure_forker, b);
	if (pid > 0 && wait_timeout(pid, &st, 0, 300000) != pid)
		child_kill(pid);
	tap_ok(b[0].forked == BURST && b[1].forked == MAX_KIDS && !b[0].unprotected &&
	       !b[1].unprotected, "pressure_forks_again_after");
	munmap(b, 2 * sizeof(*b));
}

/* An unprotected process forks: none of its children may be protected. */
static int unprotected_children_protected(int n)
{
	struct aiguard_process_info info;
	int bad = 0, i;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0)
			break;
		if (ag_query(AIGUARD_TARGET_PID, pid, &info) == 0 &&
		    (info.flags & AIGUARD_PROC_PROTECTED))
			bad++;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct result *r;
	char old[8] = "Y", verbose[8] = "2";
	pid_t pid;
	int st;

	tap_init(argc, argv, 600);
	if (access("/proc/self/fail-nth", W_OK) || access(GFP_WAIT, W_OK)) {
		tap_skip("kernel without fault injection (CONFIG_FAULT_INJECTION, FAILSLAB, "
			 "FAULT_INJECTION_DEBUG_FS)", "fork_failing_at_each_allocation_leaves_nothing");
		tap_skip("kernel without fault injection", "fork_failures_seen");
		tap_skip("kernel without fault injection", "unprotected_children_not_protected");
		tap_skip("kernel without fault injection", "pressure_injection_works");
		tap_skip("kernel without fault injection", "pressure_burst_forks_from_reserve");
		tap_skip("kernel without fault injection", "pressure_past_reserve_fails_enomem");
		tap_skip("kernel without fault injection", "pressure_forks_again_after");
		return tap_done();
	}
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		tap_bail_out("mmap");
		return 1;
	}
	memset(r, 0, sizeof(*r));
	read_file(GFP_WAIT, old, sizeof(old) - 1);
	read_file(VERBOSE, verbose, sizeof(verbose) - 1);
	/* lsm_task_alloc() and most of fork allocate with GFP_KERNEL */
	write_file(GFP_WAIT, "N");
	/* no stack dump per injected failure: the harness would call it a splat */
	write_file(VERBOSE, "0");

	pid = fork_protected(LABEL, NULL, forker, r);
	if (pid > 0 && wait_timeout(pid, &st, 0, 500000) != pid)
		child_kill(pid);
	write_file(GFP_WAIT, old[0] == 'N' ? "N" : "Y");
	verbose[strcspn(verbose, "\n")] = '\0';
	write_file(VERBOSE, verbose);

	tap_ok(pid > 0 && r->leaked == 0, "fork_failing_at_each_allocation_leaves_nothing");
	tap_diag("  forks with allocation N failing, N = 1..%d: %d failed (last errno %s), "
		 "%d survived the failure, no failure left at N = %d; %d left an entry "
		 "pending (first at N = %d)", r->tried, r->failed, errname(r->fail_errno),
		 r->survived, r->succeeded_at, r->leaked, r->first_leak);
	tap_ok(r->failed >= 10 && r->succeeded_at > 0, "fork_failures_seen");
	tap_ok(unprotected_children_protected(200) == 0, "unprotected_children_not_protected");
	test_pressure();
	return tap_done();
}
