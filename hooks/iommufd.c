// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMUFD hook table (protections iommufd-map and iommufd-unmap).
 *
 * iommufd's own map and unpin paths (batch_to_domain, the inlined
 * iopt_area_unpin_domain, struct pfn_batch) are static and private, so the
 * flush hooks sit on the core functions iommufd calls with public types,
 * filtered to the domains iommufd owns:
 *  - iommu_map(): batch_to_domain() is the only place iommufd maps pinned
 *    pfns into a domain; flush [paddr, paddr + size) first (reason map);
 *  - iommu_unmap(): iommufd unmaps (iommu_unmap_nofail) and only then
 *    unpins, "unpin must follow unmap". The pfns are read back with
 *    iommu_iova_to_phys() before the unmap, and flushed after it returned
 *    (the IOTLB is synced by then), so before the caller unpins (reason
 *    unmap, or teardown inside iopt_table_remove_domain()).
 * The unmap is split at physical discontinuities only when the run buffer
 * fills: the same cut points iommufd itself uses, so a large IOMMU page is
 * never split.
 *
 * Which domains are iommufd's: the ones it attaches through the
 * IOMMUFD_INTERNAL *_group_handle() calls, adds to an IOAS
 * (iopt_table_add_domain) or removes from one (iopt_table_remove_domain,
 * which destroys the entry); an unknown paging domain mapped while the
 * task is inside an iommufd entry point (ioctl, release, device attach) is
 * one that existed before dmaguard loaded, and is adopted. DMA-API domains
 * are never looked up: one flag test keeps the kernel's own DMA path cheap.
 *
 * Coherency is iommufd's own decision, iommufd_hwpt_paging::
 * enforce_cache_coherency, fixed in iommufd_hwpt_paging_alloc(). That
 * struct is private: the row that reads it is built only when compat probe
 * IOMMUFD_HWPT_PRIVATE compiled against this kernel's own
 * iommufd_private.h; otherwise coherency stays unknown and auto flushes.
 */
#include <linux/iommu.h>
#include <linux/err.h>
#include <linux/build_bug.h>
#include "hooks.h"
#include "../arch/arch.h"
#include "../compat/compat.h"

#ifdef DMAGUARD_HAS_IOMMU_MAP_GFP

#ifdef DMAGUARD_HAS_IOMMUFD_HWPT_PRIVATE
#include "iommufd_private.h"
#define DG_IFD_SKIP_NO_PRIVATE	0
#else
#define DG_IFD_SKIP_NO_PRIVATE	1
#endif

struct iommu_attach_handle;

/* The originals, called through static calls (hooks.h). */
static size_t dg_ifd_unmap(struct iommu_domain *domain, unsigned long iova,
			   size_t size);
static int dg_ifd_attach(struct iommu_domain *domain, struct iommu_group *group,
			 struct iommu_attach_handle *handle);
static void dg_ifd_detach(struct iommu_domain *domain,
			  struct iommu_group *group);
static int dg_ifd_replace(struct iommu_group *group,
			  struct iommu_domain *new_domain,
			  struct iommu_attach_handle *handle);
/* struct io_pagetable is private to iommufd: only passed through. */
static int dg_ifd_add_domain(void *iopt, struct iommu_domain *domain);
static void dg_ifd_remove_domain(void *iopt, struct iommu_domain *domain);
static long dg_ifd_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg);
static int dg_ifd_release(struct inode *inode, struct file *filp);
static int dg_ifd_dev_attach(void *idev, u32 *pt_id);
static int dg_ifd_dev_replace(void *idev, u32 *pt_id);

DG_ORIG_DEFINE(ifd_unmap, dg_ifd_unmap);
DG_ORIG_DEFINE(ifd_attach, dg_ifd_attach);
DG_ORIG_DEFINE(ifd_detach, dg_ifd_detach);
DG_ORIG_DEFINE(ifd_replace, dg_ifd_replace);
DG_ORIG_DEFINE(ifd_add_domain, dg_ifd_add_domain);
DG_ORIG_DEFINE(ifd_remove_domain, dg_ifd_remove_domain);
DG_ORIG_DEFINE(ifd_ioctl, dg_ifd_ioctl);
DG_ORIG_DEFINE(ifd_release, dg_ifd_release);
DG_ORIG_DEFINE(ifd_dev_attach, dg_ifd_dev_attach);
DG_ORIG_DEFINE(ifd_dev_replace, dg_ifd_dev_replace);

