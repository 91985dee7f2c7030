#pragma once

#include <string_view>

namespace wasmcloud {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace wasmcloud
