# SPDX-License-Identifier: GPL-2.0-only
# In-guest, debug kernel (CONFIG_IOMMUFD=m): VFIO device cdev + IOMMUFD on a
# non-coherent intel-iommu domain (no snoop control). dmaguard is loaded
# before iommufd; then the DESIGN §7 oracle over IOMMU_IOAS_MAP/UNMAP,
# counters, policies, teardown at device close, a domain that existed
# before dmaguard loaded, and unload under a map loop.
. /dg/tap.sh

dg-modload /dg/dmaguard.ko
t "iommufd-map waits for iommufd: $(prot iommufd-map)" \
	[ "$(prot iommufd-map)" = "unavailable iommufd not loaded (arms when it loads)" ]
dg-modload iommufd
t "iommufd-map armed once iommufd loads: $(prot iommufd-map)" [ "$(prot_state iommufd-map)" = armed ]
t "iommufd-unmap armed once iommufd loads: $(prot iommufd-unmap)" [ "$(prot_state iommufd-unmap)" = armed ]
case "$(prot iommufd-map)" in
*"coherency from iommufd_hwpt_paging_alloc"*) c=y ;; *) c=n ;; esac
t "iommufd coherency comes from iommufd's own HWPT decision" [ $c = y ]
G=$(dg-bind-edu)
export DG_GROUP=$G
t "edu has a VFIO device cdev" ls /dev/vfio/devices/vfio0

dgvfio <<'CMDS'
open-iommufd
expect-domain
sh . /dg/tap.sh; t "domain owner is iommufd" [ "$(cat $DG/domains/$DG_DOMAIN/owner)" = iommufd ]
sh . /dg/tap.sh; t "domain devices lists the edu BDF ($(cat $DG/domains/$DG_DOMAIN/devices))" grep -q '0000:00:0[0-9a-f].0' $DG/domains/$DG_DOMAIN/devices
sh . /dg/tap.sh; t "domain is not coherent (intel-iommu without snoop control)" [ "$(cat $DG/domains/$DG_DOMAIN/coherent)" = 0 ]
sh . /dg/tap.sh; t "domain policy auto, flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/policy) $(cat $DG/domains/$DG_DOMAIN/flushing)" = "auto 1" ]
sh . /dg/tap.sh; bad_writes $DG/domains/$DG_DOMAIN/policy always
sh . /dg/tap.sh; t "nothing in sysfs looks like a kernel address" no_pointers
sh . /dg/tap.sh; dmaguardctl audit > /tmp/audit.txt; cat /tmp/audit.txt | sed 's/^/# /'; t "audit: the group is open through the VFIO cdev" grep -q "open by: .*(vfio-cdev)" /tmp/audit.txt
sh . /dg/tap.sh; t "audit: the group is in dmaguard domain $DG_DOMAIN" grep -q "dmaguard domain:  $DG_DOMAIN\$" /tmp/audit.txt
sh . /dg/tap.sh; t "audit verdict: protected (by iommufd-map/unmap)" grep -q "verdict: *protected\$" /tmp/audit.txt
sh . /dg/tap.sh; t "audit: coherency is what iommufd decided" grep -q "coherent: *no (dmaguard domain $DG_DOMAIN (what iommufd decided))" /tmp/audit.txt
trace-start
counters-begin
map page 4096
map odd3 12288
map odd17 69632
map mib5 5255168
map big 8388608
map thp 4194304 thp
sh . /dg/tap.sh; t "mapped_bytes counts the six mappings ($(cat $DG/domains/$DG_DOMAIN/mapped_bytes))" [ "$(cat $DG/domains/$DG_DOMAIN/mapped_bytes)" = 17924096 ]
unmap page
unmap odd3
unmap odd17
unmap mib5
unmap big
unmap thp
check page flush
check odd3 flush
check odd17 flush
check mib5 flush
check big flush
check thp flush
counters-check
sh . /dg/tap.sh; echo never > $DG/domains/$DG_DOMAIN/policy; t "policy never: flushing 0" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
map never1 1048576
unmap never1
check never1 none
sh . /dg/tap.sh; echo auto > $DG/domains/$DG_DOMAIN/policy; echo 0 > $DG/enabled; t "enabled=0: iommufd-map says disabled" [ "$(prot_state iommufd-map)" = disabled ]
map off1 1048576
unmap off1
check off1 none
sh . /dg/tap.sh; echo 1 > $DG/enabled; t "enabled=1 again: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
map leftover 262144
close
check-teardown leftover
CMDS
t "domain directory removed when the device closed" [ -z "$(ls $DG/domains)" ]

# A domain that exists before dmaguard loads is adopted at its first map.
dgvfio <<'CMDS'
open-iommufd
sh rmmod dmaguard && insmod /dg/dmaguard.ko
sh . /dg/tap.sh; t "reloaded: no entry for the existing domain yet" [ -z "$(ls $DG/domains)" ]
trace-start
map late 1048576
expect-domain
sh . /dg/tap.sh; t "adopted domain: owner iommufd, coherency unknown, flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/owner) $(cat $DG/domains/$DG_DOMAIN/coherent) $(cat $DG/domains/$DG_DOMAIN/flushing)" = "iommufd unknown 1" ]
sh . /dg/tap.sh; t "adopted domain, no devices known: devices reads exactly an empty line" [ "$(od -An -c $DG/domains/$DG_DOMAIN/devices | tr -d ' ')" = '\n' ]
unmap late
check late flush
map late2 65536
close
check-teardown late2
CMDS
t "adopted domain removed when the device closed" [ -z "$(ls $DG/domains)" ]

