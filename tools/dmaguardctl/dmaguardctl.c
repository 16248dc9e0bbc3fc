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

static void usage(FILE *f);

/* ---- commands ---- */

/* The one option of status and domains: -v or --verbose, nothing else. */
static int parse_verbose(const char *cmd, int argc, char **argv, bool *verbose)
{
	*verbose = false;
	if (argc == 0)
		return EX_OK;
	if (strcmp(argv[0], "-v") && strcmp(argv[0], "--verbose")) {
		err("'%s' takes no argument but -v, --verbose", cmd);
		usage(stderr);
		return EX_USAGE;
	}
	*verbose = true;
	return EX_OK;
}

static int cmd_status(int argc, char **argv)
{
	static struct status s;
	bool verbose;
	int ret;

	ret = parse_verbose("status", argc, argv, &verbose);
	if (ret)
		return ret;
	ret = status_read(&s, verbose);
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
	bool verbose;
	int n, ret;

	ret = parse_verbose("domains", argc, argv, &verbose);
	if (ret)
		return ret;
	ret = need_module();
	if (ret)
		return ret;
	n = domain_list(doms, MAX_DOMAINS, verbose || json);
	if (n < 0) {
		err("cannot list %s/domains: %s", sysfs, strerror(-n));
		return EX_FAIL;
	}
	if (json)
		json_domains(doms, n);
	else if (verbose)
		text_domains_verbose(doms, n);
	else
		text_domains(doms, n);
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

/*
 * set vm:NAME: the one domain whose owner runs the VM of that name (QEMU's
 * -name). None, or more than one (two containers, or two VMs of one
 * name), is EX_NODOMAIN: an id says which.
 */
static int set_vm(const char *name, const char *value)
{
	static struct domain doms[MAX_DOMAINS];
	char rel[64], ids[256] = "";
	int i, n, found = -1, matches = 0, ret;
	size_t off = 0;

	if (!*name) {
		err("bad target 'vm:': want vm:NAME, NAME as in 'dmaguardctl domains --verbose'");
		return EX_NODOMAIN;
	}
	if (!is_policy(value)) {
		err("bad policy '%s': want auto, always or never", value);
		return EX_BADVALUE;
	}
	n = domain_list(doms, MAX_DOMAINS, true);
	for (i = 0; i < n; i++) {
		if (!doms[i].vm.name[0] || strcmp(doms[i].vm.name, name))
			continue;
		found = i;
		matches++;
		if (off < sizeof(ids))
			off += snprintf(ids + off, sizeof(ids) - off, "%s%u",
					matches > 1 ? ", " : "", doms[i].id);
	}
	if (!matches) {
		err("no domain is owned by a VM named '%s' (see 'dmaguardctl domains --verbose')",
		    name);
		return EX_NODOMAIN;
	}
	if (matches > 1) {
		err("VM name '%s' is ambiguous: domains %s; use an id", name,
		    ids);
		return EX_NODOMAIN;
	}
	ret = need_root("set");
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "domains/%u/policy", doms[found].id);
	ret = write_checked(rel, value, EX_BADVALUE);
	if (!ret && !json)
		text_set("vm", value);
	else if (!ret)
		json_set_vm(doms[found].id, doms[found].vm.name, value);
	return ret;
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
	if (!strncmp(target, "vm:", 3))
		return set_vm(target + 3, value);
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

static int cmd_metrics(int argc, char **argv)
{
	static struct metrics m;
	const char *out = NULL;

	if (argc == 2 && (!strcmp(argv[0], "-o") ||
			  !strcmp(argv[0], "--output")) && argv[1][0]) {
		out = argv[1];
	} else if (argc) {
		err("'metrics' takes no argument but --output FILE");
		usage(stderr);
		return EX_USAGE;
	}
	metrics_collect(&m);
	if (out)
		return metrics_write(&m, out);
	prom_metrics(stdout, &m);
	if (fflush(stdout) || ferror(stdout)) {
		err("writing the metrics: %s", strerror(errno));
		return EX_FAIL;
	}
	return EX_OK;
}

/* ---- main ---- */

static const struct command {
	const char *name;
	int nargs, maxargs;	/* the command checks its optional ones */
	int (*fn)(int argc, char **argv);	/* argv[-1] is the name */
} commands[] = {
	{ "status",	0, 1, cmd_status },
	{ "domains",	0, 1, cmd_domains },
	{ "stats",	0, 0, cmd_stats },
	{ "set",	2, 2, cmd_set },
	{ "enable",	0, 0, cmd_enable },
	{ "disable",	0, 0, cmd_enable },
	{ "audit",	0, 0, cmd_audit },
	{ "metrics",	0, 2, cmd_metrics },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: dmaguardctl [--json] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  status [-v|--verbose]       version, kernel, enabled, default policy,\n"
"                              protections; -v: every hook row, and the\n"
"                              function it resolved to on this kernel\n"
"  domains [-v|--verbose]      tracked IOMMU domains (id, owner, pid, devices,\n"
"                              coherent, policy, flushing, mapped/flushed bytes;\n"
"                              -v: the owner's comm, VM name and UUID)\n"
"  set <id|vm:NAME|default> <auto|always|never>\n"
"                              policy of one domain (by id, or by the VM name\n"
"                              of its QEMU owner), or of new domains (root)\n"
"  enable | disable            global kill switch (root)\n"
"  stats                       global counters\n"
"  audit                       IOMMU posture per VFIO group, with a verdict (root)\n"
"  metrics [-o|--output FILE]  Prometheus text format: status, stats, domains,\n"
"                              and the audit when root; FILE written atomically\n"
"\n"
"options:\n"
"  -j, --json                  one JSON document on stdout\n"
"  -h, --help                  this text\n"
"  -V, --version               dmaguardctl's version\n"
"\n"
"exit status:\n"
"  0 success   1 I/O error   2 usage   3 needs root   4 dmaguard not loaded\n"
"  5 no such domain (or VM name unknown or ambiguous)   6 bad policy value\n"
"  7 audit: a group is exposed\n");
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
		if (argc < commands[c].nargs || argc > commands[c].maxargs) {
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
