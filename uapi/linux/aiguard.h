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
#define AIGUARD_ABI_VERSION	3

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

/*
 * struct aiguard_protect.flags: audit-only protection. Every decision is
 * made and recorded as when enforcing, but access is allowed. Inherited by
 * children. Refused (EPERM) once the policy is locked.
 */
#define AIGUARD_PROTECT_PERMISSIVE	_BITUL(0)
/*
 * struct aiguard_protect.flags: the caller, who is not a member of the
 * label, means to add the target to a label that already has live members
 * (an AIGUARD_EVENT_JOIN record says so). Without it such a request fails
 * with EXDEV; once the policy is locked it fails with EPERM whatever the
 * flags. Since ABI version 2.
 */
#define AIGUARD_PROTECT_JOIN		_BITUL(1)
/*
 * struct aiguard_protect.flags: processes outside the label may join the
 * target's namespaces, through /proc/PID/ns/ or setns(2) on a pidfd, as
 * container runtimes do to start exec sessions and exec health checks.
 * The process that joins stays an outsider to the target's memory; it
 * sees the files and tmpfs mounts of the target's mount namespace.
 * Without this flag both are refused (EACCES from the open, EPERM from
 * setns) like any other ptrace access check. Inherited by children.
 * Since ABI version 2.
 */
#define AIGUARD_PROTECT_ENTER		_BITUL(2)

/**
 * struct aiguard_protect - argument of AIGUARD_IOC_PROTECT
 * @target: the process to protect.
 * @flags: AIGUARD_PROTECT_* bits; others must be zero.
 * @reserved: must be zero.
 * @label: trust domain (see AIGUARD_LABEL_MAX). On return it holds the
 *         label in force, which matters when a private domain was asked for.
 *
 * Protecting a process that is already protected changes nothing. It
 * succeeds if @label is empty or the same label and the kept flags
 * (%AIGUARD_PROTECT_PERMISSIVE, %AIGUARD_PROTECT_ENTER) are those in
 * force, and returns the label in force; it fails with EEXIST otherwise.
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
#define AIGUARD_PROC_PERMISSIVE	_BITUL(1)
#define AIGUARD_PROC_ENTER	_BITUL(2)	/* protected with AIGUARD_PROTECT_ENTER */

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
 * @AIGUARD_HOOK_JOIN: a protect request that would add a process to a
 *                     label from outside it (AIGUARD_PROTECT_JOIN).
 * @AIGUARD_HOOK_BPF: a BPF program reading (or writing) a protected
 *                    process's user memory or user stack; the record's
 *                    detail is an enum aiguard_bpf_access.
 * @AIGUARD_HOOK_UPROBE: a uprobe or uretprobe in a protected process:
 *                       installing its breakpoint, or running a handler.
 * @AIGUARD_HOOK_TRACE_READ: tracing code running in a protected process
 *                           reading its memory without faulting
 *                           (copy_from_user_nofault(),
 *                           strncpy_from_user_nofault()): fetch arguments
 *                           of tracefs kprobe events, eprobes and fprobe
 *                           events, and any other kernel tracer.
 * @AIGUARD_HOOK_SWAP: reclaim unmapping a protected process's anonymous or
 *                     shmem memory to write it to swap (also
 *                     MADV_PAGEOUT and memory.reclaim), or discarding
 *                     what it freed with MADV_FREE; the memory stays
 *                     resident, as if mlock()ed, and is cleared when it
 *                     is unmapped (record detail 1: a MADV_FREE discard).
 * @AIGUARD_HOOK_MIGRATE: the kernel moving a protected process's anonymous
 *                        or shmem memory to other pages: migration
 *                        (compaction, NUMA balancing, memory hot-remove)
 *                        or a collapse into a huge page (khugepaged,
 *                        MADV_COLLAPSE): refused, since the old pages
 *                        would be freed with its data in them. The
 *                        record's detail is an AIGUARD_MOVE_* value.
 *                        Since ABI version 3.
 * @AIGUARD_HOOK_KERNEL_READ: a read through a kernel address (BPF's
 *                            bpf_probe_read_kernel(_str), bpf_probe_read(_str)
 *                            of a kernel address and the printf helpers'
 *                            kernel formats, trace events' fetches of
 *                            kernel memory, any copy_from_kernel_nofault())
 *                            of a page of user memory (anonymous or
 *                            shared memory) or of a free page, while any
 *                            process is protected: the kernel's direct
 *                            map and vmalloc alias every page. Refused:
 *                            the reader gets EFAULT (a BPF program a
 *                            zeroed buffer). No target: the page's owner
 *                            is not looked up. Since ABI version 3.
 * @AIGUARD_HOOK_OBJECT: an object a protected process created on memory-
 *                       backed storage (a POSIX shm object in /dev/shm, a
 *                       file on tmpfs, ramfs or hugetlbfs, a memfd, a SysV
 *                       segment) opened or attached from outside its
 *                       label, root included, or a SysV segment of a label
 *                       unlocked (SHM_UNLOCK would let its pages go to
 *                       swap). No target process: the record's target
 *                       label is the object's; its detail an
 *                       AIGUARD_OBJ_* value. Since ABI version 3.
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
	AIGUARD_HOOK_JOIN = 8,
	AIGUARD_HOOK_BPF = 9,
	AIGUARD_HOOK_UPROBE = 10,
	AIGUARD_HOOK_TRACE_READ = 11,
	AIGUARD_HOOK_SWAP = 12,
	AIGUARD_HOOK_MIGRATE = 13,
	AIGUARD_HOOK_KERNEL_READ = 14,
	AIGUARD_HOOK_OBJECT = 15,
	AIGUARD_HOOK_NR = 16,
};

