#include "lattice/kv_bucket.h"

#include <cstdio>
#include <string>

namespace wasmcloud::lattice {
namespace {

constexpr size_t kMaxKeyLength = 255;

bool IsKeyChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '=' || c == '/' || c == '.' || c == '-';
}

// The key as it can be shown in a message: a key is untrusted text, so only its valid
// characters are shown as they are, and a long key is cut.
std::string Printable(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (IsKeyChar(c)) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (key.size() > 64) out += "...";
  return out;
}

}  // namespace

Status ValidateKvKey(std::string_view key) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid key \"" + Printable(key) + "\": " + why);
  };
  if (key.empty()) return InvalidArgument("invalid key: empty");
  if (key.size() > kMaxKeyLength) {
    return bad(std::to_string(key.size()) + " bytes, more than " + std::to_string(kMaxKeyLength));
  }
  for (size_t i = 0; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (!IsKeyChar(c)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", c);
      return bad("byte " + std::string(buf) + " at offset " + std::to_string(i) +
                 " is not one of [A-Za-z0-9_=/.-]");
    }
  }
  if (key.front() == '.' || key.back() == '.') return bad("starts or ends with '.'");
  if (key.find("..") != std::string_view::npos) return bad("contains \"..\"");
  return Status::Ok();
}

}  // namespace wasmcloud::lattice
