// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard(8) - a strict reader of the OCI state document (runtime-spec
 * "State": ociVersion, id, status, pid, bundle, annotations) that a
 * container runtime writes to a hook's stdin.
 *
 * Whatever it cannot read with certainty is an error, never a default:
 * the hook's answer decides whether a container that asked for
 * protection starts, so a document that is not plain JSON, a member that
 * appears twice, an annotation of ours that is unknown or not a string,
 * all stop it. Nothing is allocated; depth and sizes are bounded.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ocistate.h"

#define MAX_DEPTH	64
#define KEY_MAX		256

struct parser {
	const char *start, *p, *end;
	char *err;
	size_t errlen;
	int depth;
};

static int fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
	size_t off;
	va_list ap;

	off = (size_t)snprintf(ps->err, ps->errlen, "byte %zu: ",
			       (size_t)(ps->p - ps->start));
	if (off >= ps->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + off, ps->errlen - off, fmt, ap);
	va_end(ap);
	return -1;
}

static void ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int expect(struct parser *ps, char c)
{
	ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "'%c' expected, the document ends", c);
	if (*ps->p != c)
		return fail(ps, "'%c' expected", c);
	ps->p++;
	return 0;
}

static int hex4(struct parser *ps, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	if (ps->end - ps->p < 4)
		return fail(ps, "\\u needs four hex digits");
	for (i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return fail(ps, "\\u needs four hex digits");
	}
	*out = v;
	return 0;
}

/* Length of the UTF-8 sequence at p (RFC 3629), or 0 if it is invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Append @n bytes to a bounded output; *len counts even what did not fit. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (out && *len + n < cap)
		memcpy(out + *len, s, n);
	*len += n;
}

static size_t utf8_put(unsigned int cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | cp >> 18);
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string: decoded into @out (@cap bytes with the NUL; NULL: skipped).
 * *len is its decoded length, also when that is @cap or more (the caller
 * says what "too long" means for it). A NUL, even escaped, is an error:
 * no member we read can hold one, and C strings would cut it silently.
 */
static int string(struct parser *ps, char *out, size_t cap, size_t *len)
{
	unsigned int cp, lo;
	char b[4];
	size_t n;

	*len = 0;
	if (expect(ps, '"'))
		return -1;
	for (;;) {
		unsigned char c;

		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20)
			return fail(ps, "control character in a string");
		if (c != '\\') {
			n = utf8_len((const unsigned char *)ps->p,
				     (const unsigned char *)ps->end);
			if (!n)
				return fail(ps, "invalid UTF-8 in a string");
			put(out, cap, len, ps->p, n);
			ps->p += n;
			continue;
		}
		ps->p++;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		switch (*ps->p++) {
		case '"':  put(out, cap, len, "\"", 1); break;
		case '\\': put(out, cap, len, "\\", 1); break;
		case '/':  put(out, cap, len, "/", 1); break;
		case 'b':  put(out, cap, len, "\b", 1); break;
		case 'f':  put(out, cap, len, "\f", 1); break;
		case 'n':  put(out, cap, len, "\n", 1); break;
		case 'r':  put(out, cap, len, "\r", 1); break;
		case 't':  put(out, cap, len, "\t", 1); break;
		case 'u':
			if (hex4(ps, &cp))
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(ps, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
					return fail(ps, "high surrogate without its low half");
				ps->p += 2;
				if (hex4(ps, &lo))
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(ps, "high surrogate without its low half");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (!cp)
				return fail(ps, "NUL in a string");
			put(out, cap, len, b, utf8_put(cp, b));
			break;
		default:
			ps->p--;
			return fail(ps, "invalid escape");
		}
	}
	if (out)
		out[*len < cap ? *len : cap - 1] = '\0';
	return 0;
}

