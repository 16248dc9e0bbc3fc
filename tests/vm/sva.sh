# SPDX-License-Identifier: GPL-2.0-only
# In-guest (x86): SVA kernel page-table invalidation. No emulated device
# can bind SVA, so the test build of dmaguard (make TEST=1) lets this
# shell enroll its own mm, and dgsvamock registers a mock secondary-TLB
# notifier on it that records what it is asked to invalidate.
. /dg/tap.sh
M=/sys/kernel/debug/dgsvamock
ENROLL=/sys/kernel/debug/dmaguard/sva_enroll
# 7.x (6.19+) has the native fix (see below)
native=0
grep -q ' iommu_sva_invalidate_kva_range$' /proc/kallsyms && native=1

# The load-time probe (does this kernel refuse SVA binds?) asks with a
# device of its own: no real device reaches iommu_sva_bind_device() (its
# first argument's name, a kprobe event), and no iommu_group is left behind.
TR=/sys/kernel/tracing
echo 'p:dgbind iommu_sva_bind_device name=+0(+0(%di)):string' >> $TR/kprobe_events
echo 1 > $TR/events/kprobes/dgbind/enable
echo > $TR/trace
groups0=$(ls /sys/kernel/iommu_groups | wc -l)
insmod /dg/test/dmaguard.ko
echo 0 > $TR/events/kprobes/dgbind/enable
grep 'dgbind:' $TR/trace | sed 's/^/# /'
if [ $native = 1 ]; then
	# A native kernel (7.x): nothing to probe, the kernel fixes it itself.
	t "native kernel: no load-time probe (iommu_sva_bind_device not called)" \
		sh -c "! grep -q 'dgbind:' $TR/trace"
else
	t "the probe asked the kernel (iommu_sva_bind_device called at load)" grep -q 'dgbind:' $TR/trace
fi
t "the probe passed no real device to iommu_sva_bind_device" sh -c "! grep 'dgbind:' $TR/trace | grep -q 'name=\"[0-9a-f]\{4\}:'"
echo '-:dgbind' >> $TR/kprobe_events
insmod /dg/dgsvamock.ko
t "test build of dmaguard and the mock notifier loaded" sh -c "[ -w $ENROLL ] && [ -w $M/ctl ]"

# Debian's 6.1 and 6.12 carry the CVE-2025-71089 fix: SVA binds fail on x86.
# 7.x (6.19+) has the native fix: the kernel invalidates SVA domains itself
# when it frees kernel page tables (iommu_sva_invalidate_kva_range, not
# through the mm's notifiers), and dmaguard guards only the CPA large-page
# collapse, whose freed tables bypass that path (flush_tlb_all).
state=$(prot_state sva-kva)
if [ $native = 1 ]; then
	t "sva-kva on a native kernel: $(prot sva-kva)" \
		sh -c "grep '^sva-kva native ' $DG/protections | grep -q 'CPA collapse gap covered via flush_tlb_all'"
	# 7.3's source: memory hot-remove frees reserved and unmarked page
	# tables directly (free_pagetable), before its flush_tlb_all()
	t "sva-kva on a native kernel says memory hot-remove is not covered" \
		sh -c "grep '^sva-kva native ' $DG/protections | grep -q 'not covered: memory hot-remove'"
else
	t "sva-kva: $(prot sva-kva)" [ "$state" = not-applicable ]
	t "sva-kva reason names the kernel's own SVA disable" \
		sh -c "grep '^sva-kva ' $DG/protections | grep -q 'SVA disabled on x86 by this kernel (iommu_sva_bind_device returns -EOPNOTSUPP, CVE-2025-71089 fix)'"
fi

# Nothing enrolled: kernel TLB flushes cost a patched-out branch, nothing else.
echo register > $M/ctl
before=$(dg_stat sva_invalidations)
echo "vfree 65536" > $M/ctl
echo ioremap > $M/ctl
echo setmem > $M/ctl
t "no enrolled mm: sva_mms is 0" [ "$(dg_stat sva_mms)" = 0 ]
t "no enrolled mm: zero invalidations (before $before, after $(dg_stat sva_invalidations))" \
	[ "$(dg_stat sva_invalidations)" = "$before" ]
t "no enrolled mm: the mock notifier got nothing from a vfree purge" grep -q "^covered=0 " $M/result

echo 1 > /sys/kernel/tracing/events/dmaguard/dmaguard_sva_inval/enable
echo > /sys/kernel/tracing/trace
echo 1 > $ENROLL
t "enrolled: sva_mms is 1" [ "$(dg_stat sva_mms)" = 1 ]
for action in "vfree 65536" "vfree 4194304" ioremap setmem; do
	echo "$action" > $M/ctl || nok "mock action '$action' ran"
	r=$(cat $M/result)
	if [ $native = 1 ] && [ "$action" != setmem ]; then
		# the kernel's own path: dmaguard adds nothing
		t "$action on a native kernel: left to the kernel, no invalidation from dmaguard ($r)" \
			sh -c "echo '$r' | grep -q '^covered=0 received=0 '"
		continue
	fi
	t "$action: an invalidation covering the range reached the notifier before the flush returned ($r)" \
		sh -c "echo '$r' | grep -q '^covered=1 '"
