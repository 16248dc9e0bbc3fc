// SPDX-License-Identifier: GPL-2.0-only
/*
 * dgvfioext N: open /dev/vfio/vfio and ask VFIO_CHECK_EXTENSION(
 * VFIO_TYPE1v2_IOMMU) N times on the container, which has no IOMMU set:
 * VFIO asks each IOMMU driver, so every call enters
 * vfio_iommu_type1_ioctl() (as QEMU's first calls do), needing no IOMMU.
 * Prints "calls=N yes=M": M calls answered 1. Exit 0 iff M == N.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

int main(int argc, char **argv)
{
	long n, i, yes = 0;
	int fd;

	if (argc != 2 || (n = strtol(argv[1], NULL, 0)) <= 0) {
		fprintf(stderr, "usage: dgvfioext N\n");
		return 2;
	}
	fd = open("/dev/vfio/vfio", O_RDWR);
	if (fd < 0) {
		perror("/dev/vfio/vfio");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1)
			yes++;
	close(fd);
	printf("calls=%ld yes=%ld\n", n, yes);
	return yes == n ? 0 : 1;
}
