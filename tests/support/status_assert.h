// gtest assertions on Status and Result: EXPECT_TRUE(Ok(status)) prints the code and the
// message when it fails.
#pragma once

#include <gtest/gtest.h>

#include "core/status.h"

namespace wasmcloud::testing {

inline ::testing::AssertionResult Ok(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << CodeName(s.code()) << ": " << s.message();
}
template <typename T>
::testing::AssertionResult Ok(const Result<T>& r) {
  return Ok(r.status());
}

}  // namespace wasmcloud::testing
