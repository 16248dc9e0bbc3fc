// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgstress: in-guest load generators and checkers for the stress suite.
 * Each subcommand runs for a bounded time and prints TAP lines
 * ("ok - ..." / "not ok - ...") for what it asserts; "# ..." lines are
 * commentary.
 *
 *   storm SECONDS PROCS THREADS GROUP...
 *	PROCS processes x THREADS threads map and unmap through VFIO type1v2:
 *	process i works in the container of GROUP[i % n] (opened by the
 *	parent, so processes on one group share a container). Random sizes
 *	(4 KiB .. 64 MiB), alignments, THP or not, random unmap order; a
 *	mapping made of adjacent pieces is unmapped in sub-ranges along piece
 *	boundaries (allowed) and must refuse sub-ranges that bisect a piece,
 *	overlapping maps and unaligned sizes (type1v2 rules).
 *   churn SECONDS GROUP TOGGLE_SECONDS
 *	container create/attach/map/unmap/detach-or-close cycles; during the
 *	first TOGGLE_SECONDS it also writes random policies to its domain.
 *   fuzz SECONDS WRITERS READERS
 *	every writable dmaguard file gets random bytes and long strings from
 *	WRITERS threads while READERS threads read every file: each bad write
 *	fails with EINVAL (E2BIG above a page: kernfs refuses it first), no
 *	global value and no policy of a domain that outlives the run changes,
 *	no read shows a kernel pointer. Nobody else may write valid values
 *	meanwhile.
 *   unpriv UID
 *	as UID: no dmaguard file can be opened for writing (EACCES), nothing
 *	readable looks like a kernel pointer, values unchanged.
 *   fail-attach GROUP MAXN      (fault-injection kernels only)
 *	for n = 1..MAXN: /proc/thread-self/fail-nth = n around the container
 *	attach (VFIO_SET_IOMMU), then check VFIO and dmaguard agree.
 *   fail-attach-iommufd GROUP MAXN      (fault-injection kernels only)
 *	the same through iommufd: fail-nth = n around the device cdev's
 *	VFIO_DEVICE_ATTACH_IOMMUFD_PT to an IOAS (where dmaguard tracks the new
 *	domain); when the attach succeeds, an IOAS map and unmap must work
 *	and be flushed by dmaguard (tracked, adopted, or unattributed), and
 *	closing must leave no domain behind.
 *   fail-load KO NAME MAXN [PARAMS]  (fault-injection kernels only)
 *	for n = 1..MAXN: fail-nth = n around finit_module(KO); a load either
 *	fails cleanly (dmaguard: no sysfs tree left) or leaves a sane
 *	protections file with vfio-map and vfio-unmap in the same state
 *	(never half armed); unload NAME again. KO is dmaguard.ko, or
 *	vfio_iommu_type1.ko with dmaguard loaded (the hooks arm in its load).
 *	Every fault-injection command stops after $DG_FI_SECONDS (default 30).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>
#include "dgcommon.h"
#include "dgiommufd.h"

#define PAGE	4096UL
#define HUGE	(2UL << 20)
#define MIB	(1UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t rnd_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + rnd(s) % (hi - lo + 1);
}

static void seed(uint64_t *s, uint64_t salt)
{
	*s = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() << 32 ^
	     (uint64_t)time(NULL) ^ salt * 0xbf58476d1ce4e5b9ULL;
	if (!*s)
		*s = 1;
}

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

/* Returns 0 or -errno; the exact bytes, one write() call. */
static int write_bytes(const char *path, const void *b, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, b, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EMSGSIZE;
	close(fd);
	return ret;
}

static int open_container(int grp, int *groupfd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int c, g;

	c = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	g = open(path, O_RDWR);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		int e = errno;

		if (c >= 0)
			close(c);
		if (g >= 0)
			close(g);
		return -e;
	}
	*groupfd = g;
	return c;
}

static int dma_map(int c, void *va, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .vaddr = (uintptr_t)va, .iova = iova,
		.size = size,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};

	return ioctl(c, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

/* Returns the unmapped size, or -errno. */
static int64_t dma_unmap(int c, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = size,
	};

	return ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : (int64_t)u.size;
}

/* ---- storm ---------------------------------------------------------- */

#define SLOTS		24
#define SLOT_SIZE	(64 * MIB)
#define WINDOW		((uint64_t)SLOTS * SLOT_SIZE)
#define MAX_PIECES	4
#define BUDGET		(96 * MIB)

struct mapping {
	void *raw;
	size_t rawlen;
	uint64_t iova;
	uint64_t size;
	int npieces;			/* adjacent VFIO mappings */
	uint64_t piece[MAX_PIECES];	/* their sizes */
	int first;			/* first piece still mapped */
	bool used;
};

struct worker {
	int container;
	uint64_t base;
	double deadline;
	uint64_t rng;
	unsigned long maps, unmaps, pieces, rejects, thp, bytes;
	unsigned long errors;
	char why[256];
	struct mapping slot[SLOTS];
};

