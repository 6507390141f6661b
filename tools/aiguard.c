// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - protect AI workload processes' memory with the aiguard
 * kernel module through /dev/aiguard. See aiguard.8.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

static const char *const hook_names[AIGUARD_HOOK_NR] = {
	[AIGUARD_HOOK_PTRACE_ACCESS]	= "ptrace_access",
	[AIGUARD_HOOK_PTRACE_TRACEME]	= "ptrace_traceme",
	[AIGUARD_HOOK_PERF_EVENT]	= "perf_event",
	[AIGUARD_HOOK_TASK_PRCTL]	= "task_prctl",
	[AIGUARD_HOOK_COREDUMP]		= "coredump",
	[AIGUARD_HOOK_EXEC]		= "exec",
	[AIGUARD_HOOK_TASK_ALLOC]	= "task_alloc",
	[AIGUARD_HOOK_LOCKED_DOWN]	= "locked_down",
};

/* ------------------------------------------------------------------ */
/* Help texts                                                          */

static const char exit_codes_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  other error\n"
	"  2  usage error (bad option, invalid pid, label, user or group)\n"
	"  3  module not loaded (" AIGUARD_DEV_PATH " missing; run: modprobe aiguard)\n"
	"  4  not permitted (EPERM/EACCES; needs root / CAP_SYS_ADMIN)\n"
	"  5  no such process\n"
	"  6  target already traced (a tracer is attached)\n"
	"  7  label conflict (already protected with another label)\n"
	"  8  not protected (unprotect of an unprotected process)\n"
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
		"  exec [--label L] [--user U] [--group G] [--] CMD [ARGS...]\n"
		"                      protect this process, drop privileges, exec CMD\n"
		"  protect [--label L] PID...   protect running processes\n"
		"  unprotect PID...             remove protection\n"
		"  status [--json] [PID]        module state, or one process's state\n"
		"  list [--json]                protected processes\n"
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
       OPT_JSON = 'j' };

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
		{ "user",  required_argument, NULL, OPT_USER },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "help",  no_argument,       NULL, OPT_HELP },
		{ 0 }
	};
	struct aiguard_protect p;
	const char *label = NULL, *user = NULL, *group = NULL;
	struct ids ids;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+:l:u:g:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LABEL: label = optarg; break;
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
	if (label)
		memcpy(p.label, label, strlen(label));
	if (ioctl(fd, AIGUARD_IOC_PROTECT, &p)) {
		int e = errno;

		errmsg("cannot protect this process: %s", errno_text(e));
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
		{ "help",  no_argument,       NULL, OPT_HELP },
		{ 0 }
	};
	const char *label = NULL;
	pid_t *pids;
	int c, fd, rc, worst = EX_AG_OK;

	while ((c = getopt_long(argc, argv, "+:l:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LABEL: label = optarg; break;
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
				errmsg("pid %d: %s", pids[i], errno_text(e));
			worst = worse(worst, errno_exit(e));
			continue;
		}
		p.label[AIGUARD_LABEL_MAX - 1] = '\0';
		printf("pid %d: protected, label %s\n", pids[i], p.label);
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
			errmsg("pid %d: %s", pids[i], errno_text(e));
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
	bool prot;
	int e = query_pid(fd, pid, &info);

	if (e) {
		errmsg("pid %d: %s", pid, errno_text(e));
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	prot = info.flags & AIGUARD_PROC_PROTECTED;
	if (json) {
		printf("{\"pid\":%d,\"protected\":%s,\"label\":", pid,
		       prot ? "true" : "false");
		json_string(stdout, prot ? info.label : "");
		printf("}\n");
	} else if (prot) {
		printf("pid %d: protected, label %s\n", pid, info.label);
	} else {
		printf("pid %d: not protected\n", pid);
	}
	return EX_AG_OK;
}

static int status_module(int fd, bool json)
{
	struct aiguard_stats s;

	memset(&s, 0, sizeof(s));
	if (ioctl(fd, AIGUARD_IOC_GET_STATS, &s)) {
		int e = errno;

		errmsg("cannot read statistics: %s", errno_text(e));
		return errno_exit(e) == EX_AG_NOTPROT ? EX_AG_ERROR : errno_exit(e);
	}
	if (json) {
		printf("{\"abi_version\":%d,\"label_max\":%d,"
		       "\"protected\":%llu,\"pending\":%llu,\"hooks\":{",
		       AIGUARD_ABI_VERSION, AIGUARD_LABEL_MAX,
		       (unsigned long long)s.nr_protected,
		       (unsigned long long)s.nr_pending);
		for (int i = 0; i < AIGUARD_HOOK_NR; i++)
			printf("%s\"%s\":{\"allowed\":%llu,\"denied\":%llu,\"missed\":%llu}",
			       i ? "," : "", hook_names[i],
			       (unsigned long long)s.allowed[i],
			       (unsigned long long)s.denied[i],
			       (unsigned long long)s.missed[i]);
		printf("}}\n");
		return EX_AG_OK;
	}
	printf("module ABI version: %d\n", AIGUARD_ABI_VERSION);
	printf("protected processes: %llu\n", (unsigned long long)s.nr_protected);
	printf("pending (forking) processes: %llu\n", (unsigned long long)s.nr_pending);
	printf("\n%-16s %20s %20s %20s\n", "HOOK", "ALLOWED", "DENIED", "MISSED");
	for (int i = 0; i < AIGUARD_HOOK_NR; i++)
		printf("%-16s %20llu %20llu %20llu\n", hook_names[i],
		       (unsigned long long)s.allowed[i],
		       (unsigned long long)s.denied[i],
		       (unsigned long long)s.missed[i]);
	for (int i = 0; i < AIGUARD_HOOK_NR; i++) {
		if (s.missed[i]) {
			printf("\nwarning: some hook invocations were missed (kprobe nmissed); protection may have gaps\n");
			break;
		}
	}
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

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	struct aiguard_process_info *ents = NULL;
	struct aiguard_list l;
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

	if (json)
		printf("{\"total\":%u,\"processes\":[", l.count);
	else
		printf("%-8s %-32s %s\n", "PID", "LABEL", "COMM");
	for (uint32_t i = 0; i < l.count; i++) {
		char comm[64];

		ents[i].label[AIGUARD_LABEL_MAX - 1] = '\0';
		read_comm((pid_t)ents[i].pid, comm, sizeof(comm));
		if (json) {
			printf("%s{\"pid\":%u,\"label\":", i ? "," : "", ents[i].pid);
			json_string(stdout, ents[i].label);
			printf(",\"comm\":");
			json_string(stdout, comm);
			printf("}");
		} else {
			printf("%-8u %-32s %s\n", ents[i].pid, ents[i].label, comm);
		}
	}
	if (json)
		printf("]}\n");
out:
	free(ents);
	close(fd);
	return rc;
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
	  "[--label L] [--user U] [--group G] [--] CMD [ARGS...]\n\n"
	  "Protect the calling process, drop privileges if asked, then execute CMD\n"
	  "in the same process (same pid). Children inherit the protection.\n\n"
	  "  -l, --label L   trust domain; default: a new private domain\n"
	  "  -u, --user U    run CMD as user U (name or numeric uid); sets the\n"
	  "                  user's supplementary groups and primary group\n"
	  "  -g, --group G   primary group (name or numeric gid); required with a\n"
	  "                  numeric uid that has no passwd entry\n"
	  "  -h, --help      show this help\n" },
	{ "protect", cmd_protect,
	  "[--label L] PID...\n\n"
	  "Protect running processes (named by pidfd, race-free). Prefer 'exec':\n"
	  "a process that already holds secrets, or /proc/PID/mem descriptors\n"
	  "opened before protection, is not covered retroactively.\n"
	  "When several pids fail, the exit status is the highest code.\n\n"
	  "  -l, --label L   trust domain; default: a new private domain per pid\n"
	  "  -h, --help      show this help\n" },
	{ "unprotect", cmd_unprotect,
	  "PID...\n\n"
	  "Remove protection from processes.\n"
	  "When several pids fail, the exit status is the highest code.\n\n"
	  "  -h, --help      show this help\n" },
	{ "status", cmd_status,
	  "[--json] [PID]\n\n"
	  "Without PID: the module ABI version, the number of protected processes\n"
	  "and per-hook counters (allowed, denied, missed).\n"
	  "With PID: whether that process is protected, and its label.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "  -h, --help      show this help\n" },
	{ "list", cmd_list,
	  "[--json]\n\n"
	  "List protected processes: pid, label and command name.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
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
