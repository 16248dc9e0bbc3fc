// SPDX-License-Identifier: GPL-2.0-only
/* iommu_map() takes a gfp_t (6.3+), the signature hooks/iommufd.c wraps. */
#include <linux/build_bug.h>
#include <linux/iommu.h>

static_assert(__same_type(&iommu_map,
			  (int (*)(struct iommu_domain *domain,
				   unsigned long iova, phys_addr_t paddr,
				   size_t size, int prot, gfp_t gfp))NULL));
