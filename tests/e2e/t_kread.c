// SPDX-License-Identifier: GPL-2.0
/*
 * Reads through kernel addresses cannot reach a protected process's
 * memory.
 *
 * The kernel maps all of RAM at page_offset_base (the direct map), so
 * every page a process owns has a kernel address too. A holder puts a
 * canary in one locked page and reports the page's frame, read from its
 * own /proc/self/pagemap. Its kernel address is page_offset_base plus
 * frame * 4096: page_offset_base's address comes from /proc/kallsyms and
 * its value from a BPF read (a read of kernel data, which must keep
 * working). The readers:
 *
 *  - one BPF program, attached as a kprobe (getppid), a tracepoint and a
 *    raw tracepoint (sys_enter), a perf event (cpu-clock, this process)
 *    and, with kernel BTF, fentry (getppid) and tp_btf (sys_enter), all
 *    run by this test's own system calls. It calls bpf_probe_read_kernel,
 *    bpf_probe_read_kernel_str, the legacy bpf_probe_read and
 *    bpf_probe_read_str on the address, and bpf_snprintf with "%pks"; and,
 *    as kernel data that must stay readable, page_offset_base,
 *    linux_banner and current->comm.
 *  - a kprobe trace event that fetches the address as a string
 *    (@ADDR:string), read back from a tracefs instance.
 *  - where the kernel has bpf_rdonly_cast (6.2+): a program that casts
 *    the address to a struct pointer and loads through it.
 *
 * Phase A, nothing protected: every reader gets the control holder's
 * canary (the attack works on this kernel). Phase B, a protected holder
 * alive: every reader gets an error or zeroes at the protected page,
 * and, by design, at the control's too (while anything is protected,
 * anonymous and shared memory and free pages are closed through kernel
 * addresses whoever owns them: the owner of a page cannot be looked up
 * from NMI). The kernel data reads work in both. A cast program loads in
 * phase A and, while it is loaded, protecting is refused (EBUSY); in
 * phase B loading one is refused (EPERM) with a record naming it.
 *
 * Run again by t_lock.sh after the lock, where processes are protected
 * already: phase A then skips, phase B runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpf_asm.h"
#include "btf_min.h"
#include "lib.h"

#define PAGE		4096UL
#define CANARY_OFF	256	/* where in its page the holder writes */
#define NREAD		5	/* reads of the target per hit */
#define READ_LEN	32

static const char *const read_names[NREAD] = {
	"bpf_probe_read_kernel", "bpf_probe_read_kernel_str", "bpf_probe_read",
	"bpf_probe_read_str", "bpf_snprintf(\"%pks\")",
};

/* The one map entry (key 0); the program fills it for this process only. */
struct entry {
	uint32_t tgid;		/* whose runs count: this test's */
	uint32_t pad;
	uint64_t addr;		/* the kernel address to read */
	uint64_t pob_addr;	/* &page_offset_base */
	uint64_t banner_addr;	/* linux_banner */
	int64_t ret[NREAD];
	char data[NREAD][READ_LEN];
	int64_t kret[3];	/* the kernel data reads */
	uint64_t pob;		/* page_offset_base */
	char banner[32];
	char comm[16];
	uint64_t hits;
};

static struct btf vmlinux;
static int have_btf;
static long comm_off = -1;		/* of struct task_struct */
static uint64_t pob_addr, banner_addr;
static uint64_t pob;			/* page_offset_base, read by BPF */
static int map = -1, fmt_map = -1;
static char verifier_log[65536];

/* ---- holders ------------------------------------------------------------- */

/*
 * Filled by each holder before fork_protected() returns. NPAGES pages, each
 * with the canary at CANARY_OFF: the past-the-struct reader needs one
 * within its reach of a struct it can find (see unchecked_a()).
 */
#define NPAGES		4096	/* 16 MiB */

struct slot {
	int protected;		/* set before the fork */
	int npfn;
	char canary[64];
	uint64_t pfn[NPAGES];
};

static struct slot *slots;	/* shared with the holders */

static void holder_setup(void *arg)
{
	struct slot *s = arg;
	size_t len = NPAGES * PAGE;
	char *mem;
	int fd, i;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mlock(mem, len))
		return;
	snprintf(s->canary, sizeof(s->canary), "KREAD-CANARY-%08d-%s", getpid(),
		 s->protected ? "protected" : "control");
	for (i = 0; i < NPAGES; i++)
		memcpy(mem + i * PAGE + CANARY_OFF, s->canary, sizeof(s->canary));
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, s->pfn, sizeof(s->pfn), ((uintptr_t)mem / PAGE) * 8) == sizeof(s->pfn))
		for (i = 0; i < NPAGES && (s->pfn[i] & (1ULL << 63)); i++) {
			s->pfn[i] &= (1ULL << 55) - 1;
			s->npfn = i + 1;
		}
	close(fd);
}

