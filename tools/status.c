// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the status, list and version commands.
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

static int status_pid(int fd, pid_t pid, bool json)
{
	struct aiguard_process_info info;
	bool prot, perm;
	int e = query_pid(fd, pid, &info);

	if (e) {
		errmsg("pid %d: %s", pid, errno_text(e));
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	prot = info.flags & AIGUARD_PROC_PROTECTED;
	perm = prot && (info.flags & AIGUARD_PROC_PERMISSIVE);
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kint(&j, "pid", pid);
		json_kbool(&j, "protected", prot);
		json_kstr(&j, "label", prot ? info.label : "");
		json_kbool(&j, "permissive", perm);
		json_object_end(&j);
	} else if (prot) {
		printf("pid %d: protected, label %s%s\n", pid, info.label,
		       perm ? " (permissive: audited, not denied)" : "");
	} else {
		printf("pid %d: not protected\n", pid);
	}
	return EX_AG_OK;
}

#define CRITICAL_TEXT "CRITICAL: hooks are not running (kprobes or ftrace disabled) \xe2\x80\x94 protection is OFF"

static void status_json(const struct aiguard_stats *s,
			const struct aiguard_status *st,
			const struct aiguard_grant_info *grants, uint32_t ngrants)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kint(&j, "abi_version", AIGUARD_ABI_VERSION);
	json_kint(&j, "label_max", AIGUARD_LABEL_MAX);
	json_ku64(&j, "protected", s->nr_protected);
	json_ku64(&j, "pending", s->nr_pending);
	json_kstr(&j, "mode", st->state & AIGUARD_STATE_PERMISSIVE ?
		  "permissive" : "enforcing");
	json_kbool(&j, "locked", st->state & AIGUARD_STATE_LOCKED);
	json_kbool(&j, "critical", st->state & AIGUARD_STATE_HOOKS_DEAD);
	json_ku64(&j, "state", st->state);
	json_ku64(&j, "events", st->events);
	json_ku64(&j, "events_dropped", st->events_dropped);
	json_ku64(&j, "ring_size", st->ring_size);
	json_key(&j, "grants");
	if (grants) {
		json_array_begin(&j);
		for (uint32_t i = 0; i < ngrants; i++) {
			json_object_begin(&j);
			json_ku64(&j, "id", grants[i].id);
			json_ku64(&j, "tracer_pid", grants[i].tracer_pid);
			json_ku64(&j, "target_pid", grants[i].target_pid);
			json_ku64(&j, "ttl_left_sec", grants[i].ttl_left_sec);
			json_ku64(&j, "uses", grants[i].uses);
			json_object_end(&j);
		}
		json_array_end(&j);
	} else {
		json_null(&j);
	}
	/* "hooks" stays last: older consumers match '"hooks":{...}}$'. */
	json_key(&j, "hooks");
	json_object_begin(&j);
	for (int i = 0; i < AIGUARD_HOOK_NR; i++) {
		json_key(&j, hook_name((unsigned)i));
		json_object_begin(&j);
		json_ku64(&j, "allowed", s->allowed[i]);
		json_ku64(&j, "denied", s->denied[i]);
		json_ku64(&j, "audited", st->audited[i]);
		json_ku64(&j, "granted", st->granted[i]);
		json_ku64(&j, "missed", s->missed[i]);
		json_object_end(&j);
	}
	json_object_end(&j);
	json_object_end(&j);
}

