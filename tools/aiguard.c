// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - protect AI workload processes' memory with the aiguard
 * kernel module through /dev/aiguard. See aiguard.8.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "json.h"
#include "tool.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* same number on every architecture */
#endif

const char *progname = "aiguard";
static const char *cmdname;	/* current command, for messages */

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	if (cmdname)
		fprintf(stderr, "%s: ", cmdname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------------ */
/* Help texts                                                          */

static const char exit_codes_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  other error\n"
	"  2  usage error (bad option, invalid pid, label, user or group)\n"
	"  3  module not loaded (" AIGUARD_DEV_PATH " missing; run: modprobe aiguard)\n"
	"  4  not permitted (EPERM/EACCES; needs root / CAP_SYS_ADMIN),\n"
	"     or refused because the policy is locked (aiguard lock)\n"
	"  5  no such process\n"
	"  6  target already traced (a tracer is attached)\n"
	"  7  label conflict (already protected with another label)\n"
	"  8  not protected (unprotect of an unprotected process, grant for an\n"
	"     unprotected target), or no such grant (revoke)\n"
	"  9  ABI mismatch between module and tool\n"
	"  126/127  exec: command not executable / not found\n";

static void usage_main(FILE *f)
{
	fprintf(f,
		"Usage: %s [-h|--help] [-V|--version] COMMAND [ARGS...]\n"
		"\n"
		"Protect AI workload processes' memory with the aiguard kernel module.\n"
		"\n"
		"Commands:\n"
		"  exec [--label L] [--permissive] [--user U] [--group G] [--] CMD [ARGS...]\n"
		"                      protect this process, drop privileges, exec CMD\n"
		"  protect [--label L] [--permissive] PID...   protect running processes\n"
		"  unprotect PID...             remove protection\n"
		"  status [--json] [PID]        module state, or one process's state\n"
		"  list [--json]                protected processes\n"
		"  events [--follow] [--json]   audit records (denials, changes)\n"
		"  permissive [on|off]          global audit-only mode\n"
		"  allow --tracer PID --target PID [--ttl SECONDS]\n"
		"                      break-glass: let one process access a protected one\n"
		"  revoke ID                    end a grant\n"
		"  grants [--json]              active grants\n"
		"  lock                         seal the policy until reboot (irreversible)\n"
		"  version                      tool and module ABI versions\n"
		"  help [COMMAND]               this text, or a command's\n"
		"\n"
		"Without --label, each protect/exec gets a private domain \"@N\".\n"
		"Labels: 1-%d characters from A-Z a-z 0-9 . _ -\n"
		"\n%s",
		progname, AIGUARD_LABEL_MAX - 1, exit_codes_help);
}

struct cmd;
typedef int (*cmd_fn)(int argc, char **argv);
struct cmd {
	const char *name;
	cmd_fn fn;
	const char *usage;
};

static const struct cmd *find_cmd(const char *name);

static void usage_cmd(const struct cmd *c, FILE *f)
{
	fprintf(f, "Usage: %s %s %s", progname, c->name, c->usage);
	fprintf(f, "\n%s", exit_codes_help);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	if (cmdname)
		fprintf(stderr, "%s: ", cmdname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s%s--help'.\n", progname,
		cmdname ? cmdname : "", cmdname ? " " : "");
	return EX_AG_USAGE;
}

/* getopt runs with opterr = 0 and a leading ':' so messages are ours. */
static int bad_option(int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return usage_error("option '%s' needs an argument", opt);
	if (optopt && strncmp(opt, "--", 2) != 0)
		return usage_error("unknown option '-%c'", optopt);
	return usage_error("unknown option '%s'", opt);
}

/* ------------------------------------------------------------------ */
/* Talking to the module                                               */

/* Map an errno from the module to an exit code. */
static int errno_exit(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:	return EX_AG_PERM;
	case ESRCH:	return EX_AG_NOPROC;
	case EBUSY:	return EX_AG_TRACED;
	case EEXIST:	return EX_AG_CONFLICT;
	case ENOENT:	return EX_AG_NOTPROT;
	case ENOTTY:	return EX_AG_ABI;
	default:	return EX_AG_ERROR;
	}
}

