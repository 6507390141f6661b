// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the permissive and lock commands.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "opts.h"
#include "tool.h"

static int show_permissive(int fd)
{
	struct aiguard_status st;
	int rc = read_status(fd, &st);

	if (rc)
		return rc;
	printf("permissive mode: %s\n", st.state & AIGUARD_STATE_PERMISSIVE ?
	       "on (denials are audited, not enforced)" : "off (enforcing)");
	return EX_AG_OK;
}

static int set_permissive(int fd, bool on)
{
	struct aiguard_mode m;

	memset(&m, 0, sizeof(m));
	if (on)
		m.flags = AIGUARD_MODE_PERMISSIVE;
	if (ioctl(fd, AIGUARD_IOC_SET_MODE, &m)) {
		int e = errno;

		errmsg("cannot turn permissive mode %s: %s", on ? "on" : "off",
		       fail_text(fd, e));
		return fail_exit(e);
	}
	printf("permissive mode: %s\n", on ?
	       "on (denials are audited, not enforced; see: aiguard events)" :
	       "off (enforcing)");
	return EX_AG_OK;
}

int cmd_permissive(const struct args *a)
{
	bool on = false;
	int fd, rc;

	if (a->argc > 1)
		return usage_error("too many arguments (expected on or off)");
	if (a->argc == 1) {
		on = !strcmp(a->argv[0], "on");
		if (!on && strcmp(a->argv[0], "off"))
			return usage_error("expected on or off, not '%s'",
					   quote_arg(a->argv[0]));
	}
	fd = open_checked();
	if (fd < 0)
		return -fd;
	rc = a->argc ? set_permissive(fd, on) : show_permissive(fd);
	close(fd);
	return rc;
}

/*
 * Raise the kernel's own lockdown to integrity, so that the kernel (and
 * what reads /sys/kernel/security/lockdown) says so too. aiguard's seal
 * does not depend on it: the module refuses the same operations itself.
 * It can only be raised; a higher mode (confidentiality) stays.
 */
static void raise_lockdown(void)
{
	char line[128];
	FILE *f = fopen(LOCKDOWN_PATH, "r+");

	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && strstr(line, "[none]")) {
		rewind(f);
		if (fputs("integrity", f) == EOF || fflush(f) == EOF)
			errmsg("warning: cannot raise the kernel lockdown to integrity (%s); "
			       "aiguard's seal does not depend on it", strerror(errno));
	}
	fclose(f);
}

int cmd_lock(const struct args *a UNUSED)
{
	struct aiguard_lock l;
	int fd, e;

	fd = open_checked();
	if (fd < 0)
		return -fd;
	memset(&l, 0, sizeof(l));
	e = ioctl(fd, AIGUARD_IOC_LOCK, &l) ? errno : 0;
	close(fd);
	if (e) {
		errmsg("cannot lock the policy: %s", errno_text(e));
		return fail_exit(e);
	}
	raise_lockdown();
	printf("aiguard policy locked until reboot: unprotect, permissive mode, new grants,\n"
	       "joining a label from outside and module unload are refused; active grants ended;\n"
	       "the kernel is sealed (unsigned modules, kexec, /dev/mem, debugfs writes, forced unloads)\n");
	return EX_AG_OK;
}
