/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pid1.h - what every PID 1 of the aiguard test guests does: the harness's
 * init (tests/vm/init.c) and the benchmark driver (tests/bench/bench.c).
 * Both are static programs that the kernel starts from a busybox-less or
 * busybox initramfs; the guest has two serial ports, ttyS0 the kernel
 * console and ttyS1 the results port the host reads.
 */
#ifndef AIGUARD_PID1_H
#define AIGUARD_PID1_H

#define PID1_RESULTS_PORT "/dev/ttyS1"
#define PID1_MODDIR "/lib/aiguard"

/*
 * Mounts /proc, /sys, devtmpfs on /dev, debugfs and a tmpfs on /tmp, puts
 * stdin, stdout and stderr on /dev/console (even when the kernel found
 * none) and makes stdout line buffered. @name prefixes every pid1_say().
 */
void pid1_setup(const char *name);
/* Opens the results port write-only and raw; -1 (said on the console) when it cannot. */
int pid1_results_port(void);
/* One line on the console, "<name>: <text>", for people reading console.log. */
void pid1_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes @text to an existing file (sysfs, procfs, debugfs); 0 or -1 (errno). */
int pid1_write_file(const char *path, const char *text);
/*
 * finit_module() of PID1_MODDIR/<name>.ko with @params. Returns 0, or -1
 * with errno set and *@step naming what failed ("open" or "finit_module").
 */
int pid1_load_module(const char *name, const char *params, const char **step);
/*
 * delete_module(@name, @flags), tried up to @tries times 100 ms apart
 * while the module is busy. Returns 0 or -1 (errno).
 */
int pid1_unload_module(const char *name, unsigned int flags, int tries);
/*
 * Waits until @results_fd (when >= 0) has sent everything, syncs and powers
 * off. Without ACPI power-off cannot work: it then reboots, which ends QEMU
 * too because of -no-reboot.
 */
void pid1_poweroff(int results_fd);

#endif
