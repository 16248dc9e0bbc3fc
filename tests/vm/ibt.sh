# SPDX-License-Identifier: GPL-2.0-only
# In-guest, on a CPU that enforces CET IBT (Bochs "tigerlake", scripts/test
# target x86_64:ibt, Debian's stock 6.12 kernel built with X86_KERNEL_IBT):
# dmaguard arms and calls every hooked original without an indirect branch
# to it. vfio_pin_pages_remote and vfio_unpin_pages_remote have no ENDBR64;
# Bochs has no IOMMU, so VFIO's entry point is driven without one, and a
# test hook row (TEST=1 build) on an ENDBR-less function of a test module
# is called 100,000 times. The negative control (an indirect call past an
# ENDBR64 must take #CP) runs last: it leaves a BUG behind.
. /dg/tap.sh
T=/dg/test/dmaguard.ko
TR=/sys/kernel/tracing
DBG=/sys/kernel/debug/dmaguard
P=/sys/module/dgibt_target/parameters
EF=$TR/enabled_functions
M=/sys/kernel/debug/dgsvamock

# The kernel's baseline on this CPU model (XSAVE-layout warnings at boot).
taint0=$(cat /proc/sys/kernel/tainted)

t "the kernel enforces IBT ($(dmesg | grep -o 'CET detected.*' | head -1))" \
	sh -c "dmesg | grep -q 'CET detected: Indirect Branch Tracking enabled'"
t "/proc/cpuinfo lists ibt" grep -qw ibt /proc/cpuinfo

# live FUNC: FUNC's ftrace site is registered for dmaguard's ip-modify ops
# (flag I, calling dg_ftrace_thunk) in enabled_functions.
live() { grep -E "^$1 " $EF | grep -w I | grep -q dg_ftrace_thunk; }
# trace_on FUNC...: the function tracer on these, empty buffer.
trace_on() {
	echo nop > $TR/current_tracer
	printf '%s\n' "$@" > $TR/set_ftrace_filter
	echo 8192 > $TR/buffer_size_kb
	: > $TR/trace
	echo 1 > $TR/tracing_on
	echo function > $TR/current_tracer
}
# Stop recording and keep the buffer (a tracer change would clear it).
trace_off() { echo 0 > $TR/tracing_on; cp $TR/trace /tmp/ibt.trace; }
trace_reset() { echo nop > $TR/current_tracer; : > $TR/set_ftrace_filter; echo 1 > $TR/tracing_on; }
hits() { grep -c ": $1 <-" /tmp/ibt.trace; }

# 1. vfio_iommu_type1 loaded before dmaguard (shipped build).
dg-modload vfio_iommu_type1
insmod /dg/dmaguard.ko
for p in vfio-map vfio-unmap; do
	t "type1 first: $p armed ($(prot $p))" [ "$(prot_state $p)" = armed ]
done
for f in vfio_iommu_type1_ioctl vfio_unpin_pages_remote \
	 vfio_iommu_type1_attach_group vfio_iommu_type1_detach_group \
	 vfio_iommu_type1_release; do
	t "type1 first: $f redirected to its wrapper (enabled_functions)" live $f
done
t "audit says IBT is enforced and how dmaguard lives with it" \
	grep -q 'ibt: enforced; originals reached by direct jmp' $DG/audit
t "sva-kva is not refused for IBT reasons ($(prot sva-kva))" \
	sh -c "! grep '^sva-kva ' $DG/protections | grep -Eiq 'ibt|endbr|indirect|sealed'"
# No IOMMU here: the load-time bind probe finds no device, so SVA counts as
# bindable and the hooks arm; the line says what they cannot cover.
t "sva-kva armed says what it does not cover" \
	sh -c "grep -q '^sva-kva armed .*not covered: binds made before dmaguard loaded, memory hot-remove' $DG/protections"

# VFIO_CHECK_EXTENSION on a container without an IOMMU enters
# vfio_iommu_type1_ioctl: through our wrapper, which calls the original.
trace_on vfio_iommu_type1_ioctl dg_vfio_ioctl
r=$(dgvfioext 2000)
trace_off
t "2000 VFIO_CHECK_EXTENSION calls through the wrapper answered ($r)" [ "$r" = "calls=2000 yes=2000" ]
t "the wrapper ran for each ($(hits dg_vfio_ioctl) of 2000)" [ "$(hits dg_vfio_ioctl)" = 2000 ]
t "the original passed ftrace once per call ($(hits vfio_iommu_type1_ioctl) of 2000)" \
	[ "$(hits vfio_iommu_type1_ioctl)" = 2000 ]
trace_reset
grep -E '^(vfio_|dgibt_)' $EF | sed 's/^/# enabled_functions: /' 
rmmod dmaguard

