# SPDX-License-Identifier: GPL-2.0-only
# dmaguardctl on the host (sourced by tests/host/run.sh; uses result() and
# $run_dir): it builds with -Werror, --help and the man page agree on the
# commands and exit codes, the man page renders without warnings, and
# against a fake /sys/kernel/dmaguard tree (DMAGUARD_SYSFS) every command's
# text output is golden-checked, its JSON parses (tests/guest/jsonq.c) and
# the documented exit codes come back. The live kernel is the VM's job
# (tests/vm/operator.sh).

dgctl_test() {
	local d=$run_dir/dmaguardctl ctl jq fake out rc ver kernel
	mkdir -p "$d"
	ctl=$d/dmaguardctl
	jq=$d/jsonq
	ver=$(cat VERSION)
	kernel=$(uname -r)

	if make -s -C tools/dmaguardctl OUT="$ctl" >"$d/build.log" 2>&1 &&
	   gcc -O2 -Wall -Wextra -Werror -o "$jq" tests/guest/jsonq.c \
		>>"$d/build.log" 2>&1; then
		result ok "host: dmaguardctl and jsonq build with -Wall -Wextra -Werror"
	else
		cat "$d/build.log" >&2
		result fail "host: dmaguardctl and jsonq build with -Wall -Wextra -Werror"
		return
	fi

	# --help, the man page and the code agree.
	out=$("$ctl" --help)
	rc=$?
	local c missing=''
	for c in status domains set enable disable stats audit --json; do
		grep -q -- "$c" <<<"$out" || missing+=" help:$c"
		grep -q -- "^\\.B.*${c//-/\\\\-}" tools/dmaguardctl/dmaguardctl.8 ||
			grep -q -- "^\\.TP.*$c" tools/dmaguardctl/dmaguardctl.8 ||
			grep -q -- "^\\.B ${c//-/\\\\-}" tools/dmaguardctl/dmaguardctl.8 ||
			missing+=" man:$c"
	done
	for c in 0 1 2 3 4 5 6 7; do
		grep -Eq "(^|  )$c [A-Za-z]" <<<"$out" || missing+=" help-exit:$c"
		grep -q "^\\.B $c\$" tools/dmaguardctl/dmaguardctl.8 ||
			missing+=" man-exit:$c"
	done
	if [ $rc = 0 ] && [ -z "$missing" ]; then
		result ok "host: --help and dmaguardctl.8 list every command and exit code"
	else
		result fail "host: --help and dmaguardctl.8 list every command and exit code (missing:$missing)"
	fi
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 groff -man -ww -z -Tutf8 \
		tools/dmaguardctl/dmaguardctl.8 2>&1)
	if [ -z "$out" ]; then
		result ok "host: dmaguardctl.8 renders with groff -ww without warnings"
	else
		echo "$out" >&2
		result fail "host: dmaguardctl.8 renders with groff -ww without warnings"
	fi

	# Usage errors: exit 2 and a message on stderr.
	"$ctl" >/dev/null 2>"$d/err"; rc=$?
	"$ctl" frobnicate >/dev/null 2>>"$d/err"; rc=$rc,$?
	"$ctl" set 1 >/dev/null 2>>"$d/err"; rc=$rc,$?
	"$ctl" --bogus status >/dev/null 2>>"$d/err"; rc=$rc,$?
	if [ "$rc" = 2,2,2,2 ] && grep -q "unknown command 'frobnicate'" "$d/err" &&
	   grep -q "'set' takes 2 arguments" "$d/err"; then
		result ok "host: usage errors exit 2 with a message"
	else
		result fail "host: usage errors exit 2 with a message (got $rc)"
	fi

	# No module: exit 4, with the fix in the message.
	rc=''
	for c in status domains stats enable "set default auto"; do
		# shellcheck disable=SC2086
		DMAGUARD_SYSFS=$d/absent "$ctl" $c >/dev/null 2>"$d/err"
		rc+="$? "
	done
	if [ "$rc" = "4 4 4 4 4 " ] &&
	   grep -q "dmaguard is not loaded .*modprobe dmaguard" "$d/err"; then
		result ok "host: every module command exits 4 when dmaguard is not loaded"
	else
		result fail "host: every module command exits 4 when dmaguard is not loaded (got $rc)"
	fi

	# A fake sysfs tree with one domain.
	fake=$d/sysfs
	rm -rf "$fake"
	mkdir -p "$fake/domains/3" "$fake/domains/12"
	echo "$ver" >"$fake/version"
	echo 1 >"$fake/enabled"
	echo auto >"$fake/default_policy"
	cat >"$fake/protections" <<-'EOF'
	vfio-map armed clflushopt via vfio_iommu_type1:vfio_pin_pages_remote
	vfio-unmap armed clflushopt via vfio_iommu_type1:vfio_unpin_pages_remote
	iommufd-map not-applicable kernel built without CONFIG_IOMMUFD
	iommufd-unmap not-applicable kernel built without CONFIG_IOMMUFD
	sva-kva unavailable "quoted" detail\with backslash
	EOF
	printf 'flushes 7\nflushed_bytes 28672\nflush_ns 1500\n' >"$fake/stats"
	printf 'kernel %s\ncfi ibt: enforced; originals reached by direct jmp (static calls)\n' \
		"$kernel" >"$fake/audit"
	set_dom() { # id owner pid devices coherent policy flushing mapped flushed
		local p=$fake/domains/$1
		echo "$2" >"$p/owner"; echo "$3" >"$p/pid"; echo "$4" >"$p/devices"
		echo "$5" >"$p/coherent"; echo "$6" >"$p/policy"
		echo "$7" >"$p/flushing"; echo "$8" >"$p/mapped_bytes"
		echo "$9" >"$p/flushed_bytes"; echo 42 >"$p/flush_ns"
		echo 2 >"$p/map_flushes"; echo 1 >"$p/unmap_flushes"
	}
	set_dom 3 vfio-type1 417 "0000:00:03.0 0000:00:04.0" 0 auto 1 8192 16384
	set_dom 12 iommufd 9 "" unknown never 0 0 0

	cat >"$d/status.golden" <<-EOF
	dmaguard $ver on $kernel
	enabled:         yes
	default policy:  auto
	branch targets:  ibt: enforced; originals reached by direct jmp (static calls)
	domains:         2
	protections:
	  vfio-map       armed           clflushopt via vfio_iommu_type1:vfio_pin_pages_remote
	  vfio-unmap     armed           clflushopt via vfio_iommu_type1:vfio_unpin_pages_remote
	  iommufd-map    not-applicable  kernel built without CONFIG_IOMMUFD
	  iommufd-unmap  not-applicable  kernel built without CONFIG_IOMMUFD
	  sva-kva        unavailable     "quoted" detail\with backslash
	EOF
	cat >"$d/domains.golden" <<-'EOF'
	ID   OWNER      PID     DEVICES                  COHERENT POLICY FLUSHING       MAPPED        FLUSHED
	3    vfio-type1 417     0000:00:03.0 0000:00:04.0 no       auto   yes              8192          16384
	12   iommufd    9       -                        unknown  never  no                  0              0
	EOF
	printf '%-24s %s\n' flushes 7 flushed_bytes 28672 flush_ns 1500 \
		>"$d/stats.golden"
	local ok=1 what
	for what in status domains stats; do
		DMAGUARD_SYSFS=$fake "$ctl" $what >"$d/$what.out" 2>&1 || ok=0
		diff -u "$d/$what.golden" "$d/$what.out" >&2 || ok=0
	done
	if [ $ok = 1 ]; then
		result ok "host: status, domains and stats match their golden text"
	else
		result fail "host: status, domains and stats match their golden text"
	fi

	# JSON: parses, and carries the same values.
	ok=1
	for what in status domains stats; do
		DMAGUARD_SYSFS=$fake "$ctl" --json $what >"$d/$what.json" || ok=0
		"$jq" <"$d/$what.json" || ok=0
	done
	[ "$("$jq" .version .kernel .enabled .default_policy .domains .protections# \
	      .protections.4.detail <"$d/status.json" | tr '\n' '|')" = \
	  "$ver|$kernel|true|auto|2|5|\"quoted\" detail\\with backslash|" ] || ok=0
	[ "$("$jq" .0.id .0.owner .0.pid .0.devices.1 .0.coherent .0.flushing \
	      .0.mapped_bytes .1.coherent .1.devices# .1.policy <"$d/domains.json" |
	      tr '\n' '|')" = \
	  "3|vfio-type1|417|0000:00:04.0|false|true|8192|null|0|never|" ] || ok=0
	[ "$("$jq" .flushes .flush_ns <"$d/stats.json" | tr '\n' '|')" = "7|1500|" ] || ok=0
	if [ $ok = 1 ]; then
		result ok "host: --json status, domains and stats parse and carry the sysfs values"
	else
		result fail "host: --json status, domains and stats parse and carry the sysfs values"
	fi

	# set / enable / disable write the files; bad ids and values do not.
	ok=''
	DMAGUARD_SYSFS=$fake "$ctl" set 3 always >/dev/null 2>&1; ok+="$?:$(cat "$fake/domains/3/policy") "
	DMAGUARD_SYSFS=$fake "$ctl" set default never >/dev/null 2>&1; ok+="$?:$(cat "$fake/default_policy") "
	DMAGUARD_SYSFS=$fake "$ctl" disable >/dev/null 2>&1; ok+="$?:$(cat "$fake/enabled") "
	DMAGUARD_SYSFS=$fake "$ctl" enable >/dev/null 2>&1; ok+="$?:$(cat "$fake/enabled") "
	DMAGUARD_SYSFS=$fake "$ctl" set 99 auto >/dev/null 2>"$d/err"; ok+="$?:$(cat "$fake/domains/3/policy") "
	DMAGUARD_SYSFS=$fake "$ctl" set 3x auto >/dev/null 2>>"$d/err"; ok+="$? "
	DMAGUARD_SYSFS=$fake "$ctl" set 3 sometimes >/dev/null 2>>"$d/err"; ok+="$?:$(cat "$fake/domains/3/policy") "
	DMAGUARD_SYSFS=$fake "$ctl" set default AUTO >/dev/null 2>>"$d/err"; ok+="$?:$(cat "$fake/default_policy")"
	if [ "$ok" = "0:always 0:never 0:0 0:1 5:always 5 6:always 6:never" ] &&
	   grep -q "no such domain: 99" "$d/err" &&
	   grep -q "bad domain id '3x'" "$d/err" &&
	   grep -q "bad policy 'sometimes': want auto, always or never" "$d/err"; then
		result ok "host: set/enable/disable write sysfs; bad id exits 5, bad value 6, nothing written"
	else
		cat "$d/err" >&2
		result fail "host: set/enable/disable write sysfs; bad id exits 5, bad value 6 (got $ok)"
	fi

	# The audit against a fake /sys and /proc (DMAGUARD_SYSROOT): the PCI
	# capability walk (No-Snoop Enable, PASID), group types, holders,
	# command line and lockdown, without dmaguard.
	local R=$d/root dev
	rm -rf "$R"
	poke() { # FILE OFFSET HEXBYTE...
		local f=$1 off=$2 b
		shift 2
		for b in "$@"; do
			printf "\\x$b" | dd of="$f" bs=1 seek=$((off)) conv=notrunc status=none
			off=$((off + 1))
		done
	}
	mkdir -p "$R/proc/4242/fd" "$R/sys/kernel/security" "$R/dev/vfio" \
		"$R/sys/bus/pci/drivers/vfio-pci" "$R/sys/bus/pci/drivers/nvme" \
		"$R/sys/class/iommu/dmar0/intel-iommu"
	echo "root=/dev/sda ro iommu.passthrough=0 intel_iommu=on" >"$R/proc/cmdline"
	echo "none [integrity] confidentiality" >"$R/sys/kernel/security/lockdown"
	echo f0205e >"$R/sys/class/iommu/dmar0/intel-iommu/ecap"  # SC (bit 7) clear
	# Holders are found by device number: pid 4242's fd 3 is the
	# character device that the fake /dev/vfio/5 is (major 4000: no
	# real driver's).
	mknod "$R/dev/vfio/5" c 4000 5
	ln -s "$R/dev/vfio/5" "$R/proc/4242/fd/3"
	for dev in 5:0000:01:00.0:vfio-pci:DMA 7:0000:02:00.0:nvme:DMA \
		   9:0000:03:00.0:vfio-pci:DMA-FQ; do
		local g=${dev%%:*} rest=${dev#*:}
		local bdf=${rest%:*:*} drv=${rest#*:*:*:} type=${dev##*:}
		drv=${drv%:*}
		mkdir -p "$R/sys/bus/pci/devices/$bdf" "$R/sys/kernel/iommu_groups/$g/devices"
		echo "$type" >"$R/sys/kernel/iommu_groups/$g/type"
		ln -s "$R/sys/bus/pci/devices/$bdf" "$R/sys/kernel/iommu_groups/$g/devices/$bdf"
		ln -s "$R/sys/bus/pci/drivers/$drv" "$R/sys/bus/pci/devices/$bdf/driver"
		ln -s "$R/sys/class/iommu/dmar0" "$R/sys/bus/pci/devices/$bdf/iommu"
		head -c 4096 /dev/zero >"$R/sys/bus/pci/devices/$bdf/config"
		# Status: capabilities list; PCI Express capability at 0x40
		poke "$R/sys/bus/pci/devices/$bdf/config" 0x06 10
		poke "$R/sys/bus/pci/devices/$bdf/config" 0x34 40
		poke "$R/sys/bus/pci/devices/$bdf/config" 0x40 10 00
	done
	# 01:00.0: Device Control bit 11 (Enable No Snoop) set, PASID enabled
	poke "$R/sys/bus/pci/devices/0000:01:00.0/config" 0x49 08
	poke "$R/sys/bus/pci/devices/0000:01:00.0/config" 0x100 1b 00 01 00 00 00 01
	# 03:00.0: other DevCtl bits set, No Snoop clear; no PASID
	poke "$R/sys/bus/pci/devices/0000:03:00.0/config" 0x48 ff f7
	DMAGUARD_SYSROOT=$R DMAGUARD_SYSFS=$d/absent "$ctl" audit >"$d/audit.out" 2>&1
	rc=$?
	DMAGUARD_SYSROOT=$R DMAGUARD_SYSFS=$d/absent "$ctl" --json audit >"$d/audit.json"
	local want="0|exposed: non-coherent IOMMU domain and dmaguard is not loaded"
	if [ $rc = 7 ] && "$jq" <"$d/audit.json" &&
	   [ "$("$jq" .groups# .groups.0.group .groups.0.holders.0 .groups.0.opened_as \
		.groups.0.devices.0.no_snoop_enable .groups.0.devices.0.pasid .groups.0.sva \
		.groups.1.group .groups.1.type .groups.1.holders# \
		.groups.1.devices.0.no_snoop_enable .groups.1.devices.0.pasid .groups.1.sva \
		.groups.1.coherent .exposed .kernel.lockdown .kernel.iommu_strict \
		.kernel.passthrough .kernel.iommu_groups <"$d/audit.json" | tr '\n' '|')" = \
	     "2|5|4242|vfio-group|true|enabled|true|9|DMA-FQ|0|false|no PASID capability|false|no|2|integrity|lazy (1 DMA-FQ group(s), kernel default)|no|3|" ] &&
	   [ "$(grep -c "^  verdict:          ${want#0|}\$" "$d/audit.out")" = 2 ] &&
	   grep -qx "  device 0000:01:00.0: driver vfio-pci, No-Snoop Enable set, PASID enabled" "$d/audit.out" &&
	   grep -qx "  default domain:   DMA-FQ (lazy invalidation)" "$d/audit.out"; then
		result ok "host: audit on a fake sysroot: No-Snoop/PASID bits, DMA-FQ, holders, lockdown, verdicts"
	else
		cat "$d/audit.out" "$d/audit.json" >&2
		result fail "host: audit on a fake sysroot: No-Snoop/PASID bits, DMA-FQ, holders, lockdown, verdicts (rc $rc)"
	fi

	# Not root: privileged commands exit 3 before touching anything.
	if command -v setpriv >/dev/null; then
		# The clone may sit below a directory only root can enter
		# (mktemp -d is 0700): uid 65534 gets its own copy of the
		# binary and the fake sysfs in a world-readable one.
		local pub pfake pctl
		pub=$(mktemp -d)
		chmod 755 "$pub"
		cp -a "$ctl" "$fake" "$pub/"
		pctl=$pub/$(basename "$ctl") pfake=$pub/$(basename "$fake")
		chmod -R a+rX "$pub"
		ok=''
		for c in "set 3 auto" enable disable audit; do
			# shellcheck disable=SC2086
			DMAGUARD_SYSFS=$pfake setpriv --reuid=65534 --regid=65534 \
				--clear-groups "$pctl" $c >/dev/null 2>"$pub/err.nobody"
			ok+="$? "
		done
		DMAGUARD_SYSFS=$pfake setpriv --reuid=65534 --regid=65534 \
			--clear-groups "$pctl" status >/dev/null 2>&1
		ok+="status:$?"
		cp "$pub/err.nobody" "$d/err.nobody"
		if [ "$ok" = "3 3 3 3 status:0" ] &&
		   grep -q "audit (PCI config space) needs root" "$d/err.nobody" &&
		   [ "$(cat "$pfake/domains/3/policy")" = always ]; then
			result ok "host: set/enable/disable/audit as non-root exit 3; status works"
		else
			result fail "host: set/enable/disable/audit as non-root exit 3; status works (got $ok)"
		fi
		rm -rf "$pub"
	else
		result fail "host: setpriv (util-linux) missing for the non-root test"
	fi
}

dgctl_test
