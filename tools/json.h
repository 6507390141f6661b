/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard(8) - a small JSON writer for --json output.
 *
 * Commas are placed automatically: inside an object, call json_key()
 * before each value; inside an array, write the values. Closing the
 * outermost object or array ends the line, so every document is one line.
 */
#ifndef AIGUARD_JSON_H
#define AIGUARD_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX	16

struct json {
	FILE *f;
	unsigned int depth;		/* open objects and arrays */
	bool after_key;			/* a value completes the key just written */
	bool used[JSON_DEPTH_MAX];	/* the container at depth i has members */
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_int(struct json *j, long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* "key":value in an object. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_ku64(struct json *j, const char *key, uint64_t v);
void json_kint(struct json *j, const char *key, long long v);
void json_kbool(struct json *j, const char *key, bool v);

/* {"total":N,"<key>":[ ... ]}: the shape of "list" and "grants". */
void json_list_begin(struct json *j, uint64_t total, const char *key);
void json_list_end(struct json *j);

#endif /* AIGUARD_JSON_H */
