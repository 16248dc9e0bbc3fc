// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgedu: data-path integrity through a real device DMA engine.
 *
 * The QEMU edu device (1234:11e8) has a DMA engine in BAR0: 0x80 source,
 * 0x88 destination, 0x90 count, 0x98 command (bit 0 start, bit 1 direction:
 * 0 = RAM -> device buffer, 1 = device buffer -> RAM), and a 4 KiB buffer at
 * device address 0x40000. Its DMA goes through the vIOMMU, so every byte it
 * moves is translated by the VFIO domain dmaguard flushes around.
 *
 * dgedu takes the group, opens the device through VFIO, enables bus
 * mastering, and until the deadline: maps a source and a destination buffer
 * (random sizes, THP or not, random iovas below the device's 28-bit DMA
 * mask), DMAs random spans of a fresh pattern RAM -> device -> RAM, checks
 * every byte of the destination (the span equals the source, everything
 * else is still the canary), and unmaps. Prints one TAP line.
 *
 *   dgedu GROUP SECONDS LABEL [POLICY FLUSHING]
 *
 * POLICY (auto|always|never) is written to this process's dmaguard domain
 * after the attach; its flushing file must then read FLUSHING (0|1), and
 * its map_flushes counter must move (1) or stay put (0) over the run.
 * Without POLICY (or without dmaguard loaded) no counter is asserted.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include "dgcommon.h"

#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define EDU_ID		0x00
#define EDU_LIVE	0x04
#define EDU_SRC		0x80
#define EDU_DST		0x88
#define EDU_CNT		0x90
#define EDU_CMD		0x98
#define EDU_BUF		0x40000UL
/* QEMU 7.2's range check wants the end strictly inside the 4 KiB buffer */
#define EDU_BUF_USE	4095UL
#define EDU_MASK	((1UL << 28) - 1)
#define CANARY		0xa5

struct dmabuf {
	uint8_t *mem;		/* 2 MiB aligned when thp */
	void *raw;
	size_t rawlen;
	size_t size;
	uint64_t iova;
};

static int container = -1;
static volatile uint8_t *bar;
static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi)	/* [lo, hi] */
{
	return lo + rnd() % (hi - lo + 1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void reg_write(unsigned int off, uint64_t val)
{
	*(volatile uint64_t *)(bar + off) = val;
}

static uint64_t reg_read(unsigned int off)
{
	return *(volatile uint64_t *)(bar + off);
}

static uint32_t reg_read32(unsigned int off)
{
	return *(volatile uint32_t *)(bar + off);
}

/* This process's dmaguard domain id, or -1. */
static int my_domain(void)
{
	DIR *d = opendir(DGSYS "/domains");
	struct dirent *e;
	char path[512];
	int id = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DGSYS "/domains/%s/pid", e->d_name);
		if (read_ll(path) == getpid())
			id = atoi(e->d_name);
	}
	closedir(d);
	return id;
}

static long long dom_value(int id, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), DGSYS "/domains/%d/%s", id, file);
	return read_ll(path);
}

static int open_device(int grp, const char *label)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[128], bdf[256] = "";
	struct dirent *e;
	int group, dev;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", grp);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			strcpy(bdf, e->d_name);
	if (d)
		closedir(d);
	container = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	group = open(path, O_RDWR);
	if (!bdf[0] || container < 0 || group < 0 ||
	    ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		printf("not ok - edu DMA %s: open group %d (%s): %s\n", label,
		       grp, bdf, strerror(errno));
		return -1;
	}
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0) {
		printf("not ok - edu DMA %s: device fd for %s: %s\n", label,
		       bdf, strerror(errno));
		return -1;
	}
	return dev;
}

