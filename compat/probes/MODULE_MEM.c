// SPDX-License-Identifier: GPL-2.0-only
/* struct module describes its memory as mem[MOD_TEXT...] (6.4+). */
#include <linux/module.h>

unsigned long dg_probe(struct module *mod);
unsigned long dg_probe(struct module *mod)
{
	return (unsigned long)mod->mem[MOD_TEXT].base + mod->mem[MOD_TEXT].size;
}
