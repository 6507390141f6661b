// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD stand-in for /dev/aiguard, for host tests of the tool only
 * (never a model of the module's security). Active when AIGUARD_MOCK_STATE
 * names a state file; inheritance and access denial are not modelled.
 *
 * State file lines: "p PID FLAGS LABEL" (protected processes),
 * "g ID TRACER TARGET EXPIRY USES" (grants), "m STATE NEXT_ID" (mode and
 * lock bits). Environment:
 *   AIGUARD_MOCK_ABI=N     report ABI version N
 *   AIGUARD_MOCK_DEAD=1    report AIGUARD_STATE_HOOKS_DEAD
 *   AIGUARD_MOCK_NOOPS=1   a module of another ABI that still reports ours:
 *                          the operations ioctls are ENOTTY and read() is
 *                          EINVAL (the tool must say the ABIs differ)
 *   AIGUARD_MOCK_GRANTS_FAIL=1  LIST_GRANTS fails with EIO
 *   AIGUARD_MOCK_EVENTS=   "canned" (default): read() serves the fixed
 *                          records of canned_events(); "bad": the same plus
 *                          a record whose size is impossible; "huge": a
 *                          20000-byte record, then a normal one; "none"
 *   AIGUARD_MOCK_GRANTS_MAX=N  ENOSPC from N grants on (default 64)
 *   AIGUARD_MOCK_DEVNO=M:N  what /sys/class/misc/aiguard/dev says (default
 *                          1:3, the number of the /dev/null that stands in
 *                          for /dev/aiguard); "none": it is missing
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/aiguard.h>

#define MAXP 256
#define MAXG 128
static int mock_fd = -1;
static size_t mock_pos;		/* audit stream: bytes this open() has read */
static struct { int pid; unsigned flags; char label[AIGUARD_LABEL_MAX]; } st[MAXP];
static int nst;
static struct { unsigned long long id; int tracer, target; long long expiry; unsigned uses; } gr[MAXG];
static int ngr;
static unsigned mstate;		/* AIGUARD_STATE_LOCKED | AIGUARD_STATE_PERMISSIVE */
static unsigned long long next_id = 1;

/* The module's device number, as sysfs tells it. */
static int mock_sysfs_dev(void)
{
	const char *devno = getenv("AIGUARD_MOCK_DEVNO");
	int fd;

	if (devno && !strcmp(devno, "none")) {
		errno = ENOENT;
		return -1;
	}
	fd = memfd_create("mock-sysfs-dev", MFD_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%s\n", devno ? devno : "1:3") < 0 ||
	    lseek(fd, 0, SEEK_SET))
		return -1;
	return fd;
}

static int mock_open(const char *path, int flags, int (*real)(const char *, int, ...))
{
	if (getenv("AIGUARD_MOCK_STATE") && !strcmp(path, "/sys/class/misc/aiguard/dev"))
		return mock_sysfs_dev();
	if (!getenv("AIGUARD_MOCK_STATE") || strcmp(path, "/dev/aiguard"))
		return -2;
	if (geteuid() != 0) {
		errno = EACCES;
		return -1;
	}
	mock_fd = real("/dev/null", flags);
	mock_pos = 0;	/* each open() starts at the oldest record */
	return mock_fd;
}

#define OPEN_WRAPPER(name)						\
int name(const char *path, int flags, ...)				\
{									\
	int (*real)(const char *, int, ...) = dlsym(RTLD_NEXT, #name);	\
	mode_t mode = 0;						\
	int r;								\
	if (flags & O_CREAT) {						\
		va_list ap;						\
		va_start(ap, flags);					\
		mode = va_arg(ap, mode_t);				\
		va_end(ap);						\
	}								\
	r = mock_open(path, flags, real);				\
	return r == -2 ? real(path, flags, mode) : r;			\
}
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

/* The descriptor number is reused after close: stop intercepting it. */
int close(int fd)
{
	int (*real)(int) = dlsym(RTLD_NEXT, "close");

	if (fd == mock_fd)
		mock_fd = -1;
	return real(fd);
}

static int alive(int pid)
{
	return pid > 0 && !(kill(pid, 0) && errno == ESRCH);
}

static void load(void)
{
	FILE *f = fopen(getenv("AIGUARD_MOCK_STATE"), "r");
	char line[256], lab[AIGUARD_LABEL_MAX];
	long long now = (long long)time(NULL);

	nst = ngr = 0;
	mstate = 0;
	next_id = 1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int pid, tracer, target;
		unsigned flags, uses;
		unsigned long long id;
		long long exp;

		if (sscanf(line, "p %d %u %31s", &pid, &flags, lab) == 3) {
			if (nst == MAXP || !alive(pid))
				continue;	/* gone */
			st[nst].pid = pid;
			st[nst].flags = flags;
			memset(st[nst].label, 0, sizeof(st[nst].label));
			memcpy(st[nst].label, lab, strlen(lab));
			nst++;
		} else if (sscanf(line, "g %llu %d %d %lld %u", &id, &tracer,
				  &target, &exp, &uses) == 5) {
			/* like the module: ends at expiry or when a process exits */
			if (ngr == MAXG || exp <= now || !alive(tracer) || !alive(target))
				continue;
			gr[ngr].id = id;
			gr[ngr].tracer = tracer;
			gr[ngr].target = target;
			gr[ngr].expiry = exp;
			gr[ngr].uses = uses;
			ngr++;
		} else {
			sscanf(line, "m %u %llu", &mstate, &next_id);
		}
	}
	fclose(f);
}

static void save(void)
{
	FILE *f = fopen(getenv("AIGUARD_MOCK_STATE"), "w");

	if (!f)
		return;
	fprintf(f, "m %u %llu\n", mstate, next_id);
	for (int i = 0; i < nst; i++)
		fprintf(f, "p %d %u %s\n", st[i].pid, st[i].flags, st[i].label);
	for (int i = 0; i < ngr; i++)
		fprintf(f, "g %llu %d %d %lld %u\n", gr[i].id, gr[i].tracer,
			gr[i].target, gr[i].expiry, gr[i].uses);
	fclose(f);
}

static int find(int pid)
{
	for (int i = 0; i < nst; i++)
		if (st[i].pid == pid)
			return i;
	return -1;
}

static int proc_field(int pid, const char *file, const char *key)
{
	char path[64], line[256];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atoi(line + strlen(key));
	fclose(f);
	return v;
}

static int resolve(const struct aiguard_target *t)
{
	int pid;

	switch (t->type) {
	case AIGUARD_TARGET_SELF:
		return t->id ? -EINVAL : getpid();
	case AIGUARD_TARGET_PID:
		pid = t->id;
		break;
	case AIGUARD_TARGET_PIDFD:
		{
			char p[64];
			snprintf(p, sizeof(p), "fdinfo/%d", t->id);
			pid = proc_field(getpid(), p, "Pid:");
		}
		if (pid <= 0)
			return -EBADF;
		break;
	default:
		return -EINVAL;
	}
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return -ESRCH;
	return pid;
}

static int valid_label(const char *l, int allow_empty)
{
	size_t n = strnlen(l, AIGUARD_LABEL_MAX);

	if (n == AIGUARD_LABEL_MAX || (n == 0 && !allow_empty))
		return 0;
	for (size_t i = n; i < AIGUARD_LABEL_MAX; i++)
		if (l[i])
			return 0;
	return strspn(l, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* ---- audit stream ---------------------------------------------------- */

#define T0 1795657212ULL	/* 2026-11-26T01:40:12Z */

static void fill(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	memcpy(dst, src, n < size ? n : size);
}

static size_t add_ev(unsigned char *buf, size_t off, unsigned type, unsigned hook,
		     unsigned detail, unsigned long long count,
		     unsigned cpid, const char *ccomm, const char *clabel,
		     unsigned tpid, const char *tcomm, const char *tlabel,
		     unsigned size)
{
	struct aiguard_event ev;
	static unsigned long long seq;

	if (off == 0)
		seq = 0;
	memset(&ev, 0, sizeof(ev));
	ev.size = (__u16)size;
	ev.version = AIGUARD_EVENT_VERSION;
	ev.type = (__u16)type;
	ev.hook = (__u16)hook;
	ev.detail = detail;
	ev.seq = type == AIGUARD_EVENT_DROPPED ? 0 : ++seq + 3;
	ev.time_ns = (T0 + seq) * 1000000000ULL + 123456789ULL;
	ev.count = count;
	ev.caller_pid = ev.caller_tgid = cpid;
	ev.target_pid = ev.target_tgid = tpid;
	/* fixed-size fields: full ones stay unterminated */
	fill(ev.caller_comm, sizeof(ev.caller_comm), ccomm);
	fill(ev.target_comm, sizeof(ev.target_comm), tcomm);
	fill(ev.caller_label, sizeof(ev.caller_label), clabel);
	fill(ev.target_label, sizeof(ev.target_label), tlabel);
	memset(buf + off, 0xab, size);	/* a newer layout's unknown tail */
	memcpy(buf + off, &ev, size < sizeof(ev) ? size : sizeof(ev));
	return off + size;
}

/* The canned records; returns the stream's length in bytes. */
static size_t canned_events(unsigned char *buf)
{
	const unsigned E = sizeof(struct aiguard_event);
	const char *mode = getenv("AIGUARD_MOCK_EVENTS");
	size_t o = 0;

	if (mode && !strcmp(mode, "none"))
		return 0;
	if (mode && !strcmp(mode, "huge")) {	/* larger than the tool's first buffer */
		o = add_ev(buf, o, AIGUARD_EVENT_DENY, AIGUARD_HOOK_PTRACE_ACCESS, 0x0a, 0,
			   2000, "huge", "", 4242, "python3", "llama", 20000);
		return add_ev(buf, o, AIGUARD_EVENT_DENY, AIGUARD_HOOK_PTRACE_ACCESS, 0x0a, 0,
			      2001, "after", "", 4242, "python3", "llama", E);
	}
	o = add_ev(buf, o, AIGUARD_EVENT_DROPPED, 0, 0, 3, 0, "", "", 0, "", "", E);
	/* attach+fscreds by gdb */
	o = add_ev(buf, o, AIGUARD_EVENT_DENY, AIGUARD_HOOK_PTRACE_ACCESS, 0x0a, 0,
		   1234, "gdb", "", 4242, "python3", "llama", E);
	o = add_ev(buf, o, AIGUARD_EVENT_AUDIT, AIGUARD_HOOK_PTRACE_ACCESS, 0x09, 0,
		   1300, "cat", "", 4242, "python3", "llama", E);
	o = add_ev(buf, o, AIGUARD_EVENT_GRANT_USED, AIGUARD_HOOK_PTRACE_ACCESS, 0x12, 7,
		   1400, "gdb", "", 4242, "python3", "llama", E);
	o = add_ev(buf, o, AIGUARD_EVENT_DENY, AIGUARD_HOOK_PERF_EVENT, 0x20, 0,
		   1500, "ev\"il\n\x1b[2J\xff\\", "", 4242, "python3", "llama", E);
	o = add_ev(buf, o, AIGUARD_EVENT_PROTECT, 0, 0, 0,
		   1, "aiguard", "", 4242, "python3", "llama", E);
	o = add_ev(buf, o, AIGUARD_EVENT_MODE, 0, AIGUARD_MODE_PERMISSIVE, 0,
		   1, "aiguard", "", 0, "", "", E);
	o = add_ev(buf, o, AIGUARD_EVENT_GRANT_ADD, 0, 0, 7,
		   1, "aiguard", "", 4242, "python3", "llama", E);
	o = add_ev(buf, o, AIGUARD_EVENT_LOCK, 0, 0, 0, 1, "aiguard", "", 0, "", "", E);
	o = add_ev(buf, o, AIGUARD_EVENT_TAMPER, 0, AIGUARD_STATE_HOOKS_DEAD, 0,
		   0, "", "", 0, "", "", E);
	/* a newer module: unknown type, larger record */
	o = add_ev(buf, o, 99, 16, 5, 77, 1600, "new", "", 4242, "python3", "llama", E + 40);
	o = add_ev(buf, o, AIGUARD_EVENT_DENY, 16, 5, 0,
		   1700, "x", "", 4242, "python3", "llama", E);
	/* every string field full: no terminating NUL */
	o = add_ev(buf, o, AIGUARD_EVENT_DENY, AIGUARD_HOOK_PTRACE_ACCESS, 0x0a, 0,
		   1800, "0123456789abcdef", "ccccccccccccccccccccccccccccccccc",
		   4242, "fedcba9876543210", "tttttttttttttttttttttttttttttttttttt", E);
	o = add_ev(buf, o, AIGUARD_EVENT_DENY, AIGUARD_HOOK_PTRACE_ACCESS, 0x0a, 0,
		   1900, "last", "", 4242, "python3", "llama", E);
	if (mode && !strcmp(mode, "bad")) {
		memset(buf + o, 0, 16);
		buf[o] = 4;	/* size 4: shorter than the header */
		o += 16;
	}
	return o;
}

static unsigned char evbuf[64 * 1024];

static size_t events_len(void)
{
	static size_t len;
	static int done;

	if (!done) {
		len = canned_events(evbuf);
		done = 1;
	}
	return len;
}

static ssize_t mock_read(unsigned char *dst, size_t n)
{
	size_t len = events_len(), out = 0;

	if (getenv("AIGUARD_MOCK_NOOPS"))
		return -EINVAL;
	if (mock_pos >= len)
		return -EAGAIN;	/* the tool always reads O_NONBLOCK */
	/* whole records only; EINVAL if not even one fits */
	while (mock_pos + out < len) {
		unsigned short sz;

		memcpy(&sz, evbuf + mock_pos + out, sizeof(sz));
		if (sz < 8)	/* the "bad" record: hand out the rest as is */
			sz = (unsigned short)(len - mock_pos - out);
		if (out + sz > n)
			break;
		out += sz;
	}
	if (!out)
		return -EINVAL;
	memcpy(dst, evbuf + mock_pos, out);
	mock_pos += out;
	return (ssize_t)out;
}

ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t (*real)(int, void *, size_t) = dlsym(RTLD_NEXT, "read");
	ssize_t r;

	if (fd != mock_fd || mock_fd < 0)
		return real(fd, buf, n);
	r = mock_read(buf, n);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* Ready when records are left; else wait without the mock fd (signals). */
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo,
	  const sigset_t *mask)
{
	int (*real)(struct pollfd *, nfds_t, const struct timespec *,
		    const sigset_t *) = dlsym(RTLD_NEXT, "ppoll");
	struct pollfd copy[16];
	int ready = 0, r;

	if (mock_fd < 0 || nfds > 16)
		return real(fds, nfds, tmo, mask);
	for (nfds_t i = 0; i < nfds; i++) {
		copy[i] = fds[i];
		fds[i].revents = 0;
		if (fds[i].fd == mock_fd) {
			copy[i].fd = -1;
			if (mock_pos < events_len() && !getenv("AIGUARD_MOCK_NOOPS")) {
				fds[i].revents = POLLIN & fds[i].events;
				ready += !!fds[i].revents;
			}
		}
	}
	if (ready)
		return ready;
	r = real(copy, nfds, tmo, mask);
	for (nfds_t i = 0; i < nfds && r > 0; i++)
		if (fds[i].fd != mock_fd)
			fds[i].revents = copy[i].revents;
	return r;
}

/* ---- requests -------------------------------------------------------- */

static int find_grant(unsigned long long id)
{
	for (int i = 0; i < ngr; i++)
		if (gr[i].id == id)
			return i;
	return -1;
}

static unsigned proc_flags(int i)
{
	return AIGUARD_PROC_PROTECTED |
	       (st[i].flags & AIGUARD_PROTECT_PERMISSIVE ? AIGUARD_PROC_PERMISSIVE : 0) |
	       (st[i].flags & AIGUARD_PROTECT_ENTER ? AIGUARD_PROC_ENTER : 0);
}

static int ioc_version(void *arg)
{
	const char *abi = getenv("AIGUARD_MOCK_ABI");
	struct aiguard_version *v = arg;

	memset(v, 0, sizeof(*v));
	v->abi_version = abi ? (unsigned)atoi(abi) : AIGUARD_ABI_VERSION;
	v->label_max = AIGUARD_LABEL_MAX;
	return 0;
}

/*
 * Like the module: a label with members takes a new one only from a
 * member (here: the calling process), or from an outsider with the join
 * flag before the lock.
 */
static int join_check(const char *label, __u32 flags)
{
	int me = find(getpid()), i;

	if (!label[0] || (me >= 0 && !strcmp(st[me].label, label)))
		return 0;
	for (i = 0; i < nst; i++)
		if (!strcmp(st[i].label, label))
			break;
	if (i == nst)
		return 0;
	if (mstate & AIGUARD_STATE_LOCKED)
		return -EPERM;
	return (flags & AIGUARD_PROTECT_JOIN) ? 0 : -EXDEV;
}

static int ioc_protect(void *arg)
{
	struct aiguard_protect *p = arg;
	int pid, i, err;

	if ((p->flags & ~(__u32)(AIGUARD_PROTECT_PERMISSIVE | AIGUARD_PROTECT_JOIN |
				 AIGUARD_PROTECT_ENTER)) ||
	    p->reserved || !valid_label(p->label, 1))
		return -EINVAL;
	if ((p->flags & AIGUARD_PROTECT_PERMISSIVE) && (mstate & AIGUARD_STATE_LOCKED))
		return -EPERM;
	if ((pid = resolve(&p->target)) < 0)
		return pid;
	i = find(pid);	/* like the module: EEXIST before EBUSY */
	if (i >= 0) {
		if (p->label[0] && strcmp(st[i].label, p->label))
			return -EEXIST;
		memcpy(p->label, st[i].label, AIGUARD_LABEL_MAX);
		return 0;
	}
	if (proc_field(pid, "status", "TracerPid:") > 0)
		return -EBUSY;
	err = join_check(p->label, p->flags);
	if (err)
		return err;
	if (!p->label[0])
		snprintf(p->label, sizeof(p->label), "@%d", pid);
	if (nst == MAXP)
		return -ENOMEM;
	st[nst].pid = pid;
	st[nst].flags = p->flags & (AIGUARD_PROTECT_PERMISSIVE | AIGUARD_PROTECT_ENTER);
	memcpy(st[nst].label, p->label, AIGUARD_LABEL_MAX);
	nst++;
	return 0;
}

/*
 * The pid a request about one process names, after its checks: EINVAL for
 * flags or reserved bits, EPERM if the lock refuses it (like the module:
 * before the target is resolved).
 */
static int request_pid(const struct aiguard_target *t, __u32 flags,
		       __u32 reserved, int refused_when_locked)
{
	if (flags || reserved)
		return -EINVAL;
	if (refused_when_locked && (mstate & AIGUARD_STATE_LOCKED))
		return -EPERM;
	return resolve(t);
}

static int ioc_unprotect(void *arg)
{
	struct aiguard_unprotect *u = arg;
	int pid = request_pid(&u->target, u->flags, u->reserved, 1), i;

	if (pid < 0)
		return pid;
	if ((i = find(pid)) < 0)
		return -ENOENT;
	st[i] = st[--nst];
	return 0;
}

static int ioc_query(void *arg)
{
	struct aiguard_query *q = arg;
	int pid = request_pid(&q->target, q->flags, q->reserved, 0), i;

	if (pid < 0)
		return pid;
	memset(&q->info, 0, sizeof(q->info));
	q->info.pid = (unsigned)pid;
	if ((i = find(pid)) >= 0) {
		q->info.flags = proc_flags(i);
		memcpy(q->info.label, st[i].label, AIGUARD_LABEL_MAX);
	}
	return 0;
}

/*
 * LIST and LIST_GRANTS: write as many of the n entries as fit, each
 * zeroed, then filled by fill(entry, index).
 */
static int list_reply(__u64 entries, __u32 capacity, __u32 *count, __u32 *total,
		      int n, size_t size, void (*fill)(void *ent, int i))
{
	unsigned char *e = (void *)(unsigned long)entries;

	*count = 0;
	for (int i = 0; i < n && e && *count < capacity; i++) {
		memset(e + (size_t)i * size, 0, size);
		fill(e + (size_t)i * size, i);
		++*count;
	}
	*total = (unsigned)n;
	return 0;
}

static void fill_proc(void *ent, int i)
{
	struct aiguard_process_info *e = ent;

	e->pid = (unsigned)st[i].pid;
	e->flags = proc_flags(i);
	memcpy(e->label, st[i].label, AIGUARD_LABEL_MAX);
}

static int ioc_list(void *arg)
{
	struct aiguard_list *l = arg;

	if (l->flags || l->reserved)
		return -EINVAL;
	return list_reply(l->entries, l->capacity, &l->count, &l->total,
			  nst, sizeof(struct aiguard_process_info), fill_proc);
}

static int ioc_stats(void *arg)
{
	struct aiguard_stats *s = arg;

	memset(s, 0, sizeof(*s));
	s->nr_protected = (unsigned)nst;
	s->allowed[AIGUARD_HOOK_PTRACE_ACCESS] = 11;
	s->denied[AIGUARD_HOOK_PTRACE_ACCESS] = 5;
	return 0;
}

static int ioc_status(void *arg)
{
	struct aiguard_status *s = arg;

	memset(s, 0, sizeof(*s));
	s->state = mstate | (getenv("AIGUARD_MOCK_DEAD") ? AIGUARD_STATE_HOOKS_DEAD : 0);
	s->nr_grants = (unsigned)ngr;
	s->events = 14;
	s->events_dropped = 3;
	s->ring_size = 4096;
	s->sampling_events = getenv("AIGUARD_MOCK_SAMPLING") ? 2 : 0;
	s->cleared_pages = 4096;
	s->audited[AIGUARD_HOOK_PTRACE_ACCESS] = 2;
	s->granted[AIGUARD_HOOK_PTRACE_ACCESS] = 1;
	return 0;
}

static int ioc_set_mode(void *arg)
{
	struct aiguard_mode *m = arg;

	if ((m->flags & ~(__u32)AIGUARD_MODE_PERMISSIVE) || m->reserved)
		return -EINVAL;
	if ((m->flags & AIGUARD_MODE_PERMISSIVE) && (mstate & AIGUARD_STATE_LOCKED))
		return -EPERM;
	mstate = (mstate & ~(unsigned)AIGUARD_STATE_PERMISSIVE) |
		 (m->flags & AIGUARD_MODE_PERMISSIVE ? AIGUARD_STATE_PERMISSIVE : 0);
	return 0;
}

static int ioc_lock(void *arg)
{
	struct aiguard_lock *l = arg;

	if (l->flags || l->reserved)
		return -EINVAL;
	mstate |= AIGUARD_STATE_LOCKED | AIGUARD_STATE_SEALED;
	return 0;
}

static int ioc_grant(void *arg)
{
	const char *max = getenv("AIGUARD_MOCK_GRANTS_MAX");
	struct aiguard_grant *g = arg;
	int tracer, target;

	if (g->flags)
		return -EINVAL;
	if (mstate & AIGUARD_STATE_LOCKED)
		return -EPERM;
	if ((tracer = resolve(&g->tracer)) < 0)
		return tracer;
	if ((target = resolve(&g->target)) < 0)
		return target;
	if (g->ttl_sec < 1 || g->ttl_sec > AIGUARD_GRANT_TTL_MAX || find(target) < 0)
		return -EINVAL;
	if (ngr >= (max ? atoi(max) : AIGUARD_GRANTS_MAX) || ngr == MAXG)
		return -ENOSPC;
	gr[ngr].id = next_id++;
	gr[ngr].tracer = tracer;
	gr[ngr].target = target;
	gr[ngr].expiry = (long long)time(NULL) + g->ttl_sec;
	gr[ngr].uses = 0;
	g->id = gr[ngr].id;
	ngr++;
	return 0;
}

static int ioc_revoke(void *arg)
{
	struct aiguard_revoke *r = arg;
	int i;

	if (r->flags || r->reserved)
		return -EINVAL;
	if ((i = find_grant(r->id)) < 0)
		return -ENOENT;
	gr[i] = gr[--ngr];
	return 0;
}

static void fill_grant(void *ent, int i)
{
	struct aiguard_grant_info *e = ent;

	e->id = gr[i].id;
	e->tracer_pid = (unsigned)gr[i].tracer;
	e->target_pid = (unsigned)gr[i].target;
	e->ttl_left_sec = (unsigned)(gr[i].expiry - (long long)time(NULL));
	e->uses = gr[i].uses;
}

static int ioc_list_grants(void *arg)
{
	struct aiguard_grant_list *l = arg;

	if (l->flags || l->reserved)
		return -EINVAL;
	if (getenv("AIGUARD_MOCK_GRANTS_FAIL"))
		return -EIO;
	return list_reply(l->entries, l->capacity, &l->count, &l->total,
			  ngr, sizeof(struct aiguard_grant_info), fill_grant);
}

/* How a request is served, besides its function. */
#define ROOT	1	/* EPERM unless euid 0 (the module: CAP_SYS_ADMIN) */
#define OPS	2	/* ENOTTY under AIGUARD_MOCK_NOOPS */
#define SAVES	4	/* changes the state file when it succeeds */

static const struct {
	unsigned long req;
	int (*fn)(void *arg);
	unsigned how;
} requests[] = {
	{ AIGUARD_IOC_GET_VERSION, ioc_version,     0 },
	{ AIGUARD_IOC_PROTECT,     ioc_protect,     ROOT | SAVES },
	{ AIGUARD_IOC_UNPROTECT,   ioc_unprotect,   ROOT | SAVES },
	{ AIGUARD_IOC_QUERY,       ioc_query,       0 },
	{ AIGUARD_IOC_LIST,        ioc_list,        0 },
	{ AIGUARD_IOC_GET_STATS,   ioc_stats,       0 },
	{ AIGUARD_IOC_GET_STATUS,  ioc_status,      OPS },
	{ AIGUARD_IOC_SET_MODE,    ioc_set_mode,    OPS | ROOT | SAVES },
	{ AIGUARD_IOC_LOCK,        ioc_lock,        OPS | ROOT | SAVES },
	{ AIGUARD_IOC_GRANT,       ioc_grant,       OPS | ROOT | SAVES },
	{ AIGUARD_IOC_REVOKE,      ioc_revoke,      OPS | ROOT | SAVES },
	{ AIGUARD_IOC_LIST_GRANTS, ioc_list_grants, OPS },
};

static int do_ioctl(unsigned long req, void *arg)
{
	unsigned how;
	int r;

	load();
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (requests[i].req != req)
			continue;
		how = requests[i].how;
		if ((how & OPS) && getenv("AIGUARD_MOCK_NOOPS"))
			return -ENOTTY;
		if ((how & ROOT) && geteuid())
			return -EPERM;
		r = requests[i].fn(arg);
		if (!r && (how & SAVES))
			save();
		return r;
	}
	return -ENOTTY;
}

int ioctl(int fd, unsigned long req, ...)
{
	int (*real)(int, unsigned long, ...) = dlsym(RTLD_NEXT, "ioctl");
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != mock_fd || mock_fd < 0)
		return real(fd, req, arg);
	r = do_ioctl(req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}
