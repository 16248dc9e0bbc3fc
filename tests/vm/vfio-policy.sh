# SPDX-License-Identifier: GPL-2.0-only
# In-guest: policies on a non-coherent VFIO domain, for any arch (on arm64
# every domain is non-coherent: arm-smmu-v3 has no enforce_cache_coherency,
# so VFIO_DMA_CC_IOMMU is 0 and the snoop-control suite cannot run there).
# auto and always flush; never and the global kill switch stop flushing on
# the next map, and count what they skip; default_policy applies to domains
# created after it changed.
. /dg/tap.sh

dg-modload vfio_iommu_type1
dg-modload /dg/dmaguard.ko
t "vfio-map armed when vfio_iommu_type1 was loaded first" [ "$(prot_state vfio-map)" = armed ]
G=$(dg-bind-edu)
export DG_GROUP=$G

dgvfio <<'CMDS'
open
expect-domain
sh . /dg/tap.sh; t "domain is not coherent" [ "$(cat $DG/domains/$DG_DOMAIN/coherent)" = 0 ]
sh . /dg/tap.sh; t "auto on a non-coherent domain: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
trace-start
map auto1 1048576
unmap auto1
check auto1 flush
sh . /dg/tap.sh; echo always > $DG/domains/$DG_DOMAIN/policy; t "policy always: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
trace-start
counters-begin
map always1 1048576
map always2 20480
unmap always1
unmap always2
check always1 flush
check always2 flush
counters-check
sh . /dg/tap.sh; echo never > $DG/domains/$DG_DOMAIN/policy; t "policy never: flushing 0" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
sh . /dg/tap.sh; dg_stat skipped_coherent > /tmp/skip0
map never1 1048576
map never2 12288
unmap never1
unmap never2
check never1 none
check never2 none
sh . /dg/tap.sh; s0=$(cat /tmp/skip0); s1=$(dg_stat skipped_coherent); t "policy never: skipped_coherent counts the 4 runs ($s0 -> $s1)" sh -c "[ -n '$s0' ] && [ -n '$s1' ] && [ \$(($s1 - $s0)) -ge 4 ]"
sh . /dg/tap.sh; echo auto > $DG/domains/$DG_DOMAIN/policy; echo 0 > $DG/enabled; t "enabled=0: flushing 0 under auto" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
sh . /dg/tap.sh; t "enabled=0: protections say disabled" [ "$(prot_state vfio-map)" = disabled ]
map off1 1048576
unmap off1
check off1 none
sh . /dg/tap.sh; echo 1 > $DG/enabled; t "enabled=1 again: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
sh . /dg/tap.sh; t "enabled=1 again: vfio-map armed" [ "$(prot_state vfio-map)" = armed ]
map on1 65536
unmap on1
check on1 flush
close
CMDS

# default_policy applies to domains created after the change.
echo never > $DG/default_policy
dgvfio <<'CMDS'
open
sh . /dg/tap.sh; t "new domain takes default_policy never" [ "$(cat $DG/domains/$DG_DOMAIN/policy) $(cat $DG/domains/$DG_DOMAIN/flushing)" = "never 0" ]
trace-start
map dflt 65536
unmap dflt
check dflt none
close
CMDS
echo auto > $DG/default_policy
dgvfio <<'CMDS'
open
sh . /dg/tap.sh; t "default_policy auto again: new domain flushes" [ "$(cat $DG/domains/$DG_DOMAIN/policy) $(cat $DG/domains/$DG_DOMAIN/flushing)" = "auto 1" ]
trace-start
map dflt2 65536
unmap dflt2
check dflt2 flush
close
CMDS
rmmod dmaguard
t "dmaguard unloads cleanly" [ ! -d $DG ]
