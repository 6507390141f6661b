// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs cannot read a protected process's memory.
 *
 * A busy child holds a canary in a static buffer and makes syscalls in a
 * loop. A BPF program, attached four ways (kprobe on getppid, the
 * raw_syscalls:sys_enter tracepoint, the sys_enter raw tracepoint, and a
 * CPU-wide cpu-clock perf event), runs while the child is current and
 * calls every helper that reads the current process's memory, into a map:
 * bpf_probe_read_user, bpf_probe_read_user_str, the legacy bpf_probe_read
 * and bpf_probe_read_str, and bpf_get_stack with BPF_F_USER_STACK.
 *
 * Per attach type: against an unprotected child (control) each read
 * returns 0 and the canary; against a protected child each returns
 * -EPERM and zeroes; and with the protected child still running, the same
 * program still reads a second unprotected child.
 *
 * Plus: the rewritten program holds a reference on aiguard.ko until it is
 * freed, and denials are counted under the "bpf" hook.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_asm.h"
#include "lib.h"

#define NREAD		5	/* helpers called per hit */
#define READ_LEN	32

/*
 * The map value the program fills: one entry per watched process, keyed
 * by its tgid. An entry of its own, not one shared slot: a run of the
 * program in the process watched before can be held up between its
 * check and its stores (a vCPU descheduled under TCG) and would write
 * that process's results over the next one's.
 */
struct result {
	uint32_t tgid;		/* whose hits count */
	uint32_t pad;
	uint64_t addr;		/* the canary's address in that process */
	int64_t ret[NREAD];
	char data[NREAD][READ_LEN];
	uint64_t hits;
};

static const char *const helper_names[NREAD] = {
	"probe_read_user", "probe_read_user_str", "probe_read", "probe_read_str",
	"get_stack(user)",
};

static int map_get(int map, struct result *r)
{
	return bpf_elem(BPF_MAP_LOOKUP_ELEM, map, r->tgid, r);
}

static int map_set(int map, const struct result *r)
{
	return bpf_elem(BPF_MAP_UPDATE_ELEM, map, r->tgid, (void *)r);
}

#define MAP_ENTRIES	64	/* 3 watched processes per attach type */

static char verifier_log[65536];

/* The program: if current has an entry, call each helper into it. */
static int prog_load(enum bpf_prog_type type, int map)
{
	const int r_ret = offsetof(struct result, ret);
	const int r_data = offsetof(struct result, data);
	static const int fn[NREAD - 1] = {
		BPF_FUNC_probe_read_user, BPF_FUNC_probe_read_user_str,
		BPF_FUNC_probe_read, BPF_FUNC_probe_read_str,
	};
	struct bpf_insn p[128];
	union bpf_attr a;
	int n = 0, i, jmp_at[1], fd;

	p[n++] = MOV64_REG(BPF_REG_6, BPF_REG_1);		/* ctx */
	p[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	p[n++] = RSH64_IMM(BPF_REG_0, 32);
	p[n++] = STX(BPF_W, BPF_REG_10, BPF_REG_0, -4);	/* key: current's tgid */
	p[n++] = LD_MAP_FD(BPF_REG_1, map);
	p[n++] = LD_IMM64_HI();
	p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_10);
	p[n++] = ADD64_IMM(BPF_REG_2, -4);
	p[n++] = CALL(BPF_FUNC_map_lookup_elem);
	jmp_at[0] = n;
	p[n++] = JEQ_IMM(BPF_REG_0, 0, 0);			/* patched: to exit */
	p[n++] = MOV64_REG(BPF_REG_7, BPF_REG_0);		/* its entry */
	for (i = 0; i < NREAD - 1; i++) {
		p[n++] = MOV64_REG(BPF_REG_1, BPF_REG_7);
		p[n++] = ADD64_IMM(BPF_REG_1, r_data + i * READ_LEN);
		p[n++] = MOV64_IMM(BPF_REG_2, READ_LEN);
		p[n++] = LDX(BPF_DW, BPF_REG_3, BPF_REG_7, offsetof(struct result, addr));
		p[n++] = CALL(fn[i]);
		p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_0, r_ret + i * 8);
	}
	p[n++] = MOV64_REG(BPF_REG_1, BPF_REG_6);
	p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_7);
	p[n++] = ADD64_IMM(BPF_REG_2, r_data + (NREAD - 1) * READ_LEN);
	p[n++] = MOV64_IMM(BPF_REG_3, READ_LEN);
	p[n++] = MOV64_IMM(BPF_REG_4, BPF_F_USER_STACK);
	p[n++] = CALL(BPF_FUNC_get_stack);
	p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_0, r_ret + (NREAD - 1) * 8);
	p[n++] = LDX(BPF_DW, BPF_REG_1, BPF_REG_7, offsetof(struct result, hits));
	p[n++] = ADD64_IMM(BPF_REG_1, 1);
	p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_1, offsetof(struct result, hits));
	p[n] = MOV64_IMM(BPF_REG_0, 0);
	for (i = 0; i < 1; i++)
		p[jmp_at[i]].off = n - jmp_at[i] - 1;
	n++;
	p[n++] = EXIT();

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	fd = bpf_load(&a, p, n, verifier_log, sizeof(verifier_log));
	if (fd < 0) {
		int e = errno;

		tap_diag("BPF_PROG_LOAD type %d: %s; verifier:\n%.2000s", type,
			 strerror(e), verifier_log);
		errno = e;
	}
	return fd;
}

