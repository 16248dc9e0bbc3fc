// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace benchmark of dmaguard's x86 flush engine against the hardware
 * limit and against the upstream per-page shape.
 *
 * The cache-line loop is the module's own: arch/x86/flush_lines.h is
 * included, not copied. What module/flush.c adds on top of it is mirrored
 * here and nothing more: the runs VFIO hands over in one batch (512 pages,
 * or one longer run) are flushed with one wait (MFENCE) at the end, and one
 * after every DG_CHUNK_BYTES flushed (passed in with -D, extracted from
 * module/flush.c by tests/bench/run.sh so the two cannot drift). The
 * kernel's cond_resched() at those waits has no userspace counterpart and
 * is left out; so is the cacheability check per pfn (ordinary RAM always
 * passes it).
 *
 * Three ways to flush the same list of runs, measured in one process,
 * interleaved (the order rotates every round), medians of several rounds:
 *  - engine:   dg_x86_flush_lines() per run, waits as the module's;
 *  - raw:      CLFLUSHOPT over every line of every run, one MFENCE at the
 *              end (the limit: nothing waits for a write-back);
 *  - per-page: MFENCE; CLFLUSHOPT x 64; MFENCE per 4 KiB page (the shape of
 *              clflush_cache_range() called per page, as the upstream
 *              proposal did).
 * Run lists: one contiguous run, 2 MiB runs (THP-backed guest memory) and
 * single 4 KiB pages, both in shuffled order (pinned guest memory is rarely
 * physically ordered). Buffer states: dirty (every line written just before)
 * and clean (every line read just before, after a write-back).
 *
 * The buffer is THP-backed (MADV_HUGEPAGE) because the module flushes
 * through the kernel's linear map, which uses large pages: a 4 KiB-page TLB
 * miss per scattered page would be a userspace-only cost.
 *
 * usage: flushbench [-s MiB] [-r rounds] [-g RAW] [-p PAGE]
 * With -g, every workload must reach RAW times the raw loop's throughput;
 * with -p, PAGE times the per-page shape's (medians). Each check prints a
 * TAP line ("ok - ..." / "not ok - ..."); exit status 1 if one fails, 2 on
 * a usage or setup error.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../arch/x86/flush_lines.h"

#ifndef DG_CHUNK_BYTES
#error "DG_CHUNK_BYTES must come from module/flush.c (see tests/bench/run.sh)"
#endif

#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define MAX_ROUNDS	31

struct run {
	size_t off;
	size_t len;
};

struct workload {
	const char *name;
	struct run *runs;
	size_t nruns;
};

enum method { M_ENGINE, M_RAW, M_PERPAGE, M_NR };
enum state { S_DIRTY, S_CLEAN, S_NR };
static const char *const state_names[S_NR] = { "dirty", "clean" };

static unsigned int line = 64;
static int opt = 1;
static char *buf;
static size_t size;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * VFIO hands the module up to 512 pages at a time: its pin batch
 * (PAGE_SIZE / sizeof(struct page *) pinned pages) and its unmap sync batch
 * (VFIO_IOMMU_TLB_SYNC_MAX regions). A contiguous run longer than that is
 * handed over whole.
 */
#define VFIO_BATCH_PAGES	512

/*
 * Mirror of module/flush.c (dg_flush_begin/add/end over one VFIO batch):
 * the shared line loop per run, in pieces that end at each DG_CHUNK_BYTES
 * flushed, one wait (MFENCE) there (the module's preemption point) and one
 * at the end of the batch.
 */
