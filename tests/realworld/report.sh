#!/bin/bash
# Turn the guest's result lines (LOGDIR/results.tap, see attacks.sh) into
#   report.sh table RESULTS KERNEL    the demo table, for people
#   report.sh tap RESULTS KERNEL      TAP lines for make check
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=$1 results=$2 kernel=$3
[ -f "$results" ] || : >"${results:=/dev/null}"
CHECKS="serves_requests serves_https ps_lists_it top_lists_it find_walks_it lsof_lists_it pstree_lists_it ps_aux_lists_it outsider_join_refused same_label_reads_it sigterm_stops_it"
# the container rows (containers.sh): what must hold beside the attacks
CHECKS+=" ct_serves_requests ct_exec_true ct_healthcheck ct_top_lists_it ct_ps_lists_it ct_list_names_it"
CHECKS+=" ct_stops_cleanly ct_list_empty_after_rm ct_exec_deny_refused ct_hook_bad_label_fails"
CHECKS+=" ct_hook_no_module_fails ct_plain_runs_without_module"
# monitoring that reads kernel data (attacks.sh ktools) and the /proc
# walkers (attacks.sh walkers): also reported for the control run, their
# baseline
CHECKS+=" ktool_opensnoop ktool_execsnoop ktool_tcplife ktool_runqlat ktool_biolatency ktool_bpftrace"

awk -F'|' -v mode="$mode" -v kernel="$kernel" -v checks="$CHECKS" '
FILENAME ~ /\.list$/ {
	if ($0 !~ /^#/ && NF >= 2) { n++; id[n] = $1; what[$1] = $2; by[$1] = ($3 == "bystander") }
	next
}
/^R\|/ { v[$2, $3] = $4; f[$2, $3] = $5; d[$2, $3] = $6; next }
/^C\|/ { cv[$2, $3] = $4; cd[$2, $3] = $5; next }
/^AIGUARD-REALWORLD-END/ { ended = 1; next }
/^# / { comments[++nc] = $0; next }
function cell(a, t,   s) {
	if (!((a, t) in v)) return "? no result"
	if (v[a, t] == "leaked") return "✗ leaked " f[a, t]
	if (v[a, t] == "blocked") return "✓ blocked: " d[a, t]
	return "? " v[a, t] ": " d[a, t]
}
function traced(a,   c) { # the bystander check of a monitoring row
	c = a "_unprotected_still_traced"
	if (!((c, "protected") in cv)) return "no result"
	return cv[c, "protected"] ": " cd[c, "protected"]
}
function vlen(s) { gsub(/✗|✓|…/, "x", s); return length(s) }
function trunc(s, w) { return vlen(s) > w ? substr(s, 1, w - 1 + length(s) - vlen(s)) "…" : s }
function pad(s, w,   k) { k = w - vlen(s); while (k-- > 0) s = s " "; return s }
END {
	nch = split(checks, ch, " ")
	if (mode == "table") {
		printf "aiguard realworld demo on Linux %s (stock Debian kernel, QEMU)\n", kernel
		printf "Every attack runs as root; \"leaked\" = a canary (weights, API key, model id, or\n"
		printf "the prompt a client sent over HTTPS) was found in what the attack produced:\n"
		printf "stdout, stderr, files, cores, perf.data, trace and BPF output.\n\n"
		printf "%s | %s | %s\n", pad("attack", 20), pad("unprotected (control)", 44), "protected (aiguard exec --label demo; ct_*: annotation io.aiguard.label=demo)"
		printf "%s-+-%s-+-%s\n", "--------------------", "--------------------------------------------", "----------------------------------------------"
		for (i = 1; i <= n; i++)
			printf "%s | %s | %s\n", pad(id[i], 20), pad(trunc(cell(id[i], "control"), 44), 44), trunc(cell(id[i], "protected"), 80)
		printf "\nmust keep working on the protected server:\n"
		for (i = 1; i <= nch; i++) {
			c = ch[i]
			s = ((c, "protected") in cv) ? (cv[c, "protected"] == "ok" ? "✓ " : "✗ ") cd[c, "protected"] : "? no result"
			printf "  %s %s\n", pad(c, 20), trunc(s, 90)
		}
		nby = 0
		for (i = 1; i <= n; i++) if (by[id[i]]) {
			if (!nby++) printf "\nthe same tool, in the protected run, on an unprotected server running beside it:\n"
			s = traced(id[i])
			s = s ~ /^ok: / ? "✓ still traced: " substr(s, 5) : "✗ " s
			printf "  %s %s\n", pad(id[i], 18), trunc(s, 90)
		}
		printf "\nattacks:\n"
		for (i = 1; i <= n; i++) printf "  %s %s\n", pad(id[i], 18), what[id[i]]
		if (!ended) printf "\nWARNING: the guest did not finish (no end sentinel); see the console log.\n"
		for (i = 1; i <= nc; i++) if (comments[i] ~ /insmod|no aiguard|tool missing|failed/) print comments[i]
		exit
	}
	t = 0
	for (i = 1; i <= nc; i++) print comments[i]
	t++; printf "%s %d - realworld/%s/guest_completed\n", ended ? "ok" : "not ok", t, kernel
	for (i = 1; i <= n; i++) {
		a = id[i]
		cc = cell(a, "control"); cp = cell(a, "protected")
		t++
		printf "%s %d - realworld/%s/%s_control_leaks # %s\n", cc ~ /^✗ leaked/ ? "ok" : "not ok", t, kernel, a, cc
		t++
		printf "%s %d - realworld/%s/%s_protected_blocked # %s\n", cp ~ /^✓ blocked/ ? "ok" : "not ok", t, kernel, a, cp
		if (by[a]) {
			t++
			s = traced(a)
			printf "%s %d - realworld/%s/%s_unprotected_still_traced # %s\n", s ~ /^ok:/ ? "ok" : "not ok", t, kernel, a, s
		}
	}
	for (i = 1; i <= nch; i++) {
		c = ch[i]
		t++
		s = ((c, "protected") in cv) ? cv[c, "protected"] ": " cd[c, "protected"] : "no result"
		printf "%s %d - realworld/%s/protected_%s # %s\n", s ~ /^ok:/ ? "ok" : "not ok", t, kernel, c, s
		if (c ~ /^(ktool_|find_walks_it|lsof_lists_it|pstree_lists_it|ps_aux_lists_it)/) {
			t++
			s = ((c, "control") in cv) ? cv[c, "control"] ": " cd[c, "control"] : "no result"
			printf "%s %d - realworld/%s/control_%s # %s\n", s ~ /^ok:/ ? "ok" : "not ok", t, kernel, c, s
		}
	}
}' "$here/attacks.list" "$here/containers.list" "$results"
