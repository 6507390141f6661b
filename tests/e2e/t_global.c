// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-machine read paths that name no process: /proc/kcore (all of RAM)
 * and CPU-wide perf events sampling user stacks. aiguard closes them while
 * any process is protected and reopens them when none is.
 *
 * The control runs first, with nothing protected: kcore must really hand
 * out user memory (a canary an unprotected target and this test hold),
 * and the perf event must open.
 *
 * A /proc/kcore descriptor opened while nothing was protected must stop
 * reading once something is (every read is checked, not only the open).
 * A CPU-wide user-sampling perf event opened then cannot be stopped per
 * process; GET_STATUS counts it (sampling_events) so status can say so.
 */
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

#define KCORE "/proc/kcore"
#define CHUNK (1 << 20)

/*
 * Scans the RAM segments of /proc/kcore for needle. Returns 1 when found,
 * 0 when not, -1 with errno when kcore cannot be opened or read.
 */
static int kcore_scan(int fd, const char *needle)
{
	size_t nlen = strlen(needle);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	ssize_t got;
	char *buf;
	int i, found = 0;

	buf = malloc(CHUNK + nlen);
	got = buf ? pread(fd, &eh, sizeof(eh), 0) : -1;
	if (got != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		int e = got < 0 ? errno : EIO;

		free(buf);
		errno = e;
		return -1;
	}
	for (i = 0; i < eh.e_phnum && !found; i++) {
		off_t off;
		size_t left;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * eh.e_phentsize) !=
		    sizeof(ph))
			break;
		/* RAM and kernel text have a physical address; the rest is -1. */
		if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1 ||
		    ph.p_filesz > (4ULL << 30))
			continue;
		for (off = ph.p_offset, left = ph.p_filesz; left && !found;) {
			size_t n = left < CHUNK ? left : CHUNK;
			ssize_t got = pread(fd, buf, n, off);

			if (got <= 0)
				break;
			found = has(buf, got, needle);
			off += got;
			left -= got;
		}
	}
	free(buf);
	return found;
}

static int kcore_find(const char *needle)
{
	int fd = open(KCORE, O_RDONLY), found, e;

	if (fd < 0)
		return -1;
	found = kcore_scan(fd, needle);
	e = errno;
	close(fd);
	errno = e;
	return found;
}

static int sampling_events(void)
{
	struct aiguard_status st;

	memset(&st, 0, sizeof(st));
	return ioctl(ag_fd(), AIGUARD_IOC_GET_STATUS, &st) ? -1 : (int)st.sampling_events;
}

/* Opens a CPU-wide event on CPU 0; returns its fd or -1. */
static int perf_cpu_wide_open(uint64_t sample_type)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.disabled = 1;
	if (sample_type) {
		a.sample_period = 100000;
		a.sample_type = sample_type;
		if (sample_type & PERF_SAMPLE_STACK_USER)
			a.sample_stack_user = 4096;
		if (sample_type & PERF_SAMPLE_REGS_USER)
			a.sample_regs_user = 1;	/* AX: an empty mask is EINVAL */
	}
	/* CLOEXEC: a target spawned meanwhile must not hold the event open. */
	fd = syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	return (int)fd;
}

static long perf_cpu_wide(uint64_t sample_type)
{
	int fd = perf_cpu_wide_open(sample_type);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

/* ---- a CPU-wide sampler opened before protection --------------------------- */

#define SAMPLE_REG_R12	20	/* PERF_REG_X86_R12 */
#define SAMPLE_REG_SP	7	/* PERF_REG_X86_SP */
#define SAMPLE_STACK	2048
#define RING_PAGES	64
#define SPIN_MARK	0x5a4d4d5053505553ULL	/* in r12 while spinning */

static const char spin_canary[] = "STACK-CANARY-of-the-spinner-0123456789";

/*
 * Spins on CPU 0 with a canary in a stack buffer and SPIN_MARK in r12,
 * which a user-registers sample shows. Never returns.
 */
static void spinner(void)
{
	register uint64_t mark asm("r12") = SPIN_MARK;
	volatile char buf[64];
	cpu_set_t one;
	size_t i;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < sizeof(spin_canary); i++)
		buf[i] = spin_canary[i];
	for (;;)
		asm volatile("" : "+r"(mark) : "r"(buf) : "memory");
}

static pid_t spawn_spinner(void)
{
	pid_t pid = fork();

	if (pid == 0)
		spinner();
	if (pid > 0)
		track_child(pid);
	return pid;
}

struct sample_tally {
	int samples;		/* PERF_RECORD_SAMPLEs of the pid */
	int with_stack;		/* with stack bytes (dyn_size > 0) */
	int canary;		/* with the canary in those bytes */
	int mark;		/* with SPIN_MARK in r12 */
	int nonzero_regs;	/* with any register not 0 */
};

