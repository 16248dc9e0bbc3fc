// SPDX-License-Identifier: GPL-2.0-only
/*
 * Domain registry: the user-owned IOMMU domains dmaguard knows about.
 *
 * hooks/ create an entry when a VFIO container (or an iommufd HWPT) gets its
 * first device and destroy it when the owner lets go; each entry is a
 * directory under /sys/kernel/dmaguard/domains/<id>/. Entries are keyed by
 * the owner object (container or HWPT) and the iommu_domain, both opaque
 * pointers used for identity only. Ids come from a counter and are never
 * reused while the module is loaded.
 *
 * Locking: dg_registry_lock (a spinlock, so that lookups from the flush path
 * are cheap) protects dg_registry_list, every entry's groups list and the
 * listed flag. sysfs work (kobject add/del) is done outside it.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/string.h>
#include "dmaguard.h"
#include "trace.h"

static DEFINE_SPINLOCK(dg_registry_lock);
static LIST_HEAD(dg_registry_list);
static atomic_t dg_next_id = ATOMIC_INIT(0);
static struct kobject *dg_domains_kobj;

static void dg_domain_release(struct kobject *kobj)
{
	struct dg_domain *d = container_of(kobj, struct dg_domain, kobj);
	struct dg_group *g, *tmp;

	list_for_each_entry_safe(g, tmp, &d->groups, node)
		kfree(g);
	xa_destroy(&d->ext);
	kfree(d);
}

static const struct kobj_type dg_domain_ktype = {
	.release = dg_domain_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = dg_domain_groups,
};

static struct dg_domain *dg_find_locked(const void *owner_key,
					const void *iommu_domain)
{
	struct dg_domain *d;

	lockdep_assert_held(&dg_registry_lock);
	list_for_each_entry(d, &dg_registry_list, node)
		if (d->owner_key == owner_key &&
		    d->iommu_domain == iommu_domain)
			return d;
	return NULL;
}

/*
 * Contiguous blocks, so that an unmap need not read back every 4 KiB page
 * of a large mapping with iommu_iova_to_phys() (the public API does not say
 * how large the IOMMU page behind an iova is). What makes a block
 * contiguous is the map call, not the IOMMU page size: one successful map
 * call of [iova, iova + size) to paddr covers every whole 2 MiB iova block
 * inside it with physically contiguous pages. Every unmap forgets each
 * block it touches, so an entry is never stale; a block without an entry
 * (allocation failure, mapped before dmaguard saw the domain, mapped in
 * pieces) is read page by page as before.
 */
#define DG_EXT_SHIFT	21
#define DG_EXT_SIZE	(1UL << DG_EXT_SHIFT)

void dg_domain_ext_record(struct dg_domain *d, unsigned long iova,
			  phys_addr_t paddr, size_t size, gfp_t gfp)
{
	unsigned long blk = ALIGN(iova, DG_EXT_SIZE), end = iova + size;

	if (end < iova)
		return;
	for (; blk >= iova && blk + DG_EXT_SIZE <= end; blk += DG_EXT_SIZE) {
		void *v = xa_mk_value(PHYS_PFN(paddr + (blk - iova)));

		/* Mapped twice without an unmap? Trust neither: forget. */
		if (xa_insert(&d->ext, blk >> DG_EXT_SHIFT, v,
			      gfp | __GFP_NOWARN) == -EBUSY)
			xa_erase(&d->ext, blk >> DG_EXT_SHIFT);
	}
}

/*
 * Is @iova in a contiguous block? Then *pfn is the pfn behind it and *len
 * how many bytes from @iova to the end of the block.
 */
bool dg_domain_ext_find(struct dg_domain *d, unsigned long iova,
			unsigned long *pfn, size_t *len)
{
	void *v = xa_load(&d->ext, iova >> DG_EXT_SHIFT);
	unsigned long in = iova & (DG_EXT_SIZE - 1);

	if (!v)
		return false;
	*pfn = xa_to_value(v) + (in >> PAGE_SHIFT);
	*len = DG_EXT_SIZE - in;
	return true;
}

/* Forgets every block that [iova, iova + size) touches. */
void dg_domain_ext_forget(struct dg_domain *d, unsigned long iova,
			  size_t size)
{
	unsigned long idx;
	void *v;

	if (!size || xa_empty(&d->ext))
		return;
	xa_for_each_range(&d->ext, idx, v, iova >> DG_EXT_SHIFT,
			  (iova + size - 1) >> DG_EXT_SHIFT)
		xa_erase(&d->ext, idx);
}

struct dg_domain *dg_domain_find(const void *owner_key,
				 const void *iommu_domain)
{
	struct dg_domain *d;

	spin_lock(&dg_registry_lock);
	d = dg_find_locked(owner_key, iommu_domain);
	if (d)
		kobject_get(&d->kobj);
	spin_unlock(&dg_registry_lock);
	return d;
}

/*
 * Returns a referenced entry for (owner_key, iommu_domain), creating it if
 * needed; *created tells the caller to fill in pid and coherency.
 */
