# SPDX-License-Identifier: GPL-2.0-only
# In-guest: what an operator sees (intel-iommu without snoop control, so the
# VFIO domain is not coherent). Every dmaguardctl command against a live
# container held open by dgvfio: text (golden where stable), --json checked
# with jsonq, exit codes and messages for no module, bad ids, bad values,
# non-root; the owner's VM identity (QEMU-like -name/-uuid in dgvfio's
# argv) in domains and metrics, set vm:NAME. The audit: exposed without dmaguard, protected with it armed,
# exposed again under policy never or enabled=0; the module's audit file
# against independent sources (/proc/kallsyms, protections).
. /dg/tap.sh

# run ARGS...: dmaguardctl into $OUT, $ERR, $RC
run() {
	OUT=$(dmaguardctl "$@" 2>/tmp/ctl.err)
	RC=$?
	ERR=$(cat /tmp/ctl.err)
}
# jq FILE PATH...: values joined with |
jq() { _f=$1; shift; jsonq "$@" <"$_f" | tr '\n' '|'; }

mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
echo 'nogroup:x:65534:' >>/etc/group
V=$(modinfo -F version /dg/dmaguard.ko)

# No module: every module command exits 4 and says how to fix it.
for c in status domains stats enable disable "set default auto" "set 1 never"; do
	# shellcheck disable=SC2086
	run $c
	t "no module: '$c' exits 4 ($RC) and says so" \
		[ "$RC" = 4 -a "$ERR" = "dmaguardctl: dmaguard is not loaded (/sys/kernel/dmaguard missing): run 'modprobe dmaguard'" ]
done

dg-modload vfio_iommu_type1
G=$(dg-bind-edu)
export DG_GROUP=$G
BDF=$(ls /sys/kernel/iommu_groups/$G/devices/)
# Independent No-Snoop oracle: walk the capability list with od.
cfgb() { od -An -tu1 -j "$1" -N1 /sys/bus/pci/devices/$BDF/config | tr -d ' '; }
NS=null
pos=$(( $(cfgb 52) & 252 ))
while [ "$pos" -ge 64 ]; do
	if [ "$(cfgb $pos)" = 16 ]; then
		NS=$(( ($(cfgb $((pos + 9))) >> 3) & 1 ))
		[ "$NS" = 1 ] && NS=true || NS=false
		break
	fi
	pos=$(( $(cfgb $((pos + 1))) & 252 ))
done
LOCK=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/security/lockdown)
export V BDF NS LOCK

# The checks a live container gets, as a script dgvfio's "sh" runs while
# it holds the group open ($1: what to expect).
cat >/tmp/audit.sh <<'EOF'
. /dg/tap.sh
run() { OUT=$(dmaguardctl "$@" 2>/tmp/ctl.err); RC=$?; ERR=$(cat /tmp/ctl.err); }
jq() { _f=$1; shift; jsonq "$@" <"$_f" | tr '\n' '|'; }
want=$1 rc=$2 tag=$3
run audit
t "$tag: audit exits $rc ($RC)" [ "$RC" = "$rc" ]
t "$tag: audit text verdict: $(echo "$OUT" | grep verdict:)" \
	[ "$(echo "$OUT" | grep -c '^group ')" = 1 -a \
	  "$(echo "$OUT" | sed -n 's/^  verdict: *//p')" = "$want" ]
dmaguardctl --json audit >/tmp/audit.json
t "$tag: audit --json parses" jsonq </tmp/audit.json
t "$tag: audit --json verdict" [ "$(jq /tmp/audit.json .groups# .groups.0.group .groups.0.verdict)" = "1|$DG_GROUP|$want|" ]
h=$(jsonq .groups.0.holders.0 </tmp/audit.json)
t "$tag: audit names the holder (pid $h, $(cat /proc/$h/comm)) and how it opened" \
	[ "$(cat /proc/$h/comm)|$(jq /tmp/audit.json .groups.0.opened_as)" = "dgvfio|vfio-group|" ]
