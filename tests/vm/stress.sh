# SPDX-License-Identifier: GPL-2.0-only
# In-guest suite: the stress run of scripts/stress/guest.sh (edu DMA
# integrity, map/unmap storm, churn, reloads, sysfs fuzz, unprivileged
# access, fault injection where the kernel has it) at CI length. The VM
# needs 3+ edu devices (SUITE_ARGS in scripts/test); DURATION= overrides.
DURATION=${DURATION:-60} . /dg/stress/guest.sh
