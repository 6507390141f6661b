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
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

static int nr_protected(void)
{
	struct aiguard_stats st;

	return ag_stats(&st) ? -1 : (int)st.nr_protected;
}

/* Waits up to 2 s for the registry to empty. */
static int wait_unprotected(void)
{
	int i;

	for (i = 0; i < 40 && nr_protected() != 0; i++)
		usleep(50 * 1000);
	return nr_protected() == 0;
}

int main(int argc, char **argv)
{
	struct target ctl, prot;
	int found, early, sampler, base;

	tap_init(argc, argv, 120);
	if (!tap_ok(wait_unprotected(), "nothing_protected_before_the_control"))
		tap_diag("  nr_protected=%d: the control needs an empty registry",
			 nr_protected());

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
	tap_ok(wait_unprotected(), "registry_empty_after_target_exit");
	found = kcore_find(ctl.c.heap);
	tap_ok(found == 1, "kcore_reopens_when_nothing_is_protected");
	tap_ok(early >= 0 && kcore_scan(early, ctl.c.heap) == 1,
	       "kcore_preopened_descriptor_reads_again_when_nothing_is_protected");
	if (early >= 0)
		close(early);
	target_stop(&ctl);
	return tap_done();
}
