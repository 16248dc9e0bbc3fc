// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hook engine: resolves, arms and disarms the hook sets declared by the
 * subsystem files, follows their target modules through a module notifier,
 * and keeps unload safe.
 *
 * Symbols are resolved by registering a throw-away kprobe on "module:symbol"
 * (kallsyms_lookup_name is no longer exported); that also proves the point
 * can be probed at all. A plain kprobe on a module that is not loaded yet
 * fails with -ENOENT and would stay gone after a reload, so sets on modules
 * are armed from MODULE_STATE_COMING and disarmed at MODULE_STATE_GOING.
 *
 * Unload safety: the ftrace thunk takes a reference on this module before
 * it redirects a call to a wrapper, and dg_hook_leave() drops it. So rmmod
 * fails at once with -EBUSY (EWOULDBLOCK) while a wrapped call is under way
 * (it may block for long inside the original: a page fault on a file that
 * does not answer), instead of waiting for it; once the module is going,
 * calls are no longer redirected. Exit disarms everything, then waits an
 * RCU-tasks grace period so no task is still on the few instructions of a
 * wrapper after dg_hook_leave(). A failed load (which frees the module
 * without looking at its references) first waits for the references of
 * calls redirected meanwhile to drop.
 *
 * Locking: dg_hooks_mutex serialises arming and disarming (init, exit and
 * the module notifier) and protects dg_hook_set::armed.
 */
#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/delay.h>
#include <linux/rcupdate.h>
#include <linux/kallsyms.h>
#include <linux/hash.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/sched/task_stack.h>
#include "hooks.h"
#include "../arch/arch.h"
#include "../compat/compat.h"

static DEFINE_MUTEX(dg_hooks_mutex);

#ifdef DMAGUARD_TEST_SEAM
/* Test builds: pretend this hook symbol is absent, to test fail-safe paths. */
static char *test_hide_symbol = "";
module_param(test_hide_symbol, charp, 0444);
MODULE_PARM_DESC(test_hide_symbol, "test builds only: treat this symbol as missing");

static bool dg_test_hidden(const char *name)
{
	return !strcmp(name, test_hide_symbol);
}

/* Test builds: fail the load after every set armed (the failed-load path). */
static bool test_fail_init;
module_param(test_fail_init, bool, 0444);
MODULE_PARM_DESC(test_fail_init, "test builds only: fail the load after arming");
#else
static bool dg_test_hidden(const char *name)
{
	return false;
}

static const bool test_fail_init;
#endif
static unsigned long dg_require_mask;

static struct dg_hook_set *const dg_sets[] = {
	&dg_vfio_type1_hooks,
	&dg_sva_hooks,
	&dg_iommufd_hooks,
#ifdef DMAGUARD_TEST_SEAM
	&dg_test_hooks,
#endif
};

static DEFINE_SPINLOCK(dg_ctx_lock);
static LIST_HEAD(dg_ctx_list);

/*
 * Tasks whose current owner operation needs nothing from the per-run hooks
 * (a coherent domain under auto, or policy never): the ftrace thunk lets
 * their pin/unpin calls run unhooked, which is what keeps a coherent
 * domain's map/unmap near its cost without dmaguard. One slot per hash of
 * the task; a task that finds its slot taken just takes the hooked path.
 */
#define DG_QUIET_BITS	6
static struct task_struct *dg_quiet[1 << DG_QUIET_BITS];

static __always_inline struct task_struct **dg_quiet_slot(struct task_struct *task)
{
	return &dg_quiet[hash_ptr(task, DG_QUIET_BITS)];
}

/*
 * Skip the current task's per-run hooks until dg_ctx_unhush() (at the
 * latest dg_ctx_pop()): for a window in which the caller has already
 * flushed and accounted every per-run call to come. False if the task's
 * slot is taken: they take the usual path.
 */
bool dg_ctx_hush(struct dg_ctx *ctx)
{
	ctx->hushed = !cmpxchg(dg_quiet_slot(current), NULL, current);
	return ctx->hushed;
}

/*
 * Hushes the whole operation if it decided it flushes nothing. Not when
 * enabled=0: that is checked per run, so turning it back on takes effect
 * at once. The caller then accounts the operation as a whole. (No per-run
 * wrapper runs inside it, so none can unhush it early.)
 */
