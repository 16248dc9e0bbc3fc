// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test seam, built only with `make TEST=1` (never shipped): no emulated
 * device can bind SVA, so tests enroll their own mm through
 * /sys/kernel/debug/dmaguard/sva_enroll ("1" enrolls the writer's mm, "0"
 * drops it) and watch the invalidations arrive at a mock secondary-TLB
 * notifier (tests/sva_mock).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include "dmaguard.h"
#include "../hooks/hooks.h"

static struct dentry *dg_test_dir;

static ssize_t dg_sva_enroll_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	char buf[4];
	int val, ret;

	if (count == 0 || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	val = dg_bool_parse(buf, count);
	if (val < 0)
		return val;
	if (!current->mm)
		return -EINVAL;
	if (val) {
		ret = dmaguard_sva_enroll(current->mm);
		if (ret)
			return ret;
	} else {
		dmaguard_sva_unenroll(current->mm);
	}
	return count;
}

static const struct file_operations dg_sva_enroll_fops = {
	.owner = THIS_MODULE,
	.write = dg_sva_enroll_write,
};

void dg_test_seam_init(void)
{
	dg_test_dir = debugfs_create_dir("dmaguard", NULL);
	debugfs_create_file("sva_enroll", 0200, dg_test_dir, NULL,
			    &dg_sva_enroll_fops);
	dg_test_hooks_debugfs(dg_test_dir);
}

void dg_test_seam_exit(void)
{
	debugfs_remove_recursive(dg_test_dir);
}
