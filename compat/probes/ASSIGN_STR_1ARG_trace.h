/* SPDX-License-Identifier: GPL-2.0-only */
/* Trace header of the ASSIGN_STR_1ARG probe. */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dg_probe

#if !defined(_DG_PROBE_ASSIGN_STR_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DG_PROBE_ASSIGN_STR_H
#include <linux/tracepoint.h>

TRACE_EVENT(dg_probe_str,
	TP_PROTO(const char *s),
	TP_ARGS(s),
	TP_STRUCT__entry(__string(s, s)),
	TP_fast_assign(__assign_str(s);),
	TP_printk("%s", __get_str(s))
);
#endif

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ASSIGN_STR_1ARG_trace
#include <trace/define_trace.h>
