# shellcheck shell=bash
# Common helpers for dmaguard scripts. Source it: . "$(dirname "$0")/lib.sh"
DG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DMAGUARD_CACHE=${DMAGUARD_CACHE:-$DG_REPO/.cache}
mkdir -p "$DMAGUARD_CACHE"
DMAGUARD_CACHE=$(cd "$DMAGUARD_CACHE" && pwd)
export DMAGUARD_CACHE

dg_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
dg_die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# dg_kenv KDIR: where modules for the kernel in KDIR are built: "host" when
# the host's gcc is the major version the kernel was built with (its
# CONFIG_CC_VERSION_TEXT), else the Debian release that ships that gcc
# (scripts/build-root SUITE: gcc-14 -> trixie, gcc-12 -> bookworm).
dg_kenv() {
	local cfg=$1/.config text want have
	[ -f "$cfg" ] || cfg=$1/include/config/auto.conf
	text=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$cfg" 2>/dev/null)
	want=$(sed -nE 's/.*gcc(-[0-9]+)? \([^)]*\) ([0-9]+)\..*/\2/p' <<<"$text")
	[ -n "$want" ] || { dg_log "no gcc version in $cfg ('$text')"; return 1; }
	have=$(gcc -dumpversion 2>/dev/null | cut -d. -f1)
	if [ "$want" = "$have" ]; then
		echo host
		return 0
	fi
	case $want in
	12) echo bookworm ;;
	14) echo trixie ;;
	*) dg_log "kernel built with gcc-$want: no build root for it"; return 1 ;;
	esac
}

# dg_kexec KDIR CMD...: run CMD (make ..., in the current directory) with
# the compiler KDIR's kernel was built with: on the host or in the build root.
dg_kexec() {
	local env
	env=$(dg_kenv "$1") || return 1
	shift
	if [ "$env" = host ]; then
		"$@"
	else
		"$DG_REPO/scripts/build-root" "$env" run "$@"
	fi
}