static void fail(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	w->errors++;
	if (w->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

static uint64_t live_bytes(struct worker *w)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < SLOTS; i++)
		if (w->slot[i].used)
			sum += w->slot[i].size;
	return sum;
}

static void storm_map(struct worker *w, int i)
{
	struct mapping *m = &w->slot[i];
	uint64_t *r = &w->rng, size, align, iova, off = 0;
	bool thp = rnd(r) % 3 == 0;
	uint8_t *va;
	int k, ret;

	/* log-uniform 4 KiB .. 64 MiB, a page multiple */
	size = PAGE << rnd_range(r, 0, 14);
	size = PAGE * rnd_range(r, (size / PAGE + 1) / 2, size / PAGE);
	if (thp)
		size = (size + HUGE - 1) & ~(HUGE - 1);
	if (size > SLOT_SIZE)
		size = SLOT_SIZE;
	if (live_bytes(w) + size > BUDGET)
		return;
	align = PAGE << rnd_range(r, 0, 10);	/* up to 4 MiB */
	if (thp && align < HUGE)
		align = HUGE;
	iova = w->base + (uint64_t)i * SLOT_SIZE;
	if (SLOT_SIZE > size)
		iova += (rnd(r) % ((SLOT_SIZE - size) / align + 1)) * align;

	m->rawlen = size + (thp ? HUGE : 0);
	m->raw = mmap(NULL, m->rawlen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->raw == MAP_FAILED) {
		fail(w, "mmap %" PRIu64 ": %s", size, strerror(errno));
		return;
	}
	va = m->raw;
	if (thp) {
		va = (uint8_t *)(((uintptr_t)m->raw + HUGE - 1) & ~(HUGE - 1));
		madvise(va, size, MADV_HUGEPAGE);
		w->thp++;
	} else {
		madvise(va, size, MADV_NOHUGEPAGE);
	}

	/* Larger ones as up to 4 adjacent pieces, split on page bounds. */
	m->npieces = size >= 4 * PAGE ? rnd_range(r, 1, MAX_PIECES) : 1;
	for (k = 0; k < m->npieces; k++) {
		uint64_t left = size - off, p;

		if (k == m->npieces - 1)
			p = left;
		else
			p = PAGE * rnd_range(r, 1, left / PAGE -
					     (m->npieces - 1 - k));
		m->piece[k] = p;
		ret = dma_map(w->container, va + off, iova + off, p);
		if (ret) {
			fail(w, "map %" PRIu64 " at iova 0x%" PRIx64 ": %s", p,
			     iova + off, strerror(-ret));
			if (off)
				dma_unmap(w->container, iova, off);
			munmap(m->raw, m->rawlen);
			return;
		}
		off += p;
		w->maps++;
	}
	m->iova = iova;
	m->size = size;
	m->first = 0;
	m->used = true;
	w->bytes += size;

	/* What type1v2 must refuse, now that the mapping exists. */
	ret = dma_map(w->container, va, iova, PAGE);
	if (ret != -EEXIST)
		fail(w, "overlapping map gave %d, want -EEXIST", ret);
	ret = dma_map(w->container, va, iova + SLOT_SIZE * SLOTS * 2, PAGE / 2);
	if (ret != -EINVAL)
		fail(w, "unaligned-size map gave %d, want -EINVAL", ret);
	w->rejects += 2;
}

static void storm_unmap(struct worker *w, int i)
{
	struct mapping *m = &w->slot[i];
	uint64_t *r = &w->rng, start = m->iova, want;
	int64_t got, done;
	int k, last;

	for (k = 0; k < m->first; k++)
		start += m->piece[k];
	/* A range inside the first live piece (bisects it): refused. */
	if (m->piece[m->first] >= 2 * PAGE) {
		got = dma_unmap(w->container, start + PAGE,
				m->piece[m->first] - PAGE);
		if (got != -EINVAL)
			fail(w, "unmap bisecting a mapping gave %" PRId64
			     ", want -EINVAL", got);
		got = dma_unmap(w->container, start, PAGE);
		if (got != -EINVAL)
			fail(w, "unmap of a mapping's head gave %" PRId64
			     ", want -EINVAL", got);
		w->rejects += 2;
	}
	/* Unmap pieces first..last, all of them or some (random). */
	last = m->first + (int)rnd_range(r, 0, m->npieces - 1 - m->first);
	want = 0;
	for (k = m->first; k <= last; k++)
		want += m->piece[k];
	got = dma_unmap(w->container, start, want);
	if (got != (int64_t)want)
		fail(w, "unmap pieces %d..%d (%" PRIu64 " bytes at 0x%" PRIx64
		     ") gave %" PRId64, m->first, last, want, start, got);
	w->unmaps++;
	if (last - m->first > 0 || m->npieces > 1)
		w->pieces++;
	m->first = last + 1;
	if (m->first < m->npieces)
		return;
	/* Nothing left: an unmap of the empty range unmaps 0 bytes. */
	done = dma_unmap(w->container, m->iova, m->size);
	if (done != 0)
		fail(w, "unmap of an emptied range gave %" PRId64, done);
	munmap(m->raw, m->rawlen);
	m->used = false;
}

