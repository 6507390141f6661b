// SPDX-License-Identifier: GPL-2.0
/* ptrace attach/seize, PTRACE_TRACEME and per-task perf events. */
#include <errno.h>
#include <string.h>
#include "attacks.h"

static void traceme(enum tgt_mode mode, const char *name)
{
	struct target t;
	struct target_msg m;

	if (target_spawn(&t, mode, "e2e-traceme") < 0) {
		tap_ok(0, "%s", name);
		return;
	}
	if (mode == TGT_CONTROL) {
		if (target_cmd(&t, TCMD_TRACEME, 0, &m) < 0)
			m.ret = -1, m.err = errno;
		expect_ret(m.ret, m.err, 0, "%s", name);
		tap_diag("  seen (unprotected): ret=%d errno=%s", m.ret, errname(m.err));
	} else if (!target_is_protected(&t)) {
		tap_ok(0, "%s", name);
	} else {
		if (target_cmd(&t, TCMD_TRACEME, 0, &m) < 0)
			m.ret = -2, m.err = errno;
		expect_fail(m.ret, m.err, EPERM, 0, "%s", name);
	}
	target_stop(&t);
}

int main(int argc, char **argv)
{
	struct target ctl, prot;
	struct victim vc;
	struct attack_res r;

	tap_init(argc, argv, 60);
	target_spawn(&ctl, TGT_CONTROL, NULL);
	target_spawn(&prot, TGT_PIDFD, "e2e-ptrace");

	check_pair(&atk_ptrace_attach, &ctl, &prot);
	check_pair(&atk_ptrace_seize, &ctl, &prot);

	/* perf: skip when the kernel has no perf events at all */
	memset(&r, 0, sizeof(r));
	vc = victim_of(&ctl);
	atk_perf_event_open.fn(&vc, &r);
	if (r.ret < 0 && (r.err == ENOSYS || r.err == ENOENT)) {
		tap_skip(strerror(r.err), "perf_event_open_task_control");
		tap_skip(strerror(r.err), "perf_event_open_task_protected_eacces");
	} else {
		check_pair(&atk_perf_event_open, &ctl, &prot);
	}
	target_stop(&ctl);
	target_stop(&prot);

	traceme(TGT_CONTROL, "ptrace_traceme_control");
	traceme(TGT_PIDFD, "ptrace_traceme_protected_eperm");
	traceme(TGT_SELF, "ptrace_traceme_self_protected_eperm");
	return tap_done();
}
