# SPDX-License-Identifier: GPL-2.0-only
# In-guest stress run (busybox sh): real edu DMA integrity under every
# policy, a VFIO map/unmap storm with container churn, policy flips and
# dmaguard reloads, sysfs fuzzing, unprivileged access,
# vfio_iommu_type1 reloads and, where the kernel has fault-injection
# debugfs, allocation failures in dmaguard's load, hook arming and domain
# creation. Prints TAP lines; what cannot run on this kernel is printed as
# "# not run: ..." (no TAP line, so it is never counted as passed).
#
# Needs /dg/dmaguard.ko, /dg/dgstress, /dg/dgedu, /dg/tap.sh and at least 3
# edu devices (vm-run --qemu-arg -device --qemu-arg edu, twice or more).
# env: DURATION=SECONDS  length of the storm (default 60; CI uses that, a
#                        soak sets hours). Per-policy DMA runs take
#                        DURATION/15 each (at least 4 s).
#      DG_FI_SECONDS     time bound of each fault-injection sweep (30)
. /dg/tap.sh

D=${DURATION:-60}
P=$((D / 15))
[ $P -lt 4 ] && P=4
HALF=$((D / 2))
export DG_FI_SECONDS=${DG_FI_SECONDS:-30}
echo "# stress: DURATION=${D}s (per-policy DMA runs ${P}s)"

dg-modload /dg/dmaguard.ko
dg-modload vfio_iommu_type1
t "dmaguard loaded, vfio-map $(prot vfio-map)" [ "$(prot_state vfio-map)" = armed ]

