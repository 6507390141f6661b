// SPDX-License-Identifier: GPL-2.0
/*
 * Trust domains and the registry listing: the same label may access,
 * another label or a private domain may not.
 *
 * A label with live members is closed: an outsider (this test, root)
 * adding a process to it gets EXDEV without AIGUARD_PROTECT_JOIN, and with
 * it a JOIN record; a member needs no flag; a new label needs none either.
 * (After the lock an outsider's join is refused: t_lock.sh.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "attacks.h"

/* want == 0: the attacker (protected with label) must get the canary. */
static void label_case(const char *name, const struct attack *a, struct target *t,
		       const char *label, int want)
{
	struct victim v = victim_of(t);
	struct attack_res r;

	if (!target_is_protected(t)) {
		tap_ok(0, "%s", name);
		return;
	}
	if (attack_in_child(a, &v, label, &r) < 0) {
		tap_ok(0, "%s", name);
		tap_diag("  %s", r.what);
		return;
	}
	if (want == 0) {
		tap_ok(r.ret >= 0 && r.got, "%s", name);
		tap_diag("  seen: ret=%ld errno=%s", r.ret, errname(r.err));
	} else {
		expect_fail(r.ret, r.err, want, 0, "%s", name);
		if (r.leaked || r.got)
			tap_ok(0, "%s_no_leak", name);
	}
	if (r.what[0])
		tap_diag("  %s", r.what);
}

static void list_has(struct target *t, const char *label)
{
	struct aiguard_process_info ent[256];
	struct aiguard_list l;
	int found = 0, fd = ag_fd();

	memset(&l, 0, sizeof(l));
	if (fd < 0 || ioctl(fd, AIGUARD_IOC_LIST, &l) < 0) {
		tap_ok(0, "list_count_only");
		tap_diag("  %s", fd < 0 ? ag_error() : strerror(errno));
	} else {
		tap_ok(l.count == 0 && l.total >= 1, "list_count_only");
		tap_diag("  count %u total %u", l.count, l.total);
	}
	memset(&l, 0, sizeof(l));
	l.entries = (uintptr_t)ent;
	l.capacity = 256;
	if (fd < 0 || ioctl(fd, AIGUARD_IOC_LIST, &l) < 0) {
		tap_ok(0, "list_shows_protected_pid_and_label");
		return;
	}
	for (unsigned int i = 0; i < l.count && i < 256; i++)
		if ((pid_t)ent[i].pid == t->pid && (ent[i].flags & AIGUARD_PROC_PROTECTED) &&
		    strcmp(ent[i].label, label) == 0)
			found = 1;
	tap_ok(found && l.count <= l.total, "list_shows_protected_pid_and_label");
	tap_diag("  count %u total %u, pid %d %s", l.count, l.total, t->pid,
		 found ? "found" : "missing");
}

static int is_protected_as(struct target *t, const char *label)
{
	struct aiguard_process_info info;

	memset(&info, 0, sizeof(info));
	return ag_query(AIGUARD_TARGET_PIDFD, t->pidfd, &info) == 0 &&
	       (info.flags & AIGUARD_PROC_PROTECTED) && !strcmp(info.label, label);
}

/*
 * A child joins label (as an outsider, with the flag), then, as a member,
 * adds pid to it without the flag. Returns 0 or the errno of the step that
 * failed (negated for the first step).
 */
static int member_adds(const char *label, pid_t pid)
{
	pid_t c = fork();
	int st;

	if (c == 0) {
		if (ag_protect_flags(AIGUARD_TARGET_SELF, 0, label, NULL,
				     AIGUARD_PROTECT_JOIN))
			_exit(100 + errno);
		_exit(ag_protect_flags(AIGUARD_TARGET_PID, pid, label, NULL, 0) ? errno : 0);
	}
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return -EIO;
	return WEXITSTATUS(st) >= 100 ? -(WEXITSTATUS(st) - 100) : WEXITSTATUS(st);
}

