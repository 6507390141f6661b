// SPDX-License-Identifier: GPL-2.0
/* /dev/aiguard ioctl errors and state transitions. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib.h"

static struct target ctl;

static void init_protect(struct aiguard_protect *p, uint32_t type, int id, const char *label)
{
	memset(p, 0, sizeof(*p));
	p->target.type = type;
	p->target.id = id;
	if (label)
		strncpy(p->label, label, sizeof(p->label) - 1);
}

/* PROTECT must fail with want; a wrong success is undone. */
static void protect_fails(struct aiguard_protect *p, int want, const char *name)
{
	long ret = ioctl(ag_fd(), AIGUARD_IOC_PROTECT, p);
	int err = errno;

	expect_fail(ret, err, want, 0, "%s", name);
	if (ret == 0)	/* undo the wrong success (SELF: the test itself) */
		ag_unprotect(p->target.type == AIGUARD_TARGET_SELF ? AIGUARD_TARGET_SELF :
			     AIGUARD_TARGET_PIDFD, p->target.type == AIGUARD_TARGET_SELF ? 0 : ctl.pidfd);
}

static void protect_ctl_fails(uint32_t flags, uint32_t reserved, const char *label,
			      size_t label_len, int want, const char *name)
{
	struct aiguard_protect p;

	init_protect(&p, AIGUARD_TARGET_PIDFD, ctl.pidfd, NULL);
	p.flags = flags;
	p.reserved = reserved;
	if (label)
		memcpy(p.label, label, label_len);
	protect_fails(&p, want, name);
}

static void version(void)
{
	struct aiguard_version v;

	memset(&v, 0xff, sizeof(v));
	if (ioctl(ag_fd(), AIGUARD_IOC_GET_VERSION, &v) < 0) {
		tap_ok(0, "get_version_matches_header");
		tap_diag("  %s", ag_fd() < 0 ? ag_error() : strerror(errno));
		return;
	}
	tap_ok(v.abi_version == AIGUARD_ABI_VERSION && v.label_max == AIGUARD_LABEL_MAX &&
	       v.features == 0 && v.reserved == 0, "get_version_matches_header");
	tap_diag("  abi_version %u features %#x label_max %u reserved %u", v.abi_version,
		 v.features, v.label_max, v.reserved);
}

static void bad_pointers(void)
{
	static const struct { const char *name; unsigned long cmd; } cmds[] = {
		{ "get_version", AIGUARD_IOC_GET_VERSION },
		{ "protect", AIGUARD_IOC_PROTECT },
		{ "unprotect", AIGUARD_IOC_UNPROTECT },
		{ "query", AIGUARD_IOC_QUERY },
		{ "list", AIGUARD_IOC_LIST },
		{ "get_stats", AIGUARD_IOC_GET_STATS },
	};
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		EXPECT_FAIL(ioctl(ag_fd(), cmds[i].cmd, NULL), EFAULT, 0,
			    "%s_null_efault", cmds[i].name);
		EXPECT_FAIL(ioctl(ag_fd(), cmds[i].cmd, bad), EFAULT, 0,
			    "%s_unmapped_efault", cmds[i].name);
	}
	/* LIST with a bad entries array while something is protected */
	struct aiguard_list l;

	memset(&l, 0, sizeof(l));
	l.entries = (uintptr_t)bad;
	l.capacity = 4;
	if (ag_protect(AIGUARD_TARGET_PIDFD, ctl.pidfd, "e2e-ioctl", NULL) == 0) {
		EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_LIST, &l), EFAULT, 0,
			    "list_bad_entries_efault");
		ag_unprotect(AIGUARD_TARGET_PIDFD, ctl.pidfd);
	} else {
		tap_ok(0, "list_bad_entries_efault");
		tap_diag("  protect failed: %s", ag_fd() < 0 ? ag_error() : strerror(errno));
	}
	munmap(bad, 4096);
}

