// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguardctl: the model of /sys/kernel/dmaguard (DESIGN §4): status,
 * stats, protections, domains, and the module's audit file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmaguardctl.h"

/* ---- domains ---- */

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
int domain_read(unsigned int id, struct domain *d)
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
int domain_ids(unsigned int *ids, int max)
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

/*
 * Reads every domain (those destroyed while we list are skipped), with
 * its owner's identity when ident; the count, or -errno.
 */
int domain_list(struct domain *doms, int max, bool ident)
{
	static unsigned int ids[MAX_DOMAINS];
	int i, n, nd = 0;

	n = domain_ids(ids, max < MAX_DOMAINS ? max : MAX_DOMAINS);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (domain_read(ids[i], &doms[nd]))
			continue;
		if (ident)
			vm_ident_read(doms[nd].pid, &doms[nd].vm);
		nd++;
	}
	return nd;
}

const char *coherent_word(const char *c)
{
	return !strcmp(c, "1") ? "yes" : !strcmp(c, "0") ? "no" : c;
}

/* ---- status and stats ---- */

/*
 * Branch-target enforcement (x86 IBT, arm64 BTI) and how dmaguard reaches
 * the functions it hooks: the "cfi" line of the module's audit file
 * (@audit, "" when not loaded), else the CPU flag the kernel shows in
 * /proc/cpuinfo when it enforces IBT.
 */
void cfi_state(const char *audit, char *out, size_t len)
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

/* What 'status' shows; an exit code. */
/* The hooks file's rows (status --verbose); -1 rows if there is none. */
static void hooks_read(struct status *s)
{
	static char buf[32768];
	char *line, *save;

	s->nhooks = -1;
	if (dg_read("hooks", buf, sizeof(buf)))
		return;
	s->nhooks = 0;
	for (line = strtok_r(buf, "\n", &save);
	     line && s->nhooks < MAX_HOOK_ROWS;
	     line = strtok_r(NULL, "\n", &save)) {
		struct hook_row *h = &s->hook[s->nhooks];
		char set[32], row[96], state[16], res[128];

		if (sscanf(line, "%31s %95s %15s %127s", set, row, state,
			   res) != 4)
			continue;
		sanitize_text(set, strlen(set), h->set, sizeof(h->set));
		sanitize_text(row, strlen(row), h->row, sizeof(h->row));
		sanitize_text(state, strlen(state), h->state, sizeof(h->state));
		sanitize_text(res, strlen(res), h->resolved,
			      sizeof(h->resolved));
		s->nhooks++;
	}
}

int status_read(struct status *s, bool verbose)
{
	char *line, *save;
	unsigned int ids[MAX_DOMAINS];
	int ret;

	memset(s, 0, sizeof(*s));
	ret = need_module();
	if (ret)
		return ret;
	if (dg_read("version", s->version, sizeof(s->version)) ||
	    dg_read("enabled", s->enabled, sizeof(s->enabled)) ||
	    dg_read("default_policy", s->policy, sizeof(s->policy)) ||
	    dg_read("protections", s->prots, sizeof(s->prots))) {
		err("cannot read %s: %s", sysfs, strerror(errno));
		return EX_FAIL;
	}
	if (dg_read("audit", s->audit, sizeof(s->audit)))
		s->audit[0] = '\0';
	cfi_state(s->audit, s->cfi, sizeof(s->cfi));
	uname(&s->u);
	s->ndomains = domain_ids(ids, MAX_DOMAINS);
	if (s->ndomains < 0)
		s->ndomains = 0;
	for (line = strtok_r(s->prots, "\n", &save);
	     line && s->nprot < MAX_PROT_LINES;
	     line = strtok_r(NULL, "\n", &save)) {
		struct prot_line *p = &s->prot[s->nprot];
		int off = 0;

		if (sscanf(line, "%31s %31s %n", p->name, p->state, &off) < 2) {
			memset(p, 0, sizeof(*p));
			continue;
		}
		p->detail = off ? line + off : "";
		s->nprot++;
	}
	if (verbose)
		hooks_read(s);
	return EX_OK;
}

/* The stats file as key/value pairs; an exit code. */
int stats_read(struct stats *s)
{
	char *line, *save;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = need_module();
	if (ret)
		return ret;
	if (dg_read("stats", s->buf, sizeof(s->buf))) {
		err("cannot read %s/stats: %s", sysfs, strerror(errno));
		return EX_FAIL;
	}
	for (line = strtok_r(s->buf, "\n", &save); line && s->n < MAX_STATS;
	     line = strtok_r(NULL, "\n", &save)) {
		struct stat_kv *kv = &s->kv[s->n];

		if (sscanf(line, "%63s %lld", kv->key, &kv->val) != 2)
			continue;
		s->n++;
	}
	return EX_OK;
}

/* ---- dmaguard's view, for the audit ---- */

const char *const prot_names[] = {
	"vfio-map", "vfio-unmap", "iommufd-map", "iommufd-unmap", "sva-kva",
};

void view_read(struct dg_view *v)
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

int prot_index(const char *name)
{
	int i;

	for (i = 0; i < NPROTS; i++)
		if (!strcmp(prot_names[i], name))
			return i;
	return 0;
}

/* Value of "key" (and optional first word) in the module's audit file. */
bool audit_kv(const struct dg_view *v, const char *prefix, char *out,
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