bool dg_ctx_quiet(struct dg_ctx *ctx)
{
	if (!ctx->op.known || ctx->op.target || !READ_ONCE(dg_enabled))
		return false;
	return dg_ctx_hush(ctx);
}

void dg_ctx_unhush(struct dg_ctx *ctx)
{
	if (!ctx->hushed)
		return;
	WRITE_ONCE(*dg_quiet_slot(current), NULL);
	ctx->hushed = false;
}

/*
 * The innermost context of each task inside an owner operation, by hash of
 * the task: the per-run hooks look it up once per pfn run, without the
 * lock. A slot taken by another task sends the lookup to the locked list.
 */
static struct dg_ctx *dg_ctx_slots[1 << DG_QUIET_BITS];

/* Starts an owner operation: decides once what its runs need. */
void dg_ctx_push(struct dg_ctx *ctx, const void *key, enum dg_reason reason)
{
	struct dg_ctx **slot = &dg_ctx_slots[hash_ptr(current, DG_QUIET_BITS)];
	struct dg_ctx *prev = READ_ONCE(*slot);

	ctx->task = current;
	ctx->reason = reason;
	ctx->hushed = false;
	ctx->whole = false;
	ctx->acct_whole = false;
	memset(&ctx->la, 0, sizeof(ctx->la));
	memset(&ctx->rp, 0, sizeof(ctx->rp));
	dg_owner_begin(&ctx->op, key);
	spin_lock(&dg_ctx_lock);
	list_add(&ctx->node, &dg_ctx_list);
	spin_unlock(&dg_ctx_lock);
	/* Only this task replaces a slot holding its own (outer) context. */
	ctx->slot_prev = NULL;
	ctx->slotted = false;
	if (prev && object_is_on_stack(prev)) {
		ctx->slot_prev = prev;
		WRITE_ONCE(*slot, ctx);
		ctx->slotted = true;
	} else if (!prev) {
		ctx->slotted = !cmpxchg(slot, NULL, ctx);
	}
}

void dg_ctx_pop(struct dg_ctx *ctx)
{
	if (ctx->slotted)
		WRITE_ONCE(dg_ctx_slots[hash_ptr(current, DG_QUIET_BITS)],
			   ctx->slot_prev);
	dg_ctx_unhush(ctx);
	spin_lock(&dg_ctx_lock);
	list_del(&ctx->node);
	spin_unlock(&dg_ctx_lock);
	dg_owner_end(&ctx->op);
}

/*
 * The lockless half of dg_ctx_current(), from the task's slot @h; also
 * safe in the ftrace thunk.
 */
static __always_inline struct dg_ctx *dg_ctx_slotted(unsigned int h)
{
	struct dg_ctx *ctx = READ_ONCE(dg_ctx_slots[h]);

	/* On this task's stack: this task's, still pushed, the innermost. */
	return ctx && object_is_on_stack(ctx) ? ctx : NULL;
}

/*
 * The innermost context the current task pushed, if any. It lives on this
 * task's stack in a caller's frame, so it stays valid for the caller of
 * this function without a lock.
 */
struct dg_ctx *dg_ctx_current(void)
{
	struct dg_ctx *ctx, *found = NULL;

	ctx = dg_ctx_slotted(hash_ptr(current, DG_QUIET_BITS));
	if (ctx)
		return ctx;
	spin_lock(&dg_ctx_lock);
	list_for_each_entry(ctx, &dg_ctx_list, node) {
		if (ctx->task == current) {
			found = ctx;
			break;
		}
	}
	spin_unlock(&dg_ctx_lock);
	return found;
}

static int dg_scan_dev(struct device *dev, void *data)
{
	struct dg_devscan *s = data;

	if (!s->domain)
		s->domain = iommu_get_domain_for_dev(dev);
	s->off += scnprintf(s->devices + s->off, sizeof(s->devices) - s->off,
			    "%s%s", s->off ? " " : "",
			    dev_is_pci(dev) ? pci_name(to_pci_dev(dev)) :
			    dev_name(dev));
	return 0;
}

/* Takes the group's mutex: not while a caller below us holds it. */
void dg_group_scan(struct iommu_group *group, struct dg_devscan *s)
{
	iommu_group_for_each_dev(group, s, dg_scan_dev);
}