static_assert(__same_type(&dg_ifd_unmap, &iommu_unmap));
/* Declared in the private iommu-priv.h, which iommufd_private.h includes. */
#ifdef DMAGUARD_HAS_IOMMUFD_HWPT_PRIVATE
static_assert(__same_type(&dg_ifd_attach, &iommu_attach_group_handle));
static_assert(__same_type(&dg_ifd_detach, &iommu_detach_group_handle));
static_assert(__same_type(&dg_ifd_replace, &iommu_replace_group_handle));
#endif

/* iommufd entries dmaguard tracks, and tasks inside an iommufd entry point. */
static atomic_t dg_ifd_tracked = ATOMIC_INIT(0);
static atomic_t dg_ifd_inside = ATOMIC_INIT(0);
/* The owner key of the "inside iommufd" marker contexts. */
static const char dg_ifd_marker = 1;

static bool dg_ifd_paging(const struct iommu_domain *domain)
{
	return (domain->type & __IOMMU_DOMAIN_PAGING) &&
	       !(domain->type & __IOMMU_DOMAIN_DMA_API);
}

/* A referenced entry for an iommufd domain, created if needed. */
static struct dg_domain *dg_ifd_track(struct iommu_domain *domain)
{
	struct dg_domain *d;
	bool created;

	d = dg_domain_get_or_create(DG_OWNER_IOMMUFD, domain, domain,
				    &created);
	if (d && created)
		atomic_inc(&dg_ifd_tracked);
	return d;
}

static void dg_ifd_untrack(struct iommu_domain *domain)
{
	struct dg_domain *d = dg_domain_find(domain, domain);

	if (!d)
		return;
	if (dg_domain_destroy(d))
		atomic_dec(&dg_ifd_tracked);
	dg_domain_put(d);
}

/* Is the task inside an iommufd entry point, or tearing this domain down? */
static bool dg_ifd_in_entry(const struct iommu_domain *domain)
{
	struct dg_ctx *ctx;

	if (!atomic_read(&dg_ifd_inside))
		return false;
	ctx = dg_ctx_current();
	return ctx && (ctx->op.key == &dg_ifd_marker || ctx->op.key == domain);
}

/*
 * The entry of a domain iommufd maps or unmaps, referenced. NULL if the
 * domain is not iommufd's; also NULL, with *orphan set, if it is but no
 * entry could be made (allocation failure): flushed unattributed then.
 */
static struct dg_domain *dg_ifd_domain(struct iommu_domain *domain,
				       bool *orphan)
{
	struct dg_domain *d;

	*orphan = false;
	/*
	 * iommufd maps and unmaps from its ioctls only; other callers may be
	 * in interrupt context, where current is not who asked.
	 */
	if (!in_task() || !dg_ifd_paging(domain))
		return NULL;
	if (!atomic_read(&dg_ifd_tracked) && !atomic_read(&dg_ifd_inside))
		return NULL;
	d = dg_domain_find(domain, domain);
	if (d || !dg_ifd_in_entry(domain))
		return d;
	/* An iommufd domain that existed before dmaguard was loaded. */
	d = dg_ifd_track(domain);
	*orphan = !d;
	return d;
}

/*
 * Does a map or unmap of this domain flush? An iommufd domain without an
 * entry (*orphan) is flushed as VFIO's unknown owners are: fail safe.
 */
static bool dg_ifd_flushing(struct dg_domain *d, bool orphan)
{
	return d ? dg_domain_flushing(d) :
		   orphan && dg_unknown_owner_flushing();
}

/* Flushes a run for @d, or unattributed (counted so) for an orphan. */
static void dg_ifd_flush(struct dg_domain *d, unsigned long pfn,
			 unsigned long npages, enum dg_reason reason)
{
	if (d)
		dmaguard_flush_pfns(d, pfn, npages, reason);
	else
		dmaguard_flush_op(NULL, pfn, npages, reason);
}

/* Is iommufd mapping nothing we track (iommu_map()'s ftrace callback)? */
bool notrace dg_ifd_idle(void)
{
	return !atomic_read(&dg_ifd_tracked) && !atomic_read(&dg_ifd_inside);
}

