// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard BPF: no BPF program reads a protected process's memory.
 *
 * BPF tracing programs read user memory through a handful of helpers
 * (bpf_probe_read_user() and friends). They run wherever they are attached:
 * inside kprobes, in tracepoints, in NMI for perf events. A kprobe on such a
 * helper would not do: a kprobe does not fire while another kprobe's
 * handler runs on the same CPU (it only counts a miss), and BPF kprobe
 * programs run inside one. That is exactly where it would leak.
 *
 * So the check goes into the program itself. Before any eBPF program can
 * run, the kernel hands it to bpf_prog_select_runtime() (the interpreter,
 * and the JIT for a program in one piece) and, for each subprogram the
 * verifier compiles itself, to bpf_int_jit_compile(). At both points the
 * verifier has resolved every helper call into an offset from
 * __bpf_call_base. aiguard (hooks.c) probes the entry of both and, here,
 * points every call to a helper that can reach user memory at a wrapper
 * with the same five-register convention. The wrapper asks lsm.c whether
 * the memory belongs to a protected process; if so it zeroes the output
 * and returns -EPERM, else it calls the kernel's helper.
 *
 * Why this cannot miss: both functions are called only from the bpf()
 * syscall, in process context, and may sleep (they allocate with
 * GFP_KERNEL); a kprobe handler runs with preemption off and never sleeps,
 * so no other kprobe is active on the CPU when they are entered, and our
 * probe on them always fires. Once rewritten, the check is part of the
 * program's code: nothing at run time can skip it. A program loaded before
 * aiguard is found once the probes are attached, and aiguard refuses to
 * load beside it. (One that was past bpf_prog_select_runtime() but not
 * yet listed at that moment, a load racing insmod, escapes the scan;
 * aiguard.service loads the module before anything else runs.)
 *
 * A rewritten program calls into this module, so every such program holds
 * a module reference, dropped when the kernel frees the program: aiguard
 * cannot be unloaded under a program that would jump into freed memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/filter.h>
#include <linux/module.h>
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/ibt.h>

#include "bpf.h"
#include "lsm.h"
#include "policy.h"
#include "sym.h"
#include "task.h"

typedef u64 (*aiguard_bpf_fn)(u64, u64, u64, u64, u64);

/* BPF_F_PAD_ZEROS of the 6.12 uapi, which 6.1's lacks. */
#define AIGUARD_BPF_PAD_ZEROS	BIT_ULL(0)

/*
 * How each helper family reaches user memory, and so which of its
 * arguments name the process, the output buffer and the flags.
 */
enum aiguard_bpf_kind {
	AIGUARD_BPF_K_CURRENT,		/* (dst, size, user_ptr): current's memory */
	AIGUARD_BPF_K_COMPAT,		/* as above, if user_ptr is a user address */
	AIGUARD_BPF_K_TASK,		/* (dst, size, user_ptr, task, flags) */
	AIGUARD_BPF_K_STACK,		/* (ctx, buf, size, flags): current's stack */
	AIGUARD_BPF_K_TASK_STACK,	/* (task, buf, size, flags) */
	AIGUARD_BPF_K_STACKID,		/* (ctx, map, flags): current's stack */
	AIGUARD_BPF_K_WRITE,		/* (user_ptr, src, size): current's memory */
	AIGUARD_BPF_K_PRINTF,		/* "%s" of a user address reads current's */
	AIGUARD_BPF_K_KFUNC_STR,	/* bpf_copy_from_user_str() kfunc */
};

/**
 * struct aiguard_bpf_helper - one kernel helper that can reach user memory
 * @name: its symbol
 * @kind: how it reaches user memory
 * @needed: whether this kernel must have it (else aiguard refuses to load)
 * @orig: its address, found at load time
 * @wrapper: what calls to it are pointed at
 */
struct aiguard_bpf_helper {
	const char *name;
	enum aiguard_bpf_kind kind;
	bool needed;
	aiguard_bpf_fn orig;
	aiguard_bpf_fn wrapper;
};

/* Helpers of kernel/trace/bpf_trace.c exist only with BPF_EVENTS. */
#define AIGUARD_TRACE	IS_ENABLED(CONFIG_BPF_EVENTS)
/*
 * Newer than 6.1 (6.12 has them): guarded where the kernel has them. A
 * kernel without them cannot call them either.
 */
