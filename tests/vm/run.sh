#!/usr/bin/env bash
# tests/vm/run.sh - the whole test run behind `make check`.
#
#   KERNELS="6.1 6.12 debug" bash tests/vm/run.sh
#
# For each kernel: build aiguard.ko (W=1, warnings fail), run sparse (stock
# kernels), pack an initramfs (tests/vm/init.c as PID 1 + busybox + tests),
# boot it under QEMU, and turn what the guest wrote on its results port into
# PASS/FAIL/SKIP verdicts (tests/vm/tap.awk). Plus checkpatch once.
#
# Every verdict lands in build/logs/verdicts.tsv; each kernel's console.log,
# results.tap and build logs stay in build/logs/<kernel>/. The last line
# printed is "N passed, N failed, N skipped"; the exit status is non-zero
# when anything failed.
#
# Environment: KERNELS (default "6.1 6.12 debug"), AG_SUITES (while
# developing: the guests run only these e2e suites, at CI size, and the
# checkpatch, sparse and host tests are left out), AG_VM_TIMEOUT (seconds
# per stock-kernel boot, default 1800), AG_DEBUG_VM_TIMEOUT (default 2400),
# AIGUARD_CACHE (default /var/cache/aiguard), AG_SKIP_REALWORLD=1 (do not
# run tests/realworld/check.sh), AG_SKIP_BOOT=1 (do not run
# tests/boot/check.sh), AG_STRESS=1 ("make stress": the guests run only the
# suites STRESS_SUITES names (default: t_fuzz t_storm t_races t_load.sh),
# with ag_stress=1 on the kernel command line,
# which makes them use their full counts, and with hours of timeout; no
# checkpatch, no host tests, no real-world or boot guests), AG_LANES
# (kernels run at once, default 2: see run_lanes).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KERNELS=${KERNELS:-"6.1 6.12 debug"}
BUILD=$AG_ROOT/build
LOGS=$BUILD/logs
VERDICTS=$LOGS/verdicts.tsv
TIMES=$LOGS/times.txt
USERLAND=$BUILD/userland
STRESS_SUITES=${STRESS_SUITES:-"t_fuzz t_storm t_races t_load.sh"}

# Packages a fresh Debian bookworm machine lacks for the whole run.
PACKAGES=(build-essential bc bison flex libelf-dev libssl-dev dwarves rsync
	cpio kmod sparse busybox-static bash-static qemu-system-x86
	linux-source-6.1 linux-source-6.12 xz-utils gzip util-linux perl)

# record TAG STATUS TEXT : one verdict (PASS/FAIL/SKIP), shown and kept.
record() {
	printf '%s\t%s\t%s\n' "$2" "$1" "$3" >>"$VERDICTS"
	printf '%-4s [%s] %s\n' "$2" "$1" "$3"
}

# check TAG TEXT CMD... : runs CMD and records PASS or FAIL for TEXT.
check() {
	local tag=$1 text=$2
	shift 2
	if "$@"; then record "$tag" PASS "$text"; else record "$tag" FAIL "$text"; fi
}

# timed NAME CMD... : runs CMD and keeps its wall time in times.txt.
timed() {
	local name=$1 start=$SECONDS rc=0
	shift
	"$@" || rc=$?
	echo "$name: $((SECONDS - start)) s" | tee -a "$TIMES" >&2
	return $rc
}

# Everything the guests run that does not depend on the kernel. The init
# and the smoke test must build; a broken tool or e2e build is recorded as a
# failure but the guests still boot with whatever did build.
build_userland() {
	rm -rf "$USERLAND"
	ag_build_guest_progs "$USERLAND" || return 1
	if [ -f "$AG_ROOT/tools/Makefile" ]; then
		check static "aiguard tool builds (static)" ag_build_tool "$USERLAND"
	fi
	if [ -f "$AG_ROOT/tests/e2e/Makefile" ]; then
		check static "e2e tests build (static)" ag_build_e2e "$USERLAND/e2e"
		check static "tests/e2e/tests.list names every e2e test" ag_check_tests_list
		check static "kernel selftests build (static, linux-source-6.1)" \
			ag_build_selftests "$USERLAND/selftests/6.1" 6.1
		check static "kernel selftests build (static, linux-source-6.12)" \
			ag_build_selftests "$USERLAND/selftests/6.12" 6.12
	fi
}

