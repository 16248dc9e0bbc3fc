// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgflushlines: line-coverage test of the arm64 flush loop
 * (arch/arm64/flush_lines.h, included verbatim, the code the module runs).
 * Static aarch64 binary, run in the arm64 guest: Linux sets SCTLR_EL1.UCI
 * and UCT, so DC CIVAC and the CTR_EL0 read work at EL0.
 *
 * For a grid of start offsets and lengths over a buffer dirtied through its
 * (cacheable) user mapping, DG_ARM64_LINE_HOOK records every address the
 * loop issues DC CIVAC for; the test checks that these are exactly the
 * lines that intersect the range, each once, in order, none outside it,
 * that an empty range issues nothing, and that the data is intact
 * afterwards (clean+invalidate writes back; an invalidate-only DC IVAC
 * would lose dirty lines on hardware; TCG does not model caches, so there
 * this last check only proves the instruction did not corrupt memory).
 * Prints TAP lines "ok - ..." / "not ok - ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DG_MAX_LINES	(1UL << 20)

static unsigned long *dg_seen;
static unsigned long dg_nseen;
static int dg_overflow;

#define DG_ARM64_LINE_HOOK(p) do {					\
	if (dg_nseen < DG_MAX_LINES)					\
		dg_seen[dg_nseen++] = (p);				\
	else								\
		dg_overflow = 1;					\
} while (0)

#include "../../arch/arm64/flush_lines.h"

static int failures;

static void report(int ok, const char *name, const char *why)
{
	printf("%s - %s%s%s\n", ok ? "ok" : "not ok", name, ok ? "" : ": ",
	       ok ? "" : why);
	if (!ok)
		failures++;
}

static unsigned char pattern(unsigned long i)
{
	return (unsigned char)(i * 131 + 7);
}

/* Flush [buf + off, + len) with this line size; check the lines visited. */
static int check_range(unsigned char *buf, unsigned long off,
		       unsigned long len, unsigned int line, const char **why)
{
	unsigned long addr = (unsigned long)buf + off;
	unsigned long first = addr & ~(unsigned long)(line - 1);
	unsigned long end = addr + len;
	unsigned long want = len ? (end - first + line - 1) / line : 0;
	unsigned long i;

	for (i = 0; i < len; i++)
		buf[off + i] = pattern(off + i);
	dg_nseen = 0;
	dg_overflow = 0;
	dg_arm64_flush_lines(buf + off, len, line);
	dg_arm64_dsb_sy();	/* the module's dg_arch_flush_wait() */

	if (dg_overflow) {
		*why = "too many lines";
		return 0;
	}
	if (dg_nseen != want) {
		*why = "line count differs from the lines the range touches";
		return 0;
	}
	for (i = 0; i < dg_nseen; i++) {
		unsigned long p = dg_seen[i];

		if (p != first + i * line) {
			*why = "a line skipped, repeated or out of order";
			return 0;
		}
		/* [p, p + line) must intersect [addr, end). */
		if (p + line <= addr || p >= end) {
			*why = "a line outside the range";
			return 0;
		}
	}
	for (i = 0; i < len; i++) {
		if (buf[off + i] != pattern(off + i)) {
			*why = "data changed by the flush";
			return 0;
		}
	}
	return 1;
}

int main(void)
{
	static const unsigned long offs[] = { 0, 1, 15, 63, 64, 65, 127, 4095 };
	static const unsigned long lens[] = {
		0, 1, 2, 15, 16, 63, 64, 65, 127, 128, 4096, 3 * 4096 + 5,
		2UL << 20,
	};
	static const unsigned int fixed[] = { 16, 32, 64, 128 };
	unsigned int lines[5], nlines = 0, l;
	unsigned long ctr, total = 0;
	unsigned char *buf;
	const char *why = "";
	char name[160];
	size_t o, n;
	int ok;

	asm volatile("mrs %0, ctr_el0" : "=r" (ctr));
	lines[nlines++] = dg_arm64_ctr_dminline(ctr);
	for (l = 0; l < 4; l++)
		if (fixed[l] != lines[0])
			lines[nlines++] = fixed[l];
	snprintf(name, sizeof(name), "CTR_EL0.DminLine read at EL0: %u bytes",
		 lines[0]);
	report(lines[0] >= 16 && lines[0] <= 2048, name, "implausible");

	dg_seen = malloc(DG_MAX_LINES * sizeof(*dg_seen));
	if (posix_memalign((void **)&buf, 1 << 21, (4 << 20)) || !dg_seen) {
		printf("not ok - allocate the test buffer\n");
		return 1;
	}
	memset(buf, 0xa5, 4 << 20);

	for (l = 0; l < nlines; l++) {
		ok = 1;
		for (o = 0; o < sizeof(offs) / sizeof(offs[0]) && ok; o++) {
			for (n = 0; n < sizeof(lens) / sizeof(lens[0]); n++) {
				ok = check_range(buf, offs[o], lens[n],
						 lines[l], &why);
				if (!ok) {
					snprintf(name, sizeof(name),
						 "DC CIVAC lines for off=%lu len=%lu line=%u",
						 offs[o], lens[n], lines[l]);
					report(0, name, why);
					break;
				}
				total += dg_nseen;
			}
		}
		if (!ok)
			continue;
		snprintf(name, sizeof(name),
			 "line=%u: DC CIVAC over exactly the lines of %zu ranges, data intact",
			 lines[l], sizeof(offs) / sizeof(offs[0]) *
			 (sizeof(lens) / sizeof(lens[0])));
		report(1, name, "");
	}

	/* A single aligned line: its neighbours are not visited. */
	dg_nseen = 0;
	dg_arm64_flush_lines(buf + (1 << 20) + lines[0], lines[0], lines[0]);
	snprintf(name, sizeof(name),
		 "one aligned line flushes only that line (%lu visited)",
		 dg_nseen);
	report(dg_nseen == 1 &&
	       dg_seen[0] == (unsigned long)buf + (1 << 20) + lines[0],
	       name, "neighbour lines visited");

	printf("# %lu DC CIVAC issued in total\n", total);
	return failures ? 1 : 0;
}
