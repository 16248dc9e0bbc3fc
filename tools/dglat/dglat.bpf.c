// SPDX-License-Identifier: GPL-2.0-only
/*
 * dglat BPF side: kprobe/kretprobe pairs on the VFIO type1 and IOMMUFD
 * entry points that map, unmap and tear down DMA mappings; each completed
 * call adds its duration to a per-operation record (count, sum, log2
 * histogram) that dglat.c prints.
 *
 * kprobes rather than fentry/fexit: dmaguard redirects these functions with
 * an ftrace IPMODIFY op, and kprobes on ftrace sites use a non-IPMODIFY op,
 * so they coexist with it (and with livepatch). With dmaguard loaded every
 * hooked function is entered twice per call, once by its caller (then
 * redirected to dmaguard's wrapper) and once by the wrapper calling the
 * original, and both returns fire; calls are therefore tracked per thread
 * and function with a nesting depth, and only the outermost entry/return
 * pair is counted: its duration includes dmaguard's work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "dglat.h"

/* _IO(';', 100 + 13) and _IO(';', 100 + 14), from <linux/vfio.h> */
#define VFIO_IOMMU_MAP_DMA	0x3b71
#define VFIO_IOMMU_UNMAP_DMA	0x3b72

/* Which hooked function an in-flight record belongs to. */
enum { FN_VFIO_IOCTL, FN_VFIO_DETACH, FN_VFIO_RELEASE, FN_IOMMUFD_MAP,
       FN_IOMMUFD_UNMAP, FN_IOMMUFD_RELEASE };

const volatile __u32 targ_tgid;

struct inflight {
	__u64 ts;
	__u32 op;
	__u32 depth;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DGLAT_NR_OPS);
	__type(key, __u32);
	__type(value, struct dglat_stat);
} stats SEC(".maps");

static __always_inline __u64 key_of(__u32 fn)
{
	return ((__u64)(__u32)bpf_get_current_pid_tgid() << 8) | fn;
}

static __always_inline int enter(__u32 fn, __u32 op)
{
	__u64 id = bpf_get_current_pid_tgid(), key = key_of(fn);
	struct inflight *in, new = { .op = op, .depth = 1 };

	if (targ_tgid && (id >> 32) != targ_tgid)
		return 0;
	in = bpf_map_lookup_elem(&inflight, &key);
	if (in) {
		in->depth++;
		return 0;
	}
	new.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&inflight, &key, &new, BPF_ANY);
	return 0;
}

static __always_inline int leave(__u32 fn)
{
	__u64 key = key_of(fn), delta, slot;
	struct dglat_stat *st;
	struct inflight *in;
	__u32 op;

	in = bpf_map_lookup_elem(&inflight, &key);
	if (!in)
		return 0;
	if (--in->depth)
		return 0;
	delta = bpf_ktime_get_ns() - in->ts;
	op = in->op;
	bpf_map_delete_elem(&inflight, &key);
	st = bpf_map_lookup_elem(&stats, &op);
	if (!st)
		return 0;
	for (slot = 0; slot < DGLAT_SLOTS - 1; slot++)
		if (delta < (2ULL << slot))
			break;
	__sync_fetch_and_add(&st->calls, 1);
	__sync_fetch_and_add(&st->total_ns, delta);
	__sync_fetch_and_add(&st->hist[slot], 1);
	return 0;
}

SEC("kprobe/vfio_iommu_type1_ioctl")
int BPF_KPROBE(vfio_ioctl, void *iommu_data, unsigned int cmd)
{
	if (cmd == VFIO_IOMMU_MAP_DMA)
		return enter(FN_VFIO_IOCTL, DGLAT_VFIO_MAP);
	if (cmd == VFIO_IOMMU_UNMAP_DMA)
		return enter(FN_VFIO_IOCTL, DGLAT_VFIO_UNMAP);
	return 0;
}

SEC("kretprobe/vfio_iommu_type1_ioctl")
int BPF_KRETPROBE(vfio_ioctl_ret)
{
	return leave(FN_VFIO_IOCTL);
}

SEC("kprobe/vfio_iommu_type1_detach_group")
int BPF_KPROBE(vfio_detach)
{
	return enter(FN_VFIO_DETACH, DGLAT_VFIO_TEARDOWN);
}

SEC("kretprobe/vfio_iommu_type1_detach_group")
int BPF_KRETPROBE(vfio_detach_ret)
{
	return leave(FN_VFIO_DETACH);
}

SEC("kprobe/vfio_iommu_type1_release")
int BPF_KPROBE(vfio_release)
{
	return enter(FN_VFIO_RELEASE, DGLAT_VFIO_TEARDOWN);
}

SEC("kretprobe/vfio_iommu_type1_release")
int BPF_KRETPROBE(vfio_release_ret)
{
	return leave(FN_VFIO_RELEASE);
}

SEC("kprobe/iommufd_ioas_map")
int BPF_KPROBE(iommufd_map)
{
	return enter(FN_IOMMUFD_MAP, DGLAT_IOMMUFD_MAP);
}

SEC("kretprobe/iommufd_ioas_map")
int BPF_KRETPROBE(iommufd_map_ret)
{
	return leave(FN_IOMMUFD_MAP);
}

SEC("kprobe/iommufd_ioas_unmap")
int BPF_KPROBE(iommufd_unmap)
{
	return enter(FN_IOMMUFD_UNMAP, DGLAT_IOMMUFD_UNMAP);
}

SEC("kretprobe/iommufd_ioas_unmap")
int BPF_KRETPROBE(iommufd_unmap_ret)
{
	return leave(FN_IOMMUFD_UNMAP);
}

SEC("kprobe/iommufd_fops_release")
int BPF_KPROBE(iommufd_release)
{
	return enter(FN_IOMMUFD_RELEASE, DGLAT_IOMMUFD_TEARDOWN);
}

SEC("kretprobe/iommufd_fops_release")
int BPF_KRETPROBE(iommufd_release_ret)
{
	return leave(FN_IOMMUFD_RELEASE);
}

char LICENSE[] SEC("license") = "GPL";
