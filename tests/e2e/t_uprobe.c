// SPDX-License-Identifier: GPL-2.0
/*
 * Uprobes and uretprobes never fire inside a protected process.
 *
 * A spinner (this binary re-executed as "spin") calls probe_me(canary) in
 * a loop. Two interfaces put a uprobe on probe_me:
 *   - tracefs uprobe_events (what perf probe -x writes): an entry probe
 *     that fetches the string argument, and a return probe;
 *   - the perf uprobe PMU with a BPF program (what bcc and bpftrace use),
 *     counting the spinner's hits in a map;
 *   - a BPF uprobe_multi link (6.6+; what newer bpftrace and libbpf use),
 *     with the same program.
 * For each, three spinners:
 *   - control: the probe fires and captures the canary;
 *   - protected before exec: the breakpoint never goes into its memory,
 *     nothing fires (uprobe_write_opcode is refused);
 *   - protected after the breakpoint went in: nothing fires from then on
 *     (the consumer's handler is refused and the breakpoint removed);
 * and a second control, started while the protected spinners run, is
 * still captured.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_asm.h"
#include "lib.h"

#define GROUP	"aiguard_e2e"

static char canary[64];

/* The probed function; noinline and used, so it exists and is called. */
__attribute__((noinline, used)) int probe_me(const char *s)
{
	__asm__ volatile("" : : "r"(s) : "memory");
	return s[0];
}

static void canary_of(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "UPROBE-CANARY-%08d", pid);
}

static __attribute__((noreturn)) void spin(void)
{
	canary_of(getpid(), canary, sizeof(canary));
	for (;;) {
		probe_me(canary);
		usleep(2000);
	}
}

/* ---- spinners -------------------------------------------------------------- */

/*
 * Forks a spinner. With before_exec, the child protects itself and then
 * executes the spinner image, whose memory is mapped after protection.
 */
static void exec_spin(void *unused)
{
	(void)unused;
	execl(self_exe(), self_exe(), "spin", (char *)NULL);
	_exit(127);
}

static pid_t spinner(const char *before_exec)
{
	pid_t pid = fork_protected(before_exec, NULL, exec_spin, NULL);

	usleep(100000);		/* let it exec */
	return pid;
}

/* File offset of probe_me in this binary, from our own mappings. */
static long probe_offset(void)
{
	unsigned long start, end, pgoff, addr = (unsigned long)probe_me;
	char line[512], path[256];
	FILE *f = fopen("/proc/self/maps", "r");
	long off = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &start, &end, &pgoff, path) < 3)
			continue;
		if (addr >= start && addr < end) {
			off = (long)(addr - start + pgoff);
			break;
		}
	}
	fclose(f);
	return off;
}

/* ---- tracefs --------------------------------------------------------------- */

#define tf_write tracefs_write

static char trace_buf[1 << 20];

static ssize_t trace_read(void)
{
	return tracefs_read("trace", trace_buf, sizeof(trace_buf));
}

/* Whether the trace shows the canary of pid (entry) and a return in pid. */
static int traced(pid_t pid, int *ret_seen)
{
	char want[64], task[32];
	ssize_t n = trace_read();

	canary_of(pid, want, sizeof(want));
	snprintf(task, sizeof(task), "-%d ", pid);
	*ret_seen = 0;
	if (n <= 0)
		return 0;
	for (char *l = strtok(trace_buf, "\n"); l; l = strtok(NULL, "\n"))
		if (strstr(l, task) && strstr(l, "probe_me_ret:"))
			*ret_seen = 1;
	n = trace_read();
	return n > 0 && has(trace_buf, n, want);
}

/*
 * Polls the trace up to ms for pid's canary; returns whether seen. With
 * want_ret it also waits for the return event, which is written after the
 * entry event: on a slow kernel one read can catch the entry alone.
 */
static int wait_traced_ret(pid_t pid, int ms, int *ret_seen, int want_ret)
{
	int i, seen = 0;

	for (i = 0; i < ms / 50; i++) {
		seen = traced(pid, ret_seen);
		if (seen && (!want_ret || *ret_seen))
			return 1;
		usleep(50000);
	}
	return traced(pid, ret_seen) || seen;
}

static int wait_traced(pid_t pid, int ms, int *ret_seen)
{
	return wait_traced_ret(pid, ms, ret_seen, 0);
}

