// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the status, list and version commands.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "json.h"
#include "opts.h"
#include "tool.h"

#define CRITICAL_TEXT "CRITICAL: hooks are not running (kprobes or ftrace disabled) \xe2\x80\x94 protection is OFF"

static int status_pid(int fd, pid_t pid, bool json)
{
	struct aiguard_process_info info;
	bool prot, perm, enter;
	struct json j;
	int e = query_pid(fd, pid, &info);

	if (e) {
		errmsg("pid %d: %s", pid, errno_text(e));
		return fail_exit(e);
	}
	prot = info.flags & AIGUARD_PROC_PROTECTED;
	perm = prot && (info.flags & AIGUARD_PROC_PERMISSIVE);
	enter = prot && (info.flags & AIGUARD_PROC_ENTER);
	if (json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_kint(&j, "pid", pid);
		json_kbool(&j, "protected", prot);
		json_kstr(&j, "label", prot ? info.label : "");
		json_kbool(&j, "permissive", perm);
		json_kbool(&j, "enter", enter);
		json_object_end(&j);
	} else if (prot) {
		printf("pid %d: protected, label %s%s%s\n", pid, info.label,
		       perm ? " (permissive: audited, not denied)" : "",
		       enter ? " (outsiders may join its namespaces)" : "");
	} else {
		printf("pid %d: not protected\n", pid);
	}
	return EX_AG_OK;
}

/* What "status" without a pid reports. */
struct module_state {
	struct aiguard_stats s;
	struct aiguard_status st;
	bool have_grants;		/* false: they could not be listed */
	struct aiguard_grant_info *grants;
	uint32_t ngrants;
};

/* Returns an exit code; the grants may be missing (said on stderr). */
static int read_module_state(int fd, struct module_state *m)
{
	int e;

	memset(m, 0, sizeof(*m));
	if (ioctl(fd, AIGUARD_IOC_GET_STATS, &m->s)) {
		e = errno;
		errmsg("cannot read statistics: %s", errno_text(e));
		return fail_exit(e);
	}
	e = read_status(fd, &m->st);
	if (e)
		return e;
	e = fetch_grants(fd, &m->grants, &m->ngrants);
	m->have_grants = !e;
	if (e)
		errmsg("cannot list grants: %s", grants_errtext(e));
	return EX_AG_OK;
}

static void grants_json(struct json *j, const struct module_state *m)
{
	json_key(j, "grants");
	if (!m->have_grants) {
		json_null(j);
		return;
	}
	json_array_begin(j);
	for (uint32_t i = 0; i < m->ngrants; i++) {
		json_object_begin(j);
		json_ku64(j, "id", m->grants[i].id);
		json_ku64(j, "tracer_pid", m->grants[i].tracer_pid);
		json_ku64(j, "target_pid", m->grants[i].target_pid);
		json_ku64(j, "ttl_left_sec", m->grants[i].ttl_left_sec);
		json_ku64(j, "uses", m->grants[i].uses);
		json_object_end(j);
	}
	json_array_end(j);
}

static void hooks_json(struct json *j, const struct module_state *m)
{
	json_key(j, "hooks");
	json_object_begin(j);
	for (int i = 0; i < AIGUARD_HOOK_NR; i++) {
		json_key(j, hook_name((unsigned int)i));
		json_object_begin(j);
		json_ku64(j, "allowed", m->s.allowed[i]);
		json_ku64(j, "denied", m->s.denied[i]);
		json_ku64(j, "audited", m->st.audited[i]);
		json_ku64(j, "granted", m->st.granted[i]);
		json_ku64(j, "missed", m->s.missed[i]);
		json_object_end(j);
	}
	json_object_end(j);
}

/*
 * The kernel's own lockdown mode, the bracketed word of
 * /sys/kernel/security/lockdown ("none", "integrity", "confidentiality"),
 * or NULL when the lockdown LSM is not there.
 */
static const char *kernel_lockdown(char *buf, size_t len)
{
	FILE *f = fopen(LOCKDOWN_PATH, "r");
	char line[128], *open_b, *close_b;

	if (!f)
		return NULL;
	open_b = fgets(line, sizeof(line), f) ? strchr(line, '[') : NULL;
	fclose(f);
	close_b = open_b ? strchr(open_b, ']') : NULL;
	if (!close_b || (size_t)(close_b - open_b) > len)
		return NULL;
	*close_b = '\0';
	snprintf(buf, len, "%s", open_b + 1);
	return buf;
}

