/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmaguard core: the private header shared by module/ and hooks/.
 *
 * The core owns the domain registry (one entry per user-owned IOMMU domain
 * that a hook saw being attached), the policy that decides whether a domain
 * needs CPU cache maintenance, the flush orchestration that turns pfn runs
 * into bounded arch flushes, the protection table that sysfs reports, and
 * the statistics. hooks/ calls into the core; the core calls arch/.
 */
#ifndef DMAGUARD_H
#define DMAGUARD_H

#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/xarray.h>

#ifndef DMAGUARD_VERSION
#error "DMAGUARD_VERSION comes from the VERSION file via Kbuild"
#endif

enum dg_policy {
	DG_POLICY_AUTO,
	DG_POLICY_ALWAYS,
	DG_POLICY_NEVER,
	DG_POLICY_NR,
};

enum dg_owner {
	DG_OWNER_VFIO_TYPE1,
	DG_OWNER_IOMMUFD,
};

enum dg_coherent {
	DG_COH_UNKNOWN = -1,
	DG_COH_NO = 0,
	DG_COH_YES = 1,
};

enum dg_reason {
	DG_REASON_MAP,
	DG_REASON_UNMAP,
	DG_REASON_TEARDOWN,
};

/* Protections, in the order the protections file lists them. */
enum dg_prot {
	DG_PROT_VFIO_MAP,
	DG_PROT_VFIO_UNMAP,
	DG_PROT_IOMMUFD_MAP,
	DG_PROT_IOMMUFD_UNMAP,
	DG_PROT_SVA_KVA,
	DG_PROT_NR,
};

enum dg_pstate {
	DG_PS_ARMED,
	DG_PS_NATIVE,
	DG_PS_UNAVAILABLE,
	DG_PS_NOT_APPLICABLE,
	DG_PS_DISABLED,
};

#define DG_DETAIL_LEN		256
#define DG_DEVICES_LEN		256

/*
 * One group attached to a tracked domain. Lives on dg_domain::groups,
 * protected by dg_registry_lock.
 */
struct dg_group {
	struct list_head node;
	const void *group;		/* identity only, never dereferenced */
	char devices[DG_DEVICES_LEN];	/* space separated PCI BDFs */
};

/*
 * A tracked user-owned IOMMU domain.
 *
 * Lifetime: the kobject's refcount. The registry list holds one reference
 * from dg_domain_create() until dg_domain_destroy(); lookups take another
 * with kobject_get() under dg_registry_lock and drop it when done, so a flush
 * that races with teardown still has a valid entry to account to.
 *
 * @owner_key and @iommu_domain identify the owner object (a VFIO container,
 * an iommufd HWPT) and the iommu_domain. They are compared, never
 * dereferenced and never printed: sysfs shows only @id.
 */
struct dg_domain {
	struct kobject kobj;
	struct list_head node;		/* dg_registry_list, dg_registry_lock */
	struct list_head groups;	/* struct dg_group, dg_registry_lock */
	u32 id;
	enum dg_owner owner;
	const void *owner_key;
	const void *iommu_domain;
	pid_t pid;
	int coherent;			/* enum dg_coherent, READ/WRITE_ONCE */
	/*
	 * This domain's own answer, where it may differ from @coherent (the
	 * owner's: a VFIO container's pages are reachable through all of its
	 * domains, so it is coherent only when all of them are).
	 */
	int own_coherent;
	int policy;			/* enum dg_policy, READ/WRITE_ONCE */
	bool listed;			/* on dg_registry_list */
	atomic64_t mapped_bytes;
	atomic64_t flushed_bytes;
	atomic64_t flush_ns;
	atomic64_t map_flushes;
	atomic64_t unmap_flushes;
	/*
	 * 2 MiB iova blocks that one map call covered whole, so their pfns
	 * are contiguous: block index -> xa_mk_value(pfn at the block start).
	 * Filled and forgotten by the iommufd hooks (dg_domain_ext_*).
	 */
	struct xarray ext;
};

/* Global statistics, all monotonic except where noted. */
struct dg_stats {
	atomic64_t flushes;
	atomic64_t flushed_bytes;
	atomic64_t flush_ns;
	atomic64_t flush_waits;		/* fences: one per batch or 2 MiB */
	atomic64_t map_flushes;
	atomic64_t unmap_flushes;
	atomic64_t teardown_flushes;
	atomic64_t skipped_coherent;	/* runs not flushed: coherent/never/off */
	atomic64_t skipped_coherent_bytes;
	atomic64_t skipped_uncacheable;	/* pages not flushed: not cacheable */
	atomic64_t unattributed_flushes; /* runs with no known owner: flushed */
	atomic64_t sva_invalidations;
	atomic64_t sva_binds_refused;	/* not trackable: refused, -ENOMEM */
	atomic64_t domains_created;
	atomic64_t domains_destroyed;
};

extern struct dg_stats dg_stats;
extern bool dg_enabled;
extern int dg_default_policy;

/* policy.c */
int dg_policy_parse(const char *buf, size_t count);
const char *dg_policy_name(int policy);
int dg_bool_parse(const char *buf, size_t count);
bool dg_policy_flushing(int policy, int coherent);
bool dg_domain_flushing(const struct dg_domain *d);

/* registry.c */
struct dg_domain *dg_domain_get_or_create(enum dg_owner owner,
					  const void *owner_key,
					  const void *iommu_domain,
					  bool *created);
void dg_domain_put(struct dg_domain *d);
void dg_domain_add_group(struct dg_domain *d, const void *group,
			 const char *devices);
bool dg_domain_remove_group(struct dg_domain *d, const void *group);
bool dg_domain_destroy(struct dg_domain *d);
struct dg_domain *dg_domain_find(const void *owner_key,
				 const void *iommu_domain);
