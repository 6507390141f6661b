// SPDX-License-Identifier: GPL-2.0
/*
 * Freed memory carries nothing: what a protected process lets go of is
 * cleared before the kernel frees it, so nothing that reads free memory
 * later (here /proc/kcore, which opens again once nothing is protected)
 * finds its data.
 *
 * Each scenario runs a control and a protected "holder" side by side: a
 * child that fills 8 MiB of anonymous memory with a canary of its own,
 * then lets go of it one way (SIGKILL, exec, munmap, MADV_DONTNEED, a
 * MADV_FREE'd buffer under reclaim, compaction while it runs). Once
 * nothing is protected, one pass over all of RAM in /proc/kcore looks for
 * both canaries: the control's is found (the attack works in this guest),
 * the protected one's is not.
 *
 * The canaries never exist in clear outside the holders (canary.c).
 *
 * Then what must keep working: a COW copy shared with a child forked
 * before protection keeps its contents for the child when the protected
 * parent dies; a protected parent's copy survives its protected child's
 * exit; mremap() moving memory keeps it; unmapping half of a huge page
 * keeps the other half.
 */
#pragma GCC optimize("no-tree-vectorize")

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "canary.h"
#include "lib.h"

#define FILL_MB		8
#define FILL		((size_t)FILL_MB << 20)
#define PAGE		4096UL
#define KCORE		"/proc/kcore"
#define CGROOT		"/sys/fs/cgroup"
#define LABEL		"e2e-mem"
#define IDLE_ARG	"--mem-idle"
#define FILL_ARG	"--mem-fill"
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* ---- canaries --------------------------------------------------------------- */

static int canary_intact(const volatile unsigned char *p, size_t len, uint64_t seed)
{
	return canary_intact_at(p, 0, len, seed);
}