/*
 * iommu_map() of an iommufd domain, before the call: flush the run. The
 * entry it is accounted to comes back referenced, for dg_ifd_map_post().
 */
struct dg_domain *dg_ifd_map_pre(struct iommu_domain *domain,
				 phys_addr_t paddr, size_t size)
{
	bool orphan;
	struct dg_domain *d = dg_ifd_domain(domain, &orphan);

	/* iommufd maps with GFP_KERNEL_ACCOUNT: the flush may reschedule. */
	if (dg_ifd_flushing(d, orphan))
		dg_ifd_flush(d, PHYS_PFN(paddr),
			     PFN_UP(paddr + size) - PHYS_PFN(paddr),
			     DG_REASON_MAP);
	else if (d || orphan)
		dg_stats_skipped(1, size);
	return d;
}

/*
 * After the call: account the mapping, and record the 2 MiB blocks it
 * covered whole (dg_domain_ext_record(), for the unmap's read-back).
 */
void dg_ifd_map_post(struct dg_domain *d, unsigned long iova,
		     phys_addr_t paddr, size_t size, gfp_t gfp, int ret)
{
	if (d) {
		if (!ret) {
			dg_domain_account(d, size);
			dg_domain_ext_record(d, iova, paddr, size, gfp);
		}
		dg_domain_put(d);
	}
}

struct dg_ifd_run {
	unsigned long pfn;
	unsigned long npages;
};

#define DG_IFD_RUNS	32

/*
 * Adds pfns [pfn, pfn + npages) to the runs: extends the last run where
 * they continue or overlap it (an unaligned start reads a page twice).
 * False if a new run was needed and the buffer is full.
 */
static bool dg_ifd_add_run(struct dg_ifd_run *runs, unsigned int *nr,
			   unsigned long pfn, unsigned long npages)
{
	struct dg_ifd_run *r = *nr ? &runs[*nr - 1] : NULL;

	if (r && pfn >= r->pfn && pfn <= r->pfn + r->npages) {
		r->npages = max(r->npages, pfn + npages - r->pfn);
		return true;
	}
	if (*nr == DG_IFD_RUNS)
		return false;
	runs[(*nr)++] = (struct dg_ifd_run){ pfn, npages };
	return true;
}

/*
 * Reads the pfns behind [iova, iova + size) into at most DG_IFD_RUNS
 * physically contiguous runs; returns how many bytes from iova they cover
 * (less than size when the runs filled up, cut where a new run starts).
 * A block that one map call covered whole (dg_domain_ext_find) is taken
 * in one step; anything else is read back page by page.
 */
static size_t dg_ifd_collect(struct dg_domain *d, struct iommu_domain *domain,
			     unsigned long iova, size_t size,
			     struct dg_ifd_run *runs, unsigned int *nr)
{
	size_t off = 0, at, len, lookups = 0;
	unsigned long pfn, npages;
	phys_addr_t phys;

	*nr = 0;
	while (off < size) {
		at = off;
		if (d && dg_domain_ext_find(d, iova + off, &pfn, &len)) {
			len = min(len, size - off);
			/* The bytes [iova + off, + len) lie in these pages. */
			npages = PFN_UP(((iova + off) & ~PAGE_MASK) + len);
			if (!dg_ifd_add_run(runs, nr, pfn, npages))
				return at;
			off += len;
			continue;
		}
		phys = iommu_iova_to_phys(domain, iova + off);
		dg_test_count(DG_TEST_IFD_LOOKUPS);
		/*
		 * One lookup per 4 KiB (a 1 GiB area mapped in pieces takes
		 * 262,144): let others run. iommufd unmaps under sleeping
		 * locks only.
		 */
		if (!(++lookups % 512))
			cond_resched();
		off += PAGE_SIZE - ((iova + off) & ~PAGE_MASK);
		/* A hole: nothing to flush. */
		if (phys && !dg_ifd_add_run(runs, nr, PHYS_PFN(phys), 1))
			return at;
	}
	return size;
}

