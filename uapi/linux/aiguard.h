/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * aiguard - runtime memory isolation for AI workload processes
 *
 * The ioctl ABI of /dev/aiguard.
 *
 * Rules that keep this ABI stable (the same ones Landlock follows):
 * - every field has a fixed width and every structure has explicit padding,
 *   so 32-bit and 64-bit callers share one layout;
 * - user pointers travel as __u64;
 * - fields named "reserved" and flag bits that this ABI version does not
 *   define must be zero, or the call fails with EINVAL, so that a later
 *   version can give them a meaning without breaking old callers;
 * - a structure never changes size: a new layout gets a new command number
 *   and AIGUARD_ABI_VERSION is raised.
 */

#ifndef _UAPI_LINUX_AIGUARD_H
#define _UAPI_LINUX_AIGUARD_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Raised whenever a command or a flag is added. */
#define AIGUARD_ABI_VERSION	1

#define AIGUARD_DEVICE_NAME	"aiguard"

/*
 * A label names a workload's trust domain: protected processes with the
 * same label may access each other. It is NUL-terminated, 1 to
 * AIGUARD_LABEL_MAX - 1 characters from [A-Za-z0-9._-], and every byte
 * after the terminating NUL must be zero. An empty label at protect time
 * asks the kernel for a private domain, reported back as "@<number>".
 */
#define AIGUARD_LABEL_MAX	32

/**
 * enum aiguard_target_type - how struct aiguard_target names a process
 * @AIGUARD_TARGET_SELF: the calling process; @id must be 0.
 * @AIGUARD_TARGET_PID: @id is a process id in the caller's pid namespace.
 * @AIGUARD_TARGET_PIDFD: @id is a pidfd (race-free against pid reuse).
 */
enum aiguard_target_type {
	AIGUARD_TARGET_SELF = 0,
	AIGUARD_TARGET_PID = 1,
	AIGUARD_TARGET_PIDFD = 2,
};

/**
 * struct aiguard_target - names one process (a whole thread group)
 * @type: one of enum aiguard_target_type.
 * @id: pid or pidfd, depending on @type.
 */
struct aiguard_target {
	__u32 type;
	__s32 id;
};

/**
 * struct aiguard_version - answer of AIGUARD_IOC_GET_VERSION
 * @abi_version: AIGUARD_ABI_VERSION of the running module.
 * @features: reserved for feature bits; zero in ABI version 1.
 * @label_max: AIGUARD_LABEL_MAX of the running module.
 * @reserved: zero.
 */
struct aiguard_version {
	__u32 abi_version;
	__u32 features;
	__u32 label_max;
	__u32 reserved;
};

/**
 * struct aiguard_protect - argument of AIGUARD_IOC_PROTECT
 * @target: the process to protect.
 * @flags: must be zero in ABI version 1.
 * @reserved: must be zero.
 * @label: trust domain (see AIGUARD_LABEL_MAX). On return it holds the
 *         label in force, which matters when a private domain was asked for.
 *
 * Protecting a process that is already protected succeeds if @label is
 * empty or the same label (and returns the label in force), and fails
 * with EEXIST otherwise.
 */
struct aiguard_protect {
	struct aiguard_target target;
	__u32 flags;
	__u32 reserved;
	char label[AIGUARD_LABEL_MAX];
};

/**
 * struct aiguard_unprotect - argument of AIGUARD_IOC_UNPROTECT
 * @target: the process to release.
 * @flags: must be zero in ABI version 1.
 * @reserved: must be zero.
 */
struct aiguard_unprotect {
	struct aiguard_target target;
	__u32 flags;
	__u32 reserved;
};

/* struct aiguard_process_info.flags */
#define AIGUARD_PROC_PROTECTED	_BITUL(0)

/**
 * struct aiguard_process_info - the protection state of one process
 * @pid: thread group id in the caller's pid namespace (0 if not visible).
 * @flags: AIGUARD_PROC_* bits.
 * @label: the trust domain; empty when not protected.
 */
struct aiguard_process_info {
	__u32 pid;
	__u32 flags;
	char label[AIGUARD_LABEL_MAX];
};

/**
 * struct aiguard_query - argument of AIGUARD_IOC_QUERY
 * @target: in: the process to look up.
 * @flags: in: must be zero in ABI version 1.
 * @reserved: in: must be zero.
 * @info: out: its state.
 */
struct aiguard_query {
	struct aiguard_target target;
	__u32 flags;
	__u32 reserved;
	struct aiguard_process_info info;
};