#define AIGUARD_NEWER	false

static struct aiguard_bpf_helper aiguard_bpf_helpers[] = {
	{ "bpf_probe_read_user", AIGUARD_BPF_K_CURRENT, AIGUARD_TRACE },
	{ "bpf_probe_read_user_str", AIGUARD_BPF_K_CURRENT, AIGUARD_TRACE },
	{ "bpf_probe_read_compat", AIGUARD_BPF_K_COMPAT, AIGUARD_TRACE },
	{ "bpf_probe_read_compat_str", AIGUARD_BPF_K_COMPAT, AIGUARD_TRACE },
	{ "bpf_copy_from_user", AIGUARD_BPF_K_CURRENT, true },
	{ "bpf_copy_from_user_task", AIGUARD_BPF_K_TASK, true },
	{ "bpf_probe_write_user", AIGUARD_BPF_K_WRITE, AIGUARD_TRACE },
	{ "bpf_get_stack", AIGUARD_BPF_K_STACK, true },
	{ "bpf_get_stack_pe", AIGUARD_BPF_K_STACK, true },
	{ "bpf_get_stack_tp", AIGUARD_BPF_K_STACK, AIGUARD_TRACE },
	{ "bpf_get_stack_raw_tp", AIGUARD_BPF_K_STACK, AIGUARD_TRACE },
	{ "bpf_get_stack_sleepable", AIGUARD_BPF_K_STACK, AIGUARD_NEWER },
	{ "bpf_get_task_stack", AIGUARD_BPF_K_TASK_STACK, true },
	{ "bpf_get_task_stack_sleepable", AIGUARD_BPF_K_TASK_STACK, AIGUARD_NEWER },
	{ "bpf_get_stackid", AIGUARD_BPF_K_STACKID, true },
	{ "bpf_get_stackid_pe", AIGUARD_BPF_K_STACKID, true },
	{ "bpf_get_stackid_tp", AIGUARD_BPF_K_STACKID, AIGUARD_TRACE },
	{ "bpf_get_stackid_raw_tp", AIGUARD_BPF_K_STACKID, AIGUARD_TRACE },
	{ "bpf_trace_printk", AIGUARD_BPF_K_PRINTF, AIGUARD_TRACE },
	{ "bpf_trace_vprintk", AIGUARD_BPF_K_PRINTF, AIGUARD_TRACE },
	{ "bpf_seq_printf", AIGUARD_BPF_K_PRINTF, AIGUARD_TRACE },
	{ "bpf_snprintf", AIGUARD_BPF_K_PRINTF, true },
	{ "bpf_copy_from_user_str", AIGUARD_BPF_K_KFUNC_STR, AIGUARD_NEWER },
};

/*
 * Zero what the helper would have filled and say no. The verifier lets
 * programs pass uninitialised buffers to these helpers, so the output
 * must be written either way.
 */
static __always_inline bool aiguard_bpf_denied(struct task_struct *task,
					       enum aiguard_bpf_access what,
					       u64 buf, u64 size)
{
	if (likely(!aiguard_task_may_be_protected(task)))
		return false;
	if (!aiguard_bpf_access(task, what))
		return false;
	if (buf && size)
		memset((void *)(unsigned long)buf, 0, size);
	return true;
}

/* Whether one call must be refused; zeroes its output if so. */
static __always_inline bool aiguard_bpf_refused(enum aiguard_bpf_kind kind,
						u64 r1, u64 r2, u64 r3, u64 r4)
{
	switch (kind) {
	case AIGUARD_BPF_K_COMPAT:
		/* The helper's own test: above it, a kernel read (lockdown's). */
		if (r3 >= TASK_SIZE)
			return false;
		fallthrough;
	case AIGUARD_BPF_K_CURRENT:
	case AIGUARD_BPF_K_KFUNC_STR:
		return aiguard_bpf_denied(current, AIGUARD_BPF_READ, r1, r2);
	case AIGUARD_BPF_K_TASK:
		return aiguard_bpf_denied((struct task_struct *)(unsigned long)r4,
					  AIGUARD_BPF_READ_TASK, r1, r2);
	case AIGUARD_BPF_K_STACK:
		return (r4 & BPF_F_USER_STACK) &&
		       aiguard_bpf_denied(current, AIGUARD_BPF_STACK, r2, r3);
	case AIGUARD_BPF_K_TASK_STACK:
		return (r4 & BPF_F_USER_STACK) &&
		       aiguard_bpf_denied((struct task_struct *)(unsigned long)r1,
					  AIGUARD_BPF_STACK, r2, r3);
	case AIGUARD_BPF_K_STACKID:
		return (r3 & BPF_F_USER_STACK) &&
		       aiguard_bpf_denied(current, AIGUARD_BPF_STACK, 0, 0);
	case AIGUARD_BPF_K_WRITE:
		return aiguard_bpf_denied(current, AIGUARD_BPF_WRITE, 0, 0);
	case AIGUARD_BPF_K_PRINTF:
		return aiguard_bpf_denied(current, AIGUARD_BPF_PRINTF, 0, 0);
	}
	return true;
}

