// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO type1 hook table (protections vfio-map and vfio-unmap).
 *
 * On Debian's kernels vfio_dma_do_map, vfio_pin_map_dma, vfio_iommu_map and
 * vfio_dma_do_unmap are inlined; what is left to hook is:
 *  - vfio_pin_pages_remote(): returns npage pinned pages starting at
 *    *pfn_base, not yet mapped: flush them after it returns (reason map);
 *  - vfio_unpin_pages_remote(pfn, npage): called after iommu_unmap and the
 *    IOTLB sync, before the pages are unpinned: flush before calling it
 *    (reason unmap, or teardown inside detach/release);
 *  - the container entry points (ioctl, attach_group, detach_group,
 *    release), which tell the two above which container a pfn run belongs
 *    to, and which create and destroy the domain registry entries.
 *
 * VFIO hands over one run per physically contiguous extent: one per page
 * for scattered 4 KiB guest memory. Waiting for the flush (a fence) once
 * per run would cost a fence per page, so both per-run hooks flush ahead,
 * with one wait for everything:
 *  - pin: the rest of the pin batch (struct vfio_batch, up to 512 pinned
 *    pages that later calls will hand out, and that are mapped only after
 *    those calls return), together with the run being returned;
 *  - unpin: inside vfio_sync_unpin() (one call per up to 512 fast-unmapped
 *    regions, after their IOTLB sync), the whole region list at its first
 *    unpin; the later unpins of that list find their region flushed.
 * Both read private structures (compat.h), checked at run time; when a
 * check fails, or vfio_sync_unpin is absent, each run is flushed alone.
 * The later calls, whose runs were flushed ahead, are not even redirected:
 * the ftrace callback recognises them (the rows' pass checks), or the
 * task is hushed for the rest of a vfio_sync_unpin() list.
 *
 * The pin hook is lazy: registered with ftrace only when a map (or an
 * attach that may pin) first needs a flush, so a host whose VFIO domains
 * are all coherent never pays for it on its map path.
 *
 * A container's pinned pages are reachable through all of its domains, so it
 * is flushed when any of its domains needs it. Coherency comes from VFIO
 * itself: VFIO_CHECK_EXTENSION(VFIO_DMA_CC_IOMMU) on the container, which
 * is 1 only when every domain enforces cache coherency.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/vfio.h>
#include <linux/uaccess.h>
#include "hooks.h"
#include "../compat/compat.h"

/*
 * The originals, called through static calls (hooks.h), with the wrappers'
 * signatures. The attach type is enum vfio_group_type, private to
 * drivers/vfio; VFIO_IOMMU is 0.
 *
 * By 7.3 npage is unsigned long in vfio_pin_pages_remote() and
 * vfio_unpin_pages_remote() (the same register; runs are far below
 * LONG_MAX). Their contract is unchanged up to 7.3: a pin call returns one
 * pfn-contiguous run (7.x counts it per contiguous stretch of the batch,
 * num_pages_contiguous(), and refills only an empty batch), an unpin gets
 * one run after its IOTLB sync.
 *
 * vfio_sync_unpin(dma, domain, regions, iotlb_gather) exists on Debian's
 * kernels only as a .isra clone that keeps those four arguments in place.
 * Its wrapper passes all six argument registers through untouched, so it
 * is transparent whatever the clone kept, and it only uses the third as
 * the region list after checking it is one.
 */
static long dg_vfio_pin(void *dma, unsigned long vaddr, long npage,
			unsigned long *pfn_base, unsigned long limit,
			void *batch);
static long dg_vfio_unpin(void *dma, dma_addr_t iova, unsigned long pfn,
			  long npage, bool do_accounting);
static long dg_vfio_sync_unpin(unsigned long a0, unsigned long a1,
			       unsigned long a2, unsigned long a3,
			       unsigned long a4, unsigned long a5);
static long dg_vfio_ioctl(void *iommu_data, unsigned int cmd,
			  unsigned long arg);
static int dg_vfio_attach(void *iommu_data, struct iommu_group *group,
			  int type);
static void dg_vfio_detach(void *iommu_data, struct iommu_group *group);
static void dg_vfio_release(void *iommu_data);

DG_ORIG_DEFINE(vfio_pin, dg_vfio_pin);
DG_ORIG_DEFINE(vfio_unpin, dg_vfio_unpin);
DG_ORIG_DEFINE(vfio_sync_unpin, dg_vfio_sync_unpin);
DG_ORIG_DEFINE(vfio_ioctl, dg_vfio_ioctl);
DG_ORIG_DEFINE(vfio_attach, dg_vfio_attach);
DG_ORIG_DEFINE(vfio_detach, dg_vfio_detach);
DG_ORIG_DEFINE(vfio_release, dg_vfio_release);

static int dg_vfio_coherent(void *iommu_data)
{
	long ret = DG_ORIG(vfio_ioctl)(iommu_data, VFIO_CHECK_EXTENSION,
				 VFIO_DMA_CC_IOMMU);

	if (ret < 0)
		return DG_COH_UNKNOWN;
	return ret ? DG_COH_YES : DG_COH_NO;
}

/* Unpins inside a container's detach or release are its teardown. */
static enum dg_reason dg_vfio_unmap_reason(struct dg_ctx *ctx)
{
	return ctx->reason == DG_REASON_TEARDOWN ? DG_REASON_TEARDOWN :
						  DG_REASON_UNMAP;
}

/* Is this the vfio_batch VFIO pins into (checks what compat.h assumes)? */
static bool dg_vfio_batch_ok(const struct dg_vfio_batch *b)
{
	if (!object_is_on_stack(b))
		return false;
	if (b->offset < 0 || b->size < 0 || b->size > b->capacity - b->offset)
		return false;
	if (b->capacity == 1)
		return b->pages == (struct page **)&b->fallback_page;
	return b->capacity == PAGE_SIZE / sizeof(struct page *) &&
	       PAGE_ALIGNED(b->pages) && virt_addr_valid(b->pages);
}

/* Queue the pages the batch still holds; note where its last run starts. */
static void dg_vfio_flush_ahead(struct dg_ctx *ctx, struct dg_flush_batch *fb,
				const struct dg_vfio_batch *b)
{
	ctx->la.tail = b->offset + dg_flush_add_pages(fb, b->pages + b->offset,
						      b->size);
	ctx->la.batch = b;
	ctx->la.pages = b->pages;
	ctx->la.end = b->offset + b->size;
}

/*
 * ftrace fast path of vfio_pin_pages_remote(): a call that starts in the
 * batch flushed ahead, before its last run, hands out pages of that batch
 * only (a run ends at the first pfn discontinuity, and refills only when
 * the batch is empty): all flushed. Nothing to do for the wrapper, as the
 * map is accounted whole (acct_whole), so the call is not redirected:
 * on scattered memory, two pin calls in 512 are.
 */
static bool notrace dg_vfio_pin_pass(struct dg_ctx *ctx,
				     struct ftrace_regs *fregs)
{
	const struct dg_vfio_batch *b = (void *)dg_ftrace_arg(fregs, 5);

	/* Same batch as checked then, not refilled since, not at its tail. */
	return ctx->la.batch == b && ctx->acct_whole &&
	       b->pages == ctx->la.pages &&
	       b->offset + b->size == ctx->la.end &&
	       b->offset < ctx->la.tail;
}

/*
 * A pin call returned [pfn, pfn + npage). Its first pages may be the rest
 * of the batch an earlier call flushed ahead (entry state @pages, @off,
 * @size, read only when @b is that batch: the batch still held them then).
 * The others are flushed now, with what the batch holds after this call.
 */
static void dg_vfio_pinned(struct dg_ctx *ctx, struct dg_vfio_batch *b,
			   struct page **pages, int off, int size,
			   unsigned long pfn, long npage)
{
	unsigned long done = 0;
	struct dg_flush_batch fb;
	struct dg_domain *d;

	if (!ctx) {
		dmaguard_flush_op(NULL, pfn, npage, DG_REASON_MAP);
		return;
	}
	if (ctx->whole)
		return;
	if (!ctx->acct_whole)
		ctx->op.mapped_delta += (s64)npage << PAGE_SHIFT;
	if (size > 0 && ctx->la.pages == pages && ctx->la.end == off + size &&
	    page_to_pfn(pages[off]) == pfn)
		done = min_t(unsigned long, npage, size);
	if (done == npage) {
		/* A refill after the last page restarts at offset 0: new pages. */
		if (b->pages != pages || b->offset != off + npage)
			ctx->la.batch = NULL;
		return;
	}
	ctx->la.batch = NULL;
	if (!dg_op_flushing(&ctx->op, &d)) {
		dg_op_skip(&ctx->op, npage - done);
		return;
	}
	dg_flush_begin(&fb, d, DG_REASON_MAP);
	dg_flush_add(&fb, pfn + done, npage - done);
	if (dg_vfio_batch_ok(b) && b->size > 0)
		dg_vfio_flush_ahead(ctx, &fb, b);
	dg_flush_end(&fb);
}

static long dg_vfio_pin(void *dma, unsigned long vaddr, long npage,
			unsigned long *pfn_base, unsigned long limit,
			void *batch)
{
	struct dg_ctx *ctx = dg_ctx_current();
	struct dg_vfio_batch *b = batch;
	struct page **pages = NULL;
	int off = 0, size = 0;
	long ret;

	/* The batch flushed ahead, checked then: only note where it is. */
	if (ctx && ctx->la.batch == b) {
		pages = b->pages;
		off = b->offset;
		size = b->size;
	}
	ret = DG_ORIG(vfio_pin)(dma, vaddr, npage, pfn_base, limit, batch);
	if (ret > 0)
		dg_vfio_pinned(ctx, b, pages, off, size, *pfn_base, ret);
	dg_hook_leave();
	return ret;
}

/* Reads the region vfio_sync_unpin() is at; false if it is not one. */
static bool dg_vfio_region(const struct list_head *head,
			   const struct list_head *pos,
			   struct dg_vfio_regions *r)
{
	return pos != head &&
	       !copy_from_kernel_nofault(r, list_entry(pos,
						       struct dg_vfio_regions,
						       list), sizeof(*r));
}

/* Is @r the region of this unpin call? */
static __always_inline bool
dg_vfio_region_is(const struct dg_vfio_regions *r, dma_addr_t iova,
		  unsigned long pfn, long npage)
{
	return r->iova == iova && r->phys == PFN_PHYS(pfn) &&
	       r->len == (size_t)npage << PAGE_SHIFT;
}

/* A run unpinned: the gauge, unless the operation counts it whole. */
static __always_inline void dg_vfio_unpinned(struct dg_ctx *ctx, long npage)
{
	if (!ctx->acct_whole)
		ctx->op.mapped_delta -= (s64)npage << PAGE_SHIFT;
}

/*
 * First unpin of a vfio_sync_unpin() list: flush every region on it (all
 * are unmapped and IOTLB synced) with one wait. @r, the first, was read
 * with care and matched this unpin call: the list is VFIO's list of
 * regions, so the others are read directly. At most twice VFIO's batch of
 * 512 regions is taken; any further ones are flushed one by one.
 *
 * When the whole list was taken, the rest of vfio_sync_unpin() only
 * unpins its regions: they are accounted now and the unpin hook is hushed
 * until it returns. Else each later unpin finds its region flushed ahead.
 */
static void dg_vfio_flush_list(struct dg_ctx *ctx, struct dg_domain *d,
			       const struct list_head *head,
			       const struct dg_vfio_regions *r)
{
	const struct list_head *pos = r->list.next;
	struct dg_flush_batch fb;
	unsigned long npage, rest = 0;
	unsigned int n = 1;

	dg_flush_begin(&fb, d, dg_vfio_unmap_reason(ctx));
	for (;;) {
		npage = PFN_UP(r->phys + r->len) - PHYS_PFN(r->phys);
		dg_flush_add(&fb, PHYS_PFN(r->phys), npage);
		if (n > 1)
			rest += r->len >> PAGE_SHIFT;
		if (pos == head || n == 1024)
			break;
		r = list_entry(pos, struct dg_vfio_regions, list);
		pos = r->list.next;
		n++;
	}
	dg_flush_end(&fb);
	ctx->la.ahead = n - 1;
	if (pos == head && n > 1 && dg_ctx_hush(ctx)) {
		dg_vfio_unpinned(ctx, rest);
		ctx->la.ahead = 0;
	}
}

/*
 * An unpin inside vfio_sync_unpin() is for the list's first region (each
 * is unlinked after its unpin). Is it one the list's first unpin flushed
 * ahead?
 */
static __always_inline bool dg_vfio_unpin_ahead(struct dg_ctx *ctx,
						dma_addr_t iova,
						unsigned long pfn, long npage)
{
	const struct list_head *head = ctx->la.regions;
	const struct dg_vfio_regions *e;

	if (!ctx->la.ahead || !head || head->next == head)
		return false;
	/* The list was read and checked: its entries are regions. */
	e = list_entry(head->next, struct dg_vfio_regions, list);
	if (!dg_vfio_region_is(e, iova, pfn, npage))
		return false;
	ctx->la.ahead--;
	return true;
}

/*
 * ftrace fast path of vfio_unpin_pages_remote(): a run flushed ahead needs
 * only accounting, done here; the call is not redirected.
 */
static bool notrace dg_vfio_unpin_pass(struct dg_ctx *ctx,
				       struct ftrace_regs *fregs)
{
	long npage = dg_ftrace_arg(fregs, 3);

	if (!dg_vfio_unpin_ahead(ctx, dg_ftrace_arg(fregs, 1),
				 dg_ftrace_arg(fregs, 2), npage))
		return false;
	dg_vfio_unpinned(ctx, npage);
	return true;
}

/*
 * True if this unpin's run was flushed ahead with its vfio_sync_unpin()
 * list, or is now with the whole list (its first unpin).
 */
static bool dg_vfio_unpin_listed(struct dg_ctx *ctx, dma_addr_t iova,
				 unsigned long pfn, long npage)
{
	const struct list_head *head = ctx->la.regions;
	struct dg_vfio_regions r;
	struct dg_domain *d;

	if (ctx->la.ahead)
		return dg_vfio_unpin_ahead(ctx, iova, pfn, npage);
	if (ctx->la.listed)
		return false;
	if (!dg_vfio_region(head, READ_ONCE(head->next), &r) ||
	    !dg_vfio_region_is(&r, iova, pfn, npage))
		return false;
	ctx->la.listed = true;
	if (!dg_op_flushing(&ctx->op, &d))
		return false;
	dg_vfio_flush_list(ctx, d, head, &r);
	return true;
}

static long dg_vfio_unpin(void *dma, dma_addr_t iova, unsigned long pfn,
			  long npage, bool do_accounting)
{
	struct dg_ctx *ctx = dg_ctx_current();
	long ret;

	if (npage <= 0)
		goto call;
	if (!ctx) {
		dmaguard_flush_op(NULL, pfn, npage, DG_REASON_UNMAP);
		goto call;
	}
	if (ctx->whole)
		goto call;
	dg_vfio_unpinned(ctx, npage);
	if (ctx->la.regions && dg_vfio_unpin_listed(ctx, iova, pfn, npage))
		goto call;
	dmaguard_flush_op(&ctx->op, pfn, npage, dg_vfio_unmap_reason(ctx));
call:
	ret = DG_ORIG(vfio_unpin)(dma, iova, pfn, npage, do_accounting);
	dg_hook_leave();
	return ret;
}

static long dg_vfio_sync_unpin(unsigned long a0, unsigned long a1,
			       unsigned long a2, unsigned long a3,
			       unsigned long a4, unsigned long a5)
{
	struct dg_ctx *ctx = dg_ctx_current();
	long ret;

	/* The list head is a local of vfio_unmap_unpin(): on this stack. */
	if (ctx && object_is_on_stack((void *)a2)) {
		ctx->la.regions = (void *)a2;
		ctx->la.ahead = 0;
		ctx->la.listed = false;
	}
	ret = DG_ORIG(vfio_sync_unpin)(a0, a1, a2, a3, a4, a5);
	if (ctx) {
		ctx->la.regions = NULL;
		dg_ctx_unhush(ctx);
	}
	dg_hook_leave();
	return ret;
}

/*
 * What dmaguard keeps per container for a domain that joins or leaves it
 * (see dg_vfio_replay_map() and dg_vfio_teardown()): the IOVA ranges ever
 * mapped (a superset: unmaps other than "all" are not subtracted, the walk
 * finds their holes), and whether every mapping was flushed for a
 * non-coherent domain. Under dg_vfio_conts_lock.
 */
#define DG_VFIO_RANGES	256

struct dg_vfio_cont {
	struct list_head node;
	const void *key;		/* the container's iommu_data */
	bool flushed_all;		/* every mapping flushed as for non-coherent */
	bool lost;			/* ranges unknown (adopted, or too many) */
	unsigned int nr;
	struct {
		u64 start, end;
	} r[DG_VFIO_RANGES];		/* sorted, disjoint, not adjacent */
};

static LIST_HEAD(dg_vfio_conts);
static DEFINE_MUTEX(dg_vfio_conts_lock);

static struct dg_vfio_cont *dg_vfio_cont_find(const void *key)
{
	struct dg_vfio_cont *c;

	lockdep_assert_held(&dg_vfio_conts_lock);
	list_for_each_entry(c, &dg_vfio_conts, node)
		if (c->key == key)
			return c;
	return NULL;
}

/*
 * The container's state, made if missing. @fresh: it has no mappings yet
 * (its first attach, every container seen since type1 loaded).
 */
static int dg_vfio_cont_get(const void *key, bool fresh)
{
	struct dg_vfio_cont *c;

	mutex_lock(&dg_vfio_conts_lock);
	c = dg_vfio_cont_find(key);
	if (!c) {
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (c) {
			c->key = key;
			c->flushed_all = fresh;
			c->lost = !fresh;
			list_add(&c->node, &dg_vfio_conts);
		}
	}
	mutex_unlock(&dg_vfio_conts_lock);
	return c ? 0 : -ENOMEM;
}

static void dg_vfio_cont_put(const void *key)
{
	struct dg_vfio_cont *c;

	mutex_lock(&dg_vfio_conts_lock);
	c = dg_vfio_cont_find(key);
	if (c)
		list_del(&c->node);
	mutex_unlock(&dg_vfio_conts_lock);
	kfree(c);
}

static void dg_vfio_conts_free(void)
{
	struct dg_vfio_cont *c, *t;

	mutex_lock(&dg_vfio_conts_lock);
	list_for_each_entry_safe(c, t, &dg_vfio_conts, node) {
		list_del(&c->node);
		kfree(c);
	}
	mutex_unlock(&dg_vfio_conts_lock);
}

/* Adds [start, end) to the sorted ranges, merging what it touches. */
static void dg_vfio_range_add(struct dg_vfio_cont *c, u64 start, u64 end)
{
	unsigned int i = 0, j;

	while (i < c->nr && c->r[i].end < start)
		i++;
	j = i;
	while (j < c->nr && c->r[j].start <= end) {
		start = min(start, c->r[j].start);
		end = max(end, c->r[j].end);
		j++;
	}
	if (j == i) {
		if (c->nr == DG_VFIO_RANGES) {
			c->lost = true;
			return;
		}
		memmove(&c->r[i + 1], &c->r[i], (c->nr - i) * sizeof(c->r[0]));
		c->nr++;
	} else if (j > i + 1) {
		memmove(&c->r[i + 1], &c->r[j], (c->nr - j) * sizeof(c->r[0]));
		c->nr -= j - i - 1;
	}
	c->r[i].start = start;
	c->r[i].end = end;
}

/* A map or unmap ioctl succeeded: note its range, and how it was flushed. */
static void dg_vfio_cont_note(const void *key, unsigned int cmd,
			      unsigned long arg, bool flushed)
{
	struct vfio_iommu_type1_dma_unmap __user *um = (void __user *)arg;
	struct vfio_iommu_type1_dma_map __user *m = (void __user *)arg;
	struct dg_vfio_cont *c;
	u64 iova, size;
	u32 flags;

	mutex_lock(&dg_vfio_conts_lock);
	c = dg_vfio_cont_find(key);
	if (!c)
		goto out;
	if (cmd == VFIO_IOMMU_UNMAP_DMA) {
		/* Nothing is left mapped: nothing is lost or unflushed. */
		if (!get_user(flags, &um->flags) &&
		    (flags & VFIO_DMA_UNMAP_FLAG_ALL)) {
			c->nr = 0;
			c->lost = false;
			c->flushed_all = true;
		}
		goto out;
	}
	if (!flushed)
		c->flushed_all = false;
	if (get_user(iova, &m->iova) || get_user(size, &m->size) ||
	    !size || iova + size < iova)
		c->lost = true;
	else
		dg_vfio_range_add(c, iova, iova + size);
out:
	mutex_unlock(&dg_vfio_conts_lock);
}

static bool dg_vfio_cont_flushed_all(const void *key)
{
	struct dg_vfio_cont *c;
	bool ret;

	mutex_lock(&dg_vfio_conts_lock);
	c = dg_vfio_cont_find(key);
	ret = c && c->flushed_all;
	mutex_unlock(&dg_vfio_conts_lock);
	return ret;
}

static void dg_vfio_cont_set_flushed(const void *key)
{
	struct dg_vfio_cont *c;

	mutex_lock(&dg_vfio_conts_lock);
	c = dg_vfio_cont_find(key);
	if (c)
		c->flushed_all = true;
	mutex_unlock(&dg_vfio_conts_lock);
}

/* Tasks inside a type1 attach: iommu_map()'s wrapper looks for them. */
static atomic_t dg_vfio_attaching = ATOMIC_INIT(0);

bool notrace dg_vfio_replay_idle(void)
{
	return !atomic_read(&dg_vfio_attaching);
}

/* The task's type1 attach, if it is in one (innermost context). */
static struct dg_ctx *dg_vfio_attach_ctx(void)
{
	struct dg_ctx *ctx;

	if (!atomic_read(&dg_vfio_attaching) || !in_task())
		return NULL;
	ctx = dg_ctx_current();
	return ctx && ctx->rp.attaching ? ctx : NULL;
}

/*
 * The IOMMU driver answered whether @domain enforces cache coherency: in a
 * type1 attach that is the new domain. Returns true if it was one.
 */
bool dg_vfio_cc_learned(const struct iommu_domain *domain, bool coherent)
{
	struct dg_ctx *ctx = dg_vfio_attach_ctx();

	if (!ctx)
		return false;
	ctx->rp.domain = domain;
	ctx->rp.coherent = coherent ? DG_COH_YES : DG_COH_NO;
	return true;
}

/* TEST=1: the group the seam makes non-coherent answers no (test_hooks.c). */
bool dg_vfio_cc_forced(const struct iommu_domain *domain, bool *coherent)
{
	struct dg_ctx *ctx = dg_vfio_attach_ctx();

	if (!ctx || !dg_test_noncoherent(ctx->rp.group))
		return false;
	*coherent = false;
	return true;
}

/*
 * The first iommu_map() inside an attach is into the new domain the group
 * could not share (type1 first tries the existing ones and maps nothing
 * then): vfio_test_domain_fgsp()'s probe, then vfio_iommu_replay() of
 * every mapping. Flush what it maps when that domain is not known to be
 * coherent, unless every mapping was flushed for a non-coherent domain of
 * the container already. The new domain's entry is made here, so its
 * counters show the replay.
 */
static void dg_vfio_replay_decide(struct dg_ctx *ctx,
				  const struct iommu_domain *domain)
{
	int coh = ctx->rp.domain == domain ? ctx->rp.coherent : DG_COH_UNKNOWN;
	int policy = READ_ONCE(dg_default_policy);
	struct dg_domain *d, *o;
	bool created;

	ctx->rp.decided = true;
	ctx->rp.flush = dg_policy_flushing(policy, coh);
	if (ctx->rp.flush && dg_vfio_cont_flushed_all(ctx->op.key))
		ctx->rp.flush = false;
	d = dg_domain_get_or_create(DG_OWNER_VFIO_TYPE1, ctx->op.key, domain,
				    &created);
	if (d && created) {
		WRITE_ONCE(d->own_coherent, coh);
		/* It maps what the container maps. */
		o = dg_owner_other(ctx->op.key, domain);
		if (o) {
			WRITE_ONCE(d->coherent, READ_ONCE(o->coherent));
			atomic64_set(&d->mapped_bytes,
				     atomic64_read(&o->mapped_bytes));
			dg_domain_put(o);
		}
		if (coh != DG_COH_YES)
			WRITE_ONCE(d->coherent, DG_COH_NO);
	}
	ctx->rp.entry = d;
}

void dg_vfio_replay_map(struct iommu_domain *domain, phys_addr_t paddr,
			size_t size)
{
	struct dg_ctx *ctx = dg_vfio_attach_ctx();

	if (!ctx || !size)
		return;
	if (!ctx->rp.decided)
		dg_vfio_replay_decide(ctx, domain);
	if (!ctx->rp.flush || !READ_ONCE(dg_enabled)) {
		dg_stats_skipped(1, size);
		return;
	}
	/* iommu_map() of a replay may sleep (GFP_KERNEL_ACCOUNT): so may we. */
	dmaguard_flush_pfns(ctx->rp.entry, PHYS_PFN(paddr),
			    PFN_UP(paddr + size) - PHYS_PFN(paddr),
			    DG_REASON_MAP);
}

/* Would a domain with this entry's own coherency need flushing? */
static bool dg_vfio_own_flushing(const struct dg_domain *d)
{
	return dg_policy_flushing(READ_ONCE(d->policy),
				  READ_ONCE(d->own_coherent));
}

/*
 * A non-coherent domain went away while the container keeps its mappings
 * in @other (type1 frees a domain without unmapping when another remains):
 * its devices may have left lines behind in any of them. Flush every page
 * @other maps in the recorded ranges once (teardown), the domain gone.
 * Runs under the container's group_lock (write): no map or unmap of it
 * runs. Returns false if the ranges are not known (or no memory for their
 * copy): the caller keeps the container flushing.
 */
static bool dg_vfio_teardown(const void *key, struct dg_domain *d,
			     struct iommu_domain *other)
{
	unsigned long run_pfn = 0, run_n = 0, lookups = 0, pfn;
	struct dg_vfio_cont *c, *copy = NULL;
	struct dg_flush_batch fb;
	phys_addr_t phys;
	unsigned int i;
	u64 iova;

	/* A copy: other containers' maps note their ranges meanwhile. */
	mutex_lock(&dg_vfio_conts_lock);
	c = dg_vfio_cont_find(key);
	if (c && !c->lost)
		copy = kmemdup(c, sizeof(*c), GFP_KERNEL);
	mutex_unlock(&dg_vfio_conts_lock);
	if (!copy)
		return false;
	dg_flush_begin(&fb, d, DG_REASON_TEARDOWN);
	for (i = 0; i < copy->nr; i++) {
		for (iova = copy->r[i].start & PAGE_MASK;
		     iova < copy->r[i].end; iova += PAGE_SIZE) {
			if (!(++lookups % 512))
				cond_resched();
			phys = iommu_iova_to_phys(other, iova);
			pfn = PHYS_PFN(phys);
			if (phys && run_n && pfn == run_pfn + run_n) {
				run_n++;
				continue;
			}
			if (run_n)
				dg_flush_add(&fb, run_pfn, run_n);
			run_pfn = pfn;
			run_n = phys ? 1 : 0;
		}
	}
	if (run_n)
		dg_flush_add(&fb, run_pfn, run_n);
	dg_flush_end(&fb);
	kfree(copy);
	return true;
}

/*
 * A container dmaguard does not track may hold mappings that it has not
 * seen (dmaguard was loaded later, or could not track it).
 */
static bool dg_vfio_lost_track;

/* A container dmaguard did not see attach (loaded later): track it now. */
static void dg_vfio_adopt(void *iommu_data)
{
	struct dg_domain *d;
	bool created;

	if (dg_owner_known(iommu_data))
		return;
	d = dg_domain_get_or_create(DG_OWNER_VFIO_TYPE1, iommu_data, NULL,
				    &created);
	if (!d) {
		WRITE_ONCE(dg_vfio_lost_track, true);
		return;
	}
	if (created)
		WRITE_ONCE(d->coherent, dg_vfio_coherent(iommu_data));
	dg_domain_put(d);
	/* Its mappings so far are unknown: a later replay flushes them. */
	dg_vfio_cont_get(iommu_data, false);
}

/*
 * A successful map or unmap accounted whole, from the size VFIO read, or
 * wrote back on unmap: a map always (it maps all or, failing, unwinds all;
 * most of its pin calls are not redirected, see dg_vfio_pin_pass()); an
 * unmap that flushes nothing (decided at its start), whose unpin runs may
 * not have been hooked at all (quiet). The user may rewrite the size
 * meanwhile: only the mapped_bytes gauge would be off, and it is clamped
 * at zero.
 */
static void dg_vfio_account_whole(struct dg_ctx *ctx, unsigned int cmd,
				  unsigned long arg)
{
	u64 __user *usize;
	u64 size;

	if (cmd == VFIO_IOMMU_MAP_DMA)
		usize = &((struct vfio_iommu_type1_dma_map __user *)arg)->size;
	else
		usize = &((struct vfio_iommu_type1_dma_unmap __user *)arg)->size;
	if (get_user(size, usize) || size > S64_MAX)
		return;
	ctx->op.mapped_delta += cmd == VFIO_IOMMU_MAP_DMA ? (s64)size :
							   -(s64)size;
	if (ctx->whole) {
		ctx->op.skipped_runs++;
		ctx->op.skipped_bytes += size;
	}
}

static long dg_vfio_ioctl(void *iommu_data, unsigned int cmd,
			  unsigned long arg)
{
	bool track = cmd == VFIO_IOMMU_MAP_DMA || cmd == VFIO_IOMMU_UNMAP_DMA;
	bool flushed = READ_ONCE(dg_enabled);
	struct dg_ctx ctx;
	long ret;

	if (track) {
		dg_vfio_adopt(iommu_data);
		dg_ctx_push(&ctx, iommu_data, DG_REASON_MAP);
		ctx.whole = ctx.op.known && !ctx.op.target;
		ctx.acct_whole = ctx.whole || cmd == VFIO_IOMMU_MAP_DMA;
		dg_ctx_quiet(&ctx);
		/* A map that may flush needs the pin hook: nothing mapped if not. */
		if (cmd == VFIO_IOMMU_MAP_DMA && !ctx.whole) {
			ret = dg_hook_need(&dg_vfio_type1_hooks, DG_NEED_PIN);
			if (ret)
				goto out;
		}
	}
	ret = DG_ORIG(vfio_ioctl)(iommu_data, cmd, arg);
	if (track && !ret)
		dg_vfio_cont_note(iommu_data, cmd, arg,
				  flushed && ctx.op.target &&
				  READ_ONCE(dg_enabled));
out:
	if (track) {
		if (ctx.acct_whole && !ret)
			dg_vfio_account_whole(&ctx, cmd, arg);
		dg_ctx_pop(&ctx);
	}
	dg_hook_leave();
	return ret;
}

/*
 * May attaching a group pin pages? Only when VFIO replays mappings that no
 * IOMMU domain holds yet (a container with only emulated mdev groups so
 * far). Not for a container with one of its IOMMU domains tracked, nor for
 * one dmaguard never saw map anything although it saw every container
 * vfio_iommu_type1 made (every map is adopted): it has no mappings.
 */
static bool dg_vfio_attach_may_pin(void *iommu_data)
{
	if (dg_owner_has_domain(iommu_data))
		return false;
	if (dg_owner_known(iommu_data))
		return true;
	return !dg_vfio_type1_hooks.saw_all ||
	       READ_ONCE(dg_vfio_lost_track);
}

/* The container's coherency, as VFIO reports it, for all its entries. */
static void dg_vfio_update_coherent(void *iommu_data)
{
	int coh = dg_vfio_coherent(iommu_data);

	/* A domain whose reach could not be flushed keeps it flushing. */
	if (coh == DG_COH_YES && dg_owner_own_noncoherent(iommu_data))
		coh = DG_COH_NO;
	dg_owner_set_coherent(iommu_data, coh);
}

/* Record what the attach learned about the domain the group is now in. */
static void dg_vfio_attached(void *iommu_data, struct iommu_group *group,
			     struct dg_ctx *ctx)
{
	struct dg_devscan s = {};
	struct dg_domain *d, *o;
	bool created;

	dg_group_scan(group, &s);
	if (!s.domain)
		return;		/* emulated (mdev) group: no IOMMU domain */
	o = dg_owner_other(iommu_data, s.domain);
	d = dg_domain_get_or_create(DG_OWNER_VFIO_TYPE1, iommu_data, s.domain,
				    &created);
	if (d) {
		if (ctx->rp.domain == s.domain)
			WRITE_ONCE(d->own_coherent, ctx->rp.coherent);
		else if (created && !o)
			WRITE_ONCE(d->own_coherent,
				   dg_vfio_coherent(iommu_data));
		/* A new domain maps what the container has mapped. */
		if (created && o)
			atomic64_set(&d->mapped_bytes,
				     atomic64_read(&o->mapped_bytes));
		dg_domain_add_group(d, group, s.devices);
		dg_domain_put(d);
	}
	dg_domain_put(o);
}

static int dg_vfio_attach(void *iommu_data, struct iommu_group *group,
			  int type)
{
	unsigned int need;
	struct dg_ctx ctx;
	bool fresh;
	int ret;

	fresh = !dg_owner_known(iommu_data) &&
		dg_vfio_type1_hooks.saw_all && !READ_ONCE(dg_vfio_lost_track);
	ret = dg_vfio_cont_get(iommu_data, fresh);
	if (ret)
		goto out;
	/*
	 * Attaching may replay (pin and map) the container's mappings: into a
	 * new domain when the group cannot share one (iommu_map), or pinning
	 * when no IOMMU domain holds them yet.
	 */
	need = dg_owner_has_domain(iommu_data) ? DG_NEED_REPLAY : 0;
	if (dg_vfio_attach_may_pin(iommu_data))
		need |= DG_NEED_PIN;
	if (need) {
		ret = dg_hook_need(&dg_vfio_type1_hooks, need);
		if (ret)
			goto out;
	}
	dg_ctx_push(&ctx, iommu_data, DG_REASON_MAP);
	ctx.rp.attaching = true;
	ctx.rp.group = group;
	atomic_inc(&dg_vfio_attaching);
	ret = DG_ORIG(vfio_attach)(iommu_data, group, type);
	atomic_dec(&dg_vfio_attaching);
	dg_ctx_pop(&ctx);
	if (ret) {
		/* type1 freed the domain it replayed into: forget it. */
		if (ctx.rp.entry)
			dg_domain_destroy(ctx.rp.entry);
	} else {
		dg_vfio_attached(iommu_data, group, &ctx);
		/* Everything mapped now was flushed for a non-coherent domain. */
		if (ctx.rp.flush && READ_ONCE(dg_enabled))
			dg_vfio_cont_set_flushed(iommu_data);
		dg_vfio_update_coherent(iommu_data);
	}
	dg_domain_put(ctx.rp.entry);
out:
	dg_hook_leave();
	return ret;
}

static void dg_vfio_detach(void *iommu_data, struct iommu_group *group)
{
	struct dg_domain *d, *o = NULL;
	struct dg_devscan s = {};
	struct dg_ctx ctx;

	dg_group_scan(group, &s);
	d = s.domain ? dg_domain_find(iommu_data, s.domain) : NULL;
	/*
	 * The last group of a domain that needed flushing, while another
	 * domain keeps the container's mappings: type1 frees it unmapped.
	 */
	if (d && dg_domain_only_group(d, group) && dg_vfio_own_flushing(d))
		o = dg_owner_other(iommu_data, s.domain);

	/* The last detach unmaps and unpins everything: teardown flushes. */
	dg_ctx_push(&ctx, iommu_data, DG_REASON_TEARDOWN);
	DG_ORIG(vfio_detach)(iommu_data, group);
	dg_ctx_pop(&ctx);

	if (o && !dg_vfio_teardown(iommu_data, d,
				   (struct iommu_domain *)o->iommu_domain)) {
		/* Its reach is unknown: the container keeps flushing. */
		WRITE_ONCE(o->own_coherent, DG_COH_NO);
	}
	dg_domain_put(o);
	if (d) {
		if (dg_domain_remove_group(d, group))
			dg_domain_destroy(d);
		dg_domain_put(d);
	}
	if (dg_owner_known(iommu_data))
		dg_vfio_update_coherent(iommu_data);
	dg_hook_leave();
}

static void dg_vfio_release(void *iommu_data)
{
	struct dg_ctx ctx;

	dg_ctx_push(&ctx, iommu_data, DG_REASON_TEARDOWN);
	DG_ORIG(vfio_release)(iommu_data);
	dg_ctx_pop(&ctx);
	/* iommu_data is freed now; it is only a key from here on. */
	dg_owner_destroy(iommu_data);
	dg_vfio_cont_put(iommu_data);
	dg_hook_leave();
}

static const char *const dg_vfio_sync_unpin_clones[] = {
	"vfio_sync_unpin.isra.0", NULL
};

static const struct dg_hook dg_vfio_type1_rows[] = {
	/*
	 * Rows arm in this order and disarm in reverse, one at a time: the
	 * hooks that destroy registry entries (release, detach) come before
	 * those that create them (ioctl adopts, attach), so no entry can be
	 * created while its container's teardown would still go unseen (it
	 * would stay behind as a ghost domain keyed by a freed pointer).
	 */
	{
		.symbol = "vfio_iommu_type1_release",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_vfio_release,
		.orig = DG_ORIG_REF(vfio_release),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_iommu_type1_detach_group",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_vfio_detach,
		.orig = DG_ORIG_REF(vfio_detach),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_iommu_type1_ioctl",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_vfio_ioctl,
		.orig = DG_ORIG_REF(vfio_ioctl),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_iommu_type1_attach_group",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_vfio_attach,
		.orig = DG_ORIG_REF(vfio_attach),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_pin_pages_remote",
		.kind = DG_HOOK_WRAP,
		.per_run = true,
		.lazy = DG_NEED_PIN,
		.pass = dg_vfio_pin_pass,
		.wrapper = dg_vfio_pin,
		.orig = DG_ORIG_REF(vfio_pin),
		.provides = DG_PROT_VFIO_MAP,
	}, {
		.symbol = "vfio_unpin_pages_remote",
		.kind = DG_HOOK_WRAP,
		.per_run = true,
		.pass = dg_vfio_unpin_pass,
		.wrapper = dg_vfio_unpin,
		.orig = DG_ORIG_REF(vfio_unpin),
		.provides = DG_PROT_VFIO_UNMAP,
	},
	/* The replay of a container's mappings into a new domain. */
	DG_IOMMU_MAP_ROW(DG_PROT_NONE, DG_NEED_REPLAY),
	DG_CC_ROW("intel_iommu_enforce_cache_coherency", intel),
	DG_CC_ROW("intel_iommu_enforce_cache_coherency_fs", intel_fs),
	DG_CC_ROW("intel_iommu_enforce_cache_coherency_ss", intel_ss),
	DG_CC_ROW("amd_iommu_enforce_cache_coherency", amd),
	{
		/* Flush-ahead only: without it each unpin flushes alone. */
		.symbol = "vfio_sync_unpin",
		.fallbacks = dg_vfio_sync_unpin_clones,
		.kind = DG_HOOK_WRAP,
		.per_run = true,
		.optional = true,
		.wrapper = dg_vfio_sync_unpin,
		.orig = DG_ORIG_REF(vfio_sync_unpin),
		.provides = DG_PROT_NONE,
	},
};

static struct dg_hook_state dg_vfio_type1_state[ARRAY_SIZE(dg_vfio_type1_rows)];

struct dg_hook_set dg_vfio_type1_hooks = {
	.name = "vfio-type1",
	.module = "vfio_iommu_type1",
	.hooks = dg_vfio_type1_rows,
	.state = dg_vfio_type1_state,
	.nr = ARRAY_SIZE(dg_vfio_type1_rows),
	.disarmed = dg_vfio_conts_free,
};
