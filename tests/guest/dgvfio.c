// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgvfio: in-guest driver for the VFIO type1 tests.
 *
 * Reads commands from stdin, one per line, and prints TAP lines
 * ("ok - name" / "not ok - name: why") for every assertion:
 *
 *   open [GROUP]             container + group ($DG_GROUP if not given),
 *                            VFIO_TYPE1v2_IOMMU
 *   open-iommufd [GROUP]     instead: /dev/iommu + an IOAS, the group's
 *                            device cdev (/dev/vfio/devices/vfioN) bound
 *                            to it and attached to the IOAS; map/unmap
 *                            then use IOMMU_IOAS_MAP/UNMAP
 *   open-ioas / attach-ioas [GROUP]
 *                            the two halves of open-iommufd: maps made in
 *                            between go to the IOAS before any domain
 *                            (the attach fills it, between the markers
 *                            check-join NAME GROUP reads)
 *   reattach-iommufd         a new IOAS, and the device attached to it
 *                            (replacing the first); maps go there now
 *   trace-start              enable dmaguard:dmaguard_flush, iommu:map,
 *                            iommu:unmap; clear the buffer
 *   map NAME SIZE [thp|scattered|memfd|file|hugetlb|bar|dax]
 *                            mmap+touch SIZE bytes (THP-backed, 4 KiB
 *                            pages faulted in a shuffled order, MAP_SHARED
 *                            memfd or tmpfs file, hugetlbfs, the device's
 *                            BAR 0, or device-DAX: $DG_DAX, default
 *                            /dev/dax0.0, MAP_SHARED from offset 0),
 *                            VFIO_IOMMU_MAP_DMA, record every page's pfn
 *                            from /proc/self/pagemap
 *   check-waits NAME         the map and the unmap of a scattered buffer
 *                            waited for their flushes once per VFIO batch
 *                            (512 pages or regions), not once per run
 *   unmap NAME               VFIO_IOMMU_UNMAP_DMA
 *   check NAME flush|none    the oracle (DESIGN §7) over the trace
 *   counters-begin / counters-check
 *                            domain and global counters moved by exactly
 *                            what the trace shows
 *   expect-domain            this process owns exactly one domains/<id>
 *   loop SECONDS SIZE        map/unmap loop; every call must succeed
 *   timed-alloc SIZE thp|scattered
 *                            (re)allocate the buffer "timed": THP-backed,
 *                            or 4 KiB pages faulted in a shuffled order so
 *                            that no two neighbours are physically adjacent
 *   timed LABEL              map, then unmap, that buffer; print
 *                            "# timed LABEL ..." with each ioctl's duration,
 *                            the dmaguard flush_ns within it and the number
 *                            of physically contiguous runs (same pages every
 *                            time: tests/vm/perf-* compare with and without
 *                            dmaguard on one physical layout)
 *   join GROUP / leave GROUP another group joins the open container
 *                            (VFIO_GROUP_SET_CONTAINER) / leaves it
 *                            (VFIO_GROUP_UNSET_CONTAINER), between
 *                            trace markers
 *   check-join NAME GROUP flush|none
 *                            the oracle over that join: every page of NAME
 *                            (mapped before it) was mapped into the new
 *                            domain (an iommu:map of its iova and pfn in
 *                            the join), flushed (reason map) before that
 *                            iommu:map; or no flush at all in the join
 *   check-leave NAME GROUP teardown|none
 *                            every page of NAME flushed exactly once
 *                            (reason teardown) in the leave; or no flush
 *   check-unmap NAME flush|none
 *                            the unmap half of check (for a buffer mapped
 *                            before a join and unmapped after it)
 *   check-map NAME none      no flush at that buffer's map
 *   domains N                this process owns exactly N domains/<id>
 *   sh CMD                   run a shell command (for sysfs pokes)
 *   close                    close group and container (device and
 *                            iommufd)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/vfio.h>
#include "dgcommon.h"
#include "dgiommufd.h"

#define PAGE	4096UL
#define HUGE	(2UL << 20)
#define TRACEFS	"/sys/kernel/tracing"
#define MAXBUF	32

struct buf {
	char name[32];
	void *mem;
	size_t size;
	uint64_t iova;
	uint64_t *phys;		/* per page */
	bool thp;
	bool mapped;
	/* stats flush_waits moved by: the map, the unmap ioctl (-1: unread) */
	long long map_waits, unmap_waits;
};

static int container = -1, group = -1;
/* iommufd mode: /dev/iommu, the IOAS, the device cdev */
static int iommufd = -1, vdev = -1;
static uint32_t ioas_id;
static struct buf bufs[MAXBUF];
static int nbufs;
static uint64_t next_iova = 1UL << 32;
static int failures;

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void marker(const char *fmt, ...)
{
	char b[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	write_file(TRACEFS "/trace_marker", b);
}

/* Domains this process owns; *id: one of them (the last read). */
static int my_domains(int *id)
{
	DIR *d = opendir(DGSYS "/domains");
	struct dirent *e;
	char path[512];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DGSYS "/domains/%s/pid", e->d_name);
		if (read_ll(path) == getpid()) {
			*id = atoi(e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* This process's domain id, or -1 (none) / -2 (more than one). */
static int my_domain(void)
{
	int id = -1, n = my_domains(&id);

	return n == 1 ? id : n > 1 ? -2 : -1;
}

static long long dom_value(int id, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), DGSYS "/domains/%d/%s", id, file);
	return read_ll(path);
}

static int do_open(int grp)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];

	container = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0) {
		tap(false, "open container and group %d: %s", grp,
		    strerror(errno));
		return -1;
	}
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		tap(false, "group %d viable", grp);
		return -1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		tap(false, "attach group %d to a type1v2 container: %s", grp,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* /dev/iommu and an IOAS, no device yet: maps go to the IOAS. */
static int do_open_ioas(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0 || ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		tap(false, "open /dev/iommu and IOMMU_IOAS_ALLOC: %s",
		    strerror(errno));
		return -1;
	}
	ioas_id = alloc.out_ioas_id;
	return 0;
}

