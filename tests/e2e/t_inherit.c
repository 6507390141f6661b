// SPDX-License-Identifier: GPL-2.0
/*
 * Protection is inherited by fork, vfork, clone(CLONE_VM), threads and
 * execve, and survives a uid change.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "attacks.h"

#define LABEL "e2e-inherit"

struct how {
	const char *name;
	char cmd;
	int arg;
	int same_process;	/* the target itself turns into the new program */
};

static const struct how hows[] = {
	{ "fork", TCMD_FORK, 0, 0 },
	{ "vfork_exec", TCMD_VFORK, 0, 0 },
	{ "clone_vm", TCMD_CLONE_VM, 0, 0 },
	{ "thread", TCMD_THREAD, 0, 0 },
	{ "execve", TCMD_EXEC, 0, 1 },
	{ "setresuid_exec", TCMD_SETUID_EXEC, 65534, 1 },
};

/* Makes t produce the new process; fills v. */
static int produce(struct target *t, const struct how *h, struct victim *v)
{
	struct target_msg m;

	if (t->pid <= 0 || target_cmd(t, h->cmd, h->arg, &m) < 0 || m.ret < 0) {
		tap_diag("  %s in target %d failed: %s", h->name, t->pid,
			 t->pid <= 0 ? "no target" : strerror(m.ret < 0 ? m.err : errno));
		return -1;
	}
	if (h->same_process)
		t->info = m;
	*v = victim_of(t);
	v->pid = m.pid;
	v->tid = m.tid;
	v->heap_addr = m.heap_addr;
	return 0;
}

int main(int argc, char **argv)
{
	struct target ctl, prot;

	tap_init(argc, argv, 90);
	target_spawn(&ctl, TGT_CONTROL, NULL);
	target_spawn(&prot, TGT_PIDFD, LABEL);

	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		const struct how *h = &hows[i];
		int thread = h->cmd == TCMD_THREAD;
		struct attack a = thread ? atk_proc_task_mem : atk_proc_mem;
		char name[64];
		struct victim vc, vp;
		struct aiguard_process_info info;

		snprintf(name, sizeof(name), "inherit_%s_%s", h->name, a.name);
		a.name = name;

		if (produce(&ctl, h, &vc) == 0)
			check_control(&a, &vc);
		else
			tap_ok(0, "%s_control", name);

		if (!target_is_protected(&prot) || produce(&prot, h, &vp) < 0) {
			tap_ok(0, "inherit_%s_query_protected", h->name);
			tap_ok(0, "%s_protected_eacces", name);
			continue;
		}
		memset(&info, 0, sizeof(info));
		if (ag_query(AIGUARD_TARGET_PID, vp.pid, &info) < 0) {
			tap_ok(0, "inherit_%s_query_protected", h->name);
			tap_diag("  QUERY of pid %d: %s", vp.pid, strerror(errno));
		} else {
			tap_ok((info.flags & AIGUARD_PROC_PROTECTED) &&
			       strcmp(info.label, LABEL) == 0,
			       "inherit_%s_query_protected", h->name);
			tap_diag("  pid %d: flags %#x label '%.32s'", vp.pid, info.flags, info.label);
		}
		check_protected(&a, &vp);
	}
	target_stop(&ctl);
	target_stop(&prot);
	return tap_done();
}
