// SPDX-License-Identifier: GPL-2.0-only
/*
 * Protection table: what dmaguard protects on this kernel right now, as the
 * protections file reports it. hooks/ set a protection armed or unavailable
 * (with the reason) as they arm and disarm; main.c sets the ones this
 * kernel or arch makes native or not applicable. The global kill switch
 * shows armed protections as disabled.
 */
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "dmaguard.h"

struct dg_protection {
	const char *name;
	enum dg_pstate state;
	char detail[DG_DETAIL_LEN];
};

static DEFINE_MUTEX(dg_prot_lock);
static struct dg_protection dg_prots[DG_PROT_NR] = {
	[DG_PROT_VFIO_MAP] = { "vfio-map", DG_PS_UNAVAILABLE, "not probed" },
	[DG_PROT_VFIO_UNMAP] = { "vfio-unmap", DG_PS_UNAVAILABLE, "not probed" },
	[DG_PROT_IOMMUFD_MAP] = { "iommufd-map", DG_PS_UNAVAILABLE, "not probed" },
	[DG_PROT_IOMMUFD_UNMAP] = { "iommufd-unmap", DG_PS_UNAVAILABLE, "not probed" },
	[DG_PROT_SVA_KVA] = { "sva-kva", DG_PS_UNAVAILABLE, "not probed" },
};

static const char *const dg_pstate_names[] = {
	[DG_PS_ARMED] = "armed",
	[DG_PS_NATIVE] = "native",
	[DG_PS_UNAVAILABLE] = "unavailable",
	[DG_PS_NOT_APPLICABLE] = "not-applicable",
	[DG_PS_DISABLED] = "disabled",
};

void dg_prot_set(enum dg_prot prot, enum dg_pstate state, const char *fmt, ...)
{
	va_list args;

	mutex_lock(&dg_prot_lock);
	dg_prots[prot].state = state;
	va_start(args, fmt);
	vscnprintf(dg_prots[prot].detail, DG_DETAIL_LEN, fmt, args);
	va_end(args);
	mutex_unlock(&dg_prot_lock);
}

enum dg_pstate dg_prot_state(enum dg_prot prot)
{
	return READ_ONCE(dg_prots[prot].state);
}

const char *dg_prot_name(enum dg_prot prot)
{
	return dg_prots[prot].name;
}

/* Looks up a protection by name (for require=); -EINVAL if unknown. */
int dg_prot_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < DG_PROT_NR; i++)
		if (strlen(dg_prots[i].name) == len &&
		    !memcmp(dg_prots[i].name, name, len))
			return i;
	return -EINVAL;
}

ssize_t dg_prot_show(char *buf)
{
	bool enabled = READ_ONCE(dg_enabled);
	ssize_t off = 0;
	int i;

	mutex_lock(&dg_prot_lock);
	for (i = 0; i < DG_PROT_NR; i++) {
		const struct dg_protection *p = &dg_prots[i];

		if (!enabled && p->state == DG_PS_ARMED)
			off += sysfs_emit_at(buf, off, "%s %s %s\n", p->name,
					     dg_pstate_names[DG_PS_DISABLED],
					     "enabled=0 (hooks armed, no flushing)");
		else
			off += sysfs_emit_at(buf, off, "%s %s %s\n", p->name,
					     dg_pstate_names[p->state],
					     p->detail);
	}
	mutex_unlock(&dg_prot_lock);
	return off;
}
