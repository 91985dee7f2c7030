// Test helper: the shape of a random UUID as wasmcloud:extras makes them.
#pragma once

#include <string_view>

namespace wasmcloud::testing {

// A random (version 4) UUID, hyphenated lowercase. (No <regex>: GCC 12 warns inside it
// under -O2 with the sanitizers, and warnings are errors.)
inline bool IsUuidV4(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

}  // namespace wasmcloud::testing
