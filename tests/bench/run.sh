#!/usr/bin/env bash
# tests/bench/run.sh - `make bench`: what aiguard.ko costs, measured in QEMU.
#
#   bash tests/bench/run.sh                 both stock kernels (6.12, 6.1)
#   BENCH_KERNELS=6.12 bash tests/bench/run.sh
#
# Per kernel: builds aiguard.ko and the registry benchmark aiguard_bench.ko
# (Kbuild's AIGUARD_BENCH block), packs an initramfs whose PID 1 is the
# benchmark driver tests/bench/bench.c, boots it (tests/vm/lib.sh), and turns
# what the guest wrote on its results port into tables (report.awk).
# Within one boot the driver alternates module unloaded / loaded.
#
# Environment:
#   BENCH_KERNELS   default "6.12 6.1"
#   BENCH_CLOCK     icount (default): QEMU -icount shift=0, the guest clock
#                   counts executed instructions (1 ns each), so timings do
#                   not depend on how busy the host is;
#                   wall: plain TCG, guest clock follows host time
#   BENCH_PAIRS     A/B pairs per measurement (default 7)
#   BENCH_SCALE     percent of the default iteration counts (default 100)
#   BENCH_BIG       largest number of protected processes (default 10000)
#   BENCH_REGISTRY  1 (default) to run aiguard_bench.ko, 0 to skip it,
#                   "only" for nothing else (e.g. a wall-clock look at the
#                   table's cache behaviour)
#   BENCH_REGISTRY_REPS   runs of aiguard_bench.ko (default 1; medians and
#                   spread when more)
#   BENCH_REGISTRY_SIZES  its table sizes (default 1,1000,10000,100000,1000000)
#   BENCH_MEM_MB    guest memory (default 2048)
#   BENCH_SMP       guest CPUs (default 1 with icount: Debian's 6.1 kernel
#                   hangs bringing up a second CPU under -icount; 2 with wall)
#   BENCH_TIMEOUT   seconds per guest (default 3600: five configurations per
#                   phase, under TCG on a busy host)
#
#   BENCH_OUT       output directory (default build/bench)
#
# Output: build/bench/<kernel>/ (console.log, results.tap, report.md) and
# build/bench/report.md. Exit status 0 unless something broke (build, boot,
# or an error reported by the guest); missed targets do not fail it.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"

BENCH_KERNELS=${BENCH_KERNELS:-"6.12 6.1"}
BENCH_CLOCK=${BENCH_CLOCK:-icount}
BENCH_PAIRS=${BENCH_PAIRS:-7}
BENCH_SCALE=${BENCH_SCALE:-100}
BENCH_BIG=${BENCH_BIG:-10000}
BENCH_REGISTRY=${BENCH_REGISTRY:-1}
BENCH_REGISTRY_REPS=${BENCH_REGISTRY_REPS:-1}
BENCH_REGISTRY_SIZES=${BENCH_REGISTRY_SIZES:-}
BENCH_MEM_MB=${BENCH_MEM_MB:-2048}
if [ "$BENCH_CLOCK" = icount ]; then BENCH_SMP=${BENCH_SMP:-1}; else BENCH_SMP=${BENCH_SMP:-2}; fi
BENCH_TIMEOUT=${BENCH_TIMEOUT:-3600}
BENCH_DIR=$AG_ROOT/tests/bench
OUT=${BENCH_OUT:-$AG_ROOT/build/bench}
USERLAND=$OUT/userland
CFLAGS=(-static -O2 -Wall -Wextra -Werror)