static void *storm_thread(void *arg)
{
	struct worker *w = arg;
	int i;

	while (now() < w->deadline && w->errors < 20) {
		i = rnd(&w->rng) % SLOTS;
		if (w->slot[i].used)
			storm_unmap(w, i);
		else
			storm_map(w, i);
	}
	for (i = 0; i < SLOTS; i++)
		while (w->slot[i].used && w->errors < 20)
			storm_unmap(w, i);
	return NULL;
}

static int storm_proc(int container, int proc, int threads, double deadline)
{
	struct worker *w = calloc(threads, sizeof(*w));
	pthread_t *tid = calloc(threads, sizeof(*tid));
	unsigned long maps = 0, unmaps = 0, pieces = 0, rejects = 0, thp = 0;
	unsigned long errors = 0, bytes = 0;
	const char *why = "";
	int t;

	for (t = 0; t < threads; t++) {
		w[t].container = container;
		/* 4 GiB up, each worker its own window */
		w[t].base = (1ULL << 32) + (uint64_t)(proc * threads + t) * WINDOW;
		w[t].deadline = deadline;
		seed(&w[t].rng, proc * 1000 + t);
		pthread_create(&tid[t], NULL, storm_thread, &w[t]);
	}
	for (t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		maps += w[t].maps;
		unmaps += w[t].unmaps;
		pieces += w[t].pieces;
		rejects += w[t].rejects;
		thp += w[t].thp;
		bytes += w[t].bytes;
		errors += w[t].errors;
		if (!why[0] && w[t].why[0])
			why = w[t].why;
	}
	printf("%s - storm process %d (%d threads): %lu maps, %lu unmaps "
	       "(%lu piecewise), %lu THP mappings, %lu MiB mapped, %lu "
	       "refusals as type1v2 specifies%s%s\n",
	       errors || !maps ? "not ok" : "ok", proc, threads, maps, unmaps,
	       pieces, thp, bytes >> 20, rejects, why[0] ? ": " : "", why);
	fflush(stdout);
	return errors || !maps;
}

static int cmd_storm(int argc, char **argv)
{
	int procs, threads, ngroups, i, bad = 0, status;
	int containers[16], groups[16];
	double deadline;
	pid_t pid[64];

	if (argc < 5)
		return 2;
	deadline = now() + atof(argv[1]);
	procs = atoi(argv[2]);
	threads = atoi(argv[3]);
	ngroups = argc - 4;
	if (procs < 1 || procs > 64 || threads < 1 || ngroups > 16)
		return 2;
	for (i = 0; i < ngroups; i++) {
		containers[i] = open_container(atoi(argv[4 + i]), &groups[i]);
		if (containers[i] < 0) {
			printf("not ok - storm: open group %s: %s\n",
			       argv[4 + i], strerror(-containers[i]));
			return 1;
		}
	}
	fflush(stdout);
	for (i = 0; i < procs; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(storm_proc(containers[i % ngroups], i, threads,
					 deadline));
	}
	for (i = 0; i < procs; i++) {
		if (waitpid(pid[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad++;
	}
	/* Every process unmapped what it mapped: nothing may be left. */
	for (i = 0; i < ngroups; i++) {
		int64_t left = dma_unmap(containers[i], 1ULL << 32,
					 (uint64_t)procs * threads * WINDOW);

		if (left != 0) {
			printf("not ok - storm: container %d had %" PRId64
			       " bytes still mapped\n", i, left);
			bad++;
		}
		close(groups[i]);
		close(containers[i]);
	}
	printf("%s - storm: %d processes x %d threads on %d container(s) "
	       "finished\n", bad ? "not ok" : "ok", procs, threads, ngroups);
	return bad ? 1 : 0;
}

/* ---- churn ---------------------------------------------------------- */

static int my_domains(int *ids, int max)
{
	DIR *d = opendir(DGSYS "/domains");
	struct dirent *e;
	char path[512];
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DGSYS "/domains/%s/pid", e->d_name);
		if (read_ll(path) == getpid())
			ids[n++] = atoi(e->d_name);
	}
	closedir(d);
	return n;
}

static int cmd_churn(int argc, char **argv)
{
	static const char *const pol[] = { "auto", "always", "never" };
	unsigned long cycles = 0, detaches = 0, policies = 0, errors = 0;
	double deadline, toggle_until;
	char why[256] = "";
	uint64_t r;
	int grp;

	if (argc < 4)
		return 2;
	deadline = now() + atof(argv[1]);
	grp = atoi(argv[2]);
	toggle_until = now() + atof(argv[3]);
	seed(&r, 7);
	while (now() < deadline && errors < 10) {
		int g, c = open_container(grp, &g), n, k, ids[4];
		size_t len = PAGE * rnd_range(&r, 1, 256);
		void *buf;
		int64_t got;

		if (c < 0) {
			errors++;
			snprintf(why, sizeof(why), "open: %s", strerror(-c));
			continue;
		}
		buf = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dma_map(c, buf, 0x100000, len) ||
		    dma_map(c, (char *)buf + len, 0x100000 + len, len)) {
			errors++;
			snprintf(why, sizeof(why), "map: %s", strerror(errno));
		}
		if (now() < toggle_until) {
			n = my_domains(ids, 4);
			for (k = 0; k < n; k++) {
				char path[128];
				const char *p = pol[rnd(&r) % 3];

				snprintf(path, sizeof(path),
					 DGSYS "/domains/%d/policy", ids[k]);
				/* ENOENT: dmaguard reloaded under us */
				if (write_bytes(path, p, strlen(p)) == 0)
					policies++;
			}
		}
		got = dma_unmap(c, 0x100000, len);
		if (got != (int64_t)len) {
			errors++;
			snprintf(why, sizeof(why), "unmap gave %" PRId64, got);
		}
		/* Half the time detach with a mapping live, else just close. */
		if (rnd(&r) & 1) {
			if (ioctl(g, VFIO_GROUP_UNSET_CONTAINER)) {
				errors++;
				snprintf(why, sizeof(why), "unset container: %s",
					 strerror(errno));
			}
			detaches++;
		}
		close(g);
		close(c);
		munmap(buf, 2 * len);
		cycles++;
	}
	printf("%s - churn: %lu container cycles (%lu detached with a "
	       "mapping live, %lu policy writes)%s%s\n",
	       errors || !cycles ? "not ok" : "ok", cycles, detaches, policies,
	       why[0] ? ": " : "", why);
	return errors || !cycles;
}

