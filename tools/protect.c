// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the exec, protect and unprotect commands.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tool.h"

int cmd_exec(int argc, char **argv)
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

int cmd_protect(int argc, char **argv)
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

int cmd_unprotect(int argc, char **argv)
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
