#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build and run the flush-engine benchmark (tests/bench/flushbench.c).
#
# usage: tests/bench/run.sh [OUTDIR] [flushbench args...]
#   default args: -s 1024 -r 7 (the numbers docs/performance.md reports)
#   CI (tests/host/run.sh): -s 512 -r 11 -g 0.6 -p 0.8
#
# The module's chunk size is read from module/flush.c and passed to the
# benchmark, so the benchmark's mirror of the chunk loop cannot drift from
# the module. The cache-line loop itself is arch/x86/flush_lines.h, included
# by the benchmark as it is by the module.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- -s 1024 -r 7

def=$(sed -n 's/^#define DG_CHUNK_BYTES[[:space:]].*SZ_\([0-9]*[KMG]\).*/\1/p' module/flush.c)
case $def in
*K) chunk=$((${def%K} << 10)) ;;
*M) chunk=$((${def%M} << 20)) ;;
*G) chunk=$((${def%G} << 30)) ;;
*) echo "bench: cannot read DG_CHUNK_BYTES from module/flush.c" >&2; exit 2 ;;
esac

mkdir -p "$out"
gcc -O2 -Wall -Wextra -Werror -DDG_CHUNK_BYTES="${chunk}UL" \
	-o "$out/flushbench" tests/bench/flushbench.c
exec "$out/flushbench" "$@"
