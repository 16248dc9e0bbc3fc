// SPDX-License-Identifier: GPL-2.0-only
/* Instantiates the dmaguard tracepoints declared in trace.h. */
#include "../compat/compat.h"
#define CREATE_TRACE_POINTS
#include "trace.h"