void dg_hook_leave(void)
{
	module_put(THIS_MODULE);
}

static __always_inline void dg_ftrace_redirect(const struct dg_hook *h,
					       struct ftrace_regs *fregs)
{
	/* Fails only once rmmod took the module down: run unhooked then. */
	if (try_module_get(THIS_MODULE))
		dg_ftrace_set_ip(fregs, (unsigned long)h->wrapper);
}

/* Out of line: keeps the thunk's quiet path free of a stack frame. */
static noinline void notrace dg_ftrace_pass(const struct dg_hook *h,
					    struct ftrace_regs *fregs)
{
	struct dg_ctx *ctx = dg_ctx_slotted(hash_ptr(current, DG_QUIET_BITS));

	if (ctx && h->pass(ctx, fregs))
		return;
	dg_ftrace_redirect(h, fregs);
}

static void notrace dg_ftrace_thunk(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops,
				    struct ftrace_regs *fregs)
{
	struct dg_hook_state *st = container_of(ops, struct dg_hook_state, ops);
	const struct dg_hook *h = st->hook;

	if (h->idle && h->idle())
		return;
	if (h->per_run && READ_ONCE(*dg_quiet_slot(current)) == current)
		return;
	/* Our wrapper calling the original at its entry: let it run. */
	if (dg_this_module_text(parent_ip))
		return;
	if (h->pass)
		dg_ftrace_pass(h, fregs);
	else
		dg_ftrace_redirect(h, fregs);
}

/* Resolves [module:]name with a throw-away kprobe; 0 if not found. */
unsigned long dg_hook_resolve(const char *module, const char *name)
{
	char sym[KSYM_NAME_LEN + MODULE_NAME_LEN + 2];
	struct kprobe kp = {};
	unsigned long addr;

	if (module)
		snprintf(sym, sizeof(sym), "%s:%s", module, name);
	else
		strscpy(sym, name, sizeof(sym));
	kp.symbol_name = sym;
	if (register_kprobe(&kp))
		return 0;
	addr = dg_arch_func_entry((unsigned long)kp.addr);
	unregister_kprobe(&kp);
	return addr;
}

/*
 * The compiler may have cloned a static function with a changed signature
 * (.isra/.constprop/.part): name it in the reason, never hook it blindly.
 */
static const char *dg_clone_of(const char *module, const char *name,
			       char *buf, size_t len)
{
	static const char *const suffixes[] = {
		".isra.0", ".constprop.0", ".part.0", ".cold",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		snprintf(buf, len, "%s%s", name, suffixes[i]);
		if (dg_hook_resolve(module, buf))
			return buf;
	}
	return NULL;
}

static const char *dg_row_module(const struct dg_hook_set *set,
				 const struct dg_hook *h)
{
	return h->vmlinux ? NULL : set->module;
}

/*
 * Point a row's static call at @target (text patching: sleeps, takes the
 * CPU hotplug lock and text_mutex; under dg_hooks_mutex, never the other
 * way round).
 */
static void dg_orig_point(const struct dg_hook *h, unsigned long target)
{
	__static_call_update(h->orig.key, h->orig.tramp, (void *)target);
}

/*
 * Back to the stub: before the target's text can go away (its module is
 * GOING), and on exit or a failed load once no wrapper is running.
 */
static void dg_orig_reset(const struct dg_hook *h)
{
	if (h->orig.key)
		__static_call_update(h->orig.key, h->orig.tramp,
				     (void *)__static_call_return0);
}

/* Why a row could not be registered with ftrace, for the protections. */
static void dg_live_failed(char *why, size_t whylen, const char *name, int ret)
{
	if (ret == -EBUSY)
		scnprintf(why, whylen,
			  "ftrace on %s refused: -EBUSY (kernel.ftrace_enabled=0, or another ip-modify user owns it)",
			  name);
	else
		scnprintf(why, whylen, "ftrace on %s failed: %d", name, ret);
}

/*
 * The one registration of a shared row (hook.shared): its state is the
 * first arming row's, copied; @armed and @live count the sets' rows that
 * are. Under dg_hooks_mutex.
 */
struct dg_shared {
	struct dg_hook_state st;
	unsigned int armed;
	unsigned int live;
};

