// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flush orchestration: turns a pfn run handed over by a hook into arch
 * flushes of the kernel linear-map alias, split at uncacheable pfns and
 * chunked so that no flush runs longer than one chunk without a chance to
 * reschedule.
 *
 * Callers are sleepable (the ftrace wrappers in hooks/ run in the context of
 * the VFIO/iommufd ioctl that pins or unpins), so a 1 GiB run costs at most
 * one chunk of latency to other tasks on this CPU.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/ktime.h>
#include <linux/io.h>
#include "dmaguard.h"
#include "trace.h"
#include "../arch/arch.h"

/* Bounded work between preemption points: 2 MiB is ~50-100 us of CLFLUSHOPT. */
#define DG_CHUNK_BYTES	((u64)SZ_2M)

static const char *const dg_reason_names[] = {
	[DG_REASON_MAP] = "map",
	[DG_REASON_UNMAP] = "unmap",
	[DG_REASON_TEARDOWN] = "teardown",
};

const char *dg_reason_name(enum dg_reason reason)
{
	return dg_reason_names[reason];
}

static void dg_flush_run(struct dg_domain *d, unsigned long pfn,
			 unsigned long npages, enum dg_reason reason)
{
	u64 len = (u64)npages << PAGE_SHIFT;
	char *kaddr = phys_to_virt(PFN_PHYS(pfn));
	u64 t0, ns, off;

	t0 = ktime_get_ns();
	for (off = 0; off < len; off += DG_CHUNK_BYTES) {
		dg_arch_flush_kaddr(kaddr + off, min(len - off, DG_CHUNK_BYTES));
		cond_resched();
	}
	ns = ktime_get_ns() - t0;

	atomic64_inc(&dg_stats.flushes);
	atomic64_add(len, &dg_stats.flushed_bytes);
	atomic64_add(ns, &dg_stats.flush_ns);
	if (reason == DG_REASON_MAP)
		atomic64_inc(&dg_stats.map_flushes);
	else
		atomic64_inc(&dg_stats.unmap_flushes);
	if (reason == DG_REASON_TEARDOWN)
		atomic64_inc(&dg_stats.teardown_flushes);
	if (d) {
		atomic64_add(len, &d->flushed_bytes);
		atomic64_add(ns, &d->flush_ns);
		if (reason == DG_REASON_MAP)
			atomic64_inc(&d->map_flushes);
		else
			atomic64_inc(&d->unmap_flushes);
	}
	trace_dmaguard_flush(d ? d->id : 0, PFN_PHYS(pfn), len,
			     dg_reason_name(reason));
}

/*
 * Pages of [pfn, pfn + max) that share pfn's large folio. A folio comes from
 * the page allocator whole: its pages are all valid, none is reserved, and
 * all sit in the same memory region, so when the arch found pfn cacheable
 * the rest of its folio is too, and a 2 MiB THP costs one check, not 512.
 */
static unsigned long dg_folio_rest(unsigned long pfn, unsigned long max)
{
	struct page *page = pfn_to_page(pfn);
	struct folio *folio = page_folio(page);
	unsigned long rest;

	if (!folio_test_large(folio))
		return 1;
	rest = folio_nr_pages(folio) - folio_page_idx(folio, page);
	return min(rest, max);
}

/*
 * Flush the cacheable parts of [pfn, pfn + npages): one arch flush (and one
 * trace event) per maximal cacheable run. Never touches a pfn outside the
 * range it was given.
 */
void dmaguard_flush_pfns(struct dg_domain *d, unsigned long pfn,
			 unsigned long npages, enum dg_reason reason)
{
	unsigned long i = 0, start = 0, run = 0, skipped = 0, n;

	might_sleep();
	while (i < npages) {
		if (dg_arch_pfn_cacheable(pfn + i)) {
			n = dg_folio_rest(pfn + i, npages - i);
			if (!run)
				start = pfn + i;
			run += n;
			i += n;
			continue;
		}
		skipped++;
		i++;
		if (run)
			dg_flush_run(d, start, run, reason);
		run = 0;
	}
	if (run)
		dg_flush_run(d, start, run, reason);
	if (skipped)
		atomic64_add(skipped, &dg_stats.skipped_uncacheable);
}

/* Runs not flushed: coherent domain, policy never, or enabled=0. */
void dg_stats_skipped(u64 runs, u64 bytes)
{
	atomic64_add(runs, &dg_stats.skipped_coherent);
	atomic64_add(bytes, &dg_stats.skipped_coherent_bytes);
}

/*
 * Is a run of an owner dmaguard does not know flushed? Yes, fail safe,
 * unless flushing is off or the default policy says never.
 */
bool dg_unknown_owner_flushing(void)
{
	return READ_ONCE(dg_enabled) &&
	       READ_ONCE(dg_default_policy) != DG_POLICY_NEVER;
}

void dg_owner_begin(struct dg_owner_op *op, const void *owner_key)
{
	op->key = owner_key;
	op->mapped_delta = 0;
	op->skipped_runs = 0;
	op->skipped_bytes = 0;
	op->target = dg_owner_flush_target(owner_key, &op->known);
}

void dg_owner_end(struct dg_owner_op *op)
{
	if (op->mapped_delta)
		dg_owner_account(op->key, op->mapped_delta);
	if (op->skipped_runs)
		dg_stats_skipped(op->skipped_runs, op->skipped_bytes);
	dg_domain_put(op->target);
	op->target = NULL;
}

/*
 * Flush a run that belongs to the owner of @op if any of its domains needs
 * it. A run with no owner operation around it (@op NULL), or of an owner
 * dmaguard never saw attach (loaded later), is treated as not coherent
 * unless the default policy says never: fail safe. The kill switch is
 * checked per run.
 */
void dmaguard_flush_op(struct dg_owner_op *op, unsigned long pfn,
		       unsigned long npages, enum dg_reason reason)
{
	if (!READ_ONCE(dg_enabled))
		goto skip;
	if (op && op->target) {
		dmaguard_flush_pfns(op->target, pfn, npages, reason);
		return;
	}
	if ((!op || !op->known) && dg_unknown_owner_flushing()) {
		atomic64_inc(&dg_stats.unattributed_flushes);
		dmaguard_flush_pfns(NULL, pfn, npages, reason);
		return;
	}
skip:
	/* Counted once per operation: no shared cache line per run. */
	if (op) {
		op->skipped_runs++;
		op->skipped_bytes += (u64)npages << PAGE_SHIFT;
		return;
	}
	dg_stats_skipped(1, (u64)npages << PAGE_SHIFT);
}
