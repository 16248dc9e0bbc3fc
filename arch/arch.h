/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interface every arch backend implements for the core. The backends
 * (arch/x86, arch/arm64) are the only place with inline assembly.
 */
#ifndef DMAGUARD_ARCH_H
#define DMAGUARD_ARCH_H

#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/types.h>
#include "../compat/compat.h"

int dg_arch_init(void);

/*
 * Start writing back and invalidating the CPU cache lines of [addr,
 * addr + len), a range of the kernel's linear map. Completion is only
 * guaranteed after dg_arch_flush_wait(), which the core calls once per
 * batch of runs and before every preemption point it offers. Runs with
 * preemption enabled; the caller bounds len.
 */
void dg_arch_flush_kaddr(void *addr, size_t len);

/* Wait until every flush this CPU started has completed (MFENCE, DSB SY). */
void dg_arch_flush_wait(void);

/*
 * May this pfn be flushed? Exactly the RAM-like memory the kernel maps
 * cacheable (write-back) in its linear map, whatever its zone: cache
 * maintenance on uncacheable MMIO can raise machine checks (x86) and is
 * meaningless on Device memory (arm64). Every backend must say yes for
 * page allocator memory (pfn_valid, not PageReserved, not ZONE_DEVICE):
 * the core answers that case itself without asking, as it is the per-page
 * common case. ZONE_DEVICE pages always come here (dg_zone_device_ram()).
 */
bool dg_arch_pfn_cacheable(unsigned long pfn);

/*
 * Is this ZONE_DEVICE page RAM to the CPU? Device-DAX (MEMORY_DEVICE_GENERIC)
 * and fs-DAX pages are host memory that memremap_pages() put in the linear
 * map with PAGE_KERNEL (write-back) and that long-term pins accept, so VFIO
 * maps them like RAM; they are not in memblock or "System RAM", so the
 * usual RAM tests say no. Never PCI P2PDMA (a BAR), DEVICE_PRIVATE (no CPU
 * mapping) or DEVICE_COHERENT (device memory, never pinned long term).
 */
static inline bool dg_zone_device_ram(struct page *page)
{
	enum memory_type type = dg_page_pgmap(page)->type;

	return type == MEMORY_DEVICE_GENERIC || type == MEMORY_DEVICE_FS_DAX;
}

/* Short name of the flush method, for the protections detail. */
const char *dg_arch_flush_method(void);

/* Where a VFIO domain's cache coherency comes from on this arch (audit). */
const char *dg_arch_coherency_note(void);

/* Does the arch share kernel page tables with SVA devices? (sva-kva) */
bool dg_arch_sva_shares_kernel_tables(void);

/*
 * Function entry for an address kprobes resolved: kprobes may skip a
 * landing pad (x86 ENDBR64 or its seal poison); the ftrace filter and the
 * body dmaguard calls are found from the entry.
 */
unsigned long dg_arch_func_entry(unsigned long addr);

/*
 * Where the engine's static call enters the original of an ftrace-hooked
 * function: past its ftrace call site (so the call does not pass the
 * trampoline a second time) where the arch can, else @entry.
 */
unsigned long dg_arch_func_body(unsigned long entry);

/*
 * May dmaguard's static call branch to @target? Always where static calls
 * are direct branches (x86_64); where they are indirect calls, only onto a
 * landing pad if the kernel enforces branch targets (arm64 BTI).
 */
bool dg_arch_branch_ok(unsigned long target);

/* Why dg_arch_branch_ok() said no, for the protections detail. */
const char *dg_arch_branch_refusal(void);

/* Branch-target enforcement (IBT, BTI) and how we live with it, for audit. */
const char *dg_arch_cfi_state(void);

#endif /* DMAGUARD_ARCH_H */