/* ---- the busy children ----------------------------------------------------- */

static char canary[64] __attribute__((aligned(64)));

/* The child: makes a syscall every few microseconds of CPU time. */
static void busy(void *unused)
{
	(void)unused;
	for (;;) {
		volatile unsigned long spin;

		syscall(SYS_getppid);
		for (spin = 0; spin < 20000; spin++)
			;
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

/* ---- attaching ------------------------------------------------------------- */

#define MAX_CPUS	64

struct attach {
	const char *name;
	enum bpf_prog_type type;
	int fds[MAX_CPUS];
	int nfds;
};

static long perf_open(struct perf_event_attr *pa, int cpu)
{
	return syscall(SYS_perf_event_open, pa, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* One CPU-wide event per CPU, each running the program. */
static int attach_perf(struct attach *at, struct perf_event_attr *pa, int prog)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int cpu, fd;

	for (cpu = 0; cpu < ncpu && cpu < MAX_CPUS; cpu++) {
		fd = (int)perf_open(pa, cpu);
		if (fd < 0) {
			tap_diag("%s: perf_event_open cpu %d: %s", at->name, cpu, strerror(errno));
			return -1;
		}
		at->fds[at->nfds++] = fd;
		/*
		 * A tracepoint's programs belong to the tracepoint, not to
		 * one event: attach once, they run on every CPU.
		 */
		if ((cpu == 0 || at->type != BPF_PROG_TYPE_TRACEPOINT) &&
		    ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog)) {
			tap_diag("%s: attaching the program: %s", at->name, strerror(errno));
			return -1;
		}
		if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
			tap_diag("%s: enabling the event: %s", at->name, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int attach(struct attach *at, int prog)
{
	struct perf_event_attr pa;
	union bpf_attr a;
	char path[256];
	const char *tf;
	int fd;

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	switch (at->type) {
	case BPF_PROG_TYPE_KPROBE:
		pa.type = read_int("/sys/bus/event_source/devices/kprobe/type");
		pa.config1 = (uintptr_t)"__x64_sys_getppid";
		return attach_perf(at, &pa, prog);
	case BPF_PROG_TYPE_TRACEPOINT:
		tf = tracefs_dir();
		if (!tf) {
			tap_diag("no tracefs");
			return -1;
		}
		snprintf(path, sizeof(path), "%s/events/raw_syscalls/sys_enter/id", tf);
		pa.type = PERF_TYPE_TRACEPOINT;
		pa.config = read_int(path);
		pa.sample_period = 1;
		return attach_perf(at, &pa, prog);
	case BPF_PROG_TYPE_PERF_EVENT:
		pa.type = PERF_TYPE_SOFTWARE;
		pa.config = PERF_COUNT_SW_CPU_CLOCK;
		pa.sample_period = 100000;	/* every 100 us of CPU time */
		return attach_perf(at, &pa, prog);
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		memset(&a, 0, sizeof(a));
		a.raw_tracepoint.name = (uintptr_t)"sys_enter";
		a.raw_tracepoint.prog_fd = prog;
		fd = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
		if (fd < 0) {
			tap_diag("BPF_RAW_TRACEPOINT_OPEN: %s", strerror(errno));
			return -1;
		}
		at->fds[at->nfds++] = fd;
		return 0;
	default:
		return -1;
	}
}

static void detach(struct attach *at)
{
	while (at->nfds > 0)
		close(at->fds[--at->nfds]);
}

/* ---- the checks ------------------------------------------------------------ */

/*
 * Points the program at c (an entry keyed by c) and waits for a few hits
 * (10 s at most). Entries are never deleted: a deleted element goes back
 * to the map's free list and could become the next process's entry while
 * a late run of the program still writes to it.
 */
static int watch(int map, pid_t c, struct result *r)
{
	int i, ret = -1;

	memset(r, 0, sizeof(*r));
	r->tgid = c;
	r->addr = (uintptr_t)canary;
	for (i = 0; i < NREAD; i++)
		r->ret[i] = 1;	/* no helper returns 1 */
	if (map_set(map, r))
		return -1;
	for (i = 0; i < 1000; i++) {
		usleep(10000);
		if (map_get(map, r))
			break;
		if (r->hits >= 3) {
			ret = 0;
			break;
		}
	}
	return ret;
}

static int data_zero(const char *d)
{
	int i;

	for (i = 0; i < READ_LEN; i++)
		if (d[i])
			return 0;
	return 1;
}

/* Control: each read helper returns 0 and the canary; the stack is read. */
static void check_reads(const char *what, const struct attach *at,
			const struct result *r, pid_t pid)
{
	char want[64];
	int i;

	snprintf(want, sizeof(want), "BPF-CANARY-%08d-control", pid);
	for (i = 0; i < NREAD - 1; i++) {
		int got = has(r->data[i], READ_LEN, "BPF-CANARY-") &&
			  !memcmp(r->data[i], want, strlen(want) < READ_LEN ? strlen(want) : READ_LEN);

		tap_ok(r->ret[i] >= 0 && got, "%s: %s: %s reads the canary (ret %lld)",
		       at->name, what, helper_names[i], (long long)r->ret[i]);
	}
	tap_ok(r->ret[NREAD - 1] > 0, "%s: %s: %s returns a user stack (ret %lld)",
	       at->name, what, helper_names[NREAD - 1], (long long)r->ret[NREAD - 1]);
}

static void check_denied(const struct attach *at, const struct result *r)
{
	int i;

	for (i = 0; i < NREAD; i++)
		tap_ok(r->ret[i] == -EPERM && data_zero(r->data[i]),
		       "%s: protected: %s returns EPERM and zeroes (ret %lld)",
		       at->name, helper_names[i], (long long)r->ret[i]);
}

static void run(struct attach *at, int map)
{
	pid_t ctl = 0, prot = 0, ctl2 = 0;
	struct result r;
	int prog, ref0, ref1, i;

	ref0 = ag_module_refcnt();
	prog = prog_load(at->type, map);
	if (!tap_ok(prog >= 0, "%s: program with user-memory helpers loads", at->name))
		return;
	ref1 = ag_module_refcnt();
	tap_ok(ref1 == ref0 + 1, "%s: the rewritten program holds aiguard.ko (refcnt %d -> %d)",
	       at->name, ref0, ref1);
	if (!tap_ok(attach(at, prog) == 0, "%s: program attached", at->name))
		goto out;

	ctl = child_start(NULL);
	if (tap_ok(watch(map, ctl, &r) == 0, "%s: program runs in the control", at->name))
		check_reads("control", at, &r, ctl);
	child_kill(ctl);
	ctl = 0;

	prot = child_start("e2e-bpf");
	if (!tap_ok(prot > 0, "%s: child protected itself", at->name))
		goto out;
	if (tap_ok(watch(map, prot, &r) == 0, "%s: program runs in the protected child",
		   at->name))
		check_denied(at, &r);

	/* The protected child keeps running: others stay observable. */
	ctl2 = child_start(NULL);
	if (tap_ok(watch(map, ctl2, &r) == 0,
		   "%s: program runs in a control beside the protected child", at->name))
		check_reads("control beside the protected child", at, &r, ctl2);
out:
	child_kill(ctl2);
	child_kill(prot);
	child_kill(ctl);
	detach(at);
	close(prog);
	/* Programs are freed after an RCU grace period and a work item. */
	for (i = 0; i < 500 && ag_module_refcnt() != ref0; i++)
		usleep(10000);
	tap_ok(ag_module_refcnt() == ref0, "%s: freeing the program releases aiguard.ko (refcnt %d)",
	       at->name, ag_module_refcnt());
}

/*
 * "t_bpf hold": load a program that calls the user-memory helpers and keep
 * it until killed (t_bpf_module.sh). Prints "held <prog fd>" when loaded.
 */
static int hold(void)
{
	int map = bpf_hash(sizeof(struct result), MAP_ENTRIES);
	int prog = map >= 0 ? prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, map) : -1;

	if (prog < 0) {
		printf("hold: %s\n", strerror(errno));
		return 1;
	}
	printf("held %d\n", prog);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct attach ats[] = {
		{ .name = "kprobe", .type = BPF_PROG_TYPE_KPROBE },
		{ .name = "tracepoint", .type = BPF_PROG_TYPE_TRACEPOINT },
		{ .name = "raw_tracepoint", .type = BPF_PROG_TYPE_RAW_TRACEPOINT },
		{ .name = "perf_event", .type = BPF_PROG_TYPE_PERF_EVENT },
	};
	struct aiguard_stats st0, st1;
	unsigned int i;
	int map, have_stats;

	if (argc == 2 && !strcmp(argv[1], "hold"))
		return hold();
	tap_init(argc, argv, 600);
	map = bpf_hash(sizeof(struct result), MAP_ENTRIES);
	if (!tap_ok(map >= 0, "BPF hash map created (%s)", map < 0 ? strerror(errno) : "ok"))
		return tap_done();
	have_stats = ag_stats(&st0) == 0;
	for (i = 0; i < sizeof(ats) / sizeof(ats[0]); i++)
		run(&ats[i], map);
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