static size_t dg_ifd_unmap(struct iommu_domain *domain, unsigned long iova,
			   size_t size)
{
	struct dg_ifd_run runs[DG_IFD_RUNS];
	enum dg_reason reason = DG_REASON_UNMAP;
	struct dg_flush_batch fb;
	size_t done = 0, span, ret;
	struct dg_domain *d, *od;
	struct dg_ctx *ctx;
	unsigned int nr, i;
	bool orphan;

	d = dg_ifd_domain(domain, &orphan);
	if (!dg_ifd_flushing(d, orphan)) {
		done = DG_ORIG(ifd_unmap)(domain, iova, size);
		if (d)
			dg_domain_ext_forget(d, iova, size);
		if (d || orphan)
			dg_stats_skipped(1, done);
		goto out;
	}
	ctx = dg_ctx_current();
	if (ctx && ctx->reason == DG_REASON_TEARDOWN)
		reason = DG_REASON_TEARDOWN;
	while (done < size) {
		span = dg_ifd_collect(d, domain, iova + done, size - done,
				      runs, &nr);
		ret = DG_ORIG(ifd_unmap)(domain, iova + done, span);
		if (d)
			dg_domain_ext_forget(d, iova + done, span);
		/*
		 * Unmapped and IOTLB synced: flush before the caller unpins,
		 * all runs with one wait. An orphan's runs count as
		 * unattributed, each (dg_op_flushing() with no operation).
		 */
		dg_flush_begin(&fb, d, reason);
		for (i = 0; i < nr; i++)
			if (d || dg_op_flushing(NULL, &od))
				dg_flush_add(&fb, runs[i].pfn, runs[i].npages);
		dg_flush_end(&fb);
		done += ret;
		if (ret != span)
			break;
	}
out:
	if (d) {
		dg_domain_account(d, -(s64)done);
		dg_domain_put(d);
	}
	dg_hook_leave();
	return done;
}

/* Moves a group's devices onto (or, domain NULL, off) an iommufd entry. */
static void dg_ifd_set_group(struct iommu_domain *domain,
			     struct iommu_group *group, const char *devices)
{
	struct dg_domain *d;

	if (!domain || !dg_ifd_paging(domain))
		return;
	d = dg_ifd_track(domain);
	if (!d)
		return;
	dg_domain_add_group(d, group, devices);
	dg_domain_put(d);
}

static void dg_ifd_drop_group(struct iommu_domain *domain,
			      struct iommu_group *group)
{
	struct dg_domain *d;

	if (!domain)
		return;
	d = dg_domain_find(domain, domain);
	if (d) {
		dg_domain_remove_group(d, group);
		dg_domain_put(d);
	}
}

static int dg_ifd_attach(struct iommu_domain *domain, struct iommu_group *group,
			 struct iommu_attach_handle *handle)
{
	struct dg_devscan s = {};
	int ret = DG_ORIG(ifd_attach)(domain, group, handle);

	if (!ret) {
		dg_group_scan(group, &s);
		dg_ifd_set_group(domain, group, s.devices);
	}
	dg_hook_leave();
	return ret;
}

static void dg_ifd_detach(struct iommu_domain *domain,
			  struct iommu_group *group)
{
	DG_ORIG(ifd_detach)(domain, group);
	/* The entry lives on until iopt_table_remove_domain(). */
	dg_ifd_drop_group(domain, group);
	dg_hook_leave();
}

static int dg_ifd_replace(struct iommu_group *group,
			  struct iommu_domain *new_domain,
			  struct iommu_attach_handle *handle)
{
	struct dg_devscan s = {};
	int ret;

	dg_group_scan(group, &s);	/* s.domain: the one being replaced */
	ret = DG_ORIG(ifd_replace)(group, new_domain, handle);
	if (!ret && s.domain != new_domain) {
		dg_ifd_drop_group(s.domain, group);
		dg_ifd_set_group(new_domain, group, s.devices);
	}
	dg_hook_leave();
	return ret;
}

/*
 * The driver told iommufd whether a domain is coherent (its
 * enforce_cache_coherency(), which iommufd asks for a new HWPT before it
 * fills it): remember the answer in the task's iommufd context for
 * iopt_table_add_domain(), and update an entry that exists already.
 */
