// Small ASCII text helpers shared by the layers and the providers (locale-independent).
#pragma once

#include <string>
#include <string_view>

namespace wasmcloud {

// `text` with A-Z turned into a-z; every other byte as it is.
std::string AsciiLower(std::string_view text);
// Whether `a` and `b` are equal but for the case of A-Z (no copy).
bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b);
// The edits (insert, delete, replace, swap of neighbours) that make `a` into `b`, for
// "did you mean" hints on short words.
size_t EditDistance(std::string_view a, std::string_view b);

// `text` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view TrimAsciiSpace(std::string_view text);

// Appends `text` with every control character (C0, DEL, C1) and every byte that is not
// part of well-formed UTF-8 escaped (\n, \r, \t, \xNN, \u00NN), so that the result is
// one printable line: text from a guest or a provider cannot start a forged log line or
// drive a terminal.
void AppendEscaped(std::string& out, std::string_view text);
// The same as a new string, cut after `max_bytes` of `text` with " [N more bytes cut]".
std::string EscapeLogText(std::string_view text, size_t max_bytes = 16 * 1024);

}  // namespace wasmcloud
