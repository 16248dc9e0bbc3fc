// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64 backend: not implemented yet (issue #5). It builds so that the
 * module refuses to load with a clear message instead of failing to build.
 */
#include <linux/errno.h>
#include "../arch.h"

int dg_arch_init(void)
{
	return -EOPNOTSUPP;
}

void dg_arch_flush_kaddr(void *addr, size_t len)
{
}

bool dg_arch_pfn_cacheable(unsigned long pfn)
{
	return false;
}

const char *dg_arch_flush_method(void)
{
	return "none";
}

bool dg_arch_sva_shares_kernel_tables(void)
{
	return false;
}

unsigned long dg_arch_func_entry(unsigned long addr)
{
	return addr;
}

bool dg_arch_func_callable(unsigned long entry)
{
	return true;
}
