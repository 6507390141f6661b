# shellcheck shell=bash
# Shared helpers of the realworld suite. Uses the harness library
# tests/vm/lib.sh when it exists and defines private fallbacks for
# whatever it does not (yet) provide.
_rw_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_rw_top=$(cd "$_rw_dir/../.." && pwd)
if [ -f "$_rw_top/tests/vm/lib.sh" ]; then
	# shellcheck source=/dev/null
	. "$_rw_top/tests/vm/lib.sh"
fi

rw_log() { echo "realworld: $*" >&2; }

declare -F ag_cache_dir >/dev/null || ag_cache_dir() {
	echo "${AIGUARD_CACHE:-/var/cache/aiguard}"
}

declare -F ag_ensure_packages >/dev/null || ag_ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	rw_log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${missing[@]}" >&2 || {
		apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2
	}
}

declare -F ag_kernel_version >/dev/null || ag_kernel_version() {
	# 6.1 | 6.12 -> newest installed (or installable) stock kernel release
	local want=$1 v
	v=$(ls /boot/vmlinuz-"$want".* 2>/dev/null | sed 's|/boot/vmlinuz-||' | grep -E "^$want\.[0-9]+" | grep -E -- '-amd64$' | sort -V | tail -n1)
	if [ -z "$v" ] || [ ! -d "/usr/src/linux-headers-$v" ]; then
		local pkg
		pkg=$(apt-cache search --names-only "^linux-headers-$want\.[0-9.+a-z-]*-amd64$" 2>/dev/null |
			awk '{print $1}' | sort -V | tail -n1)
		[ -n "$pkg" ] || { rw_log "no linux-headers package for $want"; return 1; }
		ag_ensure_packages "$pkg"
		v=${pkg#linux-headers-}
	fi
	echo "$v"
}

declare -F ag_build_module >/dev/null || ag_build_module() {
	local kdir=$1 out=$2 b
	b=$out/src
	rm -rf "$b"
	mkdir -p "$b"
	cp -r "$_rw_top"/Kbuild "$_rw_top"/module "$_rw_top"/uapi "$b"/ 2>/dev/null
	[ -f "$_rw_top/Makefile.module" ] && cp "$_rw_top/Makefile.module" "$b/"
	nice make -s -C "$kdir" M="$b" modules >"$out/module-build.log" 2>&1 || {
		tail -n 20 "$out/module-build.log" >&2
		return 1
	}
	cp "$(find "$b" -name aiguard.ko | head -n1)" "$out/aiguard.ko"
}

declare -F ag_build_tool >/dev/null || ag_build_tool() {
	local out=$1
	mkdir -p "$out"
	[ -f "$_rw_top/tools/Makefile" ] || { rw_log "tools/Makefile missing: no aiguard tool"; return 1; }
	nice make -s -C "$_rw_top/tools" STATIC=1 O="$out" >"$out/tool-build.log" 2>&1 || {
		tail -n 20 "$out/tool-build.log" >&2
		return 1
	}
	[ -x "$out/aiguard" ]
}

declare -F ag_qemu_run >/dev/null || ag_qemu_run() {
	# KERNEL INITRD APPEND LOGDIR TIMEOUT [extra qemu args]
	local kernel=$1 initrd=$2 append=$3 logdir=$4 timeout=$5
	shift 5
	mkdir -p "$logdir"
	: >"$logdir/console.log"
	: >"$logdir/results.tap"
	local initrd_args=()
	[ -n "$initrd" ] && initrd_args=(-initrd "$initrd")
	timeout --foreground -k 5 "$timeout" nice qemu-system-x86_64 \
		-machine q35 -accel tcg -cpu max -smp 2 -m 1536 \
		-nodefaults -no-reboot -display none -monitor none \
		-kernel "$kernel" "${initrd_args[@]}" -append "$append" \
		-serial "file:$logdir/console.log" -serial "file:$logdir/results.tap" \
		-device virtio-rng-pci \
		"$@" </dev/null >"$logdir/qemu.log" 2>&1
}

declare -F ag_check_kernel_log >/dev/null || ag_check_kernel_log() {
	# non-zero when the console shows an oops, a warning or a lockdep report
	! grep -qE 'BUG:|WARNING:|Oops|general protection|Call Trace:|possible circular locking|KASAN|kmemleak' "$1"
}