/*
 * The allowed path of the bpf_copy_from_user_str() kfunc, done here rather
 * than by calling the kernel's: a kfunc is only ever called directly, so
 * with IBT its ENDBR may be sealed and an indirect call to it would trap.
 * Same contract: at most @size - 1 bytes and a NUL, BPF_F_PAD_ZEROS zeroes
 * the tail (or all of @dst on a fault).
 */
static u64 aiguard_bpf_user_str(u64 r1, u64 r2, u64 r3, u64 r4)
{
	char *dst = (char *)(unsigned long)r1;
	u32 size = r2;
	long ret;

	if (r4 & ~(u64)AIGUARD_BPF_PAD_ZEROS)
		return (u64)-EINVAL;
	if (!size)
		return 0;
	ret = strncpy_from_user(dst, (const char __user *)(unsigned long)r3, size - 1);
	if (ret < 0) {
		if (r4 & AIGUARD_BPF_PAD_ZEROS)
			memset(dst, 0, size);
		return (u64)ret;
	}
	if (r4 & AIGUARD_BPF_PAD_ZEROS)
		memset(dst + ret, 0, size - ret);
	else
		dst[ret] = '\0';
	return ret + 1;
}

static __always_inline u64 aiguard_bpf_call(unsigned int i, u64 r1, u64 r2,
					    u64 r3, u64 r4, u64 r5)
{
	const struct aiguard_bpf_helper *h = &aiguard_bpf_helpers[i];

	if (unlikely(aiguard_bpf_refused(h->kind, r1, r2, r3, r4)))
		return (u64)-EPERM;
	if (h->kind == AIGUARD_BPF_K_KFUNC_STR)
		return aiguard_bpf_user_str(r1, r2, r3, r4);
	return h->orig(r1, r2, r3, r4, r5);
}

/* One wrapper per table row: the row is a constant in each. */
#define AIGUARD_BPF_WRAPPER(i)						\
static u64 aiguard_bpf_w##i(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)	\
{									\
	return aiguard_bpf_call(i, r1, r2, r3, r4, r5);			\
}

AIGUARD_BPF_WRAPPER(0)
AIGUARD_BPF_WRAPPER(1)
AIGUARD_BPF_WRAPPER(2)
AIGUARD_BPF_WRAPPER(3)
AIGUARD_BPF_WRAPPER(4)
AIGUARD_BPF_WRAPPER(5)
AIGUARD_BPF_WRAPPER(6)
AIGUARD_BPF_WRAPPER(7)
AIGUARD_BPF_WRAPPER(8)
AIGUARD_BPF_WRAPPER(9)
AIGUARD_BPF_WRAPPER(10)
AIGUARD_BPF_WRAPPER(11)
AIGUARD_BPF_WRAPPER(12)
AIGUARD_BPF_WRAPPER(13)
AIGUARD_BPF_WRAPPER(14)
AIGUARD_BPF_WRAPPER(15)
AIGUARD_BPF_WRAPPER(16)
AIGUARD_BPF_WRAPPER(17)
AIGUARD_BPF_WRAPPER(18)
AIGUARD_BPF_WRAPPER(19)
AIGUARD_BPF_WRAPPER(20)
AIGUARD_BPF_WRAPPER(21)
AIGUARD_BPF_WRAPPER(22)

