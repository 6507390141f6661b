/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard end-to-end tests: shared helpers.
 *
 * The test program's life cycle (TAP through tap.h), /dev/aiguard wrappers,
 * target processes that hold canaries, and the "control succeeds /
 * protected fails" checks every test uses.
 */
#ifndef AIGUARD_E2E_LIB_H
#define AIGUARD_E2E_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/aiguard.h>

#include "tap.h"

#define CANARY_LEN	40	/* every canary is exactly this many bytes */

/* ---- life cycle ------------------------------------------------------------ */

/*
 * Call first in main(). Handles the helper modes of every test binary
 * (target, sleeper, core helper), which never return; otherwise prints the
 * TAP header, arms a global alarm and records the registry baseline.
 */
void tap_init(int argc, char **argv, unsigned int timeout_sec);
/* Kills and reaps every child, checks the registry baseline, prints the plan. */
int tap_done(void);
/* Registers a function run at tap_done() and from the alarm handler. */
void tap_atexit(void (*fn)(void));

/* "EPERM" etc.; "0" for 0. */
const char *errname(int err);

/*
 * Landlock-style expectation: ret must be -1 and errno must be want (or
 * want2 when not 0). Both are checked and reported separately.
 */
int expect_fail(long ret, int err, int want, int want2, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* ret must be want_ret (errno reported when not). */
int expect_ret(long ret, int err, long want_ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The same for a call written inline: the call runs first and errno is read
 * right after it (C leaves the order of function arguments unspecified, so
 * expect_fail(ioctl(...), errno, ...) may read errno before the ioctl).
 */
#define EXPECT_FAIL(call, want, want2, ...) ({				\
	long ret_ = (call);						\
	int err_ = errno;						\
	expect_fail(ret_, err_, (want), (want2), __VA_ARGS__);		\
})
#define EXPECT_RET(call, want_ret, ...) ({				\
	long ret_ = (call);						\
	int err_ = errno;						\
	expect_ret(ret_, err_, (want_ret), __VA_ARGS__);		\
})

/* ---- /dev/aiguard --------------------------------------------------------- */

/* Opens /dev/aiguard once (cached); -1 with errno set when missing. */
int ag_fd(void);
/* Closes ag_fd()'s descriptor (the module can then be unloaded); the next
 * ag_fd() opens the device again. */
void ag_close(void);
/* Fresh descriptor (caller closes). */
int ag_open(void);
/* The reason the device is not usable, for diagnostics. */
const char *ag_error(void);
/*
 * PROTECT; label may be NULL/"" (private domain); label_out may be NULL.
 * The test acts as an operator who joins labels deliberately: it passes
 * AIGUARD_PROTECT_JOIN. ag_protect_flags() takes the flags as given.
 */
int ag_protect(uint32_t type, int id, const char *label, char *label_out);
int ag_protect_flags(uint32_t type, int id, const char *label, char *label_out,
		     uint32_t flags);
/*
 * 1 when the audit ring holds a record of this type about target_tgid
 * (and, unless NULL, with this target label); 0 when not; -1 on error.
 */
int ag_find_event(uint16_t type, pid_t target_tgid, const char *label);
/* The same, from hook (an enum aiguard_hook) only. */
int ag_find_hook_event(uint16_t type, int hook, pid_t target_tgid, const char *label);
int ag_unprotect(uint32_t type, int id);
/* Ends every active grant (cleanup of tests that make many). */
void ag_revoke_all(void);
int ag_query(uint32_t type, int id, struct aiguard_process_info *info);
int ag_stats(struct aiguard_stats *st);
/* Protected thread groups right now, or -1. */
int ag_nr_protected(void);
/* Waits up to timeout_ms for nothing to be protected; 1 when so. */
int ag_wait_unprotected(int timeout_ms);

/* ---- targets -------------------------------------------------------------- */

enum tgt_mode {
	TGT_CONTROL,	/* control */
	TGT_PIDFD,	/* protected by the test through its pidfd */
	TGT_SELF,	/* protects itself before loading its canaries */
};

struct canaries {
	char heap[CANARY_LEN + 1];
	char env[CANARY_LEN + 1];
	char memfd[CANARY_LEN + 1];
	char file[CANARY_LEN + 1];	/* also part of the open file's name */
};

/* What a target (or one of its descendants) reports about itself. */
struct target_msg {
	int32_t kind;
	int32_t ret;
	int32_t err;
	int32_t pid;
	int32_t tid;
	int32_t memfd;
	int32_t filefd;
	int32_t protect_ret;
	int32_t protect_err;
	int32_t pad;
	uint64_t heap_addr;	/* canaries.heap lives here, page aligned */
	uint64_t scratch_addr;	/* a writable page for write attacks */
	char label[AIGUARD_LABEL_MAX];
};

struct target {
	pid_t pid;
	int pidfd;
	int cmd_wr;
	int resp_rd;
	enum tgt_mode mode;
	struct canaries c;
	struct target_msg info;		/* from the last (re)start */
	int prot_ret, prot_err;		/* outcome of the protection */
	char label[AIGUARD_LABEL_MAX];	/* label in force */
};

