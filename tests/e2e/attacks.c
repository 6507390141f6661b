// SPDX-License-Identifier: GPL-2.0
/* aiguard end-to-end tests: the attacks (see attacks.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attacks.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif

#define FAIL(r, step) do { (r)->ret = -1; (r)->err = errno; \
	snprintf((r)->what, sizeof((r)->what), "%s failed: %s", step, strerror(errno)); \
	} while (0)

/* Records what came back: got = the wanted canary is there. */
static void seen(const struct victim *v, struct attack_res *r, const void *buf,
		 long n, const char *want)
{
	r->ret = n;
	r->err = 0;
	if (n > 0) {
		r->leaked = leaks(v->t, buf, n);
		r->got = want ? has(buf, n, want) : 1;
	}
}

static void peek_canary(const struct victim *v, struct attack_res *r, const char *how)
{
	char buf[CANARY_LEN + sizeof(long)];
	size_t off;

	for (off = 0; off < CANARY_LEN; off += sizeof(long)) {
		long w;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, v->pid, (void *)(v->heap_addr + off), NULL);
		if (w == -1 && errno) {
			FAIL(r, "PTRACE_PEEKDATA");
			return;
		}
		memcpy(buf + off, &w, sizeof(w));
	}
	seen(v, r, buf, CANARY_LEN, v->t->c.heap);
	snprintf(r->what, sizeof(r->what), "%s then PEEKDATA: %.*s", how, CANARY_LEN, buf);
}

static void stop_and_peek(const struct victim *v, struct attack_res *r, const char *how)
{
	int st;

	if (wait_timeout(v->pid, &st, __WALL, 3000) != v->pid || !WIFSTOPPED(st)) {
		r->ret = -2;
		snprintf(r->what, sizeof(r->what), "%s: tracee did not stop", how);
	} else {
		peek_canary(v, r, how);
	}
	ptrace(PTRACE_DETACH, v->pid, NULL, NULL);
}

static void do_ptrace_attach(const struct victim *v, struct attack_res *r)
{
	if (ptrace(PTRACE_ATTACH, v->pid, NULL, NULL) < 0)
		{ FAIL(r, "PTRACE_ATTACH"); return; }
	stop_and_peek(v, r, "PTRACE_ATTACH");
}

static void do_ptrace_seize(const struct victim *v, struct attack_res *r)
{
	if (ptrace(PTRACE_SEIZE, v->pid, NULL, NULL) < 0)
		{ FAIL(r, "PTRACE_SEIZE"); return; }
	if (ptrace(PTRACE_INTERRUPT, v->pid, NULL, NULL) < 0) {
		FAIL(r, "PTRACE_INTERRUPT");
		ptrace(PTRACE_DETACH, v->pid, NULL, NULL);
		return;
	}
	stop_and_peek(v, r, "PTRACE_SEIZE");
}

static void read_mem_file(const struct victim *v, struct attack_res *r, const char *path)
{
	char buf[CANARY_LEN];
	long n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		{ FAIL(r, "open"); return; }
	n = pread(fd, buf, sizeof(buf), v->heap_addr);
	if (n < 0) {
		FAIL(r, "pread");
	} else {
		seen(v, r, buf, n, v->t->c.heap);
		snprintf(r->what, sizeof(r->what), "%s: %.*s", path, (int)n, buf);
	}
	close(fd);
}

static void do_proc_mem(const struct victim *v, struct attack_res *r)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mem", v->pid);
	read_mem_file(v, r, path);
}

static void do_proc_task_mem(const struct victim *v, struct attack_res *r)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/mem", v->pid, v->tid ? v->tid : v->pid);
	read_mem_file(v, r, path);
}

static void do_vm_readv(const struct victim *v, struct attack_res *r)
{
	char buf[CANARY_LEN];
	struct iovec l = { buf, sizeof(buf) };
	struct iovec rem = { (void *)v->heap_addr, sizeof(buf) };
	long n = process_vm_readv(v->pid, &l, 1, &rem, 1, 0);

	if (n < 0)
		{ FAIL(r, "process_vm_readv"); return; }
	seen(v, r, buf, n, v->t->c.heap);
	snprintf(r->what, sizeof(r->what), "read: %.*s", (int)n, buf);
}

static void do_vm_writev(const struct victim *v, struct attack_res *r)
{
	char msg[] = "AIGUARD-E2E-WRITTEN", back[sizeof(msg)];
	struct iovec l = { msg, sizeof(msg) };
	struct iovec rem = { (void *)(v->heap_addr + 2048), sizeof(msg) };
	struct iovec lb = { back, sizeof(back) };
	long n = process_vm_writev(v->pid, &l, 1, &rem, 1, 0);

	if (n < 0)
		{ FAIL(r, "process_vm_writev"); return; }
	r->ret = n;
	/* the secret here is the ability to write: read it back */
	r->got = process_vm_readv(v->pid, &lb, 1, &rem, 1, 0) == sizeof(back) &&
		 memcmp(back, msg, sizeof(msg)) == 0;
	snprintf(r->what, sizeof(r->what), "wrote %ld bytes, read back %s", n,
		 r->got ? "the same" : "something else");
}

