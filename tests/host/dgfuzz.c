// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgfuzz SEED ROOT: writes one hostile fake system for dmaguardctl under
 * ROOT, deterministic for SEED; a previous dgfuzz tree there (one with
 * ROOT/.dgfuzz) is removed first, saving the test an rm per run. ROOT is what
 * DMAGUARD_SYSROOT points at; ROOT/dmaguard, when it exists, is a fake
 * /sys/kernel/dmaguard for DMAGUARD_SYSFS. tests/host/dmaguardctl.sh runs
 * the ASan build of dmaguardctl against a few hundred of them.
 *
 * What it varies: PCI config space (random bytes, random truncation,
 * capability chains that loop, point past the end or end at 0xffc),
 * driver and iommu link texts (no slash, "..", empty components), IOMMU
 * group and device names, /dev/vfio nodes (character devices, regular
 * files, directories, absent), /proc/PID/fd links, /proc/cmdline, the
 * lockdown file and dmaguard's own sysfs files.
 *
 * Holders: PIDs below 1000 may hold a group (their fds may point at the
 * real nodes under ROOT/dev); PIDs from 90000 are decoys whose fds never
 * point at a character device under ROOT/dev/vfio, whatever their link
 * text says. The test fails if dmaguardctl names a decoy as a holder.
 *
 * Exit: 0, or 1 on a setup error (message on stderr); mknod needs root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FAKE_MAJOR	4000	/* no real driver has it */
#define DECOY_MAJOR	4001

static uint64_t rng;
static const char *root;

static uint32_t rnd(void)
{
	/* splitmix64: the same stream for a seed everywhere */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static const char *pick(const char *const *v, unsigned int n)
{
	return v[below(n)];
}

#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

static void die(const char *what, const char *path)
{
	fprintf(stderr, "dgfuzz: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* mkdir -p of ROOT/rel */
static void mkdirs(const char *rel)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			die("mkdir", p);
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		die("mkdir", p);
}

static void wbuf(const char *rel, const void *buf, size_t len)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", p);
	if (len && write(fd, buf, len) != (ssize_t)len)
		die("write", p);
	close(fd);
}

static void wstr(const char *rel, const char *s)
{
	wbuf(rel, s, strlen(s));
}

/* A symlink ROOT/rel -> text; text may be anything but empty. */
static void slink(const char *text, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (*text && symlink(text, p) && errno != EEXIST)
		die("symlink", p);
}

static void chrdev(const char *rel, unsigned int major, unsigned int minor)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (mknod(p, S_IFCHR | 0600, makedev(major, minor)))
		die("mknod", p);
}

/* Printable junk without '/', not starting with '.': a file name. */
static void junk_name(char *out, size_t len)
{
	static const char cs[] = "abcvfio0123456789:._-\" \\%{}[],";
	size_t n = 1 + below(len - 1), i;

	for (i = 0; i < n; i++)
		out[i] = cs[below(sizeof(cs) - 1)];
	if (out[0] == '.')
		out[0] = 'x';
	out[n] = 0;
}

/* Random text, any byte but NUL, up to len - 1 bytes. */
static size_t junk_text(char *out, size_t len)
{
	size_t n = below(len), i;

	for (i = 0; i < n; i++)
		out[i] = (char)(1 + below(255));
	out[n] = 0;
	return n;
}

/* ---- PCI config space ------------------------------------------------ */

static unsigned int cap_pos(void)
{
	static const unsigned int std[] = { 0x40, 0x44, 0xf8, 0xfc, 0x00 };

	return below(3) ? std[below(5)] : below(0x100) & ~3u;
}

static unsigned int ext_pos(void)
{
	static const unsigned int ext[] = { 0x100, 0xff8, 0xffc, 0x000, 0x104 };

	return below(3) ? ext[below(5)] : below(0x1000) & ~3u;
}