/* The group's device cdev bound to iommufd and attached to the IOAS. */
static int do_attach_ioas(int grp)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

	marker("dgmark join-begin %d", grp);
	vdev = dg_open_group_cdev(grp);
	if (vdev < 0) {
		tap(false, "open the VFIO cdev of group %d: %s", grp,
		    strerror(errno));
		return -1;
	}
	bind.iommufd = iommufd;
	if (ioctl(vdev, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		tap(false, "VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
		return -1;
	}
	at.pt_id = ioas_id;
	if (ioctl(vdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
		tap(false, "VFIO_DEVICE_ATTACH_IOMMUFD_PT to IOAS %u: %s",
		    ioas_id, strerror(errno));
		return -1;
	}
	marker("dgmark join-end %d", grp);
	return 0;
}

static int do_open_iommufd(int grp)
{
	return do_open_ioas() ? -1 : do_attach_ioas(grp);
}

/* Moves the device to a new IOAS (VFIO replaces the attachment). */
static int do_reattach_iommufd(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		tap(false, "IOMMU_IOAS_ALLOC (second IOAS): %s", strerror(errno));
		return -1;
	}
	at.pt_id = alloc.out_ioas_id;
	if (ioctl(vdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
		tap(false, "VFIO_DEVICE_ATTACH_IOMMUFD_PT to a second IOAS %u: %s",
		    alloc.out_ioas_id, strerror(errno));
		return -1;
	}
	ioas_id = alloc.out_ioas_id;
	return 0;
}

/* Map/unmap through whichever interface is open; 0 or -1 with errno. */
static int dma_map(uint64_t iova, void *vaddr, size_t size)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct iommu_ioas_map im = { .size = sizeof(im) };

	if (iommufd >= 0) {
		im.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			   IOMMU_IOAS_MAP_WRITEABLE;
		im.ioas_id = ioas_id;
		im.user_va = (uintptr_t)vaddr;
		im.length = size;
		im.iova = iova;
		return ioctl(iommufd, IOMMU_IOAS_MAP, &im);
	}
	map.vaddr = (uintptr_t)vaddr;
	map.iova = iova;
	map.size = size;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int dma_unmap(uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct iommu_ioas_unmap iu = { .size = sizeof(iu) };

	if (iommufd >= 0) {
		iu.ioas_id = ioas_id;
		iu.iova = iova;
		iu.length = size;
		if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &iu))
			return -1;
		return iu.length == size ? 0 : (errno = EIO, -1);
	}
	unmap.iova = iova;
	unmap.size = size;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -1;
	return unmap.size == size ? 0 : (errno = EIO, -1);
}

static struct buf *find_buf(const char *name)
{
	int i;

	for (i = 0; i < nbufs; i++)
		if (!strcmp(bufs[i].name, name))
			return &bufs[i];
	return NULL;
}

static int read_pfns(struct buf *b)
{
	size_t n = b->size / PAGE, i;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t *ent = calloc(n, sizeof(*ent));
	off_t off = (uintptr_t)b->mem / PAGE * 8;

	if (fd < 0 || !ent || pread(fd, ent, n * 8, off) != (ssize_t)(n * 8)) {
		if (fd >= 0)
			close(fd);
		free(ent);
		return -1;
	}
	close(fd);
	for (i = 0; i < n; i++) {
		uint64_t pfn = ent[i] & ((1ULL << 55) - 1);

		if (!(ent[i] >> 63) || !pfn) {
			free(ent);
			return -1;
		}
		b->phys[i] = pfn * PAGE;
	}
	free(ent);
	return 0;
}

static void *alloc_mem(size_t size, bool thp)
{
	size_t len = thp ? size + HUGE : size;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		return NULL;
	if (thp) {
		p = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
		madvise(p, size, MADV_HUGEPAGE);
	} else {
		madvise(p, size, MADV_NOHUGEPAGE);
	}
	/* Dirty every page: there must be something to write back. */
	for (i = 0; i < size; i += PAGE)
		memset(p + i, 0xa5 ^ (int)(i / PAGE), 64);
	return p;
}

static void *alloc_scattered(size_t size);

/* Dirty every page: there must be something to write back. */
static void *dirty(char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i += PAGE)
		memset(p + i, 0x5a ^ (int)(i / PAGE), 64);
	return p;
}

/* MAP_SHARED memory: a memfd, or a file on /tmp's tmpfs. */
static void *alloc_shared(size_t size, bool memfd)
{
	char path[] = "/tmp/dgvfio-file.XXXXXX";
	int fd = memfd ? memfd_create("dgvfio", 0) : mkstemp(path);
	void *p;

	if (fd < 0)
		return NULL;
	if (!memfd)
		unlink(path);
	if (ftruncate(fd, size)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : dirty(p, size);
}

/* hugetlbfs pages (needs vm.nr_hugepages): 2 MiB, one run each. */
static void *alloc_hugetlb(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	return p == MAP_FAILED ? NULL : dirty(p, size);
}

/*
 * Device-DAX (ZONE_DEVICE pages, write-back, in the linear map): the
 * device's own get_unmapped_area aligns the mapping to its align.
 */
static void *alloc_dax(size_t size)
{
	const char *path = getenv("DG_DAX") ? getenv("DG_DAX") : "/dev/dax0.0";
	int fd = open(path, O_RDWR);
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : dirty(p, size);
}

static int cur_group = -1;
/* alloc_bar(): the BAR's physical address (pagemap skips PFNMAP VMAs) */
static uint64_t bar_phys;

/*
 * The assigned device's BAR 0 through vfio-pci (MMIO), as QEMU maps every
 * BAR into the container for peer-to-peer DMA. Its size replaces *size.
 */
static void *alloc_bar(size_t *size)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	char path[320];
	struct dirent *de;
	DIR *d;
	void *p;
	int dev = -1;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 cur_group);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			FILE *f;

			dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, de->d_name);
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/resource", de->d_name);
			f = fopen(path, "r");
			if (!f || fscanf(f, "%" SCNx64, &bar_phys) != 1)
				bar_phys = 0;
			if (f)
				fclose(f);
			break;
		}
	if (d)
		closedir(d);
	if (!bar_phys) {
		if (dev >= 0)
			close(dev);
		return NULL;
	}
	if (dev < 0 || ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) ||
	    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri.size)
		return NULL;
	*size = ri.size;
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		 ri.offset);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * A map that must fail and leave the domain's mapped_bytes alone. With
 * @hole: SIZE bytes with an unmapped page in the middle; VFIO pins and
 * maps the first half, fails on the hole, and unwinds all of it. Without:
 * a map dmaguard must refuse (its pin hook cannot be registered).
 */