t "$tag: audit lists $BDF (vfio-pci), No-Snoop Enable $NS, no PASID" \
	[ "$(jq /tmp/audit.json .groups.0.devices# .groups.0.devices.0.bdf .groups.0.devices.0.driver .groups.0.devices.0.no_snoop_enable .groups.0.devices.0.pasid .groups.0.sva)" = "1|$BDF|vfio-pci|$NS|no PASID capability|false|" ]
t "$tag: audit type is the group's ($(cat /sys/kernel/iommu_groups/$DG_GROUP/type))" \
	[ "$(jq /tmp/audit.json .groups.0.type)" = "$(cat /sys/kernel/iommu_groups/$DG_GROUP/type)|" ]
t "$tag: kernel: iommu.strict=1, lockdown $LOCK, release" \
	[ "$(jq /tmp/audit.json .kernel.iommu_strict .kernel.lockdown .kernel.release)" = "strict (iommu.strict=1)|$LOCK|$(uname -r)|" ]
EOF

# Audit with no dmaguard: the group is exposed.
t "lockdown is readable once securityfs is mounted ($LOCK)" [ "$LOCK" = none ]
dgvfio <<'CMDS'
open
sh sh /tmp/audit.sh "exposed: non-coherent IOMMU domain and dmaguard is not loaded" 7 "no dmaguard"
sh . /dg/tap.sh; t "no dmaguard: coherency inferred from ECAP.SC=0" sh -c 'jsonq .groups.0.coherent .groups.0.coherent_source </tmp/audit.json | tr "\n" "|" | grep -q "^no|inferred: dmar[0-9]* ECAP.SC=0 "'
sh . /dg/tap.sh; t "no dmaguard: native mitigations unknown" [ "$(jsonq .kernel.native.vfio-map .dmaguard.loaded </tmp/audit.json | tr '\n' '|')" = "null|false|" ]
close
CMDS

dg-modload /dg/dmaguard.ko
t "vfio-map armed" [ "$(prot_state vfio-map)" = armed ]

# The module's audit file, against independent sources.
A=$DG/audit
t "audit file: kernel $(uname -r)" grep -qx "kernel $(uname -r)" $A
for p in vfio-map vfio-unmap iommufd-map iommufd-unmap sva-kva; do
	n=no
	[ "$(prot_state $p)" = native ] && n=yes
	t "audit file: native $p $n (protections: $(prot_state $p))" grep -qx "native $p $n" $A
done
s=absent
grep -q ' iommu_sva_invalidate_kva_range$' /proc/kallsyms && s=present
t "audit file: iommu_sva_invalidate_kva_range $s, as /proc/kallsyms says" \
	grep -qx "symbol iommu_sva_invalidate_kva_range $s" $A
c=y
[ "$(prot iommufd-map)" = "not-applicable kernel built without CONFIG_IOMMUFD" ] && c=n
t "audit file: config IOMMUFD $c, as protections say" grep -qx "config IOMMUFD $c" $A
t "audit file: config VFIO_IOMMU_TYPE1 y (the module is loaded)" grep -qx "config VFIO_IOMMU_TYPE1 y" $A
t "audit file: where coherency comes from: $(grep '^coherency ' $A)" grep -q '^coherency per domain: VFIO_DMA_CC_IOMMU' $A

cat >/tmp/live.sh <<'EOF'
. /dg/tap.sh
run() { OUT=$(dmaguardctl "$@" 2>/tmp/ctl.err); RC=$?; ERR=$(cat /tmp/ctl.err); }
jq() { _f=$1; shift; jsonq "$@" <"$_f" | tr '\n' '|'; }
D=$DG_DOMAIN
dd=$DG/domains/$D
PID=$(cat $dd/pid)