static void holder_body(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

/* A holder in slot @s; its pid, or -1. */
static pid_t holder_start(const char *label, struct slot *s)
{
	pid_t pid;

	memset(s, 0, sizeof(*s));
	s->protected = label != NULL;
	pid = fork_protected(label, holder_setup, holder_body, s);
	if (pid > 0 && (s->npfn < NPAGES || !s->pfn[0])) {
		tap_diag("holder %d reported %d frames of %d (pagemap needs CAP_SYS_ADMIN)",
			 pid, s->npfn, NPAGES);
		child_kill(pid);
		return -1;
	}
	return pid;
}

static uint64_t kaddr_page(const struct slot *s, int i)
{
	return pob + s->pfn[i] * PAGE + CANARY_OFF;
}

static uint64_t kaddr_of(const struct slot *s)
{
	return kaddr_page(s, 0);
}

/* ---- kernel symbols ------------------------------------------------------- */

/* A data symbol's address from /proc/kallsyms; 0 if absent or hidden. */
static uint64_t ksym(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 && !strcmp(sym, name))
			found = addr;
	fclose(f);
	return found;
}

/* ---- the program ---------------------------------------------------------- */

static int map_get(struct entry *e)
{
	return bpf_elem(BPF_MAP_LOOKUP_ELEM, map, 0, e);
}

static int map_set(const struct entry *e)
{
	return bpf_elem(BPF_MAP_UPDATE_ELEM, map, 0, (void *)e);
}

/* "%pks" in a frozen map that programs may only read: bpf_snprintf's rule. */
static int fmt_map_create(void)
{
	char fmt[8] = "%pks";
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = sizeof(fmt);
	a.max_entries = 1;
	a.map_flags = BPF_F_RDONLY_PROG;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	if (bpf_elem(BPF_MAP_UPDATE_ELEM, fd, 0, fmt) ||
	    (a.map_fd = fd, sys_bpf(BPF_MAP_FREEZE, &a))) {
		close(fd);
		return -1;
	}
	return fd;
}

enum kind { K_KPROBE, K_TRACEPOINT, K_RAW_TP, K_PERF, K_FENTRY, K_TP_BTF, K_NR };

static const char *const kind_names[K_NR] = {
	"kprobe", "tracepoint", "raw_tracepoint", "perf_event", "fentry", "tp_btf",
};

/*
 * The entry for this process, as a prologue: r6 = ctx, r7 = the entry,
 * r8 = current's tgid. Returns the instruction count; *skip is where the
 * jump to the end goes (patched by the caller).
 */
static int prologue(struct bpf_insn *p, int *skip)
{
	int n = 0;

	p[n++] = MOV64_REG(BPF_REG_6, BPF_REG_1);
	p[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	p[n++] = MOV64_REG(BPF_REG_8, BPF_REG_0);
	p[n++] = RSH64_IMM(BPF_REG_8, 32);
	n += bpf_emit_lookup0(p + n, map);
	skip[0] = n;
	p[n++] = JEQ_IMM(BPF_REG_0, 0, 0);
	p[n++] = MOV64_REG(BPF_REG_7, BPF_REG_0);
	p[n++] = LDX(BPF_W, BPF_REG_1, BPF_REG_7, offsetof(struct entry, tgid));
	skip[1] = n;
	p[n++] = JNE_REG(BPF_REG_1, BPF_REG_8, 0);
	return n;
}

/* Counts a hit, returns 0; the skips land on the return. */
static int epilogue(struct bpf_insn *p, int n, const int *skip, int nskip)
{
	int i;

	p[n++] = LDX(BPF_DW, BPF_REG_1, BPF_REG_7, offsetof(struct entry, hits));
	p[n++] = ADD64_IMM(BPF_REG_1, 1);
	p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_1, offsetof(struct entry, hits));
	for (i = 0; i < nskip; i++)
		p[skip[i]].off = n - skip[i] - 1;
	p[n++] = MOV64_IMM(BPF_REG_0, 0);
	p[n++] = EXIT();
	return n;
}

/* fn(r7 + dst, len, *(u64 *)(r7 + src)) into *(s64 *)(r7 + ret). */
static int read_call(struct bpf_insn *p, int n, int fn, int dst, int len, int src, int ret)
{
	p[n++] = MOV64_REG(BPF_REG_1, BPF_REG_7);
	p[n++] = ADD64_IMM(BPF_REG_1, dst);
	p[n++] = MOV64_IMM(BPF_REG_2, len);
	p[n++] = LDX(BPF_DW, BPF_REG_3, BPF_REG_7, src);
	p[n++] = CALL(fn);
	p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_0, ret);
	return n;
}

