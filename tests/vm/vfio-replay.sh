# SPDX-License-Identifier: GPL-2.0-only
# In-guest (sourced by vfio-coherent.sh: the same boot, snoop-control=on,
# two edu devices): the replay of a live container's mappings into a new
# domain (issue #14). A group joins a type1 container whose domain it cannot
# share: type1 makes it a domain of its own and vfio_iommu_replay() maps
# every existing mapping into it with iommu_map(), without pinning again.
#
# The TEST=1 seam test_noncoherent_group makes one group's IOMMU driver
# answer "not coherent" at its attach (intel_iommu_enforce_cache_coherency:
# what a DMAR unit without snoop control says); everything else is the
# real kernel path.
. /dg/tap.sh

# Every edu device bound to vfio-pci; their groups, one per line.
bind_edus() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
		if [ ! -e "$d/driver" ]; then
			echo vfio-pci > "$d/driver_override"
			echo "${d##*/}" > /sys/bus/pci/drivers/vfio-pci/bind
		fi
		basename "$(readlink "$d/iommu_group")"
	done
}

dg-modload vfio-pci
dg-modload vfio_iommu_type1
set -- $(bind_edus)
GA=$1 GB=$2
t "two edu devices in two IOMMU groups ($GA, $GB)" [ -n "$GB" ] && [ "$GA" != "$GB" ] && [ -e /dev/vfio/$GB ]
insmod /dg/test/dmaguard.ko
P=/sys/module/dmaguard/parameters/test_noncoherent_group
t "replay seam present in the TEST build (off: -1)" [ "$(cat $P)" = -1 ]
echo "$GB" > $P

# Coherent domain first: its maps are not flushed; then GB joins, gets a
# non-coherent domain of its own, and every replayed page is flushed
# before its iommu:map there. Later maps and unmaps flush; GB leaving
# flushes what its domain could reach once (teardown) and the container
# is coherent again.
dgvfio <<CMDS
open $GA
trace-start
map r4k 4096
map rsc 1048576 scattered
map rthp 4194304 thp
map r8m 8388608
sh . /dg/tap.sh; t "one coherent domain before the join" [ "\$(cat \$DG/domains/*/coherent)" = 1 ]
check-map r4k none
check-map rsc none
check-map rthp none
check-map r8m none
join $GB
domains 2
sh . /dg/tap.sh; t "after the join both of the container's domains read coherent 0" [ "\$(cat \$DG/domains/*/coherent | tr -d '\n')" = 00 ]
sh . /dg/tap.sh; t "after the join the container's domains are flushing" [ "\$(cat \$DG/domains/*/flushing | tr -d '\n')" = 11 ]
sh . /dg/tap.sh; t "the new domain counts the replay's flushes (map_flushes > 0)" [ "\$(cat \$DG/domains/*/map_flushes | sort -n | tail -1)" -gt 0 ]
sh . /dg/tap.sh; m=\$(cat \$DG/domains/*/mapped_bytes | tr '\n' ' '); t "the new domain's mapped_bytes is the container's (both 13635584: \$m)" [ "\$m" = "13635584 13635584 " ]
check-join r4k $GB flush
check-join rsc $GB flush
check-join rthp $GB flush
check-join r8m $GB flush
map after1 1048576 scattered
unmap after1
check after1 flush
unmap r4k
check-unmap r4k flush
leave $GB
check-leave rsc $GB teardown
check-leave rthp $GB teardown
check-leave r8m $GB teardown
domains 1
sh . /dg/tap.sh; t "after the leave the container is coherent again" [ "\$(cat \$DG/domains/*/coherent)" = 1 ]
map after2 1048576 scattered
unmap after2
check after2 none
unmap rsc
check-unmap rsc none
close
CMDS

# The reverse order: the non-coherent group first. Its maps flush from the
# first one; the coherent group's replay adds no flush.
echo "$GA" > $P
dgvfio <<CMDS
open $GA
trace-start
sh . /dg/tap.sh; t "the non-coherent group alone: coherent 0" [ "\$(cat \$DG/domains/*/coherent)" = 0 ]
map v1 1048576 scattered
map v2 2097152
unmap v1
check v1 flush
join $GB
domains 2
check-join v2 $GB none
close
CMDS

# Nothing is flushed at the join with enabled=0 (the operator's switch).
echo "$GB" > $P
echo 0 > $DG/enabled
dgvfio <<CMDS
open $GA
trace-start
map off1 1048576 scattered
join $GB
check-join off1 $GB none
close
CMDS
echo 1 > $DG/enabled
# ... nor under policy never (the new domain's, from default_policy).
echo never > $DG/default_policy
dgvfio <<CMDS
open $GA
trace-start
map nev1 1048576 scattered
join $GB
check-join nev1 $GB none
close
CMDS
echo auto > $DG/default_policy
echo -1 > $P
t "no domain left after the containers closed" [ -z "$(ls $DG/domains)" ]
rmmod_dg
t "dmaguard (TEST build) unloads cleanly" [ ! -d $DG ]
