# SPDX-License-Identifier: GPL-2.0-only
# Host-side tests, sourced by scripts/test (uses its result() and $run_dir).
# Each reports through result(); none needs a VM.

# dkms.conf's version is the module's version (VERSION is the one source).
if grep -qx "PACKAGE_VERSION=\"$(cat VERSION)\"" dkms.conf; then
	result ok "host: dkms.conf PACKAGE_VERSION equals VERSION"
else
	result fail "host: dkms.conf PACKAGE_VERSION equals VERSION"
fi