/* ---- fuzz ----------------------------------------------------------- */

struct fuzz {
	double deadline;
	atomic_ulong writes, reads, errors, toolong;
	char why[256];
	pthread_mutex_t lock;
	char enabled[16], defpol[16];
};

static struct fuzz fz;

static void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fz_fail(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&fz.errors, 1);
	pthread_mutex_lock(&fz.lock);
	if (!fz.why[0]) {
		va_start(ap, fmt);
		vsnprintf(fz.why, sizeof(fz.why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&fz.lock);
}

static bool is_token(const uint8_t *b, size_t len, const char *tok)
{
	size_t t = strlen(tok);

	return (len == t || (len == t + 1 && b[t] == '\n')) && !memcmp(b, tok, t);
}

/* What the parsers accept (policy.c): one token, one optional newline. */
static bool fz_valid(const char *file, const uint8_t *b, size_t len)
{
	if (strstr(file, "enabled"))
		return is_token(b, len, "0") || is_token(b, len, "1");
	return is_token(b, len, "auto") || is_token(b, len, "always") ||
	       is_token(b, len, "never");
}

static size_t fz_input(uint64_t *r, uint8_t *b, size_t max)
{
	static const char *const words[] = {
		"0", "1", "auto", "always", "never", "-1", "2", "on", "y",
		"AUTO", "Always", "\n", " ", "\t", "0x1", "01",
	};
	size_t len, k;

	switch (rnd(r) % 6) {
	case 0:		/* random bytes */
		len = rnd_range(r, 1, 64);
		for (k = 0; k < len; k++)
			b[k] = rnd(r);
		return len;
	case 1:		/* long string, up to past a page */
		len = rnd_range(r, 64, max);
		for (k = 0; k < len; k++)
			b[k] = "auto1 \n"[rnd(r) % 7];
		return len;
	case 2:		/* two words glued together */
		len = snprintf((char *)b, 64, "%s%s", words[rnd(r) % 16],
			       words[rnd(r) % 16]);
		return len;
	case 3:		/* valid token with an embedded NUL and more */
		len = snprintf((char *)b, 64, "%s", words[rnd(r) % 5]);
		b[len++] = 0;
		b[len++] = 'x';
		return len;
	case 4:		/* valid token, two newlines */
		len = snprintf((char *)b, 64, "%s\n\n", words[rnd(r) % 5]);
		return len;
	default:	/* a word as is (may be valid: then skipped) */
		len = snprintf((char *)b, 64, "%s", words[rnd(r) % 16]);
		return len;
	}
}

/* Writable files: the global two plus domains/<id>/policy. */
static int fz_files(char files[][96], int max)
{
	DIR *d = opendir(DGSYS "/domains");
	struct dirent *e;
	int n = 0;

	snprintf(files[n++], 96, DGSYS "/enabled");
	snprintf(files[n++], 96, DGSYS "/default_policy");
	while (d && (e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 16)
			continue;
		snprintf(files[n++], 96, DGSYS "/domains/%s/policy", e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

static void *fz_writer(void *arg)
{
	uint64_t r;
	uint8_t *b = malloc(2 * PAGE);
	char files[34][96];

	seed(&r, (uintptr_t)arg);
	while (now() < fz.deadline) {
		int n = fz_files(files, 34), ret;
		const char *f = files[rnd(&r) % n];
		size_t len = fz_input(&r, b, 2 * PAGE);

		if (fz_valid(f, b, len))
			continue;
		ret = write_bytes(f, b, len);
		atomic_fetch_add(&fz.writes, 1);
		/* That domain went away meanwhile (before open: ENOENT,
		 * between open and write: kernfs says ENODEV). */
		if ((ret == -ENOENT || ret == -ENODEV) && strstr(f, "/domains/"))
			continue;
		if (len > PAGE && ret == -E2BIG) {
			atomic_fetch_add(&fz.toolong, 1);
			continue;
		}
		if (ret != -EINVAL)
			fz_fail("%zu-byte bad write to %s gave %d, want -EINVAL",
				len, f, ret);
	}
	free(b);
	return NULL;
}

static bool looks_like_pointer(const char *s)
{
	for (; *s; s++) {
		int k;

		if (strncasecmp(s, "ffff", 4))
			continue;
		for (k = 4; k < 16 && isxdigit((unsigned char)s[k]); k++)
			;
		if (k == 16)
			return true;
	}
	return false;
}

static void fz_check_read(const char *path, const char *val)
{
	if (looks_like_pointer(val))
		fz_fail("%s shows a kernel pointer: %.60s", path, val);
	if (!strcmp(path, DGSYS "/enabled") && strcmp(val, fz.enabled))
		fz_fail("enabled changed to %.20s during the fuzz", val);
	if (!strcmp(path, DGSYS "/default_policy") && strcmp(val, fz.defpol))
		fz_fail("default_policy changed to %.20s during the fuzz", val);
	if (strstr(path, "/policy") && strstr(path, "/domains/") &&
	    strcmp(val, "auto\n") && strcmp(val, "always\n") &&
	    strcmp(val, "never\n"))
		fz_fail("%s reads %.20s", path, val);
}

static void fz_read_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512], val[8192];
	struct stat st;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			fz_read_tree(path);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (read_str(path, val, sizeof(val)) < 0)
			continue;	/* gone meanwhile */
		atomic_fetch_add(&fz.reads, 1);
		fz_check_read(path, val);
	}
	if (d)
		closedir(d);
}

static void *fz_reader(void *arg)
{
	(void)arg;
	while (now() < fz.deadline)
		fz_read_tree(DGSYS);
	return NULL;
}

/* Policies of the domains that exist now: id -> policy. */
static int fz_policies(int *ids, char pols[][16], int max)
{
	DIR *d = opendir(DGSYS "/domains");
	struct dirent *e;
	char path[512];
	int n = 0;

	while (d && (e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DGSYS "/domains/%s/policy", e->d_name);
		if (read_str(path, pols[n], 16) > 0)
			ids[n++] = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

static int cmd_fuzz(int argc, char **argv)
{
	int writers, readers, i, j, n0, n1, ids0[32], ids1[32];
	char pols0[32][16], pols1[32][16], e1[16], d1[16];
	pthread_t tid[64];

	if (argc < 4)
		return 2;
	fz.deadline = now() + atof(argv[1]);
	writers = atoi(argv[2]);
	readers = atoi(argv[3]);
	if (writers + readers > 64 || writers < 1)
		return 2;
	pthread_mutex_init(&fz.lock, NULL);
	if (read_str(DGSYS "/enabled", fz.enabled, 16) <= 0 ||
	    read_str(DGSYS "/default_policy", fz.defpol, 16) <= 0) {
		printf("not ok - fuzz: dmaguard sysfs not readable\n");
		return 1;
	}
	n0 = fz_policies(ids0, pols0, 32);
	for (i = 0; i < writers; i++)
		pthread_create(&tid[i], NULL, fz_writer, (void *)(uintptr_t)(i + 1));
	for (; i < writers + readers; i++)
		pthread_create(&tid[i], NULL, fz_reader, NULL);
	for (i = 0; i < writers + readers; i++)
		pthread_join(tid[i], NULL);
	read_str(DGSYS "/enabled", e1, 16);
	read_str(DGSYS "/default_policy", d1, 16);
	if (strcmp(e1, fz.enabled) || strcmp(d1, fz.defpol))
		fz_fail("global values changed: enabled %s -> %s, "
			"default_policy %s -> %s", fz.enabled, e1, fz.defpol, d1);
	n1 = fz_policies(ids1, pols1, 32);
	for (i = 0; i < n0; i++)
		for (j = 0; j < n1; j++)
			if (ids0[i] == ids1[j] && strcmp(pols0[i], pols1[j]))
				fz_fail("domain %d policy changed %s -> %s",
					ids0[i], pols0[i], pols1[j]);
	printf("%s - sysfs fuzz: %lu bad writes by %d writers all refused "
	       "with EINVAL (%lu over a page with E2BIG), %lu reads by %d readers, values "
	       "unchanged, no pointers%s%s\n",
	       fz.errors || !fz.writes ? "not ok" : "ok",
	       (unsigned long)fz.writes, writers, (unsigned long)fz.toolong,
	       (unsigned long)fz.reads, readers, fz.why[0] ? ": " : "",
	       fz.why);
	return fz.errors || !fz.writes;
}

/* ---- unpriv --------------------------------------------------------- */

static unsigned long up_files, up_bad, up_gone;

static void up_walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512], val[8192];
	struct stat st;

	if (!d) {
		printf("not ok - unprivileged: cannot list %s: %s\n", dir,
		       strerror(errno));
		up_bad++;
		return;
	}
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			up_walk(path);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		fd = open(path, O_WRONLY);
		/*
		 * The storm destroys domains while we walk: a domain file
		 * that is gone by the time we open it (and still gone) is
		 * not a permission result, so it is counted apart.
		 */
		if (fd < 0 && errno == ENOENT && lstat(path, &st) &&
		    errno == ENOENT) {
			up_gone++;
			continue;
		}
		up_files++;
		if (fd >= 0 || errno != EACCES) {
			printf("not ok - unprivileged open(%s, O_WRONLY): %s, "
			       "want EACCES\n", path,
			       fd >= 0 ? "succeeded" : strerror(errno));
			up_bad++;
			if (fd >= 0)
				close(fd);
		}
		if (read_str(path, val, sizeof(val)) >= 0 &&
		    looks_like_pointer(val)) {
			printf("not ok - unprivileged read of %s shows a kernel "
			       "pointer\n", path);
			up_bad++;
		}
	}
	closedir(d);
}

