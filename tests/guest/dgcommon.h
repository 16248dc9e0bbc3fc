/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the in-guest test programs (dgvfio, dgedu, dgstress):
 * the sysfs path, a reader for one-number files and one for a stats key.
 */
#ifndef DG_GUEST_COMMON_H
#define DG_GUEST_COMMON_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The value of KEY in dmaguard's stats file, or -1. */
static inline long long read_stat(const char *key)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen(DGSYS "/stats", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char k[128];
		long long val;

		if (sscanf(line, "%127s %lld", k, &val) == 2 && !strcmp(k, key))
			v = val;
	}
	fclose(f);
	return v;
}

#endif /* DG_GUEST_COMMON_H */
