// SPDX-License-Identifier: GPL-2.0
/*
 * aiguard mem: nothing a protected process lets go of carries its data.
 *
 * Debian boots with init_on_free=0: a freed page keeps its contents until
 * it is handed out again (and init_on_alloc clears it then). Until that
 * moment anything that reads free memory reads the dead process's model
 * weights and prompts: /proc/kcore once nothing is protected, a BPF
 * program reading the kernel's direct map, a crash kernel's /proc/vmcore.
 * So a protected process's anonymous pages are cleared before the kernel
 * frees them.
 *
 * The mechanism is the kernel's own for following an address space's
 * pages: an MMU notifier on every protected mm (KVM and GPU drivers use
 * them). Unprotected processes pay nothing: the kernel calls notifiers
 * only for an mm that has one. The events that free pages:
 *
 * - release, from exit_mmap() before a single page is unmapped: process
 *   exit (SIGKILL included), the old address space of an exec, the last
 *   user of an mm going away. Every page is cleared.
 * - invalidate_range_start from unmap_vmas() (munmap(), mremap() and brk()
 *   shrinking, mmap(MAP_FIXED) over a mapping) and from
 *   zap_page_range_single() (MADV_DONTNEED). The pages of the range are
 *   cleared.
 *
 * The same notifier is called for changes that keep the pages (mremap()
 * moving them, COW, THP split and collapse, KSM, reclaim, migration, a
 * file's truncation keeping private copies), with the same event types;
 * clearing then would destroy live data. So a range is cleared only when
 * the stack shows one of the two freeing callers (compat.h), and never
 * under a truncation, nor under a huge page split: a zap of half a huge
 * page splits it first, and the split invalidates the whole huge page,
 * the half that stays too, from inside the zap (whose own invalidation
 * already cleared the half that goes). A caller not recognised keeps its pages: the worst
 * that can happen is a page left uncleared, never a live page cleared.
 * The load-time self-test proves that munmap() is recognised on this
 * kernel. The pages that would otherwise leave uncleared by other roads
 * are kept in place instead: reclaim neither writes them to swap nor
 * discards them after MADV_FREE, and neither migration (compaction,
 * NUMA balancing) nor khugepaged moves them (the swap and migrate
 * handlers of lsm.c).
 *
 * A page is cleared only when no other address space maps it (a COW page
 * shared with a child forked before protection keeps its contents for
 * the child), when it is anonymous (page cache and shmem are files, with
 * owners of their own), not KSM's, and not pinned for DMA (a device may
 * still be reading it; GUP pins are the holder's to release).
 *
 * Which address spaces: the one a process has when it is protected, and
 * each new one of a protected process: a forked child's (not a CLONE_VM
 * child's, which shares its parent's) and each exec's. Fork and exec are
 * seen in atomic context, where registering a notifier (which sleeps) is
 * impossible; a task_work registers it in the task itself before it runs
 * a single user instruction. A task killed before that never wrote to its
 * new memory: a forked child's pages are its parent's until written, and
 * exec copies only the arguments and environment before (see README).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "mem.h"
#include "stats.h"
#include "sym.h"

/**
 * struct aiguard_mn - aiguard's notifier on one protected address space
 * @mn: the subscription; the kernel holds it on mm->notifier_subscriptions
 * @node: in aiguard_mn_list while @held
 * @held: aiguard holds the one reference mmu_notifier_get() gave it; who
 *        clears this (release, untrack, unload) puts the reference
 */
struct aiguard_mn {
	struct mmu_notifier mn;
	struct list_head node;
	bool held;
};

static LIST_HEAD(aiguard_mn_list);
static DEFINE_SPINLOCK(aiguard_mn_lock);	/* aiguard_mn_list and each held */

static atomic64_t aiguard_mem_pages;

/* compat.h: the callers whose invalidations free the pages */
static struct aiguard_site aiguard_site_unmap[] = { { AIGUARD_ZAP_UNMAP_SYMBOL } };
static struct aiguard_site aiguard_site_clear[] = { { AIGUARD_ZAP_CLEAR_SYMBOL } };
static struct aiguard_site aiguard_site_keep[] = {
	{ "unmap_mapping_range" }, { "unmap_mapping_pages" }, { "unmap_mapping_folio" },
	{ "__split_huge_pmd" }, { "__split_huge_pud" },
};