# status: golden text, and JSON
run status
{
	echo "dmaguard $V on $(uname -r)"
	echo "enabled:         yes"
	echo "default policy:  auto"
	echo "branch targets:  $(sed -n 's/^cfi //p' $DG/audit)"
	echo "domains:         1"
	echo "protections:"
	while read -r n s d; do printf '  %-14s %-15s %s\n' "$n" "$s" "$d"; done <$DG/protections
} >/tmp/status.golden
echo "$OUT" >/tmp/status.out
t "status: exit 0 and golden text" sh -c "[ $RC = 0 ] && diff -u /tmp/status.golden /tmp/status.out"
dmaguardctl --json status >/tmp/s.json
t "status --json parses" jsonq </tmp/s.json
t "status --json values" [ "$(jq /tmp/s.json .version .kernel .enabled .default_policy .domains .protections# .protections.0.name .protections.0.state)" = "$V|$(uname -r)|true|auto|1|5|vfio-map|armed|" ]
t "status --json protection detail is the sysfs detail" [ "$(jq /tmp/s.json .protections.0.detail)" = "$(prot vfio-map | cut -d' ' -f2-)|" ]

# domains: golden header, the row from sysfs, JSON
run domains
t "domains: exit 0, golden header" [ "$RC|$(echo "$OUT" | head -n1)" = "0|ID   OWNER      PID     DEVICES                  COHERENT POLICY FLUSHING       MAPPED        FLUSHED" ]
row=$(printf '%-4s %-10s %-7s %-24s %-8s %-6s %-8s %12s %14s' "$D" vfio-type1 "$PID" "$(cat $dd/devices)" no auto yes "$(cat $dd/mapped_bytes)" "$(cat $dd/flushed_bytes)")
t "domains: the row is the domain's sysfs ($row)" [ "$(echo "$OUT" | sed -n 2p)" = "$row" -a "$(echo "$OUT" | wc -l)" = 2 ]
dmaguardctl --json domains >/tmp/d.json
t "domains --json parses" jsonq </tmp/d.json
t "domains --json values" [ "$(jq /tmp/d.json '#' .0.id .0.owner .0.pid .0.devices.0 .0.coherent .0.policy .0.flushing .0.mapped_bytes .0.flushed_bytes .0.map_flushes)" = "1|$D|vfio-type1|$PID|$BDF|false|auto|true|$(cat $dd/mapped_bytes)|$(cat $dd/flushed_bytes)|$(cat $dd/map_flushes)|" ]
t "domains: the dgvfio process owns it" [ "$(cat /proc/$PID/comm)" = dgvfio ]
t "domains: it has mapped bytes" [ "$(cat $dd/mapped_bytes)" -gt 0 ]

# stats
run stats
t "stats: every sysfs line, aligned" sh -c "[ $RC = 0 ] && [ \"\$(dmaguardctl stats | awk '{print \$1, \$2}')\" = \"\$(cat $DG/stats)\" ]"
dmaguardctl --json stats >/tmp/st.json
t "stats --json parses, values match" [ "$(jq /tmp/st.json .flushes .flushed_bytes .map_flushes)" = "$(awk '$1=="flushes"||$1=="flushed_bytes"||$1=="map_flushes"{print $2}' $DG/stats | tr '\n' '|')" ]

# set: per domain and default; bad ids and values
run set $D always
t "set $D always: exit 0, sysfs policy always" [ "$RC|$(cat $dd/policy)|$OUT" = "0|always|domain policy: always" ]
run --json set $D auto
t "set --json $D auto: JSON, policy auto" sh -c "[ $RC = 0 ] && [ \"\$(echo '$OUT' | jsonq .target .policy | tr '\n' '|')\" = '$D|auto|' ] && [ \$(cat $dd/policy) = auto ]"
run set default always
t "set default always: default_policy always" [ "$RC|$(cat $DG/default_policy)" = "0|always" ]
run set default auto
t "set default auto: back to auto" [ "$RC|$(cat $DG/default_policy)" = "0|auto" ]
run set 999 auto
t "set 999: exit 5, 'no such domain'" [ "$RC|$ERR" = "5|dmaguardctl: no such domain: 999 (see 'dmaguardctl domains')" ]
run set abc auto
t "set abc: exit 5, 'bad domain id'" [ "$RC|$ERR" = "5|dmaguardctl: bad domain id 'abc': want a decimal id from 'dmaguardctl domains' or 'default'" ]
run set $D sometimes
t "set $D sometimes: exit 6, 'bad policy', policy kept" [ "$RC|$ERR|$(cat $dd/policy)" = "6|dmaguardctl: bad policy 'sometimes': want auto, always or never|auto" ]
run set default ''
t "set default '': exit 6, default kept" [ "$RC|$(cat $DG/default_policy)" = "6|auto" ]
run set $D
t "set with one argument: exit 2" [ "$RC" = 2 ]

