// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the command table, help texts, exit codes, and main().
 * Protects AI workload processes' memory with the aiguard kernel module
 * through /dev/aiguard. See aiguard.8.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "opts.h"
#include "tool.h"

const char *progname = "aiguard";
static const char *cmdname;	/* current command, for messages */

/* "aiguard: COMMAND: message" on stderr, without the newline. */
static void vmessage(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	if (cmdname)
		fprintf(stderr, "%s: ", cmdname);
	vfprintf(stderr, fmt, ap);
}

bool errmsg_syslog;

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (errmsg_syslog) {
		va_start(ap, fmt);
		vsyslog(LOG_ERR, fmt, ap);
		va_end(ap);
	}
}

/* ------------------------------------------------------------------ */
/* Help texts                                                          */

static const char exit_codes_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  other error\n"
	"  2  usage error (bad option, invalid pid, label, user or group)\n"
	"  3  module not loaded (" AIGUARD_DEV_PATH " missing; run: modprobe aiguard),\n"
	"     or " AIGUARD_DEV_PATH " is not the loaded module's device node\n"
	"  4  not permitted (EPERM/EACCES; needs root / CAP_SYS_ADMIN),\n"
	"     or refused because the policy is locked (aiguard lock)\n"
	"  5  no such process\n"
	"  6  target already traced (a tracer is attached)\n"
	"  7  conflict: already protected, with another label or other flags\n"
	"     (--permissive, enter); protecting again never changes them\n"
	"  8  not protected (unprotect of an unprotected process, grant for an\n"
	"     unprotected target), or no such grant (revoke)\n"
	"  9  ABI mismatch between module and tool\n"
	"  10 the label has live members and this process is not one of them\n"
	"     (add --join to join it deliberately; refused once locked: 4)\n"
	"  11 doctor: a critical check failed (module not loaded, hooks dead)\n"
	"  126/127  exec: command not executable / not found\n";

static void usage_main(FILE *f)
{
	fprintf(f,
		"Usage: %s [-h|--help] [-V|--version] COMMAND [ARGS...]\n"
		"\n"
		"Protect AI workload processes' memory with the aiguard kernel module.\n"
		"\n"
		"Commands:\n"
		"  exec [--label L] [--join] [--permissive] [--user U] [--group G] [--] CMD [ARGS...]\n"
		"                      protect this process, drop privileges, exec CMD\n"
		"  protect [--label L] [--join] [--permissive] PID...   protect running processes\n"
		"  unprotect PID...             remove protection\n"
		"  status [--json|--prometheus] [PID]  module state, or one process's state\n"
		"  list [--json]                protected processes\n"
		"  events [--follow] [--json]   audit records (denials, changes)\n"
		"  permissive [on|off]          global audit-only mode\n"
		"  allow --tracer PID --target PID [--ttl SECONDS]\n"
		"                      break-glass: let one process access a protected one\n"
		"  revoke ID                    end a grant\n"
		"  grants [--json]              active grants\n"
		"  lock                         seal the policy until reboot (irreversible)\n"
		"  doctor [--json]              posture check of this machine, with fixes\n"
		"  oci-hook                     OCI runtime hook: protect an annotated container\n"
		"  version                      tool and module ABI versions\n"
		"  help [COMMAND]               this text, or a command's\n"
		"\n"
		"Without --label, each protect/exec gets a private domain \"@N\".\n"
		"A label with live members is closed: only its members, or --join\n"
		"before the lock, can add processes to it.\n"
		"Labels: 1-%d characters from A-Z a-z 0-9 . _ -\n"
		"\n%s",
		progname, AIGUARD_LABEL_MAX - 1, exit_codes_help);
}

struct cmd {
	const char *name;
	int (*fn)(const struct args *a);
	unsigned int opts;	/* OPT_* it takes besides -h, --help */
	unsigned int flags;
	const char *usage;	/* what follows "Usage: aiguard NAME " */
};
#define CMD_NO_OPERANDS	1	/* nothing after the options */
#define CMD_RAW		2	/* no option parsing: help */

static void usage_cmd(const struct cmd *c, FILE *f)
{
	fprintf(f, "Usage: %s %s %s", progname, c->name, c->usage);
	fprintf(f, "\n%s", exit_codes_help);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s%s--help'.\n", progname,
		cmdname ? cmdname : "", cmdname ? " " : "");
	return EX_AG_USAGE;
}