static void getfd(const struct victim *v, struct attack_res *r, int fd, const char *want)
{
	char buf[CANARY_LEN];
	int pidfd = syscall(SYS_pidfd_open, v->pid, 0), nfd;
	long n;

	if (pidfd < 0)
		{ FAIL(r, "pidfd_open"); return; }
	nfd = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (nfd < 0)
		{ FAIL(r, "pidfd_getfd"); return; }
	n = pread(nfd, buf, sizeof(buf), 0);
	close(nfd);
	if (n < 0)
		{ FAIL(r, "pread of stolen fd"); return; }
	seen(v, r, buf, n, want);
	snprintf(r->what, sizeof(r->what), "stolen fd %d: %.*s", fd, (int)n, buf);
}

static void do_getfd_memfd(const struct victim *v, struct attack_res *r)
{
	getfd(v, r, v->t->info.memfd, v->t->c.memfd);
}

static void do_getfd_file(const struct victim *v, struct attack_res *r)
{
	getfd(v, r, v->t->info.filefd, v->t->c.file);
}

/* open + read a whole /proc/PID/<name>; want: a string the control must show */
static void proc_read(const struct victim *v, struct attack_res *r, const char *name,
		      const char *want)
{
	static char buf[1 << 20];
	char path[96];
	long n = 0, k;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", v->pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		{ FAIL(r, "open"); return; }
	while ((size_t)n < sizeof(buf) && (k = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += k;
	if (k < 0 && n == 0) {
		FAIL(r, "read");
		close(fd);
		return;
	}
	close(fd);
	seen(v, r, buf, n, want);
	if (n > 0) {
		char first[80];
		int i;

		for (i = 0; i < n && i < (int)sizeof(first) - 1; i++)
			first[i] = buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.';
		first[i] = 0;
		snprintf(r->what, sizeof(r->what), "%.64s: %ld bytes: %.80s", path, n, first);
	} else {
		r->got = want == NULL ? 0 : r->got;
		snprintf(r->what, sizeof(r->what), "%s: empty", path);
	}
}

static void do_environ(const struct victim *v, struct attack_res *r)
{
	proc_read(v, r, "environ", v->t->c.env);
}

static void do_auxv(const struct victim *v, struct attack_res *r)
{
	proc_read(v, r, "auxv", NULL);
}

static void do_maps(const struct victim *v, struct attack_res *r)
{
	proc_read(v, r, "maps", "[heap]");
}

static void do_smaps(const struct victim *v, struct attack_res *r)
{
	proc_read(v, r, "smaps", "[heap]");
}

static void do_syscall(const struct victim *v, struct attack_res *r)
{
	proc_read(v, r, "syscall", NULL);
}

static void do_stack(const struct victim *v, struct attack_res *r)
{
	proc_read(v, r, "stack", NULL);
}

static void do_pagemap(const struct victim *v, struct attack_res *r)
{
	char path[64];
	uint64_t ent = 0;
	long n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", v->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		{ FAIL(r, "open"); return; }
	n = pread(fd, &ent, sizeof(ent), (v->heap_addr / 4096) * sizeof(ent));
	close(fd);
	if (n < 0)
		{ FAIL(r, "pread"); return; }
	r->ret = n;
	r->got = n == sizeof(ent) && (ent >> 63) & 1;	/* page present */
	snprintf(r->what, sizeof(r->what), "pagemap entry of the canary page: %#llx",
		 (unsigned long long)ent);
}

static void do_fd_open_memfd(const struct victim *v, struct attack_res *r)
{
	char path[64], buf[CANARY_LEN];
	long n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", v->pid, v->t->info.memfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		{ FAIL(r, "open"); return; }
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < 0)
		{ FAIL(r, "pread"); return; }
	seen(v, r, buf, n, v->t->c.memfd);
	snprintf(r->what, sizeof(r->what), "%s: %.*s", path, (int)n, buf);
}

static void do_readlink(const struct victim *v, struct attack_res *r, const char *name,
			const char *want)
{
	char path[64], buf[512];
	long n;

	snprintf(path, sizeof(path), "/proc/%d/%s", v->pid, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		{ FAIL(r, "readlink"); return; }
	buf[n] = 0;
	seen(v, r, buf, n, want);
	snprintf(r->what, sizeof(r->what), "%s -> %.160s", path, buf);
}

static void do_readlink_exe(const struct victim *v, struct attack_res *r)
{
	const char *base = strrchr(self_exe(), '/');

	do_readlink(v, r, "exe", base ? base + 1 : self_exe());
}

static void do_readlink_cwd(const struct victim *v, struct attack_res *r)
{
	do_readlink(v, r, "cwd", "/");
}

static void do_readlink_root(const struct victim *v, struct attack_res *r)
{
	do_readlink(v, r, "root", "/");
}

static void do_readlink_fd(const struct victim *v, struct attack_res *r)
{
	char name[32];

	snprintf(name, sizeof(name), "fd/%d", v->t->info.filefd);
	do_readlink(v, r, name, v->t->c.file);
}

static void do_kcmp(const struct victim *v, struct attack_res *r)
{
	long n = syscall(SYS_kcmp, v->pid, v->pid, KCMP_FILE, v->t->info.memfd,
			 v->t->info.memfd);

	if (n < 0)
		{ FAIL(r, "kcmp"); return; }
	r->ret = n;
	r->got = n == 0;	/* learnt that both slots hold the same file */
	snprintf(r->what, sizeof(r->what), "kcmp(KCMP_FILE, memfd, memfd) = %ld", n);
}

static void do_robust_list(const struct victim *v, struct attack_res *r)
{
	void *head = NULL;
	size_t len = 0;
	long n = syscall(SYS_get_robust_list, v->pid, &head, &len);

	if (n < 0)
		{ FAIL(r, "get_robust_list"); return; }
	r->ret = n;
	r->got = 1;
	snprintf(r->what, sizeof(r->what), "robust list head %p len %zu", head, len);
}

static void do_madvise(const struct victim *v, struct attack_res *r)
{
	struct iovec iov = { (void *)v->heap_addr, 4096 };
	int pidfd = syscall(SYS_pidfd_open, v->pid, 0);
	long n;

	if (pidfd < 0)
		{ FAIL(r, "pidfd_open"); return; }
	n = syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLD, 0);
	close(pidfd);
	if (n < 0)
		{ FAIL(r, "process_madvise(MADV_COLD)"); return; }
	r->ret = n;
	r->got = n == 4096;
	snprintf(r->what, sizeof(r->what), "process_madvise returned %ld", n);
}

static void do_perf(const struct victim *v, struct attack_res *r)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.sample_period = 100000;
	a.sample_type = PERF_SAMPLE_STACK_USER | PERF_SAMPLE_IP;
	a.sample_stack_user = 4096;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &a, v->pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		{ FAIL(r, "perf_event_open"); return; }
	close(fd);
	r->ret = fd;
	r->got = 1;
	snprintf(r->what, sizeof(r->what), "perf_event_open(task-clock, STACK_USER) = fd %ld", fd);
}

