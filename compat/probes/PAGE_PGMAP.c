// SPDX-License-Identifier: GPL-2.0-only
/* A ZONE_DEVICE page's pagemap is read through page_pgmap() (6.15+). */
#include <linux/memremap.h>
#include <linux/mm.h>

struct dev_pagemap *dg_probe(struct page *page);
struct dev_pagemap *dg_probe(struct page *page)
{
	return page_pgmap(page);
}
