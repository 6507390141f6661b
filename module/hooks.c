// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard hooks: how the handlers in lsm.c and task.c get called.
 *
 * A loadable module cannot add LSM hooks (security_add_hooks() is __init),
 * so each security_*() function that aiguard stands in for gets a kprobe at
 * its entry. To deny, the pre-handler points the instruction pointer at a
 * stub that returns the error straight to the caller and returns 1, so the
 * function never runs ("Changing Execution Path" in kprobes.rst). Unlike a
 * kretprobe there is no instance pool to run dry: a probe cannot silently
 * let a call through under load. Every probe must sit on ftrace (never an
 * optimized jump, which would ignore the new ip), or the module refuses to
 * load; the only exception are the uretprobe consumers in kernel/trace/,
 * which has no ftrace call sites: breakpoint kprobes with a post_handler,
 * which are never optimised (entry handlers are refused before they are
 * called, in kernel/events/, for the price of an ftrace kprobe, not of a
 * trap and a single-step per hit). Process lifetime comes from the
 * sched_process_fork tracepoint, and from cgroup_exit(), late in
 * do_exit(), where nothing of the process is left to reach through /proc.
 *
 * A kprobe is skipped (only counted as missed, which status reports) when
 * it is hit while another kprobe's handler runs on the same CPU. Handlers
 * run with preemption off and never sleep, so only code that can run in
 * that window is at risk. The BPF, uprobe and swap probes are placed
 * where it cannot: bpf_prog_select_runtime(), bpf_int_jit_compile(),
 * uprobe_write_opcode() and reclaim's try_to_unmap_one() may sleep,
 * bpf_prog_free_deferred() is a work item, and uprobe consumers run on
 * the way back to user space.
 *
 * After attaching, a self-test proves that a denial really reaches a
 * caller on this kernel; any failure detaches everything and fails the load.
 *
 * Root can switch off every kprobe through debugfs, or ftrace (and with it
 * ftrace-based kprobes) through kernel.ftrace_enabled. The latter is
 * refused while aiguard holds a permanent ftrace_ops (below); for the
 * former, a watchdog calls a probed canary function every second and
 * reports to guard.c when the probe no longer fires.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/highmem.h>
#include <linux/kernel_read_file.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/rmap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uprobes.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "bpf.h"
#include "compat.h"
#include "guard.h"
#include "hooks.h"
#include "lsm.h"
#include "mem.h"
#include "seal.h"
#include "stats.h"
#include "sym.h"
#include "task.h"

/*
 * Stubs that stand in for a skipped function. They run on the probed
 * function's stack frame, so their return goes to its caller.
 */
static noinline notrace int aiguard_ret_eperm(void)
{
	return -EPERM;
}

static noinline notrace int aiguard_ret_eacces(void)
{
	return -EACCES;
}

static noinline notrace int aiguard_ret_enomem(void)
{
	return -ENOMEM;
}

static noinline notrace void aiguard_ret_void(void)
{
}

static noinline notrace int aiguard_ret_zero(void)
{
	return 0;
}

/* bpf_prog_select_runtime() refusing a program: the caller frees it. */
static noinline notrace struct bpf_prog *aiguard_ret_bpf_busy(struct bpf_prog *fp,
							      int *err)
{
	*err = -EBUSY;
	return fp;
}

/* For syscalls, which return long: an int -EPERM would not sign-extend. */
static noinline notrace long aiguard_ret_eperm_long(void)
{
	return -EPERM;
}

static int aiguard_deny(struct pt_regs *regs, int err)
{
	switch (err) {
	case -EPERM:
		aiguard_kprobe_return(regs, aiguard_ret_eperm);
		break;
	case -EACCES:
		aiguard_kprobe_return(regs, aiguard_ret_eacces);
		break;
	default:
		aiguard_kprobe_return(regs, aiguard_ret_enomem);
		break;
	}
	return 1;
}

/**
 * struct aiguard_ns_site - a kernel function that checks ptrace access only
 *                          to hand out a namespace
 * @names: the function, or where the compiler inlines it, first found wins
 * @start: its first byte, once resolved; 0: not on this kernel
 * @size: its length in bytes
 */
struct aiguard_ns_site {
	const char *const names[4];
	unsigned long start, size;
};

/*
 * proc_ns_get_link() (open of /proc/PID/ns/X) and proc_ns_readlink()
 * call ptrace_may_access(PTRACE_MODE_READ_FSCREDS) and then only look up
 * the namespace; setns(2) on a pidfd does the same in validate_nsset(),
 * which the compiler may fold into the syscall's body, __do_sys_setns()
 * (the __x64_sys_setns() wrapper may reach that by a tail call, leaving
 * no frame of its own). setns on a namespace fd checks nothing: the open
 * did. Nothing else under these functions checks ptrace access.
 */
static struct aiguard_ns_site aiguard_ns_sites[] = {
	{ { "proc_ns_get_link" } },
	{ { "proc_ns_readlink" } },
	{ { "validate_nsset", "__do_sys_setns", "__se_sys_setns", "__x64_sys_setns" } },
};

/* Resolves aiguard_ns_sites; a site not found is never matched. */
static void aiguard_ns_sites_init(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(aiguard_ns_sites); i++) {
		struct aiguard_ns_site *s = &aiguard_ns_sites[i];

		for (j = 0; j < ARRAY_SIZE(s->names) && s->names[j]; j++)
			if (aiguard_sym_extent(s->names[j], &s->start, &s->size))
				break;
		if (!s->start)
			pr_info("%s not found: outsiders cannot join the namespaces of processes protected with enter this way\n",
				s->names[0]);
	}
}

/*
 * Whether the ptrace access check being decided was called for a
 * namespace join: one of aiguard_ns_sites is among the return addresses
 * of the current stack. Called only to let an outsider in, for a target
 * protected with AIGUARD_PROTECT_ENTER; a site the unwinder does not
 * reach (a kernel without it, or a stack it cannot walk) only keeps the
 * refusal.
 */
static bool aiguard_ns_join(void)
{
	unsigned long trace[24];
	unsigned int n, i, j;

	n = stack_trace_save(trace, ARRAY_SIZE(trace), 0);
	for (i = 0; i < n; i++)
		for (j = 0; j < ARRAY_SIZE(aiguard_ns_sites); j++)
			if (trace[i] - aiguard_ns_sites[j].start < aiguard_ns_sites[j].size)
				return true;
	return false;
}

