// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVA hook table (protection sva-kva, x86).
 *
 *  - iommu_sva_bind_device / iommu_sva_unbind_device (wrapped): track which
 *    mms an IOMMU walks;
 *  - flush_tlb_kernel_range / flush_tlb_all (kprobes, any context): the
 *    kernel may be about to free kernel page tables; invalidate the
 *    secondary TLBs of every tracked mm over the range first;
 *  - __mmu_notifier_arch_invalidate_secondary_tlbs (6.6+), or
 *    __mmu_notifier_invalidate_range before it: resolved, not hooked: the
 *    call that reaches the IOMMU drivers' secondary-TLB callbacks.
 *
 * Whether the set is armed, and what the protections line says, is decided
 * from facts gathered at load (module/sva_state.h): the arch, the kernel
 * config, a native fix (iommu_sva_invalidate_kva_range, 6.19), and whether
 * this kernel refuses SVA binds on x86 (the CVE-2025-71089 backport).
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "hooks.h"
#include "../arch/arch.h"
#include "../compat/compat.h"
#include "../module/sva_state.h"

/* Rows that a kernel with the native fix does not need. */
#define DG_SKIP_NATIVE	BIT(0)

/*
 * The originals, called through static calls (hooks.h): the secondary-TLB
 * invalidation (sealed at boot on IBT kernels: never indirectly callable)
 * and the unbind.
 */
static void dg_sva_invalidate(struct mm_struct *mm, unsigned long start,
			      unsigned long end);
static void dg_sva_unbind(struct iommu_sva *handle);

DG_ORIG_DEFINE(sva_invalidate, dg_sva_invalidate);
DG_ORIG_DEFINE(sva_unbind, dg_sva_unbind);

/* What the core calls for each bound mm (module/sva.c). */
static void dg_sva_invalidate(struct mm_struct *mm, unsigned long start,
			      unsigned long end)
{
	DG_ORIG(sva_invalidate)(mm, start, end);
}

/*
 * Handles bound while we watched (struct dg_sva_handle, hooks.h), to find
 * the mm again at unbind. Protected by dg_sva_handles_lock.
 */
static LIST_HEAD(dg_sva_handles);
static DEFINE_MUTEX(dg_sva_handles_lock);
static struct dg_sva_facts dg_facts;
static bool dg_facts_known;

/*
 * Before a bind: enroll its mm (the IOMMU may walk it as soon as the bind
 * returns) and allocate the handle record. If either fails, dmaguard could
 * not protect the mm: the bind is refused (-ENOMEM, counted in
 * sva_binds_refused) instead of going ahead unprotected.
 */
int dg_sva_bind_prepare(struct mm_struct *mm, struct dg_sva_handle **h)
{
	*h = kzalloc(sizeof(**h), GFP_KERNEL);
	if (*h && !dmaguard_sva_enroll(mm))
		return 0;
	kfree(*h);
	*h = NULL;
	atomic64_inc(&dg_stats.sva_binds_refused);
	return -ENOMEM;
}

/* After the bind: remember its handle, or drop the enrollment if it failed. */
void dg_sva_bind_finish(struct iommu_sva *handle, struct mm_struct *mm,
			struct dg_sva_handle *new)
{
	struct dg_sva_handle *h;

	if (IS_ERR_OR_NULL(handle)) {
		kfree(new);
		dmaguard_sva_unenroll(mm);
		return;
	}
	mutex_lock(&dg_sva_handles_lock);
	list_for_each_entry(h, &dg_sva_handles, node)
		if (h->handle == handle)
			goto found;
	h = new;
	new = NULL;
	h->handle = handle;
	h->mm = mm;
	list_add(&h->node, &dg_sva_handles);
found:
	h->refs++;
	mutex_unlock(&dg_sva_handles_lock);
	kfree(new);
}

/* An unbind: the mm of @handle (NULL if not seen bound), one ref dropped. */
struct mm_struct *dg_sva_unbind_forget(struct iommu_sva *handle)
{
	struct mm_struct *mm = NULL;
	struct dg_sva_handle *h;

	mutex_lock(&dg_sva_handles_lock);
	list_for_each_entry(h, &dg_sva_handles, node) {
		if (h->handle != handle)
			continue;
		mm = h->mm;
		if (--h->refs == 0) {
			list_del(&h->node);
			kfree(h);
		}
		break;
	}
	mutex_unlock(&dg_sva_handles_lock);
	return mm;
}

/* iommu_sva_bind_device() lost its drvdata argument in 6.2. */
#ifdef DMAGUARD_HAS_SVA_BIND_DRVDATA
DG_ORIG_DEFINE(sva_bind, iommu_sva_bind_device);

