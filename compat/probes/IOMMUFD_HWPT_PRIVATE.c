// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tree is a full kernel tree with iommufd's private header (a headers
 * package has none), its HWPT records the coherency decision as
 * enforce_cache_coherency, and iommufd_hwpt_paging_alloc() has the
 * signature hooks/iommufd.c wraps (6.12: with a pasid argument). Compiling
 * against the kernel's own header is the proof that the layout matches.
 */
#include <linux/build_bug.h>
#include "iommufd_private.h"

bool dg_probe(struct iommufd_hwpt_paging *h);
bool dg_probe(struct iommufd_hwpt_paging *h)
{
	return h->enforce_cache_coherency && h->common.domain;
}

static_assert(__same_type(&iommufd_hwpt_paging_alloc,
			  (struct iommufd_hwpt_paging *
			   (*)(struct iommufd_ctx *ictx,
			       struct iommufd_ioas *ioas,
			       struct iommufd_device *idev, ioasid_t pasid,
			       u32 flags, bool immediate_attach,
			       const struct iommu_user_data *user_data))NULL));
