# SPDX-License-Identifier: GPL-2.0-only
# In-guest demo: load dmaguard the way an operator would, drive VFIO
# map/unmap through the edu device, and show what dmaguard reports.
DG=/sys/kernel/dmaguard
show() { echo "--- $1"; cat "$1"; }

echo "=== modprobe dmaguard (before vfio_iommu_type1, as at boot)"
dg-modload /dg/dmaguard.ko
show $DG/protections
echo "=== load vfio_iommu_type1 and bind the edu device to vfio-pci"
dg-modload vfio_iommu_type1
G=$(dg-bind-edu)
export DG_GROUP=$G
show $DG/protections
echo "=== a process maps and unmaps 4 KiB, 68 KiB, 8 MiB and a 4 MiB THP region"
cat > /tmp/demo.cmds <<'CMDS'
open
trace-start
map small 4096
map odd 69632
map big 8388608
map thp 4194304 thp
sh echo "--- domains/$DG_DOMAIN (while mapped)"; for f in owner pid devices coherent policy flushing mapped_bytes flushed_bytes flush_ns map_flushes unmap_flushes; do printf '%-14s %s\n' $f "$(cat /sys/kernel/dmaguard/domains/$DG_DOMAIN/$f)"; done
unmap small
unmap odd
unmap big
unmap thp
check big flush
sh echo "--- first dmaguard_flush / iommu events in the trace"; grep -E 'dmaguard_flush|: map:|: unmap:' /sys/kernel/tracing/trace | head -8
close
CMDS
dgvfio < /tmp/demo.cmds
echo "=== after the container closed"
show $DG/stats
ls $DG/domains