static void fuzz_config(const char *rel)
{
	static const size_t lens[] = { 0, 1, 6, 0x40, 0x41, 0x44, 0x4a, 0xff,
				       0x100, 0x101, 0x104, 0x106, 0xfff,
				       0x1000, 0x1000, 0x1000 };
	unsigned char cfg[4096 + 64];
	unsigned int pos, next, i, n;
	size_t len;

	len = below(4) ? lens[below(sizeof(lens) / sizeof(lens[0]))] :
			 below(sizeof(cfg) + 1);
	if (!below(5)) {
		for (i = 0; i < sizeof(cfg); i++)
			cfg[i] = (unsigned char)rnd();
		wbuf(rel, cfg, len);
		return;
	}
	memset(cfg, 0, sizeof(cfg));
	for (i = below(8); i; i--)	/* a few stray bytes */
		cfg[below(0x1000)] = (unsigned char)rnd();
	cfg[0x06] = below(6) ? 0x10 : (unsigned char)rnd();
	/* standard list: PCI Express (0x10) somewhere, or not */
	pos = cap_pos();
	cfg[0x34] = (unsigned char)pos;
	for (n = below(6); n && pos; n--) {
		next = !below(4) ? cfg[0x34] : cap_pos();	/* loops */
		cfg[pos] = below(2) ? 0x10 : (unsigned char)rnd();
		cfg[pos + 1] = (unsigned char)next;
		cfg[pos + 8] = (unsigned char)rnd();
		cfg[pos + 9] = (unsigned char)rnd();
		pos = next;
	}
	/* extended list from 0x100: PASID (0x1b) somewhere, or not */
	pos = 0x100;
	for (n = below(6); n && pos >= 0x100; n--) {
		uint32_t h;

		next = !below(5) ? 0x100 : ext_pos();
		h = (below(2) ? 0x1b : below(0x10000)) | 1u << 16 |
		    (uint32_t)next << 20;
		cfg[pos] = h & 0xff;
		cfg[pos + 1] = h >> 8 & 0xff;
		cfg[pos + 2] = h >> 16 & 0xff;
		cfg[pos + 3] = h >> 24 & 0xff;
		cfg[pos + 6] = (unsigned char)rnd();	/* beyond 4096 at 0xffc */
		pos = next;
	}
	wbuf(rel, cfg, len);
}

/* ---- the tree ------------------------------------------------------ */

#define MAX_GROUPS	4
#define MAX_DEVS	3

static unsigned int groups[MAX_GROUPS], ngroups;
static char devs[MAX_GROUPS * MAX_DEVS][64];
static unsigned int ndevs;
static int group_node[MAX_GROUPS];	/* 1: char device under ROOT/dev */

static void fuzz_device(unsigned int g, const char *bdf)
{
	static const char *const drv[] = {
		"../../../bus/pci/drivers/vfio-pci", "vfio-pci", "vfio",
		"nvme", "/", "a/", "..", "x/../vfio-pci", "//vfio-pci//",
	};
	static const char *const iommu[] = {
		"../../../class/iommu/dmar0", "dmar0", "amd0", "..", ".",
		"x/..", "/", "a/", "../../../class/iommu/nope",
	};
	char rel[PATH_MAX], text[PATH_MAX], name[48];
	unsigned int i;

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", bdf);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%u/devices/%s",
		 g, bdf);
	snprintf(text, sizeof(text), "%s/sys/bus/pci/devices/%s", root, bdf);
	slink(text, rel);

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/config", bdf);
	if (below(10))
		fuzz_config(rel);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver", bdf);
	if (below(4))
		slink(below(3) ? drv[0] : PICK(drv), rel);
	else if (below(2))
		mkdirs(rel);		/* a directory, not a link */
	else if (junk_text(text, 200))
		slink(text, rel);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/iommu", bdf);
	if (below(4))
		slink(PICK(iommu), rel);
	else if (junk_text(text, 100))
		slink(text, rel);
	/* vfio cdevs: vfio<k> directories, and junk names */
	for (i = below(3); i; i--) {
		if (below(3))
			snprintf(name, sizeof(name), "vfio%u", below(4));
		else
			junk_name(name, 40);
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vfio-dev/%s",
			 bdf, name);
		mkdirs(rel);
	}
}

/* ROOT/dev/vfio/<name>: a character device (1), or something else (0). */
static int fuzz_node(const char *rel, unsigned int minor)
{
	char text[PATH_MAX];

	switch (below(6)) {
	case 0:
		return 0;			/* absent */
	case 1:
		wstr(rel, "not a device\n");
		return 0;
	case 2:
		mkdirs(rel);
		return 0;
	case 3:
		wstr("dev/regular", "");
		snprintf(text, sizeof(text), "%s/dev/regular", root);
		slink(text, rel);
		return 0;
	default:
		chrdev(rel, FAKE_MAJOR, minor);
		return 1;
	}
}

