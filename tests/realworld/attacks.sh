#!/bin/bash
# The realworld attack suite. Runs as root INSIDE the QEMU guest.
#
# Starts the toy inference server (serve.py) twice, as the same service
# user: "control" (plain setpriv) and "protected" (aiguard exec --label demo),
# runs every attack of attacks.list against both and greps everything an
# attack produced (stdout, stderr, files, core files, perf.data) for the
# server's canaries: the weights canary, the API key, the model id and the
# prompt canary that the monitoring rows send over HTTPS.
#
# Rows marked "bystander" in attacks.list (tools that watch the whole
# machine: uprobes, BPF, trace events) run against the protected server
# with a second, unprotected server beside it (same program, same user,
# its own canaries): the tool must still capture that one
# (C|<attack>_unprotected_still_traced|protected|...).
#
# stdout carries machine-readable lines for the host (report.sh):
#   R|<attack>|<control|protected>|<leaked|blocked>|<canaries found>|<detail>
#   C|<check>|<control|protected>|<ok|fail>|<detail>
#   # comment
# Progress goes to stderr (the console).
set -u
RW=$(cd "$(dirname "$0")" && pwd)
AG=${AG_TOOL:-/overlay/aiguard}
STATE=/run/aiguard-demo
OUT=/tmp/out
SVC=svc
H="python3 $RW/attack_helpers.py"
TARGETS=${RW_TARGETS:-control protected containers}
ATTACKS=${RW_ATTACKS:-$(grep -v '^#' "$RW/attacks.list" | cut -d'|' -f1)}
TARGETS=${TARGETS//,/ } ATTACKS=${ATTACKS//,/ }
BYSTANDER_ROWS=" $(awk -F'|' '!/^#/ && $3 == "bystander" {print $1}' "$RW/attacks.list" | xargs) "
TRACING=/sys/kernel/tracing
LIBC=/lib/x86_64-linux-gnu/libc.so.6
LIBSSL=/usr/lib/x86_64-linux-gnu/libssl.so.3

log() { echo "attacks: $*" >&2; }
clean() { tr -d '|\r' | tr '\n\t' '  ' | cut -c1-150; }
emit_r() { printf 'R|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$(printf '%s' "$5" | clean)"; }
emit_c() { printf 'C|%s|%s|%s|%s\n' "$1" "$2" "$3" "$(printf '%s' "$4" | clean)"; }

mkdir -p "$STATE" "$OUT" /var/crash
chown "$SVC:$SVC" "$STATE"
chmod 1777 /var/crash
mountpoint -q /var/crash || mount -t tmpfs -o mode=1777 tmpfs /var/crash
[ -d "$TRACING/events" ] || mount -t tracefs tracefs "$TRACING" 2>/dev/null ||
	log "cannot mount tracefs on $TRACING"

# the servers' TLS certificate (self-signed, made per run; clients check it)
CERT=$STATE/tls-cert.pem KEY=$STATE/tls-key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -keyout "$KEY" -out "$CERT" >"$STATE/openssl.log" 2>&1 ||
	log "openssl req failed: $(tail -n 3 "$STATE/openssl.log" | tr '\n' ' ')"
chown "$SVC:$SVC" "$KEY" "$CERT"
chmod 600 "$KEY"

rnd() { head -c 10 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
declare -A CW CK CM CP
for t in control protected bystander; do
	CW[$t]=AIGUARD-WEIGHTS-CANARY-$(rnd)
	CK[$t]=AIGUARD-APIKEY-CANARY-$(rnd)
	CM[$t]=AIGUARD-MODEL-$(rnd)
	CP[$t]=AIGUARD-PROMPT-CANARY-$(rnd)  # sent by the clients, over TLS
done

alive() { # pid: running (not gone, not a zombie)
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

wait_gone() { # pid seconds
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		alive "$1" || return 0
		sleep 0.2
	done
	return 1
}

# spawn_server TARGET: starts serve.py as user svc, under "aiguard exec
# --label demo" for the target "protected", plainly otherwise; waits for its
# info file. Sets SJOB (the job) and S_* (the info file, see serve.py).
spawn_server() {
	local t=$1 d=/srv/svc/$1 info=$STATE/$1.json
	mkdir -p "$d"
	chown "$SVC:$SVC" "$d"
	rm -f "$info" "$STATE/$t.sock"
	python3 "$RW/serve.py" --make-weights "$d/${CM[$t]}.bin" --canary "${CW[$t]}" --model-id "${CM[$t]}"
	chown "$SVC:$SVC" "$d/${CM[$t]}.bin"
	local env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/srv/svc LANG=C.UTF-8 "AIGUARD_API_KEY=${CK[$t]}")
	local srv=(python3 "$RW/serve.py" --weights "$d/${CM[$t]}.bin" --socket "$STATE/$t.sock" --info "$info" --unlink
		--tls-cert "$CERT" --tls-key "$KEY")
	(
		cd /srv/svc || exit 1
		ulimit -c unlimited
		if [ "$t" = protected ]; then
			exec "${env[@]}" "$AG" exec --label demo --user "$SVC" -- "${srv[@]}"
		else
			exec "${env[@]}" setpriv --reuid="$SVC" --regid="$SVC" --init-groups -- "${srv[@]}"
		fi
	) >>"$STATE/$t.log" 2>&1 &
	SJOB=$!
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$info" ] && break
		if ! kill -0 "$SJOB" 2>/dev/null; then
			log "$t server exited at start: $(tail -n 3 "$STATE/$t.log" | tr '\n' ' ')"
			return 1
		fi
		sleep 0.2
	done
	[ -s "$info" ] || { log "$t server did not come up"; return 1; }
	eval "$($H vars "$info")"
	return 0
}

SERVER_JOB=
start_server() { # target
	stop_server
	spawn_server "$1" || return 1
	SERVER_JOB=$SJOB
	PID=$S_PID CHILD=$S_CHILD ADDR=$S_ADDR SIZE=$S_SIZE WFD=$S_WEIGHTS_FD MFD=$S_MEMFD SOCK=$S_SOCKET PORT=$S_HTTPS_PORT
	KV_PREFIX=$S_KV_PREFIX KV_HASH=$S_KV_HASH RING=$S_RING TENSOR=$S_TENSOR
	log "$1 server: pid $PID worker $CHILD weights at $(printf 0x%x "$ADDR") fds $WFD/$MFD https port $PORT"
	return 0
}

# the unprotected server beside the protected one (rows marked bystander)
BY_JOB='' BY_PID='' BY_PORT=''
start_bystander() {
	[ -n "$BY_JOB" ] && alive "$BY_PID" && return 0
	stop_bystander
	spawn_server bystander || return 1
	BY_JOB=$SJOB BY_PID=$S_PID BY_PORT=$S_HTTPS_PORT
	log "bystander server (unprotected): pid $BY_PID https port $BY_PORT"
}
stop_bystander() {
	[ -n "$BY_JOB" ] || return 0
	if alive "$BY_PID"; then
		kill -TERM "$BY_PID" 2>/dev/null
		wait_gone "$BY_PID" 10 || kill -KILL "$BY_PID" 2>/dev/null
	fi
	wait "$BY_JOB" 2>/dev/null
	BY_JOB='' BY_PID='' BY_PORT=''
}

stop_server() {
	[ -n "$SERVER_JOB" ] || return 0
	if alive "$PID"; then
		kill -TERM "$PID" 2>/dev/null
		wait_gone "$PID" 10 || kill -KILL "$PID" 2>/dev/null
	fi
	wait "$SERVER_JOB" 2>/dev/null
	SERVER_JOB=
}

# --- the attacks: each runs in its own output directory (cwd) -------------
a_gdb_dump() {
	timeout 180 gdb -p "$PID" -batch -nx -iex 'set debuginfod enabled off' \
		-ex "dump binary memory gdb-dump.bin $ADDR $((ADDR + SIZE))" -ex detach
}
a_gcore() {
	timeout 300 gcore -o gcore "$PID"
}
a_strace() {
	timeout -s INT 60 strace -s 128 -p "$PID" -o strace.txt &
	local st=$! i
	sleep 1
	# requests until strace has seen one served (or has given up)
	for ((i = 0; i < 20; i++)); do
		kill -0 "$st" 2>/dev/null || break
		$H request "$SOCK" 1 >>requests.txt 2>&1
		sleep 0.5
		grep -q pread64 strace.txt 2>/dev/null && break
	done
	kill -INT "$st" 2>/dev/null
	wait "$st"
}
a_proc_environ() { cat "/proc/$PID/environ"; }
a_proc_maps() { cat "/proc/$PID/maps"; }
a_proc_smaps() { cat "/proc/$PID/smaps"; }
a_proc_mem() {
	dd if="/proc/$PID/mem" of=mem.bin bs=64K iflag=skip_bytes,count_bytes skip="$ADDR" count="$SIZE"
}
a_process_vm_readv() { $H vmread "$PID" "$ADDR" "$SIZE" vm.bin; }
a_pidfd_getfd() {
	$H getfd "$PID" "$WFD" getfd-weights.bin
	$H getfd "$PID" "$MFD" getfd-memfd.bin
}
a_proc_fd() {
	cat "/proc/$PID/fd/$WFD" >fd-weights.bin
	cat "/proc/$PID/fd/$MFD" >fd-memfd.bin
	ls -l "/proc/$PID/fd/"
}
a_perf_record() {
	$H load "$SOCK" 8 >load.txt 2>&1 &
	local load=$!
	sleep 2
	timeout 120 perf record -p "$PID" -F 99 --call-graph dwarf,65528 -N -B -o perf.data -- sleep 4
	wait "$load"
}
a_worker_child() {
	dd if="/proc/$CHILD/mem" of=child-mem.bin bs=64K iflag=skip_bytes,count_bytes skip="$ADDR" count="$SIZE"
	cat "/proc/$CHILD/environ"
}
# --- monitoring tools: uprobes, BPF, trace events -------------------------
# They watch the whole machine, so each is aimed at the server(s) by pid
# (the clients are root processes holding the same prompts in plaintext);
# BY_PID is the unprotected bystander in the protected run, empty otherwise.
pids_or() { # field: "field == PID || field == BY_PID"
	echo "$1 == $PID${BY_PID:+ || $1 == $BY_PID}"
}
drive_args() { # ROUNDS: attack_helpers.py drive arguments for both servers
	echo "$CERT $1 $PORT ${CP[$T]}${BY_PID:+ $BY_PORT ${CP[bystander]}}"
}
# obs_drive FILE: HTTPS prompts to the server(s), a second apart, until the
# tool's live output FILE shows the target's prompt (captured), or shows
# the bystander's and 3 more rounds went by (the tool works, the target
# stayed dark); at most 20 rounds.
obs_drive() {
	local f=$1 i after=0
	for ((i = 0; i < 20; i++)); do
		# shellcheck disable=SC2046
		$H drive $(drive_args 1) >>requests.txt 2>&1
		grep -qaF -- "${CP[$T]}" "$f" 2>/dev/null && return 0
		if [ -n "$BY_PID" ] && grep -qaF -- "${CP[bystander]}" "$f" 2>/dev/null; then
			after=$((after + 1))
			[ "$after" -gt 3 ] && return 0
		fi
	done
	echo "obs_drive: 20 rounds, nothing captured in $f" >&2
}
# bpftrace_run FILE PROGRAM: runs bpftrace in the background, waits for its
# BEGIN line (probes attached), drives requests, stops it with SIGINT.
bpftrace_run() {
	local f=$1 prog=$2 bt i
	# str() reads BPFTRACE_STRLEN bytes (at most 200 in bpftrace 0.17): the
	# prompt comes after ~100 bytes of HTTP headers in SSL_read_ex's buffer
	BPFTRACE_STRLEN=200 timeout -s INT 400 bpftrace -B line -e "$prog" >"$f" 2>bpftrace.err &
	bt=$!
	for ((i = 0; i < 1200; i++)); do # bpftrace compiles with LLVM: slow under TCG
		grep -q AIG-READY "$f" 2>/dev/null && break
		kill -0 "$bt" 2>/dev/null || break
		sleep 0.2
	done
	echo "bpftrace ready after $((i / 5)) s"
	if grep -q AIG-READY "$f"; then obs_drive "$f"; fi
	kill -INT "$bt" 2>/dev/null
	# bpftrace should exit within seconds of SIGINT; on 6.12 it sometimes
	# lingers until its timeout: say where its threads wait in the kernel
	for ((i = 0; i < 100; i++)); do
		kill -0 "$bt" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$bt" 2>/dev/null; then
		local t btpid
		btpid=$(pgrep -n -x bpftrace)
		for t in /proc/$btpid/task/*; do
			echo "bpftrace still running 20 s after SIGINT: $t: $(cat "$t/wchan" 2>/dev/null)" >&2
			cat "$t/stack" >&2 2>/dev/null
		done
		# what it captured is already in $f (-B line): the verdict does
		# not need its exit, and the row must not wait out the timeout
		echo "bpftrace: SIGKILL after 20 s" >&2
		kill -KILL "$btpid" 2>/dev/null
	fi
	wait "$bt"
	cat bpftrace.err >&2
	obs_detail "bpftrace printed $(grep -c ' pid [0-9]*' "$f") captures"
}
# obs_detail WHAT: the blocked cell's text (used only if nothing leaked)
obs_detail() {
	echo "$1, none with the prompt sent to pid $PID" >detail
}
a_sslsniff() { # what sslsniff hooks in libssl, for the calls Python 3.11 makes
	bpftrace_run capture.txt "
BEGIN { printf(\"AIG-READY\\n\"); }
uprobe:$LIBSSL:SSL_read_ex /$(pids_or pid)/ { @buf[tid] = arg1; }
uretprobe:$LIBSSL:SSL_read_ex /@buf[tid]/ {
	if (retval == 1) { printf(\"SSL_read_ex pid %d: %s\\n\", pid, str(@buf[tid])); }
	delete(@buf[tid]);
}
uprobe:$LIBSSL:SSL_write_ex /$(pids_or pid)/ { printf(\"SSL_write_ex pid %d: %s\\n\", pid, str(arg1, arg2)); }
END { clear(@buf); }"
}
a_bpftrace_write() {
	bpftrace_run capture.txt "BEGIN { printf(\"AIG-READY\\n\"); }
uprobe:$LIBC:write /$(pids_or pid)/ { printf(\"write pid %d fd %d: %s\\n\", pid, arg0, str(arg1)); }"
}
a_perf_probe() {
	perf probe -q -d 'probe_libc:*' >/dev/null 2>&1
	# named: perf record's event parser rejects "probe_libc:write"
	perf probe -x "$LIBC" --add 'libc_write=write buf=+0(%si):string' || return
	# perf.data's header keeps perf's command line: the workload gets the
	# prompts through the environment, or the file would hold the canary
	# whatever the probe caught
	DRIVE_H=$H DRIVE_ARGS=$(drive_args 6)
	export DRIVE_H DRIVE_ARGS
	# shellcheck disable=SC2016
	timeout -s INT 300 perf record -e probe_libc:libc_write --filter "$(pids_or common_pid)" -a -B -o perf.data \
		-- sh -c '$DRIVE_H drive $DRIVE_ARGS' >requests.txt
	unset DRIVE_H DRIVE_ARGS
	timeout 300 perf script -i perf.data -F comm,pid,event,trace >perf-script.txt
	obs_detail "perf script: $(grep -c 'probe_libc:libc_write' perf-script.txt) probe_libc:libc_write samples"
	perf probe -q -d 'probe_libc:*'
}
tracefs_run() { # EVENT DEFINITION FILE: define EVENT, filter it on the servers, drive, read
	local ev=$1 def=$2 file=$3
	echo "-:$ev" >>"$TRACING/$file" 2>/dev/null
	echo "$def" >>"$TRACING/$file" || return
	cat "$TRACING/$file"
	# one write(2): the filter must hold before the event is enabled, or the
	# trace also catches this script's own writes
	local filter
	filter=$(pids_or common_pid)
	echo "$filter" >"$TRACING/events/$ev/filter"
	if [ "$(cat "$TRACING/events/$ev/filter")" != "$filter" ]; then
		echo "cannot filter $ev on the servers: $(cat "$TRACING/events/$ev/filter") $(tail -n 2 "$TRACING/error_log")" >&2
		echo "-:$ev" >>"$TRACING/$file"
		return 1
	fi
	echo >"$TRACING/trace"
	echo 1 >"$TRACING/events/$ev/enable"
	# shellcheck disable=SC2046
	$H drive $(drive_args 5) >requests.txt
	echo 0 >"$TRACING/events/$ev/enable"
	cat "$TRACING/trace" >trace.txt
	obs_detail "trace: $(grep -c " ${ev#*/}: " trace.txt) ${ev} events"
	echo "-:$ev" >>"$TRACING/$file"
}
# regs->si of the syscall's user pt_regs (x86-64: di 112, si 104, dx 96):
# write(2)'s buffer, read as a user string
a_tracefs_kprobe() {
	tracefs_run aig/w 'p:aig/w __x64_sys_write fd=+112(%di):s32 buf=+0(+104(%di)):ustring' kprobe_events
}
a_uprobe_events() { # the same probe perf probe makes, written to tracefs by hand
	local off
	off=$($H elfoff "$LIBC" write) || return
	tracefs_run aig/u "p:aig/u $LIBC:$off fd=%di:s32 buf=+0(%si):string" uprobe_events
}

core_attack() { # signal pattern
	local sig=$1 pattern=$2 pid=$PID i prev=-1 cur
	rm -rf /var/crash/*
	sysctl -q -w fs.suid_dumpable=2 kernel.core_pipe_limit=4
	echo "$pattern" >/proc/sys/kernel/core_pattern
	echo "core_pattern=$(cat /proc/sys/kernel/core_pattern) suid_dumpable=$(cat /proc/sys/fs/suid_dumpable) RLIMIT_CORE=$(prlimit --core -o SOFT --noheadings -p "$pid")"
	kill "-$sig" "$pid"
	wait_gone "$pid" 120 || echo "server still alive 120 s after SIG$sig"
	for ((i = 0; i < 60; i++)); do # until the core files stop growing
		cur=$(du -sb /var/crash | cut -f1)
		[ "$cur" = "$prev" ] && break
		prev=$cur
		sleep 1
	done
	ls -l /var/crash
	if [ -z "$(ls -A /var/crash)" ]; then
		echo "no core file written" >&2
	else
		mv /var/crash/* .
	fi
}
# The server's freed memory: killed (root may kill it), then, once nothing
# is protected and /proc/kcore opens again, all of RAM searched for its
# KV cache block. The scanner knows the block only by its prefix and hash.
a_kcore_after_kill() {
	local pid=$PID i
	kill -KILL "$pid"
	wait_gone "$pid" 60 || echo "server still alive 60 s after SIGKILL"
	# what it left in /dev/shm keeps /proc/kcore closed: cleaned up, as
	# an operator (or systemd's RemoveIPC) would
	rm -f "$RING" "$TENSOR"
	for ((i = 0; i < 100; i++)); do
		"$AG" status --json 2>/dev/null | grep -q '"protected":0,' && break
		[ -x "$AG" ] || break
		sleep 0.2
	done
	$H kcore "$KV_PREFIX" "$KV_HASH" | tee detail
	grep -q '^found' detail && echo "KV-CACHE-FOUND"
}
# The server's objects in /dev/shm: its prompt ring (multiprocessing's
# shared_memory) after a few prompts, and its tensor file.
shm_prompts() { $H drive "$CERT" 3 "$PORT" "${CP[$T]}" >requests.txt 2>&1; }
a_shm_cat() {
	shm_prompts
	ls -l "$RING" "$TENSOR"
	cat "$RING" "$TENSOR" >shm-cat.bin
}
a_shm_dd() {
	dd if="$TENSOR" of=shm-dd.bin bs=64K
}
a_shm_python() {
	shm_prompts
	$H shmread "$RING" shm-python.bin
}
a_core_segv_file() { core_attack SEGV '/var/crash/core.%e.%p'; }
a_core_abrt_pipe() { core_attack ABRT "|$RW/core-helper.sh %p"; }

detail_of() { # dir rc -> one line explaining what the attack saw
	local d=$1 rc=$2 line
	if [ -s "$d/detail" ]; then
		head -n1 "$d/detail"
		return
	fi
	line=$(grep -aihE 'denied|not permitted|permission|error|errno|fail|no such|cannot|can.t|unable|no core' "$d/stderr" "$d/stdout" 2>/dev/null |
		grep -avE '^\s*$|^Error:\s*$' | head -n1)
	[ -n "$line" ] || line=$(grep -avE '^\s*$|^Error:\s*$' "$d/stderr" 2>/dev/null | head -n1)
	echo "${line:-exit status $rc}"
}

run_attack() { # attack target
	local a=$1 t=$2 d=$OUT/$2/$1 rc found="" c
	rm -rf "$d"
	mkdir -p "$d"
	if [ -z "$SERVER_JOB" ] || ! alive "$PID"; then
		log "$t server not running before $a: restarting"
		start_server "$t" || { emit_r "$a" "$t" error "" "server did not start"; return; }
	fi
	local by=
	if [ "$t" = protected ] && [[ $BYSTANDER_ROWS == *" $a "* ]]; then
		by=1
		start_bystander || emit_c "${a}_unprotected_still_traced" "$t" fail "bystander server did not start"
	fi
	log "$t: $a"
	local t0=$SECONDS
	T=$t
	(cd "$d" && "a_$a") >"$d/stdout" 2>"$d/stderr"
	rc=$?
	for c in weights:"${CW[$t]}" apikey:"${CK[$t]}" model-id:"${CM[$t]}" prompt:"${CP[$t]}" kv-cache:KV-CACHE-FOUND; do
		grep -rqaF -- "${c#*:}" "$d" && found="$found${found:+,}${c%%:*}"
	done
	local where
	where=$(grep -rlaF -e "${CW[$t]}" -e "${CK[$t]}" -e "${CM[$t]}" -e "${CP[$t]}" "$d" | sed "s|$d/||" | head -n3 | xargs)
	if [ -n "$found" ]; then
		emit_r "$a" "$t" leaked "$found" "in $where"
	else
		emit_r "$a" "$t" blocked "" "$(detail_of "$d" "$rc")"
	fi
	if [ -n "$by" ] && [ -n "$BY_PID" ]; then
		where=$(grep -rlaF -e "${CP[bystander]}" "$d" | sed "s|$d/||" | head -n3 | xargs)
		if [ -n "$where" ]; then
			emit_c "${a}_unprotected_still_traced" "$t" ok "bystander pid $BY_PID: prompt captured in $where"
		else
			emit_c "${a}_unprotected_still_traced" "$t" fail "bystander pid $BY_PID: prompt not captured: $(detail_of "$d" "$rc")"
		fi
	fi
	log "$t: $a done in $((SECONDS - t0)) s (${found:-nothing leaked}); stderr: $(head -c 300 "$d/stderr" | tr '\n' ' ')"
}

# Monitoring that reads kernel data must keep working beside a protected
# process (aiguard closes user and free memory to reads through kernel
# addresses, and programs that read past a kernel struct, while anything
# is protected). libbpf-tools (CO-RE, BTF) and one bpftrace program that
# reads dentry, sock, sk_buff and task_struct fields, run in turn while
# the server is asked for something. KTOOL_LOG gets their output.
ktool_drive() { # seconds: file opens, execs, TCP to the server
	local end=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$end" ]; do
		cat /etc/hostname >/dev/null
		/bin/true
		$H https "$PORT" "$CERT" plain-prompt 1 >/dev/null 2>&1
		sleep 0.5
	done
}
ktool() { # name want seconds command...: run it, drive, emit a check line
	local name=$1 want=$2 secs=$3 out rc
	shift 3
	out=$OUT/ktool-$name.txt
	timeout -s INT "$secs" "$@" >"$out" 2>&1 &
	local pid=$!
	sleep 2
	ktool_drive $((secs - 3))
	wait "$pid"
	rc=$?
	{ echo "== $name (exit $rc): $*"; cat "$out"; } >>"$KTOOL_LOG"
	# timeout's 124 is the INT it sent; anything else non-zero is the tool's
	if { [ "$rc" = 0 ] || [ "$rc" = 124 ] || [ "$rc" = 130 ]; } && grep -qE -- "$want" "$out"; then
		emit_c "ktool_$name" "$T" ok "$(grep -E -m1 -- "$want" "$out")"
	else
		emit_c "ktool_$name" "$T" fail "exit $rc: $(grep -v '^$' "$out" | tail -n 2)"
	fi
}
ktools() { # target
	local t=$1 f bt i
	T=$t KTOOL_LOG=$OUT/ktools-$t.log
	: >"$KTOOL_LOG"
	ktool opensnoop 'cat +.*hostname' 15 opensnoop
	ktool execsnoop '^true |[[:space:]]true[[:space:]]' 15 execsnoop
	ktool tcplife "[[:space:]]$PORT[[:space:]]" 20 tcplife
	ktool runqlat 'usecs' 15 runqlat 3 1
	ktool biolatency 'Tracing block device I/O' 15 biolatency 3 1
	f=$OUT/ktool-bpftrace.txt
	# once each: the name of a dentry cat opens (a struct path's), a socket's port, an
	# skb's length (a kfunc argument, typed pointers), the current task's comm
	timeout -s INT 400 bpftrace -B line -e '
BEGIN { printf("AIG-READY\n"); }
kprobe:vfs_open /comm == "cat" && !@o/ { @o = 1; $p = (struct path *)arg0; printf("dentry %s\n", str($p->dentry->d_name.name)); }
kprobe:tcp_sendmsg /!@t/ { @t = 1; $sk = (struct sock *)arg0; printf("sock port %d\n", $sk->__sk_common.skc_num); }
kfunc:tcp_v4_rcv /!@r/ { @r = 1; printf("skb len %d\n", args->skb->len); }
tracepoint:sched:sched_switch /!@s/ { @s = 1; printf("task %s\n", curtask->comm); }
END { clear(@o); clear(@t); clear(@r); clear(@s); }' >"$f" 2>&1 &
	bt=$!
	for ((i = 0; i < 1200; i++)); do # LLVM under TCG
		grep -q AIG-READY "$f" 2>/dev/null && break
		kill -0 "$bt" 2>/dev/null || break
		sleep 0.2
	done
	grep -q AIG-READY "$f" && ktool_drive 10
	kill -INT "$bt" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$bt" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$bt" 2>/dev/null
	wait "$bt" 2>/dev/null
	{ echo "== bpftrace"; cat "$f"; } >>"$KTOOL_LOG"
	# cat's first open is ld.so.cache or a library, or /etc/hostname: a
	# name read through dentry->d_name.name either way
	if grep -qE '^dentry [a-z]' "$f" && grep -q "^sock port [1-9]" "$f" &&
	   grep -q '^skb len [1-9]' "$f" && grep -q '^task .' "$f"; then
		emit_c ktool_bpftrace "$t" ok "$(grep -E '^(dentry|sock|skb|task) ' "$f" | tr '\n' ';')"
	else
		emit_c ktool_bpftrace "$t" fail "$(grep -v '^$' "$f" | tail -n 3)"
	fi
}

# walk TOOL EXIT OUTFILE ERRFILE: "exit N, M lines" and what the tool
# complained about (its stderr without the processes that went away
# during the walk), for the check's detail
walk_detail() {
	printf 'exit %s, %s lines; stderr: %s' "$2" "$(wc -l <"$3")" \
		"$(grep -v 'No such file or directory' "$4" | grep -F "/$PID/" | head -n 4 | tr '\n' ';')"
}

# The /proc walkers an operator or a support-bundle collector runs on the
# whole machine: none may die (exit 124 and up: timed out or killed by a
# signal) and each must still show the server, whose private parts
# (memory maps, fd targets, map_files) it may be refused.
walkers() {
	local t=$1 rc f=$STATE/walk
	timeout 300 find /proc -xdev >"$f.out" 2>"$f.err"
	rc=$?
	if [ "$rc" -lt 124 ] && grep -qx "/proc/$PID/status" "$f.out"; then
		emit_c find_walks_it "$t" ok "find /proc -xdev: $(walk_detail find "$rc" "$f.out" "$f.err")"
	else
		emit_c find_walks_it "$t" fail "find /proc -xdev: $(walk_detail find "$rc" "$f.out" "$f.err")"
	fi
	timeout 300 lsof -n -P >"$f.out" 2>"$f.err"
	rc=$?
	if [ "$rc" -lt 124 ] && awk -v p="$PID" '$2 == p { n++ } END { exit !n }' "$f.out"; then
		emit_c lsof_lists_it "$t" ok "lsof -n -P: $(walk_detail lsof "$rc" "$f.out" "$f.err"); its rows: $(awk -v p="$PID" '$2 == p' "$f.out" | head -n 3 | tr -s ' ' | tr '\n' ';')"
	else
		emit_c lsof_lists_it "$t" fail "lsof -n -P: $(walk_detail lsof "$rc" "$f.out" "$f.err")"
	fi
	timeout 120 pstree -p >"$f.out" 2>"$f.err"
	rc=$?
	if [ "$rc" -lt 124 ] && grep -q "($PID)" "$f.out"; then
		emit_c pstree_lists_it "$t" ok "pstree -p: $(grep -o "[a-z0-9.]*($PID)" "$f.out" | head -n 1), exit $rc"
	else
		emit_c pstree_lists_it "$t" fail "pstree -p: $(walk_detail pstree "$rc" "$f.out" "$f.err")"
	fi
	timeout 120 ps aux >"$f.out" 2>"$f.err"
	rc=$?
	if [ "$rc" = 0 ] && awk -v p="$PID" '$2 == p { n++ } END { exit !n }' "$f.out"; then
		emit_c ps_aux_lists_it "$t" ok "ps aux: $(awk -v p="$PID" '$2 == p' "$f.out" | tr -s ' ' | cut -c1-120)"
	else
		emit_c ps_aux_lists_it "$t" fail "ps aux: $(walk_detail ps "$rc" "$f.out" "$f.err")"
	fi
}

checks() { # target: what must keep working
	local t=$1 out
	out=$($H request "$SOCK" 2 2>&1)
	if [ "$(grep -cE '^[0-9a-f]{64}$' <<<"$out")" = 2 ]; then
		emit_c serves_requests "$t" ok "2 inference replies"
	else
		emit_c serves_requests "$t" fail "$out"
	fi
	# "ring ok": the worker read the prompt back from the shared-memory ring
	out=$($H https "$PORT" "$CERT" plain-prompt 1 2>&1)
	if grep -q '^HTTP/1.0 200 OK' <<<"$out" && grep -q 'ring ok' <<<"$out"; then
		emit_c serves_https "$t" ok "$out"
	else
		emit_c serves_https "$t" fail "$out"
	fi
	ktools "$t"
	out=$(ps -o pid=,user=,comm= -p "$PID" 2>&1)
	if grep -q "python3" <<<"$out"; then emit_c ps_lists_it "$t" ok "$out"; else emit_c ps_lists_it "$t" fail "$out"; fi
	out=$(top -b -n1 -w 200 2>&1 | awk -v p="$PID" '$1 == p')
	if grep -q "python3" <<<"$out"; then emit_c top_lists_it "$t" ok "$out"; else emit_c top_lists_it "$t" fail "${out:-not listed}"; fi
	walkers "$t"
	# the trust domain itself keeps access: a process in label "demo" may
	# read the server's environment; root gets in only by joining on
	# purpose (--join, recorded), not by naming the label
	if [ "$t" = protected ] && [ -x "$AG" ] && [ "$AG" != "$RW/no-aiguard.sh" ]; then
		local rc
		out=$("$AG" exec --label demo -- cat "/proc/$PID/environ" 2>&1 | tr '\0' '\n')
		"$AG" exec --label demo -- true >/dev/null 2>&1
		rc=$?
		if [ "$rc" = 10 ] && ! grep -qF "${CK[$t]}" <<<"$out"; then
			emit_c outsider_join_refused "$t" ok "aiguard exec --label demo (no --join): exit 10, $(head -n1 <<<"$out")"
		else
			emit_c outsider_join_refused "$t" fail "exit $rc: $(head -n1 <<<"$out")"
		fi
		out=$("$AG" exec --label demo --join -- cat "/proc/$PID/environ" 2>&1 | tr '\0' '\n')
		if grep -qF "${CK[$t]}" <<<"$out"; then
			emit_c same_label_reads_it "$t" ok "aiguard exec --label demo --join -- cat /proc/PID/environ"
		else
			emit_c same_label_reads_it "$t" fail "$(head -n1 <<<"$out")"
		fi
	fi
}

check_term() {
	local t=$1
	kill -TERM "$PID"
	if wait_gone "$PID" 30; then
		wait "$SERVER_JOB" 2>/dev/null
		emit_c sigterm_stops_it "$t" ok "exit status $?"
		SERVER_JOB=
	else
		emit_c sigterm_stops_it "$t" fail "still running 30 s after SIGTERM"
	fi
}

for t in $TARGETS; do
	[ "$t" = containers ] && continue
	echo "# target $t"
	if [ "$t" = protected ] && [ ! -x "$AG" ]; then
		echo "# aiguard tool missing: the protected server runs unprotected"
		AG=/overlay/realworld/no-aiguard.sh
	fi
	start_server "$t" || { echo "# $t server failed to start"; continue; }
	for a in $ATTACKS; do
		case $a in
		core_*) continue ;;
		esac
		run_attack "$a" "$t"
	done
	alive "$PID" || start_server "$t"
	checks "$t"
	for a in $ATTACKS; do
		case $a in
		core_*)
			alive "$PID" 2>/dev/null || start_server "$t"
			run_attack "$a" "$t"
			;;
		esac
	done
	stop_bystander
	start_server "$t" && check_term "$t"
	log "$t: server log: $(tr '\n' ' ' <"$STATE/$t.log" | cut -c1-300)"
done

# the same server in containers, protected by the OCI hook (containers.sh)
if [[ " $TARGETS " == *" containers "* ]]; then
	# shellcheck source=containers.sh
	. "$RW/containers.sh"
	ct_main
fi
