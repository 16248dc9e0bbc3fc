# SPDX-License-Identifier: GPL-2.0-only
# In-guest: the audit on a coherent VFIO domain (intel-iommu snoop-control=on).
# Without dmaguard the coherency is inferred from the IOMMU (ECAP.SC=1); with
# it, dmaguard's domain says what VFIO decided. Both: protected (coherent),
# whatever dmaguard's policy.
. /dg/tap.sh
jq() { _f=$1; shift; jsonq "$@" <"$_f" | tr '\n' '|'; }

dg-modload vfio_iommu_type1
G=$(dg-bind-edu)
export DG_GROUP=$G

cat >/tmp/coh.sh <<'SH'
. /dg/tap.sh
jq() { _f=$1; shift; jsonq "$@" <"$_f" | tr '\n' '|'; }
tag=$1 src=$2
out=$(dmaguardctl audit)
rc=$?
t "$tag: audit exits 0 ($rc)" [ "$rc" = 0 ]
t "$tag: text verdict protected (coherent)" \
	[ "$(echo "$out" | sed -n 's/^  verdict: *//p')" = "protected (coherent)" ]
dmaguardctl --json audit >/tmp/a.json
t "$tag: --json parses" jsonq </tmp/a.json
t "$tag: --json verdict, coherent yes, nothing exposed" \
	[ "$(jq /tmp/a.json .groups.0.group .groups.0.verdict .groups.0.coherent .exposed)" = "$DG_GROUP|protected (coherent)|yes|0|" ]
t "$tag: coherency source: $(jsonq .groups.0.coherent_source </tmp/a.json)" \
	sh -c "jsonq .groups.0.coherent_source </tmp/a.json | grep -q '$src'"
SH

dgvfio <<'CMDS'
open
sh sh /tmp/coh.sh "no dmaguard" "^inferred: dmar[0-9]* ECAP.SC=1 "
close
CMDS

dg-modload /dg/dmaguard.ko
dgvfio <<'CMDS'
open
expect-domain
map a 65536
sh . /dg/tap.sh; t "domains: coherent yes, flushing no" sh -c "dmaguardctl domains | awk 'NR==2{print \$5, \$7}' | grep -qx 'yes no'"
sh . /dg/tap.sh; t "domains --json: coherent true" [ "$(dmaguardctl --json domains | jsonq .0.coherent)" = true ]
sh sh /tmp/coh.sh "dmaguard auto" "^dmaguard domain $DG_DOMAIN "
sh dmaguardctl set $DG_DOMAIN never >/dev/null; sh /tmp/coh.sh "dmaguard never" "^dmaguard domain $DG_DOMAIN "
sh dmaguardctl disable >/dev/null; sh /tmp/coh.sh "dmaguard disabled" "^dmaguard domain $DG_DOMAIN "
sh dmaguardctl enable >/dev/null
unmap a
close
CMDS
rmmod dmaguard
t "dmaguard unloads" [ ! -d $DG ]