static const aiguard_bpf_fn aiguard_bpf_wrappers[] = {
	aiguard_bpf_w0, aiguard_bpf_w1, aiguard_bpf_w2, aiguard_bpf_w3,
	aiguard_bpf_w4, aiguard_bpf_w5, aiguard_bpf_w6, aiguard_bpf_w7,
	aiguard_bpf_w8, aiguard_bpf_w9, aiguard_bpf_w10, aiguard_bpf_w11,
	aiguard_bpf_w12, aiguard_bpf_w13, aiguard_bpf_w14, aiguard_bpf_w15,
	aiguard_bpf_w16, aiguard_bpf_w17, aiguard_bpf_w18, aiguard_bpf_w19,
	aiguard_bpf_w20, aiguard_bpf_w21, aiguard_bpf_w22,
};

static_assert(ARRAY_SIZE(aiguard_bpf_wrappers) == ARRAY_SIZE(aiguard_bpf_helpers));

/* A call instruction's target, as the interpreter and the JITs read it. */
static unsigned long aiguard_bpf_target(const struct bpf_insn *insn)
{
	return (unsigned long)__bpf_call_base + insn->imm;
}

static bool aiguard_bpf_is_call(const struct bpf_insn *insn)
{
	/* Helper (src_reg 0) or kfunc; BPF-to-BPF calls name a subprogram. */
	return insn->code == (BPF_JMP | BPF_CALL) &&
	       insn->src_reg != BPF_PSEUDO_CALL;
}

/*
 * Returns the number of calls to our wrappers in @prog after pointing
 * every call to a guarded helper at its wrapper.
 */
static unsigned int aiguard_bpf_rewrite(struct bpf_prog *prog)
{
	unsigned int i, j, wrapped = 0;
	struct bpf_insn *insn;
	unsigned long target;

	for (i = 0; i < prog->len; i++) {
		insn = &prog->insnsi[i];
		if (!aiguard_bpf_is_call(insn))
			continue;
		target = aiguard_bpf_target(insn);
		for (j = 0; j < ARRAY_SIZE(aiguard_bpf_helpers); j++) {
			const struct aiguard_bpf_helper *h = &aiguard_bpf_helpers[j];

			if (h->orig && target == (unsigned long)h->orig)
				insn->imm = (long)h->wrapper - (long)__bpf_call_base;
			else if (target != (unsigned long)h->wrapper)
				continue;
			wrapped++;
			break;
		}
	}
	return wrapped;
}

/**
 * aiguard_bpf_jit - point a (sub)program's user-memory helper calls at ours
 * @prog: what bpf_int_jit_compile() is about to compile
 *
 * Called at entry of bpf_int_jit_compile(), process context. The module
 * reference is taken for the whole program in aiguard_bpf_select().
 */
void aiguard_bpf_jit(struct bpf_prog *prog)
{
	aiguard_bpf_rewrite(prog);
}

/**
 * aiguard_bpf_select - the same for a whole program, before it can run
 * @prog: what bpf_prog_select_runtime() was given
 *
 * Called at entry of bpf_prog_select_runtime(), process context. A program
 * that now calls into this module pins it until the program is freed.
 *
 * Return: 0, or -EBUSY if the module is on its way out: the load must
 * fail, since the program could outlive the wrappers.
 */
int aiguard_bpf_select(struct bpf_prog *prog)
{
	if (!aiguard_bpf_rewrite(prog))
		return 0;
	return try_module_get(THIS_MODULE) ? 0 : -EBUSY;
}

/* The vmlinux BTF id of the bpf_rdonly_cast kfunc; 0 where there is none. */
static s32 aiguard_bpf_rdonly_cast_id;

/*
 * Unchecked readers: programs whose loads reach kernel memory that no
 * check of aiguard's sees, because they pass no helper: they call
 * bpf_rdonly_cast, or read past the end of a kernel struct (below). One
 * loaded while nothing was protected keeps running after a process is
 * protected, reading its pages; so while one lives, protecting is refused
 * (aiguard_bpf_protect_begin()). Each is listed by its bpf_prog_aux, which
 * stays the same while the verifier reallocates the program, until
 * bpf_prog_free_deferred() (aiguard_bpf_free()), which every program,
 * loaded or failed, goes through.
 *
 * The gate between a load and a protect request racing it is Dekker's:
 * each counts itself in, then (after a full barrier) reads the other's
 * count, so of the two at least one sees the other and stops. A protect
 * request counts itself out only after its registry entry is visible.
 */