/**
 * enum aiguard_bpf_access - what a BPF program tried, in the detail of an
 * AIGUARD_HOOK_BPF record
 * @AIGUARD_BPF_READ: read the memory of the process it runs in
 *                    (bpf_probe_read_user(_str), bpf_probe_read(_str) of a
 *                    user address, bpf_copy_from_user, bpf_copy_from_user_str).
 * @AIGUARD_BPF_READ_TASK: read another task's memory (bpf_copy_from_user_task).
 * @AIGUARD_BPF_STACK: its user stack (bpf_get_stack, bpf_get_stackid,
 *                     bpf_get_task_stack with BPF_F_USER_STACK).
 * @AIGUARD_BPF_WRITE: write its memory (bpf_probe_write_user).
 * @AIGUARD_BPF_PRINTF: format a string that may read its memory
 *                      (bpf_trace_printk, bpf_trace_vprintk, bpf_snprintf,
 *                      bpf_seq_printf: "%s" of a user address).
 * @AIGUARD_BPF_RDONLY_CAST: load, while any process is protected, of a
 *                           program that calls the bpf_rdonly_cast kfunc,
 *                           which turns a number into a pointer the
 *                           program then reads with plain loads (no helper
 *                           left to check). Since ABI version 3.
 * @AIGUARD_BPF_PAST_STRUCT: load, while any process is protected, of a
 *                           program that reads through a typed kernel
 *                           pointer past the end of its struct (into a
 *                           flexible array member, which the verifier
 *                           does not bound): plain loads that reach the
 *                           memory beside the object. Since ABI version 3.
 */
enum aiguard_bpf_access {
	AIGUARD_BPF_READ = 1,
	AIGUARD_BPF_READ_TASK = 2,
	AIGUARD_BPF_STACK = 3,
	AIGUARD_BPF_WRITE = 4,
	AIGUARD_BPF_PRINTF = 5,
	AIGUARD_BPF_RDONLY_CAST = 6,
	AIGUARD_BPF_PAST_STRUCT = 7,
};

