# SPDX-License-Identifier: GPL-2.0-only
# Host-side, sourced by scripts/test right after an arm64 build (uses its
# result() and $name): in arch/arm64/flush.o the compiled dg_arch_flush_kaddr
# has one DC CIVAC inside a loop (the target of the loop's backward branch)
# and no barrier at all, and dg_arch_flush_wait is one DSB SY: the core
# waits once per batch of runs, not per line or run. The line coverage of
# that loop is tested in the guest (tests/guest/dgflushlines.c).
dg_arm64_insns() { # SYMBOL -> "DC DSB LOOP-BRANCH"
	aarch64-linux-gnu-objdump -d --no-show-raw-insn arch/arm64/flush.o |
	awk -v sym="<$1>:" '$2 == sym { f = 1; next } f && /^$/ { exit }
	     f { sub(/:/, "", $1); print $1, $2, $3 }' |
	awk '$2 == "dc" && $3 == "civac," { dc++; dcaddr = $1 }
	     $2 == "dsb" { dsb++ }
	     $2 ~ /^b\./ && $3 == dcaddr { back = $1 }
	     END { print dc + 0, dsb + 0, back == "" ? "-" : back }'
}
read -r dc dsb back < <(dg_arm64_insns dg_arch_flush_kaddr)
got="dc=$dc dsb=$dsb loop-branch=$back"
if [ "$dc" = 1 ] && [ "$dsb" = 0 ] && [ "$back" != - ]; then
	result ok "$name: dg_arch_flush_kaddr: DC CIVAC in the loop, no barrier ($got)"
else
	result fail "$name: dg_arch_flush_kaddr: DC CIVAC in the loop, no barrier ($got)"
fi
read -r dc dsb back < <(dg_arm64_insns dg_arch_flush_wait)
got="dc=$dc dsb=$dsb; $(aarch64-linux-gnu-objdump -d --no-show-raw-insn arch/arm64/flush.o |
	awk '$2 == "<dg_arch_flush_wait>:" { f = 1; next } f && /^$/ { exit }
	     f && $2 == "dsb" { print $2, $3 }')"
if [ "$dc" = 0 ] && [ "$dsb" = 1 ] && [ "${got##*; }" = "dsb sy" ]; then
	result ok "$name: dg_arch_flush_wait: one DSB SY ($got)"
else
	result fail "$name: dg_arch_flush_wait: one DSB SY ($got)"
fi