static int cmd_unpriv(int argc, char **argv)
{
	uid_t uid;

	if (argc < 2)
		return 2;
	uid = atoi(argv[1]);
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid) || !geteuid()) {
		printf("not ok - unprivileged: drop to uid %u: %s\n", uid,
		       strerror(errno));
		return 1;
	}
	up_walk(DGSYS);
	printf("%s - unprivileged uid %u: none of %lu dmaguard files opens "
	       "for writing (EACCES), no read shows a kernel pointer "
	       "(%lu vanished with their domain)\n",
	       up_bad || up_files < 5 ? "not ok" : "ok", uid, up_files,
	       up_gone);
	return up_bad || up_files < 5;
}

/* ---- fault injection ------------------------------------------------ */

/*
 * One fd for the whole run: opening the file allocates, which would consume
 * (or be) the injected failure.
 */
static int fail_nth_fd = -1;

static int set_fail_nth(unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	if (fail_nth_fd < 0)
		fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_nth_fd < 0)
		return -errno;
	return pwrite(fail_nth_fd, b, len, 0) == len ? 0 : -errno;
}

static long long get_fail_nth(void)
{
	char b[32] = "";

	if (pread(fail_nth_fd, b, sizeof(b) - 1, 0) <= 0)
		return -1;
	return strtoll(b, NULL, 10);
}