/*
 * Walks the ring of an event with TID | REGS_USER (SP, R12) | STACK_USER
 * and tallies the samples of two pids.
 */
static void tally_ring(void *ring, pid_t pid[2], struct sample_tally t[2])
{
	struct perf_event_mmap_page *meta = ring;
	unsigned char *data = (unsigned char *)ring + meta->data_offset;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t size = meta->data_size, pos;
	static unsigned char rec[65536];

	for (pos = meta->data_tail; pos + sizeof(struct perf_event_header) <= head;) {
		struct perf_event_header h;
		size_t i, off;

		for (i = 0; i < sizeof(h); i++)
			((unsigned char *)&h)[i] = data[(pos + i) % size];
		if (!h.size)
			break;
		for (i = 0; i < h.size; i++)
			rec[i] = data[(pos + i) % size];
		pos += h.size;
		if (h.type != PERF_RECORD_SAMPLE)
			continue;
		off = sizeof(h);
		{
			uint32_t spid = *(uint32_t *)(rec + off);
			uint64_t abi, regs[2] = { 0, 0 }, ssize, dyn = 0;
			int k = spid == (uint32_t)pid[0] ? 0 : spid == (uint32_t)pid[1] ? 1 : -1;

			off += 8;
			abi = *(uint64_t *)(rec + off);
			off += 8;
			if (abi) {
				/* mask order: SP (bit 7), then R12 (bit 20) */
				regs[0] = *(uint64_t *)(rec + off);
				regs[1] = *(uint64_t *)(rec + off + 8);
				off += 16;
			}
			ssize = *(uint64_t *)(rec + off);
			off += 8;
			if (ssize)
				dyn = *(uint64_t *)(rec + off + ssize);
			if (k < 0)
				continue;
			t[k].samples++;
			t[k].with_stack += dyn > 0;
			t[k].canary += dyn > 0 && has(rec + off, dyn, spin_canary);
			t[k].mark += regs[1] == SPIN_MARK;
			t[k].nonzero_regs += regs[0] || regs[1];
		}
	}
}

/*
 * A CPU-wide event that copies user stacks and registers, opened while
 * nothing was protected, keeps sampling every task: in a protected one
 * its samples carry no stack bytes and zero registers; in an unprotected
 * one, all of them.
 */
static void sampling_before_protection(void)
{
	struct sample_tally t[2];
	struct perf_event_attr a;
	pid_t pid[2];
	void *ring;
	int fd, pidfd;

	memset(&a, 0, sizeof(a));
	memset(t, 0, sizeof(t));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.disabled = 1;
	a.sample_period = 200000;	/* 0.2 ms of CPU */
	a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	a.sample_regs_user = (1ULL << SAMPLE_REG_SP) | (1ULL << SAMPLE_REG_R12);
	a.sample_stack_user = SAMPLE_STACK;
	fd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	ring = fd < 0 ? MAP_FAILED : mmap(NULL, (RING_PAGES + 1) * 4096UL,
					  PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!tap_ok(fd >= 0 && ring != MAP_FAILED,
		    "sampler_opened_while_nothing_is_protected (%s)",
		    fd < 0 ? strerror(errno) : ring == MAP_FAILED ? "mmap failed" : "ok")) {
		if (fd >= 0)
			close(fd);
		return;
	}
	pid[0] = spawn_spinner();
	pid[1] = spawn_spinner();
	pidfd = (int)syscall(SYS_pidfd_open, pid[1], 0);
	tap_ok(pidfd >= 0 && ag_protect(AIGUARD_TARGET_PIDFD, pidfd, "e2e-sampled", NULL) == 0,
	       "sampler_second_spinner_protected_after_the_event_was_opened");
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	sleep(2);
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	tally_ring(ring, pid, t);
	tap_diag("  control: %d samples, %d with stack, %d with the canary, %d with the r12 mark",
		 t[0].samples, t[0].with_stack, t[0].canary, t[0].mark);
	tap_diag("  protected: %d samples, %d with stack, %d with the canary, %d with registers",
		 t[1].samples, t[1].with_stack, t[1].canary, t[1].nonzero_regs);
	tap_ok(t[0].samples > 0 && t[0].canary > 0 && t[0].mark > 0,
	       "sampler_control_samples_carry_its_stack_canary_and_registers");
	tap_ok(t[1].samples > 0, "sampler_keeps_sampling_the_protected_process");
	tap_ok(t[1].samples > 0 && !t[1].with_stack && !t[1].canary && !t[1].nonzero_regs,
	       "sampler_protected_samples_carry_no_stack_bytes_and_zero_registers");
	munmap(ring, (RING_PAGES + 1) * 4096UL);
	close(fd);
	if (pidfd >= 0)
		close(pidfd);
	child_kill(pid[0]);
	child_kill(pid[1]);
	tap_ok(ag_wait_unprotected(2000), "sampler_nothing_protected_afterwards");
}