struct aiguard_bpf_unchecked {
	struct list_head node;
	const struct bpf_prog_aux *aux;
};

static LIST_HEAD(aiguard_bpf_unchecked);
static DEFINE_SPINLOCK(aiguard_bpf_unchecked_lock);
static atomic_t aiguard_bpf_nr_unchecked_progs = ATOMIC_INIT(0);
static atomic_t aiguard_bpf_protecting = ATOMIC_INIT(0);

static struct aiguard_bpf_unchecked *aiguard_bpf_unchecked_find(const struct bpf_prog_aux *aux)
{
	struct aiguard_bpf_unchecked *u;

	lockdep_assert_held(&aiguard_bpf_unchecked_lock);
	list_for_each_entry(u, &aiguard_bpf_unchecked, node)
		if (u->aux == aux)
			return u;
	return NULL;
}

static void aiguard_bpf_unchecked_del(const struct bpf_prog_aux *aux)
{
	struct aiguard_bpf_unchecked *u;

	spin_lock(&aiguard_bpf_unchecked_lock);
	u = aiguard_bpf_unchecked_find(aux);
	if (u)
		list_del(&u->node);
	spin_unlock(&aiguard_bpf_unchecked_lock);
	if (u) {
		atomic_dec(&aiguard_bpf_nr_unchecked_progs);
		kfree(u);
	}
}

/*
 * A program being verified (@aux) reads unchecked (@detail, an
 * AIGUARD_BPF_* value): list it, or refuse it if anything is protected or
 * being protected. Atomic context (kprobe handlers).
 */
static int aiguard_bpf_gate(const struct bpf_prog_aux *aux, u32 detail)
{
	struct aiguard_bpf_unchecked *u, *old;
	bool protecting;
	int err;

	u = kmalloc(sizeof(*u), GFP_ATOMIC);
	if (!u)
		return -ENOMEM;
	u->aux = aux;
	spin_lock(&aiguard_bpf_unchecked_lock);
	old = aiguard_bpf_unchecked_find(aux);
	if (!old)
		list_add(&u->node, &aiguard_bpf_unchecked);
	spin_unlock(&aiguard_bpf_unchecked_lock);
	if (old) {
		/* let in before: any protect request since was refused */
		kfree(u);
		return 0;
	}
	atomic_inc(&aiguard_bpf_nr_unchecked_progs);
	/* counted in before reading the protect count: see the gate above */
	smp_mb__after_atomic();
	protecting = atomic_read(&aiguard_bpf_protecting);
	/*
	 * The protect count before the registry: a request that has counted
	 * itself out has its entry visible (aiguard_bpf_protect_end()).
	 */
	smp_rmb();
	err = aiguard_bpf_load(detail, protecting || aiguard_secrets_held());
	if (err)
		aiguard_bpf_unchecked_del(aux);
	return err;
}

/**
 * aiguard_bpf_verify - a program is about to be verified
 * @prog: what bpf_check() was given: the user's instructions
 *
 * bpf_rdonly_cast (6.2+) turns a number into a typed pointer whose loads
 * the verifier lets through as exception-fixed plain loads, and then
 * replaces the call itself with a register move: once verified, nothing
 * of it is left to point at a wrapper, and its reads of the direct map
 * pass no helper. So it is looked for here, before verification, as a
 * kfunc call naming it in vmlinux's BTF (off 0: not a module's). Called
 * at entry of bpf_check(), process context, from a kprobe handler.
 *
 * Return: 0; -EPERM to refuse a program that calls it while anything is
 * protected or being protected; -ENOMEM if it cannot be listed.
 */
int aiguard_bpf_verify(struct bpf_prog *prog)
{
	const struct bpf_insn *insn;
	unsigned int i;

	if (!aiguard_bpf_rdonly_cast_id)
		return 0;
	for (i = 0; i < prog->len; i++) {
		insn = &prog->insnsi[i];
		if (insn->code == (BPF_JMP | BPF_CALL) &&
		    insn->src_reg == BPF_PSEUDO_KFUNC_CALL && !insn->off &&
		    insn->imm == aiguard_bpf_rdonly_cast_id)
			return aiguard_bpf_gate(prog->aux, AIGUARD_BPF_RDONLY_CAST);
	}
	return 0;
}

