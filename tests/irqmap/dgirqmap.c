// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgirqmap: test-only module, a kernel caller of iommu_map()/iommu_unmap()
 * from hard interrupt context, outside dmaguard (dmaguard's ftrace thunk
 * lets calls from its own text through unhooked). Given a PCI device, it
 * maps one page of its own into the device's current domain at an iova far
 * above what the tests map, and unmaps it again, from an irq_work: what
 * dmaguard's iommufd hooks must leave alone, current being whoever was
 * interrupted.
 *
 * /sys/kernel/debug/dgirqmap/map (write "DDDD:BB:DD.F"): fails with the
 * error of the map (or -EIO for a short unmap).
 * Not shipped: built and loaded only by the test suite.
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/irq_work.h>
#include <linux/module.h>
#include <linux/pci.h>
#include "features.h"

/* Inside a 39-bit aperture, far above the tests' iovas. */
#define IRQMAP_IOVA	(1UL << 38)

/* iommu_map() took no gfp_t before 6.3 (compat probe IOMMU_MAP_GFP). */
#ifdef DMAGUARD_HAS_IOMMU_MAP_GFP
#define map_atomic(d, iova, pa, sz, prot) \
	iommu_map(d, iova, pa, sz, prot, GFP_ATOMIC)
#else
#define map_atomic(d, iova, pa, sz, prot) \
	iommu_map_atomic(d, iova, pa, sz, prot)
#endif

struct irqmap {
	struct irq_work work;
	struct iommu_domain *domain;
	phys_addr_t phys;
	int ret;
	struct completion done;
};

static struct dentry *dir;

static void irqmap_fn(struct irq_work *work)
{
	struct irqmap *m = container_of(work, struct irqmap, work);

	m->ret = map_atomic(m->domain, IRQMAP_IOVA, m->phys, PAGE_SIZE,
			    IOMMU_READ);
	if (!m->ret &&
	    iommu_unmap(m->domain, IRQMAP_IOVA, PAGE_SIZE) != PAGE_SIZE)
		m->ret = -EIO;
	complete(&m->done);
}

static ssize_t map_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct irqmap m = { .work = IRQ_WORK_INIT_HARD(irqmap_fn) };
	unsigned int dom, bus, slot, fn;
	struct pci_dev *pdev;
	struct page *page;
	char buf[32];

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	if (sscanf(buf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	m.domain = iommu_get_domain_for_dev(&pdev->dev);
	page = m.domain ? alloc_page(GFP_KERNEL) : NULL;
	if (page) {
		m.phys = page_to_phys(page);
		init_completion(&m.done);
		irq_work_queue(&m.work);
		wait_for_completion(&m.done);
		irq_work_sync(&m.work);
		__free_page(page);
	} else {
		m.ret = m.domain ? -ENOMEM : -ENODEV;
	}
	pci_dev_put(pdev);
	return m.ret ?: count;
}

static const struct file_operations map_fops = {
	.owner = THIS_MODULE,
	.write = map_write,
};

static int __init dgirqmap_init(void)
{
	dir = debugfs_create_dir("dgirqmap", NULL);
	debugfs_create_file("map", 0200, dir, NULL, &map_fops);
	return 0;
}

static void __exit dgirqmap_exit(void)
{
	debugfs_remove_recursive(dir);
}

module_init(dgirqmap_init);
module_exit(dgirqmap_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dmaguard test: iommu_map/unmap from hard interrupt context");
