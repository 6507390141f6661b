# shellcheck shell=bash
# shellcheck disable=SC2034,SC2317 # variables and functions attacks.sh uses
# The container rows of the realworld suite (containers.list), sourced by
# attacks.sh after its own targets, inside the guest, as root.
#
# The toy server runs under rootful podman (crun, vfs storage, cgroupfs,
# no network) from a local image, "localhost/aiguard-toy", imported here
# from a tar: no registry. The image holds the usrmerge symlinks and the
# server's passwd entry; /usr comes from the guest, bind-mounted read-only.
# Two containers per target: "control" without annotations, "protected"
# with io.aiguard.label=demo, which selects the hook (hooks.d JSON from
# packaging/oci/, its path pointed at the tool of this run).
#
# Rows reuse attacks.sh's attack functions (a_gdb_dump, ...) against the
# container's init as the host sees it, plus what only a container has:
# nsenter into it, podman exec. Result lines as attacks.sh: R|ct_<attack>|
# <control|protected>|... and C|ct_<check>|protected|...

CT_IMAGE=localhost/aiguard-toy
CT_HOOKS=/usr/share/containers/oci/hooks.d	# where the package installs it
CT_ATTACKS=$(grep -v '^#' "$RW/containers.list" | cut -d'|' -f1)
CT_NAME=

ct_setup() {
	local img=/tmp/ct-image
	mkdir -p /etc/containers "$CT_HOOKS" /var/lib/containers /run/containers
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup || return 1
	# the guest has no kernel modules (no overlayfs) and no systemd
	cat >/etc/containers/storage.conf <<-'EOF'
	[storage]
	driver = "vfs"
	runroot = "/run/containers/storage"
	graphroot = "/var/lib/containers/storage"
	EOF
	cat >/etc/containers/containers.conf <<-'EOF'
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	runtime = "crun"
	EOF
	sed "s|\"/usr/sbin/aiguard\"|\"$AG\"|" "$RW/oci-hook.json" >"$CT_HOOKS/aiguard.json" || return 1
	rm -rf "$img"
	mkdir -p "$img"/{etc,tmp,app,state,tls,proc,sys,dev,run,usr}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$img/$d"; done
	grep -E "^(root|$SVC):" /etc/passwd >"$img/etc/passwd"
	grep -E "^(root|$SVC):" /etc/group >"$img/etc/group"
	chmod 1777 "$img/tmp"
	tar -C "$img" -c . | podman import --change 'CMD ["/bin/true"]' - "$CT_IMAGE" >/dev/null
}

# podman_run NAME [podman run options...] -- COMMAND...: a detached
# container of the toy image; /usr and the suite bound in.
podman_run() {
	local name=$1
	shift
	podman rm -f -t 0 "$name" >/dev/null 2>&1
	podman run -d --name "$name" --network none --health-interval disable \
		-v /usr:/usr:ro -v "$RW:/app:ro" "$@"
}

# start_server for the container rows: the server as PID 1 of container
# aig-TARGET; PID, CHILD and SOCK as the host sees them.
ct_start() {
	local t=$1 d=/srv/ct/$1 ann=() i
	CT_NAME=aig-$t
	rm -rf "$d"
	mkdir -p "$d"
	python3 "$RW/serve.py" --make-weights "$d/w.bin" --canary "${CW[$t]}" --model-id "${CM[$t]}"
	chown -R "$SVC:$SVC" "$d"
	[ "$t" = protected ] && ann=(--annotation io.aiguard.label=demo)
	if ! podman_run "$CT_NAME" --log-level=debug "${ann[@]}" --user "$(id -u "$SVC"):$(id -g "$SVC")" \
		-v "$d:/state" -e "AIGUARD_API_KEY=${CK[$t]}" --ulimit core=-1:-1 \
		--health-cmd 'test -S /state/s.sock' \
		"$CT_IMAGE" python3 /app/serve.py --weights /state/w.bin --socket /state/s.sock \
		--info /state/info.json --unlink >"$STATE/ct-$t.run" 2>&1; then
		log "container $t did not start: $(tr '\n' ' ' <"$STATE/ct-$t.run")"
		return 1
	fi
	for ((i = 0; i < 300; i++)); do
		[ -s "$d/info.json" ] && break
		sleep 0.2
	done
	grep -i 'hook' "$STATE/ct-$t.run" | cut -c1-300 | sed "s/^/attacks: $t: podman: /" >&2
	[ -s "$d/info.json" ] || { log "container $t: no info file"; return 1; }
	eval "$($H vars "$d/info.json")"
	PID=$(podman inspect -f '{{.State.Pid}}' "$CT_NAME")
	CHILD=$(pgrep -P "$PID" | head -n1)
	# shellcheck disable=SC2034 # read by attacks.sh's attack functions
	ADDR=$S_ADDR SIZE=$S_SIZE WFD=$S_WEIGHTS_FD MFD=$S_MEMFD SOCK=$d/s.sock PORT=
	TENSOR=$S_TENSOR	# a path inside the container
	SERVER_JOB=ct
	log "$t container $CT_NAME: host pid $PID (pid $S_PID inside) worker $CHILD weights at $(printf 0x%x "$ADDR")"
}