/* A number; *is_int and *val when it is an integer that fits. */
static int number(struct parser *ps, bool *is_int, long long *val)
{
	bool neg = false, fits = true;
	long long v = 0;

	*is_int = true;
	ws(ps);
	if (ps->p < ps->end && *ps->p == '-') {
		neg = true;
		ps->p++;
	}
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return fail(ps, "a value expected");
	if (*ps->p == '0') {
		ps->p++;
	} else {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
			int d = *ps->p++ - '0';

			if (v > (LLONG_MAX - d) / 10)
				fits = false;
			else
				v = v * 10 + d;
		}
	}
	if (ps->p < ps->end && *ps->p == '.') {
		*is_int = false;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "digits expected after '.'");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		*is_int = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "digits expected in the exponent");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (!fits)
		*is_int = false;
	*val = neg ? -v : v;
	return 0;
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return fail(ps, "a value expected");
	ps->p += n;
	return 0;
}

static int skip_value(struct parser *ps);

/* The members of an object or the elements of an array, skipped. */
static int skip_container(struct parser *ps, char close, bool members)
{
	size_t n;

	if (++ps->depth > MAX_DEPTH)
		return fail(ps, "nested deeper than %d", MAX_DEPTH);
	ps->p++;
	ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return 0;
	}
	for (;;) {
		if (members && (string(ps, NULL, 0, &n) || expect(ps, ':')))
			return -1;
		if (skip_value(ps))
			return -1;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (expect(ps, close))
			return -1;
		ps->depth--;
		return 0;
	}
}

static int skip_value(struct parser *ps)
{
	long long v;
	size_t n;
	bool i;

	ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "a value expected, the document ends");
	switch (*ps->p) {
	case '{':
		return skip_container(ps, '}', true);
	case '[':
		return skip_container(ps, ']', false);
	case '"':
		return string(ps, NULL, 0, &n);
	case 't':
		return literal(ps, "true");
	case 'f':
		return literal(ps, "false");
	case 'n':
		return literal(ps, "null");
	default:
		return number(ps, &i, &v);
	}
}

/* One of our annotations, a string of at most @cap - 1 bytes. */
static int annotation(struct parser *ps, const char *key, bool *have,
		      char *out, size_t cap)
{
	size_t n;

	if (*have)
		return fail(ps, "annotation %s given twice", key);
	*have = true;
	ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "annotation %s: a string expected", key);
	if (string(ps, out, cap, &n))
		return -1;
	if (n >= cap)
		return fail(ps, "annotation %s: longer than %zu bytes", key, cap - 1);
	return 0;
}

static int annotations(struct parser *ps, struct oci_state *st)
{
	char key[KEY_MAX];
	size_t n;

	if (expect(ps, '{'))
		return -1;
	ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		int err;

		if (string(ps, key, sizeof(key), &n) || expect(ps, ':'))
			return -1;
		if (n >= sizeof(key) && !strncmp(key, "io.aiguard.", 11))
			return fail(ps, "unknown annotation %.40s...", key);
		if (n >= sizeof(key))
			err = skip_value(ps);
		else if (!strcmp(key, OCI_ANN_LABEL))
			err = annotation(ps, key, &st->have_label, st->label, sizeof(st->label));
		else if (!strcmp(key, OCI_ANN_PERMISSIVE))
			err = annotation(ps, key, &st->have_permissive, st->permissive,
					 sizeof(st->permissive));
		else if (!strcmp(key, OCI_ANN_JOIN))
			err = annotation(ps, key, &st->have_join, st->join, sizeof(st->join));
		else if (!strcmp(key, OCI_ANN_EXEC))
			err = annotation(ps, key, &st->have_exec, st->exec, sizeof(st->exec));
		else if (!strncmp(key, "io.aiguard.", 11))
			return fail(ps, "unknown annotation %s (known: " OCI_ANN_LABEL ", "
				    OCI_ANN_PERMISSIVE ", " OCI_ANN_JOIN ", " OCI_ANN_EXEC ")", key);
		else
			err = skip_value(ps);
		if (err)
			return -1;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		return expect(ps, '}');
	}
}

