/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IOMMUFD and VFIO-cdev uapi the guest programs use, for hosts whose
 * libc headers predate them (bookworm's linux-libc-dev is 6.1: no VFIO
 * cdev). Stable ABI, from include/uapi/linux/iommufd.h and vfio.h. And
 * how to find a group's VFIO cdev.
 */
#ifndef DGIOMMUFD_H
#define DGIOMMUFD_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/vfio.h>

#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE		(';')

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC	_IO(IOMMUFD_TYPE, 0x81)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP		_IO(IOMMUFD_TYPE, 0x85)

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP	_IO(IOMMUFD_TYPE, 0x86)
#endif

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

/* The VFIO cdev of the (one) device in group grp: /dev/vfio/devices/vfioN. */
static inline int dg_open_group_cdev(int grp)
{
	char path[512];
	struct dirent *e, *v;
	DIR *d, *vd;
	int fd = -1;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", grp);
	d = opendir(path);
	while (d && fd < 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%d/devices/%s/vfio-dev", grp,
			 e->d_name);
		vd = opendir(path);
		while (vd && fd < 0 && (v = readdir(vd))) {
			if (strncmp(v->d_name, "vfio", 4))
				continue;
			snprintf(path, sizeof(path), "/dev/vfio/devices/%s",
				 v->d_name);
			fd = open(path, O_RDWR);
		}
		if (vd)
			closedir(vd);
	}
	if (d)
		closedir(d);
	return fd;
}

#endif /* DGIOMMUFD_H */
