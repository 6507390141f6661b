# SPDX-License-Identifier: GPL-2.0
#
# Shared by t_ops.sh and t_zz_lock.sh (sourced, not a test itself): TAP
# helpers and the checks both make. Expects AG, TMP, OUT, N and MARK set.

pass() { N=$((N + 1)); echo "ok $N - $1"; }
fail() {
	N=$((N + 1)); echo "not ok $N - $1"
	[ -s "$OUT" ] && { tr '\0\033' '  ' <"$OUT"; echo; } | sed 's/^/#   /' | head -12
}
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }
t() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

# rc NAME EXPECTED_RC CMD...: run CMD (stdout in $OUT.o, all in $OUT).
rc() {
	name=$1 want=$2
	shift 2
	"$@" >"$OUT.o" 2>"$OUT.e"
	got=$?
	cat "$OUT.o" "$OUT.e" >"$OUT"
	if [ "$got" -eq "$want" ]; then
		pass "$name (exit $want)"
	else
		echo "# expected exit $want, got $got: $*" >>"$OUT"
		fail "$name (exit $want)"
	fi
}

nap() { sleep "$1" 2>/dev/null || sleep 1; }

wait_protected() {
	_i=0
	while [ $_i -lt 50 ]; do
		"$AG" status "$1" 2>/dev/null | grep -q ': protected' && return 0
		nap 0.1
		_i=$((_i + 1))
	done
	return 1
}

# readable PID: root's cat gets the marker out of PID's environment.
readable() {
	cat /proc/"$1"/environ >"$TMP/env" 2>"$OUT"
	tr '\0' '\n' <"$TMP/env" | grep -q "^OPS_MARK=$MARK\$"
}
