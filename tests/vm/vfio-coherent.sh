# SPDX-License-Identifier: GPL-2.0-only
# In-guest: VFIO type1 on a coherent domain (intel-iommu snoop-control=on).
# auto must not flush; per-domain always/never and the global kill switch
# must take effect on the next map.
. /dg/tap.sh

dg-modload vfio_iommu_type1
dg-modload /dg/dmaguard.ko
t "vfio-map armed when vfio_iommu_type1 was loaded first" [ "$(prot_state vfio-map)" = armed ]
G=$(dg-bind-edu)
export DG_GROUP=$G

dgvfio <<'CMDS'
open
expect-domain
sh . /dg/tap.sh; t "domain is coherent (snoop control)" [ "$(cat $DG/domains/$DG_DOMAIN/coherent)" = 1 ]
sh . /dg/tap.sh; t "auto on a coherent domain: flushing 0" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
trace-start
sh . /dg/tap.sh; dg_stat skipped_coherent_bytes > /tmp/skipb0
map auto1 2097152
map auto2 12288
sh . /dg/tap.sh; t "auto, not flushed: mapped_bytes still counts both maps ($(cat $DG/domains/$DG_DOMAIN/mapped_bytes))" [ "$(cat $DG/domains/$DG_DOMAIN/mapped_bytes)" = 2109440 ]
unmap auto1
unmap auto2
sh . /dg/tap.sh; t "auto, not flushed: mapped_bytes back to 0 after the unmaps" [ "$(cat $DG/domains/$DG_DOMAIN/mapped_bytes)" = 0 ]
sh . /dg/tap.sh; b0=$(cat /tmp/skipb0); b1=$(dg_stat skipped_coherent_bytes); t "skipped_coherent_bytes grew by the 2 x 2109440 bytes mapped and unmapped ($b0 -> $b1)" [ $((b1 - b0)) = 4218880 ]
check auto1 none
check auto2 none
sh . /dg/tap.sh; t "no flush needed yet: the lazy pin hook is not registered with ftrace" sh -c "! grep -q '^vfio_pin_pages_remote ' /sys/kernel/tracing/enabled_functions"
sh . /dg/tap.sh; t "the unpin hook is registered (teardown must flush)" grep -q '^vfio_unpin_pages_remote ' /sys/kernel/tracing/enabled_functions
sh . /dg/tap.sh; echo always > $DG/domains/$DG_DOMAIN/policy; t "policy always: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
counters-begin
map always1 1048576
sh . /dg/tap.sh; t "the first map that flushes registered the pin hook" grep -q '^vfio_pin_pages_remote ' /sys/kernel/tracing/enabled_functions
map always2 20480
unmap always1
unmap always2
check always1 flush
check always2 flush
counters-check
sh . /dg/tap.sh; echo never > $DG/domains/$DG_DOMAIN/policy; t "policy never: flushing 0" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
map never1 1048576
unmap never1
check never1 none
sh . /dg/tap.sh; echo always > $DG/domains/$DG_DOMAIN/policy; echo 0 > $DG/enabled; t "enabled=0: flushing 0 even with always" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
sh . /dg/tap.sh; t "enabled=0: protections say disabled" [ "$(prot_state vfio-map)" = disabled ]
map off1 1048576
unmap off1
check off1 none
sh . /dg/tap.sh; echo 1 > $DG/enabled; t "enabled=1 again: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
map on1 65536
unmap on1
check on1 flush
close
CMDS

# default_policy applies to domains created after the change; the domain's
# life shows in dmaguard:dmaguard_domain.
echo always > $DG/default_policy
T=/sys/kernel/tracing
for e in dmaguard/dmaguard_domain dmaguard/dmaguard_flush iommu/map iommu/unmap; do
	echo 1 > $T/events/$e/enable
done
echo > $T/trace
dgvfio <<'CMDS'
open
sh . /dg/tap.sh; t "new domain takes default_policy always" [ "$(cat $DG/domains/$DG_DOMAIN/policy)" = always ]
sh . /dg/tap.sh; echo $DG_DOMAIN > /tmp/dom; echo never > $DG/domains/$DG_DOMAIN/policy; echo always > $DG/domains/$DG_DOMAIN/policy
map dflt 65536
unmap dflt
check dflt flush
close
CMDS
echo auto > $DG/default_policy
d=$(cat /tmp/dom)
for ev in create policy destroy; do
	t "dmaguard_domain: domain=$d event=$ev traced" grep -q "dmaguard_domain: domain=$d event=$ev\$" $T/trace
done
t "dmaguard_domain: two policy events for two writes" [ "$(grep -c "dmaguard_domain: domain=$d event=policy" $T/trace)" = 2 ]
rmmod dmaguard
t "dmaguard unloads cleanly" [ ! -d $DG ]

# The same boot has a second edu device: the replay into a new domain.
. /dg/vfio-replay.sh
