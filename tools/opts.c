// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - command line options (see opts.h), pids and labels.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "tool.h"

#define OPT_LONG_ONLY	256	/* getopt values of options without a letter */
#define OPT_LONG_JOIN	257
#define OPT_LONG_PROM	258

static const struct optdef {
	unsigned int bit;	/* OPT_*; 0: every command has it */
	struct option opt;	/* .val: its letter, or OPT_LONG_ONLY */
} optdefs[] = {
	{ OPT_LABEL,      { "label",      required_argument, NULL, 'l' } },
	{ OPT_PERMISSIVE, { "permissive", no_argument,       NULL, 'p' } },
	{ OPT_USER,       { "user",       required_argument, NULL, 'u' } },
	{ OPT_GROUP,      { "group",      required_argument, NULL, 'g' } },
	{ OPT_JSON,       { "json",       no_argument,       NULL, 'j' } },
	{ OPT_FOLLOW,     { "follow",     no_argument,       NULL, 'f' } },
	{ OPT_TRACER,     { "tracer",     required_argument, NULL, 't' } },
	{ OPT_TARGET,     { "target",     required_argument, NULL, 'T' } },
	{ OPT_TTL,        { "ttl",        required_argument, NULL, OPT_LONG_ONLY } },
	{ OPT_JOIN,       { "join",       no_argument,       NULL, OPT_LONG_JOIN } },
	{ OPT_PROMETHEUS, { "prometheus", no_argument,       NULL, OPT_LONG_PROM } },
	{ OPT_VERSION,    { "version",    no_argument,       NULL, 'V' } },
	{ 0,              { "help",       no_argument,       NULL, 'h' } },
};

#define NOPTDEFS (sizeof(optdefs) / sizeof(optdefs[0]))

/*
 * getopt_long()'s tables for the options in @allowed. The short option
 * string starts with '+' (stop at the first operand: "exec CMD -x" passes
 * -x to CMD) and ':' (report a missing argument as ':').
 */
static void getopt_tables(unsigned int allowed, struct option *longopts,
			  char *shortopts)
{
	size_t n = 0;

	*shortopts++ = '+';
	*shortopts++ = ':';
	for (size_t i = 0; i < NOPTDEFS; i++) {
		const struct option *o = &optdefs[i].opt;

		if (optdefs[i].bit && !(optdefs[i].bit & allowed))
			continue;
		longopts[n++] = *o;
		if (o->val >= OPT_LONG_ONLY)
			continue;
		*shortopts++ = (char)o->val;
		if (o->has_arg == required_argument)
			*shortopts++ = ':';
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	*shortopts = '\0';
}

static void store(struct args *a, int c, char *arg)
{
	switch (c) {
	case 'l':		a->label = arg; break;
	case 'p':		a->permissive = true; break;
	case 'u':		a->user = arg; break;
	case 'g':		a->group = arg; break;
	case 'j':		a->json = true; break;
	case 'f':		a->follow = true; break;
	case 't':		a->tracer = arg; break;
	case 'T':		a->target = arg; break;
	case OPT_LONG_ONLY:	a->ttl = arg; break;
	case OPT_LONG_JOIN:	a->join = true; break;
	case OPT_LONG_PROM:	a->prometheus = true; break;
	}
}

/* getopt runs with opterr = 0 and a leading ':' so messages are ours. */
static int bad_option(int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return usage_error("option '%s' needs an argument", quote_arg(opt));
	if (optopt && strncmp(opt, "--", 2) != 0)
		return usage_error("unknown option '-%c'", optopt);
	return usage_error("unknown option '%s'", quote_arg(opt));
}

int parse_args(int argc, char **argv, unsigned int allowed, struct args *a)
{
	struct option longopts[NOPTDEFS + 1];
	char shortopts[2 * NOPTDEFS + 3];
	int c;

	memset(a, 0, sizeof(*a));
	getopt_tables(allowed, longopts, shortopts);
	opterr = 0;
	optind = 0;	/* start afresh: main() and the command both parse */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h')
			return ARGS_HELP;
		if (c == 'V')
			return ARGS_VERSION;
		if (c == '?' || c == ':')
			return bad_option(c, argv);
		store(a, c, optarg);
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return EX_AG_OK;
}

int pid_arg(const char *what, const char *s, pid_t *out)
{
	if (parse_pid(s, out))
		return EX_AG_OK;
	return usage_error("invalid %spid '%s' (expected a positive decimal integer up to %d)",
			   what, quote_arg(s), INT32_MAX);
}

int parse_pids(const struct args *a, pid_t **out)
{
	pid_t *pids;

	if (a->argc <= 0)
		return usage_error("missing PID");
	pids = calloc((size_t)a->argc, sizeof(*pids));
	if (!pids) {
		errmsg("out of memory");
		return EX_AG_ERROR;
	}
	for (int i = 0; i < a->argc; i++) {
		int rc = pid_arg("", a->argv[i], &pids[i]);

		if (rc) {
			free(pids);
			return rc;
		}
	}
	*out = pids;
	return EX_AG_OK;
}

int check_label(const char *label)
{
	const char *why = label_error(label);

	if (why)
		return usage_error("invalid label '%s': %s", quote_arg(label), why);
	return EX_AG_OK;
}
