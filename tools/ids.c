// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - resolve --user/--group and drop privileges.
 *
 * A dynamic build resolves names through NSS (getpwnam, getgrnam,
 * initgroups), so LDAP/sssd/systemd-userdb users work. A static build
 * (STATIC=1, -DAIGUARD_NO_NSS) must not call NSS functions: static glibc
 * would need the shared NSS modules of the very glibc it was built with at
 * run time (and the linker warns about it). It therefore reads
 * /etc/passwd and /etc/group itself with fgetpwent/fgetgrent. Numeric ids
 * work in both builds and need no database at all.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

struct pwinfo {
	uid_t uid;
	gid_t gid;
	char *name;
};

#ifdef AIGUARD_NO_NSS
/* Files-only lookups for static builds. by_name == NULL: look up by uid. */
static int lookup_passwd(const char *by_name, uid_t by_uid, struct pwinfo *pi)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	int found = 0;

	if (!f)
		return 0;
	while ((pw = fgetpwent(f))) {
		if (by_name ? strcmp(pw->pw_name, by_name) == 0
			    : pw->pw_uid == by_uid) {
			pi->uid = pw->pw_uid;
			pi->gid = pw->pw_gid;
			pi->name = strdup(pw->pw_name);
			found = pi->name != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static int lookup_group(const char *name, gid_t *gid)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	int found = 0;

	if (!f)
		return 0;
	while ((gr = fgetgrent(f))) {
		if (strcmp(gr->gr_name, name) == 0) {
			*gid = gr->gr_gid;
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Primary gid plus every /etc/group entry that lists the user. */
static int collect_groups(const char *user, gid_t gid, gid_t **out, int *n)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	gid_t *g = malloc(sizeof(*g));
	int cnt = 1;

	if (!g)
		return -1;
	g[0] = gid;
	if (f) {
		while ((gr = fgetgrent(f))) {
			if (gr->gr_gid == gid)
				continue;
			for (char **m = gr->gr_mem; m && *m; m++) {
				if (strcmp(*m, user) == 0) {
					gid_t *ng = realloc(g, (size_t)(cnt + 1) * sizeof(*g));

					if (!ng) {
						free(g);
						fclose(f);
						return -1;
					}
					g = ng;
					g[cnt++] = gr->gr_gid;
					break;
				}
			}
		}
		fclose(f);
	}
	*out = g;
	*n = cnt;
	return 0;
}
#else
static int lookup_passwd(const char *by_name, uid_t by_uid, struct pwinfo *pi)
{
	struct passwd *pw;

	errno = 0;
	pw = by_name ? getpwnam(by_name) : getpwuid(by_uid);
	if (!pw)
		return 0;
	pi->uid = pw->pw_uid;
	pi->gid = pw->pw_gid;
	pi->name = strdup(pw->pw_name);
	return pi->name != NULL;
}

static int lookup_group(const char *name, gid_t *gid)
{
	struct group *gr = getgrnam(name);

	if (!gr)
		return 0;
	*gid = gr->gr_gid;
	return 1;
}
#endif

int resolve_ids(const char *user, const char *group, struct ids *ids)
{
	struct pwinfo pi = { 0 };
	unsigned int num;

	memset(ids, 0, sizeof(*ids));
	if (group) {
		if (parse_u32_id(group, &num)) {
			ids->gid = num;
		} else if (!*group || !lookup_group(group, &ids->gid)) {
			errmsg("unknown group '%s' (give a name from the group database or a numeric gid)",
			       group);
			return EX_AG_USAGE;
		}
		ids->have_group = true;
	}
	if (!user)
		return EX_AG_OK;

	if (parse_u32_id(user, &num)) {
		ids->uid = num;
		/* A passwd entry is optional for a numeric uid. */
		if (lookup_passwd(NULL, num, &pi))
			ids->user_name = pi.name;
		else if (!ids->have_group) {
			errmsg("uid %u has no passwd entry, so its group is unknown: give --group",
			       num);
			return EX_AG_USAGE;
		}
	} else {
		if (!*user || !lookup_passwd(user, 0, &pi)) {
			errmsg("unknown user '%s' (give a name from the passwd database or a numeric uid)",
			       user);
			return EX_AG_USAGE;
		}
		ids->uid = pi.uid;
		ids->user_name = pi.name;
	}
	if (!ids->have_group)
		ids->gid = pi.gid;
	ids->have_user = true;

#ifdef AIGUARD_NO_NSS
	if (ids->user_name &&
	    collect_groups(ids->user_name, ids->gid, &ids->groups, &ids->ngroups)) {
		errmsg("out of memory");
		return EX_AG_ERROR;
	}
#endif
	return EX_AG_OK;
}

static int fail_errno(const char *what)
{
	int e = errno;

	errmsg("%s failed: %s%s", what, strerror(e),
	       (e == EPERM || e == EACCES) ? " (changing user or group needs root)" : "");
	return (e == EPERM || e == EACCES) ? EX_AG_PERM : EX_AG_ERROR;
}

/*
 * Order matters: supplementary groups and gid must change while we still
 * have CAP_SETGID, i.e. before setuid() drops root.
 */
int drop_privileges(const struct ids *ids)
{
	if (!ids->have_user && !ids->have_group)
		return EX_AG_OK;

	if (ids->have_user && ids->user_name) {
#ifdef AIGUARD_NO_NSS
		if (setgroups((size_t)ids->ngroups, ids->groups))
			return fail_errno("setgroups");
#else
		if (initgroups(ids->user_name, ids->gid))
			return fail_errno("initgroups");
#endif
	} else {
		/* No login name: only the target group, nothing inherited. */
		if (setgroups(1, &ids->gid))
			return fail_errno("setgroups");
	}
	if (setgid(ids->gid))
		return fail_errno("setgid");
	if (ids->have_user && setuid(ids->uid))
		return fail_errno("setuid");

	/* Check the result, then that it cannot be undone. */
	if (getgid() != ids->gid || getegid() != ids->gid ||
	    (ids->have_user && (getuid() != ids->uid || geteuid() != ids->uid))) {
		errmsg("privilege drop did not take effect; refusing to run the command");
		return EX_AG_ERROR;
	}
	if (ids->have_user && ids->uid != 0) {
		if (setuid(0) == 0 || seteuid(0) == 0) {
			errmsg("privilege drop is reversible (setuid(0) succeeded); refusing to run the command");
			return EX_AG_ERROR;
		}
		if (ids->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
			errmsg("group drop is reversible (setgid(0) succeeded); refusing to run the command");
			return EX_AG_ERROR;
		}
	}
	return EX_AG_OK;
}

void free_ids(struct ids *ids)
{
	free(ids->user_name);
	free(ids->groups);
	ids->user_name = NULL;
	ids->groups = NULL;
}