/**
 * aiguard_bpf_struct_access - the verifier checks a load through a typed kernel pointer
 * @env: the verifier's environment
 * @t: the struct the pointer points to
 * @off: the load's offset from its start
 * @size: the load's size
 *
 * A struct whose last member is a flexible array may be read past its
 * end at any constant offset the verifier accepts on a pointer (up to
 * 512 MiB), and such loads, like every load through a typed pointer, are
 * plain loads fixed up on a fault: from a struct in the direct map (an
 * mm_struct, a cgroup) a program reaches the pages beside it, a
 * protected process's among them, with no helper. Called at entry of
 * btf_struct_access(), during verification (process context, a kprobe
 * handler).
 *
 * Return: 0, or the gate's refusal of such a load (aiguard_bpf_gate()).
 */
int aiguard_bpf_struct_access(struct bpf_verifier_env *env, const struct btf_type *t,
			      int off, int size)
{
	if (!t || !aiguard_policy_past_struct(off, size, t->size))
		return 0;
	return aiguard_bpf_gate(env->prog->aux, AIGUARD_BPF_PAST_STRUCT);
}

/**
 * aiguard_bpf_protect_begin - a process is about to be protected
 *
 * Process context; pairs with aiguard_bpf_protect_end() when it succeeds.
 *
 * Return: 0, or -EBUSY while a program that reads kernel memory unchecked
 * is loaded: it could read the process's pages.
 */
int aiguard_bpf_protect_begin(void)
{
	atomic_inc(&aiguard_bpf_protecting);
	/* counted in before reading the other count: see the gate above */
	smp_mb__after_atomic();
	if (!atomic_read(&aiguard_bpf_nr_unchecked_progs))
		return 0;
	atomic_dec(&aiguard_bpf_protecting);
	pr_warn_ratelimited("refusing to protect: %d loaded BPF program(s) read kernel memory unchecked (bpf_rdonly_cast, or past the end of a kernel struct)\n",
			    atomic_read(&aiguard_bpf_nr_unchecked_progs));
	return -EBUSY;
}

/**
 * aiguard_bpf_protect_end - the protect request is done, whatever its outcome
 */
void aiguard_bpf_protect_end(void)
{
	/* the registry entry, if any, before the count that lets loads in */
	smp_mb__before_atomic();
	atomic_dec(&aiguard_bpf_protecting);
}

/**
 * aiguard_bpf_nr_unchecked - loaded programs that read kernel memory unchecked
 *
 * Return: how many, of those loaded since aiguard was.
 */
unsigned int aiguard_bpf_nr_unchecked(void)
{
	return atomic_read(&aiguard_bpf_nr_unchecked_progs);
}

/**
 * aiguard_bpf_exit - forget the unchecked readers still loaded
 *
 * Called once no probe can run any more (hooks detached).
 */
void aiguard_bpf_exit(void)
{
	struct aiguard_bpf_unchecked *u, *next;

	list_for_each_entry_safe(u, next, &aiguard_bpf_unchecked, node) {
		list_del(&u->node);
		kfree(u);
	}
	atomic_set(&aiguard_bpf_nr_unchecked_progs, 0);
}

/*
 * The first helper of the table that @prog calls, through the kernel's
 * function (@wrapped false) or through our wrapper (@wrapped true).
 */
static const struct aiguard_bpf_helper *
aiguard_bpf_called(const struct bpf_prog *prog, bool wrapped)
{
	unsigned int i, j;

	for (i = 0; i < prog->len; i++) {
		const struct bpf_insn *insn = &prog->insnsi[i];

		if (!aiguard_bpf_is_call(insn))
			continue;
		for (j = 0; j < ARRAY_SIZE(aiguard_bpf_helpers); j++) {
			const struct aiguard_bpf_helper *h = &aiguard_bpf_helpers[j];
			aiguard_bpf_fn fn = wrapped ? h->wrapper : h->orig;

			if (fn && aiguard_bpf_target(insn) == (unsigned long)fn)
				return h;
		}
	}
	return NULL;
}

