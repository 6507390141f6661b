/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels aiguard supports lives here, so the
 * rest of the module reads as if there were one kernel.
 *
 * Supported: 6.1 and 6.12 (Debian bookworm), x86-64.
 */
#ifndef _AIGUARD_COMPAT_H
#define _AIGUARD_COMPAT_H

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/perf_event.h>
#include <linux/ptrace.h>
#include <linux/sched/coredump.h>
#include <linux/seq_file.h>
#include <linux/rmap.h>
#include <linux/string.h>
#include <asm/ibt.h>

#if !defined(CONFIG_X86_64)
#error "aiguard redirects kprobed functions with x86-64 pt_regs; port aiguard_kprobe_return()"
#endif

#if !IS_ENABLED(CONFIG_KPROBES)
#error "aiguard needs CONFIG_KPROBES"
#endif

/*
 * A uprobe breakpoint is written into an mm, and reclaim unmaps a folio
 * from an mm, not from a task: without memcg's mm->owner aiguard could not
 * tell whose memory it is, and would let it go.
 */
#if (IS_ENABLED(CONFIG_UPROBES) || IS_ENABLED(CONFIG_SWAP)) && !IS_ENABLED(CONFIG_MEMCG)
#error "aiguard needs CONFIG_MEMCG on kernels with CONFIG_UPROBES or CONFIG_SWAP"
#endif

/*
 * do_exit() calls cgroup_exit() after exit_mm(), exit_files(), exit_fs()
 * and exit_task_namespaces(): from there on the task hands out none of
 * its memory, descriptors, directories or namespaces through /proc. Same
 * order in 6.1 and 6.12. Without cgroups it is an empty inline.
 */
#if !IS_ENABLED(CONFIG_CGROUPS)
#error "aiguard needs CONFIG_CGROUPS: it sees a task's exit completed at cgroup_exit()"
#endif
#define AIGUARD_EXIT_DONE_SYMBOL	"cgroup_exit"

/*
 * mem.c follows protected address spaces with MMU notifiers (KVM and GPU
 * drivers select them; both Debian kernels have them).
 */
#if !IS_ENABLED(CONFIG_MMU_NOTIFIER)
#error "aiguard needs CONFIG_MMU_NOTIFIER: it clears protected memory before it is freed"
#endif

/*
 * The only callers of the MMU notifiers whose pages are freed once the
 * notifier returns (mem.c recognises them on the stack). unmap_vmas():
 * munmap(), mremap() shrinking, brk() shrinking, mmap(MAP_FIXED) over a
 * mapping and exit_mmap(), event MMU_NOTIFY_UNMAP (mremap()'s move is
 * UNMAP too, but from move_page_tables()). zap_page_range_single():
 * MADV_DONTNEED and MADV_DONTNEED_LOCKED, event MMU_NOTIFY_CLEAR (COW,
 * THP split and collapse, KSM, reclaim and migration are CLEAR too, and
 * keep the pages). Both are defined in mm/memory.c and called from other
 * files, so they always have frames of their own. The truncation of a
 * file zaps through zap_page_range_single() too, but may keep a private
 * mapping's copied pages (zap_details.even_cows): it always comes through
 * unmap_mapping_range(), _pages() or _folio(), exported, and is left
 * alone (mem.c). Same names in 6.1 and 6.12.
 */
#define AIGUARD_ZAP_UNMAP_SYMBOL	"unmap_vmas"
#define AIGUARD_ZAP_CLEAR_SYMBOL	"zap_page_range_single"

/**
 * aiguard_page_alone - whether a page found mapped in one address space is
 *                      mapped nowhere else
 * @page: the page, found through a page table entry of that space
 * @folio: its folio
 * @here: how many entries of that page table map pages of @folio
 *
 * 6.1's page_mapcount() counts the mappings of one page exactly (its own
 * and its compound page's). 6.12 has no per-page count; folio_mapcount()
 * counts every page table entry that maps any page of the folio, exactly,
 * so the folio is mapped nowhere else when that count is @here. (A large
 * folio whose pages straddle two page tables counts as shared: kept.)
 * The folio rmap API (folio_remove_rmap_pte(), a macro) tells the two
 * apart: 6.12 has it, 6.1 does not.
 *
 * Return: true if no other mapping could still use @page's contents.
 */