# checkpatch --strict on every source file of the module and its tests.
run_checkpatch() {
	local dir f out
	dir=$(ag_checkpatch_dir) || { record static FAIL "checkpatch.pl available"; return; }
	while IFS= read -r f; do
		if out=$(cd "$AG_ROOT" && perl "$dir/checkpatch.pl" --strict --no-tree \
			--show-types --terse -f "$f" 2>&1); then
			record static PASS "checkpatch --strict $f"
		else
			echo "$out" >>"$LOGS/checkpatch.log"
			echo "$out" | head -n 20
			record static FAIL "checkpatch --strict $f (see $LOGS/checkpatch.log)"
		fi
	done < <(cd "$AG_ROOT" && find module uapi tests/kunit -type f \
		\( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
}

# Host-side tests: the ioctl ABI layout (64- and 32-bit) and its documented
# contract (tests/abi), the tool against its LD_PRELOAD stand-in of
# /dev/aiguard (tools/tests), and the module's one-way layers
# (tests/static/layers.sh). Their TAP blocks are counted like a guest's.
run_host_tests() {
	local out=$LOGS/host.tap
	{
		make -s -C "$AG_ROOT/tests/abi" check 2>&1 |
			awk '/^TAP version/ { print "# suite: abi/" ++n; next } { print }'
		echo "# suite: tool-host"
		make -s -C "$AG_ROOT/tools" check 2>&1 | grep -v '^TAP version'
		echo "# suite: module-layers"
		bash "$AG_ROOT/tests/static/layers.sh" 2>&1
		# packaging: make install, dkms build per kernel, make deb, lintian
		echo "# suite: packaging"
		bash "$AG_ROOT/tests/pkg/check.sh" 2>"$LOGS/pkg.log" | grep -v '^TAP version'
	} >"$out"
	record_results static "$out"
}

# sparse (C=2) on our files against kernel tree KDIR; kernel headers'
# own complaints are not ours and are ignored.
run_sparse() {
	local kdir=$1 dir=$2 log
	log=$dir/sparse.log
	ag_copy_sources "$dir"
	make -C "$kdir" M="$dir" C=2 W=1 modules >"$log" 2>&1 || return 1
	if grep -E "^($dir/)?(module|uapi|tests/kunit)/[^:]*:[0-9]+:[0-9]+: (warning|error)" "$log"; then
		return 1
	fi
	return 0
}

# Parses a guest's results port into verdicts.
record_results() {
	local tag=$1 file=$2
	[ -f "$file" ] || return 0
	awk -v tag="$tag" -f "$AG_ROOT/tests/vm/tap.awk" "$file" >"$file.verdicts"
	cat "$file.verdicts" >>"$VERDICTS"
	awk -F'\t' '{ printf "%-4s [%s] %s\n", $1, $2, $3 }' "$file.verdicts"
}

# run_kernel 6.1|6.12|debug : build, boot and test one kernel.
run_kernel() {
	local k=$1 kver kdir image append tmo obj logdir bdir rc series
	case $k in
	6.1 | 6.12)
		kver=$(timed "resolve/install $k kernel" ag_kernel_version "$k") ||
			{ record "$k" FAIL "kernel $k installed"; return; }
		kdir=/usr/src/linux-headers-$kver
		image=/boot/vmlinuz-$kver
		# secretmem.enable=1: 6.1 has memfd_secret off by default (6.5
		# turned it on), and the mm selftests exercise it
		append="panic=-1 crashkernel=64M secretmem.enable=1 ag_test_timeout=600"
		tmo=${AG_VM_TIMEOUT:-1800}
		if [ -n "${AG_STRESS:-}" ]; then
			append="panic=-1 ag_test_timeout=5400 ag_stress=1"
			tmo=${AG_VM_TIMEOUT:-10800}
		fi
		;;
	debug)
		obj=$(timed "debug kernel build (cached if warm)" ag_build_debug_kernel) ||
			{ record "$k" FAIL "debug kernel builds"; return; }
		kver=debug-$(cat "$obj/include/config/kernel.release")
		kdir=$obj
		image=$obj/arch/x86/boot/bzImage
		# slub_debug=A,aiguard_entry marks aiguard's entry cache for
		# failslab's cache filter (6.1 has no run-time switch for it),
		# so that t_forkfail can make its allocations alone fail.
		# crashkernel=64M: memory for a crash image, which t_lock.sh loads
		# before the lock (and the lock unloads).
		# ag_no_selftests: one pass of the kernel's selftests takes
		# over 10 minutes under KASAN; t_selftests.sh runs them on
		# the stock kernels.
		append="panic=-1 panic_on_warn=1 slub_debug=A,aiguard_entry crashkernel=64M ag_no_selftests=1 ag_test_timeout=600"
		tmo=${AG_DEBUG_VM_TIMEOUT:-2400}
		if [ -n "${AG_STRESS:-}" ]; then
			append="panic=-1 panic_on_warn=1 slub_debug=A,aiguard_entry ag_test_timeout=10800 ag_stress=1"
			tmo=${AG_DEBUG_VM_TIMEOUT:-21600}
		fi
		;;
	*)
		echo "unknown kernel '$k' (accepted: 6.1 6.12 debug)" >&2
		record "$k" FAIL "known kernel name"
		return
		;;
	esac
	echo "=== kernel $k ($kver) ===" >&2
	logdir=$LOGS/$k
	bdir=$BUILD/$kver
	rm -rf "$logdir"
	mkdir -p "$logdir"

	if ! timed "$k: module build" ag_build_module "$kdir" "$bdir/module"; then
		cp "$bdir/module/build.log" "$logdir/" 2>/dev/null || true
		record "$k" FAIL "W=1 module build, no warnings (log: $logdir/build.log)"
		return
	fi
	cp "$bdir/module/build.log" "$logdir/"
	record "$k" PASS "W=1 module build, no warnings"
	if [ "$k" = debug ]; then
		# KUnit is built in (=y) there: Kbuild must add the suites with
		# obj-m under ifdef CONFIG_KUNIT, obj-$(CONFIG_KUNIT) builds nothing.
		check "$k" "aiguard_kunit.ko built for the KUnit kernel" \
			test -f "$bdir/module/aiguard_kunit.ko"
	elif [ -z "${AG_SUITES:-}" ]; then
		check "$k" "sparse C=2: no warnings in our files (log: $bdir/sparse/sparse.log)" \
			timed "$k: sparse" run_sparse "$kdir" "$bdir/sparse"
	fi

	ag_stage_guest "$bdir/guest" "$bdir/module" "$USERLAND"
	# the kernel's selftests from its own series' source
	series=6.1
	[ "$k" = 6.12 ] && series=6.12
	if [ -d "$USERLAND/selftests/$series" ]; then
		cp -a "$USERLAND/selftests/$series" "$bdir/guest/tests/e2e/selftests"
	fi
	[ -z "${AG_STRESS:-}" ] || stress_suites "$bdir/guest/tests/e2e/tests.list"
	[ -z "${AG_SUITES:-}" ] || STRESS_SUITES=$AG_SUITES stress_suites "$bdir/guest/tests/e2e/tests.list"
	[ "$k" = debug ] || ag_stage_signed_module "$bdir/guest" "$kver" ||
		ag_log "no Debian-signed dummy.ko for $kver: the signed-module test will skip"
	# the RAM disk t_swap swaps to (built into the debug kernel)
	[ "$k" = debug ] || ag_stage_kernel_module "$bdir/guest" "$kver" drivers/block/brd \
		/lib/aiguard/extra/brd.ko || ag_log "no brd.ko for $kver: t_swap will fail"
	ag_make_initramfs "$bdir/initramfs.cpio.gz" "$bdir/guest"

	rc=0
	timed "$k: boot and tests" ag_qemu_run "$image" "$bdir/initramfs.cpio.gz" \
		"$append" "$logdir" "$tmo" || rc=$?
	case $rc in
	124) record "$k" FAIL "guest finished within ${tmo} s (QEMU killed: timeout)" ;;
	125) record "$k" FAIL "guest did not hang after a kernel splat (QEMU killed early)" ;;
	*) check "$k" "guest finished and QEMU exited cleanly (status $rc)" test "$rc" -eq 0 ;;
	esac
	check "$k" "guest printed the end sentinel" \
		grep -qx '# aiguard-vm: done' "$logdir/results.tap"
	check "$k" "no kernel splat in console.log" ag_check_kernel_log "$logdir/console.log"
	record_results "$k" "$logdir/results.tap"

	# The real-world guest boots Debian's own kernels and initrd only.
	if [ "$k" != debug ] && [ -f "$AG_ROOT/tests/realworld/check.sh" ] &&
		[ -z "${AG_SKIP_REALWORLD:-}" ] && [ -z "${AG_STRESS:-}" ]; then
		timed "$k: realworld check" run_realworld "$k" "$logdir"
		record_results "$k" "$logdir/realworld.tap"
	fi
	# So does the boot guest: the .debs installed, systemd as PID 1.
	if [ "$k" != debug ] && [ -z "${AG_SKIP_BOOT:-}" ] && [ -z "${AG_STRESS:-}" ]; then
		timed "$k: boot check (packages, systemd)" run_boot "$k" "$logdir"
		record_results "$k" "$logdir/boot.tap"
	fi
}

