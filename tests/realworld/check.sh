#!/bin/bash
# make check: the realworld suite on one stock Debian kernel.
#   check.sh <6.1|6.12>
# stdout: TAP lines only (ok / not ok / #); progress on stderr; exits 0
# even when tests fail (the harness counts).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
kernel=${1:-6.12}
logdir=${RW_LOGDIR:-$top/build/realworld/logs/check-$kernel}
rm -rf "$logdir"
if ! "$here/run-guest.sh" "$kernel" "$logdir" >&2; then
	echo "# realworld/$kernel: guest setup failed (see stderr)"
fi
echo "# realworld/$kernel: $(tr '\n' ' ' <"$logdir/times" 2>/dev/null)"
"$here/report.sh" tap "$logdir/results.tap" "$kernel"
exit 0