static const char *errno_text(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:	return "not permitted (needs root with CAP_SYS_ADMIN)";
	case ESRCH:	return "no such process";
	case EBUSY:	return "a tracer is attached to the process (detach it first)";
	case EEXIST:	return "already protected with another label";
	case ENOENT:	return "not protected";
	case ENOTTY:	return "the module does not know this request (module and tool ABI differ)";
	case EINVAL:	return "the module rejected the request as invalid (EINVAL)";
	default:	return strerror(e);
	}
}

#define LOCKED_TEXT "the aiguard policy is locked (aiguard lock); reboot to change it"

static int get_status(int fd, struct aiguard_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, AIGUARD_IOC_GET_STATUS, st) ? errno : 0;
}

/*
 * errno_text(), except that an EPERM from a locked module says so: after
 * "aiguard lock" root gets EPERM too, and "needs root" would mislead.
 */
static const char *fail_text(int fd, int e)
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
static int open_dev(bool quiet)
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

static int get_version(int fd, struct aiguard_version *v, bool quiet)
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
static int open_checked(void)
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
static int make_target(pid_t pid, struct aiguard_target *t)
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

static void put_target(struct aiguard_target *t)
{
	if (t->type == AIGUARD_TARGET_PIDFD)
		close(t->id);
}

/* QUERY one pid. Returns 0 or an errno. */
static int query_pid(int fd, pid_t pid, struct aiguard_process_info *info)
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

/* ------------------------------------------------------------------ */
/* Option parsing helpers                                              */

enum { OPT_HELP = 'h', OPT_LABEL = 'l', OPT_USER = 'u', OPT_GROUP = 'g',
       OPT_JSON = 'j', OPT_PERMISSIVE = 'p', OPT_FOLLOW = 'f',
       OPT_TRACER = 't', OPT_TARGET = 'T', OPT_TTL = 256 };

/* Parse every PID argument before acting on any. */
static int parse_pids(int argc, char **argv, pid_t **out)
{
	pid_t *pids;

	if (argc <= 0)
		return usage_error("missing PID");
	pids = calloc((size_t)argc, sizeof(*pids));
	if (!pids) {
		errmsg("out of memory");
		return EX_AG_ERROR;
	}
	for (int i = 0; i < argc; i++) {
		if (!parse_pid(argv[i], &pids[i])) {
			free(pids);
			return usage_error("invalid pid '%s' (expected a positive decimal integer up to %d)",
					   argv[i], INT32_MAX);
		}
	}
	*out = pids;
	return EX_AG_OK;
}

static int check_label(const char *label)
{
	const char *why = label_error(label);

	if (why)
		return usage_error("invalid label '%s': %s", label, why);
	return EX_AG_OK;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

static int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "permissive", no_argument,  NULL, OPT_PERMISSIVE },
		{ "user",  required_argument, NULL, OPT_USER },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "help",  no_argument,       NULL, OPT_HELP },
		{ 0 }
	};
	struct aiguard_protect p;
	const char *label = NULL, *user = NULL, *group = NULL;
	bool permissive = false;
	struct ids ids;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+:l:pu:g:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LABEL: label = optarg; break;
		case OPT_PERMISSIVE: permissive = true; break;
		case OPT_USER:  user = optarg; break;
		case OPT_GROUP: group = optarg; break;
		case OPT_HELP:  usage_cmd(find_cmd("exec"), stdout); return EX_AG_OK;
		default:        return bad_option(c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("missing command to execute");
	if (label && (rc = check_label(label)))
		return rc;
	/* Resolve names before any side effect. */
	rc = resolve_ids(user, group, &ids);
	if (rc)
		return rc;

	fd = open_checked();
	if (fd < 0) {
		free_ids(&ids);
		return -fd;
	}
	memset(&p, 0, sizeof(p));
	p.target.type = AIGUARD_TARGET_SELF;
	if (permissive)
		p.flags = AIGUARD_PROTECT_PERMISSIVE;
	if (label)
		memcpy(p.label, label, strlen(label));
	if (ioctl(fd, AIGUARD_IOC_PROTECT, &p)) {
		int e = errno;

		errmsg("cannot protect this process: %s", fail_text(fd, e));
		close(fd);
		free_ids(&ids);
		return errno_exit(e);
	}
	close(fd);

	rc = drop_privileges(&ids);
	free_ids(&ids);
	if (rc)
		return rc;

	execvp(argv[optind], &argv[optind]);
	rc = errno;
	errmsg("cannot execute '%s': %s", argv[optind], strerror(rc));
	return rc == ENOENT ? EX_AG_EXEC_NOENT : EX_AG_EXEC_FAIL;
}

