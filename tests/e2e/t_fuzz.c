// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl and read(2) fuzzing of /dev/aiguard.
 *
 * Several threads of three processes throw random calls at the device:
 * the test itself (root), a root process in a new pid namespace, and an
 * unprivileged process (nobody, no capabilities) in that namespace too.
 * Every command is mixed with unknown ones, and every argument is drawn
 * from what hurts: bad and kernel pointers, a page another thread maps
 * and unmaps while the call runs, an argument that ends in a PROT_NONE
 * page, read-only pages for what the kernel writes back, every flag bit,
 * non-zero reserved fields, labels of any bytes, and targets that are
 * live, zombie, dead, exiting (a thread keeps forking children that exit
 * at once), kernel threads, in another pid namespace, closed fds and fds
 * that are no pidfd.
 *
 * The verdicts:
 * - every call returns 0 or an errno the uapi header documents for it
 *   (the table is generated from the header by errno_doc.py --c-table);
 * - every command succeeded at least once, so the fuzzer got past the
 *   argument checks;
 * - no kernel thread, and nothing outside the fuzzer's own processes,
 *   was protected;
 * - afterwards the registry holds exactly the processes the fuzzer left
 *   protected (LIST, QUERY and GET_STATS agree), nothing is pending, and
 *   no probe hit was missed.
 * A valid AIGUARD_IOC_LOCK is never sent: it would seal the guest for
 * the suites after this one (t_lock.sh tests it).
 *
 * Environment: ag_stress (set by "make stress": 1 000 000 calls),
 * AG_FUZZ_CALLS (a count), AG_FUZZ_SEED (replay a run; the seed is
 * printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib.h"
#include "fuzz_errnos.h"

#define NCMDS		(sizeof(fuzz_docs) / sizeof(fuzz_docs[0]))
#define SLOT_UNKNOWN	NCMDS		/* counters of unknown commands */
#define SLOT_READ	(NCMDS + 1)	/* counters of read(2) */
#define NSLOTS		(NCMDS + 2)
#define MAX_ERRNO	160
#define MAX_BAD		8
#define POOL		32
#define ROOT_THREADS	3
#define NS_THREADS	2
#define NOBODY		65534

/* Counters shared by the three processes (a MAP_SHARED page). */
struct shared {
	int64_t budget;			/* calls left */
	uint64_t calls[NSLOTS];
	uint64_t ok[NSLOTS];
	uint64_t errs[NSLOTS][MAX_ERRNO];
	uint64_t bad;			/* undocumented results */
	uint64_t calls_nobody;		/* made without privilege */
	struct {
		uint32_t slot, cmd;
		int32_t ret, err;
		char who[16];
	} badlog[MAX_BAD];
	int32_t kthread_protected;	/* a kernel thread showed up protected */
	uint64_t grant_id;		/* the newest grant's id */
};

static struct shared *sh;

/* What one process's threads draw their targets from. */
struct pool {
	const char *who;
	int fd;				/* /dev/aiguard */
	int rfd;			/* /dev/aiguard, O_NONBLOCK, for read(2) */
	int npids, nfds;
	int32_t pids[POOL];
	int32_t fds[POOL];
	volatile int32_t churn_pid;	/* the newest exiting child */
	unsigned char *flip;		/* page the mapper thread maps and unmaps */
	unsigned char *edge;		/* last bytes of a page before a PROT_NONE one */
	unsigned char *ro;		/* read-only page */
	unsigned char *none;		/* PROT_NONE page */
	volatile int stop;
	int unprivileged;
	uint64_t seed;
};

static const char *const good_labels[] = { "fz-a", "fz-b", "fz.c_1", "", "" };

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: reproducible from AG_FUZZ_SEED */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint32_t pick(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

static int chance(uint64_t *s, uint32_t pct)
{
	return pick(s, 100) < pct;
}

/* Flag words: usually defined bits, sometimes any bit. */
static uint32_t rnd_flags(uint64_t *s, uint32_t defined)
{
	switch (pick(s, 6)) {
	case 0:
		return (uint32_t)rnd(s);
	case 1:
		return 1u << pick(s, 32);
	default:
		return (uint32_t)rnd(s) & defined;
	}
}

static uint32_t rnd_reserved(uint64_t *s)
{
	return chance(s, 90) ? 0 : (uint32_t)rnd(s) | 1;
}

static void rnd_label(uint64_t *s, char *label)
{
	uint32_t i, n;

	memset(label, 0, AIGUARD_LABEL_MAX);
	switch (pick(s, 5)) {
	case 0:		/* any bytes, maybe no terminator */
		for (i = 0; i < AIGUARD_LABEL_MAX; i++)
			label[i] = (char)rnd(s);
		break;
	case 1:		/* printable, any length up to full */
		n = pick(s, AIGUARD_LABEL_MAX + 1);
		for (i = 0; i < n && i < AIGUARD_LABEL_MAX; i++)
			label[i] = (char)(0x20 + pick(s, 0x5f));
		break;
	case 2:		/* valid, but garbage after the NUL */
		strcpy(label, "fz-a");
		label[6 + pick(s, AIGUARD_LABEL_MAX - 6)] = (char)(rnd(s) | 1);
		break;
	default:
		strcpy(label, good_labels[pick(s, 5)]);
		break;
	}
}

/* A target: mostly from the pool, sometimes nonsense. */
static void rnd_target(struct pool *p, uint64_t *s, struct aiguard_target *t)
{
	static const int32_t odd[] = { 0, -1, INT_MIN, INT_MAX, 4194305, 99999999 };

	t->type = pick(s, 10) ? pick(s, 3) : (uint32_t)rnd(s);
	switch (t->type) {
	case AIGUARD_TARGET_SELF:
		t->id = chance(s, 90) ? 0 : (int32_t)rnd(s);
		break;
	case AIGUARD_TARGET_PID:
		if (chance(s, 10))
			t->id = odd[pick(s, 6)];
		else if (chance(s, 15))
			t->id = p->churn_pid;
		else
			t->id = p->pids[pick(s, p->npids)];
		break;
	default:
		t->id = chance(s, 10) ? odd[pick(s, 6)] : p->fds[pick(s, p->nfds)];
		break;
	}
}

/* The argument pointer: mostly the buffer, else somewhere that faults. */
static void *rnd_ptr(struct pool *p, uint64_t *s, void *buf, size_t size)
{
	switch (pick(s, 24)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)0xffffffff81000000ULL;	/* kernel text */
	case 2:
		return (void *)(uintptr_t)-1;
	case 3:
		return p->none;
	case 4:
		return p->flip + pick(s, 64);		/* mapped, or not, mid-call */
	case 5:
		return p->edge + 4096 - 1 - pick(s, size ? (uint32_t)size : 1);
	case 6:
		return p->ro;	/* readable: fails where the kernel writes back */
	default:
		return buf;
	}
}

/* A command number: known, or a near miss in our magic, or another magic. */
static unsigned long rnd_cmd(uint64_t *s, uint32_t *slot)
{
	unsigned long cmd;
	uint32_t i;

	if (pick(s, 12)) {
		*slot = pick(s, NCMDS);
		return fuzz_docs[*slot].cmd;
	}
	*slot = SLOT_UNKNOWN;
	switch (pick(s, 3)) {
	case 0:		/* a known number with another size or direction */
		cmd = fuzz_docs[pick(s, NCMDS)].cmd;
		cmd = _IOC(pick(s, 4), AIGUARD_IOC_MAGIC, _IOC_NR(cmd), pick(s, 1024));
		break;
	case 1:		/* any number of our magic */
		cmd = _IOC(pick(s, 4), AIGUARD_IOC_MAGIC, pick(s, 256), pick(s, 16384));
		break;
	default:	/* a magic no VFS ioctl (FIONBIO & co.) uses */
		cmd = _IOC(pick(s, 4), 'Z', pick(s, 256), pick(s, 512));
		break;
	}
	for (i = 0; i < NCMDS; i++)
		if (cmd == fuzz_docs[i].cmd) {
			*slot = i;
			break;
		}
	return cmd;
}

/* Fills the argument of fuzz_docs[slot] (or noise for unknown ones). */
static void fill_arg(struct pool *p, uint64_t *s, unsigned long cmd, unsigned char *buf,
		     size_t size, unsigned char *array, size_t array_size)
{
	struct aiguard_protect *pr = (void *)buf;
	struct aiguard_unprotect *un = (void *)buf;
	struct aiguard_query *q = (void *)buf;
	struct aiguard_list *l = (void *)buf;
	struct aiguard_mode *m = (void *)buf;
	struct aiguard_grant *g = (void *)buf;
	struct aiguard_revoke *r = (void *)buf;
	struct aiguard_lock *lk = (void *)buf;
	size_t i;

	for (i = 0; i < size; i++)
		buf[i] = chance(s, 50) ? 0 : (unsigned char)rnd(s);
	switch (cmd) {
	case AIGUARD_IOC_PROTECT:
		memset(pr, 0, sizeof(*pr));
		rnd_target(p, s, &pr->target);
		pr->flags = rnd_flags(s, AIGUARD_PROTECT_PERMISSIVE | AIGUARD_PROTECT_JOIN);
		pr->reserved = rnd_reserved(s);
		rnd_label(s, pr->label);
		break;
	case AIGUARD_IOC_UNPROTECT:
		rnd_target(p, s, &un->target);
		un->flags = chance(s, 90) ? 0 : rnd_flags(s, 0);
		un->reserved = rnd_reserved(s);
		break;
	case AIGUARD_IOC_QUERY:
		rnd_target(p, s, &q->target);
		q->flags = chance(s, 90) ? 0 : rnd_flags(s, 0);
		q->reserved = rnd_reserved(s);
		break;
	case AIGUARD_IOC_LIST:
	case AIGUARD_IOC_LIST_GRANTS:
		/* same layout up to flags: entries, capacity, count, total */
		l->entries = chance(s, 10) ? 0 :
			(uint64_t)(uintptr_t)rnd_ptr(p, s, array, array_size);
		switch (pick(s, 4)) {
		case 0:
			l->capacity = (uint32_t)rnd(s);
			break;
		case 1:
			l->capacity = 0;
			break;
		default:
			l->capacity = pick(s, (uint32_t)(array_size /
						       sizeof(struct aiguard_process_info)) + 1);
			break;
		}
		l->flags = chance(s, 90) ? 0 : rnd_flags(s, 0);
		l->reserved = chance(s, 90) ? 0 : rnd(s);
		break;
	case AIGUARD_IOC_SET_MODE:
		m->flags = rnd_flags(s, AIGUARD_MODE_PERMISSIVE);
		m->reserved = rnd_reserved(s);
		break;
	case AIGUARD_IOC_GRANT:
		rnd_target(p, s, &g->tracer);
		rnd_target(p, s, &g->target);
		g->ttl_sec = chance(s, 80) ? 1 + pick(s, 30) : (uint32_t)rnd(s);
		g->flags = chance(s, 90) ? 0 : rnd_flags(s, 0);
		g->id = chance(s, 90) ? 0 : rnd(s);
		break;
	case AIGUARD_IOC_REVOKE:
		/*
		 * Ids count up for the module's lifetime, past what earlier
		 * suites used: mostly the newest grants' ids, so that revoke
		 * gets past its checks too.
		 */
		r->id = chance(s, 30) ? rnd(s) : chance(s, 50) ? pick(s, 200) :
			__atomic_load_n(&sh->grant_id, __ATOMIC_RELAXED) - pick(s, 4);
		r->flags = chance(s, 90) ? 0 : rnd_flags(s, 0);
		r->reserved = rnd_reserved(s);
		break;
	case AIGUARD_IOC_LOCK:
		/* never a valid lock: some bit is always set */
		lk->flags = rnd_flags(s, 0);
		lk->reserved = rnd_reserved(s);
		if (!lk->flags && !lk->reserved)
			lk->flags = 1u << pick(s, 32);
		break;
	}
}

static int documented(const int *errnos, int err)
{
	for (; *errnos; errnos++)
		if (*errnos == err)
			return 1;
	return 0;
}

static void account(struct pool *p, uint32_t slot, unsigned long cmd, long ret, int err)
{
	const int *doc = slot < NCMDS ? fuzz_docs[slot].errnos :
			 slot == SLOT_READ ? fuzz_doc_read : fuzz_doc_unknown;
	uint64_t n;

	__atomic_fetch_add(&sh->calls[slot], 1, __ATOMIC_RELAXED);
	if (p->unprivileged)
		__atomic_fetch_add(&sh->calls_nobody, 1, __ATOMIC_RELAXED);
	if (ret >= 0) {
		__atomic_fetch_add(&sh->ok[slot], 1, __ATOMIC_RELAXED);
		/* read(2) returns bytes; ioctls return 0 */
		if (slot == SLOT_READ || ret == 0)
			return;
		err = 0;
	} else {
		__atomic_fetch_add(&sh->errs[slot][err < MAX_ERRNO ? err : 0], 1,
				   __ATOMIC_RELAXED);
		if (documented(doc, err))
			return;
	}
	n = __atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
	if (n < MAX_BAD) {
		sh->badlog[n].slot = slot;
		sh->badlog[n].cmd = (uint32_t)cmd;
		sh->badlog[n].ret = (int32_t)ret;
		sh->badlog[n].err = err;
		snprintf(sh->badlog[n].who, sizeof(sh->badlog[n].who), "%s", p->who);
	}
}

static void one_call(struct pool *p, uint64_t *s)
{
	union {
		unsigned char bytes[16384];
		struct aiguard_protect pr;
	} buf;
	/* room for 64 entries of either list */
	static __thread struct aiguard_process_info array[64];
	unsigned long cmd;
	uint32_t slot;
	void *arg;
	long ret;
	int err;

	if (chance(s, 4)) {	/* the audit stream, with any buffer */
		size_t size = chance(s, 50) ? sizeof(struct aiguard_event) * (1 + pick(s, 4)) :
			      pick(s, 2 * sizeof(struct aiguard_event));

		size = size > sizeof(buf) ? sizeof(buf) : size;
		ret = read(p->rfd, rnd_ptr(p, s, buf.bytes, size), size);
		account(p, SLOT_READ, 0, ret, errno);
		return;
	}
	cmd = rnd_cmd(s, &slot);
	fill_arg(p, s, cmd, buf.bytes, _IOC_SIZE(cmd) < sizeof(buf) ? _IOC_SIZE(cmd) : sizeof(buf),
		 (unsigned char *)array, sizeof(array));
	arg = rnd_ptr(p, s, buf.bytes, _IOC_SIZE(cmd));
	if (cmd == AIGUARD_IOC_LOCK && arg != buf.bytes && arg != p->ro)
		arg = buf.bytes;	/* what sits at a bad pointer might be a valid lock */
	if (cmd == AIGUARD_IOC_LOCK && arg == p->ro)
		arg = p->none;
	ret = ioctl(p->fd, cmd, arg);
	err = errno;
	if (cmd == AIGUARD_IOC_GRANT && !ret && arg == buf.bytes)
		__atomic_store_n(&sh->grant_id, ((struct aiguard_grant *)arg)->id,
				 __ATOMIC_RELAXED);
	account(p, slot, cmd, ret, err);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	uint64_t s = p->seed ^ (uint64_t)syscall(SYS_gettid) * 0x9e3779b97f4a7c15ULL;

	s = s ? s : 1;
	while (__atomic_sub_fetch(&sh->budget, 1, __ATOMIC_RELAXED) >= 0)
		one_call(p, &s);
	return NULL;
}

/* Maps and unmaps the flip page so that calls find it either way. */
static void *mapper(void *arg)
{
	struct pool *p = arg;
	unsigned int i = 0;

	while (!p->stop) {
		int rw = i++ & 1;

		munmap(p->flip, 4096);
		sched_yield();
		if (mmap(p->flip, 4096, rw ? PROT_READ | PROT_WRITE : PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			continue;
		if (rw)
			memset(p->flip, 0x41 + (i & 7), 4096);
		sched_yield();
	}
	return NULL;
}

/* Forks children that exit at once: targets that are exiting or dead. */
static void *churner(void *arg)
{
	struct pool *p = arg;
	pid_t pid;

	while (!p->stop) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			continue;
		p->churn_pid = pid;
		waitpid(pid, NULL, 0);
	}
	return NULL;
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* The pages rnd_ptr() hands out. */
static int map_pages(struct pool *p)
{
	unsigned char *a = mmap(NULL, 5 * 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		return -1;
	p->edge = a;
	p->none = a + 4096;
	p->ro = a + 2 * 4096;
	p->flip = a + 4 * 4096;
	memset(p->ro, 0, 4096);
	if (mprotect(p->none, 4096, PROT_NONE) || mprotect(p->ro, 4096, PROT_READ) ||
	    mprotect(a + 3 * 4096, 4096, PROT_NONE))
		return -1;
	return 0;
}

/* The threads of one process, until the budget is spent. */
static void fuzz(struct pool *p, int nthreads)
{
	pthread_t th[8], mt, ct;
	int i;

	pthread_create(&mt, NULL, mapper, p);
	pthread_create(&ct, NULL, churner, p);
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, p);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	p->stop = 1;
	pthread_join(mt, NULL);
	pthread_join(ct, NULL);
}

/* Pids of kernel threads: kthreadd, and one of its children. */
static int kthreads(int32_t *out)
{
	char path[64], buf[512], *c;
	int n = 0, pid;

	out[n++] = 2;
	for (pid = 3; pid < 200 && n < 2; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_file(path, buf, sizeof(buf) - 1) <= 0)
			continue;
		c = strrchr(buf, ')');
		if (c && strncmp(c, ") S 2 ", 6) == 0)
			out[n++] = pid;
	}
	return n;
}

/*
 * The second and third process: root in a new pid namespace, and then,
 * forked from it, nobody without capabilities. Both see pids of their
 * namespace only; the pidfds they inherited still name the parent's
 * processes. On a kernel without pid namespaces (the debug kernel's
 * tinyconfig) they share the parent's.
 */
static void ns_main(struct pool *parent, uint64_t seed)
{
	struct pool p = *parent;
	pid_t kid, nobody;
	int i;

	p.who = "ns-root";
	p.seed = seed * 3 + 1;
	p.stop = 0;
	p.npids = 0;
	p.pids[p.npids++] = getpid();	/* 1: the namespace's init */
	kid = spawn_sleeper();
	p.pids[p.npids++] = kid;
	for (i = 0; i < 4; i++)		/* numbers of the parent's processes */
		p.pids[p.npids++] = parent->pids[i];
	p.pids[p.npids++] = 2;		/* in here: kid's number or nothing */
	p.fds[p.nfds++] = pidfd_of(kid);
	nobody = fork();
	if (nobody == 0) {
		p.who = "nobody";
		p.unprivileged = 1;
		p.seed = seed * 5 + 2;
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(3);
		fuzz(&p, NS_THREADS);
		_exit(0);
	}
	fuzz(&p, NS_THREADS);
	waitpid(nobody, NULL, 0);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	_exit(0);
}

/* After the run: what is protected must be the fuzzer's, and agree. */
static void registry_agrees(struct pool *p, const pid_t *mine, int nmine)
{
	struct aiguard_process_info info[64];
	struct aiguard_list l = { .entries = (uintptr_t)info, .capacity = 64 };
	struct aiguard_stats st;
	int i, j, foreign = 0, disagree = 0, listed;

	if (ioctl(p->fd, AIGUARD_IOC_LIST, &l) || ag_stats(&st)) {
		tap_ok(0, "fuzz_registry_agrees");
		tap_diag("  LIST/GET_STATS: %s", strerror(errno));
		return;
	}
	for (i = 0; i < (int)l.count; i++) {
		for (j = 0; j < nmine && mine[j] != (pid_t)info[i].pid; j++)
			;
		if (j == nmine) {
			foreign++;
			tap_diag("  protected but not the fuzzer's: pid %u label %s",
				 info[i].pid, info[i].label);
		}
	}
	for (j = 0; j < nmine; j++) {
		struct aiguard_process_info qi;

		listed = 0;
		for (i = 0; i < (int)l.count; i++)
			listed |= (pid_t)info[i].pid == mine[j];
		if (ag_query(AIGUARD_TARGET_PID, mine[j], &qi))
			continue;	/* gone */
		if (!!(qi.flags & AIGUARD_PROC_PROTECTED) != listed) {
			disagree++;
			tap_diag("  pid %d: QUERY says %s, LIST %s", mine[j],
				 qi.flags & AIGUARD_PROC_PROTECTED ? "protected" : "not",
				 listed ? "lists it" : "does not");
		}
	}
	tap_ok(!foreign && !disagree && l.count == l.total && st.nr_protected == l.total &&
	       st.nr_pending == 0, "fuzz_registry_agrees");
	tap_diag("  after fuzzing: %u protected (LIST), nr_protected %llu, nr_pending %llu, "
		 "%d foreign, %d disagreeing", l.total, (unsigned long long)st.nr_protected,
		 (unsigned long long)st.nr_pending, foreign, disagree);
}

/* Puts global state back: mode enforcing, no grants, nothing of ours protected. */
static void clean_up(struct pool *p, const pid_t *mine, int nmine)
{
	struct aiguard_mode m = { 0 };
	int i;

	ioctl(p->fd, AIGUARD_IOC_SET_MODE, &m);
	ag_revoke_all();
	for (i = 0; i < nmine; i++)
		ag_unprotect(AIGUARD_TARGET_PID, mine[i]);
}

static void report(void)
{
	char line[512];
	size_t slot, off;
	int e;

	for (slot = 0; slot < NSLOTS; slot++) {
		off = (size_t)snprintf(line, sizeof(line), "  %-12s %8llu calls %8llu ok",
				slot < NCMDS ? fuzz_docs[slot].name :
				slot == SLOT_READ ? "read" : "unknown",
				(unsigned long long)sh->calls[slot],
				(unsigned long long)sh->ok[slot]);
		for (e = 0; e < MAX_ERRNO && off < sizeof(line) - 32; e++)
			if (sh->errs[slot][e])
				off += (size_t)snprintf(line + off, sizeof(line) - off, " %s %llu",
						e ? errname(e) : "E?", (unsigned long long)sh->errs[slot][e]);
		tap_diag("%s", line);
	}
}

int main(int argc, char **argv)
{
	const char *env = getenv("AG_FUZZ_CALLS");
	uint64_t calls = env ? strtoull(env, NULL, 0) : getenv("ag_stress") ? 1000000 : 30000;
	uint64_t seed = getenv("AG_FUZZ_SEED") ? strtoull(getenv("AG_FUZZ_SEED"), NULL, 0) :
			(uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	struct aiguard_stats st;
	struct pool p = { .who = "root" };
	pid_t mine[8], ns, zombie, dead;
	int nmine = 0, i, nk, devnull, pipefd[2], st_ns, all_ok, have_pidns;
	int32_t kt[2];
	struct timespec t0, t1;
	double secs;

	tap_init(argc, argv, getenv("ag_stress") ? 3000 : 600);
	if (ag_fd() < 0) {
		tap_bail_out(ag_error());
		return 1;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || map_pages(&p)) {
		tap_bail_out("mmap");
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	sh->budget = calls;
	tap_diag("%llu calls, seed %#llx (AG_FUZZ_SEED replays it)",
		 (unsigned long long)calls, (unsigned long long)seed);

	p.fd = ag_fd();
	/* shared by all three processes: nobody could not open it */
	p.rfd = open("/dev/aiguard", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	p.seed = seed;
	mine[nmine++] = getpid();
	for (i = 0; i < 3; i++) {
		mine[nmine] = spawn_sleeper();
		p.pids[p.npids++] = mine[nmine];
		p.fds[p.nfds++] = pidfd_of(mine[nmine]);
		nmine++;
	}
	p.pids[p.npids++] = getpid();
	p.pids[p.npids++] = (int32_t)syscall(SYS_gettid);
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	p.fds[p.nfds++] = pidfd_of(zombie);	/* it stays unreaped until the end */
	p.pids[p.npids++] = zombie;
	dead = fork();
	if (dead == 0)
		_exit(0);
	p.fds[p.nfds++] = pidfd_of(dead);
	waitpid(dead, NULL, 0);
	p.pids[p.npids++] = dead;
	nk = kthreads(kt);
	for (i = 0; i < nk; i++)
		p.pids[p.npids++] = kt[i];
	devnull = open("/dev/null", O_RDONLY);
	if (pipe(pipefd))
		pipefd[0] = pipefd[1] = -1;
	p.fds[p.nfds++] = devnull;
	p.fds[p.nfds++] = pipefd[0];
	p.fds[p.nfds++] = p.fd;
	p.fds[p.nfds++] = 1000;		/* never opened */
	p.fds[p.nfds++] = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* a kernel without pid namespaces (the debug kernel): same namespace */
	have_pidns = !access("/proc/self/ns/pid", F_OK);
	ns = fork();
	if (ns == 0) {
		if (!have_pidns)
			ns_main(&p, seed);
		if (unshare(CLONE_NEWPID))
			_exit(2);
		pid_t init = fork();

		if (init == 0)
			ns_main(&p, seed);
		waitpid(init, &st_ns, 0);
		_exit(WIFEXITED(st_ns) ? WEXITSTATUS(st_ns) : 9);
	}
	track_child(ns);
	fuzz(&p, ROOT_THREADS);
	waitpid(ns, &st_ns, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	waitpid(zombie, NULL, 0);

	tap_ok(WIFEXITED(st_ns) && WEXITSTATUS(st_ns) == 0 && sh->calls_nobody > 0,
	       "fuzz_second_root_and_unprivileged_processes_ran");
	tap_diag("  status %#x; %s; %llu calls as nobody", st_ns,
		 have_pidns ? "in a new pid namespace" : "no pid namespaces in this kernel",
		 (unsigned long long)sh->calls_nobody);
	report();
	tap_diag("  %.1f s, %.0f calls/s", secs, (double)calls / secs);

	tap_ok(sh->bad == 0, "fuzz_every_result_documented");
	for (i = 0; i < MAX_BAD && i < (int)sh->bad; i++)
		tap_diag("  %s: %s (cmd %#x) returned %d, errno %s", sh->badlog[i].who,
			 sh->badlog[i].slot < NCMDS ? fuzz_docs[sh->badlog[i].slot].name :
			 sh->badlog[i].slot == SLOT_READ ? "read" : "unknown", sh->badlog[i].cmd,
			 sh->badlog[i].ret, errname(sh->badlog[i].err));
	tap_diag("  %llu undocumented results", (unsigned long long)sh->bad);

	all_ok = 1;
	for (i = 0; i < (int)NCMDS; i++)
		if (!sh->ok[i] && fuzz_docs[i].cmd != AIGUARD_IOC_LOCK) {
			all_ok = 0;
			tap_diag("  %s never succeeded", fuzz_docs[i].name);
		}
	tap_ok(all_ok, "fuzz_every_command_got_past_the_checks");

	for (i = 0; i < nk; i++) {
		struct aiguard_process_info qi;

		if (!ag_query(AIGUARD_TARGET_PID, kt[i], &qi) &&
		    (qi.flags & AIGUARD_PROC_PROTECTED)) {
			sh->kthread_protected = kt[i];
			ag_unprotect(AIGUARD_TARGET_PID, kt[i]);
		}
	}
	tap_ok(!sh->kthread_protected, "fuzz_no_kernel_thread_protected");
	if (sh->kthread_protected)
		tap_diag("  kernel thread %d was protected", sh->kthread_protected);

	registry_agrees(&p, mine, nmine);
	clean_up(&p, mine, nmine);
	if (ag_stats(&st) == 0) {
		uint64_t missed = 0;

		for (i = 0; i < AIGUARD_HOOK_SLOTS; i++)
			missed += st.missed[i];
		tap_ok(missed == 0, "fuzz_no_missed_probe_hits");
		tap_diag("  missed %llu", (unsigned long long)missed);
	}
	return tap_done();
}