static void do_map_error(size_t size, bool hole, int want, const char *what)
{
	int dom = my_domain();
	long long before = dom_value(dom, "mapped_bytes");
	char *p = alloc_mem(size, false);
	int ret;

	if (!p || size < 4 * PAGE) {
		tap(false, "%s: allocation", what);
		return;
	}
	if (hole)
		munmap(p + size / 2, PAGE);
	ret = dma_map(next_iova, p, size);
	tap(ret && errno == want, "%s fails with %s (%s)", what,
	    strerrorname_np(want), ret ? strerror(errno) : "it succeeded");
	tap(dom_value(dom, "mapped_bytes") == before,
	    "domains/%d/mapped_bytes unchanged by the failed map (%lld, was %lld)",
	    dom, dom_value(dom, "mapped_bytes"), before);
	next_iova += (size + HUGE - 1) & ~(HUGE - 1);
	if (hole) {
		munmap(p, size / 2);
		munmap(p + size / 2 + PAGE, size - size / 2 - PAGE);
	} else {
		munmap(p, size);
	}
}

static int do_map(const char *name, size_t size, const char *layout)
{
	bool thp = !strcmp(layout, "thp");
	struct buf *b;
	long long w0;

	if (nbufs == MAXBUF)
		return -1;
	b = &bufs[nbufs++];
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->size = (size + PAGE - 1) & ~(PAGE - 1);
	b->thp = thp;
	if (!strcmp(layout, "scattered"))
		b->mem = alloc_scattered(b->size);
	else if (!strcmp(layout, "memfd") || !strcmp(layout, "file"))
		b->mem = alloc_shared(b->size, !strcmp(layout, "memfd"));
	else if (!strcmp(layout, "hugetlb"))
		b->mem = alloc_hugetlb(b->size);
	else if (!strcmp(layout, "bar"))
		b->mem = alloc_bar(&b->size);
	else if (!strcmp(layout, "dax"))
		b->mem = alloc_dax(b->size);
	else
		b->mem = alloc_mem(b->size, thp);
	b->phys = calloc(b->size / PAGE, sizeof(uint64_t));
	b->iova = next_iova;
	next_iova += (b->size + HUGE - 1) & ~(HUGE - 1);
	if (!b->mem || !b->phys) {
		tap(false, "map %s: allocation", name);
		return -1;
	}
	marker("dgmark map-begin %s", name);
	w0 = read_stat("flush_waits");
	if (dma_map(b->iova, b->mem, b->size)) {
		tap(false, "map %s (%zu bytes): %s", name, b->size,
		    strerror(errno));
		return -1;
	}
	b->map_waits = w0 < 0 ? -1 : read_stat("flush_waits") - w0;
	b->unmap_waits = -1;
	marker("dgmark map-end %s", name);
	b->mapped = true;
	if (!strcmp(layout, "bar")) {
		size_t i;

		for (i = 0; i < b->size / PAGE; i++)
			b->phys[i] = bar_phys + i * PAGE;
	} else if (read_pfns(b)) {
		tap(false, "map %s: pagemap has no pfns", name);
		return -1;
	}
	if (thp) {
		size_t i;
		bool contig = true;

		for (i = 1; i < b->size / PAGE; i++)
			if (b->phys[i] != b->phys[i - 1] + PAGE &&
			    (i % 512))
				contig = false;
		tap(contig && !(b->phys[0] & (HUGE - 1)),
		    "%s is backed by 2 MiB-aligned huge pages", name);
	}
	return 0;
}

static int do_unmap(const char *name)
{
	struct buf *b = find_buf(name);
	long long w0;

	if (!b || !b->mapped)
		return -1;
	marker("dgmark unmap-begin %s", name);
	w0 = read_stat("flush_waits");
	if (dma_unmap(b->iova, b->size)) {
		tap(false, "unmap %s: %s", name, strerror(errno));
		return -1;
	}
	b->unmap_waits = w0 < 0 ? -1 : read_stat("flush_waits") - w0;
	marker("dgmark unmap-end %s", name);
	b->mapped = false;
	return 0;
}

/* ---- trace parsing ---- */

enum ev_kind { EV_FLUSH, EV_MAP, EV_UNMAP, EV_MARK };

struct ev {
	enum ev_kind kind;
	long pos;
	uint64_t a, b, c;	/* flush: phys,len,domain; map: iova,size,paddr */
	int reason;		/* flush: 0 map 1 unmap 2 teardown */
	char mark[64];
};

static struct ev *evs;
static long nevs;

