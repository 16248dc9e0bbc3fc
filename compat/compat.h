/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place kernel differences are absorbed. features.h is generated
 * at build time by scripts/compat-probe, which compiles each test in
 * compat/probes/ against the target kernel: logic code tests
 * DMAGUARD_HAS_* here, never kernel versions.
 */
#ifndef DMAGUARD_COMPAT_H
#define DMAGUARD_COMPAT_H

#include <linux/iommu.h>
#include "features.h"

/* 6.10 dropped the source argument of __assign_str(). */
#ifdef DMAGUARD_HAS_ASSIGN_STR_1ARG
#define dg_assign_str(dst, src)	do { __assign_str(dst); (void)(src); } while (0)
#else
#define dg_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * Redirect an ftrace'd call: the helper's name changed in 6.8. Without
 * DYNAMIC_FTRACE_WITH_ARGS (arm64 before 6.2) ftrace_instruction_pointer_set()
 * is an empty stub, so set the pc in the full pt_regs that
 * FTRACE_OPS_FL_SAVE_REGS (DG_FTRACE_OPS_FL_REGS below) makes ftrace save
 * and restore.
 */
#ifdef DMAGUARD_HAS_FTRACE_REGS_SET_IP
#define dg_ftrace_set_ip(fregs, ip) \
	ftrace_regs_set_instruction_pointer(fregs, ip)
#elif defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
#define dg_ftrace_set_ip(fregs, ip) ftrace_instruction_pointer_set(fregs, ip)
#else
#define dg_ftrace_set_ip(fregs, ip) \
	instruction_pointer_set(ftrace_get_regs(fregs), ip)
#endif

/*
 * With ftrace_regs (WITH_ARGS) the instruction pointer can be changed
 * without saving all registers; otherwise ask for full pt_regs.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define DG_FTRACE_OPS_FL_REGS	0
#else
#define DG_FTRACE_OPS_FL_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif

/* iommu_sva_bind_device() lost its drvdata argument in 6.2. */
#ifdef DMAGUARD_HAS_SVA_BIND_DRVDATA
static inline struct iommu_sva *dg_sva_bind_device(struct device *dev,
						   struct mm_struct *mm)
{
	return iommu_sva_bind_device(dev, mm, NULL);
}
#else
static inline struct iommu_sva *dg_sva_bind_device(struct device *dev,
						   struct mm_struct *mm)
{
	return iommu_sva_bind_device(dev, mm);
}
#endif

/* Per-device PASID count (6.2+); 0 = "not known to do PASID" before. */
static inline u32 dg_dev_max_pasids(struct device *dev)
{
#ifdef DMAGUARD_HAS_DEV_IOMMU_MAX_PASIDS
	return dev->iommu->max_pasids;
#else
	return 0;
#endif
}

#endif /* DMAGUARD_COMPAT_H */
