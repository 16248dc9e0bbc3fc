// SPDX-License-Identifier: GPL-2.0-only
/* ftrace_regs_set_instruction_pointer() exists (6.8+). */
#include <linux/ftrace.h>

void dg_probe(struct ftrace_regs *fregs);
void dg_probe(struct ftrace_regs *fregs)
{
	ftrace_regs_set_instruction_pointer(fregs, 0);
}