static int load_trace(void)
{
	FILE *f = fopen(TRACEFS "/trace", "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	long pos = 0;

	free(evs);
	evs = NULL;
	nevs = 0;
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		struct ev e = { .pos = pos++ };
		char *p, reason[16];
		unsigned long long x, y, z;
		unsigned int dom;

		if ((p = strstr(line, ": dmaguard_flush: "))) {
			if (sscanf(p, ": dmaguard_flush: domain=%u phys=0x%llx len=%llu reason=%15s",
				   &dom, &x, &y, reason) != 4)
				continue;
			e.kind = EV_FLUSH;
			e.a = x;
			e.b = y;
			e.c = dom;
			e.reason = !strcmp(reason, "map") ? 0 :
				   !strcmp(reason, "unmap") ? 1 : 2;
		} else if ((p = strstr(line, ": map: IOMMU: "))) {
			if (sscanf(p, ": map: IOMMU: iova=0x%llx - 0x%*x paddr=0x%llx size=%llu",
				   &x, &y, &z) != 3)
				continue;
			e.kind = EV_MAP;
			e.a = x;
			e.b = z;
			e.c = y;
		} else if ((p = strstr(line, ": unmap: IOMMU: "))) {
			if (sscanf(p, ": unmap: IOMMU: iova=0x%llx - 0x%*x size=%llu",
				   &x, &y) != 2)
				continue;
			e.kind = EV_UNMAP;
			e.a = x;
			e.b = y;
		} else if ((p = strstr(line, "dgmark "))) {
			e.kind = EV_MARK;
			snprintf(e.mark, sizeof(e.mark), "%s", p + 7);
			e.mark[strcspn(e.mark, "\n")] = 0;
		} else {
			continue;
		}
		if (nevs == (long)alloc) {
			alloc = alloc ? alloc * 2 : 4096;
			evs = realloc(evs, alloc * sizeof(*evs));
		}
		evs[nevs++] = e;
	}
	free(line);
	fclose(f);
	return 0;
}

static long find_mark(const char *what, const char *name)
{
	char want[64];
	long i;

	snprintf(want, sizeof(want), "%s %s", what, name);
	for (i = 0; i < nevs; i++)
		if (evs[i].kind == EV_MARK && !strcmp(evs[i].mark, want))
			return i;
	return -1;
}

/* Index of an event of kind in (lo, hi) covering addr, first or last. */
static long covering(enum ev_kind kind, int reason, long lo, long hi,
		     uint64_t addr, bool last)
{
	long i, found = -1;

	for (i = lo + 1; i < hi; i++) {
		struct ev *e = &evs[i];

		if (e->kind != kind || (kind == EV_FLUSH && e->reason != reason))
			continue;
		if (addr >= e->a && addr < e->a + e->b) {
			found = i;
			if (!last)
				break;
		}
	}
	return found;
}

static void check_window(struct buf *b, bool expect_flush)
{
	long mb = find_mark("map-begin", b->name);
	long me = find_mark("map-end", b->name);
	long ub = find_mark("unmap-begin", b->name);
	long ue = find_mark("unmap-end", b->name);
	size_t n = b->size / PAGE, i, bad_map = 0, bad_unmap = 0, bad_pa = 0;
	long flushes = 0, k;

	if (mb < 0 || me < 0 || ub < 0 || ue < 0) {
		tap(false, "%s: trace has the map/unmap markers (trace buffer too small?)",
		    b->name);
		return;
	}
	for (k = mb; k < me; k++)
		flushes += evs[k].kind == EV_FLUSH;
	for (k = ub; k < ue; k++)
		flushes += evs[k].kind == EV_FLUSH;

	if (!expect_flush) {
		tap(flushes == 0, "%s (%zu bytes%s): no dmaguard_flush (saw %ld)",
		    b->name, b->size, b->thp ? ", THP" : "", flushes);
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t iova = b->iova + i * PAGE, pa = b->phys[i];
		long m = covering(EV_MAP, 0, mb, me, iova, false);
		long u = covering(EV_UNMAP, 0, ub, ue, iova, true);
		long fm, fu;

		if (m < 0 || evs[m].c + (iova - evs[m].a) != pa) {
			bad_pa++;
			continue;
		}
		/* A map flush before the iommu:map that makes the page reachable. */
		fm = covering(EV_FLUSH, 0, mb, m, pa, false);
		/* An unmap flush after the iommu:unmap that made it unreachable. */
		fu = u < 0 ? -1 : covering(EV_FLUSH, 1, u, ue, pa, false);
		bad_map += fm < 0;
		bad_unmap += fu < 0;
	}
	tap(!bad_pa, "%s (%zu bytes%s): iommu:map paddr matches pagemap for every page (%zu wrong)",
	    b->name, b->size, b->thp ? ", THP" : "", bad_pa);
	tap(!bad_map, "%s: every page flushed (reason=map) before its iommu:map (%zu of %zu missing)",
	    b->name, bad_map, n);
	tap(!bad_unmap, "%s: every page flushed (reason=unmap) after its iommu:unmap (%zu of %zu missing)",
	    b->name, bad_unmap, n);
}

/*
 * A buffer left mapped when the container went away: every page must get a
 * teardown flush after the iommu:unmap that took it out of the domain.
 */
static void check_teardown(struct buf *b)
{
	long me = find_mark("map-end", b->name);
	size_t n = b->size / PAGE, i, bad = 0;

	if (me < 0) {
		tap(false, "%s: trace has the map marker", b->name);
		return;
	}
	for (i = 0; i < n; i++) {
		long u = covering(EV_UNMAP, 0, me, nevs, b->iova + i * PAGE,
				  true);

		if (u < 0 || covering(EV_FLUSH, 2, u, nevs, b->phys[i],
				      false) < 0)
			bad++;
	}
	tap(!bad, "%s: every page flushed (reason=teardown) after its iommu:unmap at container close (%zu of %zu missing)",
	    b->name, bad, n);
}

/* ---- a second group joining and leaving the container ---- */

#define MAXGRP 8
static int xgroup_no[MAXGRP], xgroup_fd[MAXGRP], nxgroups;

