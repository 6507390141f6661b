// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the allow, revoke and grants commands.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "json.h"
#include "tool.h"

/*
 * LIST_GRANTS, two-call pattern like LIST. Returns 0 or an errno; *out is
 * malloc'ed (may be NULL when there are none).
 */
int fetch_grants(int fd, struct aiguard_grant_info **out, uint32_t *n)
{
	struct aiguard_grant_info *ents = NULL;
	struct aiguard_grant_list l;

	memset(&l, 0, sizeof(l));
	for (int tries = 0;; tries++) {
		if (ioctl(fd, AIGUARD_IOC_LIST_GRANTS, &l)) {
			int e = errno;

			free(ents);
			return e;
		}
		if (l.total <= l.count && (ents || l.total == 0))
			break;
		if (tries >= 8) {
			free(ents);
			return EAGAIN;
		}
		{
			uint32_t cap = l.total + l.total / 4 + 8;
			struct aiguard_grant_info *m;

			m = realloc(ents, (size_t)cap * sizeof(*ents));
			if (!m) {
				free(ents);
				return ENOMEM;
			}
			ents = m;
			memset(&l, 0, sizeof(l));
			l.entries = (uintptr_t)ents;
			l.capacity = cap;
		}
	}
	*n = l.count > l.capacity ? l.capacity : l.count;	/* never trust a count blindly */
	*out = ents;
	return 0;
}

const char *grants_errtext(int e)
{
	return e == EAGAIN ? "the set of grants keeps changing; giving up" : errno_text(e);
}

/* ---- allow / revoke / grants --------------------------------------- */

