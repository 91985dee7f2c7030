#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, wc_add_fuzzer) with clang in build-fuzz and
# runs each for FUZZ_SECONDS on a scratch copy of its checked-in corpus; fails if any
# fuzzer finds a crash, a leak, a timeout or a violated property.
#   scripts/fuzz.sh [fuzzer...]      default: every fuzzer in build-fuzz/fuzzers.txt
# Environment: FUZZ_SECONDS (20 per fuzzer), FUZZ_BUILD_DIR (build-fuzz), FUZZ_JOBS
# (build parallelism, 2), FUZZ_PARALLEL (fuzzers run at once, 2). A crash input is left under <build>/fuzz-work/<fuzzer>/artifacts;
# once fixed, check it in as tests/fuzz/corpus/<fuzzer>/regression-<what> so that the
# replay test keeps it fixed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${FUZZ_SECONDS:-20}"

# Coverage for the libraries too (fuzzer-no-link), and ASan+UBSan everywhere
# (WC_SANITIZE): a bug in the code under test is rarely in the fuzzer's own file.
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWC_FUZZ=ON -DWC_SANITIZE=ON -DWC_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }

if [ $# -gt 0 ]; then
  fuzzers=("$@")
else
  mapfile -t fuzzers < <(grep -v '^$' "$build/fuzzers.txt")
fi
[ ${#fuzzers[@]} -gt 0 ] || { echo "fuzz: no fuzzers registered" >&2; exit 1; }
cmake --build "$build" --target "${fuzzers[@]}" -j "${FUZZ_JOBS:-2}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# One fuzzer: its status goes to <work>/status (none: it could not be run).
run_one() {
  local f="$1"
  local work="$build/fuzz-work/$f"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  # New inputs go to the scratch copy, never into the checked-in corpus.
  cp -r "$root/tests/fuzz/corpus/$f/." "$work/corpus/"
  local status=0
  "$build/fuzzers/$f" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" \
    >"$work/log" 2>&1 || status=$?
  echo "$status" >"$work/status"
}
# FUZZ_PARALLEL at a time (default 2: each fuzzer is one single-threaded process).
parallel="${FUZZ_PARALLEL:-2}"
running=0
for f in "${fuzzers[@]}"; do
  echo "fuzz: $f for ${seconds}s"
  run_one "$f" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
failed=()
for f in "${fuzzers[@]}"; do
  work="$build/fuzz-work/$f"
  status="$(cat "$work/status" 2>/dev/null || echo 1)"
  if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts" 2>/dev/null)" ]; then
    echo "fuzz: $f FAILED (exit $status); log $work/log; inputs:" >&2
    ls "$work/artifacts" 2>/dev/null | sed "s|^|  $work/artifacts/|" >&2
    tail -n 40 "$work/log" >&2 || true
    failed+=("$f")
  else
    echo "fuzz: $f"
    grep -E '^stat::number_of_executed_runs|^#[0-9]+.*DONE' "$work/log" | sed 's/^/  /' || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#fuzzers[@]} fuzzer(s) ran ${seconds}s each without failures"
