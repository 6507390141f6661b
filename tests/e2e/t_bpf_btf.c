// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs that need kernel BTF cannot read a protected process's
 * memory either: what t_bpf.c does not cover.
 *
 *  - fentry and fexit programs (BPF_PROG_TYPE_TRACING) on getname_flags(),
 *    whose first argument is a user pointer: the child passes its canary's
 *    address to access(2), the program reads it from its context and calls
 *    bpf_probe_read_user, bpf_probe_read_user_str and bpf_get_stack (user).
 *  - a sleepable task iterator (iter.s/task) that, for the child's task,
 *    calls bpf_copy_from_user_task and bpf_get_task_stack (user). Read
 *    twice: by this test (an outsider walking every task, the monitoring
 *    case) and by the child itself (task == current), where it also calls
 *    bpf_copy_from_user and, where the kernel has it, the kfunc
 *    bpf_copy_from_user_str.
 *  - a sleepable BPF LSM program (lsm.s/file_ioctl), when the BPF LSM is
 *    active: bpf_copy_from_user, bpf_get_stack (user) and the kfunc.
 *
 * The child's task is recognised by task->tgid, whose offset in struct
 * task_struct comes from /sys/kernel/btf/vmlinux (parsed below, like the
 * BTF ids of the attach targets and of the kfunc).
 *
 * Per program, as t_bpf.c: against an unprotected child (control) each
 * read returns the canary; against a protected child each returns -EPERM
 * and zeroes; and with the protected child still running, a second
 * unprotected child is still read. Without kernel BTF everything skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_asm.h"
#include "btf_min.h"
#include "lib.h"

static struct btf vmlinux;

/* ---- the program ------------------------------------------------------------ */

#define NREAD		4	/* helpers called per hit, at most */
#define READ_LEN	32

/*
 * The map value the program fills: one entry per watched process, keyed
 * by its tgid, as in t_bpf.c and for the same reason. A run of the program
 * in the process watched before, held up between its check and its stores
 * (a descheduled vCPU), must not write over the next process's results.
 * Entries are never deleted: a freed element could become the next
 * process's entry while such a late run still writes to it.
 */
#define MAP_ENTRIES	64	/* 3 watched processes per program */

struct result {
	uint32_t tgid;		/* whose hits count */
	uint32_t pad;
	uint64_t addr;		/* the canary's address in that process */
	int64_t ret[NREAD];
	char data[NREAD][READ_LEN];
	uint64_t hits;
};

/* How a helper is called, and so what a control must get back. */
enum how {
	H_CUR,		/* fn(dst, len, addr): current's memory */
	H_CUR_STACK,	/* bpf_get_stack(ctx, dst, len, BPF_F_USER_STACK) */
	H_TASK,		/* bpf_copy_from_user_task(dst, len, addr, task, 0) */
	H_TASK_STACK,	/* bpf_get_task_stack(task, dst, len, BPF_F_USER_STACK) */
	H_KFUNC_STR,	/* bpf_copy_from_user_str(dst, len, addr, 0), a kfunc */
};

struct helper {
	const char *name;
	enum how how;
	int fn;		/* BPF_FUNC_* (H_CUR) */
};

enum kind { K_FENTRY, K_FEXIT, K_ITER, K_LSM };

struct spec {
	const char *name;
	enum kind kind;
	const char *target;	/* BTF function the program attaches to */
	int self_read;		/* iterator: read by the child itself */
	struct helper h[NREAD];
	int nh;
	/* resolved */
	int btf_id;
	int prog, link;
	int plain;		/* iterator: not sleepable */
};

static int map_rw(int map, struct result *r, int cmd)
{
	return bpf_elem(cmd, map, r->tgid, r);
}

static char verifier_log[65536];
static long tgid_off = -1;	/* of struct task_struct */
static int kfunc_str_id = -1;	/* bpf_copy_from_user_str */

/*
 * The program. r6 = ctx, r7 = the map value, r8 = the iterator's task.
 * Counts a hit, after calling each helper into the map, when:
 *   fentry/fexit/lsm: current is result.tgid;
 *   iterator: the task is result.tgid (and, if self_read, so is current).
 * fentry/fexit read the address getname_flags() was given (its first
 * argument); the others read result.addr.
 */
