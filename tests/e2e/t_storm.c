// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime storm: processes are born, change and die as fast as they can
 * while root attacks them and operates the policy around them.
 *
 * - Two breeders, one protected (label e2e-storm) and one control, keep
 *   forking children. Each child (and what it execs) at random exits,
 *   spawns threads, re-execs itself, execs from a non-leader thread (so
 *   that de_thread() makes that thread the leader), drops to nobody and
 *   execs a setuid-root copy of itself (a secure exec), or forks a
 *   grandchild. Every image asks AIGUARD_IOC_QUERY about itself at start,
 *   in threads and after exec: a descendant of the protected breeder
 *   must never see itself unprotected.
 * - Two attacker processes (root, outside the label) loop PTRACE_SEIZE
 *   with PTRACE_PEEKDATA, /proc/PID/mem, /proc/PID/environ and
 *   process_vm_readv against the newest storm processes. Each storm
 *   image holds a canary saying which breeder it descends from; an
 *   attack succeeded when it read a canary. Against the control's
 *   descendants every attack must succeed sometimes (it works); against
 *   the protected ones, never.
 * - A thread of this test protects, queries, grants, revokes and
 *   unprotects other processes and reads the audit stream meanwhile.
 *
 * Afterwards the breeders stop and reap: the registry must hold the
 * protected breeder and nothing of the storm, nothing pending, and no
 * probe hit may have been missed.
 *
 * Environment: ag_stress (set by "make stress": 60 s), AG_STORM_SECS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib.h"

#define LABEL		"e2e-storm"
#define OP_LABEL	"e2e-storm-op"
#define CHILD_ARG	"--storm-child"
#define SUID_COPY	"/tmp/ag-storm-suid"
#define NOBODY		65534
#define RING		256
#define MAX_KIDS	6
#define KIND_PROT	0x54524f504d525453ULL	/* "STRMPROT" */
#define KIND_CTRL	0x4c5254434d525453ULL	/* "STRMCTRL" */

enum { A_PTRACE, A_MEM, A_ENVIRON, A_VMREADV, A_NR };
static const char *const attack_names[A_NR] = { "ptrace", "proc_mem", "environ",
						"process_vm_readv" };

struct storm {
	volatile int stop;
	uint64_t forks, execs, thread_execs, suid_execs, threads, grandchildren;
	uint64_t checks, unprotected;
	int32_t first_unprotected;
	uint32_t ring_pos;
	struct {
		int32_t pid;
		int32_t prot;
		uint64_t addr;
	} ring[RING];
	uint64_t tries[A_NR], leaks[A_NR], ctl_hits[A_NR];
	uint64_t ops, op_errors, storm_grants;
};

static struct storm *sm;
static int dev = -1;
static volatile uint64_t storm_canary;	/* KIND_* in storm images only */

#define INC(field) __atomic_fetch_add(&sm->field, 1, __ATOMIC_RELAXED)

static uint64_t rnd(void)
{
	static __thread uint64_t s;

	if (!s)
		s = (uint64_t)syscall(SYS_gettid) * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)time(NULL);
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 0x2545f4914f6cdd1dULL;
}

/* ---- storm processes ------------------------------------------------- */

/* Asks the module whether this process is protected, as it must be. */
static void check_self(void)
{
	struct aiguard_query q = { .target.type = AIGUARD_TARGET_SELF };

	if (ioctl(dev, AIGUARD_IOC_QUERY, &q))
		return;
	INC(checks);
	if (storm_canary == KIND_PROT && !(q.info.flags & AIGUARD_PROC_PROTECTED)) {
		if (!__atomic_fetch_add(&sm->unprotected, 1, __ATOMIC_RELAXED))
			sm->first_unprotected = getpid();
	}
}

static void publish(void)
{
	uint32_t i = __atomic_fetch_add(&sm->ring_pos, 1, __ATOMIC_RELAXED) % RING;

	sm->ring[i].pid = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	sm->ring[i].addr = (uintptr_t)&storm_canary;
	sm->ring[i].prot = storm_canary == KIND_PROT;
	__atomic_store_n(&sm->ring[i].pid, getpid(), __ATOMIC_RELEASE);
}

static void *thread_check(void *unused)
{
	(void)unused;
	check_self();
	return NULL;
}

static void exec_self(const char *path, int depth)
{
	char d[16];

	snprintf(d, sizeof(d), "%d", depth);
	execl(path, path, CHILD_ARG, d, (char *)NULL);
	_exit(90);
}

static void *thread_exec(void *arg)
{
	exec_self(self_exe(), (int)(intptr_t)arg);
	return NULL;
}