static int load(union bpf_attr *a, const struct bpf_insn *p, int n, const char *what)
{
	int fd = bpf_load(a, p, n, verifier_log, sizeof(verifier_log));

	if (fd < 0) {
		int e = errno;

		tap_diag("%s: BPF_PROG_LOAD: %s; verifier:\n%.2000s", what, strerror(e),
			 verifier_log);
		errno = e;
	}
	return fd;
}

static int btf_target(enum kind k)
{
	int id;

	/* getppid's wrapper has no BTF; the pid lookup it calls has */
	if (k == K_FENTRY) {
		id = btf_find(&vmlinux, BTF_KIND_FUNC, "__x64_sys_getppid");
		return id > 0 ? id : btf_find(&vmlinux, BTF_KIND_FUNC, "__task_pid_nr_ns");
	}
	return btf_find(&vmlinux, BTF_KIND_TYPEDEF, "btf_trace_sys_enter");
}

/* The reader: kernel data, then the five reads of entry.addr. */
static int reader_load(enum kind k)
{
	static const int fn[NREAD - 1] = {
		BPF_FUNC_probe_read_kernel, BPF_FUNC_probe_read_kernel_str,
		BPF_FUNC_probe_read, BPF_FUNC_probe_read_str,
	};
	static const enum bpf_prog_type types[K_NR] = {
		BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT,
		BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_TRACING,
	};
	const int data = offsetof(struct entry, data), ret = offsetof(struct entry, ret);
	struct bpf_insn p[128];
	union bpf_attr a;
	int n, i, skip[2];

	n = prologue(p, skip);
	n = read_call(p, n, BPF_FUNC_probe_read_kernel, offsetof(struct entry, pob), 8,
		      offsetof(struct entry, pob_addr), offsetof(struct entry, kret));
	n = read_call(p, n, BPF_FUNC_probe_read_kernel_str, offsetof(struct entry, banner),
		      sizeof(((struct entry *)0)->banner), offsetof(struct entry, banner_addr),
		      offsetof(struct entry, kret) + 8);
	if (comm_off >= 0) {
		p[n++] = CALL(BPF_FUNC_get_current_task);
		p[n++] = MOV64_REG(BPF_REG_3, BPF_REG_0);
		p[n++] = ADD64_IMM(BPF_REG_3, (int)comm_off);
		p[n++] = MOV64_REG(BPF_REG_1, BPF_REG_7);
		p[n++] = ADD64_IMM(BPF_REG_1, offsetof(struct entry, comm));
		p[n++] = MOV64_IMM(BPF_REG_2, 16);
		p[n++] = CALL(BPF_FUNC_probe_read_kernel);
		p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_0, offsetof(struct entry, kret) + 16);
	}
	for (i = 0; i < NREAD - 1; i++)
		n = read_call(p, n, fn[i], data + i * READ_LEN, READ_LEN,
			      offsetof(struct entry, addr), ret + i * 8);
	/* bpf_snprintf(dst, len, "%pks", &addr, 8) */
	p[n++] = LDX(BPF_DW, BPF_REG_1, BPF_REG_7, offsetof(struct entry, addr));
	p[n++] = STX(BPF_DW, BPF_REG_10, BPF_REG_1, -16);
	p[n++] = MOV64_REG(BPF_REG_1, BPF_REG_7);
	p[n++] = ADD64_IMM(BPF_REG_1, data + (NREAD - 1) * READ_LEN);
	p[n++] = MOV64_IMM(BPF_REG_2, READ_LEN);
	p[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_3, BPF_PSEUDO_MAP_VALUE, 0, fmt_map);
	p[n++] = LD_IMM64_HI();
	p[n++] = MOV64_REG(BPF_REG_4, BPF_REG_10);
	p[n++] = ADD64_IMM(BPF_REG_4, -16);
	p[n++] = MOV64_IMM(BPF_REG_5, 8);
	p[n++] = CALL(BPF_FUNC_snprintf);
	p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_0, ret + (NREAD - 1) * 8);
	n = epilogue(p, n, skip, 2);

	memset(&a, 0, sizeof(a));
	a.prog_type = types[k];
	if (k == K_FENTRY || k == K_TP_BTF) {
		a.expected_attach_type = k == K_FENTRY ? BPF_TRACE_FENTRY : BPF_TRACE_RAW_TP;
		a.attach_btf_id = btf_target(k);
	}
	return load(&a, p, n, kind_names[k]);
}

/*
 * bpf_rdonly_cast(entry.addr, struct new_utsname): a char[65] first, so
 * the 32 bytes at the address load as four u64 of it.
 */
static int cast_load(int kfunc_id, int struct_id)
{
	const int data = offsetof(struct entry, data);
	struct bpf_insn p[64];
	union bpf_attr a;
	int n, i, skip[2];

	n = prologue(p, skip);
	p[n++] = LDX(BPF_DW, BPF_REG_1, BPF_REG_7, offsetof(struct entry, addr));
	p[n++] = MOV64_IMM(BPF_REG_2, struct_id);
	p[n++] = KFUNC_CALL(kfunc_id);
	for (i = 0; i < READ_LEN / 8; i++) {
		p[n++] = LDX(BPF_DW, BPF_REG_1, BPF_REG_0, i * 8);
		p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_1, data + i * 8);
	}
	n = epilogue(p, n, skip, 2);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_KPROBE;
	return bpf_load(&a, p, n, verifier_log, sizeof(verifier_log));
}