static inline bool aiguard_page_alone(struct page *page, struct folio *folio,
				      unsigned int here)
{
#ifdef folio_remove_rmap_pte
	return folio_mapcount(folio) == here;
#else
	return page_mapcount(page) == 1;
#endif
}

/**
 * aiguard_pidfd_pid - the struct pid a pidfd refers to
 * @file: any open file
 *
 * pidfd_pid() is not exported, so recognise a pidfd by where its inode
 * lives: 6.9+ keeps pidfds on pidfs (pid in i_private), older kernels use an
 * anonymous inode named "[pidfd]" (pid in private_data). Nothing in user
 * space can create a file that passes either test. PID_FS_MAGIC comes
 * with pidfs.
 *
 * Return: the pid, not referenced (valid while @file is), or
 * ERR_PTR(-EBADF) if @file is not a pidfd.
 */
static inline struct pid *aiguard_pidfd_pid(struct file *file)
{
	struct inode *inode = file_inode(file);

#ifdef PID_FS_MAGIC
	if (inode->i_sb->s_magic == PID_FS_MAGIC)
		return inode->i_private;
#else
	if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		return file->private_data;
#endif
	return ERR_PTR(-EBADF);
}

/**
 * aiguard_mm_disable_dump - make @mm non-dumpable
 * @mm: the address space
 *
 * set_dumpable() is not exported; it is this atomic update of the low
 * mm->flags bits, which ptrace, /proc ownership and do_coredump() read.
 */
static inline void aiguard_mm_disable_dump(struct mm_struct *mm)
{
	set_mask_bits(&mm->flags, MMF_DUMPABLE_MASK, SUID_DUMP_DISABLE);
}

#if !IS_ENABLED(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
#error "aiguard's ftrace_ops read arguments from ftrace_regs; port aiguard_fregs_pt()"
#endif

/**
 * aiguard_fregs_pt - what an ftrace_ops callback was given, as pt_regs
 * @fregs: the callback's last argument
 *
 * On x86-64 ftrace_regs is a pt_regs. Without FTRACE_OPS_FL_SAVE_REGS
 * ftrace fills in the argument registers, the stack pointer and the ip,
 * and returns to whatever ip the callback leaves there (as livepatch
 * relies on): enough for aiguard_kprobe_arg() of the first six arguments
 * and for aiguard_kprobe_return(). 6.12 wraps it in __arch_ftrace_regs.
 *
 * Return: the registers, never NULL.
 */
static __always_inline struct pt_regs *aiguard_fregs_pt(struct ftrace_regs *fregs)
{
#ifdef arch_ftrace_regs
	return &arch_ftrace_regs(fregs)->regs;
#else
	return &fregs->regs;
#endif
}

/**
 * aiguard_kprobe_arg - the Nth integer argument of a kprobed function
 * @regs: registers at function entry
 * @n: argument index, from 0
 */
static inline unsigned long aiguard_kprobe_arg(struct pt_regs *regs,
					       unsigned int n)
{
	return regs_get_kernel_argument(regs, n);
}

/**
 * aiguard_kprobe_return - make a kprobed function return at once
 * @regs: registers at function entry, as given to a kprobe pre-handler
 * @stub: a function with the probed function's signature that returns
 *        nothing or whatever the caller must see
 *
 * At entry the stack holds the caller's return address, so running @stub
 * in place of the probed function returns straight to the caller.
 * The pre-handler must then return 1 so that kprobes keeps the new ip
 * (Documentation/trace/kprobes.rst, "Changing Execution Path").
 */
static inline void aiguard_kprobe_return(struct pt_regs *regs, void *stub)
{
	instruction_pointer_set(regs, (unsigned long)stub);
}

#if IS_ENABLED(CONFIG_BPF_SYSCALL)
/*
 * btf_struct_access(log, ...), the verifier's check of a load through a
 * typed kernel pointer (fentry arguments, bpf_get_current_task_btf(),
 * their fields, a map pointer): 6.1 is given the struct's BTF type and the
 * offset; 6.12 the register, whose btf and btf_id name the type. The log
 * is the verifier environment's own in both. BPF_REG_TRUSTED_MODIFIERS
 * came with trusted pointers, after 6.1; the asserts make a kernel where
 * it does not go with the other signature fail to build, not misread.
 */