static void status_json(const struct module_state *m)
{
	uint32_t state = m->st.state;
	char lockdown[32];
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kint(&j, "abi_version", AIGUARD_ABI_VERSION);
	json_kint(&j, "label_max", AIGUARD_LABEL_MAX);
	json_ku64(&j, "protected", m->s.nr_protected);
	json_ku64(&j, "pending", m->s.nr_pending);
	json_kstr(&j, "mode", state & AIGUARD_STATE_PERMISSIVE ? "permissive" : "enforcing");
	json_kbool(&j, "locked", state & AIGUARD_STATE_LOCKED);
	json_kbool(&j, "sealed", state & AIGUARD_STATE_SEALED);
	json_kbool(&j, "critical", state & AIGUARD_STATE_HOOKS_DEAD);
	json_ku64(&j, "state", state);
	json_ku64(&j, "events", m->st.events);
	json_ku64(&j, "events_dropped", m->st.events_dropped);
	json_ku64(&j, "ring_size", m->st.ring_size);
	json_ku64(&j, "sampling_events", m->st.sampling_events);
	json_ku64(&j, "cleared_pages", m->st.cleared_pages);
	json_ku64(&j, "unchecked_bpf_programs", m->st.unchecked_progs);
	json_ku64(&j, "objects", m->st.objects);
	json_key(&j, "kernel_lockdown");
	if (kernel_lockdown(lockdown, sizeof(lockdown)))
		json_str(&j, lockdown);
	else
		json_null(&j);
	grants_json(&j, m);
	/* "hooks" stays last: older consumers match '"hooks":{...}}$'. */
	hooks_json(&j, m);
	json_object_end(&j);
}

static void grants_text(const struct module_state *m)
{
	printf("active grants: %u\n", m->ngrants);
	if (m->ngrants)
		printf("  %-8s %-24s %-24s %8s %8s\n", "ID", "TRACER", "TARGET",
		       "TTL", "USES");
	for (uint32_t i = 0; i < m->ngrants; i++) {
		const struct aiguard_grant_info *g = &m->grants[i];
		char tc[64], gc[64], tr[96], ta[96];

		read_comm((pid_t)g->tracer_pid, tc, sizeof(tc));
		read_comm((pid_t)g->target_pid, gc, sizeof(gc));
		snprintf(tr, sizeof(tr), "%u(%.40s)", g->tracer_pid, printable(tc));
		snprintf(ta, sizeof(ta), "%u(%.40s)", g->target_pid, printable(gc));
		printf("  %-8" PRIu64 " %-24s %-24s %7us %8u\n",
		       (uint64_t)g->id, tr, ta, g->ttl_left_sec, g->uses);
	}
}

static void hooks_text(const struct module_state *m)
{
	bool missed = false;

	printf("\n%-16s %12s %12s %12s %12s %12s\n", "HOOK", "ALLOWED", "DENIED",
	       "AUDITED", "GRANTED", "MISSED");
	for (int i = 0; i < AIGUARD_HOOK_NR; i++) {
		printf("%-16s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
		       hook_name((unsigned int)i), (uint64_t)m->s.allowed[i],
		       (uint64_t)m->s.denied[i], (uint64_t)m->st.audited[i],
		       (uint64_t)m->st.granted[i], (uint64_t)m->s.missed[i]);
		missed |= m->s.missed[i] != 0;
	}
	if (missed)
		printf("\nwarning: some hook invocations were missed (kprobe nmissed); protection may have gaps\n");
}

static void status_text(const struct module_state *m)
{
	bool dead = m->st.state & AIGUARD_STATE_HOOKS_DEAD;
	char lockdown[32];

	if (dead)
		printf("%s\n\n", CRITICAL_TEXT);
	printf("module ABI version: %d\n", AIGUARD_ABI_VERSION);
	printf("mode: %s\n", m->st.state & AIGUARD_STATE_PERMISSIVE ?
	       "permissive (audit only: denials are logged, not enforced)" : "enforcing");
	printf("locked: %s\n", m->st.state & AIGUARD_STATE_LOCKED ? "yes (until reboot)" : "no");
	printf("sealed: %s\n", m->st.state & AIGUARD_STATE_SEALED ?
	       "yes (unsigned modules, kexec, hibernation, /dev/mem, raw I/O, debugfs writes,\n"
	       "        BPF writes to user memory, forced unloads and kprobes/enabled are refused)" :
	       "no (aiguard lock seals the kernel)");
	printf("kernel lockdown: %s\n", kernel_lockdown(lockdown, sizeof(lockdown)) ?:
	       "not available (no lockdown LSM)");
	printf("protected processes: %" PRIu64 "\n", (uint64_t)m->s.nr_protected);
	printf("pending (forking) processes: %" PRIu64 "\n", (uint64_t)m->s.nr_pending);
	printf("audit records: %" PRIu64 " written, %" PRIu64 " dropped (ring of %u)\n",
	       (uint64_t)m->st.events, (uint64_t)m->st.events_dropped, m->st.ring_size);
	printf("freed memory cleared: %" PRIu64 " pages\n", (uint64_t)m->st.cleared_pages);
	printf("objects in memory kept for a label: %u\n", m->st.objects);
	if (m->st.sampling_events)
		printf("warning: %u system-wide perf event(s) sample user stacks or registers;\n"
		       "  opened before anything was protected, they sample protected processes too:\n"
		       "  stop them (perf record -a --call-graph dwarf, profilers)\n",
		       m->st.sampling_events);
	if (m->st.unchecked_progs)
		printf("warning: %u loaded BPF program(s) read kernel memory where aiguard cannot\n"
		       "  check it (bpf_rdonly_cast, or past the end of a kernel struct): nothing\n"
		       "  can be protected until they are unloaded\n", m->st.unchecked_progs);
	if (m->have_grants)
		grants_text(m);
	hooks_text(m);
	if (dead)
		printf("\n%s\n", CRITICAL_TEXT);
}

