#!/usr/bin/env bash
# The whole test suite from a fresh machine: set up, check the formatting
# (scripts/format.sh --check), build with g++ and run every test
# (unit, fixtures, CLI, fuzz corpora); build with clang and ASan + UBSan and run every
# test again; run the concurrency tests of the host and the lattice under
# ThreadSanitizer; then a short run of every fuzzer.
#   SANITIZE=0      skips the clang ASan + UBSan and the TSan runs (build-clang-asan/,
#                   build-tsan/)
#   FUZZ_SECONDS=N  seconds per fuzzer (default 15; 0 skips the fuzzing runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/format.sh" --check
build_dir="${WC_BUILD_DIR:-$root/build}"
(cd "$build_dir" && ctest --output-on-failure -j2 --timeout 600)

if [ "${SANITIZE:-1}" != "0" ]; then
  # The whole suite again, built with the second compiler (clang 14) and with ASan +
  # UBSan on every layer. -O1 -g1 (line tables only): half the compile time of -O2 -g,
  # and reports still name files and lines. The test code itself at -O0 (tests/CMakeLists.txt,
  # WC_TEST_OPT_FLAGS): under ASan that halves its compile time again.
  asan_dir="${WC_ASAN_BUILD_DIR:-$root/build-clang-asan}"
  CC=clang CXX=clang++ cmake -S "$root" -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DWC_SANITIZE=ON -DWC_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DWC_TEST_OPT_FLAGS="-O0 -g1" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
  cmake --build "$asan_dir"
  echo "sanitize: the whole suite, clang + ASan + UBSan"
  (cd "$asan_dir" && ASAN_OPTIONS="detect_leaks=0:abort_on_error=0" \
    UBSAN_OPTIONS="print_stacktrace=1" ctest --output-on-failure -j2 --timeout 600)

  # ThreadSanitizer (clang): the host (dispatch, live updates, stops) and its worker pool
  # and several hosts of one lattice with the fake engine (V8 cannot run under TSan), the
  # watchdog that ends calls at their deadline, the in-memory lattice, and the deadlines
  # and supervision of providers (guarded in process, and in child processes).
  tsan_dir="${WC_TSAN_BUILD_DIR:-$root/build-tsan}"
  tsan_tests=(host_concurrency_test worker_pool_test wasm_watchdog_test memory_transport_test
              memory_kv_test nats_lattice_host_test process_provider_test guarded_provider_test
              link_binder_test)
  CC=clang CXX=clang++ cmake -S "$root" -B "$tsan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DWC_BUILD_BENCH=OFF \
    -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_CXX_FLAGS=-fsanitize=thread \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DWC_TEST_OPT_FLAGS="-O0 -g1" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
  cmake --build "$tsan_dir" --target "${tsan_tests[@]}"
  for t in "${tsan_tests[@]}"; do
    bin="$(find "$tsan_dir/tests" -type f -name "$t" | head -1)"
    echo "tsan: $t"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$bin" --gtest_brief=1
  done
fi

if [ "${FUZZ_SECONDS:-15}" != "0" ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-15}" "$root/scripts/fuzz.sh"
fi