static int prog_load(const struct spec *s, int map)
{
	const int r_ret = offsetof(struct result, ret);
	const int r_data = offsetof(struct result, data);
	struct bpf_insn p[160];
	union bpf_attr a;
	int n = 0, i, nj = 0, jmp_at[4], fd;

	p[n++] = MOV64_REG(BPF_REG_6, BPF_REG_1);
	if (s->kind == K_ITER) {
		/* struct bpf_iter__task: meta at 0, task at 8 (NULL at the end) */
		p[n++] = LDX(BPF_DW, BPF_REG_8, BPF_REG_6, 8);
		jmp_at[nj++] = n;
		p[n++] = JEQ_IMM(BPF_REG_8, 0, 0);
	}
	/* the key: the iterator's task's tgid, else current's */
	if (s->kind == K_ITER && !s->self_read) {
		p[n++] = LDX(BPF_W, BPF_REG_0, BPF_REG_8, (short)tgid_off);
	} else {
		p[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
		p[n++] = RSH64_IMM(BPF_REG_0, 32);
	}
	p[n++] = STX(BPF_W, BPF_REG_10, BPF_REG_0, -4);
	p[n++] = LD_MAP_FD(BPF_REG_1, map);
	p[n++] = LD_IMM64_HI();
	p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_10);
	p[n++] = ADD64_IMM(BPF_REG_2, -4);
	p[n++] = CALL(BPF_FUNC_map_lookup_elem);
	jmp_at[nj++] = n;
	p[n++] = JEQ_IMM(BPF_REG_0, 0, 0);
	p[n++] = MOV64_REG(BPF_REG_7, BPF_REG_0);
	if (s->kind == K_ITER) {
		p[n++] = LDX(BPF_W, BPF_REG_1, BPF_REG_8, (short)tgid_off);
		p[n++] = LDX(BPF_W, BPF_REG_2, BPF_REG_7, offsetof(struct result, tgid));
		jmp_at[nj++] = n;
		p[n++] = JNE_REG(BPF_REG_1, BPF_REG_2, 0);
	}
	if (s->kind != K_ITER || s->self_read) {
		p[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
		p[n++] = RSH64_IMM(BPF_REG_0, 32);
		p[n++] = LDX(BPF_W, BPF_REG_1, BPF_REG_7, offsetof(struct result, tgid));
		jmp_at[nj++] = n;
		p[n++] = JNE_REG(BPF_REG_0, BPF_REG_1, 0);
	}
	for (i = 0; i < s->nh; i++) {
		const int dst = r_data + i * READ_LEN;
		/* the address, into r3 */
		const struct bpf_insn addr = s->kind == K_FENTRY || s->kind == K_FEXIT ?
			LDX(BPF_DW, BPF_REG_3, BPF_REG_6, 0) :
			LDX(BPF_DW, BPF_REG_3, BPF_REG_7, offsetof(struct result, addr));

		switch (s->h[i].how) {
		case H_CUR:
		case H_TASK:
		case H_KFUNC_STR:
			p[n++] = MOV64_REG(BPF_REG_1, BPF_REG_7);
			p[n++] = ADD64_IMM(BPF_REG_1, dst);
			p[n++] = MOV64_IMM(BPF_REG_2, READ_LEN);
			p[n++] = addr;
			if (s->h[i].how == H_CUR) {
				p[n++] = CALL(s->h[i].fn);
			} else if (s->h[i].how == H_TASK) {
				p[n++] = MOV64_REG(BPF_REG_4, BPF_REG_8);
				p[n++] = MOV64_IMM(BPF_REG_5, 0);
				p[n++] = CALL(BPF_FUNC_copy_from_user_task);
			} else {
				p[n++] = MOV64_IMM(BPF_REG_4, 0);
				p[n++] = KFUNC_CALL(kfunc_str_id);
				/* it returns an int: sign-extend */
				p[n++] = LSH64_IMM(BPF_REG_0, 32);
				p[n++] = ARSH64_IMM(BPF_REG_0, 32);
			}
			break;
		case H_CUR_STACK:
		case H_TASK_STACK:
			p[n++] = MOV64_REG(BPF_REG_1, s->h[i].how == H_CUR_STACK ?
					   BPF_REG_6 : BPF_REG_8);
			p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_7);
			p[n++] = ADD64_IMM(BPF_REG_2, dst);
			p[n++] = MOV64_IMM(BPF_REG_3, READ_LEN);
			p[n++] = MOV64_IMM(BPF_REG_4, BPF_F_USER_STACK);
			p[n++] = CALL(s->h[i].how == H_CUR_STACK ? BPF_FUNC_get_stack :
				      BPF_FUNC_get_task_stack);
			break;
		}
		p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_0, r_ret + i * 8);
	}
	p[n++] = LDX(BPF_DW, BPF_REG_1, BPF_REG_7, offsetof(struct result, hits));
	p[n++] = ADD64_IMM(BPF_REG_1, 1);
	p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_1, offsetof(struct result, hits));
	p[n] = MOV64_IMM(BPF_REG_0, 0);
	for (i = 0; i < nj; i++)
		p[jmp_at[i]].off = n - jmp_at[i] - 1;
	n++;
	p[n++] = EXIT();

	memset(&a, 0, sizeof(a));
	a.attach_btf_id = s->btf_id;
	switch (s->kind) {
	case K_FENTRY:
		a.prog_type = BPF_PROG_TYPE_TRACING;
		a.expected_attach_type = BPF_TRACE_FENTRY;
		break;
	case K_FEXIT:
		a.prog_type = BPF_PROG_TYPE_TRACING;
		a.expected_attach_type = BPF_TRACE_FEXIT;
		break;
	case K_ITER:
		a.prog_type = BPF_PROG_TYPE_TRACING;
		a.expected_attach_type = BPF_TRACE_ITER;
		a.prog_flags = s->plain ? 0 : BPF_F_SLEEPABLE;
		break;
	case K_LSM:
		a.prog_type = BPF_PROG_TYPE_LSM;
		a.expected_attach_type = BPF_LSM_MAC;
		a.prog_flags = BPF_F_SLEEPABLE;
		break;
	}
	fd = bpf_load(&a, p, n, verifier_log, sizeof(verifier_log));
	if (fd < 0) {
		int e = errno;

		tap_diag("%s: BPF_PROG_LOAD: %s; verifier:\n%.3000s", s->name, strerror(e),
			 verifier_log);
		errno = e;
	}
	return fd;
}

