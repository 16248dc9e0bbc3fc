/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place kernel differences are absorbed. features.h is generated
 * at build time by scripts/compat-probe, which compiles each test in
 * compat/probes/ against the target kernel: logic code tests
 * DMAGUARD_HAS_* here, never kernel versions.
 */
#ifndef DMAGUARD_COMPAT_H
#define DMAGUARD_COMPAT_H

#include <linux/iommu.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include "features.h"

/* 6.10 dropped the source argument of __assign_str(). */
#ifdef DMAGUARD_HAS_ASSIGN_STR_1ARG
#define dg_assign_str(dst, src)	do { __assign_str(dst); (void)(src); } while (0)
#else
#define dg_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * Redirect an ftrace'd call: the helper's name changed in 6.8. Without
 * DYNAMIC_FTRACE_WITH_ARGS (arm64 before 6.2) ftrace_instruction_pointer_set()
 * is an empty stub, so set the pc in the full pt_regs that
 * FTRACE_OPS_FL_SAVE_REGS (DG_FTRACE_OPS_FL_REGS below) makes ftrace save
 * and restore.
 */
#ifdef DMAGUARD_HAS_FTRACE_REGS_SET_IP
#define dg_ftrace_set_ip(fregs, ip) \
	ftrace_regs_set_instruction_pointer(fregs, ip)
#elif defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
#define dg_ftrace_set_ip(fregs, ip) ftrace_instruction_pointer_set(fregs, ip)
#else
#define dg_ftrace_set_ip(fregs, ip) \
	instruction_pointer_set(ftrace_get_regs(fregs), ip)
#endif

/*
 * With ftrace_regs (WITH_ARGS) the instruction pointer can be changed
 * without saving all registers; otherwise ask for full pt_regs.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define DG_FTRACE_OPS_FL_REGS	0
#else
#define DG_FTRACE_OPS_FL_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif

/*
 * Argument @n (0-based) of an ftrace'd call, from its ftrace callback.
 * Before ftrace_regs_get_argument(), ftrace_regs was a struct pt_regs
 * holding at least the argument registers (x86 WITH_ARGS) or all of them
 * (FTRACE_OPS_FL_SAVE_REGS, see above).
 */
#ifdef DMAGUARD_HAS_FTRACE_REGS_GET_ARGUMENT
#define dg_ftrace_arg(fregs, n)	ftrace_regs_get_argument(fregs, n)
#else
#define dg_ftrace_arg(fregs, n)	regs_get_kernel_argument(&(fregs)->regs, n)
#endif

/* iommu_sva_bind_device() lost its drvdata argument in 6.2. */
#ifdef DMAGUARD_HAS_SVA_BIND_DRVDATA
static inline struct iommu_sva *dg_sva_bind_device(struct device *dev,
						   struct mm_struct *mm)
{
	return iommu_sva_bind_device(dev, mm, NULL);
}
#else
static inline struct iommu_sva *dg_sva_bind_device(struct device *dev,
						   struct mm_struct *mm)
{
	return iommu_sva_bind_device(dev, mm);
}
#endif

/*
 * The dev_iommu the SVA probe device carries into iommu_sva_bind_device().
 * With max_pasids (6.2+) the bind reads only that from it: our own, zeroed,
 * allows no PASID. Before, the bind looks up the IOMMU ops through it first
 * (and stops at the probe's empty group): a real device's, read only.
 */
static inline struct dev_iommu *dg_sva_probe_iommu(struct device *real,
						   struct dev_iommu *own)
{
#ifdef DMAGUARD_HAS_DEV_IOMMU_MAX_PASIDS
	return own;
#else
	return real->iommu;
#endif
}

/*
 * Is @addr in this module's core text (where the hook wrappers are)? Two
 * compares: the ftrace thunk asks on every hooked call. The layout of
 * struct module changed in 6.4.
 */
static inline bool dg_this_module_text(unsigned long addr)
{
#ifdef DMAGUARD_HAS_MODULE_MEM
	const struct module_memory *m = &THIS_MODULE->mem[MOD_TEXT];

	return addr - (unsigned long)m->base < m->size;
#else
	const struct module_layout *m = &THIS_MODULE->core_layout;

	return addr - (unsigned long)m->base < m->text_size;
#endif
}

/* The pagemap of a ZONE_DEVICE page: page_pgmap() since 6.15. */
static inline struct dev_pagemap *dg_page_pgmap(struct page *page)
{
#ifdef DMAGUARD_HAS_PAGE_PGMAP
	return page_pgmap(page);
#else
	return page->pgmap;
#endif
}

#ifdef CONFIG_X86
#include <asm/memtype.h>
#include <asm/pgtable.h>

/*
 * Is the linear-map alias of @pfn mapped write-back? The kernel maps
 * write-back with all cache bits clear (cachemode2protval(WB)), and
 * set_memory_uc()/_wc() on RAM change that very PTE. No alias (unmapped
 * from the direct map) is not write-back: nothing to flush through.
 */
static inline bool dg_x86_linear_map_wb(unsigned long pfn)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)pfn_to_kaddr(pfn), &level);
	pgprot_t prot;

	if (!pte || !pte_present(*pte))
		return false;
	prot = pte_pgprot(*pte);
	if (level != PG_LEVEL_4K)
		prot = pgprot_large_2_4k(prot);
	return (pgprot_val(prot) & _PAGE_CACHE_MASK) ==
	       cachemode2protval(_PAGE_CACHE_MODE_WB);
}

/*
 * Is RAM at @pfn mapped uncached (UC, UC- or WC) by PAT? Up to 6.x the
 * memtype lookup is exported; 7.x exports pat_pfn_immune_to_uc_mtrr() to
 * KVM only (modpost refuses it, probe EXPORT_pat_pfn_immune_to_uc_mtrr).
 * There, read the cache bits of the linear-map alias that would be flushed.
 */
static inline bool dg_x86_ram_uncached(unsigned long pfn)
{
#ifdef DMAGUARD_HAS_EXPORT_pat_pfn_immune_to_uc_mtrr
	return pat_enabled() && pat_pfn_immune_to_uc_mtrr(pfn);
#else
	return !dg_x86_linear_map_wb(pfn);
#endif
}
#endif /* CONFIG_X86 */

/*
 * Private structures of drivers/vfio/vfio_iommu_type1.c that the VFIO hooks
 * read to flush a whole pin or unmap batch with one wait. Unchanged from
 * 5.12 to 7.3 (checked against trixie-backports' 7.3 source; by 7.3
 * vfio_batch's counters are unsigned int: same offsets, and the checks below
 * hold for both). A .c file: no build-time probe can see them, so every use
 * validates them at run time first and falls back to one flush per run.
 */
struct dg_vfio_batch {
	struct page **pages;		/* PAGE_SIZE / sizeof(ptr) of them */
	struct page *fallback_page;	/* pages == &fallback_page: capacity 1 */
	int capacity;
	int size;			/* pinned, not yet handed out */
	int offset;			/* next one to hand out */
};

struct dg_vfio_regions {
	struct list_head list;
	dma_addr_t iova;
	phys_addr_t phys;
	size_t len;
};

#endif /* DMAGUARD_COMPAT_H */
