// SPDX-License-Identifier: GPL-2.0
/* aiguard end-to-end tests: shared helpers (see lib.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

#define TARGET_ARG	"__aiguard_target"
#define COREHELPER_ARG	"__aiguard_corehelper"
#define TF_SELF		1	/* protect self before loading canaries */
#define TF_SLEEPER	2	/* report, then sleep (no command loop) */
#define PAGE		4096

/* ---- life cycle: cleanups, children, alarm -------------------------------- */

static void (*cleanups[8])(void);
static int nr_cleanups;
static pid_t children[256];
static int nr_children;
static int have_baseline;
static uint64_t baseline_protected;

static void run_cleanups(void)
{
	while (nr_cleanups > 0)
		cleanups[--nr_cleanups]();
}

void tap_atexit(void (*fn)(void))
{
	if (nr_cleanups < (int)(sizeof(cleanups) / sizeof(cleanups[0])))
		cleanups[nr_cleanups++] = fn;
}

void track_child(pid_t pid)
{
	if (pid > 0 && nr_children < (int)(sizeof(children) / sizeof(children[0])))
		children[nr_children++] = pid;
}

pid_t fork_protected(const char *label, void (*setup)(void *arg),
		     void (*body)(void *arg), void *arg)
{
	int pfd[2], ret = -1;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		ret = label ? ag_protect(AIGUARD_TARGET_SELF, 0, label, NULL) : 0;
		if (ret)
			ret = errno;
		else if (setup)
			setup(arg);
		if (write(pfd[1], &ret, sizeof(ret)) != sizeof(ret) || ret)
			_exit(1);
		close(pfd[1]);
		body(arg);
		_exit(127);
	}
	track_child(pid);
	close(pfd[1]);
	if (read(pfd[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = EPIPE;
	close(pfd[0]);
	if (ret) {
		tap_diag("child %d could not protect itself as '%s': %s", pid, label,
			 strerror(ret));
		child_kill(pid);
		errno = ret;
		return -1;
	}
	return pid;
}

void ag_revoke_all(void)
{
	struct aiguard_grant_info gi[AIGUARD_GRANTS_MAX];
	struct aiguard_grant_list gl = { .entries = (uintptr_t)gi,
					 .capacity = AIGUARD_GRANTS_MAX };
	unsigned int i;

	if (ioctl(ag_fd(), AIGUARD_IOC_LIST_GRANTS, &gl))
		return;
	for (i = 0; i < gl.count; i++) {
		struct aiguard_revoke r = { .id = gi[i].id };

		ioctl(ag_fd(), AIGUARD_IOC_REVOKE, &r);
	}
}

pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	if (pid > 0)
		track_child(pid);
	return pid;
}

void child_kill(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static void kill_children(void)
{
	for (int i = 0; i < nr_children; i++) {
		kill(-children[i], SIGKILL);
		kill(children[i], SIGKILL);
	}
	/* we are a child subreaper: orphans of targets come back to us */
	for (int i = 0; i < 200; i++) {
		pid_t p = waitpid(-1, NULL, WNOHANG | __WALL);

		if (p < 0)
			break;
		if (p == 0)
			usleep(10000);
	}
	nr_children = 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	tap_ok(0, "timeout");
	tap_diag("global alarm fired, bailing out");
	tap_bail_out("timeout");
	kill_children();
	run_cleanups();
	_exit(0);
}

const char *errname(int err)
{
	const char *s;

	if (err == 0)
		return "0";
	s = strerrorname_np(err);
	return s ? s : "E?";
}

int expect_fail(long ret, int err, int want, int want2, const char *fmt, ...)
{
	char name[200];
	va_list ap;
	int ok_ret = ret == -1;
	int ok_err = err == want || (want2 && err == want2);

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_ok(ok_ret && ok_err, "%s", name);
	if (!ok_ret)
		tap_diag("  return value: got %ld, want -1", ret);
	if (!ok_err)
		tap_diag("  errno: got %s (%s), want %s%s%s", errname(err),
			 strerror(err), errname(want), want2 ? " or " : "",
			 want2 ? errname(want2) : "");
	tap_diag("  seen: ret=%ld errno=%s", ret, ok_ret ? errname(err) : "-");
	return ok_ret && ok_err;
}

int expect_ret(long ret, int err, long want_ret, const char *fmt, ...)
{
	char name[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_ok(ret == want_ret, "%s", name);
	if (ret != want_ret)
		tap_diag("  return value: got %ld (errno %s: %s), want %ld", ret,
			 errname(err), strerror(err), want_ret);
	return ret == want_ret;
}

int host_mode(void)
{
	const char *s = getenv("AIGUARD_E2E_HOST");

	return s && strcmp(s, "1") == 0;
}

const char *self_exe(void)
{
	static char path[4096];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n < 0)
		strcpy(path, "/proc/self/exe");
	else
		path[n] = 0;
	return path;
}

/* ---- /dev/aiguard --------------------------------------------------------- */

static int dev_fd = -2;
static char dev_err[160];

int ag_open(void)
{
	int fd = open("/dev/aiguard", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		snprintf(dev_err, sizeof(dev_err), "/dev/aiguard: %s", strerror(errno));
	return fd;
}

int ag_fd(void)
{
	if (dev_fd == -2)
		dev_fd = ag_open();
	if (dev_fd < 0)
		errno = ENODEV;
	return dev_fd;
}

void ag_close(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
	dev_fd = -2;
}

const char *ag_error(void)
{
	return dev_err[0] ? dev_err : "/dev/aiguard: not opened";
}

int ag_protect_flags(uint32_t type, int id, const char *label, char *label_out,
		     uint32_t flags)
{
	struct aiguard_protect p;
	int fd = ag_fd(), ret;

	if (fd < 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.target.type = type;
	p.target.id = id;
	p.flags = flags;
	if (label)
		strncpy(p.label, label, sizeof(p.label) - 1);
	ret = ioctl(fd, AIGUARD_IOC_PROTECT, &p);
	if (ret == 0 && label_out)
		memcpy(label_out, p.label, AIGUARD_LABEL_MAX);
	return ret;
}

int ag_protect(uint32_t type, int id, const char *label, char *label_out)
{
	return ag_protect_flags(type, id, label, label_out, AIGUARD_PROTECT_JOIN);
}

int ag_find_event(uint16_t type, pid_t target_tgid, const char *label)
{
	return ag_find_hook_event(type, -1, target_tgid, label);
}

int ag_find_hook_event(uint16_t type, int hook, pid_t target_tgid, const char *label)
{
	struct aiguard_event ev[64];
	int fd = ag_open(), found = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!found && (n = read(fd, ev, sizeof(ev))) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++)
			if (ev[i].type == type && (pid_t)ev[i].target_tgid == target_tgid &&
			    (hook < 0 || ev[i].hook == hook) &&
			    (!label || !strncmp(ev[i].target_label, label, AIGUARD_LABEL_MAX)))
				found = 1;
	close(fd);
	return found;
}

int ag_unprotect(uint32_t type, int id)
{
	struct aiguard_unprotect u;
	int fd = ag_fd();

	if (fd < 0)
		return -1;
	memset(&u, 0, sizeof(u));
	u.target.type = type;
	u.target.id = id;
	return ioctl(fd, AIGUARD_IOC_UNPROTECT, &u);
}

int ag_query(uint32_t type, int id, struct aiguard_process_info *info)
{
	struct aiguard_query q;
	int fd = ag_fd(), ret;

	if (fd < 0)
		return -1;
	memset(&q, 0, sizeof(q));
	q.target.type = type;
	q.target.id = id;
	ret = ioctl(fd, AIGUARD_IOC_QUERY, &q);
	if (ret == 0)
		*info = q.info;
	return ret;
}

int ag_stats(struct aiguard_stats *st)
{
	int fd = ag_fd();

	if (fd < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	return ioctl(fd, AIGUARD_IOC_GET_STATS, st);
}

int ag_nr_protected(void)
{
	struct aiguard_stats st;

	return ag_stats(&st) ? -1 : (int)st.nr_protected;
}

int ag_wait_unprotected(int timeout_ms)
{
	int waited;

	for (waited = 0; waited < timeout_ms && ag_nr_protected() != 0; waited += 50)
		usleep(50 * 1000);
	return ag_nr_protected() == 0;
}

/* ---- misc ----------------------------------------------------------------- */

int read_int(const char *path)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

int ag_module_refcnt(void)
{
	return read_int("/sys/module/aiguard/refcnt");
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			buf[len] = 0;
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = 0;
	close(fd);
	return len;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

int has(const void *buf, size_t len, const char *needle)
{
	return buf && len && memmem(buf, len, needle, strlen(needle)) != NULL;
}

int leaks(const struct target *t, const void *buf, size_t len)
{
	return has(buf, len, t->c.heap) || has(buf, len, t->c.env) ||
	       has(buf, len, t->c.memfd) || has(buf, len, t->c.file);
}

pid_t wait_timeout(pid_t pid, int *status, int options, int timeout_ms)
{
	for (int waited = 0;; waited += 5) {
		pid_t r = waitpid(pid, status, options | WNOHANG);

		if (r != 0 || waited >= timeout_ms)
			return r;
		usleep(5000);
	}
}

static void fill_canary(char *dst, const char *kind)
{
	unsigned char rnd[8];
	char tmp[64];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = rand();
	/* fixed width: "AGCANARY-<kind padded>-<16 hex>" = CANARY_LEN */
	snprintf(tmp, sizeof(tmp), "AGCANARY-%-8.8s-", kind);
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(tmp + strlen(tmp), 3, "%02x", rnd[i]);
	while (strlen(tmp) < CANARY_LEN)
		strcat(tmp, "Z");
	for (char *p = tmp; *p; p++)
		if (*p == ' ')
			*p = '_';
	memcpy(dst, tmp, CANARY_LEN);
	dst[CANARY_LEN] = 0;
}

/* ---- target side ---------------------------------------------------------- */

static struct {
	int cmd_fd, resp_fd, flags;
	struct canaries c;
	struct target_msg self;
	char label[AIGUARD_LABEL_MAX];
	char *heap;
} T;

static void send_msg(const struct target_msg *m)
{
	if (write(T.resp_fd, m, sizeof(*m)) != sizeof(*m))
		_exit(90);
}

static void reply(int kind, long ret, int err)
{
	struct target_msg m = T.self;

	m.kind = kind;
	m.ret = ret;
	m.err = ret < 0 ? err : 0;
	send_msg(&m);
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

static int report_and_sleep(void *arg)
{
	struct target_msg m = T.self;

	m.kind = (int)(long)arg;
	m.pid = getpid();
	m.tid = syscall(SYS_gettid);
	send_msg(&m);
	sleep_forever();
	return 0;
}

static void *thread_main(void *arg)
{
	report_and_sleep(arg);
	return NULL;
}

/* Re-exec this binary as a target that reads its canaries from a new pipe. */
static void reexec(int flags, const char *label)
{
	char a1[16], a2[16], a3[16], a4[16];
	int p[2];

	if (pipe(p) < 0 || write(p[1], &T.c, sizeof(T.c)) != sizeof(T.c))
		_exit(91);
	close(p[1]);
	snprintf(a1, sizeof(a1), "%d", T.cmd_fd);
	snprintf(a2, sizeof(a2), "%d", T.resp_fd);
	snprintf(a3, sizeof(a3), "%d", p[0]);
	snprintf(a4, sizeof(a4), "%d", flags);
	execl("/proc/self/exe", self_exe(), TARGET_ARG, a1, a2, a3, a4,
	      label ? label : "", (char *)NULL);
	_exit(92);
}

static void target_loop(void)
{
	for (;;) {
		struct { char cmd; int arg; } c;
		ssize_t n = read(T.cmd_fd, &c, sizeof(c));
		long ret;

		if (n <= 0 && !(n < 0 && errno == EINTR))
			_exit(0);
		if (n != sizeof(c))
			continue;
		errno = 0;
		switch (c.cmd) {
		case TCMD_QUIT:
			_exit(0);
		case TCMD_GET_DUMPABLE:
			ret = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
			reply(c.cmd, ret, errno);
			break;
		case TCMD_SET_DUMPABLE:
			ret = prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			reply(c.cmd, ret, errno);
			break;
		case TCMD_TRACEME:
			ret = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			reply(c.cmd, ret, errno);
			break;
		case TCMD_SIGNAL:
			kill(getpid(), c.arg);
			break;
		case TCMD_SETUID_EXEC:
			if (setresuid(c.arg, c.arg, c.arg) < 0) {
				reply(c.cmd, -1, errno);
				break;
			}
			reexec(0, NULL);
			break;
		case TCMD_EXEC:
			reexec(0, NULL);
			break;
		case TCMD_FORK: {
			pid_t p = fork();

			if (p == 0)
				report_and_sleep((void *)(long)c.cmd);
			if (p < 0)
				reply(c.cmd, -1, errno);
			break;
		}
		case TCMD_VFORK: {
			pid_t p = vfork();

			if (p == 0)
				reexec(TF_SLEEPER, NULL);
			if (p < 0)
				reply(c.cmd, -1, errno);
			break;
		}
		case TCMD_CLONE_VM: {
			size_t sz = 64 * 1024;
			char *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

			if (stk == MAP_FAILED ||
			    clone(report_and_sleep, stk + sz, CLONE_VM | SIGCHLD,
				  (void *)(long)c.cmd) < 0)
				reply(c.cmd, -1, errno);
			break;
		}
		case TCMD_THREAD: {
			pthread_t th;
			int e = pthread_create(&th, NULL, thread_main, (void *)(long)c.cmd);

			if (e)
				reply(c.cmd, -1, e);
			break;
		}
		default:
			reply(c.cmd, -1, EINVAL);
		}
	}
}

static void target_main(int argc, char **argv)
{
	int canary_fd;
	char path[128];

	if (argc < 7)
		_exit(93);
	T.cmd_fd = atoi(argv[2]);
	T.resp_fd = atoi(argv[3]);
	canary_fd = atoi(argv[4]);
	T.flags = atoi(argv[5]);
	memset(&T.self, 0, sizeof(T.self));
	if (T.flags & TF_SELF) {
		T.self.protect_ret = ag_protect(AIGUARD_TARGET_SELF, 0, argv[6], T.self.label);
		T.self.protect_err = T.self.protect_ret ? errno : 0;
	}
	/* the secrets arrive only after protection */
	if (read(canary_fd, &T.c, sizeof(T.c)) != sizeof(T.c))
		_exit(94);
	if (canary_fd != T.cmd_fd)
		close(canary_fd);
	T.heap = malloc(4 * PAGE);
	if (!T.heap)
		_exit(95);
	T.heap = (char *)(((uintptr_t)T.heap + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
	memset(T.heap, 0, 2 * PAGE);
	memcpy(T.heap, T.c.heap, CANARY_LEN);
	T.self.heap_addr = (uintptr_t)T.heap;
	T.self.scratch_addr = (uintptr_t)T.heap + PAGE;
	T.self.memfd = memfd_create("aiguard-e2e", MFD_CLOEXEC);
	if (T.self.memfd < 0 || write(T.self.memfd, T.c.memfd, CANARY_LEN) != CANARY_LEN)
		_exit(96);
	snprintf(path, sizeof(path), "/tmp/aiguard-e2e-%s", T.c.file);
	T.self.filefd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (T.self.filefd < 0 || write(T.self.filefd, T.c.file, CANARY_LEN) != CANARY_LEN)
		_exit(97);
	unlink(path);
	T.self.pid = getpid();
	T.self.tid = syscall(SYS_gettid);
	if (T.flags & TF_SLEEPER)
		report_and_sleep((void *)(long)TCMD_VFORK);
	reply(0, 0, 0);
	target_loop();
}

/* core_pattern pipe helper: core on stdin -> <dir>/pipe.<pid> */
static void corehelper_main(int argc, char **argv)
{
	char tmp[256], path[256], buf[65536];
	int fd;
	ssize_t n;

	if (argc < 4)
		_exit(1);
	snprintf(tmp, sizeof(tmp), "%s/.pipe.%s", argv[2], argv[3]);
	snprintf(path, sizeof(path), "%s/pipe.%s", argv[2], argv[3]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		_exit(1);
	if (write(fd, "helper-started\n", 15) != 15)
		_exit(1);
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			break;
	close(fd);
	rename(tmp, path);
	_exit(0);
}

/* ---- test side: targets --------------------------------------------------- */

int target_read_msg(struct target *t, struct target_msg *m, int timeout_ms)
{
	struct pollfd pfd = { .fd = t->resp_rd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = read(t->resp_rd, m, sizeof(*m));
	if (n != sizeof(*m)) {
		errno = n < 0 ? errno : EPIPE;
		return -1;
	}
	return 0;
}

int target_cmd(struct target *t, char cmd, int arg, struct target_msg *reply_msg)
{
	struct { char cmd; int arg; } c;

	memset(&c, 0, sizeof(c));
	c.cmd = cmd;
	c.arg = arg;
	if (write(t->cmd_wr, &c, sizeof(c)) != sizeof(c))
		return -1;
	if (!reply_msg)
		return 0;
	return target_read_msg(t, reply_msg, 5000);
}

int target_spawn(struct target *t, enum tgt_mode mode, const char *label)
{
	int cmd[2], resp[2];
	char env[CANARY_LEN + 32];
	struct target_msg m;

	memset(t, 0, sizeof(*t));
	t->pid = -1;
	t->pidfd = -1;
	t->mode = mode;
	t->prot_ret = -1;
	t->prot_err = ENOPROTOOPT;
	fill_canary(t->c.heap, "heap");
	fill_canary(t->c.env, "env");
	fill_canary(t->c.memfd, "memfd");
	fill_canary(t->c.file, "file");
	if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(resp, O_CLOEXEC) < 0)
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		char a1[16], a2[16], a4[16];

		setpgid(0, 0);	/* its descendants die with it (target_stop) */
		dup2(cmd[0], 100);
		dup2(resp[1], 101);
		snprintf(a1, sizeof(a1), "%d", 100);
		snprintf(a2, sizeof(a2), "%d", 101);
		snprintf(a4, sizeof(a4), "%d", mode == TGT_SELF ? TF_SELF : 0);
		snprintf(env, sizeof(env), "AIGUARD_E2E_CANARY=%s", t->c.env);
		char *envp[] = { env, "PATH=/usr/bin:/bin:/sbin", NULL };
		char *argv[] = { (char *)self_exe(), TARGET_ARG, a1, a2, a1, a4,
				 (char *)(label ? label : ""), NULL };
		execve("/proc/self/exe", argv, envp);
		_exit(99);
	}
	track_child(t->pid);
	close(cmd[0]);
	close(resp[1]);
	t->cmd_wr = cmd[1];
	t->resp_rd = resp[0];
	t->pidfd = syscall(SYS_pidfd_open, t->pid, 0);
	/* canaries go through the command pipe: never in argv or environ */
	struct canaries c = t->c;

	if (write(t->cmd_wr, &c, sizeof(c)) != sizeof(c) ||
	    target_read_msg(t, &m, 5000) < 0) {
		tap_diag("target %d did not start: %s", t->pid, strerror(errno));
		target_stop(t);
		return -1;
	}
	t->info = m;
	if (mode == TGT_SELF) {
		t->prot_ret = m.protect_ret;
		t->prot_err = m.protect_err;
		memcpy(t->label, m.label, sizeof(t->label));
	} else if (mode == TGT_PIDFD) {
		t->prot_ret = ag_protect(AIGUARD_TARGET_PIDFD, t->pidfd, label, t->label);
		t->prot_err = t->prot_ret ? errno : 0;
	} else {
		t->prot_ret = 0;
		t->prot_err = 0;
	}
	return 0;
}

int target_is_protected(const struct target *t)
{
	if (t->mode == TGT_CONTROL)
		return 0;
	if (t->pid <= 0) {
		tap_diag("  target not running");
		return 0;
	}
	if (t->prot_ret == 0)
		return 1;
	if (t->prot_err == ENODEV || (ag_fd() < 0 && t->mode == TGT_PIDFD))
		tap_diag("  cannot protect target: %s", ag_error());
	else
		tap_diag("  protecting target %d (%s) failed: %s (%s)", t->pid,
			 t->mode == TGT_SELF ? "self" : "pidfd",
			 errname(t->prot_err), strerror(t->prot_err));
	return 0;
}

void target_stop(struct target *t)
{
	if (t->pid > 0) {
		kill(-t->pid, SIGKILL);	/* forked/vforked/cloned sleepers too */
		kill(t->pid, SIGKILL);
		wait_timeout(t->pid, NULL, __WALL, 5000);
		/* descendants of the target are reparented to us */
		while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
			;
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->cmd_wr > 0)
		close(t->cmd_wr);
	if (t->resp_rd > 0)
		close(t->resp_rd);
	t->pid = -1;
	t->pidfd = -1;
	t->cmd_wr = t->resp_rd = -1;
}

/* ---- test side: attacks --------------------------------------------------- */

struct victim victim_of(struct target *t)
{
	struct victim v = {
		.t = t, .pid = t->pid, .tid = t->info.tid,
		.heap_addr = t->info.heap_addr,
	};
	return v;
}

static void describe(const struct attack_res *r)
{
	if (r->what[0])
		tap_diag("  %s", r->what);
}

int check_control(const struct attack *a, const struct victim *v)
{
	struct attack_res r;
	int ok;

	memset(&r, 0, sizeof(r));
	if (v->pid <= 0)
		return tap_ok(0, "%s_control", a->name);
	a->fn(v, &r);
	ok = r.ret >= 0 && (!a->need_secret || r.got);
	tap_ok(ok, "%s_control%s", a->name, a->need_secret ? "_reads_canary" : "");
	if (r.ret < 0)
		tap_diag("  control attack failed: ret=%ld errno=%s (%s)", r.ret,
			 errname(r.err), strerror(r.err));
	else if (a->need_secret && !r.got)
		tap_diag("  control attack succeeded but the canary was not in the bytes read");
	tap_diag("  seen (unprotected): ret=%ld errno=%s", r.ret, errname(r.err));
	describe(&r);
	return ok;
}

static void lower(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i];
	dst[i] = 0;
}

int check_protected(const struct attack *a, const struct victim *v)
{
	struct attack_res r;
	char e[32];
	int ok;

	lower(e, errname(a->want), sizeof(e));
	if (!target_is_protected(v->t))
		return tap_ok(0, "%s_protected_%s", a->name, e);
	memset(&r, 0, sizeof(r));
	a->fn(v, &r);
	ok = expect_fail(r.ret, r.err, a->want, a->want2, "%s_protected_%s", a->name, e);
	if (r.leaked || r.got) {
		if (ok)
			tap_diag("  BUT the canary leaked");
		ok = 0;
	}
	describe(&r);
	return ok;
}

void check_pair(const struct attack *a, struct target *ctl, struct target *prot)
{
	struct victim vc = victim_of(ctl), vp = victim_of(prot);

	check_control(a, &vc);
	check_protected(a, &vp);
}

int attack_in_child(const struct attack *a, const struct victim *v,
		    const char *self_label, struct attack_res *r)
{
	int p[2], st;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct attack_res cr;

		memset(&cr, 0, sizeof(cr));
		close(p[0]);
		if (self_label && ag_protect(AIGUARD_TARGET_SELF, 0, self_label, NULL)) {
			cr.ret = -1000;	/* marker: the attack did not run */
			cr.err = errno;
			snprintf(cr.what, sizeof(cr.what), "attacker could not protect itself with label '%.32s': %.80s",
				 self_label, ag_fd() < 0 ? ag_error() : strerror(errno));
		} else {
			a->fn(v, &cr);
		}
		if (write(p[1], &cr, sizeof(cr)) != sizeof(cr))
			_exit(1);
		_exit(0);
	}
	track_child(pid);
	close(p[1]);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };

	if (poll(&pfd, 1, 10000) != 1 || read(p[0], r, sizeof(*r)) != sizeof(*r)) {
		kill(pid, SIGKILL);
		r->ret = -1;
		r->err = ETIMEDOUT;
		snprintf(r->what, sizeof(r->what), "attacker child gave no answer");
	}
	close(p[0]);
	wait_timeout(pid, &st, 0, 5000);
	return r->ret == -1000 ? -1 : 0;
}

/* ---- lifecycle ------------------------------------------------------------ */

void tap_init(int argc, char **argv, unsigned int timeout_sec)
{
	struct aiguard_stats st;

	if (argc >= 2 && strcmp(argv[1], TARGET_ARG) == 0)
		target_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], COREHELPER_ARG) == 0)
		corehelper_main(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_header();
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	alarm(timeout_sec);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (ag_fd() < 0) {
		tap_diag("%s: protected halves will fail", ag_error());
	} else if (ag_stats(&st) == 0) {
		/*
		 * A protected process the suite before killed may still be
		 * exiting (its memory being cleared): up to 10 s for it, so
		 * that it is not counted in this suite's baseline. One still
		 * there after that is shown in the baseline.
		 */
		if (st.nr_protected) {
			tap_diag("%llu protected at start, waiting up to 10 s for leftovers to exit",
				 (unsigned long long)st.nr_protected);
			ag_wait_unprotected(10000);
			ag_stats(&st);
		}
		have_baseline = 1;
		baseline_protected = st.nr_protected;
		tap_diag("registry baseline: nr_protected=%llu",
			 (unsigned long long)st.nr_protected);
	} else {
		tap_diag("AIGUARD_IOC_GET_STATS failed: %s", strerror(errno));
	}
}

int tap_done(void)
{
	struct aiguard_stats st;
	int ok = 0, tries;

	kill_children();
	run_cleanups();
	if (ag_fd() < 0) {
		tap_ok(0, "registry_nr_protected_back_to_baseline");
		tap_diag("  %s", ag_error());
	} else if (!have_baseline) {
		tap_ok(0, "registry_nr_protected_back_to_baseline");
		tap_diag("  no baseline (GET_STATS failed at start)");
	} else {
		for (tries = 0; tries < 40; tries++) {
			if (ag_stats(&st) == 0 && st.nr_protected == baseline_protected) {
				ok = 1;
				break;
			}
			usleep(50000);
		}
		tap_ok(ok, "registry_nr_protected_back_to_baseline");
		if (!ok)
			tap_diag("  nr_protected=%llu (errno %s), baseline %llu",
				 (unsigned long long)st.nr_protected, errname(errno),
				 (unsigned long long)baseline_protected);
	}
	tap_finish();
	return 0;
}

const char *tracefs_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[128];
	unsigned int i;

	mount("tracefs", dirs[0], "tracefs", 0, NULL);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (access(path, F_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

int tracefs_write(const char *file, const char *s, int append)
{
	const char *dir = tracefs_dir();
	char path[256];
	int fd, ok, e;

	if (!dir) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	e = errno;
	close(fd);
	errno = e;
	return ok ? 0 : -1;
}

ssize_t tracefs_read(const char *file, char *buf, size_t size)
{
	const char *dir = tracefs_dir();
	char path[256];

	if (!dir)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_file(path, buf, size);
}