/* fentry, fexit, lsm: a link through BPF_RAW_TRACEPOINT_OPEN (no name). */
static int attach(struct spec *s)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	if (s->kind == K_ITER) {
		a.link_create.prog_fd = s->prog;
		a.link_create.attach_type = BPF_TRACE_ITER;
		s->link = (int)sys_bpf(BPF_LINK_CREATE, &a);
	} else {
		a.raw_tracepoint.prog_fd = s->prog;
		s->link = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	}
	if (s->link < 0)
		tap_diag("%s: %s: %s", s->name, s->kind == K_ITER ? "BPF_LINK_CREATE" :
			 "BPF_RAW_TRACEPOINT_OPEN", strerror(errno));
	return s->link;
}

/* One pass of a task iterator: every task, once. 0 or -1 (errno). */
static int iter_run(int link)
{
	union bpf_attr a;
	char buf[256];
	ssize_t got;
	int fd;

	memset(&a, 0, sizeof(a));
	a.iter_create.link_fd = link;
	fd = (int)sys_bpf(BPF_ITER_CREATE, &a);
	if (fd < 0)
		return -1;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return got < 0 ? -1 : 0;
}

/* ---- the busy children ------------------------------------------------------- */

static char canary[64] __attribute__((aligned(64)));
static int task_stack_sleepable;	/* the kernel has a sleepable variant */
static int child_iter_link = -1;	/* the child runs this iterator itself */

/*
 * The child loops: access(2) on its canary (getname_flags), an ioctl on a
 * pipe (the file_ioctl LSM hook) and, when child_iter_link is set, a pass
 * of that iterator.
 */
static void busy(void *unused)
{
	int pfd[2], avail;

	(void)unused;
	if (pipe(pfd))
		_exit(1);
	for (;;) {
		syscall(SYS_access, canary, F_OK);
		ioctl(pfd[1], FIONREAD, &avail);
		if (child_iter_link >= 0)
			iter_run(child_iter_link);
		usleep(1000);
	}
}

/* Before the child reports: the canary is there once child_start() returns. */
static void set_canary(void *label)
{
	snprintf(canary, sizeof(canary), "BPF-CANARY-%08d-%s", getpid(),
		 label ? "protected" : "control");
}

static pid_t child_start(const char *label)
{
	return fork_protected(label, set_canary, busy, (void *)label);
}

/* ---- the checks ------------------------------------------------------------ */

/*
 * Points the program at c and waits for a few hits (10 s at most). For an
 * iterator read by this test, the test reads it here.
 */
