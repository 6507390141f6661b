// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side ABI test for <linux/aiguard.h>: pins every structure's size
 * and field offsets at compile time (_Static_assert) and reports the same
 * facts as TAP at run time. Built for 64-bit and 32-bit by the Makefile;
 * the ioctl numbers are printed as "IOC name value" lines so the Makefile
 * can check that both builds agree.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/aiguard.h>

#define SIZE(type, n)		{ "sizeof(" #type ") == " #n, sizeof(type), n }
#define OFF(type, f, n)		{ "offsetof(" #type ", " #f ") == " #n, offsetof(type, f), n }
#define VAL(expr, n)		{ #expr " == " #n, (unsigned long)(expr), n }

#define PIN_SIZE(type, n)	_Static_assert(sizeof(type) == (n), #type " size")
#define PIN_OFF(type, f, n)	_Static_assert(offsetof(type, f) == (n), #type "." #f " offset")

/* Compile-time pins: a layout change fails the build, on any ABI. */
PIN_SIZE(struct aiguard_target, 8);
PIN_OFF(struct aiguard_target, type, 0);
PIN_OFF(struct aiguard_target, id, 4);
PIN_SIZE(struct aiguard_version, 16);
PIN_OFF(struct aiguard_version, abi_version, 0);
PIN_OFF(struct aiguard_version, features, 4);
PIN_OFF(struct aiguard_version, label_max, 8);
PIN_OFF(struct aiguard_version, reserved, 12);
PIN_SIZE(struct aiguard_protect, 48);
PIN_OFF(struct aiguard_protect, target, 0);
PIN_OFF(struct aiguard_protect, flags, 8);
PIN_OFF(struct aiguard_protect, reserved, 12);
PIN_OFF(struct aiguard_protect, label, 16);
PIN_SIZE(struct aiguard_unprotect, 16);
PIN_OFF(struct aiguard_unprotect, target, 0);
PIN_OFF(struct aiguard_unprotect, flags, 8);
PIN_OFF(struct aiguard_unprotect, reserved, 12);
PIN_SIZE(struct aiguard_process_info, 40);
PIN_OFF(struct aiguard_process_info, pid, 0);
PIN_OFF(struct aiguard_process_info, flags, 4);
PIN_OFF(struct aiguard_process_info, label, 8);
PIN_SIZE(struct aiguard_query, 56);
PIN_OFF(struct aiguard_query, target, 0);
PIN_OFF(struct aiguard_query, flags, 8);
PIN_OFF(struct aiguard_query, reserved, 12);
PIN_OFF(struct aiguard_query, info, 16);
PIN_SIZE(struct aiguard_list, 32);
PIN_OFF(struct aiguard_list, entries, 0);
PIN_OFF(struct aiguard_list, capacity, 8);
PIN_OFF(struct aiguard_list, count, 12);
PIN_OFF(struct aiguard_list, total, 16);
PIN_OFF(struct aiguard_list, flags, 20);
PIN_OFF(struct aiguard_list, reserved, 24);
PIN_SIZE(struct aiguard_stats, 416);
PIN_OFF(struct aiguard_stats, nr_protected, 0);
PIN_OFF(struct aiguard_stats, nr_pending, 8);
PIN_OFF(struct aiguard_stats, reserved, 16);
PIN_OFF(struct aiguard_stats, allowed, 32);
PIN_OFF(struct aiguard_stats, denied, 160);
PIN_OFF(struct aiguard_stats, missed, 288);
PIN_SIZE(struct aiguard_status, 304);
PIN_OFF(struct aiguard_status, state, 0);
PIN_OFF(struct aiguard_status, nr_grants, 4);
PIN_OFF(struct aiguard_status, events, 8);
PIN_OFF(struct aiguard_status, events_dropped, 16);
PIN_OFF(struct aiguard_status, ring_size, 24);
PIN_OFF(struct aiguard_status, sampling_events, 28);
PIN_OFF(struct aiguard_status, cleared_pages, 32);
PIN_OFF(struct aiguard_status, unchecked_progs, 40);
PIN_OFF(struct aiguard_status, objects, 44);
PIN_OFF(struct aiguard_status, audited, 48);
PIN_OFF(struct aiguard_status, granted, 176);
PIN_SIZE(struct aiguard_mode, 8);
PIN_OFF(struct aiguard_mode, flags, 0);
PIN_OFF(struct aiguard_mode, reserved, 4);
PIN_SIZE(struct aiguard_grant, 32);
PIN_OFF(struct aiguard_grant, tracer, 0);
PIN_OFF(struct aiguard_grant, target, 8);
PIN_OFF(struct aiguard_grant, ttl_sec, 16);
PIN_OFF(struct aiguard_grant, flags, 20);
PIN_OFF(struct aiguard_grant, id, 24);
PIN_SIZE(struct aiguard_revoke, 16);
PIN_OFF(struct aiguard_revoke, id, 0);
PIN_OFF(struct aiguard_revoke, flags, 8);
PIN_OFF(struct aiguard_revoke, reserved, 12);
PIN_SIZE(struct aiguard_grant_info, 24);
PIN_OFF(struct aiguard_grant_info, id, 0);
PIN_OFF(struct aiguard_grant_info, tracer_pid, 8);
PIN_OFF(struct aiguard_grant_info, target_pid, 12);
PIN_OFF(struct aiguard_grant_info, ttl_left_sec, 16);
PIN_OFF(struct aiguard_grant_info, uses, 20);
PIN_SIZE(struct aiguard_grant_list, 32);
PIN_OFF(struct aiguard_grant_list, entries, 0);
PIN_OFF(struct aiguard_grant_list, capacity, 8);
PIN_OFF(struct aiguard_grant_list, count, 12);
PIN_OFF(struct aiguard_grant_list, total, 16);
PIN_OFF(struct aiguard_grant_list, flags, 20);
PIN_OFF(struct aiguard_grant_list, reserved, 24);
PIN_SIZE(struct aiguard_lock, 8);
PIN_OFF(struct aiguard_lock, flags, 0);
PIN_OFF(struct aiguard_lock, reserved, 4);
PIN_SIZE(struct aiguard_event, 160);
PIN_OFF(struct aiguard_event, size, 0);
PIN_OFF(struct aiguard_event, version, 2);
PIN_OFF(struct aiguard_event, type, 4);
PIN_OFF(struct aiguard_event, hook, 6);
PIN_OFF(struct aiguard_event, detail, 8);
PIN_OFF(struct aiguard_event, flags, 12);
PIN_OFF(struct aiguard_event, seq, 16);
PIN_OFF(struct aiguard_event, time_ns, 24);
PIN_OFF(struct aiguard_event, count, 32);
PIN_OFF(struct aiguard_event, caller_pid, 40);
PIN_OFF(struct aiguard_event, caller_tgid, 44);
PIN_OFF(struct aiguard_event, caller_uid, 48);
PIN_OFF(struct aiguard_event, target_pid, 52);
PIN_OFF(struct aiguard_event, target_tgid, 56);
PIN_OFF(struct aiguard_event, reserved, 60);
PIN_OFF(struct aiguard_event, caller_comm, 64);
PIN_OFF(struct aiguard_event, target_comm, 80);
PIN_OFF(struct aiguard_event, caller_label, 96);
PIN_OFF(struct aiguard_event, target_label, 128);
_Static_assert(AIGUARD_ABI_VERSION == 3, "ABI version");
_Static_assert(AIGUARD_LABEL_MAX == 32, "label max");
_Static_assert(AIGUARD_HOOK_SLOTS == 16, "hook slots");
_Static_assert(AIGUARD_HOOK_NR <= AIGUARD_HOOK_SLOTS, "hooks fit the slots");

