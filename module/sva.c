// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVA kernel page-table invalidation: the set of SVA-bound mms and the
 * secondary-TLB invalidation issued for each of them whenever the kernel
 * may have freed kernel page tables (DESIGN §1.2).
 *
 * With SVA the IOMMU walks the process page table, whose kernel half is
 * shared; after a kernel page-table page is freed its paging-structure
 * caches may still point at it. hooks/sva.c calls dmaguard_sva_invalidate()
 * at the entry of flush_tlb_kernel_range()/flush_tlb_all(), i.e. before the
 * caller goes on to free (or reuse) the page-table pages it is flushing for,
 * and the invalidation completes before we return (the IOMMU drivers' secondary-
 * TLB callbacks wait for their invalidation queue).
 *
 * Locking, following the upstream discussion ("iommu/sva: Invalidate KVA
 * range on kernel TLB flush"): the kernel TLB flush paths run in any
 * context, so the hot path takes no lock. A static key keeps it to one
 * patched-out branch while no mm is bound; with mms bound, the list is walked
 * under RCU (the callers already run with preemption disabled or in process
 * context). Writers (bind/unbind) serialise on dg_sva_lock, and an entry's
 * mm stays valid through mmgrab() until a grace period after removal.
 */
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "dmaguard.h"
#include "trace.h"

struct dg_sva_mm {
	struct list_head node;		/* dg_sva_list: RCU, dg_sva_lock */
	struct mm_struct *mm;		/* mmgrab()ed */
	unsigned int binds;		/* dg_sva_lock */
};

static LIST_HEAD(dg_sva_list);
static DEFINE_MUTEX(dg_sva_lock);
static DEFINE_STATIC_KEY_FALSE(dg_sva_active);
static atomic_t dg_sva_nr = ATOMIC_INIT(0);
static dg_sva_invalidate_fn dg_sva_invalidator;

void dg_sva_set_invalidator(dg_sva_invalidate_fn fn)
{
	WRITE_ONCE(dg_sva_invalidator, fn);
}

unsigned int dg_sva_mms(void)
{
	return atomic_read(&dg_sva_nr);
}

int dmaguard_sva_enroll(struct mm_struct *mm)
{
	struct dg_sva_mm *e;

	mutex_lock(&dg_sva_lock);
	list_for_each_entry(e, &dg_sva_list, node) {
		if (e->mm == mm) {
			e->binds++;
			mutex_unlock(&dg_sva_lock);
			return 0;
		}
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		mutex_unlock(&dg_sva_lock);
		return -ENOMEM;
	}
	mmgrab(mm);
	e->mm = mm;
	e->binds = 1;
	list_add_rcu(&e->node, &dg_sva_list);
	if (atomic_inc_return(&dg_sva_nr) == 1)
		static_branch_enable(&dg_sva_active);
	mutex_unlock(&dg_sva_lock);
	return 0;
}

static void dg_sva_remove_locked(struct dg_sva_mm *e)
{
	lockdep_assert_held(&dg_sva_lock);
	list_del_rcu(&e->node);
	if (atomic_dec_return(&dg_sva_nr) == 0)
		static_branch_disable(&dg_sva_active);
}

/* Drops one bind of mm; the last one stops invalidating for it. */
void dmaguard_sva_unenroll(struct mm_struct *mm)
{
	struct dg_sva_mm *e, *found = NULL;

	mutex_lock(&dg_sva_lock);
	list_for_each_entry(e, &dg_sva_list, node) {
		if (e->mm == mm) {
			if (--e->binds == 0) {
				dg_sva_remove_locked(e);
				found = e;
			}
			break;
		}
	}
	mutex_unlock(&dg_sva_lock);
	if (!found)
		return;
	/* Readers in atomic context may still hold it. */
	synchronize_rcu();
	mmdrop(found->mm);
	kfree(found);
}

/*
 * Called from any context at the entry of a kernel TLB flush. The range is
 * an IOMMU invalidation range only: it is never walked page by page.
 */
void dmaguard_sva_invalidate(unsigned long start, unsigned long end)
{
	dg_sva_invalidate_fn fn;
	struct dg_sva_mm *e;
	unsigned int n = 0;

	if (!static_branch_unlikely(&dg_sva_active))
		return;
	fn = READ_ONCE(dg_sva_invalidator);
	if (!fn)
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(e, &dg_sva_list, node) {
		if (!mm_has_notifiers(e->mm))
			continue;
		fn(e->mm, start, end);
		n++;
	}
	rcu_read_unlock();
	if (!n)
		return;
	atomic64_add(n, &dg_stats.sva_invalidations);
	trace_dmaguard_sva_inval(start, end, n);
}

void dg_sva_exit(void)
{
	struct dg_sva_mm *e, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&dg_sva_lock);
	list_for_each_entry_safe(e, tmp, &dg_sva_list, node) {
		dg_sva_remove_locked(e);
		list_add(&e->node, &gone);
	}
	mutex_unlock(&dg_sva_lock);
	synchronize_rcu();
	list_for_each_entry_safe(e, tmp, &gone, node) {
		mmdrop(e->mm);
		kfree(e);
	}
}