static int watch(const struct spec *s, int map, pid_t c, struct result *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->tgid = c;
	r->addr = (uintptr_t)canary;
	for (i = 0; i < NREAD; i++)
		r->ret[i] = 1;	/* no helper returns 1 for 32 bytes */
	if (map_rw(map, r, BPF_MAP_UPDATE_ELEM))
		return -1;
	for (i = 0; i < 1000; i++) {
		if (s->kind == K_ITER && !s->self_read && iter_run(s->link)) {
			tap_diag("%s: reading the iterator: %s", s->name, strerror(errno));
			return -1;
		}
		usleep(10000);
		if (map_rw(map, r, BPF_MAP_LOOKUP_ELEM))
			return -1;
		if (r->hits >= 3)
			return 0;
	}
	return -1;
}

static int data_zero(const char *d)
{
	int i;

	for (i = 0; i < READ_LEN; i++)
		if (d[i])
			return 0;
	return 1;
}

/* Control: each read returns the canary, each stack a user stack. */
static void check_reads(const struct spec *s, const char *what,
			const struct result *r, pid_t pid)
{
	char want[64];
	int i;

	snprintf(want, sizeof(want), "BPF-CANARY-%08d-control", pid);
	for (i = 0; i < s->nh; i++) {
		const struct helper *h = &s->h[i];
		long long ret = r->ret[i];

		switch (h->how) {
		case H_CUR:
		case H_TASK:
		case H_KFUNC_STR:
			tap_ok(ret >= 0 && !memcmp(r->data[i], want, strlen(want)),
			       "%s: %s: %s reads the canary (ret %lld, got \"%.*s\")",
			       s->name, what, h->name, ret, READ_LEN, r->data[i]);
			break;
		case H_CUR_STACK:
			tap_ok(ret > 0, "%s: %s: %s returns a user stack (ret %lld)",
			       s->name, what, h->name, ret);
			break;
		case H_TASK_STACK:
			/*
			 * The kernel walks no other task's user stack: it
			 * returns -EOPNOTSUPP for one (not our -EPERM).
			 */
			if (s->self_read)
				tap_ok(ret > 0, "%s: %s: %s returns a user stack (ret %lld)",
				       s->name, what, h->name, ret);
			else
				tap_ok(ret > 0 || ret == -EOPNOTSUPP,
				       "%s: %s: %s gives the kernel's own answer for another task (ret %lld: %s)",
				       s->name, what, h->name, ret,
				       ret < 0 ? errname((int)-ret) : "a user stack");
			break;
		}
	}
}

static void check_denied(const struct spec *s, const struct result *r)
{
	int i;

	for (i = 0; i < s->nh; i++)
		tap_ok(r->ret[i] == -EPERM && data_zero(r->data[i]),
		       "%s: protected: %s returns EPERM and zeroes (ret %lld)",
		       s->name, s->h[i].name, (long long)r->ret[i]);
}

static void run(struct spec *s, int map)
{
	pid_t ctl = 0, prot = 0, ctl2 = 0;
	struct result r;
	int ref0, ref1, i;

	ref0 = ag_module_refcnt();
	s->link = -1;
	s->prog = prog_load(s, map);
	if (!tap_ok(s->prog >= 0, "%s: program with user-memory helpers loads (attach BTF id %d)",
		    s->name, s->btf_id))
		return;
	ref1 = ag_module_refcnt();
	tap_ok(ref1 == ref0 + 1, "%s: the rewritten program holds aiguard.ko (refcnt %d -> %d)",
	       s->name, ref0, ref1);
	if (!tap_ok(attach(s) >= 0, "%s: program attached", s->name))
		goto out;
	child_iter_link = s->kind == K_ITER && s->self_read ? s->link : -1;

	ctl = child_start(NULL);
	if (tap_ok(watch(s, map, ctl, &r) == 0, "%s: program runs for the control", s->name))
		check_reads(s, "control", &r, ctl);
	child_kill(ctl);
	ctl = 0;

	prot = child_start("e2e-bpf-btf");
	if (!tap_ok(prot > 0, "%s: child protected itself", s->name))
		goto out;
	if (tap_ok(watch(s, map, prot, &r) == 0, "%s: program runs for the protected child",
		   s->name))
		check_denied(s, &r);

	/* The protected child keeps running: others stay observable. */
	ctl2 = child_start(NULL);
	if (tap_ok(watch(s, map, ctl2, &r) == 0,
		   "%s: program runs for a control beside the protected child", s->name))
		check_reads(s, "control beside the protected child", &r, ctl2);
out:
	child_kill(ctl2);
	child_kill(prot);
	child_kill(ctl);
	child_iter_link = -1;
	if (s->link >= 0)
		close(s->link);
	close(s->prog);
	/* Programs are freed after an RCU grace period and a work item. */
	for (i = 0; i < 500 && ag_module_refcnt() != ref0; i++)
		usleep(10000);
	tap_ok(ag_module_refcnt() == ref0, "%s: freeing the program releases aiguard.ko (refcnt %d)",
	       s->name, ag_module_refcnt());
}

