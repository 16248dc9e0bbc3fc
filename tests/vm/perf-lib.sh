# SPDX-License-Identifier: GPL-2.0-only
# In-guest helpers for the hook-overhead suites (perf-coherent,
# perf-noncoherent). They run under QEMU -icount shift=0,sleep=off: the
# guest clock counts instructions (1 ns each), so a map/unmap's duration is
# repeatable. VFIO's cost and dmaguard's are per physically contiguous run,
# so the layout is fixed by construction: "scattered" 4 KiB pages are
# faulted in a shuffled order (one run per page, the worst case), "thp" is
# THP-backed (512-page runs, the best case). Each round still maps and
# unmaps ONE buffer twice, with dmaguard absent and loaded (order
# alternating between rounds, after one untimed map+unmap: a fresh buffer's
# first map costs ~0.7 M instructions more), and the rounds' paired ratios
# are compared.
# dmaguard is loaded with the container open: it adopts the container on
# its first ioctl (an untimed one-page map, which also registers the lazy
# pin hook where a flush is needed), then takes the same per-run path as
# always.
#
# perf_measure SIZE ROUNDS   writes /tmp/perf-pairs.txt, one line per round
#                            and kind: "KIND absent_ns loaded_ns flush_ns
#                            runs absent_map absent_unmap loaded_map
#                            loaded_unmap" (map+unmap totals; flush_ns from
#                            dmaguard's stats, i.e. inside the flush loop)
# perf_median_of KIND EXPR   median over rounds of an awk EXPR of those
#                            fields ($2 absent, $3 loaded, $4 flush, ...)
# perf_run NAME SIZE ROUNDS  bind the edu device to VFIO, perf_measure, and
#                            check every round produced its pair
. /dg/tap.sh

# Load dmaguard, and map+unmap one page once, untimed: the first map that
# needs a flush after a load registers the lazy pin hook with ftrace, a
# one-time cost per load (~10 M instructions), not a per-map one.
perf_load() { # NAME
	echo "sh dg-modload /dg/dmaguard.ko >/dev/null"
	echo "map prime$1 4096"
	echo "unmap prime$1"
}

perf_cmds() { # SIZE ROUNDS
	echo open
	r=0
	while [ $r -le "$2" ]; do
		w=
		[ $r = 0 ] && w=warm-	# round 0 warms up, not kept
		for kind in scattered thp; do
			echo "timed-alloc $1 $kind"
			# the first map of a fresh buffer costs more: not kept
			echo "timed first"
			if [ $((r % 2)) = 0 ]; then
				echo "timed ${w}absent"
				perf_load "$r$kind"
				echo "timed ${w}loaded"
				echo "sh rmmod dmaguard"
			else
				perf_load "$r$kind"
				echo "timed ${w}loaded"
				echo "sh rmmod dmaguard"
				echo "timed ${w}absent"
			fi
		done
		r=$((r + 1))
	done
	echo close
}

perf_measure() { # SIZE ROUNDS
	perf_cmds "$1" "$2" | dgvfio >/tmp/perf-out.txt
	grep -v '^# timed' /tmp/perf-out.txt
	grep '^# timed' /tmp/perf-out.txt
	# "# timed LABEL size=N KIND map_ns=.. unmap_ns=.. map_flush_ns=..
	#  unmap_flush_ns=.. runs=.." -> pair lines (absent and loaded of
	#  one buffer are adjacent, in either order)
	grep -E '^# timed (absent|loaded) ' /tmp/perf-out.txt |
		sed 's/[a-z_]*=//g' | awk '
		{ lbl = $3; k = $5; tot[lbl] = $6 + $7; fl[lbl] = $8 + $9
		  m[lbl] = $6; u[lbl] = $7; runs = $10; n[k]++ }
		n[k] % 2 == 0 { print k, tot["absent"], tot["loaded"],
			fl["loaded"], runs, m["absent"], u["absent"],
			m["loaded"], u["loaded"] }' >/tmp/perf-pairs.txt
}

perf_median_of() { # KIND EXPR
	awk -v k="$1" "\$1 == k { print $2 }" /tmp/perf-pairs.txt | sort -n |
		awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2];
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# perf_lt X LIMIT: X < LIMIT (floats)
perf_lt() { awk -v x="$1" -v l="$2" 'BEGIN { exit !(x < l) }'; }
# perf_fmt X: two decimals
perf_fmt() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }

perf_run() { # NAME SIZE ROUNDS
	dg-modload vfio_iommu_type1
	DG_GROUP=$(dg-bind-edu)
	export DG_GROUP
	perf_measure "$2" "$3"
	t "perf $1: $3 rounds x 2 kinds timed in pairs" \
		[ "$(wc -l </tmp/perf-pairs.txt)" = $(($3 * 2)) ]
}
