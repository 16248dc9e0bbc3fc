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
 * A container's pinned pages are reachable through all of its domains, so it
 * is flushed when any of its domains needs it. Coherency comes from VFIO
 * itself: VFIO_CHECK_EXTENSION(VFIO_DMA_CC_IOMMU) on the container, which
 * is 1 only when every domain enforces cache coherency.
 */
#include <linux/iommu.h>
#include <linux/vfio.h>
#include <linux/uaccess.h>
#include "hooks.h"

static long (*dg_orig_pin)(void *dma, unsigned long vaddr, long npage,
			   unsigned long *pfn_base, unsigned long limit,
			   void *batch);
static long (*dg_orig_unpin)(void *dma, dma_addr_t iova, unsigned long pfn,
			     long npage, bool do_accounting);
static long (*dg_orig_ioctl)(void *iommu_data, unsigned int cmd,
			     unsigned long arg);
/* type is enum vfio_group_type, private to drivers/vfio; VFIO_IOMMU is 0. */
static int (*dg_orig_attach)(void *iommu_data, struct iommu_group *group,
			     int type);
static void (*dg_orig_detach)(void *iommu_data, struct iommu_group *group);
static void (*dg_orig_release)(void *iommu_data);

static int dg_vfio_coherent(void *iommu_data)
{
	long ret = dg_orig_ioctl(iommu_data, VFIO_CHECK_EXTENSION,
				 VFIO_DMA_CC_IOMMU);

	if (ret < 0)
		return DG_COH_UNKNOWN;
	return ret ? DG_COH_YES : DG_COH_NO;
}

/* Flush a pfn run of the container the current task is working on. */
static void dg_vfio_run(unsigned long pfn, long npage, bool map)
{
	struct dg_ctx *ctx = dg_ctx_current();
	s64 bytes = (s64)npage << PAGE_SHIFT;
	enum dg_reason reason;

	if (map)
		reason = DG_REASON_MAP;
	else if (ctx && ctx->reason == DG_REASON_TEARDOWN)
		reason = DG_REASON_TEARDOWN;
	else
		reason = DG_REASON_UNMAP;
	if (ctx)
		ctx->op.mapped_delta += map ? bytes : -bytes;
	dmaguard_flush_op(ctx ? &ctx->op : NULL, pfn, npage, reason);
}

static long dg_vfio_pin(void *dma, unsigned long vaddr, long npage,
			unsigned long *pfn_base, unsigned long limit,
			void *batch)
{
	long ret = dg_orig_pin(dma, vaddr, npage, pfn_base, limit, batch);

	if (ret > 0)
		dg_vfio_run(*pfn_base, ret, true);
	dg_hook_leave();
	return ret;
}

static long dg_vfio_unpin(void *dma, dma_addr_t iova, unsigned long pfn,
			  long npage, bool do_accounting)
{
	long ret;

	if (npage > 0)
		dg_vfio_run(pfn, npage, false);
	ret = dg_orig_unpin(dma, iova, pfn, npage, do_accounting);
	dg_hook_leave();
	return ret;
}

/* A container dmaguard did not see attach (loaded later): track it now. */
static void dg_vfio_adopt(void *iommu_data)
{
	struct dg_domain *d;
	bool created;

	if (dg_owner_known(iommu_data))
		return;
	d = dg_domain_get_or_create(DG_OWNER_VFIO_TYPE1, iommu_data, NULL,
				    &created);
	if (!d)
		return;
	if (created)
		WRITE_ONCE(d->coherent, dg_vfio_coherent(iommu_data));
	dg_domain_put(d);
}

/*
 * A quiet map/unmap (nothing to flush: its pin/unpin runs were not hooked)
 * is accounted whole, from the size VFIO read, or wrote back on unmap.
 * The user may rewrite it meanwhile: only the mapped_bytes gauge would be
 * off, and it is clamped at zero.
 */
static void dg_vfio_quiet_account(struct dg_ctx *ctx, unsigned int cmd,
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
	ctx->op.skipped_runs++;
	ctx->op.skipped_bytes += size;
}

