/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 cache-line flush loop, shared verbatim by the module and the
 * userspace line-coverage test (tests/guest/dgflushlines.c), so the test
 * exercises the code that ships.
 *
 * DC CIVAC cleans and invalidates one line to the Point of Coherency, which
 * is where a non-coherent DMA master reads and writes. The line loop issues
 * no barrier: DC CIVAC by VA is ordered against earlier stores to the same
 * line, and one DSB SY (dg_arm64_dsb_sy) after the last run of a batch makes
 * all the maintenance complete before the caller makes the pages reachable
 * (or unpins them).
 *
 * The line size is the caller's: the kernel passes the system-wide
 * DminLine (the smallest on any CPU), so no line is skipped on big.LITTLE.
 * DG_ARM64_LINE_HOOK(p) lets the userspace test count the lines visited;
 * it is empty in the module.
 */
#ifndef DMAGUARD_ARM64_FLUSH_LINES_H
#define DMAGUARD_ARM64_FLUSH_LINES_H

#ifndef DG_ARM64_LINE_HOOK
#define DG_ARM64_LINE_HOOK(p)	((void)(p))
#endif

/* Bytes per line from a CTR_EL0 value: DminLine is log2(words). */
static inline unsigned int dg_arm64_ctr_dminline(unsigned long ctr)
{
	return 4U << ((ctr >> 16) & 0xf);
}

/* The "memory" clobber keeps stores to the line before the DC. */
static inline void dg_arm64_dc_civac(const void *p)
{
	asm volatile("dc civac, %0" : : "r" (p) : "memory");
}

static inline void dg_arm64_dsb_sy(void)
{
	asm volatile("dsb sy" : : : "memory");
}

/*
 * Every line that intersects [addr, addr + len), each once, and no other;
 * nothing at all for an empty range.
 */
static inline void dg_arm64_flush_lines(void *addr, unsigned long len,
					unsigned int line)
{
	unsigned long start = (unsigned long)addr & ~(unsigned long)(line - 1);
	unsigned long end = (unsigned long)addr + len;
	unsigned long p;

	if (!len)
		return;
	for (p = start; p < end; p += line) {
		DG_ARM64_LINE_HOOK(p);
		dg_arm64_dc_civac((const void *)p);
	}
}

#endif /* DMAGUARD_ARM64_FLUSH_LINES_H */