/* ---- attaching ---------------------------------------------------------------- */

static long perf_open(struct perf_event_attr *pa, pid_t pid, int cpu)
{
	return syscall(SYS_perf_event_open, pa, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The event that runs @prog; the fd to close to detach, or -1. */
static int attach(enum kind k, int prog)
{
	struct perf_event_attr pa;
	union bpf_attr a;
	char path[256];
	pid_t pid = -1;
	int fd, cpu = 0;	/* this process runs on CPU 0 only */

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	switch (k) {
	case K_KPROBE:
		pa.type = read_int("/sys/bus/event_source/devices/kprobe/type");
		pa.config1 = (uintptr_t)"__x64_sys_getppid";
		break;
	case K_TRACEPOINT:
		if (!tracefs_dir())
			return -1;
		snprintf(path, sizeof(path), "%s/events/raw_syscalls/sys_enter/id", tracefs_dir());
		pa.type = PERF_TYPE_TRACEPOINT;
		pa.config = read_int(path);
		pa.sample_period = 1;
		break;
	case K_PERF:
		pa.type = PERF_TYPE_SOFTWARE;
		pa.config = PERF_COUNT_SW_TASK_CLOCK;
		pa.sample_period = 100000;	/* every 100 us of this process's time */
		pid = 0;
		cpu = -1;
		break;
	case K_RAW_TP:
	case K_FENTRY:
	case K_TP_BTF:
		memset(&a, 0, sizeof(a));
		if (k == K_RAW_TP)
			a.raw_tracepoint.name = (uintptr_t)"sys_enter";
		a.raw_tracepoint.prog_fd = prog;
		fd = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
		if (fd < 0)
			tap_diag("%s: BPF_RAW_TRACEPOINT_OPEN: %s", kind_names[k], strerror(errno));
		return fd;
	default:
		return -1;
	}
	fd = (int)perf_open(&pa, pid, cpu);
	if (fd < 0) {
		tap_diag("%s: perf_event_open: %s", kind_names[k], strerror(errno));
		return -1;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		tap_diag("%s: attaching the program: %s", kind_names[k], strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* System calls and CPU time: every attach point above fires in this process. */
static void poke(void)
{
	volatile unsigned long spin;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		syscall(SYS_getppid);
		for (spin = 0; spin < 20000; spin++)
			;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 2000000L);
}

/* Points the program at @addr and runs it (10 s at most). 0 or -1. */
static int run_at(uint64_t addr, struct entry *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->tgid = getpid();
	e->addr = addr;
	e->pob_addr = pob_addr;
	e->banner_addr = banner_addr;
	for (i = 0; i < NREAD; i++)
		e->ret[i] = 1;	/* no helper returns 1 here */
	if (map_set(e))
		return -1;
	for (i = 0; i < 5000; i++) {
		poke();
		if (map_get(e))
			return -1;
		if (e->hits >= 1)
			return 0;
	}
	return -1;
}

/* ---- the checks --------------------------------------------------------------- */

static int zeroes(const char *d, size_t n)
{
	while (n--)
		if (*d++)
			return 0;
	return 1;
}

/* Kernel data stays readable whatever is protected. */
static void check_kernel_data(const char *what, const struct entry *e)
{
	tap_ok(e->kret[0] == 0 && e->pob == pob,
	       "%s: page_offset_base reads (ret %lld, 0x%llx)", what, (long long)e->kret[0],
	       (unsigned long long)e->pob);
	tap_ok(e->kret[1] > 0 && !strncmp(e->banner, "Linux version ", 14),
	       "%s: linux_banner reads (ret %lld, \"%.20s\")", what, (long long)e->kret[1],
	       e->banner);
	if (comm_off >= 0)
		tap_ok(e->kret[2] == 0 && !strncmp(e->comm, "t_kread", 7),
		       "%s: current->comm reads (ret %lld, \"%.16s\")", what,
		       (long long)e->kret[2], e->comm);
}

/* Phase A: each read returns the canary. */
static void check_leaks(const char *what, const struct entry *e, const char *canary)
{
	size_t len = strlen(canary) < READ_LEN - 1 ? strlen(canary) : READ_LEN - 1;
	int i;

	for (i = 0; i < NREAD; i++)
		tap_ok(e->ret[i] >= 0 && !memcmp(e->data[i], canary, len),
		       "%s: %s reads the control's canary (ret %lld, \"%.*s\")", what,
		       read_names[i], (long long)e->ret[i], READ_LEN, e->data[i]);
}

/* Phase B: each read fails (EFAULT, zeroes); bpf_snprintf prints nothing. */
static void check_refused(const char *what, const char *whose, const struct entry *e)
{
	int i;

	for (i = 0; i < NREAD - 1; i++)
		tap_ok(e->ret[i] == -EFAULT && zeroes(e->data[i], READ_LEN),
		       "%s: %s of the %s page fails with EFAULT, zeroes (ret %lld)", what,
		       read_names[i], whose, (long long)e->ret[i]);
	tap_ok(e->ret[i] >= 0 && e->data[i][0] == '\0',
	       "%s: %s of the %s page prints nothing (ret %lld, \"%.*s\")", what,
	       read_names[i], whose, (long long)e->ret[i], READ_LEN, e->data[i]);
}

static int kind_available(enum kind k, char *why, size_t len)
{
	if ((k == K_FENTRY || k == K_TP_BTF) && (!have_btf || btf_target(k) < 0)) {
		snprintf(why, len, have_btf ? "no BTF for its target" : "no kernel BTF");
		return 0;
	}
	if (k == K_TRACEPOINT && !tracefs_dir()) {
		snprintf(why, len, "no tracefs");
		return 0;
	}
	return 1;
}

/* Phase A or B for one attach type. */
static void run_kind(enum kind k, const struct slot *ctl, const struct slot *prot)
{
	char why[128], what[64];
	struct entry e;
	int prog, link;

	if (!kind_available(k, why, sizeof(why))) {
		tap_skip(why, "%s: the reader", kind_names[k]);
		return;
	}
	prog = reader_load(k);
	if (!tap_ok(prog >= 0, "%s: the reader loads", kind_names[k]))
		return;
	link = attach(k, prog);
	if (!tap_ok(link >= 0, "%s: the reader is attached", kind_names[k])) {
		close(prog);
		return;
	}
	if (!prot) {
		snprintf(what, sizeof(what), "%s, nothing protected", kind_names[k]);
		if (tap_ok(run_at(kaddr_of(ctl), &e) == 0, "%s: the reader runs", what)) {
			check_kernel_data(what, &e);
			check_leaks(what, &e, ctl->canary);
		}
	} else {
		snprintf(what, sizeof(what), "%s, protected", kind_names[k]);
		if (tap_ok(run_at(kaddr_of(prot), &e) == 0, "%s: the reader runs", what)) {
			check_kernel_data(what, &e);
			check_refused(what, "protected process's", &e);
		}
		if (ctl) {
			snprintf(what, sizeof(what), "%s, control while protected", kind_names[k]);
			if (tap_ok(run_at(kaddr_of(ctl), &e) == 0, "%s: the reader runs", what))
				check_refused(what, "control's (anonymous memory is closed to kernel-address reads while anything is protected)",
					      &e);
		}
	}
	close(link);
	close(prog);
}

/* ---- the trace event ---------------------------------------------------------- */

#define TEV_GROUP	"aiguard_kread"
#define TEV_INST	"aiguard_kread"

/*
 * A kprobe event on getppid fetching @addr as a string, in its own tracefs
 * instance; what one of this process's getppid() calls recorded, or "" if
 * none. -1 if the event cannot be made.
 */
static int trace_fetch(uint64_t addr, char *out, size_t len)
{
	const char *tf = tracefs_dir();
	char path[512], def[256], *buf, *p;
	int fd, ret = -1, i;
	ssize_t got;

	out[0] = '\0';
	if (!tf)
		return -1;
	snprintf(path, sizeof(path), "%s/instances/" TEV_INST, tf);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/kprobe_events", tf);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(def, sizeof(def), "-:" TEV_GROUP "/kr\n");
	(void)!write(fd, def, strlen(def));	/* a leftover from an earlier run */
	snprintf(def, sizeof(def), "p:" TEV_GROUP "/kr __x64_sys_getppid s=@0x%llx:string\n",
		 (unsigned long long)addr);
	if (write(fd, def, strlen(def)) != (ssize_t)strlen(def)) {
		tap_diag("kprobe_events: %s: %s", def, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/instances/" TEV_INST "/trace", tf);
	write_file(path, "");
	snprintf(path, sizeof(path), "%s/instances/" TEV_INST "/events/" TEV_GROUP "/kr/enable", tf);
	if (write_file(path, "1") == 0) {
		for (i = 0; i < 10; i++)
			syscall(SYS_getppid);
		write_file(path, "0");
		buf = malloc(1 << 20);
		snprintf(path, sizeof(path), "%s/instances/" TEV_INST "/trace", tf);
		got = buf ? read_file(path, buf, 1 << 20) : -1;
		p = got > 0 ? strstr(buf, " s=") : NULL;
		if (p)
			snprintf(out, len, "%.*s", (int)strcspn(p + 3, "\n"), p + 3);
		ret = got >= 0 ? 0 : -1;
		free(buf);
	}
	snprintf(def, sizeof(def), "-:" TEV_GROUP "/kr\n");
	(void)!write(fd, def, strlen(def));
	close(fd);
	snprintf(path, sizeof(path), "%s/instances/" TEV_INST, tf);
	rmdir(path);
	return ret;
}

static void run_trace_event(const struct slot *ctl, const struct slot *prot)
{
	char got[256];

	if (!tracefs_dir()) {
		tap_skip("no tracefs", "kprobe trace event");
		return;
	}
	if (!prot) {
		if (tap_ok(trace_fetch(kaddr_of(ctl), got, sizeof(got)) == 0,
			   "trace event, nothing protected: made and read"))
			tap_ok(strstr(got, ctl->canary) != NULL,
			       "trace event, nothing protected: @ADDR:string fetches the control's canary (s=%s)",
			       got);
		return;
	}
	if (tap_ok(trace_fetch(kaddr_of(prot), got, sizeof(got)) == 0,
		   "trace event, protected: made and read"))
		tap_ok(got[0] && !strstr(got, "KREAD-CANARY") && strstr(got, "(fault)"),
		       "trace event, protected: @ADDR:string of the protected page records (fault) (s=%s)",
		       got);
}

/* ---- unchecked readers -------------------------------------------------------- */

/*
 * Programs whose loads reach kernel memory with no helper: a cast
 * (bpf_rdonly_cast, 6.2+) and a read past the end of a kernel struct
 * (the verifier does not bound a flexible array member: mm_struct ends
 * with one, cpu_bitmap[]). Both load while nothing is protected, and
 * then protecting fails; both are refused while anything is protected.
 */
static int cast_kfunc = -1, cast_struct = -1;
static long mm_off = -1;		/* of struct task_struct */
static long mm_size = -1;		/* sizeof(struct mm_struct) */

static int unchecked_progs(void)
{
	struct aiguard_status st;

	memset(&st, 0, sizeof(st));
	return ioctl(ag_fd(), AIGUARD_IOC_GET_STATUS, &st) ? -1 : (int)st.unchecked_progs;
}

/* A DENY record of the bpf hook with this detail, by this process. */
static int bpf_denial_recorded(uint32_t detail)
{
	struct aiguard_event ev[64];
	int fd = ag_open(), found = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!found && (n = read(fd, ev, sizeof(ev))) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++)
			if (ev[i].type == AIGUARD_EVENT_DENY && ev[i].hook == AIGUARD_HOOK_BPF &&
			    ev[i].detail == detail && (pid_t)ev[i].caller_tgid == getpid())
				found = 1;
	close(fd);
	return found;
}

/* Waits (5 s at most) for the unchecked readers to be freed. */
static int unchecked_gone(void)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (unchecked_progs() == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * current->mm, through bpf_get_current_task_btf() (a typed pointer), into
 * data[0]; then, if @reach, the 32 bytes at mm + @reach into data[1]. A
 * @reach of 0 reads only within struct task_struct: allowed always.
 */
static int past_load(long reach)
{
	const int data = offsetof(struct entry, data);
	struct bpf_insn p[64];
	union bpf_attr a;
	int n, i, skip[3];

	n = prologue(p, skip);
	p[n++] = CALL(BPF_FUNC_get_current_task_btf);
	p[n++] = LDX(BPF_DW, BPF_REG_1, BPF_REG_0, (short)mm_off);
	p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_1, data);
	skip[2] = n;
	p[n++] = JEQ_IMM(BPF_REG_1, 0, 0);
	if (reach) {
		p[n++] = ADD64_IMM(BPF_REG_1, (int)reach);
		for (i = 0; i < READ_LEN / 8; i++) {
			p[n++] = LDX(BPF_DW, BPF_REG_2, BPF_REG_1, i * 8);
			p[n++] = STX(BPF_DW, BPF_REG_7, BPF_REG_2, data + READ_LEN + i * 8);
		}
	}
	n = epilogue(p, n, skip, 3);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_KPROBE;
	return bpf_load(&a, p, n, verifier_log, sizeof(verifier_log));
}

/* Runs a loaded kprobe reader once at @addr; 0 or -1. */
static int run_prog(int prog, uint64_t addr, struct entry *e)
{
	int link = attach(K_KPROBE, prog), ret;

	if (link < 0)
		return -1;
	ret = run_at(addr, e);
	close(link);
	return ret;
}

/* This process's mm_struct's address, from the typed-pointer reader. */
static uint64_t own_mm(void)
{
	int prog = past_load(0);
	struct entry e;
	uint64_t mm = 0;

	if (prog < 0) {
		tap_diag("typed-pointer reader: %s; verifier:\n%.2000s", strerror(errno), verifier_log);
		return 0;
	}
	if (run_prog(prog, 0, &e) == 0)
		memcpy(&mm, e.data[0], sizeof(mm));
	close(prog);
	return mm;
}

/* While @prog is loaded: counted, and protecting fails with EBUSY. */
static void check_gate(const char *what, int prog)
{
	struct slot *s = &slots[2];	/* shared: the child fills it */
	int gone;
	pid_t p;

	tap_ok(unchecked_progs() == 1, "%s: GET_STATUS counts it as unchecked (%d)", what,
	       unchecked_progs());
	p = holder_start("kread-gate", s);
	tap_ok(p < 0 && errno == EBUSY, "%s: while it is loaded, protecting fails with EBUSY (%s)",
	       what, p < 0 ? strerror(errno) : "protected");
	if (p > 0)
		child_kill(p);
	close(prog);
	gone = unchecked_gone();
	tap_ok(gone, "%s: once it is freed, GET_STATUS counts none (%d)", what, unchecked_progs());
}

static void cast_a(const struct slot *ctl)
{
	const char *what = "bpf_rdonly_cast, nothing protected";
	struct entry e;
	int prog = cast_load(cast_kfunc, cast_struct);

	if (!tap_ok(prog >= 0, "%s: a program casting a number loads (%s)", what,
		    prog < 0 ? strerror(errno) : "ok")) {
		tap_diag("verifier:\n%.2000s", verifier_log);
		return;
	}
	if (tap_ok(run_prog(prog, kaddr_of(ctl), &e) == 0, "%s: it runs", what))
		tap_ok(!memcmp(e.data[0], ctl->canary, READ_LEN),
		       "%s: loads through the cast read the control's canary (\"%.*s\")", what,
		       READ_LEN, e.data[0]);
	check_gate("bpf_rdonly_cast", prog);
}

/*
 * A page of the control within reach above @mm (past the struct, under
 * the verifier's 512 MiB bound on a pointer's offset); its index or -1.
 */
static int page_in_reach(const struct slot *ctl, uint64_t mm)
{
	int i;

	for (i = 0; i < ctl->npfn; i++) {
		uint64_t k = kaddr_page(ctl, i);

		if (k > mm + mm_size + 64 && k - mm < (1UL << 29) - 64)
			return i;
	}
	return -1;
}

static void past_a(const struct slot *ctl)
{
	const char *what = "past the end of a struct, nothing protected";
	uint64_t mm = own_mm();
	struct entry e;
	long reach;
	int i, prog;

	if (!tap_ok(mm != 0, "%s: this process's mm_struct found through typed pointers (0x%llx)",
		    what, (unsigned long long)mm))
		return;
	i = page_in_reach(ctl, mm);
	reach = i >= 0 ? (long)(kaddr_page(ctl, i) - mm) : mm_size + 64;
	prog = past_load(reach);
	if (!tap_ok(prog >= 0, "%s: a program reading mm_struct + %ld loads (%s)", what, reach,
		    prog < 0 ? strerror(errno) : "ok")) {
		tap_diag("verifier:\n%.2000s", verifier_log);
		return;
	}
	if (tap_ok(run_prog(prog, 0, &e) == 0, "%s: it runs", what)) {
		if (i >= 0)
			tap_ok(!memcmp(e.data[1], ctl->canary, READ_LEN),
			       "%s: its plain loads read the control's canary %ld bytes past the mm_struct (\"%.*s\")",
			       what, reach, READ_LEN, e.data[1]);
		else
			tap_skip("no page of the control within 512 MiB above this process's mm_struct",
				 "%s: its plain loads read the control's canary", what);
	}
	check_gate("past the end of a struct", prog);
}

static void unchecked_b(void)
{
	struct entry e;
	uint64_t mm;
	int prog;

	if (cast_kfunc > 0 && cast_struct > 0) {
		prog = cast_load(cast_kfunc, cast_struct);
		tap_ok(prog < 0 && errno == EPERM,
		       "bpf_rdonly_cast, protected: a program casting a number is refused with EPERM (%s)",
		       prog < 0 ? strerror(errno) : "loaded");
		if (prog >= 0)
			close(prog);
		tap_ok(bpf_denial_recorded(AIGUARD_BPF_RDONLY_CAST),
		       "bpf_rdonly_cast, protected: a DENY record of the bpf hook names the cast");
	} else {
		tap_skip("not in this kernel (6.2+)", "bpf_rdonly_cast, protected");
	}
	if (mm_off < 0 || mm_size < 0) {
		tap_skip("no task_struct.mm or mm_struct in kernel BTF", "past the end of a struct, protected");
		return;
	}
	mm = own_mm();
	tap_ok(mm != 0, "past the end of a struct, protected: typed reads within a struct still work (mm 0x%llx)",
	       (unsigned long long)mm);
	prog = past_load(mm_size + 64);
	tap_ok(prog < 0 && errno == EPERM,
	       "past the end of a struct, protected: a program reading mm_struct + %ld is refused with EPERM (%s)",
	       mm_size + 64, prog < 0 ? strerror(errno) : "loaded");
	if (prog >= 0) {
		run_prog(prog, 0, &e);
		close(prog);
	}
	tap_ok(bpf_denial_recorded(AIGUARD_BPF_PAST_STRUCT),
	       "past the end of a struct, protected: a DENY record of the bpf hook names it");
	tap_ok(unchecked_progs() == 0, "protected: the refused programs are not counted (%d)",
	       unchecked_progs());
}

/* ---- main ------------------------------------------------------------------------ */

static void setup_btf(void)
{
	int task, mm;

	have_btf = btf_load(&vmlinux, BTF_PATH) == 0;
	if (!have_btf)
		return;
	task = btf_find(&vmlinux, BTF_KIND_STRUCT, "task_struct");
	if (task > 0) {
		comm_off = btf_member_off(&vmlinux, task, "comm", 0);
		mm_off = btf_member_off(&vmlinux, task, "mm", 0);
	}
	mm = btf_find(&vmlinux, BTF_KIND_STRUCT, "mm_struct");
	if (mm > 0)
		mm_size = vmlinux.types[mm]->size;
	if (ksym("bpf_rdonly_cast")) {
		cast_kfunc = btf_find(&vmlinux, BTF_KIND_FUNC, "bpf_rdonly_cast");
		cast_struct = btf_find(&vmlinux, BTF_KIND_STRUCT, "new_utsname");
	}
}

/* page_offset_base's value, read by the reader (kprobe) at any address. */
static int read_pob(void)
{
	struct entry e;
	int prog = reader_load(K_KPROBE), link = prog >= 0 ? attach(K_KPROBE, prog) : -1;
	int ok = link >= 0 && run_at(0, &e) == 0 && e.kret[0] == 0;

	if (ok)
		pob = e.pob;
	if (link >= 0)
		close(link);
	if (prog >= 0)
		close(prog);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct slot *ctl = NULL, *prot = NULL;
	pid_t pc = -1, pp = -1;
	cpu_set_t cpus;
	int k, nothing_protected;

	tap_init(argc, argv, 900);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	write_file("/proc/sys/kernel/kptr_restrict", "0");
	pob_addr = ksym("page_offset_base");
	banner_addr = ksym("linux_banner");
	if (!pob_addr || !banner_addr) {
		tap_skip("no addresses in /proc/kallsyms", "reads through kernel addresses (page_offset_base %llx, linux_banner %llx)",
			 (unsigned long long)pob_addr, (unsigned long long)banner_addr);
		return tap_done();
	}
	setup_btf();
	map = bpf_array(sizeof(struct entry), 1);
	fmt_map = fmt_map_create();
	if (!tap_ok(map >= 0 && fmt_map >= 0, "BPF maps created (%s)",
		    map < 0 || fmt_map < 0 ? strerror(errno) : "ok"))
		return tap_done();
	k = read_pob();
	if (!tap_ok(k == 0, "page_offset_base read through BPF (0x%llx)", (unsigned long long)pob))
		return tap_done();

	slots = mmap(NULL, 3 * sizeof(*slots), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(slots != MAP_FAILED, "shared page for the holders"))
		return tap_done();
	ctl = &slots[0];
	prot = &slots[1];

	/* ---- phase A: nothing protected ---- */
	nothing_protected = ag_wait_unprotected(10000);
	pc = holder_start(NULL, ctl);
	if (!tap_ok(pc > 0, "control holder started, first frame 0x%llx",
		    (unsigned long long)ctl->pfn[0]))
		return tap_done();
	if (!nothing_protected) {
		tap_skip("processes are protected (after the lock)",
			 "phase A: the attacks work while nothing is protected (%d protected)",
			 ag_nr_protected());
	} else {
		for (k = 0; k < K_NR; k++)
			run_kind(k, ctl, NULL);
		run_trace_event(ctl, NULL);
		if (cast_kfunc > 0 && cast_struct > 0)
			cast_a(ctl);
		else
			tap_skip("not in this kernel (6.2+)", "bpf_rdonly_cast, nothing protected");
		if (mm_off >= 0 && mm_size > 0)
			past_a(ctl);
		else
			tap_skip("no task_struct.mm or mm_struct in kernel BTF",
				 "past the end of a struct, nothing protected");
	}

	/* ---- phase B: a protected holder ---- */
	pp = holder_start("kread", prot);
	if (!tap_ok(pp > 0, "protected holder started, first frame 0x%llx",
		    (unsigned long long)prot->pfn[0]))
		return tap_done();
	for (k = 0; k < K_NR; k++)
		run_kind(k, ctl, prot);
	run_trace_event(ctl, prot);
	unchecked_b();

	child_kill(pp);
	child_kill(pc);
	return tap_done();
}
