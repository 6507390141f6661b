/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny BPF assembler and bpf(2) wrappers, shared by the BPF e2e suites
 * (t_bpf, t_bpf_btf, t_uprobe) and the bench. Header only, so that the
 * bench, which does not link the e2e library, can use it too.
 *
 * The tests write their programs as instructions rather than C for
 * clang: the guest has no compiler for BPF, and a few dozen instructions
 * say exactly which helper is called with which arguments.
 */
#ifndef AIGUARD_TEST_BPF_ASM_H
#define AIGUARD_TEST_BPF_ASM_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_REG(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD64_IMM(d, i)		INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define MOD64_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOD | BPF_K, d, 0, 0, i)
#define RSH64_IMM(d, i)		INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define LSH64_IMM(d, i)		INSN(BPF_ALU64 | BPF_LSH | BPF_K, d, 0, 0, i)
#define ARSH64_IMM(d, i)	INSN(BPF_ALU64 | BPF_ARSH | BPF_K, d, 0, 0, i)
#define LDX(sz, d, s, o)	INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o)	INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_IMM(sz, d, o, i)	INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define ATOMIC_ADD64(d, s, o)	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define JNE_REG(d, s, o)	INSN(BPF_JMP | BPF_JNE | BPF_X, d, s, o, 0)
#define JEQ_IMM(d, i, o)	INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define CALL(f)			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define KFUNC_CALL(id)		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* 64-bit immediates take two instructions; the second holds bits 63..32. */
#define LD_MAP_FD(d, fd)	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)
#define LD_IMM64_LO(d, v)	INSN(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (int32_t)(uint64_t)(v))
#define LD_IMM64_HI_OF(v)	INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define LD_IMM64_HI()		LD_IMM64_HI_OF(0)

static inline long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* A map of type t with 4-byte keys. Returns its fd, or -1 with errno. */
static inline int bpf_map(uint32_t t, uint32_t value_size, uint32_t max_entries)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = t;
	a.key_size = 4;
	a.value_size = value_size;
	a.max_entries = max_entries;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static inline int bpf_array(uint32_t value_size, uint32_t max_entries)
{
	return bpf_map(BPF_MAP_TYPE_ARRAY, value_size, max_entries);
}

static inline int bpf_hash(uint32_t value_size, uint32_t max_entries)
{
	return bpf_map(BPF_MAP_TYPE_HASH, value_size, max_entries);
}

/*
 * BPF_MAP_LOOKUP_ELEM or BPF_MAP_UPDATE_ELEM (BPF_ANY) of entry key of a
 * map with 4-byte keys.
 */
static inline int bpf_elem(int cmd, int map, uint32_t key, void *value)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = map;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)value;
	return (int)sys_bpf(cmd, &a);
}

/*
 * Emits at p: r0 = the value of element 0 of map (NULL if none), through a
 * key on the stack at r10-4. Clobbers r1, r2. Returns the instructions
 * written (6).
 */
static inline int bpf_emit_lookup0(struct bpf_insn *p, int map)
{
	int n = 0;

	p[n++] = ST_IMM(BPF_W, BPF_REG_10, -4, 0);
	p[n++] = LD_MAP_FD(BPF_REG_1, map);
	p[n++] = LD_IMM64_HI();
	p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_10);
	p[n++] = ADD64_IMM(BPF_REG_2, -4);
	p[n++] = CALL(BPF_FUNC_map_lookup_elem);
	return n;
}

/*
 * Loads p[0..n) as a GPL program. a carries what is particular to the
 * program (prog_type, expected_attach_type, attach_btf_id, prog_flags)
 * and is zero elsewhere; log (may be NULL) receives the verifier's log.
 * Returns the program's fd, or -1 with errno.
 */
static inline int bpf_load(union bpf_attr *a, const struct bpf_insn *p, int n,
			   char *log, size_t log_size)
{
	a->insns = (uintptr_t)p;
	a->insn_cnt = n;
	a->license = (uintptr_t)"GPL";
	if (log) {
		log[0] = '\0';
		a->log_buf = (uintptr_t)log;
		a->log_size = log_size;
		a->log_level = 1;
	}
	return (int)sys_bpf(BPF_PROG_LOAD, a);
}

#endif /* AIGUARD_TEST_BPF_ASM_H */