struct dg_domain *dg_domain_get_or_create(enum dg_owner owner,
					  const void *owner_key,
					  const void *iommu_domain,
					  bool *created)
{
	struct dg_domain *d, *old;
	int ret;

	*created = false;
	d = dg_domain_find(owner_key, iommu_domain);
	if (d)
		return d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	INIT_LIST_HEAD(&d->groups);
	INIT_LIST_HEAD(&d->node);
	xa_init(&d->ext);
	d->id = atomic_inc_return(&dg_next_id);
	d->owner = owner;
	d->owner_key = owner_key;
	d->iommu_domain = iommu_domain;
	d->pid = task_tgid_nr(current);
	d->coherent = DG_COH_UNKNOWN;
	d->own_coherent = DG_COH_UNKNOWN;
	d->policy = READ_ONCE(dg_default_policy);

	ret = kobject_init_and_add(&d->kobj, &dg_domain_ktype,
				   dg_domains_kobj, "%u", d->id);
	if (ret) {
		kobject_put(&d->kobj);
		return NULL;
	}

	spin_lock(&dg_registry_lock);
	old = dg_find_locked(owner_key, iommu_domain);
	if (old) {
		kobject_get(&old->kobj);
		spin_unlock(&dg_registry_lock);
		kobject_put(&d->kobj);
		return old;
	}
	/* One reference for the list, one for the caller. */
	kobject_get(&d->kobj);
	list_add_tail(&d->node, &dg_registry_list);
	d->listed = true;
	spin_unlock(&dg_registry_lock);

	atomic64_inc(&dg_stats.domains_created);
	*created = true;
	trace_dmaguard_domain(d->id, "create");
	return d;
}

void dg_domain_put(struct dg_domain *d)
{
	if (d)
		kobject_put(&d->kobj);
}

void dg_domain_add_group(struct dg_domain *d, const void *group,
			 const char *devices)
{
	struct dg_group *g, *new;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return;
	new->group = group;
	strscpy(new->devices, devices, sizeof(new->devices));

	spin_lock(&dg_registry_lock);
	list_for_each_entry(g, &d->groups, node) {
		if (g->group == group) {
			strscpy(g->devices, devices, sizeof(g->devices));
			spin_unlock(&dg_registry_lock);
			kfree(new);
			return;
		}
	}
	list_add_tail(&new->node, &d->groups);
	spin_unlock(&dg_registry_lock);
}

/* Returns true when the domain has no groups left. */
bool dg_domain_remove_group(struct dg_domain *d, const void *group)
{
	struct dg_group *g, *found = NULL;
	bool empty;

	spin_lock(&dg_registry_lock);
	list_for_each_entry(g, &d->groups, node) {
		if (g->group == group) {
			found = g;
			list_del(&g->node);
			break;
		}
	}
	empty = list_empty(&d->groups);
	spin_unlock(&dg_registry_lock);
	kfree(found);
	return empty;
}

/* Is @group the one group attached to @d? */
bool dg_domain_only_group(struct dg_domain *d, const void *group)
{
	struct dg_group *g;
	bool ret;

	spin_lock(&dg_registry_lock);
	g = list_first_entry_or_null(&d->groups, struct dg_group, node);
	ret = g && g->group == group && list_is_singular(&d->groups);
	spin_unlock(&dg_registry_lock);
	return ret;
}

int dg_domain_devices(struct dg_domain *d, char *buf, size_t len)
{
	struct dg_group *g;
	size_t off = 0;

	/* No group with devices (adopted, or not attached yet): "". */
	if (len)
		buf[0] = '\0';
	spin_lock(&dg_registry_lock);
	list_for_each_entry(g, &d->groups, node) {
		if (!g->devices[0])
			continue;
		off += scnprintf(buf + off, len - off, "%s%s",
				 off ? " " : "", g->devices);
	}
	spin_unlock(&dg_registry_lock);
	return off;
}

/* Returns whether this call took the entry off the list. */
bool dg_domain_destroy(struct dg_domain *d)
{
	bool was_listed;

	spin_lock(&dg_registry_lock);
	was_listed = d->listed;
	if (was_listed) {
		list_del_init(&d->node);
		d->listed = false;
	}
	spin_unlock(&dg_registry_lock);
	if (!was_listed)
		return false;

	atomic64_inc(&dg_stats.domains_destroyed);
	trace_dmaguard_domain(d->id, "destroy");
	kobject_del(&d->kobj);
	kobject_put(&d->kobj);
	return true;
}

void dg_domain_set_policy(struct dg_domain *d, int policy)
{
	WRITE_ONCE(d->policy, policy);
	trace_dmaguard_domain(d->id, "policy");
}

/* Does the owner have an entry (with an IOMMU domain, if @with_domain)? */
static bool dg_owner_has(const void *owner_key, bool with_domain)
{
	struct dg_domain *d;
	bool found = false;

	spin_lock(&dg_registry_lock);
	list_for_each_entry(d, &dg_registry_list, node) {
		if (d->owner_key == owner_key &&
		    (!with_domain || d->iommu_domain)) {
			found = true;
			break;
		}
	}
	spin_unlock(&dg_registry_lock);
	return found;
}

