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

/* pwinfo from a passwd entry; 0 if out of memory. */
static int fill_pwinfo(const struct passwd *pw, struct pwinfo *pi)
{
	pi->uid = pw->pw_uid;
	pi->gid = pw->pw_gid;
	pi->name = strdup(pw->pw_name);
	return pi->name != NULL;
}

#ifdef AIGUARD_NO_NSS
/*
 * Files-only lookups for static builds: fn on each entry of a database
 * file until it returns non-zero, which is returned (0: none matched).
 */
static int each_entry(const char *path, void *(*next)(FILE *),
		      int (*fn)(void *ent, void *ctx), void *ctx)
{
	FILE *f = fopen(path, "re");
	void *ent;
	int r = 0;

	if (!f)
		return 0;
	while (!r && (ent = next(f)))
		r = fn(ent, ctx);
	fclose(f);
	return r;
}

static void *next_passwd(FILE *f)
{
	return fgetpwent(f);
}

static void *next_group(FILE *f)
{
	return fgetgrent(f);
}

struct pw_query {
	const char *name;	/* NULL: look up by uid */
	uid_t uid;
	struct pwinfo *pi;
};

static int passwd_match(void *ent, void *ctx)
{
	const struct passwd *pw = ent;
	const struct pw_query *q = ctx;

	if (q->name ? strcmp(pw->pw_name, q->name) != 0 : pw->pw_uid != q->uid)
		return 0;
	return fill_pwinfo(pw, q->pi) ? 1 : -1;
}

/* by_name == NULL: look up by uid. */
static int lookup_passwd(const char *by_name, uid_t by_uid, struct pwinfo *pi)
{
	struct pw_query q = { by_name, by_uid, pi };

	return each_entry("/etc/passwd", next_passwd, passwd_match, &q) > 0;
}

struct gr_query {
	const char *name;
	gid_t gid;
};

static int group_match(void *ent, void *ctx)
{
	const struct group *gr = ent;
	struct gr_query *q = ctx;

	if (strcmp(gr->gr_name, q->name) != 0)
		return 0;
	q->gid = gr->gr_gid;
	return 1;
}

static int lookup_group(const char *name, gid_t *gid)
{
	struct gr_query q = { name, 0 };

	if (!each_entry("/etc/group", next_group, group_match, &q))
		return 0;
	*gid = q.gid;
	return 1;
}

struct gr_list {
	const char *user;
	gid_t *g;	/* the primary gid first */
	int n;
};

/* Add the group if it lists the user. -1: out of memory. */
static int add_member_group(void *ent, void *ctx)
{
	const struct group *gr = ent;
	struct gr_list *l = ctx;
	gid_t *ng;

	if (gr->gr_gid == l->g[0])
		return 0;
	for (char **m = gr->gr_mem; m && *m; m++) {
		if (strcmp(*m, l->user) != 0)
			continue;
		ng = realloc(l->g, (size_t)(l->n + 1) * sizeof(*ng));
		if (!ng)
			return -1;
		l->g = ng;
		l->g[l->n++] = gr->gr_gid;
		break;
	}
	return 0;
}

/* Primary gid plus every /etc/group entry that lists the user. */
static int collect_groups(const char *user, gid_t gid, gid_t **out, int *n)
{
	struct gr_list l = { user, malloc(sizeof(gid_t)), 1 };

	if (!l.g)
		return -1;
	l.g[0] = gid;
	if (each_entry("/etc/group", next_group, add_member_group, &l)) {
		free(l.g);
		return -1;
	}
	*out = l.g;
	*n = l.n;
	return 0;
}
#else
static int lookup_passwd(const char *by_name, uid_t by_uid, struct pwinfo *pi)
{
	struct passwd *pw;

	errno = 0;
	pw = by_name ? getpwnam(by_name) : getpwuid(by_uid);
	return pw ? fill_pwinfo(pw, pi) : 0;
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
			       quote_arg(group));
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
			       quote_arg(user));
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
