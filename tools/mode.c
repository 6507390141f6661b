// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the permissive and lock commands.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tool.h"

/* ---- permissive ---------------------------------------------------- */

int cmd_permissive(int argc, char **argv)
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

/* ---- lock ---------------------------------------------------------- */

int cmd_lock(int argc, char **argv)
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
