# SPDX-License-Identifier: GPL-2.0-only
# dmaguardctl for fleets (issue 17), sourced by tests/host/dmaguardctl.sh
# inside dgctl_test (uses its $d, $ctl, $san, $jq, sanrun, sanclean and
# result()): VM identity from hostile /proc/<pid>/cmdline files in a fake
# sysroot, set vm:NAME, 'metrics' checked by real parsers (Debian's
# python3-prometheus-client, and prometheus-node-exporter's textfile
# collector on 127.0.0.1 scraped with curl), --output, the systemd units
# (systemd-analyze verify) and the .deb carrying them. promtool is not
# used: Debian ships it only in 'prometheus' (96 MB installed with its web
# UI's JavaScript), so its lint rules that matter here (HELP/TYPE once,
# counters *_total, no duplicate series, UTF-8) are in promparse.py.

# shellcheck disable=SC2154 # $d, $ctl, $jq, $san: dgctl_test's
dgctl_fleet_test() {
	local F=$d/fleet S R out rc ok pp=tests/host/promparse.py
	local uuid=11111111-2222-3333-4444-555555555555
	rm -rf "$F"
	S=$F/sysfs R=$F/root
	mkdir -p "$S" "$R/proc"
	echo 0.0.0-test >"$S/version"
	echo 1 >"$S/enabled"
	echo auto >"$S/default_policy"
	printf 'vfio-map armed clflushopt\nvfio-unmap armed clflushopt\niommufd-map not-applicable no IOMMUFD\niommufd-unmap disabled enabled=0\nsva-kva unavailable "q" \\ b\n' \
		>"$S/protections"
	printf 'flushes 7\nflushed_bytes 28672\nflush_ns 1500000000\nsva_mms 2\ndomains_created 9\n' >"$S/stats"
	# fdom ID PID: a domain owned by PID
	fdom() {
		local p=$S/domains/$1
		mkdir -p "$p"
		echo vfio-type1 >"$p/owner"; echo "$2" >"$p/pid"
		echo "0000:00:0$(($1 % 10)).0" >"$p/devices"; echo 0 >"$p/coherent"
		echo auto >"$p/policy"; echo 1 >"$p/flushing"
		echo 4096 >"$p/mapped_bytes"; echo 8192 >"$p/flushed_bytes"
		echo 2500000000 >"$p/flush_ns"; echo 3 >"$p/map_flushes"
		echo 4 >"$p/unmap_flushes"
	}
	# fproc PID COMM ARG...: /proc/PID/comm and a NUL-separated cmdline
	fproc() {
		local p=$R/proc/$1
		mkdir -p "$p"
		printf '%s\n' "$2" >"$p/comm"
		shift 2
		printf '%s\0' "$@" >"$p/cmdline"
	}
	fdom 1 101; fproc 101 qemu-system-x86 qemu-system-x86_64 -machine q35 \
		-name guest=vm1,debug-threads=on -uuid $uuid -m 1024
	fdom 2 102; fproc 102 qemu-kvm /usr/bin/qemu-kvm -name vm2
	fdom 3 103; fproc 103 qemu 'qemu' -name 'guest=a"b\c,,d,process=x'
	fdom 4 104; fproc 104 "ev"$'\n'"il" qemu -name "ev"$'\n'"il"$'\t'"vm" -uuid "$uuid"$'\n'
	fdom 5 105; fproc 105 qemu qemu -name $'\xff\xfeok\xc3\xa9\xed\xa0\x80' -uuid not-a-uuid
	fdom 6 106; fproc 106 qemu qemu -uuid "$uuid" -name
	fdom 7 107; mkdir -p "$R/proc/107"	# huge: -name past 256 KiB
	{ printf 'qemu\0'; head -c 400000 /dev/zero | tr '\0' A; printf '\0-name\0far\0'; } \
		>"$R/proc/107/cmdline"
	fdom 8 108; mkdir -p "$R/proc/108"; mkfifo "$R/proc/108/cmdline"
	fdom 9 109; fproc 109 qemu qemu -name "guest=$(head -c 600 /dev/zero | tr '\0' L)"
	fdom 12 112; fproc 112 qemu-system-x86 qemu -name guest=twin
	fdom 13 113; fproc 113 qemu-system-x86 qemu -name twin
	fdom 14 0
	fdom 15 '../../etc'

	# VM identity: --json domains (ASan), text --verbose, hostile input.
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R sanrun "$F/d.json" "$F/d.err" --json domains
	rc=$?
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R sanrun "$F/d.txt" "$F/d.err2" domains --verbose
	rc=$rc,$?
	local want got
	# Sorted by id: 1..9, 12, 13, 14, 15. 5's name: two invalid bytes,
	# "ok", a valid e-acute, an encoded surrogate (three invalid bytes).
	want="13|qemu-system-x86|vm1|$uuid|qemu-kvm|vm2|null|a\"b\\c,d|null|ev?il|ev?il?vm|null|??ok"$'\xc3\xa9'"???|null|null|$uuid|null|null|null|null|$(head -c 127 /dev/zero | tr '\0' L)|twin|twin|null|null|"
	got=$("$jq" '#' .0.comm .0.vm .0.vm_uuid .1.comm .1.vm .1.vm_uuid .2.vm .2.vm_uuid \
		.3.comm .3.vm .3.vm_uuid .4.vm .4.vm_uuid .5.vm .5.vm_uuid .6.comm .6.vm \
		.7.comm .7.vm .8.vm .9.vm .10.vm .11.vm .12.vm <"$F/d.json" 2>&1 | tr '\n' '|')
	if [ "$rc" = 0,0 ] && sanclean "$F"/d.err* && [ "$got" = "$want" ] &&
	   grep -qx "1    vfio-type1 101     qemu-system-x86  vm1                  $uuid no       auto   yes     " "$F/d.txt" &&
	   [ "$(grep -c . "$F/d.txt")" = 14 ] &&
	   [ "$(grep -c "$(printf '\xff')" "$F/d.txt")" = 0 ]; then
		result ok "host: VM identity (ASan): QEMU -name forms, -uuid, hostile cmdlines (quotes, newlines, non-UTF-8, huge, FIFO, no value) bounded and escaped"
	else
		echo "want: $want" >&2; echo "got:  $got" >&2; cat "$F"/d.err* "$F/d.txt" >&2
		result fail "host: VM identity (ASan): QEMU -name forms, -uuid, hostile cmdlines (rc $rc)"
	fi

	# set vm:NAME
	ok=''
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" set vm:vm1 never >"$F/out" 2>"$F/err"; ok+="$?:$(cat "$S/domains/1/policy") "
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" --json set vm:vm2 always >"$F/set.json" 2>>"$F/err"; ok+="$?:$(cat "$S/domains/2/policy") "
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" set vm:twin never >/dev/null 2>>"$F/err"; ok+="$?:$(cat "$S/domains/12/policy"):$(cat "$S/domains/13/policy") "
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" set vm:nosuch never >/dev/null 2>>"$F/err"; ok+="$? "
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" set vm: never >/dev/null 2>>"$F/err"; ok+="$? "
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" set vm:far never >/dev/null 2>>"$F/err"; ok+="$? "
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" set vm:vm1 sometimes >/dev/null 2>>"$F/err"; ok+="$?:$(cat "$S/domains/1/policy")"
	if [ "$ok" = "0:never 0:always 5:auto:auto 5 5 5 6:never" ] &&
	   [ "$("$jq" .target .vm .policy <"$F/set.json" | tr '\n' '|')" = "2|vm2|always|" ] &&
	   grep -q "VM name 'twin' is ambiguous: domains 12, 13; use an id" "$F/err" &&
	   grep -q "no domain is owned by a VM named 'nosuch'" "$F/err"; then
		result ok "host: set vm:NAME writes the VM's domain; ambiguous, unknown and empty names exit 5, nothing written"
	else
		cat "$F/err" >&2
		result fail "host: set vm:NAME (got $ok)"
	fi
	echo auto >"$S/domains/1/policy"; echo auto >"$S/domains/2/policy"

	# metrics: parsed by prometheus_client, promtool's lint rules, values.
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R sanrun "$F/m.prom" "$F/m.err" metrics
	rc=$?
	"$pp" <"$F/m.prom" >"$F/m.parsed" 2>"$F/m.perr"
	rc=$rc,$?
	local l='comm="qemu-system-x86",domain="1",owner="vfio-type1",pid="101",vm="vm1",vm_uuid="'$uuid'"'
	ok=1
	for want in 'gauge dmaguard_loaded{} 1' 'gauge dmaguard_enabled{} 1' \
		'gauge dmaguard_default_policy_info{policy="auto"} 1' \
		'gauge dmaguard_info{kernel="'"$(uname -r)"'",version="0.0.0-test"} 1' \
		'gauge dmaguard_protection_state{protection="vfio-map",state="armed"} 1' \
		'gauge dmaguard_protection_state{protection="vfio-map",state="native"} 0' \
		'gauge dmaguard_protection_state{protection="iommufd-unmap",state="disabled"} 1' \
		'gauge dmaguard_protection_state{protection="sva-kva",state="unavailable"} 1' \
		'counter dmaguard_flushes_total{} 7' 'counter dmaguard_flushed_bytes_total{} 28672' \
		'counter dmaguard_flush_seconds_total{} 1.5' 'gauge dmaguard_sva_mms{} 2' \
		'counter dmaguard_domains_created_total{} 9' 'gauge dmaguard_domains{} 13' \
		"gauge dmaguard_domain_mapped_bytes{$l} 4096" \
		"counter dmaguard_domain_flushed_bytes_total{$l} 8192" \
		"counter dmaguard_domain_flush_seconds_total{$l} 2.5" \
		"counter dmaguard_domain_map_flushes_total{$l} 3" \
		"counter dmaguard_domain_unmap_flushes_total{$l} 4" \
		"gauge dmaguard_domain_coherent{$l} 0" "gauge dmaguard_domain_flushing{$l} 1" \
		'gauge dmaguard_domain_mapped_bytes{comm="qemu",domain="3",owner="vfio-type1",pid="103",vm="a\"b\\c,d",vm_uuid=""} 4096' \
		'gauge dmaguard_domain_mapped_bytes{comm="ev?il",domain="4",owner="vfio-type1",pid="104",vm="ev?il?vm",vm_uuid=""} 4096' \
		'gauge dmaguard_audit_run{} 1' 'gauge dmaguard_audit_exposed_groups{} 0'; do
		grep -qxF -- "$want" "$F/m.parsed" || { echo "missing: $want" >&2; ok=0; }
	done
	if [ "$rc" = 0,0 ] && [ $ok = 1 ] && sanclean "$F/m.err" &&
	   [ "$(grep -c '^gauge dmaguard_protection_state{' "$F/m.parsed")" = 25 ] &&
	   ! grep -v '^counter .*_total{' "$F/m.parsed" | grep -q '^counter'; then
		result ok "host: metrics (ASan) parse (python3-prometheus-client + promtool's lint rules): every state series, _total counters, seconds, VM labels escaped"
	else
		cat "$F/m.perr" "$F/m.err" >&2
		result fail "host: metrics (ASan) parse and carry the sysfs values (rc $rc)"
	fi

	# Debian's promtool (package prometheus): its own parser and linter,
	# over the module-loaded and the module-absent output.
	if command -v promtool >/dev/null; then
		promtool check metrics <"$F/m.prom" >"$F/promtool.out" 2>&1
		rc=$?
		DMAGUARD_SYSFS=$d/absent DMAGUARD_SYSROOT=$d/root "$ctl" metrics 2>/dev/null |
			promtool check metrics >>"$F/promtool.out" 2>&1
		rc=$rc,$?
		if [ "$rc" = 0,0 ] && [ ! -s "$F/promtool.out" ]; then
			result ok "host: promtool check metrics: no problem in the metrics, with and without dmaguard"
		else
			cat "$F/promtool.out" >&2
			result fail "host: promtool check metrics (rc $rc)"
		fi
	else
		result fail "host: promtool installed (scripts/deps: prometheus)"
	fi

	# Without dmaguard: dmaguard_loaded 0 and the audit series (one
	# exposed group from the host test's fake sysroot).
	DMAGUARD_SYSFS=$d/absent DMAGUARD_SYSROOT=$d/root "$ctl" metrics >"$F/m0.prom" 2>"$F/m0.err"
	rc=$?
	"$pp" <"$F/m0.prom" >"$F/m0.parsed" 2>>"$F/m0.err"
	rc=$rc,$?
	if [ "$rc" = 0,0 ] && grep -qx 'gauge dmaguard_loaded{} 0' "$F/m0.parsed" &&
	   grep -qx 'gauge dmaguard_audit_exposed_groups{} 2' "$F/m0.parsed" &&
	   grep -qx 'gauge dmaguard_audit_group_exposed{group="5",verdict="exposed: non-coherent IOMMU domain and dmaguard is not loaded"} 1' "$F/m0.parsed" &&
	   ! grep -q 'dmaguard_enabled\|dmaguard_domain_' "$F/m0.parsed"; then
		result ok "host: metrics without dmaguard: dmaguard_loaded 0, exit 0, the audit's exposed groups"
	else
		cat "$F/m0.err" "$F/m0.parsed" >&2
		result fail "host: metrics without dmaguard: dmaguard_loaded 0 and the audit series (rc $rc)"
	fi

	# --output: atomic (same content, no temporary left, 0644), a missing
	# directory fails with exit 1 and writes nothing.
	mkdir -p "$F/tf"
	echo stale >"$F/tf/dmaguard.prom"
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" metrics --output "$F/tf/dmaguard.prom" >"$F/o.out" 2>"$F/o.err"
	rc=$?
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" metrics -o "$F/nodir/x.prom" 2>>"$F/o.err"
	rc=$rc,$?
	DMAGUARD_SYSFS=$S DMAGUARD_SYSROOT=$R "$ctl" metrics --output 2>>"$F/o.err" >/dev/null
	rc=$rc,$?
	if [ "$rc" = 0,1,2 ] && [ ! -s "$F/o.out" ] &&
	   cmp -s "$F/tf/dmaguard.prom" "$F/m.prom" &&
	   [ "$(ls -A "$F/tf")" = dmaguard.prom ] &&
	   [ "$(stat -c %a "$F/tf/dmaguard.prom")" = 644 ] && [ ! -e "$F/nodir" ]; then
		result ok "host: metrics --output replaces the file atomically (same bytes, mode 0644, no temporary left); bad paths exit 1/2"
	else
		cat "$F/o.err" >&2; ls -la "$F/tf" >&2
		result fail "host: metrics --output (rc $rc)"
	fi

	# node_exporter's textfile collector reads the file: on 127.0.0.1, a
	# free high port, only that collector, killed when done.
	local ne
	ne=$(command -v prometheus-node-exporter || command -v node_exporter)
	if [ -z "$ne" ]; then
		result fail "host: prometheus-node-exporter installed (scripts/deps)"
	else
		(
			port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
			"$ne" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
				--collector.textfile --collector.textfile.directory="$F/tf" \
				>"$F/ne.log" 2>&1 &
			npid=$!
			trap 'kill $npid 2>/dev/null; wait $npid 2>/dev/null' EXIT
			for _ in $(seq 50); do
				curl -sf "http://127.0.0.1:$port/metrics" >"$F/scrape.txt" && break
				sleep 0.2
			done
			echo "$npid" >"$F/ne.pid"
		)
		local sc=$F/scrape.txt npid
		npid=$(cat "$F/ne.pid" 2>/dev/null)
		if [ -s "$sc" ] && grep -qx 'node_textfile_scrape_error 0' "$sc" &&
		   grep -qx 'dmaguard_loaded 1' "$sc" && grep -qx '# TYPE dmaguard_flushes_total counter' "$sc" &&
		   grep -qx 'dmaguard_flushes_total 7' "$sc" && grep -qx '# TYPE dmaguard_domain_mapped_bytes gauge' "$sc" &&
		   grep -qx "dmaguard_domain_mapped_bytes{$l} 4096" "$sc" &&
		   grep -qx 'dmaguard_protection_state{protection="sva-kva",state="unavailable"} 1' "$sc" &&
		   grep -qx 'dmaguard_flush_seconds_total 1.5' "$sc" &&
		   { [ -z "$npid" ] || ! kill -0 "$npid" 2>/dev/null; }; then
			result ok "host: prometheus-node-exporter (127.0.0.1, textfile collector) serves the dmaguard series with their types and values; stopped"
		else
			cat "$F/ne.log" >&2; grep -i 'dmaguard\|textfile' "$sc" >&2
			result fail "host: prometheus-node-exporter serves the dmaguard series"
		fi
	fi

	# The systemd units: systemd-analyze verify in a scratch root holding
	# the units, systemd's own units and dmaguardctl (verify checks that
	# ExecStart= resolves); any message fails. A unit with an unknown key
	# must make it talk (the check can fail).
	local U=$F/sdroot u
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$U/etc/systemd/system" "$U/usr/lib/systemd" "$U/usr/local/sbin"
		cp -a /lib/systemd/system "$U/usr/lib/systemd/"
		cp "$ctl" "$U/usr/local/sbin/dmaguardctl"
		cp packaging/systemd/* "$U/etc/systemd/system/"
		printf '[Service]\nExecStart=/usr/local/sbin/dmaguardctl audit\nFrobnicate=yes\n' \
			>"$U/etc/systemd/system/dg-control.service"
		out=$(systemd-analyze verify --man=no --root="$U" \
			"$U"/etc/systemd/system/dmaguard-* 2>&1)
		rc=$?
		local neg
		neg=$(systemd-analyze verify --man=no --root="$U" \
			"$U/etc/systemd/system/dg-control.service" 2>&1)
		if [ $rc = 0 ] && [ -z "$out" ] && grep -q Frobnicate <<<"$neg" &&
		   grep -qx 'ExecStart=dmaguardctl audit' packaging/systemd/dmaguard-audit.service &&
		   ! grep -q '^SuccessExitStatus' packaging/systemd/dmaguard-audit.service &&
		   grep -qx 'ExecStart=dmaguardctl metrics --output /var/lib/prometheus/node-exporter/dmaguard.prom' \
			packaging/systemd/dmaguard-metrics.service &&
		   grep -q '^After=.*systemd-modules-load.service' packaging/systemd/dmaguard-audit.service; then
			result ok "host: systemd-analyze verify: the audit unit (after modules-load, fails on exit 7) and the metrics service and timer are clean"
		else
			echo "$out" >&2
			result fail "host: systemd-analyze verify on packaging/systemd (rc $rc)"
		fi
	else
		echo "# systemd-analyze missing: unit verification NOT run" >&2
	fi

	# The .deb ships the units as examples, byte for byte.
	local deb x=$F/deb
	mkdir -p "$x"
	if deb=$(packaging/mkdeb "$x" 2>"$x/mkdeb.log") &&
	   dpkg-deb -x "$deb" "$x/root" && ok=1 &&
	   for u in dmaguard-audit.service dmaguard-metrics.service dmaguard-metrics.timer; do
		cmp -s "packaging/systemd/$u" "$x/root/usr/share/doc/dmaguard-dkms/examples/systemd/$u" || ok=0
	   done && [ $ok = 1 ]; then
		result ok "deb: dmaguard-dkms ships the systemd units in /usr/share/doc/dmaguard-dkms/examples/systemd"
	else
		cat "$x/mkdeb.log" >&2
		result fail "deb: dmaguard-dkms ships the systemd units as examples"
	fi
	rm -rf "$x" "$U"
}

dgctl_fleet_test
