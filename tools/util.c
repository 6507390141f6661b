// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - strict parsers, /proc/PID/comm, safe text output, and the
 * layout of "list" and "grants".
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "ocistate.h"
#include "tool.h"

/* Decimal digits only: no sign, no blanks, no "0x", no trailing junk. */
static bool parse_decimal(const char *s, unsigned long long max,
			  unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned)(*s - '0')) / 10)
			return false;	/* would exceed max */
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return true;
}

/* A pid is 1..INT_MAX (pid_t is int on Linux). */
bool parse_pid(const char *s, pid_t *out)
{
	unsigned long long v;

	if (!parse_decimal(s, INT_MAX, &v) || v == 0)
		return false;
	*out = (pid_t)v;
	return true;
}

/* A uid/gid is 0..2^32-2; (uid_t)-1 means "no change" to the kernel. */
bool parse_u32_id(const char *s, unsigned int *out)
{
	unsigned long long v;

	if (!parse_decimal(s, UINT32_MAX - 1ULL, &v))
		return false;
	*out = (unsigned int)v;
	return true;
}

/* A decimal number in [min, max]. */
bool parse_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;

	if (!parse_decimal(s, max, &v) || v < min)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;

	if (!parse_decimal(s, UINT64_MAX, &v))
		return false;
	*out = v;
	return true;
}

/* Same rule as <linux/aiguard.h>: 1..AIGUARD_LABEL_MAX-1 of [A-Za-z0-9._-]. */
const char *label_error(const char *label)
{
	size_t n = strlen(label);

	if (n == 0)
		return "label is empty (omit --label to get a private domain)";
	if (n > AIGUARD_LABEL_MAX - 1)
		return "label is too long (at most 31 characters)";
	for (const char *p = label; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return "label may only contain A-Z a-z 0-9 . _ -";
	}
	return NULL;
}

void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(buf, len, "?");
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* The container a process runs in: cgroup_container() of /proc/PID/cgroup. */
bool read_container(pid_t pid, char *id, size_t idlen, char *cgroup, size_t cglen)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	id[0] = cgroup[0] = '\0';
	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return cgroup_container(buf, id, idlen, cgroup, cglen);
}

/*
 * Text output of untrusted strings (comm is chosen by the process):
 * printable ASCII only, anything else becomes '?', so that a string can
 * neither fake another line nor drive the terminal.
 */
static bool is_printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* s itself, made printable. */
char *printable(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (!is_printable(*p))
			*p = '?';
	return s;
}

void print_safe(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(is_printable(*p) ? *p : '?', f);
}

/*
 * A command-line argument, for an error message: printable ASCII as is,
 * other bytes as \xNN (a byte that is not valid UTF-8 or a terminal
 * escape cannot reach the terminal raw), and cut after ARG_SHOWN bytes
 * with the full length said. Four results stay valid at once.
 */
#define ARG_SHOWN	64

const char *quote_arg(const char *s)
{
	static char bufs[4][ARG_SHOWN * 4 + 48];
	static unsigned int next;
	char *buf = bufs[next++ % 4], *o = buf;
	size_t len = strlen(s), i;

	for (i = 0; i < len && i < ARG_SHOWN; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_printable(c) && c != '\\')
			*o++ = (char)c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	if (i < len)
		sprintf(o, "... (%zu bytes)", len);
	else
		*o = '\0';
	return buf;
}

/*
 * The output of "list" and "grants": a header line, then entry(NULL, e)
 * prints each entry as a line; with --json, {"total":N,"<key>":[...]} and
 * entry(j, e) writes each as an object.
 */
void print_listing(bool json, const char *key, const char *header,
		   const void *ents, size_t size, uint32_t n,
		   void (*entry)(struct json *j, const void *ent))
{
	struct json j;

	json_init(&j, stdout);
	if (json)
		json_list_begin(&j, n, key);
	else
		fputs(header, stdout);
	for (uint32_t i = 0; i < n; i++)
		entry(json ? &j : NULL, (const char *)ents + (size_t)i * size);
	if (json)
		json_list_end(&j);
}