static struct iommu_sva *dg_sva_bind(struct device *dev, struct mm_struct *mm,
				     void *drvdata)
{
	struct iommu_sva *handle = ERR_PTR(-ENOMEM);
	struct dg_sva_handle *h;

	if (!dg_sva_bind_prepare(mm, &h)) {
		handle = DG_ORIG(sva_bind)(dev, mm, drvdata);
		dg_sva_bind_finish(handle, mm, h);
	}
	dg_hook_leave();
	return handle;
}
#else
DG_ORIG_DEFINE(sva_bind, iommu_sva_bind_device);

static struct iommu_sva *dg_sva_bind(struct device *dev, struct mm_struct *mm)
{
	struct iommu_sva *handle = ERR_PTR(-ENOMEM);
	struct dg_sva_handle *h;

	if (!dg_sva_bind_prepare(mm, &h)) {
		handle = DG_ORIG(sva_bind)(dev, mm);
		dg_sva_bind_finish(handle, mm, h);
	}
	dg_hook_leave();
	return handle;
}
#endif

static void dg_sva_unbind(struct iommu_sva *handle)
{
	struct mm_struct *mm = dg_sva_unbind_forget(handle);

	DG_ORIG(sva_unbind)(handle);
	/* The IOMMU no longer walks mm: stop invalidating for it. */
	if (mm)
		dmaguard_sva_unenroll(mm);
	dg_hook_leave();
}

static int dg_sva_kernel_range(struct kprobe *p, struct pt_regs *regs)
{
	dmaguard_sva_invalidate(regs_get_kernel_argument(regs, 0),
				regs_get_kernel_argument(regs, 1));
	return 0;
}

static int dg_sva_all(struct kprobe *p, struct pt_regs *regs)
{
	dmaguard_sva_invalidate(0, ULONG_MAX);
	return 0;
}

static const char *const dg_invalidate_fallbacks[] = {
	"__mmu_notifier_invalidate_range",	/* before 6.6 */
	NULL,
};

static const struct dg_hook dg_sva_rows[] = {
	{
		.symbol = "__mmu_notifier_arch_invalidate_secondary_tlbs",
		.fallbacks = dg_invalidate_fallbacks,
		.kind = DG_HOOK_SYMBOL,
		.orig = DG_ORIG_REF(sva_invalidate),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommu_sva_bind_device",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_sva_bind,
		.orig = DG_ORIG_REF(sva_bind),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "iommu_sva_unbind_device",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_sva_unbind,
		.orig = DG_ORIG_REF(sva_unbind),
		.provides = DG_PROT_NONE,
	}, {
		.symbol = "flush_tlb_kernel_range",
		.kind = DG_HOOK_KPROBE,
		.pre = dg_sva_kernel_range,
		.provides = DG_PROT_NONE,
		.skip_flags = DG_SKIP_NATIVE,
	}, {
		/* Also where a CPA large-page collapse frees page tables. */
		.symbol = "flush_tlb_all",
		.kind = DG_HOOK_KPROBE,
		.pre = dg_sva_all,
		.provides = DG_PROT_NONE,
	},
};

/*
 * The probe's own device: never registered, alone in a group of its own
 * that holds no device, carrying a dev_iommu that allows no PASID (see
 * dg_sva_probe_iommu()). No real device is ever passed to a bind.
 */
struct dg_sva_probe {
	struct device dev;
	struct dev_iommu iommu;
	struct completion released;	/* the group was freed */
};

static void dg_sva_probe_released(void *data)
{
	complete(data);
}

/*
 * Does this kernel refuse SVA binds on x86? Ask it with the probe device,
 * once a device behind an IOMMU shows there is one to ask about. A patched
 * kernel answers -EOPNOTSUPP as soon as it has seen the group; an
 * unpatched one fails on the PASID count or on the empty group, before any
 * side effect. The 6.1 backport answers after iommu_group_get() without
 * the put: that reference, on our own group, is given back so the group
 * is freed; nothing of a real device is touched.
 */
static int dg_sva_probe_dev(struct device *real, void *data)
{
	/* CONFIG_DEBUG_KOBJECT_RELEASE frees a group up to 4 s late. */
	unsigned long late = IS_ENABLED(CONFIG_DEBUG_KOBJECT_RELEASE) ?
			     5 * HZ : 0;
	struct iommu_group *group;
	struct iommu_sva *handle;
	struct dg_sva_probe *p;
	int *disabled = data;

	if (!real->iommu_group || !real->iommu)
		return 0;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return 1;
	group = iommu_group_alloc();
	if (IS_ERR(group)) {
		kfree(p);
		return 1;
	}
	init_completion(&p->released);
	iommu_group_set_iommudata(group, &p->released, dg_sva_probe_released);
	p->dev.iommu_group = group;
	p->dev.iommu = dg_sva_probe_iommu(real, &p->iommu);
	handle = dg_sva_bind_device(&p->dev, current->mm);
	if (!IS_ERR_OR_NULL(handle))	/* bound to a group with no device */
		iommu_sva_unbind_device(handle);
	else
		*disabled = PTR_ERR(handle) == -EOPNOTSUPP;
	iommu_group_put(group);
	if (!wait_for_completion_timeout(&p->released, late)) {
		iommu_group_put(group);	/* the reference the bind kept */
		if (!wait_for_completion_timeout(&p->released, late)) {
			/* Still held: the group may yet call back into p. */
			pr_warn("dmaguard: SVA probe group still referenced, leaving it\n");
			return 1;
		}
	}
	kfree(p);
	return 1;
}

