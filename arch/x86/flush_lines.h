/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 cache-line flush loop, shared verbatim by the module and the
 * userspace benchmark (so the benchmark measures the code that ships).
 *
 * The line loop issues no fence: CLFLUSHOPT is ordered against older stores
 * to the same line, so no leading fence is needed for the data being
 * flushed, and one MFENCE (dg_x86_mfence) after the last run of a batch
 * makes all the write-backs complete before the caller goes on to make the
 * pages reachable (or to unpin them). One fence per batch, not per page:
 * waiting for 64 write-backs per 4 KiB page is what makes per-page flushing
 * slow.
 */
#ifndef DMAGUARD_X86_FLUSH_LINES_H
#define DMAGUARD_X86_FLUSH_LINES_H

static inline void dg_x86_clflushopt(char *p)
{
	/* CLFLUSHOPT is CLFLUSH with a 0x66 prefix; old assemblers lack it. */
	asm volatile(".byte 0x66; clflush %0" : "+m" (*p));
}

static inline void dg_x86_clflush(char *p)
{
	asm volatile("clflush %0" : "+m" (*p));
}

static inline void dg_x86_mfence(void)
{
	asm volatile("mfence" : : : "memory");
}

static inline void dg_x86_flush_lines(void *addr, unsigned long len,
				      unsigned int line, int opt)
{
	unsigned long start = (unsigned long)addr & ~(unsigned long)(line - 1);
	unsigned long end = (unsigned long)addr + len;
	char *p;

	if (opt) {
		for (p = (char *)start; (unsigned long)p < end; p += line)
			dg_x86_clflushopt(p);
	} else {
		for (p = (char *)start; (unsigned long)p < end; p += line)
			dg_x86_clflush(p);
	}
}

#endif /* DMAGUARD_X86_FLUSH_LINES_H */
