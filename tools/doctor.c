// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - the doctor command: a posture check of this machine for
 * protected workloads. Each check gives a verdict (ok, warn, fail), what it
 * saw and a one-line fix. Exit EX_AG_CRITICAL when a critical check fails
 * (module missing, hooks dead), 0 otherwise.
 *
 * AIGUARD_ROOT=/some/dir is prepended to every /proc and /sys path read here
 * (tests flip settings in a fake tree); /dev/aiguard is opened as it is.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "json.h"
#include "opts.h"
#include "tool.h"

enum verdict { V_OK, V_WARN, V_FAIL };
static const char *const verdict_names[] = { "ok", "warn", "fail" };

struct item {
	const char *name;
	enum verdict v;
	bool critical;		/* a failure makes the exit status EX_AG_CRITICAL */
	char detail[160];
	char fix[160];
};

#define ITEMS_MAX	28

struct report {
	struct item items[ITEMS_MAX];
	int n;
	bool module;		/* /dev/aiguard answered */
	struct aiguard_status st;
	struct aiguard_stats s;
};

static struct item *add(struct report *r, const char *name, enum verdict v,
			const char *fix)
{
	struct item *it = &r->items[r->n++];

	it->name = name;
	it->v = v;
	it->critical = false;
	it->detail[0] = '\0';
	snprintf(it->fix, sizeof(it->fix), "%s", v == V_OK ? "" : fix);
	return it;
}

/* AIGUARD_ROOT + path, in buf. */
static const char *rpath(char *buf, size_t len, const char *path)
{
	const char *root = getenv("AIGUARD_ROOT");

	snprintf(buf, len, "%s%s", root ? root : "", path);
	return buf;
}

