/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dglat: what the BPF side (dglat.bpf.c) and the loader (dglat.c) share:
 * the operations measured and the per-operation statistics record.
 */
#ifndef DGLAT_H
#define DGLAT_H

enum dglat_op {
	DGLAT_VFIO_MAP,
	DGLAT_VFIO_UNMAP,
	DGLAT_VFIO_TEARDOWN,
	DGLAT_IOMMUFD_MAP,
	DGLAT_IOMMUFD_UNMAP,
	DGLAT_IOMMUFD_TEARDOWN,
	DGLAT_NR_OPS,
};

#define DGLAT_SLOTS	40	/* log2(ns) buckets: up to ~18 minutes */

struct dglat_stat {
	__u64 calls;
	__u64 total_ns;
	__u64 hist[DGLAT_SLOTS];
};

#endif /* DGLAT_H */
