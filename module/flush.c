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
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/ktime.h>
#include <linux/io.h>
#include "dmaguard.h"
#include "trace.h"
#include "../arch/arch.h"
#include "../compat/compat.h"

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

/*
 * Start the flush of the queued runs and emit their trace events. Only the
 * line loops and the waits are timed (flush_ns): choosing runs, counting and
 * tracing are the hooks' overhead, not the flush's. A wait precedes every
 * preemption point: the task may move to another CPU there, and the fence
 * only waits for the flushes of the CPU it runs on.
 */
static void dg_flush_queued(struct dg_flush_batch *b, bool last)
{
	unsigned int i;
	u64 t0, off, len, step;
	char *kaddr;

	t0 = ktime_get_ns();
	for (i = 0; i < b->nr; i++) {
		len = (u64)b->run[i].npages << PAGE_SHIFT;
		kaddr = phys_to_virt(PFN_PHYS(b->run[i].pfn));
		for (off = 0; off < len; off += step) {
			step = min(len - off, DG_CHUNK_BYTES - b->chunk);
			dg_arch_flush_kaddr(kaddr + off, step);
			b->chunk += step;
			if (b->chunk < DG_CHUNK_BYTES)
				continue;
			dg_arch_flush_wait();
			b->waits++;
			b->chunk = 0;
			cond_resched();
		}
	}
	if (last && b->chunk) {
		dg_arch_flush_wait();
		b->waits++;
	}
	b->ns += ktime_get_ns() - t0;

	for (i = 0; i < b->nr; i++)
		trace_dmaguard_flush(b->d ? b->d->id : 0,
				     PFN_PHYS(b->run[i].pfn),
				     (u64)b->run[i].npages << PAGE_SHIFT,
				     dg_reason_name(b->reason));
	b->runs += b->nr;
	b->nr = 0;
}

static void dg_flush_queue(struct dg_flush_batch *b, unsigned long pfn,
			   unsigned long npages)
{
	if (b->nr == DG_BATCH_RUNS)
		dg_flush_queued(b, false);
	b->run[b->nr].pfn = pfn;
	b->run[b->nr].npages = npages;
	b->nr++;
	b->bytes += (u64)npages << PAGE_SHIFT;
}

/*
 * Pages of [pfn, pfn + max) that share pfn's large folio. A folio lies in
 * one memory region, whole: the page allocator's (all valid, none reserved)
 * or one ZONE_DEVICE pagemap's (device-DAX's 2 MiB folios), so when pfn is
 * cacheable the rest of its folio is too, and a 2 MiB THP costs one check,
 * not 512.
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

void dg_flush_begin(struct dg_flush_batch *b, struct dg_domain *d,
		    enum dg_reason reason)
{
	might_sleep();
	memset(b, 0, offsetof(struct dg_flush_batch, run));
	b->d = d;
	b->reason = reason;
}

/*
 * Page allocator memory (a struct page, not reserved, not ZONE_DEVICE) is
 * mapped cacheable on every arch: answered inline, as this is asked per
 * page. Everything else is decided out of line (dg_page_cacheable()).
 */
static __always_inline bool dg_page_plain(struct page *page)
{
	return !PageReserved(page) && !is_zone_device_page(page);
}

/*
 * Is this ZONE_DEVICE page RAM to the CPU? Device-DAX (MEMORY_DEVICE_GENERIC)
 * and fs-DAX pages are host memory that memremap_pages() put in the linear
 * map and that long-term pins accept, so VFIO maps them like RAM; they are
 * not in memblock or "System RAM", so the usual RAM tests say no. Never PCI
 * P2PDMA (a BAR), DEVICE_PRIVATE (no CPU mapping) or DEVICE_COHERENT
 * (device memory, never pinned long term).
 */
static bool dg_zone_device_ram(struct page *page)
{
	enum memory_type type = dg_page_pgmap(page)->type;

	return type == MEMORY_DEVICE_GENERIC || type == MEMORY_DEVICE_FS_DAX;
}

/* A page dg_page_plain() said no for: reserved, or ZONE_DEVICE. */
static noinline bool dg_page_cacheable(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	if (is_zone_device_page(page))
		return dg_zone_device_ram(page) &&
		       dg_arch_device_ram_cacheable(pfn);
	return dg_arch_reserved_cacheable(pfn);
}

/*
 * Pfns without a struct page (MMIO BARs mapped for peer-to-peer) are never
 * flushed: they cannot be proven cacheable (x86 PAT does not track them
 * reliably and MTRR lookups are not exported to modules; on arm64 they are
 * Device memory).
 */
static __always_inline bool dg_pfn_cacheable(unsigned long pfn)
{
	struct page *page;

	if (unlikely(!pfn_valid(pfn)))
		return false;
	page = pfn_to_page(pfn);
	return likely(dg_page_plain(page)) || dg_page_cacheable(page);
}

/*
 * Queue the cacheable parts of [pfn, pfn + npages): one flush (and one trace
 * event) per maximal cacheable run. Never touches a pfn outside the range
 * it was given. The flush may have started when this returns; it is only
 * complete after dg_flush_end().
 */
