#!/bin/bash
# Build (or reuse) the cached root tree of the boot guest: Debian bookworm
# with systemd as PID 1, udev, DKMS and the headers of both stock kernels,
# and nothing of aiguard (run.sh installs the freshly built .debs into a
# copy of it on every run).
#
#   build-base.sh 6.1-KVER 6.12-KVER    prints the path of base.tar
#
# The tar lives OUTSIDE the clone, under
#   $(ag_cache_dir)/boot/<sha256 of this script and the kernel versions>/
# and is rebuilt when either changes (a new Debian kernel, new headers).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../vm/lib.sh
. "$here/../vm/lib.sh"
k61=${1:?usage: build-base.sh KVER-6.1 KVER-6.12}
k612=${2:?usage: build-base.sh KVER-6.1 KVER-6.12}

# What an operator's server has for `apt install ./aiguard-dkms_*.deb`:
# systemd and udev, DKMS (which brings gcc and make), the headers of the
# kernels it runs; and what the checks use (python3, gdb, procps).
PKGS="systemd systemd-sysv udev kmod procps python3 gdb dkms
	linux-headers-$k61 linux-headers-$k612"

key=$( (cat "$here/build-base.sh"; echo "$k61 $k612") | sha256sum | cut -c1-16)
dir=$(ag_cache_dir)/boot/$key
tar=$dir/base.tar
if [ -s "$tar" ]; then
	echo "$tar"
	exit 0
fi

ag_ensure_packages debootstrap debian-archive-keyring >&2
ag_cache_lock boot
if [ -s "$tar" ]; then echo "$tar"; exit 0; fi
mirror=$(ag_debian_mirror)
tmp=$dir.tmp.$$
root=$tmp/root
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail() {
	cp "$tmp/build.log" "$(ag_cache_dir)/boot/failed-build.log" 2>/dev/null || true
	tail -n 30 "$tmp/build.log" >&2
	echo "boot: base build failed, log in $(ag_cache_dir)/boot/failed-build.log" >&2
	exit 1
}
t0=$(date +%s)
echo "boot: debootstrap bookworm minbase + $(echo $PKGS)" >&2
nice -n 10 debootstrap --variant=minbase bookworm "$root" "$mirror" >"$tmp/build.log" 2>&1 || fail
# the stock kernels' headers come from bookworm-security, like the host's
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
(
	export DEBIAN_FRONTEND=noninteractive LC_ALL=C
	nice -n 10 chroot "$root" apt-get update -q &&
		nice -n 10 chroot "$root" apt-get install -y -q --no-install-recommends $PKGS &&
		chroot "$root" apt-get clean
) >>"$tmp/build.log" 2>&1 || fail
echo aiguard-boot >"$root/etc/hostname"
# the service user of the example unit (aiguard exec --user)
chroot "$root" /usr/sbin/useradd --system --create-home --home-dir /srv/llm --shell /bin/sh llm
# no login prompt on the console, no network to wait for
chroot "$root" systemctl mask serial-getty@ttyS0.service getty@tty1.service \
	systemd-networkd-wait-online.service >>"$tmp/build.log" 2>&1 || true
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
	"$root"/usr/share/locale/* "$root"/var/lib/apt/lists/*
tar --numeric-owner -C "$root" -cf "$tmp/base.tar" .
t1=$(date +%s)
mb=$(du -sm "$root" | cut -f1)
echo "boot: base tree ${mb} MiB in $((t1 - t0)) s" >&2
printf 'build_s=%s tree_mb=%s\n' $((t1 - t0)) "$mb" >"$tmp/build-times"
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/base.tar" "$tmp/build-times" "$tmp/build.log" "$dir/"
echo "$tar"