void dg_ifd_cc_learned(const struct iommu_domain *domain, bool coherent)
{
	int coh = coherent ? DG_COH_YES : DG_COH_NO;
	struct dg_domain *d;
	struct dg_ctx *ctx;

	if (!atomic_read(&dg_ifd_inside) || !in_task() ||
	    !dg_ifd_paging(domain))
		return;
	ctx = dg_ctx_current();
	if (!ctx || ctx->op.key != &dg_ifd_marker)
		return;
	ctx->rp.domain = domain;
	ctx->rp.coherent = coh;
	d = dg_domain_find(domain, domain);
	if (d) {
		WRITE_ONCE(d->coherent, coh);
		WRITE_ONCE(d->own_coherent, coh);
		dg_domain_put(d);
	}
}

static int dg_ifd_add_domain(void *iopt, struct iommu_domain *domain)
{
	struct dg_domain *d = dg_ifd_track(domain);
	struct dg_ctx *ctx = dg_ctx_current();
	int ret;

	/*
	 * Coherency as iommufd just decided it, before the fill below: a
	 * coherent domain's fill flushes nothing, any other all of it.
	 */
	if (d && ctx && ctx->op.key == &dg_ifd_marker &&
	    ctx->rp.domain == domain) {
		WRITE_ONCE(d->coherent, ctx->rp.coherent);
		WRITE_ONCE(d->own_coherent, ctx->rp.coherent);
	}

	/* Filling the new domain maps every existing area: flushed as map. */
	ret = DG_ORIG(ifd_add_domain)(iopt, domain);
	dg_domain_put(d);
	/* On failure iommufd frees the domain: never keep a stale key. */
	if (ret)
		dg_ifd_untrack(domain);
	dg_hook_leave();
	return ret;
}

/*
 * The task is inside an iommufd entry point (key &dg_ifd_marker), or tearing
 * down the domain @key: paging domains it maps or unmaps are iommufd's.
 */
static void dg_ifd_enter(struct dg_ctx *ctx, const void *key,
			 enum dg_reason reason)
{
	atomic_inc(&dg_ifd_inside);
	dg_ctx_push(ctx, key, reason);
}

static void dg_ifd_exit(struct dg_ctx *ctx)
{
	dg_ctx_pop(ctx);
	atomic_dec(&dg_ifd_inside);
}

static void dg_ifd_remove_domain(void *iopt, struct iommu_domain *domain)
{
	struct dg_domain *d = dg_ifd_track(domain);
	struct dg_ctx ctx;

	/*
	 * Unmaps and unpins every area of the domain: teardown flushes, also
	 * when no entry could be made and this comes from a device close,
	 * outside any iommufd entry point.
	 */
	dg_ifd_enter(&ctx, domain, DG_REASON_TEARDOWN);
	DG_ORIG(ifd_remove_domain)(iopt, domain);
	dg_ifd_exit(&ctx);
	dg_domain_put(d);
	dg_ifd_untrack(domain);
	dg_hook_leave();
}

static long dg_ifd_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct dg_ctx ctx;
	long ret;

	dg_ifd_enter(&ctx, &dg_ifd_marker, DG_REASON_UNMAP);
	ret = DG_ORIG(ifd_ioctl)(filp, cmd, arg);
	dg_ifd_exit(&ctx);
	dg_hook_leave();
	return ret;
}

static int dg_ifd_release(struct inode *inode, struct file *filp)
{
	struct dg_ctx ctx;
	int ret;

	dg_ifd_enter(&ctx, &dg_ifd_marker, DG_REASON_UNMAP);
	ret = DG_ORIG(ifd_release)(inode, filp);
	dg_ifd_exit(&ctx);
	dg_hook_leave();
	return ret;
}

/* A VFIO device attaching to, or replacing, its IOAS or HWPT. */
static int dg_ifd_dev_call(bool replace, void *idev, u32 *pt_id)
{
	struct dg_ctx ctx;
	int ret;

	dg_ifd_enter(&ctx, &dg_ifd_marker, DG_REASON_UNMAP);
	if (replace)
		ret = DG_ORIG(ifd_dev_replace)(idev, pt_id);
	else
		ret = DG_ORIG(ifd_dev_attach)(idev, pt_id);
	dg_ifd_exit(&ctx);
	dg_hook_leave();
	return ret;
}

static int dg_ifd_dev_attach(void *idev, u32 *pt_id)
{
	return dg_ifd_dev_call(false, idev, pt_id);
}

