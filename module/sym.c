// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard sym: finding what the kernel does not export.
 *
 * kallsyms_lookup_name() itself is not exported (since 5.7); a kprobe on
 * it tells where it is, and it tells the rest. With IBT the kprobe sits
 * after the function's ENDBR, which an indirect call must land on.
 *
 * A function's extent (first byte and length) comes from the symbol
 * table too: sprint_symbol() prints "name+off/size". Extents let a caller
 * recognise a function among the return addresses of a stack, which is
 * how aiguard tells apart two callers of one kernel path that the kernel
 * does not tell apart itself (hooks.c: namespace joins; mem.c: which
 * page-table invalidations free the pages).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/btf.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/ibt.h>

#include "sym.h"

static unsigned long (*aiguard_sym_lookup)(const char *name);

/**
 * aiguard_sym_init - find kallsyms_lookup_name()
 *
 * Return: 0, or the kprobe error with the reason in the kernel log.
 */
int aiguard_sym_init(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	int err;

	might_sleep();
	err = register_kprobe(&kp);
	if (err) {
		pr_err("refusing to load: cannot find kallsyms_lookup_name (kprobe error %d)\n",
		       err);
		return err;
	}
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	if (ENDBR_INSN_SIZE && is_endbr(*(u32 *)(addr - ENDBR_INSN_SIZE)))
		addr -= ENDBR_INSN_SIZE;
	aiguard_sym_lookup = (void *)addr;
	return 0;
}

/**
 * aiguard_sym_addr - the address of a kernel symbol
 * @name: a function or variable, as kallsyms names it
 *
 * Call after aiguard_sym_init() succeeded.
 *
 * Return: its address, or 0 if the kernel has no such symbol.
 */
unsigned long aiguard_sym_addr(const char *name)
{
	return aiguard_sym_lookup(name);
}

/**
 * aiguard_sym_extent - where a kernel function starts and how long it is
 * @name: the function
 * @start: out: its first byte
 * @size: out: its length in bytes
 *
 * Return: whether both were found.
 */
bool aiguard_sym_extent(const char *name, unsigned long *start, unsigned long *size)
{
	unsigned long addr = aiguard_sym_addr(name), off;
	char *sym, *slash, *plus;
	bool ok = false;

	might_sleep();
	if (!addr)
		return false;
	sym = kmalloc(KSYM_SYMBOL_LEN, GFP_KERNEL);
	if (!sym)
		return false;
	sprint_symbol(sym, addr);
	slash = strrchr(sym, '/');
	plus = strrchr(sym, '+');
	if (slash && plus && plus < slash) {
		*slash = '\0';
		ok = !kstrtoul(slash + 1, 16, size) && !kstrtoul(plus + 1, 16, &off) &&
		     off <= addr;
	}
	kfree(sym);
	if (ok)
		*start = addr - off;
	return ok;
}

/*
 * Bytes that follow a btf_type of this kind and vlen (uapi/linux/btf.h;
 * the kinds are an enum, so every one must be named here: one missed
 * would put every id after its first type off).
 */
static ssize_t aiguard_btf_extra(unsigned int kind, unsigned int vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;	/* a kind newer than this module: cannot walk on */
	}
}

/* The id of the FUNC named @name in the BTF blob @data of @len bytes. */
static s32 aiguard_btf_find_func(const u8 *data, size_t len, const char *name)
{
	const struct btf_header *h = (const void *)data;
	const struct btf_type *t;
	size_t off, end, types, strs;
	const char *str;
	s32 id = 1;

	if (len < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > len)
		return -EINVAL;
	types = h->hdr_len + h->type_off;
	strs = h->hdr_len + h->str_off;
	if (types + h->type_len > len || strs + h->str_len > len || !h->str_len)
		return -EINVAL;
	str = (const char *)data + strs;
	if (str[h->str_len - 1])
		return -EINVAL;	/* the last name would run off the end */
	end = types + h->type_len;
	for (off = types; off + sizeof(*t) <= end; id++) {
		ssize_t extra;

		t = (const void *)(data + off);
		if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC && t->name_off < h->str_len &&
		    !strcmp(str + t->name_off, name))
			return id;
		extra = aiguard_btf_extra(BTF_INFO_KIND(t->info), BTF_INFO_VLEN(t->info));
		if (extra < 0)
			return -EINVAL;
		off += sizeof(*t) + extra;
	}
	return -ENOENT;
}

/**
 * aiguard_sym_btf_func - the id vmlinux's BTF gives a function
 * @name: the function (a kfunc, for instance)
 *
 * Reads /sys/kernel/btf/vmlinux, the kernel's own BTF, as libbpf does.
 *
 * Return: the id (> 0), or a negative errno.
 */
s32 aiguard_sym_btf_func(const char *name)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	size_t len;
	s32 id;
	u8 *buf;

	might_sleep();
	f = filp_open("/sys/kernel/btf/vmlinux", O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	len = i_size_read(file_inode(f));
	buf = len && len < (256UL << 20) ? vmalloc(len) : NULL;
	id = buf ? 0 : -ENOMEM;
	while (buf && pos < len) {
		n = kernel_read(f, buf + pos, len - pos, &pos);
		if (n <= 0) {
			id = n ? (s32)n : -EIO;
			break;
		}
	}
	filp_close(f, NULL);
	if (!id)
		id = aiguard_btf_find_func(buf, len, name);
	vfree(buf);
	return id;
}

/**
 * aiguard_sites_init - resolve the extents of @n sites
 * @sites: their names; start and size are filled in
 * @n: how many
 *
 * Return: whether every one was found. A site not found keeps start 0
 * and is never matched.
 */
bool aiguard_sites_init(struct aiguard_site *sites, unsigned int n)
{
	bool all = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!aiguard_sym_extent(sites[i].name, &sites[i].start, &sites[i].size)) {
			sites[i].start = 0;
			sites[i].size = 0;
			all = false;
		}
	}
	return all;
}

/**
 * aiguard_site_on_stack - whether a stack passes through one of @sites
 * @trace: return addresses, as stack_trace_save() gives them
 * @depth: how many
 * @sites: resolved sites
 * @n: how many sites
 *
 * A return address points into the caller's body, never at its first
 * byte, so it lies strictly inside the caller's extent.
 *
 * Return: true if some return address lies in some site.
 */
bool aiguard_site_on_stack(const unsigned long *trace, unsigned int depth,
			   const struct aiguard_site *sites, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < depth; i++)
		for (j = 0; j < n; j++)
			if (sites[j].start && trace[i] - sites[j].start < sites[j].size)
				return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(aiguard_site_on_stack);
