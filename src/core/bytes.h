// Byte buffers and hex text.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace wasmcloud {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Lowercase hex unless `upper`.
std::string HexEncode(ByteView data, bool upper = false);
// Accepts either case; whitespace is not allowed. Errors name the offending offset.
Result<Bytes> HexDecode(std::string_view text);

// Reads a whole file. Errors: kNotFound when it does not exist, kUnavailable otherwise.
// At most `max_bytes`: a longer file (a pipe or device without end too) is
// kResourceExhausted "<path> holds more than <max_bytes> bytes", read no further.
Result<Bytes> ReadFile(const std::string& path,
                       size_t max_bytes = std::numeric_limits<size_t>::max());
// Writes atomically with the given permission bits: a temporary file of this call's own
// next to `path` (concurrent writers of one path each leave a whole file), synced, then
// renamed over `path`.
Status WriteFile(const std::string& path, ByteView data, unsigned mode = 0644);

}  // namespace wasmcloud