/* Target commands (target_cmd). */
#define TCMD_QUIT	'Q'
#define TCMD_GET_DUMPABLE 'P'	/* reply.ret = prctl(PR_GET_DUMPABLE) */
#define TCMD_SET_DUMPABLE 'S'	/* reply = prctl(PR_SET_DUMPABLE, 1) */
#define TCMD_TRACEME	'T'	/* reply = ptrace(PTRACE_TRACEME) */
#define TCMD_SIGNAL	'K'	/* kill(getpid(), arg); no reply */
#define TCMD_EXEC	'X'	/* re-exec; reply = new image's info */
#define TCMD_SETUID_EXEC 'U'	/* setresuid(arg) then re-exec */
#define TCMD_FORK	'F'	/* reply = fork child's info (child sleeps) */
#define TCMD_VFORK	'V'	/* vfork + exec sleeper; reply = its info */
#define TCMD_CLONE_VM	'C'	/* clone(CLONE_VM) child; reply = its info */
#define TCMD_THREAD	'H'	/* pthread; reply = its info (tid) */

/*
 * Starts a target: a re-exec of this binary that holds its canaries in a
 * heap page, the environment (AIGUARD_E2E_CANARY), a memfd and an open
 * (unlinked) file in /tmp, then waits for commands on a pipe.
 * label: for TGT_PIDFD/TGT_SELF ("" = private domain).
 * Returns 0 when the process runs (check t->prot_ret for protection), -1 else.
 */
int target_spawn(struct target *t, enum tgt_mode mode, const char *label);
/* Sends a command; when reply != NULL, waits (5 s) for one message. */
int target_cmd(struct target *t, char cmd, int arg, struct target_msg *reply);
/* Reads one message from the target's response pipe (timeout ms). */
int target_read_msg(struct target *t, struct target_msg *m, int timeout_ms);
/* Kills and reaps it. */
void target_stop(struct target *t);
/* 1 when t is protected as asked; else emits a diagnostic and returns 0. */
int target_is_protected(const struct target *t);

/* ---- attacks ------------------------------------------------------------- */

struct attack_res {
	long ret;		/* syscall result (the failing step's, if any) */
	int err;		/* its errno, 0 on success */
	int got;		/* 1 when the secret came back */
	int leaked;		/* 1 when any canary byte string came back */
	char what[256];		/* which step, what was seen */
};

/* pid/tid/addr: which process of a target to attack (0 = the target). */
struct victim {
	struct target *t;
	pid_t pid;
	pid_t tid;
	uint64_t heap_addr;
};

typedef void (*attack_fn)(const struct victim *v, struct attack_res *r);

struct attack {
	const char *name;	/* test name stem, e.g. "ptrace_attach" */
	attack_fn fn;
	int want, want2;	/* errno(s) on a protected target */
	int need_secret;	/* control must return the canary */
};

/* Control half: the attack must succeed (and get the secret). */
int check_control(const struct attack *a, const struct victim *v);
/* Protected half: -1, the errno, and no canary leaked. */
int check_protected(const struct attack *a, const struct victim *v);
/* Both halves against a control and a protected target. */
void check_pair(const struct attack *a, struct target *ctl, struct target *prot);
/* Runs the attack in a forked child (optionally protected with label first). */
int attack_in_child(const struct attack *a, const struct victim *v,
		    const char *self_label, struct attack_res *r);
struct victim victim_of(struct target *t);

/* ---- misc ----------------------------------------------------------------- */

/* Whole file into buf (NUL-terminated); returns bytes or -1 (errno). */
ssize_t read_file(const char *path, char *buf, size_t size);
int write_file(const char *path, const char *s);
/* The integer a sysfs-style file holds, or -1. */
int read_int(const char *path);
/* aiguard.ko's module reference count, or -1 when it is not loaded. */
int ag_module_refcnt(void);
/* Scans buf for any canary of t. */
int leaks(const struct target *t, const void *buf, size_t len);
int has(const void *buf, size_t len, const char *needle);
/* waitpid with a timeout (ms); returns pid, 0 on timeout, -1 on error. */
pid_t wait_timeout(pid_t pid, int *status, int options, int timeout_ms);
/* Child reaped by tap_done when still running. */
void track_child(pid_t pid);
/*
 * Forks a child that protects itself under label (unless NULL), runs
 * setup(arg) (unless NULL), tells us how that went, and runs body(arg),
 * which must not return. So what setup does is done when this returns:
 * the child's pid (tracked), or -1 with errno when fork or the
 * protection failed (then the child is gone).
 */
pid_t fork_protected(const char *label, void (*setup)(void *arg),
		     void (*body)(void *arg), void *arg);
/* A child that sleeps until killed (or its parent dies), tracked. */
pid_t spawn_sleeper(void);
/* SIGKILL and reap a child of fork_protected; pid <= 0 is a no-op. */
void child_kill(pid_t pid);
/* Path of this binary. */
const char *self_exe(void);
int host_mode(void);	/* AIGUARD_E2E_HOST=1 */

/* tracefs: mounted on demand; the directory, or NULL without one. */
const char *tracefs_dir(void);
/* Writes s to a tracefs file (appending or truncating); 0 or -1 (errno). */
int tracefs_write(const char *file, const char *s, int append);
/* Reads a tracefs file into buf (NUL-terminated); bytes or -1. */
ssize_t tracefs_read(const char *file, char *buf, size_t size);

#endif
