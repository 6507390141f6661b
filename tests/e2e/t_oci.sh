#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of "aiguard oci-hook", the OCI runtime hook, against
# the real module but without a container engine: a sleeper stands in for
# a container's init, and each test writes the state document a runtime
# hands its createRuntime hooks. The hook protects the init with the
# label its annotation names, or refuses (non-zero), in which case an
# engine does not start the container; a refused or unannotated init
# stays unprotected (each with root's read of its environment as the
# control). By default outsiders may join the init's namespaces, as exec
# sessions and exec health checks do (io.aiguard.exec=deny refuses that);
# its memory stays closed either way (t_enter tests the joins in depth). A
# cgroup named as podman names a container's shows the container id in
# "aiguard list".
# Run as root in the test guest with the module loaded; busybox-sh
# compatible, prints TAP, exits 0.

. "$(dirname "$0")/lib.sh"
tap_start t_oci 38
MARK=oci$$secret
ID1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ID2=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
ID3=00000000111111112222222233333333444444445555555566666666777777aa
CG=/sys/fs/cgroup

# hook NAME RC ID PID STATUS ANNOTATIONS: oci-hook on that state, as a
# runtime runs it (state on stdin).
hook() {
	_n=$1 _w=$2
	printf '{"ociVersion":"1.0.2","id":"%s","status":"%s","pid":%s,"bundle":"/run/b","annotations":{%s}}' \
		"$3" "$5" "$4" "$6" >"$TMP/state"
	rc "$_n" "$_w" sh -c '"$1" oci-hook <"$2"' sh "$AG" "$TMP/state"
}

# ns_open PID: root can open PID's mount namespace, as a runtime's exec does.
ns_open() {
	sh -c 'exec 3<"$1"' sh "/proc/$1/ns/mnt" 2>/dev/null
}

# has_event TYPE PID COMM: a record of TYPE on PID whose caller is COMM.
has_event() {
	timeout 30 "$AG" events --json >"$TMP/ev" 2>"$OUT"
	grep "\"type\":\"$1\"," "$TMP/ev" | grep "\"caller\":{[^}]*\"comm\":\"$3\"," |
		grep -q "\"target\":{\"pid\":$2,"
}

sleeper C1
sleeper C2
sleeper C3
sleeper C4
sleeper C5

# --- an annotated container ------------------------------------------
t "control: before the hook, root reads the init's environment" "readable $C1"
hook "an annotated container's init is protected" 0 "$ID1" "$C1" created \
	'"io.aiguard.label":"ocia","io.kubernetes.pod.name":"llm-0"'
has "the hook names the container, the pid and the label" \
	"^container 0123456789ab: pid $C1 protected, label ocia\$"
t "after the hook, root cannot read the init's environment" "! readable $C1"
rc "status of the init" 0 "$AG" status "$C1"
has "the init has the annotation's label, open to exec sessions" \
	"^pid $C1: protected, label ocia \\(outsiders may join its namespaces\\)\$"
t "an exec session's way in works: root opens /proc/PID/ns/mnt" "ns_open $C1"
t "a PROTECT record names the container (caller ct:0123456789ab)" \
	"has_event protect $C1 ct:0123456789ab"

# --- a second container with the same label ----------------------------
hook "a second container with that label, without io.aiguard.join: refused" 10 \
	"$ID2" "$C2" created '"io.aiguard.label":"ocia"'
has "the refusal says how to join or take a label of its own" \
	'container fedcba987654: label ocia has members already: set io.aiguard.join=true'
t "the refused container's init stays readable (not protected)" "readable $C2"
hook "with io.aiguard.join=true it joins the label" 0 "$ID2" "$C2" created \
	'"io.aiguard.label":"ocia","io.aiguard.join":"true"'
t "a JOIN record names the second container" "has_event join $C2 ct:fedcba987654"
t "the joined init is protected" "! readable $C2"

# --- refusals leave the init unprotected --------------------------------
hook "an invalid label: refused" 2 "$ID3" "$C3" created '"io.aiguard.label":"bad label"'
has "the refusal names the annotation" "annotation io.aiguard.label: invalid label 'bad label'"
t "not protected after the refusal" "readable $C3"
hook "an unknown io.aiguard annotation: refused" 2 "$ID3" "$C3" created \
	'"io.aiguard.label":"ocib","io.aiguard.exe":"deny"'
t "not protected after the refusal" "readable $C3"
hook "status running (poststart): too late, refused" 2 "$ID3" "$C3" running \
	'"io.aiguard.label":"ocib"'
t "not protected after the refusal" "readable $C3"
hook "a container without io.aiguard.label: nothing to do" 0 "$ID3" "$C3" created \
	'"io.podman.annotations.label":"disable"'
t "the unannotated container's init stays readable" "readable $C3"
hook "io.aiguard.exec neither allow nor deny: refused" 2 "$ID3" "$C3" created \
	'"io.aiguard.label":"ocib","io.aiguard.exec":"maybe"'
t "not protected after the refusal" "readable $C3"
hook "permissive" 0 "$ID3" "$C3" created \
	'"io.aiguard.label":"ocib","io.aiguard.permissive":"true"'
rc "status of the permissive init" 0 "$AG" status "$C3"
has "it is protected in permissive mode" \
	"^pid $C3: protected, label ocib \\(permissive: audited, not denied\\) \\(outsiders may join its namespaces\\)\$"
hook "io.aiguard.exec=deny" 0 "$ID3" "$C5" created \
	'"io.aiguard.label":"ocid","io.aiguard.exec":"deny"'
has "the hook says so" "protected, label ocid \\(no exec sessions\\)\$"
t "closed to exec sessions: root cannot open /proc/PID/ns/mnt" "! ns_open $C5"
t "and cannot read its environment" "! readable $C5"
kill -9 "$C4"
wait "$C4" 2>/dev/null
hook "the init is gone: no such process" 5 "$ID3" "$C4" created '"io.aiguard.label":"ocic"'

# --- aiguard list names the container -----------------------------------
[ -e "$CG/cgroup.controllers" ] || mount -t cgroup2 cgroup2 "$CG" 2>/dev/null
D=$CG/machine.slice/libpod-$ID1.scope
if mkdir -p "$D" 2>/dev/null && echo "$C1" >"$D/cgroup.procs" 2>/dev/null; then
	rc "list" 0 "$AG" list
	has "list shows the short container id" "^$C1 +ocia +enforcing +0123456789ab +sleep\$"
	has "list shows - for a process outside any container" "^$C2 +ocia +enforcing +- +sleep\$"
	rc "list --json" 0 "$AG" list --json
	has "list --json has the container id and the cgroup" \
		"\{\"pid\":$C1,\"label\":\"ocia\",\"comm\":\"sleep\",\"enter\":true,\"container\":\"$ID1\",\"cgroup\":\"/machine.slice/libpod-$ID1.scope\"\}"
else
	for s in "list (exit 0)" "list shows the short container id" \
		"list shows - for a process outside any container" "list --json (exit 0)" \
		"list --json has the container id and the cgroup"; do
		skip "$s" "no cgroup v2 here"
	done
fi
kill -9 "$C1" 2>/dev/null
wait "$C1" 2>/dev/null
rmdir "$D" "$CG/machine.slice" 2>/dev/null

exit 0