ct_stop() {
	[ -n "$CT_NAME" ] && podman rm -f -t 5 "$CT_NAME" >/dev/null 2>&1
	SERVER_JOB=
}

# --- what only a container has --------------------------------------------
# root joins every namespace of the container (nsenter -a skips the user
# namespace it shares), then reads the server's memory as PID 1 there
a_ct_nsenter_mem() {
	nsenter -t "$PID" -a dd if=/proc/1/mem of=/dev/stdout bs=64K \
		iflag=skip_bytes,count_bytes skip="$ADDR" count="$SIZE" >nsenter-mem.bin
	nsenter -t "$PID" -a cat /proc/1/environ
}
# A crash in the container: the kernel ignores a signal with the default
# action sent to a namespace's init (the server) unless it is a fault, so
# the worker takes SIGABRT.
a_ct_core_abrt_pipe() {
	local PID=$CHILD
	a_core_abrt_pipe
}
a_ct_exec_environ() { podman exec "$CT_NAME" cat /proc/1/environ; }
# the server's tensor file in the container's own /dev/shm: an exec
# session is no member of the workload's label
a_ct_exec_shm() { podman exec "$CT_NAME" cat "$TENSOR" >exec-shm.bin; }
a_ct_exec_mem() {
	podman exec "$CT_NAME" python3 -c "import sys
with open('/proc/1/mem', 'rb') as f:
    f.seek($ADDR)
    sys.stdout.buffer.write(f.read($SIZE))" >exec-mem.bin
}