struct check {
	const char *what;
	unsigned long got, want;
};

static const struct check checks[] = {
	SIZE(struct aiguard_target, 8),
	OFF(struct aiguard_target, id, 4),
	SIZE(struct aiguard_version, 16),
	OFF(struct aiguard_version, label_max, 8),
	SIZE(struct aiguard_protect, 48),
	OFF(struct aiguard_protect, flags, 8),
	OFF(struct aiguard_protect, label, 16),
	SIZE(struct aiguard_unprotect, 16),
	OFF(struct aiguard_unprotect, flags, 8),
	SIZE(struct aiguard_process_info, 40),
	OFF(struct aiguard_process_info, label, 8),
	SIZE(struct aiguard_query, 56),
	OFF(struct aiguard_query, info, 16),
	SIZE(struct aiguard_list, 32),
	OFF(struct aiguard_list, capacity, 8),
	OFF(struct aiguard_list, total, 16),
	OFF(struct aiguard_list, reserved, 24),
	SIZE(struct aiguard_stats, 416),
	OFF(struct aiguard_stats, allowed, 32),
	OFF(struct aiguard_stats, denied, 160),
	OFF(struct aiguard_stats, missed, 288),
	SIZE(struct aiguard_status, 304),
	OFF(struct aiguard_status, events, 8),
	OFF(struct aiguard_status, ring_size, 24),
	OFF(struct aiguard_status, sampling_events, 28),
	OFF(struct aiguard_status, cleared_pages, 32),
	OFF(struct aiguard_status, audited, 48),
	OFF(struct aiguard_status, granted, 176),
	SIZE(struct aiguard_mode, 8),
	SIZE(struct aiguard_grant, 32),
	OFF(struct aiguard_grant, target, 8),
	OFF(struct aiguard_grant, ttl_sec, 16),
	OFF(struct aiguard_grant, id, 24),
	SIZE(struct aiguard_revoke, 16),
	OFF(struct aiguard_revoke, flags, 8),
	SIZE(struct aiguard_grant_info, 24),
	OFF(struct aiguard_grant_info, tracer_pid, 8),
	OFF(struct aiguard_grant_info, uses, 20),
	SIZE(struct aiguard_grant_list, 32),
	OFF(struct aiguard_grant_list, capacity, 8),
	OFF(struct aiguard_grant_list, reserved, 24),
	SIZE(struct aiguard_lock, 8),
	SIZE(struct aiguard_event, 160),
	OFF(struct aiguard_event, detail, 8),
	OFF(struct aiguard_event, seq, 16),
	OFF(struct aiguard_event, time_ns, 24),
	OFF(struct aiguard_event, count, 32),
	OFF(struct aiguard_event, caller_pid, 40),
	OFF(struct aiguard_event, target_tgid, 56),
	OFF(struct aiguard_event, caller_comm, 64),
	OFF(struct aiguard_event, target_comm, 80),
	OFF(struct aiguard_event, caller_label, 96),
	OFF(struct aiguard_event, target_label, 128),
	VAL(AIGUARD_ABI_VERSION, 3),
	VAL(AIGUARD_LABEL_MAX, 32),
	VAL(AIGUARD_HOOK_SLOTS, 16),
	VAL(AIGUARD_HOOK_BPF, 9),
	VAL(AIGUARD_HOOK_UPROBE, 10),
	VAL(AIGUARD_HOOK_TRACE_READ, 11),
	VAL(AIGUARD_HOOK_SWAP, 12),
	VAL(AIGUARD_HOOK_MIGRATE, 13),
	VAL(AIGUARD_HOOK_KERNEL_READ, 14),
	VAL(AIGUARD_HOOK_OBJECT, 15),
	VAL(AIGUARD_OBJ_OPEN, 1),
	VAL(AIGUARD_OBJ_SHMAT, 2),
	VAL(AIGUARD_OBJ_SHM_UNLOCK, 3),
	VAL(AIGUARD_MOVE_MIGRATE, 0),
	VAL(AIGUARD_MOVE_SPLIT, 1),
	VAL(AIGUARD_MOVE_COLLAPSE, 2),
	VAL(AIGUARD_HOOK_NR, 16),
	VAL(AIGUARD_BPF_READ, 1),
	VAL(AIGUARD_BPF_READ_TASK, 2),
	VAL(AIGUARD_BPF_STACK, 3),
	VAL(AIGUARD_BPF_WRITE, 4),
	VAL(AIGUARD_BPF_PRINTF, 5),
	VAL(AIGUARD_BPF_RDONLY_CAST, 6),
	VAL(AIGUARD_BPF_PAST_STRUCT, 7),
	VAL(AIGUARD_UPROBE_INSTALL, 1),
	VAL(AIGUARD_UPROBE_HIT, 2),
	VAL(AIGUARD_HOOK_JOIN, 8),
	VAL(AIGUARD_HOOK_LOCKED_DOWN, 7),
	VAL(AIGUARD_IOC_MAGIC, 0xA9),
	VAL(AIGUARD_PROC_PROTECTED, 1),
	VAL(AIGUARD_PROC_PERMISSIVE, 2),
	VAL(AIGUARD_PROTECT_PERMISSIVE, 1),
	VAL(AIGUARD_PROTECT_JOIN, 2),
	VAL(AIGUARD_MODE_PERMISSIVE, 1),
	VAL(AIGUARD_STATE_LOCKED, 1),
	VAL(AIGUARD_STATE_PERMISSIVE, 2),
	VAL(AIGUARD_STATE_SEALED, 4),
	VAL(AIGUARD_STATE_HOOKS_DEAD, 0x100),
	VAL(AIGUARD_TAMPER_KPROBES_SWITCH, 0x10000),
	VAL(AIGUARD_GRANT_TTL_MAX, 86400),
	VAL(AIGUARD_GRANTS_MAX, 64),
	VAL(AIGUARD_EVENT_VERSION, 1),
	VAL(AIGUARD_EVENT_DENY, 1),
	VAL(AIGUARD_EVENT_AUDIT, 2),
	VAL(AIGUARD_EVENT_GRANT_USED, 3),
	VAL(AIGUARD_EVENT_PROTECT, 4),
	VAL(AIGUARD_EVENT_UNPROTECT, 5),
	VAL(AIGUARD_EVENT_GRANT_ADD, 6),
	VAL(AIGUARD_EVENT_GRANT_END, 7),
	VAL(AIGUARD_EVENT_LOCK, 8),
	VAL(AIGUARD_EVENT_MODE, 9),
	VAL(AIGUARD_EVENT_DROPPED, 10),
	VAL(AIGUARD_EVENT_TAMPER, 11),
	VAL(AIGUARD_EVENT_JOIN, 12),
	VAL(AIGUARD_EVENT_EVICT, 13),
	VAL(AIGUARD_TARGET_SELF, 0),
	VAL(AIGUARD_TARGET_PID, 1),
	VAL(AIGUARD_TARGET_PIDFD, 2),
	VAL(AIGUARD_HOOK_PTRACE_ACCESS, 0),
	VAL(AIGUARD_HOOK_TASK_ALLOC, 6),
	/* Full ioctl numbers: dir, size, magic and nr all pinned. */
	VAL(AIGUARD_IOC_GET_VERSION, 0x8010a900),
	VAL(AIGUARD_IOC_PROTECT, 0xc030a901),
	VAL(AIGUARD_IOC_UNPROTECT, 0x4010a902),
	VAL(AIGUARD_IOC_QUERY, 0xc038a903),
	VAL(AIGUARD_IOC_LIST, 0xc020a904),
	VAL(AIGUARD_IOC_GET_STATS, 0x81a0a905),
	VAL(AIGUARD_IOC_GET_STATUS, 0x8130a906),
	VAL(AIGUARD_IOC_SET_MODE, 0x4008a907),
	VAL(AIGUARD_IOC_GRANT, 0xc020a908),
	VAL(AIGUARD_IOC_REVOKE, 0x4010a909),
	VAL(AIGUARD_IOC_LIST_GRANTS, 0xc020a90a),
	VAL(AIGUARD_IOC_LOCK, 0x4008a90b),
};

