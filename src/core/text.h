// Small ASCII text helpers shared by the layers and the providers (locale-independent).
#pragma once

#include <string>
#include <string_view>

namespace wasmcloud {

// `text` with A-Z turned into a-z; every other byte as it is.
std::string AsciiLower(std::string_view text);

// `text` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view TrimAsciiSpace(std::string_view text);

}  // namespace wasmcloud
