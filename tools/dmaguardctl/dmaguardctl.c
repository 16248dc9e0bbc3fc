// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguardctl: the operator's front end to dmaguard.
 *
 * It talks only to the sysfs ABI (/sys/kernel/dmaguard/, DESIGN §4) and,
 * for the posture audit, to what the kernel already shows user space: IOMMU
 * groups, PCI config space, /proc/cmdline, the lockdown file, and which
 * processes hold VFIO files open. Every command prints text for people or,
 * with --json, one JSON document for machines. Exit codes are part of the
 * interface (see usage() and dmaguardctl.8).
 *
 * DMAGUARD_SYSFS and DMAGUARD_SYSROOT (a prefix for /sys, /proc and /dev
 * paths the audit reads) point it at a fake tree, for tests only.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef DMAGUARDCTL_VERSION
#define DMAGUARDCTL_VERSION "unknown"
#endif

enum {
	EX_OK = 0,
	EX_FAIL = 1,		/* I/O or unexpected kernel answer */
	EX_USAGE = 2,		/* bad command line */
	EX_NOPERM = 3,		/* needs root */
	EX_NOMODULE = 4,	/* dmaguard not loaded */
	EX_NODOMAIN = 5,	/* no such domain id */
	EX_BADVALUE = 6,	/* bad policy value */
	EX_EXPOSED = 7,		/* audit: at least one group exposed */
};

static const char *sysfs = "/sys/kernel/dmaguard";
static const char *sysroot = "";
static bool json;

/* ---- small helpers ------------------------------------------------------- */

static void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dmaguardctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Reads a whole file into buf (NUL-terminated, one trailing \n dropped). */
static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, off = 0;

	buf[0] = 0;
	if (fd < 0)
		return -errno;
	while ((size_t)off < len - 1) {
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		off += n;
	}
	close(fd);
	buf[off] = 0;
	if (off && buf[off - 1] == '\n')
		buf[off - 1] = 0;
	return 0;
}

static int dg_read(const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", sysfs, rel);
	return read_str(path, buf, len);
}

static int sys_read(const char *abs, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", sysroot, abs);
	return read_str(path, buf, len);
}

/* Writes val to a dmaguard file; returns 0 or -errno. */
static int dg_write(const char *rel, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sysfs, rel);
	/* sysfs ignores O_TRUNC; a test's plain-file tree needs it. */
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

static bool module_loaded(void)
{
	struct stat st;

	return !stat(sysfs, &st) && S_ISDIR(st.st_mode);
}

static int need_module(void)
{
	if (module_loaded())
		return 0;
	err("dmaguard is not loaded (%s missing): run 'modprobe dmaguard'",
	    sysfs);
	return EX_NOMODULE;
}