void dg_flush_add(struct dg_flush_batch *b, unsigned long pfn,
		  unsigned long npages)
{
	unsigned long i = 0, start = 0, run = 0, n;

	/* One page: the per-region case of scattered memory, kept short. */
	if (npages == 1) {
		if (dg_pfn_cacheable(pfn))
			dg_flush_queue(b, pfn, 1);
		else
			b->skipped++;
		return;
	}
	while (i < npages) {
		if (dg_pfn_cacheable(pfn + i)) {
			n = dg_folio_rest(pfn + i, npages - i);
			if (!run)
				start = pfn + i;
			run += n;
			i += n;
			continue;
		}
		b->skipped++;
		i++;
		if (run)
			dg_flush_queue(b, start, run);
		run = 0;
	}
	if (run)
		dg_flush_queue(b, start, run);
}

/*
 * Queue @n pages the caller holds (pinned, so pages with a struct page), as
 * runs of consecutive pfns. Returns the index where the last of those runs
 * starts. Same contract as dg_flush_add(), at a few instructions per page:
 * no pfn lookup; the backend is asked only about a reserved or
 * ZONE_DEVICE page (the zero page, device-DAX), which joins the run it
 * continues when cacheable.
 */
unsigned int dg_flush_add_pages(struct dg_flush_batch *b,
				struct page *const *pages, unsigned int n)
{
	unsigned long pfn, start = 0, run = 0;
	unsigned int i, last = 0;

	for (i = 0; i < n; i++) {
		pfn = page_to_pfn(pages[i]);
		if (pfn != start + run)
			last = i;
		if (unlikely(!dg_page_plain(pages[i])) &&
		    !dg_page_cacheable(pages[i])) {
			if (run)
				dg_flush_queue(b, start, run);
			b->skipped++;
			start = pfn + 1;
			run = 0;
			continue;
		}
		if (run && pfn == start + run) {
			run++;
			continue;
		}
		if (run)
			dg_flush_queue(b, start, run);
		start = pfn;
		run = 1;
	}
	if (run)
		dg_flush_queue(b, start, run);
	return last;
}

/* Flush what is still queued, wait once for all of it, and account. */
void dg_flush_end(struct dg_flush_batch *b)
{
	struct dg_domain *d = b->d;

	if (b->nr || b->chunk)
		dg_flush_queued(b, true);
	if (b->skipped)
		atomic64_add(b->skipped, &dg_stats.skipped_uncacheable);
	if (!b->runs)
		return;
	atomic64_add(b->waits, &dg_stats.flush_waits);
	atomic64_add(b->runs, &dg_stats.flushes);
	atomic64_add(b->bytes, &dg_stats.flushed_bytes);
	atomic64_add(b->ns, &dg_stats.flush_ns);
	if (b->reason == DG_REASON_MAP)
		atomic64_add(b->runs, &dg_stats.map_flushes);
	else
		atomic64_add(b->runs, &dg_stats.unmap_flushes);
	if (b->reason == DG_REASON_TEARDOWN)
		atomic64_add(b->runs, &dg_stats.teardown_flushes);
	if (d) {
		atomic64_add(b->bytes, &d->flushed_bytes);
		atomic64_add(b->ns, &d->flush_ns);
		if (b->reason == DG_REASON_MAP)
			atomic64_add(b->runs, &d->map_flushes);
		else
			atomic64_add(b->runs, &d->unmap_flushes);
	}
}

/* One run, flushed and waited for on its own. */
void dmaguard_flush_pfns(struct dg_domain *d, unsigned long pfn,
			 unsigned long npages, enum dg_reason reason)
{
	struct dg_flush_batch b;

	dg_flush_begin(&b, d, reason);
	dg_flush_add(&b, pfn, npages);
	dg_flush_end(&b);
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
 * Is a run that belongs to the owner of @op flushed, and for which domain
 * (*d, referenced by @op; NULL: unattributed)? A run with no owner
 * operation around it (@op NULL), or of an owner dmaguard never saw attach
 * (loaded later), is treated as not coherent unless the default policy
 * says never: fail safe. The kill switch is checked per call.
 */
bool dg_op_flushing(struct dg_owner_op *op, struct dg_domain **d)
{
	*d = NULL;
	if (!READ_ONCE(dg_enabled))
		return false;
	if (op && op->target) {
		*d = op->target;
		return true;
	}
	if ((!op || !op->known) && dg_unknown_owner_flushing()) {
		atomic64_inc(&dg_stats.unattributed_flushes);
		return true;
	}
	return false;
}

/* A run of @op not flushed (dg_op_flushing() said no). */
void dg_op_skip(struct dg_owner_op *op, unsigned long npages)
{
	/* Counted once per operation: no shared cache line per run. */
	if (op) {
		op->skipped_runs++;
		op->skipped_bytes += (u64)npages << PAGE_SHIFT;
		return;
	}
	dg_stats_skipped(1, (u64)npages << PAGE_SHIFT);
}

/* Flush one run of @op's owner if any of its domains needs it. */
void dmaguard_flush_op(struct dg_owner_op *op, unsigned long pfn,
		       unsigned long npages, enum dg_reason reason)
{
	struct dg_domain *d;

	if (dg_op_flushing(op, &d))
		dmaguard_flush_pfns(d, pfn, npages, reason);
	else
		dg_op_skip(op, npages);
}