/* iommu_map and the drivers' enforce_cache_coherency rows (hooks.h): 5 */
static struct dg_shared dg_shared[6];

/* Redirect calls of an armed DG_HOOK_WRAP row to its wrapper from now on. */
static int dg_hook_go_live(struct dg_hook_state *st)
{
	struct dg_hook_state *reg = st->sh ? &st->sh->st : st;
	int ret = 0;

	if (!reg->live) {
		ret = register_ftrace_function(&reg->ops);
		if (ret)
			return ret;
		reg->live = true;
	}
	if (st->sh)
		st->sh->live++;
	st->live = true;
	return 0;
}

/* Set up (or, shared and set up already, join) a row's ftrace ops. */
static int dg_ops_prepare(struct dg_hook_state *st, unsigned long addr)
{
	const struct dg_hook *h = st->hook;
	struct dg_hook_state *reg = st;
	struct dg_shared *sh = NULL;
	unsigned int i;
	int ret;

	if (h->shared) {
		for (i = 0; i < ARRAY_SIZE(dg_shared) && !sh; i++)
			if (dg_shared[i].armed &&
			    dg_shared[i].st.hook->wrapper == h->wrapper)
				sh = &dg_shared[i];
		if (sh) {
			sh->armed++;
			st->sh = sh;
			return 0;
		}
		for (i = 0; i < ARRAY_SIZE(dg_shared) && !sh; i++)
			if (!dg_shared[i].armed)
				sh = &dg_shared[i];
		if (WARN_ON_ONCE(!sh))
			return -ENOSPC;
		reg = &sh->st;
		reg->hook = h;
		reg->addr = addr;
	}
	memset(&reg->ops, 0, sizeof(reg->ops));
	reg->ops.func = dg_ftrace_thunk;
	/*
	 * No FTRACE_OPS_FL_RECURSION: the thunk calls nothing traceable, so it
	 * needs no recursion guard around it (one less call per hooked call).
	 * PERMANENT, as livepatch: while a row is live the kernel refuses
	 * sysctl kernel.ftrace_enabled=0, which would bypass every wrapper
	 * while protections still said armed; and a row does not go live
	 * while it is 0.
	 */
	reg->ops.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT |
			 DG_FTRACE_OPS_FL_REGS;
	ret = ftrace_set_filter_ip(&reg->ops, addr, 0, 0);
	if (ret)
		return ret;
	if (sh) {
		sh->armed = 1;
		st->sh = sh;
	}
	return 0;
}

/* Undo dg_ops_prepare() and dg_hook_go_live() for one row. */
static void dg_ops_release(struct dg_hook_state *st)
{
	struct dg_shared *sh = st->sh;

	if (!sh) {
		if (st->live)
			unregister_ftrace_function(&st->ops);
		ftrace_free_filter(&st->ops);
		return;
	}
	if (st->live && !--sh->live) {
		unregister_ftrace_function(&sh->st.ops);
		sh->st.live = false;
	}
	if (!--sh->armed)
		ftrace_free_filter(&sh->st.ops);
	st->sh = NULL;
}

