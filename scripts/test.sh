#!/usr/bin/env bash
# The whole test suite from a fresh machine: set up, build, run every test (unit,
# fixtures, CLI, fuzz corpora), then a short run of every fuzzer.
#   FUZZ_SECONDS=N  seconds per fuzzer (default 15; 0 skips the fuzzing runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build_dir="${WC_BUILD_DIR:-$root/build}"
cd "$build_dir"
ctest --output-on-failure -j2 --timeout 600
if [ "${FUZZ_SECONDS:-15}" != "0" ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-15}" "$root/scripts/fuzz.sh"
fi