/* ------------------------------------------------------------------ */
/* Exit codes                                                          */

/* Map an errno from the module to an exit code. */
int errno_exit(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:	return EX_AG_PERM;
	case ESRCH:	return EX_AG_NOPROC;
	case EBUSY:	return EX_AG_TRACED;
	case EEXIST:	return EX_AG_CONFLICT;
	case ENOENT:	return EX_AG_NOTPROT;
	case ENOTTY:	return EX_AG_ABI;
	case EXDEV:	return EX_AG_OUTSIDER;
	default:	return EX_AG_ERROR;
	}
}

/*
 * errno_exit() for requests that are not about one process: ENOENT means
 * "not protected" (exit 8) only there, and is a plain error elsewhere.
 */
int fail_exit(int e)
{
	return e == ENOENT ? EX_AG_ERROR : errno_exit(e);
}

const char *errno_text(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:	return "not permitted (needs root with CAP_SYS_ADMIN)";
	case ESRCH:	return "no such process";
	case EBUSY:	return "a tracer is attached to the process (detach it first)";
	case EEXIST:	return "already protected, with another label or other flags";
	case ENOENT:	return "not protected";
	case ENOTTY:	return "the module does not know this request (module and tool ABI differ)";
	case EINVAL:	return "the module rejected the request as invalid (EINVAL)";
	case EXDEV:	return "the label has live members and this process is not one of them; "
			       "add --join to join it deliberately (recorded), or start it from a member";
	default:	return strerror(e);
	}
}

static const struct cmd *find_cmd(const char *name);

/* help is parsed by itself: "help -h" is the general help. */
static int cmd_help(const struct args *a)
{
	const struct cmd *c;

	if (a->argc > 1)
		return usage_error("too many arguments");
	if (a->argc == 1 && strcmp(a->argv[0], "-h") && strcmp(a->argv[0], "--help")) {
		c = find_cmd(a->argv[0]);
		if (!c || c->fn == cmd_help)
			return usage_error("unknown command '%s'", quote_arg(a->argv[0]));
		usage_cmd(c, stdout);
		return EX_AG_OK;
	}
	usage_main(stdout);
	return EX_AG_OK;
}

