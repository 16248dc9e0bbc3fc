/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the in-guest test programs (dgvfio, dgedu, dgstress):
 * the sysfs path and a reader for one-number files.
 */
#ifndef DG_GUEST_COMMON_H
#define DG_GUEST_COMMON_H

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define DGSYS	"/sys/kernel/dmaguard"

/* The number in a sysfs file, or -1 if it cannot be read. */
static inline long long read_ll(const char *path)
{
	char b[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? strtoll(b, NULL, 0) : -1;
}

#endif /* DG_GUEST_COMMON_H */
