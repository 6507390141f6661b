#!/bin/bash
# Build (or reuse) the cached Debian bookworm guest root filesystem image
# for the realworld attack suite.
#
#   build-guest.sh            prints the path of rootfs.ext4 on stdout
#
# The image lives OUTSIDE the clone, under
#   $(ag_cache_dir)/guest/<sha256 of packages.txt + this script>/rootfs.ext4
# It contains no aiguard code: the module, the tool and the test scripts are
# packed into a small second disk on every run (see run-guest.sh), so editing
# them never invalidates this cache. The guest boots the stock Debian kernel
# with Debian's own initrd (virtio_blk + ext4) and root=/dev/vda, then
# init=/sbin/aiguard-guest-init mounts the second disk and runs its /init.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

pkgs=$(grep -v '^#' "$here/packages.txt" | xargs | tr ' ' ',')
key=$(cat "$here/packages.txt" "$here/build-guest.sh" | sha256sum | cut -c1-16)
dir=$(ag_cache_dir)/guest/$key
img=$dir/rootfs.ext4

if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi

ag_ensure_packages debootstrap debian-archive-keyring e2fsprogs >&2
ag_cache_lock guest
if [ -s "$img" ]; then echo "$img"; exit 0; fi
mirror=$(ag_debian_mirror)

tmp=$dir.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
t0=$(date +%s)
echo "realworld: debootstrap bookworm minbase + apt-get install $pkgs from $mirror" >&2
fail() {
	mkdir -p "$(ag_cache_dir)/guest"
	cp "$tmp/build.log" "$(ag_cache_dir)/guest/failed-build.log" 2>/dev/null || true
	tail -n 30 "$tmp/build.log" >&2
	echo "realworld: guest build failed, log in $(ag_cache_dir)/guest/failed-build.log" >&2
	exit 1
}
# debootstrap's own dependency resolution trips over some of these
# packages (a configure loop); apt-get inside the chroot resolves them fine.
nice -n 10 debootstrap --variant=minbase bookworm "$root" "$mirror" >"$tmp/build.log" 2>&1 || fail
(
	export DEBIAN_FRONTEND=noninteractive LC_ALL=C
	nice -n 10 chroot "$root" apt-get update -q &&
		nice -n 10 chroot "$root" apt-get install -y -q --no-install-recommends ${pkgs//,/ } &&
		chroot "$root" apt-get clean
) >>"$tmp/build.log" 2>&1 || fail
chroot "$root" perf --version >>"$tmp/build.log" 2>&1 || fail
t1=$(date +%s)

# service users: one for the protected server, one for the control
chroot "$root" /usr/sbin/useradd --system --create-home --home-dir /srv/svc --shell /bin/sh svc
chroot "$root" /usr/sbin/useradd --system --create-home --home-dir /srv/ctl --shell /bin/sh ctl
echo aiguard-guest >"$root/etc/hostname"

# trim what a test guest never reads
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
	"$root"/usr/share/locale/* "$root"/var/cache/apt/archives/*.deb \
	"$root"/var/lib/apt/lists/* "$root"/var/log/*.log

mkdir -p "$root/overlay"
cat >"$root/sbin/aiguard-guest-init" <<'INIT'
#!/bin/sh
# PID 1 of the realworld guest: mount the basics and the per-run overlay
# disk (label agoverlay, normally /dev/vdb), then hand over to its /init.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mountpoint -q /dev/pts || mount -t devpts devpts /dev/pts
mountpoint -q /dev/shm || mount -t tmpfs tmpfs /dev/shm
mountpoint -q /run || mount -t tmpfs tmpfs /run
mountpoint -q /tmp || mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -o ro LABEL=agoverlay /overlay 2>/dev/null || mount -o ro /dev/vdb /overlay
if [ -x /overlay/init ]; then
	exec /overlay/init
fi
echo "aiguard-guest-init: no /overlay/init" >&2
echo o >/proc/sysrq-trigger
INIT
chmod 755 "$root/sbin/aiguard-guest-init"

mb=$(du -sm "$root" | cut -f1)
size=$((mb + mb / 4 + 128))
mkfs.ext4 -q -F -L agroot -O ^has_journal -d "$root" "$tmp/rootfs.ext4" "${size}M" >&2
t2=$(date +%s)
echo "realworld: guest image ${size} MiB (rootfs ${mb} MiB): debootstrap $((t1 - t0)) s, image $((t2 - t1)) s" >&2
printf 'debootstrap_s=%s image_s=%s rootfs_mb=%s image_mb=%s\n' $((t1 - t0)) $((t2 - t1)) "$mb" "$size" >"$tmp/build-times"
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/rootfs.ext4" "$tmp/build-times" "$tmp/build.log" "$dir/"
echo "$img"
