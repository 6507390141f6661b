// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the allow, revoke and grants commands.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "json.h"
#include "opts.h"
#include "tool.h"

/*
 * LIST_GRANTS. Returns 0 or an errno; *out is malloc'ed (NULL when there
 * are none).
 */
int fetch_grants(int fd, struct aiguard_grant_info **out, uint32_t *n)
{
	void *buf = NULL;
	int e = fetch_list(fd, AIGUARD_IOC_LIST_GRANTS, sizeof(**out), 8, &buf, n);

	*out = buf;
	return e;
}

const char *grants_errtext(int e)
{
	return e == EAGAIN ? "the set of grants keeps changing; giving up" : errno_text(e);
}

/* --tracer, --target and --ttl, all checked before anything is done. */
static int allow_args(const struct args *a, pid_t *tracer, pid_t *target,
		      uint32_t *ttl)
{
	int rc;

	if (!a->tracer || !a->target)
		return usage_error("both --tracer PID and --target PID are required");
	if ((rc = pid_arg("tracer ", a->tracer, tracer)) ||
	    (rc = pid_arg("target ", a->target, target)))
		return rc;
	*ttl = 600;
	if (a->ttl && !parse_u32_range(a->ttl, 1, AIGUARD_GRANT_TTL_MAX, ttl))
		return usage_error("invalid ttl '%s' (expected 1 to %d seconds)",
				   quote_arg(a->ttl), AIGUARD_GRANT_TTL_MAX);
	return EX_AG_OK;
}

/* make_target() for "tracer" or "target", saying why it failed. */
static int name_process(const char *role, pid_t pid, struct aiguard_target *t)
{
	int e = make_target(pid, t);

	if (e)
		errmsg("%s pid %d: %s", role, pid, errno_text(e));
	return e ? fail_exit(e) : EX_AG_OK;
}

/* Why GRANT failed, in words; returns the exit code. */
static int grant_error(int fd, int e, pid_t tracer, pid_t target)
{
	struct aiguard_process_info info;

	if (e == EINVAL && !query_pid(fd, target, &info) &&
	    !(info.flags & AIGUARD_PROC_PROTECTED)) {
		errmsg("target pid %d is not protected (a grant only opens a protected process)",
		       target);
		return EX_AG_NOTPROT;
	}
	if (e == ENOSPC)
		errmsg("too many grants (at most %d); see 'aiguard grants' and 'aiguard revoke'",
		       AIGUARD_GRANTS_MAX);
	else if (e == ESRCH)
		errmsg("tracer %d or target %d: no such process", tracer, target);
	else
		errmsg("cannot grant access: %s", fail_text(fd, e));
	return fail_exit(e);
}

int cmd_allow(const struct args *a)
{
	struct aiguard_grant g;
	pid_t tracer, target;
	int fd, rc;

	memset(&g, 0, sizeof(g));
	rc = allow_args(a, &tracer, &target, &g.ttl_sec);
	if (rc)
		return rc;
	fd = open_checked();
	if (fd < 0)
		return -fd;
	rc = name_process("tracer", tracer, &g.tracer);
	if (!rc && (rc = name_process("target", target, &g.target)))
		put_target(&g.tracer);
	if (rc) {
		close(fd);
		return rc;
	}
	rc = ioctl(fd, AIGUARD_IOC_GRANT, &g) ? errno : 0;
	put_target(&g.tracer);
	put_target(&g.target);
	if (rc)
		rc = grant_error(fd, rc, tracer, target);
	close(fd);
	if (!rc)	/* only the id on stdout, for: ID=$(aiguard allow ...) */
		printf("%" PRIu64 "\n", (uint64_t)g.id);
	return rc;
}

int cmd_revoke(const struct args *a)
{
	struct aiguard_revoke r;
	uint64_t id;
	int fd, e;

	if (a->argc != 1)
		return usage_error(a->argc ? "too many arguments (one grant ID)"
					   : "missing grant ID (see: aiguard grants)");
	if (!parse_u64(a->argv[0], &id))
		return usage_error("invalid grant ID '%s' (expected a decimal number)",
				   quote_arg(a->argv[0]));
	fd = open_checked();
	if (fd < 0)
		return -fd;
	memset(&r, 0, sizeof(r));
	r.id = id;
	e = ioctl(fd, AIGUARD_IOC_REVOKE, &r) ? errno : 0;
	if (e == ENOENT)
		errmsg("no grant with ID %" PRIu64 " (expired, revoked, or a process exited)", id);
	else if (e)
		errmsg("cannot revoke grant %" PRIu64 ": %s", id, fail_text(fd, e));
	close(fd);
	if (e)
		return errno_exit(e);
	printf("grant %" PRIu64 ": revoked\n", id);
	return EX_AG_OK;
}

static void grant_entry(struct json *j, const void *ent)
{
	const struct aiguard_grant_info *g = ent;
	char tc[64], gc[64];

	read_comm((pid_t)g->tracer_pid, tc, sizeof(tc));
	read_comm((pid_t)g->target_pid, gc, sizeof(gc));
	if (!j) {
		printf("%-8" PRIu64 " %-8u %-16s %-8u %-16s %7us %8u\n",
		       (uint64_t)g->id, g->tracer_pid, printable(tc),
		       g->target_pid, printable(gc), g->ttl_left_sec, g->uses);
		return;
	}
	json_object_begin(j);
	json_ku64(j, "id", g->id);
	json_ku64(j, "tracer_pid", g->tracer_pid);
	json_kstr(j, "tracer_comm", tc);
	json_ku64(j, "target_pid", g->target_pid);
	json_kstr(j, "target_comm", gc);
	json_ku64(j, "ttl_left_sec", g->ttl_left_sec);
	json_ku64(j, "uses", g->uses);
	json_object_end(j);
}

int cmd_grants(const struct args *a)
{
	struct aiguard_grant_info *g;
	char header[80];
	uint32_t n;
	int fd, e;

	fd = open_checked();
	if (fd < 0)
		return -fd;
	e = fetch_grants(fd, &g, &n);
	close(fd);
	if (e) {
		errmsg("cannot list grants: %s", grants_errtext(e));
		return fail_exit(e);
	}
	snprintf(header, sizeof(header), "%-8s %-8s %-16s %-8s %-16s %8s %8s\n",
		 "ID", "TRACER", "COMM", "TARGET", "COMM", "TTL", "USES");
	print_listing(a->json, "grants", header, g, sizeof(*g), n, grant_entry);
	free(g);
	return EX_AG_OK;
}