#ifdef BPF_REG_TRUSTED_MODIFIERS
static_assert(__same_type(&btf_struct_access,
			  int (*)(struct bpf_verifier_log *, const struct bpf_reg_state *,
				  int, int, enum bpf_access_type, u32 *,
				  enum bpf_type_flag *, const char **)));
#else
static_assert(__same_type(&btf_struct_access,
			  int (*)(struct bpf_verifier_log *, const struct btf *,
				  const struct btf_type *, int, int, enum bpf_access_type,
				  u32 *, enum bpf_type_flag *)));
#endif

/**
 * aiguard_btf_access_args - what btf_struct_access() was asked
 * @regs: registers at its entry
 * @env: the verifier environment
 * @off: the load's offset from the start of the struct
 * @size: its size
 *
 * Return: the struct's BTF type, or NULL.
 */
static inline const struct btf_type *aiguard_btf_access_args(struct pt_regs *regs,
							     struct bpf_verifier_env **env,
							     int *off, int *size)
{
	struct bpf_verifier_log *log = (void *)regs_get_kernel_argument(regs, 0);

	*env = container_of(log, struct bpf_verifier_env, log);
#ifdef BPF_REG_TRUSTED_MODIFIERS
	{
		const struct bpf_reg_state *reg = (void *)regs_get_kernel_argument(regs, 1);

		*off = (int)regs_get_kernel_argument(regs, 2);
		*size = (int)regs_get_kernel_argument(regs, 3);
		return btf_type_by_id(reg->btf, reg->btf_id);
	}
#else
	*off = (int)regs_get_kernel_argument(regs, 3);
	*size = (int)regs_get_kernel_argument(regs, 4);
	return (const struct btf_type *)regs_get_kernel_argument(regs, 2);
#endif
}
#endif /* CONFIG_BPF_SYSCALL */

/*
 * The delete_module syscall, through the x86-64 syscall wrappers: the
 * probed function gets the user registers, the module name is their first
 * argument. The ia32 entry exists only with IA32_EMULATION.
 */
#define AIGUARD_DELETE_MODULE_SYMBOL	"__x64_sys_delete_module"
#define AIGUARD_DELETE_MODULE32_SYMBOL	"__ia32_sys_delete_module"

/**
 * aiguard_syscall_arg - argument @n (0 or 1) of a syscall, from its user registers
 * @uregs: the registers the syscall wrapper was given
 * @n: 0 or 1
 * @ia32: whether it came through the 32-bit entry
 */
static inline unsigned long aiguard_syscall_arg(const struct pt_regs *uregs,
						unsigned int n, bool ia32)
{
	if (ia32)
		return n ? uregs->cx : uregs->bx;
	return n ? uregs->si : uregs->di;
}

/*
 * Perf's sample path (kernel/events/core.c): the user stack of
 * PERF_SAMPLE_STACK_USER is copied with arch_perf_out_copy_user(), which
 * x86 defines as copy_from_user_nmi() (arch/x86/lib/usercopy.c); every
 * register of PERF_SAMPLE_REGS_USER and _INTR is read through
 * perf_reg_value() (arch/x86/kernel/perf_regs.c). Both traceable, both
 * called out of line (6.1 and 6.12).
 */
#define AIGUARD_PERF_USER_COPY_SYMBOL	"copy_from_user_nmi"
#define AIGUARD_PERF_REG_SYMBOL		"perf_reg_value"

/*
 * The lock unloads kexec images through the kexec system calls themselves
 * (seal.c), as kexec-tools would: their x86-64 wrappers, called with
 * user registers that name nothing in user memory. A syscall wrapper is
 * in the syscall table, so it keeps its ENDBR under IBT.
 */
#define AIGUARD_KEXEC_FILE_LOAD_SYMBOL	"__x64_sys_kexec_file_load"
#define AIGUARD_KEXEC_LOAD_SYMBOL	"__x64_sys_kexec_load"