# stress_suites TESTS_LIST : keeps only the STRESS_SUITES lines of a
# staged tests.list (comments go too).
stress_suites() {
	awk -v keep="$STRESS_SUITES" 'BEGIN { n = split(keep, k, " "); for (i = 1; i <= n; i++) want[k[i]] = 1 }
		!/^#/ && NF == 2 && ($2 in want)' "$1" >"$1.stress"
	mv "$1.stress" "$1"
}

# tests/boot/check.sh KERNEL, like run_realworld.
run_boot() {
	local k=$1 logdir=$2
	BOOT_LOGDIR=$logdir/boot bash "$AG_ROOT/tests/boot/check.sh" "$k" \
		>"$logdir/boot.tap" 2>"$logdir/boot.log"
}

# tests/realworld/check.sh KERNEL prints TAP lines on stdout; its own
# exit status does not matter, its results do.
run_realworld() {
	local k=$1 logdir=$2
	{
		echo "# suite: realworld"
		bash "$AG_ROOT/tests/realworld/check.sh" "$k" || true
	} >"$logdir/realworld.tap" 2>"$logdir/realworld.log"
}

# One line per kernel, then logs of failed kernels, then the grand total.
summarize() {
	local k p f s
	echo
	for k in static $KERNELS; do
		p=$(awk -F'\t' -v k="$k" '$2 == k && $1 == "PASS"' "$VERDICTS" | wc -l)
		f=$(awk -F'\t' -v k="$k" '$2 == k && $1 == "FAIL"' "$VERDICTS" | wc -l)
		s=$(awk -F'\t' -v k="$k" '$2 == k && $1 == "SKIP"' "$VERDICTS" | wc -l)
		printf 'kernel %-6s %4d passed, %d failed, %d skipped' "$k" "$p" "$f" "$s"
		[ "$f" -gt 0 ] && [ "$k" != static ] && printf '  (logs: %s/%s/)' "$LOGS" "$k"
		echo
	done
	echo "phase times:"
	sed 's/^/  /' "$TIMES"
	p=$(grep -c '^PASS' "$VERDICTS" || true)
	f=$(grep -c '^FAIL' "$VERDICTS" || true)
	s=$(grep -c '^SKIP' "$VERDICTS" || true)
	echo "verdicts: $VERDICTS"
	echo "$p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ]
}

