// Helpers for the actor SDK's native tests: C views <-> the project's byte types.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "wasmcloud/msgpack.h"

namespace wasmcloud::sdk_test {

using wasmcloud::ToBytes;  // overloaded below for the SDK's views

inline Bytes ToBytes(wc_bytes b) { return Bytes(b.ptr, b.ptr + b.len); }
inline Bytes ToBytes(const wc_buf& b) {
  EXPECT_FALSE(b.failed);
  return Bytes(b.ptr, b.ptr + b.len);
}
inline std::string ToString(wc_str s) { return std::string(s.ptr, s.len); }
inline std::string ToString(wc_bytes b) { return std::string(b.ptr, b.ptr + b.len); }
inline wc_str Str(const std::string& s) {
  return wc_str_of(s.data(), static_cast<uint32_t>(s.size()));
}
inline wc_bytes View(const Bytes& b) {
  return wc_bytes_of(b.data(), static_cast<uint32_t>(b.size()));
}

}  // namespace wasmcloud::sdk_test
