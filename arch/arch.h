/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interface every arch backend implements for the core. The backends
 * (arch/x86, arch/arm64) are the only place with inline assembly.
 */
#ifndef DMAGUARD_ARCH_H
#define DMAGUARD_ARCH_H

#include <linux/types.h>

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
 * May a page that is not page allocator memory be flushed? The core asks
 * only about pfns with a struct page that are reserved (firmware tables,
 * the zero page, memory a driver reserved) or ZONE_DEVICE device-DAX /
 * fs-DAX (module/flush.c decides which ZONE_DEVICE pages are RAM): is
 * @pfn's linear-map alias there and mapped cacheable (write-back)? Cache
 * maintenance on uncacheable MMIO can raise machine checks (x86) and is
 * meaningless on Device memory (arm64). Pfns without a struct page and
 * page allocator memory never come here.
 */
bool dg_arch_reserved_cacheable(unsigned long pfn);
bool dg_arch_device_ram_cacheable(unsigned long pfn);

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
