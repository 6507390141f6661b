#!/bin/bash
# Boot a stock Debian kernel in QEMU with the cached realworld guest image
# and a freshly built overlay disk (module, tool, suite), run the attack suite.
#
#   run-guest.sh <6.1|6.12> LOGDIR
#
# Leaves LOGDIR/console.log (ttyS0), LOGDIR/results.tap (ttyS1: the suite's
# R|/C| lines, see attacks.sh) and LOGDIR/times. Progress on stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
want=${1:?usage: run-guest.sh <6.1|6.12> LOGDIR}
logdir=${2:?usage: run-guest.sh <6.1|6.12> LOGDIR}
mkdir -p "$logdir"
logdir=$(cd "$logdir" && pwd)
: >"$logdir/times"

ag_ensure_packages qemu-system-x86 e2fsprogs debootstrap
# ag_qemu_run uses TCG unless AG_QEMU_ACCEL says otherwise: /dev/kvm may
# exist without working (nested: "KVM internal error ... emulation
# failure" on BMI2 instructions in the kernel's decompressor).
t0=$(date +%s)
img=$("$here/build-guest.sh")
touch "$(dirname "$img")"  # in use: keeps it from being pruned
t1=$(date +%s)
echo "guest_image_s=$((t1 - t0))" >>"$logdir/times"

kver=$(ag_kernel_version "$want")
echo "kernel=$kver" >>"$logdir/times"
bdir=$logdir/stage  # per run: concurrent runs must not share it
rm -rf "$bdir"
mkdir -p "$bdir/overlay/realworld"
ov=$bdir/overlay
if [ "${RW_MODULE:-1}" = 0 ]; then
	rw_log "RW_MODULE=0: no module in the guest"
elif ag_build_module "/usr/src/linux-headers-$kver" "$bdir/module" >&2 && [ -f "$bdir/module/aiguard.ko" ]; then
	cp "$bdir/module/aiguard.ko" "$ov/"
else
	rw_log "module build failed for $kver (the protected column will leak)"
fi
if ag_build_tool "$bdir/tool" >&2 && [ -x "$bdir/tool/aiguard" ]; then
	cp "$bdir/tool/aiguard" "$ov/"
else
	rw_log "tool build failed (the protected column will leak)"
fi
cp "$here"/guest-init.sh "$ov/init"
cp "$here"/serve.py "$here"/attack_helpers.py "$here"/attacks.sh "$here"/attacks.list \
	"$here"/core-helper.sh "$here"/no-aiguard.sh "$here"/containers.sh "$here"/containers.list \
	"$ov/realworld/"
cp "$here/../../packaging/oci/aiguard.json" "$ov/realworld/oci-hook.json"
chmod -R a+rX "$ov"
mkfs.ext4 -q -F -L agoverlay -O ^has_journal -d "$ov" "$bdir/overlay.ext4" 64M
t2=$(date +%s)
echo "overlay_s=$((t2 - t1))" >>"$logdir/times"

rw_log "booting $kver (TCG) with $img"
# a lockup or an RCU stall panics (and ends the run) instead of waiting
# for the timeout
append="root=/dev/vda rw init=/sbin/aiguard-guest-init console=ttyS0 noresume fsck.mode=skip"
append+=" panic=-1 oops=panic softlockup_panic=1 sysctl.kernel.panic_on_rcu_stall=1 sysctl.kernel.hung_task_panic=1"
# debugging knobs, passed to the guest's init as environment variables
[ -n "${RW_TARGETS:-}" ] && append+=" RW_TARGETS=${RW_TARGETS// /,}"
[ -n "${RW_ATTACKS:-}" ] && append+=" RW_ATTACKS=${RW_ATTACKS// /,}"
rc=0
ag_qemu_run "/boot/vmlinuz-$kver" "/boot/initrd.img-$kver" "$append" "$logdir" "${RW_TIMEOUT:-900}" \
	-drive "file=$img,format=raw,if=virtio,snapshot=on" \
	-drive "file=$bdir/overlay.ext4,format=raw,if=virtio,readonly=on" || rc=$?
t3=$(date +%s)
echo "guest_s=$((t3 - t2)) qemu_rc=$rc" >>"$logdir/times"
tr -d '\r' <"$logdir/results.tap" >"$logdir/results.clean"
mv "$logdir/results.clean" "$logdir/results.tap"
rw_log "guest finished in $((t3 - t2)) s (qemu status $rc)"
grep -q '^AIGUARD-REALWORLD-END' "$logdir/results.tap" || {
	rw_log "no end sentinel; console tail:"
	tail -n 20 "$logdir/console.log" >&2
}
exit 0