# 2. dmaguard first, then vfio_iommu_type1; and require=.
rmmod vfio_iommu_type1
insmod /dg/dmaguard.ko
t "dmaguard first: vfio-map waits for its module" [ "$(prot_state vfio-map)" = unavailable ]
dg-modload vfio_iommu_type1
for p in vfio-map vfio-unmap; do
	t "dmaguard first: $p armed once type1 loads ($(prot $p))" [ "$(prot_state $p)" = armed ]
done
t "dmaguard first: ioctl calls through the wrapper ($(dgvfioext 500))" dgvfioext 500
rmmod dmaguard
t "require=vfio-map,vfio-unmap loads" insmod /dg/dmaguard.ko require=vfio-map,vfio-unmap
rmmod dmaguard

# 3. The test build: lazy pin row, the SVA call into a sealed function,
#    and the test row on dgibt_target.
insmod $T
t "test build: vfio-map armed" [ "$(prot_state vfio-map)" = armed ]
t "test build: the lazy pin row registers on demand" sh -c "echo 1 > $DBG/test_need"
t "vfio_pin_pages_remote (no ENDBR64) redirected to its wrapper" live vfio_pin_pages_remote
t "dgsvamock loads" insmod /dg/dgsvamock.ko
echo register > $M/ctl
echo 1 > $DBG/sva_enroll
echo "vfree 65536" > $M/ctl
t "SVA: the invalidation reached the mock through the sealed __mmu_notifier_arch_invalidate_secondary_tlbs ($(cat $M/result))" \
	grep -q '^covered=1 ' $M/result
echo 0 > $DBG/sva_enroll
echo unregister > $M/ctl
rmmod dgsvamock

insmod /dg/dgibt_target.ko
t "test row armed when its module loads (dgibt_leaf live)" live dgibt_leaf
echo 100000 > $P/run
t "100000 calls of dgibt_leaf through the wrapper, all correct ($(cat $P/good))" \
	[ "$(cat $P/calls) $(cat $P/good)" = "100000 100000" ]
t "the wrapper ran for each ($(cat $DBG/test_leaf_calls))" [ "$(cat $DBG/test_leaf_calls)" = 100000 ]
t "the original's body ran once per call ($(cat $P/entered))" [ "$(cat $P/entered)" = 100000 ]
echo 5 > $DBG/test_leaf_orig
t "its static call reaches the original (f(5) = $(cat $DBG/test_leaf_orig))" [ "$(cat $DBG/test_leaf_orig)" = 16 ]
rmmod dgibt_target
echo 5 > $DBG/test_leaf_orig
t "target unloaded: the static call is reset to the stub (f(5) = $(cat $DBG/test_leaf_orig))" \
	[ "$(cat $DBG/test_leaf_orig)" = 0 ]
insmod /dg/dgibt_target.ko
echo 1000 > $P/run
t "target reloaded under the armed hook: re-armed ($(cat $DBG/test_leaf_calls) wrapper calls)" \
	[ "$(cat $DBG/test_leaf_calls) $(cat $P/good)" = "101000 1000" ]
echo 5 > $DBG/test_leaf_orig
t "re-armed static call reaches the new original" [ "$(cat $DBG/test_leaf_orig)" = 16 ]
t "dmaguard unloads with the row armed" rmmod dmaguard
echo 1000 > $P/run
t "unloaded: calls run unhooked and correct" [ "$(cat $P/good)" = 2000 ]
insmod $T
echo 1000 > $P/run
t "dmaguard reloaded: the row is armed again ($(cat $DBG/test_leaf_calls) wrapper calls)" \
	[ "$(cat $DBG/test_leaf_calls) $(cat $P/good)" = "1000 3000" ]
rmmod dmaguard
rmmod vfio_iommu_type1 2>/dev/null

# Loading out-of-tree, unsigned modules taints O (4096) and E (8192).
taint1=$(( $(cat /proc/sys/kernel/tainted) & ~(4096 | 8192) ))
t "no new taint beyond the boot baseline and O/E ($taint0 -> $(cat /proc/sys/kernel/tainted))" \
	[ "$taint1" = "$taint0" ]

# 4. Negative control, last: an indirect call 4 bytes past an ENDBR64.
# vm-run ignores splats after this marker; the checks below want this one.
echo DG-EXPECTED-BUG-BEGIN
sh -c "echo 1 > $P/bad_call" 2>/dev/null
sleep 1
t "negative control: an indirect call past ENDBR64 takes #CP on this CPU" \
	sh -c "dmesg | grep -q 'Missing ENDBR: dgibt_pad+0x4'"
# (Its parameter lock died with the task: read nothing of the module now.)
t "negative control: the call did not return" \
	sh -c "! dmesg | grep -q 'IBT did not stop it'"
t "negative control: the kernel BUG is IBT's (cet.c)" \
	sh -c "dmesg | grep -q 'kernel BUG at arch/x86/kernel/cet.c'"