# Bind every edu device (dg-bind-edu binds the first) and list the groups.
bind_all_edu() {
	dg-bind-edu >/dev/null || return 1
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ] || continue
		if [ ! -e $d/driver ]; then
			echo vfio-pci > $d/driver_override
			echo ${d##*/} > /sys/bus/pci/drivers/vfio-pci/bind
		fi
		g=$(basename "$(readlink $d/iommu_group)")
		i=0
		while [ ! -e /dev/vfio/$g ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		[ -e /dev/vfio/$g ] && echo $g
	done
}
GROUPS=$(bind_all_edu | tr '\n' ' ')
set -- $GROUPS
t "edu devices bound to vfio-pci, one iommu group each: $GROUPS" [ $# -ge 3 ]
GE=$1 GS=$2 GC=$3
GS2=${4:-}

# 1. Data integrity through the device under every policy (DESIGN §4).
dgedu $GE $P "policy auto" auto 1
dgedu $GE $P "policy always" always 1
dgedu $GE $P "policy never" never 0
echo 0 > $DG/enabled
dgedu $GE $P "enabled=0, policy always" always 0
echo 1 > $DG/enabled
rmmod dmaguard
t "dmaguard unloaded" [ ! -d $DG ]
dgedu $GE $P "dmaguard not loaded"
insmod /dg/dmaguard.ko
t "dmaguard reloaded, vfio-map $(prot vfio-map)" [ "$(prot_state vfio-map)" = armed ]

# 2. Storm: map/unmap storm, container churn and device DMA for D seconds;
# the first half flips enabled/default_policy/domain policies and reloads
# dmaguard, the second half fuzzes sysfs (nothing else writes valid values
# then, so the fuzzer can assert that no value changed).
echo "# storm: groups dma=$GE storm=$GS${GS2:+,$GS2} churn=$GC"
if [ -n "$GS2" ]; then
	dgstress storm $D 3 2 $GS $GS2 > /tmp/storm.out 2>&1 &
else
	dgstress storm $D 2 2 $GS > /tmp/storm.out 2>&1 &
fi
storm=$!
dgstress churn $D $GC $HALF > /tmp/churn.out 2>&1 &
churn=$!
dgedu $GE $D "during the storm" > /tmp/edu.out 2>&1 &
edu=$!

# 6. Unprivileged access, with domains live: checked before the first
# half's loop, whose first round alone can outlast the storm on the debug
# kernel (KASAN under TCG) and leave no container open.
i=0
while [ -z "$(ls $DG/domains)" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
t "domains exist while the storm runs ($(ls $DG/domains | tr '\n' ' '))" [ -n "$(ls $DG/domains)" ]
dgstress unpriv 65534

flips=0 reloads=0 rfail=0 busy=0
end=$(($(cut -d. -f1 /proc/uptime) + HALF))
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	for v in 0 1; do echo $v > $DG/enabled && flips=$((flips + 1)); done
	for p in never always auto; do
		echo $p > $DG/default_policy && flips=$((flips + 1))
		for f in $DG/domains/*/policy; do
			[ -e "$f" ] && echo $p > "$f" 2>/dev/null && flips=$((flips + 1))
		done
		sleep 0.3
	done
	# Under this storm a redirected call is nearly always under way, and
	# rmmod refuses (EBUSY) rather than wait: busy is a valid answer.
	rmmod_dg 40
	case $? in
	0)	sleep 0.2
		insmod /dg/dmaguard.ko || rfail=$((rfail + 1))
		reloads=$((reloads + 1)) ;;
	1)	busy=$((busy + 1)) ;;
	*)	rfail=$((rfail + 1)) ;;
	esac
done
t "storm first half: $flips enabled/policy writes; $reloads dmaguard rmmod/insmod cycles, $busy rmmods refused as busy ($DG_RMMOD_RETRIES EBUSY answers), no other failure" \
	sh -c "[ $rfail = 0 ] && [ $((reloads + busy)) -gt 0 ]"
t "dmaguard armed after the reloads" [ "$(prot_state vfio-map)" = armed ]
t "enabled and default_policy back to 1/auto" [ "$(cat $DG/enabled) $(cat $DG/default_policy)" = "1 auto" ]

# 5. sysfs fuzz for the rest of the storm.
left=$((end + HALF - $(cut -d. -f1 /proc/uptime)))
[ $left -lt 5 ] && left=5
dgstress fuzz $left 3 2

wait $storm; src=$?
wait $churn; crc=$?
wait $edu; erc=$?
cat /tmp/storm.out /tmp/churn.out /tmp/edu.out
t "storm exited 0" [ $src = 0 ]
t "churn exited 0" [ $crc = 0 ]
t "DMA during the storm exited 0" [ $erc = 0 ]
sleep 1
t "no domain left once every container closed ($(ls $DG/domains | tr '\n' ' '))" [ -z "$(ls $DG/domains)" ]
for d in $DG/domains/*/; do
	[ -d "$d" ] || continue
	p=$(cat $d/pid)
	echo "# left: domain $(basename $d) owner $(cat $d/owner) pid $p ($([ -d /proc/$p ] && echo alive || echo gone)) devices '$(cat $d/devices)' mapped_bytes $(cat $d/mapped_bytes)"
done
c=$(awk '$1 == "domains_created" { print $2 }' $DG/stats)
d=$(awk '$1 == "domains_destroyed" { print $2 }' $DG/stats)
t "domains_created ($c) = domains_destroyed ($d) since the last load" [ "$c" = "$d" ]

# vfio_iommu_type1 reload, now that no container holds it.
i=0 bad=0
while [ $i -lt 3 ]; do
	rmmod vfio_iommu_type1 || bad=$((bad + 1))
	[ "$(prot_state vfio-map)" = unavailable ] || bad=$((bad + 1))
	dg-modload vfio_iommu_type1 || bad=$((bad + 1))
	[ "$(prot_state vfio-map) $(prot_state vfio-unmap)" = "armed armed" ] || bad=$((bad + 1))
	i=$((i + 1))
done
t "vfio_iommu_type1 unloaded and reloaded 3 times: protections follow" [ $bad = 0 ]
dgedu $GE $P "after the vfio_iommu_type1 reloads" auto 1

# 4. Fault injection: only where the kernel has it.
FS=/sys/kernel/debug/failslab
FP=/sys/kernel/debug/fail_page_alloc
if [ -d $FS ] && [ -e /proc/self/fail-nth ]; then
	# fail-nth drives it (probability stays 0); count GFP_KERNEL
	# allocations too; no stack dumps (they would read as splats).
	for f in $FS $FP; do
		[ -d $f ] || continue
		echo N > $f/ignore-gfp-wait
		echo 0 > $f/verbose
	done
	[ -d $FP ] || echo "# not run: fail_page_alloc (no $FP on this kernel); failslab only"
	# The kernel dumps the stack of an injected vmalloc failure
	# (warn_alloc) whatever verbose says: vm-run reads a bare Call Trace
	# between these markers as expected, and every other splat still fails.
	echo DG-FAULT-INJECTION-BEGIN
	dgstress fail-attach $GE 1000
	if [ -c /dev/iommu ]; then
		dgstress fail-attach-iommufd $GE 1000
	else
		echo "# not run: iommufd fault injection (no /dev/iommu on this kernel)"
	fi
	rmmod vfio_iommu_type1
	dgstress fail-load $(find /lib/modules/$(uname -r) -name vfio_iommu_type1.ko) \
		vfio_iommu_type1 1000
	dg-modload vfio_iommu_type1
	rmmod dmaguard
	dgstress fail-load /dg/dmaguard.ko dmaguard 1000
	sleep 1	# let the console drain before closing the window
	echo DG-FAULT-INJECTION-END
	insmod /dg/dmaguard.ko
	t "dmaguard loads normally after the fault-injection sweeps" \
		[ "$(prot_state vfio-map)" = armed ]
	dgedu $GE $P "after fault injection" auto 1
	for f in $FS $FP; do
		[ -d $f ] && echo Y > $f/ignore-gfp-wait
	done
else
	echo "# not run: fault injection (this kernel has no $FS or /proc/self/fail-nth: CONFIG_FAULT_INJECTION_DEBUG_FS/CONFIG_FAILSLAB off)"
fi

rmmod dmaguard
t "dmaguard unloads cleanly at the end" [ ! -d $DG ]

# Leaks: scripts/test runs tests/vm/kmemleak-check.sh after every suite
# (kernels with kmemleak only); a soak runs it too when it is in /dg.