/**
 * aiguard_bpf_free - a program is being freed
 * @prog: the program, still whole
 *
 * Called at entry of bpf_prog_free_deferred() (a workqueue, process
 * context): drops the reference aiguard_bpf_select() took, if it took one,
 * and forgets it as an unchecked reader.
 */
void aiguard_bpf_free(struct bpf_prog *prog)
{
	if (atomic_read(&aiguard_bpf_nr_unchecked_progs))
		aiguard_bpf_unchecked_del(prog->aux);
	if (aiguard_bpf_called(prog, true))
		module_put(THIS_MODULE);
}

static int aiguard_bpf_resolve(void)
{
	struct aiguard_bpf_helper *h;
	unsigned long addr;
	long delta;
	int i;

	for (i = 0; i < ARRAY_SIZE(aiguard_bpf_helpers); i++) {
		h = &aiguard_bpf_helpers[i];
		h->wrapper = aiguard_bpf_wrappers[i];
		addr = aiguard_sym_addr(h->name);
		if (!addr) {
			if (!h->needed)
				continue;
			pr_err("refusing to load: BPF helper %s not found\n", h->name);
			return -ENOENT;
		}
		/* We call it by pointer; with IBT that needs its ENDBR. */
		if (h->kind != AIGUARD_BPF_K_KFUNC_STR &&
		    cpu_feature_enabled(X86_FEATURE_IBT) && !is_endbr(*(u32 *)addr)) {
			pr_err("refusing to load: BPF helper %s has no ENDBR, so aiguard cannot call it\n",
			       h->name);
			return -EOPNOTSUPP;
		}
		/* A call offset is 32 bits wide; modules sit within 2 GiB. */
		delta = (long)h->wrapper - (long)__bpf_call_base;
		if (delta != (s32)delta) {
			pr_err("refusing to load: %ps is out of BPF call range\n",
			       h->wrapper);
			return -ERANGE;
		}
		h->orig = (aiguard_bpf_fn)addr;
	}
	return 0;
}

/*
 * Programs loaded before aiguard were never rewritten: a tracer started
 * earlier would keep reading protected memory. Refuse to load beside one.
 */
static int aiguard_bpf_check_loaded(void)
{
	struct bpf_prog *(*next)(u32 *id);
	const struct aiguard_bpf_helper *helper;
	struct bpf_prog *prog;
	u32 id = 0;
	int err = 0;

	next = (void *)aiguard_sym_addr("bpf_prog_get_curr_or_next");
	if (!next) {
		if (!IS_ENABLED(CONFIG_BPF_SYSCALL))
			return 0;
		pr_err("refusing to load: cannot list loaded BPF programs\n");
		return -ENOENT;
	}
	while ((prog = next(&id))) {
		helper = aiguard_bpf_called(prog, false);
		if (helper) {
			pr_err("refusing to load: BPF program %u (%s), loaded before aiguard, calls %s; unload it, or load aiguard first\n",
			       id, prog->aux->name, helper->name);
			err = -EBUSY;
		}
		bpf_prog_put(prog);
		id++;
	}
	return err;
}

/**
 * aiguard_bpf_init - find the helpers to guard
 *
 * Called before the probes that rewrite programs are attached.
 *
 * Return: 0, or a negative errno with the reason in the kernel log.
 */
int aiguard_bpf_init(void)
{
	int err;

	might_sleep();
	err = aiguard_bpf_resolve();
	if (err || !aiguard_sym_addr("bpf_rdonly_cast"))
		return err;
	aiguard_bpf_rdonly_cast_id = aiguard_sym_btf_func("bpf_rdonly_cast");
	if (aiguard_bpf_rdonly_cast_id <= 0) {
		pr_err("refusing to load: bpf_rdonly_cast has no BTF id (error %d): programs could read protected memory through it\n",
		       aiguard_bpf_rdonly_cast_id);
		return aiguard_bpf_rdonly_cast_id ?: -ENOENT;
	}
	return 0;
}

/**
 * aiguard_bpf_check - refuse to run beside programs that escaped rewriting
 *
 * Called once the rewriting probes are attached: every program loaded
 * from then on is rewritten, so what is listed now is all there is.
 *
 * Return: 0, or -EBUSY with each such program named in the kernel log.
 */
int aiguard_bpf_check(void)
{
	might_sleep();
	return aiguard_bpf_check_loaded();
}
