# SPDX-License-Identifier: GPL-2.0-only
# In-guest: VFIO type1 on a non-coherent domain (intel-iommu by default;
# every arm-smmu-v3 domain).
# dmaguard is loaded first, before vfio_iommu_type1, as an operator's boot
# would; then the DESIGN §7 oracle, counters, sysfs input checking, teardown,
# vfio_iommu_type1 reload, and dmaguard unload/reload under a map loop.
. /dg/tap.sh
# Why this domain is not coherent, for the test name.
export NC_WHY="intel-iommu without snoop control"
[ "$DG_ARCH" = arm64 ] && NC_WHY="arm-smmu-v3 has no enforce_cache_coherency"

dg-modload /dg/dmaguard.ko
t "dmaguard loads before vfio_iommu_type1" [ -d $DG ]
t "vfio-map waits for vfio_iommu_type1: $(prot vfio-map)" \
	[ "$(prot vfio-map)" = "unavailable vfio_iommu_type1 not loaded (arms when it loads)" ]
t "no domains before any container" [ -z "$(ls $DG/domains)" ]
t "version file matches modinfo" [ "$(cat $DG/version)" = "$(modinfo -F version /dg/dmaguard.ko)" ]
t "sva-kva reports a state: $(prot sva-kva)" [ -n "$(prot_state sva-kva)" ]
if grep -q '/iommufd\.ko' /lib/modules/$(uname -r)/modules.dep; then
	# the debug test kernel: CONFIG_IOMMUFD=m, not loaded yet (vfio pulls it in)
	t "iommufd-map waits for iommufd: $(prot iommufd-map)" \
		[ "$(prot iommufd-map)" = "unavailable iommufd not loaded (arms when it loads)" ]
else
	t "iommufd-map is not-applicable without CONFIG_IOMMUFD" \
		[ "$(prot iommufd-map)" = "not-applicable kernel built without CONFIG_IOMMUFD" ]
fi

dg-modload vfio_iommu_type1
t "vfio-map armed once vfio_iommu_type1 loads: $(prot vfio-map)" [ "$(prot_state vfio-map)" = armed ]
# What this kernel gives, for scripts/matrix (read back from this log).
sed 's/^/# matrix protection /' $DG/protections
sed 's/^/# matrix hook /' $DG/hooks
if grep -q '/iommufd\.ko' /lib/modules/$(uname -r)/modules.dep; then
	t "iommufd-map armed once vfio pulled iommufd in: $(prot iommufd-map)" [ "$(prot_state iommufd-map)" = armed ]
fi
t "vfio-unmap armed once vfio_iommu_type1 loads: $(prot vfio-unmap)" [ "$(prot_state vfio-unmap)" = armed ]
G=$(dg-bind-edu)
export DG_GROUP=$G
t "edu bound to vfio-pci (group $G)" [ -c /dev/vfio/$G ]

# Global files reject bad input.
bad_writes $DG/enabled 1
bad_writes $DG/default_policy always
t "read-only files refuse writes" [ "$(dgvfio write $DG/stats 1)" = EACCES ] || \
	[ "$(dgvfio write $DG/stats 1)" = EIO ]

dgvfio <<'CMDS'
open
expect-domain
sh d=$DG_DOMAIN; . /dg/tap.sh; t "domain id is a small integer ($d)" sh -c "echo $d | grep -Eq '^[0-9]{1,6}$'"
sh . /dg/tap.sh; t "domain owner is vfio-type1" [ "$(cat $DG/domains/$DG_DOMAIN/owner)" = vfio-type1 ]
sh . /dg/tap.sh; t "domain devices lists the edu BDF ($(cat $DG/domains/$DG_DOMAIN/devices))" grep -q '0000:00:0[0-9a-f].0' $DG/domains/$DG_DOMAIN/devices
sh . /dg/tap.sh; t "domain is not coherent ($NC_WHY)" [ "$(cat $DG/domains/$DG_DOMAIN/coherent)" = 0 ]
sh . /dg/tap.sh; t "domain policy auto, flushing 1" [ "$(cat $DG/domains/$DG_DOMAIN/policy) $(cat $DG/domains/$DG_DOMAIN/flushing)" = "auto 1" ]
sh . /dg/tap.sh; bad_writes $DG/domains/$DG_DOMAIN/policy always
sh . /dg/tap.sh; t "nothing in sysfs looks like a kernel address" no_pointers
trace-start
counters-begin
map page 4096
map odd3 12288
map odd17 69632
map mib5 5255168
map big 8388608
map thp 4194304 thp
map scat 4194304 scattered
sh . /dg/tap.sh; t "mapped_bytes counts every map, 22118400 ($(cat $DG/domains/$DG_DOMAIN/mapped_bytes))" [ "$(cat $DG/domains/$DG_DOMAIN/mapped_bytes)" = 22118400 ]
map-fail 4194304
unmap page
unmap odd3
unmap odd17
unmap mib5
unmap big
unmap thp
unmap scat
check page flush
check odd3 flush
check odd17 flush
check mib5 flush
check big flush
check thp flush
check scat flush
check-waits scat
counters-check
map leftover 262144
close
check-teardown leftover
CMDS
t "domain directory removed when the container closed" [ -z "$(ls $DG/domains)" ]