static void einval(void)
{
	struct aiguard_protect p;
	struct aiguard_unprotect u;
	struct aiguard_query q;
	struct aiguard_list l;
	char longlabel[AIGUARD_LABEL_MAX];

	protect_ctl_fails(1U << 31, 0, NULL, 0, EINVAL, "protect_undefined_flag_einval");
	protect_ctl_fails(0, 1, NULL, 0, EINVAL, "protect_reserved_einval");
	protect_ctl_fails(0, 0, "bad label", 9, EINVAL, "protect_label_space_einval");
	protect_ctl_fails(0, 0, "a/b", 3, EINVAL, "protect_label_slash_einval");
	protect_ctl_fails(0, 0, "@1", 2, EINVAL, "protect_label_at_einval");
	protect_ctl_fails(0, 0, "caf\xc3\xa9", 5, EINVAL, "protect_label_utf8_einval");
	memset(longlabel, 'a', sizeof(longlabel));
	protect_ctl_fails(0, 0, longlabel, sizeof(longlabel), EINVAL, "protect_label_no_nul_einval");
	protect_ctl_fails(0, 0, "abc\0x", 5, EINVAL, "protect_label_garbage_after_nul_einval");

	init_protect(&p, 7, ctl.pidfd, "e2e-ioctl");
	protect_fails(&p, EINVAL, "protect_unknown_target_type_einval");
	init_protect(&p, AIGUARD_TARGET_SELF, 5, "e2e-ioctl");
	protect_fails(&p, EINVAL, "protect_self_nonzero_id_einval");

	memset(&u, 0, sizeof(u));
	u.target.type = AIGUARD_TARGET_PIDFD;
	u.target.id = ctl.pidfd;
	u.flags = 1;
	EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_UNPROTECT, &u), EINVAL, 0, "unprotect_flags_einval");
	u.flags = 0;
	u.reserved = 1;
	EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_UNPROTECT, &u), EINVAL, 0, "unprotect_reserved_einval");

	memset(&q, 0, sizeof(q));
	q.target.type = AIGUARD_TARGET_PIDFD;
	q.target.id = ctl.pidfd;
	q.flags = 1;
	EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_QUERY, &q), EINVAL, 0, "query_flags_einval");
	q.flags = 0;
	q.reserved = 1;
	EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_QUERY, &q), EINVAL, 0, "query_reserved_einval");
	q.reserved = 0;
	q.target.type = 7;
	EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_QUERY, &q), EINVAL, 0, "query_unknown_target_type_einval");

	memset(&l, 0, sizeof(l));
	l.flags = 1;
	EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_LIST, &l), EINVAL, 0, "list_flags_einval");
	l.flags = 0;
	l.reserved = 1;
	EXPECT_FAIL(ioctl(ag_fd(), AIGUARD_IOC_LIST, &l), EINVAL, 0, "list_reserved_einval");
}

static void bad_targets(void)
{
	struct aiguard_process_info info;
	int pidfd, devnull;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	waitpid(pid, NULL, 0);
	EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PID, pid, "e2e-ioctl", NULL), ESRCH, 0,
		    "protect_dead_pid_esrch");
	EXPECT_FAIL(ag_query(AIGUARD_TARGET_PID, pid, &info), ESRCH, 0,
		    "query_dead_pid_esrch");
	if (pidfd >= 0)
		EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PIDFD, pidfd, "e2e-ioctl", NULL), ESRCH, 0, "protect_pidfd_of_reaped_esrch");
	close(pidfd);

	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PIDFD, devnull, "e2e-ioctl", NULL), EBADF, 0,
		    "protect_pidfd_not_a_pidfd_ebadf");
	close(devnull);
	EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PIDFD, 999, "e2e-ioctl", NULL), EBADF, 0,
		    "protect_pidfd_closed_fd_ebadf");
	EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PID, -1, "e2e-ioctl", NULL), ESRCH, EINVAL,
		    "protect_negative_pid_esrch_or_einval");
	/*
	 * kthreadd: protected, it would hand an entry to every kernel
	 * thread it creates from then on. A wrong success is undone.
	 */
	if (EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PID, 2, "e2e-ioctl", NULL), EINVAL, 0,
			"protect_kernel_thread_einval") == 0 &&
	    ag_query(AIGUARD_TARGET_PID, 2, &info) == 0 && (info.flags & AIGUARD_PROC_PROTECTED))
		ag_unprotect(AIGUARD_TARGET_PID, 2);
}