static void flush_engine(const struct workload *w)
{
	size_t i, off, step, chunk = 0, batch = 0;

	for (i = 0; i < w->nruns; i++) {
		char *p = buf + w->runs[i].off;
		size_t len = w->runs[i].len;

		for (off = 0; off < len; off += step) {
			step = len - off < DG_CHUNK_BYTES - chunk ?
			       len - off : DG_CHUNK_BYTES - chunk;
			dg_x86_flush_lines(p + off, step, line, opt);
			chunk += step;
			if (chunk == DG_CHUNK_BYTES) {
				dg_x86_mfence();
				chunk = 0;
			}
		}
		batch += len / PAGE;
		if (batch >= VFIO_BATCH_PAGES || i + 1 == w->nruns) {
			if (chunk)
				dg_x86_mfence();
			chunk = 0;
			batch = 0;
		}
	}
}

static void flush_raw(const struct workload *w)
{
	size_t i, off;

	for (i = 0; i < w->nruns; i++) {
		char *p = buf + w->runs[i].off;

		for (off = 0; off < w->runs[i].len; off += line)
			dg_x86_clflushopt(p + off);
	}
	dg_x86_mfence();
}

static void flush_perpage(const struct workload *w)
{
	size_t i, pg, off;

	for (i = 0; i < w->nruns; i++) {
		for (pg = 0; pg < w->runs[i].len; pg += PAGE) {
			char *p = buf + w->runs[i].off + pg;

			dg_x86_mfence();
			for (off = 0; off < PAGE; off += line)
				dg_x86_clflushopt(p + off);
			dg_x86_mfence();
		}
	}
}

static void prepare(enum state s)
{
	volatile char *p;
	size_t off;
	char sink = 0;

	if (s == S_DIRTY) {
		for (off = 0; off < size; off += line)
			*(volatile uint64_t *)(buf + off) = off;
		return;
	}
	/* Write everything back, then pull lines in clean by reading them. */
	for (off = 0; off < size; off += line)
		dg_x86_clflushopt(buf + off);
	dg_x86_mfence();
	for (p = buf, off = 0; off < size; off += line)
		sink ^= p[off];
	(void)sink;
}

static double measure(enum method m, const struct workload *w, enum state s)
{
	double t0;

	prepare(s);
	t0 = now();
	switch (m) {
	case M_ENGINE:
		flush_engine(w);
		break;
	case M_RAW:
		flush_raw(w);
		break;
	default:
		flush_perpage(w);
		break;
	}
	return now() - t0;
}

static void shuffle(struct run *r, size_t n)
{
	size_t i, j;
	struct run t;

	for (i = n - 1; i > 0; i--) {
		j = (size_t)random() % (i + 1);
		t = r[i];
		r[i] = r[j];
		r[j] = t;
	}
}

static struct run *make_runs(size_t runlen, size_t *n)
{
	struct run *r;
	size_t i;