static long dg_vfio_ioctl(void *iommu_data, unsigned int cmd,
			  unsigned long arg)
{
	bool track = cmd == VFIO_IOMMU_MAP_DMA || cmd == VFIO_IOMMU_UNMAP_DMA;
	bool quiet = false;
	struct dg_ctx ctx;
	long ret;

	if (track) {
		dg_vfio_adopt(iommu_data);
		dg_ctx_push(&ctx, iommu_data, DG_REASON_MAP);
		quiet = dg_ctx_quiet(&ctx);
	}
	ret = dg_orig_ioctl(iommu_data, cmd, arg);
	if (track) {
		if (quiet && !ret)
			dg_vfio_quiet_account(&ctx, cmd, arg);
		dg_ctx_pop(&ctx);
	}
	dg_hook_leave();
	return ret;
}

static int dg_vfio_attach(void *iommu_data, struct iommu_group *group,
			  int type)
{
	struct dg_devscan s = {};
	struct dg_domain *d;
	struct dg_ctx ctx;
	bool created;
	int ret;

	/* Attaching may replay (pin and map) the container's mappings. */
	dg_ctx_push(&ctx, iommu_data, DG_REASON_MAP);
	ret = dg_orig_attach(iommu_data, group, type);
	dg_ctx_pop(&ctx);
	if (ret)
		goto out;

	dg_group_scan(group, &s);
	if (!s.domain)
		goto out;	/* emulated (mdev) group: no IOMMU domain */
	d = dg_domain_get_or_create(DG_OWNER_VFIO_TYPE1, iommu_data, s.domain,
				    &created);
	if (d) {
		dg_domain_add_group(d, group, s.devices);
		dg_domain_put(d);
	}
	dg_owner_set_coherent(iommu_data, dg_vfio_coherent(iommu_data));
out:
	dg_hook_leave();
	return ret;
}

static void dg_vfio_detach(void *iommu_data, struct iommu_group *group)
{
	struct dg_devscan s = {};
	struct dg_domain *d;
	struct dg_ctx ctx;

	dg_group_scan(group, &s);

	/* The last detach unmaps and unpins everything: teardown flushes. */
	dg_ctx_push(&ctx, iommu_data, DG_REASON_TEARDOWN);
	dg_orig_detach(iommu_data, group);
	dg_ctx_pop(&ctx);

	d = s.domain ? dg_domain_find(iommu_data, s.domain) : NULL;
	if (d) {
		if (dg_domain_remove_group(d, group))
			dg_domain_destroy(d);
		dg_domain_put(d);
	}
	if (dg_owner_known(iommu_data))
		dg_owner_set_coherent(iommu_data,
				      dg_vfio_coherent(iommu_data));
	dg_hook_leave();
}

static void dg_vfio_release(void *iommu_data)
{
	struct dg_ctx ctx;

	dg_ctx_push(&ctx, iommu_data, DG_REASON_TEARDOWN);
	dg_orig_release(iommu_data);
	dg_ctx_pop(&ctx);
	/* iommu_data is freed now; it is only a key from here on. */
	dg_owner_destroy(iommu_data);
	dg_hook_leave();
}

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
		.orig = (void **)&dg_orig_release,
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_iommu_type1_detach_group",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_vfio_detach,
		.orig = (void **)&dg_orig_detach,
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_iommu_type1_ioctl",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_vfio_ioctl,
		.orig = (void **)&dg_orig_ioctl,
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_iommu_type1_attach_group",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_vfio_attach,
		.orig = (void **)&dg_orig_attach,
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "vfio_pin_pages_remote",
		.kind = DG_HOOK_WRAP,
		.per_run = true,
		.wrapper = dg_vfio_pin,
		.orig = (void **)&dg_orig_pin,
		.provides = DG_PROT_VFIO_MAP,
	}, {
		.symbol = "vfio_unpin_pages_remote",
		.kind = DG_HOOK_WRAP,
		.per_run = true,
		.wrapper = dg_vfio_unpin,
		.orig = (void **)&dg_orig_unpin,
		.provides = DG_PROT_VFIO_UNMAP,
	},
};

static struct dg_hook_state dg_vfio_type1_state[ARRAY_SIZE(dg_vfio_type1_rows)];

struct dg_hook_set dg_vfio_type1_hooks = {
	.name = "vfio-type1",
	.module = "vfio_iommu_type1",
	.hooks = dg_vfio_type1_rows,
	.state = dg_vfio_type1_state,
	.nr = ARRAY_SIZE(dg_vfio_type1_rows),
};