static int worse(int a, int b)
{
	return b > a ? b : a;
}

static int cmd_protect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "permissive", no_argument,  NULL, OPT_PERMISSIVE },
		{ "help",  no_argument,       NULL, OPT_HELP },
		{ 0 }
	};
	const char *label = NULL;
	bool permissive = false;
	pid_t *pids;
	int c, fd, rc, worst = EX_AG_OK;

	while ((c = getopt_long(argc, argv, "+:l:ph", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LABEL: label = optarg; break;
		case OPT_PERMISSIVE: permissive = true; break;
		case OPT_HELP:  usage_cmd(find_cmd("protect"), stdout); return EX_AG_OK;
		default:        return bad_option(c, argv);
		}
	}
	if (label && (rc = check_label(label)))
		return rc;
	rc = parse_pids(argc - optind, argv + optind, &pids);
	if (rc)
		return rc;
	fd = open_checked();
	if (fd < 0) {
		free(pids);
		return -fd;
	}
	for (int i = 0; i < argc - optind; i++) {
		struct aiguard_protect p;
		int e;

		memset(&p, 0, sizeof(p));
		if (permissive)
			p.flags = AIGUARD_PROTECT_PERMISSIVE;
		if (label)
			memcpy(p.label, label, strlen(label));
		e = make_target(pids[i], &p.target);
		if (!e) {
			e = ioctl(fd, AIGUARD_IOC_PROTECT, &p) ? errno : 0;
			put_target(&p.target);
		}
		if (e) {
			struct aiguard_process_info info;

			if (e == EEXIST && !query_pid(fd, pids[i], &info) &&
			    (info.flags & AIGUARD_PROC_PROTECTED))
				errmsg("pid %d: already protected with label '%s'",
				       pids[i], info.label);
			else
				errmsg("pid %d: %s", pids[i], fail_text(fd, e));
			worst = worse(worst, errno_exit(e));
			continue;
		}
		p.label[AIGUARD_LABEL_MAX - 1] = '\0';
		printf("pid %d: protected, label %s%s\n", pids[i], p.label,
		       permissive ? " (permissive)" : "");
	}
	close(fd);
	free(pids);
	return worst;
}

static int cmd_unprotect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	pid_t *pids;
	int c, fd, rc, worst = EX_AG_OK;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_HELP: usage_cmd(find_cmd("unprotect"), stdout); return EX_AG_OK;
		default:       return bad_option(c, argv);
		}
	}
	rc = parse_pids(argc - optind, argv + optind, &pids);
	if (rc)
		return rc;
	fd = open_checked();
	if (fd < 0) {
		free(pids);
		return -fd;
	}
	for (int i = 0; i < argc - optind; i++) {
		struct aiguard_unprotect u;
		int e;

		memset(&u, 0, sizeof(u));
		e = make_target(pids[i], &u.target);
		if (!e) {
			e = ioctl(fd, AIGUARD_IOC_UNPROTECT, &u) ? errno : 0;
			put_target(&u.target);
		}
		if (e) {
			errmsg("pid %d: %s", pids[i], fail_text(fd, e));
			worst = worse(worst, errno_exit(e));
			continue;
		}
		printf("pid %d: unprotected\n", pids[i]);
	}
	close(fd);
	free(pids);
	return worst;
}

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

/*
 * LIST_GRANTS, two-call pattern like LIST. Returns 0 or an errno; *out is
 * malloc'ed (may be NULL when there are none).
 */
static int fetch_grants(int fd, struct aiguard_grant_info **out, uint32_t *n)
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

static const char *grants_errtext(int e)
{
	return e == EAGAIN ? "the set of grants keeps changing; giving up" : errno_text(e);
}

#define CRITICAL_TEXT "CRITICAL: hooks are not running (kprobes or ftrace disabled) \xe2\x80\x94 protection is OFF"

static void read_comm(pid_t pid, char *buf, size_t len);
static char *printable(char *s);

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

static int cmd_status(int argc, char **argv)
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

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(buf, len, "?");
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* For text output: comm is chosen by the process, keep it to printable ASCII. */
static char *printable(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	return s;
}

static int cmd_list(int argc, char **argv)
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