/* ------------------------------------------------------------------ */
/* --prometheus: the text exposition format (node_exporter textfile)   */

/* "# HELP" and "# TYPE" lines of one metric family. */
static void prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP aiguard_%s %s\n# TYPE aiguard_%s %s\n", name, help, name, type);
}

static void prom_value(const char *name, const char *type, const char *help,
		       uint64_t v)
{
	prom_family(name, type, help);
	printf("aiguard_%s %" PRIu64 "\n", name, v);
}

/* One family per counter, one sample per hook. */
static void prom_hooks(const struct module_state *m)
{
	static const char *const names[] = {
		"allowed", "denied", "audited", "granted", "missed",
	};
	char family[32], help[96];

	for (size_t c = 0; c < sizeof(names) / sizeof(names[0]); c++) {
		snprintf(family, sizeof(family), "hook_%s_total", names[c]);
		snprintf(help, sizeof(help), "Accesses to protected processes the hook %s%s.",
			 c == 4 ? "did not see (kprobe nmissed)" : "has ",
			 c == 4 ? "" : names[c]);
		prom_family(family, "counter", help);
		for (int i = 0; i < AIGUARD_HOOK_NR; i++) {
			const uint64_t v[] = { m->s.allowed[i], m->s.denied[i],
					       m->st.audited[i], m->st.granted[i],
					       m->s.missed[i] };

			printf("aiguard_%s{hook=\"%s\"} %" PRIu64 "\n", family,
			       hook_name((unsigned int)i), v[c]);
		}
	}
}

static void status_prometheus(const struct module_state *m)
{
	uint32_t state = m->st.state;

	prom_value("module_loaded", "gauge", "1 if the aiguard module answered.", 1);
	prom_value("hooks_alive", "gauge",
		   "0 if the kernel stopped calling aiguard's hooks (protection is OFF).",
		   !(state & AIGUARD_STATE_HOOKS_DEAD));
	prom_value("locked", "gauge", "1 once the policy is locked (aiguard lock).",
		   !!(state & AIGUARD_STATE_LOCKED));
	prom_value("sealed", "gauge", "1 once the kernel is sealed by the lock.",
		   !!(state & AIGUARD_STATE_SEALED));
	prom_value("permissive", "gauge", "1 in global permissive (audit-only) mode.",
		   !!(state & AIGUARD_STATE_PERMISSIVE));
	prom_value("protected_processes", "gauge", "Protected processes.", m->s.nr_protected);
	prom_value("pending_processes", "gauge", "Processes being forked from protected ones.",
		   m->s.nr_pending);
	prom_value("events_written_total", "counter", "Audit records written.", m->st.events);
	prom_value("events_dropped_total", "counter",
		   "Audit records overwritten before a reader got them.", m->st.events_dropped);
	prom_value("sampling_events", "gauge",
		   "System-wide perf events sampling user stacks or registers.",
		   m->st.sampling_events);
	prom_value("cleared_pages_total", "counter",
		   "Pages of protected processes cleared before the kernel freed them.",
		   m->st.cleared_pages);
	prom_value("objects", "gauge",
		   "Objects on memory-backed storage (shm, tmpfs, SysV) kept for a label.",
		   m->st.objects);
	prom_value("unchecked_bpf_programs", "gauge",
		   "Loaded BPF programs that read kernel memory unchecked; they block protection.",
		   m->st.unchecked_progs);
	if (m->have_grants)
		prom_value("grants", "gauge", "Active break-glass grants.", m->ngrants);
	prom_hooks(m);
}