static int dg_ifd_dev_replace(void *idev, u32 *pt_id)
{
	return dg_ifd_dev_call(true, idev, pt_id);
}

#ifdef DMAGUARD_HAS_IOMMUFD_HWPT_PRIVATE
DG_ORIG_DEFINE(ifd_hwpt_alloc, iommufd_hwpt_paging_alloc);

/*
 * iommufd decides the coherency of a HWPT here, once (an upgrade at a later
 * attach is ignored: flushing a domain that became coherent is only slow).
 */
static struct iommufd_hwpt_paging *
dg_ifd_hwpt_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
		  struct iommufd_device *idev, ioasid_t pasid, u32 flags,
		  bool immediate_attach, const struct iommu_user_data *user_data)
{
	struct iommufd_hwpt_paging *hwpt;
	struct dg_domain *d;

	hwpt = DG_ORIG(ifd_hwpt_alloc)(ictx, ioas, idev, pasid, flags,
				       immediate_attach, user_data);
	if (!IS_ERR(hwpt)) {
		d = dg_domain_find(hwpt->common.domain, hwpt->common.domain);
		if (d) {
			WRITE_ONCE(d->coherent, hwpt->enforce_cache_coherency ?
				   DG_COH_YES : DG_COH_NO);
			dg_domain_put(d);
		}
	}
	dg_hook_leave();
	return hwpt;
}
#define DG_IFD_HWPT_WRAPPER	dg_ifd_hwpt_alloc
#define DG_IFD_HWPT_ORIG	DG_ORIG_REF(ifd_hwpt_alloc)
#else
#define DG_IFD_HWPT_WRAPPER	NULL
#define DG_IFD_HWPT_ORIG	{ }
#endif

enum { DG_IFD_NO_PRIVATE = 1 };

static unsigned int dg_ifd_skip_flags(void)
{
	return DG_IFD_SKIP_NO_PRIVATE ? DG_IFD_NO_PRIVATE : 0;
}

static void dg_ifd_report(int err, const char *why)
{
	const char *coh = DG_IFD_SKIP_NO_PRIVATE ?
		"coherency unknown: built without iommufd_private.h, auto flushes" :
		"coherency from iommufd_hwpt_paging_alloc";

	if (err) {
		dg_prot_set(DG_PROT_IOMMUFD_MAP, DG_PS_UNAVAILABLE, "%s", why);
		dg_prot_set(DG_PROT_IOMMUFD_UNMAP, DG_PS_UNAVAILABLE, "%s", why);
		return;
	}
	dg_prot_set(DG_PROT_IOMMUFD_MAP, DG_PS_ARMED,
		    "%s via iommu_map of iommufd domains (%s)",
		    dg_arch_flush_method(), coh);
	dg_prot_set(DG_PROT_IOMMUFD_UNMAP, DG_PS_ARMED,
		    "%s via iommu_unmap of iommufd domains (%s)",
		    dg_arch_flush_method(), coh);
}

static void dg_ifd_disarmed(void)
{
	/* Nothing sees these domains go away any more. */
	dg_owner_kind_destroy(DG_OWNER_IOMMUFD);
	atomic_set(&dg_ifd_tracked, 0);
}

static bool dg_ifd_wanted(void)
{
	return IS_ENABLED(CONFIG_IOMMUFD);
}