/* No options but --help, and no arguments beyond max_args. */
static int simple_opts(int argc, char **argv, const char *name)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_HELP: usage_cmd(find_cmd(name), stdout); return -1;
		default:       return bad_option(c, argv);
		}
	}
	return 0;
}

/* ---- events -------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

#define EVENTS_BUF_MIN	(64 * sizeof(struct aiguard_event))
#define EVENTS_BUF_MAX	(1024 * 1024)

static int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "json",   no_argument, NULL, OPT_JSON },
		{ "help",   no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	bool follow = false, json = false, bad;
	sigset_t block, waitmask;
	unsigned char *buf = NULL;
	size_t cap = EVENTS_BUF_MIN;
	int c, fd, fl, rc = EX_AG_OK;

	while ((c = getopt_long(argc, argv, "+:fjh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FOLLOW: follow = true; break;
		case OPT_JSON:   json = true; break;
		case OPT_HELP:   usage_cmd(find_cmd("events"), stdout); return EX_AG_OK;
		default:         return bad_option(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	fd = open_checked();
	if (fd < 0)
		return -fd;
	/* Always non-blocking: EAGAIN ends a dump, and --follow waits in ppoll. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		errmsg("cannot make %s non-blocking: %s", AIGUARD_DEV_PATH, strerror(errno));
		close(fd);
		return EX_AG_ERROR;
	}
	buf = malloc(cap);
	if (!buf) {
		errmsg("out of memory");
		close(fd);
		return EX_AG_ERROR;
	}
	if (follow) {
		struct sigaction sa;

		/*
		 * SIGINT/SIGTERM are blocked except inside ppoll(), so a signal
		 * can neither be lost between the flag test and the wait nor
		 * cut a record in half: it ends the wait with EINTR.
		 */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;	/* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigprocmask(SIG_BLOCK, &block, &waitmask);
		sigdelset(&waitmask, SIGINT);
		sigdelset(&waitmask, SIGTERM);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	for (;;) {
		ssize_t n;

		if (follow) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int r = ppoll(&pfd, 1, NULL, &waitmask);

			if (stop_signal)
				break;
			if (r < 0) {
				if (errno == EINTR)
					continue;
				errmsg("cannot wait for audit records: %s", strerror(errno));
				rc = EX_AG_ERROR;
				break;
			}
			if (!(pfd.revents & POLLIN) &&
			    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
				errmsg("%s stopped delivering audit records (poll revents 0x%x)",
				       AIGUARD_DEV_PATH, (unsigned)pfd.revents);
				rc = EX_AG_ERROR;
				break;
			}
		}
		n = read(fd, buf, cap);
		if (n > 0) {
			events_render(stdout, buf, (size_t)n, json, &bad);
			if (bad) {
				errmsg("malformed audit data from the module (a record's size does not fit); stopping");
				rc = EX_AG_ERROR;
				break;
			}
			if (follow)
				fflush(stdout);
			continue;
		}
		if (n == 0 || errno == EAGAIN) {
			if (!follow)
				break;	/* the ring is drained */
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EINVAL && cap < EVENTS_BUF_MAX) {
			/* A newer module's records may not fit: grow and retry. */
			unsigned char *m = realloc(buf, cap * 4);

			if (!m) {
				errmsg("out of memory");
				rc = EX_AG_ERROR;
				break;
			}
			buf = m;
			cap *= 4;
			continue;
		}
		errmsg("cannot read audit records: %s",
		       errno == EINVAL ? "the module rejects reads of up to 1 MiB (module and tool ABI differ)"
				       : errno_text(errno));
		rc = errno == EINVAL ? EX_AG_ABI : errno_exit(errno);
		if (rc == EX_AG_NOTPROT || rc == EX_AG_NOPROC)
			rc = EX_AG_ERROR;
		break;
	}
	free(buf);
	close(fd);
	if (fflush(stdout) || ferror(stdout)) {
		errmsg("cannot write to standard output");
		return EX_AG_ERROR;
	}
	return rc;
}

/* ---- permissive ---------------------------------------------------- */

