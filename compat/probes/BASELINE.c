// SPDX-License-Identifier: GPL-2.0-only
/* Control probe: must always build, or the probe setup itself is broken. */
#include <linux/module.h>
