# SPDX-License-Identifier: GPL-2.0-only
# In-guest, run by scripts/test after every suite, for the debug test
# kernel's checkers: lockdep must still be on at the end (any lockdep report,
# and any taint that makes it unreliable, turns it off), and a kmemleak scan
# must find no leaked object allocated by dmaguard. A report is dmaguard's
# when a frame of its allocation backtrace names [dmaguard], or is an
# unresolved module address (dmaguard is usually unloaded by then and its
# frames no longer resolve). The debug kernel must have both: if either is
# missing there, that fails; other kernels print nothing. KASAN and
# atomic-sleep reports are splats vm-run fails the run on.
. /dg/tap.sh
K=/sys/kernel/debug/kmemleak
if [ -e /proc/lockdep_stats ]; then
	t "lockdep still on after the suite ($(grep debug_locks /proc/lockdep_stats | tr -s ' '))" \
		grep -Eq 'debug_locks: +1$' /proc/lockdep_stats
elif [ "$DG_LINE" = debug ]; then
	nok "lockdep: /proc/lockdep_stats exists on the debug kernel"
fi
if [ ! -e $K ]; then
	[ "$DG_LINE" = debug ] && nok "kmemleak: /sys/kernel/debug/kmemleak exists on the debug kernel"
	exit 0
fi
# An object is reported once it is older than 5 s and unreferenced in a
# scan; the second scan catches what the first saw too young. A kmemleak
# that disabled itself (e.g. its object pool ran out) refuses the write
# with EPERM and would otherwise list nothing.
t "kmemleak is enabled (scan accepted)" sh -c "echo scan > $K"
sleep 6
echo scan > $K
cat $K > /tmp/kmemleak.txt
n=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
awk '/^unreferenced object/ { if (r != "" && mine) print r; r = ""; mine = 0 }
     { r = r $0 "\n" }
     /\[dmaguard\]/ || /\] 0x[0-9a-f]+$/ { mine = 1 }
     END { if (r != "" && mine) print r }' /tmp/kmemleak.txt > /tmp/kmemleak-dg.txt
dg=$(grep -c '^unreferenced object' /tmp/kmemleak-dg.txt)
if [ "$n" != 0 ]; then
	echo "kmemleak-check: $n report(s) in total, $dg attributed to dmaguard:"
	# Kernel-internal reports are shown without the phrase vm-run treats as a
	# splat; dmaguard's keep it (and so also fail the run's splat check).
	sed 's/^unreferenced object/kmemleak report: object/' /tmp/kmemleak.txt
	cat /tmp/kmemleak-dg.txt
fi
t "kmemleak: no leaked object allocated by dmaguard ($dg of $n reports)" [ "$dg" = 0 ]
