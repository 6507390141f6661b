/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal reader of kernel BTF (/sys/kernel/btf/vmlinux) for the BPF
 * e2e suites: type ids by kind and name, member offsets. Header only, as
 * bpf_asm.h. The suites need a few ids (attach targets, kfuncs, the
 * struct a program casts to) and offsets; libbpf is not in the guest.
 */
#ifndef AIGUARD_TEST_BTF_MIN_H
#define AIGUARD_TEST_BTF_MIN_H

#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BTF_PATH	"/sys/kernel/btf/vmlinux"

struct btf {
	char *raw;
	const char *strs;
	uint32_t str_len;
	const struct btf_type **types;	/* by id; [0] is void */
	uint32_t n;
};

/* Bytes a type takes in the type section (0: unknown kind). */
static inline size_t btf_type_len(const struct btf_type *t)
{
	size_t vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		return sizeof(*t) + sizeof(uint32_t);
	case BTF_KIND_ARRAY:
		return sizeof(*t) + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return sizeof(*t) + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return sizeof(*t) + vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return sizeof(*t) + vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(*t) + sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return sizeof(*t) + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(*t) + sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return sizeof(*t) + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return sizeof(*t);
	}
	return 0;
}

/* Reads and indexes a BTF blob; 0, or -1 with errno (EINVAL: malformed). */
static inline int btf_load(struct btf *b, const char *path)
{
	const struct btf_header *h;
	size_t len = 0, cap = 1 << 20, off, end;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	b->raw = malloc(cap);
	while (b->raw && (got = read(fd, b->raw + len, cap - len)) > 0) {
		len += got;
		if (len == cap)
			b->raw = realloc(b->raw, cap *= 2);
	}
	close(fd);
	if (!b->raw)
		return errno = ENOMEM, -1;
	h = (const struct btf_header *)b->raw;
	if (len < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > len ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > len ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > len || !h->str_len)
		return errno = EINVAL, -1;
	b->strs = b->raw + h->hdr_len + h->str_off;
	b->str_len = h->str_len;
	if (b->strs[b->str_len - 1])
		return errno = EINVAL, -1;
	off = h->hdr_len + h->type_off;
	end = off + h->type_len;
	for (b->n = 1; off < end; b->n++) {
		const struct btf_type *t = (const void *)(b->raw + off);
		size_t tl = end - off >= sizeof(*t) ? btf_type_len(t) : 0;

		if (!tl || tl > end - off)
			return errno = EINVAL, -1;
		if (!(b->n & (b->n - 1)))	/* grow at powers of two */
			b->types = realloc(b->types, 2 * b->n * sizeof(*b->types));
		if (!b->types)
			return errno = ENOMEM, -1;
		b->types[b->n] = t;
		off += tl;
	}
	return 0;
}

static inline const char *btf_str(const struct btf *b, uint32_t off)
{
	return off < b->str_len ? b->strs + off : "";
}

/* The id of the first type of this kind and name, or -1. */
static inline int btf_find(const struct btf *b, int kind, const char *name)
{
	uint32_t id;

	for (id = 1; id < b->n; id++)
		if ((int)BTF_INFO_KIND(b->types[id]->info) == kind &&
		    !strcmp(btf_str(b, b->types[id]->name_off), name))
			return (int)id;
	return -1;
}

/*
 * Byte offset of a member of struct/union @id, looked for in anonymous
 * structs and unions too; -1 if absent or a bitfield.
 */
static inline long btf_member_off(const struct btf *b, uint32_t id, const char *name, int depth)
{
	const struct btf_type *t;
	const struct btf_member *m;
	uint32_t i, bits;
	long sub;

	while (id && id < b->n && depth < 32) {
		t = b->types[id];
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			depth++;
			continue;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			break;
		default:
			return -1;
		}
		m = (const struct btf_member *)(t + 1);
		for (i = 0; i < BTF_INFO_VLEN(t->info); i++, m++) {
			bits = BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
			if (!m->name_off) {
				sub = btf_member_off(b, m->type, name, depth + 1);
				if (sub >= 0)
					return bits / 8 + sub;
			} else if (!strcmp(btf_str(b, m->name_off), name)) {
				if (bits % 8 || (BTF_INFO_KFLAG(t->info) &&
						 BTF_MEMBER_BITFIELD_SIZE(m->offset)))
					return -1;
				return bits / 8;
			}
		}
		return -1;
	}
	return -1;
}

#endif /* AIGUARD_TEST_BTF_MIN_H */
