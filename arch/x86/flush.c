// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 backend: CLFLUSHOPT (else CLFLUSH) over the linear-map alias of a pfn
 * run, and the cacheability test that keeps CLFLUSH away from uncacheable
 * MMIO (which can raise machine checks on some platforms).
 */
#include <linux/mm.h>
#include <linux/pfn.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>
#include <asm/memtype.h>
#include "../arch.h"
#include "flush_lines.h"

static bool dg_use_clflushopt;
static unsigned int dg_line = 64;

int dg_arch_init(void)
{
	if (!boot_cpu_has(X86_FEATURE_CLFLUSH))
		return -EOPNOTSUPP;
	dg_use_clflushopt = boot_cpu_has(X86_FEATURE_CLFLUSHOPT);
	if (boot_cpu_data.x86_clflush_size)
		dg_line = boot_cpu_data.x86_clflush_size;
	return 0;
}

void dg_arch_flush_kaddr(void *addr, size_t len)
{
	dg_x86_flush_lines(addr, len, dg_line, dg_use_clflushopt);
}

const char *dg_arch_flush_method(void)
{
	return dg_use_clflushopt ? "clflushopt" : "clflush";
}

/*
 * Ordinary RAM (pfn_valid, not reserved) is write-back in the linear map.
 * Reserved pages are flushed only when they are RAM and PAT does not make
 * them UC/WC. Pfns without a struct page (MMIO BARs mapped for P2P) are
 * never flushed: PAT does not track them reliably and MTRR lookups are not
 * exported to modules, so we cannot prove them cacheable.
 */
bool dg_arch_pfn_cacheable(unsigned long pfn)
{
	if (!pfn_valid(pfn))
		return false;
	if (likely(!PageReserved(pfn_to_page(pfn))))
		return true;
	if (!page_is_ram(pfn))
		return false;
	return !(pat_enabled() && pat_pfn_immune_to_uc_mtrr(pfn));
}

const char *dg_arch_coherency_note(void)
{
	return "per domain: VFIO_DMA_CC_IOMMU, set when the IOMMU enforces snooping (Intel VT-d snoop control, AMD IOMMU)";
}

bool dg_arch_sva_shares_kernel_tables(void)
{
	return true;
}

#define DG_ENDBR64	0xfa1e0ff3U	/* f3 0f 1e fa */

unsigned long dg_arch_func_entry(unsigned long addr)
{
	u32 insn;

	/* kprobes skip a leading ENDBR; step back over it. */
	if (!copy_from_kernel_nofault(&insn, (void *)(addr - 4), sizeof(insn)) &&
	    insn == DG_ENDBR64)
		return addr - 4;
	return addr;
}

bool dg_arch_func_callable(unsigned long entry)
{
	u32 insn;

	if (!cpu_feature_enabled(X86_FEATURE_IBT))
		return true;
	return !copy_from_kernel_nofault(&insn, (void *)entry, sizeof(insn)) &&
	       insn == DG_ENDBR64;
}