done
t "enrolled: sva_invalidations counted ($(dg_stat sva_invalidations))" [ "$(dg_stat sva_invalidations)" -gt "$before" ]
t "dmaguard_sva_inval traced with mms=1" grep -Eq 'dmaguard_sva_inval: start=0x[0-9a-f]+ end=0x[0-9a-f]+ mms=1' /sys/kernel/tracing/trace

# Module load and unload free module memory (vmalloc) and flush it.
before=$(dg_stat sva_invalidations)
dg-modload vfio_iommu_type1
rmmod vfio_iommu_type1
echo purge > $M/ctl
t "module load/unload: invalidations issued" [ "$(dg_stat sva_invalidations)" -gt "$before" ]

# Unenroll: back to nothing.
echo 0 > $ENROLL
before=$(dg_stat sva_invalidations)
echo "vfree 65536" > $M/ctl
t "unenrolled: sva_mms is 0" [ "$(dg_stat sva_mms)" = 0 ]
t "unenrolled: zero invalidations" [ "$(dg_stat sva_invalidations)" = "$before" ]
echo unregister > $M/ctl

# A bind dmaguard cannot track (out of memory) is refused, not left
# unprotected. No emulated device can bind SVA: the seam tracks a fake
# bind of the writer's mm as the bind wrapper does, and dgvfio
# write-failnth fails the N-th fault injection point of that write(2).
FB=/sys/kernel/debug/dmaguard/sva_fake_bind
echo 1 > $FB
t "a tracked bind enrolls its mm: sva_mms 1" [ "$(dg_stat sva_mms)" = 1 ]
echo 0 > $FB
t "its unbind drops it: sva_mms 0" [ "$(dg_stat sva_mms)" = 0 ]
if [ -d /sys/kernel/debug/failslab ]; then
	echo N > /sys/kernel/debug/failslab/ignore-gfp-wait
	echo 0 > /sys/kernel/debug/failslab/verbose
	# Each fault point in turn until none is left: a write either fails
	# with ENOMEM and enrolls nothing (counted), or succeeds and enrolls
	# (a point the kernel absorbs, e.g. kmemleak's metadata); never OK
	# with nothing enrolled.
	n=1 refused=0 bad=0
	while [ $n -le 20 ]; do
		r0=$(dg_stat sva_binds_refused)
		r=$(dgvfio write-failnth $n $FB 1)
		m=$(dg_stat sva_mms) r1=$(dg_stat sva_binds_refused)
		echo "# fault point $n: $r, sva_mms $m, sva_binds_refused $r0 -> $r1"
		case "$r:$m:$((r1 - r0))" in
		"fired ENOMEM:0:1") refused=$((refused + 1)) ;;
		"fired OK 1:1:0") echo 0 > $FB ;;
		"not-fired OK 1:1:0") echo 0 > $FB; break ;;
		*) bad=$((bad + 1)); [ "$m" = 0 ] || echo 0 > $FB ;;
		esac
		n=$((n + 1))
	done
	t "every failed allocation of a bind's tracking refused the bind, nothing enrolled, counted ($refused refused, $bad otherwise, $n points)" \
		sh -c "[ $bad = 0 ] && [ $refused -ge 2 ] && [ $n -le 20 ]"
	t "no mm left enrolled ($(dg_stat sva_mms))" [ "$(dg_stat sva_mms)" = 0 ]
	echo Y > /sys/kernel/debug/failslab/ignore-gfp-wait
elif uname -r | grep -q dgdebug; then
	nok "the debug kernel has failslab"
else
	echo "# no fault injection in this kernel: refused-bind cases run on x86_64:debug"
fi

# A process exits with its mm enrolled; dmaguard keeps the mm alive.
sh -c "echo register > $M/ctl; echo 1 > $ENROLL"
t "an exited process stays enrolled until dropped: sva_mms is 1" [ "$(dg_stat sva_mms)" = 1 ]
echo "vfree 65536" > $M/ctl
t "invalidating an exited mm is harmless" [ -d $DG ]
echo unregister > $M/ctl

# dmaguard unloaded while an mm is enrolled.
echo register > $M/ctl
echo 1 > $ENROLL
rmmod dmaguard
t "dmaguard unloads while an mm is enrolled" [ ! -d $DG ]
echo "vfree 65536" > $M/ctl
t "after unload no invalidations reach the notifier" grep -q "^covered=0 " $M/result
rmmod dgsvamock
t "mock unloads cleanly" [ ! -d $M ]

# The shipped build has no test seam.
insmod /dg/dmaguard.ko
t "release build has no sva_enroll seam" [ ! -e $ENROLL ]
if [ $native = 1 ]; then
	t "release build: sva-kva native, CPA collapse guarded ($(prot sva-kva))" \
		sh -c "grep '^sva-kva native ' $DG/protections | grep -q 'CPA collapse gap covered via flush_tlb_all'"
else
	t "release build: sva-kva not-applicable without hooks ($(prot sva-kva))" \
		sh -c "grep '^sva-kva not-applicable ' $DG/protections | grep -vq 'hooks armed'"
fi
rmmod dmaguard
t "no iommu_group left behind by the SVA probes of two loads ($groups0 -> $(ls /sys/kernel/iommu_groups | wc -l))" \
	[ "$(ls /sys/kernel/iommu_groups | wc -l)" = "$groups0" ]
