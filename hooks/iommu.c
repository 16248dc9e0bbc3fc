// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_map(), one wrapper for the two sets that need it.
 *
 * ftrace lets one ip-modify user per function, and two sets want this one:
 *  - vfio-type1, for the mappings vfio_iommu_replay() copies into a new
 *    domain when a group joins a container with a domain it cannot share
 *    (vfio_type1.c: dg_vfio_replay_map());
 *  - iommufd, for every map of its domains (iommufd.c: dg_ifd_map_pre()).
 * Both tables list the row (DG_IOMMU_MAP_ROW, a shared row: registered once
 * while either set has it live). The idle check keeps the kernel's own DMA
 * API maps unredirected while neither has anything in flight.
 *
 * Likewise the drivers' enforce_cache_coherency(), which both VFIO type1
 * (for a group's new domain) and iommufd (for a new HWPT) ask before they
 * fill the domain: the answer says whether that fill must be flushed.
 */
#include <linux/iommu.h>
#include "hooks.h"

DG_ORIG_DEFINE(iommu_map, dg_iommu_map);
static_assert(__same_type(&dg_iommu_map, &iommu_map));

bool notrace dg_iommu_map_idle(void)
{
	return dg_vfio_replay_idle() && dg_ifd_idle();
}

static int dg_iommu_map_call(struct iommu_domain *domain, unsigned long iova,
			     phys_addr_t paddr, size_t size, int prot,
			     gfp_t gfp)
{
	struct dg_domain *d;
	int ret;

	dg_vfio_replay_map(domain, paddr, size);
	d = dg_ifd_map_pre(domain, paddr, size);
#ifdef DMAGUARD_HAS_IOMMU_MAP_GFP
	ret = DG_ORIG(iommu_map)(domain, iova, paddr, size, prot, gfp);
#else
	ret = DG_ORIG(iommu_map)(domain, iova, paddr, size, prot);
#endif
	dg_ifd_map_post(d, iova, paddr, size, gfp, ret);
	dg_hook_leave();
	return ret;
}

#ifdef DMAGUARD_HAS_IOMMU_MAP_GFP
int dg_iommu_map(struct iommu_domain *domain, unsigned long iova,
		 phys_addr_t paddr, size_t size, int prot, gfp_t gfp)
{
	return dg_iommu_map_call(domain, iova, paddr, size, prot, gfp);
}
#else
int dg_iommu_map(struct iommu_domain *domain, unsigned long iova,
		 phys_addr_t paddr, size_t size, int prot)
{
	return dg_iommu_map_call(domain, iova, paddr, size, prot, 0);
}
#endif

static void dg_cc_learned(struct iommu_domain *domain, bool coherent)
{
	if (!dg_vfio_cc_learned(domain, coherent))
		dg_ifd_cc_learned(domain, coherent);
}

#define DG_CC_WRAPPER(name)						\
DG_ORIG_DEFINE(cc_##name, dg_cc_##name);				\
bool dg_cc_##name(struct iommu_domain *domain)				\
{									\
	bool coherent;							\
									\
	if (!dg_vfio_cc_forced(domain, &coherent))			\
		coherent = DG_ORIG(cc_##name)(domain);			\
	dg_cc_learned(domain, coherent);				\
	dg_hook_leave();						\
	return coherent;						\
}

DG_CC_WRAPPER(intel)
DG_CC_WRAPPER(intel_fs)
DG_CC_WRAPPER(intel_ss)
DG_CC_WRAPPER(amd)
