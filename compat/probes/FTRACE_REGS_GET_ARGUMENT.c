// SPDX-License-Identifier: GPL-2.0-only
/* ftrace_regs_get_argument() exists (6.2+ where ftrace_regs has arguments). */
#include <linux/ftrace.h>

unsigned long dg_probe(struct ftrace_regs *fregs);
unsigned long dg_probe(struct ftrace_regs *fregs)
{
	return ftrace_regs_get_argument(fregs, 5);
}