/* A link text for a holder's fd; decoys never reach a node under ROOT/dev. */
static void fd_text(char *text, size_t len, bool decoy)
{
	static const char *const fixed[] = {
		"/dev/null", "/dev/vfio/devices/vfio0", "vfio", "/",
		"/dev/vfio/devices/vfio0/../../../..", "anon_inode:[eventfd]",
		"/dev/vfio/vfio", "/dev/iommu", "..",
	};
	unsigned int i = below(ngroups), g = groups[i], k = below(4);

	switch (below(decoy ? 6 : 8)) {
	case 0:
		snprintf(text, len, "/dev/vfio/%u", g);	/* the host's */
		return;
	case 1:
		snprintf(text, len, "%s", PICK(fixed));
		return;
	case 2:
		junk_text(text, 120);
		if (!*text)
			snprintf(text, len, "x");
		return;
	case 3:
		snprintf(text, len, "%s/dev/regular", root);
		wstr("dev/regular", "");
		return;
	case 4:
		/* another character device called /dev/vfio/<g> */
		snprintf(text, len, "%s/decoy/dev/vfio/%u", root, g);
		return;
	case 5:
		/* ours by name, for a decoy only when it is no device */
		if (decoy && group_node[i])
			snprintf(text, len, "/dev/null");
		else
			snprintf(text, len, "%s/dev/vfio/%u", root, g);
		return;
	case 6:
		snprintf(text, len, "%s/dev/vfio/%u", root, g);
		return;
	default:
		snprintf(text, len, "%s/dev/vfio/devices/vfio%u", root, k);
		return;
	}
}

static void fuzz_proc(void)
{
	unsigned int p, n, i;

	for (p = below(6); p; p--) {
		bool decoy = below(2);
		unsigned int pid = decoy ? 90000 + below(100) : 100 + below(900);

		for (n = below(6); n; n--) {
			char rel[PATH_MAX], text[PATH_MAX];

			i = below(1 << 20);
			snprintf(rel, sizeof(rel), "proc/%u/fd", pid);
			mkdirs(rel);
			snprintf(rel, sizeof(rel), "proc/%u/fd/%u", pid, i);
			if (!below(8)) {
				wstr(rel, "");		/* not a link */
				continue;
			}
			fd_text(text, sizeof(text), decoy);
			slink(text, rel);
		}
	}
}

static void fuzz_sysfs(void)
{
	static const char *const prot[] = {
		"vfio-map", "vfio-unmap", "iommufd-map", "iommufd-unmap",
		"sva-kva", "bogus",
	};
	static const char *const state[] = {
		"armed", "unavailable", "not-applicable", "x",
	};
	static const char *const words[] = {
		"1", "0", "auto", "always", "never", "unknown", "", "-1",
		"99999999999999999999999",
	};
	char buf[8192], rel[PATH_MAX], id[16];
	size_t off;
	unsigned int n, i;

	mkdirs("dmaguard/domains");
	junk_text(buf, below(4) ? 16 : 3000);
	wstr("dmaguard/version", below(2) ? "0.1.0" : buf);
	wstr("dmaguard/enabled", PICK(words));
	wstr("dmaguard/default_policy", PICK(words));
	for (off = 0, n = below(12); n && off < sizeof(buf) - 512; n--)
		off += snprintf(buf + off, sizeof(buf) - off, "%s %s %.*s\n",
				PICK(prot), PICK(state), (int)below(300),
				"detail \"quoted\" \\ and some more words to make it long enough to overflow the detail buffers of the view, which are a hundred and sixty bytes, and then some, and then some more, and more, and more, and still more.....................................................");
	if (below(4)) {
		wstr("dmaguard/protections", buf);
	} else {
		junk_text(buf, sizeof(buf));
		wstr("dmaguard/protections", buf);
	}
	off = snprintf(buf, sizeof(buf),
		       "cfi %.*s\nnative vfio-map %s\nsymbol iommu_sva_invalidate_kva_range %.*s\n",
		       (int)below(400),
		       "ibt: enforced; a long line that goes on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on",
		       PICK(words), (int)below(300),
		       "present and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail and a long tail");
	if (!below(4))
		junk_text(buf, sizeof(buf));
	wstr("dmaguard/audit", buf);
	if (below(2)) {
		snprintf(buf, sizeof(buf),
			 "flushes %u\n%.*s 7\nflush_ns x\n", rnd(),
			 (int)below(120),
			 "a_very_long_counter_name_that_is_longer_than_sixty_three_bytes_in_total_so_it_gets_cut_off");
	} else {
		junk_text(buf, sizeof(buf));
	}
	wstr("dmaguard/stats", buf);
	for (n = below(4); n; n--) {
		snprintf(id, sizeof(id), "%u", below(3) ? below(20) : rnd());
		if (!below(6))
			junk_name(id, sizeof(id));
		snprintf(rel, sizeof(rel), "dmaguard/domains/%s", id);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "dmaguard/domains/%s/owner", id);
		if (below(6))
			wstr(rel, below(2) ? "vfio-type1" : "iommufd");
		for (off = 0, i = below(40); i && ndevs; i--)
			off += snprintf(buf + off, sizeof(buf) - off, "%s ",
					devs[below(ndevs)]);
		snprintf(rel, sizeof(rel), "dmaguard/domains/%s/devices", id);
		wbuf(rel, buf, off);
		snprintf(rel, sizeof(rel), "dmaguard/domains/%s/coherent", id);
		wstr(rel, PICK(words));
		snprintf(rel, sizeof(rel), "dmaguard/domains/%s/policy", id);
		wstr(rel, PICK(words));
		snprintf(rel, sizeof(rel), "dmaguard/domains/%s/flushing", id);
		wstr(rel, PICK(words));
		snprintf(rel, sizeof(rel), "dmaguard/domains/%s/pid", id);
		wstr(rel, PICK(words));
	}
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT)
		die("remove", path);
	return 0;
}

