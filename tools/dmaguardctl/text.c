// SPDX-License-Identifier: GPL-2.0-only
/* dmaguardctl: output for people. */
#include <stdio.h>
#include <string.h>

#include "dmaguardctl.h"

void text_status(const struct status *s)
{
	int i;

	printf("dmaguard %s on %s\n", s->version, s->u.release);
	printf("enabled:         %s\n", yesno(!strcmp(s->enabled, "1")));
	printf("default policy:  %s\n", s->policy);
	printf("branch targets:  %s\n", s->cfi);
	printf("domains:         %d\n", s->ndomains);
	printf("protections:\n");
	for (i = 0; i < s->nprot; i++)
		printf("  %-14s %-15s %s\n", s->prot[i].name, s->prot[i].state,
		       s->prot[i].detail);
	if (s->nhooks < 0) {
		printf("hook rows:       not reported by this module version\n");
		return;
	}
	if (!s->nhooks)
		return;
	printf("hook rows (set, function hooked, state, resolved to):\n");
	for (i = 0; i < s->nhooks; i++)
		printf("  %-11s %-44s %-8s %s\n", s->hook[i].set,
		       s->hook[i].row, s->hook[i].state, s->hook[i].resolved);
}

void text_domains(const struct domain *dd, int n)
{
	int i;

	printf("%-4s %-10s %-7s %-24s %-8s %-6s %-8s %12s %14s\n",
	       "ID", "OWNER", "PID", "DEVICES", "COHERENT", "POLICY",
	       "FLUSHING", "MAPPED", "FLUSHED");
	for (i = 0; i < n; i++) {
		const struct domain *d = &dd[i];

		printf("%-4u %-10s %-7lld %-24s %-8s %-6s %-8s %12lld %14lld\n",
		       d->id, d->owner, d->pid,
		       d->devices[0] ? d->devices : "-",
		       coherent_word(d->coherent), d->policy,
		       yesno(d->flushing == 1), d->mapped_bytes,
		       d->flushed_bytes);
	}
}

/* Who owns each domain: the comm, and QEMU's -name and -uuid. */
void text_domains_verbose(const struct domain *dd, int n)
{
	int i;

	printf("%-4s %-10s %-7s %-16s %-20s %-36s %-8s %-6s %-8s\n",
	       "ID", "OWNER", "PID", "COMM", "VM", "UUID", "COHERENT",
	       "POLICY", "FLUSHING");
	for (i = 0; i < n; i++) {
		const struct domain *d = &dd[i];

		printf("%-4u %-10s %-7lld %-16s %-20s %-36s %-8s %-6s %-8s\n",
		       d->id, d->owner, d->pid,
		       d->vm.comm[0] ? d->vm.comm : "-",
		       d->vm.name[0] ? d->vm.name : "-",
		       d->vm.uuid[0] ? d->vm.uuid : "-",
		       coherent_word(d->coherent), d->policy,
		       yesno(d->flushing == 1));
	}
}

void text_stats(const struct stats *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		printf("%-24s %lld\n", s->kv[i].key, s->kv[i].val);
}

void text_set(const char *target, const char *value)
{
	printf("%s policy: %s\n",
	       strcmp(target, "default") ? "domain" : "default", value);
}

void text_enable(bool on)
{
	printf("enabled: %s\n", yesno(on));
}

void text_audit(const struct audit_report *r)
{
	const struct dg_view *v = &r->v;
	int i, j;

	printf("kernel %s\n", r->u.release);
	printf("  iommu.strict:     %s\n", r->strict);
	printf("  passthrough:      %s\n", r->passthrough);
	printf("  lockdown:         %s\n", r->lock);
	printf("  branch targets:   %s\n", r->cfi);
	printf("  iommu groups:     %d (%d DMA, %d DMA-FQ, %d identity)\n",
	       r->ntotal, r->ndma, r->nfq, r->nid);
	printf("  native:          ");
	for (j = 0; j < NPROTS; j++)
		printf(" %s=%s", prot_names[j],
		       r->native_known[j] ? r->native[j] : "?");
	printf("\n  sva kva fix:      iommu_sva_invalidate_kva_range %s\n",
	       r->sva_fix);
	if (v->loaded)
		printf("  dmaguard:         %s, %s, default policy %s\n",
		       v->version, v->enabled ? "enabled" : "disabled",
		       v->default_policy);
	else
		printf("  dmaguard:         not loaded\n");
	if (!r->ngroups)
		printf("no IOMMU group is bound to a VFIO driver\n");

	for (i = 0; i < r->ngroups; i++) {
		const struct audit_group *g = &r->groups[i];

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
		printf("  sva:              %s\n",
		       g->sva ? "in use (PASID enabled)" : "no");
		printf("  verdict:          %s\n", g->verdict);
	}
}