/* Maps and fills 8 MiB with the canary of @seed, says so on @fd, waits to die. */
static void __attribute__((noreturn)) fill_main(uint64_t seed, int fd)
{
	volatile unsigned char *p = mmap(NULL, FILL, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char ok = p != MAP_FAILED;

	if (ok)
		canary_fill(p, FILL, seed);
	if (write(fd, &ok, 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

/* ---- the scanner -------------------------------------------------------------- */

/* ---- holders ------------------------------------------------------------------- */

struct holder {
	pid_t pid;
	int cmd, reply;
	uint64_t seed;
	int protected;
};

struct holder_io {
	int cmd, reply;		/* the holder's ends */
	int cmd_w, reply_r;	/* the test's ends, which the holder closes */
	uint64_t seed;
};

static volatile unsigned char *mem;	/* in the holder */
static size_t mem_len;

/*
 * A child of the holder (forked, or forked and exec'd: its address space
 * is new either way, and inherits the holder's protection) fills 8 MiB
 * with the holder's canary and says so; 'q' has the holder kill it.
 */
static pid_t filled_child;

static int child_fill(int exec_it, uint64_t seed)
{
	char arg_seed[32], arg_fd[16], c = 0;
	int pfd[2], ok;
	pid_t pid;

	if (pipe(pfd))
		return 0;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (exec_it) {
			snprintf(arg_seed, sizeof(arg_seed), "%llu", (unsigned long long)seed);
			snprintf(arg_fd, sizeof(arg_fd), "%d", pfd[1]);
			execl(self_exe(), self_exe(), FILL_ARG, arg_seed, arg_fd, (char *)NULL);
			_exit(127);
		}
		fill_main(seed, pfd[1]);
	}
	close(pfd[1]);
	ok = pid > 0 && read(pfd[0], &c, 1) == 1 && c == 1;
	close(pfd[0]);
	filled_child = pid;
	return ok;
}

static int child_kill_filled(void)
{
	pid_t pid = filled_child;

	filled_child = 0;
	return pid > 0 && kill(pid, SIGKILL) == 0 && waitpid(pid, NULL, 0) == pid;
}

static void hold_reply(int fd, char ok)
{
	if (write(fd, &ok, 1) != 1)
		_exit(4);
}

/*
 * The holder: each command byte gets one reply byte (1 = done/intact).
 * It never writes its canary to a descriptor.
 */
static void holder_main(void *arg)
{
	const struct holder_io *io = arg;
	volatile unsigned char *moved;
	char c, ok, fdarg[16];
	uint64_t addr;
	pid_t child;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* so that the test closing its ends ends the holder and its children */
	close(io->cmd_w);
	close(io->reply_r);
	while (read(io->cmd, &c, 1) == 1) {
		ok = 1;
		switch (c) {
		case 'f':	/* fill */
		case 's':	/* fill small pages only (compaction moves no huge page) */
			mem_len = FILL;
			mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem == MAP_FAILED)
				_exit(3);
			if (c == 's')
				madvise((void *)mem, mem_len, MADV_NOHUGEPAGE);
			canary_fill(mem, mem_len, io->seed);
			break;
		case 'o':	/* soft-offline (migrate) its first 64 pages */
			ok = madvise((void *)mem, 64 * PAGE, MADV_SOFT_OFFLINE) == 0;
			break;
		case 'c':	/* collapse its small pages into huge ones */
			madvise((void *)mem, mem_len, MADV_HUGEPAGE);
			ok = madvise((void *)mem, mem_len, MADV_COLLAPSE) == 0;
			break;
		case 'H':	/* fill 2 MiB-aligned small pages */
		case 'h':	/* fill a 2 MiB-aligned huge page, madvised */
			mem_len = 4UL << 20;
			mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem == MAP_FAILED)
				_exit(3);
			mem = (void *)(((uintptr_t)mem + (2UL << 20) - 1) & ~((2UL << 20) - 1));
			mem_len = 2UL << 20;
			madvise((void *)mem, mem_len, c == 'h' ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
			canary_fill(mem, mem_len, io->seed);
			break;
		case 'v':	/* verify */
			ok = canary_intact(mem, mem_len, io->seed);
			break;
		case 'u':	/* munmap all */
			ok = munmap((void *)mem, mem_len) == 0;
			break;
		case 'U':	/* munmap the first half, verify the second */
			ok = munmap((void *)mem, mem_len / 2) == 0 &&
			     canary_intact_at(mem, mem_len / 2, mem_len / 2, io->seed);
			break;
		case 'd':
			ok = madvise((void *)mem, mem_len, MADV_DONTNEED) == 0;
			break;
		case 'D':	/* MADV_DONTNEED the first half, verify the second */
			ok = madvise((void *)mem, mem_len / 2, MADV_DONTNEED) == 0 &&
			     canary_intact_at(mem, mem_len / 2, mem_len / 2, io->seed);
			break;
		case 'F':
			ok = madvise((void *)mem, mem_len, MADV_FREE) == 0;
			break;
		case 'z':	/* clear what it holds itself */
			for (size_t off = 0; off < mem_len; off++)
				mem[off] = 0;
			break;
		case 'r':	/* move it elsewhere, then verify there */
			moved = mremap((void *)mem, mem_len, mem_len, MREMAP_MAYMOVE | MREMAP_FIXED,
				       (void *)(mem + mem_len + (64UL << 20)));
			ok = moved != MAP_FAILED && canary_intact(moved, mem_len, io->seed);
			if (moved != MAP_FAILED)
				mem = moved;
			break;
		case 'k':	/* fork: the child answers from now on, the parent parks */
			child = fork();
			if (child == 0)
				continue;
			ok = child > 0;
			if (ok) {
				hold_reply(io->reply, ok);
				for (;;)
					pause();
			}
			break;
		case 'K':	/* fork a child that exits at once; then verify */
			child = fork();
			if (child == 0)
				_exit(0);
			ok = child > 0 && waitpid(child, NULL, 0) == child &&
			     canary_intact(mem, mem_len, io->seed);
			break;
		case 'a':	/* where the buffer is, as 8 bytes instead of a reply */
			addr = (uintptr_t)mem;
			if (write(io->reply, &addr, sizeof(addr)) != sizeof(addr))
				_exit(4);
			continue;
		case 'g':	/* a forked child fills */
		case 'e':	/* an exec'd child fills */
			ok = child_fill(c == 'e', io->seed);
			break;
		case 'q':	/* that child is killed */
			ok = child_kill_filled();
			break;
		case 'x':	/* exec something that holds nothing */
			snprintf(fdarg, sizeof(fdarg), "%d", io->reply);
			execl(self_exe(), self_exe(), IDLE_ARG, fdarg, (char *)NULL);
			ok = 0;
			break;
		default:
			ok = 0;
		}
		hold_reply(io->reply, ok);
	}
	_exit(0);
}

static int ask(struct holder *h, char c)
{
	char ok = 0;

	if (write(h->cmd, &c, 1) != 1 || read(h->reply, &ok, 1) != 1)
		return 0;
	return ok;
}

static uint64_t next_seed;

static int holder_start(struct holder *h, int protect)
{
	struct holder_io io;
	int cmd[2], reply[2];

	memset(h, 0, sizeof(*h));
	h->seed = next_seed++;
	h->protected = protect;
	if (pipe(cmd) || pipe(reply))
		return -1;
	io.cmd = cmd[0];
	io.reply = reply[1];
	io.cmd_w = cmd[1];
	io.reply_r = reply[0];
	io.seed = h->seed;
	h->pid = fork_protected(protect ? LABEL : NULL, NULL, holder_main, &io);
	close(cmd[0]);
	close(reply[1]);
	h->cmd = cmd[1];
	h->reply = reply[0];
	return h->pid > 0 ? 0 : -1;
}

static void holder_stop(struct holder *h)
{
	child_kill(h->pid);
	h->pid = 0;
	close(h->cmd);
	close(h->reply);
}

/* Lets a live protected holder go, so that kcore opens. */
static int holder_release(struct holder *h)
{
	return !h->protected || ag_unprotect(AIGUARD_TARGET_PID, h->pid) == 0;
}

static uint64_t cleared_pages(void)
{
	struct aiguard_status st;

	memset(&st, 0, sizeof(st));
	return ioctl(ag_fd(), AIGUARD_IOC_GET_STATUS, &st) ? 0 : st.cleared_pages;
}

/*
 * Scans for both holders' canaries and reports: the control's must be
 * found, the protected one's not.
 */
static void verdict(const char *what, struct holder *ctl, struct holder *prot)
{
	struct needle nd[2];
	int ok;

	needle_of(&nd[0], ctl->seed);
	needle_of(&nd[1], prot->seed);
	ok = ag_wait_unprotected(5000);
	if (!ok)
		tap_diag("  %s: %d processes still protected: kcore stays closed", what,
			 ag_nr_protected());
	if (ok && kcore_scan(nd, 2)) {
		tap_diag("  %s: %s: %s", what, KCORE, strerror(errno));
		ok = 0;
	}
	tap_ok(ok && nd[0].found, "%s_control_canary_found_in_free_memory", what);
	tap_ok(ok && !nd[1].found, "%s_protected_canary_not_found", what);
}

/* Only the protected half, where the control's baseline could not be made. */
static void verdict_protected(const char *what, struct holder *prot)
{
	struct needle nd;
	int ok;

	needle_of(&nd, prot->seed);
	ok = ag_wait_unprotected(5000) && kcore_scan(&nd, 1) == 0;
	tap_ok(ok && !nd.found, "%s_protected_canary_not_found", what);
}

/* ---- scenarios ------------------------------------------------------------------- */

static void start_pair(struct holder *ctl, struct holder *prot, char fill)
{
	int a = holder_start(ctl, 0) == 0 && ask(ctl, fill);
	int b = holder_start(prot, 1) == 0 && ask(prot, fill);

	if (!a || !b)
		tap_diag("  holders: control %s, protected %s", a ? "filled" : "FAILED",
			 b ? "filled" : "FAILED");
}

static void scenario_kill(void)
{
	struct holder ctl, prot;
	uint64_t before = cleared_pages();

	start_pair(&ctl, &prot, 'f');
	holder_stop(&ctl);
	holder_stop(&prot);
	verdict("kill", &ctl, &prot);
	tap_ok(cleared_pages() - before >= FILL / PAGE,
	       "kill_status_counts_cleared_pages (%llu more, at least %lu)",
	       (unsigned long long)(cleared_pages() - before), FILL / PAGE);
}

/*
 * The address spaces protection follows: a protected process's forked
 * child's (tracked from its fork) and an exec'd child's (from its exec)
 * are cleared when the child is killed, like the process's own.
 */
static void scenario_children(const char *what, char op)
{
	struct holder ctl, prot;
	int a, b;

	/* both fill before either lets go: no page of one is reused by the other */
	a = holder_start(&ctl, 0) == 0 && ask(&ctl, op);
	b = holder_start(&prot, 1) == 0 && ask(&prot, op);
	a = a && ask(&ctl, 'q');
	b = b && ask(&prot, 'q');
	tap_ok(a && b, "%s_children_filled_and_were_killed", what);
	tap_ok(holder_release(&prot), "%s_protected_holder_released_alive", what);
	verdict(what, &ctl, &prot);
	holder_stop(&ctl);
	holder_stop(&prot);
}

/* The holder execs an idle image, which tells the same pipe it runs. */
static void scenario_exec(void)
{
	struct holder ctl, prot;

	start_pair(&ctl, &prot, 'f');
	tap_ok(ask(&ctl, 'x') && ask(&prot, 'x'), "exec_both_holders_exec");
	tap_ok(holder_release(&prot), "exec_protected_image_released_alive");
	verdict("exec", &ctl, &prot);
	holder_stop(&ctl);
	holder_stop(&prot);
}

static void scenario_unmap(const char *what, char op)
{
	struct holder ctl, prot;

	start_pair(&ctl, &prot, 'f');
	tap_ok(ask(&ctl, op) && ask(&prot, op), "%s_both_holders_let_go", what);
	tap_ok(holder_release(&prot), "%s_protected_holder_released_alive", what);
	verdict(what, &ctl, &prot);
	holder_stop(&ctl);
	holder_stop(&prot);
}

/* ---- MADV_FREE under reclaim ------------------------------------------------------ */

static int cg_write(const char *cg, const char *file, const char *s)
{
	char path[160];

	snprintf(path, sizeof(path), CGROOT "/%s%s%s", cg, *cg ? "/" : "", file);
	return write_file(path, s);
}

static int cg_move(pid_t pid, const char *cg)
{
	char dir[96], s[16];

	snprintf(dir, sizeof(dir), CGROOT "/%s", cg);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	snprintf(s, sizeof(s), "%d", pid);
	return cg_write(cg, "cgroup.procs", s);
}

static void scenario_lazyfree(void)
{
	struct aiguard_stats st0, st1;
	struct holder ctl, prot;
	int cg;

	if (access(CGROOT "/cgroup.controllers", F_OK))
		mount("cgroup2", CGROOT, "cgroup2", 0, NULL);
	cg = cg_write("", "cgroup.subtree_control", "+memory") == 0;
	if (!tap_ok(cg, "madvfree_cgroup_v2_memory_controller"))
		return;
	/* in their cgroups before they touch anything */
	if (holder_start(&ctl, 0) || holder_start(&prot, 1) ||
	    cg_move(ctl.pid, "ag-mem-ctl") || cg_move(prot.pid, "ag-mem-prot")) {
		tap_ok(0, "madvfree_holders_in_their_cgroups");
		return;
	}
	tap_ok(ask(&ctl, 'f') && ask(&prot, 'f') && ask(&ctl, 'F') && ask(&prot, 'F'),
	       "madvfree_both_holders_filled_and_freed_lazily");
	ag_stats(&st0);
	cg_write("ag-mem-ctl", "memory.reclaim", "16M");
	cg_write("ag-mem-prot", "memory.reclaim", "16M");
	ag_stats(&st1);
	tap_ok(ask(&prot, 'v'), "madvfree_protected_memory_not_discarded");
	tap_ok(st1.denied[AIGUARD_HOOK_SWAP] > st0.denied[AIGUARD_HOOK_SWAP],
	       "madvfree_discard_refusals_counted (%llu -> %llu)",
	       (unsigned long long)st0.denied[AIGUARD_HOOK_SWAP],
	       (unsigned long long)st1.denied[AIGUARD_HOOK_SWAP]);
	holder_stop(&ctl);
	holder_stop(&prot);
	verdict("madvfree", &ctl, &prot);
	rmdir(CGROOT "/ag-mem-ctl");
	rmdir(CGROOT "/ag-mem-prot");
}

/* ---- compaction ----------------------------------------------------------------- */

/* The physical frames of [addr, addr+len) of @pid (root reads them). */
static int frames(pid_t pid, uintptr_t addr, size_t len, uint64_t *pfn)
{
	char path[64];
	size_t i, n = len / PAGE;
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = pread(fd, pfn, n * 8, (addr / PAGE) * 8) == (ssize_t)(n * 8);
	close(fd);
	for (i = 0; ok && i < n; i++)
		pfn[i] &= (1ULL << 55) - 1;
	return ok ? 0 : -1;
}

/* The holder's buffer address. */
static uintptr_t buffer_of(struct holder *h)
{
	uint64_t addr = 0;
	char c = 'a';

	if (write(h->cmd, &c, 1) != 1 || read(h->reply, &addr, sizeof(addr)) != sizeof(addr))
		return 0;
	return addr;
}

/* MemFree of /proc/meminfo, in bytes, or 0. */
static size_t mem_free(void)
{
	char buf[4096], *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)) <= 0 || !(p = strstr(buf, "MemFree:")))
		return 0;
	return (size_t)atoll(p + 8) << 10;
}