bool dg_owner_known(const void *owner_key);
bool dg_owner_has_domain(const void *owner_key);
bool dg_owner_own_noncoherent(const void *owner_key);
bool dg_domain_only_group(struct dg_domain *d, const void *group);
struct dg_domain *dg_owner_other(const void *owner_key,
				 const void *iommu_domain);
void dg_owner_set_coherent(const void *owner_key, int coherent);
void dg_owner_destroy(const void *owner_key);
void dg_owner_account(const void *owner_key, s64 mapped_delta);
void dg_domain_account(struct dg_domain *d, s64 mapped_delta);
void dg_owner_kind_destroy(enum dg_owner owner);
void dg_domain_ext_record(struct dg_domain *d, unsigned long iova,
			  phys_addr_t paddr, size_t size, gfp_t gfp);
bool dg_domain_ext_find(struct dg_domain *d, unsigned long iova,
			unsigned long *pfn, size_t *len);
void dg_domain_ext_forget(struct dg_domain *d, unsigned long iova,
			  size_t size);
struct dg_domain *dg_owner_flush_target(const void *owner_key, bool *known);

/*
 * What one owner-level operation (a VFIO ioctl, attach, detach or release)
 * decided once at its start, so that the per-run hooks below it (one call
 * per pinned run: 65536 for 256 MiB of scattered pages) do no registry
 * walks: the domain to flush for and account to (referenced) or none, and
 * the mapped-bytes change to apply when the operation ends. A policy or
 * enabled change takes effect from the next operation.
 */
struct dg_owner_op {
	const void *key;
	struct dg_domain *target;
	bool known;
	s64 mapped_delta;
	/* runs not flushed, added to the skipped_coherent stats at the end */
	u64 skipped_runs;
	u64 skipped_bytes;
};

void dg_owner_begin(struct dg_owner_op *op, const void *owner_key);
void dg_owner_end(struct dg_owner_op *op);
void dg_domain_set_policy(struct dg_domain *d, int policy);
int dg_domain_devices(struct dg_domain *d, char *buf, size_t len);
int dg_registry_init(struct kobject *parent);
void dg_registry_exit(void);

/* flush.c */

/*
 * A flush batch: runs whose cache lines are flushed with one wait (fence)
 * at the end, and at each preemption point (one per 2 MiB flushed), not one
 * per run: a VFIO pin or unmap batch of scattered 4 KiB pages is up to 512
 * runs. Lives on the caller's stack; begin, add runs, end (before the
 * pages become reachable, or before they are unpinned).
 */
#define DG_BATCH_RUNS	32

struct dg_flush_batch {
	struct dg_domain *d;		/* account to; NULL: unattributed */
	enum dg_reason reason;
	unsigned int nr;		/* queued in run[], not started */
	u64 chunk;			/* bytes flushed since the last wait */
	u64 runs, bytes, ns, waits, skipped;
	struct {
		unsigned long pfn;
		unsigned long npages;
	} run[DG_BATCH_RUNS];
};

void dg_flush_begin(struct dg_flush_batch *b, struct dg_domain *d,
		    enum dg_reason reason);
void dg_flush_add(struct dg_flush_batch *b, unsigned long pfn,
		  unsigned long npages);
unsigned int dg_flush_add_pages(struct dg_flush_batch *b,
				struct page *const *pages, unsigned int n);
void dg_flush_end(struct dg_flush_batch *b);
bool dg_op_flushing(struct dg_owner_op *op, struct dg_domain **d);
void dg_op_skip(struct dg_owner_op *op, unsigned long npages);
void dmaguard_flush_pfns(struct dg_domain *d, unsigned long pfn,
			 unsigned long npages, enum dg_reason reason);
void dmaguard_flush_op(struct dg_owner_op *op, unsigned long pfn,
		       unsigned long npages, enum dg_reason reason);
void dg_stats_skipped(u64 runs, u64 bytes);
bool dg_unknown_owner_flushing(void);
const char *dg_reason_name(enum dg_reason reason);

/* protect.c */
void dg_prot_set(enum dg_prot prot, enum dg_pstate state,
		 const char *fmt, ...) __printf(3, 4);
enum dg_pstate dg_prot_state(enum dg_prot prot);
const char *dg_prot_name(enum dg_prot prot);
int dg_prot_lookup(const char *name, size_t len);
ssize_t dg_prot_show(char *buf);

/* audit.c: the audit file, listed with the global attributes */
extern struct kobj_attribute dg_attr_audit;
void dg_audit_init(void);

/* sva.c */
struct mm_struct;
typedef void (*dg_sva_invalidate_fn)(struct mm_struct *mm,
				     unsigned long start, unsigned long end);
void dg_sva_set_invalidator(dg_sva_invalidate_fn fn);
unsigned int dg_sva_mms(void);
int dmaguard_sva_enroll(struct mm_struct *mm);
void dmaguard_sva_unenroll(struct mm_struct *mm);
void dmaguard_sva_invalidate(unsigned long start, unsigned long end);
void dg_sva_exit(void);

/* sva_test.c: only in TEST=1 builds */
#ifdef DMAGUARD_TEST_SEAM
#define DG_TEST_BUILD true
void dg_test_seam_init(void);
void dg_test_seam_exit(void);
#else
#define DG_TEST_BUILD false
static inline void dg_test_seam_init(void) {}
static inline void dg_test_seam_exit(void) {}
#endif

/* sysfs.c */
int dg_sysfs_init(void);
struct attribute;
int dg_sysfs_add_file(const struct attribute *attr);
void dg_sysfs_remove_file(const struct attribute *attr);
void dg_sysfs_exit(void);
extern const struct attribute_group *dg_domain_groups[];

#endif /* DMAGUARD_H */