/* Whether the BPF LSM is active (lsm.s programs run); NULL or why not. */
static const char *bpf_lsm_inactive(void)
{
	static char why[160];
	char buf[512], list[512], *tok, *save;

	if (read_file("/sys/kernel/security/lsm", buf, sizeof(buf)) <= 0) {
		snprintf(why, sizeof(why), "/sys/kernel/security/lsm unreadable (%s)",
			 strerror(errno));
		return why;
	}
	strcpy(list, buf);
	for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save))
		if (!strcmp(tok, "bpf"))
			return NULL;
	snprintf(why, sizeof(why), "the BPF LSM is not active (lsm: %.100s)", list);
	return why;
}

/* "t_bpf_btf btf": what this test resolves from kernel BTF, nothing more. */
static int btf_info(void)
{
	if (btf_load(&vmlinux, BTF_PATH)) {
		printf("%s: %s\n", BTF_PATH, strerror(errno));
		return 1;
	}
	printf("types %u\n", vmlinux.n - 1);
	printf("getname_flags %d\n", btf_find(&vmlinux, BTF_KIND_FUNC, "getname_flags"));
	printf("bpf_iter_task %d\n", btf_find(&vmlinux, BTF_KIND_FUNC, "bpf_iter_task"));
	printf("bpf_lsm_file_ioctl %d\n", btf_find(&vmlinux, BTF_KIND_FUNC, "bpf_lsm_file_ioctl"));
	printf("bpf_copy_from_user_str %d\n",
	       btf_find(&vmlinux, BTF_KIND_FUNC, "bpf_copy_from_user_str"));
	printf("task_struct.tgid %ld\n",
	       btf_member_off(&vmlinux, btf_find(&vmlinux, BTF_KIND_STRUCT, "task_struct"),
			      "tgid", 0));
	printf("task_struct.pid %ld\n",
	       btf_member_off(&vmlinux, btf_find(&vmlinux, BTF_KIND_STRUCT, "task_struct"),
			      "pid", 0));
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"fentry", "fexit", "iter.s/task read by the test",
		"iter.s/task read by the target", "iter/task read by the target",
		"lsm.s/file_ioctl",
	};
	struct spec specs[] = {
		{ "fentry", K_FENTRY, "getname_flags", 0,
		  { { "probe_read_user", H_CUR, BPF_FUNC_probe_read_user },
		    { "probe_read_user_str", H_CUR, BPF_FUNC_probe_read_user_str },
		    { "get_stack(user)", H_CUR_STACK, 0 } }, 3, 0, -1, -1, 0 },
		{ "fexit", K_FEXIT, "getname_flags", 0,
		  { { "probe_read_user", H_CUR, BPF_FUNC_probe_read_user },
		    { "probe_read_user_str", H_CUR, BPF_FUNC_probe_read_user_str },
		    { "get_stack(user)", H_CUR_STACK, 0 } }, 3, 0, -1, -1, 0 },
		{ "iter.s/task read by the test", K_ITER, "bpf_iter_task", 0,
		  { { "copy_from_user_task", H_TASK, 0 },
		    { "get_task_stack(user)", H_TASK_STACK, 0 } }, 2, 0, -1, -1, 0 },
		{ "iter.s/task read by the target", K_ITER, "bpf_iter_task", 1,
		  { { "copy_from_user_task", H_TASK, 0 },
		    { "get_task_stack(user)", H_TASK_STACK, 0 },
		    { "copy_from_user", H_CUR, BPF_FUNC_copy_from_user },
		    { "copy_from_user_str(kfunc)", H_KFUNC_STR, 0 } }, 4, 0, -1, -1, 0 },
		{ "iter/task read by the target", K_ITER, "bpf_iter_task", 1,
		  { { "get_task_stack(user)", H_TASK_STACK, 0 } }, 1, 0, -1, -1, 1 },
		{ "lsm.s/file_ioctl", K_LSM, "bpf_lsm_file_ioctl", 0,
		  { { "copy_from_user", H_CUR, BPF_FUNC_copy_from_user },
		    { "get_stack(user)", H_CUR_STACK, 0 },
		    { "copy_from_user_str(kfunc)", H_KFUNC_STR, 0 } }, 3, 0, -1, -1, 0 },
	};
	struct aiguard_stats st0, st1;
	const char *why;
	unsigned int i;
	int map, have_stats, task;
	char reason[192];

	if (argc == 2 && !strcmp(argv[1], "btf"))
		return btf_info();
	tap_init(argc, argv, 900);

	if (btf_load(&vmlinux, BTF_PATH)) {
		snprintf(reason, sizeof(reason), "no usable kernel BTF: %s: %s%s", BTF_PATH,
			 strerror(errno), errno == ENOENT ?
			 " (kernel built without CONFIG_DEBUG_INFO_BTF)" : "");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			tap_skip(reason, "%s: user-memory helpers refused in a protected process",
				 names[i]);
		tap_skip(reason, "denials are counted under the bpf hook");
		return tap_done();
	}
	task = btf_find(&vmlinux, BTF_KIND_STRUCT, "task_struct");
	tgid_off = task > 0 ? btf_member_off(&vmlinux, task, "tgid", 0) : -1;
	kfunc_str_id = btf_find(&vmlinux, BTF_KIND_FUNC, "bpf_copy_from_user_str");
	task_stack_sleepable = btf_find(&vmlinux, BTF_KIND_FUNC,
					"bpf_get_task_stack_sleepable") > 0;
	tap_ok(vmlinux.n > 1000 && tgid_off > 0 && tgid_off < 0x7fff,
	       "kernel BTF parsed: %u types, task_struct id %d, tgid at offset %ld",
	       vmlinux.n - 1, task, tgid_off);
	if (kfunc_str_id < 0)
		tap_skip("this kernel has no bpf_copy_from_user_str kfunc (added in 6.12)",
			 "copy_from_user_str(kfunc) refused in a protected process");
	else
		tap_diag("bpf_copy_from_user_str: BTF id %d", kfunc_str_id);

	map = bpf_hash(sizeof(struct result), MAP_ENTRIES);
	if (!tap_ok(map >= 0, "BPF hash map created (%s)", map < 0 ? strerror(errno) : "ok"))
		return tap_done();
	have_stats = ag_stats(&st0) == 0;
	why = bpf_lsm_inactive();
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct spec *s = &specs[i];
		int j;

		if (s->kind == K_LSM && why) {
			tap_skip(why, "%s: user-memory helpers refused in a protected process",
				 s->name);
			continue;
		}
		/* Without the kfunc, drop its (last) row. */
		for (j = 0; j < s->nh; j++)
			if (s->h[j].how == H_KFUNC_STR && kfunc_str_id < 0)
				s->nh = j;
		/*
		 * Before 6.9 bpf_get_task_stack() is not safe in a sleepable
		 * program (it takes the callchain buffers under RCU-tasks-trace
		 * only: lockdep's "suspicious RCU usage" in get_callchain_entry).
		 * There the plain iterator above covers it.
		 */
		for (j = 0; !s->plain && !task_stack_sleepable && j < s->nh; j++)
			if (s->h[j].how == H_TASK_STACK) {
				memmove(&s->h[j], &s->h[j + 1], (s->nh - j - 1) * sizeof(s->h[0]));
				s->nh--;
				tap_diag("%s: get_task_stack left to the plain iterator on this kernel",
					 s->name);
			}
		s->btf_id = btf_find(&vmlinux, BTF_KIND_FUNC, s->target);
		if (!tap_ok(s->btf_id > 0, "%s: %s found in kernel BTF (id %d)", s->name,
			    s->target, s->btf_id))
			continue;
		if (s->kind == K_ITER && tgid_off <= 0)
			continue;
		run(s, map);
	}
	if (have_stats && ag_stats(&st1) == 0)
		tap_ok(st1.denied[AIGUARD_HOOK_BPF] > st0.denied[AIGUARD_HOOK_BPF],
		       "denials are counted under the bpf hook (%llu -> %llu)",
		       (unsigned long long)st0.denied[AIGUARD_HOOK_BPF],
		       (unsigned long long)st1.denied[AIGUARD_HOOK_BPF]);
	else
		tap_ok(0, "aiguard stats readable");
	close(map);
	return tap_done();
}
