// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/kernel/dmaguard/audit: the kernel-side half of the posture audit.
 *
 * dmaguardctl audit reads IOMMU groups, PCI config space and /proc/cmdline
 * itself; this file gives it what user space cannot see: which of the
 * mitigations dmaguard retrofits this kernel already does natively, which
 * kernel options the threats depend on, and whether the upstream SVA fix
 * (iommu_sva_invalidate_kva_range(), 6.19) is present in this kernel.
 *
 * Format: one "key value..." line per fact, keys stable (tests and
 * dmaguardctl parse them):
 *   kernel <release>
 *   arch <x86_64|arm64>
 *   coherency <where VFIO domain coherency comes from on this arch>
 *   cfi <branch-target enforcement (IBT, BTI) and how originals are called>
 *   native <protection> yes|no
 *   config <OPTION> y|n
 *   symbol <name> present|absent
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>
#include <linux/utsname.h>
#include "dmaguard.h"
#include "../arch/arch.h"

/* Kernel functions whose presence means a mitigation is native. */
static const char *const dg_audit_symbols[] = {
	"iommu_sva_invalidate_kva_range",	/* sva-kva, mainline 6.19 */
};

static DEFINE_MUTEX(dg_audit_lock);
static int dg_audit_present[ARRAY_SIZE(dg_audit_symbols)];
static bool dg_audit_probed;

/*
 * kallsyms_lookup_name() is not exported: a kprobe registration resolves
 * the name (and fails with -ENOENT if the kernel has no such function).
 * Done at load: the audit file is world-readable, and a read must not
 * patch kernel text.
 */
void dg_audit_init(void)
{
	unsigned int i;

	mutex_lock(&dg_audit_lock);
	if (dg_audit_probed)
		goto out;
	for (i = 0; i < ARRAY_SIZE(dg_audit_symbols); i++) {
		struct kprobe kp = { .symbol_name = dg_audit_symbols[i] };
		int ret = register_kprobe(&kp);

		/* Only -ENOENT means "no such function"; not probeable is. */
		dg_audit_present[i] = ret != -ENOENT;
		if (!ret)
			unregister_kprobe(&kp);
	}
	dg_audit_probed = true;
out:
	mutex_unlock(&dg_audit_lock);
}

static ssize_t audit_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	static const struct {
		const char *name;
		bool on;
	} configs[] = {
		{ "IOMMU_SVA", IS_ENABLED(CONFIG_IOMMU_SVA) },
		{ "IOMMUFD", IS_ENABLED(CONFIG_IOMMUFD) },
		{ "VFIO_IOMMU_TYPE1", IS_ENABLED(CONFIG_VFIO_IOMMU_TYPE1) },
		{ "SECURITY_LOCKDOWN_LSM", IS_ENABLED(CONFIG_SECURITY_LOCKDOWN_LSM) },
		{ "MODULE_SIG", IS_ENABLED(CONFIG_MODULE_SIG) },
	};
	ssize_t off = 0;
	unsigned int i;
	int prot;

	off += sysfs_emit_at(buf, off, "kernel %s\n", init_utsname()->release);
	off += sysfs_emit_at(buf, off, "arch %s\n", init_utsname()->machine);
	off += sysfs_emit_at(buf, off, "coherency %s\n",
			     dg_arch_coherency_note());
	off += sysfs_emit_at(buf, off, "cfi %s\n", dg_arch_cfi_state());
	for (prot = 0; prot < DG_PROT_NR; prot++)
		off += sysfs_emit_at(buf, off, "native %s %s\n",
				     dg_prot_name(prot),
				     dg_prot_state(prot) == DG_PS_NATIVE ?
				     "yes" : "no");
	for (i = 0; i < ARRAY_SIZE(configs); i++)
		off += sysfs_emit_at(buf, off, "config %s %s\n",
				     configs[i].name, configs[i].on ? "y" : "n");

	mutex_lock(&dg_audit_lock);
	for (i = 0; i < ARRAY_SIZE(dg_audit_symbols); i++)
		off += sysfs_emit_at(buf, off, "symbol %s %s\n",
				     dg_audit_symbols[i],
				     dg_audit_present[i] ? "present" : "absent");
	mutex_unlock(&dg_audit_lock);
	return off;
}

/* Listed in sysfs.c's global attributes. */
struct kobj_attribute dg_attr_audit = __ATTR_RO(audit);
