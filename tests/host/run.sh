# SPDX-License-Identifier: GPL-2.0-only
# Host-side tests, sourced by scripts/test (uses its result() and $run_dir).
# Each reports through result(); none needs a VM.

# dkms.conf's version is the module's version (VERSION is the one source).
if grep -qx "PACKAGE_VERSION=\"$(cat VERSION)\"" dkms.conf; then
	result ok "host: dkms.conf PACKAGE_VERSION equals VERSION"
else
	result fail "host: dkms.conf PACKAGE_VERSION equals VERSION"
fi

# The flush engine's shared x86 loop against the raw CLFLUSHOPT limit and the
# upstream per-page shape (tests/bench; 512 MiB here to stay ~15 s,
# docs/performance.md reports 1 GiB). Gate: engine >= 0.6x raw and >= 0.8x
# per-page on every workload; medians printed as "# ...".
if [ "$(uname -m)" = x86_64 ]; then
	tests/bench/run.sh "$run_dir" -s 512 -r 11 -g 0.6 -p 0.8 \
		>"$run_dir/flushbench.log" 2>&1
	grep '^#' "$run_dir/flushbench.log" >&2
	grep -q '^ok - \|^not ok - ' "$run_dir/flushbench.log" ||
		result fail "host: flushbench ran (see $run_dir/flushbench.log)"
	relay_tap "host: " "$run_dir/flushbench.log"
fi

# Userspace unit tests (tests/unit/*.c): each prints TAP lines.
for src in tests/unit/*.c; do
	name=$(basename "$src" .c)
	if ! gcc -Wall -Wextra -Werror -O2 -o "$run_dir/$name" "$src" \
		>"$run_dir/$name.build.log" 2>&1; then
		result fail "host: unit test $name builds"
		continue
	fi
	"$run_dir/$name" >"$run_dir/$name.log" 2>&1
	rc=$?
	relay_tap "host: " "$run_dir/$name.log"
	[ $rc = 0 ] || result fail "host: unit test $name exits 0"
done

# scripts/matrix, the compatibility table, on a fake run directory.
. tests/host/matrix.sh

# dmaguardctl: build, --help/man page, exit codes, golden text and JSON
# against a fake sysfs tree, the audit against a fake sysroot.
. tests/host/dmaguardctl.sh

# The DKMS install path end to end on the 6.12 kernel (~70 s, one VM boot):
# dkms add/build/install, BUILD_EXCLUSIVE refusal, modprobe in the VM, dkms
# remove, and the .deb through apt. Runs with the full suite, or when
# "dkms" is among the suites asked for.
if [ -z "${ONLY:-}" ] || in_list dkms "$ONLY"; then
	. tests/host/dkms.sh
fi

# Kernel coding style: checkpatch.pl --no-tree -f on every kernel-side file
# (the module, its compat probes, the test-only modules).
cp_pl=$(scripts/fetch-checkpatch 2>"$run_dir/checkpatch-fetch.log")
if [ -x "$cp_pl" ]; then
	files=$(git ls-files --cached --others --exclude-standard \
		'module/*.[ch]' 'hooks/*.[ch]' 'arch/*.[ch]' 'arch/*/*.[ch]' \
		'compat/*.h' 'compat/probes/*.[ch]' 'tests/sva_mock/*.c' 'tests/ibt/*.c' |
		grep -v '^compat/features.h$')
	# shellcheck disable=SC2086
	"$cp_pl" --no-tree -f --terse --show-types $files \
		>"$run_dir/checkpatch.log" 2>&1
	if grep -q ': \(ERROR\|WARNING\|CHECK\):' "$run_dir/checkpatch.log"; then
		grep ': \(ERROR\|WARNING\|CHECK\):' "$run_dir/checkpatch.log" >&2
		result fail "host: checkpatch.pl --no-tree -f clean ($(wc -w <<<"$files") files)"
	else
		result ok "host: checkpatch.pl --no-tree -f clean ($(wc -w <<<"$files") files)"
	fi
else
	cat "$run_dir/checkpatch-fetch.log" >&2
	result fail "host: checkpatch.pl available"
fi