static void test_tracefs(long off)
{
	char def[512];
	pid_t ctl, prot, late, ctl2;
	int seen, ret_seen;

	if (!tracefs_dir()) {
		tap_skip("no tracefs", "tracefs uprobe_events");
		return;
	}
	tf_write("uprobe_events", "-:" GROUP "/probe_me\n", 1);
	tf_write("uprobe_events", "-:" GROUP "/probe_me_ret\n", 1);
	snprintf(def, sizeof(def), "p:%s/probe_me %s:0x%lx arg=+0(%%di):string\n",
		 GROUP, self_exe(), off);
	if (tf_write("uprobe_events", def, 1) != 0) {
		tap_ok(0, "tracefs: uprobe with a string fetch argument defined (%s)",
		       strerror(errno));
		return;
	}
	tap_ok(1, "tracefs: uprobe with a string fetch argument defined");
	snprintf(def, sizeof(def), "r:%s/probe_me_ret %s:0x%lx ret=$retval\n",
		 GROUP, self_exe(), off);
	tap_ok(tf_write("uprobe_events", def, 1) == 0, "tracefs: uretprobe defined");
	tf_write("trace", "", 0);
	tap_ok(tf_write("events/" GROUP "/enable", "1", 0) == 0, "tracefs: probes enabled");

	ctl = spinner(NULL);
	seen = wait_traced_ret(ctl, 10000, &ret_seen, 1);
	tap_ok(seen, "tracefs: control: uprobe captures the canary");
	tap_ok(ret_seen, "tracefs: control: uretprobe fires");

	prot = spinner("e2e-uprobe");
	late = spinner(NULL);
	tap_ok(wait_traced(late, 5000, &ret_seen), "tracefs: late spinner captured before protection");
	tap_ok(ag_protect(AIGUARD_TARGET_PID, late, "e2e-uprobe-late", NULL) == 0,
	       "tracefs: late spinner protected while probed");
	usleep(100000);
	tf_write("trace", "", 0);
	ctl2 = spinner(NULL);
	tap_ok(wait_traced(ctl2, 5000, &ret_seen),
	       "tracefs: a control beside the protected spinners is still captured");
	usleep(500000);
	seen = traced(prot, &ret_seen);
	tap_ok(!seen && !ret_seen,
	       "tracefs: protected before exec: neither probe fires (entry %d, return %d)",
	       seen, ret_seen);
	seen = traced(late, &ret_seen);
	tap_ok(!seen && !ret_seen,
	       "tracefs: protected after the breakpoint went in: neither probe fires (entry %d, return %d)",
	       seen, ret_seen);

	tf_write("events/" GROUP "/enable", "0", 0);
	child_kill(ctl);
	child_kill(prot);
	child_kill(late);
	child_kill(ctl2);
	tf_write("uprobe_events", "-:" GROUP "/probe_me\n", 1);
	tf_write("uprobe_events", "-:" GROUP "/probe_me_ret\n", 1);
}

/* ---- perf uprobe PMU + BPF ------------------------------------------------- */

/* Map: 1024 u64 counters indexed by tgid % 1024. */
static int counter_map(void)
{
	return bpf_array(sizeof(uint64_t), 1024);
}

static uint64_t hits(int map, pid_t pid)
{
	uint64_t v = 0;

	bpf_elem(BPF_MAP_LOOKUP_ELEM, map, pid % 1024, &v);
	return v;
}

/* 6.6+ uapi, absent from the 6.1 headers this test is built against. */
#define AG_BPF_TRACE_UPROBE_MULTI	48

static int count_prog(int map, __u32 expected_attach_type)
{
	struct bpf_insn p[] = {
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(BPF_REG_0, 32),
		MOD64_IMM(BPF_REG_0, 1024),
		STX(BPF_W, BPF_REG_10, BPF_REG_0, -4),
		LD_MAP_FD(BPF_REG_1, map),
		LD_IMM64_HI(),
		MOV64_REG(BPF_REG_2, BPF_REG_10),
		ADD64_IMM(BPF_REG_2, -4),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(BPF_REG_0, 0, 2),
		MOV64_IMM(BPF_REG_1, 1),
		ATOMIC_ADD64(BPF_REG_0, BPF_REG_1, 0),
		MOV64_IMM(BPF_REG_0, 0),
		EXIT(),
	};
	static char log[16384];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_KPROBE;
	a.expected_attach_type = expected_attach_type;
	fd = bpf_load(&a, p, sizeof(p) / sizeof(p[0]), log, sizeof(log));
	if (fd < 0)
		tap_diag("BPF_PROG_LOAD: %s\n%.1500s", strerror(errno), log);
	return fd;
}

/* The three spinners and the bystander against a counting program. */
static void check_counts(const char *what, int map, const char *label)
{
	char late_label[64];
	pid_t ctl, prot, late, ctl2;
	uint64_t h0, h1;

	snprintf(late_label, sizeof(late_label), "%s-late", label);
	ctl = spinner(NULL);
	prot = spinner(label);
	late = spinner(NULL);
	usleep(500000);
	tap_ok(hits(map, ctl) > 0, "%s: control: the uprobe program runs (%llu hits)", what,
	       (unsigned long long)hits(map, ctl));
	tap_ok(hits(map, late) > 0, "%s: late spinner hit before protection (%llu hits)", what,
	       (unsigned long long)hits(map, late));
	tap_ok(ag_protect(AIGUARD_TARGET_PID, late, late_label, NULL) == 0,
	       "%s: late spinner protected while probed", what);
	usleep(100000);
	h0 = hits(map, late);
	ctl2 = spinner(NULL);
	usleep(500000);
	h1 = hits(map, late);
	tap_ok(hits(map, ctl2) > 0,
	       "%s: a control beside the protected spinners still runs the program (%llu hits)",
	       what, (unsigned long long)hits(map, ctl2));
	tap_ok(hits(map, prot) == 0, "%s: protected before exec: never fires (%llu hits)", what,
	       (unsigned long long)hits(map, prot));
	tap_ok(h1 == h0, "%s: protected after the breakpoint went in: no more hits (%llu -> %llu)",
	       what, (unsigned long long)h0, (unsigned long long)h1);
	child_kill(ctl);
	child_kill(prot);
	child_kill(late);
	child_kill(ctl2);
}

