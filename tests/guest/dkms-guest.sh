# SPDX-License-Identifier: GPL-2.0-only
# In-guest half of the DKMS test (tests/host/dkms.sh): the module DKMS
# installed on the host sits under /lib/modules/<kver>/updates/dkms/ exactly
# as DKMS put it (compressed the way the kernel's config asks), the kmod
# tools (Debian's, with their shared libraries) are in /usr/sbin, and
# /etc/modprobe.d/dmaguard.conf is packaging/modprobe.d/dmaguard.conf.
# Real depmod and modprobe, then status through sysfs and dmaguardctl.
. /dg/tap.sh
K=/usr/sbin
MD=/lib/modules/$(uname -r)
DKMS_KO=$(cat /dg/dkms-ko-path)
DG_VERSION=$(cat /dg/VERSION)

t "kmod's modprobe is the one that runs ($($K/modprobe --version | head -n1))" \
	sh -c "$K/modprobe --version | grep -q '^kmod version'"
t "the DKMS-built module is in $DKMS_KO" [ -f "$DKMS_KO" ]
t "depmod -a succeeds" $K/depmod -a
t "modules.dep lists ${DKMS_KO#$MD/}" grep -q "^${DKMS_KO#$MD/}:" $MD/modules.dep
t "modinfo finds dmaguard by name, version $DG_VERSION" \
	[ "$($K/modinfo -F version dmaguard)" = "$DG_VERSION" ]
t "modinfo resolves dmaguard to the DKMS path" \
	[ "$($K/modinfo -F filename dmaguard)" = "$DKMS_KO" ]

t "modprobe dmaguard" $K/modprobe dmaguard
t "dmaguard is loaded" grep -q '^dmaguard ' /proc/modules
t "version file says $DG_VERSION" [ "$(cat $DG/version)" = "$DG_VERSION" ]
t "modprobe.d options applied (require=$(cat /sys/module/dmaguard/parameters/require))" \
	[ "$(cat /sys/module/dmaguard/parameters/require)" = vfio-map,vfio-unmap ]
t "vfio-map waits for vfio_iommu_type1: $(prot vfio-map)" \
	[ "$(prot_state vfio-map)" = unavailable ]
out=$(dmaguardctl status)
rc=$?
t "dmaguardctl status exits 0" [ $rc = 0 ]
t "dmaguardctl status names version and kernel" \
	[ "$(echo "$out" | head -n1)" = "dmaguard $DG_VERSION on $(uname -r)" ]
t "modprobe -r dmaguard" $K/modprobe -r dmaguard
t "dmaguard is gone" [ ! -d $DG ]

# The modprobe.d softdep: loading vfio_iommu_type1 loads dmaguard first,
# so its hooks arm at once (require= would refuse vfio otherwise).
t "modprobe vfio_iommu_type1" $K/modprobe vfio_iommu_type1
t "softdep loaded dmaguard with it" grep -q '^dmaguard ' /proc/modules
t "vfio-map armed: $(prot vfio-map)" [ "$(prot_state vfio-map)" = armed ]
t "vfio-unmap armed: $(prot vfio-unmap)" [ "$(prot_state vfio-unmap)" = armed ]
t "dmaguardctl status shows vfio-map armed" \
	sh -c "dmaguardctl status | grep -Eq '^  vfio-map +armed '"
t "modprobe -r vfio_iommu_type1 dmaguard" $K/modprobe -r vfio_iommu_type1 dmaguard
t "both unloaded" sh -c "! grep -Eq '^(dmaguard|vfio_iommu_type1) ' /proc/modules"