/**
 * struct aiguard_list - argument of AIGUARD_IOC_LIST
 * @entries: in: user pointer to an array of struct aiguard_process_info,
 *           or 0 to only count.
 * @capacity: in: number of elements @entries has room for.
 * @count: out: number of elements written (at most @capacity).
 * @total: out: number of protected processes visible to the caller; when
 *         larger than @count, retry with a larger array.
 * @flags: in: must be zero in ABI version 1.
 * @reserved: in: must be zero.
 */
struct aiguard_list {
	__u64 entries;
	__u32 capacity;
	__u32 count;
	__u32 total;
	__u32 flags;
	__u64 reserved;
};

/**
 * enum aiguard_hook - the kernel paths aiguard guards, as counter indexes
 * @AIGUARD_HOOK_PTRACE_ACCESS: ptrace attach, /proc/PID/mem and the other
 *                              ptrace_may_access() users.
 * @AIGUARD_HOOK_PTRACE_TRACEME: PTRACE_TRACEME by a protected process.
 * @AIGUARD_HOOK_PERF_EVENT: per-task perf events on a protected process,
 *                           and system-wide events that sample user stacks
 *                           or registers while any process is protected.
 * @AIGUARD_HOOK_TASK_PRCTL: prctl(PR_SET_DUMPABLE) by a protected process.
 * @AIGUARD_HOOK_COREDUMP: core dumps of a protected process.
 * @AIGUARD_HOOK_EXEC: dumpable reset after execve of a protected process.
 * @AIGUARD_HOOK_TASK_ALLOC: protection inherited by a new process.
 * @AIGUARD_HOOK_LOCKED_DOWN: whole-memory readers (/proc/kcore) while any
 *                            process is protected.
 * @AIGUARD_HOOK_NR: number of hooks; counter arrays have
 *                   AIGUARD_HOOK_SLOTS entries so hooks can be added.
 */
enum aiguard_hook {
	AIGUARD_HOOK_PTRACE_ACCESS = 0,
	AIGUARD_HOOK_PTRACE_TRACEME = 1,
	AIGUARD_HOOK_PERF_EVENT = 2,
	AIGUARD_HOOK_TASK_PRCTL = 3,
	AIGUARD_HOOK_COREDUMP = 4,
	AIGUARD_HOOK_EXEC = 5,
	AIGUARD_HOOK_TASK_ALLOC = 6,
	AIGUARD_HOOK_LOCKED_DOWN = 7,
	AIGUARD_HOOK_NR = 8,
};

#define AIGUARD_HOOK_SLOTS	16

/**
 * struct aiguard_stats - answer of AIGUARD_IOC_GET_STATS
 * @nr_protected: protected thread groups right now.
 * @nr_pending: children between fork and pid attachment right now.
 * @reserved: zero.
 * @allowed: per enum aiguard_hook: decisions on a protected target that
 *           allowed access (same label, or not a protected operation).
 * @denied: per enum aiguard_hook: decisions that denied access.
 * @missed: per enum aiguard_hook: times the kernel skipped the handler
 *          (kprobe nmissed); anything but zero is a gap worth reporting.
 */
struct aiguard_stats {
	__u64 nr_protected;
	__u64 nr_pending;
	__u64 reserved[2];
	__u64 allowed[AIGUARD_HOOK_SLOTS];
	__u64 denied[AIGUARD_HOOK_SLOTS];
	__u64 missed[AIGUARD_HOOK_SLOTS];
};

#define AIGUARD_IOC_MAGIC	0xA9

#define AIGUARD_IOC_GET_VERSION	_IOR(AIGUARD_IOC_MAGIC, 0x00, struct aiguard_version)
#define AIGUARD_IOC_PROTECT	_IOWR(AIGUARD_IOC_MAGIC, 0x01, struct aiguard_protect)
#define AIGUARD_IOC_UNPROTECT	_IOW(AIGUARD_IOC_MAGIC, 0x02, struct aiguard_unprotect)
#define AIGUARD_IOC_QUERY	_IOWR(AIGUARD_IOC_MAGIC, 0x03, struct aiguard_query)
#define AIGUARD_IOC_LIST	_IOWR(AIGUARD_IOC_MAGIC, 0x04, struct aiguard_list)
#define AIGUARD_IOC_GET_STATS	_IOR(AIGUARD_IOC_MAGIC, 0x05, struct aiguard_stats)

#endif /* _UAPI_LINUX_AIGUARD_H */
