// SPDX-License-Identifier: GPL-2.0-only
/* dmaguardctl: output for machines (--json), one JSON document on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmaguardctl.h"

/* ---- the writer ---- */

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

static void jstr_or_null(const char *key, const char *val)
{
	if (*val)
		jstr(key, val);
	else
		jnull(key);
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

static void json_domain1(const struct domain *d)
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
	jstr_or_null("comm", d->vm.comm);
	jstr_or_null("vm", d->vm.name);
	jstr_or_null("vm_uuid", d->vm.uuid);
	jclose('}');
}

void json_domains(const struct domain *d, int n)
{
	int i;

	jopen(NULL, '[');
	for (i = 0; i < n; i++)
		json_domain1(&d[i]);
	jclose(']');
}

void json_status(const struct status *s)
{
	int i;

	jopen(NULL, '{');
	jstr("version", s->version);
	jstr("kernel", s->u.release);
	jbool("enabled", !strcmp(s->enabled, "1"));
	jstr("default_policy", s->policy);
	jstr("cfi", s->cfi);
	jnum("domains", s->ndomains);
	jopen("protections", '[');
	for (i = 0; i < s->nprot; i++) {
		jopen(NULL, '{');
		jstr("name", s->prot[i].name);
		jstr("state", s->prot[i].state);
		jstr("detail", s->prot[i].detail);
		jclose('}');
	}
	jclose(']');
	if (s->nhooks > 0) {
		jopen("hooks", '[');
		for (i = 0; i < s->nhooks; i++) {
			jopen(NULL, '{');
			jstr("set", s->hook[i].set);
			jstr("row", s->hook[i].row);
			jstr("state", s->hook[i].state);
			jstr("resolved", s->hook[i].resolved);
			jclose('}');
		}
		jclose(']');
	}
	jclose('}');
}

void json_stats(const struct stats *s)
{
	int i;

	jopen(NULL, '{');
	for (i = 0; i < s->n; i++)
		jnum(s->kv[i].key, s->kv[i].val);
	jclose('}');
}

void json_set(const char *target, const char *value)
{
	printf("{\"target\":\"%s\",\"policy\":\"%s\"}\n", target, value);
}

void json_set_vm(unsigned int id, const char *vm, const char *value)
{
	char target[16];

	snprintf(target, sizeof(target), "%u", id);
	jopen(NULL, '{');
	jstr("target", target);
	jstr("vm", vm);
	jstr("policy", value);
	jclose('}');
}

void json_enable(bool on)
{
	printf("{\"enabled\":%s}\n", on ? "true" : "false");
}

void json_audit(const struct audit_report *r)
{
	const struct dg_view *v = &r->v;
	int i, j;

	jopen(NULL, '{');
	jopen("kernel", '{');
	jstr("release", r->u.release);
	jstr("iommu_strict", r->strict);
	jstr("passthrough", r->passthrough);
	jstr("lockdown", r->lock);
	jstr("cfi", r->cfi);
	jnum("iommu_groups", r->ntotal);
	jopen("native", '{');
	for (j = 0; j < NPROTS; j++) {
		if (r->native_known[j])
			jbool(prot_names[j], !strcmp(r->native[j], "yes"));
		else
			jnull(prot_names[j]);
	}
	jclose('}');
	jstr("sva_kva_fix", r->sva_fix);
	jclose('}');
	jopen("dmaguard", '{');
	jbool("loaded", v->loaded);
	if (v->loaded) {
		jstr("version", v->version);
		jbool("enabled", v->enabled);
		jstr("default_policy", v->default_policy);
	}
	jclose('}');
	jopen("groups", '[');
	for (i = 0; i < r->ngroups; i++) {
		const struct audit_group *g = &r->groups[i];

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
		jbool("sva", g->sva);
		jopen("devices", '[');
		for (j = 0; j < g->ndevs; j++) {
			const struct audit_dev *d = &g->devs[j];

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
	}
	jclose(']');
	jnum("exposed", r->exposed);
	jclose('}');
}
