# SPDX-License-Identifier: GPL-2.0-only
# scripts/matrix against a fake run directory (sourced by tests/host/run.sh):
# the table comes from results.txt and the suites' logs, the newest run of
# a target wins, and --details names what each hook row resolved to.
m=$run_dir/matrix-fake
rm -rf "$m" && mkdir -p "$m/r1" "$m/r2"
cat >"$m/r1/results.txt" <<'R'
ok - x86_64 6.12 (6.12.9-amd64): dmaguard.ko builds with -Werror
not ok - x86_64 6.12 vfio-noncoherent: an old failure
R
cat >"$m/r2/results.txt" <<'R'
ok - x86_64 6.12 (6.12.118+deb12-amd64): dmaguard.ko builds with -Werror (compiler: host)
ok - x86_64 6.12 vfio-noncoherent: dmaguard loads before vfio_iommu_type1
ok - x86_64 6.12 vfio-noncoherent: every page flushed
not ok - x86_64 6.12 sva: something
ok - x86_64 6.12 sva: other
not ok - arm64 7.x (7.3.4+deb13-arm64): dmaguard.ko builds with -Werror (compiler: trixie)
R
printf 'x.c:1:2: warning: unused\nx.c:3:4: warning: other\n' >"$m/r2/build-x86_64-6.12.log"
cat >"$m/r2/x86_64-6.12-vfio-noncoherent.log" <<'R'
# vm-run: kernel 6.12.118+deb12-amd64 (LINE 6.12)
DG-VM-START 6.12.118+deb12-amd64 up=6.50s
ok - dmaguard loads before vfio_iommu_type1
# matrix protection vfio-map armed clflushopt via vfio_iommu_type1:vfio_pin_pages_remote
# matrix protection sva-kva unavailable no SVA here
# matrix hook vfio-type1 vfio_sync_unpin live vfio_sync_unpin.isra.0
# matrix hook vfio-type1 amd_iommu_enforce_cache_coherency absent -
# matrix hook vfio-type1 vfio_unpin_pages_remote live vfio_unpin_pages_remote
DG-VM-EXIT rc=0 up=30.00s
# vm-run: qemu exit 0, elapsed 45.25s, log x
R
out=$(scripts/matrix --details "$m/r1" "$m/r2" 2>&1)
echo "$out" >"$run_dir/matrix-fake.out"
row=$(echo "$out" | grep '^| x86_64 | 6.12 |')
if [ "$row" = "| x86_64 | 6.12 | 6.12.118+deb12-amd64 | yes (2; host) | yes | armed | ? | ? | ? | unavailable | sva 1/1, vfio-noncoherent 2/0 | 22 s |" ]; then
	result ok "host: scripts/matrix row from the newest run (build, warnings, loads, protections, suites, boot)"
else
	result fail "host: scripts/matrix row from the newest run (got: $row)"
fi
if echo "$out" | grep -qx '| arm64 | 7.x | 7.3.4+deb13-arm64 | NO (0; trixie) | ? | ? | ? | ? | ? | ? | - | ? |'; then
	result ok "host: scripts/matrix shows a target that does not build"
else
	result fail "host: scripts/matrix shows a target that does not build"
fi
if echo "$out" | grep -qx -- '- hook rows not resolved as named: vfio_sync_unpin -> vfio_sync_unpin.isra.0, amd_iommu_enforce_cache_coherency (absent)'; then
	result ok "host: scripts/matrix --details names clones and absent rows"
else
	result fail "host: scripts/matrix --details names clones and absent rows (see $run_dir/matrix-fake.out)"
fi
