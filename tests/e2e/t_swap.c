// SPDX-License-Identifier: GPL-2.0
/*
 * A protected process's memory never reaches swap, and nothing protected
 * can be hibernated.
 *
 * The attack: root pushes a process's pages out with its cgroup's
 * memory.reclaim, then reads the swap device. Here the device is a RAM
 * disk (brd: built into the debug kernel, loaded from
 * /lib/aiguard/extra/brd.ko on the stock ones), the only swap of the
 * guest. Two children, each in a cgroup of its own, fill 16 MiB of
 * anonymous memory with a canary of their own: an unprotected control and
 * a protected one. Both cgroups are reclaimed, then the whole device is
 * searched. The control's canary is on it, and its cgroup's
 * memory.swap.current is not 0; the protected canary is not on it, its
 * cgroup has no swap, its memory is intact and the refusal is counted and
 * recorded under the "swap" hook.
 *
 * Each child also writes 16 MiB into a file of its own on tmpfs (mode
 * 0600, written with write(), not mapped): the protected child's is an
 * object of its label (t_obj), whose pages reclaim must not write to swap
 * either; the control's is on the device after the reclaim.
 *
 * Hibernation writes all RAM to swap: /sys/power/state offers "disk" while
 * nothing is protected, and neither it nor /dev/snapshot is available
 * while a protected process lives, or an object one created.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"

#define DEV		"/dev/ram0"
#define BRD		"/lib/aiguard/extra/brd.ko"
#define DEV_MB		64
#define FILL_MB		16
#define CGROOT		"/sys/fs/cgroup"
#define PAGE		4096

/* ---- the children ---------------------------------------------------------- */

struct filler {
	pid_t pid;
	int cmd, reply;		/* pipes to and from the child */
	char canary[48];
	char cgroup[64];
};

struct filler_io {
	int cmd, reply;
};

static void canary_of(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "SWAP-CANARY-%08d-", pid);
}

/* Fills every page with the canary, repeated. */
static void fill(char *mem, size_t len, const char *canary)
{
	size_t n = strlen(canary);

	for (size_t off = 0; off + n <= len; off += n)
		memcpy(mem + off, canary, n);
}

static int intact(const char *mem, size_t len, const char *canary)
{
	size_t n = strlen(canary);

	for (size_t off = 0; off + n <= len; off += n)
		if (memcmp(mem + off, canary, n))
			return 0;
	return 1;
}

/* The child's tmpfs object and the canary in it. */
static void object_of(pid_t pid, char *path, size_t plen, char *canary, size_t clen)
{
	snprintf(path, plen, "/tmp/ag-swapobj-%d", pid);
	snprintf(canary, clen, "SWAPOBJ-CANARY-%08d-", pid);
}

/* Writes the object: 16 MiB of its canary, through write(), then closes it. */
static int object_write(void)
{
	char path[64], canary[48], *buf = malloc(1 << 20);
	int fd, i, ok;

	object_of(getpid(), path, sizeof(path), canary, sizeof(canary));
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	ok = fd >= 0 && buf;
	if (ok)
		fill(buf, 1 << 20, canary);
	for (i = 0; ok && i < FILL_MB; i++)
		ok = write(fd, buf, 1 << 20) == 1 << 20;
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

static int object_intact(void)
{
	char path[64], canary[48], *buf = malloc(1 << 20);
	int fd, i, ok;

	object_of(getpid(), path, sizeof(path), canary, sizeof(canary));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ok = fd >= 0 && buf;
	for (i = 0; ok && i < FILL_MB; i++)
		ok = read(fd, buf, 1 << 20) == 1 << 20 && intact(buf, 1 << 20, canary);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/*
 * The child waits for 'f' (it is in its cgroup now, so what it touches
 * is charged there), fills its memory and writes its tmpfs file, and
 * answers 'v' with whether the memory still holds the canary, 'o' with
 * whether the file does.
 */
static void filler_main(void *arg)
{
	const struct filler_io *io = arg;
	size_t len = (size_t)FILL_MB << 20;
	char canary[48], c, ok;
	char *mem = NULL;

	canary_of(getpid(), canary, sizeof(canary));
	while (read(io->cmd, &c, 1) == 1) {
		if (c == 'f') {
			mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem == MAP_FAILED)
				_exit(3);
			fill(mem, len, canary);
			ok = object_write();
		} else if (c == 'o') {
			ok = object_intact();
		} else {
			ok = mem && intact(mem, len, canary);
		}
		if (write(io->reply, &ok, 1) != 1)
			_exit(4);
	}
	_exit(0);
}

static int ask(struct filler *f, char c)
{
	char ok = 0;

	if (write(f->cmd, &c, 1) != 1)
		return 0;
	if (read(f->reply, &ok, 1) != 1)
		return 0;
	return ok;
}

static int cg_write(const char *cg, const char *file, const char *s)
{
	char path[160];

	snprintf(path, sizeof(path), CGROOT "/%s%s%s", cg, *cg ? "/" : "", file);
	return write_file(path, s);
}

static long long cg_read(const char *cg, const char *file)
{
	char path[160], buf[64];

	snprintf(path, sizeof(path), CGROOT "/%s/%s", cg, file);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atoll(buf);
}

/* VmSwap of /proc/PID/status: swap entries in its page tables. */
static long long vm_swap_kb(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "VmSwap:");
	return p ? atoll(p + 7) : -1;
}

