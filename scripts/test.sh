#!/usr/bin/env bash
# The whole test suite from a fresh machine: set up, build, run every test (unit,
# fixtures, CLI, fuzz corpora), then the tests of the risky layers again under ASan +
# UBSan, then a short run of every fuzzer.
#   SANITIZE=0      skips the ASan + UBSan run (build in build-asan/)
#   FUZZ_SECONDS=N  seconds per fuzzer (default 15; 0 skips the fuzzing runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build_dir="${WC_BUILD_DIR:-$root/build}"
(cd "$build_dir" && ctest --output-on-failure -j2 --timeout 600)

if [ "${SANITIZE:-1}" != "0" ]; then
  # The layers that touch guest memory, threads and untrusted bytes, and the providers'
  # servers and clients. (The CLI tests need the ordinary build's example actor and are
  # left to it.)
  tests=(wasm_engine_test wapc_test wire_test manifest_test provider_test native_library_test host_test
         httpserver_exchange_test httpserver_server_test messaging_provider_test
         httpclient_provider_test actor_sdk_test oci_reference_test)
  asan_dir="${WC_ASAN_BUILD_DIR:-$root/build-asan}"
  # -O1 -g1 (line tables only): half the compile time of -O2 -g on this tree's heaviest
  # files, and reports still name files and lines.
  cmake -S "$root" -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWC_SANITIZE=ON \
    -DWC_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
  cmake --build "$asan_dir" --target "${tests[@]}" wasmcloud
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1"
  for t in "${tests[@]}"; do
    bin="$(find "$asan_dir/tests" -type f -name "$t" | head -1)"
    echo "sanitize: $t"
    "$bin" --gtest_brief=1
  done
fi

if [ "${FUZZ_SECONDS:-15}" != "0" ]; then
  FUZZ_SECONDS="${FUZZ_SECONDS:-15}" "$root/scripts/fuzz.sh"
fi