/* Detail of AIGUARD_HOOK_MIGRATE records. Since ABI version 3. */
#define AIGUARD_MOVE_MIGRATE	0	/* migration: compaction, NUMA balancing, ... */
#define AIGUARD_MOVE_SPLIT	1	/* a huge page split in place: allowed */
#define AIGUARD_MOVE_COLLAPSE	2	/* small pages copied into a huge page */

/* Detail of AIGUARD_HOOK_OBJECT records. Since ABI version 3. */
#define AIGUARD_OBJ_OPEN	1	/* open(), and so read, mmap, sendfile, cp */
#define AIGUARD_OBJ_SHMAT	2	/* shmat() of a SysV segment */
#define AIGUARD_OBJ_SHM_UNLOCK	3	/* shmctl(SHM_UNLOCK): refused to everyone */

/* Detail of AIGUARD_HOOK_UPROBE records. */
#define AIGUARD_UPROBE_INSTALL	1	/* breakpoint into its memory */
#define AIGUARD_UPROBE_HIT	2	/* a handler, in its context */

#define AIGUARD_HOOK_SLOTS	16
#define AIGUARD_HOOK_NONE	0xffff	/* in records that are no decision */

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

/* struct aiguard_status.state */
#define AIGUARD_STATE_LOCKED		_BITUL(0)	/* sealed until reboot */
#define AIGUARD_STATE_PERMISSIVE	_BITUL(1)	/* global audit-only mode */
/*
 * Set with LOCKED: aiguard refuses every kernel-integrity operation that
 * lockdown=integrity refuses (unsigned modules, kexec, hibernation,
 * /dev/mem, raw I/O, debugfs writes, BPF writes to user memory), forced
 * unloads of any module, and writes to debugfs kprobes/enabled.
 */
#define AIGUARD_STATE_SEALED		_BITUL(2)
/* Critical: the kernel no longer calls aiguard's handlers. */
#define AIGUARD_STATE_HOOKS_DEAD	_BITUL(8)
/*
 * In TAMPER records of ABI version 2 only: debugfs kprobes/enabled was
 * being written. Since version 3 every such write is refused while the
 * module is loaded, with a DENY record (hook locked_down).
 */
#define AIGUARD_TAMPER_KPROBES_SWITCH	_BITUL(16)
/*
 * In TAMPER records: a kexec or crash image was being loaded (or
 * unloaded: kexec_load() does not tell) while processes are protected,
 * before the lock. A kernel booted over the RAM, by kexec or on panic,
 * reads their memory; the lock unloads both and refuses new ones. Since
 * ABI version 3.
 */
#define AIGUARD_TAMPER_KEXEC_LOAD	_BITUL(17)

/**
 * struct aiguard_status - answer of AIGUARD_IOC_GET_STATUS
 * @state: AIGUARD_STATE_* bits.
 * @nr_grants: active break-glass grants.
 * @events: audit records written since load.
 * @events_dropped: records overwritten before every reader had them
 *                  (counted against the slowest possible reader: the ring
 *                  overflowed this many times).
 * @ring_size: capacity of the audit ring, in records.
 * @sampling_events: CPU-wide perf events alive that sample user stacks or
 *                   registers. Opened while nothing was protected, they
 *                   keep sampling processes protected since (perf has no
 *                   per-sample hook); stop them. Since ABI version 2.
 * @cleared_pages: pages of protected processes cleared before the kernel
 *                 freed them (exit, exec, munmap, MADV_DONTNEED), since
 *                 load. Since ABI version 3.
 * @unchecked_progs: loaded BPF programs that read kernel memory with
 *                   plain loads no check sees (AIGUARD_BPF_RDONLY_CAST,
 *                   AIGUARD_BPF_PAST_STRUCT); while there is one,
 *                   AIGUARD_IOC_PROTECT fails with EBUSY. Counts those
 *                   loaded since aiguard was. Since ABI version 3.
 * @objects: objects on memory-backed storage that belong to a label
 *           (AIGUARD_HOOK_OBJECT), counted until the kernel frees them.
 *           While there is one, /proc/kcore, hibernation and kernel-
 *           address reads of user memory stay closed, as while a process
 *           is protected. Since ABI version 3.
 * @audited: per enum aiguard_hook: denials that permissive mode turned
 *           into allows.
 * @granted: per enum aiguard_hook: accesses allowed by a grant.
 */