/* Starts a filler in cgroup name, protected under label unless NULL. */
static int filler_start(struct filler *f, const char *name, const char *label)
{
	int cmd[2], reply[2];
	struct filler_io io;
	char pid[16], dir[96];

	memset(f, 0, sizeof(*f));
	if (pipe(cmd) || pipe(reply))
		return -1;
	io.cmd = cmd[0];
	io.reply = reply[1];
	f->pid = fork_protected(label, NULL, filler_main, &io);
	close(cmd[0]);
	close(reply[1]);
	f->cmd = cmd[1];
	f->reply = reply[0];
	if (f->pid <= 0)
		return -1;
	canary_of(f->pid, f->canary, sizeof(f->canary));
	snprintf(f->cgroup, sizeof(f->cgroup), "%s", name);
	snprintf(pid, sizeof(pid), "%d", f->pid);
	snprintf(dir, sizeof(dir), CGROOT "/%s", name);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	if (cg_write(name, "cgroup.procs", pid))
		return -1;
	return ask(f, 'f') ? 0 : -1;
}

static void filler_stop(struct filler *f)
{
	char dir[96];

	child_kill(f->pid);
	close(f->cmd);
	close(f->reply);
	snprintf(dir, sizeof(dir), CGROOT "/%s", f->cgroup);
	rmdir(dir);
}

/* ---- swap on a RAM disk ---------------------------------------------------- */

