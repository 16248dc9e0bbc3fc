// SPDX-License-Identifier: GPL-2.0-only
/*
 * dglat: VFIO type1 / IOMMUFD map, unmap and teardown latency, with or
 * without dmaguard loaded (libbpf CO-RE; the BPF side is dglat.bpf.c).
 *
 * Prints, per operation, the number of calls, the total and the per-call
 * time (and log2 histograms with -H), for a time window (-d), until a
 * process exits (-p), or for the lifetime of a command it starts (after
 * "--"; only that process is traced). Ctrl-C ends the window early.
 *
 *   map       VFIO_IOMMU_MAP_DMA through vfio_iommu_type1_ioctl;
 *             iommufd_ioas_map
 *   unmap     VFIO_IOMMU_UNMAP_DMA through vfio_iommu_type1_ioctl;
 *             iommufd_ioas_unmap
 *   teardown  vfio_iommu_type1_detach_group and vfio_iommu_type1_release
 *             (each call counts); iommufd_fops_release
 *
 * Functions that do not exist on this kernel (iommufd without
 * CONFIG_IOMMUFD, vfio_iommu_type1 not loaded) are not attached and their
 * rows say so. Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dglat.h"
#include "dglat.skel.h"

static const struct {
	const char *backend, *op, *symbol;
} ops[DGLAT_NR_OPS] = {
	[DGLAT_VFIO_MAP] = { "vfio-type1", "map", "vfio_iommu_type1_ioctl" },
	[DGLAT_VFIO_UNMAP] = { "vfio-type1", "unmap", "vfio_iommu_type1_ioctl" },
	[DGLAT_VFIO_TEARDOWN] = { "vfio-type1", "teardown",
				  "vfio_iommu_type1_release" },
	[DGLAT_IOMMUFD_MAP] = { "iommufd", "map", "iommufd_ioas_map" },
	[DGLAT_IOMMUFD_UNMAP] = { "iommufd", "unmap", "iommufd_ioas_unmap" },
	[DGLAT_IOMMUFD_TEARDOWN] = { "iommufd", "teardown",
				     "iommufd_fops_release" },
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dglat [-H] [-d SECONDS] [-p PID] [-- COMMAND [ARG...]]\n"
		"  VFIO type1 / IOMMUFD map, unmap and teardown latency.\n"
		"  -d SECONDS  trace for this long (default: until Ctrl-C)\n"
		"  -p PID      only this process; stop when it exits\n"
		"  -H          print log2 histograms of per-call time (ns)\n"
		"  -- CMD      run CMD, trace only it, stop when it exits\n");
}

/* Is SYMBOL a function in /proc/kallsyms (vmlinux or a loaded module)? */
static bool ksym_exists(const char *symbol)
{
	char line[512], name[256];
	FILE *f = fopen("/proc/kallsyms", "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char type;

		if (sscanf(line, "%*s %c %255s", &type, name) == 2 &&
		    (type == 't' || type == 'T') && !strcmp(name, symbol))
			found = true;
	}
	fclose(f);
	return found;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_hist(const struct dglat_stat *st)
{
	__u64 max = 0;
	int i, lo = -1, hi = -1, j, w;

	for (i = 0; i < DGLAT_SLOTS; i++) {
		if (!st->hist[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (st->hist[i] > max)
			max = st->hist[i];
	}
	if (lo < 0)
		return;
	printf("  %22s : %-8s |%-40s|\n", "ns", "count", "distribution");
	for (i = lo; i <= hi; i++) {
		unsigned long long from = i ? 1ULL << i : 0;
		unsigned long long to = (2ULL << i) - 1;

		w = (int)(st->hist[i] * 40 / max);
		printf("  %10llu -> %-10llu : %-8llu |", from, to,
		       (unsigned long long)st->hist[i]);
		for (j = 0; j < 40; j++)
			putchar(j < w ? '*' : ' ');
		printf("|\n");
	}
}

static void print_table(struct dglat_bpf *skel, const bool *present,
			bool hist, double secs)
{
	int fd = bpf_map__fd(skel->maps.stats);
	struct dglat_stat st;
	__u32 i;

	printf("dglat: %.1f s, dmaguard %s\n", secs,
	       access("/sys/kernel/dmaguard", F_OK) ? "absent" : "loaded");
	printf("%-11s %-9s %8s %16s %14s\n", "backend", "op", "calls",
	       "total_ns", "per_call_ns");
	for (i = 0; i < DGLAT_NR_OPS; i++) {
		if (!present[i]) {
			printf("%-11s %-9s %8s %16s %14s  (%s: not present)\n",
			       ops[i].backend, ops[i].op, "-", "-", "-",
			       ops[i].symbol);
			continue;
		}
		if (bpf_map_lookup_elem(fd, &i, &st))
			memset(&st, 0, sizeof(st));
		printf("%-11s %-9s %8llu %16llu %14llu\n", ops[i].backend,
		       ops[i].op, (unsigned long long)st.calls,
		       (unsigned long long)st.total_ns,
		       st.calls ? (unsigned long long)(st.total_ns / st.calls) : 0);
		if (hist && st.calls)
			print_hist(&st);
	}
}

/* Disable the BPF programs whose target function is not on this kernel. */
static void pick_programs(struct dglat_bpf *skel, bool *present)
{
	static const struct {
		const char *symbol;
		int op1, op2;
	} targets[] = {
		{ "vfio_iommu_type1_ioctl", DGLAT_VFIO_MAP, DGLAT_VFIO_UNMAP },
		{ "vfio_iommu_type1_detach_group", DGLAT_VFIO_TEARDOWN, -1 },
		{ "vfio_iommu_type1_release", DGLAT_VFIO_TEARDOWN, -1 },
		{ "iommufd_ioas_map", DGLAT_IOMMUFD_MAP, -1 },
		{ "iommufd_ioas_unmap", DGLAT_IOMMUFD_UNMAP, -1 },
		{ "iommufd_fops_release", DGLAT_IOMMUFD_TEARDOWN, -1 },
	};
	struct bpf_program *prog;
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		bool here = ksym_exists(targets[i].symbol);

		if (here) {
			present[targets[i].op1] = true;
			if (targets[i].op2 >= 0)
				present[targets[i].op2] = true;
		}
		bpf_object__for_each_program(prog, skel->obj) {
			const char *sec = bpf_program__section_name(prog);
			const char *fn = strchr(sec, '/');

			if (fn && !strcmp(fn + 1, targets[i].symbol))
				bpf_program__set_autoload(prog, here);
		}
	}
}

int main(int argc, char **argv)
{
	bool present[DGLAT_NR_OPS] = {}, hist = false;
	int o, go[2] = { -1, -1 }, status, ret = 1;
	double duration = 0, t0;
	struct dglat_bpf *skel;
	pid_t pid = 0, child = 0;
	size_t i;

	while ((o = getopt(argc, argv, "+Hd:p:h")) != -1) {
		switch (o) {
		case 'H':
			hist = true;
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'p':
			pid = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		/* Start the command held on a pipe until the probes are on. */
		if (pipe(go)) {
			perror("dglat: pipe");
			return 1;
		}
		child = fork();
		if (child < 0) {
			perror("dglat: fork");
			return 1;
		}
		if (!child) {
			char c;

			close(go[1]);
			if (read(go[0], &c, 1) != 1)
				_exit(127);
			close(go[0]);
			execvp(argv[optind], argv + optind);
			perror("dglat: exec");
			_exit(127);
		}
		close(go[0]);
		pid = child;
	}

	skel = dglat_bpf__open();
	if (!skel) {
		fprintf(stderr, "dglat: cannot open the BPF object: %s\n",
			strerror(errno));
		goto err_child;
	}
	skel->rodata->targ_tgid = pid;
	pick_programs(skel, present);
	for (i = 0; i < DGLAT_NR_OPS && !present[i]; i++)
		;
	if (i == DGLAT_NR_OPS) {
		fprintf(stderr, "dglat: no VFIO type1 or IOMMUFD function to "
			"trace (is vfio_iommu_type1 loaded?)\n");
		goto err_destroy;
	}
	if (dglat_bpf__load(skel)) {
		fprintf(stderr, "dglat: cannot load the BPF programs\n");
		goto err_destroy;
	}
	if (dglat_bpf__attach(skel)) {
		fprintf(stderr, "dglat: cannot attach the probes\n");
		goto err_destroy;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "dglat: tracing%s\n",
		duration || pid ? "" : ", Ctrl-C to end");
	t0 = now_s();
	if (child) {
		if (write(go[1], "g", 1) != 1)
			goto err_destroy;
		close(go[1]);
		go[1] = -1;
	}
	while (!stop) {
		if (duration && now_s() - t0 >= duration)
			break;
		if (child && waitpid(child, &status, WNOHANG) == child) {
			child = 0;
			break;
		}
		if (pid && !child && kill(pid, 0) && errno == ESRCH)
			break;
		usleep(20000);
	}
	print_table(skel, present, hist, now_s() - t0);
	ret = 0;
	if (optind < argc && !child)	/* the command's own exit status */
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 1;

err_destroy:
	dglat_bpf__destroy(skel);
err_child:
	if (go[1] >= 0)
		close(go[1]);	/* the held child sees EOF and exits */
	if (child && ret)
		waitpid(child, NULL, 0);
	return ret;
}
