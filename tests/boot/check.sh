#!/bin/bash
# make check: the boot suite on one stock Debian kernel (see run-guest.sh).
#   check.sh <6.1|6.12>
# stdout: TAP only ("# suite: boot" and the guest's results, then whether
# the guest got through them); progress on stderr; exits 0 even when tests
# fail (the harness counts).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
kernel=${1:-6.12}
logdir=${BOOT_LOGDIR:-$top/build/boot/logs/$kernel}
rm -rf "$logdir"
echo "# suite: boot-setup"
if "$here/run-guest.sh" "$kernel" "$logdir" >&2; then
	echo "ok 1 - make deb, dpkg -i of both packages and dkms install for $kernel"
else
	echo "not ok 1 - make deb, dpkg -i of both packages and dkms install for $kernel (logs: $logdir)"
fi
if grep -qx 'AIGUARD-BOOT-END' "$logdir/results.tap" 2>/dev/null; then
	echo "ok 2 - the guest booted with systemd and ran every check"
else
	echo "not ok 2 - the guest booted with systemd and ran every check (console: $logdir/console.log)"
	tail -n 15 "$logdir/console.log" 2>/dev/null | sed 's/^/# /'
fi
echo "1..2"
echo "# boot/$kernel: $(tr '\n' ' ' <"$logdir/times" 2>/dev/null)"
grep -v '^AIGUARD-BOOT-END' "$logdir/results.tap" 2>/dev/null || true
exit 0