/* Deep enough for a truncation's unmap_mapping_*() above the zap. */
#define AIGUARD_MEM_TRACE	16
/* Pages cleared outside the page table lock, a batch at a time. */
#define AIGUARD_MEM_BATCH	16

/**
 * struct aiguard_clear - one clearing walk
 * @mm: the address space
 * @can_sleep: whether the walk may reschedule
 * @pages: referenced pages waiting to be cleared
 * @nr: how many
 * @cleared: pages cleared so far
 */
struct aiguard_clear {
	struct mm_struct *mm;
	bool can_sleep;
	struct page *pages[AIGUARD_MEM_BATCH];
	unsigned int nr;
	unsigned long cleared;
};

/* Clear and let go of the batch; outside any page table lock. */
static void aiguard_clear_flush(struct aiguard_clear *c)
{
	unsigned int i;

	for (i = 0; i < c->nr; i++) {
		clear_highpage(c->pages[i]);
		put_page(c->pages[i]);
	}
	c->cleared += c->nr;
	c->nr = 0;
	if (c->can_sleep)
		cond_resched();
}

/*
 * Whether @folio holds data of this address space alone that the kernel
 * would free with the mapping: anonymous, not KSM's (shared by content
 * with others), not hugetlb's (a pool of its own, not cleared here), not
 * pinned for DMA.
 */
static bool aiguard_clear_candidate(struct folio *folio)
{
	return folio_test_anon(folio) && !folio_test_ksm(folio) &&
	       !folio_test_hugetlb(folio) && !folio_maybe_dma_pinned(folio);
}

/* How many entries of the page table @table map pages of @folio. */
static unsigned int aiguard_folio_here(pte_t *table, struct folio *folio)
{
	unsigned long first = folio_pfn(folio), nr = folio_nr_pages(folio), pfn;
	unsigned int i, here = 0;
	pte_t pte;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		pte = ptep_get(table + i);
		if (!pte_present(pte))
			continue;
		pfn = pte_pfn(pte);
		here += pfn - first < nr;
	}
	return here;
}

/*
 * The pages one page table maps in [addr, end), under its lock. A page
 * table found through the pmd may be freed under RCU by a collapse of a
 * file THP (6.5+), so it is reached under rcu_read_lock() and used only
 * once its lock is held and the pmd still points to it.
 */
static void aiguard_clear_ptes(struct aiguard_clear *c, pmd_t *pmd,
			       unsigned long addr, unsigned long end)
{
	struct folio *folio, *last = NULL;
	unsigned int here = 1;
	pte_t *table, *pte, ent;
	spinlock_t *ptl;	/* the page table's lock */
	struct page *page;
	pmd_t pmdval;

	while (addr < end) {
		rcu_read_lock();
		pmdval = READ_ONCE(*pmd);
		if (pmd_none(pmdval) || !pmd_present(pmdval) || pmd_leaf(pmdval) ||
		    pmd_bad(pmdval)) {
			rcu_read_unlock();
			return;
		}
		ptl = pte_lockptr(c->mm, &pmdval);
		spin_lock(ptl);
		if (!pmd_same(pmdval, READ_ONCE(*pmd))) {
			spin_unlock(ptl);
			rcu_read_unlock();
			continue;
		}
		table = pte_offset_kernel(&pmdval, 0);
		for (pte = table + pte_index(addr); addr < end && c->nr < AIGUARD_MEM_BATCH;
		     pte++, addr += PAGE_SIZE) {
			ent = ptep_get(pte);
			if (!pte_present(ent) || pte_special(ent))
				continue;
			page = pfn_to_online_page(pte_pfn(ent));
			if (!page)
				continue;
			folio = page_folio(page);
			if (!aiguard_clear_candidate(folio))
				continue;
			if (folio_test_large(folio) && folio != last) {
				last = folio;
				here = aiguard_folio_here(table, folio);
			}
			if (!aiguard_page_alone(page, folio, folio_test_large(folio) ? here : 1))
				continue;
			get_page(page);
			c->pages[c->nr++] = page;
		}
		spin_unlock(ptl);
		rcu_read_unlock();
		aiguard_clear_flush(c);
		last = NULL;
	}
}

/*
 * A huge pmd (a THP mapped whole) in [addr, end). The pages are checked
 * one by one: on 6.1 a page of a THP mapped here whole may also be mapped
 * alone elsewhere (a child's partial copy), and keeps its contents then.
 * Nothing can map them anew meanwhile: that takes a fork of this mm, and
 * the caller holds its mmap lock.
 */
