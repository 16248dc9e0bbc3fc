// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgsvamock: test-only module standing in for an SVA-capable IOMMU driver.
 * No emulated device can bind SVA, so this registers an mmu_notifier with a
 * secondary-TLB callback on the writer's mm (what an IOMMU driver does at
 * bind) and records every range it is asked to invalidate. It also performs
 * the kernel actions that may free kernel page tables, and reports whether
 * an invalidation covering the affected range arrived before the action's
 * TLB flush returned.
 *
 * /sys/kernel/debug/dgsvamock/ctl (write):
 *   register | unregister | reset | vfree SIZE | ioremap | setmem | purge
 * /sys/kernel/debug/dgsvamock/result (read): outcome of the last action:
 *   "covered=0|1 received=N start=0x.. end=0x.."
 * Not shipped: built and loaded only by the test suite.
 */
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/set_memory.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include "features.h"

#define NR_RANGES 256

struct inv_range {
	unsigned long start, end;
};

static DEFINE_SPINLOCK(lock);
static struct inv_range ranges[NR_RANGES];
static unsigned long received;		/* total, also indexes the ring */
static struct mmu_notifier mn;
static struct mm_struct *registered;
static DEFINE_MUTEX(ctl_lock);
static char result[160] = "none\n";
static struct dentry *dir;

static void mock_invalidate(struct mmu_notifier *sub, struct mm_struct *mm,
			    unsigned long start, unsigned long end)
{
	unsigned long flags;

	spin_lock_irqsave(&lock, flags);
	ranges[received % NR_RANGES].start = start;
	ranges[received % NR_RANGES].end = end;
	received++;
	spin_unlock_irqrestore(&lock, flags);
}

static const struct mmu_notifier_ops mock_ops = {
#ifdef DMAGUARD_HAS_MMU_NOTIFIER_SECONDARY_TLBS
	.arch_invalidate_secondary_tlbs = mock_invalidate,
#else
	.invalidate_range = mock_invalidate,
#endif
};

/* Was [start, end) covered by an invalidation received after seq? */
static bool covered_since(unsigned long seq, unsigned long start,
			  unsigned long end, unsigned long *got)
{
	unsigned long flags, i;
	bool ok = false;

	spin_lock_irqsave(&lock, flags);
	*got = received - seq;
	if (received - seq > NR_RANGES)
		seq = received - NR_RANGES;
	for (i = seq; i < received; i++) {
		struct inv_range *r = &ranges[i % NR_RANGES];

		/* flush_tlb_kernel_range's end is exclusive or inclusive-1 */
		if (r->start <= start && r->end >= end - 1)
			ok = true;
	}
	spin_unlock_irqrestore(&lock, flags);
	return ok;
}

static unsigned long seq_now(void)
{
	unsigned long flags, v;

	spin_lock_irqsave(&lock, flags);
	v = received;
	spin_unlock_irqrestore(&lock, flags);
	return v;
}

static void report(unsigned long seq, unsigned long start, unsigned long end)
{
	unsigned long got;
	bool ok = covered_since(seq, start, end, &got);

	snprintf(result, sizeof(result),
		 "covered=%d received=%lu start=0x%lx end=0x%lx\n", ok, got,
		 start, end);
}

static int do_vfree(unsigned long size)
{
	unsigned long seq, start;
	void *p = vmalloc(size);

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, size);
	start = (unsigned long)p;
	vfree(p);
	seq = seq_now();
	/* Purge the lazily freed area now: this is where the flush happens. */
	vm_unmap_aliases();
	report(seq, start, start + size);
	return 0;
}

/*
 * A 2 MiB-aligned physical range above the guest's RAM that nothing has
 * claimed (request_mem_region descends into bus windows), so ioremap can map
 * it with a huge PMD.
 */
