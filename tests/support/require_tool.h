// Tests that need a program the test command installs (nats-server, redis-server,
// docker-registry, node) fail when it is missing, so that a run without it cannot pass
// by skipping what it did not test. On a machine where one cannot be installed,
// WASMCLOUD_TEST_ALLOW_SKIP=1 turns these failures into skips.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace wasmcloud::testing {

inline bool SkipsAllowed() {
  const char* v = std::getenv("WASMCLOUD_TEST_ALLOW_SKIP");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace wasmcloud::testing

// In a test body or SetUp (a fatal failure in SetUp keeps the body from running).
#define WC_REQUIRE_TOOL(present, what)                                                       \
  do {                                                                                       \
    if (!(present)) {                                                                        \
      if (::wasmcloud::testing::SkipsAllowed()) GTEST_SKIP() << what << " is not installed"; \
      FAIL() << what                                                                         \
             << " is not installed: scripts/test.sh installs it "                            \
                "(WASMCLOUD_TEST_ALLOW_SKIP=1 skips such tests instead)";                    \
    }                                                                                        \
  } while (0)