static void aiguard_clear_pmd_leaf(struct aiguard_clear *c, pmd_t *pmd,
				   unsigned long addr, unsigned long end)
{
	struct folio *folio = NULL;
	spinlock_t *ptl;	/* the pmd's page table lock */
	struct page *page = NULL;
	pmd_t pmdval;

	ptl = pmd_lock(c->mm, pmd);
	pmdval = READ_ONCE(*pmd);
	if (pmd_present(pmdval) && pmd_leaf(pmdval))
		page = pfn_to_online_page(pmd_pfn(pmdval));
	if (page) {
		folio = page_folio(page);
		if (aiguard_clear_candidate(folio))
			folio_get(folio);
		else
			folio = NULL;
	}
	spin_unlock(ptl);
	if (!folio)
		return;
	page = folio_page(folio, (addr & ~PMD_MASK) >> PAGE_SHIFT);
	for (; addr < end; addr += PAGE_SIZE, page++) {
		if (!aiguard_page_alone(page, folio, 1))
			continue;
		clear_highpage(page);
		c->cleared++;
		if (c->can_sleep && !(c->cleared % AIGUARD_MEM_BATCH))
			cond_resched();
	}
	folio_put(folio);
}

static void aiguard_clear_pmds(struct aiguard_clear *c, pud_t *pud,
			       unsigned long addr, unsigned long end)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	unsigned long next;
	pmd_t pmdval;

	do {
		next = pmd_addr_end(addr, end);
		pmdval = READ_ONCE(*pmd);
		if (pmd_none(pmdval) || !pmd_present(pmdval))
			continue;
		if (pmd_leaf(pmdval))
			aiguard_clear_pmd_leaf(c, pmd, addr, next);
		else
			aiguard_clear_ptes(c, pmd, addr, next);
	} while (pmd++, addr = next, addr != end);
}

static void aiguard_clear_puds(struct aiguard_clear *c, p4d_t *p4d,
			       unsigned long addr, unsigned long end)
{
	pud_t *pud = pud_offset(p4d, addr);
	unsigned long next;
	pud_t pudval;

	do {
		next = pud_addr_end(addr, end);
		pudval = READ_ONCE(*pud);
		/* a leaf here is hugetlb's or a device's: not cleared here */
		if (pud_none(pudval) || pud_leaf(pudval) || pud_bad(pudval))
			continue;
		aiguard_clear_pmds(c, pud, addr, next);
	} while (pud++, addr = next, addr != end);
}

static void aiguard_clear_p4ds(struct aiguard_clear *c, pgd_t *pgd,
			       unsigned long addr, unsigned long end)
{
	p4d_t *p4d = p4d_offset(pgd, addr);
	unsigned long next;

	do {
		next = p4d_addr_end(addr, end);
		if (p4d_none(READ_ONCE(*p4d)) || p4d_bad(READ_ONCE(*p4d)))
			continue;
		aiguard_clear_puds(c, p4d, addr, next);
	} while (p4d++, addr = next, addr != end);
}

/*
 * Every anonymous page that [start, end) of @c->mm maps and no other
 * address space does is cleared. The caller holds the mmap lock (or, for
 * release, the mm has no user left), so page tables are freed under us
 * only by a file THP collapse, which aiguard_clear_ptes() allows for.
 * The walk only reads the page tables.
 */
static void aiguard_clear_range(struct aiguard_clear *c, unsigned long start,
				unsigned long end)
{
	unsigned long addr = start & PAGE_MASK, next;
	pgd_t *pgd;

	if (addr >= end)
		return;
	pgd = pgd_offset(c->mm, addr);
	do {
		next = pgd_addr_end(addr, end);
		if (pgd_none(READ_ONCE(*pgd)) || pgd_bad(READ_ONCE(*pgd)))
			continue;
		aiguard_clear_p4ds(c, pgd, addr, next);
	} while (pgd++, addr = next, addr != end);
	if (c->cleared)
		atomic64_add(c->cleared, &aiguard_mem_pages);
}

/*
 * Take aiguard's reference off @n, under aiguard_mn_lock; the caller puts
 * it after unlocking. Whoever gets here first (release, untrack, unload)
 * does it. Returns whether it was held.
 */