static int status_module(int fd, bool json)
{
	struct aiguard_grant_info *grants = NULL;
	struct aiguard_status st;
	struct aiguard_stats s;
	uint32_t ngrants = 0;
	bool have_gr, dead, locked, perm;
	int e;

	memset(&s, 0, sizeof(s));
	if (ioctl(fd, AIGUARD_IOC_GET_STATS, &s)) {
		e = errno;
		errmsg("cannot read statistics: %s", errno_text(e));
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	e = get_status(fd, &st);
	if (e) {
		errmsg("cannot read the module state: %s", errno_text(e));
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	e = fetch_grants(fd, &grants, &ngrants);
	have_gr = !e;
	if (e)
		errmsg("cannot list grants: %s", grants_errtext(e));
	dead = st.state & AIGUARD_STATE_HOOKS_DEAD;
	locked = st.state & AIGUARD_STATE_LOCKED;
	perm = st.state & AIGUARD_STATE_PERMISSIVE;
	if (dead)	/* also on stderr: stdout may be going to a parser */
		errmsg("%s", CRITICAL_TEXT);

	if (json) {
		status_json(&s, &st, have_gr ? grants : NULL, ngrants);
		free(grants);
		return EX_AG_OK;
	}
	if (dead)
		printf("%s\n\n", CRITICAL_TEXT);
	printf("module ABI version: %d\n", AIGUARD_ABI_VERSION);
	printf("mode: %s\n", perm ? "permissive (audit only: denials are logged, not enforced)"
				  : "enforcing");
	printf("locked: %s\n", locked ? "yes (until reboot)" : "no");
	printf("protected processes: %llu\n", (unsigned long long)s.nr_protected);
	printf("pending (forking) processes: %llu\n", (unsigned long long)s.nr_pending);
	printf("audit records: %" PRIu64 " written, %" PRIu64 " dropped (ring of %u)\n",
	       (uint64_t)st.events, (uint64_t)st.events_dropped, st.ring_size);
	if (have_gr) {
		printf("active grants: %u\n", ngrants);
		if (ngrants)
			printf("  %-8s %-24s %-24s %8s %8s\n", "ID", "TRACER", "TARGET",
			       "TTL", "USES");
		for (uint32_t i = 0; i < ngrants; i++) {
			char tc[64], gc[64], tr[96], ta[96];

			read_comm((pid_t)grants[i].tracer_pid, tc, sizeof(tc));
			read_comm((pid_t)grants[i].target_pid, gc, sizeof(gc));
			snprintf(tr, sizeof(tr), "%u(%.40s)", grants[i].tracer_pid, printable(tc));
			snprintf(ta, sizeof(ta), "%u(%.40s)", grants[i].target_pid, printable(gc));
			printf("  %-8" PRIu64 " %-24s %-24s %7us %8u\n",
			       (uint64_t)grants[i].id, tr, ta,
			       grants[i].ttl_left_sec, grants[i].uses);
		}
	}
	printf("\n%-16s %12s %12s %12s %12s %12s\n", "HOOK", "ALLOWED", "DENIED",
	       "AUDITED", "GRANTED", "MISSED");
	for (int i = 0; i < AIGUARD_HOOK_NR; i++) {
		printf("%-16s %12llu %12llu %12" PRIu64 " %12" PRIu64 " %12llu\n",
		       hook_name((unsigned)i), (unsigned long long)s.allowed[i],
		       (unsigned long long)s.denied[i], (uint64_t)st.audited[i],
		       (uint64_t)st.granted[i], (unsigned long long)s.missed[i]);
	}
	for (int i = 0; i < AIGUARD_HOOK_NR; i++) {
		if (s.missed[i]) {
			printf("\nwarning: some hook invocations were missed (kprobe nmissed); protection may have gaps\n");
			break;
		}
	}
	if (dead)
		printf("\n%s\n", CRITICAL_TEXT);
	free(grants);
	return EX_AG_OK;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	bool json = false;
	pid_t pid = 0;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+:jh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case OPT_HELP: usage_cmd(find_cmd("status"), stdout); return EX_AG_OK;
		default:       return bad_option(c, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error("too many arguments (at most one PID)");
	if (argc - optind == 1 && !parse_pid(argv[optind], &pid))
		return usage_error("invalid pid '%s' (expected a positive decimal integer up to %d)",
				   argv[optind], INT32_MAX);
	fd = open_checked();
	if (fd < 0)
		return -fd;
	rc = pid ? status_pid(fd, pid, json) : status_module(fd, json);
	close(fd);
	return rc;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	struct aiguard_process_info *ents = NULL;
	struct aiguard_list l;
	struct json j;
	bool json = false;
	int c, fd, rc = EX_AG_OK;

	while ((c = getopt_long(argc, argv, "+:jh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case OPT_HELP: usage_cmd(find_cmd("list"), stdout); return EX_AG_OK;
		default:       return bad_option(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	fd = open_checked();
	if (fd < 0)
		return -fd;

	/* Two-call pattern: count, then fetch; retry if the set grew. */
	memset(&l, 0, sizeof(l));
	for (int tries = 0;; tries++) {
		if (ioctl(fd, AIGUARD_IOC_LIST, &l)) {
			int e = errno;

			errmsg("cannot list protected processes: %s", errno_text(e));
			rc = errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
			goto out;
		}
		if (l.total <= l.count && (ents || l.total == 0))
			break;
		if (tries >= 8) {
			errmsg("the set of protected processes keeps changing; giving up");
			rc = EX_AG_ERROR;
			goto out;
		}
		{
			uint32_t cap = l.total + l.total / 4 + 16;
			struct aiguard_process_info *n;

			n = realloc(ents, (size_t)cap * sizeof(*ents));
			if (!n) {
				errmsg("out of memory");
				rc = EX_AG_ERROR;
				goto out;
			}
			ents = n;
			memset(&l, 0, sizeof(l));
			l.entries = (uintptr_t)ents;
			l.capacity = cap;
		}
	}
	if (l.count > l.capacity)	/* never trust a count blindly */
		l.count = l.capacity;

	json_init(&j, stdout);
	if (json) {
		json_object_begin(&j);
		json_ku64(&j, "total", l.count);
		json_key(&j, "processes");
		json_array_begin(&j);
	} else {
		printf("%-8s %-32s %-10s %s\n", "PID", "LABEL", "MODE", "COMM");
	}
	for (uint32_t i = 0; i < l.count; i++) {
		bool perm = ents[i].flags & AIGUARD_PROC_PERMISSIVE;
		char comm[64];

		ents[i].label[AIGUARD_LABEL_MAX - 1] = '\0';
		read_comm((pid_t)ents[i].pid, comm, sizeof(comm));
		if (json) {
			json_object_begin(&j);
			json_ku64(&j, "pid", ents[i].pid);
			json_kstr(&j, "label", ents[i].label);
			json_kstr(&j, "comm", comm);
			/* "permissive" only when set: the object stays as before. */
			if (perm)
				json_kbool(&j, "permissive", true);
			json_object_end(&j);
		} else {
			printf("%-8u %-32s %-10s %s\n", ents[i].pid, ents[i].label,
			       perm ? "PERMISSIVE" : "enforcing", printable(comm));
		}
	}
	if (json) {
		json_array_end(&j);
		json_object_end(&j);
	}
out:
	free(ents);
	close(fd);
	return rc;
}

int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	struct aiguard_version v;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_HELP: usage_cmd(find_cmd("version"), stdout); return EX_AG_OK;
		default:       return bad_option(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	printf("aiguard tool %s (ABI %d)\n", AIGUARD_TOOL_VERSION, AIGUARD_ABI_VERSION);
	fd = open_dev(true);
	if (fd == -EX_AG_NOMODULE) {
		printf("module: not loaded (run: modprobe aiguard)\n");
		return EX_AG_OK;
	}
	if (fd < 0) {
		printf("module: unknown (cannot open %s: %s)\n", AIGUARD_DEV_PATH,
		       fd == -EX_AG_PERM ? "permission denied, aiguard needs root" : "error");
		return EX_AG_OK;
	}
	rc = get_version(fd, &v, true);
	close(fd);
	if (rc == EX_AG_ABI && v.abi_version) {
		printf("module: ABI %u (MISMATCH: this tool speaks ABI %d)\n",
		       v.abi_version, AIGUARD_ABI_VERSION);
		return EX_AG_ABI;
	}
	if (rc) {
		printf("module: loaded, but its version could not be read\n");
		return rc;
	}
	printf("module: ABI %u\n", v.abi_version);
	return EX_AG_OK;
}