static int dg_arm_one(struct dg_hook_set *set, struct dg_hook_state *st,
		      char *why, size_t whylen)
{
	const struct dg_hook *h = st->hook;
	const char *module = dg_row_module(set, h);
	const char *const *fb = h->fallbacks;
	const char *name = h->symbol;
	char clone[KSYM_NAME_LEN];
	unsigned long addr, body;
	int ret;

	addr = dg_test_hidden(name) ? 0 : dg_hook_resolve(module, name);
	while (!addr && fb && *fb) {
		name = *fb++;
		addr = dg_hook_resolve(module, name);
	}
	if (!addr) {
		if (dg_clone_of(module, h->symbol, clone, sizeof(clone)))
			scnprintf(why, whylen,
				  "%s exists only as %s (signature may differ)",
				  h->symbol, clone);
		else
			scnprintf(why, whylen, "%s not found (inlined?)",
				  h->symbol);
		return -ENOENT;
	}
	st->addr = addr;
	st->resolved = name;

	if (h->kind == DG_HOOK_SYMBOL) {
		if (!dg_arch_branch_ok(addr)) {
			scnprintf(why, whylen, "%s: %s", name,
				  dg_arch_branch_refusal());
			return -EPERM;
		}
		dg_orig_point(h, addr);
		st->armed = true;
		return 0;
	}

	if (h->kind == DG_HOOK_KPROBE) {
		memset(&st->kp, 0, sizeof(st->kp));
		st->kp.addr = (kprobe_opcode_t *)addr;
		st->kp.pre_handler = h->pre;
		ret = register_kprobe(&st->kp);
		if (ret) {
			scnprintf(why, whylen, "kprobe on %s failed: %d",
				  name, ret);
			return ret;
		}
		st->armed = true;
		return 0;
	}

	/* Past the ftrace site, so the original passes ftrace once a call. */
	body = dg_arch_func_body(addr);
	if (!dg_arch_branch_ok(body)) {
		scnprintf(why, whylen, "%s: %s", name,
			  dg_arch_branch_refusal());
		return -EPERM;
	}
	dg_orig_point(h, body);
	ret = dg_ops_prepare(st, addr);
	if (ret) {
		scnprintf(why, whylen, "ftrace filter on %s failed: %d",
			  name, ret);
		return ret;
	}
	st->armed = true;
	/* Ready: dg_hook_need() registers it (unless a sharer did). */
	if (h->lazy && !(st->sh && st->sh->live))
		return 0;
	ret = dg_hook_go_live(st);
	if (ret) {
		dg_ops_release(st);
		st->armed = false;
		dg_live_failed(why, whylen, name, ret);
	}
	return ret;
}

static void dg_disarm_one(struct dg_hook_state *st)
{
	if (!st->armed)
		return;
	/* A DG_HOOK_SYMBOL row has nothing registered. */
	if (st->hook->kind == DG_HOOK_KPROBE)
		unregister_kprobe(&st->kp);
	else if (st->hook->kind == DG_HOOK_WRAP)
		dg_ops_release(st);
	st->armed = false;
	st->live = false;
	st->resolved = NULL;
}

static void dg_set_prots(struct dg_hook_set *set, enum dg_pstate state,
			 const char *why)
{
	unsigned int i;

	if (set->report) {
		set->report(state == DG_PS_ARMED ? 0 : -ENOENT, why);
		return;
	}
	for (i = 0; i < set->nr; i++) {
		const struct dg_hook *h = &set->hooks[i];
		const char *module = dg_row_module(set, h);

		if (h->provides == DG_PROT_NONE)
			continue;
		if (state == DG_PS_ARMED)
			dg_prot_set(h->provides, state, "%s via %s%s%s",
				    dg_arch_flush_method(),
				    module ?: "", module ? ":" : "",
				    h->symbol);
		else
			dg_prot_set(h->provides, state, "%s", why);
	}
}

static bool dg_set_required(const struct dg_hook_set *set)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		if (set->hooks[i].provides != DG_PROT_NONE &&
		    test_bit(set->hooks[i].provides, &dg_require_mask))
			return true;
	return false;
}

static void dg_disarm_set(struct dg_hook_set *set)
{
	unsigned int i;

	lockdep_assert_held(&dg_hooks_mutex);
	WRITE_ONCE(set->live, 0);
	for (i = set->nr; i-- > 0;)
		dg_disarm_one(&set->state[i]);
	if (set->armed && set->disarmed)
		set->disarmed();
	set->armed = false;
	set->saw_all = false;
	set->need_failed = false;
}

/*
 * An operation is about to need the set's lazy rows: register them now, so
 * that every call from here on is redirected. Sleeps (ftrace patches text).
 * 0 when they are live, or when the set is not armed (being unloaded: its
 * wrappers are on their way out too); else the operation must fail.
 */
