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

void dg_arch_flush_wait(void)
{
	dg_x86_mfence();
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

/*
 * The ftrace site is the 5-byte call (or its NOP) right after the ENDBR.
 * Skipping it is only allowed without IBT enforcement: the instruction
 * after it is no ENDBR, so with IBT on an indirect call there would take a
 * #CP. Other ftrace users of the function (kprobes, BPF) already ran for
 * this call on the redirected entry.
 */
unsigned long dg_arch_func_body(unsigned long entry)
{
	static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	unsigned long site = entry;
	u8 insn[5];
	u32 endbr;

	if (cpu_feature_enabled(X86_FEATURE_IBT))
		return entry;
	if (!copy_from_kernel_nofault(&endbr, (void *)entry, sizeof(endbr)) &&
	    endbr == DG_ENDBR64)
		site += 4;
	if (copy_from_kernel_nofault(insn, (void *)site, sizeof(insn)))
		return entry;
	/* A call to a trampoline, or the NOP ftrace leaves when idle. */
	if (insn[0] != 0xe8 && memcmp(insn, nop5, sizeof(nop5)))
		return entry;
	return site + sizeof(insn);
}

bool dg_arch_func_callable(unsigned long entry)
{
	u32 insn;

	if (!cpu_feature_enabled(X86_FEATURE_IBT))
		return true;
	return !copy_from_kernel_nofault(&insn, (void *)entry, sizeof(insn)) &&
	       insn == DG_ENDBR64;
}