ct_checks() { # what must keep working on the protected container
	local t=protected out rc id
	out=$($H request "$SOCK" 2 2>&1)
	if [ "$(grep -cE '^[0-9a-f]{64}$' <<<"$out")" = 2 ]; then
		emit_c ct_serves_requests "$t" ok "2 inference replies over the socket in its volume"
	else
		emit_c ct_serves_requests "$t" fail "$out"
	fi
	out=$(podman exec "$CT_NAME" true 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		emit_c ct_exec_true "$t" ok "podman exec true: exit 0"
	else
		emit_c ct_exec_true "$t" fail "podman exec true: exit $rc: $out"
	fi
	out=$(podman healthcheck run "$CT_NAME" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		emit_c ct_healthcheck "$t" ok "podman healthcheck run: exit 0 ${out:-(healthy)}"
	else
		emit_c ct_healthcheck "$t" fail "podman healthcheck run: exit $rc: $out"
	fi
	out=$(podman top "$CT_NAME" pid user args 2>&1)
	if grep -q 'serve.py' <<<"$out"; then
		emit_c ct_top_lists_it "$t" ok "podman top: $(grep serve.py <<<"$out" | head -n1)"
	else
		emit_c ct_top_lists_it "$t" fail "podman top: $out"
	fi
	out=$(ps -o pid=,user=,args= -p "$PID" 2>&1)
	if grep -q 'serve.py' <<<"$out"; then
		emit_c ct_ps_lists_it "$t" ok "ps: $out"
	else
		emit_c ct_ps_lists_it "$t" fail "ps: $out"
	fi
	id=$(podman inspect -f '{{.Id}}' "$CT_NAME")
	out=$("$AG" list 2>&1)
	if awk -v p="$PID" -v c="${id:0:12}" '$1 == p && index($0, c) && / demo /' <<<"$out" | grep -q .; then
		emit_c ct_list_names_it "$t" ok "aiguard list: $(awk -v p="$PID" '$1 == p' <<<"$out")"
	else
		emit_c ct_list_names_it "$t" fail "no line for pid $PID, label demo, container ${id:0:12}: $out"
	fi
	# podman stop: SIGTERM to PID 1, which the server handles
	out=$(podman stop -t 30 "$CT_NAME" 2>&1)
	rc=$?
	local st
	st=$(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$CT_NAME" 2>&1)
	if [ "$rc" = 0 ] && [ "$st" = "exited 0" ]; then
		emit_c ct_stops_cleanly "$t" ok "podman stop: exit 0, state '$st'"
	else
		emit_c ct_stops_cleanly "$t" fail "podman stop: exit $rc ($out), state '$st'"
	fi
	podman rm "$CT_NAME" >/dev/null 2>&1
	out=$("$AG" list --json 2>&1)
	if [ -n "$id" ] && ! grep -q "${id:0:12}" <<<"$out" && ! grep -q "\"pid\": *$PID\b" <<<"$out"; then
		emit_c ct_list_empty_after_rm "$t" ok "aiguard list --json: nothing of ${id:0:12}"
	else
		emit_c ct_list_empty_after_rm "$t" fail "$out"
	fi
	SERVER_JOB=
}

# io.aiguard.exec=deny: exec sessions refused altogether
ct_check_exec_deny() {
	local out rc
	podman_run aig-deny --annotation io.aiguard.label=deny --annotation io.aiguard.exec=deny \
		"$CT_IMAGE" sleep 1000000 >/dev/null 2>&1 ||
		{ emit_c ct_exec_deny_refused protected fail "container did not start"; return; }
	out=$(podman exec aig-deny true 2>&1)
	rc=$?
	if [ "$rc" != 0 ]; then
		emit_c ct_exec_deny_refused protected ok "podman exec true: exit $rc: $(head -n1 <<<"$out")"
	else
		emit_c ct_exec_deny_refused protected fail "podman exec true: exit 0"
	fi
	podman rm -f -t 0 aig-deny >/dev/null 2>&1
}

# hook_refuses CHECK NAME CODE PATTERN ANNOTATION: podman run of a
# container that would create a marker file; the check passes when podman
# run fails naming the hook's exit CODE, the marker is absent (the
# entrypoint never ran) and the hook's message (PATTERN) is in syslog.
hook_refuses() {
	local check=$1 name=$2 code=$3 pat=$4 annotation=$5 m=/srv/ct/marker out rc
	rm -f "$m"
	out=$(podman_run "$name" --annotation "$annotation" -v /srv/ct:/m "$CT_IMAGE" touch /m/marker 2>&1)
	rc=$?
	sleep 1
	# podman names the hook and its exit code; the hook's message is in syslog
	if [ "$rc" != 0 ] && [ ! -e "$m" ] && grep -q "exit code: $code" <<<"$out" &&
		grep -q "$pat" "$CT_SYSLOG"; then
		emit_c "$check" protected ok "podman run: exit $rc, $(grep -o 'error executing hook.*' <<<"$out" | head -n1); syslog: $(grep -o "aiguard-oci-hook.*$pat.*" "$CT_SYSLOG" | head -n1)"
	else
		emit_c "$check" protected fail "podman run: exit $rc, marker $([ -e "$m" ] && echo written || echo absent): $out; syslog: $(cat "$CT_SYSLOG")"
	fi
	podman rm -f -t 0 "$name" >/dev/null 2>&1
}

# A hook that cannot protect fails podman run (a bad label; then, after
# rmmod, the module missing), while an unannotated container still runs.
# Last of the suite: it unloads the module.
ct_check_hook_fails() {
	local out rc sink
	CT_SYSLOG=$STATE/syslog
	mkdir -p /srv/ct
	: >"$CT_SYSLOG"
	$H syslog "$CT_SYSLOG" &
	sink=$!
	hook_refuses ct_hook_bad_label_fails aig-bad 2 'invalid label' 'io.aiguard.label=bad label!'
	if out=$(rmmod aiguard 2>&1); then
		hook_refuses ct_hook_no_module_fails aig-nomod 3 'module is not loaded' io.aiguard.label=demo
	else
		emit_c ct_hook_no_module_fails protected fail "rmmod aiguard: $out"
	fi
	kill "$sink" 2>/dev/null
	wait "$sink" 2>/dev/null
	out=$(podman run --rm --network none -v /usr:/usr:ro "$CT_IMAGE" true 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		emit_c ct_plain_runs_without_module protected ok "podman run (no annotation): exit 0"
	else
		emit_c ct_plain_runs_without_module protected fail "podman run (no annotation): exit $rc: $out"
	fi
}

ct_main() {
	local t a
	if ! command -v podman >/dev/null; then
		echo "# containers: podman is not in the guest image"
		return
	fi
	if ! ct_setup >"$STATE/ct-setup.log" 2>&1; then
		echo "# containers: setup failed: $(tail -n 5 "$STATE/ct-setup.log" | tr '\n' ' ')"
		return
	fi
	# the container rows reuse run_attack with these
	start_server() { ct_stop; ct_start "$1"; }
	stop_server() { ct_stop; }
	for a in $CT_ATTACKS; do
		declare -F "a_$a" >/dev/null || eval "a_$a() { a_${a#ct_}; }"
	done
	for t in control protected; do
		echo "# containers: target $t"
		start_server "$t" || { echo "# containers: $t container failed to start"; continue; }
		for a in $CT_ATTACKS; do
			[[ $a == ct_core_* ]] || run_attack "$a" "$t"
		done
		[ "$t" = protected ] && { alive "$PID" || start_server "$t"; } && ct_checks
		for a in $CT_ATTACKS; do
			[[ $a == ct_core_* ]] || continue
			alive "$PID" 2>/dev/null || start_server "$t"
			run_attack "$a" "$t"
		done
		ct_stop
	done
	ct_check_exec_deny
	ct_check_hook_fails
}