/* First line of AIGUARD_ROOT/path without its newline; false if unreadable. */
static bool read_first(const char *path, char *buf, size_t len)
{
	char p[512];
	FILE *f = fopen(rpath(p, sizeof(p), path), "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static bool exists(const char *path)
{
	char p[512];

	return access(rpath(p, sizeof(p), path), F_OK) == 0;
}

/* A sysctl as a number; false if missing or not a number. */
static bool sysctl_long(const char *path, long *out)
{
	char buf[64], *end;

	if (!read_first(path, buf, sizeof(buf)))
		return false;
	errno = 0;
	*out = strtol(buf, &end, 10);
	return !errno && end != buf;
}

/* ------------------------------------------------------------------ */
/* The module                                                          */

static void check_module(struct report *r)
{
	bool sys = exists("/sys/module/aiguard");
	int fd = open_dev(true);
	struct item *it;

	if (fd >= 0) {
		r->module = !ioctl(fd, AIGUARD_IOC_GET_STATS, &r->s) && !get_status(fd, &r->st);
		close(fd);
	}
	if (r->module) {
		it = add(r, "module loaded", V_OK, "");
		snprintf(it->detail, sizeof(it->detail), "%s answers%s", AIGUARD_DEV_PATH,
			 sys ? ", /sys/module/aiguard present" : "");
		return;
	}
	it = add(r, "module loaded", V_FAIL, fd == -EX_AG_PERM ?
		 "run aiguard doctor as root" : sys ?
		 "udevadm trigger --subsystem-match=misc (or reload the module)" :
		 "modprobe aiguard (and systemctl enable aiguard.service)");
	it->critical = true;
	snprintf(it->detail, sizeof(it->detail), "%s %s; /sys/module/aiguard %s",
		 AIGUARD_DEV_PATH, fd == -EX_AG_PERM ? "not readable (not root)" :
		 fd >= 0 ? "does not answer" : "missing", sys ? "present" : "missing");
}

static void check_module_state(struct report *r)
{
	uint32_t state = r->st.state;
	bool locked = state & AIGUARD_STATE_LOCKED;
	struct item *it;

	if (!r->module)
		return;
	it = add(r, "hooks alive", state & AIGUARD_STATE_HOOKS_DEAD ? V_FAIL : V_OK,
		 "re-enable kprobes (echo 1 > /sys/kernel/debug/kprobes/enabled) and "
		 "ftrace (sysctl kernel.ftrace_enabled=1); see aiguard events");
	it->critical = true;
	snprintf(it->detail, sizeof(it->detail), "%s", it->v == V_OK ?
		 "the kernel calls aiguard's hooks" : "CRITICAL: hooks are not running, protection is OFF");
	it = add(r, "protected processes", r->s.nr_protected ? V_OK : V_WARN,
		 "start workloads with: aiguard exec --label L --user U -- CMD");
	snprintf(it->detail, sizeof(it->detail), "%llu protected",
		 (unsigned long long)r->s.nr_protected);
	it = add(r, "policy locked and sealed", locked ? V_OK : V_WARN,
		 "aiguard lock once the workloads run (LOCK_AFTER in /etc/aiguard/aiguard.conf)");
	snprintf(it->detail, sizeof(it->detail), "locked %s, sealed %s, mode %s",
		 locked ? "yes" : "no", state & AIGUARD_STATE_SEALED ? "yes" : "no",
		 state & AIGUARD_STATE_PERMISSIVE ? "permissive" : "enforcing");
	if (state & AIGUARD_STATE_PERMISSIVE) {
		it->v = V_WARN;
		snprintf(it->fix, sizeof(it->fix), "aiguard permissive off (audit-only mode denies nothing)");
	}
}

static bool sealed(const struct report *r)
{
	return r->module && (r->st.state & AIGUARD_STATE_SEALED);
}

/* ------------------------------------------------------------------ */
/* Kernel integrity: lockdown, Secure Boot, module signatures           */

static void check_lockdown(struct report *r)
{
	char buf[128], *b, *e;
	struct item *it;

	if (!read_first("/sys/kernel/security/lockdown", buf, sizeof(buf)) ||
	    !(b = strchr(buf, '[')) || !(e = strchr(b, ']'))) {
		it = add(r, "kernel lockdown", sealed(r) ? V_OK : V_WARN,
			 "mount securityfs, or boot with lockdown=integrity");
		snprintf(it->detail, sizeof(it->detail), "lockdown LSM not visible%s",
			 sealed(r) ? " (aiguard lock sealed the kernel)" : "");
		return;
	}
	*e = '\0';
	it = add(r, "kernel lockdown", strcmp(b + 1, "none") || sealed(r) ? V_OK : V_WARN,
		 "boot with lockdown=integrity, or aiguard lock (seals the same way)");
	snprintf(it->detail, sizeof(it->detail), "%s%s", b + 1,
		 sealed(r) ? " (aiguard lock sealed the kernel)" : "");
}

/* 1 on, 0 off, -1 unknown: efivars first, then mokutil --sb-state. */
static int secure_boot(void)
{
	char p[512], line[128];
	unsigned char v[5];
	FILE *f = fopen(rpath(p, sizeof(p), "/sys/firmware/efi/efivars/"
			  "SecureBoot-8be4df61-93ca-11d2-aa0d-e0a2c4b5a1b7"), "rb");
	int on = -1;

	if (f) {
		if (fread(v, 1, sizeof(v), f) == sizeof(v))
			on = v[4] == 1;
		fclose(f);
		return on;
	}
	if (getenv("AIGUARD_ROOT") || access("/usr/bin/mokutil", X_OK))
		return -1;
	f = popen("/usr/bin/mokutil --sb-state 2>/dev/null", "r");
	if (!f)
		return -1;
	while (on < 0 && fgets(line, sizeof(line), f))
		on = strstr(line, "SecureBoot enabled") ? 1 :
		     strstr(line, "SecureBoot disabled") ? 0 : -1;
	pclose(f);
	return on;
}

static void check_signatures(struct report *r)
{
	int sb = secure_boot();
	char buf[16];
	bool enforce;
	struct item *it;

	it = add(r, "Secure Boot", sb == 1 ? V_OK : V_WARN,
		 sb == 0 ? "enable Secure Boot in the firmware; enrol DKMS's key: "
		 "mokutil --import /var/lib/dkms/mok.pub" : "boot through UEFI with Secure Boot");
	snprintf(it->detail, sizeof(it->detail), "%s", sb == 1 ? "enabled" :
		 sb == 0 ? "disabled" : exists("/sys/firmware/efi") ?
		 "unknown (efivars unreadable, no mokutil)" : "not booted through UEFI");
	enforce = read_first("/sys/module/module/parameters/sig_enforce", buf, sizeof(buf)) &&
		  buf[0] == 'Y';
	it = add(r, "module signature enforcement", enforce || sealed(r) ? V_OK : V_WARN,
		 "boot with module.sig_enforce=1 (or Secure Boot / lockdown), or aiguard lock");
	snprintf(it->detail, sizeof(it->detail), "sig_enforce %s%s", enforce ? "Y" : "N",
		 !enforce && sealed(r) ? " (aiguard lock refuses unsigned modules)" : "");
}

/* ------------------------------------------------------------------ */
/* sysctls                                                             */

struct sysctl_rule {
	const char *name;	/* kernel.yama.ptrace_scope */
	long min;		/* ok from this value up */
	const char *fix;
};

static const struct sysctl_rule sysctl_rules[] = {
	{ "kernel.yama.ptrace_scope", 2,
	  "sysctl -w kernel.yama.ptrace_scope=2 (persist in /etc/sysctl.d/)" },
	{ "kernel.kptr_restrict", 1, "sysctl -w kernel.kptr_restrict=1" },
	{ "kernel.perf_event_paranoid", 2, "sysctl -w kernel.perf_event_paranoid=2" },
	{ "kernel.unprivileged_bpf_disabled", 1,
	  "sysctl -w kernel.unprivileged_bpf_disabled=1" },
	{ "kernel.kexec_load_disabled", 1,
	  "sysctl -w kernel.kexec_load_disabled=1, or aiguard lock (seals kexec)" },
	{ "kernel.modules_disabled", 1,
	  "sysctl -w kernel.modules_disabled=1 once every module is loaded (until reboot)" },
	{ "kernel.ftrace_enabled", 1,
	  "sysctl -w kernel.ftrace_enabled=1 (aiguard's kprobes run on ftrace)" },
};

/* /proc/sys path of a dotted sysctl name. */
static void sysctl_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/proc/sys/%s", name);
	for (char *c = buf + strlen("/proc/sys/"); *c; c++)
		if (*c == '.')
			*c = '/';
}

static void check_sysctl(struct report *r, const struct sysctl_rule *rule)
{
	char path[128];
	struct item *it;
	long v;
	bool have;

	sysctl_path(path, sizeof(path), rule->name);
	have = sysctl_long(path, &v);
	it = add(r, rule->name, have && v >= rule->min ? V_OK : V_WARN, rule->fix);
	if (have)
		snprintf(it->detail, sizeof(it->detail), "%ld", v);
	else
		snprintf(it->detail, sizeof(it->detail), "not available");
	if (!strcmp(rule->name, "kernel.ftrace_enabled") && have && v < rule->min)
		it->v = V_FAIL;		/* the hooks cannot run */
	if (!strcmp(rule->name, "kernel.kexec_load_disabled") && sealed(r))
		it->v = V_OK;
}

/* kernel.core_pattern with fs.suid_dumpable. */
static void check_core(struct report *r)
{
	char pattern[256];
	long dumpable = -1;
	struct item *it;

	if (!read_first("/proc/sys/kernel/core_pattern", pattern, sizeof(pattern)))
		snprintf(pattern, sizeof(pattern), "?");
	sysctl_long("/proc/sys/fs/suid_dumpable", &dumpable);
	it = add(r, "core dumps", dumpable == 0 ? V_OK : V_WARN,
		 "sysctl -w fs.suid_dumpable=0 (aiguard refuses dumps of protected processes only)");
	snprintf(it->detail, sizeof(it->detail),
		 "kernel.core_pattern=%.100s, fs.suid_dumpable=%ld", printable(pattern), dumpable);
}

/* ------------------------------------------------------------------ */
/* kprobes, swap, /proc                                                 */

static void check_kprobes(struct report *r)
{
	char buf[16];
	struct item *it;

	if (!read_first("/sys/kernel/debug/kprobes/enabled", buf, sizeof(buf))) {
		it = add(r, "kprobes enabled", V_OK, "");
		snprintf(it->detail, sizeof(it->detail),
			 "debugfs file not readable (see hooks alive)");
		return;
	}
	it = add(r, "kprobes enabled", buf[0] == '1' ? V_OK : V_FAIL,
		 "echo 1 > /sys/kernel/debug/kprobes/enabled (aiguard's hooks are kprobes)");
	snprintf(it->detail, sizeof(it->detail), "%s", buf);
}

/* Whether the swap device dev is zram or dm-crypt. */
static bool swap_encrypted(const char *dev)
{
	char real[256], path[320], uuid[64];
	const char *base;

	if (!strncmp(dev, "/dev/zram", 9))
		return true;
	if (getenv("AIGUARD_ROOT") || !realpath(dev, real))
		snprintf(real, sizeof(real), "%s", dev);
	base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
	if (strncmp(base, "dm-", 3))
		return false;
	snprintf(path, sizeof(path), "/sys/block/%s/dm/uuid", base);
	return read_first(path, uuid, sizeof(uuid)) && !strncmp(uuid, "CRYPT-", 6);
}

/*
 * aiguard keeps memory mapped by a protected process off swap (reclaim
 * treats it as mlock()ed). What a device can still receive: pages
 * swapped out before their process was protected, and shmem that no
 * protected process maps. On zram or dm-crypt those never reach a disk
 * in plaintext; on anything else they do, so that warns.
 */
static void check_swap(struct report *r)
{
	char p[512], line[512], dev[256], bad[128] = "";
	FILE *f = fopen(rpath(p, sizeof(p), "/proc/swaps"), "r");
	int n = 0, plain = 0;
	struct item *it;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s", dev) != 1 || !strcmp(dev, "Filename"))
			continue;
		n++;
		if (!swap_encrypted(dev) && plain++ == 0)
			snprintf(bad, sizeof(bad), "%.100s", dev);
	}
	if (f)
		fclose(f);
	it = add(r, "swap", plain ? V_WARN : V_OK,
		 "swapoff -a (and /etc/fstab), or swap on zram or dm-crypt only");
	if (!f)
		snprintf(it->detail, sizeof(it->detail), "/proc/swaps not readable");
	else if (plain)
		snprintf(it->detail, sizeof(it->detail),
			 "%d of %d device(s) neither zram nor dm-crypt (%s): pages swapped before protection land on disk in plaintext",
			 plain, n, printable(bad));
	else if (n)
		snprintf(it->detail, sizeof(it->detail),
			 "%d device(s), zram or dm-crypt; protected memory is kept off swap", n);
	else
		snprintf(it->detail, sizeof(it->detail), "no swap");
}