static int aiguard_kp_ptrace_access_check(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_ptrace_access_check((void *)aiguard_kprobe_arg(regs, 0),
					      aiguard_kprobe_arg(regs, 1), aiguard_ns_join);

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_ptrace_traceme(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_ptrace_traceme((void *)aiguard_kprobe_arg(regs, 0));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_perf_event_alloc(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_perf_event_alloc((void *)aiguard_kprobe_arg(regs, 0));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_perf_event_free(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_perf_event_free((void *)aiguard_kprobe_arg(regs, 0));
	return 0;
}

static int aiguard_kp_locked_down(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_locked_down((enum lockdown_reason)aiguard_kprobe_arg(regs, 0));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_task_prctl(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_task_prctl((int)aiguard_kprobe_arg(regs, 0),
				     aiguard_kprobe_arg(regs, 1));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_bprm_committing_creds(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_bprm_committing_creds();
	return 0;
}

/* For functions that return long (ssize_t, syscalls): EPERM, or carry on. */
static int aiguard_deny_long(struct pt_regs *regs, bool deny)
{
	if (!deny)
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_eperm_long);
	return 1;
}

static int aiguard_kp_kcore_read(struct kprobe *p, struct pt_regs *regs)
{
	return aiguard_deny_long(regs, aiguard_kcore_read());
}

static int aiguard_kp_kprobes_switch(struct kprobe *p, struct pt_regs *regs)
{
	return aiguard_deny_long(regs, aiguard_kprobes_switch());
}

static int aiguard_kp_kernel_read_file(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long id = aiguard_kprobe_arg(regs, 1);
	int err = aiguard_kernel_load(id == READING_MODULE, id == READING_KEXEC_IMAGE ||
							    id == READING_KEXEC_INITRAMFS);

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_kernel_load_data(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long id = aiguard_kprobe_arg(regs, 0);
	int err = aiguard_kernel_load(id == LOADING_MODULE, id == LOADING_KEXEC_IMAGE ||
							    id == LOADING_KEXEC_INITRAMFS);

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_kexec_reboot(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_kexec_reboot();

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_bprm_committed_creds(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_bprm_committed_creds();
	return 0;
}

static int aiguard_kp_coredump(struct kprobe *p, struct pt_regs *regs)
{
	if (!aiguard_coredump())
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_void);
	return 1;
}

static int aiguard_kp_task_alloc(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_task_inherit((void *)aiguard_kprobe_arg(regs, 0),
				       aiguard_kprobe_arg(regs, 1));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_task_free(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_task_freed((void *)aiguard_kprobe_arg(regs, 0));
	return 0;
}

/*
 * cgroup_exit(tsk), late in do_exit(): tsk has let go of everything a
 * protected group's entry guards (see AIGUARD_EXIT_DONE_SYMBOL).
 */
static int aiguard_kp_exit_done(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_task_exited((void *)aiguard_kprobe_arg(regs, 0));
	return 0;
}

static int aiguard_kp_delete_module_common(struct pt_regs *regs, bool ia32)
{
	const struct pt_regs *uregs = (void *)aiguard_kprobe_arg(regs, 0);
	const char __user *name = (const char __user *)aiguard_syscall_arg(uregs, 0, ia32);

	return aiguard_deny_long(regs, aiguard_delete_module(name,
							     aiguard_syscall_arg(uregs, 1, ia32)));
}

static int aiguard_kp_delete_module(struct kprobe *p, struct pt_regs *regs)
{
	return aiguard_kp_delete_module_common(regs, false);
}

static int aiguard_kp_delete_module32(struct kprobe *p, struct pt_regs *regs)
{
	return aiguard_kp_delete_module_common(regs, true);
}

static int aiguard_kp_bpf_select(struct kprobe *p, struct pt_regs *regs)
{
	if (!aiguard_bpf_select((void *)aiguard_kprobe_arg(regs, 0)))
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_bpf_busy);
	return 1;
}

/* bpf_check(&prog, attr, uattr, size): the verifier, before anything of it ran. */
static int aiguard_kp_bpf_check(struct kprobe *p, struct pt_regs *regs)
{
	struct bpf_prog **prog = (struct bpf_prog **)aiguard_kprobe_arg(regs, 0);
	int err = aiguard_bpf_verify(*prog);

	return err ? aiguard_deny(regs, err) : 0;
}

/*
 * btf_struct_access(log, ...): the verifier checks a load through a typed
 * kernel pointer. Called only while verifying, in the bpf() syscall.
 */
static int aiguard_kp_btf_access(struct kprobe *p, struct pt_regs *regs)
{
	struct bpf_verifier_env *env;
	const struct btf_type *t;
	int off, size, err;

	t = aiguard_btf_access_args(regs, &env, &off, &size);
	err = aiguard_bpf_struct_access(env, t, off, size);
	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_bpf_jit(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_bpf_jit((void *)aiguard_kprobe_arg(regs, 0));
	return 0;
}

static int aiguard_kp_bpf_free(struct kprobe *p, struct pt_regs *regs)
{
	struct work_struct *work = (void *)aiguard_kprobe_arg(regs, 0);

	aiguard_bpf_free(container_of(work, struct bpf_prog_aux, work)->prog);
	return 0;
}

/*
 * uprobe_write_opcode(auprobe, mm, vaddr, opcode): a breakpoint going into
 * a protected mm is skipped as if written. Restoring the original
 * instruction (unregister) always goes through.
 */
static int aiguard_kp_uprobe_write(struct kprobe *p, struct pt_regs *regs)
{
	uprobe_opcode_t opcode = (uprobe_opcode_t)aiguard_kprobe_arg(regs, 3);

	if (opcode != UPROBE_SWBP_INSN ||
	    !aiguard_uprobe_install((void *)aiguard_kprobe_arg(regs, 1)))
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_zero);
	return 1;
}

/*
 * Tasks that a handler sent into a stub that may sleep. A task asleep in
 * module text has passed a voluntary context switch, so an RCU Tasks grace
 * period does not wait for it; aiguard_detach_all() waits for this count.
 */
static atomic_t aiguard_stubs_asleep = ATOMIC_INIT(0);

/*
 * Puts back the original first byte of the instruction under a uprobe
 * breakpoint at @vaddr in current's mm: what set_orig_insn() writes,
 * which is not exported (and, never called by pointer, has no ENDBR to
 * call it through). Written the way ptrace writes text: a FOLL_FORCE
 * page of the mapping, which breaks COW, so the file is never written.
 * Only where uprobes put breakpoints (valid_vma()): a private, read-only,
 * executable file mapping; and only over the breakpoint itself, checked
 * under the mmap lock, so a mapping changed since the trap is left alone.
 *
 * The kernel's own removal would also lower a USDT semaphore the probe
 * raised; a process cleaned here keeps it raised, so it keeps preparing
 * that probe's arguments, which nobody receives.
 */
static void aiguard_uprobe_unplant(unsigned long vaddr, uprobe_opcode_t orig)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	uprobe_opcode_t *insn;
	struct page *page;
	void *kaddr;

	might_sleep();
	if (mmap_read_lock_killable(mm))
		return;
	vma = vma_lookup(mm, vaddr);
	if (vma && vma->vm_file &&
	    (vma->vm_flags & (VM_HUGETLB | VM_MAYEXEC | VM_MAYSHARE | VM_WRITE)) == VM_MAYEXEC &&
	    aiguard_gup_one(mm, vaddr, FOLL_FORCE | FOLL_WRITE, &page) == 1) {
		kaddr = kmap_local_page(page);
		insn = kaddr + offset_in_page(vaddr);
		if (*insn == UPROBE_SWBP_INSN) {
			copy_to_user_page(vma, page, vaddr, insn, &orig, sizeof(orig));
			set_page_dirty_lock(page);
			/* as remove_breakpoint(): the mm may have none left */
			set_bit(MMF_RECALC_UPROBES, &mm->flags);
		}
		kunmap_local(kaddr);
		put_page(page);
	}
	mmap_read_unlock(mm);
}

/*
 * Runs as arch_uprobe_ignore() in a protected task: takes the breakpoint
 * out and answers "ignore". handle_swbp() then runs no handler, sets up
 * no uretprobe, and restarts the task on its original instruction. If the
 * breakpoint could not be taken out (killed, out of memory), the task
 * traps again and comes back here: no handler ever runs. The task is on
 * its way back to user space and may sleep: handle_swbp() holds at most
 * an RCU Tasks Trace read lock (6.12), under which handler_chain() itself
 * sleeps to take a breakpoint out.
 */
static noinline notrace bool aiguard_ret_uprobe_ignore(struct arch_uprobe *auprobe,
						       struct pt_regs *regs)
{
	aiguard_uprobe_unplant(instruction_pointer(regs),
			       *(uprobe_opcode_t *)&auprobe->insn);
	/*
	 * Past this point the task runs a few more instructions of module
	 * text, and does not sleep voluntarily: RCU Tasks covers that.
	 */
	if (atomic_dec_and_test(&aiguard_stubs_asleep))
		wake_up_var(&aiguard_stubs_asleep);
	return true;
}

/*
 * arch_uprobe_ignore(auprobe, regs): the task in current hit a uprobe
 * breakpoint, and every interface's entry handler (tracefs, perf, BPF,
 * uprobe_multi, or another module's consumer) is about to run. In a
 * protected task the breakpoint was written before protection: new ones
 * are refused in uprobe_write_opcode().
 */
static int aiguard_kp_uprobe_hit(struct kprobe *p, struct pt_regs *regs)
{
	if (!aiguard_uprobe_hit())
		return 0;
	atomic_inc(&aiguard_stubs_asleep);
	aiguard_kprobe_return(regs, aiguard_ret_uprobe_ignore);
	return 1;
}

/*
 * A return handler in a protected task: the function was entered before
 * protection, since entry handlers no longer run there to set one up.
 */
static int aiguard_kp_uretprobe_hit(struct kprobe *p, struct pt_regs *regs)
{
	if (!aiguard_uprobe_hit())
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_zero);
	return 1;
}

/*
 * try_to_unmap_one(folio, vma, address, flags): reclaim takes a
 * swap-backed (anonymous or shmem) folio out of a protected mm's page
 * tables before writing it to swap, and an anonymous folio freed with
 * MADV_FREE (not swap-backed any more) before discarding it. Skipping the
 * call answers "still mapped", exactly what the function itself answers
 * for an mlock()ed vma: the rmap walk stops, try_to_unmap() leaves the
 * folio mapped and shrink_folio_list() puts it back on the active list,
 * unwritten and undiscarded. Callers that unmap for another reason (memory
 * failure, hot-unplug, THP split and collapse) pass TTU_IGNORE_MLOCK and
 * go through, as do file pages, which reclaim drops rather than writes.
 */
static int aiguard_kp_swap_unmap(struct kprobe *p, struct pt_regs *regs)
{
	struct folio *folio = (struct folio *)aiguard_kprobe_arg(regs, 0);
	struct vm_area_struct *vma = (struct vm_area_struct *)aiguard_kprobe_arg(regs, 1);
	unsigned long flags = aiguard_kprobe_arg(regs, 3);
	bool lazyfree = folio_test_anon(folio) && !folio_test_swapbacked(folio);

	if ((flags & TTU_IGNORE_MLOCK) || (!folio_test_swapbacked(folio) && !lazyfree) ||
	    !aiguard_swap_out(vma->vm_mm, lazyfree))
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_zero);
	return 1;
}

/*
 * try_to_migrate_one(folio, vma, address, flags): migration replaces a
 * folio's mappings with migration entries, copies it and frees the
 * original. For a protected mm's anonymous or shmem folio the call is
 * skipped, answering "still mapped" as try_to_unmap_one() does above:
 * the walk stops, the migration fails (-EAGAIN) and restores whatever
 * mappings it had already replaced. A huge page split also comes here
 * (TTU_SYNC, only splits pass it), and maps the same pages again
 * afterwards: that goes through.
 */
static int aiguard_kp_migrate(struct kprobe *p, struct pt_regs *regs)
{
	struct folio *folio = (struct folio *)aiguard_kprobe_arg(regs, 0);
	struct vm_area_struct *vma = (struct vm_area_struct *)aiguard_kprobe_arg(regs, 1);
	unsigned long flags = aiguard_kprobe_arg(regs, 3);

	if ((!folio_test_anon(folio) && !folio_test_swapbacked(folio)) ||
	    !aiguard_migrate(vma->vm_mm, (flags & TTU_SYNC) ? AIGUARD_MOVE_SPLIT :
							     AIGUARD_MOVE_MIGRATE))
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_zero);
	return 1;
}

/*
 * hpage_collapse_scan_pmd(mm, vma, address, mmap_locked, cc): khugepaged
 * and MADV_COLLAPSE look at one pmd's worth of an anonymous mapping and,
 * if it qualifies, copy its small pages into a huge page and free them.
 * For a protected mm the scan is skipped, answering SCAN_FAIL (0 in 6.1
 * and 6.12): khugepaged moves on, MADV_COLLAPSE fails with EINVAL. The
 * caller's mmap lock stays as it was (*mmap_locked untouched).
 */
static int aiguard_kp_collapse(struct kprobe *p, struct pt_regs *regs)
{
	if (!aiguard_migrate((void *)aiguard_kprobe_arg(regs, 0), AIGUARD_MOVE_COLLAPSE))
		return 0;
	aiguard_kprobe_return(regs, aiguard_ret_zero);
	return 1;
}

/*
 * Objects on memory-backed storage (obj.c, lsm.c). The allocation and
 * d_instantiate hooks run in the creating syscall, the open and attach
 * hooks in the opening one (or a kernel thread opening for someone), an
 * inode's free in iput(), a SysV segment's free in an RCU callback. They
 * are written as kprobe pre-handlers but placed through ftrace_ops of
 * the held set (AIGUARD_FTRACE_HANDLER() below), which ftrace calls on
 * every entry: unlike a kprobe, none can be skipped, not even the SysV
 * free interrupting another kprobe's handler.
 */
static int aiguard_kp_inode_alloc(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_inode_alloc((struct inode *)aiguard_kprobe_arg(regs, 0));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_d_instantiate(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_d_instantiate((struct dentry *)aiguard_kprobe_arg(regs, 0),
			      (struct inode *)aiguard_kprobe_arg(regs, 1));
	return 0;
}

static int aiguard_kp_inode_free(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_inode_free((struct inode *)aiguard_kprobe_arg(regs, 0));
	return 0;
}

static int aiguard_kp_shm_free(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_shm_free((struct kern_ipc_perm *)aiguard_kprobe_arg(regs, 0));
	return 0;
}

static int aiguard_kp_file_open(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_file_open((struct file *)aiguard_kprobe_arg(regs, 0));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_shm_alloc(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_shm_alloc((void *)aiguard_kprobe_arg(regs, 0));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_shm_shmat(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_shm_shmat((void *)aiguard_kprobe_arg(regs, 0));

	return err ? aiguard_deny(regs, err) : 0;
}

static int aiguard_kp_shm_shmctl(struct kprobe *p, struct pt_regs *regs)
{
	int err = aiguard_shm_shmctl((void *)aiguard_kprobe_arg(regs, 0),
				     (int)aiguard_kprobe_arg(regs, 1));

	return err ? aiguard_deny(regs, err) : 0;
}

/*
 * filemap_remove_folio(folio) and delete_from_page_cache_batch(mapping,
 * fbatch): the two ways a folio leaves a file's page cache to be freed
 * (mm/filemap.c) when a file is truncated, has a hole punched or is
 * evicted: shmem's truncation (tmpfs, /dev/shm, memfds, SysV) through
 * truncate_inode_folio(), ramfs's through the batch, hugetlbfs's through
 * the first. Both are called from other files (truncate.c, shmem.c,
 * hugetlbfs), so no call is inlined past the probe; process context with
 * the folio locked, never inside another kprobe, so no hit is skipped.
 * A kept object's folio is cleared here, before it is freed.
 */
static int aiguard_kp_folio_remove(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_object_folio_freed((struct folio *)aiguard_kprobe_arg(regs, 0));
	return 0;
}

static int aiguard_kp_folio_batch_remove(struct kprobe *p, struct pt_regs *regs)
{
	aiguard_object_batch_freed((struct address_space *)aiguard_kprobe_arg(regs, 0),
				   (struct folio_batch *)aiguard_kprobe_arg(regs, 1));
	return 0;
}

/* mem_read() and mem_write() of fs/proc/base.c */
static int aiguard_kp_proc_mem(struct kprobe *p, struct pt_regs *regs)
{
	struct file *file = (struct file *)aiguard_kprobe_arg(regs, 0);

	return aiguard_deny_long(regs, aiguard_proc_mem_access(file->private_data,
							       PTRACE_MODE_ATTACH));
}

/*
 * The watchdog's canary: returns 0 when called directly, -EPERM when its
 * kprobe fires. If the call returns 0, no kprobe of ours is firing.
 */
static noinline int aiguard_canary(void)
{
	return 0;
}

static int (*aiguard_canary_fn)(void) = aiguard_canary;

static int aiguard_kp_canary(struct kprobe *p, struct pt_regs *regs)
{
	return aiguard_deny(regs, -EPERM);
}

/* Whether the kernel still calls our kprobes: the canary's probe fired. */
static bool aiguard_hooks_alive(void)
{
	/* An opaque call: the compiler must not fold the canary's result. */
	return READ_ONCE(aiguard_canary_fn)() == -EPERM;
}

/**
 * struct aiguard_probe - one kprobe and the counter slot it reports to
 * @kp: the kprobe
 * @hook: enum aiguard_hook slot for its missed count, or -1
 * @registered: whether @kp is registered
 * @int3: may be a breakpoint kprobe: the function is in kernel/trace/,
 *        which the kernel never builds with ftrace call sites
 * @feature: if set, @kp is attached only where the kernel has this symbol
 * @name: what error messages call a probe placed by address
 */
struct aiguard_probe {
	struct kprobe kp;
	int hook;
	bool registered;
	bool int3;
	const char *feature;
	const char *name;
};

#define AIGUARD_PROBE(sym, handler, slot) \
	{ .kp = { .symbol_name = (sym), .pre_handler = (handler) }, .hook = (slot) }

/*
 * A breakpoint kprobe honours a new ip from its pre-handler (the
 * instruction is not single-stepped), unless kprobes optimises it into a
 * jump, which ignores it. A probe with a post_handler is never optimised.
 */
static void aiguard_kp_post_none(struct kprobe *p, struct pt_regs *regs,
				 unsigned long flags)
{
}

#define AIGUARD_PROBE_INT3(sym, handler, slot, feat)				\
	{ .kp = { .symbol_name = (sym), .pre_handler = (handler),		\
		  .post_handler = aiguard_kp_post_none },			\
	  .hook = (slot), .int3 = true, .feature = (feat) }

static struct aiguard_probe aiguard_probes[] = {
	AIGUARD_PROBE("security_ptrace_access_check",
		      aiguard_kp_ptrace_access_check, AIGUARD_HOOK_PTRACE_ACCESS),
	AIGUARD_PROBE("security_ptrace_traceme",
		      aiguard_kp_ptrace_traceme, AIGUARD_HOOK_PTRACE_TRACEME),
	AIGUARD_PROBE("security_perf_event_alloc",
		      aiguard_kp_perf_event_alloc, AIGUARD_HOOK_PERF_EVENT),
	AIGUARD_PROBE("security_perf_event_free", aiguard_kp_perf_event_free, -1),
	AIGUARD_PROBE("security_locked_down",
		      aiguard_kp_locked_down, AIGUARD_HOOK_LOCKED_DOWN),
	AIGUARD_PROBE("security_task_prctl",
		      aiguard_kp_task_prctl, AIGUARD_HOOK_TASK_PRCTL),
	AIGUARD_PROBE("security_bprm_committing_creds",
		      aiguard_kp_bprm_committing_creds, AIGUARD_HOOK_EXEC),
	AIGUARD_PROBE("security_bprm_committed_creds",
		      aiguard_kp_bprm_committed_creds, AIGUARD_HOOK_EXEC),
	AIGUARD_PROBE(AIGUARD_KCORE_READ_SYMBOL,
		      aiguard_kp_kcore_read, AIGUARD_HOOK_LOCKED_DOWN),
	AIGUARD_PROBE(AIGUARD_KPROBES_SWITCH_SYMBOL,
		      aiguard_kp_kprobes_switch, AIGUARD_HOOK_LOCKED_DOWN),
	AIGUARD_PROBE(AIGUARD_COREDUMP_SYMBOL,
		      aiguard_kp_coredump, AIGUARD_HOOK_COREDUMP),
	AIGUARD_PROBE("security_task_alloc",
		      aiguard_kp_task_alloc, AIGUARD_HOOK_TASK_ALLOC),
	/* every freed task passes free_task(), even one whose fork failed */
	AIGUARD_PROBE("free_task", aiguard_kp_task_free, -1),
	/* do_exit(), process context: never inside another kprobe */
	AIGUARD_PROBE(AIGUARD_EXIT_DONE_SYMBOL, aiguard_kp_exit_done, -1),
	AIGUARD_PROBE(AIGUARD_DELETE_MODULE_SYMBOL, aiguard_kp_delete_module, -1),
	/*
	 * BPF (bpf.c): entered only from the bpf() syscall or a workqueue,
	 * never inside another kprobe, so these cannot be skipped.
	 */
#if IS_ENABLED(CONFIG_BPF_SYSCALL)
	AIGUARD_PROBE("bpf_check", aiguard_kp_bpf_check, AIGUARD_HOOK_BPF),
	AIGUARD_PROBE("btf_struct_access", aiguard_kp_btf_access, AIGUARD_HOOK_BPF),
	AIGUARD_PROBE("bpf_prog_select_runtime", aiguard_kp_bpf_select, AIGUARD_HOOK_BPF),
	AIGUARD_PROBE("bpf_prog_free_deferred", aiguard_kp_bpf_free, AIGUARD_HOOK_BPF),
#endif
#if IS_ENABLED(CONFIG_BPF_JIT)
	AIGUARD_PROBE("bpf_int_jit_compile", aiguard_kp_bpf_jit, AIGUARD_HOOK_BPF),
#endif
	/*
	 * Uprobes: written from process context (register, mmap), handlers
	 * run on the way back to user space; never inside another kprobe.
	 */
#if IS_ENABLED(CONFIG_UPROBES)
	AIGUARD_PROBE(AIGUARD_UPROBE_WRITE_SYMBOL, aiguard_kp_uprobe_write, AIGUARD_HOOK_UPROBE),
	AIGUARD_PROBE(AIGUARD_UPROBE_IGNORE_SYMBOL, aiguard_kp_uprobe_hit, AIGUARD_HOOK_UPROBE),
#endif
#if IS_ENABLED(CONFIG_UPROBE_EVENTS)
	AIGUARD_PROBE_INT3(AIGUARD_URETPROBE_HANDLER_SYMBOL, aiguard_kp_uretprobe_hit,
			   AIGUARD_HOOK_UPROBE, NULL),
#endif
#if IS_ENABLED(CONFIG_BPF_EVENTS) && IS_ENABLED(CONFIG_UPROBES)
	AIGUARD_PROBE_INT3(AIGUARD_URETPROBE_MULTI_SYMBOL, aiguard_kp_uretprobe_hit,
			   AIGUARD_HOOK_UPROBE, AIGUARD_UPROBE_MULTI_FEATURE),
#endif
	/*
	 * Reclaim runs in kswapd or in an allocating task, may sleep, and
	 * is never entered from a kprobe handler (those allocate nothing
	 * that reclaims), so this probe cannot be skipped.
	 */
#if IS_ENABLED(CONFIG_SWAP)
	AIGUARD_PROBE(AIGUARD_SWAP_UNMAP_SYMBOL, aiguard_kp_swap_unmap, AIGUARD_HOOK_SWAP),
#endif
	/*
	 * Migration runs in compaction (kcompactd or an allocating task), in
	 * NUMA balancing's faults and in the move_pages() family, may sleep,
	 * and is never entered from a kprobe handler.
	 */
#if IS_ENABLED(CONFIG_MIGRATION)
	AIGUARD_PROBE(AIGUARD_MIGRATE_UNMAP_SYMBOL, aiguard_kp_migrate, AIGUARD_HOOK_MIGRATE),
#endif
	/* khugepaged's scan, or madvise(): process context, may sleep */
#if IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)
	AIGUARD_PROBE(AIGUARD_COLLAPSE_SYMBOL, aiguard_kp_collapse, AIGUARD_HOOK_MIGRATE),
#endif
};

/*
 * Reads and writes through an open /proc/PID/mem (fs/proc/base.c). The
 * functions are static and their names common (mem_read), so they are
 * found where the kernel finds them: in the file_operations of
 * /proc/self/mem (aiguard_find_proc_fops()). Reached from read()/write()
 * only, never inside another kprobe. (Not environ or maps, whose readers,
 * ps e and the like, are many: their holders are judged again when
 * permissions shrink instead, aiguard_evict_readers() in lsm.c.)
 */
static struct aiguard_probe aiguard_probes_proc[] = {
	{ .kp = { .pre_handler = aiguard_kp_proc_mem },
	  .hook = AIGUARD_HOOK_PTRACE_ACCESS, .name = "/proc/PID/mem read" },
	{ .kp = { .pre_handler = aiguard_kp_proc_mem },
	  .hook = AIGUARD_HOOK_PTRACE_ACCESS, .name = "/proc/PID/mem write" },
};

/*
 * The /proc/PID files that keep the mm they were opened on (compat.h).
 * mem's every use is decided again (aiguard_probes_proc); the holders of
 * the others are judged again by aiguard_evict_readers() in lsm.c.
 */
static const struct {
	const char *name;
	unsigned int mode;
	bool seq;
	bool optional;		/* numa_maps: CONFIG_NUMA only */
} aiguard_proc_mm_files[] = {
	{ "mem", PTRACE_MODE_ATTACH },
	{ "environ", PTRACE_MODE_READ },
	{ "auxv", PTRACE_MODE_READ },
	{ "pagemap", PTRACE_MODE_READ },
	{ "maps", PTRACE_MODE_READ, true },
	{ "smaps", PTRACE_MODE_READ, true },
	{ "smaps_rollup", PTRACE_MODE_READ, true },
	{ "numa_maps", PTRACE_MODE_READ, true, true },
};

/*
 * Open /proc/self/@i as the loading process: its f_op names the file
 * kind, and the mm found where compat.h looks must be our own.
 */
static int aiguard_find_proc_file(unsigned int i)
{
	const char *name = aiguard_proc_mm_files[i].name;
	bool seq = aiguard_proc_mm_files[i].seq;
	char path[32];
	struct file *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f)) {
		if (PTR_ERR(f) == -ENOENT && aiguard_proc_mm_files[i].optional)
			return 0;
		pr_err("refusing to load: cannot open %s to learn its file operations (error %ld)\n",
		       path, PTR_ERR(f));
		return PTR_ERR(f);
	}
	if (aiguard_proc_file_mm(f, seq) != current->mm) {
		pr_err("refusing to load: %s does not keep its mm where this module looks for it\n",
		       path);
		err = -ENOEXEC;
	}
	/* mem is the first entry: its read and write are probed */
	if (!err && i == 0) {
		aiguard_probes_proc[0].kp.addr = (kprobe_opcode_t *)f->f_op->read;
		aiguard_probes_proc[1].kp.addr = (kprobe_opcode_t *)f->f_op->write;
	} else if (!err) {
		err = aiguard_proc_file_add(f->f_op, seq, aiguard_proc_mm_files[i].mode);
	}
	filp_close(f, NULL);
	return err;
}

static int aiguard_find_proc_fops(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(aiguard_proc_mm_files); i++) {
		err = aiguard_find_proc_file(i);
		if (err)
			return err;
	}
	for (i = 0; i < ARRAY_SIZE(aiguard_probes_proc); i++) {
		if (!aiguard_probes_proc[i].kp.addr) {
			pr_err("refusing to load: %s has no function\n",
			       aiguard_probes_proc[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * Test only (tests/e2e/t_load.sh): fail the Nth step of the load as if
 * the kernel had refused it, to prove that each failure is reported and
 * leaves nothing attached. 0, the default, fails nothing. It can only
 * make the load fail, which root can do anyway.
 */
static int fail_at;
module_param(fail_at, int, 0400);
MODULE_PARM_DESC(fail_at, "test only: fail the Nth step of the load (0: none)");

static int aiguard_load_step;

/*
 * What a failure to attach refuses: the load, or (the held set attached
 * again after the load, aiguard_hooks_hold()) a protect request.
 */
static const char *aiguard_refusing(bool at_load)
{
	return at_load ? "refusing to load" : "refusing to protect";
}

/**
 * aiguard_load_fault - count one step of the load, and fail it on request
 * @what: the step, for the kernel log
 *
 * Every step that attaches something, or that can refuse the load, calls
 * this first; the module parameter fail_at=N makes the Nth call fail.
 *
 * Return: 0, or -EINVAL for the step fail_at names.
 */
int aiguard_load_fault(const char *what)
{
	might_sleep();
	if (!fail_at || ++aiguard_load_step != fail_at)
		return 0;
	pr_err("refusing to load: step %d (%s) failed on request (fail_at)\n",
	       aiguard_load_step, what);
	return -EINVAL;
}

static struct aiguard_probe aiguard_canary_probe = {
	.kp = { .addr = (kprobe_opcode_t *)aiguard_canary,
		.pre_handler = aiguard_kp_canary },
	.hook = -1,
};

/* Only on kernels with 32-bit syscall emulation. */
static struct aiguard_probe aiguard_probe_delete_module32 =
	AIGUARD_PROBE(AIGUARD_DELETE_MODULE32_SYMBOL, aiguard_kp_delete_module32, -1);

/*
 * Every module, firmware and kexec image load passes one of these two,
 * from the syscall, in process context. kexec images: recorded while
 * anything is protected, refused once the lock sealed kexec (seal.c).
 * Modules, on kernels without module signatures only, where lockdown
 * cannot tell a trusted module from any other: the lock refuses every
 * module load.
 */
static struct aiguard_probe aiguard_probes_loads[] = {
	AIGUARD_PROBE("security_kernel_read_file", aiguard_kp_kernel_read_file, -1),
	AIGUARD_PROBE("security_kernel_load_data", aiguard_kp_kernel_load_data, -1),
#if IS_ENABLED(CONFIG_KEXEC_CORE)
	/* reboot(LINUX_REBOOT_CMD_KEXEC), from the syscall */
	AIGUARD_PROBE("kernel_kexec", aiguard_kp_kexec_reboot, -1),
#endif
};

/*
 * Held for as long as the module is loaded: the kernel refuses
 * kernel.ftrace_enabled=0 while a permanent ftrace_ops is registered,
 * and with ftrace off our ftrace-based kprobes would stop firing.
 */
static void notrace aiguard_pin_func(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}

static struct ftrace_ops aiguard_pin_ops = {
	.func = aiguard_pin_func,
	.flags = FTRACE_OPS_FL_PERMANENT,
};

static bool aiguard_pinned;

static int aiguard_pin_ftrace(void)
{
	int err;

	/* After registration, the kprobe's address is the ftrace call site. */
	err = aiguard_load_fault("ftrace pin");
	if (!err)
		err = ftrace_set_filter_ip(&aiguard_pin_ops,
					   (unsigned long)aiguard_canary_probe.kp.addr, 0, 0);
	if (!err)
		err = register_ftrace_function(&aiguard_pin_ops);
	if (err) {
		pr_err("refusing to load: cannot pin ftrace on (error %d)\n", err);
		return err;
	}
	aiguard_pinned = true;
	return 0;
}

/*
 * Non-faulting reads of user memory: copy_from_user_nofault() and
 * strncpy_from_user_nofault() are what code running in any context uses
 * to read the current process's memory: trace events' fetch arguments
 * (kprobe events, eprobes, fprobe events), BPF helpers, perf. Those run
 * inside kprobes, where a kprobe of ours would be skipped. So these two
 * get a plain ftrace_ops, which kprobe nesting does not affect: without
 * FTRACE_OPS_FL_RECURSION ftrace calls it on every entry, and the
 * callback calls nothing that reads user memory, so it cannot recurse.
 * IPMODIFY (which a kprobe on these functions also needs) makes the ops
 * exclusive: no one can put a kprobe here beside it.
 *
 * A refused read returns -EFAULT, as for a bad address: every caller
 * already handles that (zeroing its buffer, or recording "(fault)").
 *
 * The same two for kernel addresses get one each too (below).
 *
 * Perf samples the same way, from NMI or a timer interrupt, in whatever
 * task is current: the user stack of a PERF_SAMPLE_STACK_USER sample is
 * copied by copy_from_user_nmi(), and the registers of
 * PERF_SAMPLE_REGS_USER (and _INTR) are read one by one through
 * perf_reg_value(). A CPU-wide event opened before anything was
 * protected keeps sampling whatever runs; in a protected task these two
 * answer "nothing copied" (the sample says its dynamic stack size is 0)
 * and 0 for every register, so the sample keeps its layout, and other
 * tasks' samples are untouched. Each gets an ftrace_ops of its own.
 */
static noinline notrace long aiguard_ret_efault_long(void)
{
	return -EFAULT;
}

/* copy_from_user_nmi(to, from, n): nothing copied; @to holds zeros. */
static noinline notrace unsigned long aiguard_ret_nmi_none(void *to, const void __user *from,
							   unsigned long n)
{
	memset(to, 0, n);
	return n;
}

static noinline notrace u64 aiguard_ret_zero_u64(void)
{
	return 0;
}

static void notrace aiguard_nofault_func(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = aiguard_fregs_pt(fregs);

	if (likely(!aiguard_task_may_be_protected(current)))
		return;
	if (aiguard_trace_read())
		instruction_pointer_set(regs, (unsigned long)aiguard_ret_efault_long);
}

/*
 * Reads through kernel addresses (copy_from_kernel_nofault(dst, src,
 * size), strncpy_from_kernel_nofault(dst, src, count)): BPF's kernel-read
 * helpers and printf formats, trace events' fetches of kernel memory.
 * The direct map and vmalloc alias every page of RAM; a read of user or
 * free memory there is refused while anything is protected
 * (lsm.c). A range beyond 16 MiB is not walked page by page: no reader
 * of kernel memory asks that much at once, and it is refused whole.
 */
#define AIGUARD_KREAD_MAX	(16UL << 20)

static void notrace aiguard_kread_check(struct pt_regs *regs, unsigned long addr,
					size_t size)
{
	if (size > AIGUARD_KREAD_MAX)
		size = AIGUARD_KREAD_MAX;
	if (aiguard_kernel_read(addr, size))
		instruction_pointer_set(regs, (unsigned long)aiguard_ret_efault_long);
}

/*
 * The kernel's own callers, whose addresses no reader chooses: d_path()
 * and the rest of fs/d_path.c copy each path component, a dentry's name
 * (in slab, or inside the dentry), with copy_from_kernel_nofault(), once
 * per component of every path they print (each file-backed line of
 * /proc/PID/maps, every readlink of /proc/PID/fd/N). The call sits in
 * prepend_copy() or in whichever of these the compiler folded it into; a
 * call from there is not looked up. A function not found on a kernel is
 * never matched: its calls are looked up like any other.
 */
static struct aiguard_site aiguard_kread_kernel_callers[] = {
	{ "prepend_copy" }, { "prepend_name" }, { "prepend_path" }, { "__dentry_path" },
	{ "d_path" }, { "__d_path" }, { "d_absolute_path" }, { "dentry_path_raw" },
	{ "dentry_path" },
};

static void notrace aiguard_kread_func(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = aiguard_fregs_pt(fregs);

	if (likely(!aiguard_secrets_held()) ||
	    aiguard_site_on_stack(&parent_ip, 1, aiguard_kread_kernel_callers,
				  ARRAY_SIZE(aiguard_kread_kernel_callers)))
		return;
	aiguard_kread_check(regs, aiguard_kprobe_arg(regs, 1), aiguard_kprobe_arg(regs, 2));
}

static void notrace aiguard_kread_str_func(unsigned long ip, unsigned long parent_ip,
					   struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = aiguard_fregs_pt(fregs);
	long count;

	if (likely(!aiguard_secrets_held()))
		return;
	count = (long)aiguard_kprobe_arg(regs, 2);
	/* count <= 0 reads nothing: the function returns at once */
	if (count > 0)
		aiguard_kread_check(regs, aiguard_kprobe_arg(regs, 1), count);
}

static void notrace aiguard_sample_stack_func(unsigned long ip, unsigned long parent_ip,
					      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = aiguard_fregs_pt(fregs);

	if (likely(!aiguard_task_may_be_protected(current)))
		return;
	if (aiguard_perf_sample())
		instruction_pointer_set(regs, (unsigned long)aiguard_ret_nmi_none);
}

static void notrace aiguard_sample_regs_func(unsigned long ip, unsigned long parent_ip,
					     struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = aiguard_fregs_pt(fregs);

	if (likely(!aiguard_task_may_be_protected(current)))
		return;
	if (aiguard_perf_sample())
		instruction_pointer_set(regs, (unsigned long)aiguard_ret_zero_u64);
}

/*
 * The object hooks (see aiguard_kp_inode_alloc()) run the handlers above,
 * written for kprobes, from an ftrace_ops: with preemption off, as a
 * kprobe's pre-handler runs (ftrace calls an ops as its caller runs), and
 * with the partial registers ftrace saves without a full register save,
 * which hold what the handlers read (arguments) and write (the ip of a
 * denial). Unlike a kprobe's, an ftrace_ops without
 * FTRACE_OPS_FL_RECURSION is called on every entry, in any context: none
 * of these functions is entered from a handler of another.
 */
#define AIGUARD_FTRACE_HANDLER(handler)						\
static void notrace handler##_ftrace(unsigned long ip, unsigned long parent_ip,	\
				     struct ftrace_ops *op,			\
				     struct ftrace_regs *fregs)			\
{										\
	preempt_disable_notrace();						\
	handler(NULL, aiguard_fregs_pt(fregs));					\
	preempt_enable_notrace();						\
}

AIGUARD_FTRACE_HANDLER(aiguard_kp_inode_alloc)
AIGUARD_FTRACE_HANDLER(aiguard_kp_d_instantiate)
AIGUARD_FTRACE_HANDLER(aiguard_kp_inode_free)
AIGUARD_FTRACE_HANDLER(aiguard_kp_file_open)
#if IS_ENABLED(CONFIG_SYSVIPC)
AIGUARD_FTRACE_HANDLER(aiguard_kp_shm_alloc)
AIGUARD_FTRACE_HANDLER(aiguard_kp_shm_free)
AIGUARD_FTRACE_HANDLER(aiguard_kp_shm_shmat)
AIGUARD_FTRACE_HANDLER(aiguard_kp_shm_shmctl)
#endif
AIGUARD_FTRACE_HANDLER(aiguard_kp_folio_remove)
AIGUARD_FTRACE_HANDLER(aiguard_kp_folio_batch_remove)

/**
 * struct aiguard_ftrace_guard - an ftrace_ops of the held set
 * @ops: the ops; IPMODIFY (exclusive) if it may redirect the call
 * @symbols: the functions it is placed on
 * @what: for the kernel log
 * @on: whether it is registered
 * @filtered: whether @ops has its filter (set once, freed at unload:
 *            ftrace_free_filter() leaves @ops pointing at what it freed,
 *            so an ops registered again must keep its filter)
 *
 * None asks for FTRACE_OPS_FL_SAVE_REGS: on x86-64 the partial registers
 * of every ftrace call site (aiguard_fregs_pt()) hold the arguments, and
 * a changed ip is honoured, as livepatch relies on. A full save costs
 * every caller of these functions, protected or not, a few dozen
 * instructions more.
 */
struct aiguard_ftrace_guard {
	struct ftrace_ops ops;
	const char *const symbols[2];
	const char *what;
	bool on;
	bool filtered;
};

/* A guard or object hook that may redirect the call. */
#define AIGUARD_FTRACE_GUARD(fn, desc, ...)					\
	{ .ops = { .func = (fn), .flags = FTRACE_OPS_FL_IPMODIFY },		\
	  .symbols = { __VA_ARGS__ }, .what = (desc) }

/* An object hook that only looks: it shares its function with anyone. */
#define AIGUARD_FTRACE_WATCH(fn, desc, ...)					\
	{ .ops = { .func = (fn) }, .symbols = { __VA_ARGS__ }, .what = (desc) }

static struct aiguard_ftrace_guard aiguard_ftrace_guards[] = {
	AIGUARD_FTRACE_GUARD(aiguard_nofault_func, "non-faulting user reads",
			     "copy_from_user_nofault", "strncpy_from_user_nofault"),
	AIGUARD_FTRACE_GUARD(aiguard_sample_stack_func, "perf's user stack samples",
			     AIGUARD_PERF_USER_COPY_SYMBOL),
	AIGUARD_FTRACE_GUARD(aiguard_sample_regs_func, "perf's register samples",
			     AIGUARD_PERF_REG_SYMBOL),
	AIGUARD_FTRACE_GUARD(aiguard_kread_func, "reads through kernel addresses",
			     "copy_from_kernel_nofault"),
	AIGUARD_FTRACE_GUARD(aiguard_kread_str_func, "string reads through kernel addresses",
			     "strncpy_from_kernel_nofault"),
	/* objects on memory-backed storage: see aiguard_kp_inode_alloc() */
	AIGUARD_FTRACE_GUARD(aiguard_kp_inode_alloc_ftrace, "object creation",
			     "security_inode_alloc"),
	AIGUARD_FTRACE_WATCH(aiguard_kp_d_instantiate_ftrace, "object naming",
			     "security_d_instantiate"),
	AIGUARD_FTRACE_WATCH(aiguard_kp_inode_free_ftrace, "object release",
			     "security_inode_free"),
	AIGUARD_FTRACE_GUARD(aiguard_kp_file_open_ftrace, "object opens",
			     "security_file_open"),
#if IS_ENABLED(CONFIG_SYSVIPC)
	AIGUARD_FTRACE_GUARD(aiguard_kp_shm_alloc_ftrace, "SysV segment creation",
			     "security_shm_alloc"),
	AIGUARD_FTRACE_WATCH(aiguard_kp_shm_free_ftrace, "SysV segment release",
			     "security_shm_free"),
	AIGUARD_FTRACE_GUARD(aiguard_kp_shm_shmat_ftrace, "SysV attaches",
			     "security_shm_shmat"),
	AIGUARD_FTRACE_GUARD(aiguard_kp_shm_shmctl_ftrace, "SysV segment control",
			     "security_shm_shmctl"),
#endif
	AIGUARD_FTRACE_WATCH(aiguard_kp_folio_remove_ftrace, "object page removal",
			     "filemap_remove_folio"),
	AIGUARD_FTRACE_WATCH(aiguard_kp_folio_batch_remove_ftrace, "object page removal",
			     "delete_from_page_cache_batch"),
};

static int aiguard_guard_one(struct aiguard_ftrace_guard *g, bool at_load)
{
	int i, err = at_load ? aiguard_load_fault(g->what) : 0;

	for (i = 0; !g->filtered && i < ARRAY_SIZE(g->symbols) && g->symbols[i] && !err; i++)
		err = ftrace_set_filter(&g->ops, (unsigned char *)g->symbols[i],
					strlen(g->symbols[i]), 0);
	/* even a part of the filter is freed only at unload */
	g->filtered = true;
	if (!err)
		err = register_ftrace_function(&g->ops);
	if (err) {
		pr_err("%s: cannot guard %s (%s: ftrace error %d; a kprobe or livepatch there?)\n",
		       aiguard_refusing(at_load), g->what, g->symbols[0], err);
		return err;
	}
	g->on = true;
	return 0;
}

/*
 * Test only (t_races protect_fork): microseconds to busy-wait in the fork
 * tracepoint, at most 20 000, which widens the window between a child
 * becoming visible by pid and this hook looking at its parent, so that a
 * test can land a protect and an attach in it. 0, the default, waits
 * nothing; it can only slow forks down.
 */
static uint fork_delay_us;
module_param(fork_delay_us, uint, 0600);
MODULE_PARM_DESC(fork_delay_us, "test only: busy-wait this long in every fork (0: none)");

static void aiguard_tp_fork(void *data, struct task_struct *parent,
			    struct task_struct *child)
{
	uint delay = READ_ONCE(fork_delay_us);

	if (unlikely(delay))
		udelay(min(delay, 20000U));
	aiguard_task_forked(parent, child);
}

/**
 * struct aiguard_tracepoint - a tracepoint found by name at load time
 * @name: tracepoint name
 * @probe: our probe function
 * @tp: the tracepoint, once found
 * @attached: whether @probe is registered
 *
 * The __tracepoint_sched_* symbols are not exported; the tracepoints are
 * found by walking the kernel's list of them.
 */
struct aiguard_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool attached;
};

static struct aiguard_tracepoint aiguard_tracepoints[] = {
	{ .name = "sched_process_fork", .probe = aiguard_tp_fork },
};

static void aiguard_find_tracepoint(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(aiguard_tracepoints); i++)
		if (!strcmp(tp->name, aiguard_tracepoints[i].name))
			aiguard_tracepoints[i].tp = tp;
}

static void aiguard_detach_probe(struct aiguard_probe *probe)
{
	if (probe->registered)
		unregister_kprobe(&probe->kp);
	probe->registered = false;
}

/*
 * The held set (aiguard_ftrace_guards): the guards on reads of user
 * memory and of kernel addresses and on perf samples, and the object
 * hooks. Each sits on a path that every process takes (d_path() copies
 * each path component with copy_from_kernel_nofault(), every open passes
 * security_file_open()), where even a callback that returns at once
 * costs a trampoline, and each has work only while
 * aiguard_secrets_held(). So the set is
 * attached at load (proving that it can be: else the load is refused),
 * detached when the load is done, attached again by the first protect
 * request (which fails if it cannot be: fail closed), and detached by
 * the watchdog once nothing has been held for AIGUARD_HELD_IDLE_TICKS.
 *
 * Why nothing is missed while it is detached: only a protect request
 * makes anything held from nothing. A fork inherits protection from a
 * protected parent, an object is created by a protected process, and
 * both exist only while the set is attached. A request counts itself in
 * under aiguard_held_lock with the set attached, and out under it after
 * its registry entry is visible; the watchdog detaches under the same
 * lock, only with no request counted in and nothing held. The lock
 * orders the entry before the watchdog's look at the registry.
 */
#define AIGUARD_HELD_IDLE_TICKS	10

static DEFINE_MUTEX(aiguard_held_lock);
static bool aiguard_held_on;		/* the set is attached */
static unsigned int aiguard_held_users;	/* protect requests in flight */
static unsigned int aiguard_held_idle;	/* watchdog ticks with nothing held */

static void aiguard_held_detach(void)
{
	int i;

	lockdep_assert_held(&aiguard_held_lock);
	for (i = 0; i < ARRAY_SIZE(aiguard_ftrace_guards); i++) {
		struct aiguard_ftrace_guard *g = &aiguard_ftrace_guards[i];

		if (g->on)
			unregister_ftrace_function(&g->ops);
		g->on = false;
	}
	aiguard_held_on = false;
	aiguard_held_idle = 0;
}

/*
 * Test only (t_load.sh): fail the next attach of the held set after its
 * first hook, as if the kernel had refused one, to prove that the
 * protect request fails and leaves nothing attached. It can only make
 * protect requests fail, which root can do anyway.
 */
static bool fail_hold;
module_param(fail_hold, bool, 0600);
MODULE_PARM_DESC(fail_hold, "test only: fail attaching the hooks a protect request needs");

static int aiguard_held_attach(bool at_load)
{
	int i, err = 0;

	lockdep_assert_held(&aiguard_held_lock);
	if (aiguard_held_on)
		return 0;
	for (i = 0; i < ARRAY_SIZE(aiguard_ftrace_guards) && !err; i++) {
		err = aiguard_guard_one(&aiguard_ftrace_guards[i], at_load);
		if (!err && !at_load && READ_ONCE(fail_hold)) {
			pr_err("refusing to protect: attaching the hooks it needs failed on request (fail_hold)\n");
			err = -EINVAL;
		}
	}
	if (err)
		aiguard_held_detach();
	else
		aiguard_held_on = true;
	return err;
}

/**
 * aiguard_hooks_hold - a process is about to be protected
 *
 * Attaches the held set if it is not. Process context; pairs with
 * aiguard_hooks_release() when it succeeds, once the registry holds the
 * process (or the request failed).
 *
 * Return: 0; -EIO if a hook could not be attached (the kernel log says
 * which and why), or -ENOMEM.
 */
int aiguard_hooks_hold(void)
{
	int err;

	might_sleep();
	mutex_lock(&aiguard_held_lock);
	err = aiguard_held_attach(false);
	if (!err)
		aiguard_held_users++;
	else if (err != -ENOMEM)
		err = -EIO;	/* not the kprobe's or ftrace's EBUSY or ENOENT */
	aiguard_held_idle = 0;
	mutex_unlock(&aiguard_held_lock);
	return err;
}

/**
 * aiguard_hooks_release - the protect request of aiguard_hooks_hold() is done
 */
void aiguard_hooks_release(void)
{
	mutex_lock(&aiguard_held_lock);
	WARN_ON_ONCE(!aiguard_held_users);
	aiguard_held_users--;
	mutex_unlock(&aiguard_held_lock);
}

/*
 * From the watchdog: detach the held set after AIGUARD_HELD_IDLE_TICKS
 * seconds with nothing held (a workload restarting does not attach and
 * detach it each time). A tick that finds a protect request attaching
 * skips its turn rather than wait for it.
 */
static void aiguard_held_tick(void)
{
	if (!mutex_trylock(&aiguard_held_lock))
		return;
	if (!aiguard_held_on || aiguard_held_users || aiguard_secrets_held())
		aiguard_held_idle = 0;
	else if (++aiguard_held_idle >= AIGUARD_HELD_IDLE_TICKS)
		aiguard_held_detach();
	mutex_unlock(&aiguard_held_lock);
}

/**
 * aiguard_hooks_missed - report how often kprobes skipped a handler
 * @missed: per enum aiguard_hook; must be zeroed by the caller
 */
void aiguard_hooks_missed(u64 missed[AIGUARD_HOOK_SLOTS])
{
	int i;

	for (i = 0; i < ARRAY_SIZE(aiguard_probes); i++)
		if (aiguard_probes[i].hook >= 0 && aiguard_probes[i].registered)
			missed[aiguard_probes[i].hook] += aiguard_probes[i].kp.nmissed;
	for (i = 0; i < ARRAY_SIZE(aiguard_probes_proc); i++)
		if (aiguard_probes_proc[i].registered)
			missed[aiguard_probes_proc[i].hook] += aiguard_probes_proc[i].kp.nmissed;
}

static void aiguard_detach_all(void)
{
	int i;

	if (aiguard_pinned) {
		unregister_ftrace_function(&aiguard_pin_ops);
		ftrace_free_filter(&aiguard_pin_ops);
		aiguard_pinned = false;
	}
	mutex_lock(&aiguard_held_lock);
	aiguard_held_detach();
	mutex_unlock(&aiguard_held_lock);
	for (i = 0; i < ARRAY_SIZE(aiguard_ftrace_guards); i++) {
		if (aiguard_ftrace_guards[i].filtered)
			ftrace_free_filter(&aiguard_ftrace_guards[i].ops);
		aiguard_ftrace_guards[i].filtered = false;
	}
	aiguard_detach_probe(&aiguard_probe_delete_module32);
	aiguard_detach_probe(&aiguard_canary_probe);
	for (i = 0; i < ARRAY_SIZE(aiguard_probes_proc); i++)
		aiguard_detach_probe(&aiguard_probes_proc[i]);
	for (i = 0; i < ARRAY_SIZE(aiguard_probes_loads); i++)
		aiguard_detach_probe(&aiguard_probes_loads[i]);

	for (i = 0; i < ARRAY_SIZE(aiguard_tracepoints); i++) {
		if (aiguard_tracepoints[i].attached)
			tracepoint_probe_unregister(aiguard_tracepoints[i].tp,
						    aiguard_tracepoints[i].probe,
						    NULL);
		aiguard_tracepoints[i].attached = false;
	}
	tracepoint_synchronize_unregister();

	for (i = 0; i < ARRAY_SIZE(aiguard_probes); i++)
		aiguard_detach_probe(&aiguard_probes[i]);
	/* No handler runs any more, so no task enters a stub after this. */
	wait_var_event(&aiguard_stubs_asleep, !atomic_read(&aiguard_stubs_asleep));
	/*
	 * Unregistering waits for running handlers, not for a task that a
	 * handler sent into one of the aiguard_ret_* stubs and that was
	 * preempted there (preempt=full): it would resume in freed module
	 * text. A task preempted in the kernel has not passed a voluntary
	 * context switch, which is what an RCU Tasks grace period waits for
	 * (as ftrace does before freeing a trampoline).
	 */
	synchronize_rcu_tasks();
}

/* Whether the kernel has a function: a kprobe can be placed on it. */
static bool aiguard_kernel_has(const char *symbol)
{
	struct kprobe kp = { .symbol_name = symbol };

	if (register_kprobe(&kp))
		return false;
	unregister_kprobe(&kp);
	return true;
}

static int aiguard_attach_probe(struct aiguard_probe *probe, bool at_load)
{
	struct kprobe *kp = &probe->kp;
	const char *name = probe->name ?: kp->symbol_name ?: "aiguard_canary";
	int err;

	err = at_load ? aiguard_load_fault(name) : 0;
	if (!err) {
		err = register_kprobe(kp);
		if (err && probe->feature && !aiguard_kernel_has(probe->feature))
			return 0;	/* the kernel has no such interface */
	}
	if (err) {
		pr_err("%s: cannot attach to %s (kprobe error %d)\n",
		       aiguard_refusing(at_load), name, err);
		return err;
	}
	probe->registered = true;
	if (kprobe_ftrace(kp))
		return 0;
	if (!probe->int3) {
		pr_err("%s: kprobe on %s is not ftrace-based, so it cannot redirect the call\n",
		       aiguard_refusing(at_load), name);
		return -EOPNOTSUPP;
	}
	if (!kp->post_handler || (kp->flags & KPROBE_FLAG_OPTIMIZED)) {
		pr_err("%s: kprobe on %s is optimised, so it cannot redirect the call\n",
		       aiguard_refusing(at_load), name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int aiguard_attach_probes(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(aiguard_probes); i++) {
		err = aiguard_attach_probe(&aiguard_probes[i], true);
		if (err)
			return err;
	}
	err = aiguard_find_proc_fops();
	for (i = 0; !err && i < ARRAY_SIZE(aiguard_probes_proc); i++)
		err = aiguard_attach_probe(&aiguard_probes_proc[i], true);
	if (!err)
		err = aiguard_attach_probe(&aiguard_canary_probe, true);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(aiguard_probes_loads); i++) {
		err = aiguard_attach_probe(&aiguard_probes_loads[i], true);
		if (err)
			return err;
	}
	if (IS_ENABLED(CONFIG_IA32_EMULATION))
		return aiguard_attach_probe(&aiguard_probe_delete_module32, true);
	return 0;
}

static int aiguard_attach_tracepoints(void)
{
	struct aiguard_tracepoint *t;
	int i, err;

	for_each_kernel_tracepoint(aiguard_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(aiguard_tracepoints); i++) {
		t = &aiguard_tracepoints[i];
		if (!t->tp) {
			pr_err("refusing to load: tracepoint %s not found\n",
			       t->name);
			return -ENOENT;
		}
		err = aiguard_load_fault(t->name) ?:
		      tracepoint_probe_register(t->tp, t->probe, NULL);
		if (err) {
			pr_err("refusing to load: cannot attach to tracepoint %s (error %d)\n",
			       t->name, err);
			return err;
		}
		t->attached = true;
	}
	return 0;
}

/**
 * struct aiguard_selftest - one attempt to read another process's environ
 * @nr: global pid of the target process
 * @err: 0 if the open succeeded, else its error
 * @done: signalled once @err is set
 */
struct aiguard_selftest {
	pid_t nr;
	int err;
	struct completion done;
};

/*
 * Runs as a kernel thread: root with every capability and outside the
 * target's thread group, so the open goes through the whole
 * __ptrace_may_access() path to security_ptrace_access_check().
 */
static int aiguard_selftest_thread(void *arg)
{
	struct aiguard_selftest *st = arg;
	char path[32];
	struct file *f;

	snprintf(path, sizeof(path), "/proc/%d/environ", st->nr);
	f = filp_open(path, O_RDONLY, 0);
	st->err = IS_ERR(f) ? PTR_ERR(f) : 0;
	if (!IS_ERR(f))
		filp_close(f, NULL);
	complete(&st->done);

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int aiguard_selftest_open(pid_t nr)
{
	struct aiguard_selftest st = { .nr = nr };
	struct task_struct *t;

	init_completion(&st.done);
	t = kthread_run(aiguard_selftest_thread, &st, "aiguard-selftest");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wait_for_completion(&st.done);
	kthread_stop(t);
	return st.err;
}

/*
 * Open /proc/<insmod>/environ from a kernel thread twice: unprotected it
 * must work (else the test proves nothing), protected it must fail with
 * EACCES, which is what mm_access() turns a ptrace denial into.
 */
static int aiguard_selftest(void)
{
	struct pid *tgid = get_pid(task_tgid(current));
	pid_t nr = pid_nr(tgid);
	int err;

	err = aiguard_selftest_open(nr);
	if (err) {
		pr_err("refusing to load: self-test cannot open /proc/%d/environ even unprotected (error %d); is procfs mounted on /proc?\n",
		       nr, err);
		put_pid(tgid);
		return -EIO;
	}

	err = aiguard_task_selftest_mark(tgid);
	if (err) {
		put_pid(tgid);
		return err;
	}
	/* an injected failure: as if the protected open had succeeded */
	err = aiguard_load_fault("self-test") ? 0 : aiguard_selftest_open(nr);
	aiguard_task_selftest_unmark(tgid);
	/* The operator's counters start at zero, not at the self-test. */
	aiguard_stats_reset();
	if (err != -EACCES) {
		pr_err("refusing to load: self-test read /proc/%d/environ of a protected process (result %d, expected %d): denials do not take effect on this kernel\n",
		       nr, err, -EACCES);
		return -EIO;
	}
	return 0;
}

static void aiguard_watchdog(struct work_struct *work)
{
	aiguard_guard_set_hooks_dead(!aiguard_hooks_alive());
	aiguard_held_tick();
	/* grants also end by expiring, with no ioctl to follow up */
	aiguard_evict_tracers();
	schedule_delayed_work(to_delayed_work(work), HZ);
}

static DECLARE_DELAYED_WORK(aiguard_watchdog_work, aiguard_watchdog);

/**
 * aiguard_hooks_watch - start checking once a second that the hooks fire
 *
 * Called last at load, once the audit stream and the device exist.
 */
void aiguard_hooks_watch(void)
{
	schedule_delayed_work(&aiguard_watchdog_work, HZ);
}

/**
 * aiguard_hooks_attach - attach every handler and prove enforcement works
 *
 * Return: 0, or a negative errno after detaching whatever was attached;
 * the kernel log says which hook failed and why.
 */
int aiguard_hooks_attach(void)
{
	int err;

	aiguard_load_step = 0;
	err = aiguard_load_fault("symbol lookup") ?: aiguard_sym_init();
	if (!err)
		err = aiguard_load_fault("kexec lookup") ?: aiguard_seal_init();
	if (err)
		return err;
	aiguard_ns_sites_init();
	aiguard_sites_init(aiguard_kread_kernel_callers, ARRAY_SIZE(aiguard_kread_kernel_callers));
	err = aiguard_load_fault("BPF helper lookup") ?: aiguard_bpf_init();
	if (!err)
		err = aiguard_attach_tracepoints();
	if (!err)
		err = aiguard_attach_probes();
	if (!err)
		err = aiguard_load_fault("memory clearing") ?: aiguard_mem_init();
	if (!err)
		err = aiguard_load_fault("BPF program check") ?: aiguard_bpf_check();
	if (!err)
		err = aiguard_pin_ftrace();
	if (!err) {
		mutex_lock(&aiguard_held_lock);
		err = aiguard_held_attach(true);
		mutex_unlock(&aiguard_held_lock);
	}
	if (!err && (aiguard_load_fault("probes fire") || !aiguard_hooks_alive())) {
		pr_err("refusing to load: kprobes are registered but do not fire (disabled through debugfs?)\n");
		err = -EIO;
	}
	if (!err)
		err = aiguard_selftest();
	if (!err) {
		/* attachable, proven; nothing is held yet */
		mutex_lock(&aiguard_held_lock);
		aiguard_held_detach();
		mutex_unlock(&aiguard_held_lock);
	}
	if (err) {
		aiguard_detach_all();
		aiguard_bpf_exit();
		aiguard_mem_exit();
	}
	return err;
}

/**
 * aiguard_hooks_detach - stop the watchdog and detach every handler
 *
 * On return no handler is running or will run, and no address space is
 * followed any more.
 */
void aiguard_hooks_detach(void)
{
	cancel_delayed_work_sync(&aiguard_watchdog_work);
	aiguard_detach_all();
	aiguard_bpf_exit();
	/* No fork or exec hook queues a task_work any more. */
	aiguard_mem_exit();
}
