#!/usr/bin/env bash
# The project's main job: set up, build, and call the example waPC module.
# (When the host lands, this starts a host in single-player mode instead.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build_dir="${WC_BUILD_DIR:-$root/build}"
exec "$build_dir/wasmcloud" wapc "$build_dir/examples/wapc-echo.wasm" echo --data "${1:-Hello from a waPC guest}"