int cmd_allow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tracer", required_argument, NULL, OPT_TRACER },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "ttl",    required_argument, NULL, OPT_TTL },
		{ "help",   no_argument,       NULL, OPT_HELP },
		{ 0 }
	};
	const char *tracer_s = NULL, *target_s = NULL, *ttl_s = NULL;
	struct aiguard_grant g;
	pid_t tracer, target;
	uint32_t ttl = 600;
	int c, fd, e;

	while ((c = getopt_long(argc, argv, "+:t:T:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRACER: tracer_s = optarg; break;
		case OPT_TARGET: target_s = optarg; break;
		case OPT_TTL:    ttl_s = optarg; break;
		case OPT_HELP:   usage_cmd(find_cmd("allow"), stdout); return EX_AG_OK;
		default:         return bad_option(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!tracer_s || !target_s)
		return usage_error("both --tracer PID and --target PID are required");
	if (!parse_pid(tracer_s, &tracer))
		return usage_error("invalid tracer pid '%s' (expected a positive decimal integer up to %d)",
				   tracer_s, INT32_MAX);
	if (!parse_pid(target_s, &target))
		return usage_error("invalid target pid '%s' (expected a positive decimal integer up to %d)",
				   target_s, INT32_MAX);
	if (ttl_s && !parse_u32_range(ttl_s, 1, AIGUARD_GRANT_TTL_MAX, &ttl))
		return usage_error("invalid ttl '%s' (expected 1 to %d seconds)",
				   ttl_s, AIGUARD_GRANT_TTL_MAX);
	fd = open_checked();
	if (fd < 0)
		return -fd;
	memset(&g, 0, sizeof(g));
	g.ttl_sec = ttl;
	e = make_target(tracer, &g.tracer);
	if (e) {
		errmsg("tracer pid %d: %s", tracer, errno_text(e));
		close(fd);
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	e = make_target(target, &g.target);
	if (e) {
		errmsg("target pid %d: %s", target, errno_text(e));
		put_target(&g.tracer);
		close(fd);
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	e = ioctl(fd, AIGUARD_IOC_GRANT, &g) ? errno : 0;
	put_target(&g.tracer);
	put_target(&g.target);
	if (e) {
		struct aiguard_process_info info;
		int rc = errno_exit(e);

		if (e == EINVAL && !query_pid(fd, target, &info) &&
		    !(info.flags & AIGUARD_PROC_PROTECTED)) {
			errmsg("target pid %d is not protected (a grant only opens a protected process)",
			       target);
			rc = EX_AG_NOTPROT;
		} else if (e == ENOSPC) {
			errmsg("too many grants (at most %d); see 'aiguard grants' and 'aiguard revoke'",
			       AIGUARD_GRANTS_MAX);
		} else if (e == ESRCH) {
			errmsg("tracer %d or target %d: no such process", tracer, target);
		} else {
			errmsg("cannot grant access: %s", fail_text(fd, e));
		}
		close(fd);
		return rc == EX_AG_NOTPROT && e != EINVAL ? EX_AG_ERROR : rc;
	}
	close(fd);
	/* Only the id on stdout, for: ID=$(aiguard allow ...) */
	printf("%" PRIu64 "\n", (uint64_t)g.id);
	return EX_AG_OK;
}

int cmd_revoke(int argc, char **argv)
{
	struct aiguard_revoke r;
	uint64_t id;
	int fd, e;

	if ((e = simple_opts(argc, argv, "revoke")))
		return e < 0 ? EX_AG_OK : e;
	if (argc - optind != 1)
		return usage_error(argc - optind ? "too many arguments (one grant ID)"
						 : "missing grant ID (see: aiguard grants)");
	if (!parse_u64(argv[optind], &id))
		return usage_error("invalid grant ID '%s' (expected a decimal number)",
				   argv[optind]);
	fd = open_checked();
	if (fd < 0)
		return -fd;
	memset(&r, 0, sizeof(r));
	r.id = id;
	if (ioctl(fd, AIGUARD_IOC_REVOKE, &r)) {
		e = errno;
		if (e == ENOENT)
			errmsg("no grant with ID %" PRIu64 " (expired, revoked, or a process exited)", id);
		else
			errmsg("cannot revoke grant %" PRIu64 ": %s", id, fail_text(fd, e));
		close(fd);
		return errno_exit(e);
	}
	close(fd);
	printf("grant %" PRIu64 ": revoked\n", id);
	return EX_AG_OK;
}

int cmd_grants(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	struct aiguard_grant_info *g = NULL;
	uint32_t n = 0;
	struct json j;
	bool json = false;
	int c, fd, e;

	while ((c = getopt_long(argc, argv, "+:jh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case OPT_HELP: usage_cmd(find_cmd("grants"), stdout); return EX_AG_OK;
		default:       return bad_option(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	fd = open_checked();
	if (fd < 0)
		return -fd;
	e = fetch_grants(fd, &g, &n);
	close(fd);
	if (e) {
		errmsg("cannot list grants: %s", grants_errtext(e));
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	json_init(&j, stdout);
	if (json) {
		json_object_begin(&j);
		json_ku64(&j, "total", n);
		json_key(&j, "grants");
		json_array_begin(&j);
	} else {
		printf("%-8s %-8s %-16s %-8s %-16s %8s %8s\n", "ID", "TRACER", "COMM",
		       "TARGET", "COMM", "TTL", "USES");
	}
	for (uint32_t i = 0; i < n; i++) {
		char tc[64], gc[64];

		read_comm((pid_t)g[i].tracer_pid, tc, sizeof(tc));
		read_comm((pid_t)g[i].target_pid, gc, sizeof(gc));
		if (json) {
			json_object_begin(&j);
			json_ku64(&j, "id", g[i].id);
			json_ku64(&j, "tracer_pid", g[i].tracer_pid);
			json_kstr(&j, "tracer_comm", tc);
			json_ku64(&j, "target_pid", g[i].target_pid);
			json_kstr(&j, "target_comm", gc);
			json_ku64(&j, "ttl_left_sec", g[i].ttl_left_sec);
			json_ku64(&j, "uses", g[i].uses);
			json_object_end(&j);
		} else {
			printf("%-8" PRIu64 " %-8u %-16s %-8u %-16s %7us %8u\n",
			       (uint64_t)g[i].id, g[i].tracer_pid, printable(tc),
			       g[i].target_pid, printable(gc), g[i].ttl_left_sec,
			       g[i].uses);
		}
	}
	if (json) {
		json_array_end(&j);
		json_object_end(&j);
	}
	free(g);
	return EX_AG_OK;
}