# The device moves to another IOAS (iommu_replace_group_handle): the old
# automatic domain goes away, the new one has the device and is flushed.
dgvfio <<'CMDS'
open-iommufd
expect-domain
sh echo $DG_DOMAIN > /tmp/dom1
reattach-iommufd
expect-domain
sh . /dg/tap.sh; t "after the replace: a new domain ($(cat /tmp/dom1) -> $DG_DOMAIN), the old one gone" sh -c "[ $DG_DOMAIN != $(cat /tmp/dom1) ] && [ ! -d $DG/domains/$(cat /tmp/dom1) ]"
sh . /dg/tap.sh; t "after the replace: the new domain lists the edu BDF ($(cat $DG/domains/$DG_DOMAIN/devices))" grep -q '0000:00:0[0-9a-f].0' $DG/domains/$DG_DOMAIN/devices
trace-start
map moved 1048576
unmap moved
check moved flush
close
CMDS
t "replaced-to domain removed when the device closed" [ -z "$(ls $DG/domains)" ]

# dmaguard unloaded and reloaded while a process loops map/unmap.
reload_under_loop open-iommufd 20 5
t "no iommufd domain left behind by the loop" [ -z "$(ls $DG/domains)" ]
# Map before attach: the IOAS holds areas when the device attaches, and
# iommufd fills the new HWPT's domain inside the attach. Its coherency is
# decided (enforce_cache_coherency) before the fill: the fill flushes every page before its iommu:map.
dgvfio <<CMDS
open-ioas
trace-start
map early1 1048576 scattered
map early2 4194304 thp
attach-ioas $G
check-join early1 $G flush
check-join early2 $G flush
sh . /dg/tap.sh; t "map before attach: the domain reads coherent 0" [ "\$(cat \$DG/domains/*/coherent)" = 0 ]
close
CMDS

# The unmap reads the pfns back: per 2 MiB block where one map call
# covered the block (THP, hugetlbfs), per 4 KiB page only where the area
# was mapped in pieces. The test build counts its iommu_iova_to_phys()
# calls; the oracle still wants every page flushed. Then another module
# (tests/irqmap) maps and unmaps a page of the domain from hard interrupt
# context: the hooks leave non-task context alone (current is whoever was
# interrupted).
rmmod dmaguard
insmod /dg/test/dmaguard.ko
insmod /dg/dgirqmap.ko
echo 2 > /proc/sys/vm/nr_hugepages
dgvfio <<'CMDS'
open-iommufd
expect-domain
trace-start
map thp2 4194304 thp
map huge2 4194304 hugetlb
map scat2 4194304 scattered
sh cat /sys/kernel/debug/dmaguard/ifd_lookups > /tmp/l0
unmap thp2
sh cat /sys/kernel/debug/dmaguard/ifd_lookups > /tmp/l1
unmap huge2
sh cat /sys/kernel/debug/dmaguard/ifd_lookups > /tmp/l2
unmap scat2
sh cat /sys/kernel/debug/dmaguard/ifd_lookups > /tmp/l3
sh . /dg/tap.sh; n=$(($(cat /tmp/l1) - $(cat /tmp/l0))); t "unmap of 4 MiB of THP: $n iova lookups, at most one per 2 MiB" [ $n -le 2 ]
sh . /dg/tap.sh; n=$(($(cat /tmp/l2) - $(cat /tmp/l1))); t "unmap of 4 MiB of hugetlbfs pages: $n iova lookups, at most one per 2 MiB" [ $n -le 2 ]
sh . /dg/tap.sh; n=$(($(cat /tmp/l3) - $(cat /tmp/l2))); t "unmap of 4 MiB of scattered pages: $n iova lookups, one per 4 KiB page" [ $n -ge 1024 ]
check thp2 flush
check huge2 flush
check scat2 flush
sh . /dg/tap.sh; for f in map_flushes unmap_flushes mapped_bytes; do cat $DG/domains/$DG_DOMAIN/$f; done > /tmp/irq0; dg_stat flushes >> /tmp/irq0
sh . /dg/tap.sh; dgvfio write /sys/kernel/debug/dgirqmap/map $(cat $DG/domains/$DG_DOMAIN/devices) > /tmp/irqr
sh . /dg/tap.sh; for f in map_flushes unmap_flushes mapped_bytes; do cat $DG/domains/$DG_DOMAIN/$f; done > /tmp/irq1; dg_stat flushes >> /tmp/irq1
sh . /dg/tap.sh; t "iommu_map/iommu_unmap of this domain from hard interrupt context by another module ($(cat /tmp/irqr)): the hooks leave them alone, nothing flushed or accounted ($(echo $(cat /tmp/irq0)) -> $(echo $(cat /tmp/irq1)))" sh -c "grep -qx 'OK [0-9]*' /tmp/irqr && cmp -s /tmp/irq0 /tmp/irq1"
close
CMDS
echo 0 > /proc/sys/vm/nr_hugepages
rmmod dgirqmap
rmmod dmaguard
t "dmaguard unloads cleanly at the end" [ ! -d $DG ]