/* One storm image: report, check, then one random act. */
static void storm_life(int depth)
{
	pthread_t th[4];
	pid_t pid;
	int i, n;

	publish();
	check_self();
	switch (depth >= 3 ? 0 : rnd() % 7) {	/* depth: execs so far */
	case 0:
		break;
	case 1:
		n = 1 + (int)(rnd() % 4);
		for (i = 0; i < n; i++)
			if (!pthread_create(&th[i], NULL, thread_check, NULL))
				INC(threads);
			else
				th[i] = 0;
		for (i = 0; i < n; i++)
			if (th[i])
				pthread_join(th[i], NULL);
		break;
	case 2:
		INC(execs);
		exec_self(self_exe(), depth + 1);
		break;
	case 3:
		INC(thread_execs);
		if (!pthread_create(&th[0], NULL, thread_exec, (void *)(intptr_t)(depth + 1)))
			for (;;)	/* the exec ends this thread */
				pause();
		break;
	case 4:
		if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
			break;
		exec_self(SUID_COPY, depth + 1);
		break;
	default:
		pid = fork();
		if (pid == 0) {
			INC(grandchildren);
			publish();
			check_self();
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		break;
	}
	_exit(0);
}

/* main() of every exec'd storm image. */
static void child_main(int argc, char **argv)
{
	const char *shm = getenv("AG_STORM_SHM"), *fd = getenv("AG_STORM_DEV");
	const char *kind = getenv("AG_STORM_KIND");

	if (!shm || !fd || !kind || argc < 3)
		_exit(91);
	sm = mmap(NULL, sizeof(*sm), PROT_READ | PROT_WRITE, MAP_SHARED, atoi(shm), 0);
	if (sm == MAP_FAILED)
		_exit(92);
	dev = atoi(fd);
	storm_canary = strcmp(kind, "prot") ? KIND_CTRL : KIND_PROT;
	if (getauxval(AT_SECURE))
		INC(suid_execs);
	storm_life(atoi(argv[2]));
}

/* A breeder: forks storm children until told to stop, then reaps them. */
static void breeder(void *arg)
{
	int kids = 0, i;
	pid_t pid;

	setenv("AG_STORM_KIND", arg ? "prot" : "ctrl", 1);
	storm_canary = arg ? KIND_PROT : KIND_CTRL;
	while (!sm->stop) {
		while (kids >= MAX_KIDS) {
			if (waitpid(-1, NULL, 0) > 0)
				kids--;
		}
		pid = fork();
		if (pid == 0) {
			INC(forks);
			storm_life(0);
		}
		if (pid > 0)
			kids++;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			kids--;
	}
	/* stop: reap every child (each reaps its own grandchild) */
	for (i = 0; i < 200; i++) {
		pid = waitpid(-1, NULL, WNOHANG);
		if (pid < 0)
			break;
		if (pid == 0)
			usleep(50000);
	}
	for (;;)
		pause();
}

/* ---- attackers ------------------------------------------------------- */

static int attack(int type, pid_t pid, uint64_t addr, uint64_t *got)
{
	char path[64], buf[4096];
	struct iovec l = { got, 8 }, r = { (void *)(uintptr_t)addr, 8 };
	ssize_t n;
	int fd, st, i;

	*got = 0;
	switch (type) {
	case A_PTRACE:
		if (ptrace(PTRACE_SEIZE, pid, 0, 0))
			return 0;
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		for (i = 0; i < 50; i++) {
			if (waitpid(pid, &st, __WALL | WNOHANG) == pid)
				break;
			usleep(2000);
		}
		errno = 0;
		*got = (uint64_t)ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)addr, 0);
		if (errno)
			*got = 0;
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return 0;
	case A_MEM:
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return 0;
		if (pread(fd, got, 8, (off_t)addr) != 8)
			*got = 0;
		close(fd);
		return 0;
	case A_ENVIRON:
		snprintf(path, sizeof(path), "/proc/%d/environ", pid);
		n = read_file(path, buf, sizeof(buf) - 1);
		if (n > 0 && has(buf, (size_t)n, "AG_STORM_KIND=prot"))
			*got = KIND_PROT;
		else if (n > 0 && has(buf, (size_t)n, "AG_STORM_KIND=ctrl"))
			*got = KIND_CTRL;
		return 0;
	default:
		if (process_vm_readv(pid, &l, 1, &r, 1, 0) != 8)
			*got = 0;
		return 0;
	}
}

static void attacker(void *unused)
{
	uint32_t i, k = 0;
	uint64_t got;
	pid_t pid;

	(void)unused;
	while (!sm->stop) {
		i = (__atomic_load_n(&sm->ring_pos, __ATOMIC_RELAXED) - 1 - (uint32_t)(rnd() % 8)) %
		    RING;
		pid = __atomic_load_n(&sm->ring[i].pid, __ATOMIC_ACQUIRE);
		if (pid <= 0)
			continue;
		k = (k + 1) % A_NR;
		INC(tries[k]);
		attack((int)k, pid, sm->ring[i].addr, &got);
		if (got == KIND_PROT)
			INC(leaks[k]);
		else if (got == KIND_CTRL)
			INC(ctl_hits[k]);
	}
	_exit(0);
}

