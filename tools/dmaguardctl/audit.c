// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguardctl: the posture audit. It reads what the kernel already shows
 * user space (IOMMU groups, PCI config space, /proc/cmdline, the lockdown
 * file, which processes hold VFIO files open) and dmaguard's view, and
 * gives every IOMMU group with a device bound to a VFIO driver a verdict.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dmaguardctl.h"

/*
 * Walks a PCI capability list in config space. Standard list from 0x34
 * (ids 8 bit), extended list from 0x100 (ids 16 bit). Returns the offset
 * or 0.
 */
static int pci_find_cap(const unsigned char *cfg, size_t len, int id)
{
	int pos, guard = 48;

	if (len < 0x40 || !(cfg[0x06] & 0x10))	/* Status: Capabilities List */
		return 0;
	pos = cfg[0x34] & ~3;
	while (pos >= 0x40 && (size_t)pos + 2 <= len && guard--) {
		if (cfg[pos] == id)
			return pos;
		pos = cfg[pos + 1] & ~3;
	}
	return 0;
}

static int pci_find_ext_cap(const unsigned char *cfg, size_t len, int id)
{
	int pos = 0x100, guard = 480;

	while ((size_t)pos + 4 <= len && guard--) {
		uint32_t h = cfg[pos] | cfg[pos + 1] << 8 | cfg[pos + 2] << 16 |
			     (uint32_t)cfg[pos + 3] << 24;

		if (!h || h == 0xffffffff)
			return 0;
		if ((int)(h & 0xffff) == id)
			return pos;
		pos = h >> 20 & ~3;
		if (pos < 0x100)
			return 0;
	}
	return 0;
}

static void audit_pci(struct audit_dev *d)
{
	unsigned char cfg[4096];
	char path[PATH_MAX];
	ssize_t len;
	int fd, pos;

	d->nosnoop = d->pasid = -2;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/config",
		 sysroot, d->bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	len = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	/* Unprivileged reads stop at 64 bytes: capabilities are beyond. */
	if (len <= 0x40)
		return;
	pos = pci_find_cap(cfg, len, 0x10);	/* PCI Express */
	if (!pos) {
		d->nosnoop = d->pasid = -1;
		return;
	}
	/*
	 * Device Control at cap + 8, bit 11: Enable No Snoop. Only bytes the
	 * read returned count: a capability at the end of a short read is
	 * unreadable, not zero.
	 */
	if (pos + 10 > len)
		d->nosnoop = -2;
	else
		d->nosnoop = (cfg[pos + 8] | cfg[pos + 9] << 8) & (1 << 11) ?
			     1 : 0;
	if (len <= 0x100) {
		d->pasid = -2;
		return;
	}
	pos = pci_find_ext_cap(cfg, len, 0x1b);	/* PASID */
	/*
	 * PASID Control at cap + 6, bit 0: PASID Enable. A header at 0xffc
	 * has no room for it in config space: unreadable.
	 */
	if (!pos)
		d->pasid = -1;
	else if (pos + 8 > len)
		d->pasid = -2;
	else
		d->pasid = cfg[pos + 6] & 1;
}

/*
 * The device number of the character device @path names, following
 * symlinks: for a /proc/PID/fd/N link that is the open file itself, whatever
 * the link's text says. Cached attributes only (AT_STATX_DONT_SYNC): an fd
 * on a dead NFS server must not hang the audit, as readlink() never did.
 */
static bool chr_dev(const char *path, dev_t *rdev)
{
	struct statx stx;
	struct stat st;

	if (!statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_TYPE, &stx)) {
		if (!(stx.stx_mask & STATX_TYPE) || !S_ISCHR(stx.stx_mode))
			return false;
		*rdev = makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
		return true;
	}
	/* No statx (old kernel, or a seccomp filter that predates it). */
	if ((errno != ENOSYS && errno != EPERM) || stat(path, &st) ||
	    !S_ISCHR(st.st_mode))
		return false;
	*rdev = st.st_rdev;
	return true;
}

/*
 * Which processes hold /dev/vfio/<group> or a vfio cdev of the group open.
 * By identity, not by the text of /proc/PID/fd/N: a process in a container
 * has its own /dev, where "/dev/vfio/5" may be any file. An fd holds the
 * group when it is the character device that our /dev/vfio/<group> is, or
 * that /dev/vfio/devices/vfioX is for a vfio-dev/vfioX of one of the
 * group's devices.
 */
