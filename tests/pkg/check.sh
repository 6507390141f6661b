#!/usr/bin/env bash
# tests/pkg/check.sh - host-side tests of the packaging (no module is
# loaded, nothing is installed on this machine but build dependencies):
#   - the version sources agree (VERSION, debian/changelog, the tool);
#   - `make install DESTDIR=...` lays out the expected files, `make
#     uninstall` removes them (a copy of the tree, the 6.12 headers);
#   - the systemd units parse; aiguard-boot (aiguard-lock.service) waits
#     and locks as its configuration says (stand-in systemctl and aiguard);
#   - a real `dkms build` (not install) for each installed stock kernel
#     (6.1, 6.12) in a scratch DKMS tree (--dkmstree/--sourcetree/
#     --installtree and a scratch MOK key: /var/lib/dkms is not touched),
#     then `dkms remove`; the module is signed by DKMS's own MOK hook;
#   - `make deb`: the three packages, their contents (dpkg-deb -c),
#     lintian clean but for the tags debian/*.lintian-overrides explain.
# Installs what it needs with apt-get (dkms, debhelper, dh-dkms, lintian,
# dpkg-dev, build-essential). Prints TAP; exits 1 when a test fails.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VER=$(cat "$ROOT/VERSION")
W=$(mktemp -d /tmp/aiguard-pkg.XXXXXX)
trap 'rm -rf "$W"' EXIT
N=0 FAILS=0

ok() { N=$((N + 1)); echo "ok $N - $1"; }
nok() {
	N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N - $1"
	[ -f "$W/out" ] && tail -n 15 "$W/out" | sed 's/^/#   /'
}
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }
# t NAME CMD...: runs CMD (output in $W/out), ok when it succeeds.
t() {
	local name=$1 t0=$SECONDS
	shift
	if "$@" >"$W/out" 2>&1; then ok "$name"; else nok "$name"; fi
	echo "#   $((SECONDS - t0)) s"
}

ensure_packages() {
	local missing=() p
	for p in dkms debhelper dh-dkms lintian dpkg-dev build-essential; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "# installing: ${missing[*]}"
	if [ -z "${AG_APT_UPDATED:-}" ]; then
		apt-get -o DPkg::Lock::Timeout=300 update -q >&2 || return 1
		export AG_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
		install -y -q --no-install-recommends "${missing[@]}" >&2
}

# The newest installed Debian header tree of a series, e.g. 6.12.117+deb12-amd64.
kernel_of() {
	local d
	d=$(ls -d /usr/src/linux-headers-"$1".*-amd64 2>/dev/null | sort -V | tail -n1)
	[ -n "$d" ] && [ -e "$d/Makefile" ] && echo "${d#/usr/src/linux-headers-}"
}

check_versions() {
	local deb tool
	deb=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version) || return 1
	tool=$("$W/tools/aiguard" --version) || return 1
	echo "VERSION=$VER debian=$deb tool='$tool'"
	[ "${deb%-*}" = "$VER" ] && [ "$tool" = "aiguard $VER (ABI $(sed -n 's/^#define AIGUARD_ABI_VERSION[[:space:]]*//p' "$ROOT/uapi/linux/aiguard.h"))" ] &&
		grep -q '^PACKAGE_VERSION="#MODULE_VERSION#"$' "$ROOT/dkms.conf"
}

# The files `make install` must create under DESTDIR D for kernel K.
install_list() {
	local d=$1 k=$2
	printf '%s\n' "$d/lib/modules/$k/updates/aiguard.ko"* \
		"$d/usr/sbin/aiguard" "$d/usr/share/man/man8/aiguard.8" \
		"$d/usr/include/linux/aiguard.h" "$d/usr/lib/udev/rules.d/60-aiguard.rules" \
		"$d/usr/lib/systemd/system/aiguard.service" "$d/usr/lib/systemd/system/aiguard-lock.service" \
		"$d/usr/lib/systemd/system/aiguard-metrics.service" "$d/usr/lib/systemd/system/aiguard-metrics.timer" \
		"$d/usr/lib/aiguard/aiguard-boot" "$d/usr/lib/aiguard/aiguard-metrics" \
		"$d/etc/aiguard/aiguard.conf" "$d/etc/modprobe.d/aiguard.conf" \
		"$d/usr/share/doc/aiguard/examples/llama.service" \
		"$d/usr/share/doc/aiguard/examples/modules-load.d-aiguard.conf" \
		"$d/usr/share/containers/oci/hooks.d/aiguard.json"
}

# A copy of the tree (the files git knows), like make deb's.
copy_tree() {
	mkdir -p "$1"
	if ! git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		tar -C "$ROOT" --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$1"
		return
	fi
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$1"
}

