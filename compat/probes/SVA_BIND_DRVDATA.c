// SPDX-License-Identifier: GPL-2.0-only
/* iommu_sva_bind_device() still takes a drvdata argument (before 6.2). */
#include <linux/iommu.h>

struct iommu_sva *dg_probe(struct device *dev, struct mm_struct *mm);
struct iommu_sva *dg_probe(struct device *dev, struct mm_struct *mm)
{
	return iommu_sva_bind_device(dev, mm, NULL);
}
