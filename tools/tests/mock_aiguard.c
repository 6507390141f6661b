// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD stand-in for /dev/aiguard, for host tests of the tool only
 * (never a model of the module's security). Active when AIGUARD_MOCK_STATE
 * names a state file ("pid label" lines); AIGUARD_MOCK_ABI overrides the
 * reported ABI version. Inheritance and access denial are not modelled.
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
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/aiguard.h>

#define MAXP 256
static int mock_fd = -1;
static struct { int pid; char label[AIGUARD_LABEL_MAX]; } st[MAXP];
static int nst;

static int mock_open(const char *path, int flags, int (*real)(const char *, int, ...))
{
	if (!getenv("AIGUARD_MOCK_STATE") || strcmp(path, "/dev/aiguard"))
		return -2;
	if (geteuid() != 0) {
		errno = EACCES;
		return -1;
	}
	mock_fd = real("/dev/null", flags);
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

static void load(void)
{
	FILE *f = fopen(getenv("AIGUARD_MOCK_STATE"), "r");
	int pid;
	char lab[AIGUARD_LABEL_MAX];

	nst = 0;
	if (!f)
		return;
	while (nst < MAXP && fscanf(f, "%d %31s", &pid, lab) == 2) {
		if (kill(pid, 0) && errno == ESRCH)
			continue;	/* gone */
		st[nst].pid = pid;
		memset(st[nst].label, 0, sizeof(st[nst].label));
		memcpy(st[nst].label, lab, strlen(lab));
		nst++;
	}
	fclose(f);
}

static void save(void)
{
	FILE *f = fopen(getenv("AIGUARD_MOCK_STATE"), "w");

	if (!f)
		return;
	for (int i = 0; i < nst; i++)
		fprintf(f, "%d %s\n", st[i].pid, st[i].label);
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

static int do_ioctl(unsigned long req, void *arg)
{
	const char *abi = getenv("AIGUARD_MOCK_ABI");
	int pid, i;

	load();
	if (req == AIGUARD_IOC_GET_VERSION) {
		struct aiguard_version *v = arg;

		memset(v, 0, sizeof(*v));
		v->abi_version = abi ? (unsigned)atoi(abi) : AIGUARD_ABI_VERSION;
		v->label_max = AIGUARD_LABEL_MAX;
		return 0;
	}
	if (req == AIGUARD_IOC_PROTECT) {
		struct aiguard_protect *p = arg;

		if (p->flags || p->reserved || !valid_label(p->label, 1))
			return -EINVAL;
		if (geteuid())
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
		if (!p->label[0])
			snprintf(p->label, sizeof(p->label), "@%d", pid);
		if (nst == MAXP)
			return -ENOMEM;
		st[nst].pid = pid;
		memcpy(st[nst].label, p->label, AIGUARD_LABEL_MAX);
		nst++;
		save();
		return 0;
	}
	if (req == AIGUARD_IOC_UNPROTECT) {
		struct aiguard_unprotect *u = arg;

		if (u->flags || u->reserved)
			return -EINVAL;
		if (geteuid())
			return -EPERM;
		if ((pid = resolve(&u->target)) < 0)
			return pid;
		if ((i = find(pid)) < 0)
			return -ENOENT;
		st[i] = st[--nst];
		save();
		return 0;
	}
	if (req == AIGUARD_IOC_QUERY) {
		struct aiguard_query *q = arg;

		if (q->flags || q->reserved)
			return -EINVAL;
		if ((pid = resolve(&q->target)) < 0)
			return pid;
		memset(&q->info, 0, sizeof(q->info));
		q->info.pid = (unsigned)pid;
		if ((i = find(pid)) >= 0) {
			q->info.flags = AIGUARD_PROC_PROTECTED;
			memcpy(q->info.label, st[i].label, AIGUARD_LABEL_MAX);
		}
		return 0;
	}
	if (req == AIGUARD_IOC_LIST) {
		struct aiguard_list *l = arg;
		struct aiguard_process_info *e = (void *)(unsigned long)l->entries;

		if (l->flags || l->reserved)
			return -EINVAL;
		l->count = 0;
		for (i = 0; i < nst && e && (unsigned)i < l->capacity; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			e[i].pid = (unsigned)st[i].pid;
			e[i].flags = AIGUARD_PROC_PROTECTED;
			memcpy(e[i].label, st[i].label, AIGUARD_LABEL_MAX);
			l->count++;
		}
		l->total = (unsigned)nst;
		return 0;
	}
	if (req == AIGUARD_IOC_GET_STATS) {
		struct aiguard_stats *s = arg;

		memset(s, 0, sizeof(*s));
		s->nr_protected = (unsigned)nst;
		return 0;
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