static int setup_bar(int dev, const char *label)
{
	struct vfio_region_info bar0 = {
		.argsz = sizeof(bar0), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t cmd;
	uint32_t id, live;
	void *p;

	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar0) ||
	    ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &cfg) ||
	    !(bar0.flags & VFIO_REGION_INFO_FLAG_MMAP) || bar0.size < EDU_BUF) {
		printf("not ok - edu DMA %s: BAR0/config region info: %s\n",
		       label, strerror(errno));
		return -1;
	}
	p = mmap(NULL, bar0.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		 bar0.offset);
	if (p == MAP_FAILED) {
		printf("not ok - edu DMA %s: mmap BAR0: %s\n", label,
		       strerror(errno));
		return -1;
	}
	bar = p;
	/* Bus mastering, else the device's DMA never reaches memory. */
	if (pread(dev, &cmd, 2, cfg.offset + PCI_COMMAND) != 2)
		return -1;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(dev, &cmd, 2, cfg.offset + PCI_COMMAND) != 2) {
		printf("not ok - edu DMA %s: enable bus mastering: %s\n",
		       label, strerror(errno));
		return -1;
	}
	id = reg_read32(EDU_ID);
	*(volatile uint32_t *)(bar + EDU_LIVE) = 0x12345678;
	live = reg_read32(EDU_LIVE);
	if ((id & 0xff) != 0xed || live != ~0x12345678U) {
		printf("not ok - edu DMA %s: edu id 0x%x liveness 0x%x\n",
		       label, id, live);
		return -1;
	}
	return 0;
}

/* Non-overlapping iovas below the 28-bit mask: src low half, dst high. */
static int buf_map(struct dmabuf *b, bool high)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	bool thp = rnd() % 3 == 0;
	size_t size = thp ? HUGE * rnd_range(1, 2) : PAGE * rnd_range(1, 96);
	uint64_t half = (EDU_MASK + 1) / 2, slots = (half - size) / PAGE;

	b->rawlen = size + (thp ? HUGE : 0);
	b->raw = mmap(NULL, b->rawlen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->raw == MAP_FAILED)
		return -errno;
	b->mem = b->raw;
	if (thp) {
		b->mem = (uint8_t *)(((uintptr_t)b->raw + HUGE - 1) & ~(HUGE - 1));
		madvise(b->mem, size, MADV_HUGEPAGE);
	}
	b->size = size;
	b->iova = (high ? half : 0) + PAGE * (rnd() % slots);
	if (thp)
		b->iova &= ~(HUGE - 1);
	memset(b->mem, CANARY, size);
	m.vaddr = (uintptr_t)b->mem;
	m.iova = b->iova;
	m.size = size;
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m))
		return -errno;
	return 0;
}

static int buf_unmap(struct dmabuf *b)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = b->iova, .size = b->size,
	};
	int ret = 0;

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u))
		ret = -errno;
	else if (u.size != b->size)
		ret = -ERANGE;
	munmap(b->raw, b->rawlen);
	return ret;
}

