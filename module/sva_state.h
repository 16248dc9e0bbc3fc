/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the sva-kva protection line says, as a pure function of facts the
 * module gathers at load. Plain C with no kernel dependencies, so that
 * tests/unit can check every branch on the host (the VM kernels only reach
 * some of them).
 */
#ifndef DMAGUARD_SVA_STATE_H
#define DMAGUARD_SVA_STATE_H

struct dg_sva_facts {
	int arch_shares;	/* SVA walks the kernel half (x86): 1 */
	int config_sva;		/* CONFIG_IOMMU_SVA */
	int native;		/* iommu_sva_invalidate_kva_range() exists */
	int bind_disabled;	/* iommu_sva_bind_device() says -EOPNOTSUPP */
	int hooks_armed;	/* our kernel-TLB hooks are armed */
};

enum dg_sva_verdict {
	DG_SVA_ARMED,
	DG_SVA_NATIVE,
	DG_SVA_UNAVAILABLE,
	DG_SVA_NOT_APPLICABLE,
};

static inline enum dg_sva_verdict dg_sva_decide(const struct dg_sva_facts *f,
						const char **reason)
{
	if (!f->arch_shares) {
		*reason = "SMMU SVA walks only user (TTBR0) tables; kernel tables are not shared";
		return DG_SVA_NOT_APPLICABLE;
	}
	if (!f->config_sva) {
		*reason = "kernel built without CONFIG_IOMMU_SVA";
		return DG_SVA_NOT_APPLICABLE;
	}
	if (f->native) {
		*reason = "kernel invalidates kernel page-table caches itself (iommu_sva_invalidate_kva_range)";
		return DG_SVA_NATIVE;
	}
	if (f->bind_disabled) {
		*reason = "SVA disabled on x86 by this kernel (iommu_sva_bind_device returns -EOPNOTSUPP, CVE-2025-71089 fix)";
		return DG_SVA_NOT_APPLICABLE;
	}
	if (!f->hooks_armed) {
		*reason = "kernel TLB flush hooks could not be armed";
		return DG_SVA_UNAVAILABLE;
	}
	*reason = "invalidating SVA mms on flush_tlb_kernel_range/flush_tlb_all";
	return DG_SVA_ARMED;
}

#endif /* DMAGUARD_SVA_STATE_H */
