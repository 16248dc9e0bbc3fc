# SPDX-License-Identifier: GPL-2.0-only
# In-guest, arm64 only: the arch backend. The flush loop the module runs
# (arch/arm64/flush_lines.h, built into /dg/dgflushlines) issues DC CIVAC
# over exactly the lines of a range; the module reports its method, and
# sva-kva is not-applicable (the SMMU walks only TTBR0 tables for SVA).
. /dg/tap.sh

t "guest is arm64 ($(uname -m))" [ "$(uname -m)" = aarch64 ]
dgflushlines
t "dgflushlines exits 0" [ $? = 0 ]

dg-modload /dg/dmaguard.ko
t "dmaguard loads on arm64" [ -d $DG ]
t "sva-kva not-applicable: $(prot sva-kva)" [ "$(prot_state sva-kva)" = not-applicable ]
t "sva-kva reason names the TTBR0-only SMMU walk" sh -c "grep -q '^sva-kva not-applicable .*TTBR0' $DG/protections"
dg-modload vfio_iommu_type1
t "vfio-map armed with dc-civac: $(prot vfio-map)" sh -c "grep -q '^vfio-map armed dc-civac via ' $DG/protections"
t "vfio-unmap armed with dc-civac" sh -c "grep -q '^vfio-unmap armed dc-civac via ' $DG/protections"
t "the IOMMU is arm-smmu-v3" sh -c "ls /sys/class/iommu/ | grep -q smmu"
t "audit says why every arm64 VFIO domain is non-coherent: $(grep '^coherency ' $DG/audit)" \
	grep -q '^coherency none: arm-smmu-v3 has no enforce_cache_coherency op' $DG/audit
rmmod dmaguard
t "dmaguard unloads cleanly" [ ! -d $DG ]