static void do_join(int grp)
{
	char path[64];
	int fd;

	marker("dgmark join-begin %d", grp);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	fd = open(path, O_RDWR);
	if (fd < 0 || nxgroups == MAXGRP ||
	    ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container)) {
		tap(false, "group %d joins the container: %s", grp,
		    strerror(errno));
		return;
	}
	marker("dgmark join-end %d", grp);
	xgroup_no[nxgroups] = grp;
	xgroup_fd[nxgroups++] = fd;
	tap(true, "group %d joins the container", grp);
}

static void do_leave(int grp)
{
	int i;

	for (i = 0; i < nxgroups; i++)
		if (xgroup_no[i] == grp)
			break;
	if (i == nxgroups) {
		tap(false, "leave %d: group not joined", grp);
		return;
	}
	marker("dgmark leave-begin %d", grp);
	if (ioctl(xgroup_fd[i], VFIO_GROUP_UNSET_CONTAINER)) {
		tap(false, "group %d leaves the container: %s", grp,
		    strerror(errno));
		return;
	}
	marker("dgmark leave-end %d", grp);
	close(xgroup_fd[i]);
	xgroup_no[i] = xgroup_no[--nxgroups];
	xgroup_fd[i] = xgroup_fd[nxgroups];
	tap(true, "group %d leaves the container", grp);
}

/* Flush events (of @reason, or any if < 0) in the window (lo, hi). */
static long flushes_in(long lo, long hi, int reason)
{
	long k, n = 0;

	for (k = lo + 1; k < hi; k++)
		n += evs[k].kind == EV_FLUSH &&
		     (reason < 0 || evs[k].reason == reason);
	return n;
}

/* The trace between "<what>-begin GROUP" and "<what>-end GROUP". */
static bool group_window(struct buf *b, const char *what, int grp, long *lo,
			 long *hi)
{
	char nb[32], mark[32];

	snprintf(nb, sizeof(nb), "%d", grp);
	snprintf(mark, sizeof(mark), "%s-begin", what);
	*lo = find_mark(mark, nb);
	snprintf(mark, sizeof(mark), "%s-end", what);
	*hi = find_mark(mark, nb);
	if (*lo >= 0 && *hi >= 0)
		return true;
	tap(false, "%s: trace has the %s %d markers", b->name, what, grp);
	return false;
}

static void check_join(struct buf *b, int grp, bool expect_flush)
{
	long jb, je, k;
	size_t n = b->size / PAGE, i, bad_map = 0, bad_flush = 0;

	if (!group_window(b, "join", grp, &jb, &je))
		return;
	for (i = 0; i < n; i++) {
		uint64_t iova = b->iova + i * PAGE, pa = b->phys[i];

		k = covering(EV_MAP, 0, jb, je, iova, false);
		if (k < 0 || evs[k].c + (iova - evs[k].a) != pa) {
			bad_map++;
			continue;
		}
		bad_flush += covering(EV_FLUSH, 0, jb, k, pa, false) < 0;
	}
	tap(!bad_map, "%s (%zu bytes%s): replayed into the new domain at group %d's join: an iommu:map of every page's iova and pfn (%zu missing)",
	    b->name, b->size, b->thp ? ", THP" : "", grp, bad_map);
	if (expect_flush)
		tap(!bad_flush, "%s: every replayed page flushed (reason=map) before its iommu:map in the new domain (%zu of %zu missing)",
		    b->name, bad_flush, n);
	else
		tap(flushes_in(jb, je, -1) == 0,
		    "%s: no dmaguard_flush at group %d's join (saw %ld)",
		    b->name, grp, flushes_in(jb, je, -1));
}

static void check_leave(struct buf *b, int grp, bool expect_flush)
{
	long lb, le, k;
	size_t n = b->size / PAGE, i, bad = 0;

	if (!group_window(b, "leave", grp, &lb, &le))
		return;
	if (!expect_flush) {
		tap(flushes_in(lb, le, -1) == 0,
		    "%s: no dmaguard_flush at group %d's leave (saw %ld)",
		    b->name, grp, flushes_in(lb, le, -1));
		return;
	}
	for (i = 0; i < n; i++) {
		long hits = 0;

		for (k = lb + 1; k < le; k++)
			hits += evs[k].kind == EV_FLUSH && evs[k].reason == 2 &&
				b->phys[i] >= evs[k].a &&
				b->phys[i] < evs[k].a + evs[k].b;
		bad += hits != 1;
	}
	tap(!bad, "%s (%zu bytes%s): every page flushed exactly once (reason=teardown) when group %d's domain went (%zu of %zu not)",
	    b->name, b->size, b->thp ? ", THP" : "", grp, bad, n);
}

static void check_unmap(struct buf *b, bool expect_flush)
{
	long ub = find_mark("unmap-begin", b->name);
	long ue = find_mark("unmap-end", b->name);
	size_t n = b->size / PAGE, i, bad = 0;

	if (ub < 0 || ue < 0) {
		tap(false, "%s: trace has the unmap markers", b->name);
		return;
	}
	if (!expect_flush) {
		tap(flushes_in(ub, ue, -1) == 0,
		    "%s: no dmaguard_flush at its unmap (saw %ld)", b->name,
		    flushes_in(ub, ue, -1));
		return;
	}
	for (i = 0; i < n; i++) {
		long u = covering(EV_UNMAP, 0, ub, ue, b->iova + i * PAGE, true);

		bad += u < 0 || covering(EV_FLUSH, 1, u, ue, b->phys[i],
					 false) < 0;
	}
	tap(!bad, "%s: every page flushed (reason=unmap) after its iommu:unmap (%zu of %zu missing)",
	    b->name, bad, n);
}