static int status_module(int fd, const struct args *a)
{
	struct module_state m;
	int rc = read_module_state(fd, &m);

	if (rc)
		return rc;
	if (m.st.state & AIGUARD_STATE_HOOKS_DEAD)
		errmsg("%s", CRITICAL_TEXT);	/* stdout may be going to a parser */
	if (a->prometheus)
		status_prometheus(&m);
	else if (a->json)
		status_json(&m);
	else
		status_text(&m);
	free(m.grants);
	return EX_AG_OK;
}

int cmd_status(const struct args *a)
{
	pid_t pid = 0;
	int fd, rc;

	if (a->argc > 1)
		return usage_error("too many arguments (at most one PID)");
	if (a->argc == 1 && (rc = pid_arg("", a->argv[0], &pid)))
		return rc;
	if (a->prometheus && (pid || a->json))
		return usage_error("--prometheus takes neither --json nor a PID");
	fd = open_checked();
	if (fd < 0)
		return -fd;
	rc = pid ? status_pid(fd, pid, a->json) : status_module(fd, a);
	close(fd);
	return rc;
}

static void list_entry(struct json *j, const void *ent)
{
	struct aiguard_process_info p = *(const struct aiguard_process_info *)ent;
	bool perm = p.flags & AIGUARD_PROC_PERMISSIVE;
	char comm[64], id[65], cgroup[512];
	bool ctr;

	p.label[AIGUARD_LABEL_MAX - 1] = '\0';
	read_comm((pid_t)p.pid, comm, sizeof(comm));
	ctr = read_container((pid_t)p.pid, id, sizeof(id), cgroup, sizeof(cgroup));
	if (!j) {
		/* the short id, as podman ps and crictl ps show it */
		printf("%-8u %-32s %-10s %-12.12s %s\n", p.pid, p.label,
		       perm ? "PERMISSIVE" : "enforcing", ctr ? id : "-", printable(comm));
		return;
	}
	json_object_begin(j);
	json_ku64(j, "pid", p.pid);
	json_kstr(j, "label", p.label);
	json_kstr(j, "comm", comm);
	/* "permissive", "enter" and the container only when set: the object stays as before. */
	if (perm)
		json_kbool(j, "permissive", true);
	if (p.flags & AIGUARD_PROC_ENTER)
		json_kbool(j, "enter", true);
	if (ctr) {
		json_kstr(j, "container", id);
		json_kstr(j, "cgroup", cgroup);
	}
	json_object_end(j);
}

int cmd_list(const struct args *a)
{
	char header[80];
	uint32_t n;
	void *ents;
	int fd, e;

	fd = open_checked();
	if (fd < 0)
		return -fd;
	e = fetch_list(fd, AIGUARD_IOC_LIST, sizeof(struct aiguard_process_info),
		       16, &ents, &n);
	close(fd);
	if (e == EAGAIN)
		errmsg("the set of protected processes keeps changing; giving up");
	else if (e)
		errmsg("cannot list protected processes: %s", errno_text(e));
	if (e)
		return fail_exit(e);
	snprintf(header, sizeof(header), "%-8s %-32s %-10s %-12s %s\n",
		 "PID", "LABEL", "MODE", "CONTAINER", "COMM");
	print_listing(a->json, "processes", header, ents,
		      sizeof(struct aiguard_process_info), n, list_entry);
	free(ents);
	return EX_AG_OK;
}

int cmd_version(const struct args *a UNUSED)
{
	struct aiguard_version v;
	int fd, rc;

	printf("aiguard tool %s (ABI %d)\n", AIGUARD_TOOL_VERSION, AIGUARD_ABI_VERSION);
	fd = open_dev(true);
	if (fd == -EX_AG_NOMODULE) {
		printf("module: not loaded (run: modprobe aiguard)\n");
		return EX_AG_OK;
	}
	if (fd < 0) {
		printf("module: unknown (cannot open %s: %s)\n", AIGUARD_DEV_PATH,
		       fd == -EX_AG_PERM ? "permission denied, aiguard needs root" : "error");
		return EX_AG_OK;
	}
	rc = get_version(fd, &v, true);
	close(fd);
	if (rc == EX_AG_ABI && v.abi_version) {
		printf("module: ABI %u (MISMATCH: this tool speaks ABI %d)\n",
		       v.abi_version, AIGUARD_ABI_VERSION);
		return EX_AG_ABI;
	}
	if (rc) {
		printf("module: loaded, but its version could not be read\n");
		return rc;
	}
	printf("module: ABI %u\n", v.abi_version);
	return EX_AG_OK;
}