int dg_hook_need(struct dg_hook_set *set, unsigned int which)
{
	char why[DG_DETAIL_LEN];
	unsigned int i;
	int ret = 0;

	if (likely((READ_ONCE(set->live) & which) == which))
		return 0;
	mutex_lock(&dg_hooks_mutex);
	for (i = 0; set->armed && !ret && i < set->nr; i++) {
		struct dg_hook_state *st = &set->state[i];

		if (st->armed && (st->hook->lazy & which) && !st->live) {
			ret = dg_hook_go_live(st);
			if (ret)
				dg_live_failed(why, sizeof(why),
					       st->hook->symbol, ret);
		}
	}
	if (set->armed && !ret) {
		WRITE_ONCE(set->live, set->live | which);
		/* A refusal earlier is over: say armed again. */
		if (set->need_failed)
			dg_set_prots(set, DG_PS_ARMED, NULL);
		set->need_failed = false;
	} else if (set->armed) {
		/*
		 * The operation fails (nothing is mapped unflushed), and so
		 * will every one that needs the row until it registers: the
		 * protection is not armed meanwhile, say so.
		 */
		set->need_failed = true;
		dg_set_prots(set, DG_PS_UNAVAILABLE, why);
	}
	mutex_unlock(&dg_hooks_mutex);
	if (ret)
		pr_warn_ratelimited("dmaguard: %s: %s\n", set->name, why);
	return ret;
}

/*
 * Reset the set's static calls to the stub: all of them, or (@going) those
 * into the module that is going away. A vmlinux row of a module's set
 * (iommu_map) stays pointed: wrappers that other callers entered before
 * the disarm may still be on their way to it.
 */
static void dg_reset_set(struct dg_hook_set *set, bool going)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		if (!going || !set->hooks[i].vmlinux)
			dg_orig_reset(&set->hooks[i]);
}

bool dg_hook_armed(const struct dg_hook_set *set, const char *symbol)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		if (!strcmp(set->hooks[i].symbol, symbol))
			return set->state[i].armed;
	return false;
}

/*
 * A function of ours for the ftrace check below: traceable, never called.
 */
static noinline void dg_ftrace_canary(void)
{
	barrier();
}

static void notrace dg_ftrace_canary_func(unsigned long ip,
					  unsigned long parent_ip,
					  struct ftrace_ops *ops,
					  struct ftrace_regs *fregs)
{
}

/* Under dg_hooks_mutex; set up anew for each use (as the rows' ops). */
static struct ftrace_ops dg_canary_ops;

/*
 * Is ftrace usable (not sysctl kernel.ftrace_enabled=0)? A permanent ops is
 * refused with -EBUSY while it is off, before anything else happens. Asked
 * before a set resolves anything: registering and removing kprobes on
 * ftrace sites while ftrace is off leaves kprobes' ftrace ops inconsistent
 * (a WARN in ftrace_shutdown, then an oops, seen on 6.12 once it is back
 * on).
 */
static int dg_ftrace_usable(char *why, size_t whylen)
{
	int ret;

	/* ftrace_free_filter() leaves the ops' hashes freed: start clean. */
	memset(&dg_canary_ops, 0, sizeof(dg_canary_ops));
	dg_canary_ops.func = dg_ftrace_canary_func;
	dg_canary_ops.flags = FTRACE_OPS_FL_PERMANENT;
	ret = ftrace_set_filter_ip(&dg_canary_ops,
				   (unsigned long)dg_ftrace_canary, 0, 0);
	if (!ret) {
		ret = register_ftrace_function(&dg_canary_ops);
		if (!ret)
			unregister_ftrace_function(&dg_canary_ops);
	}
	ftrace_free_filter(&dg_canary_ops);
	if (ret == -EBUSY)
		scnprintf(why, whylen,
			  "ftrace is off (kernel.ftrace_enabled=0): nothing hooked");
	else if (ret)
		scnprintf(why, whylen, "ftrace unusable: %d", ret);
	return ret;
}

/* All rows or none (optional rows that are absent excepted). */
static int dg_arm_set(struct dg_hook_set *set)
{
	unsigned int skip = set->skip_flags ? set->skip_flags() : 0;
	char why[DG_DETAIL_LEN];
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&dg_hooks_mutex);
	if (set->armed)
		return 0;
	ret = dg_ftrace_usable(why, sizeof(why));
	for (i = 0; !ret && i < set->nr; i++) {
		const struct dg_hook *h = &set->hooks[i];

		set->state[i].hook = h;
		if (h->skip_flags & skip)
			continue;
		set->state[i].absent = false;
		ret = dg_arm_one(set, &set->state[i], why, sizeof(why));
		/* An optional row we may not call is as good as absent. */
		if ((ret == -ENOENT || ret == -EPERM) && h->optional) {
			set->state[i].absent = true;
			set->state[i].resolved = NULL;
			ret = 0;
			continue;
		}
		if (ret)
			break;
	}
	if (ret) {
		dg_disarm_set(set);
		dg_set_prots(set, DG_PS_UNAVAILABLE, why);
		pr_warn("dmaguard: %s hooks not armed: %s\n", set->name, why);
		return ret;
	}
	set->armed = true;
	dg_set_prots(set, DG_PS_ARMED, NULL);
	pr_info("dmaguard: %s hooks armed\n", set->name);
	return 0;
}