/* No flush while the buffer was mapped. */
static void check_map_none(struct buf *b)
{
	long mb = find_mark("map-begin", b->name);
	long me = find_mark("map-end", b->name);

	tap(mb >= 0 && me >= 0 && flushes_in(mb, me, -1) == 0,
	    "%s: no dmaguard_flush at its map (saw %ld)", b->name,
	    mb >= 0 && me >= 0 ? flushes_in(mb, me, -1) : -1);
}

/* ---- counters ---- */

static long long c_dom_bytes, c_dom_map, c_dom_unmap, c_glob_bytes,
		 c_glob_flushes, c_dom_mapped;
static int c_dom = -1;

static void counters_begin(void)
{
	c_dom = my_domain();
	c_dom_bytes = dom_value(c_dom, "flushed_bytes");
	c_dom_map = dom_value(c_dom, "map_flushes");
	c_dom_unmap = dom_value(c_dom, "unmap_flushes");
	c_dom_mapped = dom_value(c_dom, "mapped_bytes");
	c_glob_bytes = read_stat("flushed_bytes");
	c_glob_flushes = read_stat("flushes");
}

static void counters_check(void)
{
	long long bytes = 0, dbytes = 0, nmap = 0, nunmap = 0, n = 0;
	long i;

	for (i = 0; i < nevs; i++) {
		if (evs[i].kind != EV_FLUSH)
			continue;
		n++;
		bytes += evs[i].b;
		if ((int)evs[i].c != c_dom)
			continue;
		dbytes += evs[i].b;
		nmap += evs[i].reason == 0;
		nunmap += evs[i].reason != 0;
	}
	tap(c_dom > 0, "domain of this container found (id %d)", c_dom);
	tap(dom_value(c_dom, "flushed_bytes") - c_dom_bytes == dbytes,
	    "domains/%d/flushed_bytes grew by the traced %lld bytes (grew %lld)",
	    c_dom, dbytes, dom_value(c_dom, "flushed_bytes") - c_dom_bytes);
	tap(dom_value(c_dom, "map_flushes") - c_dom_map == nmap,
	    "domains/%d/map_flushes grew by the traced %lld", c_dom, nmap);
	tap(dom_value(c_dom, "unmap_flushes") - c_dom_unmap == nunmap,
	    "domains/%d/unmap_flushes grew by the traced %lld", c_dom, nunmap);
	tap(read_stat("flushed_bytes") - c_glob_bytes == bytes,
	    "stats flushed_bytes grew by the traced %lld bytes", bytes);
	tap(read_stat("flushes") - c_glob_flushes == n,
	    "stats flushes grew by the traced %lld", n);
	tap(dom_value(c_dom, "mapped_bytes") == c_dom_mapped,
	    "domains/%d/mapped_bytes back to %lld after unmapping", c_dom,
	    c_dom_mapped);
}

static int trace_start(void)
{
	static const char *const ev[] = {
		"events/dmaguard/dmaguard_flush/enable",
		"events/iommu/map/enable",
		"events/iommu/unmap/enable",
	};
	char path[256];
	size_t i;

	write_file(TRACEFS "/tracing_on", "0");
	write_file(TRACEFS "/buffer_size_kb", "32768");
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		snprintf(path, sizeof(path), TRACEFS "/%s", ev[i]);
		if (write_file(path, "1")) {
			tap(false, "enable trace event %s", ev[i]);
			return -1;
		}
	}
	write_file(TRACEFS "/trace", "");
	write_file(TRACEFS "/tracing_on", "1");
	return 0;
}