static const struct cmd commands[] = {
	{ "exec", cmd_exec, OPT_LABEL | OPT_JOIN | OPT_PERMISSIVE | OPT_USER | OPT_GROUP, 0,
	  "[--label L] [--join] [--permissive] [--user U] [--group G] [--] CMD [ARGS...]\n\n"
	  "Protect the calling process, drop privileges if asked, then execute CMD\n"
	  "in the same process (same pid). Children inherit the protection.\n\n"
	  "  -l, --label L   trust domain; default: a new private domain\n"
	  "      --join      join label L although it has live members this\n"
	  "                  process is not one of (recorded; refused once locked)\n"
	  "  -p, --permissive  audit only: denials are recorded (aiguard events)\n"
	  "                  but allowed; refused once the policy is locked\n"
	  "  -u, --user U    run CMD as user U (name or numeric uid); sets the\n"
	  "                  user's supplementary groups and primary group\n"
	  "  -g, --group G   primary group (name or numeric gid); required with a\n"
	  "                  numeric uid that has no passwd entry\n"
	  "  -h, --help      show this help\n" },
	{ "protect", cmd_protect, OPT_LABEL | OPT_JOIN | OPT_PERMISSIVE, 0,
	  "[--label L] [--join] [--permissive] PID...\n\n"
	  "Protect running processes (named by pidfd, race-free). Prefer 'exec':\n"
	  "a process that already holds secrets, or /proc/PID/mem descriptors\n"
	  "opened before protection, is not covered retroactively.\n"
	  "When several pids fail, the exit status is the highest code.\n\n"
	  "  -l, --label L   trust domain; default: a new private domain per pid\n"
	  "      --join      add the pids to label L although it has live members\n"
	  "                  this process is not one of (recorded; refused once\n"
	  "                  locked). Needed for every pid after the first of L.\n"
	  "  -p, --permissive  audit only: denials are recorded (aiguard events)\n"
	  "                  but allowed; refused once the policy is locked\n"
	  "  -h, --help      show this help\n" },
	{ "unprotect", cmd_unprotect, 0, 0,
	  "PID...\n\n"
	  "Remove protection from processes.\n"
	  "When several pids fail, the exit status is the highest code.\n\n"
	  "  -h, --help      show this help\n" },
	{ "status", cmd_status, OPT_JSON | OPT_PROMETHEUS, 0,
	  "[--json|--prometheus] [PID]\n\n"
	  "Without PID: the module ABI version, mode (enforcing or permissive),\n"
	  "whether the policy is locked, the number of protected processes, audit\n"
	  "records written and dropped, active grants, and per-hook counters\n"
	  "(allowed, denied, audited, granted, missed).\n"
	  "If the kernel stopped calling aiguard's hooks, a CRITICAL line says that\n"
	  "protection is off (JSON: \"critical\":true); the exit status stays 0.\n"
	  "With PID: whether that process is protected, its label and mode.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "      --prometheus  the module state in Prometheus text format (aiguard_*\n"
	  "                  metrics, for node_exporter's textfile collector)\n"
	  "  -h, --help      show this help\n" },
	{ "list", cmd_list, OPT_JSON, CMD_NO_OPERANDS,
	  "[--json]\n\n"
	  "List protected processes: pid, label, mode (PERMISSIVE or enforcing),\n"
	  "container (the short id engines name its cgroup after, or -) and\n"
	  "command name.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "  -h, --help      show this help\n" },
	{ "events", cmd_events, OPT_FOLLOW | OPT_JSON, CMD_NO_OPERANDS,
	  "[--follow] [--json]\n\n"
	  "Print the audit records in the module's ring, oldest first: denials\n"
	  "(DENY), accesses permissive mode let through (AUDIT), grant uses and\n"
	  "changes, protect/unprotect, mode changes, lock, and tamper alerts.\n"
	  "A DROPPED record says how many records were lost before they were read.\n"
	  "Without --follow, exits when the ring is drained.\n\n"
	  "  -f, --follow    keep waiting for new records; exit 0 on SIGINT/SIGTERM\n"
	  "  -j, --json      one JSON object per line\n"
	  "  -h, --help      show this help\n" },
	{ "permissive", cmd_permissive, 0, 0,
	  "[on|off]\n\n"
	  "Turn global permissive (audit-only) mode on or off: every decision is\n"
	  "made and recorded (AUDIT records) but access is allowed. Without an\n"
	  "argument, show the mode. Turning it on is refused once locked.\n\n"
	  "  -h, --help      show this help\n" },
	{ "allow", cmd_allow, OPT_TRACER | OPT_TARGET | OPT_TTL, CMD_NO_OPERANDS,
	  "--tracer PID --target PID [--ttl SECONDS]\n\n"
	  "Break-glass grant: let the one process PID of --tracer (not its\n"
	  "children, not its user) access the protected process of --target, e.g.\n"
	  "to attach a debugger. The grant ends after the ttl or when either\n"
	  "process exits. Prints the grant ID (for revoke). Refused once locked.\n\n"
	  "  -t, --tracer PID  the process let in (it must already be running)\n"
	  "  -T, --target PID  the protected process it may access\n"
	  "      --ttl SECONDS lifetime, 1 to 86400; default 600\n"
	  "  -h, --help        show this help\n" },
	{ "revoke", cmd_revoke, 0, 0,
	  "ID\n\n"
	  "End the grant ID (see 'aiguard grants'). Exit 8 if there is none.\n\n"
	  "  -h, --help      show this help\n" },
	{ "grants", cmd_grants, OPT_JSON, CMD_NO_OPERANDS,
	  "[--json]\n\n"
	  "List active grants: id, tracer, target, seconds left and uses.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "  -h, --help      show this help\n" },
	{ "lock", cmd_lock, 0, CMD_NO_OPERANDS,
	  "\n\n"
	  "Seal the policy until reboot, without asking: from then on unprotect,\n"
	  "permissive mode (global or per process), new grants and unloading the\n"
	  "module are refused (exit 4), even for root. Protecting new processes,\n"
	  "turning permissive mode off and revoking grants keep working.\n"
	  "IRREVERSIBLE until the machine reboots. Locking twice succeeds.\n\n"
	  "  -h, --help      show this help\n" },
	{ "doctor", cmd_doctor, OPT_JSON, CMD_NO_OPERANDS,
	  "[--json]\n\n"
	  "Check this machine's posture for protected workloads; each check says\n"
	  "ok, warn or fail, what it saw, and a one-line fix: the module (loaded,\n"
	  "hooks alive, protected processes, lock and seal), kernel lockdown,\n"
	  "Secure Boot, module signature enforcement, the sysctls\n"
	  "kernel.yama.ptrace_scope, kernel.core_pattern with fs.suid_dumpable,\n"
	  "kernel.kptr_restrict, kernel.perf_event_paranoid,\n"
	  "kernel.unprivileged_bpf_disabled, kernel.kexec_load_disabled,\n"
	  "kernel.modules_disabled, kernel.ftrace_enabled, kprobes, swap (a device\n"
	  "that is neither zram nor dm-crypt warns) and /proc hidepid.\n"
	  "Exits 11 when a critical check fails (module not loaded, hooks dead),\n"
	  "else 0, warnings or not. AIGUARD_ROOT=DIR reads /proc and /sys under DIR.\n\n"
	  "  -j, --json      one JSON object on stdout\n"
	  "  -h, --help      show this help\n" },
	{ "oci-hook", cmd_oci_hook, 0, CMD_NO_OPERANDS,
	  "\n\n"
	  "OCI runtime hook (createRuntime or prestart): reads the container state\n"
	  "from stdin and, if the container has the annotation io.aiguard.label=L,\n"
	  "protects its init process with label L before the entrypoint runs, so\n"
	  "that every process of the container is protected from birth. Also read:\n"
	  "io.aiguard.permissive=true (audit only), io.aiguard.join=true (add the\n"
	  "container to a label that has members already; refused once locked)\n"
	  "and io.aiguard.exec=deny (refuse exec sessions and exec health checks,\n"
	  "which otherwise may join the container's namespaces, not its memory).\n"
	  "Without io.aiguard.label it does nothing. Any other io.aiguard.*\n"
	  "annotation, a state it cannot read, a status past \"created\", or a failed\n"
	  "protect is an error: the engine then does not start the container.\n"
	  "hooks.d/aiguard.json (podman, CRI-O) runs it for annotated containers only.\n\n"
	  "  -h, --help      show this help\n" },
	{ "version", cmd_version, 0, CMD_NO_OPERANDS,
	  "\n\n"
	  "Print the tool version and the loaded module's ABI version.\n"
	  "Exits 0 when the module is not loaded, 9 on an ABI mismatch.\n\n"
	  "  -h, --help      show this help\n" },
	{ "help", cmd_help, 0, CMD_RAW, "[COMMAND]\n\nShow general or per-command help.\n" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int run_cmd(const struct cmd *cmd, int argc, char **argv)
{
	struct args a;
	int rc;

	if (cmd->flags & CMD_RAW) {
		memset(&a, 0, sizeof(a));
		a.argc = argc - 1;
		a.argv = argv + 1;
		return cmd->fn(&a);
	}
	rc = parse_args(argc, argv, cmd->opts, &a);
	if (rc == ARGS_HELP) {
		usage_cmd(cmd, stdout);
		return EX_AG_OK;
	}
	if (rc)
		return rc;
	if ((cmd->flags & CMD_NO_OPERANDS) && a.argc)
		return usage_error("unexpected argument '%s'", quote_arg(a.argv[0]));
	return cmd->fn(&a);
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;
	struct args a;
	int rc;

	if (argc < 1 || !argv[0])
		return EX_AG_USAGE;
	rc = parse_args(argc, argv, OPT_VERSION, &a);
	if (rc == ARGS_HELP) {
		usage_main(stdout);
		return EX_AG_OK;
	}
	if (rc == ARGS_VERSION) {
		printf("aiguard %s (ABI %d)\n", AIGUARD_TOOL_VERSION, AIGUARD_ABI_VERSION);
		return EX_AG_OK;
	}
	if (rc)
		return rc;
	if (a.argc == 0) {
		usage_main(stderr);
		return EX_AG_USAGE;
	}
	cmd = find_cmd(a.argv[0]);
	if (!cmd)
		return usage_error("unknown command '%s'", quote_arg(a.argv[0]));
	cmdname = cmd->name;
	return run_cmd(cmd, a.argc, a.argv);
}
