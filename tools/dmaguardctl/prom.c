// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguardctl: output for Prometheus, the text exposition format 0.0.4
 * (what node_exporter's textfile collector reads). Counters end in _total,
 * units are base units (bytes, seconds); every family is written once, with
 * its HELP and TYPE, all its series together. Label values are made valid
 * UTF-8 without control characters, then escaped (\\, \", \n).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmaguardctl.h"

static const char *const states[] = {
	"armed", "native", "unavailable", "not-applicable", "disabled",
};

/* What each stats key means; unknown keys export as plain counters. */
static const struct {
	const char *key, *help;
	bool gauge;
} stat_help[] = {
	{ "flushes", "Flush runs (one per traced event).", false },
	{ "flushed_bytes", "Bytes flushed from the CPU caches.", false },
	{ "flush_ns", "Time spent flushing.", false },
	{ "flush_waits", "Fences: one per batch of runs, and one per 2 MiB flushed.", false },
	{ "map_flushes", "Flush runs at map time.", false },
	{ "unmap_flushes", "Flush runs at unmap time (teardown included).", false },
	{ "teardown_flushes", "Flush runs at domain teardown.", false },
	{ "skipped_coherent", "Runs not flushed: coherent domain, policy never or enabled=0.", false },
	{ "skipped_coherent_bytes", "Bytes not flushed: coherent domain, policy never or enabled=0.", false },
	{ "skipped_uncacheable", "Pages not flushed because they are uncacheable.", false },
	{ "unattributed_flushes", "Runs for a container dmaguard had not seen (flushed as not coherent).", false },
	{ "sva_invalidations", "Secondary-TLB invalidations issued for SVA.", false },
	{ "sva_mms", "SVA mms currently tracked.", true },
	{ "sva_binds_refused", "SVA binds refused because dmaguard could not track them (out of memory).", false },
	{ "domains_created", "Domains created.", false },
	{ "domains_destroyed", "Domains destroyed.", false },
};

static void label(FILE *f, const char *key, const char *val, bool comma)
{
	char clean[1024];
	const char *p;

	sanitize_text(val, strlen(val), clean, sizeof(clean));
	fprintf(f, "%s%s=\"", comma ? "," : "", key);
	for (p = clean; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static bool metric_name_ok(const char *s)
{
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void prom_stats(FILE *f, const struct stats *s)
{
	char name[128], help[160];
	size_t h;
	int i, j;

	for (i = 0; i < s->n; i++) {
		const char *key = s->kv[i].key, *desc = NULL;
		size_t kl = strlen(key);
		bool gauge = false, dup = false;

		if (!kl || !metric_name_ok(key))
			continue;
		for (j = 0; j < i; j++)
			dup |= !strcmp(s->kv[j].key, key);
		if (dup)
			continue;	/* one family once */
		for (h = 0; h < sizeof(stat_help) / sizeof(stat_help[0]); h++)
			if (!strcmp(stat_help[h].key, key)) {
				desc = stat_help[h].help;
				gauge = stat_help[h].gauge;
			}
		if (!desc) {
			snprintf(help, sizeof(help), "dmaguard stats '%s'.", key);
			desc = help;
		}
		if (kl > 3 && !strcmp(key + kl - 3, "_ns")) {
			snprintf(name, sizeof(name), "dmaguard_%.*s_seconds_total",
				 (int)(kl - 3), key);
			family(f, name, "counter", desc);
			fprintf(f, "%s %.9f\n", name, s->kv[i].val / 1e9);
			continue;
		}
		snprintf(name, sizeof(name), "dmaguard_%s%s", key,
			 gauge ? "" : "_total");
		family(f, name, gauge ? "gauge" : "counter", desc);
		fprintf(f, "%s %lld\n", name, s->kv[i].val);
	}
}

/* A domain's labels; @policy (or NULL) adds the policy label last. */
static void dom_labels(FILE *f, const struct domain *d, const char *policy)
{
	char id[16], pid[24];

	snprintf(id, sizeof(id), "%u", d->id);
	snprintf(pid, sizeof(pid), "%lld", d->pid);
	fputc('{', f);
	label(f, "domain", id, false);
	label(f, "owner", d->owner, true);
	label(f, "pid", pid, true);
	label(f, "comm", d->vm.comm, true);
	label(f, "vm", d->vm.name, true);
	label(f, "vm_uuid", d->vm.uuid, true);
	if (policy)
		label(f, "policy", policy, true);
	fputc('}', f);
}

enum dom_field { DF_MAPPED, DF_FLUSHED, DF_SECONDS, DF_MAPF, DF_UNMAPF,
		 DF_COHERENT, DF_FLUSHING, DF_POLICY };

static const struct {
	const char *name, *type, *help;
} dom_fields[] = {
	[DF_MAPPED] = { "dmaguard_domain_mapped_bytes", "gauge",
		"Bytes currently pinned and mapped in the domain." },
	[DF_FLUSHED] = { "dmaguard_domain_flushed_bytes_total", "counter",
		"Bytes flushed for the domain." },
	[DF_SECONDS] = { "dmaguard_domain_flush_seconds_total", "counter",
		"Time spent flushing for the domain." },
	[DF_MAPF] = { "dmaguard_domain_map_flushes_total", "counter",
		"Flush runs at map time for the domain." },
	[DF_UNMAPF] = { "dmaguard_domain_unmap_flushes_total", "counter",
		"Flush runs at unmap and teardown time for the domain." },
	[DF_COHERENT] = { "dmaguard_domain_coherent", "gauge",
		"1 if the domain enforces cache coherency, 0 if not or unknown." },
	[DF_FLUSHING] = { "dmaguard_domain_flushing", "gauge",
		"1 if dmaguard flushes for the domain (policy and coherency)." },
	[DF_POLICY] = { "dmaguard_domain_policy_info", "gauge",
		"The domain's policy, as a label (value always 1)." },
};

static void prom_domains(FILE *f, const struct metrics *m)
{
	size_t k;
	int i;

	if (!m->ndoms)
		return;
	for (k = 0; k < sizeof(dom_fields) / sizeof(dom_fields[0]); k++) {
		family(f, dom_fields[k].name, dom_fields[k].type,
		       dom_fields[k].help);
		for (i = 0; i < m->ndoms; i++) {
			const struct domain *d = &m->doms[i];

			fputs(dom_fields[k].name, f);
			if (k == DF_POLICY) {
				dom_labels(f, d, d->policy);
				fputs(" 1\n", f);
				continue;
			}
			dom_labels(f, d, NULL);
			switch (k) {
			case DF_MAPPED:
				fprintf(f, " %lld\n", d->mapped_bytes);
				break;
			case DF_FLUSHED:
				fprintf(f, " %lld\n", d->flushed_bytes);
				break;
			case DF_SECONDS:
				fprintf(f, " %.9f\n", d->flush_ns / 1e9);
				break;
			case DF_MAPF:
				fprintf(f, " %lld\n", d->map_flushes);
				break;
			case DF_UNMAPF:
				fprintf(f, " %lld\n", d->unmap_flushes);
				break;
			case DF_COHERENT:
				fprintf(f, " %d\n", !strcmp(d->coherent, "1"));
				break;
			default:
				fprintf(f, " %d\n", d->flushing == 1);
				break;
			}
		}
	}
}

static void prom_protections(FILE *f, const struct status *st)
{
	size_t s;
	int i, j;

	if (!st->nprot)
		return;
	family(f, "dmaguard_protection_state", "gauge",
	       "1 for the protection's current state, 0 for the others.");
	for (i = 0; i < st->nprot; i++) {
		bool dup = false;

		for (j = 0; j < i; j++)
			dup |= !strcmp(st->prot[j].name, st->prot[i].name);
		if (dup)
			continue;	/* no duplicate series */
		for (s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			fputs("dmaguard_protection_state{", f);
			label(f, "protection", st->prot[i].name, false);
			label(f, "state", states[s], true);
			fprintf(f, "} %d\n", !strcmp(st->prot[i].state, states[s]));
		}
	}
}

static void prom_audit(FILE *f, const struct audit_report *r)
{
	int i;

	family(f, "dmaguard_audit_exposed_groups", "gauge",
	       "IOMMU groups bound to VFIO whose audit verdict is exposed.");
	fprintf(f, "dmaguard_audit_exposed_groups %d\n", r->exposed);
	family(f, "dmaguard_audit_groups", "gauge",
	       "IOMMU groups bound to a VFIO driver.");
	fprintf(f, "dmaguard_audit_groups %d\n", r->ngroups);
	if (!r->ngroups)
		return;
	family(f, "dmaguard_audit_group_exposed", "gauge",
	       "1 if the group is exposed; the verdict is a label.");
	for (i = 0; i < r->ngroups; i++) {
		const struct audit_group *g = &r->groups[i];

		fputs("dmaguard_audit_group_exposed{", f);
		label(f, "group", g->name, false);
		label(f, "verdict", g->verdict, true);
		fprintf(f, "} %d\n", g->exposed);
	}
}

/* Writes every family; 0 (write errors are the caller's, from ferror()). */
int prom_metrics(FILE *f, const struct metrics *m)
{
	const struct status *st = &m->status;

	family(f, "dmaguard_loaded", "gauge",
	       "1 if the dmaguard module is loaded.");
	fprintf(f, "dmaguard_loaded %d\n", m->loaded);
	if (m->have_status) {
		family(f, "dmaguard_info", "gauge",
		       "dmaguard's version and the kernel's, as labels (value always 1).");
		fputs("dmaguard_info{", f);
		label(f, "version", st->version, false);
		label(f, "kernel", st->u.release, true);
		fputs("} 1\n", f);
		family(f, "dmaguard_enabled", "gauge",
		       "1 if dmaguard is enabled (the global kill switch).");
		fprintf(f, "dmaguard_enabled %d\n", !strcmp(st->enabled, "1"));
		family(f, "dmaguard_default_policy_info", "gauge",
		       "The policy new domains get, as a label (value always 1).");
		fputs("dmaguard_default_policy_info{", f);
		label(f, "policy", st->policy, false);
		fputs("} 1\n", f);
		family(f, "dmaguard_domains", "gauge",
		       "Tracked user-owned IOMMU domains.");
		fprintf(f, "dmaguard_domains %d\n", m->ndoms);
		prom_protections(f, st);
	}
	if (m->have_stats)
		prom_stats(f, &m->stats);
	prom_domains(f, m);
	family(f, "dmaguard_audit_run", "gauge",
	       "1 if this scrape ran the posture audit (it needs root).");
	fprintf(f, "dmaguard_audit_run %d\n", m->audit_ran);
	if (m->audit_ran)
		prom_audit(f, &m->audit);
	return EX_OK;
}