static void do_loop(int seconds, size_t size)
{
	const uint64_t iova = 1UL << 36;	/* below a 39-bit aperture */
	time_t end = time(NULL) + seconds;
	long iters = 0, fails = 0;
	char *mem = alloc_mem(size, false);

	while (time(NULL) < end) {
		if (dma_map(iova, mem, size))
			fails++;
		else if (dma_unmap(iova, size))
			fails++;
		iters++;
		/*
		 * rmmod dmaguard succeeds only while no call is inside one of
		 * its wrappers (it answers busy, never waits): leave it a
		 * window each round, as a VM's DMA traffic does, or a reload
		 * test depends on catching the few microseconds between two
		 * ioctls.
		 */
		usleep(1000);
	}
	tap(iters > 0 && !fails,
	    "map/unmap loop: %ld iterations, %ld failed", iters, fails);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* dmaguard's global flush_ns, 0 when it is not loaded. */
static long long flush_ns(void)
{
	long long v = read_stat("flush_ns");

	return v < 0 ? 0 : v;
}

static struct buf timed_buf;

/* 4 KiB pages, faulted in a shuffled order: one VFIO run per page. */
static void *alloc_scattered(size_t size)
{
	size_t n = size / PAGE, i, j, t, *order = malloc(n * sizeof(*order));
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || !order) {
		free(order);
		return NULL;
	}
	madvise(p, size, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++)
		order[i] = i;
	srandom(1);
	for (i = n - 1; i > 0; i--) {
		j = (size_t)random() % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		memset(p + order[i] * PAGE, 0xa5, 64);
	free(order);
	return p;
}

static void do_timed_alloc(size_t size, bool thp)
{
	struct buf *b = &timed_buf;

	if (b->mem)
		munmap(b->mem, b->size);
	free(b->phys);
	b->size = size;
	b->thp = thp;
	b->mem = thp ? alloc_mem(size, true) : alloc_scattered(size);
	b->phys = calloc(size / PAGE, sizeof(uint64_t));
	if (!b->mem || !b->phys) {
		tap(false, "timed-alloc %zu: allocation", size);
		b->mem = NULL;
	}
}

static void do_timed(const char *label)
{
	const uint64_t iova = 1UL << 36;	/* below a 39-bit aperture */
	struct buf *b = &timed_buf;
	long long t0, t1, t2, t3, f0, f1, f2, f3;
	size_t i, runs = 1;

	if (!b->mem) {
		tap(false, "timed %s: no buffer (timed-alloc)", label);
		return;
	}
	f0 = flush_ns();
	t0 = now_ns();
	if (dma_map(iova, b->mem, b->size)) {
		tap(false, "timed map %s: %s", label, strerror(errno));
		return;
	}
	t1 = now_ns();
	f1 = flush_ns();
	if (read_pfns(b))
		runs = 0;
	for (i = 1; runs && i < b->size / PAGE; i++)
		runs += b->phys[i] != b->phys[i - 1] + PAGE;
	f2 = flush_ns();
	t2 = now_ns();
	if (dma_unmap(iova, b->size)) {
		tap(false, "timed unmap %s: %s", label, strerror(errno));
		return;
	}
	t3 = now_ns();
	f3 = flush_ns();
	printf("# timed %s size=%zu %s map_ns=%lld unmap_ns=%lld "
	       "map_flush_ns=%lld unmap_flush_ns=%lld runs=%zu\n", label,
	       b->size, b->thp ? "thp" : "scattered", t1 - t0, t3 - t2, f1 - f0,
	       f3 - f2, runs);
}

/*
 * VFIO pins up to 512 pages per batch and syncs up to 512 unmapped regions
 * at a time; dmaguard flushes each batch with one wait (plus one per 2 MiB
 * flushed). Flushing each run alone would wait once per run: about once
 * per page here.
 */
static void check_waits(const char *name)
{
	struct buf *b = find_buf(name);
	size_t i, runs = 1, pages, bound;

	if (!b || b->map_waits < 0 || b->unmap_waits < 0) {
		tap(false, "check-waits %s: no such buffer, or stats unread",
		    name);
		return;
	}
	pages = b->size / PAGE;
	for (i = 1; i < pages; i++)
		runs += b->phys[i] != b->phys[i - 1] + PAGE;
	bound = 2 * ((pages + 511) / 512) + 2;
	tap(runs >= pages / 2, "%s is physically scattered (%zu runs in %zu "
	    "pages)", name, runs, pages);
	tap(b->map_waits >= 1 && b->map_waits <= (long long)bound,
	    "%s map: %lld flush waits for %zu runs (1..%zu: one per batch)",
	    name, b->map_waits, runs, bound);
	tap(b->unmap_waits >= 1 && b->unmap_waits <= (long long)bound,
	    "%s unmap: %lld flush waits for %zu runs (1..%zu: one per batch)",
	    name, b->unmap_waits, runs, bound);
}

/* Decode \n, \0, \\ and \xHH; returns the length. */
static size_t unescape(const char *in, char *out)
{
	size_t n = 0;

	while (*in) {
		if (*in != '\\' || !in[1]) {
			out[n++] = *in++;
			continue;
		}
		in++;
		if (*in == 'n') {
			out[n++] = '\n';
			in++;
		} else if (*in == '0') {
			out[n++] = 0;
			in++;
		} else if (*in == 'x' && in[1] && in[2]) {
			char hex[3] = { in[1], in[2], 0 };

			out[n++] = (char)strtol(hex, NULL, 16);
			in += 3;
		} else {
			out[n++] = *in++;
		}
	}
	return n;
}

/*
 * dgvfio write PATH ESCAPED | dgvfio write-repeat PATH CHAR COUNT: one
 * write(2) of exactly those bytes; prints OK or the errno name.
 * dgvfio write-failnth N PATH ESCAPED: the same with the N-th fault
 * injection point of that write(2) failing (/proc/thread-self/fail-nth,
 * armed just before it, as syzkaller does); adds "fired" or "not-fired".
 */
static int write_mode(int argc, char **argv)
{
	const char *nthval = NULL;
	int nth = -1;
	char rb[16];
	size_t len;
	char *data;
	ssize_t n;
	int fd;

	if (argc > 4 && !strcmp(argv[1], "write-failnth")) {
		nth = open("/proc/thread-self/fail-nth", O_RDWR);
		if (nth < 0) {
			printf("fail-nth: %s\n", strerrorname_np(errno));
			return 1;
		}
		nthval = argv[2];
		argv++;		/* then as write: argv[2] PATH, argv[3] ESCAPED */
		argc--;
	}
	if (argc < 4)
		return 2;
	if (!strcmp(argv[1], "write-repeat")) {
		len = strtoul(argv[4], NULL, 0);
		data = malloc(len);
		memset(data, argv[3][0], len);
	} else {
		data = malloc(strlen(argv[3]) + 1);
		len = unescape(argv[3], data);
	}
	fd = open(argv[2], O_WRONLY);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	if (nth >= 0 && write(nth, nthval, strlen(nthval)) < 0) {
		printf("fail-nth: %s\n", strerrorname_np(errno));
		return 1;
	}
	n = write(fd, data, len);
	if (nth >= 0) {
		int e = errno;
		ssize_t r = pread(nth, rb, sizeof(rb) - 1, 0);

		rb[r > 0 ? r : 0] = 0;
		/* 0 left: the N-th point failed; else disarm it. */
		if (atoi(rb))
			(void)!write(nth, "0", 1);
		printf("%s ", atoi(rb) ? "not-fired" : "fired");
		errno = e;
	}
	if (n < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("OK %zd\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	char line[1024];

	if (argc > 1 && !strncmp(argv[1], "write", 5))
		return write_mode(argc, argv);

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		char cmd[32] = "", a[256] = "", c[32] = "";
		unsigned long long bsz = 0;

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%31s", cmd) != 1 || cmd[0] == '#')
			continue;
		if (!strcmp(cmd, "open")) {
			const char *g = line[4] ? line + 5 : getenv("DG_GROUP");

			cur_group = g ? atoi(g) : -1;
			if (do_open(cur_group))
				return 1;
		} else if (!strcmp(cmd, "open-iommufd")) {
			const char *g = line[12] ? line + 13 : getenv("DG_GROUP");

			if (do_open_iommufd(g ? atoi(g) : -1))
				return 1;
		} else if (!strcmp(cmd, "reattach-iommufd")) {
			do_reattach_iommufd();
		} else if (!strcmp(cmd, "trace-start")) {
			trace_start();
		} else if (!strcmp(cmd, "map")) {
			sscanf(line, "map %255s %llu %31s", a, &bsz, c);
			do_map(a, bsz, c);
		} else if (!strcmp(cmd, "map-fail")) {
			sscanf(line, "map-fail %llu", &bsz);
			do_map_error(bsz, true, EFAULT,
				     "a map over an unmapped page");
		} else if (!strcmp(cmd, "map-refused")) {
			sscanf(line, "map-refused %llu", &bsz);
			do_map_error(bsz, false, EBUSY,
				     "a map that needs the unregistrable pin hook");
		} else if (!strcmp(cmd, "unmap")) {
			sscanf(line, "unmap %255s", a);
			do_unmap(a);
		} else if (!strcmp(cmd, "check")) {
			struct buf *b;

			sscanf(line, "check %255s %31s", a, c);
			write_file(TRACEFS "/tracing_on", "0");
			load_trace();
			write_file(TRACEFS "/tracing_on", "1");
			b = find_buf(a);
			if (b)
				check_window(b, !strcmp(c, "flush"));
			else
				tap(false, "check %s: no such buffer", a);
		} else if (!strcmp(cmd, "check-teardown")) {
			struct buf *b;

			sscanf(line, "check-teardown %255s", a);
			write_file(TRACEFS "/tracing_on", "0");
			load_trace();
			write_file(TRACEFS "/tracing_on", "1");
			b = find_buf(a);
			if (b)
				check_teardown(b);
			else
				tap(false, "check-teardown %s: no such buffer", a);
		} else if (!strcmp(cmd, "open-ioas")) {
			if (do_open_ioas())
				return 1;
		} else if (!strcmp(cmd, "attach-ioas")) {
			const char *g = line[11] ? line + 12 : getenv("DG_GROUP");

			if (do_attach_ioas(g ? atoi(g) : -1))
				return 1;
			tap(true, "device of group %s attached to the IOAS", g);
		} else if (!strcmp(cmd, "join") || !strcmp(cmd, "leave")) {
			int grp = -1;

			sscanf(line, "%*s %d", &grp);
			if (!strcmp(cmd, "join"))
				do_join(grp);
			else
				do_leave(grp);
		} else if (!strcmp(cmd, "check-join") ||
			   !strcmp(cmd, "check-leave") ||
			   !strcmp(cmd, "check-unmap") ||
			   !strcmp(cmd, "check-map")) {
			struct buf *b;
			int grp = -1;

			if (!strcmp(cmd, "check-unmap") ||
			    !strcmp(cmd, "check-map"))
				sscanf(line, "%*s %255s %31s", a, c);
			else
				sscanf(line, "%*s %255s %d %31s", a, &grp, c);
			write_file(TRACEFS "/tracing_on", "0");
			load_trace();
			write_file(TRACEFS "/tracing_on", "1");
			b = find_buf(a);
			if (!b)
				tap(false, "%s %s: no such buffer", cmd, a);
			else if (!strcmp(cmd, "check-join"))
				check_join(b, grp, !strcmp(c, "flush"));
			else if (!strcmp(cmd, "check-leave"))
				check_leave(b, grp, !strcmp(c, "teardown"));
			else if (!strcmp(cmd, "check-map"))
				check_map_none(b);
			else
				check_unmap(b, !strcmp(c, "flush"));
		} else if (!strcmp(cmd, "domains")) {
			int want = -1, id, have;

			sscanf(line, "domains %d", &want);
			have = my_domains(&id);
			tap(have == want,
			    "this process owns %d domains/<id> (has %d)", want,
			    have);
		} else if (!strcmp(cmd, "check-waits")) {
			sscanf(line, "check-waits %255s", a);
			check_waits(a);
		} else if (!strcmp(cmd, "counters-begin")) {
			counters_begin();
		} else if (!strcmp(cmd, "counters-check")) {
			write_file(TRACEFS "/tracing_on", "0");
			load_trace();
			write_file(TRACEFS "/tracing_on", "1");
			counters_check();
		} else if (!strcmp(cmd, "expect-domain")) {
			int id = my_domain();

			tap(id > 0, "exactly one domains/<id> has pid %d (id %d)",
			    getpid(), id);
		} else if (!strcmp(cmd, "loop")) {
			sscanf(line, "loop %255s %llu", a, &bsz);
			do_loop(atoi(a), bsz);
		} else if (!strcmp(cmd, "timed-alloc")) {
			sscanf(line, "timed-alloc %llu %31s", &bsz, c);
			do_timed_alloc(bsz, !strcmp(c, "thp"));
		} else if (!strcmp(cmd, "timed")) {
			sscanf(line, "timed %255s", a);
			do_timed(a);
		} else if (!strcmp(cmd, "sh")) {
			char id[16];

			snprintf(id, sizeof(id), "%d", my_domain());
			setenv("DG_DOMAIN", id, 1);
			fflush(stdout);
			/* The command prints its own TAP lines. */
			(void)!system(line + 3);
		} else if (!strcmp(cmd, "close")) {
			/* The device first: unbinding it tears its domain down. */
			if (vdev >= 0)
				close(vdev);
			if (iommufd >= 0)
				close(iommufd);
			if (group >= 0)
				close(group);
			while (nxgroups > 0)
				close(xgroup_fd[--nxgroups]);
			if (container >= 0)
				close(container);
			group = container = vdev = iommufd = -1;
		} else {
			tap(false, "unknown command: %s", line);
		}
	}
	return failures ? 1 : 0;
}