# policy never: the audit says exposed and why
dmaguardctl set $D never >/dev/null
sh /tmp/audit.sh "exposed: dmaguard domain $D does not flush (policy never)" 7 "policy never"
dmaguardctl set $D auto >/dev/null

# enable / disable
run disable
t "disable: exit 0, enabled 0" [ "$RC|$OUT|$(cat $DG/enabled)" = "0|enabled: no|0" ]
t "status says enabled: no" sh -c "dmaguardctl status | grep -qx 'enabled:         no'"
t "status --json: protections disabled" [ "$(dmaguardctl --json status | jsonq .enabled .protections.0.state | tr '\n' '|')" = "false|disabled|" ]
sh /tmp/audit.sh "exposed: non-coherent IOMMU domain and dmaguard is disabled (enabled=0)" 7 "disabled"
run --json enable
t "enable --json: {\"enabled\":true}, enabled 1" [ "$RC|$OUT|$(cat $DG/enabled)" = '0|{"enabled":true}|1' ]

# non-root: privileged commands exit 3, reading works
for c in "set $D never" "set default never" enable disable audit; do
	su -s /bin/sh nobody -c "dmaguardctl $c" >/dev/null 2>/tmp/nr.err
	r=$?
	t "non-root '$c': exit 3 ($r: $(cat /tmp/nr.err))" [ "$r" = 3 ]
done
t "non-root changed nothing" [ "$(cat $dd/policy)|$(cat $DG/default_policy)|$(cat $DG/enabled)" = "auto|auto|1" ]
su -s /bin/sh nobody -c "dmaguardctl status" >/dev/null 2>&1
t "non-root status works (sysfs is world-readable)" [ $? = 0 ]

# armed and flushing: protected
sh /tmp/audit.sh protected 0 "dmaguard armed"
t "dmaguard armed: audit names domain $D, coherency from dmaguard" [ "$(jq /tmp/audit.json .groups.0.dmaguard_domain .groups.0.coherent .groups.0.coherent_source .dmaguard.loaded .dmaguard.version .kernel.native.vfio-map)" = "$D|no|dmaguard domain $D (what VFIO decided)|true|$V|false|" ]
EOF

dgvfio <<'CMDS'
open
expect-domain
map a 1048576
map b 12288
sh sh /tmp/live.sh
unmap a
close
CMDS

# Fleets: the owner's identity (QEMU-like -name/-uuid words in dgvfio's
# argv, which dgvfio ignores) in domains --json/--verbose and the metrics;
# set vm:NAME; bad names exit 5.
cat >/tmp/vm.sh <<'EOF'
. /dg/tap.sh
D=$DG_DOMAIN
U=11111111-2222-3333-4444-555555555555
dd=$DG/domains/$D
dmaguardctl --json domains >/tmp/vm.json
t "vm: domains --json names comm, VM and UUID" \
	[ "$(jsonq .0.id .0.comm .0.vm .0.vm_uuid </tmp/vm.json | tr '\n' '|')" = "$D|dgvfio|vm1|$U|" ]
