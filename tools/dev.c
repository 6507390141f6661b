// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - talking to the module through /dev/aiguard.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tool.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* same number on every architecture */
#endif

#define LOCKED_TEXT "the aiguard policy is locked (aiguard lock); reboot to change it"
#define UNCHECKED_TEXT "a loaded BPF program reads kernel memory where aiguard cannot check " \
	"it (bpf_rdonly_cast, or past the end of a kernel struct); unload it first " \
	"(aiguard status counts them, the kernel log says when one loads)"

int get_status(int fd, struct aiguard_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, AIGUARD_IOC_GET_STATUS, st) ? errno : 0;
}

/* get_status(), saying why it failed. Returns an exit code. */
int read_status(int fd, struct aiguard_status *st)
{
	int e = get_status(fd, st);

	if (e)
		errmsg("cannot read the module state: %s", errno_text(e));
	return e ? fail_exit(e) : EX_AG_OK;
}

/*
 * errno_text(), except that an EPERM from a locked module says so: after
 * "aiguard lock" root gets EPERM too, and "needs root" would mislead.
 * And an EBUSY is a tracer or a BPF program that reads kernel memory
 * unchecked: the status tells which.
 */
const char *fail_text(int fd, int e)
{
	struct aiguard_status st;

	if (e == EPERM && fd >= 0 && !get_status(fd, &st) &&
	    (st.state & AIGUARD_STATE_LOCKED))
		return LOCKED_TEXT;
	if (e == EBUSY && fd >= 0 && !get_status(fd, &st) && st.unchecked_progs)
		return UNCHECKED_TEXT;
	return errno_text(e);
}

/*
 * fail_text() for a protect request, whose EIO means a hook it needs
 * could not be attached (uapi/linux/aiguard.h, AIGUARD_IOC_PROTECT).
 */
const char *protect_fail_text(int fd, int e)
{
	if (e == EIO)
		return "the module could not attach a hook that protection needs "
		       "(the kernel log says which: dmesg | grep aiguard)";
	return fail_text(fd, e);
}

#define AIGUARD_SYSFS_DEV "/sys/class/misc/" AIGUARD_DEVICE_NAME "/dev"

/*
 * The node must be the module's: a character device with the number the
 * loaded module registered. Anything else (a node left from another
 * boot, a file or another device put in its place) is not talked to:
 * "aiguard exec" must never take a workload for protected when it is
 * not. Returns 0, or -exitcode after saying why.
 */
static int check_node(int fd, bool quiet)
{
	unsigned int maj, min;
	char buf[32] = "";
	struct stat st;
	ssize_t n = -1;
	int sfd;

	if (fstat(fd, &st) == 0 && !S_ISCHR(st.st_mode)) {
		if (!quiet)
			errmsg("%s is not a character device, so not the aiguard module's node (remove it; loading the module creates it)",
			       AIGUARD_DEV_PATH);
		return -EX_AG_NOMODULE;
	}
	sfd = open(AIGUARD_SYSFS_DEV, O_RDONLY | O_CLOEXEC);
	if (sfd >= 0) {
		n = read(sfd, buf, sizeof(buf) - 1);
		close(sfd);
	}
	if (n <= 0) {
		if (!quiet)
			errmsg("%s exists, but the aiguard module is not loaded (no %s; run: modprobe aiguard)",
			       AIGUARD_DEV_PATH, AIGUARD_SYSFS_DEV);
		return -EX_AG_NOMODULE;
	}
	buf[n] = '\0';
	if (sscanf(buf, "%u:%u", &maj, &min) == 2 &&
	    maj == major(st.st_rdev) && min == minor(st.st_rdev))
		return 0;
	if (!quiet)
		errmsg("%s is device %u:%u, but the aiguard module's is %s (%s): the node was replaced; remove it and run: udevadm trigger, or mknod %s c %u %u",
		       AIGUARD_DEV_PATH, major(st.st_rdev), minor(st.st_rdev),
		       printable(strtok(buf, "\n") ?: buf), AIGUARD_SYSFS_DEV,
		       AIGUARD_DEV_PATH, maj, min);
	return -EX_AG_NOMODULE;
}

/*
 * Open the device. On failure, print why and return -exitcode.
 * quiet: print nothing (used by "version").
 */
int open_dev(bool quiet)
{
	int fd = open(AIGUARD_DEV_PATH, O_RDWR | O_CLOEXEC);
	int e = errno;

	if (fd >= 0) {
		int rc = check_node(fd, quiet);

		if (!rc)
			return fd;
		close(fd);
		return rc;
	}
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

/*
 * One request about one process: name pid in *t (a field of arg), issue
 * req, let go of the name. Returns 0 or an errno.
 */
int target_ioctl(int fd, unsigned long req, void *arg,
		 struct aiguard_target *t, pid_t pid)
{
	int e = make_target(pid, t);

	if (e)
		return e;
	e = ioctl(fd, req, arg) ? errno : 0;
	put_target(t);
	return e;
}

/* QUERY one pid. Returns 0 or an errno. */
int query_pid(int fd, pid_t pid, struct aiguard_process_info *info)
{
	struct aiguard_query q;
	int e;

	memset(&q, 0, sizeof(q));
	e = target_ioctl(fd, AIGUARD_IOC_QUERY, &q, &q.target, pid);
	if (!e) {
		*info = q.info;
		info->label[AIGUARD_LABEL_MAX - 1] = '\0';
	}
	return e;
}

/* LIST or LIST_GRANTS: the same layout, other types. Returns 0 or an errno. */
static int list_ioctl(int fd, unsigned long req, void *ents, uint32_t cap,
		      uint32_t *count, uint32_t *total)
{
	struct aiguard_list pl = { .entries = (uintptr_t)ents, .capacity = cap };
	struct aiguard_grant_list gl = { .entries = (uintptr_t)ents, .capacity = cap };
	bool procs = req == AIGUARD_IOC_LIST;

	if (ioctl(fd, req, procs ? (void *)&pl : (void *)&gl))
		return errno;
	*count = procs ? pl.count : gl.count;
	*total = procs ? pl.total : gl.total;
	return 0;
}

/*
 * The two-call pattern of LIST and LIST_GRANTS: count, then fetch into an
 * array with room to spare, again while the set outgrows it. Returns 0 or
 * an errno (EAGAIN: it kept changing); *out is malloc'ed, NULL if empty.
 */
int fetch_list(int fd, unsigned long req, size_t size, uint32_t spare,
	       void **out, uint32_t *n)
{
	uint32_t cap = 0, count = 0, total = 0;
	void *ents = NULL, *m;
	int e;

	for (int tries = 0;; tries++) {
		e = list_ioctl(fd, req, ents, cap, &count, &total);
		if (e)
			break;
		if (total <= count && (ents || total == 0)) {
			*n = count > cap ? cap : count;	/* never trust a count blindly */
			*out = ents;
			return 0;
		}
		if (tries >= 8) {
			e = EAGAIN;
			break;
		}
		cap = total + total / 4 + spare;
		m = realloc(ents, (size_t)cap * size);
		if (!m) {
			e = ENOMEM;
			break;
		}
		ents = m;
	}
	free(ents);
	return e;
}
