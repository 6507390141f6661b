// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - command line helpers: options, pids and labels.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* getopt runs with opterr = 0 and a leading ':' so messages are ours. */
int bad_option(int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return usage_error("option '%s' needs an argument", opt);
	if (optopt && strncmp(opt, "--", 2) != 0)
		return usage_error("unknown option '-%c'", optopt);
	return usage_error("unknown option '%s'", opt);
}

/* No options but --help, and no arguments beyond max_args. */
int simple_opts(int argc, char **argv, const char *name)
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

/* Parse every PID argument before acting on any. */
int parse_pids(int argc, char **argv, pid_t **out)
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

int check_label(const char *label)
{
	const char *why = label_error(label);

	if (why)
		return usage_error("invalid label '%s': %s", label, why);
	return EX_AG_OK;
}
