// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguardctl: who owns a domain. The process's comm and, for QEMU, the
 * VM's name (-name guest=NAME,..., -name NAME) and -uuid, from
 * /proc/<pid>/cmdline. The command line is the process's own data, so it
 * is read bounded (a regular file only, at most CMDLINE_MAX bytes), and
 * what comes out of it is made printable, valid UTF-8 of bounded length
 * before anything prints it; it is never used as a path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmaguardctl.h"

#define CMDLINE_MAX (256 * 1024)

/*
 * Copies n bytes of in to out (outlen bytes with the NUL) as valid UTF-8
 * without control characters: each byte of an invalid sequence, and each
 * C0/C1 control or DEL, becomes '?'. Never splits a character.
 */
void sanitize_text(const char *in, size_t n, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < n && o + 1 < outlen) {
		unsigned char c = s[i];
		size_t len = 0, k;
		unsigned int cp;

		if (c >= 0x20 && c < 0x7f) {
			out[o++] = c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			cp = 0;
		for (k = 1; len && k < len; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* overlong, surrogates, past U+10FFFF, C1 controls */
		if (len && ((len == 3 && cp < 0x800) ||
			    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			    (cp >= 0xd800 && cp <= 0xdfff) ||
			    (cp >= 0x80 && cp < 0xa0)))
			len = 0;
		if (!len) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + len >= outlen)
			break;
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = 0;
}

/* Reads at most max bytes of a regular file; returns the count or -1. */
static ssize_t read_bounded(const char *path, char *buf, size_t max)
{
	struct stat st;
	ssize_t n, off = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	while ((size_t)off < max) {
		n = read(fd, buf + off, max - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	close(fd);
	return off;
}

/* A UUID as QEMU takes it: 8-4-4-4-12 hex digits. */
static bool is_uuid(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return false;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i]) {
			return false;
		}
	}
	return true;
}

/*
 * The guest name in a -name argument, QEMU's option syntax: a first
 * element without '=' is the implied "guest" key, else guest=NAME; ',,'
 * is a literal comma; other keys (process=, debug-threads=) are skipped.
 */
static void qemu_name(const char *arg, size_t n, char *out, size_t outlen)
{
	char *val = malloc(n + 1);
	size_t i = 0;
	bool first = true;

	out[0] = 0;
	if (!val)
		return;
	while (i < n) {
		size_t v = 0, eq = (size_t)-1;

		/* one element: up to a single ',' */
		while (i < n) {
			if (arg[i] == ',') {
				if (i + 1 < n && arg[i + 1] == ',') {
					val[v++] = ',';
					i += 2;
					continue;
				}
				break;
			}
			if (arg[i] == '=' && eq == (size_t)-1)
				eq = v;
			val[v++] = arg[i++];
		}
		i++;			/* the ',' */
		if (eq == (size_t)-1 && first) {
			sanitize_text(val, v, out, outlen);
		} else if (eq == 5 && !memcmp(val, "guest", 5)) {
			sanitize_text(val + 6, v - 6, out, outlen);
		}
		first = false;
	}
	free(val);
}

void vm_ident_read(long long pid, struct vm_ident *id)
{
	static char cmd[CMDLINE_MAX];
	char path[PATH_MAX], comm[64];
	ssize_t n, i;

	memset(id, 0, sizeof(*id));
	if (pid <= 0 || pid > INT_MAX)
		return;
	snprintf(path, sizeof(path), "%s/proc/%lld/comm", sysroot, pid);
	n = read_bounded(path, comm, 16);
	if (n > 0) {
		if (comm[n - 1] == '\n')
			n--;
		sanitize_text(comm, n, id->comm, sizeof(id->comm));
	}
	snprintf(path, sizeof(path), "%s/proc/%lld/cmdline", sysroot, pid);
	n = read_bounded(path, cmd, sizeof(cmd));
	if (n <= 0)
		return;
	/* NUL-separated words; the last may be cut at CMDLINE_MAX. */
	for (i = 0; i < n;) {
		const char *w = cmd + i;
		size_t wl = strnlen(w, n - i);
		const char *v = w + wl + 1;
		size_t vl;

		i += wl + 1;
		if (i >= n)
			break;		/* a flag with no value after it */
		vl = strnlen(v, n - i);
		if ((wl == 5 && !memcmp(w, "-name", 5)) ||
		    (wl == 6 && !memcmp(w, "--name", 6))) {
			qemu_name(v, vl, id->name, sizeof(id->name));
			i += vl + 1;
		} else if ((wl == 5 && !memcmp(w, "-uuid", 5)) ||
			   (wl == 6 && !memcmp(w, "--uuid", 6))) {
			if (is_uuid(v, vl))
				sanitize_text(v, vl, id->uuid, sizeof(id->uuid));
			i += vl + 1;
		}
	}
}
