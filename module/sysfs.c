// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control plane under /sys/kernel/dmaguard/ (DESIGN §4): global files,
 * and the attributes of each domains/<id>/ directory, whose kobjects the
 * registry owns. Writable files take exactly one token (see policy.c); a bad
 * write returns -EINVAL and changes nothing. Nothing here prints a pointer.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include "dmaguard.h"
#include "trace.h"

static struct kobject *dg_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", DMAGUARD_VERSION);
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dg_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	int val = dg_bool_parse(buf, count);

	if (val < 0)
		return val;
	WRITE_ONCE(dg_enabled, val);
	return count;
}

static ssize_t default_policy_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dg_policy_name(READ_ONCE(dg_default_policy)));
}

static ssize_t default_policy_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	int val = dg_policy_parse(buf, count);

	if (val < 0)
		return val;
	WRITE_ONCE(dg_default_policy, val);
	return count;
}

static ssize_t protections_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return dg_prot_show(buf);
}

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	const struct dg_stats *s = &dg_stats;
	ssize_t off = 0;

#define DG_STAT(name) \
	(off += sysfs_emit_at(buf, off, "%s %lld\n", #name, \
			      (long long)atomic64_read(&s->name)))
	DG_STAT(flushes);
	DG_STAT(flushed_bytes);
	DG_STAT(flush_ns);
	DG_STAT(flush_waits);
	DG_STAT(map_flushes);
	DG_STAT(unmap_flushes);
	DG_STAT(teardown_flushes);
	DG_STAT(skipped_coherent);
	DG_STAT(skipped_coherent_bytes);
	DG_STAT(skipped_uncacheable);
	DG_STAT(unattributed_flushes);
	DG_STAT(sva_invalidations);
	off += sysfs_emit_at(buf, off, "sva_mms %u\n", dg_sva_mms());
	DG_STAT(sva_binds_refused);
	DG_STAT(domains_created);
	DG_STAT(domains_destroyed);
#undef DG_STAT
	return off;
}

static struct kobj_attribute dg_attr_version = __ATTR_RO(version);
static struct kobj_attribute dg_attr_enabled = __ATTR_RW(enabled);
static struct kobj_attribute dg_attr_default_policy = __ATTR_RW(default_policy);
static struct kobj_attribute dg_attr_protections = __ATTR_RO(protections);
static struct kobj_attribute dg_attr_stats = __ATTR_RO(stats);

static struct attribute *dg_global_attrs[] = {
	&dg_attr_version.attr,
	&dg_attr_enabled.attr,
	&dg_attr_default_policy.attr,
	&dg_attr_protections.attr,
	&dg_attr_stats.attr,
	&dg_attr_audit.attr,
	NULL,
};

static const struct attribute_group dg_global_group = {
	.attrs = dg_global_attrs,
};

/* domains/<id>/ */

#define to_dg_domain(k) container_of(k, struct dg_domain, kobj)

static ssize_t owner_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", to_dg_domain(kobj)->owner ==
			  DG_OWNER_IOMMUFD ? "iommufd" : "vfio-type1");
}

static ssize_t pid_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", to_dg_domain(kobj)->pid);
}

static ssize_t devices_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	char devs[DG_DEVICES_LEN * 2];

	dg_domain_devices(to_dg_domain(kobj), devs, sizeof(devs));
	return sysfs_emit(buf, "%s\n", devs);
}

static ssize_t coherent_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	int coh = READ_ONCE(to_dg_domain(kobj)->coherent);

	return sysfs_emit(buf, "%s\n", coh == DG_COH_YES ? "1" :
			  coh == DG_COH_NO ? "0" : "unknown");
}

static ssize_t policy_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dg_policy_name(READ_ONCE(to_dg_domain(kobj)->policy)));
}

static ssize_t policy_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int val = dg_policy_parse(buf, count);

	if (val < 0)
		return val;
	dg_domain_set_policy(to_dg_domain(kobj), val);
	return count;
}

static ssize_t flushing_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", dg_domain_flushing(to_dg_domain(kobj)));
}

#define DG_DOMAIN_COUNTER(name)						\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
		(long long)atomic64_read(&to_dg_domain(kobj)->name));	\
}									\
static struct kobj_attribute dg_dattr_##name = __ATTR_RO(name)

DG_DOMAIN_COUNTER(mapped_bytes);
DG_DOMAIN_COUNTER(flushed_bytes);
DG_DOMAIN_COUNTER(flush_ns);
DG_DOMAIN_COUNTER(map_flushes);
DG_DOMAIN_COUNTER(unmap_flushes);

static struct kobj_attribute dg_dattr_owner = __ATTR_RO(owner);
static struct kobj_attribute dg_dattr_pid = __ATTR_RO(pid);
static struct kobj_attribute dg_dattr_devices = __ATTR_RO(devices);
static struct kobj_attribute dg_dattr_coherent = __ATTR_RO(coherent);
static struct kobj_attribute dg_dattr_policy = __ATTR_RW(policy);
static struct kobj_attribute dg_dattr_flushing = __ATTR_RO(flushing);

static struct attribute *dg_domain_attrs[] = {
	&dg_dattr_owner.attr,
	&dg_dattr_pid.attr,
	&dg_dattr_devices.attr,
	&dg_dattr_coherent.attr,
	&dg_dattr_policy.attr,
	&dg_dattr_flushing.attr,
	&dg_dattr_mapped_bytes.attr,
	&dg_dattr_flushed_bytes.attr,
	&dg_dattr_flush_ns.attr,
	&dg_dattr_map_flushes.attr,
	&dg_dattr_unmap_flushes.attr,
	NULL,
};

static const struct attribute_group dg_domain_group = {
	.attrs = dg_domain_attrs,
};

const struct attribute_group *dg_domain_groups[] = {
	&dg_domain_group,
	NULL,
};

/*
 * A global file whose contents another layer owns (hooks/: the hook rows),
 * so that the core does not call up into it.
 */
int dg_sysfs_add_file(const struct attribute *attr)
{
	return sysfs_create_file(dg_kobj, attr);
}

void dg_sysfs_remove_file(const struct attribute *attr)
{
	sysfs_remove_file(dg_kobj, attr);
}

int dg_sysfs_init(void)
{
	int ret;

	dg_kobj = kobject_create_and_add("dmaguard", kernel_kobj);
	if (!dg_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(dg_kobj, &dg_global_group);
	if (ret)
		goto err_put;
	ret = dg_registry_init(dg_kobj);
	if (ret)
		goto err_group;
	return 0;

err_group:
	sysfs_remove_group(dg_kobj, &dg_global_group);
err_put:
	kobject_put(dg_kobj);
	return ret;
}

void dg_sysfs_exit(void)
{
	dg_registry_exit();
	sysfs_remove_group(dg_kobj, &dg_global_group);
	kobject_put(dg_kobj);
}
