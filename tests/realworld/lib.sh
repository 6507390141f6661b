# shellcheck shell=bash
# Shared helpers of the realworld suite: the harness library
# tests/vm/lib.sh (ag_kernel_version, ag_build_module, ag_build_tool,
# ag_qemu_run, ag_cache_dir, ag_ensure_packages...) and rw_log.
# shellcheck source=../vm/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../vm" && pwd)/lib.sh"

rw_log() { echo "realworld: $*" >&2; }