# The kernels run in AG_LANES lanes at once (default 2): QEMU runs each
# guest on one host thread (ag_qemu_run), so a second guest uses the
# machine's second core instead of leaving it idle. Kernel N goes to lane
# N mod AG_LANES, in KERNELS order (6.1 and debug, 6.12: about 46 and 26
# minutes of a cold CI run). What a lane shares with another is locked or
# per kernel: apt waits for its lock, the caches take ag_cache_lock, each
# kernel builds and stages under its own build/<version>/ and logs under
# build/logs/<kernel>/, and verdict lines are appended whole. Lane 0
# prints as it goes; the others' output follows when they end.
run_lanes() {
	local lanes=${AG_LANES:-2} i k n pids=() lane
	[[ $lanes =~ ^[1-9][0-9]*$ ]] || lanes=1
	for ((i = lanes - 1; i >= 0; i--)); do
		lane=""
		n=0
		for k in $KERNELS; do
			((n++ % lanes == i)) && lane+=" $k"
		done
		[ -n "$lane" ] || continue
		if ((i == 0)); then
			for k in $lane; do run_kernel "$k"; done
		else
			(for k in $lane; do run_kernel "$k"; done) >"$LOGS/lane$i.log" 2>&1 &
			pids[i]=$!
		fi
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || record "lane$i" FAIL "lane $i ran to its end (log: $LOGS/lane$i.log)"
		echo "--- lane $i:" >&2
		cat "$LOGS/lane$i.log"
	done
}

main() {
	local start=$SECONDS
	mkdir -p "$LOGS"
	# Two runs in the same tree would share build/: take turns.
	exec 8>"$BUILD/.check.lock"
	flock 8
	rm -f "$VERDICTS" "$TIMES" "$LOGS/checkpatch.log"
	touch "$VERDICTS" "$TIMES"

	timed "packages" ag_ensure_packages "${PACKAGES[@]}"
	if ! timed "userland build" build_userland; then
		record static FAIL "guest init and smoke test build"
		summarize
		return 1
	fi
	record static PASS "guest init and smoke test build"
	if [ -z "${AG_STRESS:-}" ] && [ -z "${AG_SUITES:-}" ]; then
		timed "checkpatch" run_checkpatch
		# The packaging checks build with DKMS for each stock kernel:
		# its headers first, or a fresh machine skips that build.
		# (A failure here is recorded when run_kernel tries again.)
		for k in $KERNELS; do
			case $k in
			6.1 | 6.12) timed "resolve/install $k kernel" ag_kernel_version "$k" >/dev/null || true ;;
			esac
		done
		timed "host tests (ABI, tool)" run_host_tests
	fi
	run_lanes
	echo "total: $((SECONDS - start)) s" >>"$TIMES"
	summarize
}

main "$@"
