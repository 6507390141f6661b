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

/* tools/Makefile passes the version of the top-level VERSION file. */
#ifndef AIGUARD_TOOL_VERSION
#define AIGUARD_TOOL_VERSION	"0.1.0"
#endif
#define AIGUARD_DEV_PATH	"/dev/" AIGUARD_DEVICE_NAME
#define LOCKDOWN_PATH		"/sys/kernel/security/lockdown"

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
	EX_AG_OUTSIDER = 10,	/* EXDEV: the label has members; needs --join */
	EX_AG_CRITICAL = 11,	/* doctor: a critical check failed */
	EX_AG_EXEC_FAIL = 126,	/* exec: command found but not runnable */
	EX_AG_EXEC_NOENT = 127,	/* exec: command not found */
};

#define UNUSED	__attribute__((unused))

extern const char *progname;

/* main.c: messages, help, exit codes, commands. */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* errmsg() also to syslog (LOG_ERR), after openlog(): for commands whose
 * stderr may go nowhere an operator looks, as a hook's under podman. */
extern bool errmsg_syslog;
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int errno_exit(int e);
int fail_exit(int e);
const char *errno_text(int e);

/* The commands; main.c has their table. */
struct args;
int cmd_exec(const struct args *a);		/* protect.c */
int cmd_protect(const struct args *a);
int cmd_unprotect(const struct args *a);
int cmd_status(const struct args *a);		/* status.c */
int cmd_list(const struct args *a);
int cmd_version(const struct args *a);
int cmd_events(const struct args *a);		/* events.c */
int cmd_permissive(const struct args *a);	/* mode.c */
int cmd_lock(const struct args *a);
int cmd_allow(const struct args *a);		/* grants.c */
int cmd_revoke(const struct args *a);
int cmd_grants(const struct args *a);
int cmd_doctor(const struct args *a);		/* doctor.c */
int cmd_oci_hook(const struct args *a);		/* oci.c */

/* dev.c: talking to the module. Functions return an errno unless said. */
int open_dev(bool quiet);		/* fd, or -exit code */
int open_checked(void);			/* open_dev() + ABI check: fd, or -exit code */
int get_version(int fd, struct aiguard_version *v, bool quiet); /* exit code */
int get_status(int fd, struct aiguard_status *st);
int read_status(int fd, struct aiguard_status *st);	/* exit code */
const char *fail_text(int fd, int e);
const char *protect_fail_text(int fd, int e);
int make_target(pid_t pid, struct aiguard_target *t);
void put_target(struct aiguard_target *t);
int target_ioctl(int fd, unsigned long req, void *arg,
		 struct aiguard_target *t, pid_t pid);
int query_pid(int fd, pid_t pid, struct aiguard_process_info *info);
int fetch_list(int fd, unsigned long req, size_t size, uint32_t spare,
	       void **out, uint32_t *n);

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
bool read_container(pid_t pid, char *id, size_t idlen, char *cgroup, size_t cglen);
char *printable(char *s);
/* An argument quoted for an error message: escaped, cut when long. */
const char *quote_arg(const char *s);
void print_safe(FILE *f, const char *s);
struct json;
void print_listing(bool json, const char *key, const char *header,
		   const void *ents, size_t size, uint32_t n,
		   void (*entry)(struct json *j, const void *ent));

/* events.c: names and audit record rendering. */
const char *hook_name(unsigned int hook);		/* NULL if unknown */
const char *event_type_name(unsigned int type);	/* NULL if unknown */
void format_time_ns(char *buf, size_t len, uint64_t ns);
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
