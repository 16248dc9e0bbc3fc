# SPDX-License-Identifier: GPL-2.0-only
# Host-side, sourced by scripts/test right after an arm64 build (uses its
# result() and $name): the compiled dg_arch_flush_kaddr in arch/arm64/flush.o
# has one DC CIVAC inside a loop (the target of the loop's backward branch)
# and one DSB SY after the loop, not per line. The line coverage of that
# loop is tested in the guest (tests/guest/dgflushlines.c).
dg_arm64_flush_insns() {
	local dc dsb back dsbaddr
	read -r dc dsb back dsbaddr < <(
	aarch64-linux-gnu-objdump -d --no-show-raw-insn arch/arm64/flush.o |
	awk '/<dg_arch_flush_kaddr>:/ { f = 1; next } f && /^$/ { exit }
	     f { sub(/:/, "", $1); print $1, $2, $3 }' |
	awk '$2 == "dc" && $3 == "civac," { dc++; dcaddr = $1 }
	     $2 == "dsb" && $3 == "sy" { dsb++; dsbaddr = $1 }
	     $2 ~ /^b\./ && $3 == dcaddr { back = $1 }
	     END { print dc + 0, dsb + 0, back == "" ? "-" : back, dsbaddr == "" ? "-" : dsbaddr }')
	if [ "$dc" = 1 ] && [ "$dsb" = 1 ] && [ "$back" != - ] &&
	   [ $((16#$dsbaddr)) -gt $((16#$back)) ]; then
		echo "ok dc=$dc dsb=$dsb"
	else
		echo "bad dc=$dc dsb=$dsb loop-branch=$back dsb-at=$dsbaddr"
	fi
}
dg_arm64_flush_got=$(dg_arm64_flush_insns)
if [ "${dg_arm64_flush_got%% *}" = ok ]; then
	result ok "$name: dg_arch_flush_kaddr: DC CIVAC in the loop, one DSB SY after it (${dg_arm64_flush_got#* })"
else
	result fail "$name: dg_arch_flush_kaddr: DC CIVAC in the loop, one DSB SY after it (${dg_arm64_flush_got#* })"
fi
