// SPDX-License-Identifier: GPL-2.0-only
/* dmaguardctl: file and sysfs I/O, errors, small predicates. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmaguardctl.h"

void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dmaguardctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Reads a whole file into buf (NUL-terminated, one trailing \n dropped). */
int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, off = 0;

	buf[0] = 0;
	if (fd < 0)
		return -errno;
	while ((size_t)off < len - 1) {
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		off += n;
	}
	close(fd);
	buf[off] = 0;
	if (off && buf[off - 1] == '\n')
		buf[off - 1] = 0;
	return 0;
}

int dg_read(const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", sysfs, rel);
	return read_str(path, buf, len);
}

int sys_read(const char *abs, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", sysroot, abs);
	return read_str(path, buf, len);
}

/* Writes val to a dmaguard file; returns 0 or -errno. */
int dg_write(const char *rel, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sysfs, rel);
	/* sysfs ignores O_TRUNC; a test's plain-file tree needs it. */
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

bool module_loaded(void)
{
	struct stat st;

	return !stat(sysfs, &st) && S_ISDIR(st.st_mode);
}

int need_module(void)
{
	if (module_loaded())
		return 0;
	err("dmaguard is not loaded (%s missing): run 'modprobe dmaguard'",
	    sysfs);
	return EX_NOMODULE;
}

int need_root(const char *what)
{
	if (!geteuid())
		return 0;
	err("%s needs root", what);
	return EX_NOPERM;
}

const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

bool is_id(const char *s)
{
	if (!*s || strlen(s) > 9)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* The last component of a symlink's text (all of it when it has no '/'). */
const char *link_base(const char *link)
{
	const char *s = strrchr(link, '/');

	return s ? s + 1 : link;
}
