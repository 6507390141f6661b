// SPDX-License-Identifier: GPL-2.0
/* TAP 13 output shared by the harness's C programs (see tap.h). */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static FILE *out;
static int tap_n, tap_failed;

static FILE *tap_stream(void)
{
	return out ? out : stdout;
}

void tap_output(FILE *f)
{
	out = f;
}

void tap_header(void)
{
	fprintf(tap_stream(), "TAP version 13\n");
	fflush(tap_stream());
}

void tap_plan(int n)
{
	fprintf(tap_stream(), "1..%d\n", n);
	fflush(tap_stream());
}

static void vline(const char *status, const char *suffix, const char *fmt, va_list ap)
{
	FILE *f = tap_stream();

	fprintf(f, "%s %d - ", status, ++tap_n);
	vfprintf(f, fmt, ap);
	fprintf(f, "%s\n", suffix);
	fflush(f);
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(cond ? "ok" : "not ok", "", fmt, ap);
	va_end(ap);
	if (!cond)
		tap_failed++;
	return cond;
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	char suffix[256];
	va_list ap;

	snprintf(suffix, sizeof(suffix), " # SKIP %s", reason);
	va_start(ap, fmt);
	vline("ok", suffix, fmt, ap);
	va_end(ap);
}

void tap_diag(const char *fmt, ...)
{
	FILE *f = tap_stream();
	va_list ap;

	fprintf(f, "# ");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, "\n");
	fflush(f);
}

void tap_bail_out(const char *why)
{
	fprintf(tap_stream(), "Bail out! %s\n", why);
	fflush(tap_stream());
}

void tap_finish(void)
{
	fprintf(tap_stream(), "1..%d\n", tap_n);
	if (tap_failed)
		fprintf(tap_stream(), "# %d of %d failed\n", tap_failed, tap_n);
	fflush(tap_stream());
}