/*
 * Compaction moves pages from the bottom of a zone into the free holes
 * of partly used blocks higher up; wholly free blocks it leaves alone. A
 * hog of small pages (with @holes, every other one given back) shapes
 * where the holders' pages and the holes are.
 */
static char *hog_take(size_t len, int holes)
{
	size_t off;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	for (off = 0; off < len; off += PAGE)
		p[off] = 1;
	for (off = 0; holes && off < len; off += 2 * PAGE)
		madvise(p + off, PAGE, MADV_DONTNEED);
	return p;
}

/* A /proc/vmstat counter, or -1. */
static long long vmstat(const char *key)
{
	char buf[16384], *p;
	size_t n = strlen(key);

	if (read_file("/proc/vmstat", buf, sizeof(buf)) <= 0)
		return -1;
	for (p = buf; (p = strstr(p, key)); p += n)
		if ((p == buf || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

static void vmstat_diag(const char *when)
{
	tap_diag("  %s: compact_migrate_scanned %lld, compact_isolated %lld, pgmigrate_success %lld, pgmigrate_fail %lld",
		 when, vmstat("compact_migrate_scanned"), vmstat("compact_isolated"),
		 vmstat("pgmigrate_success"), vmstat("pgmigrate_fail"));
}

/*
 * The frames the control's pages were moved away from: each held its
 * canary when compaction copied it elsewhere and freed it.
 */
static uint64_t gone[3 * (FILL / PAGE)];
static size_t nr_gone;

/*
 * Compacts up to three times, until at least a quarter of the control's
 * pages moved (the more old frames, the likelier some still hold their
 * data when they are read); how many moved.
 */
static size_t compact_rounds(struct holder *ctl)
{
	static uint64_t before[FILL / PAGE], after[FILL / PAGE];
	uintptr_t addr = buffer_of(ctl);
	size_t i, moved = 0;
	int round;

	for (round = 0; round < 3 && moved < FILL / PAGE / 4; round++) {
		if (!addr || frames(ctl->pid, addr, FILL, before)) {
			tap_diag("  the control's frames: %s", addr ? strerror(errno) : "no address");
			break;
		}
		if (write_file("/proc/sys/vm/compact_memory", "1")) {
			tap_diag("  vm.compact_memory: %s", strerror(errno));
			break;
		}
		if (frames(ctl->pid, addr, FILL, after))
			break;
		for (i = 0; i < FILL / PAGE; i++) {
			if (before[i] == after[i])
				continue;
			moved++;
			if (nr_gone < sizeof(gone) / sizeof(gone[0]))
				gone[nr_gone++] = before[i];
		}
	}
	return moved;
}

/*
 * Which pages compaction moves depends on where the allocator put them
 * (6.1 and 6.12 hand out memory in different orders), so two layouts are
 * tried, each with fresh holders: a hog with holes above them, then a
 * hog taken before them and given back.
 */
static void scenario_compact(void)
{
	struct aiguard_stats st0, st1;
	struct holder ctl, prot;
	size_t moved = 0, len = 128UL << 20;
	char allowed[8] = "", *hog = NULL;
	int layout;

	read_file("/proc/sys/vm/compact_unevictable_allowed", allowed, sizeof(allowed));
	tap_diag("  vm.compact_unevictable_allowed = %.1s (as booted)", allowed);
	ag_stats(&st0);
	vmstat_diag("before");
	nr_gone = 0;
	for (layout = 0; layout < 2 && !moved; layout++) {
		if (layout) {
			holder_stop(&ctl);
			holder_stop(&prot);
			len = mem_free() > (256UL << 20) ? mem_free() - (128UL << 20) : 0;
			hog = len ? hog_take(len, 0) : NULL;
		}
		start_pair(&ctl, &prot, 's');
		if (!layout) {
			/*
			 * Every hole is a place compaction can move a page to,
			 * and everything movable below the holders (the
			 * initramfs's files first) is moved before they are:
			 * all free memory but a margin, half of it holes.
			 */
			if (mem_free() > len + (192UL << 20))
				len = mem_free() - (192UL << 20);
			hog = hog_take(len, 1);
		} else if (hog) {
			munmap(hog, len);
			hog = NULL;
		}
		moved = compact_rounds(&ctl);
		tap_diag("  layout %d (%s, %zu MiB): compaction moved %zu of the control's %lu pages",
			 layout, layout ? "a hog before the holders, given back" :
			 "a hog with holes above the holders", len >> 20, moved, FILL / PAGE);
		if (hog) {
			munmap(hog, len);
			hog = NULL;
		}
	}
	ag_stats(&st1);
	vmstat_diag("after");
	tap_diag("  refused %llu migrations of protected pages",
		 (unsigned long long)(st1.denied[AIGUARD_HOOK_MIGRATE] - st0.denied[AIGUARD_HOOK_MIGRATE]));
	tap_ok(ask(&prot, 'v'), "compact_protected_memory_intact");
	/* what they hold now is cleared by themselves: only moved-away copies remain */
	tap_ok(ask(&ctl, 'z') && ask(&prot, 'z'), "compact_holders_cleared_their_memory");
	tap_ok(holder_release(&prot), "compact_protected_holder_released_alive");
	if (moved) {
		struct needle nd;
		long hits = -1;

		/*
		 * The control's baseline is read from the frames its pages
		 * left, at once: the allocator hands recently freed pages out
		 * first, so by the end of a scan of all RAM a few hundred of
		 * them may all be in use again.
		 */
		needle_of(&nd, ctl.seed);
		if (ag_wait_unprotected(5000))
			hits = kcore_frames_with(&nd, gone, nr_gone);
		tap_ok(hits > 0, "compact_control_canary_found_in_free_memory (%ld of the %zu frames its pages left)",
		       hits, nr_gone);
	} else {
		/* where pages sit is up to the allocator: no baseline, no comparison */
		tap_skip("compaction moved none of the control's pages in this run",
			 "compact_control_canary_found_in_free_memory");
	}
	verdict_protected("compact", &prot);
	holder_stop(&ctl);
	holder_stop(&prot);
}

/*
 * A migration the process asks for (MADV_SOFT_OFFLINE, root only), or a
 * collapse into a huge page (MADV_COLLAPSE): the same kernel paths as
 * compaction and khugepaged, but at once and on known pages. The
 * control's old copies are left in memory; the protected one's request is
 * refused, and its pages stay where they are. A page soft offline leaves
 * behind is marked poisoned, which /proc/kcore reads as zeros: there the
 * control's baseline is that its frames changed (pagemap), the old ones
 * kept out of use with their data.
 */
static void scenario_move(const char *what, char fill, char op, int detail)
{
	static uint64_t before[64], after[64];
	struct aiguard_stats st0, st1;
	struct holder ctl, prot;
	int c_ok, p_ok, moved = 0, i;
	uintptr_t addr;

	start_pair(&ctl, &prot, fill);
	addr = buffer_of(&ctl);
	if (!addr || frames(ctl.pid, addr, sizeof(before) / 8 * PAGE, before))
		tap_diag("  the control's frames before: %s", strerror(errno));
	ag_stats(&st0);
	c_ok = ask(&ctl, op);
	p_ok = ask(&prot, op);
	ag_stats(&st1);
	if (addr && !frames(ctl.pid, addr, sizeof(after) / 8 * PAGE, after))
		for (i = 0; i < 64; i++)
			moved += before[i] != after[i];
	tap_ok(c_ok && moved, "%s_control_pages_moved (%d of 64 frames changed)", what, moved);
	tap_ok(!p_ok && ask(&prot, 'v'), "%s_protected_refused_memory_intact", what);
	tap_ok(st1.denied[AIGUARD_HOOK_MIGRATE] > st0.denied[AIGUARD_HOOK_MIGRATE] &&
	       ag_find_hook_event(AIGUARD_EVENT_DENY, AIGUARD_HOOK_MIGRATE, prot.pid, LABEL) == 1,
	       "%s_refusal_counted_and_recorded (%llu -> %llu, detail %d)", what,
	       (unsigned long long)st0.denied[AIGUARD_HOOK_MIGRATE],
	       (unsigned long long)st1.denied[AIGUARD_HOOK_MIGRATE], detail);
	tap_ok(ask(&ctl, 'z') && ask(&prot, 'z'), "%s_holders_cleared_their_memory", what);
	tap_ok(holder_release(&prot), "%s_protected_holder_released_alive", what);
	if (detail == AIGUARD_MOVE_COLLAPSE)
		verdict(what, &ctl, &prot);
	else
		verdict_protected(what, &prot);
	holder_stop(&ctl);
	holder_stop(&prot);
}

/* ---- what must keep working ------------------------------------------------------- */

/*
 * A child forked before its parent was protected shares the parent's
 * pages until either writes: the parent's death must not clear them.
 */
static void keep_cow_before_protect(void)
{
	struct holder h;
	int ok;

	ok = holder_start(&h, 0) == 0 && ask(&h, 'f') && ask(&h, 'k');
	/* the holder, now parked, is protected; its child answers on the pipes */
	ok = ok && ag_protect(AIGUARD_TARGET_PID, h.pid, LABEL, NULL) == 0;
	if (ok) {
		kill(h.pid, SIGKILL);
		waitpid(h.pid, NULL, 0);
	}
	tap_ok(ok && ask(&h, 'v'),
	       "keep_unprotected_child_memory_after_protected_parent_dies");
	holder_stop(&h);
}

/* A protected parent keeps its copy when its protected child dies. */
static void keep_cow_protected_child(void)
{
	struct holder h;

	tap_ok(holder_start(&h, 1) == 0 && ask(&h, 'f') && ask(&h, 'K'),
	       "keep_protected_parent_memory_after_protected_child_exits");
	holder_stop(&h);
}

static void keep_mremap_and_huge(void)
{
	struct holder h;

	tap_ok(holder_start(&h, 1) == 0 && ask(&h, 'f') && ask(&h, 'r'),
	       "keep_mremap_moves_protected_memory_intact");
	holder_stop(&h);
	tap_ok(holder_start(&h, 1) == 0 && ask(&h, 'h') && ask(&h, 'U'),
	       "keep_half_unmapped_huge_page_other_half_intact");
	holder_stop(&h);
	tap_ok(holder_start(&h, 1) == 0 && ask(&h, 'h') && ask(&h, 'D'),
	       "keep_half_dontneed_huge_page_other_half_intact");
	holder_stop(&h);
	tap_ok(holder_start(&h, 1) == 0 && ask(&h, 'f') && ask(&h, 'd') && ask(&h, 'v') == 0,
	       "dontneed_protected_memory_reads_zero_after");
	holder_stop(&h);
}

/* An exec'd holder: say it runs, then hold nothing until killed. */
static void idle_main(int argc, char **argv)
{
	char ok = 1;

	if (argc > 2 && write(atoi(argv[2]), &ok, 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], IDLE_ARG))
		idle_main(argc, argv);
	if (argc == 4 && !strcmp(argv[1], FILL_ARG))
		fill_main(strtoull(argv[2], NULL, 10), atoi(argv[3]));
	tap_init(argc, argv, 900);
	next_seed = mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	if (!tap_ok(!kcore_scan_init() && ag_wait_unprotected(5000),
		    "nothing_protected_before_the_scans"))
		return tap_done();

	scenario_kill();
	scenario_children("forked_child", 'g');
	scenario_children("execd_child", 'e');
	scenario_exec();
	scenario_unmap("munmap", 'u');
	scenario_unmap("dontneed", 'd');
	scenario_lazyfree();
	scenario_compact();
	scenario_move("migrate", 's', 'o', AIGUARD_MOVE_MIGRATE);
	scenario_move("collapse", 'H', 'c', AIGUARD_MOVE_COLLAPSE);
	keep_cow_before_protect();
	keep_cow_protected_child();
	keep_mremap_and_huge();
	return tap_done();
}