/* One transfer; 0 when the device finished within the timeout. */
static int edu_dma(uint64_t src, uint64_t dst, uint64_t cnt, bool to_ram)
{
	double t0 = now();

	reg_write(EDU_SRC, src);
	reg_write(EDU_DST, dst);
	reg_write(EDU_CNT, cnt);
	reg_write(EDU_CMD, 1 | (to_ram ? 2 : 0));
	while (reg_read(EDU_CMD) & 1) {
		if (now() - t0 > 20)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long transfers = 0, bytes = 0, rounds = 0;
	long long flushes0 = -1, flushes1 = -1, flushing = -1;
	const char *label, *policy = NULL, *want_flushing = NULL;
	char why[256] = "";
	double deadline;
	int grp, dev, dom = -1;

	if (argc < 4) {
		fprintf(stderr, "usage: dgedu GROUP SECONDS LABEL [POLICY FLUSHING]\n");
		return 2;
	}
	grp = atoi(argv[1]);
	deadline = now() + atof(argv[2]);
	label = argv[3];
	if (argc > 5) {
		policy = argv[4];
		want_flushing = argv[5];
	}
	rng ^= (uint64_t)getpid() << 20 ^ (uint64_t)time(NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	dev = open_device(grp, label);
	if (dev < 0 || setup_bar(dev, label))
		return 1;
	if (policy) {
		char path[256];
		int fd;

		dom = my_domain();
		snprintf(path, sizeof(path), DGSYS "/domains/%d/policy", dom);
		fd = open(path, O_WRONLY);
		if (dom < 0 || fd < 0 || write(fd, policy, strlen(policy)) < 0) {
			printf("not ok - edu DMA %s: set domain %d policy %s: %s\n",
			       label, dom, policy, strerror(errno));
			return 1;
		}
		close(fd);
		flushing = dom_value(dom, "flushing");
		flushes0 = dom_value(dom, "map_flushes");
	}

	do {
		struct dmabuf s, d;
		int i, n, ret;

		if ((ret = buf_map(&s, false)) || (ret = buf_map(&d, true))) {
			snprintf(why, sizeof(why), "map: %s", strerror(-ret));
			break;
		}
		n = rnd_range(1, 4);
		for (i = 0; i < n && !why[0]; i++) {
			uint64_t cnt = rnd_range(1, EDU_BUF_USE);
			uint64_t eoff = rnd_range(0, EDU_BUF_USE - cnt);
			uint64_t soff, doff, k;
			uint8_t seed = rnd();

			cnt = cnt > s.size ? s.size : cnt;
			cnt = cnt > d.size ? d.size : cnt;
			soff = rnd_range(0, s.size - cnt);
			doff = rnd_range(0, d.size - cnt);
			for (k = 0; k < cnt; k++)
				s.mem[soff + k] = seed + k * 7 + (k >> 8);
			if (edu_dma(s.iova + soff, EDU_BUF + eoff, cnt, false) ||
			    edu_dma(EDU_BUF + eoff, d.iova + doff, cnt, true)) {
				snprintf(why, sizeof(why),
					 "device did not finish a DMA of %" PRIu64
					 " bytes", cnt);
				break;
			}
			for (k = 0; k < d.size; k++) {
				uint8_t want = k >= doff && k < doff + cnt ?
					s.mem[soff + k - doff] : CANARY;

				if (d.mem[k] != want) {
					snprintf(why, sizeof(why),
						 "byte %" PRIu64 " of dst (span %" PRIu64
						 "+%" PRIu64 ", iova 0x%" PRIx64
						 "): 0x%02x, want 0x%02x", k,
						 doff, cnt, d.iova, d.mem[k], want);
					break;
				}
			}
			/* Back to the canary for the next span. */
			memset(d.mem + doff, CANARY, cnt);
			transfers++;
			bytes += cnt;
		}
		if ((ret = buf_unmap(&s)) || (ret = buf_unmap(&d))) {
			if (!why[0])
				snprintf(why, sizeof(why), "unmap: %s",
					 strerror(-ret));
		}
		rounds++;
	} while (!why[0] && now() < deadline);

	if (dom >= 0) {
		flushes1 = dom_value(dom, "map_flushes");
		if (!why[0] && flushing == 1 && flushes1 <= flushes0)
			snprintf(why, sizeof(why),
				 "policy %s flushing 1 but map_flushes %lld -> %lld",
				 policy, flushes0, flushes1);
		if (!why[0] && flushing == 0 && flushes1 != flushes0)
			snprintf(why, sizeof(why),
				 "policy %s flushing 0 but map_flushes %lld -> %lld",
				 policy, flushes0, flushes1);
		if (!why[0] && flushing != atoi(want_flushing))
			snprintf(why, sizeof(why), "flushing reads %lld, want %s",
				 flushing, want_flushing);
	}
	if (!why[0] && !transfers)
		snprintf(why, sizeof(why), "no transfer completed");
	printf("%s - edu DMA %s: %lu transfers (%lu bytes, %lu buffer pairs) "
	       "verified byte for byte%s%s", why[0] ? "not ok" : "ok", label,
	       transfers, bytes, rounds, why[0] ? ": " : "", why);
	if (dom >= 0)
		printf(" [domain %d flushing %lld map_flushes +%lld]", dom,
		       flushing, flushes1 - flushes0);
	printf("\n");
	return why[0] ? 1 : 0;
}