static void audit_holders(struct audit_group *g)
{
	char path[PATH_MAX], proc[PATH_MAX];
	dev_t group_dev = 0, cdevs[MAX_GROUP_DEVS], rdev;
	struct dirent *p, *f;
	bool have_group;
	int ncdevs = 0, i;
	DIR *pd, *fd, *vd;

	snprintf(path, sizeof(path), "%s/dev/vfio/%s", sysroot, g->name);
	have_group = chr_dev(path, &group_dev);
	for (i = 0; i < g->ndevs; i++) {
		snprintf(path, sizeof(path),
			 "%s/sys/bus/pci/devices/%s/vfio-dev", sysroot,
			 g->devs[i].bdf);
		vd = opendir(path);
		if (!vd)
			continue;
		while ((f = readdir(vd)) && ncdevs < MAX_GROUP_DEVS) {
			char cd[PATH_MAX + 300];

			/* The kernel names them vfio<N>. */
			if (strncmp(f->d_name, "vfio", 4) ||
			    !is_id(f->d_name + 4))
				continue;
			snprintf(cd, sizeof(cd), "%s/dev/vfio/devices/%s",
				 sysroot, f->d_name);
			if (chr_dev(cd, &cdevs[ncdevs]))
				ncdevs++;
		}
		closedir(vd);
	}
	if (!have_group && !ncdevs)
		return;

	snprintf(proc, sizeof(proc), "%s/proc", sysroot);
	pd = opendir(proc);
	if (!pd)
		return;
	while ((p = readdir(pd))) {
		bool held = false;

		if (!is_id(p->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/fd", proc, p->d_name);
		fd = opendir(path);
		if (!fd)
			continue;
		while (!held && (f = readdir(fd))) {
			char lp[PATH_MAX + 300];

			if (f->d_name[0] == '.')
				continue;
			snprintf(lp, sizeof(lp), "%s/%s", path, f->d_name);
			if (!chr_dev(lp, &rdev))
				continue;
			if (have_group && rdev == group_dev) {
				held = true;
				snprintf(g->holder_kind, sizeof(g->holder_kind),
					 "vfio-group");
				break;
			}
			for (i = 0; i < ncdevs; i++) {
				if (rdev != cdevs[i])
					continue;
				held = true;
				snprintf(g->holder_kind, sizeof(g->holder_kind),
					 "vfio-cdev");
				break;
			}
		}
		closedir(fd);
		if (held && g->nholders < MAX_HOLDERS)
			g->holders[g->nholders++] = atoi(p->d_name);
	}
	closedir(pd);
}

/* Is the device's IOMMU an Intel one with Snoop Control (ECAP.SC, bit 7)? */
static const char *iommu_coherency_guess(struct audit_group *g, char *src,
					 size_t len)
{
	char path[PATH_MAX], b[64], link[PATH_MAX];
	const char *name;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/iommu",
		 sysroot, g->devs[0].bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		snprintf(src, len, "no IOMMU instance visible for %s",
			 g->devs[0].bdf);
		return "unknown";
	}
	link[n] = 0;
	name = link_base(link);
	/* It names a directory in /sys/class/iommu, nothing else. */
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(src, len, "no IOMMU instance visible for %s",
			 g->devs[0].bdf);
		return "unknown";
	}
	snprintf(g->iommu, sizeof(g->iommu), "%s", name);
	snprintf(path, sizeof(path), "%s/sys/class/iommu/%s/intel-iommu/ecap",
		 sysroot, name);
	if (!read_str(path, b, sizeof(b))) {
		unsigned long long ecap = strtoull(b, NULL, 16);
		bool sc = ecap & (1ULL << 7);

		snprintf(src, len,
			 "inferred: %s ECAP.SC=%d (VFIO enforces snoop control when the IOMMU has it)",
			 name, sc);
		return sc ? "yes" : "no";
	}
	snprintf(path, sizeof(path), "%s/sys/class/iommu/%s/amd-iommu",
		 sysroot, name);
	if (!access(path, F_OK)) {
		snprintf(src, len,
			 "inferred: %s is an AMD IOMMU (enforces coherency for VFIO)",
			 name);
		return "yes";
	}
	snprintf(src, len,
		 "unknown for IOMMU %s (load dmaguard to see what VFIO decided)",
		 name);
	return "unknown";
}

/* Finds the dmaguard domain whose devices list one of the group's BDFs. */
static int audit_domain(struct audit_group *g, struct domain *out)
{
	unsigned int ids[MAX_DOMAINS];
	struct domain d;
	int n, i, j;

	n = domain_ids(ids, MAX_DOMAINS);
	for (i = 0; i < n; i++) {
		char pad[520];

		if (domain_read(ids[i], &d))
			continue;
		snprintf(pad, sizeof(pad), " %s ", d.devices);
		for (j = 0; j < g->ndevs; j++) {
			char needle[40];

			snprintf(needle, sizeof(needle), " %s ", g->devs[j].bdf);
			if (strstr(pad, needle)) {
				*out = d;
				return (int)d.id;
			}
		}
	}
	return -1;
}

