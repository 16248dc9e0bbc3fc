// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguard lifecycle: module parameters, init and exit. Brings up the arch
 * backend, the control plane and then the hooks (the only place the core
 * calls into hooks/), and takes them down in reverse.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include "dmaguard.h"
#include "../hooks/hooks.h"
#include "../arch/arch.h"

struct dg_stats dg_stats;

bool dg_enabled = true;
module_param_named(enabled, dg_enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Flush at all (runtime: /sys/kernel/dmaguard/enabled)");

int dg_default_policy = DG_POLICY_AUTO;
static char *default_policy = "auto";
module_param(default_policy, charp, 0444);
MODULE_PARM_DESC(default_policy, "Policy of new domains: auto, always or never");

static char *require = "";
module_param(require, charp, 0444);
MODULE_PARM_DESC(require,
		 "Comma separated protections that must arm, else the load (or the target module's load) fails: vfio-map,vfio-unmap,iommufd-map,iommufd-unmap,sva-kva or all");

static int dg_parse_require(const char *s, unsigned long *mask)
{
	*mask = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		int prot;

		if (len == 3 && !memcmp(s, "all", 3)) {
			*mask = GENMASK(DG_PROT_NR - 1, 0);
		} else if (len) {
			prot = dg_prot_lookup(s, len);
			if (prot < 0)
				return prot;
			__set_bit(prot, mask);
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* Protections no hook set reports on this kernel: say why. */
static void dg_static_protections(void)
{
	if (IS_ENABLED(CONFIG_IOMMUFD))
		return;		/* hooks/iommufd.c reports them */
	dg_prot_set(DG_PROT_IOMMUFD_MAP, DG_PS_NOT_APPLICABLE,
		    "kernel built without CONFIG_IOMMUFD");
	dg_prot_set(DG_PROT_IOMMUFD_UNMAP, DG_PS_NOT_APPLICABLE,
		    "kernel built without CONFIG_IOMMUFD");
}

static int __init dmaguard_init(void)
{
	unsigned long require_mask;
	int ret, prot;

	ret = dg_policy_parse(default_policy, strlen(default_policy));
	if (ret < 0) {
		pr_err("dmaguard: default_policy=%s: want auto, always or never\n",
		       default_policy);
		return ret;
	}
	dg_default_policy = ret;

	ret = dg_parse_require(require, &require_mask);
	if (ret) {
		pr_err("dmaguard: require=%s: unknown protection\n", require);
		return ret;
	}

	ret = dg_arch_init();
	if (ret) {
		pr_err("dmaguard: no usable cache flush on this CPU/arch: %d\n",
		       ret);
		return ret;
	}
	dg_static_protections();
	dg_audit_init();

	ret = dg_sysfs_init();
	if (ret)
		return ret;
	ret = dg_hooks_init(require_mask);
	if (ret) {
		pr_err("dmaguard: a required protection cannot be armed: %d\n",
		       ret);
		goto err_sysfs;
	}
	/* The VFIO and iommufd ones may wait for their module; these cannot. */
	for (prot = DG_PROT_SVA_KVA; prot < DG_PROT_NR; prot++) {
		if (test_bit(prot, &require_mask) &&
		    dg_prot_state(prot) == DG_PS_UNAVAILABLE) {
			pr_err("dmaguard: required protection %s is unavailable\n",
			       dg_prot_name(prot));
			ret = -EOPNOTSUPP;
			goto err_hooks;
		}
	}
	dg_test_seam_init();
	pr_info("dmaguard %s loaded (%s)\n", DMAGUARD_VERSION,
		dg_arch_flush_method());
	return 0;

err_hooks:
	dg_hooks_exit();
	dg_sva_exit();
err_sysfs:
	dg_sysfs_exit();
	return ret;
}

static void __exit dmaguard_exit(void)
{
	dg_test_seam_exit();
	dg_hooks_exit();
	dg_sva_exit();
	dg_sysfs_exit();
	pr_info("dmaguard unloaded\n");
}

module_init(dmaguard_init);
module_exit(dmaguard_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Cache maintenance for non-coherent DMA isolation (VFIO)");
MODULE_VERSION(DMAGUARD_VERSION);