static void dg_sva_gather(void)
{
	int disabled = 0;

	if (dg_facts_known)
		return;
	dg_facts.arch_shares = dg_arch_sva_shares_kernel_tables();
	dg_facts.config_sva = IS_ENABLED(CONFIG_IOMMU_SVA);
	if (dg_facts.arch_shares && dg_facts.config_sva) {
		dg_facts.native =
			!!dg_hook_resolve(NULL, "iommu_sva_invalidate_kva_range");
		if (!dg_facts.native && current->mm) {
			bus_for_each_dev(&pci_bus_type, NULL, &disabled,
					 dg_sva_probe_dev);
			dg_facts.bind_disabled = disabled;
		}
	}
	dg_facts_known = true;
}

static void dg_sva_report(int err, const char *why)
{
	static const enum dg_pstate states[] = {
		[DG_SVA_ARMED] = DG_PS_ARMED,
		[DG_SVA_NATIVE] = DG_PS_NATIVE,
		[DG_SVA_UNAVAILABLE] = DG_PS_UNAVAILABLE,
		[DG_SVA_NOT_APPLICABLE] = DG_PS_NOT_APPLICABLE,
	};
	struct dg_sva_facts f = dg_facts;
	enum dg_sva_verdict v;
	const char *reason;

	f.hooks_armed = !err;
	if (!err)
		dg_sva_set_invalidator(dg_sva_invalidate);
	v = dg_sva_decide(&f, &reason);
	if (v == DG_SVA_UNAVAILABLE && why)
		reason = why;
	if (v == DG_SVA_NATIVE)
		/*
		 * The native fix defers only frees of page tables marked as
		 * kernel ones: memory hot-remove frees boot-time (reserved)
		 * and hotplug-built tables at once, before its
		 * flush_tlb_all(), where no hook of ours is early enough.
		 */
		dg_prot_set(DG_PROT_SVA_KVA, states[v],
			    "%s; CPA collapse gap %s; not covered: memory hot-remove (frees unmarked page tables before its flush_tlb_all)",
			    reason,
			    err ? "not covered" : "covered via flush_tlb_all");
	else if (v == DG_SVA_ARMED)
		/* What the hooks cannot see, said rather than implied. */
		dg_prot_set(DG_PROT_SVA_KVA, states[v],
			    "%s; not covered: binds made before dmaguard loaded, memory hot-remove (frees page tables before its flush_tlb_all)",
			    reason);
	else if (v == DG_SVA_NOT_APPLICABLE && !err && dg_facts.bind_disabled)
		dg_prot_set(DG_PROT_SVA_KVA, states[v],
			    "%s; test build: hooks armed for enrolled mms",
			    reason);
	else
		dg_prot_set(DG_PROT_SVA_KVA, states[v], "%s", reason);
}

static bool dg_sva_wanted(void)
{
	bool want;

	dg_sva_gather();
	want = dg_facts.arch_shares && dg_facts.config_sva &&
	       (!dg_facts.bind_disabled || DG_TEST_BUILD);
	if (!want)
		dg_sva_report(-ENOENT, NULL);
	return want;
}

static unsigned int dg_sva_skip_flags(void)
{
	return dg_facts.native ? DG_SKIP_NATIVE : 0;
}

/* Unbinds are no longer seen: forget the handles. */
static void dg_sva_disarmed(void)
{
	struct dg_sva_handle *h, *tmp;

	dg_sva_set_invalidator(NULL);
	mutex_lock(&dg_sva_handles_lock);
	list_for_each_entry_safe(h, tmp, &dg_sva_handles, node) {
		list_del(&h->node);
		kfree(h);
	}
	mutex_unlock(&dg_sva_handles_lock);
}

static struct dg_hook_state dg_sva_state[ARRAY_SIZE(dg_sva_rows)];

struct dg_hook_set dg_sva_hooks = {
	.name = "sva",
	.hooks = dg_sva_rows,
	.state = dg_sva_state,
	.nr = ARRAY_SIZE(dg_sva_rows),
	.wanted = dg_sva_wanted,
	.skip_flags = dg_sva_skip_flags,
	.report = dg_sva_report,
	.disarmed = dg_sva_disarmed,
};