/*
 * Starts a sweep: the deadline is $DG_FI_SECONDS (default 30) from now, and
 * fail-nth is opened and zeroed outside the sweep (opening allocates).
 * Prints the TAP failure and returns -1 when fail-nth is unusable.
 */
static int fi_start(double *deadline)
{
	*deadline = now() + (getenv("DG_FI_SECONDS") ?
			     atof(getenv("DG_FI_SECONDS")) : 30);
	if (set_fail_nth(0)) {
		printf("not ok - fault injection: /proc/thread-self/fail-nth: "
		       "%s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_fail_attach(int argc, char **argv)
{
	unsigned int n, maxn, failed = 0, ok = 0, adopted = 0, bad = 0;
	char why[256] = "";
	bool all = false;
	double deadline;
	int grp;

	if (argc < 3)
		return 2;
	grp = atoi(argv[1]);
	maxn = atoi(argv[2]);
	if (fi_start(&deadline))
		return 1;
	for (n = 1; n <= maxn && !bad && now() < deadline; n++) {
		struct vfio_group_status st = { .argsz = sizeof(st) };
		int c = open("/dev/vfio/vfio", O_RDWR), g, ret, ids[4];
		char path[64];
		long long left;
		void *buf;

		snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
		g = open(path, O_RDWR);
		if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_GET_STATUS, &st) ||
		    ioctl(g, VFIO_GROUP_SET_CONTAINER, &c)) {
			snprintf(why, sizeof(why), "setup n=%u: %s", n,
				 strerror(errno));
			bad++;
			break;
		}
		if (set_fail_nth(n)) {
			snprintf(why, sizeof(why), "write fail-nth: %s",
				 strerror(errno));
			bad++;
			break;
		}
		ret = ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ? -errno : 0;
		left = get_fail_nth();
		set_fail_nth(0);
		if (left > 0)
			all = true;	/* fewer than n fault sites: done */
		if (ret) {
			failed++;
		} else {
			ok++;
			/* Tracked at attach, or adopted by the first map. */
			buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (dma_map(c, buf, 0x100000, PAGE) ||
			    dma_unmap(c, 0x100000, PAGE) != PAGE) {
				snprintf(why, sizeof(why),
					 "n=%u: attach succeeded but map/unmap "
					 "failed: %s", n, strerror(errno));
				bad++;
			}
			munmap(buf, PAGE);
			if (access(DGSYS, F_OK) == 0) {
				if (my_domains(ids, 4) != 1) {
					snprintf(why, sizeof(why),
						 "n=%u: %d domains for this "
						 "container after a map", n,
						 my_domains(ids, 4));
					bad++;
				} else {
					adopted++;
				}
			}
		}
		close(g);
		close(c);
		if (access(DGSYS, F_OK) == 0 && my_domains(ids, 4) != 0) {
			snprintf(why, sizeof(why),
				 "n=%u: domain left after close", n);
			bad++;
		}
		if (all)
			break;
	}
	printf("%s - fault injection: container attach with the n-th "
	       "allocation failing, n=1..%u%s: %u failed cleanly, %u succeeded "
	       "and work (%u tracked)%s%s\n", bad ? "not ok" : "ok",
	       n > maxn ? maxn : n,
	       all ? " (every site)" : " (time bound hit first)", failed, ok,
	       adopted, why[0] ? ": " : "", why);
	return bad != 0;
}

/* One try of cmd_fail_attach_iommufd; 0 ok, 1 attach failed, -1 bad. */
static int fail_attach_iommufd_once(int grp, unsigned int n, bool *all,
				    char *why, size_t len)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	int fd = open("/dev/iommu", O_RDWR), dev = dg_open_group_cdev(grp);
	long long f0, f1;
	int ret = 0, rc;
	void *buf;

	bind.iommufd = fd;
	if (fd < 0 || dev < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) ||
	    ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		snprintf(why, len, "setup n=%u: %s", n, strerror(errno));
		ret = -1;
		goto out;
	}
	at.pt_id = alloc.out_ioas_id;
	if (set_fail_nth(n)) {
		snprintf(why, len, "write fail-nth: %s", strerror(errno));
		ret = -1;
		goto out;
	}
	rc = ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	if (get_fail_nth() > 0)
		*all = true;	/* fewer than n fault sites: done */
	set_fail_nth(0);
	if (rc) {
		ret = 1;
		goto out;
	}
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		snprintf(why, len, "n=%u: mmap: %s", n, strerror(errno));
		ret = -1;
		goto out;
	}
	memset(buf, 0x5a, PAGE);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = unmap.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = unmap.length = PAGE;
	map.iova = unmap.iova = 0x100000;
	f0 = read_stat("flushes");
	if (ioctl(fd, IOMMU_IOAS_MAP, &map) ||
	    ioctl(fd, IOMMU_IOAS_UNMAP, &unmap) || unmap.length != PAGE) {
		snprintf(why, len, "n=%u: attach succeeded but IOAS map/unmap "
			 "failed: %s", n, strerror(errno));
		ret = -1;
	}
	f1 = read_stat("flushes");
	munmap(buf, PAGE);
	if (!ret && f0 >= 0 && f1 - f0 < 2) {
		snprintf(why, len, "n=%u: the map and unmap were not both "
			 "flushed (flushes %lld -> %lld)", n, f0, f1);
		ret = -1;
	}