	*n = size / runlen;
	r = calloc(*n, sizeof(*r));
	if (!r)
		return NULL;
	for (i = 0; i < *n; i++) {
		r[i].off = i * runlen;
		r[i].len = runlen;
	}
	if (*n > 1)
		shuffle(r, *n);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Median over rounds of a[r] / b[r]: each round's pair was measured back to
 * back, so load from other tasks that drifts over seconds cancels out.
 */
static double ratio(const double *a, const double *b, int n)
{
	double v[MAX_ROUNDS];
	int i;

	for (i = 0; i < n; i++)
		v[i] = a[i] / b[i];
	return median(v, n);
}

static void cpu_features(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(d & (1U << 19))) {
		fprintf(stderr, "flushbench: CPU has no CLFLUSH\n");
		exit(2);
	}
	if ((b >> 8) & 0xff)
		line = ((b >> 8) & 0xff) * 8;
	opt = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1U << 23));
	if (!opt) {
		/* The raw and per-page loops would fault on #UD otherwise. */
		fprintf(stderr, "flushbench: CPU has no CLFLUSHOPT\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static double t[3][S_NR][M_NR][MAX_ROUNDS];
	struct workload w[3] = {
		{ .name = "contiguous" }, { .name = "2M-runs" },
		{ .name = "4K-scattered" },
	};
	size_t runlen[3], mib = 1024;
	int rounds = 7, o, i, r, k, s, m, bad = 0;
	double gate = 0, pgate = 0, gib, med[M_NR];

	while ((o = getopt(argc, argv, "s:r:g:p:")) != -1) {
		switch (o) {
		case 's':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'g':
			gate = strtod(optarg, NULL);
			break;
		case 'p':
			pgate = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr,
				"usage: flushbench [-s MiB] [-r rounds] [-g RAW] [-p PAGE]\n");
			return 2;
		}
	}
	if (mib < 4 || mib % 2 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "flushbench: -s must be even and >= 4, -r 1..%d\n",
			MAX_ROUNDS);
		return 2;
	}
	cpu_features();
	size = mib << 20;
	gib = (double)size / (1UL << 30);
	buf = mmap(NULL, size + HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("flushbench: mmap");
		return 2;
	}
	buf = (char *)(((uintptr_t)buf + HUGE - 1) & ~(HUGE - 1));
	madvise(buf, size, MADV_HUGEPAGE);
	memset(buf, 1, size);

	srandom(1);
	runlen[0] = size;
	runlen[1] = HUGE;
	runlen[2] = PAGE;
	for (k = 0; k < 3; k++) {
		w[k].runs = make_runs(runlen[k], &w[k].nruns);
		if (!w[k].runs) {
			perror("flushbench: calloc");
			return 2;
		}
	}

	printf("# flushbench: %zu MiB, %d rounds (+1 warm-up), line %u, "
	       "chunk %lu KiB\n", mib, rounds, line,
	       (unsigned long)DG_CHUNK_BYTES >> 10);
	/* Round -1 warms up caches, TLBs, THP and the CPU clock; not kept. */
	for (r = -1; r < rounds; r++)
		for (k = 0; k < 3; k++)
			for (s = 0; s < S_NR; s++)
				for (i = 0; i < M_NR; i++) {
					m = (i + r + 1) % M_NR;
					double v = measure(m, &w[k], s);

					if (r >= 0)
						t[k][s][m][r] = v;
				}

	printf("# %-13s %-6s %10s %10s %10s %9s %9s\n", "runs", "state",
	       "engine", "raw", "per-page", "eng/raw", "eng/page");
	printf("# %-13s %-6s %10s %10s %10s %9s %9s\n", "", "",
	       "s/GiB", "s/GiB", "s/GiB", "thrpt", "thrpt");
	printf("# (times: medians; ratios: medians of per-round ratios)\n");
	for (k = 0; k < 3; k++)
		for (s = 0; s < S_NR; s++) {
			for (m = 0; m < M_NR; m++)
				med[m] = median(t[k][s][m], rounds) / gib;
			printf("# %-13s %-6s %10.4f %10.4f %10.4f %8.2fx %8.2fx\n",
			       w[k].name, state_names[s], med[M_ENGINE],
			       med[M_RAW], med[M_PERPAGE],
			       ratio(t[k][s][M_RAW], t[k][s][M_ENGINE], rounds),
			       ratio(t[k][s][M_PERPAGE], t[k][s][M_ENGINE],
				     rounds));
		}
	for (k = 0; k < 3; k++)
		for (s = 0; s < S_NR; s++) {
			double raw, page;

			raw = ratio(t[k][s][M_RAW], t[k][s][M_ENGINE], rounds);
			page = ratio(t[k][s][M_PERPAGE], t[k][s][M_ENGINE],
				     rounds);
			if (gate) {
				bad |= raw < gate;
				printf("%sok - flushbench %s %s: engine %.2fx "
				       "raw throughput (gate %.2fx)\n",
				       raw < gate ? "not " : "", w[k].name,
				       state_names[s], raw, gate);
			}
			if (pgate) {
				bad |= page < pgate;
				printf("%sok - flushbench %s %s: engine %.2fx "
				       "per-page throughput (gate %.2fx)\n",
				       page < pgate ? "not " : "", w[k].name,
				       state_names[s], page, pgate);
			}
		}
	return bad;
}
