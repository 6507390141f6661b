// SPDX-License-Identifier: GPL-2.0
/*
 * Probed, unloaded and loaded again: a tracefs kprobe event on aiguard's
 * own text (the ptrace check's slow path, which runs inside aiguard's own
 * kprobe handler, so each call is a hit or a miss) and a BPF kprobe on
 * its ioctl handler stay in place while many processes are protected,
 * while the module is unloaded, and while it is loaded again and the
 * processes are protected again. The kernel re-arms the tracefs event on
 * the new text as the module comes in, before its init runs; the BPF
 * kprobe's probe is gone with the old text. The bench's first slow-path
 * scans lost the guest at exactly this reload (no message, QEMU gone).
 *
 * What must hold: the guest lives through it, the module loads and
 * protects again, the re-armed event counts calls on the new text, and
 * both probes come off cleanly at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_asm.h"
#include "lib.h"

#define KO		"/lib/aiguard/aiguard.ko"
#define NPROC		1000
#define EVENT		"agprobed/slow"
#define LABEL		"e2e-probed"
#define MAXCPU		64

static pid_t procs[NPROC];
static int perf_fds[MAXCPU], nperf;

/* hits + misses of the tracefs event, or -1 */
static long event_calls(void)
{
	char path[160], line[256], ev[128];
	unsigned long hits, missed;
	const char *tf = tracefs_dir();
	long v = -1;
	FILE *f;

	if (!tf)
		return -1;
	snprintf(path, sizeof(path), "%s/kprobe_profile", tf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lu %lu", ev, &hits, &missed) == 3 &&
		    !strcmp(ev, strchr(EVENT, '/') + 1))
			v = (long)(hits + missed);
	fclose(f);
	return v;
}

/* What the kernel says of the probes on aiguard's text, and where it is. */
static void probes_diag(const char *when)
{
	char line[512];
	FILE *f;

	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	f = fopen("/sys/kernel/debug/kprobes/list", "r");
	if (!f)
		tap_diag("%s: kprobes/list: %s", when, strerror(errno));
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "aiguard"))
			tap_diag("%s: kprobes/list: %.*s", when, (int)strcspn(line, "\n"), line);
	if (f)
		fclose(f);
	snprintf(line, sizeof(line), "%s/enabled_functions", tracefs_dir());
	f = fopen(line, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "aiguard_ptrace_access_check_slow") || strstr(line, "aiguard_ioctl"))
			tap_diag("%s: enabled_functions: %.*s", when, (int)strcspn(line, "\n"), line);
	if (f)
		fclose(f);
	tap_diag("%s: the event has %ld calls", when, event_calls());
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " aiguard_ptrace_access_check_slow\t") ||
		    strstr(line, " aiguard_ioctl\t"))
			tap_diag("%s: kallsyms: %.*s", when, (int)strcspn(line, "\n"), line);
	if (f)
		fclose(f);
}

/* A BPF program that counts its runs in element 0 of @map. */
static int counter_prog(int map)
{
	static char log[16384];
	struct bpf_insn p[16];
	union bpf_attr a;
	int n = 0;

	n += bpf_emit_lookup0(p + n, map);
	p[n++] = JEQ_IMM(BPF_REG_0, 0, 2);
	p[n++] = MOV64_IMM(BPF_REG_1, 1);
	p[n++] = ATOMIC_ADD64(BPF_REG_0, BPF_REG_1, 0);
	p[n++] = MOV64_IMM(BPF_REG_0, 0);
	p[n++] = EXIT();
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_KPROBE;
	return bpf_load(&a, p, n, log, sizeof(log));
}

