// SPDX-License-Identifier: GPL-2.0-only
/* mmu_notifier_ops has arch_invalidate_secondary_tlbs (6.6+). */
#include <linux/mmu_notifier.h>

const struct mmu_notifier_ops dg_probe = {
	.arch_invalidate_secondary_tlbs = NULL,
};
