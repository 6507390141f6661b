// SPDX-License-Identifier: GPL-2.0
/*
 * unload_race - try to win the race between the delete_module() check
 * and the kernel's own read of the module name.
 *
 *   unload_race NAME SECONDS
 *
 * One thread keeps flipping a buffer between NAME and a name that differs
 * in its last byte; the main thread calls delete_module(buffer, O_TRUNC |
 * O_NONBLOCK) (rmmod -f) in a loop. A check that reads the name from user
 * memory can be shown the other name while the kernel unloads NAME.
 * Prints "attempts N unloaded M errno-counts ..." and exits 0 when no
 * call succeeded, 1 when one did, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char name[64];
static size_t len;
static atomic_int stop;

static void *flipper(void *arg)
{
	char a = name[len - 1], b = a ^ 1;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		((volatile char *)name)[len - 1] = b;
		((volatile char *)name)[len - 1] = a;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long attempts = 0, unloaded = 0, eperm = 0, other = 0;
	pthread_t th;
	time_t end;

	if (argc != 3 || !*argv[1] || strlen(argv[1]) >= sizeof(name)) {
		fprintf(stderr, "usage: unload_race NAME SECONDS\n");
		return 2;
	}
	len = strlen(argv[1]);
	memcpy(name, argv[1], len + 1);
	end = time(NULL) + atoi(argv[2]);
	if (pthread_create(&th, NULL, flipper, NULL))
		return 2;
	while (time(NULL) < end) {
		attempts++;
		if (syscall(SYS_delete_module, name, O_TRUNC | O_NONBLOCK) == 0)
			unloaded++;
		else if (errno == EPERM)
			eperm++;
		else
			other++;
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("attempts %ld unloaded %ld eperm %ld other %ld\n", attempts, unloaded,
	       eperm, other);
	return unloaded ? 1 : 0;
}