bool dg_owner_known(const void *owner_key)
{
	return dg_owner_has(owner_key, false);
}

/* Has dmaguard seen one of the owner's IOMMU domains attached? */
bool dg_owner_has_domain(const void *owner_key)
{
	return dg_owner_has(owner_key, true);
}

/*
 * Another entry of the owner than @iommu_domain's, with an IOMMU domain
 * (referenced), or NULL.
 */
struct dg_domain *dg_owner_other(const void *owner_key,
				 const void *iommu_domain)
{
	struct dg_domain *d, *found = NULL;

	spin_lock(&dg_registry_lock);
	list_for_each_entry(d, &dg_registry_list, node) {
		if (d->owner_key == owner_key && d->iommu_domain &&
		    d->iommu_domain != iommu_domain) {
			found = d;
			kobject_get(&d->kobj);
			break;
		}
	}
	spin_unlock(&dg_registry_lock);
	return found;
}

/* Does one of the owner's domains say it is not coherent itself? */
bool dg_owner_own_noncoherent(const void *owner_key)
{
	struct dg_domain *d;
	bool found = false;

	spin_lock(&dg_registry_lock);
	list_for_each_entry(d, &dg_registry_list, node)
		if (d->owner_key == owner_key &&
		    READ_ONCE(d->own_coherent) == DG_COH_NO)
			found = true;
	spin_unlock(&dg_registry_lock);
	return found;
}

void dg_owner_set_coherent(const void *owner_key, int coherent)
{
	struct dg_domain *d;

	spin_lock(&dg_registry_lock);
	list_for_each_entry(d, &dg_registry_list, node)
		if (d->owner_key == owner_key)
			WRITE_ONCE(d->coherent, coherent);
	spin_unlock(&dg_registry_lock);
}

/*
 * Destroys every listed entry that @match accepts (all if NULL), one at a
 * time: the sysfs removal cannot run under the spinlock.
 */
static void dg_destroy_where(bool (*match)(const struct dg_domain *d,
					   const void *arg),
			     const void *arg)
{
	struct dg_domain *d;

	for (;;) {
		spin_lock(&dg_registry_lock);
		list_for_each_entry(d, &dg_registry_list, node)
			if (!match || match(d, arg))
				goto found;
		spin_unlock(&dg_registry_lock);
		return;
found:
		kobject_get(&d->kobj);
		spin_unlock(&dg_registry_lock);
		dg_domain_destroy(d);
		dg_domain_put(d);
	}
}

static bool dg_match_key(const struct dg_domain *d, const void *owner_key)
{
	return d->owner_key == owner_key;
}

static bool dg_match_kind(const struct dg_domain *d, const void *owner)
{
	return d->owner == *(const enum dg_owner *)owner;
}

/* Tears down every entry of an owner that is going away. */
void dg_owner_destroy(const void *owner_key)
{
	dg_destroy_where(dg_match_key, owner_key);
}

/* Forgets every entry of one owner kind (its hooks can no longer see them). */
void dg_owner_kind_destroy(enum dg_owner owner)
{
	dg_destroy_where(dg_match_kind, &owner);
}

/* mapped_bytes is a gauge: pages currently pinned and mapped. */
void dg_owner_account(const void *owner_key, s64 mapped_delta)
{
	struct dg_domain *d;

	spin_lock(&dg_registry_lock);
	list_for_each_entry(d, &dg_registry_list, node) {
		if (d->owner_key != owner_key)
			continue;
		dg_domain_account(d, mapped_delta);
	}
	spin_unlock(&dg_registry_lock);
}

/* Pages pinned before we were loaded must not take the gauge negative. */
void dg_domain_account(struct dg_domain *d, s64 mapped_delta)
{
	if (atomic64_add_return(mapped_delta, &d->mapped_bytes) < 0)
		atomic64_set(&d->mapped_bytes, 0);
}

/*
 * A pinned page is reachable through every domain of its owner, so the
 * owner needs flushing when any of its domains does. Returns a referenced
 * entry to account the flush to, or NULL; *known says whether the owner is
 * tracked at all.
 */
struct dg_domain *dg_owner_flush_target(const void *owner_key, bool *known)
{
	struct dg_domain *d, *target = NULL;

	*known = false;
	spin_lock(&dg_registry_lock);
	list_for_each_entry(d, &dg_registry_list, node) {
		if (d->owner_key != owner_key)
			continue;
		*known = true;
		if (dg_domain_flushing(d)) {
			target = d;
			kobject_get(&d->kobj);
			break;
		}
	}
	spin_unlock(&dg_registry_lock);
	return target;
}

int dg_registry_init(struct kobject *parent)
{
	dg_domains_kobj = kobject_create_and_add("domains", parent);
	return dg_domains_kobj ? 0 : -ENOMEM;
}

void dg_registry_exit(void)
{
	dg_destroy_where(NULL, NULL);
	kobject_put(dg_domains_kobj);
	dg_domains_kobj = NULL;
}