out:
	if (dev >= 0)
		close(dev);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int cmd_fail_attach_iommufd(int argc, char **argv)
{
	unsigned int n, maxn, failed = 0, ok = 0, bad = 0;
	char why[256] = "";
	bool all = false;
	double deadline;
	int grp, ids[4];

	if (argc < 3)
		return 2;
	grp = atoi(argv[1]);
	maxn = atoi(argv[2]);
	if (fi_start(&deadline))
		return 1;
	for (n = 1; n <= maxn && !bad && !all && now() < deadline; n++) {
		switch (fail_attach_iommufd_once(grp, n, &all, why,
						 sizeof(why))) {
		case 0:
			ok++;
			break;
		case 1:
			failed++;
			break;
		default:
			bad++;
		}
		if (!bad && my_domains(ids, 4) != 0) {
			snprintf(why, sizeof(why), "n=%u: domain left after close",
				 n);
			bad++;
		}
	}
	printf("%s - fault injection: iommufd device attach with the n-th "
	       "allocation failing, n=1..%u%s: %u failed cleanly, %u succeeded, "
	       "mapped and flushed%s%s\n", bad ? "not ok" : "ok",
	       n > maxn ? maxn : n - 1,
	       all ? " (every site)" : " (time bound hit first)", failed, ok,
	       why[0] ? ": " : "", why);
	return bad != 0;
}

