/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hook engine's interface to the per-subsystem hook tables.
 *
 * A subsystem (vfio_type1.c, ...) describes its hook points as a const
 * table of struct dg_hook rows, grouped in a struct dg_hook_set that names
 * the module the symbols live in. The engine resolves each row (trying the
 * row's fallbacks in order), arms the whole set or nothing, re-arms it when
 * the target module loads again, and reports the result in the protection
 * table. A set is never left half armed.
 *
 * Two kinds of hook point:
 *  - DG_HOOK_WRAP: an ftrace ip-modify redirect (as livepatch does) to a
 *    wrapper with the target's signature. The wrapper runs in the caller's
 *    context, so it may sleep and reschedule where the caller may: this is
 *    how large flushes stay preemptible. The wrapper calls the original
 *    with DG_ORIG() and must end with dg_hook_leave().
 *  - DG_HOOK_KPROBE: a kprobe pre-handler, atomic context, for hooks that
 *    only read arguments and do bounded work.
 *  - DG_HOOK_SYMBOL: not a hook; resolves a function the set needs to call
 *    (with DG_ORIG()), with the same fallbacks and reporting.
 *
 * Every call from dmaguard to a hooked or resolved function is a static
 * call that the engine points at it. On x86 its trampoline is a direct
 * jmp rel32 into the function (past the ftrace site of a hooked one, so a
 * call passes ftrace once), as BPF trampolines enter originals: no
 * indirect branch, so IBT has nothing to check, and functions without an
 * ENDBR64 (static ones, or sealed at boot) are reached all the same.
 * Where static calls are generic (arm64) the call is indirect, and the
 * engine refuses a target without a landing pad on a BTI kernel. Before
 * it is armed, and from the moment its target may go away, a static call
 * returns 0 without calling anything.
 */
#ifndef DMAGUARD_HOOKS_H
#define DMAGUARD_HOOKS_H

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/static_call.h>
#include "../module/dmaguard.h"
#include "../compat/compat.h"

#define DG_PROT_NONE	(-1)

struct dg_ctx;

/* A row's static call: define it with DG_ORIG_DEFINE, name it in the row. */
struct dg_orig {
	struct static_call_key *key;
	void *tramp;
};

/* @proto: a function (or function type) with the original's signature. */
#define DG_ORIG_DEFINE(name, proto) \
	DEFINE_STATIC_CALL_RET0(dg_orig_##name, proto)
#define DG_ORIG(name)		static_call(dg_orig_##name)
#define DG_ORIG_REF(name) \
	{ &STATIC_CALL_KEY(dg_orig_##name), STATIC_CALL_TRAMP_ADDR(dg_orig_##name) }

enum dg_hook_kind {
	DG_HOOK_WRAP,
	DG_HOOK_KPROBE,
	DG_HOOK_SYMBOL,		/* resolve only: an unexported function to call */
};

struct dg_hook {
	const char *symbol;
	const char *const *fallbacks;	/* NULL-terminated; same signature */
	enum dg_hook_kind kind;
	void *wrapper;			/* DG_HOOK_WRAP */
	struct dg_orig orig;		/* WRAP, SYMBOL: how it is called */
	kprobe_pre_handler_t pre;	/* DG_HOOK_KPROBE */
	int provides;			/* enum dg_prot, or DG_PROT_NONE */
	bool optional;			/* absent on some kernels: not an error */
	bool vmlinux;			/* in the core kernel, not set->module */
	/*
	 * Called once per pfn run below an owner operation: not redirected
	 * for a hushed task, whose calls need no per-run work (dg_ctx_hush).
	 */
	bool per_run;
	/*
	 * Resolved and checked with the set (it counts as armed), but only
	 * registered with ftrace when an operation first needs it
	 * (dg_hook_need() of one of these DG_NEED_* bits): until then its
	 * calls cost nothing.
	 */
	unsigned int lazy;
	/*
	 * Optional, per_run rows: asked from the ftrace callback, with the
	 * calling task's innermost context, whether this call needs nothing
	 * from the wrapper (its pages were flushed ahead; it accounts the
	 * call itself if needed). If so the call runs unredirected. Runs in
	 * the callback: notrace, bounded, calls nothing traceable.
	 */
	bool (*pass)(struct dg_ctx *ctx, struct ftrace_regs *fregs);
	/*
	 * Optional: asked first in the ftrace callback; true when no caller
	 * needs the wrapper now (a core function with a few interested
	 * callers: iommu_map), so the call runs unredirected. Same rules as
	 * pass.
	 */
	bool (*idle)(void);
	/*
	 * A vmlinux row that several sets list (same wrapper, static call,
	 * idle and pass): registered with ftrace once, for as long as one of
	 * those sets has it live. ftrace lets one ip-modify user per function.
	 */
	bool shared;
	unsigned int skip_flags;	/* skip the row if set->skip_flags() has these */
};

/* Runtime state of one row; the engine owns it. */
struct dg_hook_state {
	struct ftrace_ops ops;
	struct kprobe kp;
	const struct dg_hook *hook;
	unsigned long addr;
	bool armed;
	bool live;			/* registered with ftrace */
	struct dg_shared *sh;		/* a shared row's one registration */
	const char *resolved;		/* the name it resolved to, or NULL */
	bool absent;			/* optional, not on this kernel */
};

struct dg_hook_set {
	const char *name;
	const char *module;		/* NULL: the symbols are in vmlinux */
	const struct dg_hook *hooks;
	struct dg_hook_state *state;
	unsigned int nr;
	void (*disarmed)(void);		/* forget per-arming state */
	/* Optional: should the set be armed at all on this kernel? */
	bool (*wanted)(void);
	/* Optional: conditions (row skip_flags) that hold on this kernel. */
	unsigned int (*skip_flags)(void);
	/*
	 * Optional: report the outcome in the protection table yourself
	 * (err 0: armed; else why says what failed). Without it, every row's
	 * provides is set armed or unavailable.
	 */
	void (*report)(int err, const char *why);
	bool armed;
	unsigned int live;		/* DG_NEED_* groups of lazy rows registered */
	bool need_failed;		/* a lazy row refused: reported */
	/*
	 * Every object of the target module was created after the set was
	 * armed: armed before its init ran, or while nothing used it.
	 */
	bool saw_all;
};

/*
 * iommu_map(), hooked once for the sets that need it (hooks/iommu.c): VFIO
 * type1 for the replay into a new domain, iommufd for all its maps.
 */
#ifdef DMAGUARD_HAS_IOMMU_MAP_GFP
int dg_iommu_map(struct iommu_domain *domain, unsigned long iova,
		 phys_addr_t paddr, size_t size, int prot, gfp_t gfp);
#else
int dg_iommu_map(struct iommu_domain *domain, unsigned long iova,
		 phys_addr_t paddr, size_t size, int prot);
#endif
bool dg_iommu_map_idle(void);
DECLARE_STATIC_CALL(dg_orig_iommu_map, dg_iommu_map);

#define DG_IOMMU_MAP_ROW(prot, need)		\
	{					\
		.symbol = "iommu_map",		\
		.kind = DG_HOOK_WRAP,		\
		.vmlinux = true,		\
		.shared = true,			\
		.lazy = need,			\
		.idle = dg_iommu_map_idle,	\
		.wrapper = dg_iommu_map,	\
		.orig = DG_ORIG_REF(iommu_map),	\
		.provides = prot,		\
	}

/*
 * The IOMMU drivers' enforce_cache_coherency() (hooks/iommu.c): where VFIO
 * type1 and iommufd learn whether a new domain is coherent, dmaguard learns
 * it too. One optional row per driver function (a driver we do not list
 * leaves the answer unknown: flushed). 7.x's VT-d has one per page-table
 * format (_fs first stage, _ss second stage) instead of one for both.
 */
bool dg_cc_intel(struct iommu_domain *domain);
bool dg_cc_intel_fs(struct iommu_domain *domain);
bool dg_cc_intel_ss(struct iommu_domain *domain);
bool dg_cc_amd(struct iommu_domain *domain);
DECLARE_STATIC_CALL(dg_orig_cc_intel, dg_cc_intel);
DECLARE_STATIC_CALL(dg_orig_cc_intel_fs, dg_cc_intel_fs);
DECLARE_STATIC_CALL(dg_orig_cc_intel_ss, dg_cc_intel_ss);
DECLARE_STATIC_CALL(dg_orig_cc_amd, dg_cc_amd);

#define DG_CC_ROW(sym, name)			\
	{					\
		.symbol = sym,			\
		.kind = DG_HOOK_WRAP,		\
		.vmlinux = true,		\
		.shared = true,			\
		.optional = true,		\
		.wrapper = dg_cc_##name,	\
		.orig = DG_ORIG_REF(cc_##name),	\
		.provides = DG_PROT_NONE,	\
	}

bool dg_vfio_cc_learned(const struct iommu_domain *domain, bool coherent);
bool dg_vfio_cc_forced(const struct iommu_domain *domain, bool *coherent);
void dg_ifd_cc_learned(const struct iommu_domain *domain, bool coherent);

#ifdef DMAGUARD_TEST_SEAM
bool dg_test_noncoherent(const void *group);
#else
static inline bool dg_test_noncoherent(const void *group)
{
	return false;
}
#endif

/* What iommu_map()'s wrapper asks of its users, before and after the call. */
void dg_vfio_replay_map(struct iommu_domain *domain, phys_addr_t paddr,
			size_t size);
bool dg_vfio_replay_idle(void);
struct dg_domain *dg_ifd_map_pre(struct iommu_domain *domain,
				 phys_addr_t paddr, size_t size);
void dg_ifd_map_post(struct dg_domain *d, unsigned long iova,
		     phys_addr_t paddr, size_t size, gfp_t gfp, int ret);
bool dg_ifd_idle(void);

extern struct dg_hook_set dg_vfio_type1_hooks;
extern struct dg_hook_set dg_sva_hooks;
extern struct dg_hook_set dg_iommufd_hooks;

#ifdef DMAGUARD_TEST_SEAM
/* test_hooks.c: a row on the test module tests/ibt */
extern struct dg_hook_set dg_test_hooks;
struct dentry;
void dg_test_hooks_debugfs(struct dentry *dir);
extern atomic_long_t dg_test_counters[];
#endif

/* Events the test build counts, in debugfs (test_hooks.c): work done. */
enum dg_test_counter {
	DG_TEST_IFD_LOOKUPS,	/* iommu_iova_to_phys() calls by an unmap */
	DG_TEST_NR,
};

static inline void dg_test_count(enum dg_test_counter c)
{
#ifdef DMAGUARD_TEST_SEAM
	atomic_long_inc(&dg_test_counters[c]);
#endif
}

/* sva.c: bind tracking, also driven by the test seam with a fake handle */
struct iommu_sva;
struct mm_struct;
struct dg_sva_handle {
	struct list_head node;
	struct iommu_sva *handle;
	struct mm_struct *mm;
	unsigned int refs;
};

int dg_sva_bind_prepare(struct mm_struct *mm, struct dg_sva_handle **h);
void dg_sva_bind_finish(struct iommu_sva *handle, struct mm_struct *mm,
			struct dg_sva_handle *new);
struct mm_struct *dg_sva_unbind_forget(struct iommu_sva *handle);

/* Resolves [module:]name to a function entry; 0 if absent. */
unsigned long dg_hook_resolve(const char *module, const char *name);

/* Groups of lazy rows: an operation registers the ones it needs. */
#define DG_NEED_PIN	1U	/* a map that flushes: the pin row */
#define DG_NEED_REPLAY	2U	/* an attach that may replay: iommu_map */

int dg_hook_need(struct dg_hook_set *set, unsigned int which);

/* Which rows of a set are armed (for protection details). */
bool dg_hook_armed(const struct dg_hook_set *set, const char *symbol);

/*
 * Which owner (VFIO container, iommufd object) the current task is working
 * on, for hooks deeper in the call chain that only see pfns. Pushed and
 * popped by wrappers around the owner-level entry points; lives on the
 * wrapper's stack.
 */
struct dg_ctx {
	struct list_head node;
	struct task_struct *task;
	enum dg_reason reason;
	bool hushed;			/* dg_ctx_hush() window open */
	bool whole;			/* flushes nothing: accounted whole */
	bool acct_whole;		/* mapped bytes counted whole, not per run */
	bool slotted;			/* in the lockless lookup slot */
	struct dg_ctx *slot_prev;	/* the slot before: our outer ctx */
	struct dg_owner_op op;
	/*
	 * What the set's per-run hooks flushed ahead of the runs VFIO will
	 * hand them next in this operation (vfio_type1.c); zeroed by push.
	 */
	struct {
		const void *batch;	/* pin: the vfio_batch flushed ahead */
		const void *pages;	/*   its page array then */
		int end;		/*   and its offset + size then */
		int tail;		/*   where its last run started */
		const void *regions;	/* unpin: vfio_sync_unpin()'s list */
		unsigned int ahead;	/*   entries of it flushed ahead */
		bool listed;		/*   the list was looked at */
	} la;
	/*
	 * A VFIO type1 attach (vfio_type1.c), which may replay the container's
	 * mappings into a new domain; zeroed by push.
	 */
	struct {
		bool attaching;
		bool decided;		/* at the attach's first iommu_map */
		bool flush;		/*   its maps are flushed */
		int coherent;		/* what the driver answered, enum dg_coherent */
		const void *group;	/* the group attaching */
		const struct iommu_domain *domain;	/* the one it answered for */
		struct dg_domain *entry;	/* the new domain's, referenced */
	} rp;
};

void dg_ctx_push(struct dg_ctx *ctx, const void *key, enum dg_reason reason);
void dg_ctx_pop(struct dg_ctx *ctx);
struct dg_ctx *dg_ctx_current(void);
bool dg_ctx_quiet(struct dg_ctx *ctx);
bool dg_ctx_hush(struct dg_ctx *ctx);
void dg_ctx_unhush(struct dg_ctx *ctx);

/* The devices of an IOMMU group, and the domain they are attached to. */
struct iommu_group;
struct iommu_domain;
struct dg_devscan {
	struct iommu_domain *domain;
	char devices[DG_DEVICES_LEN];
	size_t off;
};

void dg_group_scan(struct iommu_group *group, struct dg_devscan *s);

/* Every DG_HOOK_WRAP wrapper calls this last, after the original returned. */
void dg_hook_leave(void);

int dg_hooks_init(unsigned long require_mask);
void dg_hooks_exit(void);

#endif /* DMAGUARD_HOOKS_H */
