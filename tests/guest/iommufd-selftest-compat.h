/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Compat shim for building Debian 6.12.117's iommufd selftest
 * (tools/testing/selftests/iommu, force-included with -include) against the
 * uapi headers of the same source tree. Debian's stable updates carried a
 * newer selftest than the kernel it ships with: it names IOMMU_GET_HW_INFO's
 * input type field and flag, and the mock PASID device, which this kernel
 * does not have. The shim maps them to what 6.12 understands, so the tests
 * that rely on the missing features fail the same way with and without
 * dmaguard (the suite compares the two runs) and the rest run normally.
 */
#ifndef DG_IOMMUFD_SELFTEST_COMPAT_H
#define DG_IOMMUFD_SELFTEST_COMPAT_H

/* 6.12 has no input type: IOMMU_HW_INFO_TYPE_NONE (0) and flags 0. */
#define IOMMU_HW_INFO_TYPE_DEFAULT	0
#define IOMMU_HW_INFO_FLAG_INPUT_TYPE	0
/* Newer uapi unions in_data_type with out_data_type; 6.12 overwrites it. */
#define in_data_type			out_data_type

/*
 * Mock PASID device: 6.12's mock bus has none and refuses unknown flags,
 * which would fail the setup of iommufd_ioas.mock_domain (the main
 * single-domain variant) and so every one of its tests. As 0 the setup adds
 * a plain second mock device instead; only the PASID steps then fail.
 */
#define MOCK_FLAGS_DEVICE_PASID		0
#define MOCK_PASID_WIDTH		20

#endif