struct aiguard_status {
	__u32 state;
	__u32 nr_grants;
	__u64 events;
	__u64 events_dropped;
	__u32 ring_size;
	__u32 sampling_events;
	__u64 cleared_pages;
	__u32 unchecked_progs;
	__u32 objects;
	__u64 audited[AIGUARD_HOOK_SLOTS];
	__u64 granted[AIGUARD_HOOK_SLOTS];
};

/* struct aiguard_mode.flags */
#define AIGUARD_MODE_PERMISSIVE	_BITUL(0)

/**
 * struct aiguard_mode - argument of AIGUARD_IOC_SET_MODE
 * @flags: AIGUARD_MODE_* bits to set; the others are cleared. Turning
 *         permissive mode on is refused (EPERM) once locked.
 * @reserved: must be zero.
 */
struct aiguard_mode {
	__u32 flags;
	__u32 reserved;
};

/**
 * struct aiguard_grant - argument of AIGUARD_IOC_GRANT
 * @tracer: the one process allowed in (not its uid, not its children).
 * @target: the protected process it may access.
 * @ttl_sec: lifetime in seconds, 1 to AIGUARD_GRANT_TTL_MAX; the grant
 *           also ends when either process exits.
 * @flags: must be zero in ABI version 1.
 * @id: must be zero; out: the grant's id, for AIGUARD_IOC_REVOKE.
 */
struct aiguard_grant {
	struct aiguard_target tracer;
	struct aiguard_target target;
	__u32 ttl_sec;
	__u32 flags;
	__u64 id;
};

#define AIGUARD_GRANT_TTL_MAX	86400
#define AIGUARD_GRANTS_MAX	64

/**
 * struct aiguard_revoke - argument of AIGUARD_IOC_REVOKE
 * @id: the grant to end; ENOENT if there is none.
 * @flags: must be zero in ABI version 1.
 * @reserved: must be zero.
 */
