/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who may access whom: pure functions of labels and request bits, with no
 * kernel state, so that KUnit can cover every combination.
 */
#ifndef _AIGUARD_POLICY_H
#define _AIGUARD_POLICY_H

#include <linux/types.h>
#include <linux/aiguard.h>

/**
 * enum aiguard_verdict - outcome of a policy decision
 * @AIGUARD_ALLOW: let the operation proceed.
 * @AIGUARD_DENY: refuse it and log the denial.
 * @AIGUARD_DENY_SILENT: refuse it without a log line; the caller asked
 *                       for PTRACE_MODE_NOAUDIT (e.g. /proc/PID/stat).
 * @AIGUARD_GRANT: a denial overridden by a break-glass grant.
 * @AIGUARD_AUDIT: a denial turned into an allow by permissive mode.
 * @AIGUARD_AUDIT_SILENT: the same for a %AIGUARD_DENY_SILENT.
 */
enum aiguard_verdict {
	AIGUARD_ALLOW,
	AIGUARD_DENY,
	AIGUARD_DENY_SILENT,
	AIGUARD_GRANT,
	AIGUARD_AUDIT,
	AIGUARD_AUDIT_SILENT,
};

bool aiguard_policy_same_domain(const char *a, const char *b);
enum aiguard_verdict aiguard_policy_access(const char *caller_label,
					   const char *target_label,
					   unsigned int mode);
enum aiguard_verdict aiguard_policy_enter(const char *caller_label,
					  const char *target_label,
					  unsigned int mode, bool enter);
enum aiguard_verdict aiguard_policy_instrument(const char *target_label);
enum aiguard_verdict aiguard_policy_swap(const char *target_label);
enum aiguard_verdict aiguard_policy_migrate(const char *target_label, bool split);
enum aiguard_verdict aiguard_policy_object(const char *caller_label,
					   const char *object_label, bool same_life, u32 op);
enum aiguard_verdict aiguard_policy_kernel_read(bool any_protected, bool private_page);
enum aiguard_verdict aiguard_policy_bpf_load(bool any_protected, bool unchecked);
bool aiguard_policy_past_struct(int off, int size, u32 struct_size);
bool aiguard_policy_exposes_memory(int reason);
enum aiguard_verdict aiguard_policy_traceme(const char *tracee_label,
					    const char *tracer_label);
enum aiguard_verdict aiguard_policy_prctl(const char *label, int option,
					  unsigned long arg2);
enum aiguard_verdict aiguard_policy_coredump(const char *label);
enum aiguard_verdict aiguard_policy_perf_system(bool any_protected,
						u64 sample_type);
enum aiguard_verdict aiguard_policy_kcore(bool any_protected);
enum aiguard_verdict aiguard_policy_lockdown(int reason, bool any_protected,
					     bool locked);

enum aiguard_verdict aiguard_policy_enforce(enum aiguard_verdict verdict,
					    bool granted, bool permissive);
bool aiguard_policy_grant_match(const void *grant_tracer,
				const void *grant_target, u64 expires,
				const void *tracer, const void *target, u64 now);

/**
 * enum aiguard_op - the operations a locked policy may refuse
 * @AIGUARD_OP_PROTECT: protect a process, enforcing.
 * @AIGUARD_OP_PROTECT_PERMISSIVE: protect a process in audit-only mode.
 * @AIGUARD_OP_UNPROTECT: release a process.
 * @AIGUARD_OP_PERMISSIVE_ON: switch global audit-only mode on.
 * @AIGUARD_OP_PERMISSIVE_OFF: switch it off.
 * @AIGUARD_OP_GRANT: make a break-glass grant.
 * @AIGUARD_OP_REVOKE: end one.
 * @AIGUARD_OP_LOCK: lock (again).
 * @AIGUARD_OP_UNLOAD: unload the module.
 * @AIGUARD_OP_FORCED_UNLOAD: force any module out (rmmod -f).
 * @AIGUARD_OP_KPROBES_SWITCH: write debugfs kprobes/enabled.
 * @AIGUARD_OP_NR: number of operations.
 */
enum aiguard_op {
	AIGUARD_OP_PROTECT,
	AIGUARD_OP_PROTECT_PERMISSIVE,
	AIGUARD_OP_UNPROTECT,
	AIGUARD_OP_PERMISSIVE_ON,
	AIGUARD_OP_PERMISSIVE_OFF,
	AIGUARD_OP_GRANT,
	AIGUARD_OP_REVOKE,
	AIGUARD_OP_LOCK,
	AIGUARD_OP_UNLOAD,
	AIGUARD_OP_FORCED_UNLOAD,
	AIGUARD_OP_KPROBES_SWITCH,
	AIGUARD_OP_NR,
};

int aiguard_policy_lock_check(enum aiguard_op op, bool locked);

/**
 * enum aiguard_join - how a protect request relates to its label
 * @AIGUARD_JOIN_NEW: the label has no live member; the request founds it.
 * @AIGUARD_JOIN_MEMBER: the caller is a member; allowed.
 * @AIGUARD_JOIN_EXPLICIT: an outsider with the join flag, before the lock;
 *                         allowed and recorded as a join.
 * @AIGUARD_JOIN_NEEDS_FLAG: an outsider without the join flag; refused.
 * @AIGUARD_JOIN_LOCKED: an outsider after the lock; refused and recorded.
 */
enum aiguard_join {
	AIGUARD_JOIN_NEW,
	AIGUARD_JOIN_MEMBER,
	AIGUARD_JOIN_EXPLICIT,
	AIGUARD_JOIN_NEEDS_FLAG,
	AIGUARD_JOIN_LOCKED,
};

enum aiguard_join aiguard_policy_join(bool has_members, const char *caller_label,
				      const char *label, bool join_flag,
				      bool locked);

int aiguard_policy_reprotect(const char *label_in_force, u32 flags_in_force,
			     const char *label, u32 flags);
int aiguard_label_check(const char *label, bool allow_empty);
int aiguard_target_check(const struct aiguard_target *target);

#endif /* _AIGUARD_POLICY_H */
