# SPDX-License-Identifier: GPL-2.0-only
# In-guest, debug kernel: VFIO device cdev + IOMMUFD on a coherent
# intel-iommu domain (snoop-control=on): iommufd enforces cache coherency
# on the HWPT, so auto must not flush; always and the kill switch work.
. /dg/tap.sh

dg-modload iommufd
dg-modload /dg/dmaguard.ko
t "iommufd-map armed when iommufd was loaded first" [ "$(prot_state iommufd-map)" = armed ]
G=$(dg-bind-edu)
export DG_GROUP=$G

dgvfio <<'CMDS'
open-iommufd
expect-domain
sh . /dg/tap.sh; t "domain owner is iommufd" [ "$(cat $DG/domains/$DG_DOMAIN/owner)" = iommufd ]
sh . /dg/tap.sh; t "domain is coherent (iommufd enforce_cache_coherency)" [ "$(cat $DG/domains/$DG_DOMAIN/coherent)" = 1 ]
sh . /dg/tap.sh; t "auto on a coherent domain: flushing 0" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
trace-start
map auto1 2097152
map auto2 12288
map auto3 4194304 thp
unmap auto1
unmap auto2
unmap auto3
check auto1 none
check auto2 none
check auto3 none
sh . /dg/tap.sh; echo always > $DG/domains/$DG_DOMAIN/policy; t "policy always: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
counters-begin
map always1 1048576
map always2 20480
unmap always1
unmap always2
check always1 flush
check always2 flush
counters-check
sh . /dg/tap.sh; echo 0 > $DG/enabled; t "enabled=0: flushing 0 even with always" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 0 ]
map off1 1048576
unmap off1
check off1 none
sh . /dg/tap.sh; echo 1 > $DG/enabled; t "enabled=1 again: flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/flushing)" = 1 ]
map leftover 131072
close
check-teardown leftover
CMDS
t "domain directory removed when the device closed" [ -z "$(ls $DG/domains)" ]
# Map before attach: the IOAS holds areas when the device attaches, and
# iommufd fills the new HWPT's domain inside the attach. Its coherency is
# decided (enforce_cache_coherency) before the fill: the fill flushes nothing.
dgvfio <<CMDS
open-ioas
trace-start
map early1 1048576 scattered
map early2 4194304 thp
attach-ioas $G
check-join early1 $G none
check-join early2 $G none
sh . /dg/tap.sh; t "map before attach: the domain reads coherent 1" [ "\$(cat \$DG/domains/*/coherent)" = 1 ]
close
CMDS
rmmod dmaguard
t "dmaguard unloads cleanly" [ ! -d $DG ]