static void join_cases(struct target *member)
{
	struct target j, k, n;
	int err;

	target_spawn(&j, TGT_CONTROL, NULL);
	target_spawn(&k, TGT_CONTROL, NULL);
	target_spawn(&n, TGT_CONTROL, NULL);

	EXPECT_FAIL(ag_protect_flags(AIGUARD_TARGET_PIDFD, j.pidfd, "e2e-teamA", NULL, 0),
		    EXDEV, 0, "join_label_with_members_from_outside_without_flag_exdev");
	tap_ok(!is_protected_as(&j, "e2e-teamA"), "join_refused_leaves_the_process_unprotected");
	EXPECT_FAIL(ag_protect_flags(AIGUARD_TARGET_PIDFD, j.pidfd, member->label, NULL,
				     AIGUARD_PROTECT_JOIN),
		    EINVAL, 0, "join_private_domain_by_name_einval");

	EXPECT_RET(ag_protect_flags(AIGUARD_TARGET_PIDFD, j.pidfd, "e2e-teamA", NULL,
				    AIGUARD_PROTECT_JOIN),
		   0, "join_label_with_members_with_flag_allowed");
	tap_ok(is_protected_as(&j, "e2e-teamA"), "join_with_flag_protects_with_the_label");
	tap_ok(ag_find_event(AIGUARD_EVENT_JOIN, j.pid, "e2e-teamA") == 1,
	       "join_with_flag_writes_a_join_record");

	EXPECT_RET(ag_protect_flags(AIGUARD_TARGET_PIDFD, n.pidfd, "e2e-fresh", NULL, 0),
		   0, "new_label_needs_no_flag");
	tap_ok(ag_find_event(AIGUARD_EVENT_PROTECT, n.pid, "e2e-fresh") == 1 &&
	       ag_find_event(AIGUARD_EVENT_JOIN, n.pid, NULL) == 0,
	       "new_label_writes_a_protect_record_not_a_join");

	err = member_adds("e2e-teamA", k.pid);
	tap_ok(err == 0 && is_protected_as(&k, "e2e-teamA"),
	       "member_adds_to_its_label_without_flag (%d)", err);
	target_stop(&j);
	target_stop(&k);
	target_stop(&n);
}

int main(int argc, char **argv)
{
	struct target a, p1, p2;
	struct aiguard_process_info info;

	tap_init(argc, argv, 60);
	target_spawn(&a, TGT_PIDFD, "e2e-teamA");
	target_spawn(&p1, TGT_PIDFD, "");
	target_spawn(&p2, TGT_SELF, "");

	label_case("label_same_ptrace_attach_allowed", &atk_ptrace_attach, &a, "e2e-teamA", 0);
	label_case("label_same_proc_mem_allowed", &atk_proc_mem, &a, "e2e-teamA", 0);
	label_case("label_other_ptrace_attach_eperm", &atk_ptrace_attach, &a, "e2e-teamB", EPERM);
	label_case("label_other_proc_mem_eacces", &atk_proc_mem, &a, "e2e-teamB", EACCES);
	label_case("label_private_attacker_proc_mem_eacces", &atk_proc_mem, &a, "", EACCES);

	tap_ok(target_is_protected(&p1) && p1.label[0] == '@', "label_empty_gives_private_domain");
	tap_diag("  label '%.32s'", p1.label);
	tap_ok(target_is_protected(&p2) && p2.label[0] == '@', "label_empty_self_gives_private_domain");
	tap_diag("  label '%.32s'", p2.label);
	tap_ok(p1.prot_ret == 0 && p2.prot_ret == 0 && strcmp(p1.label, p2.label) != 0,
	       "label_private_domains_distinct");
	label_case("label_private_other_private_proc_mem_eacces", &atk_proc_mem, &p1, "", EACCES);
	label_case("label_named_vs_private_ptrace_attach_eperm", &atk_ptrace_attach, &p1,
		   "e2e-teamA", EPERM);
	memset(&info, 0, sizeof(info));
	if (ag_query(AIGUARD_TARGET_PIDFD, a.pidfd, &info) < 0) {
		tap_ok(0, "query_protected_pid_label");
		tap_diag("  %s", ag_fd() < 0 ? ag_error() : strerror(errno));
	} else {
		tap_ok((info.flags & AIGUARD_PROC_PROTECTED) && (pid_t)info.pid == a.pid &&
		       strcmp(info.label, "e2e-teamA") == 0, "query_protected_pid_label");
		tap_diag("  pid %u flags %#x label '%.32s'", info.pid, info.flags, info.label);
	}
	list_has(&a, "e2e-teamA");
	join_cases(&p1);

	target_stop(&a);
	target_stop(&p1);
	target_stop(&p2);
	return tap_done();
}