static bool aiguard_mn_unhold(struct aiguard_mn *n)
{
	bool held = n->held;

	lockdep_assert_held(&aiguard_mn_lock);
	if (held) {
		n->held = false;
		list_del_init(&n->node);
	}
	return held;
}

/*
 * exit_mmap(), before any page is unmapped: the mm has no user left, so
 * nothing maps or faults anything in it any more, and the mmap lock is
 * free for the walk.
 */
static void aiguard_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct aiguard_clear c = { .mm = mm, .can_sleep = true };

	struct aiguard_mn *n = container_of(mn, struct aiguard_mn, mn);
	bool held;

	mmap_read_lock(mm);
	aiguard_clear_range(&c, 0, TASK_SIZE_MAX);
	mmap_read_unlock(mm);
	/* mn_hlist_release() holds SRCU: @n cannot be freed under us */
	spin_lock(&aiguard_mn_lock);
	held = aiguard_mn_unhold(n);
	spin_unlock(&aiguard_mn_lock);
	if (held)
		mmu_notifier_put(mn);
}

/* Whether this invalidation comes from a caller that frees the pages. */
static bool aiguard_mn_frees(const struct mmu_notifier_range *range)
{
	unsigned long trace[AIGUARD_MEM_TRACE];
	unsigned int n;

	if (range->event != MMU_NOTIFY_UNMAP && range->event != MMU_NOTIFY_CLEAR)
		return false;
	n = stack_trace_save(trace, ARRAY_SIZE(trace), 0);
	if (range->event == MMU_NOTIFY_UNMAP)
		return aiguard_site_on_stack(trace, n, aiguard_site_unmap,
					     ARRAY_SIZE(aiguard_site_unmap));
	return aiguard_site_on_stack(trace, n, aiguard_site_clear,
				     ARRAY_SIZE(aiguard_site_clear)) &&
	       !aiguard_site_on_stack(trace, n, aiguard_site_keep,
				      ARRAY_SIZE(aiguard_site_keep));
}

/*
 * Before the kernel changes the page tables of [range->start, range->end).
 * The freeing callers hold the mmap lock and may sleep. The one caller
 * that may not (the OOM reaper, MMU_NOTIFY_UNMAP) is told to come back
 * later: it skips the mapping, and exit_mmap() then frees it through
 * release, cleared.
 */
static int aiguard_mn_invalidate_range_start(struct mmu_notifier *mn,
					     const struct mmu_notifier_range *range)
{
	struct aiguard_clear c = { .mm = range->mm, .can_sleep = true };

	if (!mmu_notifier_range_blockable(range))
		return range->event == MMU_NOTIFY_UNMAP ? -EAGAIN : 0;
	if (aiguard_mn_frees(range))
		aiguard_clear_range(&c, range->start, range->end);
	return 0;
}

static struct mmu_notifier *aiguard_mn_alloc(struct mm_struct *mm)
{
	struct aiguard_mn *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&n->node);
	return &n->mn;
}

static void aiguard_mn_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct aiguard_mn, mn));
}

static const struct mmu_notifier_ops aiguard_mn_ops = {
	.release = aiguard_mn_release,
	.invalidate_range_start = aiguard_mn_invalidate_range_start,
	.alloc_notifier = aiguard_mn_alloc,
	.free_notifier = aiguard_mn_free,
};

/**
 * aiguard_mem_track - clear what @mm lets go of, from now until it dies
 * @mm: an address space the caller holds a user reference on (mmget())
 *
 * Tracking an mm twice is tracking it once.
 *
 * Return: 0, or -ENOMEM or -EINTR (a signal while registering).
 */
int aiguard_mem_track(struct mm_struct *mm)
{
	struct mmu_notifier *mn;
	struct aiguard_mn *n;
	bool again;

	might_sleep();
	mn = mmu_notifier_get(&aiguard_mn_ops, mm);
	if (IS_ERR(mn))
		return PTR_ERR(mn);
	n = container_of(mn, struct aiguard_mn, mn);
	spin_lock(&aiguard_mn_lock);
	again = n->held;
	if (!again) {
		n->held = true;
		list_add(&n->node, &aiguard_mn_list);
	}
	spin_unlock(&aiguard_mn_lock);
	if (again)
		mmu_notifier_put(mn);
	return 0;
}

/**
 * aiguard_mem_untrack - stop clearing what @mm lets go of
 * @mm: an address space; nothing happens if it is not tracked
 *
 * For a process that is unprotected: what it frees from now on is its own
 * business again.
 */
