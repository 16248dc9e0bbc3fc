# SPDX-License-Identifier: GPL-2.0-only
# The operator's install path, for real (sourced by tests/host/run.sh; uses
# result() and $run_dir):
#  1. dkms add/build/install against the fetched Debian 6.12 kernel, whose
#     headers are made visible as /lib/modules/<kver>/build by a symlink to
#     the private tree (the image package is never installed);
#  2. DKMS refuses a kernel without kprobes, or with clang CFI
#     (BUILD_EXCLUSIVE_CONFIG; Kbuild refuses CFI too, saying why);
#  3. that kernel boots in the VM with the module where DKMS put it, the
#     kmod tools run depmod and modprobe (tests/guest/dkms-guest.sh);
#  4. dkms remove leaves nothing behind;
#  5. dmaguard-dkms_<ver>_all.deb (packaging/mkdeb) installs with apt-get,
#     builds through DKMS, and apt-get purge removes every trace.
# Host state it creates (/usr/src/dmaguard-<ver>, /var/lib/dkms/dmaguard,
# /lib/modules/<kver>, the package) is removed at the end and also at the
# start, so an interrupted run does not poison the next one. A lock keeps
# two runs on one machine apart.

dkms_test() {
	local ver kver kdir moddir made_moddir='' made_libmod='' ko rc t0 log
	local fake ovl pay deb made_build='' made_mok=''
	ver=$(cat VERSION)
	t0=$(date +%s)
	log=$run_dir/dkms
	mkdir -p "$log"

	if ! scripts/fetch-kernel 6.12 >"$log/fetch.log" 2>&1; then
		cat "$log/fetch.log" >&2
		result fail "dkms: fetch the 6.12 kernel"
		return
	fi
	# shellcheck disable=SC1090
	kver=$(. "$DMAGUARD_CACHE/kernels/6.12.env"; echo "$KVER")
	kdir=$(. "$DMAGUARD_CACHE/kernels/6.12.env"; echo "$KDIR")
	moddir=/lib/modules/$kver

	exec 8>/var/lock/dmaguard-dkms-test.lock
	flock 8

	dkms_clean() {
		if dpkg-query -W -f='${db:Status-Status}' dmaguard-dkms 2>/dev/null |
		   grep -q .; then
			apt-get purge -y dmaguard-dkms >>"$log/clean.log" 2>&1
		fi
		if [ -d /var/lib/dkms/dmaguard ]; then
			dkms remove -m dmaguard -v "$ver" --all >>"$log/clean.log" 2>&1
		fi
		rm -rf /var/lib/dkms/dmaguard "/usr/src/dmaguard-$ver"
	}
	dkms_clean
	# dkms signs with a key it generates on first use; keep a machine's own.
	[ -e /var/lib/dkms/mok.key ] || made_mok=1
	[ -d /lib/modules ] || made_libmod=1
	if [ ! -d "$moddir" ]; then
		mkdir -p "$moddir"
		made_moddir=1
	fi
	if [ ! -e "$moddir/build" ]; then
		ln -s "$kdir" "$moddir/build"
		made_build=1
	fi

	# 1. add, build, install
	packaging/stage-src "/usr/src/dmaguard-$ver"
	if dkms add -m dmaguard -v "$ver" >"$log/add.log" 2>&1; then
		result ok "dkms: add dmaguard/$ver"
	else
		cat "$log/add.log" >&2
		result fail "dkms: add dmaguard/$ver"
	fi
	if dkms build -m dmaguard -v "$ver" -k "$kver" >"$log/build.log" 2>&1; then
		result ok "dkms: build for $kver (headers via $moddir/build)"
	else
		cat "$log/build.log" /var/lib/dkms/dmaguard/"$ver"/build/make.log >&2
		result fail "dkms: build for $kver (headers via $moddir/build)"
	fi
	dkms install -m dmaguard -v "$ver" -k "$kver" >"$log/install.log" 2>&1
	rc=$?
	ko=$(find "$moddir/updates/dkms" -name 'dmaguard.ko*' 2>/dev/null | head -n1)
	if [ $rc = 0 ] && [ -n "$ko" ] &&
	   dkms status -m dmaguard -v "$ver" -k "$kver" 2>/dev/null | grep -q ': installed'; then
		result ok "dkms: install puts ${ko#"$moddir"/} and status says installed"
	else
		cat "$log/install.log" >&2
		result fail "dkms: install puts the module under updates/dkms (rc $rc)"
	fi
	if [ -n "$ko" ] && [ "$(modinfo -F version "$ko")" = "$ver" ] &&
	   [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]; then
		result ok "dkms: installed module has version $ver and vermagic $kver"
	else
		result fail "dkms: installed module has version $ver and vermagic $kver"
	fi

	# 2. a kernel without CONFIG_KPROBES is refused, with the reason
	fake=$(mktemp -d)
	mkdir -p "$fake/include"
	sed 's/^CONFIG_KPROBES=y$/# CONFIG_KPROBES is not set/' "$kdir/.config" \
		>"$fake/.config"
	dkms build -m dmaguard -v "$ver" -k 0.0.0-dgnokprobes \
		--kernelsourcedir "$fake" >"$log/exclusive.log" 2>&1
	rc=$?
	if [ $rc = 77 ] && grep -q 'BUILD_EXCLUSIVE directive which does not match' \
	   "$log/exclusive.log"; then
		result ok "dkms: a kernel without CONFIG_KPROBES is refused (exit 77, BUILD_EXCLUSIVE)"
	else
		cat "$log/exclusive.log" >&2
		result fail "dkms: a kernel without CONFIG_KPROBES is refused (exit $rc)"
	fi
	rm -rf "$fake" /var/lib/dkms/dmaguard/"$ver"/0.0.0-dgnokprobes

	# 2b. a clang CFI kernel is refused: DKMS, and Kbuild with the reason
	fake=$(mktemp -d)
	mkdir -p "$fake/include"
	{ cat "$kdir/.config"; echo CONFIG_CFI_CLANG=y; } >"$fake/.config"
	dkms build -m dmaguard -v "$ver" -k 0.0.0-dgcfi \
		--kernelsourcedir "$fake" >"$log/cfi.log" 2>&1
	rc=$?
	make -C "$kdir" M="$DG_REPO" CONFIG_CFI_CLANG=y modules >"$log/cfi-make.log" 2>&1
	mrc=$?
	if [ $rc = 77 ] && grep -q 'BUILD_EXCLUSIVE directive which does not match' \
	   "$log/cfi.log" && [ $mrc != 0 ] &&
	   grep -q 'CONFIG_CFI_CLANG (kCFI/FineIBT) are not supported' "$log/cfi-make.log"; then
		result ok "dkms: a CONFIG_CFI_CLANG kernel is refused (DKMS exit 77; Kbuild says why)"
	else
		cat "$log/cfi.log" "$log/cfi-make.log" >&2
		result fail "dkms: a CONFIG_CFI_CLANG kernel is refused (dkms exit $rc, make exit $mrc)"
	fi
	rm -rf "$fake" /var/lib/dkms/dmaguard/"$ver"/0.0.0-dgcfi

	# 3. boot it: the module where DKMS put it, real kmod, modprobe.d example
	if [ -n "$ko" ]; then
		ovl=$log/overlay
		pay=$log/payload
		rm -rf "$ovl" "$pay"
		mkdir -p "$ovl/usr/sbin" "$ovl/etc/modprobe.d" "$pay"
		install -D -m 0644 "$ko" "$ovl$ko"
		cp packaging/modprobe.d/dmaguard.conf "$ovl/etc/modprobe.d/"
		# kmod is dynamic: ship it with its shared libraries.
		cp /usr/bin/kmod "$ovl/usr/sbin/kmod"
		for l in $(ldd /usr/bin/kmod | grep -o '/[^ ]*'); do
			install -D "$(readlink -f "$l")" "$ovl$l"
		done
		for a in modprobe depmod modinfo lsmod insmod rmmod; do
			ln -s kmod "$ovl/usr/sbin/$a"
		done
		cp tests/guest/tap.sh tests/guest/dkms-guest.sh VERSION "$pay/"
		echo "$ko" >"$pay/dkms-ko-path"
		if make -s -C tools/dmaguardctl STATIC=1 OUT="$pay/dmaguardctl" \
		   >"$log/dmaguardctl.log" 2>&1; then
			scripts/vm-run --kernel 6.12 --payload "$pay" --overlay "$ovl" \
				--timeout 600 --log "$log/vm.log" \
				--cmd "sh /dg/dkms-guest.sh; echo DG-SUITE-DONE" \
				>/dev/null 2>&1
			rc=$?
			relay_tap "dkms vm: " "$log/vm.log"
			if [ $rc = 0 ] && grep -q '^DG-SUITE-DONE' "$log/vm.log"; then
				result ok "dkms vm: ran to the end, no kernel splat"
			else
				result fail "dkms vm: ran to the end, no kernel splat (rc $rc, see $log/vm.log)"
			fi
		else
			cat "$log/dmaguardctl.log" >&2
			result fail "dkms vm: static dmaguardctl builds"
		fi
	fi

	# 4. dkms remove leaves nothing behind
	dkms remove -m dmaguard -v "$ver" --all >"$log/remove.log" 2>&1
	rc=$?
	if [ $rc = 0 ] && [ ! -e /var/lib/dkms/dmaguard ] &&
	   [ -z "$(find "$moddir" -name 'dmaguard.ko*')" ] &&
	   ! grep -qs dmaguard "$moddir/modules.dep"; then
		result ok "dkms: remove leaves nothing in /var/lib/dkms or $moddir"
	else
		cat "$log/remove.log" >&2
		result fail "dkms: remove leaves nothing in /var/lib/dkms or $moddir (rc $rc)"
	fi
	rm -rf "/usr/src/dmaguard-$ver"

	# 5. the Debian package
	if deb=$(packaging/mkdeb "$log" 2>"$log/mkdeb.log") &&
	   [ "$(basename "$deb")" = "dmaguard-dkms_${ver}_all.deb" ]; then
		result ok "deb: packaging/mkdeb builds dmaguard-dkms_${ver}_all.deb"
	else
		cat "$log/mkdeb.log" >&2
		result fail "deb: packaging/mkdeb builds dmaguard-dkms_${ver}_all.deb"
		deb=''
	fi
	if [ -n "$deb" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" \
			>"$log/apt-install.log" 2>&1
		rc=$?
		ko=$(find "$moddir/updates/dkms" -name 'dmaguard.ko*' 2>/dev/null | head -n1)
		if [ $rc = 0 ] && [ -n "$ko" ] &&
		   dkms status -m dmaguard -v "$ver" -k "$kver" 2>/dev/null | grep -q ': installed' &&
		   [ "$(modinfo -F version "$ko")" = "$ver" ]; then
			result ok "deb: apt-get install ./dmaguard-dkms_${ver}_all.deb builds and installs through DKMS for $kver"
		else
			cat "$log/apt-install.log" >&2
			result fail "deb: apt-get install ./dmaguard-dkms_${ver}_all.deb builds and installs through DKMS (rc $rc)"
		fi
		DEBIAN_FRONTEND=noninteractive apt-get purge -y dmaguard-dkms \
			>"$log/apt-remove.log" 2>&1
		rc=$?
		if [ $rc = 0 ] && [ ! -e /var/lib/dkms/dmaguard ] &&
		   [ ! -e "/usr/src/dmaguard-$ver" ] &&
		   [ -z "$(find "$moddir" -name 'dmaguard.ko*')" ]; then
			result ok "deb: apt-get purge removes the module, the DKMS tree and the source"
		else
			cat "$log/apt-remove.log" >&2
			result fail "deb: apt-get purge removes everything (rc $rc)"
		fi
	fi

	dkms_clean
	[ -z "$made_mok" ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	if [ -n "$made_moddir" ]; then
		rm -rf "$moddir"
		[ -z "$made_libmod" ] || rmdir /lib/modules 2>/dev/null
	elif [ -n "$made_build" ]; then
		rm -f "$moddir/build"
	fi
	flock -u 8
	exec 8>&-
	echo "dkms: $(( $(date +%s) - t0 ))s" >&2
}

dkms_test