t "vm: domains --verbose has the row" sh -c "dmaguardctl domains --verbose | grep -Eq '^$D +vfio-type1 +[0-9]+ +dgvfio +vm1 +$U +no +auto +yes'"
dmaguardctl metrics >/tmp/m.prom
r=$?
L="domain=\"$D\",owner=\"vfio-type1\",pid=\"$(cat $dd/pid)\",comm=\"dgvfio\",vm=\"vm1\",vm_uuid=\"$U\""
t "vm: metrics exit 0 ($r), loaded, enabled, vfio-map armed" sh -c \
	"[ $r = 0 ] && grep -qx 'dmaguard_loaded 1' /tmp/m.prom && grep -qx 'dmaguard_enabled 1' /tmp/m.prom && grep -qx 'dmaguard_protection_state{protection=\"vfio-map\",state=\"armed\"} 1' /tmp/m.prom && grep -qx 'dmaguard_protection_state{protection=\"vfio-map\",state=\"disabled\"} 0' /tmp/m.prom"
t "vm: metrics domain series carry the VM labels and sysfs values" sh -c \
	"grep -qx 'dmaguard_domain_mapped_bytes{$L} $(cat $dd/mapped_bytes)' /tmp/m.prom && grep -qx 'dmaguard_domain_flushing{$L} 1' /tmp/m.prom && grep -qx 'dmaguard_domain_map_flushes_total{$L} $(cat $dd/map_flushes)' /tmp/m.prom && grep -qx '# TYPE dmaguard_domain_flush_seconds_total counter' /tmp/m.prom"
t "vm: metrics stats counters ($(grep '^dmaguard_flushes_total' /tmp/m.prom))" \
	grep -qx "dmaguard_flushes_total $(awk '$1=="flushes"{print $2}' $DG/stats)" /tmp/m.prom
t "vm: metrics audit: group $DG_GROUP protected" sh -c \
	"grep -qx 'dmaguard_audit_exposed_groups 0' /tmp/m.prom && grep -qx 'dmaguard_audit_group_exposed{group=\"$DG_GROUP\",verdict=\"protected\"} 0' /tmp/m.prom"
mkdir -p /tmp/tf
dmaguardctl metrics --output /tmp/tf/dmaguard.prom
t "vm: metrics --output writes the file, nothing else ($(ls /tmp/tf))" \
	sh -c "[ \"\$(ls -A /tmp/tf)\" = dmaguard.prom ] && grep -qx 'dmaguard_domain_flushing{$L} 1' /tmp/tf/dmaguard.prom"
out=$(dmaguardctl set vm:vm1 never 2>&1)
r=$?
t "vm: set vm:vm1 never: exit 0 ($r: $out), domain $D policy never" [ "$r|$(cat $dd/policy)" = "0|never" ]
dmaguardctl metrics >/tmp/m.prom
t "vm: metrics then: policy never, not flushing, group exposed" sh -c \
	"grep -q '^dmaguard_domain_policy_info{.*vm=\"vm1\".*policy=\"never\"} 1\$' /tmp/m.prom && grep -qx 'dmaguard_domain_flushing{$L} 0' /tmp/m.prom && grep -qx 'dmaguard_audit_exposed_groups 1' /tmp/m.prom"
dmaguardctl set vm:nosuch auto >/dev/null 2>/tmp/vm.err
r=$?
dmaguardctl set vm: auto >/dev/null 2>>/tmp/vm.err
r=$r,$?
t "vm: unknown and empty VM names exit 5 ($r), policy kept" [ "$r|$(cat $dd/policy)" = "5,5|never" ]
dmaguardctl --json set vm:vm1 auto >/tmp/vm.json
t "vm: set --json vm:vm1 auto" [ "$(jsonq .target .vm .policy </tmp/vm.json | tr '\n' '|')|$(cat $dd/policy)" = "$D|vm1|auto||auto" ]
EOF

dgvfio -name guest=vm1,debug-threads=on -uuid 11111111-2222-3333-4444-555555555555 <<'CMDS'
open
expect-domain
map a 1048576
sh sh /tmp/vm.sh
unmap a
close
CMDS