/* /sys/module/<name>, the one exported view of a module (referenced). */
static struct module_kobject *dg_module_kobj(const char *name)
{
	struct kset *modules = THIS_MODULE->mkobj.kobj.kset;
	struct kobject *kobj = modules ? kset_find_obj(modules, name) : NULL;

	return kobj ? container_of(kobj, struct module_kobject, kobj) : NULL;
}

/*
 * Is the module there to be hooked: live, or still in its init (COMING)?
 * A module whose COMING notification went out before our notifier was
 * registered is armed from here, or nothing ever would arm it.
 */
static bool dg_module_loaded(const char *name)
{
	struct module_kobject *mk = dg_module_kobj(name);
	bool present;

	if (!mk)
		return false;
	/* Built-in code with parameters has a kobject but no module. */
	present = !mk->mod || mk->mod->state == MODULE_STATE_LIVE ||
		  mk->mod->state == MODULE_STATE_COMING;
	kobject_put(&mk->kobj);
	return present;
}

/* Is a loaded module unused (no container, file or module holds it)? */
static bool dg_module_unused(const char *name)
{
	struct module_kobject *mk = dg_module_kobj(name);
	bool unused;

	if (!mk)
		return false;
	unused = mk->mod && module_refcount(mk->mod) == 0;
	kobject_put(&mk->kobj);
	return unused;
}

static int dg_module_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct module *mod = data;
	int ret = 0;
	unsigned int i;

	if (action != MODULE_STATE_COMING && action != MODULE_STATE_LIVE &&
	    action != MODULE_STATE_GOING)
		return NOTIFY_DONE;

	mutex_lock(&dg_hooks_mutex);
	for (i = 0; i < ARRAY_SIZE(dg_sets); i++) {
		struct dg_hook_set *set = dg_sets[i];
		char why[DG_DETAIL_LEN];

		if (!set->module || strcmp(set->module, mod->name))
			continue;
		if (set->wanted && !set->wanted())
			continue;
		if (action == MODULE_STATE_LIVE) {
			/*
			 * Its COMING went out before this notifier existed
			 * (dmaguard loading during its init): arm now. Too
			 * late to refuse its load; the protection says so.
			 */
			if (!set->armed && !dg_arm_set(set))
				set->saw_all = dg_module_unused(set->module);
		} else if (action == MODULE_STATE_COMING) {
			ret = dg_arm_set(set);
			/* Armed before the module ran: it saw all its objects. */
			set->saw_all = !ret;
			if (ret && dg_set_required(set)) {
				pr_err("dmaguard: refusing to let %s load: a required protection cannot be armed\n",
				       mod->name);
				break;
			}
			ret = 0;
		} else {
			dg_disarm_set(set);
			dg_reset_set(set, true);
			scnprintf(why, sizeof(why),
				  "%s not loaded (arms when it loads)",
				  set->module);
			dg_set_prots(set, DG_PS_UNAVAILABLE, why);
		}
	}
	mutex_unlock(&dg_hooks_mutex);
	return ret ? notifier_from_errno(ret) : NOTIFY_OK;
}

/*
 * /sys/kernel/dmaguard/hooks: every row of every set, one line each, for
 * bug reports ("which function did each hook point resolve to here"):
 *   <set> <row> <state> <resolved>
 * state: live (calls are redirected), armed (resolved and checked, lazy:
 * registered at first need), absent (optional, not on this kernel),
 * skipped (not needed on this kernel), off (the set is not armed);
 * resolved: the function the row resolved to (a fallback name or a
 * compiler clone such as .isra.0), or "-".
 */
