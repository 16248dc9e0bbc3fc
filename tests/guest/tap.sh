# SPDX-License-Identifier: GPL-2.0-only
# TAP helpers for the in-guest shell tests (busybox sh). Every assertion
# prints "ok - NAME" or "not ok - NAME"; the host counts them.
DG=/sys/kernel/dmaguard

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }

# t "name" command...: passes when the command succeeds.
t() {
	_name=$1
	shift
	if "$@"; then ok "$_name"; else nok "$_name"; fi
}

# dg_stat NAME -> the value of NAME's line in the stats file
dg_stat() { awk -v n="$1" '$1 == n { print $2 }' $DG/stats; }

# prot NAME -> "<state> <detail>" from the protections file
prot() { awk -v n="$1" '$1 == n { $1 = ""; sub(/^ /, ""); print }' $DG/protections; }
prot_state() { prot "$1" | cut -d' ' -f1; }

# The domain id owned by a pid (one line per domain).
domains_of() {
	for d in $DG/domains/*/; do
		[ -f "$d/pid" ] || continue
		[ "$(cat "$d/pid")" = "$1" ] && basename "$d"
	done
}

# bad_writes FILE VALID: every malformed write gets EINVAL and changes nothing.
bad_writes() {
	_f=$1 _valid=$2 _before=$(cat "$1")
	for _bad in 'bogus' '\n' '' "${_valid}junk" "${_valid}\\0junk" \
		    "${_valid}\\n\\n" " ${_valid}" "${_valid} " "\\0${_valid}"; do
		[ -z "$_bad" ] && continue
		_r=$(dgvfio write "$_f" "$_bad")
		if [ "$_r" = EINVAL ] && [ "$(cat "$_f")" = "$_before" ]; then
			ok "$_f rejects '$_bad' with EINVAL, value kept"
		else
			nok "$_f rejects '$_bad' with EINVAL, value kept (got $_r, now $(cat "$_f"))"
		fi
	done
	_r=$(dgvfio write-repeat "$_f" a 4096)
	if [ "$_r" = EINVAL ] && [ "$(cat "$_f")" = "$_before" ]; then
		ok "$_f rejects a 4 KiB write with EINVAL, value kept"
	else
		nok "$_f rejects a 4 KiB write with EINVAL, value kept (got $_r)"
	fi
	_r=$(dgvfio write "$_f" "${_valid}\\n")
	if [ "$_r" = "OK $((${#_valid} + 1))" ] && [ "$(cat "$_f")" = "$_valid" ]; then
		ok "$_f accepts '${_valid}\\n'"
	else
		nok "$_f accepts '${_valid}\\n' (got $_r)"
	fi
	_r=$(dgvfio write "$_f" "$_before")
	if [ "$_r" = "OK ${#_before}" ] && [ "$(cat "$_f")" = "$_before" ]; then
		ok "$_f accepts '$_before' without newline"
	else
		nok "$_f accepts '$_before' without newline (got $_r)"
	fi
}

# No file under the dmaguard tree prints something shaped like a kernel
# address (hashed pointers are fine, raw ffff... are not).
no_pointers() {
	! find $DG -type f -perm -0400 -exec cat {} + 2>/dev/null | grep -Eqi '(0x)?ffff[0-9a-f]{12}'
}

# rmmod_dg [TRIES]: rmmod dmaguard, retried while a call it redirected is
# under way (rmmod then fails at once, EWOULDBLOCK, instead of waiting);
# up to TRIES (default 200) times, 50 ms apart. Returns 0 when unloaded,
# 1 when still busy after every try, 2 on any other error. Adds the
# retries to $DG_RMMOD_RETRIES.
DG_RMMOD_RETRIES=0
rmmod_dg() {
	_n=0
	while ! rmmod dmaguard 2>/tmp/rmmod.err; do
		grep -Eqi 'temporarily unavailable|in use|busy' /tmp/rmmod.err || return 2
		_n=$((_n + 1))
		DG_RMMOD_RETRIES=$((DG_RMMOD_RETRIES + 1))
		[ $_n -ge "${1:-200}" ] && return 1
		sleep 0.05
	done
	return 0
}

# loop_start OPEN SECONDS: dgvfio opens $DG_GROUP with OPEN (open |
# open-iommufd) and loops map/unmap of 1 MiB for SECONDS, in the
# background; loop_end waits for it and checks it exited cleanly.
loop_start() {
	printf '%s %s\nloop %s 1048576\n' "$1" "$DG_GROUP" "$2" > /tmp/loop.cmds
	dgvfio < /tmp/loop.cmds > /tmp/loop.out 2>&1 &
	_loop=$!
	sleep 2
}
loop_end() {
	wait $_loop
	cat /tmp/loop.out
	t "the loop's process exited cleanly" grep -q '^ok - map/unmap loop' /tmp/loop.out
}

# reload_under_loop OPEN SECONDS N: dmaguard unloaded and reloaded N times
# while a loop_start loop runs; TAP lines for the reloads and the loop.
reload_under_loop() {
	loop_start "$1" "$2"
	_fails=0
	_i=0
	while [ $_i -lt "$3" ]; do
		rmmod_dg || _fails=$((_fails + 1))
		sleep 1
		insmod /dg/dmaguard.ko || _fails=$((_fails + 1))
		sleep 1
		_i=$((_i + 1))
	done
	t "rmmod/insmod of dmaguard $3 times under a map/unmap loop ($1; $DG_RMMOD_RETRIES EBUSY retries)" [ $_fails = 0 ]
	loop_end
}