# The driver is PID 1 with the PID 1 setup it shares with the test guests'
# init (tests/vm/pid1.c). It embeds the BPF-LSM reference (lsm_ref.bpf.c,
# compiled by clang, wrapped by bpftool gen skeleton, loaded with libbpf,
# all linked statically: the guest has no libraries).
build_userland() {
	mkdir -p "$USERLAND"
	clang -O2 -g -Wall -Werror -target bpf -I/usr/include/x86_64-linux-gnu \
		-c "$BENCH_DIR/lsm_ref.bpf.c" -o "$USERLAND/lsm_ref.bpf.o" &&
	bpftool gen skeleton "$USERLAND/lsm_ref.bpf.o" name lsm_ref >"$USERLAND/lsm_ref.skel.h" &&
	gcc "${CFLAGS[@]}" -I"$AG_ROOT/uapi" -I"$AG_ROOT/tests/vm" -I"$AG_ROOT/tests/e2e" \
		-I"$USERLAND" -o "$USERLAND/bench" \
		"$BENCH_DIR/bench.c" "$AG_ROOT/tests/vm/pid1.c" -lpthread -lbpf -lelf -lz -lzstd &&
	gcc "${CFLAGS[@]}" -o "$USERLAND/true" "$BENCH_DIR/true.c"
}

# build_modules KDIR DIR : aiguard.ko through the harness (W=1, no
# warnings), then aiguard_bench.ko in the same tree: ag_copy_sources does
# not copy tests/bench, so it is added here and built with AIGUARD_BENCH=1.
build_modules() {
	local kdir=$1 dir=$2
	ag_build_module "$kdir" "$dir" || return 1
	mkdir -p "$dir/tests/bench"
	cp "$BENCH_DIR/aiguard_bench.c" "$BENCH_DIR/registry_copy.c" "$dir/tests/bench/"
	if ! make -C "$kdir" M="$dir" W=1 AIGUARD_BENCH=1 modules >"$dir/bench-build.log" 2>&1 ||
		grep -q 'warning:' "$dir/bench-build.log"; then
		cat "$dir/bench-build.log" >&2
		ag_log "aiguard_bench.ko build failed or warned (log: $dir/bench-build.log)"
		return 1
	fi
	[ -f "$dir/aiguard_bench.ko" ]
}

stage() {
	local stage=$1 moddir=$2 kver=$3
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,lib/aiguard,proc,sys,tmp,dev}
	cp "$USERLAND/bench" "$stage/init"
	cp "$USERLAND/true" "$stage/bin/true"
	cp "$moddir/aiguard.ko" "$moddir/aiguard_bench.ko" "$stage/lib/aiguard/"
	# the ext4 row: a 16 MiB ext2 image the guest copies to a RAM disk and
	# mounts with ext4 (Debian's modules; without them the row is left out)
	local m ok=1
	for m in lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4 drivers/block/brd; do
		ag_stage_kernel_module "$stage" "$kver" "$m" "/lib/aiguard/${m##*/}.ko" || ok=0
	done
	if [ "$ok" = 1 ]; then
		mke2fs -q -F -t ext2 -b 4096 "$stage/lib/aiguard/ext2.img" 16M ||
			rm -f "$stage/lib/aiguard/ext2.img"
	else
		ag_log "bench: no ext4 modules staged for $kver: the ext4 row is left out"
	fi
}

host_load() {
	echo "host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
		"$(pgrep -c qemu-system || true) QEMU processes running"
}