static int ram_disk(void)
{
	int i, fd;

	if (access(DEV, F_OK)) {
		fd = open(BRD, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			tap_diag("%s: %s", BRD, strerror(errno));
			return -1;
		}
		if (syscall(SYS_finit_module, fd, "rd_nr=1 rd_size=65536", 0) &&
		    errno != EEXIST) {
			tap_diag("loading brd: %s", strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	for (i = 0; i < 100 && access(DEV, F_OK); i++)
		usleep(20000);
	return access(DEV, F_OK);
}

/* mkswap: a version 1 header in the first page, the magic at its end. */
static int make_swap(void)
{
	static char page[PAGE];
	uint32_t version = 1, last_page = (DEV_MB << 20) / PAGE - 1;
	int fd = open(DEV, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	memset(page, 0, sizeof(page));
	memcpy(page + 1024, &version, 4);
	memcpy(page + 1028, &last_page, 4);
	memcpy(page + PAGE - 10, "SWAPSPACE2", 10);
	ok = pwrite(fd, page, PAGE, 0) == PAGE && fsync(fd) == 0;
	close(fd);
	return ok ? 0 : -1;
}

static char *device;	/* the whole swap device, read after the reclaims */

/* Reads the device past the page cache (swap writes bypass it). */
static int read_device(void)
{
	size_t len = (size_t)DEV_MB << 20, got = 0;
	int fd = open(DEV, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0 || posix_memalign((void **)&device, PAGE, len))
		return -1;
	while (got < len) {
		ssize_t n = read(fd, device + got, len - got);

		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	return got == len ? 0 : -1;
}

static int on_device(const char *canary)
{
	return has(device, (size_t)DEV_MB << 20, canary);
}

/* ---- hibernation ----------------------------------------------------------- */

static int disk_offered(void)
{
	char buf[128];

	/* empty when nothing is offered (a kernel without suspend) */
	if (read_file("/sys/power/state", buf, sizeof(buf)) < 0)
		return -1;
	return !!strstr(buf, "disk");
}

/* ---- the test -------------------------------------------------------------- */

static void swap_off(void)
{
	swapoff(DEV);
}

int main(int argc, char **argv)
{
	struct aiguard_stats st0, st1;
	struct filler ctl, prot;
	char path[64], canary[48];
	int fd, err;

	tap_init(argc, argv, 300);

	tap_ok(disk_offered() == 1,
	       "control: with nothing protected, /sys/power/state offers hibernation (disk)");

	if (!tap_ok(ram_disk() == 0, "a RAM disk for swap (%s)", DEV))
		return tap_done();
	err = make_swap() || swapon(DEV, 0) ? errno : 0;
	if (!tap_ok(!err, "swap on %s%s%s", DEV, err ? ": " : "", err ? strerror(err) : ""))
		return tap_done();
	tap_atexit(swap_off);
	/* zswap would keep pages in RAM, compressed, not on the device */
	write_file("/sys/module/zswap/parameters/enabled", "N");
	if (access(CGROOT "/cgroup.controllers", F_OK))
		mount("cgroup2", CGROOT, "cgroup2", 0, NULL);
	err = cg_write("", "cgroup.subtree_control", "+memory") ? errno : 0;
	if (!tap_ok(!err, "cgroup v2 with the memory controller%s%s", err ? ": " : "",
		    err ? strerror(err) : ""))
		return tap_done();

	if (!tap_ok(filler_start(&ctl, "ag-swap-ctl", NULL) == 0, "control filled %d MiB",
		    FILL_MB) ||
	    !tap_ok(filler_start(&prot, "ag-swap-prot", "e2e-swap") == 0,
		    "protected child filled %d MiB", FILL_MB))
		return tap_done();

	tap_ok(disk_offered() == 0,
	       "while a process is protected, /sys/power/state does not offer disk");
	fd = open("/dev/snapshot", O_RDONLY | O_CLOEXEC);
	tap_ok(fd < 0 && errno == EPERM,
	       "while a process is protected, /dev/snapshot is refused (%s)",
	       fd < 0 ? errname(errno) : "opened");
	if (fd >= 0)
		close(fd);

	ag_stats(&st0);
	/* EAGAIN when less than asked could go: the protected cgroup's case */
	cg_write(ctl.cgroup, "memory.reclaim", "48M");
	cg_write(prot.cgroup, "memory.reclaim", "48M");
	ag_stats(&st1);

	if (!tap_ok(read_device() == 0, "read all of %s", DEV))
		return tap_done();
	tap_ok(on_device(ctl.canary), "control: its canary is on the swap device");
	tap_ok(cg_read(ctl.cgroup, "memory.swap.current") > 0,
	       "control: its cgroup has swap in use (%lld bytes)",
	       cg_read(ctl.cgroup, "memory.swap.current"));
	tap_ok(!on_device(prot.canary), "protected: its canary is not on the swap device");
	/*
	 * Not memory.swap.current: reclaim reserves a slot before it tries
	 * to unmap, and the slot stays reserved, unwritten, with the folio.
	 */
	tap_ok(vm_swap_kb(prot.pid) == 0,
	       "protected: none of its pages is swapped out (VmSwap %lld kB)",
	       vm_swap_kb(prot.pid));
	tap_ok(vm_swap_kb(ctl.pid) > 0, "control: its pages are swapped out (VmSwap %lld kB)",
	       vm_swap_kb(ctl.pid));
	tap_ok(ask(&prot, 'v'), "protected: its memory is intact");
	object_of(ctl.pid, path, sizeof(path), canary, sizeof(canary));
	tap_ok(on_device(canary), "control: its tmpfs file's canary is on the swap device");
	object_of(prot.pid, path, sizeof(path), canary, sizeof(canary));
	tap_ok(!on_device(canary),
	       "protected: its tmpfs file's canary is not on the swap device (an object of its label)");
	tap_ok(ask(&prot, 'o'), "protected: its tmpfs file is intact");
	tap_ok(ask(&ctl, 'o'), "control: its tmpfs file reads back from swap");
	tap_ok(ask(&ctl, 'v'), "control: its memory reads back from swap");
	tap_ok(st1.denied[AIGUARD_HOOK_SWAP] > st0.denied[AIGUARD_HOOK_SWAP],
	       "refusals are counted under the swap hook (%llu -> %llu)",
	       (unsigned long long)st0.denied[AIGUARD_HOOK_SWAP],
	       (unsigned long long)st1.denied[AIGUARD_HOOK_SWAP]);
	tap_ok(ag_find_hook_event(AIGUARD_EVENT_DENY, AIGUARD_HOOK_SWAP, prot.pid, "e2e-swap") == 1,
	       "a DENY record names the protected child under the swap hook");

	filler_stop(&prot);
	filler_stop(&ctl);
	if (ag_wait_unprotected(10000))
		tap_ok(disk_offered() == 0,
		       "with nothing protected but the protected child's file left, disk is still not offered");
	object_of(prot.pid, path, sizeof(path), canary, sizeof(canary));
	unlink(path);
	object_of(ctl.pid, path, sizeof(path), canary, sizeof(canary));
	unlink(path);
	tap_ok(disk_offered() == 1, "with nothing protected or kept again, disk is offered again");
	return tap_done();
}
