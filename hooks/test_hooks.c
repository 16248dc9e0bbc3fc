// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only hook set, built with `make TEST=1` (never shipped): one row on
 * dgibt_leaf(), a static, directly called function of the test module
 * tests/ibt (no ENDBR64: GCC gives none to a function whose address is
 * never taken). It goes through the same engine path as the VFIO rows:
 * resolve, ftrace redirect to a wrapper, static call to the original,
 * re-arm when the module comes back, reset when it goes. The suite drives
 * it on a CPU that enforces IBT, where any indirect branch to that
 * function would take a #CP.
 *
 * /sys/kernel/debug/dmaguard/:
 *   test_leaf_calls  (read) calls that went through the wrapper
 *   test_leaf_orig   (write x) call the original through its static call
 *                    now; (read) what it returned: 0 from the stub when the
 *                    module is gone
 *   test_need        (write 1) dg_hook_need() on the VFIO set: registers
 *                    its pin row as a map that flushes would
 *   ifd_lookups      (read) iommu_iova_to_phys() calls the iommufd unmap
 *                    hook made so far
 *   sva_fake_bind    (write 1) track an SVA bind of the writer's mm as the
 *                    bind wrapper does, with a fake handle as if the
 *                    kernel's bind had succeeded (none can in QEMU): fails
 *                    when the wrapper would refuse the bind; (write 0)
 *                    its unbind
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include "hooks.h"

static int dg_test_leaf(int x);

DG_ORIG_DEFINE(test_leaf, dg_test_leaf);

static atomic_long_t dg_test_leaf_calls = ATOMIC_LONG_INIT(0);
static int dg_test_orig_result;

atomic_long_t dg_test_counters[DG_TEST_NR];

static int dg_test_leaf(int x)
{
	int ret;

	atomic_long_inc(&dg_test_leaf_calls);
	ret = DG_ORIG(test_leaf)(x);
	dg_hook_leave();
	return ret;
}

/*
 * The replay seam (tests/vm/vfio-replay.sh): the group with this IOMMU group
 * id gets "not coherent" from its IOMMU driver when a type1 container
 * attaches it, as a group behind a DMAR unit without snoop control would.
 * type1 then cannot put it in a coherent domain of the container: it makes
 * a new one and replays every mapping into it. -1: off.
 */
static int test_noncoherent_group = -1;
module_param(test_noncoherent_group, int, 0644);
MODULE_PARM_DESC(test_noncoherent_group,
		 "TEST build: IOMMU group id whose type1 attach is told its new domain is not coherent (-1: none)");

bool dg_test_noncoherent(const void *group)
{
	int id = READ_ONCE(test_noncoherent_group);

	return id >= 0 && iommu_group_id((struct iommu_group *)group) == id;
}

static const struct dg_hook dg_test_rows[] = {
	{
		.symbol = "dgibt_leaf",
		.kind = DG_HOOK_WRAP,
		.wrapper = dg_test_leaf,
		.orig = DG_ORIG_REF(test_leaf),
		.provides = DG_PROT_NONE,
	},
};

static struct dg_hook_state dg_test_state[ARRAY_SIZE(dg_test_rows)];

struct dg_hook_set dg_test_hooks = {
	.name = "test",
	.module = "dgibt_target",
	.hooks = dg_test_rows,
	.state = dg_test_state,
	.nr = ARRAY_SIZE(dg_test_rows),
};

static int dg_test_calls_get(void *data, u64 *val)
{
	*val = atomic_long_read(&dg_test_leaf_calls);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dg_test_calls_fops, dg_test_calls_get, NULL, "%llu\n");

static int dg_test_orig_get(void *data, u64 *val)
{
	*val = (u32)READ_ONCE(dg_test_orig_result);
	return 0;
}

static int dg_test_orig_set(void *data, u64 val)
{
	WRITE_ONCE(dg_test_orig_result, DG_ORIG(test_leaf)((int)val));
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dg_test_orig_fops, dg_test_orig_get,
			 dg_test_orig_set, "%llu\n");

static int dg_test_need_set(void *data, u64 val)
{
	return val == 1 ? dg_hook_need(&dg_vfio_type1_hooks, DG_NEED_PIN) :
			  -EINVAL;
}
DEFINE_DEBUGFS_ATTRIBUTE(dg_test_need_fops, NULL, dg_test_need_set, "%llu\n");

static int dg_test_lookups_get(void *data, u64 *val)
{
	*val = atomic_long_read(&dg_test_counters[DG_TEST_IFD_LOOKUPS]);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dg_test_lookups_fops, dg_test_lookups_get, NULL,
			 "%llu\n");

/* Never dereferenced: tracking compares handles only. */
static char dg_test_sva_handle;

static int dg_test_sva_bind_set(void *data, u64 val)
{
	struct iommu_sva *fake = (struct iommu_sva *)&dg_test_sva_handle;
	struct dg_sva_handle *h;
	struct mm_struct *mm;
	int ret;

	if (!current->mm || val > 1)
		return -EINVAL;
	if (val) {
		ret = dg_sva_bind_prepare(current->mm, &h);
		if (!ret)
			dg_sva_bind_finish(fake, current->mm, h);
		return ret;
	}
	mm = dg_sva_unbind_forget(fake);
	if (!mm)
		return -ENOENT;
	dmaguard_sva_unenroll(mm);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(dg_test_sva_bind_fops, NULL, dg_test_sva_bind_set,
			 "%llu\n");

void dg_test_hooks_debugfs(struct dentry *dir)
{
	debugfs_create_file_unsafe("test_leaf_calls", 0400, dir, NULL,
				   &dg_test_calls_fops);
	debugfs_create_file_unsafe("test_leaf_orig", 0600, dir, NULL,
				   &dg_test_orig_fops);
	debugfs_create_file_unsafe("test_need", 0200, dir, NULL,
				   &dg_test_need_fops);
	debugfs_create_file_unsafe("ifd_lookups", 0400, dir, NULL,
				   &dg_test_lookups_fops);
	debugfs_create_file_unsafe("sva_fake_bind", 0200, dir, NULL,
				   &dg_test_sva_bind_fops);
}