check_install() {
	local k=$1 src=$W/tree d=$W/destdir f
	copy_tree "$src" || return 1
	make -C "$src" -j"$(nproc)" install KDIR="/usr/src/linux-headers-$k" DESTDIR="$d" || return 1
	for f in $(install_list "$d" "$k"); do
		[ -f "$f" ] || { echo "missing: $f"; return 1; }
	done
	grep -q 'KERNEL=="aiguard", .*MODE="0600", OWNER="root", GROUP="root"' \
		"$d/usr/lib/udev/rules.d/60-aiguard.rules" || return 1
	# the user build is the kernel's own: no W=1, no -Werror
	! grep -Eq -- '-Werror( |$)' "$src"/module/.*.o.cmd || { echo "-Werror in the module build"; return 1; }
	make -C "$src" uninstall KDIR="/usr/src/linux-headers-$k" DESTDIR="$d" || return 1
	make -C "$src" clean KDIR="/usr/src/linux-headers-$k" || return 1
	for f in $(install_list "$d" "$k"); do
		case $f in */etc/*) continue ;; esac
		[ ! -e "$f" ] || { echo "left after uninstall: $f"; return 1; }
	done
	[ ! -e "$src/aiguard.ko" ] && [ ! -e "$src/module/main.o" ] ||
		{ echo "make clean left Kbuild output"; return 1; }
}

# dkms CMD...: dkms on the scratch trees only.
sdkms() {
	dkms --dkmstree "$W/dkms" --sourcetree "$W/src/usr/src" --installtree "$W/inst" "$@"
}

dkms_add() {
	mkdir -p "$W/dkms" "$W/inst"
	make -C "$ROOT" dkms-source DESTDIR="$W/src" >/dev/null || return 1
	grep -q "^PACKAGE_VERSION=\"$VER\"\$" "$W/src/usr/src/aiguard-$VER/dkms.conf" &&
		sdkms add -m aiguard -v "$VER"
}

dkms_build() {
	local k=$1 ko
	# DKMS's MOK signing hook, with a scratch key (created by dkms).
	export mok_signing_key=$W/mok.key mok_certificate=$W/mok.pub
	export sign_file=/usr/src/linux-headers-$k/scripts/sign-file
	sdkms build -m aiguard -v "$VER" -k "$k" \
		--kernelsourcedir "/usr/src/linux-headers-$k" || {
		cat "$W/dkms/aiguard/$VER/build/make.log" 2>/dev/null
		return 1
	}
	ko=$(ls "$W/dkms/aiguard/$VER/$k/x86_64/module/aiguard.ko"* 2>/dev/null | head -n1)
	[ -n "$ko" ] || { echo "no aiguard.ko for $k"; return 1; }
	echo "built $ko, signer: $(modinfo -F signer "$ko")"
	modinfo -F signer "$ko" | grep -q 'DKMS module signing key'
}

# The units parse (systemd-analyze verify); commands missing on this
# machine (/usr/sbin/aiguard, ...) are not the units' fault.
verify_units() {
	local u=$W/units
	mkdir -p "$u"
	cp "$ROOT"/packaging/*.service "$ROOT"/packaging/*.timer "$ROOT/packaging/examples/llama.service" "$u/"
	systemd-analyze verify --man=no "$u"/*.service "$u"/*.timer 2>&1 |
		grep -v 'is not executable: No such file' | tee "$W/verify"
	[ ! -s "$W/verify" ]
}

# boot CONF_LINES: runs aiguard-boot lock with a stand-in systemctl (units
# named up* are active, fail* failed, the rest activating) and aiguard
# (records "lock" in $W/locked). Prints its exit status.
boot() {
	mkdir -p "$W/boot"
	rm -f "$W/locked"
	printf '%s\n' "$@" >"$W/boot/conf"
	printf '#!/bin/sh\ncase $2 in up*) echo active ;; fail*) echo failed; exit 3 ;; *) echo activating; exit 3 ;; esac\n' >"$W/boot/systemctl"
	printf '#!/bin/sh\necho "$1" >"%s"\n' "$W/locked" >"$W/boot/aiguard"
	chmod 755 "$W/boot/systemctl" "$W/boot/aiguard"
	AIGUARD_CONF=$W/boot/conf SYSTEMCTL=$W/boot/systemctl AIGUARD=$W/boot/aiguard \
		AIGUARD_POLL=0.2 sh "$ROOT/packaging/aiguard-boot" lock
}

check_boot() {
	boot 'LOCK_AFTER=""' || return 1
	[ ! -e "$W/locked" ] || { echo "locked with an empty LOCK_AFTER"; return 1; }
	boot 'LOCK_AFTER="up1.service up2.service"' || return 1
	grep -qx lock "$W/locked" || { echo "not locked once all were active"; return 1; }
	boot 'LOCK_AFTER="up1.service slow.service"' LOCK_TIMEOUT=1 LOCK_ON_TIMEOUT=no &&
		{ echo "LOCK_ON_TIMEOUT=no: exit 0 after the timeout"; return 1; }
	[ ! -e "$W/locked" ] || { echo "LOCK_ON_TIMEOUT=no locked"; return 1; }
	boot 'LOCK_AFTER="fail.service up1.service"' LOCK_TIMEOUT=30 || return 1
	grep -qx lock "$W/locked" || { echo "a failed unit did not lock (LOCK_ON_TIMEOUT=yes)"; return 1; }
}

check_deb() {
	# nocheck: run_host_tests runs the tool's host tests already
	DEB_BUILD_OPTIONS=nocheck make -C "$ROOT" deb BUILD="$W/build" || return 1
	ls "$W/build/deb/aiguard-dkms_${VER}-"*_amd64.deb "$W/build/deb/aiguard_${VER}-"*_amd64.deb \
		"$W/build/deb/aiguard-dev_${VER}-"*_all.deb
}

# deb_has PACKAGE PATH...: dpkg-deb -c of PACKAGE's .deb lists every PATH.
deb_has() {
	local deb f
	deb=$(ls "$W/build/deb/$1_${VER}-"*.deb) || return 1
	shift
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/contents"
	for f in "$@"; do
		grep -qx "$f" "$W/contents" || { echo "missing: $f"; cat "$W/contents"; return 1; }
	done
}

run_lintian() {
	lintian --fail-on error,warning --suppress-tags-from-file /dev/null \
		"$W/build/deb/"*.changes
}

main() {
	local start=$SECONDS k series S=/usr/src/aiguard-$VER
	echo "TAP version 13"
	t "build dependencies installed (apt-get)" ensure_packages
	t "the tool builds" make -C "$ROOT/tools" O="$W/tools"
	t "VERSION, debian/changelog, dkms.conf and aiguard --version agree" check_versions
	k=$(kernel_of 6.12)
	if [ -n "$k" ]; then
		t "make install DESTDIR=..., uninstall and clean ($k)" check_install "$k"
	else
		skip "make install DESTDIR=..." "no 6.12 headers under /usr/src"
	fi
	t "systemd units parse (systemd-analyze verify)" verify_units
	t "aiguard-boot: waits for LOCK_AFTER, locks, honours the timeout" check_boot
	t "dkms add (scratch tree, version from VERSION)" dkms_add
	for series in 6.1 6.12; do
		k=$(kernel_of "$series")
		if [ -z "$k" ]; then
			skip "dkms build for $series" "no linux-headers-$series.*-amd64 under /usr/src"
			continue
		fi
		t "dkms build for $k, signed by DKMS's MOK hook" dkms_build "$k"
	done
	t "dkms remove --all" sdkms remove -m aiguard -v "$VER" --all
	t "make deb builds aiguard-dkms, aiguard, aiguard-dev" check_deb
	t "aiguard-dkms: the DKMS source" deb_has aiguard-dkms "$S/dkms.conf" "$S/Kbuild" \
		"$S/module/main.c" "$S/uapi/linux/aiguard.h"
	t "aiguard: tool, man page, udev rule, units, scripts, config, examples, OCI hook" deb_has aiguard \
		/usr/sbin/aiguard /usr/share/man/man8/aiguard.8.gz /lib/udev/rules.d/60-aiguard.rules \
		/lib/systemd/system/aiguard.service /lib/systemd/system/aiguard-lock.service \
		/lib/systemd/system/aiguard-metrics.service /lib/systemd/system/aiguard-metrics.timer \
		/usr/lib/aiguard/aiguard-boot /usr/lib/aiguard/aiguard-metrics \
		/etc/aiguard/aiguard.conf /etc/modprobe.d/aiguard.conf \
		/usr/share/doc/aiguard/examples/llama.service \
		/usr/share/containers/oci/hooks.d/aiguard.json
	t "aiguard-dev: the uapi header" deb_has aiguard-dev /usr/include/linux/aiguard.h
	t "lintian: no error or warning (overrides explained in debian/)" run_lintian
	echo "1..$N"
	echo "# tests/pkg/check.sh: $((SECONDS - start)) s"
	[ "$FAILS" -eq 0 ]
}

main "$@"