# Memory other than anonymous pages, as real VMs map it: a MAP_SHARED
# memfd and tmpfs file (QEMU's memory backends), hugetlbfs pages, and the
# device's own BAR (QEMU maps every BAR for peer-to-peer DMA). RAM is
# flushed, every page; MMIO never is (CLFLUSH on MMIO can machine-check):
# it is counted in skipped_uncacheable.
echo 4 > /proc/sys/vm/nr_hugepages
dgvfio <<'CMDS'
open
expect-domain
trace-start
map memfd1 1069056 memfd
map file1 1048576 file
map huge1 4194304 hugetlb
sh . /dg/tap.sh; dg_stat skipped_uncacheable > /tmp/skip0
map bar 4096 bar
sh . /dg/tap.sh; s0=$(cat /tmp/skip0); s1=$(dg_stat skipped_uncacheable); t "the 1 MiB BAR: its 256 pages skipped as uncacheable at map ($s0 -> $s1)" [ $((s1 - s0)) -ge 256 ]
unmap memfd1
unmap file1
unmap huge1
unmap bar
check memfd1 flush
check file1 flush
check huge1 flush
check bar none
close
CMDS
echo 0 > /proc/sys/vm/nr_hugepages

# Device-DAX: ZONE_DEVICE pages (MEMORY_DEVICE_GENERIC), write-back in the
# linear map, long-term pinnable, so VFIO maps them like RAM, and they are
# flushed like RAM. The region is the legacy pmem that the kernel argument
# memmap=64M!1G (SUITE_ARGS) reserves; nd_e820 makes region0/namespace0.0
# of it, turned into /dev/dax0.0 here by sysfs writes (what ndctl
# create-namespace -m devdax does; busybox has no ndctl).
# make_devdax: 0 and /dev/dax0.0 there, or 1 and the reason in $DAX_WHY.
make_devdax() {
	DAX_WHY=
	_nd=/sys/bus/nd
	if ! grep -q 'Persistent Memory (legacy)' /proc/iomem; then
		DAX_WHY="no legacy pmem in /proc/iomem (memmap=64M!1G not given, or not parsed: $(cat /proc/cmdline))"
		return 1
	fi
	for _m in nd_e820 nd_pmem dax_pmem device_dax; do
		dg-modload $_m 2>/dev/null ||
			{ DAX_WHY="module $_m not available on this kernel"; return 1; }
	done
	_i=0
	while [ ! -e $_nd/devices/namespace0.0 ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -e $_nd/devices/namespace0.0 ] || { DAX_WHY="nd_e820 made no namespace0.0"; return 1; }
	_r=$(basename "$(readlink -f $_nd/devices/namespace0.0/..)")
	[ -e $_nd/devices/namespace0.0/driver ] &&
		echo namespace0.0 > $_nd/drivers/nd_pmem/unbind
	_seed=$(cat $_nd/devices/$_r/dax_seed 2>/dev/null)
	[ -n "$_seed" ] || { DAX_WHY="$_r has no dax_seed (CONFIG_NVDIMM_DAX off)"; return 1; }
	_d=$_nd/devices/$_seed
	cat /proc/sys/kernel/random/uuid > $_d/uuid &&
		echo 2097152 > $_d/align && echo ram > $_d/mode &&
		echo namespace0.0 > $_d/namespace &&
		echo $_seed > $_nd/drivers/dax_pmem/bind ||
		{ DAX_WHY="configuring $_seed as devdax failed"; return 1; }
	_i=0
	while [ ! -c /dev/dax0.0 ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -c /dev/dax0.0 ] || { DAX_WHY="/dev/dax0.0 did not appear"; return 1; }
}
if [ "$DG_ARCH" != amd64 ]; then
	echo "# not run: device-DAX through VFIO (memmap=! legacy pmem is x86 only)"
elif ! make_devdax; then
	echo "# not run: device-DAX through VFIO: $DAX_WHY"
else
	t "device-DAX /dev/dax0.0 made from the memmap= region ($(cat /sys/bus/dax/devices/dax0.0/size) bytes)" \
		grep -q 'dax0.0' /proc/iomem
	dgvfio <<'CMDS'
open
expect-domain
trace-start
sh . /dg/tap.sh; dg_stat skipped_uncacheable > /tmp/skip0
map dax 8388608 dax
unmap dax
sh . /dg/tap.sh; s0=$(cat /tmp/skip0); s1=$(dg_stat skipped_uncacheable); t "device-DAX: no page skipped as uncacheable at map or unmap ($s0 -> $s1)" [ "$s0" = "$s1" ]
map bar 4096 bar
unmap bar
check dax flush
check bar none
close
CMDS
fi

