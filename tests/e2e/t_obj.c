// SPDX-License-Identifier: GPL-2.0
/*
 * What a protected process creates in memory-backed storage belongs to
 * its label.
 *
 * Two holders, an unprotected control and a protected one, each create
 * one object of every kind, private to their owner (mode 0600, as POSIX
 * shm, tempfile and SysV runtimes create them), with a canary in it: a
 * POSIX shm object (/dev/shm), a file on a tmpfs and one on a ramfs
 * mounted here, a file on hugetlbfs (where the kernel has huge pages to
 * give), a FIFO holding the canary in its buffer, and a SysV segment.
 * Each holder also creates a 0644 file (meant for others: stays readable)
 * and forks a worker, its own label, that reads and writes every object.
 *
 * As root, for each object: open and read (what cat, dd, cp and a Python
 * reader do), sendfile and copy_file_range from it, an O_PATH open and its
 * reopen through /proc/self/fd, a hard link and a bind mount to the same
 * inode, shmat of the segment. The control's all read the canary; the
 * protected holder's fail with EACCES, while stat, readdir and
 * /proc/sysvipc/shm still show them, and unlink and IPC_RMID remove them.
 * A process protected under another label is refused too; one that
 * joins the holder's label while it lives is let in. After the protected
 * holder is gone its objects stay closed, to a process protected anew
 * under the same label too (the label's next life: otherwise root would
 * kill the workload and step into its label), keep /proc/kcore shut while
 * nothing is protected, and SHM_UNLOCK of its segment is refused.
 * (memfds are reached only through /proc/PID/fd, closed by t_procfs.)
 *
 * What an object held is cleared before the kernel frees its pages: two
 * more holders, a control and a protected one, each fill 4 MiB of a POSIX
 * shm object (root unlinks it), a SysV segment (root's IPC_RMID), a tmpfs
 * file they truncate to nothing themselves, a memfd they close and a
 * ramfs file (root unlinks it), with canaries of their own (canary.c). Once all
 * are gone and nothing is protected, /proc/kcore opens, and one pass over
 * RAM finds the control's canaries in free pages (the attack works in
 * this guest) and none of the protected holder's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "canary.h"
#include "lib.h"

#define TMPFS_DIR	"/tmp/ag-obj-tmpfs"
#define RAMFS_DIR	"/tmp/ag-obj-ramfs"
#define HUGE_DIR	"/tmp/ag-obj-huge"
#define HUGE_SIZE	(2UL << 20)
#define LABEL		"e2e-obj"
#define RES_SIZE	(4UL << 20)

enum kind { K_SHM, K_TMPFS, K_RAMFS, K_HUGE, K_FIFO, K_SYSV, K_NR };

/* objects whose pages are freed: by unlink, IPC_RMID, truncation, close */
enum residue { R_SHM, R_SYSV, R_TRUNC, R_MEMFD, R_RAMFS, R_NR };

static const char *const residue_names[R_NR] = {
	"POSIX shm object unlinked", "SysV segment removed", "tmpfs file truncated",
	"memfd closed", "ramfs file unlinked",
};

static const char *const kind_names[K_NR] = {
	"POSIX shm (/dev/shm)", "tmpfs file", "ramfs file", "hugetlbfs file", "FIFO on tmpfs",
	"SysV segment",
};

/* What a holder made; in a shared mapping, filled before it reports. */
struct objs {
	int protected;			/* set before the fork */
	char canary[48];
	char path[K_NR][96];		/* "" where not made */
	char public_path[96];		/* its 0644 file */
	int shmid;
	int worker_ok[K_NR];		/* the same label read and wrote it */
	char why[K_NR][192];		/* why not made */
	uint64_t res_seed[R_NR];	/* set before the fork */
	int res_made[R_NR];
	char res_path[R_NR][96];	/* R_SHM, R_TRUNC, R_RAMFS: root removes them */
	int res_shmid;
};

static struct objs *objs;		/* [0] control, [1] protected */
static int have_huge;