/* A member of the state object that we read, or any other one skipped. */
static int member(struct parser *ps, const char *key, struct oci_state *st,
		  unsigned int *seen)
{
	static const char *const ours[] = { "id", "status", "pid", "annotations" };
	unsigned int i;
	long long v;
	size_t n;
	bool is_int;

	for (i = 0; i < 4 && strcmp(key, ours[i]); i++)
		;
	if (i == 4)
		return skip_value(ps);
	if (*seen & (1u << i))
		return fail(ps, "member \"%s\" given twice", key);
	*seen |= 1u << i;
	ws(ps);
	switch (i) {
	case 0:
	case 1:
		if (ps->p >= ps->end || *ps->p != '"')
			return fail(ps, "\"%s\": a string expected", key);
		if (i == 0 ? string(ps, st->id, sizeof(st->id), &n) :
			     string(ps, st->status, sizeof(st->status), &n))
			return -1;
		if (n >= (i == 0 ? sizeof(st->id) : sizeof(st->status)))
			return fail(ps, "\"%s\": too long", key);
		return 0;
	case 2:
		if (number(ps, &is_int, &v))
			return -1;
		if (!is_int || v < 1 || v > INT_MAX)
			return fail(ps, "\"pid\": not a process id");
		st->pid = v;
		return 0;
	default:
		return annotations(ps, st);
	}
}

int oci_state_parse(const char *buf, size_t len, struct oci_state *st,
		    char *err, size_t errlen)
{
	struct parser ps = { .start = buf, .p = buf, .end = buf + len,
			     .err = err, .errlen = errlen };
	unsigned int seen = 0;
	char key[KEY_MAX];
	size_t n;

	memset(st, 0, sizeof(*st));
	if (expect(&ps, '{'))
		return -1;
	ws(&ps);
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
	} else {
		for (;;) {
			if (string(&ps, key, sizeof(key), &n) || expect(&ps, ':'))
				return -1;
			if (n >= sizeof(key) ? skip_value(&ps) : member(&ps, key, st, &seen))
				return -1;
			ws(&ps);
			if (ps.p < ps.end && *ps.p == ',') {
				ps.p++;
				continue;
			}
			if (expect(&ps, '}'))
				return -1;
			break;
		}
	}
	ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, "data after the state object");
	if (!(seen & 1) || !st->id[0])
		return fail(&ps, "no container \"id\"");
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A run of exactly 64 lower-case hex digits in [p, end) into id. */
static bool id_in(const char *p, const char *end, char *id)
{
	size_t run = 0;

	for (; p < end; p++) {
		run = is_hex(*p) ? run + 1 : 0;
		if (run == 64 && (p + 1 == end || !(is_hex(p[1]) || (p[1] >= 'A' && p[1] <= 'F')))) {
			memcpy(id, p - 63, 64);
			id[64] = '\0';
			return true;
		}
	}
	return false;
}

bool cgroup_container(char *text, char *id, size_t idlen, char *cgroup, size_t cglen)
{
	char *line, *next, *part, *end;

	id[0] = cgroup[0] = '\0';
	if (idlen < 65)
		return false;
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "0::", 3))
			break;
	}
	if (!line)
		return false;
	snprintf(cgroup, cglen, "%s", line + 3);
	/*
	 * The deepest part that names a container: crun with the systemd
	 * driver runs the container in a "container" sub-cgroup of its scope
	 * (libpod-ID.scope/container), and systemd in a container puts its
	 * services below the container's cgroup (ID/system.slice/...).
	 */
	for (end = line + 3 + strlen(line + 3); end > line + 3; end = part - 1) {
		for (part = end; part > line + 3 && part[-1] != '/'; part--)
			;
		if (id_in(part, end, id))
			return true;
		if (part == line + 3)
			break;
	}
	return false;
}