static int do_ioremap(void)
{
	resource_size_t phys;
	unsigned long seq, start;
	void __iomem *va;

	for (phys = SZ_16G; phys < SZ_32G; phys += SZ_2M)
		if (request_mem_region(phys, SZ_2M, "dgsvamock"))
			break;
	if (phys >= SZ_32G)
		return -ENOSPC;
	va = ioremap(phys, SZ_2M);
	if (!va) {
		release_mem_region(phys, SZ_2M);
		return -ENOMEM;
	}
	start = (unsigned long)va;
	iounmap(va);
	release_mem_region(phys, SZ_2M);
	seq = seq_now();
	vm_unmap_aliases();
	report(seq, start, start + SZ_2M);
	return 0;
}

/*
 * Change the attributes of 64 pages of the direct map (CPA splits the large
 * mapping around them) and restore them. Above tlb_single_page_flush_ceiling
 * pages CPA flushes with flush_tlb_all(); a one-page change flushes that page
 * alone and frees no page table on these kernels.
 */
#define SETMEM_ORDER 6
static int do_setmem(void)
{
	struct page *page = alloc_pages(GFP_KERNEL, SETMEM_ORDER);
	unsigned long seq, addr;

	if (!page)
		return -ENOMEM;
	addr = (unsigned long)page_address(page);
	seq = seq_now();
	set_memory_uc(addr, 1 << SETMEM_ORDER);
	set_memory_wb(addr, 1 << SETMEM_ORDER);
	report(seq, addr, addr + (PAGE_SIZE << SETMEM_ORDER));
	__free_pages(page, SETMEM_ORDER);
	return 0;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	char cmd[64];
	unsigned long arg = 0;
	int ret = -EINVAL;

	if (!count || count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = 0;
	strim(cmd);

	mutex_lock(&ctl_lock);
	strscpy(result, "none\n", sizeof(result));
	if (!strcmp(cmd, "register")) {
		ret = -EBUSY;
		if (!registered && current->mm) {
			mn.ops = &mock_ops;
			ret = mmu_notifier_register(&mn, current->mm);
			if (!ret)
				registered = current->mm;
		}
	} else if (!strcmp(cmd, "unregister")) {
		if (registered)
			mmu_notifier_unregister(&mn, registered);
		registered = NULL;
		ret = 0;
	} else if (!strcmp(cmd, "reset")) {
		spin_lock_irq(&lock);
		received = 0;
		spin_unlock_irq(&lock);
		ret = 0;
	} else if (sscanf(cmd, "vfree %lu", &arg) == 1 && arg) {
		ret = do_vfree(arg);
	} else if (!strcmp(cmd, "ioremap")) {
		ret = do_ioremap();
	} else if (!strcmp(cmd, "setmem")) {
		ret = do_setmem();
	} else if (!strcmp(cmd, "purge")) {
		vm_unmap_aliases();
		ret = 0;
	}
	mutex_unlock(&ctl_lock);
	return ret ? ret : count;
}

static ssize_t result_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	char buf[sizeof(result)];
	size_t len;

	mutex_lock(&ctl_lock);
	len = strscpy(buf, result, sizeof(buf));
	mutex_unlock(&ctl_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t received_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lu\n", seq_now());

	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
};

static const struct file_operations result_fops = {
	.owner = THIS_MODULE,
	.read = result_read,
};

static const struct file_operations received_fops = {
	.owner = THIS_MODULE,
	.read = received_read,
};

static int __init mock_init(void)
{
	dir = debugfs_create_dir("dgsvamock", NULL);
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	debugfs_create_file("result", 0400, dir, NULL, &result_fops);
	debugfs_create_file("received", 0400, dir, NULL, &received_fops);
	return 0;
}

static void __exit mock_exit(void)
{
	debugfs_remove_recursive(dir);
	if (registered)
		mmu_notifier_unregister(&mn, registered);
}

module_init(mock_init);
module_exit(mock_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dmaguard test: mock SVA secondary-TLB notifier");