static bool seen(unsigned int group, unsigned int n)
{
	while (n--)
		if (groups[n] == group)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const char *const lockdown[] = {
		"none [integrity] confidentiality", "[", "]", "][", "[]",
		"none integrity [confidentiality", "",
	};
	static const char *const types[] = {
		"DMA", "DMA-FQ", "identity", "blocked", "", "DMA-FQ-and-then-a-long-type-name",
	};
	char rel[PATH_MAX], buf[4096];
	unsigned int g, d, n, k;

	if (argc != 3) {
		fprintf(stderr, "usage: dgfuzz SEED ROOT\n");
		return 1;
	}
	rng = strtoull(argv[1], NULL, 0) * 0x2545f4914f6cdd1dULL + 1;
	snprintf(buf, sizeof(buf), "%s/.dgfuzz", argv[2]);
	if (!access(buf, F_OK) &&
	    nftw(argv[2], rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT))
		die("nftw", argv[2]);
	if (mkdir(argv[2], 0755) && errno != EEXIST)
		die("mkdir", argv[2]);
	root = realpath(argv[2], NULL);	/* link texts are absolute */
	if (!root)
		die("realpath", argv[2]);
	wstr(".dgfuzz", "");
	mkdirs("proc");
	mkdirs("dev/vfio/devices");
	mkdirs("decoy/dev/vfio");	/* DECOY_MAJOR: never ours */
	mkdirs("sys/kernel/security");
	mkdirs("sys/bus/pci/drivers/vfio-pci");
	mkdirs("sys/bus/pci/drivers/nvme");
	mkdirs("sys/class/iommu/dmar0/intel-iommu");
	mkdirs("sys/class/iommu/amd0/amd-iommu");
	mkdirs("sys/class/intel-iommu");

	/* the command line and lockdown: words, brackets, junk */
	snprintf(buf, sizeof(buf), "%s %s %s %s",
		 below(2) ? "iommu.strict=0" : "iommu.strict=",
		 below(2) ? "iommu.passthrough=1" : "iommu=pt",
		 below(2) ? "intel_iommu=on" : "iommu.strict", below(2) ?
		 "iommu=" : "a=b=c");
	if (!below(4))
		junk_text(buf, sizeof(buf));
	wstr("proc/cmdline", buf);
	wstr("sys/kernel/security/lockdown", PICK(lockdown));
	junk_text(buf, 40);
	wstr("sys/class/iommu/dmar0/intel-iommu/ecap", below(4) ?
	     (below(2) ? "f0205e" : "f020de") : buf);
	wstr("sys/class/intel-iommu/ecap", "ffffffff");

	for (ngroups = 1 + below(MAX_GROUPS), g = 0; g < ngroups; g++) {
		do	/* distinct */
			groups[g] = below(3) ? below(16) : rnd() % 1000000000;
		while (seen(groups[g], g));
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%u/devices",
			 groups[g]);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%u/type",
			 groups[g]);
		if (below(8))
			wstr(rel, PICK(types));
		for (n = 1 + below(MAX_DEVS), d = 0; d < n; d++) {
			char *bdf = devs[ndevs];

			if (below(4))
				snprintf(bdf, 64, "0000:%02x:%02x.%u",
					 below(256), below(32), below(8));
			else
				junk_name(bdf, 60);
			fuzz_device(groups[g], bdf);
			ndevs++;
		}
		snprintf(rel, sizeof(rel), "dev/vfio/%u", groups[g]);
		group_node[g] = fuzz_node(rel, g);
		snprintf(rel, sizeof(rel), "decoy/dev/vfio/%u", groups[g]);
		chrdev(rel, DECOY_MAJOR, g);
	}
	for (k = 0; k < 4; k++) {
		snprintf(rel, sizeof(rel), "dev/vfio/devices/vfio%u", k);
		fuzz_node(rel, 1000 + k);
	}
	fuzz_proc();
	if (below(2))
		fuzz_sysfs();
	return 0;
}