# run_kernel 6.1|6.12 : build, boot, report. Appends to $OUT/report.md.
run_kernel() {
	local k=$1 kver kdir bdir logdir rc=0 start=$SECONDS extra append
	kver=$(ag_kernel_version "$k") || { ag_log "kernel $k not available"; return 1; }
	kdir=/usr/src/linux-headers-$kver
	bdir=$OUT/$kver
	logdir=$OUT/$k
	mkdir -p "$bdir" "$logdir"
	ag_log "bench: kernel $k ($kver): building modules"
	build_modules "$kdir" "$bdir/module" || return 1
	stage "$bdir/guest" "$bdir/module" "$kver"
	ag_make_initramfs "$bdir/initramfs.cpio.gz" "$bdir/guest" || return 1

	# BENCHMARKS.md was measured on QEMU's default CPU model; keep it (the
	# test harness uses -cpu max), since instruction counts depend on it.
	export AG_QEMU_CPU=${AG_QEMU_CPU:-qemu64}
	extra=(-m "$BENCH_MEM_MB" -smp "$BENCH_SMP")
	[ "$BENCH_CLOCK" = icount ] && extra+=(-icount shift=0,sleep=off)
	append="panic=-1 slab_nomerge bench_pairs=$BENCH_PAIRS bench_scale=$BENCH_SCALE"
	if [ "$BENCH_REGISTRY" = only ]; then
		append+=" bench_registry=1 bench_registry_only=1"
	else
		append+=" bench_big=$BENCH_BIG bench_registry=$BENCH_REGISTRY"
	fi
	append+=" bench_registry_reps=$BENCH_REGISTRY_REPS"
	[ -n "$BENCH_REGISTRY_SIZES" ] && append+=" bench_registry_params=sizes=$BENCH_REGISTRY_SIZES"
	ag_log "bench: kernel $k: booting ($BENCH_CLOCK clock; $(host_load))"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC') start, $(host_load)" >"$logdir/host.txt"
	ag_qemu_run "/boot/vmlinuz-$kver" "$bdir/initramfs.cpio.gz" "$append" \
		"$logdir" "$BENCH_TIMEOUT" "${extra[@]}" || rc=$?
	echo "$(date -u '+%Y-%m-%d %H:%M UTC') end, $(host_load), $((SECONDS - start)) s" >>"$logdir/host.txt"
	{
		awk -v kernel="$k ($kver, $BENCH_CLOCK clock)" -f "$BENCH_DIR/report.awk" "$logdir/results.tap"
		echo
		sed 's/^/host: /' "$logdir/host.txt"
		echo
	} >"$logdir/report.md"
	cat "$logdir/report.md" >>"$OUT/report.md"
	if [ $rc -ne 0 ]; then
		ag_log "QEMU exited with status $rc (logs: $logdir)"
		return 1
	fi
	if ! grep -qx '# bench: done' "$logdir/results.tap"; then
		ag_log "the guest did not finish (logs: $logdir)"
		return 1
	fi
	if ! ag_check_kernel_log "$logdir/console.log" >&2; then
		ag_log "kernel splat in $logdir/console.log"
		return 1
	fi
	grep -q '^ERRORS 0$' "$logdir/report.md" || return 1
}

main() {
	local k failed=0 start=$SECONDS
	mkdir -p "$OUT"
	exec 8>"$OUT/.lock"
	flock 8
	ag_ensure_packages build-essential busybox-static qemu-system-x86 cpio kmod gzip e2fsprogs \
		clang libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev || return 1
	build_userland || { ag_log "benchmark programs do not build"; return 1; }
	{
		echo "## aiguard benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo
		echo "command: make bench (BENCH_KERNELS=\"$BENCH_KERNELS\" BENCH_CLOCK=$BENCH_CLOCK" \
			"BENCH_PAIRS=$BENCH_PAIRS BENCH_SCALE=$BENCH_SCALE BENCH_BIG=$BENCH_BIG" \
			"BENCH_SMP=$BENCH_SMP BENCH_MEM_MB=$BENCH_MEM_MB BENCH_REGISTRY=$BENCH_REGISTRY" \
			"BENCH_REGISTRY_REPS=$BENCH_REGISTRY_REPS${BENCH_REGISTRY_SIZES:+ BENCH_REGISTRY_SIZES=$BENCH_REGISTRY_SIZES})"
		echo "module: $(git -C "$AG_ROOT" log -1 --format='%h %s' -- module 2>/dev/null || echo unknown)$(
			git -C "$AG_ROOT" diff --quiet HEAD -- module 2>/dev/null || echo ' (+ uncommitted changes)')"
		echo "$(host_load)"
		echo
	} >"$OUT/report.md"
	for k in $BENCH_KERNELS; do
		run_kernel "$k" || { failed=1; echo "bench on $k: FAILED (see $OUT/$k/)" >>"$OUT/report.md"; }
	done
	echo "total: $((SECONDS - start)) s" >>"$OUT/report.md"
	cat "$OUT/report.md"
	echo
	echo "summary:"
	grep -h '^### \|^VERDICT\|^INFO\|^ERRORS\|FAILED' "$OUT/report.md" | sed 's/^/  /'
	echo "  total: $((SECONDS - start)) s"
	return $failed
}

main "$@"