static bool prot_sane(char *why, size_t len)
{
	static const char *const states[] = {
		"armed", "native", "unavailable", "not-applicable", "disabled",
	};
	char buf[4096], *line, *save = NULL;
	int lines = 0;

	if (read_str(DGSYS "/protections", buf, sizeof(buf)) <= 0) {
		snprintf(why, len, "protections unreadable");
		return false;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64], state[64];
		unsigned int k;
		bool known = false;

		if (sscanf(line, "%63s %63s", name, state) != 2) {
			snprintf(why, len, "protections line '%.60s'", line);
			return false;
		}
		for (k = 0; k < 5; k++)
			known |= !strcmp(state, states[k]);
		if (!known) {
			snprintf(why, len, "protection %s state %s", name, state);
			return false;
		}
		lines++;
	}
	if (lines != 5)
		snprintf(why, len, "%d protections lines", lines);
	return lines == 5;
}

/* "<state>" of protection NAME, or "" */
static void prot_state(const char *name, char *state, size_t len)
{
	char buf[4096], *line, *save = NULL, n[64], st[64];

	state[0] = 0;
	if (read_str(DGSYS "/protections", buf, sizeof(buf)) <= 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %63s", n, st) == 2 && !strcmp(n, name))
			snprintf(state, len, "%s", st);
}

/* dmaguard loaded: sane protections, vfio-map and vfio-unmap in step. */
static bool dg_consistent(char *why, size_t len)
{
	char m[64], u[64];

	if (access(DGSYS, F_OK))
		return true;
	if (!prot_sane(why, len))
		return false;
	prot_state("vfio-map", m, sizeof(m));
	prot_state("vfio-unmap", u, sizeof(u));
	if (strcmp(m, u)) {
		snprintf(why, len, "half armed: vfio-map %s, vfio-unmap %s",
			 m, u);
		return false;
	}
	return true;
}

static int cmd_fail_load(int argc, char **argv)
{
	unsigned int n, maxn, failed = 0, loaded = 0, armed = 0, bad = 0;
	const char *params, *name;
	char why[256] = "", st[64];
	bool all = false, self;
	double deadline;
	int fd;

	if (argc < 4)
		return 2;
	name = argv[2];
	maxn = atoi(argv[3]);
	params = argc > 4 ? argv[4] : "";
	self = !strcmp(name, "dmaguard");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("not ok - fault injection: open %s: %s\n", argv[1],
		       strerror(errno));
		return 1;
	}
	if (fi_start(&deadline))
		return 1;
	for (n = 1; n <= maxn && !bad && now() < deadline; n++) {
		long long left;
		int ret;

		set_fail_nth(n);
		ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
		left = get_fail_nth();
		set_fail_nth(0);
		if (left > 0)
			all = true;
		if (ret) {
			failed++;
			if (self && access(DGSYS, F_OK) == 0) {
				snprintf(why, sizeof(why), "n=%u: load failed "
					 "(%d) but %s exists", n, ret, DGSYS);
				bad++;
			} else if (!dg_consistent(why, sizeof(why))) {
				bad++;
			}
		} else {
			loaded++;
			if (!dg_consistent(why, sizeof(why)))
				bad++;
			prot_state("vfio-map", st, sizeof(st));
			armed += !strcmp(st, "armed");
			if (syscall(SYS_delete_module, name, O_NONBLOCK)) {
				snprintf(why, sizeof(why), "n=%u: unload: %s",
					 n, strerror(errno));
				bad++;
			}
			prot_state("vfio-map", st, sizeof(st));
			if (!self && strcmp(st, "unavailable")) {
				snprintf(why, sizeof(why), "n=%u: vfio-map %s "
					 "after %s unloaded", n, st, name);
				bad++;
			}
		}
		if (all)
			break;
	}
	close(fd);
	printf("%s - fault injection: %s load with the n-th allocation "
	       "failing, n=1..%u%s: %u loads failed cleanly, %u loaded "
	       "consistent (vfio-map armed in %u) and unloaded%s%s\n",
	       bad ? "not ok" : "ok", name, n > maxn ? maxn : n,
	       all ? " (every site)" : " (time bound hit first)", failed,
	       loaded, armed, why[0] ? ": " : "", why);
	return bad != 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "storm"))
		ret = cmd_storm(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "churn"))
		ret = cmd_churn(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "fuzz"))
		ret = cmd_fuzz(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "unpriv"))
		ret = cmd_unpriv(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "fail-attach"))
		ret = cmd_fail_attach(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "fail-attach-iommufd"))
		ret = cmd_fail_attach_iommufd(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "fail-load"))
		ret = cmd_fail_load(argc - 1, argv + 1);
	if (ret != 2)
		return ret;
usage:
	fprintf(stderr, "usage: dgstress storm SECONDS PROCS THREADS GROUP...\n"
		"       dgstress churn SECONDS GROUP TOGGLE_SECONDS\n"
		"       dgstress fuzz SECONDS WRITERS READERS\n"
		"       dgstress unpriv UID\n"
		"       dgstress fail-attach GROUP MAXN\n"
		"       dgstress fail-attach-iommufd GROUP MAXN\n"
		"       dgstress fail-load KO NAME MAXN [PARAMS]\n");
	return 2;
}