const struct attack atk_ptrace_attach = { "ptrace_attach", do_ptrace_attach, EPERM, 0, 1 };
const struct attack atk_ptrace_seize = { "ptrace_seize", do_ptrace_seize, EPERM, 0, 1 };
const struct attack atk_proc_mem = { "proc_mem_read", do_proc_mem, EACCES, 0, 1 };
const struct attack atk_proc_task_mem = { "proc_task_mem_read", do_proc_task_mem, EACCES, 0, 1 };
const struct attack atk_vm_readv = { "process_vm_readv", do_vm_readv, EPERM, 0, 1 };
const struct attack atk_vm_writev = { "process_vm_writev", do_vm_writev, EPERM, 0, 1 };
const struct attack atk_pidfd_getfd_memfd = { "pidfd_getfd_memfd", do_getfd_memfd, EPERM, 0, 1 };
const struct attack atk_pidfd_getfd_file = { "pidfd_getfd_file", do_getfd_file, EPERM, 0, 1 };
const struct attack atk_proc_environ = { "proc_environ", do_environ, EACCES, 0, 1 };
const struct attack atk_proc_auxv = { "proc_auxv", do_auxv, EACCES, 0, 0 };
const struct attack atk_proc_maps = { "proc_maps", do_maps, EACCES, 0, 1 };
const struct attack atk_proc_smaps = { "proc_smaps", do_smaps, EACCES, 0, 1 };
const struct attack atk_proc_pagemap = { "proc_pagemap", do_pagemap, EACCES, 0, 1 };
const struct attack atk_proc_syscall = { "proc_syscall", do_syscall, EPERM, 0, 0 };
const struct attack atk_proc_stack = { "proc_stack", do_stack, EPERM, 0, 0 };
const struct attack atk_proc_fd_open_memfd = { "proc_fd_open_memfd", do_fd_open_memfd, EACCES, 0, 1 };
const struct attack atk_readlink_exe = { "readlink_exe", do_readlink_exe, EACCES, 0, 1 };
const struct attack atk_readlink_cwd = { "readlink_cwd", do_readlink_cwd, EACCES, 0, 1 };
const struct attack atk_readlink_root = { "readlink_root", do_readlink_root, EACCES, 0, 1 };
const struct attack atk_readlink_fd = { "readlink_fd", do_readlink_fd, EACCES, 0, 1 };
const struct attack atk_kcmp_file = { "kcmp_file", do_kcmp, EPERM, 0, 1 };
const struct attack atk_get_robust_list = { "get_robust_list", do_robust_list, EPERM, 0, 1 };
const struct attack atk_process_madvise = { "process_madvise_cold", do_madvise, EACCES, EPERM, 1 };
const struct attack atk_perf_event_open = { "perf_event_open_task", do_perf, EACCES, 0, 1 };
