# SPDX-License-Identifier: GPL-2.0-only
# In-guest: module parameters (enabled, default_policy, require) and the
# fail-safe rule: a required protection that cannot arm fails the load, or
# refuses its target module's load; never half armed silently.
. /dg/tap.sh

fails_with() { # cmd...: the command fails
	! "$@" 2>/dev/null
}

t "default_policy=bogus: load refused" fails_with insmod /dg/dmaguard.ko default_policy=bogus
t "require=bogus: load refused" fails_with insmod /dg/dmaguard.ko require=bogus
t "require=vfio-map,bogus: load refused" fails_with insmod /dg/dmaguard.ko require=vfio-map,bogus
t "nothing left behind by refused loads" [ ! -d $DG ]

insmod /dg/dmaguard.ko enabled=0 default_policy=always
t "enabled=0 parameter: enabled reads 0" [ "$(cat $DG/enabled)" = 0 ]
t "default_policy=always parameter: default_policy reads always" [ "$(cat $DG/default_policy)" = always ]
t "version in modinfo matches sysfs" [ "$(modinfo -F version /dg/dmaguard.ko)" = "$(cat $DG/version)" ]
rmmod dmaguard

# require=vfio-map before vfio_iommu_type1 exists: the load succeeds and
# the protection waits for the module.
insmod /dg/dmaguard.ko require=vfio-map,vfio-unmap
t "require=vfio-map loads before vfio_iommu_type1 (waits for it)" [ "$(prot_state vfio-map)" = unavailable ]
dg-modload vfio_iommu_type1
t "require=vfio-map: armed once vfio_iommu_type1 loads" [ "$(prot_state vfio-map)" = armed ]
rmmod dmaguard
t "require=vfio-map with vfio_iommu_type1 loaded: load succeeds" insmod /dg/dmaguard.ko require=vfio-map
rmmod dmaguard
t "require=all on this kernel: loads (iommufd and sva-kva not-applicable)" insmod /dg/dmaguard.ko require=all
rmmod dmaguard

# A hook that cannot be found (test builds can hide one).
T=/dg/test/dmaguard.ko
t "hidden hook, not required: load succeeds" insmod $T test_hide_symbol=vfio_unpin_pages_remote
t "hidden hook: vfio-map unavailable too (the set arms all or nothing): $(prot vfio-map)" \
	[ "$(prot_state vfio-map)" = unavailable ]
t "hidden hook: vfio-unmap says which symbol: $(prot vfio-unmap)" \
	[ "$(prot vfio-unmap)" = "unavailable vfio_unpin_pages_remote not found (inlined?)" ]
rmmod dmaguard
t "hidden hook, required, target loaded: load refused" \
	fails_with insmod $T test_hide_symbol=vfio_unpin_pages_remote require=vfio-unmap
t "no sysfs left behind" [ ! -d $DG ]
rmmod vfio_iommu_type1
insmod $T test_hide_symbol=vfio_pin_pages_remote require=vfio-map
t "hidden hook, required, target not loaded yet: dmaguard loads" [ -d $DG ]
t "hidden hook, required: vfio_iommu_type1's load is refused" fails_with dg-modload vfio_iommu_type1
t "vfio_iommu_type1 is not loaded" sh -c "! grep -q '^vfio_iommu_type1 ' /proc/modules"
rmmod dmaguard
t "after dmaguard is gone vfio_iommu_type1 loads again" dg-modload vfio_iommu_type1

# A wrapped call blocked inside its original (the test row of the TEST=1
# build on tests/ibt's dgibt_leaf, told to sleep 8 s in its body): rmmod
# fails at once with EBUSY instead of waiting in D state, and works after.
if [ "$DG_ARCH" = amd64 ]; then
	P=/sys/module/dgibt_target/parameters
	insmod $T
	insmod /dg/dgibt_target.ko
	echo 8000 > $P/block_ms
	echo 1 > $P/run &
	runner=$!
	sleep 1
	s0=$(cut -d. -f1 /proc/uptime)
	timeout 10 rmmod dmaguard 2>/tmp/rm.err
	rc=$?
	el=$(($(cut -d. -f1 /proc/uptime) - s0))
	t "rmmod while a wrapped call blocks in its original fails at once (rc $rc in ${el}s: $(cat /tmp/rm.err))" \
		sh -c "[ $rc != 0 ] && [ $rc != 124 ] && [ $el -le 2 ] && [ -d $DG ]"
	wait $runner
	t "the blocked call finished through the wrapper ($(cat /sys/kernel/debug/dmaguard/test_leaf_calls))" \
		[ "$(cat /sys/kernel/debug/dmaguard/test_leaf_calls) $(cat $P/good)" = "1 1" ]
	t "rmmod works once the call returned" rmmod dmaguard
	rmmod dgibt_target
fi

# dmaguard and vfio_iommu_type1 loaded at the same moment, six times: the
# VFIO set ends up armed whichever notification (COMING, LIVE) or check
# comes first, and the protection says so.
lost=0
for i in 1 2 3 4 5 6; do
	rmmod dmaguard 2>/dev/null
	rmmod vfio_iommu_type1 2>/dev/null
	insmod /dg/dmaguard.ko require=vfio-map,vfio-unmap &
	a=$!
	dg-modload vfio_iommu_type1 &
	b=$!
	wait $a
	wait $b
	if ! grep -q '^vfio_iommu_type1 ' /proc/modules || [ ! -d $DG ] ||
	   [ "$(prot_state vfio-map) $(prot_state vfio-unmap)" != "armed armed" ] ||
	   ! grep -q '^vfio_unpin_pages_remote ' /sys/kernel/tracing/enabled_functions; then
		lost=$((lost + 1))
		echo "# concurrent load $i: $(grep -c '^vfio_iommu_type1 ' /proc/modules) type1, $(prot vfio-map)"
	fi
done
t "dmaguard and vfio_iommu_type1 loaded concurrently 6 times: both loaded and armed every time ($lost lost)" [ $lost = 0 ]
rmmod dmaguard
