// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - talking to the module through /dev/aiguard.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tool.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* same number on every architecture */
#endif

#define LOCKED_TEXT "the aiguard policy is locked (aiguard lock); reboot to change it"

int get_status(int fd, struct aiguard_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, AIGUARD_IOC_GET_STATUS, st) ? errno : 0;
}

/*
 * errno_text(), except that an EPERM from a locked module says so: after
 * "aiguard lock" root gets EPERM too, and "needs root" would mislead.
 */
const char *fail_text(int fd, int e)
{
	struct aiguard_status st;

	if (e == EPERM && fd >= 0 && !get_status(fd, &st) &&
	    (st.state & AIGUARD_STATE_LOCKED))
		return LOCKED_TEXT;
	return errno_text(e);
}

/*
 * Open the device. On failure, print why and return -exitcode.
 * quiet: print nothing (used by "version").
 */
int open_dev(bool quiet)
{
	int fd = open(AIGUARD_DEV_PATH, O_RDWR | O_CLOEXEC);
	int e = errno;

	if (fd >= 0)
		return fd;
	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		if (!quiet)
			errmsg("%s not found: the aiguard module is not loaded (run: modprobe aiguard)",
			       AIGUARD_DEV_PATH);
		return -EX_AG_NOMODULE;
	case EACCES:
	case EPERM:
		if (!quiet)
			errmsg("cannot open %s: %s (aiguard needs root)",
			       AIGUARD_DEV_PATH, strerror(e));
		return -EX_AG_PERM;
	default:
		if (!quiet)
			errmsg("cannot open %s: %s", AIGUARD_DEV_PATH, strerror(e));
		return -EX_AG_ERROR;
	}
}

int get_version(int fd, struct aiguard_version *v, bool quiet)
{
	memset(v, 0, sizeof(*v));
	if (ioctl(fd, AIGUARD_IOC_GET_VERSION, v)) {
		int e = errno;

		if (!quiet)
			errmsg("cannot read the module's ABI version: %s", errno_text(e));
		return e == ENOTTY ? EX_AG_ABI : errno_exit(e) == EX_AG_PERM ? EX_AG_PERM : EX_AG_ERROR;
	}
	if (v->abi_version != AIGUARD_ABI_VERSION ||
	    v->label_max != AIGUARD_LABEL_MAX) {
		if (!quiet)
			errmsg("ABI mismatch: module speaks ABI %u (label max %u), this tool speaks ABI %d (label max %d); install matching versions",
			       v->abi_version, v->label_max, AIGUARD_ABI_VERSION,
			       AIGUARD_LABEL_MAX);
		return EX_AG_ABI;
	}
	return EX_AG_OK;
}

/* Open the device and check its ABI. Returns fd, or -exitcode. */
int open_checked(void)
{
	struct aiguard_version v;
	int fd = open_dev(false);
	int rc;

	if (fd < 0)
		return fd;
	rc = get_version(fd, &v, false);
	if (rc) {
		close(fd);
		return -rc;
	}
	return fd;
}

static bool pidfd_unsupported;

/*
 * Name a process for the module: a pidfd when the kernel has pidfd_open
 * (race-free against pid reuse), else its pid. Returns 0 or an errno.
 */
int make_target(pid_t pid, struct aiguard_target *t)
{
	long fd;

	if (!pidfd_unsupported) {
		fd = syscall(SYS_pidfd_open, pid, 0);
		if (fd >= 0) {
			t->type = AIGUARD_TARGET_PIDFD;
			t->id = (__s32)fd;
			return 0;
		}
		if (errno == EINVAL)
			return ESRCH;	/* a thread id, not a process id */
		if (errno != ENOSYS)
			return errno;
		pidfd_unsupported = true;
		errmsg("pidfd_open() is not supported by this kernel; naming processes by pid (racy if a pid is reused)");
	}
	t->type = AIGUARD_TARGET_PID;
	t->id = pid;
	return 0;
}

void put_target(struct aiguard_target *t)
{
	if (t->type == AIGUARD_TARGET_PIDFD)
		close(t->id);
}

/* QUERY one pid. Returns 0 or an errno. */
int query_pid(int fd, pid_t pid, struct aiguard_process_info *info)
{
	struct aiguard_query q;
	int e;

	memset(&q, 0, sizeof(q));
	e = make_target(pid, &q.target);
	if (e)
		return e;
	e = ioctl(fd, AIGUARD_IOC_QUERY, &q) ? errno : 0;
	put_target(&q.target);
	if (!e) {
		*info = q.info;
		info->label[AIGUARD_LABEL_MAX - 1] = '\0';
	}
	return e;
}
