#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Non-interference with the kernel's own selftests: the programs the
# harness built from the running kernel's series' source, linux-source-6.1
# or -6.12 (selftests/list: ptrace, pidfd, proc, clone3, exec, nsfs, kcmp,
# pid_namespace, seccomp, core, perf_events and some of mm) run twice,
# first with aiguard unloaded, then with it
# loaded and unrelated processes protected. For each program, its exit
# status and each of its TAP result lines ("ok"/"not ok", with the test
# name) must be the same both times.
#
# A program whose results differ runs once more in each state; it counts
# as a difference only if no loaded run matches an unloaded one (a test
# that is flaky on an emulator shows both results in both states, an
# interference only one in each).
#
# Leaves aiguard.ko loaded, as it found it. Run as root in the test guest;
# busybox-sh compatible, prints TAP, exits 0.

. "$(dirname "$0")/lib.sh"
tap_start t_selftests 8
KO=/lib/aiguard/aiguard.ko
DIR=$(cd "$(dirname "$0")" && pwd)/selftests
LIST=$DIR/list
TMO=${AG_SELFTEST_TIMEOUT:-120}
MARK=t_selftests.$$


# procs FILE: "pid comm" of every process (builtins only: no process of
# its own to show up)
procs() {
	for _d in /proc/[0-9]*; do
		read -r _c <"$_d/comm" && echo "${_d#/proc/} $_c"
	done >"$1" 2>/dev/null
}

# settle: waits (3 s at most) for the watcher busybox's timeout leaves
# behind: it forks one that polls its program once a second, so it
# outlives the program by up to a second, and its exit would fall into
# the next program's walk of /proc.
settle() {
	_n=0
	while grep -qx timeout /proc/[0-9]*/comm 2>/dev/null && [ $_n -lt 15 ]; do
		sleep 0.2
		_n=$((_n + 1))
	done
}

# run_one DIR PROG RESULTFILE: runs one program in its directory and
# appends "DIR/PROG exit=N" and its normalised TAP result lines. The
# processes that were there before it and gone after it go to
# $TMP/gone.DIR.PROG: a walk of /proc (proc/read) fails on a directory
# whose process exits under it, so a walk that fails once is explained
# (or not) by what exited meanwhile.
run_one() {
	_log=$TMP/log.$1.$2
	_t0=$(date +%s)
	settle
	procs "$TMP/ps.before"
	(cd "$DIR/$1" && exec timeout -s KILL "$TMO" "./$2" </dev/null >"$_log" 2>&1)
	_rc=$?
	procs "$TMP/ps.after"
	grep -vxF -f "$TMP/ps.after" "$TMP/ps.before" >"$TMP/gone.$1.$2"
	echo "# $1/$2: exit $_rc, $(($(date +%s) - _t0)) s"
	{
		echo "$1/$2 exit=$_rc"
		# "ok 3 name # SKIP why": keep the verdict, the name and a
		# SKIP; numbers in names (pids, fds, results) become N
		sed -n -E 's/^[[:space:]#]*(not ok|ok) [0-9]+ *(.*)$/\1 \2/p' "$_log" |
			sed -E 's/ # (SKIP|skip).*/ # SKIP/; s/[0-9]+/N/g; s/[[:space:]]*$//' |
			sed "s|^|$1/$2 |"
	} >>"$3"
}

# run_all RESULTFILE [LIST]: every program of LIST (default: all).
run_all() {
	: >"$1"
	while read -r _d _p; do
		run_one "$_d" "$_p" "$1"
	done <"${2:-$LIST}"
}

# results PROG FILE: the lines of one program, as a single sorted string
results() { grep "^$1 " "$2" | sort | tr '\n' '|'; }

why=""
[ -s "$LIST" ] || why="no selftests in this guest ($LIST)"
[ -n "${ag_no_selftests:-}" ] && why="not on this kernel (ag_no_selftests: too slow here)"
if [ -n "$why" ]; then
	for i in 1 2 3 4 5 6 7 8; do
		skip "selftests step $i" "$why"
	done
	exit 0
fi
NPROG=$(wc -l <"$LIST")
# mm/mremap_test maps 2 GiB regions (shared, so counted in full) and
# touches a few MiB of each: the heuristic overcommit refuses them in a
# guest of 1 GiB without swap. Always overcommit while the programs run.
OVERCOMMIT=$(cat /proc/sys/vm/overcommit_memory)
echo 1 >/proc/sys/vm/overcommit_memory

# --- without aiguard -------------------------------------------------------
t "aiguard unloads for the run without it" "unload_when_free 60 && ! loaded"
# a zombie's /proc/PID/net cannot be read (EINVAL), which proc/read
# asserts never happens: the guest's PID 1 reaps every orphan
echo "# zombies in /proc before the runs: $(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)"
run_all "$TMP/off"
# why each program that fails without aiguard fails: the end of its output
grep ' exit=' "$TMP/off" | grep -v ' exit=0$' | while read -r _dp _rc; do
	_l=$TMP/log.${_dp%%/*}.${_dp#*/}
	echo "# $_dp ($_rc) without aiguard, what failed:"
	{ grep -E 'not ok|FAIL|Expected|Assertion' "$_l" || grep -v '^[[:space:]]*$' "$_l" | tail -n 4; } 2>/dev/null |
		head -n 8 | cut -c1-160 | sed 's/^/#     /'
