/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard(8) - command line options.
 *
 * Every option any command takes is described once, in opts.c. A command
 * names the ones it accepts (OPT_* bits, in its entry of the command
 * table); parse_args() then fills a struct args, handles -h/--help, and
 * reports unknown options and missing arguments itself.
 */
#ifndef AIGUARD_OPTS_H
#define AIGUARD_OPTS_H

#include <stdbool.h>
#include <sys/types.h>

enum {
	OPT_LABEL	= 1 << 0,	/* -l, --label L */
	OPT_PERMISSIVE	= 1 << 1,	/* -p, --permissive */
	OPT_USER	= 1 << 2,	/* -u, --user U */
	OPT_GROUP	= 1 << 3,	/* -g, --group G */
	OPT_JSON	= 1 << 4,	/* -j, --json */
	OPT_FOLLOW	= 1 << 5,	/* -f, --follow */
	OPT_TRACER	= 1 << 6,	/* -t, --tracer PID */
	OPT_TARGET	= 1 << 7,	/* -T, --target PID */
	OPT_TTL		= 1 << 8,	/* --ttl SECONDS */
	OPT_VERSION	= 1 << 9,	/* -V, --version (before the command) */
	OPT_JOIN	= 1 << 10,	/* --join */
	OPT_PROMETHEUS	= 1 << 11,	/* --prometheus */
};

/* What the command line said; options not given are NULL or false. */
struct args {
	const char *label, *user, *group, *tracer, *target, *ttl;
	bool permissive, json, follow, join, prometheus;
	int argc;		/* the operands: what follows the options */
	char **argv;
};

/* parse_args() results besides EX_AG_OK and EX_AG_USAGE */
#define ARGS_HELP	(-1)	/* -h or --help: show the help, exit 0 */
#define ARGS_VERSION	(-2)	/* -V or --version */

/*
 * Parse the options in argv[1..] that stand before the first operand
 * (argv[0] is the program or command name). Parsing stops at -h, --help,
 * -V or --version, whatever follows. On a usage error the message is
 * printed and EX_AG_USAGE returned.
 */
int parse_args(int argc, char **argv, unsigned int allowed, struct args *a);

/* parse_pid(), or EX_AG_USAGE after saying "invalid <what>pid". */
int pid_arg(const char *what, const char *s, pid_t *out);
/* Every operand a pid, checked before any is acted on; *out is malloc'ed. */
int parse_pids(const struct args *a, pid_t **out);
/* EX_AG_OK, or EX_AG_USAGE after saying why the label is invalid. */
int check_label(const char *label);

#endif /* AIGUARD_OPTS_H */
