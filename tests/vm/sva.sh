# SPDX-License-Identifier: GPL-2.0-only
# In-guest (x86): SVA kernel page-table invalidation. No emulated device
# can bind SVA, so the test build of dmaguard (make TEST=1) lets this
# shell enroll its own mm, and dgsvamock registers a mock secondary-TLB
# notifier on it that records what it is asked to invalidate.
. /dg/tap.sh
M=/sys/kernel/debug/dgsvamock
ENROLL=/sys/kernel/debug/dmaguard/sva_enroll
stat() { awk -v k="$1" '$1 == k { print $2 }' $DG/stats; }

insmod /dg/test/dmaguard.ko
insmod /dg/dgsvamock.ko
t "test build of dmaguard and the mock notifier loaded" sh -c "[ -w $ENROLL ] && [ -w $M/ctl ]"

# Debian's 6.1 and 6.12 carry the CVE-2025-71089 fix: SVA binds fail on x86.
# 7.x (6.19+) has the native fix: the kernel invalidates SVA domains itself
# when it frees kernel page tables (iommu_sva_invalidate_kva_range, not
# through the mm's notifiers), and dmaguard guards only the CPA large-page
# collapse, whose freed tables bypass that path (flush_tlb_all).
state=$(prot_state sva-kva)
native=0
if [ -e /proc/kallsyms ] && grep -q ' iommu_sva_invalidate_kva_range$' /proc/kallsyms; then
	native=1
	t "sva-kva on a native kernel: $(prot sva-kva)" \
		sh -c "grep '^sva-kva native ' $DG/protections | grep -q 'CPA collapse gap covered via flush_tlb_all'"
else
	t "sva-kva: $(prot sva-kva)" [ "$state" = not-applicable ]
	t "sva-kva reason names the kernel's own SVA disable" \
		sh -c "grep '^sva-kva ' $DG/protections | grep -q 'SVA disabled on x86 by this kernel (iommu_sva_bind_device returns -EOPNOTSUPP, CVE-2025-71089 fix)'"
fi

# Nothing enrolled: kernel TLB flushes cost a patched-out branch, nothing else.
echo register > $M/ctl
before=$(stat sva_invalidations)
echo "vfree 65536" > $M/ctl
echo ioremap > $M/ctl
echo setmem > $M/ctl
t "no enrolled mm: sva_mms is 0" [ "$(stat sva_mms)" = 0 ]
t "no enrolled mm: zero invalidations (before $before, after $(stat sva_invalidations))" \
	[ "$(stat sva_invalidations)" = "$before" ]
t "no enrolled mm: the mock notifier got nothing from a vfree purge" grep -q "^covered=0 " $M/result

echo 1 > /sys/kernel/tracing/events/dmaguard/dmaguard_sva_inval/enable
echo > /sys/kernel/tracing/trace
echo 1 > $ENROLL
t "enrolled: sva_mms is 1" [ "$(stat sva_mms)" = 1 ]
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
t "enrolled: sva_invalidations counted ($(stat sva_invalidations))" [ "$(stat sva_invalidations)" -gt "$before" ]
t "dmaguard_sva_inval traced with mms=1" grep -Eq 'dmaguard_sva_inval: start=0x[0-9a-f]+ end=0x[0-9a-f]+ mms=1' /sys/kernel/tracing/trace

# Module load and unload free module memory (vmalloc) and flush it.
before=$(stat sva_invalidations)
dg-modload vfio_iommu_type1
rmmod vfio_iommu_type1
echo purge > $M/ctl
t "module load/unload: invalidations issued" [ "$(stat sva_invalidations)" -gt "$before" ]

# Unenroll: back to nothing.
echo 0 > $ENROLL
before=$(stat sva_invalidations)
echo "vfree 65536" > $M/ctl
t "unenrolled: sva_mms is 0" [ "$(stat sva_mms)" = 0 ]
t "unenrolled: zero invalidations" [ "$(stat sva_invalidations)" = "$before" ]
echo unregister > $M/ctl

# A process exits with its mm enrolled; dmaguard keeps the mm alive.
sh -c "echo register > $M/ctl; echo 1 > $ENROLL"
t "an exited process stays enrolled until dropped: sva_mms is 1" [ "$(stat sva_mms)" = 1 ]
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
