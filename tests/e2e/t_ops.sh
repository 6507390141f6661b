#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of the operations features: the audit stream
# (aiguard events), global and per-process permissive mode, break-glass
# grants (allow/revoke/grants), status counters, and a flood of denials.
# Run as root in the test guest with the module loaded; busybox-sh
# compatible, prints TAP, exits 0, never waits without a bound.
#
# Environment: AIGUARD (the tool, default aiguard from PATH), AG_FLOOD (the
# flood helper; default: flood next to this script, /tests/e2e/flood or
# /usr/bin/flood), AG_OPS_FLOOD_N (default 1000000), AG_OPS_FLOOD_SECONDS
# (flood time limit, default 50: keep the suite under the guest's per-test
# timeout on a slow emulator).
#
# The lock tests are in t_lock.sh: a lock cannot be undone.

. "$(dirname "$0")/lib.sh"
tap_start t_ops 125
MARK=ops$$secret

# bounded_wait PID SECONDS: wait for PID, killing it after SECONDS; the
# exit status lands in WRC (137 when it had to be killed).
bounded_wait() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt $(($2 * 10)) ]; do
		nap 0.1
		_i=$((_i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1"
	WRC=$?
}

# events_json FILE: the whole ring as JSON lines (bounded).
events_json() {
	timeout 60 "$AG" events --json >"$1" 2>"$OUT"
}

# count_ev FILE TYPE TARGET_PID [CALLER_COMM]: records of that kind.
count_ev() {
	if [ -n "${4:-}" ]; then
		grep "\"type\":\"$2\"," "$1" | grep "\"caller\":{[^}]*\"comm\":\"$4\"," |
			grep -c "\"target\":{\"pid\":$3,"
	else
		grep "\"type\":\"$2\"," "$1" | grep -c "\"target\":{\"pid\":$3,"
	fi
}

# status_field NAME: a number from status --json (hooks: ptrace_access).
status_json() { timeout 30 "$AG" status --json >"$TMP/st.json" 2>"$OUT"; }
pa_counter() {	# allowed|denied|audited|granted|missed of ptrace_access
	sed -n "s/.*\"ptrace_access\":{[^}]*\"$1\":\([0-9][0-9]*\).*/\1/p" "$TMP/st.json"
}
top_field() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" "$TMP/st.json"; }

# The strict shape of one "aiguard events --json" line (no python3 here).
S='"([^"\\]|\\.)*"'
L='"[A-Za-z0-9._@-]*"'
EV_RE='^\{"seq":[0-9]+,"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z","time_ns":[0-9]+,"type":"[a-z_]+",("type_nr":[0-9]+,)?"hook":("[a-z_]+"|null),("hook_nr":[0-9]+,)?"detail":[0-9]+,("mode":\[("[a-z]+"(,"[a-z]+")*)?\],)?("version":[0-9]+,)?"caller":\{"pid":[0-9]+,"tgid":[0-9]+,"uid":[0-9]+,"comm":'"$S"',"label":'"$L"'\},"target":\{"pid":[0-9]+,"tgid":[0-9]+,"comm":'"$S"',"label":'"$L"'\},"count":[0-9]+\}$'
# json_lines_ok FILE: non-empty and every line has the shape.
json_lines_ok() {
	[ -s "$1" ] && ! grep -Evq "$EV_RE" "$1"
}

helper_n=0
# start_helper: a process that waits for its go file, then *execs* cat on
# T's environ, so the access is made by the very process (pid) a grant
# names. Sets HP (its pid) and HN (its name).
start_helper() {
	helper_n=$((helper_n + 1))
	HN=h$helper_n
	rm -f "$TMP/go.$HN"
	sh -c 'i=0; while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i + 1)); done; exec cat "/proc/$2/environ"' \
		helper "$TMP/go.$HN" "$T" >"$TMP/$HN.out" 2>&1 &
	HP=$!
	PIDS="$PIDS $HP"
}
# release_helper NAME PID: let it go; WRC is its exit status.
release_helper() {
	: >"$TMP/go.$1"
	bounded_wait "$2" 20
}
helper_read() { tr '\0' '\n' <"$TMP/$1.out" | grep -q "^OPS_MARK=$MARK\$"; }

cleanup() {
	"$AG" permissive off >/dev/null 2>&1
	tap_cleanup
}
trap cleanup EXIT

# --- setup and controls ---------------------------------------------------
sleeper T
sleeper U
rc "status: module reachable" 0 "$AG" status
t "status: enforcing, not locked, hooks running" \
	"grep -q '^mode: enforcing\$' '$OUT.o' && grep -q '^locked: no' '$OUT.o' && ! grep -q CRITICAL '$OUT'"
t "control: root reads an unprotected process's environ" "readable $U"
rc "protect the target" 0 "$AG" protect --label opsA "$T"
wait_protected "$T"

# --- one denial, one DENY record -----------------------------------------
status_json
D0=$(pa_counter denied)
t "denial: root cannot read the protected environ" "! readable $T"
status_json
D1=$(pa_counter denied)
t "denial: ptrace_access denied counter +1 (was ${D0:-?}, now ${D1:-?})" \
	"[ -n '$D0' ] && [ -n '$D1' ] && [ \$(($D1 - $D0)) -eq 1 ]"
rc "events --json" 0 events_json "$TMP/ev1"
n=$(count_ev "$TMP/ev1" deny "$T")
t "denial: exactly one DENY record for the target (got $n)" "[ '$n' = 1 ]"
grep "\"type\":\"deny\"," "$TMP/ev1" | grep "\"target\":{\"pid\":$T," >"$TMP/deny1"
cp "$TMP/deny1" "$OUT"
t "DENY record: hook ptrace_access, mode read+fscreds" \
	"grep -q '\"hook\":\"ptrace_access\",\"detail\":[0-9]*,\"mode\":\[\"read\",\"fscreds\"' '$TMP/deny1'"
t "DENY record: caller cat, uid 0, unprotected" \
	"grep -q '\"caller\":{\"pid\":[0-9]*,\"tgid\":[0-9]*,\"uid\":0,\"comm\":\"cat\",\"label\":\"\"}' '$TMP/deny1'"
t "DENY record: target pid, comm and label" \
	"grep -q '\"target\":{\"pid\":$T,\"tgid\":$T,\"comm\":\"sleep\",\"label\":\"opsA\"}' '$TMP/deny1'"
t "control: no DENY record for the unprotected process" "[ \$(count_ev '$TMP/ev1' deny '$U') = 0 ]"
cp "$TMP/ev1" "$OUT"
t "events --json: every line has the strict JSON shape" "json_lines_ok '$TMP/ev1'"
sed -n '$p' "$TMP/deny1" | sed 's/}$//' >"$TMP/broken"
t "control: the shape check rejects a truncated record" "! json_lines_ok '$TMP/broken'"
timeout 60 "$AG" events >"$TMP/evt" 2>"$OUT"
t "events (text): a DENY line for the target" \
	"grep -Eq '^[0-9T:.-]+Z DENY ptrace_access read\+fscreds caller=[0-9]+\(cat\) uid=0 target=$T\(sleep\) label=opsA\$' '$TMP/evt'"
t "events (text): the PROTECT record" "grep -Eq ' PROTECT .*target=$T\(sleep\) label=opsA\$' '$TMP/evt'"

# --- global permissive ----------------------------------------------------
status_json
A0=$(pa_counter audited)
rc "permissive on" 0 "$AG" permissive on
rc "status in permissive mode" 0 "$AG" status
t "status: mode permissive" "grep -q '^mode: permissive' '$OUT.o'"
t "global permissive: root reads the protected environ" "readable $T"
events_json "$TMP/ev2"
n=$(count_ev "$TMP/ev2" audit "$T" cat)
t "global permissive: one AUDIT record for it (got $n)" "[ '$n' = 1 ]"
t "global permissive: no new DENY record" "[ \$(count_ev '$TMP/ev2' deny '$T') = 1 ]"
t "global permissive: a MODE record" "grep -q '\"type\":\"mode\",\"hook\":null,\"detail\":1,' '$TMP/ev2'"
status_json
A1=$(pa_counter audited)
t "global permissive: audited counter +1 (was ${A0:-?}, now ${A1:-?})" \
	"[ -n '$A0' ] && [ -n '$A1' ] && [ \$(($A1 - $A0)) -eq 1 ]"
t "status --json: mode permissive" "grep -q '\"mode\":\"permissive\",\"locked\":false,\"sealed\":false,\"critical\":false' '$TMP/st.json'"
rc "permissive off" 0 "$AG" permissive off
t "control: enforcing again, root is denied" "! readable $T"

# --- per-process permissive -------------------------------------------------
OPS_MARK=$MARK "$AG" exec --permissive --label opsP -- sleep 1000 &
P=$!
PIDS="$PIDS $P"
wait_protected "$P"
# Protected before it execs sleep: until then list shows comm "aiguard".
wait_comm "$P" sleep
rc "list" 0 "$AG" list
t "list: PERMISSIVE marker for the exec --permissive process" \
	"grep -Eq '^$P +opsP +PERMISSIVE +- +sleep\$' '$OUT.o' && grep -Eq '^$T +opsA +enforcing +- +sleep\$' '$OUT.o'"
rc "status PID of the permissive process" 0 "$AG" status "$P"
t "status PID: permissive" "grep -q 'label opsP (permissive' '$OUT.o'"
t "exec --permissive: root reads its environ" "readable $P"
t "control: the enforcing target stays unreadable meanwhile" "! readable $T"
events_json "$TMP/ev3"
t "exec --permissive: one AUDIT record for it" "[ \$(count_ev '$TMP/ev3' audit '$P' cat) = 1 ]"
t "exec --permissive: no DENY record for it" "[ \$(count_ev '$TMP/ev3' deny '$P') = 0 ]"
OPS_MARK=$MARK sleep 1000 &
Q=$!
PIDS="$PIDS $Q"
rc "protect --permissive a running process" 0 "$AG" protect --permissive --label opsQ "$Q"
t "protect --permissive: root reads its environ" "readable $Q"

# --- grants ----------------------------------------------------------------
status_json
G0=$(pa_counter granted)
start_helper; H1=$HP; N1=$HN
start_helper; H2=$HP; N2=$HN
rc "allow the first helper" 0 "$AG" allow --tracer "$H1" --target "$T" --ttl 60
GID=$(cat "$OUT.o")
t "allow prints a grant id" "echo '$GID' | grep -Eqx '[0-9]+'"
rc "grants" 0 "$AG" grants
t "grants: lists tracer and target" "grep -Eq '^$GID +$H1 +[^ ]+ +$T +sleep +[0-9]+s +0\$' '$OUT.o'"
rc "grants --json" 0 "$AG" grants --json
t "grants --json: shape" \
	"grep -Eq '^\{\"total\":[0-9]+,\"grants\":\[.*\{\"id\":$GID,\"tracer_pid\":$H1,\"tracer_comm\":$S,\"target_pid\":$T,\"target_comm\":\"sleep\",\"ttl_left_sec\":[0-9]+,\"uses\":0\}.*\]\}\$' '$OUT.o'"
release_helper "$N1" "$H1"
cp "$TMP/$N1.out" "$OUT"
t "grant: the named tracer reads the environ (exit $WRC)" "[ $WRC -eq 0 ] && helper_read $N1"
release_helper "$N2" "$H2"
cp "$TMP/$N2.out" "$OUT"
t "grant: another process is still denied (exit $WRC)" "[ $WRC -ne 0 ] && ! helper_read $N2"
t "control: root's own cat is still denied" "! readable $T"
events_json "$TMP/ev4"
t "grant: a GRANT_USED record for the tracer" \
	"grep '\"type\":\"grant_used\",' '$TMP/ev4' | grep '\"caller\":{\"pid\":$H1,' | grep -q '\"target\":{\"pid\":$T,'"
t "grant: GRANT_ADD record" "grep '\"type\":\"grant_add\",' '$TMP/ev4' | grep -q '\"count\":$GID}'"
status_json
G1=$(pa_counter granted)
t "grant: granted counter +1 (was ${G0:-?}, now ${G1:-?})" \
	"[ -n '$G0' ] && [ -n '$G1' ] && [ \$(($G1 - $G0)) -eq 1 ]"

start_helper; H3=$HP; N3=$HN
rc "allow with --ttl 2" 0 "$AG" allow --tracer "$H3" --target "$T" --ttl 2
G3=$(cat "$OUT.o")
sleep 3
rc "grants after the ttl" 0 "$AG" grants --json
t "ttl: the expired grant is gone" "! grep -q '\"id\":$G3,' '$OUT.o'"
release_helper "$N3" "$H3"
cp "$TMP/$N3.out" "$OUT"
t "ttl: after expiry the tracer is denied (exit $WRC)" "[ $WRC -ne 0 ] && ! helper_read $N3"

start_helper; H4=$HP; N4=$HN
rc "allow, to revoke" 0 "$AG" allow --tracer "$H4" --target "$T" --ttl 60
G4=$(cat "$OUT.o")
rc "revoke" 0 "$AG" revoke "$G4"
release_helper "$N4" "$H4"
cp "$TMP/$N4.out" "$OUT"
t "revoke: the tracer is denied (exit $WRC)" "[ $WRC -ne 0 ] && ! helper_read $N4"
rc "revoke again: no such grant" 8 "$AG" revoke "$G4"
# --- a tracer does not outlive its permission -----------------------------
# ptrace is checked at attach only: when a grant ends or permissive mode
# goes off, a tracer it let in must go too.
# evicted FILE TRACER: an EVICT record names TRACER as caller, T as target.
evicted() {
	grep '"type":"evict",' "$1" | grep "\"caller\":{\"pid\":$2," | grep -q "\"target\":{\"pid\":$T,"
}
start_tracer "$U"
TU=$TR
t "control: a tracer attaches to an unprotected process" "attach_tracer $TRN"
# granted_then_revoked KIND WHO HOW: hold KIND on T, let in by a grant,
# alive while the grant lives and killed when it is revoked; sets W (its
# pid).
granted_then_revoked() {
	start_tracer "$T" "$1"
	W=$TR
	rc "allow $2" 0 "$AG" allow --tracer "$W" --target "$T" --ttl 60
	_g=$(cat "$OUT.o")
	t "grant: $2 $3 the protected process" "attach_tracer $TRN"
	t "grant: $2 is alive while its grant lives" "sleep 1; ! gone $W"
	rc "revoke $2's grant" 0 "$AG" revoke "$_g"
	t "revoke: $2 is killed" "gone_within $W 3"
}
granted_then_revoked ptrace "tracer A" "attaches to"
TA=$W
start_tracer "$U" perf
PU=$TR
t "control: a perf event opened on an unprotected process" "attach_tracer $TRN"
granted_then_revoked perf "perf event owner D" "opens a perf event on"
PD=$W
t "control: the unprotected process's perf event owner survived" "! gone $PU"
kill "$PU" 2>/dev/null
# protected_after KIND WHO LABEL: hold KIND on a new process S, which is
# then protected as LABEL; sets W (the holder's pid) and S.
protected_after() {
	sleeper S
	start_tracer "$S" "$1"
	W=$TR
	t "control: $2 holds a $1 on a process not protected yet" "attach_tracer $TRN"
	rc "protect that process" 0 "$AG" protect --label "$3" "$S"
	t "protect: $2, an outsider now, is killed" "gone_within $W 3"
}
protected_after perf "perf event owner E" opsE
PE=$W
X=$S
start_tracer "$T"
TB=$TR
NB=$TRN
rc "allow tracer B for 3 s" 0 "$AG" allow --tracer "$TB" --target "$T" --ttl 3
t "grant: tracer B attaches" "attach_tracer $NB"
t "expiry: tracer B is killed within seconds of its grant's end" "gone_within $TB 8"
# permitted_then_ended KIND WHO HOW: hold KIND on T in permissive mode,
# killed when it goes off; sets W (its pid).
permitted_then_ended() {
	start_tracer "$T" "$1"
	W=$TR
	rc "permissive on, for $2" 0 "$AG" permissive on
	t "permissive: $2 $3 the protected process without a grant" "attach_tracer $TRN"
	rc "permissive off" 0 "$AG" permissive off
	t "permissive off: $2 is killed" "gone_within $W 3"
}
permitted_then_ended ptrace "tracer C" "attaches to"
TC=$W
# An open /proc/PID/environ or maps keeps reading the mm it was opened
# on: its holder goes when the permission that let it open ends.
start_tracer "$U" environ
FU=$TR
t "control: an unprotected process's environ is held open and read" "attach_tracer $TRN"
granted_then_revoked environ "reader F, holding environ open," "opens and reads the environ of"
FA=$W
permitted_then_ended maps "reader G, holding maps open," "opens and reads the maps of"
FG=$W
protected_after environ "reader H" opsY
FH=$W
Y=$S
t "control: the unprotected process's environ holder survived" "! gone $FU"
t "control: the unprotected process's tracer survived all of it" "! gone $TU"
events_json "$TMP/ev-evict"
t "EVICT records name tracers A, B and C, and perf owner D" \
	"evicted '$TMP/ev-evict' $TA && evicted '$TMP/ev-evict' $TB && evicted '$TMP/ev-evict' $TC && evicted '$TMP/ev-evict' $PD"
t "an EVICT record names perf owner E, with the process protected after it" \
	"grep '\"type\":\"evict\",\"hook\":\"perf_event\",' '$TMP/ev-evict' | grep '\"caller\":{\"pid\":$PE,' | grep -q '\"target\":{\"pid\":$X,'"
t "D's EVICT record is under the perf_event hook" \
	"grep '\"type\":\"evict\",\"hook\":\"perf_event\",' '$TMP/ev-evict' | grep -q '\"caller\":{\"pid\":$PD,'"
t "no EVICT record for the unprotected process's tracer" \
	"! grep '\"type\":\"evict\",' '$TMP/ev-evict' | grep -q '\"caller\":{\"pid\":$TU,'"
t "EVICT records name readers F, G and H, under ptrace_access" \
	"grep '\"type\":\"evict\",\"hook\":\"ptrace_access\",' '$TMP/ev-evict' >'$TMP/ev-pa' && evicted '$TMP/ev-pa' $FA && evicted '$TMP/ev-pa' $FG && grep '\"caller\":{\"pid\":$FH,' '$TMP/ev-pa' | grep -q '\"target\":{\"pid\":$Y,'"
t "no EVICT record for the unprotected process's environ holder" \
	"! grep '\"type\":\"evict\",' '$TMP/ev-evict' | grep -q '\"caller\":{\"pid\":$FU,'"
kill "$FU" 2>/dev/null
kill "$TU" 2>/dev/null
rc "allow for an unprotected target" 8 "$AG" allow --tracer $$ --target "$U"
rc "allow --ttl 0: usage" 2 "$AG" allow --tracer $$ --target "$T" --ttl 0

# --- status --json shape ----------------------------------------------------
rc "status --json" 0 "$AG" status --json
t "status --json: strict shape" \
	"grep -Eq '^\{\"abi_version\":3,\"label_max\":32,\"protected\":[0-9]+,\"pending\":[0-9]+,\"mode\":\"enforcing\",\"locked\":false,\"sealed\":false,\"critical\":false,\"state\":[0-9]+,\"events\":[0-9]+,\"events_dropped\":[0-9]+,\"ring_size\":[0-9]+,\"sampling_events\":[0-9]+,\"cleared_pages\":[0-9]+,\"unchecked_bpf_programs\":[0-9]+,\"objects\":[0-9]+,\"kernel_lockdown\":(null|\"[a-z]+\"),\"grants\":\[.*\],\"hooks\":\{(\"[a-z_]+\":\{\"allowed\":[0-9]+,\"denied\":[0-9]+,\"audited\":[0-9]+,\"granted\":[0-9]+,\"missed\":[0-9]+\},?)+\}\}\$' '$OUT.o'"

# --- kprobes/enabled: refused while aiguard is loaded ----------------------
# Writing 0 there disarms every kprobe, aiguard's too: every protection
# would be open until it is written 1 again, and a /proc/PID/environ or
# maps opened meanwhile would keep reading afterwards. So every write is
# refused while aiguard is loaded (t_load.sh has the control without it).
# A reader keeps trying the protected process's environ and maps and a
# control's environ while root keeps trying to switch kprobes off.
KPE=/sys/kernel/debug/kprobes/enabled
# kprobe_denials FILE: DENY records of writes to kprobes/enabled.
kprobe_denials() {
	grep -c '"type":"deny","hook":"locked_down",' "$1"
}
if [ -e "$KPE" ]; then
	events_json "$TMP/kp0"
	K0=$(kprobe_denials "$TMP/kp0")
	sleeper KC
	i=0 switched=0 leaked=0 ctl=0
	while [ $i -lt 20 ]; do
		sh -c "echo 0 > $KPE" 2>/dev/null && switched=$((switched + 1))
		cat /proc/"$T"/environ >/dev/null 2>&1 && leaked=$((leaked + 1))
		cat /proc/"$T"/maps >/dev/null 2>&1 && leaked=$((leaked + 1))
		readable "$KC" && ctl=$((ctl + 1))
		i=$((i + 1))
	done
	t "kprobes/enabled: 20 writes of 0 while aiguard is loaded, all refused ($switched went through)" \
		"[ $switched -eq 0 ]"
	t "kprobes/enabled: a write of 1 is refused too" "! sh -c 'echo 1 > $KPE' 2>'$OUT'"
	t "kprobes/enabled: kprobes stay enabled (now $(cat $KPE))" "[ \"\$(cat $KPE)\" = 1 ]"
	t "kprobes/enabled: the protected process's environ and maps never opened meanwhile ($leaked)" \
		"[ $leaked -eq 0 ]"
	t "kprobes/enabled: the control's environ read every time ($ctl of 20)" "[ $ctl -eq 20 ]"
	events_json "$TMP/kp1"
	K1=$(kprobe_denials "$TMP/kp1")
	t "kprobes/enabled: each refusal left a DENY record under locked_down (${K0:-?} -> ${K1:-?})" \
		"[ \"\${K1:-0}\" -gt \"\${K0:-0}\" ]"
	rc "kprobes/enabled: status afterwards" 0 "$AG" status --json
	t "kprobes/enabled: status is not critical afterwards" "grep -q '\"critical\":false' '$OUT.o'"
	t "kprobes/enabled: hooks fire, protection holds" "! readable $T"
else
	for n in "writes of 0 refused" "write of 1 refused" "kprobes stay enabled" "no read meanwhile" \
		"control reads" "DENY record" "status" "not critical afterwards" "protection holds"; do
		skip "kprobes/enabled: $n" "no $KPE"
	done
fi

# --- ftrace_enabled: switching ftrace (and ftrace-based kprobes) off -------
FTE=/proc/sys/kernel/ftrace_enabled
if [ -e "$FTE" ]; then
	t "kernel.ftrace_enabled=0 is refused while aiguard is loaded" "! sh -c 'echo 0 > $FTE' 2>'$OUT'"
	t "ftrace stays enabled" "[ \"\$(cat $FTE)\" = 1 ]"
else
	skip "kernel.ftrace_enabled=0 is refused while aiguard is loaded" "no $FTE"
	skip "ftrace stays enabled" "no $FTE"
fi

# --- a forced unload of aiguard is refused, locked or not ----------------
# It would free the module under open /dev/aiguard files (this events
# reader) and the module references of protected processes.
"$AG" events --follow --json >"$TMP/fu" 2>/dev/null &
FR=$!
PIDS="$PIDS $FR"
nap 1
SIGNED=/lib/aiguard/signed/dummy.ko
if [ -f "$SIGNED" ] && insmod "$SIGNED" 2>"$OUT"; then
	t "control: a forced unload of another module works (rmmod -f dummy)" "rmmod -f dummy 2>'$OUT'"
else
	skip "control: a forced unload of another module works (rmmod -f dummy)" "no signed dummy.ko for this kernel"
fi
FU0=$(grep -c '"type":"deny","hook":"locked_down",' "$TMP/fu")
t "rmmod -f aiguard is refused while an events reader holds /dev/aiguard" \
	"! rmmod -f aiguard 2>'$OUT' && [ -d /sys/module/aiguard ] && [ -e /dev/aiguard ]"
t "the reader lives on and got a DENY record for it" \
	"nap 1; kill -0 $FR && [ \$(grep -c '\"type\":\"deny\",\"hook\":\"locked_down\",' '$TMP/fu') -gt $FU0 ]"
kill "$FR" 2>/dev/null

# --- flood ------------------------------------------------------------------
FLOOD=${AG_FLOOD:-}
for f in "$(dirname "$0")/flood" /tests/e2e/flood /usr/bin/flood; do
	[ -z "$FLOOD" ] && [ -x "$f" ] && FLOOD=$f
done
FN=${AG_OPS_FLOOD_N:-1000000}
FS=${AG_OPS_FLOOD_SECONDS:-50}
if [ -z "$FLOOD" ]; then
	for name in "flood: every attempt refused" "flood: denied counter grew by exactly the attempts" \
		"flood: events_dropped grew" "flood: a reader that fell behind gets a DROPPED record" \
		"flood: the stopped reader exits 0 on SIGTERM" "flood: events still works afterwards"; do
		skip "$name" "flood helper not staged (tests/e2e/Makefile builds it)"
	done
else
	# A reader that drained the ring, then stops reading during the flood.
	: >"$TMP/follow"
	"$AG" events --follow --json >"$TMP/follow" 2>"$TMP/follow.err" &
	R=$!
	PIDS="$PIDS $R"
	last=-1; i=0
	while [ $i -lt 50 ]; do	# until its output stops growing
		nap 0.2
		now=$(wc -c <"$TMP/follow")
		[ "$now" = "$last" ] && break
		last=$now; i=$((i + 1))
	done
	kill -STOP "$R"
	status_json
	D0=$(pa_counter denied); X0=$(top_field events_dropped); RS=$(top_field ring_size)
	timeout $((FS + 30)) "$FLOOD" "$T" "$FN" "$FS" >"$OUT" 2>&1
	frc=$?
	FA=$(sed -n 's/^flood: attempts=\([0-9]*\) .*/\1/p' "$OUT")
	echo "# $(cat "$OUT")"
	t "flood: every attempt refused (exit $frc, ${FA:-?} attempts)" "[ $frc -eq 0 ] && [ -n '$FA' ]"
	status_json
	D1=$(pa_counter denied); X1=$(top_field events_dropped)
	echo "# denied ${D0:-?} -> ${D1:-?}, events_dropped ${X0:-?} -> ${X1:-?}, ring_size ${RS:-?}"
	t "flood: denied counter grew by exactly the attempts" \
		"[ -n '$FA' ] && [ -n '$D0' ] && [ -n '$D1' ] && [ \$(($D1 - $D0)) -eq $FA ]"
	if [ -n "$FA" ] && [ -n "$RS" ] && [ "$FA" -gt "$RS" ]; then
		t "flood: events_dropped grew" "[ -n '$X0' ] && [ -n '$X1' ] && [ $X1 -gt $X0 ]"
	else
		skip "flood: events_dropped grew" "${FA:-?} attempts do not overflow a ring of ${RS:-?}"
	fi
	kill -CONT "$R"
	last=-1; i=0
	while [ $i -lt 100 ]; do
		nap 0.2
		now=$(wc -c <"$TMP/follow")
		[ "$now" = "$last" ] && break
		last=$now; i=$((i + 1))
	done
	grep '"type":"dropped",' "$TMP/follow" | tail -1 >"$OUT"
	if [ -n "$FA" ] && [ -n "$RS" ] && [ "$FA" -gt "$RS" ]; then
		t "flood: a reader that fell behind gets a DROPPED record" \
			"grep -Eq '\"count\":[1-9][0-9]*\}\$' '$OUT'"
	else
		skip "flood: a reader that fell behind gets a DROPPED record" "no overflow"
	fi
	kill -TERM "$R"
	bounded_wait "$R" 10
	cp "$TMP/follow.err" "$OUT"
	t "flood: the stopped reader exits 0 on SIGTERM (exit $WRC)" "[ $WRC -eq 0 ]"
	start=$(date +%s)
	timeout 60 "$AG" events --json >"$TMP/ev5" 2>"$OUT"
	erc=$?
	echo "# events after the flood: $(wc -l <"$TMP/ev5") records in $(($(date +%s) - start)) s"
	t "flood: events still works afterwards (exit $erc)" \
		"[ $erc -eq 0 ] && tail -1 '$TMP/ev5' | grep -q '\"caller\":{[^}]*\"comm\":\"flood\"'"
fi

exit 0
