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

/* main.c: messages, help, exit codes, commands. */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int errno_exit(int e);
const char *errno_text(int e);

typedef int (*cmd_fn)(int argc, char **argv);
struct cmd {
	const char *name;
	cmd_fn fn;
	const char *usage;
};
const struct cmd *find_cmd(const char *name);
void usage_cmd(const struct cmd *c, FILE *f);

int cmd_exec(int argc, char **argv);		/* protect.c */
int cmd_protect(int argc, char **argv);
int cmd_unprotect(int argc, char **argv);
int cmd_status(int argc, char **argv);		/* status.c */
int cmd_list(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_events(int argc, char **argv);		/* events.c */
int cmd_permissive(int argc, char **argv);	/* mode.c */
int cmd_lock(int argc, char **argv);
int cmd_allow(int argc, char **argv);		/* grants.c */
int cmd_revoke(int argc, char **argv);
int cmd_grants(int argc, char **argv);

/* opts.c */
enum { OPT_HELP = 'h', OPT_LABEL = 'l', OPT_USER = 'u', OPT_GROUP = 'g',
       OPT_JSON = 'j', OPT_PERMISSIVE = 'p', OPT_FOLLOW = 'f',
       OPT_TRACER = 't', OPT_TARGET = 'T', OPT_TTL = 256 };
int bad_option(int c, char **argv);
int simple_opts(int argc, char **argv, const char *name);
int parse_pids(int argc, char **argv, pid_t **out);
int check_label(const char *label);

/* dev.c */
int get_status(int fd, struct aiguard_status *st);
const char *fail_text(int fd, int e);
int open_dev(bool quiet);
int get_version(int fd, struct aiguard_version *v, bool quiet);
int open_checked(void);
int make_target(pid_t pid, struct aiguard_target *t);
void put_target(struct aiguard_target *t);
int query_pid(int fd, pid_t pid, struct aiguard_process_info *info);

/* grants.c */
int fetch_grants(int fd, struct aiguard_grant_info **out, uint32_t *n);
const char *grants_errtext(int e);

/* util.c */
bool parse_pid(const char *s, pid_t *out);
bool parse_u32_id(const char *s, unsigned int *out);
bool parse_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *out);
bool parse_u64(const char *s, uint64_t *out);
/* Returns NULL when valid, else a static explanation. */
const char *label_error(const char *label);
void read_comm(pid_t pid, char *buf, size_t len);
char *printable(char *s);

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