/* ---- the holders ------------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* A regular file with the canary at its start, mode 0600. */
static void make_file(struct objs *o, enum kind k, const char *dir, const char *name)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "%s/%s-%d", dir, name, getpid());
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, o->canary, sizeof(o->canary))) {
		snprintf(o->why[k], sizeof(o->why[k]), "%s: %s", path, strerror(errno));
	} else {
		snprintf(o->path[k], sizeof(o->path[k]), "%s", path);
	}
	if (fd >= 0)
		close(fd);
}

/* hugetlbfs has no write(): the canary goes in through a mapping. */
static void make_huge(struct objs *o)
{
	char path[96], *p;
	int fd;

	if (!have_huge) {
		snprintf(o->why[K_HUGE], sizeof(o->why[K_HUGE]), "no huge pages");
		return;
	}
	snprintf(path, sizeof(path), HUGE_DIR "/h-%d", getpid());
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	p = fd < 0 || ftruncate(fd, HUGE_SIZE) ? MAP_FAILED :
		mmap(NULL, HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(o->why[K_HUGE], sizeof(o->why[K_HUGE]), "%s: %s", path, strerror(errno));
	} else {
		memcpy(p, o->canary, sizeof(o->canary));
		munmap(p, HUGE_SIZE);
		snprintf(o->path[K_HUGE], sizeof(o->path[K_HUGE]), "%s", path);
	}
	if (fd >= 0)
		close(fd);
}

/* The FIFO, with the canary waiting in its buffer (kept open here). */
static void make_fifo(struct objs *o)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), TMPFS_DIR "/fifo-%d", getpid());
	if (mkfifo(path, 0600)) {
		snprintf(o->why[K_FIFO], sizeof(o->why[K_FIFO]), "mkfifo: %s", strerror(errno));
		return;
	}
	fd = open(path, O_RDWR);	/* never closed: the holder keeps it */
	if (fd < 0 || write_all(fd, o->canary, sizeof(o->canary))) {
		snprintf(o->why[K_FIFO], sizeof(o->why[K_FIFO]), "%s: %s", path, strerror(errno));
		return;
	}
	snprintf(o->path[K_FIFO], sizeof(o->path[K_FIFO]), "%s", path);
}

static void make_sysv(struct objs *o)
{
	char *p;

	o->shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	p = o->shmid < 0 ? (void *)-1 : shmat(o->shmid, NULL, 0);
	if (p == (void *)-1) {
		snprintf(o->why[K_SYSV], sizeof(o->why[K_SYSV]), "shmget/shmat: %s",
			 strerror(errno));
		o->shmid = -1;
		return;
	}
	memcpy(p, o->canary, sizeof(o->canary));
	shmdt(p);
	snprintf(o->path[K_SYSV], sizeof(o->path[K_SYSV]), "shmid %d", o->shmid);
}