done
t "without aiguard: all $NPROG programs ran (none killed by the $TMO s timeout)" \
	"! grep -q 'exit=137\$' '$TMP/off'"
# the walk of all of /proc is the baseline that can see a /proc
# directory aiguard makes unreadable after it opened
# A process that exits while the walk reads its directory (a kworker the
# workqueue retires) fails it too: once, the walk gets a second try, and
# what exited meanwhile is shown.
if ! grep -qx 'proc/read exit=0' "$TMP/off" && grep -q '^proc read$' "$LIST"; then
	echo "# proc/read failed without aiguard; processes that exited while it ran (pid comm): $(tr '\n' ' ' <"$TMP/gone.proc.read")"
	echo "proc read" >"$TMP/procread"
	run_all "$TMP/off.procread" "$TMP/procread"
	echo "# second try: $(grep ' exit=' "$TMP/off.procread"); processes that exited while it ran: $(tr '\n' ' ' <"$TMP/gone.proc.read")"
fi
t "without aiguard: proc/read walks all of /proc and passes" \
	"grep -qx 'proc/read exit=0' '$TMP/off' '$TMP/off.procread' 2>/dev/null"

# --- with aiguard, unrelated processes protected ----------------------------
t "aiguard loads again" "insmod $KO 2>'$OUT' && dev_up"
sleeper S1
sleeper S2
t "unrelated processes protected" \
	"$AG protect --label t-selftests $S1 >'$OUT' 2>&1 &&
	 $AG protect --label t-selftests-2 $S2 >>'$OUT' 2>&1"
run_all "$TMP/on"
t "with aiguard: all $NPROG programs ran (none killed by the $TMO s timeout)" \
	"! grep -q 'exit=137\$' '$TMP/on'"

# --- compare, re-running what differs once in each state --------------------
: >"$TMP/differ"
while read -r d p; do
	[ "$(results "$d/$p" "$TMP/off")" = "$(results "$d/$p" "$TMP/on")" ] ||
		echo "$d $p" >>"$TMP/differ"
done <"$LIST"
if [ -s "$TMP/differ" ]; then
	echo "# differ at first, run again: $(sed 's| |/|' "$TMP/differ" | tr '\n' ' ')"
	# what the first run with aiguard printed, before the rerun overwrites it
	while read -r d p; do
		echo "# $d/$p with aiguard, first run, what failed:"
		{ grep -E 'not ok|FAIL|Assertion' "$TMP/log.$d.$p" || tail -n 4 "$TMP/log.$d.$p"; } 2>/dev/null |
			head -n 6 | cut -c1-160 | sed 's/^/#     /'
		echo "#     processes that exited while it ran (pid comm): $(tr '\n' ' ' <"$TMP/gone.$d.$p")"
	done <"$TMP/differ"
	run_all "$TMP/on2" "$TMP/differ"
	kill -9 "$S1" "$S2" 2>/dev/null
	unload_when_free 60
	run_all "$TMP/off2" "$TMP/differ"
	insmod "$KO" 2>"$OUT" && dev_up
fi
: >"$TMP/bad"
if [ -s "$TMP/differ" ]; then
	while read -r d p; do
		match=0
		for a in off off2; do
			for b in on on2; do
				[ "$(results "$d/$p" "$TMP/$a")" = "$(results "$d/$p" "$TMP/$b")" ] &&
					match=1
			done
		done
		[ $match = 1 ] || echo "$d/$p" >>"$TMP/bad"
	done <"$TMP/differ"
fi
for f in $(cat "$TMP/bad"); do
	echo "# $f without aiguard:"
	grep "^$f " "$TMP/off" "$TMP/off2" 2>/dev/null | sed 's/^/#   /'
	echo "# $f with aiguard:"
	grep "^$f " "$TMP/on" "$TMP/on2" 2>/dev/null | sed 's/^/#   /'
done

# the summary the note quotes: programs and TAP results passed/failed
summary() {
	_p=$(grep -c ' exit=0$' "$1")
	_s=$(grep -c ' exit=4$' "$1")
	_ok=$(grep -v ' exit=' "$1" | grep -v ' # SKIP$' | grep -c '^[^ ]* ok ')
	_nok=$(grep -v ' exit=' "$1" | grep -c '^[^ ]* not ok ')
	echo "$NPROG programs: $_p exit 0, $_s skip, $((NPROG - _p - _s)) fail; TAP results: $_ok ok, $_nok not ok"
}
echo "# without aiguard: $(summary "$TMP/off")"
echo "# with aiguard:    $(summary "$TMP/on")"
grep ' exit=' "$TMP/off" | grep -v ' exit=0$' | sed 's/^/# not passing without aiguard: /'
t "the same results with and without aiguard ($(wc -l <"$TMP/differ") differed at first, $(wc -l <"$TMP/bad") consistently)" \
	"[ ! -s '$TMP/bad' ]"
echo "$OVERCOMMIT" >/proc/sys/vm/overcommit_memory
t "aiguard loaded at the end, as found" "loaded"