struct aiguard_revoke {
	__u64 id;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct aiguard_grant_info - one active grant
 * @id: its id.
 * @tracer_pid: the tracer's pid in the caller's namespace.
 * @target_pid: the target's pid in the caller's namespace.
 * @ttl_left_sec: seconds until it expires.
 * @uses: accesses it has allowed.
 */
struct aiguard_grant_info {
	__u64 id;
	__u32 tracer_pid;
	__u32 target_pid;
	__u32 ttl_left_sec;
	__u32 uses;
};

/**
 * struct aiguard_grant_list - argument of AIGUARD_IOC_LIST_GRANTS
 * @entries: in: user pointer to struct aiguard_grant_info[@capacity].
 * @capacity: in: its length.
 * @count: out: entries written.
 * @total: out: active grants.
 * @flags: must be zero.
 * @reserved: must be zero.
 */
struct aiguard_grant_list {
	__u64 entries;
	__u32 capacity;
	__u32 count;
	__u32 total;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct aiguard_lock - argument of AIGUARD_IOC_LOCK
 * @flags: must be zero in ABI version 1.
 * @reserved: must be zero.
 *
 * Seals the policy until reboot: unprotect, permissive mode, new grants,
 * joining a label from outside and unloading the module are refused from
 * then on, active grants end, and the kernel is sealed (see
 * AIGUARD_STATE_SEALED). Protecting new processes keeps working. Locking
 * twice succeeds. Since ABI version 3, before it locks it unloads a
 * loaded crash (kdump) image and kexec image, sets
 * kernel.kexec_load_disabled, and refuses kexec loads and reboots into
 * kexec from then on: no other kernel boots over the RAM.
 */
struct aiguard_lock {
	__u32 flags;
	__u32 reserved;
};

/**
 * DOC: read
 *
 * The audit stream: read(2) on /dev/aiguard returns whole records, oldest
 * first, from the oldest one still in the ring when the file was opened;
 * poll(2) reports POLLIN when one is ready. Each open file reads at its
 * own pace. When records were overwritten before this reader got them, it
 * first receives an AIGUARD_EVENT_DROPPED record whose @count says how
 * many. A read blocks until a record is ready unless O_NONBLOCK is set.
 *
 * Errors:
 *
 * - %EINVAL: the buffer is smaller than one struct aiguard_event.
 * - %EAGAIN: O_NONBLOCK is set and no record is ready.
 * - %EINTR: a signal arrived while waiting for a record.
 * - %EFAULT: the buffer cannot be written, and no record was copied.
 */
#define AIGUARD_EVENT_VERSION	1

/**
 * enum aiguard_event_type - what an audit record reports
 * @AIGUARD_EVENT_DENY: an access was refused.
 * @AIGUARD_EVENT_AUDIT: an access would have been refused, but permissive
 *                       mode (global or of the target) allowed it.
 * @AIGUARD_EVENT_GRANT_USED: a break-glass grant allowed an access.
 * @AIGUARD_EVENT_PROTECT: a process was protected.
 * @AIGUARD_EVENT_UNPROTECT: a process was released.
 * @AIGUARD_EVENT_GRANT_ADD: a grant was made.
 * @AIGUARD_EVENT_GRANT_END: a grant was revoked, expired or lost a process.
 * @AIGUARD_EVENT_LOCK: the policy was locked.
 * @AIGUARD_EVENT_MODE: global permissive mode changed (@detail: new flags).
 * @AIGUARD_EVENT_DROPPED: @count records were lost by this reader.
 * @AIGUARD_EVENT_TAMPER: the hooks stopped working or were about to be
 *                        switched off (@detail: AIGUARD_STATE_* bits).
 * @AIGUARD_EVENT_JOIN: a process outside a label with live members added
 *                      the target to it (AIGUARD_PROTECT_JOIN; @detail:
 *                      the AIGUARD_PROTECT_* flags). Takes the place of
 *                      the PROTECT record.
 * @AIGUARD_EVENT_EVICT: a tracer of the target (hook ptrace_access), or
 *                       the owner of a per-task perf event on it (hook
 *                       perf_event), that had lost its permission (its
 *                       grant ended, permissive mode went off, or the
 *                       policy was locked) was killed, as is the owner
 *                       of an outsider's perf event on a process being
 *                       protected; the caller fields name it.
 */
enum aiguard_event_type {
	AIGUARD_EVENT_DENY = 1,
	AIGUARD_EVENT_AUDIT = 2,
	AIGUARD_EVENT_GRANT_USED = 3,
	AIGUARD_EVENT_PROTECT = 4,
	AIGUARD_EVENT_UNPROTECT = 5,
	AIGUARD_EVENT_GRANT_ADD = 6,
	AIGUARD_EVENT_GRANT_END = 7,
	AIGUARD_EVENT_LOCK = 8,
	AIGUARD_EVENT_MODE = 9,
	AIGUARD_EVENT_DROPPED = 10,
	AIGUARD_EVENT_TAMPER = 11,
	AIGUARD_EVENT_JOIN = 12,
	AIGUARD_EVENT_EVICT = 13,
};

/**
 * struct aiguard_event - one audit record
 * @size: sizeof(struct aiguard_event) of the writer.
 * @version: AIGUARD_EVENT_VERSION.
 * @type: enum aiguard_event_type.
 * @hook: enum aiguard_hook that decided (DENY, AUDIT, GRANT_USED), else
 *        AIGUARD_HOOK_NONE.
 * @detail: for decisions, what was attempted: PTRACE_MODE_* bits for
 *          AIGUARD_HOOK_PTRACE_ACCESS, the prctl option, the perf sample
 *          type's low bits, the lockdown reason; for PROTECT, the
 *          AIGUARD_PROTECT_* flags; for LOCK, MODE and TAMPER, the
 *          AIGUARD_STATE_* or AIGUARD_MODE_* bits now in force.
 * @flags: zero in version 1.
 * @seq: sequence number, from 1, without gaps in the ring.
 * @time_ns: CLOCK_REALTIME when the record was made.
 * @count: for AIGUARD_EVENT_DROPPED, records lost; for grants, the id.
 * @caller_pid: thread id of the acting process (0 for the kernel); for
 *              GRANT_ADD and GRANT_END, the tracer the grant names.
 * @caller_tgid: its process id.
 * @caller_uid: its real uid, in the initial user namespace.
 * @target_pid: thread id of the protected process concerned (0 if none).
 * @target_tgid: its process id.
 * @reserved: zero.
 * @caller_comm: the acting process's comm.
 * @target_comm: the target's comm.
 * @caller_label: the caller's label ("" if unprotected).
 * @target_label: the target's label ("" if none).
 */
struct aiguard_event {
	__u16 size;
	__u16 version;
	__u16 type;
	__u16 hook;
	__u32 detail;
	__u32 flags;
	__u64 seq;
	__u64 time_ns;
	__u64 count;
	__u32 caller_pid;
	__u32 caller_tgid;
	__u32 caller_uid;
	__u32 target_pid;
	__u32 target_tgid;
	__u32 reserved;
	char caller_comm[16];
	char target_comm[16];
	char caller_label[AIGUARD_LABEL_MAX];
	char target_label[AIGUARD_LABEL_MAX];
};

/**
 * DOC: ioctl
 *
 * Every command below takes a pointer to its structure. Commands that
 * change state need CAP_SYS_ADMIN in the initial user namespace at the
 * time of the call, whatever the mode of the open file: a descriptor
 * passed to a less privileged process does not carry the privilege.
 * Commands that only read may be used by anyone who could open
 * /dev/aiguard (mode 0600, root).
 *
 * Errors:
 *
 * - %ENOTTY: @cmd is not an aiguard command.
 */

#define AIGUARD_IOC_MAGIC	0xA9

/**
 * DOC: AIGUARD_IOC_GET_VERSION
 *
 * Report the ABI version and limits of the running module. Callers check
 * @abi_version before any other command.
 *
 * Direction: read (struct aiguard_version).
 * Privilege: none.
 *
 * Errors:
 *
 * - %EFAULT: the argument cannot be written.
 */
#define AIGUARD_IOC_GET_VERSION	_IOR(AIGUARD_IOC_MAGIC, 0x00, struct aiguard_version)

/**
 * DOC: AIGUARD_IOC_PROTECT
 *
 * Protect a thread group, and every process it creates from then on.
 *
 * A label with live members is a closed domain: a process joins it by
 * inheritance, or through a request made by a member. A request from
 * outside needs %AIGUARD_PROTECT_JOIN and is recorded as such; once the
 * policy is locked it is refused.
 *
 * Direction: read-write (struct aiguard_protect); the label in force is
 * written back.
 * Privilege: CAP_SYS_ADMIN.
 *
 * Errors:
 *
 * - %EPERM: the caller lacks CAP_SYS_ADMIN, or the policy is locked and
 *   %AIGUARD_PROTECT_PERMISSIVE was asked for, or the policy is locked and
 *   the caller is outside a label that has live members.
 * - %EFAULT: the argument cannot be read or written back.
 * - %EINVAL: an unknown flag, a non-zero reserved field, an invalid label
 *   (see AIGUARD_LABEL_MAX), an invalid struct aiguard_target, or a target
 *   that is a kernel thread.
 * - %EBADF: the target is a pidfd, but the fd is not open or not a pidfd.
 * - %ESRCH: no such process, or it is exiting.
 * - %EBUSY: a thread of the target is being traced; protecting it would
 *   leave the tracer attached. Or a BPF program that reads kernel memory
 *   unchecked is loaded (struct aiguard_status, @unchecked_progs): it
 *   could read the target's pages through their kernel addresses.
 * - %EEXIST: the target is protected already, with another label or
 *   other kept flags (see struct aiguard_protect).
 * - %EXDEV: the label has live members, the caller is not one of them,
 *   and %AIGUARD_PROTECT_JOIN was not given.
 * - %EINTR: a signal arrived while waiting for the target's exec or
 *   ptrace attach to finish.
 * - %EIO: a hook that protection needs could not be attached (the hooks
 *   on paths every process takes are attached only while anything is
 *   protected; another ftrace user with IPMODIFY or a livepatch on the
 *   same function keeps them off). The kernel log names it.
 * - %ENOMEM: no memory for the registry entry.
 */
#define AIGUARD_IOC_PROTECT	_IOWR(AIGUARD_IOC_MAGIC, 0x01, struct aiguard_protect)

/**
 * DOC: AIGUARD_IOC_UNPROTECT
 *
 * Release a protected thread group. It stays non-dumpable.
 *
 * Direction: write (struct aiguard_unprotect).
 * Privilege: CAP_SYS_ADMIN.
 *
 * Errors:
 *
 * - %EPERM: the caller lacks CAP_SYS_ADMIN, or the policy is locked.
 * - %EFAULT: the argument cannot be read.
 * - %EINVAL: non-zero flags or reserved field, or an invalid target.
 * - %EBADF: the target is a pidfd, but the fd is not open or not a pidfd.
 * - %ESRCH: no such process.
 * - %ENOENT: the process is not protected.
 */
#define AIGUARD_IOC_UNPROTECT	_IOW(AIGUARD_IOC_MAGIC, 0x02, struct aiguard_unprotect)

/**
 * DOC: AIGUARD_IOC_QUERY
 *
 * Report whether a process is protected, and its label.
 *
 * Direction: read-write (struct aiguard_query); @info is written.
 * Privilege: none.
 *
 * Errors:
 *
 * - %EFAULT: the argument cannot be read or written back.
 * - %EINVAL: non-zero flags or reserved field, or an invalid target.
 * - %EBADF: the target is a pidfd, but the fd is not open or not a pidfd.
 * - %ESRCH: no such process.
 */
#define AIGUARD_IOC_QUERY	_IOWR(AIGUARD_IOC_MAGIC, 0x03, struct aiguard_query)

/**
 * DOC: AIGUARD_IOC_LIST
 *
 * List the protected processes visible in the caller's pid namespace.
 *
 * Direction: read-write (struct aiguard_list); @count and @total are
 * written, and @count entries of the array.
 * Privilege: none.
 *
 * Errors:
 *
 * - %EFAULT: the argument or the array cannot be read or written.
 * - %EINVAL: non-zero flags or reserved field, or a capacity without an
 *   array.
 * - %ENOMEM: no memory for the kernel's copy of the array.
 */
#define AIGUARD_IOC_LIST	_IOWR(AIGUARD_IOC_MAGIC, 0x04, struct aiguard_list)

/**
 * DOC: AIGUARD_IOC_GET_STATS
 *
 * Report the registry's size and the per-hook decision counters.
 *
 * Direction: read (struct aiguard_stats).
 * Privilege: none.
 *
 * Errors:
 *
 * - %EFAULT: the argument cannot be written.
 */
#define AIGUARD_IOC_GET_STATS	_IOR(AIGUARD_IOC_MAGIC, 0x05, struct aiguard_stats)

/**
 * DOC: AIGUARD_IOC_GET_STATUS
 *
 * Report the mode, lock and hook state, the grants and the audit stream.
 *
 * Direction: read (struct aiguard_status).
 * Privilege: none.
 *
 * Errors:
 *
 * - %EFAULT: the argument cannot be written.
 */
#define AIGUARD_IOC_GET_STATUS	_IOR(AIGUARD_IOC_MAGIC, 0x06, struct aiguard_status)

/**
 * DOC: AIGUARD_IOC_SET_MODE
 *
 * Switch global audit-only (permissive) mode.
 *
 * Direction: write (struct aiguard_mode).
 * Privilege: CAP_SYS_ADMIN.
 *
 * Errors:
 *
 * - %EPERM: the caller lacks CAP_SYS_ADMIN, or the policy is locked and
 *   permissive mode was asked for.
 * - %EFAULT: the argument cannot be read.
 * - %EINVAL: an unknown flag or a non-zero reserved field.
 */
#define AIGUARD_IOC_SET_MODE	_IOW(AIGUARD_IOC_MAGIC, 0x07, struct aiguard_mode)

/**
 * DOC: AIGUARD_IOC_GRANT
 *
 * Let one process access one protected process until a deadline.
 *
 * Direction: read-write (struct aiguard_grant); @id is written.
 * Privilege: CAP_SYS_ADMIN.
 *
 * Errors:
 *
 * - %EPERM: the caller lacks CAP_SYS_ADMIN, or the policy is locked.
 * - %EFAULT: the argument cannot be read or written back.
 * - %EINVAL: non-zero flags or @id, a ttl of 0 or above
 *   AIGUARD_GRANT_TTL_MAX, an invalid target or tracer, or a target that
 *   is not protected.
 * - %EBADF: the tracer or target is a pidfd, but the fd is not open or not
 *   a pidfd.
 * - %ESRCH: the tracer or the target does not exist.
 * - %ENOSPC: AIGUARD_GRANTS_MAX grants are active.
 * - %ENOMEM: no memory for the grant.
 */
#define AIGUARD_IOC_GRANT	_IOWR(AIGUARD_IOC_MAGIC, 0x08, struct aiguard_grant)

/**
 * DOC: AIGUARD_IOC_REVOKE
 *
 * End a grant now.
 *
 * Direction: write (struct aiguard_revoke).
 * Privilege: CAP_SYS_ADMIN.
 *
 * Errors:
 *
 * - %EPERM: the caller lacks CAP_SYS_ADMIN.
 * - %EFAULT: the argument cannot be read.
 * - %EINVAL: non-zero flags or reserved field.
 * - %ENOENT: no active grant has this id.
 */
#define AIGUARD_IOC_REVOKE	_IOW(AIGUARD_IOC_MAGIC, 0x09, struct aiguard_revoke)

/**
 * DOC: AIGUARD_IOC_LIST_GRANTS
 *
 * List the active grants.
 *
 * Direction: read-write (struct aiguard_grant_list); @count and @total
 * are written, and @count entries of the array.
 * Privilege: none.
 *
 * Errors:
 *
 * - %EFAULT: the argument or the array cannot be read or written.
 * - %EINVAL: non-zero flags or reserved field, or a capacity without an
 *   array.
 * - %ENOMEM: no memory for the kernel's copy of the array.
 */
#define AIGUARD_IOC_LIST_GRANTS	_IOWR(AIGUARD_IOC_MAGIC, 0x0a, struct aiguard_grant_list)

/**
 * DOC: AIGUARD_IOC_LOCK
 *
 * Seal the policy until reboot (see struct aiguard_lock).
 *
 * Direction: write (struct aiguard_lock).
 * Privilege: CAP_SYS_ADMIN.
 *
 * Errors:
 *
 * - %EPERM: the caller lacks CAP_SYS_ADMIN, or CAP_SYS_BOOT (needed to
 *   unload kexec images, as for kexec itself); nothing is locked.
 * - %EBUSY: a crash image is loaded and cannot be unloaded
 *   (kernel.kexec_load_disabled was set with it loaded): kdump and the
 *   lock exclude each other; nothing is locked, kexec loads stay refused.
 * - %EFAULT: the argument cannot be read.
 * - %EINVAL: non-zero flags or reserved field.
 */
#define AIGUARD_IOC_LOCK	_IOW(AIGUARD_IOC_MAGIC, 0x0b, struct aiguard_lock)

#endif /* _UAPI_LINUX_AIGUARD_H */