/* Reads the canary from an object and writes to it: 1 if both worked. */
static int use(const struct objs *o, enum kind k)
{
	char buf[48] = "";
	int fd, ok;
	char *p;

	if (k == K_SYSV) {
		p = shmat(o->shmid, NULL, 0);
		if (p == (void *)-1)
			return 0;
		ok = !memcmp(p, o->canary, sizeof(buf));
		p[100] = 'W';
		shmdt(p);
		return ok;
	}
	if (k == K_FIFO) {
		fd = open(o->path[k], O_RDWR | O_NONBLOCK | O_CLOEXEC);
		ok = fd >= 0;
		if (fd >= 0)
			close(fd);
		return ok;
	}
	fd = open(o->path[k], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (k == K_HUGE) {
		p = mmap(NULL, HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ok = p != MAP_FAILED && !memcmp(p, o->canary, sizeof(buf));
		if (p != MAP_FAILED)
			munmap(p, HUGE_SIZE);
	} else {
		ok = pread(fd, buf, sizeof(buf), 0) == sizeof(buf) &&
		     !memcmp(buf, o->canary, sizeof(buf)) && pwrite(fd, "W", 1, 100) == 1;
	}
	close(fd);
	return ok;
}

/* Sizes @fd to RES_SIZE and fills it with a canary through a mapping. */
static int res_fill(int fd, uint64_t seed)
{
	volatile unsigned char *p;

	if (fd < 0 || ftruncate(fd, RES_SIZE))
		return 0;
	p = mmap(NULL, RES_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 0;
	canary_fill(p, RES_SIZE, seed);
	munmap((void *)p, RES_SIZE);
	return 1;
}

/* In a residue holder: what it frees itself when told (SIGUSR1). */
static struct objs *res_objs;
static int res_trunc_fd = -1, res_memfd = -1;

/* The objects whose freed pages t_obj scans RAM for. */
static void make_residue(struct objs *o)
{
	volatile unsigned char *p;
	int fd;

	snprintf(o->res_path[R_SHM], sizeof(o->res_path[R_SHM]), "/dev/shm/ag-res-%d", getpid());
	fd = open(o->res_path[R_SHM], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	o->res_made[R_SHM] = res_fill(fd, o->res_seed[R_SHM]);
	if (fd >= 0)
		close(fd);

	o->res_shmid = shmget(IPC_PRIVATE, RES_SIZE, IPC_CREAT | 0600);
	p = o->res_shmid < 0 ? (void *)-1 : shmat(o->res_shmid, NULL, 0);
	if (p != (void *)-1) {
		canary_fill(p, RES_SIZE, o->res_seed[R_SYSV]);
		shmdt((void *)p);
		o->res_made[R_SYSV] = 1;
	}

	/* truncated when told: the file stays */
	snprintf(o->res_path[R_TRUNC], sizeof(o->res_path[R_TRUNC]), TMPFS_DIR "/trunc-%d",
		 getpid());
	res_trunc_fd = open(o->res_path[R_TRUNC], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	res_fill(res_trunc_fd, o->res_seed[R_TRUNC]);

	res_memfd = memfd_create("ag-res", MFD_CLOEXEC);
	res_fill(res_memfd, o->res_seed[R_MEMFD]);

	/* ramfs frees its pages in batches: the other path out of the page cache */
	snprintf(o->res_path[R_RAMFS], sizeof(o->res_path[R_RAMFS]), RAMFS_DIR "/res-%d",
		 getpid());
	fd = open(o->res_path[R_RAMFS], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	o->res_made[R_RAMFS] = res_fill(fd, o->res_seed[R_RAMFS]);
	if (fd >= 0)
		close(fd);
}

/* SIGUSR1: truncate the file, close the memfd (its last reference), exit. */
static void residue_free(int sig)
{
	(void)sig;
	res_objs->res_made[R_TRUNC] = res_trunc_fd >= 0 && !ftruncate(res_trunc_fd, 0);
	res_objs->res_made[R_MEMFD] = res_memfd >= 0 && !close(res_memfd);
	_exit(0);
}

static void holder_setup(void *arg)
{
	struct objs *o = arg;
	pid_t w;
	int k, fd, st;

	snprintf(o->canary, sizeof(o->canary), "OBJ-CANARY-%08d-%s", getpid(),
		 o->protected ? "protected" : "control");
	make_file(o, K_SHM, "/dev/shm", "ag-obj");
	make_file(o, K_TMPFS, TMPFS_DIR, "f");
	make_file(o, K_RAMFS, RAMFS_DIR, "f");
	make_huge(o);
	make_fifo(o);
	make_sysv(o);
	snprintf(o->public_path, sizeof(o->public_path), TMPFS_DIR "/public-%d", getpid());
	fd = open(o->public_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, o->canary, sizeof(o->canary)))
		o->public_path[0] = '\0';
	if (fd >= 0)
		close(fd);
	/* a worker: a child, so of the same label */
	w = fork();
	if (w == 0) {
		for (k = 0; k < K_NR; k++)
			o->worker_ok[k] = o->path[k][0] && use(o, k);
		_exit(0);
	}
	if (w > 0)
		waitpid(w, &st, 0);
}

static void holder_body(void *arg)
{
	(void)arg;
	for (;;)
		pause();
}

static pid_t holder_start(struct objs *o, const char *label)
{
	memset(o, 0, sizeof(*o));
	o->protected = label != NULL;
	o->shmid = -1;
	o->res_shmid = -1;
	return fork_protected(label, holder_setup, holder_body, o);
}

static void residue_setup(void *arg)
{
	res_objs = arg;
	signal(SIGUSR1, residue_free);
	make_residue(arg);
}

/*
 * A holder that makes the residue objects and, when told, frees what it
 * frees itself (the truncation, the memfd) and exits. Both holders free
 * at the same moment, just before the scan: pages freed earlier are
 * reused by what the kernel allocates meanwhile (the other holder's
 * 16 MiB first), the control's too.
 */
static pid_t residue_start(struct objs *o, const char *label)
{
	static uint64_t seed;
	int r;

	if (!seed)
		seed = mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	for (r = 0; r < R_NR; r++)
		o->res_seed[r] = seed = mix(seed);
	memset(o->res_made, 0, sizeof(o->res_made));
	memset(o->res_path, 0, sizeof(o->res_path));
	o->res_shmid = -1;
	return fork_protected(label, residue_setup, holder_body, o);
}

/* ---- root's attacks ------------------------------------------------------------ */

/* open + read: what cat, dd, cp and a Python reader do. */
static int read_canary(const char *path, const char *canary, int *err)
{
	char buf[48] = "";
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), ok;

	*err = fd < 0 ? errno : 0;
	if (fd < 0)
		return 0;
	ok = read(fd, buf, sizeof(buf)) > 0 && !memcmp(buf, canary, strlen(canary));
	close(fd);
	return ok;
}

/* sendfile() into a pipe and copy_file_range() into a file: 2 if both read it. */
static int copy_canary(const char *path, const char *canary, int *err)
{
	const char *slash = strrchr(path, '/');
	char buf[48] = "", tmp[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC), pfd[2], out, n = 0;
	off_t off = 0;

	/* beside it: copy_file_range() between two tmpfs mounts is EXDEV */
	snprintf(tmp, sizeof(tmp), "%.*s/ag-obj-copy-XXXXXX", (int)(slash - path), path);

	*err = fd < 0 ? errno : 0;
	if (fd < 0)
		return 0;
	if (!pipe(pfd)) {
		if (sendfile(pfd[1], fd, &off, sizeof(buf)) > 0 &&
		    read(pfd[0], buf, sizeof(buf)) > 0 && !memcmp(buf, canary, strlen(canary)))
			n++;
		close(pfd[0]);
		close(pfd[1]);
	}
	out = mkstemp(tmp);
	if (out >= 0) {
		loff_t in_off = 0, out_off = 0;

		memset(buf, 0, sizeof(buf));
		if (copy_file_range(fd, &in_off, out, &out_off, sizeof(buf), 0) > 0 &&
		    pread(out, buf, sizeof(buf), 0) > 0 && !memcmp(buf, canary, strlen(canary)))
			n++;
		close(out);
		unlink(tmp);
	}
	close(fd);
	return n;
}

/* O_PATH (no open check: nothing readable) and its reopen by /proc/self/fd. */
static int reopen_canary(const char *path, const char *canary, int *err)
{
	char proc[64];
	int fd = open(path, O_PATH | O_CLOEXEC), ok;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ok = read_canary(proc, canary, err);
	close(fd);
	return ok;
}

static int link_canary(const char *path, const char *canary, int *err)
{
	char lnk[128];
	int ok;

	snprintf(lnk, sizeof(lnk), "%s.lnk", path);
	if (link(path, lnk)) {
		*err = errno;
		return -1;
	}
	ok = read_canary(lnk, canary, err);
	unlink(lnk);
	return ok;
}

static int bind_canary(const char *path, const char *canary, int *err)
{
	char target[] = TMPFS_DIR "/bind-target";
	int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644), ok;

	if (fd >= 0)
		close(fd);
	if (mount(path, target, NULL, MS_BIND, NULL)) {
		*err = errno;
		return -1;
	}
	ok = read_canary(target, canary, err);
	umount(target);
	return ok;
}

static int shmat_canary(int id, const char *canary, int *err)
{
	char *p = shmat(id, NULL, SHM_RDONLY);
	int ok;

	*err = p == (void *)-1 ? errno : 0;
	if (p == (void *)-1)
		return 0;
	ok = !memcmp(p, canary, strlen(canary));
	shmdt(p);
	return ok;
}

/* ---- checks --------------------------------------------------------------------- */

static int in_dir(const char *path)
{
	char dir[96];
	const char *base = strrchr(path, '/');
	struct dirent *d;
	int found = 0;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	dp = opendir(dir);
	if (!dp)
		return 0;
	while (!found && (d = readdir(dp)))
		found = !strcmp(d->d_name, base + 1);
	closedir(dp);
	return found;
}

static int in_sysvipc(int id)
{
	char buf[65536], needle[32];

	if (read_file("/proc/sysvipc/shm", buf, sizeof(buf)) <= 0)
		return 0;
	snprintf(needle, sizeof(needle), " %d ", id);
	return strstr(buf, needle) != NULL;
}

static void objs_control(const struct objs *o)
{
	int k, err, r;

	for (k = 0; k < K_NR; k++) {
		const char *n = kind_names[k];

		if (!o->path[k][0]) {
			tap_skip(o->why[k], "control %s", n);
			continue;
		}
		tap_ok(o->worker_ok[k], "control %s: its worker reads and writes it", n);
		if (k == K_SYSV) {
			r = shmat_canary(o->shmid, o->canary, &err);
			tap_ok(r, "control %s: root's shmat reads the canary (%s)", n, errname(err));
			continue;
		}
		r = read_canary(o->path[k], o->canary, &err);
		tap_ok(r, "control %s: root's open+read gets the canary (%s)", n, errname(err));
		if (k == K_FIFO)
			continue;
		if (k != K_HUGE) {
			r = copy_canary(o->path[k], o->canary, &err);
			tap_ok(r == 2, "control %s: sendfile and copy_file_range read it (%d of 2)",
			       n, r);
		}
		r = reopen_canary(o->path[k], o->canary, &err);
		tap_ok(r == 1, "control %s: O_PATH, reopened through /proc/self/fd, reads it (%s)",
		       n, errname(err));
		if (k == K_SHM || k == K_TMPFS) {
			r = link_canary(o->path[k], o->canary, &err);
			tap_ok(r == 1, "control %s: a hard link reads it (%s)", n, errname(err));
			r = bind_canary(o->path[k], o->canary, &err);
			tap_ok(r == 1, "control %s: a bind mount reads it (%s)", n, errname(err));
		}
	}
}

static void objs_protected(const struct objs *o, const char *when)
{
	int k, err, r;

	for (k = 0; k < K_NR; k++) {
		const char *n = kind_names[k];
		struct stat st;

		if (!o->path[k][0]) {
			tap_skip(o->why[k], "protected %s (%s)", n, when);
			continue;
		}
		if (k == K_SYSV) {
			r = shmat_canary(o->shmid, o->canary, &err);
			tap_ok(!r && err == EACCES, "protected %s, %s: root's shmat fails with EACCES (%s)",
			       n, when, errname(err));
			tap_ok(in_sysvipc(o->shmid), "protected %s, %s: /proc/sysvipc/shm lists it",
			       n, when);
			continue;
		}
		r = read_canary(o->path[k], o->canary, &err);
		tap_ok(!r && err == EACCES, "protected %s, %s: root's open fails with EACCES (%s)",
		       n, when, errname(err));
		tap_ok(!stat(o->path[k], &st) && in_dir(o->path[k]),
		       "protected %s, %s: stat and readdir still show it", n, when);
		if (k == K_FIFO)
			continue;
		r = reopen_canary(o->path[k], o->canary, &err);
		tap_ok(r == 0 && err == EACCES,
		       "protected %s, %s: O_PATH opens, its reopen through /proc/self/fd fails with EACCES (%s)",
		       n, when, errname(err));
		if (k == K_SHM || k == K_TMPFS) {
			r = link_canary(o->path[k], o->canary, &err);
			tap_ok(r == 0 && err == EACCES,
			       "protected %s, %s: a hard link to it fails to open with EACCES (%s)",
			       n, when, errname(err));
			r = bind_canary(o->path[k], o->canary, &err);
			tap_ok(r == 0 && err == EACCES,
			       "protected %s, %s: a bind mount of it fails to open with EACCES (%s)",
			       n, when, errname(err));
		}
	}
}

static int nr_objects(void)
{
	struct aiguard_status st;

	memset(&st, 0, sizeof(st));
	return ioctl(ag_fd(), AIGUARD_IOC_GET_STATUS, &st) ? -1 : (int)st.objects;
}

/*
 * A child protects itself as @label (@flags) and opens @o's POSIX shm
 * object: 0 if it read the canary, else the errno (-1: no answer).
 */
static int open_as(const struct objs *o, const char *label, uint32_t flags)
{
	int fd[2], res = -1;
	pid_t p;

	if (pipe(fd))
		return -1;
	p = fork();
	if (p == 0) {
		int err = 0;

		close(fd[0]);
		if (ag_protect_flags(AIGUARD_TARGET_SELF, 0, label, NULL, flags))
			res = errno + 1000;	/* could not be protected */
		else
			res = read_canary(o->path[K_SHM], o->canary, &err) ? 0 : err;
		(void)!write(fd[1], &res, sizeof(res));
		_exit(0);
	}
	close(fd[1]);
	if (p < 0 || read(fd[0], &res, sizeof(res)) != sizeof(res))
		res = -1;
	close(fd[0]);
	if (p > 0)
		waitpid(p, NULL, 0);
	return res;
}

static const char *open_result(int res)
{
	static char buf[64];

	if (res >= 1000)
		snprintf(buf, sizeof(buf), "not protected: %s", errname(res - 1000));
	else
		snprintf(buf, sizeof(buf), "%s", res > 0 ? errname(res) : res ? "no answer" : "read it");
	return buf;
}

static void setup_mounts(void)
{
	mkdir(TMPFS_DIR, 0755);
	mkdir(RAMFS_DIR, 0755);
	mkdir(HUGE_DIR, 0755);
	mkdir("/dev/shm", 01777);
	if (mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777") && errno != EBUSY)
		tap_diag("/dev/shm: %s", strerror(errno));
	tap_ok(!mount("tmpfs", TMPFS_DIR, "tmpfs", 0, NULL), "a tmpfs mounted (%s)",
	       strerror(errno));
	tap_ok(!mount("ramfs", RAMFS_DIR, "ramfs", 0, NULL), "a ramfs mounted (%s)",
	       strerror(errno));
	write_file("/proc/sys/vm/nr_hugepages", "4");
	have_huge = read_int("/proc/sys/vm/nr_hugepages") >= 2 &&
		    !mount("none", HUGE_DIR, "hugetlbfs", 0, NULL);
}

static void cleanup(void)
{
	umount(TMPFS_DIR);
	umount(RAMFS_DIR);
	umount(HUGE_DIR);
}

/*
 * One pass over RAM for the canaries of both holders' freed objects: the
 * control's show that the attack works here, and only then does the
 * protected holder's absence say anything.
 */
static void residue_phase(void)
{
	struct needle nd[2 * R_NR];
	pid_t pid[2];
	int r, k;

	for (k = 0; k < 2; k++)
		pid[k] = residue_start(&objs[k], k ? LABEL "-res" : NULL);
	if (!tap_ok(pid[0] > 0 && pid[1] > 0, "residue: both holders made their objects (%s)",
		    pid[0] > 0 && pid[1] > 0 ? "ok" : strerror(errno))) {
		child_kill(pid[0]);
		child_kill(pid[1]);
		return;
	}
	for (k = 0; k < 2; k++)
		kill(pid[k], SIGUSR1);
	for (k = 0; k < 2; k++)
		waitpid(pid[k], NULL, 0);
	/* root removes what they left: removal frees it */
	for (k = 0; k < 2; k++) {
		if (objs[k].res_path[R_SHM][0])
			unlink(objs[k].res_path[R_SHM]);
		if (objs[k].res_path[R_TRUNC][0])
			unlink(objs[k].res_path[R_TRUNC]);
		if (objs[k].res_path[R_RAMFS][0])
			unlink(objs[k].res_path[R_RAMFS]);
		if (objs[k].res_shmid >= 0)
			shmctl(objs[k].res_shmid, IPC_RMID, NULL);
	}
	for (k = 0; k < 100 && nr_objects() > 0; k++)
		usleep(50000);
	if (!tap_ok(ag_wait_unprotected(10000) && nr_objects() == 0,
		    "residue: nothing protected or kept once they are gone (%d objects)",
		    nr_objects()))
		return;
	for (k = 0; k < 2; k++)
		for (r = 0; r < R_NR; r++)
			needle_of(&nd[k * R_NR + r], objs[k].res_seed[r]);
	k = kcore_scan(nd, 2 * R_NR);
	if (!tap_ok(!k, "one pass over RAM through /proc/kcore (%s)", k ? strerror(errno) : "ok"))
		return;
	for (r = 0; r < R_NR; r++) {
		if (!tap_ok(objs[0].res_made[r] && objs[1].res_made[r],
			    "residue: both holders made a %s", residue_names[r]))
			continue;
		if (tap_ok(nd[r].found, "control: root finds its canary in free pages (%s)",
			   residue_names[r]))
			tap_ok(!nd[R_NR + r].found,
			       "protected: its canary is in no free page (%s): cleared before freed",
			       residue_names[r]);
	}
}

int main(int argc, char **argv)
{
	struct aiguard_stats st0, st1;
	pid_t pc, pp;
	int k, n0, n1, fd, err;

	tap_init(argc, argv, 300);
	if (!tap_ok(!kcore_scan_init(), "the scanner's buffer, before anything is freed"))
		return tap_done();
	setup_mounts();
	tap_atexit(cleanup);
	objs = mmap(NULL, 2 * sizeof(*objs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	if (!tap_ok(objs != MAP_FAILED, "shared page for the holders"))
		return tap_done();
	n0 = nr_objects();
	ag_stats(&st0);

	pc = holder_start(&objs[0], NULL);
	if (!tap_ok(pc > 0, "control holder made its objects"))
		return tap_done();
	objs_control(&objs[0]);

	pp = holder_start(&objs[1], LABEL);
	if (!tap_ok(pp > 0, "protected holder made its objects"))
		return tap_done();
	n1 = nr_objects();
	tap_ok(n1 > n0, "GET_STATUS counts the protected holder's objects (%d -> %d)", n0, n1);
	for (k = 0; k < K_NR; k++)
		if (objs[1].path[k][0])
			tap_ok(objs[1].worker_ok[k], "protected %s: its worker, same label, reads and writes it",
			       kind_names[k]);
	objs_protected(&objs[1], "holder alive");
	if (objs[1].path[K_SHM][0]) {
		k = open_as(&objs[1], "e2e-obj-other", 0);
		tap_ok(k == EACCES, "a process protected under another label cannot open it (%s)",
		       open_result(k));
		k = open_as(&objs[1], LABEL, AIGUARD_PROTECT_JOIN);
		tap_ok(k == 0, "one that joins the living label (recorded) reads it (%s)",
		       open_result(k));
	}
	err = 0;
	tap_ok(objs[1].public_path[0] && read_canary(objs[1].public_path, objs[1].canary, &err),
	       "its 0644 file (meant for others) stays readable (%s)", errname(err));
	ag_stats(&st1);
	tap_ok(st1.denied[AIGUARD_HOOK_OBJECT] > st0.denied[AIGUARD_HOOK_OBJECT],
	       "denials are counted under the object hook (%llu -> %llu)",
	       (unsigned long long)st0.denied[AIGUARD_HOOK_OBJECT],
	       (unsigned long long)st1.denied[AIGUARD_HOOK_OBJECT]);
	tap_ok(ag_find_hook_event(AIGUARD_EVENT_DENY, AIGUARD_HOOK_OBJECT, 0, LABEL) == 1,
	       "a DENY record of the object hook names the label");

	/* the creator gone: still closed, and whole-memory readers with it */
	child_kill(pp);
	objs_protected(&objs[1], "holder gone");
	/* the label's last member gone: a new member is a new life */
	if (objs[1].path[K_SHM][0] && ag_wait_unprotected(10000)) {
		k = open_as(&objs[1], LABEL, 0);
		tap_ok(k == EACCES,
		       "a new process protected under the same label (its next life) cannot open the leftovers (%s)",
		       open_result(k));
	}
	if (ag_wait_unprotected(10000)) {
		fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
		tap_ok(fd < 0 && errno == EPERM,
		       "nothing protected, objects left: /proc/kcore stays closed (%s)",
		       fd < 0 ? errname(errno) : "opened");
		if (fd >= 0)
			close(fd);
	} else {
		tap_skip("other processes are protected", "/proc/kcore with only objects left");
	}
	if (objs[1].shmid >= 0) {
		err = shmctl(objs[1].shmid, SHM_LOCK, NULL) ? errno : 0;
		tap_ok(!err, "SHM_LOCK of its segment is allowed (%s)", errname(err));
		tap_ok(shmctl(objs[1].shmid, SHM_UNLOCK, NULL) && errno == EPERM,
		       "SHM_UNLOCK of its segment is refused: its pages stay out of swap (%s)",
		       strerror(errno));
	}
	if (objs[0].shmid >= 0)
		tap_ok(!shmctl(objs[0].shmid, SHM_LOCK, NULL) &&
		       !shmctl(objs[0].shmid, SHM_UNLOCK, NULL),
		       "control: SHM_LOCK and SHM_UNLOCK work (%s)", strerror(errno));

	/* root removes them: removal frees them */
	for (k = 0; k < K_NR; k++) {
		if (!objs[1].path[k][0])
			continue;
		if (k == K_SYSV)
			tap_ok(!shmctl(objs[1].shmid, IPC_RMID, NULL), "root's IPC_RMID removes the segment");
		else
			tap_ok(!unlink(objs[1].path[k]), "root's unlink removes the %s", kind_names[k]);
	}
	unlink(objs[1].public_path);
	child_kill(pc);

	for (k = 0; k < K_NR; k++)
		if (objs[0].path[k][0] && k != K_SYSV)
			unlink(objs[0].path[k]);
	if (objs[0].shmid >= 0)
		shmctl(objs[0].shmid, IPC_RMID, NULL);
	unlink(objs[0].public_path);
	for (k = 0; k < 100 && nr_objects() > n0; k++)
		usleep(50000);
	tap_ok(nr_objects() == n0, "once removed, GET_STATUS counts them no more (%d)", nr_objects());
	if (ag_wait_unprotected(10000) && nr_objects() == 0) {
		fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
		tap_ok(fd >= 0, "with nothing protected or kept, /proc/kcore opens again (%s)",
		       fd < 0 ? errname(errno) : "ok");
		if (fd >= 0)
			close(fd);
		residue_phase();
	} else {
		tap_skip("processes or objects remain", "/proc/kcore and the residue scan");
	}
	return tap_done();
}
