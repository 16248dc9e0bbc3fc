/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmaguard tracepoints. The formats are part of the user ABI (DESIGN §4):
 * tests and operators' perf/bpftrace scripts parse them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dmaguard

#if !defined(_DMAGUARD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DMAGUARD_TRACE_H

#include <linux/tracepoint.h>
#include "../compat/compat.h"

TRACE_EVENT(dmaguard_flush,
	TP_PROTO(u32 domain, u64 phys, u64 len, const char *reason),
	TP_ARGS(domain, phys, len, reason),
	TP_STRUCT__entry(
		__field(u32, domain)
		__field(u64, phys)
		__field(u64, len)
		__string(reason, reason)
	),
	TP_fast_assign(
		__entry->domain = domain;
		__entry->phys = phys;
		__entry->len = len;
		dg_assign_str(reason, reason);
	),
	TP_printk("domain=%u phys=0x%llx len=%llu reason=%s",
		  __entry->domain, (unsigned long long)__entry->phys,
		  (unsigned long long)__entry->len, __get_str(reason))
);

TRACE_EVENT(dmaguard_sva_inval,
	TP_PROTO(unsigned long start, unsigned long end, unsigned int mms),
	TP_ARGS(start, end, mms),
	TP_STRUCT__entry(
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(unsigned int, mms)
	),
	TP_fast_assign(
		__entry->start = start;
		__entry->end = end;
		__entry->mms = mms;
	),
	TP_printk("start=0x%lx end=0x%lx mms=%u",
		  __entry->start, __entry->end, __entry->mms)
);

TRACE_EVENT(dmaguard_domain,
	TP_PROTO(u32 domain, const char *event),
	TP_ARGS(domain, event),
	TP_STRUCT__entry(
		__field(u32, domain)
		__string(event, event)
	),
	TP_fast_assign(
		__entry->domain = domain;
		dg_assign_str(event, event);
	),
	TP_printk("domain=%u event=%s", __entry->domain, __get_str(event))
);

#endif /* _DMAGUARD_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