static const struct dg_hook dg_iommufd_rows[] = {
	/*
	 * Arm order: what destroys entries, then the flush hooks, then what
	 * creates entries; disarm is the reverse (see vfio_type1.c).
	 */
	{
		.symbol = "iopt_table_remove_domain",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_ifd_remove_domain,
		.orig = DG_ORIG_REF(ifd_remove_domain),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommu_detach_group_handle",
		.kind = DG_HOOK_WRAP,
		.vmlinux = true,
		/* only the devices file needs it (6.11+) */
		.optional = true,
		.wrapper = dg_ifd_detach,
		.orig = DG_ORIG_REF(ifd_detach),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommu_unmap",
		.kind = DG_HOOK_WRAP,
		.vmlinux = true,
		.wrapper = dg_ifd_unmap,
		.orig = DG_ORIG_REF(ifd_unmap),
		.provides = DG_PROT_IOMMUFD_UNMAP,
	},
	DG_IOMMU_MAP_ROW(DG_PROT_IOMMUFD_MAP, 0),
	DG_CC_ROW("intel_iommu_enforce_cache_coherency", intel),
	DG_CC_ROW("intel_iommu_enforce_cache_coherency_fs", intel_fs),
	DG_CC_ROW("intel_iommu_enforce_cache_coherency_ss", intel_ss),
	DG_CC_ROW("amd_iommu_enforce_cache_coherency", amd),
	{
		.symbol = "iommufd_fops_ioctl",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_ifd_ioctl,
		.orig = DG_ORIG_REF(ifd_ioctl),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommufd_fops_release",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_ifd_release,
		.orig = DG_ORIG_REF(ifd_release),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommufd_device_attach",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_ifd_dev_attach,
		.orig = DG_ORIG_REF(ifd_dev_attach),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommufd_device_replace",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_ifd_dev_replace,
		.orig = DG_ORIG_REF(ifd_dev_replace),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iopt_table_add_domain",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_ifd_add_domain,
		.orig = DG_ORIG_REF(ifd_add_domain),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommu_attach_group_handle",
		.kind = DG_HOOK_WRAP,
		.vmlinux = true,
		/* only the devices file needs it (6.11+) */
		.optional = true,
		.wrapper = dg_ifd_attach,
		.orig = DG_ORIG_REF(ifd_attach),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommu_replace_group_handle",
		.kind = DG_HOOK_WRAP,
		.vmlinux = true,
		/* only the devices file needs it (6.11+) */
		.optional = true,
		.wrapper = dg_ifd_replace,
		.orig = DG_ORIG_REF(ifd_replace),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommufd_hwpt_paging_alloc",
		.kind = DG_HOOK_WRAP,
		.wrapper = DG_IFD_HWPT_WRAPPER,
		.orig = DG_IFD_HWPT_ORIG,
		.provides = DG_PROT_NONE,
		.skip_flags = DG_IFD_NO_PRIVATE,
	},
};

static struct dg_hook_state dg_iommufd_state[ARRAY_SIZE(dg_iommufd_rows)];

struct dg_hook_set dg_iommufd_hooks = {
	.name = "iommufd",
	/* Built in, its symbols are in vmlinux like the core rows. */
	.module = IS_MODULE(CONFIG_IOMMUFD) ? "iommufd" : NULL,
	.hooks = dg_iommufd_rows,
	.state = dg_iommufd_state,
	.nr = ARRAY_SIZE(dg_iommufd_rows),
	.wanted = dg_ifd_wanted,
	.skip_flags = dg_ifd_skip_flags,
	.report = dg_ifd_report,
	.disarmed = dg_ifd_disarmed,
};

#else /* !DMAGUARD_HAS_IOMMU_MAP_GFP */

/* iommu_map()'s wrapper (hooks/iommu.c) serves VFIO type1 only here. */
bool notrace dg_ifd_idle(void)
{
	return true;
}

struct dg_domain *dg_ifd_map_pre(struct iommu_domain *domain,
				 phys_addr_t paddr, size_t size)
{
	return NULL;
}

void dg_ifd_map_post(struct dg_domain *d, unsigned long iova,
		     phys_addr_t paddr, size_t size, gfp_t gfp, int ret)
{
}

void dg_ifd_cc_learned(const struct iommu_domain *domain, bool coherent)
{
}

/*
 * Before 6.3 iommu_map() took no gfp_t; iommufd exists since 6.2. Rather
 * than a second set of wrappers for one release, say so.
 */
static bool dg_ifd_wanted(void)
{
	if (IS_ENABLED(CONFIG_IOMMUFD)) {
		dg_prot_set(DG_PROT_IOMMUFD_MAP, DG_PS_UNAVAILABLE,
			    "iommu_map() has no gfp_t argument (kernel < 6.3): not hooked");
		dg_prot_set(DG_PROT_IOMMUFD_UNMAP, DG_PS_UNAVAILABLE,
			    "iommu_map() has no gfp_t argument (kernel < 6.3): not hooked");
	}
	return false;
}

struct dg_hook_set dg_iommufd_hooks = {
	.name = "iommufd",
	.wanted = dg_ifd_wanted,
};

#endif /* DMAGUARD_HAS_IOMMU_MAP_GFP */