static int cmd_permissive(int argc, char **argv)
{
	struct aiguard_status st;
	struct aiguard_mode m;
	bool on = false;
	int fd, e;

	if ((e = simple_opts(argc, argv, "permissive")))
		return e < 0 ? EX_AG_OK : e;
	if (argc - optind > 1)
		return usage_error("too many arguments (expected on or off)");
	if (argc - optind == 1) {
		if (!strcmp(argv[optind], "on"))
			on = true;
		else if (!strcmp(argv[optind], "off"))
			on = false;
		else
			return usage_error("expected on or off, not '%s'", argv[optind]);
	}
	fd = open_checked();
	if (fd < 0)
		return -fd;
	if (argc - optind == 0) {	/* show the mode */
		e = get_status(fd, &st);
		close(fd);
		if (e) {
			errmsg("cannot read the module state: %s", errno_text(e));
			return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
		}
		printf("permissive mode: %s\n", st.state & AIGUARD_STATE_PERMISSIVE ?
		       "on (denials are audited, not enforced)" : "off (enforcing)");
		return EX_AG_OK;
	}
	memset(&m, 0, sizeof(m));
	if (on)
		m.flags = AIGUARD_MODE_PERMISSIVE;
	if (ioctl(fd, AIGUARD_IOC_SET_MODE, &m)) {
		e = errno;
		errmsg("cannot turn permissive mode %s: %s", on ? "on" : "off",
		       fail_text(fd, e));
		close(fd);
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	close(fd);
	printf("permissive mode: %s\n", on ?
	       "on (denials are audited, not enforced; see: aiguard events)" :
	       "off (enforcing)");
	return EX_AG_OK;
}

/* ---- allow / revoke / grants --------------------------------------- */

static int cmd_allow(int argc, char **argv)
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

static int cmd_revoke(int argc, char **argv)
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

static int cmd_grants(int argc, char **argv)
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

/* ---- lock ---------------------------------------------------------- */

static int cmd_lock(int argc, char **argv)
{
	struct aiguard_lock l;
	int fd, e;

	if ((e = simple_opts(argc, argv, "lock")))
		return e < 0 ? EX_AG_OK : e;
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	fd = open_checked();
	if (fd < 0)
		return -fd;
	memset(&l, 0, sizeof(l));
	if (ioctl(fd, AIGUARD_IOC_LOCK, &l)) {
		e = errno;
		errmsg("cannot lock the policy: %s", errno_text(e));
		close(fd);
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	close(fd);
	printf("aiguard policy locked until reboot: unprotect, permissive mode, new grants and module unload are refused\n");
	return EX_AG_OK;
}

static int cmd_version(int argc, char **argv)
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

static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;

	if (argc > 2)
		return usage_error("too many arguments");
	if (argc == 2 && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")) {
		c = find_cmd(argv[1]);
		if (!c || c->fn == cmd_help)
			return usage_error("unknown command '%s'", argv[1]);
		usage_cmd(c, stdout);
		return EX_AG_OK;
	}
	usage_main(stdout);
	return EX_AG_OK;
}

static const struct cmd commands[] = {
	{ "exec", cmd_exec,
	  "[--label L] [--permissive] [--user U] [--group G] [--] CMD [ARGS...]\n\n"
	  "Protect the calling process, drop privileges if asked, then execute CMD\n"
	  "in the same process (same pid). Children inherit the protection.\n\n"
	  "  -l, --label L   trust domain; default: a new private domain\n"
	  "  -p, --permissive  audit only: denials are recorded (aiguard events)\n"
	  "                  but allowed; refused once the policy is locked\n"
	  "  -u, --user U    run CMD as user U (name or numeric uid); sets the\n"
	  "                  user's supplementary groups and primary group\n"
	  "  -g, --group G   primary group (name or numeric gid); required with a\n"
	  "                  numeric uid that has no passwd entry\n"
	  "  -h, --help      show this help\n" },
	{ "protect", cmd_protect,
	  "[--label L] [--permissive] PID...\n\n"
	  "Protect running processes (named by pidfd, race-free). Prefer 'exec':\n"
	  "a process that already holds secrets, or /proc/PID/mem descriptors\n"
	  "opened before protection, is not covered retroactively.\n"
	  "When several pids fail, the exit status is the highest code.\n\n"
	  "  -l, --label L   trust domain; default: a new private domain per pid\n"
	  "  -p, --permissive  audit only: denials are recorded (aiguard events)\n"
	  "                  but allowed; refused once the policy is locked\n"
	  "  -h, --help      show this help\n" },
	{ "unprotect", cmd_unprotect,
	  "PID...\n\n"
	  "Remove protection from processes.\n"
	  "When several pids fail, the exit status is the highest code.\n\n"
	  "  -h, --help      show this help\n" },
	{ "status", cmd_status,
	  "[--json] [PID]\n\n"
	  "Without PID: the module ABI version, mode (enforcing or permissive),\n"
	  "whether the policy is locked, the number of protected processes, audit\n"
	  "records written and dropped, active grants, and per-hook counters\n"
	  "(allowed, denied, audited, granted, missed).\n"
	  "If the kernel stopped calling aiguard's hooks, a CRITICAL line says that\n"
	  "protection is off (JSON: \"critical\":true); the exit status stays 0.\n"
	  "With PID: whether that process is protected, its label and mode.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "  -h, --help      show this help\n" },
	{ "list", cmd_list,
	  "[--json]\n\n"
	  "List protected processes: pid, label, mode (PERMISSIVE or enforcing)\n"
	  "and command name.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "  -h, --help      show this help\n" },
	{ "events", cmd_events,
	  "[--follow] [--json]\n\n"
	  "Print the audit records in the module's ring, oldest first: denials\n"
	  "(DENY), accesses permissive mode let through (AUDIT), grant uses and\n"
	  "changes, protect/unprotect, mode changes, lock, and tamper alerts.\n"
	  "A DROPPED record says how many records were lost before they were read.\n"
	  "Without --follow, exits when the ring is drained.\n\n"
	  "  -f, --follow    keep waiting for new records; exit 0 on SIGINT/SIGTERM\n"
	  "  -j, --json      one JSON object per line\n"
	  "  -h, --help      show this help\n" },
	{ "permissive", cmd_permissive,
	  "[on|off]\n\n"
	  "Turn global permissive (audit-only) mode on or off: every decision is\n"
	  "made and recorded (AUDIT records) but access is allowed. Without an\n"
	  "argument, show the mode. Turning it on is refused once locked.\n\n"
	  "  -h, --help      show this help\n" },
	{ "allow", cmd_allow,
	  "--tracer PID --target PID [--ttl SECONDS]\n\n"
	  "Break-glass grant: let the one process PID of --tracer (not its\n"
	  "children, not its user) access the protected process of --target, e.g.\n"
	  "to attach a debugger. The grant ends after the ttl or when either\n"
	  "process exits. Prints the grant ID (for revoke). Refused once locked.\n\n"
	  "  -t, --tracer PID  the process let in (it must already be running)\n"
	  "  -T, --target PID  the protected process it may access\n"
	  "      --ttl SECONDS lifetime, 1 to 86400; default 600\n"
	  "  -h, --help        show this help\n" },
	{ "revoke", cmd_revoke,
	  "ID\n\n"
	  "End the grant ID (see 'aiguard grants'). Exit 8 if there is none.\n\n"
	  "  -h, --help      show this help\n" },
	{ "grants", cmd_grants,
	  "[--json]\n\n"
	  "List active grants: id, tracer, target, seconds left and uses.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "  -h, --help      show this help\n" },
	{ "lock", cmd_lock,
	  "\n\n"
	  "Seal the policy until reboot, without asking: from then on unprotect,\n"
	  "permissive mode (global or per process), new grants and unloading the\n"
	  "module are refused (exit 4), even for root. Protecting new processes,\n"
	  "turning permissive mode off and revoking grants keep working.\n"
	  "IRREVERSIBLE until the machine reboots. Locking twice succeeds.\n\n"
	  "  -h, --help      show this help\n" },
	{ "version", cmd_version,
	  "\n\n"
	  "Print the tool version and the loaded module's ABI version.\n"
	  "Exits 0 when the module is not loaded, 9 on an ABI mismatch.\n\n"
	  "  -h, --help      show this help\n" },
	{ "help", cmd_help, "[COMMAND]\n\nShow general or per-command help.\n" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const struct cmd *cmd;
	int c;

	if (argc < 1 || !argv[0])
		return EX_AG_USAGE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage_main(stdout);
			return EX_AG_OK;
		case 'V':
			printf("aiguard %s (ABI %d)\n", AIGUARD_TOOL_VERSION,
			       AIGUARD_ABI_VERSION);
			return EX_AG_OK;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind >= argc) {
		usage_main(stderr);
		return EX_AG_USAGE;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return usage_error("unknown command '%s'", argv[optind]);
	cmdname = cmd->name;
	argc -= optind;
	argv += optind;
	optind = 0;	/* reinitialise getopt for the command's own options */
	return cmd->fn(argc, argv);
}
