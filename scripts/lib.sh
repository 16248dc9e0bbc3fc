# shellcheck shell=bash
# Common helpers for dmaguard scripts. Source it: . "$(dirname "$0")/lib.sh"
DG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DMAGUARD_CACHE=${DMAGUARD_CACHE:-$DG_REPO/.cache}
mkdir -p "$DMAGUARD_CACHE"
DMAGUARD_CACHE=$(cd "$DMAGUARD_CACHE" && pwd)
export DMAGUARD_CACHE

dg_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
dg_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