void aiguard_mem_untrack(struct mm_struct *mm)
{
	struct aiguard_mn *n, *found = NULL;

	spin_lock(&aiguard_mn_lock);
	list_for_each_entry(n, &aiguard_mn_list, node) {
		if (n->mn.mm == mm) {
			found = n;
			break;
		}
	}
	/* On the list, it is held: taking it off is what keeps it alive for the put. */
	if (found)
		aiguard_mn_unhold(found);
	spin_unlock(&aiguard_mn_lock);
	if (found)
		mmu_notifier_put(&found->mn);
}

/* A task_work: the task registers its own new mm before it runs. */
static void aiguard_mem_work(struct callback_head *head)
{
	struct mm_struct *mm = current->mm;
	int err;

	kfree(head);
	/* Run at exit instead (killed first): the mm is gone, with nothing new in it. */
	if (mm && !(current->flags & PF_EXITING)) {
		err = aiguard_mem_track(mm);
		if (err) {
			pr_err("cannot follow the memory of protected pid %d (%s) (error %d); killing it\n",
			       task_tgid_nr(current), current->comm, err);
			force_sig(SIGKILL);
		}
	}
	/*
	 * Taken by aiguard_mem_track_later(). The task's own protection
	 * pins the module past our return; this covers a task unprotected
	 * meanwhile, up to the return itself.
	 */
	module_put(THIS_MODULE);
}

/**
 * aiguard_mem_track_later - track @task's mm before it next runs user code
 * @task: current, just past exec, or a child of a fork not yet running
 *
 * For fork and exec, which aiguard sees in atomic context. The task
 * registers its mm itself, on its way back to user space; if it cannot,
 * it is killed there. Any context.
 *
 * Return: 0, -ENOMEM, or -ESRCH if @task is already exiting.
 */
int aiguard_mem_track_later(struct task_struct *task)
{
	struct callback_head *head = kmalloc(sizeof(*head), GFP_ATOMIC);
	int err;

	if (!head)
		return -ENOMEM;
	/* Our function stays queued on the task: keep it loaded till it ran. */
	__module_get(THIS_MODULE);
	init_task_work(head, aiguard_mem_work);
	err = task_work_add(task, head, TWA_RESUME);
	if (err) {
		kfree(head);
		module_put(THIS_MODULE);
	}
	return err;
}

/*
 * Whether @page holds what a read through a kernel address must not see
 * while anything is protected: user memory (anonymous, or shmem: tmpfs,
 * /dev/shm, SysV, memfds, shared anonymous mappings) or a free page (a
 * dead process's data until it is handed out again). The kernel's own
 * data (slab, page tables, stacks, file page cache, text) is not. Reads
 * the page's state without locks, so it is safe anywhere, NMI included;
 * a page changing state under it is judged as it was.
 */
static bool aiguard_mem_page_private(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (PageSlab(page))
		return false;
	return !folio_ref_count(folio) || folio_test_anon(folio) ||
	       folio_test_swapbacked(folio);
}

/**
 * aiguard_mem_kernel_alias - whether a kernel address range aliases private memory
 * @addr: the first byte, a kernel address
 * @size: how many bytes
 *
 * The kernel maps all of RAM (the direct map) and some of it again
 * (vmalloc): every page a process owns has a kernel address too. Any
 * context.
 *
 * Return: true if a page of [@addr, @addr + @size) is user or free
 * memory (aiguard_mem_page_private()).
 */
bool aiguard_mem_kernel_alias(unsigned long addr, size_t size)
{
	unsigned long p, end = addr + (size ?: 1);
	struct page *page;

	if (end < addr)
		end = ULONG_MAX;
	for (p = addr & PAGE_MASK; p < end; p += PAGE_SIZE) {
		if (virt_addr_valid((void *)p))
			page = virt_to_page((void *)p);
		else if (is_vmalloc_addr((void *)p))
			page = vmalloc_to_page((void *)p);
		else
			continue;	/* no RAM alias: the kernel image, fixmaps */
		if (page && aiguard_mem_page_private(page))
			return true;
		if (p + PAGE_SIZE < p)
			break;
	}
	return false;
}