int main(int argc, char **argv)
{
	struct target ctl, prot;
	int found, early, sampler, base;

	tap_init(argc, argv, 120);
	if (!tap_ok(ag_wait_unprotected(2000), "nothing_protected_before_the_control"))
		tap_diag("  nr_protected=%d: the control needs an empty registry",
			 ag_nr_protected());

	/* control: nothing protected, kcore gives RAM away */
	target_spawn(&ctl, TGT_CONTROL, NULL);
	found = kcore_find(ctl.c.heap);
	if (found < 0)
		tap_diag("  %s: %s", KCORE, strerror(errno));
	tap_ok(found == 1, "kcore_control_leaks_canary");
	early = open(KCORE, O_RDONLY | O_CLOEXEC);
	tap_ok(early >= 0 && kcore_scan(early, ctl.c.heap) == 1,
	       "kcore_preopened_descriptor_reads_while_nothing_is_protected");
	EXPECT_RET(perf_cpu_wide(PERF_SAMPLE_STACK_USER), 0,
		   "perf_cpu_wide_stack_user_control");
	base = sampling_events();
	sampler = perf_cpu_wide_open(PERF_SAMPLE_STACK_USER);
	tap_ok(sampler >= 0 && base >= 0 && sampling_events() == base + 1,
	       "status_counts_a_cpu_wide_user_sampling_event (%d -> %d)",
	       base, sampling_events());

	/* one protected process closes both for everyone */
	target_spawn(&prot, TGT_PIDFD, "e2e-global");
	if (target_is_protected(&prot)) {
		EXPECT_FAIL(open(KCORE, O_RDONLY), EPERM, 0, "kcore_open_while_protected_eperm");
		EXPECT_FAIL(perf_cpu_wide(PERF_SAMPLE_STACK_USER), EACCES, 0,
			    "perf_cpu_wide_stack_user_while_protected_eacces");
		EXPECT_FAIL(perf_cpu_wide(PERF_SAMPLE_REGS_USER), EACCES, 0,
			    "perf_cpu_wide_regs_user_while_protected_eacces");
		/* counting and IP sampling keep working */
		EXPECT_RET(perf_cpu_wide(0), 0, "perf_cpu_wide_counting_while_protected");
		EXPECT_RET(perf_cpu_wide(PERF_SAMPLE_IP), 0,
			   "perf_cpu_wide_ip_sampling_while_protected");
		errno = 0;
		found = early >= 0 ? kcore_scan(early, ctl.c.heap) : 1;
		tap_ok(found == -1 && errno == EPERM,
		       "kcore_preopened_descriptor_read_while_protected_eperm (%d, %s)",
		       found, errname(errno));
		tap_ok(sampling_events() == base + 1,
		       "status_still_reports_the_earlier_sampling_event_while_protected");
	} else {
		tap_ok(0, "kcore_open_while_protected_eperm");
		tap_ok(0, "perf_cpu_wide_stack_user_while_protected_eacces");
		tap_ok(0, "perf_cpu_wide_regs_user_while_protected_eacces");
		tap_ok(0, "perf_cpu_wide_counting_while_protected");
		tap_ok(0, "perf_cpu_wide_ip_sampling_while_protected");
		tap_ok(0, "kcore_preopened_descriptor_read_while_protected_eperm");
		tap_ok(0, "status_still_reports_the_earlier_sampling_event_while_protected");
	}
	if (sampler >= 0)
		close(sampler);
	/* perf may free the event a little after close() returns */
	for (found = 0; found < 40 && sampling_events() != base; found++)
		usleep(50 * 1000);
	tap_ok(sampling_events() == base,
	       "status_forgets_the_sampling_event_once_closed (%d, base %d, waited %d ms)",
	       sampling_events(), base, found * 50);

	/* and the last one leaving reopens them */
	target_stop(&prot);
	tap_ok(ag_wait_unprotected(2000), "registry_empty_after_target_exit");
	found = kcore_find(ctl.c.heap);
	tap_ok(found == 1, "kcore_reopens_when_nothing_is_protected");
	tap_ok(early >= 0 && kcore_scan(early, ctl.c.heap) == 1,
	       "kcore_preopened_descriptor_reads_again_when_nothing_is_protected");
	if (early >= 0)
		close(early);
	target_stop(&ctl);
	sampling_before_protection();
	return tap_done();
}
