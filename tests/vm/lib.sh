# shellcheck shell=bash
# tests/vm/lib.sh - sourceable helpers for building aiguard and testing it
# inside QEMU guests. Used by tests/vm/run.sh (`make check`) and by other
# test drivers (e.g. tests/realworld/). Source it from bash:
#
#     . tests/vm/lib.sh
#
# Every function fails (non-zero) rather than exiting, logs to stderr and
# prints only its documented result to stdout, so callers can capture it:
#     kver=$(ag_kernel_version 6.12)
#
# Nothing here loads a module into the host kernel: modules are only loaded
# inside QEMU guests.

# Repository root (this file lives in tests/vm/).
AG_ROOT=${AG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# Bumped whenever ag_build_debug_kernel's recipe changes, so that a cached
# tree built by an older recipe is not reused.
AG_DEBUG_RECIPE=1

# ag_log MSG... : progress message on stderr, prefixed so it stands out.
ag_log() {
	echo "[aiguard] $*" >&2
}

# ag_cache_dir : prints the directory for caches that outlive the clone
# (debug kernel tree, checkpatch). /var/cache/aiguard unless AIGUARD_CACHE.
ag_cache_dir() {
	echo "${AIGUARD_CACHE:-/var/cache/aiguard}"
}

# ag_cache_lock KIND: holds KIND's build lock (fd 9, until the shell
# exits) under the cache, then removes what interrupted builds left
# (*.tmp.*) and entries of other keys unused for a week. The caller checks
# again whether its entry appeared while it waited.
ag_cache_lock() {
	local d
	d=$(ag_cache_dir)/$1
	mkdir -p "$d"
	exec 9>"$d/.lock"
	flock 9
	rm -rf "$d"/*.tmp.*
	find "$d" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null || true
}

# ag_debian_mirror: the Debian mirror this machine's apt uses
# (AIGUARD_DEBIAN_MIRROR overrides), else deb.debian.org.
ag_debian_mirror() {
	local m=${AIGUARD_DEBIAN_MIRROR:-}
	if [ -z "$m" ]; then
		m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources 2>/dev/null |
			grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

# ag_ensure_packages PKG... : apt-get install the packages that are not
# installed yet. Runs `apt-get update` at most once per run (remembered in
# AG_APT_UPDATED, exported so child scripts share it).
ag_ensure_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
			missing+=("$pkg")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	ag_apt_update || return 1
	ag_log "installing: ${missing[*]}"
	# A fresh cloud machine often runs unattended upgrades first: wait for
	# the dpkg lock instead of failing.
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		--no-install-recommends "${missing[@]}" >&2
}

# ag_apt_update : `apt-get update`, once per run.
ag_apt_update() {
	[ -n "${AG_APT_UPDATED:-}" ] && return 0
	ag_log "apt-get update"
	apt-get -o DPkg::Lock::Timeout=600 update -q >&2 || return 1
	export AG_APT_UPDATED=1
}

# ag_kernel_version 6.1|6.12 : prints the `uname -r` of the current Debian
# kernel of that series (e.g. 6.1.0-56-amd64), resolved through the
# linux-headers-amd64 / linux-headers-6.12-amd64 meta packages so no ABI
# number is hard-coded. Installs the headers and image when missing, so that
# /usr/src/linux-headers-<ver> and /boot/vmlinuz-<ver> exist afterwards.
ag_kernel_version() {
	local series=$1 meta pkg ver
	case $series in
	6.1) meta=linux-headers-amd64 ;;
	6.12) meta=linux-headers-6.12-amd64 ;;
	*) ag_log "ag_kernel_version: unknown series '$series' (6.1 or 6.12)"; return 1 ;;
	esac
	# apt-cache needs package lists; on a fresh machine they are empty.
	if ! apt-cache show "$meta" >/dev/null 2>&1; then
		ag_apt_update || return 1
	fi
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-[0-9].*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then
		ag_log "cannot resolve the kernel of series $series from $meta"
		return 1
	fi
	ver=${pkg#linux-headers-}
	if [ ! -d "/usr/src/linux-headers-$ver" ] || [ ! -f "/boot/vmlinuz-$ver" ]; then
		ag_ensure_packages "linux-headers-$ver" "linux-image-$ver" || return 1
	fi
	echo "$ver"
}

# ag_copy_sources DIR : copies the module's sources (Kbuild, module/, uapi/,
# tests/kunit/) into DIR. Out-of-tree builds happen there, never in the
# shared source tree, so concurrent builds cannot trip over each other.
ag_copy_sources() {
	local dir=$1 d
	mkdir -p "$dir"
	for d in module uapi tests/kunit; do
		rm -rf "${dir:?}/$d"
		if [ -d "$AG_ROOT/$d" ]; then
			mkdir -p "$dir/$(dirname "$d")"
			cp -a "$AG_ROOT/$d" "$dir/$d"
		fi
	done
	cp "$AG_ROOT/Kbuild" "$dir/Kbuild"
}

# ag_build_module KDIR OUTDIR [make args...] : copies the sources to OUTDIR
# and builds them with W=1 against the kernel tree KDIR. Leaves
# OUTDIR/aiguard.ko, OUTDIR/aiguard_kunit.ko when the kernel has KUnit, and
# the full log in OUTDIR/build.log. Fails when the build fails or the log
# has any "warning:".
ag_build_module() {
	local kdir=$1 out=$2
	shift 2
	if [ ! -e "$kdir/Makefile" ]; then
		ag_log "no kernel build tree at $kdir (set KDIR=...)"
		return 1
	fi
	out=$(mkdir -p "$out" && cd "$out" && pwd)
	ag_copy_sources "$out"
	rm -f "$out"/*.ko
	# W=1 leaves -Wmaybe-uninitialized off; an uninitialised error path
	# slipped through once, so ask for it.
	if ! make -C "$kdir" M="$out" W=1 KCFLAGS=-Wmaybe-uninitialized "$@" modules \
		>"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		ag_log "module build failed against $kdir (log: $out/build.log)"
		return 1
	fi
	if grep -q 'warning:' "$out/build.log"; then
		grep 'warning:' "$out/build.log" >&2
		ag_log "module build has warnings (log: $out/build.log)"
		return 1
	fi
	[ -f "$out/aiguard.ko" ]
}

# _ag_make_into DIR OUTDIR MISSING_MSG [make args...] : make -C DIR O=OUTDIR
# (made absolute), its output on stderr. Returns 0 and builds nothing, with
# MISSING_MSG, when DIR has no Makefile yet.
_ag_make_into() {
	local dir=$AG_ROOT/$1 out=$2 missing=$3
	shift 3
	if [ ! -f "$dir/Makefile" ]; then
		ag_log "$missing"
		return 0
	fi
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	make -C "$dir" "$@" O="$out" >&2
}

# ag_build_tool OUTDIR : builds the static userland tool into OUTDIR/aiguard
# (make -C tools STATIC=1 O=OUTDIR). Returns 0 and builds nothing when
# tools/Makefile does not exist yet; callers check for OUTDIR/aiguard.
ag_build_tool() {
	_ag_make_into tools "$1" "tools/Makefile missing: skipping the aiguard tool" STATIC=1
}

# ag_build_e2e OUTDIR : builds the e2e suites tests/e2e/tests.list names
# (static programs, shell scripts) with their helpers and the list itself
# into OUTDIR (make -C tests/e2e O=OUTDIR). No-op when tests/e2e/Makefile
# is missing.
ag_build_e2e() {
	_ag_make_into tests/e2e "$1" "tests/e2e/Makefile missing: only the harness smoke test runs"
}

# The kernel's own selftests that touch what aiguard hooks (ptrace, /proc,
# pidfds, clone and exec, namespaces joined through /proc, kcmp, seccomp's
# ptrace interplay, close_range, perf events, and from mm the programs
# below), from the source of each kernel's series: linux-source-6.1 for
# 6.1 and the debug kernel, linux-source-6.12 for 6.12. The 6.1 tree has
# no coredump selftests (they came later).
AG_SELFTESTS="ptrace pidfd proc clone3 exec nsfs kcmp pid_namespace seccomp core perf_events mm"
# mm's programs are run by a script (run_vmtests.sh) with arguments, and
# many need hugepages, NUMA or test modules: these are the ones that run
# alone, in a guest without those, and exercise what aiguard watches:
# unmapping (cleared pages), fork and COW, page pinning, process_mrelease,
# secret memory, /proc/PID/pagemap, madvise and mremap. A name the series
# lacks is left out; so is one that does not build there (6.12's
# khugepaged.c lacks an include, so mm is built with make -k).
AG_SELFTESTS_MM="cow gup_longterm madv_populate map_fixed_noreplace map_populate memfd_secret mkdirty mlock-random-test mlock2-tests mrelease_test mremap_dontunmap mremap_test pagemap_ioctl soft-dirty"
# Not run: a benchmark, whose verdict is a timing; and pidfd_test, which
# hangs in the test guest without aiguard too, until the 120 s timeout
# kills it (the other pidfd programs cover pidfd_open, getfd, poll, wait,
# setns and fdinfo).
AG_SELFTESTS_SKIP="seccomp/seccomp_benchmark pidfd/pidfd_test"

# _ag_selftest_progs SRC DIR OUTDIR : the names of DIR's test programs
_ag_selftest_progs() {
	if [ "$2" = mm ] || [ "$2" = vm ]; then
		echo "$AG_SELFTESTS_MM"
	else
		make -s -C "$1/tools/testing/selftests/$2" OUTPUT="$3" ALIGNS= emit_tests 2>/dev/null |
			sed 's/^[^:]*://'
	fi
}

# ag_build_selftests OUTDIR SERIES : builds AG_SELFTESTS from
# linux-source-SERIES, static and stripped, into OUTDIR/<dir>/ with their
# run-time files, and writes OUTDIR/list ("dir prog" per compiled test
# program; scripts are left out: the test guest has busybox only). 6.12's
# programs use its uapi headers (make headers in the tree); 6.1's, the
# system's, which are 6.1's. Cached by source version and list. The exec
# tests' load_address variants are left out: they need a static-pie
# toolchain.
ag_build_selftests() {
	local out=$1 series=$2 src ver key cache d p keep
	ag_ensure_packages libcap-dev || return 1
	src=$(ag_source_tree "$series") || return 1
	ver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
	# "recipe 2": mm (vm before 6.3) with make -k; bump on any change here
	key=$(printf '%s\n' "recipe 2" "$ver" "$AG_SELFTESTS" "$AG_SELFTESTS_MM" "$AG_SELFTESTS_SKIP" \
		"$(gcc -dumpfullversion)" | sha256sum | cut -c1-16)
	cache=$(ag_cache_dir)/selftests/$key
	if [ ! -f "$cache/list" ]; then
		if [ "$series" != 6.1 ] && [ ! -f "$src/.headers" ]; then
			make -s -C "$src" headers >/dev/null 2>&1 ||
				{ ag_log "make headers failed in $src"; return 1; }
			touch "$src/.headers"
		fi
		rm -rf "$cache.tmp"
		mkdir -p "$cache.tmp"
		for d in $AG_SELFTESTS; do
			# mm was vm until 6.3
			[ "$d" = mm ] && [ ! -d "$src/tools/testing/selftests/mm" ] && d=vm
			mkdir -p "$cache.tmp/$d"
			keep=
			[ "$d" = mm ] || [ "$d" = vm ] && keep=-k
			make -s $keep -C "$src/tools/testing/selftests/$d" OUTPUT="$cache.tmp/$d" \
				CC="gcc -static -s" ALIGNS= >"$cache.tmp/$d.log" 2>&1 || [ -n "$keep" ] ||
				{ ag_log "selftests $d failed to build (see $cache.tmp/$d.log)"; return 1; }
			[ "$d" = exec ] && cp "$src/tools/testing/selftests/exec/Makefile" "$cache.tmp/exec/"
			for p in $(_ag_selftest_progs "$src" "$d" "$cache.tmp/$d"); do
				case " $AG_SELFTESTS_SKIP " in *" $d/$p "*) continue ;; esac
				head -c 4 "$cache.tmp/$d/$p" 2>/dev/null | grep -q ELF &&
					echo "$d $p" >>"$cache.tmp/list"
			done
		done
		rm -rf "$cache"
		mv "$cache.tmp" "$cache"
	fi
	rm -rf "$out"
	mkdir -p "$out"
	cp -a "$cache"/. "$out"/
	rm -f "$out"/*.log
}

# ag_build_guest_progs OUTDIR : builds the guest init (OUTDIR/init, with the
# PID 1 setup of pid1.c it shares with tests/bench/bench.c) and the
# harness's own smoke test (OUTDIR/t_smoke), both static. Both print TAP
# through tests/e2e/tap.c, the C TAP library of every test program.
ag_build_guest_progs() {
	local out=$1 vm=$AG_ROOT/tests/vm e2e=$AG_ROOT/tests/e2e
	local cflags=(-static -O2 -Wall -Wextra -Werror -I"$e2e")
	mkdir -p "$out"
	gcc "${cflags[@]}" -o "$out/init" "$vm/init.c" "$vm/pid1.c" "$e2e/tap.c" &&
	gcc "${cflags[@]}" -I"$AG_ROOT/uapi" -o "$out/t_smoke" "$vm/smoke.c" "$e2e/tap.c"
}

# ag_make_initramfs OUT.cpio.gz STAGING_DIR : packs STAGING_DIR (a guest
# root: /init, /bin/busybox, ...) into a gzip'd newc cpio. Adds /dev/console
# so the kernel can open it before init mounts devtmpfs. Needs root (mknod).
ag_make_initramfs() {
	local out=$1 stage=$2
	mkdir -p "$stage/dev"
	[ -e "$stage/dev/console" ] || mknod -m 600 "$stage/dev/console" c 5 1
	(cd "$stage" && find . -print0 | sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$out"
}

# ag_stage_guest STAGING_DIR MODDIR USERDIR : lays out a guest root for the
# standard init: busybox in /bin (and bash-static as /bin/bash, which the
# kernel's exec selftests name as their scripts' interpreter), the modules from MODDIR in /lib/aiguard/,
# USERDIR/aiguard as /usr/bin/aiguard, the smoke test in /tests/vm/, the
# e2e build (USERDIR/e2e: the suites, tests.list, which says what the init
# runs in which order, and their helpers) in /tests/e2e/ and USERDIR/init
# as /init.
ag_stage_guest() {
	local stage=$1 moddir=$2 user=$3
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,lib/aiguard,tests/vm,tests/e2e,proc,sys,tmp,dev,etc}
	cp /bin/busybox "$stage/bin/busybox"
	[ -x /bin/bash-static ] && cp /bin/bash-static "$stage/bin/bash"
	cp "$user/init" "$stage/init"
	cp "$moddir"/*.ko "$stage/lib/aiguard/"
	[ -f "$user/aiguard" ] && cp "$user/aiguard" "$stage/usr/bin/aiguard"
	cp "$user/t_smoke" "$stage/tests/vm/t_smoke"
	if [ -d "$user/e2e" ]; then
		cp -a "$user"/e2e/. "$stage/tests/e2e/"
	fi
	return 0
}

# ag_stage_kernel_module STAGING_DIR KVER PATH DEST : copies the
# distribution module /lib/modules/KVER/kernel/PATH.ko (or .ko.xz,
# .ko.zst), decompressed, to DEST in the guest root. Returns 1 (and stages
# nothing) when the kernel has no such module.
ag_stage_kernel_module() {
	local stage=$1 kver=$2 path=$3 dest=$4 src out
	src=$(ls /lib/modules/"$kver"/kernel/"$path".ko* 2>/dev/null | head -n1)
	[ -n "$src" ] || return 1
	out=$stage$dest
	mkdir -p "${out%/*}"
	case $src in
	*.xz) xz -dc "$src" >"$out" ;;
	*.zst) zstd -qdc "$src" >"$out" ;;
	*) cp "$src" "$out" ;;
	esac || { rm -f "$out"; return 1; }
}

# ag_stage_signed_module STAGING_DIR KVER : stages a small module that
# Debian signed for kernel KVER (drivers/net/dummy) as
# /lib/aiguard/signed/dummy.ko, for the tests that show a signed module
# still loads once the kernel is sealed. Returns 1 (and stages nothing)
# when the kernel has no such signed module.
ag_stage_signed_module() {
	local out=$1/lib/aiguard/signed/dummy.ko
	ag_stage_kernel_module "$1" "$2" drivers/net/dummy /lib/aiguard/signed/dummy.ko || return 1
	tail -c 28 "$out" | grep -q 'Module signature appended' || { rm -f "$out"; return 1; }
}

# ag_check_tests_list : fails, naming it, when a test of tests/e2e (t_*.c
# or t_*.sh) is not in tests/e2e/tests.list: it would be neither built nor
# run. (A listed test without a source fails the e2e build.)
ag_check_tests_list() {
	local dir=$AG_ROOT/tests/e2e f name bad=0
	for f in "$dir"/t_*.c "$dir"/t_*.sh; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .c)
		if ! awk -v n="$name" '!/^#/ && NF == 2 && $2 == n { found = 1 }
			END { exit !found }' "$dir/tests.list"; then
			ag_log "tests/e2e/tests.list does not name $name"
			bad=1
		fi
	done
	return $bad
}

# ag_qemu_run KERNEL_IMAGE INITRD APPEND LOGDIR TIMEOUT [extra qemu args...]
# Boots KERNEL_IMAGE with INITRD under qemu-system-x86_64 (TCG, 2 vCPUs,
# 1 GiB). Serial port 0 (ttyS0, the kernel console) goes to
# LOGDIR/console.log, serial port 1 (ttyS1, where the guest writes its
# results) to LOGDIR/results.tap, QEMU's own output to LOGDIR/qemu.log.
# APPEND gets "console=ttyS0" added if it has no console= itself.
# Returns QEMU's status; 124 when it was killed after TIMEOUT seconds; 125
# when it was killed early because the guest kernel had a splat (see
# ag_check_kernel_log) and then wrote no result for AG_VM_STALL seconds
# (default 90): a deadlocked guest does not make the run wait the full
# timeout.
ag_qemu_run() {
	local kernel=$1 initrd=$2 append=$3 logdir=$4 tmo=$5
	shift 5
	mkdir -p "$logdir"
	rm -f "$logdir/console.log" "$logdir/results.tap" "$logdir/qemu.log"
	case " $append " in *" console="*) ;; *) append="console=ttyS0 $append" ;; esac
	# A CPU with RDRAND lets the kernel seed its RNG at boot: on qemu64 "crng
	# init done" comes seconds later, mid-test, and its static-key patching
	# of running code can trip TCG (an int3 Oops in get_random_u64 was seen).
	append="$append random.trust_cpu=on"
	# TCG unless told otherwise: /dev/kvm may exist and still not work
	# (nested virtualisation), and CI machines have no KVM.
	# One TCG thread for both vCPUs: with multi-threaded TCG a vCPU can
	# still run a stale translation of code the kernel has just live-patched
	# through int3 (static keys, ftrace), an "Oops: int3" seen twice on
	# 6.12 guests. The guest stays SMP; the host runs it on one thread.
	local accel=${AG_QEMU_ACCEL:-tcg,thread=single}
	qemu-system-x86_64 \
		-machine pc -accel "$accel" -cpu "${AG_QEMU_CPU:-max}" -smp 2 -m 1024 \
		-nodefaults -display none -monitor none -no-reboot \
		-serial "file:$logdir/console.log" \
		-serial "file:$logdir/results.tap" \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		"$@" </dev/null >"$logdir/qemu.log" 2>&1 &
	local pid=$! start=$SECONDS stall=${AG_VM_STALL:-90}
	local size last_size=-1 last_change=$SECONDS why=""
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		size=$(stat -c %s "$logdir/results.tap" 2>/dev/null || echo 0)
		if [ "$size" != "$last_size" ]; then
			last_size=$size
			last_change=$SECONDS
		fi
		if ((SECONDS - start >= tmo)); then
			why=124
		elif ((SECONDS - last_change >= stall)) &&
			grep -aEq "$AG_SPLAT_RE" "$logdir/console.log" 2>/dev/null; then
			why=125
		else
			continue
		fi
		echo "aiguard harness: stopping QEMU ($why: $( [ "$why" = 124 ] &&
			echo "timeout after $tmo s" ||
			echo "kernel splat, then no result for $stall s"))" >>"$logdir/qemu.log"
		kill "$pid" 2>/dev/null
		sleep 3
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return "$why"
	done
	wait "$pid"
}

# The kernel log lines that mean something went wrong in the guest kernel.
# Not kmemleak's "N new suspected memory leaks": automatic scans are off,
# and the guest's own kmemleak check (tests/vm/init.c) lists and judges
# every object its explicit scans find, boot-time ones included.
AG_SPLAT_RE='BUG:|WARNING:|Oops|Call Trace|general protection fault|Kernel panic|'\
'possible circular locking|inconsistent lock state|possible recursive locking|'\
'suspicious RCU usage|DEBUG_LOCKS_WARN_ON|KASAN|UBSAN|unreferenced object|'\
'INFO: task .* blocked'

# ag_check_kernel_log LOGFILE : returns non-zero and prints the offending
# lines (with a little context) when LOGFILE (a guest console log) has a
# kernel splat: BUG/WARNING/Oops/Call Trace, lockdep, KASAN, kmemleak...
ag_check_kernel_log() {
	local log=$1
	[ -f "$log" ] || { echo "missing kernel log $log"; return 1; }
	if grep -aEq "$AG_SPLAT_RE" "$log"; then
		grep -aE -A 3 "$AG_SPLAT_RE" "$log" | head -n 60
		return 1
	fi
	return 0
}

# ag_source_tree SERIES : prints the path of the extracted
# linux-source-SERIES tree (6.1 or 6.12) in the cache, installing the
# package and extracting it if needed.
ag_source_tree() {
	local series=$1 ver dir
	ag_ensure_packages "linux-source-$series" xz-utils || return 1
	ver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
	dir=$(ag_cache_dir)/src/linux-source-${series}_$ver
	if [ ! -f "$dir/.extracted" ]; then
		ag_log "extracting /usr/src/linux-source-$series.tar.xz"
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -xJf "/usr/src/linux-source-$series.tar.xz" -C "$dir" --strip-components=1 || return 1
		touch "$dir/.extracted"
	fi
	echo "$dir"
}

# ag_debug_source_tree : the tree the debug kernel is built from (6.1).
ag_debug_source_tree() {
	ag_source_tree 6.1
}

# ag_build_debug_kernel : builds (or reuses from the cache) the debug kernel:
# linux-source-6.1, tinyconfig + tests/vm/debug.config. Prints the kernel
# build (object) directory: use it as KDIR for modules; the image is
# <dir>/arch/x86/boot/bzImage. The cache key is the source version, the
# fragment's sha256 and AG_DEBUG_RECIPE. A lock serialises concurrent runs.
ag_build_debug_kernel() {
	local frag=$AG_ROOT/tests/vm/debug.config src ver sum obj rc=0
	src=$(ag_debug_source_tree) || return 1
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	sum=$( (cat "$frag"; echo "recipe $AG_DEBUG_RECIPE") | sha256sum | cut -c1-16)
	obj=$(ag_cache_dir)/debug-kernel/$ver-$sum
	mkdir -p "$(dirname "$obj")"
	(
		flock 9
		if [ -f "$obj/.complete" ]; then
			exit 0
		fi
		ag_log "building the debug kernel in $obj (log: $obj/build.log)"
		rm -rf "$obj"
		mkdir -p "$obj"
		_ag_debug_kernel_build "$src" "$obj" "$frag" >"$obj/build.log" 2>&1 || {
			tail -n 40 "$obj/build.log" >&2
			ag_log "debug kernel build failed (log: $obj/build.log)"
			exit 1
		}
		touch "$obj/.complete"
	) 9>"$obj.lock" || rc=1
	[ $rc -eq 0 ] && echo "$obj"
	return $rc
}

# _ag_debug_kernel_build SRC OBJ FRAGMENT : configures and builds; internal
# to ag_build_debug_kernel. Fails when a "=y" (or "is not set") line of the
# fragment did not end up that way in the final .config.
_ag_debug_kernel_build() {
	local src=$1 obj=$2 frag=$3 line opt want bad=0
	# (set -e does not work here: we run on the left of an ||)
	make -C "$src" O="$obj" tinyconfig || return 1
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" || return 1
	make -C "$src" O="$obj" olddefconfig || return 1
	while IFS= read -r line; do
		case $line in
		CONFIG_*=y) opt=${line%%=*}; want=y ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; want=n ;;
		*) continue ;;
		esac
		if [ $want = y ] && ! grep -qx "$opt=y" "$obj/.config"; then
			echo "REQUIRED OPTION MISSING: $opt=y (got: $(grep "^$opt=\|# $opt " "$obj/.config" || echo absent))" >&2
			bad=1
		elif [ $want = n ] && grep -q "^$opt=" "$obj/.config"; then
			echo "OPTION MUST BE OFF: $opt" >&2
			bad=1
		fi
	done <"$frag"
	[ $bad -eq 0 ] || { echo "debug.config options did not stick" >&2; return 1; }
	# bzImage for booting; modules gives Module.symvers and modules_prepare
	# the rest that out-of-tree modules need.
	make -C "$src" O="$obj" -j"$(nproc)" bzImage modules || return 1
	make -C "$src" O="$obj" modules_prepare
}

# ag_checkpatch_dir : prints a directory holding checkpatch.pl,
# spelling.txt and const_structs.checkpatch from linux-source-6.1,
# extracted once into the cache.
ag_checkpatch_dir() {
	local ver dir
	ag_ensure_packages linux-source-6.1 xz-utils || return 1
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	dir=$(ag_cache_dir)/checkpatch/$ver
	if [ ! -f "$dir/scripts/checkpatch.pl" ]; then
		mkdir -p "$dir"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$dir" --strip-components=1 \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch || return 1
	fi
	echo "$dir/scripts"
}