/*
 * Memory that outlives its process. aiguard clears a protected process's
 * own anonymous memory before the kernel frees it; init_on_free=1 clears
 * every page the kernel frees (kernel buffers, shared memory, what other
 * processes free): the boot parameter, since switching it at run time is
 * unsafe. The command line says, or else the kernel's configured default.
 */
static void check_init_on_free(struct report *r)
{
	char cmdline[4096], cfg[256], line[256], rel[128] = "";
	int on = -1;
	struct item *it;
	FILE *f;

	if (read_first("/proc/cmdline", cmdline, sizeof(cmdline)))
		for (char *tok = strtok(cmdline, " "); tok; tok = strtok(NULL, " "))
			if (!strncmp(tok, "init_on_free=", 13))
				on = !strcmp(tok + 13, "1") || !strcmp(tok + 13, "on");
	if (on < 0 && read_first("/proc/sys/kernel/osrelease", rel, sizeof(rel))) {
		snprintf(cfg, sizeof(cfg), "/boot/config-%s", rel);
		f = fopen(rpath(line, sizeof(line), cfg), "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "CONFIG_INIT_ON_FREE_DEFAULT_ON", 30))
				on = !strncmp(line, "CONFIG_INIT_ON_FREE_DEFAULT_ON=y", 32);
		if (f && on < 0)
			on = 0;
		if (f)
			fclose(f);
	}
	it = add(r, "init_on_free", on == 1 ? V_OK : V_WARN,
		 "add init_on_free=1 to the kernel command line (3-5% on most workloads)");
	snprintf(it->detail, sizeof(it->detail), "%s", on == 1 ? "on: every freed page is cleared" :
		 on == 0 ? "off: freed kernel buffers and shared memory keep their data until reused (aiguard clears protected processes' own memory)" :
		 "unknown");
}

/*
 * A crash kernel (kdump) boots over RAM on panic, and its /proc/vmcore
 * holds everything, protected processes included. aiguard lock unloads
 * it and refuses new ones: kdump and the lock exclude each other.
 */
static void check_crash_kernel(struct report *r)
{
	char buf[16];
	bool loaded;
	struct item *it;

	if (!read_first("/sys/kernel/kexec_crash_loaded", buf, sizeof(buf))) {
		it = add(r, "crash kernel (kdump)", V_OK, "");
		snprintf(it->detail, sizeof(it->detail), "no kexec in this kernel");
		return;
	}
	loaded = buf[0] == '1';
	it = add(r, "crash kernel (kdump)", loaded && r->s.nr_protected ? V_WARN : V_OK,
		 "kexec -p -u, and disable kdump-tools; aiguard lock unloads it (kdump and the lock exclude each other)");
	snprintf(it->detail, sizeof(it->detail), "%s", !loaded ? "none loaded" :
		 "loaded: on panic it boots over RAM, and its /proc/vmcore holds protected memory");
}

static void check_hidepid(struct report *r)
{
	char p[512], line[1024], dev[256], mnt[256], type[64], opts[512];
	FILE *f = fopen(rpath(p, sizeof(p), "/proc/mounts"), "r");
	const char *hide = NULL;
	bool found = false;
	struct item *it;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %255s %63s %511s", dev, mnt, type, opts) != 4 ||
		    strcmp(mnt, "/proc") || strcmp(type, "proc"))
			continue;
		found = true;
		hide = strstr(opts, "hidepid=");
		if (hide && (!strncmp(hide + 8, "0", 1) || !strncmp(hide + 8, "off", 3)))
			hide = NULL;
	}
	if (f)
		fclose(f);
	it = add(r, "/proc hidepid", hide ? V_OK : V_WARN,
		 "mount -o remount,hidepid=invisible /proc (and in /etc/fstab)");
	snprintf(it->detail, sizeof(it->detail), "%s", !found ? "no /proc mount found" :
		 hide ? "other users' processes are hidden" :
		 "every user sees every process (names, command lines)");
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void print_text(const struct report *r, const int count[3])
{
	static const char *const tags[] = { "OK  ", "WARN", "FAIL" };

	for (int i = 0; i < r->n; i++) {
		const struct item *it = &r->items[i];

		printf("%s  %-32s %s\n", tags[it->v], it->name, it->detail);
		if (it->v != V_OK)
			printf("      fix: %s\n", it->fix);
	}
	printf("\n%d ok, %d warn, %d fail\n", count[V_OK], count[V_WARN], count[V_FAIL]);
}

