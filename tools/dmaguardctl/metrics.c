// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguardctl: the metrics model (everything 'metrics' exports: status,
 * stats, protections, domains with their owners, and, as root, the
 * audit), and writing it to a file atomically: a temporary file in the
 * same directory, renamed over the target, so a collector reading the
 * textfile directory never sees half of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmaguardctl.h"

void metrics_collect(struct metrics *m)
{
	int n;

	memset(m, 0, sizeof(*m));
	m->loaded = module_loaded();
	if (m->loaded) {
		m->have_status = !status_read(&m->status, false);
		m->have_stats = !stats_read(&m->stats);
		n = domain_list(m->doms, MAX_DOMAINS, true);
		m->have_domains = n >= 0;
		m->ndoms = n > 0 ? n : 0;
	}
	/* The audit reads PCI config space: root only. */
	if (!geteuid()) {
		audit_collect(&m->audit);
		m->audit_ran = true;
	}
}

int metrics_write(const struct metrics *m, const char *path)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	FILE *f;
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		err("%s: path too long", path);
		return EX_USAGE;
	}
	/* mkstemp: same directory, so rename() is atomic; not *.prom. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		err("cannot create a temporary file next to %s: %s", path,
		    strerror(errno));
		return EX_FAIL;
	}
	if (fchmod(fd, 0644))
		goto fail;
	f = fdopen(fd, "w");
	if (!f)
		goto fail;
	ret = prom_metrics(f, m);
	if (fflush(f) || ferror(f) || fsync(fileno(f))) {
		fclose(f);
		fd = -1;
		goto fail;
	}
	if (fclose(f)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	/* The rename itself survives a crash once the directory is synced. */
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return ret;
fail:
	err("writing %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return EX_FAIL;
}