static int need_root(const char *what)
{
	if (!geteuid())
		return 0;
	err("%s needs root", what);
	return EX_NOPERM;
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

/* ---- JSON output ----------------------------------------------------------- */

static int jdepth;
static bool jcomma[16];

static void jstring(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jkey(const char *key)
{
	if (jcomma[jdepth])
		putchar(',');
	jcomma[jdepth] = true;
	if (key) {
		jstring(key);
		putchar(':');
	}
}

static void jopen(const char *key, char c)
{
	jkey(key);
	putchar(c);
	jcomma[++jdepth] = false;
}

static void jclose(char c)
{
	putchar(c);
	jdepth--;
	if (!jdepth)
		putchar('\n');
}

static void jstr(const char *key, const char *val)
{
	jkey(key);
	jstring(val);
}

static void jnum(const char *key, long long val)
{
	jkey(key);
	printf("%lld", val);
}

static void jbool(const char *key, bool val)
{
	jkey(key);
	printf("%s", val ? "true" : "false");
}

static void jnull(const char *key)
{
	jkey(key);
	printf("null");
}

/* ---- domains ---------------------------------------------------------------- */

struct domain {
	unsigned int id;
	char owner[32];
	long long pid;
	char devices[512];
	char coherent[16];		/* "1", "0", "unknown" */
	char policy[16];
	int flushing;
	long long mapped_bytes, flushed_bytes, flush_ns;
	long long map_flushes, unmap_flushes;
};

static bool is_id(const char *s)
{
	if (!*s || strlen(s) > 9)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static long long dom_ll(unsigned int id, const char *file)
{
	char rel[64], b[64];

	snprintf(rel, sizeof(rel), "domains/%u/%s", id, file);
	if (dg_read(rel, b, sizeof(b)))
		return -1;
	return strtoll(b, NULL, 10);
}

static int dom_str(unsigned int id, const char *file, char *buf, size_t len)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "domains/%u/%s", id, file);
	return dg_read(rel, buf, len);
}

/* Reads one domain; -ENOENT if it went away meanwhile. */
static int domain_read(unsigned int id, struct domain *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->id = id;
	ret = dom_str(id, "owner", d->owner, sizeof(d->owner));
	if (ret)
		return ret;
	dom_str(id, "devices", d->devices, sizeof(d->devices));
	dom_str(id, "coherent", d->coherent, sizeof(d->coherent));
	dom_str(id, "policy", d->policy, sizeof(d->policy));
	d->pid = dom_ll(id, "pid");
	d->flushing = (int)dom_ll(id, "flushing");
	d->mapped_bytes = dom_ll(id, "mapped_bytes");
	d->flushed_bytes = dom_ll(id, "flushed_bytes");
	d->flush_ns = dom_ll(id, "flush_ns");
	d->map_flushes = dom_ll(id, "map_flushes");
	d->unmap_flushes = dom_ll(id, "unmap_flushes");
	return 0;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Domain ids, sorted; returns the count (at most max) or -errno. */
static int domain_ids(unsigned int *ids, int max)
{
	char path[PATH_MAX];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/domains", sysfs);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir)) && n < max)
		if (is_id(e->d_name))
			ids[n++] = (unsigned int)strtoul(e->d_name, NULL, 10);
	closedir(dir);
	qsort(ids, n, sizeof(*ids), cmp_uint);
	return n;
}

#define MAX_DOMAINS 1024

static const char *coherent_word(const char *c)
{
	return !strcmp(c, "1") ? "yes" : !strcmp(c, "0") ? "no" : c;
}

static void json_devices(const char *key, const char *devs)
{
	char copy[512], *tok, *save;

	snprintf(copy, sizeof(copy), "%s", devs);
	jopen(key, '[');
	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		jstr(NULL, tok);
	jclose(']');
}

static void json_domain(const struct domain *d)
{
	jopen(NULL, '{');
	jnum("id", d->id);
	jstr("owner", d->owner);
	jnum("pid", d->pid);
	json_devices("devices", d->devices);
	if (!strcmp(d->coherent, "unknown"))
		jnull("coherent");
	else
		jbool("coherent", !strcmp(d->coherent, "1"));
	jstr("policy", d->policy);
	jbool("flushing", d->flushing == 1);
	jnum("mapped_bytes", d->mapped_bytes);
	jnum("flushed_bytes", d->flushed_bytes);
	jnum("flush_ns", d->flush_ns);
	jnum("map_flushes", d->map_flushes);
	jnum("unmap_flushes", d->unmap_flushes);
	jclose('}');
}

static int cmd_domains(void)
{
	unsigned int ids[MAX_DOMAINS];
	struct domain d;
	int i, n, ret;

	ret = need_module();
	if (ret)
		return ret;
	n = domain_ids(ids, MAX_DOMAINS);
	if (n < 0) {
		err("cannot list %s/domains: %s", sysfs, strerror(-n));
		return EX_FAIL;
	}
	if (json)
		jopen(NULL, '[');
	else
		printf("%-4s %-10s %-7s %-24s %-8s %-6s %-8s %12s %14s\n",
		       "ID", "OWNER", "PID", "DEVICES", "COHERENT", "POLICY",
		       "FLUSHING", "MAPPED", "FLUSHED");
	for (i = 0; i < n; i++) {
		if (domain_read(ids[i], &d))
			continue;	/* destroyed while we listed */
		if (json)
			json_domain(&d);
		else
			printf("%-4u %-10s %-7lld %-24s %-8s %-6s %-8s %12lld %14lld\n",
			       d.id, d.owner, d.pid,
			       d.devices[0] ? d.devices : "-",
			       coherent_word(d.coherent), d.policy,
			       yesno(d.flushing == 1), d.mapped_bytes,
			       d.flushed_bytes);
	}
	if (json)
		jclose(']');
	return EX_OK;
}

/* ---- status and stats ----------------------------------------------------------- */

/*
 * Branch-target enforcement (x86 IBT, arm64 BTI) and how dmaguard reaches
 * the functions it hooks: the "cfi" line of the module's audit file
 * (@audit, "" when not loaded), else the CPU flag the kernel shows in
 * /proc/cpuinfo when it enforces IBT.
 */
static void cfi_state(const char *audit, char *out, size_t len)
{
	char cpuinfo[16384], flags[4096];
	const char *p, *e;
	size_t n;

	for (p = audit; p && *p; p = e ? e + 1 : NULL) {
		e = strchr(p, '\n');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n > 4 && !strncmp(p, "cfi ", 4)) {
			snprintf(out, len, "%.*s", (int)(n - 4), p + 4);
			return;
		}
	}
	if (sys_read("/proc/cpuinfo", cpuinfo, sizeof(cpuinfo))) {
		snprintf(out, len, "unknown (no /proc/cpuinfo)");
		return;
	}
	/* The first "flags : ..." line, as words. */
	for (p = cpuinfo; p; p = e ? e + 1 : NULL) {
		e = strchr(p, '\n');
		if (!strncmp(p, "flags", 5))
			break;
	}
	if (!p) {
		snprintf(out, len, "unknown (no CPU flags)");
		return;
	}
	n = e ? (size_t)(e - p) : strlen(p);
	snprintf(flags, sizeof(flags), "%.*s ", (int)n, p);
	snprintf(out, len, "ibt: %s (/proc/cpuinfo; dmaguard not loaded)",
		 strstr(flags, " ibt ") ? "enforced" : "not enforced");
}

static int cmd_status(void)
{
	char version[64], enabled[16], policy[16], prots[4096];
	char audit[2048], cfi[256];
	char *line, *save;
	unsigned int ids[MAX_DOMAINS];
	struct utsname u;
	int ret, n;

	ret = need_module();
	if (ret)
		return ret;
	if (dg_read("version", version, sizeof(version)) ||
	    dg_read("enabled", enabled, sizeof(enabled)) ||
	    dg_read("default_policy", policy, sizeof(policy)) ||
	    dg_read("protections", prots, sizeof(prots))) {
		err("cannot read %s: %s", sysfs, strerror(errno));
		return EX_FAIL;
	}
	if (dg_read("audit", audit, sizeof(audit)))
		audit[0] = '\0';
	cfi_state(audit, cfi, sizeof(cfi));
	uname(&u);
	n = domain_ids(ids, MAX_DOMAINS);
	if (n < 0)
		n = 0;

	if (json) {
		jopen(NULL, '{');
		jstr("version", version);
		jstr("kernel", u.release);
		jbool("enabled", !strcmp(enabled, "1"));
		jstr("default_policy", policy);
		jstr("cfi", cfi);
		jnum("domains", n);
		jopen("protections", '[');
	} else {
		printf("dmaguard %s on %s\n", version, u.release);
		printf("enabled:         %s\n", yesno(!strcmp(enabled, "1")));
		printf("default policy:  %s\n", policy);
		printf("branch targets:  %s\n", cfi);
		printf("domains:         %d\n", n);
		printf("protections:\n");
	}
	for (line = strtok_r(prots, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32] = "", state[32] = "";
		int off = 0;

		if (sscanf(line, "%31s %31s %n", name, state, &off) < 2)
			continue;
		if (json) {
			jopen(NULL, '{');
			jstr("name", name);
			jstr("state", state);
			jstr("detail", off ? line + off : "");
			jclose('}');
		} else {
			printf("  %-14s %-15s %s\n", name, state,
			       off ? line + off : "");
		}
	}
	if (json) {
		jclose(']');
		jclose('}');
	}
	return EX_OK;
}

static int cmd_stats(void)
{
	char stats[4096], *line, *save;
	int ret;

	ret = need_module();
	if (ret)
		return ret;
	if (dg_read("stats", stats, sizeof(stats))) {
		err("cannot read %s/stats: %s", sysfs, strerror(errno));
		return EX_FAIL;
	}
	if (json)
		jopen(NULL, '{');
	for (line = strtok_r(stats, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[64];
		long long val;

		if (sscanf(line, "%63s %lld", key, &val) != 2)
			continue;
		if (json)
			jnum(key, val);
		else
			printf("%-24s %lld\n", key, val);
	}
	if (json)
		jclose('}');
	return EX_OK;
}

/* ---- set, enable, disable -------------------------------------------------------- */

static bool is_policy(const char *s)
{
	return !strcmp(s, "auto") || !strcmp(s, "always") || !strcmp(s, "never");
}

static int write_checked(const char *rel, const char *val, int einval_code)
{
	int ret = dg_write(rel, val);

	if (!ret)
		return EX_OK;
	if (ret == -EACCES || ret == -EPERM) {
		err("writing %s/%s: %s (needs root)", sysfs, rel,
		    strerror(-ret));
		return EX_NOPERM;
	}
	if (ret == -ENOENT) {
		err("writing %s/%s: %s", sysfs, rel, strerror(-ret));
		return strncmp(rel, "domains/", 8) ? EX_NOMODULE : EX_NODOMAIN;
	}
	err("writing '%s' to %s/%s: %s", val, sysfs, rel, strerror(-ret));
	return ret == -EINVAL ? einval_code : EX_FAIL;
}

static int cmd_set(const char *target, const char *value)
{
	char rel[64], path[PATH_MAX];
	struct stat st;
	int ret;

	ret = need_module();
	if (ret)
		return ret;
	if (strcmp(target, "default") && !is_id(target)) {
		err("bad domain id '%s': want a decimal id from 'dmaguardctl domains' or 'default'",
		    target);
		return EX_NODOMAIN;
	}
	if (!is_policy(value)) {
		err("bad policy '%s': want auto, always or never", value);
		return EX_BADVALUE;
	}
	if (!strcmp(target, "default")) {
		snprintf(rel, sizeof(rel), "default_policy");
	} else {
		snprintf(rel, sizeof(rel), "domains/%s/policy", target);
		snprintf(path, sizeof(path), "%s/domains/%s", sysfs, target);
		if (stat(path, &st)) {
			err("no such domain: %s (see 'dmaguardctl domains')",
			    target);
			return EX_NODOMAIN;
		}
	}
	ret = need_root("set");
	if (ret)
		return ret;
	ret = write_checked(rel, value, EX_BADVALUE);
	if (!ret && !json)
		printf("%s policy: %s\n",
		       strcmp(target, "default") ? "domain" : "default", value);
	else if (!ret)
		printf("{\"target\":\"%s\",\"policy\":\"%s\"}\n", target, value);
	return ret;
}

static int cmd_enable(bool on)
{
	int ret = need_module();

	if (ret)
		return ret;
	ret = need_root(on ? "enable" : "disable");
	if (ret)
		return ret;
	ret = write_checked("enabled", on ? "1" : "0", EX_FAIL);
	if (!ret)
		printf(json ? "{\"enabled\":%s}\n" : "enabled: %s\n",
		       json ? (on ? "true" : "false") : yesno(on));
	return ret;
}

/* ---- audit ----------------------------------------------------------------------------- */

#define MAX_GROUP_DEVS	32
#define MAX_HOLDERS	16

struct audit_dev {
	char bdf[32];
	char driver[64];
	int nosnoop;		/* 1/0, -1 no PCIe capability, -2 unreadable */
	int pasid;		/* 1 enabled, 0 disabled, -1 no cap, -2 unreadable */
};

struct audit_group {
	char name[16];
	char type[32];		/* default domain type */
	struct audit_dev devs[MAX_GROUP_DEVS];
	int ndevs;
	bool vfio;		/* a device is bound to a vfio driver */
	int holders[MAX_HOLDERS];
	int nholders;
	char holder_kind[16];	/* vfio-group | vfio-cdev | "" */
	int domain;		/* dmaguard domain id, -1 none */
	char coherent[16];	/* yes | no | unknown */
	char coherent_src[128];
	char verdict[256];
	bool exposed;
	char iommu[64];		/* iommu instance name */
};

/* dmaguard's view, if loaded. */
struct dg_view {
	bool loaded;
	bool enabled;
	char version[64];
	char default_policy[16];
	char prot_state[8][32];
	char prot_detail[8][160];
	char audit[2048];
};

static const char *const prot_names[] = {
	"vfio-map", "vfio-unmap", "iommufd-map", "iommufd-unmap", "sva-kva",
};
#define NPROTS (int)(sizeof(prot_names) / sizeof(prot_names[0]))

static void view_read(struct dg_view *v)
{
	char prots[4096], b[16], *line, *save;
	int i;

	memset(v, 0, sizeof(*v));
	v->loaded = module_loaded();
	if (!v->loaded)
		return;
	dg_read("version", v->version, sizeof(v->version));
	dg_read("enabled", b, sizeof(b));
	v->enabled = !strcmp(b, "1");
	dg_read("default_policy", v->default_policy,
		sizeof(v->default_policy));
	dg_read("audit", v->audit, sizeof(v->audit));
	if (dg_read("protections", prots, sizeof(prots)))
		return;
	for (line = strtok_r(prots, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32] = "", state[32] = "";
		int off = 0;

		if (sscanf(line, "%31s %31s %n", name, state, &off) < 2)
			continue;
		for (i = 0; i < NPROTS; i++)
			if (!strcmp(name, prot_names[i])) {
				snprintf(v->prot_state[i], 32, "%s", state);
				snprintf(v->prot_detail[i], 160, "%s",
					 off ? line + off : "");
			}
	}
}

static int prot_index(const char *name)
{
	int i;

	for (i = 0; i < NPROTS; i++)
		if (!strcmp(prot_names[i], name))
			return i;
	return 0;
}

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

/* The last component of a symlink's text (all of it when it has no '/'). */
static const char *link_base(const char *link)
{
	const char *s = strrchr(link, '/');

	return s ? s + 1 : link;
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
	int unmap = map + 1;

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
	if (strcmp(v->prot_state[map], "armed")) {
		snprintf(g->verdict, sizeof(g->verdict),
			 "exposed: non-coherent IOMMU domain and dmaguard %s is %s: %s",
			 prot_names[map], v->prot_state[map],
			 v->prot_detail[map]);
		return;
	}
	if (strcmp(v->prot_state[unmap], "armed")) {
		snprintf(g->verdict, sizeof(g->verdict),
			 "exposed: non-coherent IOMMU domain and dmaguard %s is %s: %s",
			 prot_names[unmap], v->prot_state[unmap],
			 v->prot_detail[unmap]);
		return;
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

static const char *nosnoop_word(int v)
{
	return v == 1 ? "set" : v == 0 ? "clear" :
	       v == -1 ? "n/a (no PCI Express capability)" :
	       "unreadable";
}

static const char *pasid_word(int v)
{
	return v == 1 ? "enabled" : v == 0 ? "disabled" :
	       v == -1 ? "no PASID capability" : "unreadable";
}

/* Value of "key" (and optional first word) in the module's audit file. */
static bool audit_kv(const struct dg_view *v, const char *prefix, char *out,
		     size_t len)
{
	const char *p = v->audit;
	size_t pl = strlen(prefix);

	while (p && *p) {
		if (!strncmp(p, prefix, pl) && p[pl] == ' ') {
			const char *e = strchr(p + pl + 1, '\n');
			size_t n = e ? (size_t)(e - p - pl - 1) : strlen(p + pl + 1);

			snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1),
				 p + pl + 1);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
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

#define MAX_GROUPS 256

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

static int cmd_audit(void)
{
	static struct audit_group groups[MAX_GROUPS];
	char cmdline[4096] = "", lockdown[128] = "", lock[64], val[64];
	char strict[160], passthrough[160], sva_fix[160], cfi[256];
	int ngroups, ndma, nfq, nid, ntotal, i, j, exposed = 0;
	struct utsname u;
	struct dg_view v;
	char *b, *e;
	int ret;

	ret = need_root("audit (PCI config space)");
	if (ret)
		return ret;
	uname(&u);
	view_read(&v);
	sys_read("/proc/cmdline", cmdline, sizeof(cmdline));

	/* Lockdown: the bracketed word of "none [integrity] confidentiality". */
	if (sys_read("/sys/kernel/security/lockdown", lockdown,
		     sizeof(lockdown))) {
		snprintf(lock, sizeof(lock), "unknown");
	} else {
		b = strchr(lockdown, '[');
		e = b ? strchr(b, ']') : NULL;
		snprintf(lock, sizeof(lock), "%.*s",
			 b && e ? (int)(e - b - 1) : 7, b && e ? b + 1 : "unknown");
	}

	/* iommu.strict: the command line wins, else what the groups show. */
	ngroups = audit_groups(groups, &ndma, &nfq, &nid, &ntotal);
	if (cmdline_param(cmdline, "iommu.strict", val, sizeof(val)))
		snprintf(strict, sizeof(strict), "%s (iommu.strict=%s)",
			 !strcmp(val, "0") ? "lazy" : "strict", val);
	else if (nfq)
		snprintf(strict, sizeof(strict),
			 "lazy (%d DMA-FQ group(s), kernel default)", nfq);
	else if (ndma)
		snprintf(strict, sizeof(strict), "strict (DMA groups)");
	else
		snprintf(strict, sizeof(strict), "unknown (no DMA groups)");
	if (cmdline_param(cmdline, "iommu.passthrough", val, sizeof(val)) &&
	    strcmp(val, "0"))
		snprintf(passthrough, sizeof(passthrough),
			 "yes (iommu.passthrough=%s)", val);
	else if (cmdline_param(cmdline, "iommu", val, sizeof(val)) &&
		 !strcmp(val, "pt"))
		snprintf(passthrough, sizeof(passthrough), "yes (iommu=pt)");
	else if (nid)
		snprintf(passthrough, sizeof(passthrough),
			 "%d identity group(s)", nid);
	else
		snprintf(passthrough, sizeof(passthrough), "no");
	cfi_state(v.audit, cfi, sizeof(cfi));
	if (!audit_kv(&v, "symbol iommu_sva_invalidate_kva_range", sva_fix,
		      sizeof(sva_fix)))
		snprintf(sva_fix, sizeof(sva_fix), "unknown (dmaguard not loaded)");

	for (i = 0; i < ngroups; i++) {
		struct audit_group *g = &groups[i];
		struct domain dom;

		memset(&dom, 0, sizeof(dom));
		for (j = 0; j < g->ndevs; j++)
			audit_pci(&g->devs[j]);
		audit_holders(g);
		if (v.loaded)
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
		audit_verdict(g, &v, &dom);
		exposed += g->exposed;
	}

	if (json) {
		jopen(NULL, '{');
		jopen("kernel", '{');
		jstr("release", u.release);
		jstr("iommu_strict", strict);
		jstr("passthrough", passthrough);
		jstr("lockdown", lock);
		jstr("cfi", cfi);
		jnum("iommu_groups", ntotal);
		jopen("native", '{');
		for (j = 0; j < NPROTS; j++) {
			char key[64];

			snprintf(key, sizeof(key), "native %s", prot_names[j]);
			if (audit_kv(&v, key, val, sizeof(val)))
				jbool(prot_names[j], !strcmp(val, "yes"));
			else
				jnull(prot_names[j]);
		}
		jclose('}');
		jstr("sva_kva_fix", sva_fix);
		jclose('}');
		jopen("dmaguard", '{');
		jbool("loaded", v.loaded);
		if (v.loaded) {
			jstr("version", v.version);
			jbool("enabled", v.enabled);
			jstr("default_policy", v.default_policy);
		}
		jclose('}');
		jopen("groups", '[');
	} else {
		printf("kernel %s\n", u.release);
		printf("  iommu.strict:     %s\n", strict);
		printf("  passthrough:      %s\n", passthrough);
		printf("  lockdown:         %s\n", lock);
		printf("  branch targets:   %s\n", cfi);
		printf("  iommu groups:     %d (%d DMA, %d DMA-FQ, %d identity)\n",
		       ntotal, ndma, nfq, nid);
		printf("  native:          ");
		for (j = 0; j < NPROTS; j++) {
			char key[64];

			snprintf(key, sizeof(key), "native %s", prot_names[j]);
			printf(" %s=%s", prot_names[j],
			       audit_kv(&v, key, val, sizeof(val)) ? val : "?");
		}
		printf("\n  sva kva fix:      iommu_sva_invalidate_kva_range %s\n",
		       sva_fix);
		if (v.loaded)
			printf("  dmaguard:         %s, %s, default policy %s\n",
			       v.version, v.enabled ? "enabled" : "disabled",
			       v.default_policy);
		else
			printf("  dmaguard:         not loaded\n");
		if (!ngroups)
			printf("no IOMMU group is bound to a VFIO driver\n");
	}

	for (i = 0; i < ngroups; i++) {
		struct audit_group *g = &groups[i];
		bool sva = false;

		for (j = 0; j < g->ndevs; j++)
			sva |= g->devs[j].pasid == 1;
		if (json) {
			jopen(NULL, '{');
			jnum("group", atoi(g->name));
			jstr("type", g->type);
			jstr("iommu", g->iommu);
			jopen("holders", '[');
			for (j = 0; j < g->nholders; j++)
				jnum(NULL, g->holders[j]);
			jclose(']');
			jstr("opened_as", g->holder_kind);
			if (g->domain >= 0)
				jnum("dmaguard_domain", g->domain);
			else
				jnull("dmaguard_domain");
			jstr("coherent", g->coherent);
			jstr("coherent_source", g->coherent_src);
			jbool("sva", sva);
			jopen("devices", '[');
			for (j = 0; j < g->ndevs; j++) {
				struct audit_dev *d = &g->devs[j];

				jopen(NULL, '{');
				jstr("bdf", d->bdf);
				jstr("driver", d->driver);
				if (d->nosnoop >= 0)
					jbool("no_snoop_enable", d->nosnoop);
				else
					jnull("no_snoop_enable");
				jstr("pasid", pasid_word(d->pasid));
				jclose('}');
			}
			jclose(']');
			jstr("verdict", g->verdict);
			jclose('}');
			continue;
		}
		printf("group %s\n", g->name);
		printf("  default domain:   %s%s\n", g->type,
		       !strcmp(g->type, "DMA-FQ") ? " (lazy invalidation)" :
		       !strcmp(g->type, "identity") ? " (no translation)" : "");
		printf("  open by:         ");
		if (!g->nholders)
			printf(" nobody");
		for (j = 0; j < g->nholders; j++)
			printf(" %d", g->holders[j]);
		printf("%s%s%s\n", g->nholders ? " (" : "", g->holder_kind,
		       g->nholders ? ")" : "");
		if (g->domain >= 0)
			printf("  dmaguard domain:  %d\n", g->domain);
		printf("  coherent:         %s (%s)\n", g->coherent,
		       g->coherent_src);
		for (j = 0; j < g->ndevs; j++)
			printf("  device %s: driver %s, No-Snoop Enable %s, PASID %s\n",
			       g->devs[j].bdf,
			       g->devs[j].driver[0] ? g->devs[j].driver : "none",
			       nosnoop_word(g->devs[j].nosnoop),
			       pasid_word(g->devs[j].pasid));
		printf("  sva:              %s\n", sva ? "in use (PASID enabled)" : "no");
		printf("  verdict:          %s\n", g->verdict);
	}
	if (json) {
		jclose(']');
		jnum("exposed", exposed);
		jclose('}');
	}
	return exposed ? EX_EXPOSED : EX_OK;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
"usage: dmaguardctl [--json] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  status                      version, kernel, enabled, default policy,\n"
"                              protections\n"
"  domains                     tracked IOMMU domains (id, owner, pid, devices,\n"
"                              coherent, policy, flushing, mapped/flushed bytes)\n"
"  set <id|default> <auto|always|never>\n"
"                              policy of one domain, or of new domains (root)\n"
"  enable | disable            global kill switch (root)\n"
"  stats                       global counters\n"
"  audit                       IOMMU posture per VFIO group, with a verdict (root)\n"
"\n"
"options:\n"
"  -j, --json                  one JSON document on stdout\n"
"  -h, --help                  this text\n"
"  -V, --version               dmaguardctl's version\n"
"\n"
"exit status:\n"
"  0 success   1 I/O error   2 usage   3 needs root   4 dmaguard not loaded\n"
"  5 no such domain   6 bad policy value   7 audit: a group is exposed\n");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i = 1;

	if (getenv("DMAGUARD_SYSFS"))
		sysfs = getenv("DMAGUARD_SYSFS");
	if (getenv("DMAGUARD_SYSROOT"))
		sysroot = getenv("DMAGUARD_SYSROOT");

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EX_OK;
		} else if (!strcmp(argv[i], "-V") ||
			   !strcmp(argv[i], "--version")) {
			printf("dmaguardctl %s\n", DMAGUARDCTL_VERSION);
			return EX_OK;
		} else {
			err("unknown option '%s'", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[i++];
	argc -= i;
	argv += i;

#define NARGS(n) do {							\
	if (argc != (n)) {						\
		err("'%s' takes %d argument%s", cmd, n, n == 1 ? "" : "s"); \
		usage(stderr);						\
		return EX_USAGE;					\
	}								\
} while (0)

	if (!strcmp(cmd, "status")) {
		NARGS(0);
		return cmd_status();
	}
	if (!strcmp(cmd, "domains")) {
		NARGS(0);
		return cmd_domains();
	}
	if (!strcmp(cmd, "stats")) {
		NARGS(0);
		return cmd_stats();
	}
	if (!strcmp(cmd, "set")) {
		NARGS(2);
		return cmd_set(argv[0], argv[1]);
	}
	if (!strcmp(cmd, "enable") || !strcmp(cmd, "disable")) {
		NARGS(0);
		return cmd_enable(!strcmp(cmd, "enable"));
	}
	if (!strcmp(cmd, "audit")) {
		NARGS(0);
		return cmd_audit();
	}
	err("unknown command '%s'", cmd);
	usage(stderr);
	return EX_USAGE;
}