/**
 * aiguard_syscall_args - fill syscall registers for a call through a wrapper
 * @regs: zeroed registers
 * @a0: first argument
 * @a1: second
 * @a2: third
 * @a3: fourth
 * @a4: fifth
 */
static inline void aiguard_syscall_args(struct pt_regs *regs, unsigned long a0,
					unsigned long a1, unsigned long a2,
					unsigned long a3, unsigned long a4)
{
	regs->di = a0;
	regs->si = a1;
	regs->dx = a2;
	regs->r10 = a3;
	regs->r8 = a4;
}

/**
 * aiguard_indirect_callable - whether a kernel function may be called by pointer
 * @addr: its first byte
 *
 * With IBT enforced, an indirect call must land on an ENDBR; the kernel
 * seals (overwrites) those of functions it never calls by pointer.
 *
 * Return: true if a call through a pointer to @addr will not trap.
 */
static inline bool aiguard_indirect_callable(unsigned long addr)
{
	return !cpu_feature_enabled(X86_FEATURE_IBT) || is_endbr(*(u32 *)addr);
}

/* Core dumps start here in 6.1 and 6.12; 6.17 renamed it vfs_coredump(). */
#define AIGUARD_COREDUMP_SYMBOL "do_coredump"

/*
 * Every read of /proc/kcore (fs/proc/kcore.c, its proc_read_iter in 6.1
 * and 6.12: Debian's 6.1 has the iterator version too). Static, but the
 * proc_ops table takes its address, so it is never inlined away.
 */
#define AIGUARD_KCORE_READ_SYMBOL "read_kcore_iter"

/*
 * The write handler of debugfs kprobes/enabled (kernel/kprobes.c, static
 * but taken by address in its file_operations).
 */
#define AIGUARD_KPROBES_SWITCH_SYMBOL "write_enabled_file_bool"

/**
 * aiguard_mm_owner - the task that owns an address space
 * @mm: any mm
 *
 * Call under rcu_read_lock(). memcg keeps mm->owner pointing at a task
 * that uses @mm, handing it on when that task exits.
 *
 * Return: the owner, or NULL while @mm has none.
 */
static inline struct task_struct *aiguard_mm_owner(struct mm_struct *mm)
{
#if IS_ENABLED(CONFIG_MEMCG)
	return rcu_dereference(mm->owner);
#else
	return NULL;
#endif
}

/*
 * Files of /proc/PID that take the process's mm when opened and keep
 * using it, without asking again, for as long as they are open
 * (fs/proc/base.c, task_mmu.c). mem, environ, auxv and pagemap keep it
 * in ->private_data. maps, smaps, smaps_rollup and numa_maps are seq
 * files whose ->private is a struct proc_maps_private (fs/proc/internal.h,
 * not exported), which begins with inode, task, mm from 6.1 to 6.12.
 * hooks.c checks both on /proc/self at load and refuses to load if
 * either does not find the opener's own mm.
 */
struct aiguard_proc_maps_head {
	struct inode *inode;
	struct task_struct *task;
	struct mm_struct *mm;
};

/**
 * aiguard_proc_file_mm - the mm an open /proc/PID file was opened on
 * @file: a file whose f_op is one of those described above
 * @seq: whether it is one of the seq files
 *
 * Return: the mm (which the file holds with mmgrab()), or NULL when it
 * was opened on a process without one.
 */
static inline struct mm_struct *aiguard_proc_file_mm(struct file *file, bool seq)
{
	struct seq_file *m = file->private_data;

	if (!seq)
		return file->private_data;
	return ((struct aiguard_proc_maps_head *)m->private)->mm;
}

/*
 * Uprobes (kernel/events/uprobes.c, kernel/trace/): every breakpoint goes
 * through uprobe_write_opcode(); each uprobe interface hands hits to its
 * consumer handler, called by pointer (so never inlined) from
 * handler_chain(). trace_uprobe serves tracefs uprobe_events, perf probe -x,
 * the perf uprobe PMU and BPF programs attached through it; 6.6+ adds BPF
 * uprobe_multi links with consumers of their own.
 */