static void test_bpf(long off)
{
	struct perf_event_attr pa;
	int map, prog, fds[64], nfds = 0, cpu, ncpu;

	map = counter_map();
	prog = map >= 0 ? count_prog(map, 0) : -1;
	if (!tap_ok(prog >= 0, "bpf: uprobe counting program loads"))
		goto out;
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = read_int("/sys/bus/event_source/devices/uprobe/type");
	pa.config1 = (uintptr_t)self_exe();
	pa.config2 = off;
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	for (cpu = 0; cpu < ncpu && nfds < 64; cpu++) {
		int fd = (int)syscall(SYS_perf_event_open, &pa, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0 || ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) ||
		    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
			tap_diag("uprobe PMU event on cpu %d: %s", cpu, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		fds[nfds++] = fd;
	}
	if (!tap_ok(nfds == ncpu, "bpf: program attached through the perf uprobe PMU"))
		goto out;

	check_counts("bpf", map, "e2e-uprobe-bpf");
out:
	while (nfds > 0)
		close(fds[--nfds]);
	if (prog >= 0)
		close(prog);
	if (map >= 0)
		close(map);
}

/*
 * BPF_LINK_CREATE of a uprobe_multi link, laid out by hand: link_create's
 * prog_fd, target_fd, attach_type, flags, then the uprobe_multi struct.
 */
struct uprobe_multi_attr {
	__u32 prog_fd, target_fd, attach_type, flags;
	__aligned_u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, multi_flags, pid;
};

/* Whether the kernel has a function, from /proc/kallsyms (names only). */
static int kernel_has(const char *sym)
{
	char line[256], name[128];
	FILE *f = fopen("/proc/kallsyms", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %127s", name) == 1 && !strcmp(name, sym);
	fclose(f);
	return found;
}

static void test_multi(long off)
{
	union {
		union bpf_attr attr;
		struct uprobe_multi_attr m;
	} a;
	unsigned long offs[1] = { (unsigned long)off };
	int map, prog, link = -1;

	if (!kernel_has("bpf_uprobe_multi_link_attach")) {
		tap_skip("no BPF uprobe_multi links on this kernel (6.6+)", "uprobe_multi");
		return;
	}
	map = counter_map();
	prog = map >= 0 ? count_prog(map, AG_BPF_TRACE_UPROBE_MULTI) : -1;
	if (!tap_ok(prog >= 0, "uprobe_multi: program loads"))
		goto out;
	memset(&a, 0, sizeof(a));
	a.m.prog_fd = prog;
	a.m.attach_type = AG_BPF_TRACE_UPROBE_MULTI;
	a.m.path = (uintptr_t)self_exe();
	a.m.offsets = (uintptr_t)offs;
	a.m.cnt = 1;
	link = (int)sys_bpf(BPF_LINK_CREATE, &a.attr);
	if (!tap_ok(link >= 0, "uprobe_multi: link created (%s)", link < 0 ? strerror(errno) : "ok"))
		goto out;
	check_counts("uprobe_multi", map, "e2e-uprobe-multi");
out:
	if (link >= 0)
		close(link);
	if (prog >= 0)
		close(prog);
	if (map >= 0)
		close(map);
}

int main(int argc, char **argv)
{
	struct aiguard_stats st0, st1;
	long off;
	int have;

	if (argc == 2 && !strcmp(argv[1], "spin"))
		spin();
	tap_init(argc, argv, 300);
	off = probe_offset();
	if (!tap_ok(off > 0, "file offset of probe_me found (%ld)", off))
		return tap_done();
	have = ag_stats(&st0) == 0;
	test_tracefs(off);
	test_bpf(off);
	test_multi(off);
	if (have && ag_stats(&st1) == 0)
		tap_ok(st1.denied[AIGUARD_HOOK_UPROBE] > st0.denied[AIGUARD_HOOK_UPROBE],
		       "denials are counted under the uprobe hook (%llu -> %llu)",
		       (unsigned long long)st0.denied[AIGUARD_HOOK_UPROBE],
		       (unsigned long long)st1.denied[AIGUARD_HOOK_UPROBE]);
	else
		tap_ok(0, "aiguard stats readable");
	return tap_done();
}
