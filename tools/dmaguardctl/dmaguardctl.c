// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaguardctl: the operator's front end to dmaguard.
 *
 * It talks only to the sysfs ABI (/sys/kernel/dmaguard/, DESIGN §4) and,
 * for the posture audit, to what the kernel already shows user space: IOMMU
 * groups, PCI config space, /proc/cmdline, the lockdown file, and which
 * processes hold VFIO files open. Every command prints text for people or,
 * with --json, one JSON document for machines. Exit codes are part of the
 * interface (see usage() and dmaguardctl.8).
 *
 * The model, the audit and each output format live in files of their own
 * (dmaguardctl.h lists them); this file holds the command table.
 *
 * DMAGUARD_SYSFS and DMAGUARD_SYSROOT (a prefix for /sys, /proc and /dev
 * paths the audit reads) point it at a fake tree, for tests only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmaguardctl.h"

const char *sysfs = "/sys/kernel/dmaguard";
const char *sysroot = "";
static bool json;

/* ---- commands ---- */

static int cmd_status(int argc, char **argv)
{
	static struct status s;
	int ret;

	(void)argc;
	(void)argv;
	ret = status_read(&s);
	if (ret)
		return ret;
	if (json)
		json_status(&s);
	else
		text_status(&s);
	return EX_OK;
}

static int cmd_domains(int argc, char **argv)
{
	static struct domain doms[MAX_DOMAINS];
	unsigned int ids[MAX_DOMAINS];
	int i, n, nd = 0, ret;

	(void)argc;
	(void)argv;
	ret = need_module();
	if (ret)
		return ret;
	n = domain_ids(ids, MAX_DOMAINS);
	if (n < 0) {
		err("cannot list %s/domains: %s", sysfs, strerror(-n));
		return EX_FAIL;
	}
	for (i = 0; i < n; i++)
		if (!domain_read(ids[i], &doms[nd]))
			nd++;		/* else destroyed while we listed */
	if (json)
		json_domains(doms, nd);
	else
		text_domains(doms, nd);
	return EX_OK;
}

static int cmd_stats(int argc, char **argv)
{
	static struct stats s;
	int ret;

	(void)argc;
	(void)argv;
	ret = stats_read(&s);
	if (ret)
		return ret;
	if (json)
		json_stats(&s);
	else
		text_stats(&s);
	return EX_OK;
}

static bool is_policy(const char *s)
{
	return !strcmp(s, "auto") || !strcmp(s, "always") || !strcmp(s, "never");
}

static int write_checked(const char *rel, const char *val, int einval_code)
{
	int ret = dg_write(rel, val);

	if (!ret)
		return EX_OK;
	if (ret == -EACCES || ret == -EPERM) {
		err("writing %s/%s: %s (needs root)", sysfs, rel,
		    strerror(-ret));
		return EX_NOPERM;
	}
	if (ret == -ENOENT) {
		err("writing %s/%s: %s", sysfs, rel, strerror(-ret));
		return strncmp(rel, "domains/", 8) ? EX_NOMODULE : EX_NODOMAIN;
	}
	err("writing '%s' to %s/%s: %s", val, sysfs, rel, strerror(-ret));
	return ret == -EINVAL ? einval_code : EX_FAIL;
}

static int cmd_set(int argc, char **argv)
{
	const char *target = argv[0], *value = argv[1];
	char rel[64], path[PATH_MAX];
	struct stat st;
	int ret;

	(void)argc;
	ret = need_module();
	if (ret)
		return ret;
	if (strcmp(target, "default") && !is_id(target)) {
		err("bad domain id '%s': want a decimal id from 'dmaguardctl domains' or 'default'",
		    target);
		return EX_NODOMAIN;
	}
	if (!is_policy(value)) {
		err("bad policy '%s': want auto, always or never", value);
		return EX_BADVALUE;
	}
	if (!strcmp(target, "default")) {
		snprintf(rel, sizeof(rel), "default_policy");
	} else {
		snprintf(rel, sizeof(rel), "domains/%s/policy", target);
		snprintf(path, sizeof(path), "%s/domains/%s", sysfs, target);
		if (stat(path, &st)) {
			err("no such domain: %s (see 'dmaguardctl domains')",
			    target);
			return EX_NODOMAIN;
		}
	}
	ret = need_root("set");
	if (ret)
		return ret;
	ret = write_checked(rel, value, EX_BADVALUE);
	if (!ret && !json)
		text_set(target, value);
	else if (!ret)
		json_set(target, value);
	return ret;
}

