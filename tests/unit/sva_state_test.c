// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit test of module/sva_state.h: every branch of the sva-kva
 * verdict, including the ones no kernel in the VM matrix reaches (native,
 * no CONFIG_IOMMU_SVA, hooks that failed to arm). Prints TAP lines.
 */
#include <stdio.h>
#include <string.h>
#include "../../module/sva_state.h"

static int failed;

static void expect(const char *name, struct dg_sva_facts f,
		   enum dg_sva_verdict want, const char *reason_has)
{
	const char *reason = NULL;
	enum dg_sva_verdict got = dg_sva_decide(&f, &reason);
	int ok = got == want && reason && strstr(reason, reason_has);

	printf("%s - sva_state: %s (verdict %d, reason \"%s\")\n",
	       ok ? "ok" : "not ok", name, got, reason ? reason : "");
	failed += !ok;
}

int main(void)
{
	expect("arm64: not-applicable, kernel tables not shared",
	       (struct dg_sva_facts){ .arch_shares = 0, .config_sva = 1 },
	       DG_SVA_NOT_APPLICABLE, "TTBR0");
	expect("no CONFIG_IOMMU_SVA: not-applicable",
	       (struct dg_sva_facts){ .arch_shares = 1, .config_sva = 0 },
	       DG_SVA_NOT_APPLICABLE, "CONFIG_IOMMU_SVA");
	expect("6.19+ with iommu_sva_invalidate_kva_range: native",
	       (struct dg_sva_facts){ .arch_shares = 1, .config_sva = 1,
				      .native = 1, .hooks_armed = 1 },
	       DG_SVA_NATIVE, "iommu_sva_invalidate_kva_range");
	expect("native wins over a disabled bind",
	       (struct dg_sva_facts){ .arch_shares = 1, .config_sva = 1,
				      .native = 1, .bind_disabled = 1 },
	       DG_SVA_NATIVE, "iommu_sva_invalidate_kva_range");
	expect("CVE-2025-71089 backport: not-applicable",
	       (struct dg_sva_facts){ .arch_shares = 1, .config_sva = 1,
				      .bind_disabled = 1, .hooks_armed = 1 },
	       DG_SVA_NOT_APPLICABLE, "-EOPNOTSUPP");
	expect("exposed kernel, hooks armed: armed",
	       (struct dg_sva_facts){ .arch_shares = 1, .config_sva = 1,
				      .hooks_armed = 1 },
	       DG_SVA_ARMED, "flush_tlb_kernel_range");
	expect("exposed kernel, hooks not armed: unavailable",
	       (struct dg_sva_facts){ .arch_shares = 1, .config_sva = 1 },
	       DG_SVA_UNAVAILABLE, "could not be armed");
	return failed ? 1 : 0;
}
