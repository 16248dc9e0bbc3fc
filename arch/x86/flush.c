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
#include "../arch.h"
#include "../../compat/compat.h"
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
 * A reserved page is flushed only when it is RAM and PAT does not make it
 * UC/WC (compat.h: how that is asked differs by kernel).
 */
bool dg_arch_reserved_cacheable(unsigned long pfn)
{
	return page_is_ram(pfn) && !dg_x86_ram_uncached(pfn);
}

/*
 * Device-DAX / fs-DAX memory is not "System RAM" (page_is_ram() says no):
 * its linear-map alias, which memremap_pages() made, says how it is mapped.
 */
bool dg_arch_device_ram_cacheable(unsigned long pfn)
{
	return dg_x86_linear_map_wb(pfn);
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
#define DG_ENDBR_POISON	0x001f0f66U	/* 66 0f 1f 00: ENDBR64 sealed at boot */

/* A landing pad, or what the kernel's IBT sealing left in its place. */
static bool dg_x86_pad_at(unsigned long addr)
{
	u32 insn;

	return !copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)) &&
	       (insn == DG_ENDBR64 || insn == DG_ENDBR_POISON);
}

unsigned long dg_arch_func_entry(unsigned long addr)
{
	/* kprobes skip a leading ENDBR64 (or its poison); step back over it. */
	if (dg_x86_pad_at(addr - 4))
		return addr - 4;
	return addr;
}

/*
 * The ftrace site is the 5-byte call (or its NOP) at the entry, or right
 * after an ENDBR64 or its seal poison. Our static calls jump past it (a
 * direct branch, so the missing ENDBR64 there does not matter): the call
 * passes ftrace once, on the entry that redirected it to the wrapper.
 */
unsigned long dg_arch_func_body(unsigned long entry)
{
	static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	unsigned long site = entry;
	u8 insn[5];

	if (dg_x86_pad_at(entry))
		site += 4;
	if (copy_from_kernel_nofault(insn, (void *)site, sizeof(insn)))
		return entry;
	/* A call to a trampoline, or the NOP ftrace leaves when idle. */
	if (insn[0] != 0xe8 && memcmp(insn, nop5, sizeof(nop5)))
		return entry;
	return site + sizeof(insn);
}

/*
 * x86_64 static calls are direct: the trampoline is a jmp rel32 (and call
 * sites are patched to call rel32), which IBT does not check.
 */
bool dg_arch_branch_ok(unsigned long target)
{
	u32 insn;

	if (IS_ENABLED(CONFIG_HAVE_STATIC_CALL) ||
	    !cpu_feature_enabled(X86_FEATURE_IBT))
		return true;
	return !copy_from_kernel_nofault(&insn, (void *)target, sizeof(insn)) &&
	       insn == DG_ENDBR64;
}

const char *dg_arch_branch_refusal(void)
{
	return "no ENDBR64 and no direct branch to it (IBT enforced)";
}

const char *dg_arch_cfi_state(void)
{
	if (!IS_ENABLED(CONFIG_X86_KERNEL_IBT))
		return "ibt: kernel built without IBT";
	if (!cpu_feature_enabled(X86_FEATURE_IBT))
		return "ibt: not enforced (CPU without IBT, or ibt=off)";
	return IS_ENABLED(CONFIG_HAVE_STATIC_CALL) ?
		"ibt: enforced; originals reached by direct jmp (static calls)" :
		"ibt: enforced; only ENDBR64 targets are called";
}