static int cmd_enable(int argc, char **argv)
{
	bool on = !strcmp(argv[-1], "enable");
	int ret = need_module();

	(void)argc;
	if (ret)
		return ret;
	ret = need_root(on ? "enable" : "disable");
	if (ret)
		return ret;
	ret = write_checked("enabled", on ? "1" : "0", EX_FAIL);
	if (!ret && json)
		json_enable(on);
	else if (!ret)
		text_enable(on);
	return ret;
}

static int cmd_audit(int argc, char **argv)
{
	static struct audit_report r;
	int ret;

	(void)argc;
	(void)argv;
	ret = need_root("audit (PCI config space)");
	if (ret)
		return ret;
	audit_collect(&r);
	if (json)
		json_audit(&r);
	else
		text_audit(&r);
	return r.exposed ? EX_EXPOSED : EX_OK;
}

/* ---- main ---- */

static const struct command {
	const char *name;
	int nargs;
	int (*fn)(int argc, char **argv);	/* argv[-1] is the name */
} commands[] = {
	{ "status",	0, cmd_status },
	{ "domains",	0, cmd_domains },
	{ "stats",	0, cmd_stats },
	{ "set",	2, cmd_set },
	{ "enable",	0, cmd_enable },
	{ "disable",	0, cmd_enable },
	{ "audit",	0, cmd_audit },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: dmaguardctl [--json] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  status                      version, kernel, enabled, default policy,\n"
"                              protections\n"
"  domains                     tracked IOMMU domains (id, owner, pid, devices,\n"
"                              coherent, policy, flushing, mapped/flushed bytes)\n"
"  set <id|default> <auto|always|never>\n"
"                              policy of one domain, or of new domains (root)\n"
"  enable | disable            global kill switch (root)\n"
"  stats                       global counters\n"
"  audit                       IOMMU posture per VFIO group, with a verdict (root)\n"
"\n"
"options:\n"
"  -j, --json                  one JSON document on stdout\n"
"  -h, --help                  this text\n"
"  -V, --version               dmaguardctl's version\n"
"\n"
"exit status:\n"
"  0 success   1 I/O error   2 usage   3 needs root   4 dmaguard not loaded\n"
"  5 no such domain   6 bad policy value   7 audit: a group is exposed\n");
}

int main(int argc, char **argv)
{
	const char *cmd;
	size_t c;
	int i = 1;

	if (getenv("DMAGUARD_SYSFS"))
		sysfs = getenv("DMAGUARD_SYSFS");
	if (getenv("DMAGUARD_SYSROOT"))
		sysroot = getenv("DMAGUARD_SYSROOT");

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EX_OK;
		} else if (!strcmp(argv[i], "-V") ||
			   !strcmp(argv[i], "--version")) {
			printf("dmaguardctl %s\n", DMAGUARDCTL_VERSION);
			return EX_OK;
		} else {
			err("unknown option '%s'", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[i++];
	argc -= i;
	argv += i;

	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(cmd, commands[c].name))
			continue;
		if (argc != commands[c].nargs) {
			err("'%s' takes %d argument%s", cmd, commands[c].nargs,
			    commands[c].nargs == 1 ? "" : "s");
			usage(stderr);
			return EX_USAGE;
		}
		return commands[c].fn(argc, argv);
	}
	err("unknown command '%s'", cmd);
	usage(stderr);
	return EX_USAGE;
}
