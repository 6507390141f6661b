// SPDX-License-Identifier: GPL-2.0
/*
 * flood - many denials, fast: opens /proc/PID/mem of a protected process N
 * times and counts the results. Used by tests/e2e/t_ops.sh to check that a
 * burst of denials neither stalls the guest nor loses counts.
 *
 *   flood PID [N [MAX_SECONDS]]      N defaults to 1000000
 *
 * Stops early after MAX_SECONDS (default: no limit) so a slow emulator
 * cannot push the caller past its timeout. Prints one line:
 *   flood: attempts=A eacces=E eperm=P opened=O other=X seconds=S.sss rate=R/s
 * and exits 0 if every attempt was refused with EACCES, 1 otherwise, 2 on
 * a usage error. Each attempt is one openat() relative to /proc/PID, so
 * the kernel makes one ptrace_may_access() decision per attempt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int parse_ul(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long pid, n = 1000000, max_sec = 0, i;
	unsigned long eacces = 0, eperm = 0, opened = 0, other = 0;
	int other_errno = 0, dfd;
	double t0, t1, limit;
	char path[64];

	if (argc < 2 || argc > 4 || parse_ul(argv[1], INT_MAX, &pid) || pid == 0 ||
	    (argc > 2 && parse_ul(argv[2], ULONG_MAX, &n)) ||
	    (argc > 3 && parse_ul(argv[3], 86400, &max_sec))) {
		fprintf(stderr, "usage: flood PID [N [MAX_SECONDS]]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%lu", pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "flood: %s: %s\n", path, strerror(errno));
		return 1;
	}
	t0 = now();
	limit = max_sec ? t0 + (double)max_sec : 0;
	for (i = 0; i < n; i++) {
		int fd = openat(dfd, "mem", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			opened++;
			close(fd);
		} else if (errno == EACCES) {
			eacces++;
		} else if (errno == EPERM) {
			eperm++;
		} else {
			other++;
			other_errno = errno;
		}
		/* the clock costs little next to an openat; check every 4096 */
		if (limit && (i & 4095) == 4095 && now() >= limit) {
			i++;
			break;
		}
	}
	t1 = now();
	close(dfd);
	printf("flood: attempts=%lu eacces=%lu eperm=%lu opened=%lu other=%lu seconds=%.3f rate=%.0f/s%s\n",
	       i, eacces, eperm, opened, other, t1 - t0,
	       t1 > t0 ? (double)i / (t1 - t0) : 0.0,
	       i < n ? " (stopped at the time limit)" : "");
	if (other)
		fprintf(stderr, "flood: last unexpected error: %s\n", strerror(other_errno));
	return eacces == i ? 0 : 1;
}
