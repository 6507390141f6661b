// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - a small JSON writer (see json.h).
 *
 * Strings come from the kernel and from processes (comm is arbitrary
 * bytes chosen by whoever named the process), so json_str() escapes
 * quote, backslash and every control character, and turns bytes that are
 * not valid UTF-8 into U+FFFD: the output is always valid JSON.
 */
#include <inttypes.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->after_key = false;
}

/* Before any value or key: the comma that separates it from the last. */
static void json_sep(struct json *j)
{
	bool *used;

	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	/* deeper than JSON_DEPTH_MAX: share the last slot rather than overrun */
	used = &j->used[(j->depth < JSON_DEPTH_MAX ? j->depth : JSON_DEPTH_MAX) - 1];
	if (*used)
		fputc(',', j->f);
	*used = true;
}

static void json_open(struct json *j, char c)
{
	json_sep(j);
	fputc(c, j->f);
	if (j->depth < JSON_DEPTH_MAX)
		j->used[j->depth] = false;
	j->depth++;
}

static void json_close(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth && --j->depth == 0)
		fputc('\n', j->f);
}

void json_object_begin(struct json *j)	{ json_open(j, '{'); }
void json_object_end(struct json *j)	{ json_close(j, '}'); }
void json_array_begin(struct json *j)	{ json_open(j, '['); }
void json_array_end(struct json *j)	{ json_close(j, ']'); }

/* Length of the valid UTF-8 sequence at s, or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;	/* > U+10FFFF */
		return 4;
	}
	return 0;
}

/* The escape for byte c, or NULL if it needs none. */
static const char *json_escape(unsigned char c)
{
	switch (c) {
	case '"':  return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:   return NULL;
	}
}

static void json_quote(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		const char *esc = json_escape(*p);
		size_t n = 1;

		if (esc) {
			fputs(esc, f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else if ((n = utf8_len(p)) != 0) {
			fwrite(p, 1, n, f);
		} else {
			fputs("\\ufffd", f);	/* not UTF-8: one byte */
			n = 1;
		}
		p += n;
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_quote(j->f, key);
	fputc(':', j->f);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	json_sep(j);
	json_quote(j->f, s);
}

void json_u64(struct json *j, uint64_t v)
{
	json_sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_int(struct json *j, long long v)
{
	json_sep(j);
	fprintf(j->f, "%lld", v);
}

void json_bool(struct json *j, bool v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	json_sep(j);
	fputs("null", j->f);
}

void json_kstr(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_ku64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kint(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kbool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_list_begin(struct json *j, uint64_t total, const char *key)
{
	json_object_begin(j);
	json_ku64(j, "total", total);
	json_key(j, key);
	json_array_begin(j);
}

void json_list_end(struct json *j)
{
	json_array_end(j);
	json_object_end(j);
}