#define IOC(name) { #name, (unsigned long)(name) }
static const struct { const char *name; unsigned long val; } iocs[] = {
	IOC(AIGUARD_IOC_GET_VERSION),
	IOC(AIGUARD_IOC_PROTECT),
	IOC(AIGUARD_IOC_UNPROTECT),
	IOC(AIGUARD_IOC_QUERY),
	IOC(AIGUARD_IOC_LIST),
	IOC(AIGUARD_IOC_GET_STATS),
	IOC(AIGUARD_IOC_GET_STATUS),
	IOC(AIGUARD_IOC_SET_MODE),
	IOC(AIGUARD_IOC_GRANT),
	IOC(AIGUARD_IOC_REVOKE),
	IOC(AIGUARD_IOC_LIST_GRANTS),
	IOC(AIGUARD_IOC_LOCK),
};

int main(int argc, char **argv)
{
	size_t n = sizeof(checks) / sizeof(checks[0]);
	int fails = 0;

	if (argc > 1 && strcmp(argv[1], "--iocs") == 0) {
		for (size_t i = 0; i < sizeof(iocs) / sizeof(iocs[0]); i++)
			printf("IOC %s 0x%08lx\n", iocs[i].name, iocs[i].val);
		return 0;
	}
	printf("TAP version 13\n1..%zu\n# %zu-bit build\n", n, sizeof(void *) * 8);
	for (size_t i = 0; i < n; i++) {
		int ok = checks[i].got == checks[i].want;

		printf("%sok %zu - %s", ok ? "" : "not ", i + 1, checks[i].what);
		if (!ok)
			printf(" (got %lu / 0x%lx)", checks[i].got, checks[i].got);
		printf("\n");
		fails += !ok;
	}
	return fails ? 1 : 0;
}
