// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgibt_target: test-only module for the IBT suite. dgibt_leaf() is
 * static and only ever called directly, so GCC gives it no ENDBR64: the
 * kind of function (vfio_pin_pages_remote) that dmaguard must reach
 * without an indirect branch. dmaguard's TEST=1 build hooks it.
 *
 * /sys/module/dgibt_target/parameters/
 *   run       (write N) call dgibt_leaf() N times, check every result
 *   calls     (read) calls made by run writes, in total
 *   good      (read) of those, how many returned the right value
 *   entered   (read) how many times dgibt_leaf()'s body ran
 *   block_ms  (write MS) the next dgibt_leaf() call sleeps MS ms inside
 *             its body: a wrapped call left blocked in its original
 *   grab      (write SYMBOL) take SYMBOL with an ftrace ip-modify ops of
 *             our own (another livepatch-like user), so that dmaguard's
 *             registration of it fails with -EBUSY; (write -) release it
 *   bad_call  (write 1) negative control: an indirect call 4 bytes past
 *             the ENDBR64 of dgibt_pad(); on a CPU that enforces IBT this
 *             takes #CP ("Missing ENDBR", a BUG), elsewhere it returns
 *             and bad_call_ret reads 1
 */
#include <linux/ftrace.h>
#include <linux/delay.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/moduleparam.h>
#include <linux/kstrtox.h>
#include <linux/sched.h>

static unsigned long calls, good, entered, bad_call_ret;
static unsigned int block_ms;
module_param(block_ms, uint, 0644);
module_param(calls, ulong, 0444);
module_param(good, ulong, 0444);
module_param(entered, ulong, 0444);
module_param(bad_call_ret, ulong, 0444);

static noinline int dgibt_leaf(int x)
{
	/* A side effect, so the calls cannot be merged or dropped. */
	WRITE_ONCE(entered, READ_ONCE(entered) + 1);
	if (unlikely(READ_ONCE(block_ms)))
		msleep(xchg(&block_ms, 0));
	return 3 * x + 1;
}

static int dgibt_run_set(const char *val, const struct kernel_param *kp)
{
	unsigned long n, i;
	int ret = kstrtoul(val, 0, &n);

	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		int x = (int)(i & 0xffff);

		if (dgibt_leaf(x) == 3 * x + 1)
			good++;
		calls++;
		if (!(i & 1023))
			cond_resched();
	}
	return 0;
}

static const struct kernel_param_ops dgibt_run_ops = {
	.set = dgibt_run_set,
};
module_param_cb(run, &dgibt_run_ops, NULL, 0200);

static void notrace dgibt_grab_func(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops,
				    struct ftrace_regs *fregs)
{
}

static struct ftrace_ops dgibt_grab_ops = {
	.func = dgibt_grab_func,
	.flags = FTRACE_OPS_FL_IPMODIFY |
		 (IS_ENABLED(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS) ? 0 :
		  FTRACE_OPS_FL_SAVE_REGS),
};
static bool dgibt_grabbed;
static DEFINE_MUTEX(dgibt_grab_lock);

static void dgibt_release(void)
{
	if (!dgibt_grabbed)
		return;
	unregister_ftrace_function(&dgibt_grab_ops);
	ftrace_free_filter(&dgibt_grab_ops);
	dgibt_grabbed = false;
}

static int dgibt_grab_set(const char *val, const struct kernel_param *kp)
{
	char sym[KSYM_NAME_LEN];
	int ret = 0;

	if (strscpy(sym, val, sizeof(sym)) < 0)
		return -EINVAL;
	strim(sym);
	mutex_lock(&dgibt_grab_lock);
	dgibt_release();
	if (strcmp(sym, "-")) {
		ret = ftrace_set_filter(&dgibt_grab_ops, sym, strlen(sym), 1);
		if (!ret)
			ret = register_ftrace_function(&dgibt_grab_ops);
		if (ret)
			ftrace_free_filter(&dgibt_grab_ops);
		dgibt_grabbed = !ret;
	}
	mutex_unlock(&dgibt_grab_lock);
	return ret;
}

static const struct kernel_param_ops dgibt_grab_ops_param = {
	.set = dgibt_grab_set,
};
module_param_cb(grab, &dgibt_grab_ops_param, NULL, 0200);

/* Address taken: this one has an ENDBR64. */
static noinline long dgibt_pad(long x)
{
	return x + 1;
}

/* Read once at run time: the compiler cannot turn the call into a direct one. */
static struct {
	long (*fn)(long x);
} dgibt_call = { dgibt_pad };

static int dgibt_bad_call_set(const char *val, const struct kernel_param *kp)
{
	unsigned long past = (unsigned long)READ_ONCE(dgibt_call.fn) + 4;

	WRITE_ONCE(dgibt_call.fn, (void *)past);
	pr_info("dgibt_target: indirect call to dgibt_pad+4 (past ENDBR64)\n");
	bad_call_ret = READ_ONCE(dgibt_call.fn)(0);
	pr_info("dgibt_target: returned %lu: IBT did not stop it\n",
		bad_call_ret);
	return 0;
}

static const struct kernel_param_ops dgibt_bad_call_ops = {
	.set = dgibt_bad_call_set,
};
module_param_cb(bad_call, &dgibt_bad_call_ops, NULL, 0200);

static int __init dgibt_init(void)
{
	return 0;
}

static void __exit dgibt_exit(void)
{
	mutex_lock(&dgibt_grab_lock);
	dgibt_release();
	mutex_unlock(&dgibt_grab_lock);
}

module_init(dgibt_init);
module_exit(dgibt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dmaguard IBT test target (test only)");