static void transitions(void)
{
	struct aiguard_process_info info;
	char label[AIGUARD_LABEL_MAX] = "";

	EXPECT_FAIL(ag_unprotect(AIGUARD_TARGET_PIDFD, ctl.pidfd), ENOENT, 0,
		    "unprotect_unprotected_enoent");
	memset(&info, 0xff, sizeof(info));
	if (ag_query(AIGUARD_TARGET_PIDFD, ctl.pidfd, &info) == 0)
		tap_ok(info.flags == 0 && info.label[0] == 0 && (pid_t)info.pid == ctl.pid,
		       "query_unprotected_flags_0");
	else
		tap_ok(0, "query_unprotected_flags_0");

	/* being traced: EBUSY */
	if (ptrace(PTRACE_SEIZE, ctl.pid, NULL, NULL) == 0) {
		EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PIDFD, ctl.pidfd, "e2e-one", NULL), EBUSY, 0, "protect_traced_ebusy");
		ag_unprotect(AIGUARD_TARGET_PIDFD, ctl.pidfd);
		/* PTRACE_DETACH needs a stopped tracee: a seized one is running. */
		ptrace(PTRACE_INTERRUPT, ctl.pid, NULL, NULL);
		waitpid(ctl.pid, NULL, __WALL);
		if (ptrace(PTRACE_DETACH, ctl.pid, NULL, NULL))
			tap_diag("  PTRACE_DETACH of control: %s", strerror(errno));
	} else {
		tap_ok(0, "protect_traced_ebusy");
		tap_diag("  PTRACE_SEIZE of control: %s", strerror(errno));
	}

	EXPECT_RET(ag_protect(AIGUARD_TARGET_PID, ctl.pid, "e2e-one", label), 0,
		   "protect_by_pid");
	EXPECT_FAIL(ag_protect(AIGUARD_TARGET_PIDFD, ctl.pidfd, "e2e-two", NULL), EEXIST, 0,
		    "protect_again_other_label_eexist");
	EXPECT_RET(ag_protect(AIGUARD_TARGET_PIDFD, ctl.pidfd, "e2e-one", NULL), 0,
		   "protect_again_same_label_ok");
	EXPECT_FAIL(ag_protect_flags(AIGUARD_TARGET_PIDFD, ctl.pidfd, "e2e-one", NULL,
				     AIGUARD_PROTECT_PERMISSIVE), EEXIST, 0,
		    "protect_again_permissive_eexist");
	memset(&info, 0, sizeof(info));
	tap_ok(ag_query(AIGUARD_TARGET_PIDFD, ctl.pidfd, &info) == 0 &&
	       !(info.flags & AIGUARD_PROC_PERMISSIVE), "query_still_enforcing");
	memset(&info, 0, sizeof(info));
	tap_ok(ag_query(AIGUARD_TARGET_PIDFD, ctl.pidfd, &info) == 0 &&
	       (info.flags & AIGUARD_PROC_PROTECTED) && strcmp(info.label, "e2e-one") == 0,
	       "query_keeps_first_label");
	EXPECT_RET(ag_unprotect(AIGUARD_TARGET_PIDFD, ctl.pidfd), 0, "unprotect_protected");
	memset(&info, 0xff, sizeof(info));
	tap_ok(ag_query(AIGUARD_TARGET_PIDFD, ctl.pidfd, &info) == 0 && info.flags == 0,
	       "query_after_unprotect_flags_0");
	EXPECT_FAIL(ag_unprotect(AIGUARD_TARGET_PIDFD, ctl.pidfd), ENOENT, 0,
		    "unprotect_twice_enoent");
}

/* In a child without CAP_SYS_ADMIN (capset or uid 65534), fd kept open. */
static void no_cap_sys_admin(int use_setuid)
{
	const char *how = use_setuid ? "setresuid" : "capset";
	int res[6] = { -1, 0, -1, 0, -1, 0 }, p[2];
	pid_t pid;

	if (ag_fd() < 0 || pipe(p) < 0) {
		tap_ok(0, "protect_without_cap_sys_admin_%s_eperm", how);
		tap_ok(0, "unprotect_without_cap_sys_admin_%s_eperm", how);
		tap_diag("  %s", ag_error());
		return;
	}
	/* something protected to unprotect */
	ag_protect(AIGUARD_TARGET_PIDFD, ctl.pidfd, "e2e-caps", NULL);
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		struct aiguard_version v;
		int r = -1;

		if (use_setuid) {
			r = setresuid(65534, 65534, 65534);
		} else if (syscall(SYS_capget, &h, d) == 0) {
			d[0].effective &= ~(1U << CAP_SYS_ADMIN);
			d[0].permitted &= ~(1U << CAP_SYS_ADMIN);
			r = syscall(SYS_capset, &h, d);
		}
		if (r < 0)
			_exit(3);
		res[0] = ag_protect(AIGUARD_TARGET_PIDFD, ctl.pidfd, "e2e-caps", NULL);
		res[1] = errno;
		res[2] = ag_unprotect(AIGUARD_TARGET_PIDFD, ctl.pidfd);
		res[3] = errno;
		res[4] = ioctl(ag_fd(), AIGUARD_IOC_GET_VERSION, &v);
		res[5] = errno;
		if (write(p[1], res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };

	if (poll(&pfd, 1, 5000) != 1 || read(p[0], res, sizeof(res)) != sizeof(res))
		tap_diag("  child (%s) gave no answer", how);
	close(p[0]);
	wait_timeout(pid, NULL, 0, 5000);
	expect_fail(res[0], res[1], EPERM, 0, "protect_without_cap_sys_admin_%s_eperm", how);
	expect_fail(res[2], res[3], EPERM, 0, "unprotect_without_cap_sys_admin_%s_eperm", how);
	tap_diag("  GET_VERSION without CAP_SYS_ADMIN (%s): ret %d errno %s", how, res[4],
		 res[4] ? errname(res[5]) : "0");
	ag_unprotect(AIGUARD_TARGET_PIDFD, ctl.pidfd);
}

int main(int argc, char **argv)
{
	tap_init(argc, argv, 60);
	target_spawn(&ctl, TGT_CONTROL, NULL);

	version();
	EXPECT_FAIL(ioctl(ag_fd(), _IOR(AIGUARD_IOC_MAGIC, 0x3f, struct aiguard_version), &ctl), ENOTTY, 0, "unknown_cmd_enotty");
	EXPECT_FAIL(ioctl(ag_fd(), _IO('T', 1), 0), ENOTTY, 0, "foreign_cmd_enotty");
	bad_pointers();
	einval();
	bad_targets();
	transitions();
	no_cap_sys_admin(0);
	no_cap_sys_admin(1);

	target_stop(&ctl);
	return tap_done();
}
