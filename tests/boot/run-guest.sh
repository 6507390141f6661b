#!/bin/bash
# Install aiguard the way an operator does, then boot it with systemd:
#
#   run-guest.sh <6.1|6.12> LOGDIR
#
#   1. make deb (the packages of this tree);
#   2. a copy of the cached base tree (build-base.sh), into which a chroot
#      runs `dpkg -i aiguard-dkms_*.deb aiguard_*.deb`: the packages'
#      maintainer scripts enable the units, and DKMS builds and installs
#      the module for the guest kernel. It builds in the chroot rather
#      than in the booted guest because a DKMS build under TCG takes
#      minutes; the result is the same files in the same places;
#   3. the test units (guest/), /etc/aiguard/aiguard.conf asking for the
#      lock once the protected unit is up, and an ext4 image of it all;
#   4. boots Debian's kernel and initrd with systemd as PID 1; the checks
#      (guest/check.sh) write TAP to the second serial port.
#
# Leaves LOGDIR/results.tap, console.log, deb.log, install.log, times.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../vm/lib.sh
. "$here/../vm/lib.sh"
want=${1:?usage: run-guest.sh <6.1|6.12> LOGDIR}
logdir=${2:?usage: run-guest.sh <6.1|6.12> LOGDIR}
mkdir -p "$logdir"
logdir=$(cd "$logdir" && pwd)
: >"$logdir/times"
log() { echo "boot: $*" >&2; }

ag_ensure_packages qemu-system-x86 e2fsprogs debootstrap dpkg-dev debhelper dh-dkms build-essential >&2
t0=$(date +%s)
k61=$(ag_kernel_version 6.1)
k612=$(ag_kernel_version 6.12)
case $want in
6.1) kver=$k61 ;;
6.12) kver=$k612 ;;
*) log "unknown kernel series '$want' (6.1 or 6.12)"; exit 1 ;;
esac
echo "kernel=$kver" >>"$logdir/times"
base=$("$here/build-base.sh" "$k61" "$k612")
touch "$(dirname "$base")"  # in use: keeps it from being pruned
t1=$(date +%s)
echo "base_s=$((t1 - t0))" >>"$logdir/times"

bdir=$logdir/stage  # per run: concurrent runs must not share it
root=$bdir/root
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	rm -rf "$root"
}
trap cleanup EXIT
rm -rf "$bdir"
mkdir -p "$bdir" "$root"
log "make deb"
if ! DEB_BUILD_OPTIONS=nocheck make -s -C "$AG_ROOT" deb BUILD="$bdir/build" >"$logdir/deb.log" 2>&1; then
	tail -n 20 "$logdir/deb.log" >&2
	log "make deb failed (log: $logdir/deb.log)"
	exit 1
fi
t2=$(date +%s)
echo "deb_s=$((t2 - t1))" >>"$logdir/times"

log "installing the packages into a copy of the base tree"
tar -xf "$base" -C "$root"
mkdir -p "$root/tmp/debs"
cp "$bdir"/build/deb/aiguard-dkms_*.deb "$bdir"/build/deb/aiguard_*.deb "$root/tmp/debs/"
# depmod and modprobe want the kernel's own lists next to DKMS's module
mkdir -p "$root/lib/modules/$kver"
cp /lib/modules/"$kver"/modules.order /lib/modules/"$kver"/modules.builtin* "$root/lib/modules/$kver/"
mount -t proc proc "$root/proc"
ver=$(cat "$AG_ROOT/VERSION")
{
	# The postinst builds for the running kernel (this machine's, whose
	# headers the tree does not have), so the guest's kernel is asked for
	# as an operator would after adding headers: dkms install -k.
	chroot "$root" sh -c 'dpkg -i /tmp/debs/*.deb' &&
		chroot "$root" dkms install "aiguard/$ver" -k "$kver" &&
		chroot "$root" dkms status -k "$kver"
} >"$logdir/install.log" 2>&1 || {
	tail -n 30 "$logdir/install.log" >&2
	log "installing the packages failed (log: $logdir/install.log)"
	exit 1
}
umount "$root/proc"
rm -rf "$root/tmp/debs"
install -d "$root/usr/local/lib/agtest"
install -m 755 "$here/guest/check.sh" "$here/guest/workload.py" "$root/usr/local/lib/agtest/"
install -m 644 "$here"/guest/agtest-*.service "$root/etc/systemd/system/"
chroot "$root" systemctl enable agtest-protected.service agtest-control.service \
	agtest-check.service >>"$logdir/install.log" 2>&1
sed -i 's/^LOCK_AFTER=.*/LOCK_AFTER="agtest-protected.service"/' "$root/etc/aiguard/aiguard.conf"
mb=$(du -sm "$root" | cut -f1)
mkfs.ext4 -q -F -L agroot -O ^has_journal -d "$root" "$bdir/rootfs.ext4" "$((mb + mb / 4 + 128))M" >/dev/null
rm -rf "$root"
t3=$(date +%s)
echo "install_s=$((t3 - t2))" >>"$logdir/times"

log "booting $kver (TCG) with systemd"
append="root=/dev/vda rw console=ttyS0 noresume fsck.mode=skip systemd.show_status=1"
append+=" panic=-1 oops=panic softlockup_panic=1 sysctl.kernel.panic_on_rcu_stall=1"
rc=0
ag_qemu_run "/boot/vmlinuz-$kver" "/boot/initrd.img-$kver" "$append" "$logdir" "${BOOT_TIMEOUT:-900}" \
	-drive "file=$bdir/rootfs.ext4,format=raw,if=virtio" || rc=$?
rm -f "$bdir/rootfs.ext4"
t4=$(date +%s)
echo "guest_s=$((t4 - t3)) qemu_rc=$rc" >>"$logdir/times"
tr -d '\r' <"$logdir/results.tap" >"$logdir/results.clean"
mv "$logdir/results.clean" "$logdir/results.tap"
log "guest finished in $((t4 - t3)) s (qemu status $rc)"
