// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64 backend: DC CIVAC (clean and invalidate to the Point of Coherency)
 * over the linear-map alias of a pfn run, the cacheability test that keeps
 * cache maintenance to memory the kernel maps Normal cacheable, and the
 * indirect-call rules of arm64 kernels (BTI).
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/page.h>
#include <asm/sysreg.h>
#include "../arch.h"
#include "flush_lines.h"

static unsigned int dg_line = 64;

/*
 * The sanitised CTR_EL0 holds the smallest DminLine of all CPUs: stepping
 * by a larger line of one CPU would skip lines on a CPU with smaller ones.
 */
int dg_arch_init(void)
{
	dg_line = dg_arm64_ctr_dminline(read_sanitised_ftr_reg(SYS_CTR_EL0));
	return 0;
}

void dg_arch_flush_kaddr(void *addr, size_t len)
{
	dg_arm64_flush_lines(addr, len, dg_line);
}

void dg_arch_flush_wait(void)
{
	dg_arm64_dsb_sy();
}

const char *dg_arch_flush_method(void)
{
	return "dc-civac";
}

/*
 * Reserved pages: memblock memory without NOMAP is exactly what the
 * boot-time linear map covers, always as Normal write-back memory; NOMAP
 * firmware regions have no linear alias to flush through.
 */
bool dg_arch_reserved_cacheable(unsigned long pfn)
{
	return pfn_is_map_memory(pfn);
}

/*
 * memremap_pages() adds device-DAX / fs-DAX memory to the linear map with
 * PAGE_KERNEL (Normal write-back), though not to memblock (so
 * pfn_is_map_memory() says no for it).
 */
bool dg_arch_device_ram_cacheable(unsigned long pfn)
{
	return true;
}

/* The SMMU walks only TTBR0 (user) tables for SVA; see module/main.c. */
const char *dg_arch_coherency_note(void)
{
	return "none: arm-smmu-v3 has no enforce_cache_coherency op, so every VFIO domain is non-coherent (VFIO_DMA_CC_IOMMU 0) and auto flushes it";
}

bool dg_arch_sva_shares_kernel_tables(void)
{
	return false;
}

/* kprobes on arm64 resolve a symbol to its first instruction, unchanged. */
unsigned long dg_arch_func_entry(unsigned long addr)
{
	return addr;
}

/*
 * arm64 ftrace sites are NOPs patched in a function's first instructions
 * (patchable-function-entry); always enter at the top.
 */
unsigned long dg_arch_func_body(unsigned long entry)
{
	return entry;
}

#define DG_BTI_C	0xd503245fU
#define DG_BTI_JC	0xd50324dfU
#define DG_PACIASP	0xd503233fU	/* implicit BTI c landing pad */
#define DG_PACIBSP	0xd503237fU

static bool dg_arm64_bti_enforced(void)
{
	return IS_ENABLED(CONFIG_ARM64_BTI_KERNEL) && system_supports_bti();
}

/*
 * arm64 has no static call trampolines of its own (generic static calls):
 * our call of an original is an indirect BLR. With CONFIG_ARM64_BTI_KERNEL
 * on a CPU with BTI, kernel text is guarded: the target must be BTI c/jc
 * or PACIASP/PACIBSP, else the call takes a Branch Target exception.
 * Debian's arm64 kernels are built with GCC, without ARM64_BTI_KERNEL, so
 * there every entry may be called; elsewhere check.
 */
bool dg_arch_branch_ok(unsigned long target)
{
	u32 insn;

	if (IS_ENABLED(CONFIG_HAVE_STATIC_CALL) || !dg_arm64_bti_enforced())
		return true;
	if (copy_from_kernel_nofault(&insn, (void *)target, sizeof(insn)))
		return false;
	insn = le32_to_cpu((__force __le32)insn);
	return insn == DG_BTI_C || insn == DG_BTI_JC ||
	       insn == DG_PACIASP || insn == DG_PACIBSP;
}

const char *dg_arch_branch_refusal(void)
{
	return "no BTI landing pad and no direct branch to it (BTI enforced)";
}

const char *dg_arch_cfi_state(void)
{
	if (!IS_ENABLED(CONFIG_ARM64_BTI_KERNEL))
		return "bti: kernel built without BTI";
	if (!system_supports_bti())
		return "bti: not enforced (CPU without BTI)";
	return "bti: enforced; only landing-pad targets are called";
}