# vfio_iommu_type1 unloaded and reloaded: hooks follow it.
rmmod vfio_iommu_type1
t "vfio-map unavailable while vfio_iommu_type1 is unloaded: $(prot vfio-map)" \
	[ "$(prot_state vfio-map)" = unavailable ]
dg-modload vfio_iommu_type1
t "vfio-map re-armed after vfio_iommu_type1 reload" [ "$(prot_state vfio-map)" = armed ]
t "vfio-unmap re-armed after vfio_iommu_type1 reload" [ "$(prot_state vfio-unmap)" = armed ]
dgvfio <<'CMDS'
open
expect-domain
trace-start
map again 1048576
unmap again
check again flush
close
CMDS

# Another ftrace ip-modify user (a livepatch, say) takes the lazy pin
# function before dmaguard registers it: maps that need it fail, nothing
# is mapped unflushed, and vfio-map says unavailable until it is free.
if [ "$DG_ARCH" = amd64 ]; then
	rmmod dmaguard
	insmod /dg/dmaguard.ko
	insmod /dg/dgibt_target.ko
	GRAB=/sys/module/dgibt_target/parameters/grab
	echo vfio_pin_pages_remote > $GRAB
	t "pin function taken before dmaguard needs it: vfio-map still armed (not needed yet)" \
		[ "$(prot_state vfio-map)" = armed ]
	dgvfio <<'CMDS'
open
expect-domain
map-refused 1048576
sh . /dg/tap.sh; t "refused: vfio-map says why ($(prot vfio-map))" sh -c "grep -q '^vfio-map unavailable .*vfio_pin_pages_remote.*-EBUSY' $DG/protections"
sh echo - > /sys/module/dgibt_target/parameters/grab
trace-start
map freed 1048576
sh . /dg/tap.sh; t "released: the next map registers the hook, vfio-map armed again ($(prot vfio-map))" [ "$(prot_state vfio-map)" = armed ]
unmap freed
check freed flush
close
CMDS
	rmmod dgibt_target
	# Can this kernel turn ftrace off at all? 7.x deprecated the knob:
	# writing 0 fails (EOPNOTSUPP) whoever is loaded, ftrace stays on.
	rmmod dmaguard
	if echo 0 > /proc/sys/kernel/ftrace_enabled 2>/dev/null; then
		knob=1
		echo 1 > /proc/sys/kernel/ftrace_enabled
	else
		knob=0
	fi
	insmod /dg/dmaguard.ko
fi
if [ "$DG_ARCH" = amd64 ] && [ $knob = 0 ]; then
	t "kernel.ftrace_enabled=0 refused by the kernel itself (deprecated knob): ftrace stays on" \
		[ "$(cat /proc/sys/kernel/ftrace_enabled)" = 1 ]
	echo "# the ftrace_enabled=0 tests do not apply to this kernel"
elif [ "$DG_ARCH" = amd64 ]; then
	# ftrace_enabled=0 would bypass every wrapper: refused while armed.
	t "sysctl kernel.ftrace_enabled=0 refused while dmaguard's hooks are live" \
		sh -c "! echo 0 > /proc/sys/kernel/ftrace_enabled 2>/dev/null"
	t "kernel.ftrace_enabled still 1" [ "$(cat /proc/sys/kernel/ftrace_enabled)" = 1 ]
	rmmod dmaguard
	echo 0 > /proc/sys/kernel/ftrace_enabled
	insmod /dg/dmaguard.ko
	t "loaded with ftrace_enabled=0: vfio-map is not armed ($(prot vfio-map))" \
		sh -c "grep -q '^vfio-map unavailable .*ftrace_enabled=0' $DG/protections"
	rmmod dmaguard
	t "require=vfio-unmap with ftrace_enabled=0: load refused" \
		sh -c "! insmod /dg/dmaguard.ko require=vfio-unmap 2>/dev/null"
	echo 1 > /proc/sys/kernel/ftrace_enabled
	insmod /dg/dmaguard.ko
	t "ftrace_enabled back to 1: armed" [ "$(prot_state vfio-map)" = armed ]
fi

# dmaguard unloaded and reloaded while a process loops map/unmap.
reload_under_loop open 25 6
t "protections armed after the reloads" [ "$(prot_state vfio-map)" = armed ]
rmmod_dg
t "dmaguard unloads cleanly at the end" [ ! -d $DG ]

# Loads that fail after the hooks armed (test build, test_fail_init=1),
# while a process maps and unmaps in a loop: wrappers run during each
# failed load, which must wait for them before its text is freed (KASAN
# on the debug kernel).
loop_start open 10
loaded=0
i=0
while [ $i -lt 8 ]; do
	if insmod /dg/test/dmaguard.ko test_fail_init=1 2>/dev/null; then
		loaded=$((loaded + 1))
		rmmod_dg
	fi
	sleep 0.3
	i=$((i + 1))
done
t "8 loads failing after arming, under a map/unmap loop: each refused ($loaded loaded)" [ $loaded = 0 ]
loop_end