static ssize_t hooks_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	unsigned int i, j, skip;
	const char *state;
	ssize_t off = 0;

	mutex_lock(&dg_hooks_mutex);
	for (i = 0; i < ARRAY_SIZE(dg_sets); i++) {
		struct dg_hook_set *set = dg_sets[i];

		skip = set->skip_flags ? set->skip_flags() : 0;
		for (j = 0; j < set->nr; j++) {
			const struct dg_hook *h = &set->hooks[j];
			const struct dg_hook_state *st = &set->state[j];

			if (!set->armed)
				state = "off";
			else if (h->skip_flags & skip)
				state = "skipped";
			else if (st->absent)
				state = "absent";
			else if (st->live || h->kind != DG_HOOK_WRAP)
				state = "live";
			else
				state = "armed";
			off += sysfs_emit_at(buf, off, "%s %s %s %s\n", set->name,
					     h->symbol, state,
					     set->armed && st->resolved ?
					     st->resolved : "-");
		}
	}
	mutex_unlock(&dg_hooks_mutex);
	return off;
}

static struct kobj_attribute dg_attr_hooks = __ATTR_RO(hooks);

static void dg_hooks_quiesce(int base_refs);

static struct notifier_block dg_module_nb = {
	.notifier_call = dg_module_notify,
};

int dg_hooks_init(unsigned long require_mask)
{
	unsigned int i;
	int ret;

	dg_require_mask = require_mask;
	ret = dg_sysfs_add_file(&dg_attr_hooks.attr);
	if (ret)
		return ret;
	ret = register_module_notifier(&dg_module_nb);
	if (ret) {
		dg_sysfs_remove_file(&dg_attr_hooks.attr);
		return ret;
	}

	mutex_lock(&dg_hooks_mutex);
	for (i = 0; i < ARRAY_SIZE(dg_sets); i++) {
		struct dg_hook_set *set = dg_sets[i];
		char why[DG_DETAIL_LEN];

		if (set->wanted && !set->wanted())
			continue;
		/* Our notifier saw its COMING already: armed, reported. */
		if (set->armed)
			continue;
		if (set->module && !dg_module_loaded(set->module)) {
			scnprintf(why, sizeof(why),
				  "%s not loaded (arms when it loads)",
				  set->module);
			dg_set_prots(set, DG_PS_UNAVAILABLE, why);
			continue;
		}
		ret = dg_arm_set(set);
		if (ret && dg_set_required(set))
			goto err_disarm;
		/* Checked after arming: anything created later is seen. */
		if (!ret && set->module)
			set->saw_all = dg_module_unused(set->module);
		ret = 0;
	}
	if (test_fail_init) {
		ret = -EINVAL;
		goto err_disarm;
	}
	mutex_unlock(&dg_hooks_mutex);
	return 0;

err_disarm:
	mutex_unlock(&dg_hooks_mutex);
	unregister_module_notifier(&dg_module_nb);
	/*
	 * Wrappers may have run already: the same teardown as an unload. The
	 * loader holds one reference during init.
	 */
	dg_hooks_quiesce(1);
	dg_sysfs_remove_file(&dg_attr_hooks.attr);
	return ret;
}

/*
 * Disarm everything, wait until no call is left in a wrapper (they run the
 * originals through our static calls; each holds a module reference above
 * @base_refs), then reset the static calls. The module notifier must be
 * gone already.
 */
static void dg_hooks_quiesce(int base_refs)
{
	unsigned int i;

	mutex_lock(&dg_hooks_mutex);
	for (i = 0; i < ARRAY_SIZE(dg_sets); i++)
		dg_disarm_set(dg_sets[i]);
	mutex_unlock(&dg_hooks_mutex);

	/*
	 * Calls already redirected finish in our wrappers. At exit none is
	 * left (rmmod needed the references gone); a failed load waits.
	 */
	while (module_refcount(THIS_MODULE) > base_refs)
		msleep(20);
	synchronize_rcu_tasks();

	mutex_lock(&dg_hooks_mutex);
	for (i = 0; i < ARRAY_SIZE(dg_sets); i++)
		dg_reset_set(dg_sets[i], false);
	mutex_unlock(&dg_hooks_mutex);
}

void dg_hooks_exit(void)
{
	dg_sysfs_remove_file(&dg_attr_hooks.attr);
	unregister_module_notifier(&dg_module_nb);
	dg_hooks_quiesce(0);
}
