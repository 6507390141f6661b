// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the exec, protect and unprotect commands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "opts.h"
#include "tool.h"

/* The PROTECT request that --label and --permissive ask for. */
static void protect_request(const struct args *a, struct aiguard_protect *p)
{
	memset(p, 0, sizeof(*p));
	if (a->permissive)
		p->flags |= AIGUARD_PROTECT_PERMISSIVE;
	if (a->join)
		p->flags |= AIGUARD_PROTECT_JOIN;
	if (a->label)
		memcpy(p->label, a->label, strlen(a->label));
}

int cmd_exec(const struct args *a)
{
	struct aiguard_protect p;
	struct ids ids;
	int fd, rc;

	if (a->argc == 0)
		return usage_error("missing command to execute");
	if (a->label && (rc = check_label(a->label)))
		return rc;
	/* Resolve names before any side effect. */
	rc = resolve_ids(a->user, a->group, &ids);
	if (rc)
		return rc;

	fd = open_checked();
	if (fd < 0) {
		free_ids(&ids);
		return -fd;
	}
	protect_request(a, &p);
	p.target.type = AIGUARD_TARGET_SELF;
	if (ioctl(fd, AIGUARD_IOC_PROTECT, &p)) {
		int e = errno;

		errmsg("cannot protect this process: %s", protect_fail_text(fd, e));
		close(fd);
		free_ids(&ids);
		return errno_exit(e);
	}
	close(fd);

	rc = drop_privileges(&ids);
	free_ids(&ids);
	if (rc)
		return rc;

	execvp(a->argv[0], a->argv);
	rc = errno;
	errmsg("cannot execute '%s': %s", quote_arg(a->argv[0]), strerror(rc));
	return rc == ENOENT ? EX_AG_EXEC_NOENT : EX_AG_EXEC_FAIL;
}

/* One pid's request: says how it went, returns its exit code. */
typedef int (*pid_fn)(int fd, pid_t pid, const struct args *a);

/* fn on every pid operand; when several fail, the highest code wins. */
static int each_pid(const struct args *a, pid_fn fn)
{
	pid_t *pids;
	int fd, rc, worst = EX_AG_OK;

	rc = parse_pids(a, &pids);
	if (rc)
		return rc;
	fd = open_checked();
	if (fd < 0) {
		free(pids);
		return -fd;
	}
	for (int i = 0; i < a->argc; i++) {
		rc = fn(fd, pids[i], a);
		if (rc > worst)
			worst = rc;
	}
	close(fd);
	free(pids);
	return worst;
}

static int protect_pid(int fd, pid_t pid, const struct args *a)
{
	struct aiguard_process_info info;
	struct aiguard_protect p;
	int e;

	protect_request(a, &p);
	e = target_ioctl(fd, AIGUARD_IOC_PROTECT, &p, &p.target, pid);
	if (e == EEXIST && !query_pid(fd, pid, &info) &&
	    (info.flags & AIGUARD_PROC_PROTECTED))
		errmsg("pid %d: already protected with label '%s'%s%s; protecting again "
		       "changes nothing", pid, info.label,
		       info.flags & AIGUARD_PROC_PERMISSIVE ? ", permissive" : "",
		       info.flags & AIGUARD_PROC_ENTER ? ", enter" : "");
	else if (e)
		errmsg("pid %d: %s", pid, protect_fail_text(fd, e));
	if (e)
		return errno_exit(e);
	p.label[AIGUARD_LABEL_MAX - 1] = '\0';
	printf("pid %d: protected, label %s%s\n", pid, p.label,
	       a->permissive ? " (permissive)" : "");
	return EX_AG_OK;
}

int cmd_protect(const struct args *a)
{
	int rc;

	if (a->label && (rc = check_label(a->label)))
		return rc;
	return each_pid(a, protect_pid);
}

static int unprotect_pid(int fd, pid_t pid, const struct args *a UNUSED)
{
	struct aiguard_unprotect u;
	int e;

	memset(&u, 0, sizeof(u));
	e = target_ioctl(fd, AIGUARD_IOC_UNPROTECT, &u, &u.target, pid);
	if (e) {
		errmsg("pid %d: %s", pid, fail_text(fd, e));
		return errno_exit(e);
	}
	printf("pid %d: unprotected\n", pid);
	return EX_AG_OK;
}

int cmd_unprotect(const struct args *a)
{
	return each_pid(a, unprotect_pid);
}