/* ---- operators -------------------------------------------------------- */

struct ops {
	pid_t sleepers[3];
	int stop;
};

static void *operator(void *arg)
{
	struct ops *o = arg;
	struct aiguard_event ev[4];
	struct aiguard_process_info info;
	int rfd = open("/dev/aiguard", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	unsigned int i = 0;

	while (!__atomic_load_n(&o->stop, __ATOMIC_RELAXED)) {
		pid_t t = o->sleepers[i % 3], tracer = o->sleepers[(i + 1) % 3];
		struct aiguard_grant g = { .tracer = { AIGUARD_TARGET_PID, tracer },
					   .target = { AIGUARD_TARGET_PID, t }, .ttl_sec = 5 };
		int ok = 1;

		ok &= ag_protect(AIGUARD_TARGET_PID, t, OP_LABEL, NULL) == 0 || errno == EEXIST;
		ok &= ag_query(AIGUARD_TARGET_PID, t, &info) == 0;
		if (ioctl(ag_fd(), AIGUARD_IOC_GRANT, &g) == 0) {
			struct aiguard_revoke r = { .id = g.id };

			ok &= ioctl(ag_fd(), AIGUARD_IOC_REVOKE, &r) == 0;
		}
		if (i % 2)
			ok &= ag_unprotect(AIGUARD_TARGET_PID, t) == 0;
		/*
		 * storm processes: they come and go, so a grant naming one
		 * as its tracer races the tracer's exit and the reaper
		 */
		ag_query(AIGUARD_TARGET_PID, sm->ring[i % RING].pid, &info);
		g.tracer.id = sm->ring[(i * 7) % RING].pid;
		g.id = 0;
		if (g.tracer.id > 0 && ioctl(ag_fd(), AIGUARD_IOC_GRANT, &g) == 0)
			INC(storm_grants);
		while (rfd >= 0 && read(rfd, ev, sizeof(ev)) > 0)
			;
		INC(ops);
		if (!ok)
			INC(op_errors);
		i++;
	}
	if (rfd >= 0)
		close(rfd);
	for (i = 0; i < 3; i++)
		ag_unprotect(AIGUARD_TARGET_PID, o->sleepers[i]);
	ag_revoke_all();	/* for the suites after this one */
	return NULL;
}

static uint64_t missed(void)
{
	struct aiguard_stats st;
	uint64_t n = 0;
	int i;

	if (ag_stats(&st))
		return ~0ULL;
	for (i = 0; i < AIGUARD_HOOK_SLOTS; i++)
		n += st.missed[i];
	return n;
}

/* Copies this binary to SUID_COPY, setuid root. */
static int make_suid_copy(void)
{
	char buf[65536];
	int in = open(self_exe(), O_RDONLY), out;
	ssize_t n;

	unlink(SUID_COPY);
	out = open(SUID_COPY, O_WRONLY | O_CREAT | O_EXCL, 0755);
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	if (fchown(out, 0, 0) || fchmod(out, 04755))
		return -1;
	return close(out);
}

/* After the breeders stopped: exactly the protected breeder is left of the storm. */
static void registry_check(pid_t prot_breeder, uint64_t base)
{
	struct aiguard_process_info info[256];
	struct aiguard_list l = { .entries = (uintptr_t)info, .capacity = 256 };
	struct aiguard_stats st;
	int i, storm = 0, breeder_listed = 0, tries;

	for (tries = 0; tries < 50; tries++) {
		storm = breeder_listed = 0;
		if (ioctl(ag_fd(), AIGUARD_IOC_LIST, &l) || ag_stats(&st))
			break;
		for (i = 0; i < (int)l.count; i++) {
			if (strcmp(info[i].label, LABEL))
				continue;
			if ((pid_t)info[i].pid == prot_breeder)
				breeder_listed = 1;
			else
				storm++;
		}
		if (!storm && breeder_listed && st.nr_protected == base + 1 && !st.nr_pending)
			break;
		usleep(100000);
	}
	tap_ok(!storm && breeder_listed && st.nr_protected == base + 1 && !st.nr_pending,
	       "storm_registry_holds_exactly_the_live_protected");
	tap_diag("  after the storm: breeder listed %d, other %s entries %d, nr_protected %llu "
		 "(baseline %llu + 1), nr_pending %llu", breeder_listed, LABEL, storm,
		 (unsigned long long)st.nr_protected, (unsigned long long)base,
		 (unsigned long long)st.nr_pending);
}

int main(int argc, char **argv)
{
	const char *env = getenv("AG_STORM_SECS");
	int secs = env ? atoi(env) : getenv("ag_stress") ? 60 : 10;
	struct ops o = { .stop = 0 };
	struct aiguard_stats st;
	pid_t prot, ctrl, att[2];
	uint64_t missed0, missed1, base, sum_leaks = 0, exercised;
	char num[16];
	int shm, i, all_hit = 1;
	pthread_t op;

	if (argc >= 2 && !strcmp(argv[1], CHILD_ARG))
		child_main(argc, argv);
	tap_init(argc, argv, (unsigned int)secs * 4 + 120);
	if (ag_fd() < 0 || ag_stats(&st)) {
		tap_bail_out(ag_error());
		return 1;
	}
	base = st.nr_protected;
	shm = memfd_create("ag-storm", 0);
	if (shm < 0 || ftruncate(shm, sizeof(*sm)) ||
	    (sm = mmap(NULL, sizeof(*sm), PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0)) ==
	    MAP_FAILED) {
		tap_bail_out("memfd");
		return 1;
	}
	tap_ok(make_suid_copy() == 0, "storm_setuid_copy_made");
	dev = ag_open();		/* inherited over exec: nobody cannot open it */
	if (dev < 0 || fcntl(dev, F_SETFD, 0)) {
		tap_bail_out(ag_error());
		return 1;
	}
	snprintf(num, sizeof(num), "%d", shm);
	setenv("AG_STORM_SHM", num, 1);
	snprintf(num, sizeof(num), "%d", dev);
	setenv("AG_STORM_DEV", num, 1);
	missed0 = missed();

	for (i = 0; i < 3; i++)
		o.sleepers[i] = spawn_sleeper();
	for (i = 0; i < 2; i++)		/* before the breeders: outside the label */
		att[i] = fork_protected(NULL, NULL, attacker, NULL);
	prot = fork_protected(LABEL, NULL, breeder, (void *)1);
	ctrl = fork_protected(NULL, NULL, breeder, NULL);
	pthread_create(&op, NULL, operator, &o);
	tap_diag("storm for %d s: protected breeder %d, control %d, attackers %d %d", secs,
		 prot, ctrl, att[0], att[1]);

	sleep((unsigned int)secs);
	sm->stop = 1;
	__atomic_store_n(&o.stop, 1, __ATOMIC_RELAXED);
	pthread_join(op, NULL);
	for (i = 0; i < 2; i++)
		wait_timeout(att[i], NULL, 0, 10000);
	missed1 = missed();

	tap_diag("  %llu forks (%.0f/s), %llu execs, %llu execs from a non-leader thread, "
		 "%llu setuid execs, %llu threads, %llu grandchildren",
		 (unsigned long long)sm->forks, (double)sm->forks / secs,
		 (unsigned long long)sm->execs, (unsigned long long)sm->thread_execs,
		 (unsigned long long)sm->suid_execs, (unsigned long long)sm->threads,
		 (unsigned long long)sm->grandchildren);
	exercised = sm->forks && sm->execs && sm->thread_execs && sm->suid_execs &&
		    sm->threads && sm->grandchildren;
	tap_ok(exercised != 0, "storm_every_lifetime_event_happened");

	for (i = 0; i < A_NR; i++) {
		sum_leaks += sm->leaks[i];
		all_hit &= sm->ctl_hits[i] > 0;
		tap_diag("  %-16s %8llu tries (%.0f/s): %llu on the control got its canary, "
			 "%llu on protected ones did", attack_names[i],
			 (unsigned long long)sm->tries[i], (double)sm->tries[i] / secs,
			 (unsigned long long)sm->ctl_hits[i], (unsigned long long)sm->leaks[i]);
	}
	tap_ok(all_hit, "storm_control_attacks_succeed");
	tap_ok(sum_leaks == 0, "storm_no_attack_on_a_protected_process_succeeded");

	tap_ok(sm->checks > 0 && sm->unprotected == 0,
	       "storm_no_protected_descendant_ever_unprotected");
	tap_diag("  %llu self-checks, %llu unprotected (first: pid %d)",
		 (unsigned long long)sm->checks, (unsigned long long)sm->unprotected,
		 sm->first_unprotected);
	tap_ok(sm->ops > 0 && sm->op_errors == 0, "storm_operations_kept_working");
	tap_diag("  %llu operator rounds (%.0f/s), %llu with an unexpected error; %llu grants "
		 "to storm processes, left to the reaper", (unsigned long long)sm->ops,
		 (double)sm->ops / secs, (unsigned long long)sm->op_errors,
		 (unsigned long long)sm->storm_grants);

	registry_check(prot, base);
	tap_ok(missed1 == missed0, "storm_no_missed_probe_hits");
	tap_diag("  missed: %llu before, %llu after", (unsigned long long)missed0,
		 (unsigned long long)missed1);
	child_kill(prot);
	child_kill(ctrl);
	unlink(SUID_COPY);
	return tap_done();
}
