/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmaguardctl: what its files share.
 *
 *   dmaguardctl.c  main(), the command table, the commands
 *   util.c         file and sysfs I/O, errors, small predicates
 *   sysfs.c        the model of /sys/kernel/dmaguard: status, stats,
 *                  protections, domains
 *   audit.c        the posture audit: IOMMU groups, PCI config space,
 *                  holders, verdicts
 *   vmid.c         who owns a domain: comm, QEMU's -name and -uuid
 *   metrics.c      the metrics model, and writing it atomically
 *   text.c         output for people
 *   json.c         output for machines (--json)
 *   prom.c         output for Prometheus (the text exposition format)
 *
 * Commands read a model (sysfs.c, audit.c) and hand it to one output
 * format; nothing below the commands prints.
 */
#ifndef DMAGUARDCTL_H
#define DMAGUARDCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/utsname.h>

#ifndef DMAGUARDCTL_VERSION
#define DMAGUARDCTL_VERSION "unknown"
#endif

enum {
	EX_OK = 0,
	EX_FAIL = 1,		/* I/O or unexpected kernel answer */
	EX_USAGE = 2,		/* bad command line */
	EX_NOPERM = 3,		/* needs root */
	EX_NOMODULE = 4,	/* dmaguard not loaded */
	EX_NODOMAIN = 5,	/* no such domain id */
	EX_BADVALUE = 6,	/* bad policy value */
	EX_EXPOSED = 7,		/* audit: at least one group exposed */
};

extern const char *sysfs;	/* DMAGUARD_SYSFS, for tests */
extern const char *sysroot;	/* DMAGUARD_SYSROOT, for tests */

/* ---- util.c ---- */

void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int read_str(const char *path, char *buf, size_t len);
int dg_read(const char *rel, char *buf, size_t len);
int sys_read(const char *abs, char *buf, size_t len);
int dg_write(const char *rel, const char *val);
bool module_loaded(void);
int need_module(void);
int need_root(const char *what);
const char *yesno(bool b);
bool is_id(const char *s);
const char *link_base(const char *link);

/* ---- vmid.c ---- */

struct vm_ident {
	char comm[64];		/* "" when unknown; printable UTF-8 */
	char name[128];		/* QEMU -name guest=, "" if none */
	char uuid[40];		/* QEMU -uuid, "" if none or malformed */
};

void sanitize_text(const char *in, size_t n, char *out, size_t outlen);
void vm_ident_read(long long pid, struct vm_ident *id);

/* ---- sysfs.c: the model ---- */

struct domain {
	unsigned int id;
	char owner[32];
	long long pid;
	char devices[512];
	char coherent[16];		/* "1", "0", "unknown" */
	char policy[16];
	int flushing;
	long long mapped_bytes, flushed_bytes, flush_ns;
	long long map_flushes, unmap_flushes;
	struct vm_ident vm;		/* filled by domain_ident() only */
};

#define MAX_DOMAINS 1024

int domain_read(unsigned int id, struct domain *d);
int domain_ids(unsigned int *ids, int max);
int domain_list(struct domain *doms, int max, bool ident);
const char *coherent_word(const char *c);

/* One line of the protections file; detail points into its buffer. */
struct prot_line {
	char name[32];
	char state[32];
	const char *detail;
};

#define MAX_PROT_LINES 2048

/* One line of the hooks file: a hook row and what it resolved to. */
struct hook_row {
	char set[32], row[96], state[16], resolved[128];
};

#define MAX_HOOK_ROWS 256

struct status {
	char version[64], enabled[16], policy[16], prots[4096];
	char audit[2048], cfi[256];
	struct utsname u;
	int ndomains;
	struct prot_line prot[MAX_PROT_LINES];
	int nprot;
	/* status --verbose: -1 when the module has no hooks file */
	struct hook_row hook[MAX_HOOK_ROWS];
	int nhooks;
};

int status_read(struct status *s, bool verbose);

struct stat_kv {
	char key[64];
	long long val;
};

#define MAX_STATS 2048

struct stats {
	char buf[4096];
	struct stat_kv kv[MAX_STATS];
	int n;
};

int stats_read(struct stats *s);

/* dmaguard's view, if loaded. */
struct dg_view {
	bool loaded;
	bool enabled;
	char version[64];
	char default_policy[16];
	char prot_state[8][32];
	char prot_detail[8][160];
	char audit[2048];
};

extern const char *const prot_names[];
#define NPROTS 5

void view_read(struct dg_view *v);
int prot_index(const char *name);
void cfi_state(const char *audit, char *out, size_t len);
bool audit_kv(const struct dg_view *v, const char *prefix, char *out,
	      size_t len);

/* ---- audit.c ---- */

#define MAX_GROUP_DEVS	32
#define MAX_HOLDERS	16
#define MAX_GROUPS	256

struct audit_dev {
	char bdf[32];
	char driver[64];
	int nosnoop;		/* 1/0, -1 no PCIe capability, -2 unreadable */
	int pasid;		/* 1 enabled, 0 disabled, -1 no cap, -2 unreadable */
};

struct audit_group {
	char name[16];
	char type[32];		/* default domain type */
	struct audit_dev devs[MAX_GROUP_DEVS];
	int ndevs;
	bool vfio;		/* a device is bound to a vfio driver */
	int holders[MAX_HOLDERS];
	int nholders;
	char holder_kind[16];	/* vfio-group | vfio-cdev | "" */
	int domain;		/* dmaguard domain id, -1 none */
	char coherent[16];	/* yes | no | unknown */
	char coherent_src[128];
	char verdict[256];
	bool exposed;
	char iommu[64];		/* iommu instance name */
	bool sva;		/* a device has PASID enabled */
};

struct audit_report {
	struct utsname u;
	struct dg_view v;
	char strict[160], passthrough[160], lock[64], sva_fix[160], cfi[256];
	int ntotal, ndma, nfq, nid;
	bool native_known[NPROTS];
	char native[NPROTS][64];
	struct audit_group groups[MAX_GROUPS];
	int ngroups;
	int exposed;
};

void audit_collect(struct audit_report *r);
const char *nosnoop_word(int v);
const char *pasid_word(int v);

/* ---- metrics.c ---- */

struct metrics {
	bool loaded;
	struct status status;	/* valid when loaded */
	struct stats stats;
	bool have_status, have_stats, have_domains;
	struct domain doms[MAX_DOMAINS];
	int ndoms;
	bool audit_ran;		/* as root only */
	struct audit_report audit;
};

void metrics_collect(struct metrics *m);
int metrics_write(const struct metrics *m, const char *path);

/* ---- prom.c ---- */

int prom_metrics(FILE *f, const struct metrics *m);

/* ---- text.c ---- */

void text_status(const struct status *s);
void text_domains(const struct domain *d, int n);
void text_domains_verbose(const struct domain *d, int n);
void text_stats(const struct stats *s);
void text_set(const char *target, const char *value);
void text_enable(bool on);
void text_audit(const struct audit_report *r);

/* ---- json.c ---- */

void json_status(const struct status *s);
void json_domains(const struct domain *d, int n);
void json_stats(const struct stats *s);
void json_set(const char *target, const char *value);
void json_set_vm(unsigned int id, const char *vm, const char *value);
void json_enable(bool on);
void json_audit(const struct audit_report *r);

#endif