#define AIGUARD_UPROBE_WRITE_SYMBOL	"uprobe_write_opcode"
/*
 * handle_swbp() asks arch_uprobe_ignore() (a weak default in
 * kernel/events/uprobes.c on x86, so never inlined, with an ftrace call
 * site) right before handler_chain() runs the entry handlers of every
 * consumer; "ignore" makes it restart the task on the breakpoint's
 * address, running no handler. Same name, arguments and place in 6.1
 * and 6.12.
 */
#define AIGUARD_UPROBE_IGNORE_SYMBOL	"arch_uprobe_ignore"
/*
 * Return handlers run from handle_trampoline(), static in 6.1, with no
 * such question before them: their consumers are probed instead.
 */
#define AIGUARD_URETPROBE_HANDLER_SYMBOL "uretprobe_dispatcher"
#define AIGUARD_URETPROBE_MULTI_SYMBOL	"uprobe_multi_link_ret_handler"
/* Where the kernel has BPF uprobe_multi links (6.6+), it has that handler. */
#define AIGUARD_UPROBE_MULTI_FEATURE	"bpf_uprobe_multi_link_attach"

/**
 * aiguard_gup_one - get the page at @addr of @mm, like ptrace's access does
 * @mm: the address space, whose mmap lock the caller holds
 * @addr: a user address in it
 * @gup_flags: FOLL_* flags
 * @page: where the referenced page goes
 *
 * 6.5 dropped the vmas argument of get_user_pages_remote(). Nothing
 * defined marks that change, but 6.3 turned the FOLL_* macros into an enum:
 * 6.1 has the macros and the vmas argument, 6.12 neither. On 6.3 and 6.4,
 * which aiguard does not support, this fails to compile rather than
 * calling with the wrong arguments.
 *
 * Return: 1 with *@page referenced, or 0 or a negative errno.
 */
static inline long aiguard_gup_one(struct mm_struct *mm, unsigned long addr,
				   unsigned int gup_flags, struct page **page)
{
#ifdef FOLL_WRITE
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL, NULL);
#else
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL);
#endif
}

/*
 * Reclaim (mm/vmscan.c) writes an anonymous or shmem folio to swap only
 * once try_to_unmap() has taken it out of every page table; the rmap walk
 * calls this, by pointer, once per mapping vma. Its fourth argument is the
 * enum ttu_flags. Same name and arguments in 6.1 and 6.12.
 */
#define AIGUARD_SWAP_UNMAP_SYMBOL	"try_to_unmap_one"

/*
 * Migration (mm/migrate.c) and the split of an anonymous huge page
 * (mm/huge_memory.c) unmap through try_to_migrate(), whose rmap walk
 * calls this by pointer once per mapping vma, with the same arguments as
 * try_to_unmap_one(). Of its callers only the split passes TTU_SYNC
 * (6.1 and 6.12).
 */
#define AIGUARD_MIGRATE_UNMAP_SYMBOL	"try_to_migrate_one"

/*
 * The collapse of an anonymous mapping's small pages into a huge page
 * (mm/khugepaged.c), for khugepaged and MADV_COLLAPSE alike: static, but
 * called from both, so never inlined (6.1 and 6.12). Returns an enum
 * scan_result whose SCAN_FAIL is 0.
 */
#define AIGUARD_COLLAPSE_SYMBOL		"hpage_collapse_scan_pmd"

/*
 * A task's per-task perf events hang off its perf context(s): an array of
 * two (hardware, software) before 6.2, a single pointer since. Both are
 * read as an array of as many pointers as the field holds. Contexts are
 * freed after an RCU grace period; call under rcu_read_lock(). (The field
 * is not __rcu-annotated; perf reads it with rcu_dereference().)
 */
#define AIGUARD_PERF_TASK_CTXS \
	((int)(sizeof(((struct task_struct *)NULL)->perf_event_ctxp) / \
	       sizeof(struct perf_event_context *)))

static inline struct perf_event_context *aiguard_perf_task_ctx(struct task_struct *t, int i)
{
	struct perf_event_context **ctxp = (struct perf_event_context **)&t->perf_event_ctxp;

	return READ_ONCE(ctxp[i]);
}

#endif /* _AIGUARD_COMPAT_H */