/* The BPF kprobe on aiguard_ioctl, one perf event per CPU. */
static int bpf_kprobe(int prog)
{
	struct perf_event_attr pa;
	int type = read_int("/sys/bus/event_source/devices/kprobe/type");
	long cpu, ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (type < 0 || ncpu < 1)
		return -1;
	for (cpu = 0; cpu < ncpu && cpu < MAXCPU; cpu++) {
		int fd;

		memset(&pa, 0, sizeof(pa));
		pa.size = sizeof(pa);
		pa.type = type;
		pa.config1 = (uintptr_t)"aiguard_ioctl";
		fd = (int)syscall(SYS_perf_event_open, &pa, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			return -1;
		perf_fds[nperf++] = fd;
		if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
			return -1;
	}
	return 0;
}

static uint64_t counted(int map)
{
	uint64_t v = 0;

	return bpf_elem(BPF_MAP_LOOKUP_ELEM, map, 0, &v) ? 0 : v;
}

/* Protects every sleeper; how many. */
static int protect_all(void)
{
	int i, n = 0;

	for (i = 0; i < NPROC; i++)
		n += ag_protect(AIGUARD_TARGET_PID, procs[i], LABEL, NULL) == 0;
	return n;
}

/* Reads each one's environ (refused: the slow path); how many refused. */
static int read_all(void)
{
	char path[64], buf[256];
	int i, n = 0;

	for (i = 0; i < NPROC; i++) {
		snprintf(path, sizeof(path), "/proc/%d/environ", procs[i]);
		n += read_file(path, buf, sizeof(buf)) < 0;
	}
	return n;
}

static void unprotect_all(void)
{
	int i;

	for (i = 0; i < NPROC; i++)
		ag_unprotect(AIGUARD_TARGET_PID, procs[i]);
}

static int reload(void)
{
	int fd, i, err = 0;

	ag_close();
	for (i = 0; i < 100 && syscall(SYS_delete_module, "aiguard", O_NONBLOCK); i++)
		usleep(100 * 1000);
	if (i == 100) {
		tap_diag("delete_module: %s", strerror(errno));
		return -1;
	}
	fd = open(KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		err = -1;
	if (err)
		tap_diag("finit_module %s: %s", KO, strerror(errno));
	if (fd >= 0)
		close(fd);
	for (i = 0; !err && i < 50 && access("/dev/aiguard", F_OK); i++)
		usleep(100 * 1000);
	return err;
}

int main(int argc, char **argv)
{
	long c0, c1, c2;
	uint64_t b0, b1;
	int map, prog, i, n, ok;

	tap_init(argc, argv, 600);
	if (!tracefs_dir()) {
		tap_skip("no tracefs in this kernel", "probes on aiguard's text");
		return tap_done();
	}
	for (i = 0; i < NPROC; i++)
		procs[i] = spawn_sleeper();

	tracefs_write("kprobe_events", "-:" EVENT "\n", 1);
	ok = tracefs_write("kprobe_events", "p:" EVENT " aiguard:aiguard_ptrace_access_check_slow\n", 1) == 0 &&
	     tracefs_write("events/" EVENT "/enable", "1", 0) == 0;
	tap_ok(ok, "a tracefs kprobe event on aiguard_ptrace_access_check_slow%s%s",
	       ok ? "" : ": ", ok ? "" : strerror(errno));
	map = bpf_array(8, 1);
	prog = map >= 0 ? counter_prog(map) : -1;
	ok = prog >= 0 && bpf_kprobe(prog) == 0;
	tap_ok(ok, "a BPF kprobe on aiguard_ioctl, on every CPU%s%s",
	       ok ? "" : ": ", ok ? "" : strerror(errno));

	c0 = event_calls();
	b0 = counted(map);
	n = protect_all();
	tap_ok(n == NPROC && read_all() == NPROC, "%d processes protected, each one's environ refused", n);
	c1 = event_calls();
	b1 = counted(map);
	probes_diag("before the reload");
	tap_ok(c1 - c0 >= NPROC, "the event counted the slow path (%ld calls)", c1 - c0);
	tap_ok(b1 - b0 >= (uint64_t)NPROC, "the BPF kprobe ran on each protect (%llu runs)",
	       (unsigned long long)(b1 - b0));

	/*
	 * A protected sleeper pins the module until it next runs (its mm is
	 * tracked from a task work): new ones for the new module.
	 */
	for (i = 0; i < NPROC; i++)
		child_kill(procs[i]);
	tap_ok(reload() == 0, "aiguard unloaded and loaded again with both probes in place");
	probes_diag("just after the reload");
	/* re-registered, the probe's miss count starts again from 0 */
	c1 = event_calls();
	for (i = 0; i < NPROC; i++)
		procs[i] = spawn_sleeper();
	n = protect_all();
	tap_ok(n == NPROC && read_all() == NPROC,
	       "after the reload, %d processes protected again, each one's environ refused", n);
	c2 = event_calls();
	probes_diag("after the reload");
	tap_ok(c2 - c1 >= NPROC, "the event, re-armed on the new text, counted the slow path (%ld calls)",
	       c2 - c1);
	tap_diag("the BPF kprobe, whose probe went with the old text, ran %llu times since",
		 (unsigned long long)(counted(map) - b1));
	unprotect_all();

	for (i = 0; i < nperf; i++)
		close(perf_fds[i]);
	ok = tracefs_write("events/" EVENT "/enable", "0", 0) == 0 &&
	     tracefs_write("kprobe_events", "-:" EVENT "\n", 1) == 0;
	tap_ok(ok, "both probes removed%s%s", ok ? "" : ": ", ok ? "" : strerror(errno));
	for (i = 0; i < NPROC; i++)
		child_kill(procs[i]);
	tap_ok(ag_wait_unprotected(5000), "nothing protected at the end");
	return tap_done();
}
