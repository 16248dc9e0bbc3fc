// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy: whether a tracked domain gets CPU cache maintenance, and the
 * strict parsers behind every writable sysfs file.
 *
 * The parsers look at the whole buffer the writer gave (count bytes), not at
 * a C string: "always\0junk" is rejected, which sysfs_streq() would accept.
 * One trailing newline is allowed so that `echo always > policy` works.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "dmaguard.h"

static const char *const dg_policy_names[DG_POLICY_NR] = {
	[DG_POLICY_AUTO] = "auto",
	[DG_POLICY_ALWAYS] = "always",
	[DG_POLICY_NEVER] = "never",
};

const char *dg_policy_name(int policy)
{
	if (policy < 0 || policy >= DG_POLICY_NR)
		return "invalid";
	return dg_policy_names[policy];
}

/* Length of the token in buf[0..count) without one trailing newline. */
static size_t dg_token_len(const char *buf, size_t count)
{
	if (count && buf[count - 1] == '\n')
		count--;
	return count;
}

static bool dg_token_is(const char *buf, size_t count, const char *word)
{
	size_t len = dg_token_len(buf, count);

	return len && len == strlen(word) && !memcmp(buf, word, len);
}

int dg_policy_parse(const char *buf, size_t count)
{
	int i;

	for (i = 0; i < DG_POLICY_NR; i++)
		if (dg_token_is(buf, count, dg_policy_names[i]))
			return i;
	return -EINVAL;
}

int dg_bool_parse(const char *buf, size_t count)
{
	if (dg_token_is(buf, count, "0"))
		return 0;
	if (dg_token_is(buf, count, "1"))
		return 1;
	return -EINVAL;
}

/*
 * auto flushes unless the domain is known to enforce coherency: unknown
 * counts as not coherent, because a missed flush leaks data and an extra
 * flush only costs time.
 */
bool dg_policy_flushing(int policy, int coherent)
{
	if (!READ_ONCE(dg_enabled))
		return false;
	switch (policy) {
	case DG_POLICY_ALWAYS:
		return true;
	case DG_POLICY_NEVER:
		return false;
	default:
		return coherent != DG_COH_YES;
	}
}

bool dg_domain_flushing(const struct dg_domain *d)
{
	return dg_policy_flushing(READ_ONCE(d->policy), READ_ONCE(d->coherent));
}