static void audit_verdict(struct audit_group *g, const struct dg_view *v,
			  const struct domain *dom)
{
	int map = prot_index(strcmp(g->holder_kind, "vfio-cdev") ?
			     "vfio-map" : "iommufd-map");
	int unmap = map + 1, p;

	g->exposed = false;
	if (!strcmp(g->coherent, "yes")) {
		snprintf(g->verdict, sizeof(g->verdict), "protected (coherent)");
		return;
	}
	g->exposed = true;
	if (!v->loaded) {
		snprintf(g->verdict, sizeof(g->verdict),
			 "exposed: non-coherent IOMMU domain and dmaguard is not loaded");
		return;
	}
	if (!v->enabled) {
		snprintf(g->verdict, sizeof(g->verdict),
			 "exposed: non-coherent IOMMU domain and dmaguard is disabled (enabled=0)");
		return;
	}
	for (p = map; p <= unmap; p++) {
		if (strcmp(v->prot_state[p], "armed")) {
			snprintf(g->verdict, sizeof(g->verdict),
				 "exposed: non-coherent IOMMU domain and dmaguard %s is %s: %s",
				 prot_names[p], v->prot_state[p],
				 v->prot_detail[p]);
			return;
		}
	}
	if (g->domain >= 0 && dom->flushing != 1) {
		snprintf(g->verdict, sizeof(g->verdict),
			 "exposed: dmaguard domain %d does not flush (policy %s)",
			 g->domain, dom->policy);
		return;
	}
	if (g->domain < 0 && !strcmp(v->default_policy, "never")) {
		snprintf(g->verdict, sizeof(g->verdict),
			 "exposed: non-coherent IOMMU domain and dmaguard default_policy is never");
		return;
	}
	g->exposed = false;
	snprintf(g->verdict, sizeof(g->verdict), "protected");
}

const char *nosnoop_word(int v)
{
	return v == 1 ? "set" : v == 0 ? "clear" :
	       v == -1 ? "n/a (no PCI Express capability)" :
	       "unreadable";
}

const char *pasid_word(int v)
{
	return v == 1 ? "enabled" : v == 0 ? "disabled" :
	       v == -1 ? "no PASID capability" : "unreadable";
}

/* The word of /proc/cmdline that starts with key=, or NULL. */
static const char *cmdline_param(const char *cmdline, const char *key,
				 char *out, size_t len)
{
	size_t kl = strlen(key);
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, " \n");

			snprintf(out, len, "%.*s", (int)n, p + kl + 1);
			return out;
		}
		p += strcspn(p, " ");
	}
	return NULL;
}

static int cmp_group(const void *a, const void *b)
{
	return atoi(((const struct audit_group *)a)->name) -
	       atoi(((const struct audit_group *)b)->name);
}

static int audit_groups(struct audit_group *groups, int *ntypes_dma,
			int *ntypes_fq, int *ntypes_identity, int *ntotal)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	*ntypes_dma = *ntypes_fq = *ntypes_identity = *ntotal = 0;
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups", sysroot);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		struct audit_group g;
		struct dirent *de;
		DIR *dd;

		if (!is_id(e->d_name))
			continue;
		memset(&g, 0, sizeof(g));
		g.domain = -1;
		snprintf(g.name, sizeof(g.name), "%s", e->d_name);
		snprintf(path, sizeof(path),
			 "%s/sys/kernel/iommu_groups/%s/type", sysroot, g.name);
		if (read_str(path, g.type, sizeof(g.type)))
			snprintf(g.type, sizeof(g.type), "unknown");
		(*ntotal)++;
		if (!strcmp(g.type, "DMA"))
			(*ntypes_dma)++;
		else if (!strcmp(g.type, "DMA-FQ"))
			(*ntypes_fq)++;
		else if (!strcmp(g.type, "identity"))
			(*ntypes_identity)++;
		snprintf(path, sizeof(path),
			 "%s/sys/kernel/iommu_groups/%s/devices", sysroot,
			 g.name);
		dd = opendir(path);
		if (!dd)
			continue;
		while ((de = readdir(dd)) && g.ndevs < MAX_GROUP_DEVS) {
			struct audit_dev *d = &g.devs[g.ndevs];
			char dp[PATH_MAX + 300], link[PATH_MAX];
			ssize_t ln;

			if (de->d_name[0] == '.')
				continue;
			snprintf(d->bdf, sizeof(d->bdf), "%s", de->d_name);
			snprintf(dp, sizeof(dp), "%s/%s/driver", path,
				 de->d_name);
			ln = readlink(dp, link, sizeof(link) - 1);
			if (ln > 0) {
				link[ln] = 0;
				snprintf(d->driver, sizeof(d->driver), "%s",
					 link_base(link));
			}
			if (!strncmp(d->driver, "vfio", 4))
				g.vfio = true;
			g.ndevs++;
		}
		closedir(dd);
		if (g.vfio && n < MAX_GROUPS)
			groups[n++] = g;
	}
	closedir(dir);
	qsort(groups, n, sizeof(*groups), cmp_group);
	return n;
}