static void print_json(const struct report *r, const int count[3], bool critical)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_kint(&j, "ok", count[V_OK]);
	json_kint(&j, "warn", count[V_WARN]);
	json_kint(&j, "fail", count[V_FAIL]);
	json_kbool(&j, "critical", critical);
	json_key(&j, "checks");
	json_array_begin(&j);
	for (int i = 0; i < r->n; i++) {
		const struct item *it = &r->items[i];

		json_object_begin(&j);
		json_kstr(&j, "check", it->name);
		json_kstr(&j, "verdict", verdict_names[it->v]);
		json_kbool(&j, "critical", it->critical);
		json_kstr(&j, "detail", it->detail);
		json_kstr(&j, "fix", it->fix);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}

int cmd_doctor(const struct args *a)
{
	struct report *r = calloc(1, sizeof(*r));
	int count[3] = { 0, 0, 0 };
	bool critical = false;

	if (!r)
		return EX_AG_ERROR;
	check_module(r);
	check_module_state(r);
	check_lockdown(r);
	check_signatures(r);
	for (size_t i = 0; i < sizeof(sysctl_rules) / sizeof(sysctl_rules[0]); i++)
		check_sysctl(r, &sysctl_rules[i]);
	check_core(r);
	check_kprobes(r);
	check_swap(r);
	check_init_on_free(r);
	check_crash_kernel(r);
	check_hidepid(r);
	for (int i = 0; i < r->n; i++) {
		count[r->items[i].v]++;
		critical |= r->items[i].critical && r->items[i].v == V_FAIL;
	}
	if (a->json)
		print_json(r, count, critical);
	else
		print_text(r, count);
	free(r);
	return critical ? EX_AG_CRITICAL : EX_AG_OK;
}