/**
 * aiguard_mem_clear_folio - clear a page-cache folio before it is freed
 * @folio: locked and out of every page table (an object's, obj.c, whose
 *         file is being truncated or evicted)
 *
 * Atomic context: a kprobe handler. A folio is at most a PMD's size
 * here (2 MiB: a shmem THP, a hugetlbfs page), tens of microseconds; a
 * 1 GiB hugetlbfs page is not cleared (that would be a tenth of a second
 * with preemption off).
 *
 * Return: whether it was cleared.
 */
bool aiguard_mem_clear_folio(struct folio *folio)
{
	long i, nr = folio_nr_pages(folio);

	if (folio_size(folio) > PMD_SIZE)
		return false;
	for (i = 0; i < nr; i++)
		clear_highpage(folio_page(folio, i));
	atomic64_add(nr, &aiguard_mem_pages);
	return true;
}

/**
 * aiguard_mem_cleared - pages cleared since load
 *
 * Return: the count.
 */
u64 aiguard_mem_cleared(void)
{
	return atomic64_read(&aiguard_mem_pages);
}

/*
 * Prove on this kernel that munmap() of a tracked address space clears
 * the pages: map an anonymous page in the loading process, fill it, hold
 * it, unmap it, and look at it. If the unmapping caller was not
 * recognised (a kernel whose stacks or names differ), refuse to load.
 */
static int aiguard_mem_selftest(void)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr;
	struct page *page;
	bool clear;
	void *kaddr;
	int err;
	long got;

	if (!mm)
		return -EINVAL;
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	err = clear_user((void __user *)addr, PAGE_SIZE) ? -EFAULT : 0;
	if (!err && put_user(0xa5a5a5a5U, (u32 __user *)addr))
		err = -EFAULT;
	if (err) {
		vm_munmap(addr, PAGE_SIZE);
		return err;
	}
	mmap_read_lock(mm);
	got = aiguard_gup_one(mm, addr, 0, &page);
	mmap_read_unlock(mm);
	if (got != 1) {
		vm_munmap(addr, PAGE_SIZE);
		return got < 0 ? (int)got : -EFAULT;
	}
	err = aiguard_mem_track(mm);
	vm_munmap(addr, PAGE_SIZE);
	aiguard_mem_untrack(mm);
	kaddr = kmap_local_page(page);
	clear = !memchr_inv(kaddr, 0, PAGE_SIZE);
	kunmap_local(kaddr);
	put_page(page);
	if (err)
		return err;
	if (!clear) {
		pr_err("refusing to load: self-test: munmap() of a protected process's memory left it uncleared on this kernel\n");
		return -EIO;
	}
	/* The self-test's own page is not the operator's count. */
	atomic64_set(&aiguard_mem_pages, 0);
	return 0;
}

/**
 * aiguard_mem_init - find the freeing callers and prove that clearing works
 *
 * Return: 0, or a negative errno with the reason in the kernel log.
 */
int aiguard_mem_init(void)
{
	int err;

	might_sleep();
	if (!aiguard_sites_init(aiguard_site_unmap, ARRAY_SIZE(aiguard_site_unmap)) ||
	    !aiguard_sites_init(aiguard_site_clear, ARRAY_SIZE(aiguard_site_clear))) {
		pr_err("refusing to load: %s or %s not found: a protected process's freed memory could not be cleared\n",
		       AIGUARD_ZAP_UNMAP_SYMBOL, AIGUARD_ZAP_CLEAR_SYMBOL);
		return -ENOENT;
	}
	/* A keep site the kernel lacks cannot be on a stack either. */
	aiguard_sites_init(aiguard_site_keep, ARRAY_SIZE(aiguard_site_keep));
	err = aiguard_mem_selftest();
	if (err && err != -EIO)
		pr_err("refusing to load: the memory-clearing self-test could not run (error %d)\n",
		       err);
	return err;
}

/**
 * aiguard_mem_exit - stop following every address space
 *
 * Nothing is protected any more (the module cannot be unloaded
 * otherwise), but an mm that outlived its protected owner may still be
 * tracked. Waits until the kernel has freed every subscription, whose
 * free_notifier is our code.
 */
void aiguard_mem_exit(void)
{
	struct aiguard_mn *n;

	for (;;) {
		spin_lock(&aiguard_mn_lock);
		n = list_first_entry_or_null(&aiguard_mn_list, struct aiguard_mn, node);
		if (n)
			aiguard_mn_unhold(n);
		spin_unlock(&aiguard_mn_lock);
		if (!n)
			break;
		mmu_notifier_put(&n->mn);
	}
	mmu_notifier_synchronize();
}