run domains
t "after close: domains is just the header" [ "$RC|$(echo "$OUT" | wc -l)" = "0|1" ]
t "after close: domains --json is []" [ "$(dmaguardctl --json domains)" = "[]" ]
run audit
t "no container open, dmaguard armed: protected, nobody holds it" \
	[ "$RC|$(echo "$OUT" | sed -n 's/^  verdict: *//p')|$(echo "$OUT" | sed -n 's/^  open by: *//p')" = "0|protected|nobody" ]
dmaguardctl set default never >/dev/null
run audit
t "no container, default_policy never: exposed" \
	[ "$RC|$(echo "$OUT" | sed -n 's/^  verdict: *//p')" = "7|exposed: non-coherent IOMMU domain and dmaguard default_policy is never" ]
dmaguardctl set default auto >/dev/null

# Reading the world-readable audit file patches no kernel text: a fresh
# load, then a non-root read, with the function tracer on register_kprobe.
rmmod dmaguard
insmod /dg/dmaguard.ko
TR=/sys/kernel/tracing
echo nop > $TR/current_tracer
echo register_kprobe > $TR/set_ftrace_filter
: > $TR/trace
echo function > $TR/current_tracer
su -s /bin/sh nobody -c "cat $DG/audit" > /tmp/nr-audit.txt
echo nop > $TR/current_tracer
: > $TR/set_ftrace_filter
n=$(grep -c ': register_kprobe <-' $TR/trace)
t "non-root read of audit registers no kprobe ($n calls); it has the symbol lines" \
	sh -c "[ $n = 0 ] && grep -q '^symbol iommu_sva_invalidate_kva_range ' /tmp/nr-audit.txt"
t "audit has the cfi line ($(grep '^cfi ' /tmp/nr-audit.txt))" grep -Eq '^cfi (ibt|bti): ' /tmp/nr-audit.txt
t "status names the branch-target state" sh -c "dmaguardctl status | grep -Eq '^branch targets:  (ibt|bti): '"

# The hook rows and what each resolved to on this kernel (bug reports):
# Debian's kernels have vfio_sync_unpin only as a .isra.0 clone; the lazy
# pin row is resolved but not registered until a map needs a flush.
t "hooks: vfio_sync_unpin resolved to its .isra.0 clone, live" \
	grep -qx 'vfio-type1 vfio_sync_unpin live vfio_sync_unpin.isra.0' $DG/hooks
t "hooks: the lazy pin row armed, not registered yet" \
	grep -qx 'vfio-type1 vfio_pin_pages_remote armed vfio_pin_pages_remote' $DG/hooks
t "hooks: the iommufd set is off on a kernel without IOMMUFD" \
	sh -c "! grep '^iommufd ' $DG/hooks | grep -v ' off -\$'"
dmaguardctl status --verbose > /tmp/st-v.txt
t "status --verbose lists every hook row ($(grep -c . $DG/hooks) rows)" \
	[ "$(sed -n '/^hook rows/,$p' /tmp/st-v.txt | grep -c '^  ')" = "$(grep -c . $DG/hooks)" ]
t "status --verbose shows the clone the unpin-list row resolved to" \
	grep -Eq '^  vfio-type1 +vfio_sync_unpin +live +vfio_sync_unpin\.isra\.0$' /tmp/st-v.txt
t "status --json --verbose has the rows" sh -c "dmaguardctl --json status -v | jsonq .hooks.0.set | grep -qx vfio-type1"
run status --bogus
t "status rejects an unknown argument (exit 2)" [ "$RC" = 2 ]

rmmod dmaguard
run status
t "after rmmod: status exits 4" [ "$RC" = 4 ]
run audit
t "after rmmod: audit says exposed (not loaded), exit 7" \
	[ "$RC|$(echo "$OUT" | sed -n 's/^  verdict: *//p')" = "7|exposed: non-coherent IOMMU domain and dmaguard is not loaded" ]
