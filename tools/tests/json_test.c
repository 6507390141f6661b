// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of the tool's JSON writer (../json.c): escaping, UTF-8
 * checking, commas and nesting. Exits 1 and says what differs if any
 * case fails. With an argument, prints every byte 0x01..0xff as one JSON
 * string instead (run.sh checks it with python3).
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const struct { const char *in, *out; } strings[] = {
	{ "plain", "\"plain\"" },
	{ "", "\"\"" },
	{ "a\"b\\c/d", "\"a\\\"b\\\\c/d\"" },
	{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
	{ "\x01\x1b\x1f\x7f", "\"\\u0001\\u001b\\u001f\\u007f\"" },
	{ "\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e", "\"\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\"" },
	{ "\xc0\x80", "\"\\ufffd\\ufffd\"" },			/* overlong NUL */
	{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },	/* overlong '/' */
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate */
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
	{ "\xf5\xff\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "x\xe2\x82", "\"x\\ufffd\\ufffd\"" },			/* cut short */
	{ "\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"" },		/* cut short */
	{ "\xc3", "\"\\ufffd\"" },
};

static char *render(void (*write)(struct json *j, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	if (!f)
		exit(2);
	json_init(&j, f);
	write(&j, arg);
	fclose(f);
	return buf;
}

static void write_string(struct json *j, const void *s)
{
	json_str(j, s);
}

static void write_document(struct json *j, const void *arg)
{
	(void)arg;
	json_object_begin(j);
	json_kint(j, "a", -1);
	json_key(j, "b");
	json_array_begin(j);
	json_bool(j, true);
	json_bool(j, false);
	json_null(j);
	json_u64(j, UINT64_MAX);
	json_array_end(j);
	json_key(j, "c");
	json_object_begin(j);
	json_object_end(j);
	json_key(j, "d");
	json_list_begin(j, 2, "d");
	json_object_begin(j);
	json_kstr(j, "k\"", "v");
	json_object_end(j);
	json_array_begin(j);
	json_array_end(j);
	json_list_end(j);
	json_kbool(j, "e", true);
	json_object_end(j);
}

static const char document[] =
	"{\"a\":-1,\"b\":[true,false,null,18446744073709551615],\"c\":{},"
	"\"d\":{\"total\":2,\"d\":[{\"k\\\"\":\"v\"},[]]},\"e\":true}\n";

static int check(const char *what, char *got, const char *want)
{
	int bad = strcmp(got, want) != 0;

	if (bad)
		printf("%s:\n  got  %s\n  want %s\n", what, got, want);
	free(got);
	return bad;
}

int main(int argc, char **argv)
{
	int fails = 0;

	(void)argv;
	if (argc > 1) {
		char all[256];

		for (int i = 1; i < 256; i++)
			all[i - 1] = (char)i;
		all[255] = '\0';
		fputs(render(write_string, all), stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		fails += check(strings[i].out, render(write_string, strings[i].in),
			       strings[i].out);
	fails += check("document", render(write_document, NULL), document);
	return fails ? 1 : 0;
}