void audit_collect(struct audit_report *r)
{
	char cmdline[4096] = "", lockdown[128] = "", val[64];
	struct dg_view *v = &r->v;
	char *b, *e;
	int i, j;

	memset(r, 0, sizeof(*r));
	uname(&r->u);
	view_read(v);
	sys_read("/proc/cmdline", cmdline, sizeof(cmdline));

	/* Lockdown: the bracketed word of "none [integrity] confidentiality". */
	if (sys_read("/sys/kernel/security/lockdown", lockdown,
		     sizeof(lockdown))) {
		snprintf(r->lock, sizeof(r->lock), "unknown");
	} else {
		b = strchr(lockdown, '[');
		e = b ? strchr(b, ']') : NULL;
		snprintf(r->lock, sizeof(r->lock), "%.*s",
			 b && e ? (int)(e - b - 1) : 7, b && e ? b + 1 : "unknown");
	}

	/* iommu.strict: the command line wins, else what the groups show. */
	r->ngroups = audit_groups(r->groups, &r->ndma, &r->nfq, &r->nid,
				  &r->ntotal);
	if (cmdline_param(cmdline, "iommu.strict", val, sizeof(val)))
		snprintf(r->strict, sizeof(r->strict), "%s (iommu.strict=%s)",
			 !strcmp(val, "0") ? "lazy" : "strict", val);
	else if (r->nfq)
		snprintf(r->strict, sizeof(r->strict),
			 "lazy (%d DMA-FQ group(s), kernel default)", r->nfq);
	else if (r->ndma)
		snprintf(r->strict, sizeof(r->strict), "strict (DMA groups)");
	else
		snprintf(r->strict, sizeof(r->strict), "unknown (no DMA groups)");
	if (cmdline_param(cmdline, "iommu.passthrough", val, sizeof(val)) &&
	    strcmp(val, "0"))
		snprintf(r->passthrough, sizeof(r->passthrough),
			 "yes (iommu.passthrough=%s)", val);
	else if (cmdline_param(cmdline, "iommu", val, sizeof(val)) &&
		 !strcmp(val, "pt"))
		snprintf(r->passthrough, sizeof(r->passthrough), "yes (iommu=pt)");
	else if (r->nid)
		snprintf(r->passthrough, sizeof(r->passthrough),
			 "%d identity group(s)", r->nid);
	else
		snprintf(r->passthrough, sizeof(r->passthrough), "no");
	cfi_state(v->audit, r->cfi, sizeof(r->cfi));
	if (!audit_kv(v, "symbol iommu_sva_invalidate_kva_range", r->sva_fix,
		      sizeof(r->sva_fix)))
		snprintf(r->sva_fix, sizeof(r->sva_fix),
			 "unknown (dmaguard not loaded)");
	for (j = 0; j < NPROTS; j++) {
		char key[64];

		snprintf(key, sizeof(key), "native %s", prot_names[j]);
		r->native_known[j] = audit_kv(v, key, r->native[j],
					      sizeof(r->native[j]));
	}

	for (i = 0; i < r->ngroups; i++) {
		struct audit_group *g = &r->groups[i];
		struct domain dom;

		memset(&dom, 0, sizeof(dom));
		for (j = 0; j < g->ndevs; j++)
			audit_pci(&g->devs[j]);
		audit_holders(g);
		if (v->loaded)
			g->domain = audit_domain(g, &dom);
		if (g->domain >= 0) {
			snprintf(g->coherent, sizeof(g->coherent), "%s",
				 coherent_word(dom.coherent));
			snprintf(g->coherent_src, sizeof(g->coherent_src),
				 "dmaguard domain %d (what %s decided)",
				 g->domain, strcmp(dom.owner, "iommufd") ?
				 "VFIO" : "iommufd");
			iommu_coherency_guess(g, val, sizeof(val));
		} else {
			snprintf(g->coherent, sizeof(g->coherent), "%s",
				 iommu_coherency_guess(g, g->coherent_src,
						       sizeof(g->coherent_src)));
		}
		audit_verdict(g, v, &dom);
		r->exposed += g->exposed;
		for (j = 0; j < g->ndevs; j++)
			g->sva |= g->devs[j].pasid == 1;
	}
}
