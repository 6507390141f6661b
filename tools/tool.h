/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard(8) - internal declarations shared by the tool's source files.
 */
#ifndef AIGUARD_TOOL_H
#define AIGUARD_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/aiguard.h>

#define AIGUARD_TOOL_VERSION	"0.1.0"
#define AIGUARD_DEV_PATH	"/dev/" AIGUARD_DEVICE_NAME

/* Exit codes; documented in --help and aiguard(8). Keep them in sync. */
enum {
	EX_AG_OK = 0,
	EX_AG_ERROR = 1,	/* any other error */
	EX_AG_USAGE = 2,	/* bad command line, invalid pid/label/user */
	EX_AG_NOMODULE = 3,	/* /dev/aiguard missing: module not loaded */
	EX_AG_PERM = 4,		/* EPERM/EACCES: not privileged, or locked */
	EX_AG_NOPROC = 5,	/* ESRCH: no such process */
	EX_AG_TRACED = 6,	/* EBUSY: target has a tracer attached */
	EX_AG_CONFLICT = 7,	/* EEXIST: protected with another label */
	EX_AG_NOTPROT = 8,	/* ENOENT: not protected, or no such grant */
	EX_AG_ABI = 9,		/* module speaks another ABI version */
	EX_AG_EXEC_FAIL = 126,	/* exec: command found but not runnable */
	EX_AG_EXEC_NOENT = 127,	/* exec: command not found */
};

extern const char *progname;

void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* util.c */
bool parse_pid(const char *s, pid_t *out);
bool parse_u32_id(const char *s, unsigned int *out);
bool parse_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *out);
bool parse_u64(const char *s, uint64_t *out);
/* Returns NULL when valid, else a static explanation. */
const char *label_error(const char *label);

/* events.c: names and audit record rendering. */
const char *hook_name(unsigned int hook);		/* NULL if unknown */
const char *event_type_name(unsigned int type);	/* NULL if unknown */
void format_time_ns(char *buf, size_t len, uint64_t ns);
void print_safe(FILE *f, const char *s);
size_t events_render(FILE *f, const unsigned char *buf, size_t len, bool json,
		     bool *bad);

/* ids.c: resolve --user / --group, then drop privileges. */
struct ids {
	bool have_user, have_group;
	uid_t uid;
	gid_t gid;
	char *user_name;	/* login name for supplementary groups, or NULL */
	gid_t *groups;		/* supplementary groups (files backend only) */
	int ngroups;
};
int resolve_ids(const char *user, const char *group, struct ids *ids);
int drop_privileges(const struct ids *ids);
void free_ids(struct ids *ids);

#endif /* AIGUARD_TOOL_H */
