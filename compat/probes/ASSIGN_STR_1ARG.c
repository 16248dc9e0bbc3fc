// SPDX-License-Identifier: GPL-2.0-only
/* __assign_str() takes only the destination (6.10+). */
#define CREATE_TRACE_POINTS
#include "ASSIGN_STR_1ARG_trace.h"
