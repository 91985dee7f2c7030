#include "core/encoding.h"

#include <array>
#include <cstdint>

namespace wasmcloud {
namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kBase64StdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Reverse lookup table: character -> value, or -1 for characters outside `alphabet`.
template <size_t N>
constexpr std::array<int8_t, 256> ReverseTable(const char (&alphabet)[N]) {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i + 1 < N; ++i) t[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

constexpr auto kBase32Reverse = ReverseTable(kBase32Alphabet);
constexpr auto kBase64UrlReverse = ReverseTable(kBase64UrlAlphabet);
constexpr auto kBase64StdReverse = ReverseTable(kBase64StdAlphabet);

std::string CharForMessage(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  return "byte 0x" + HexEncode(ByteView(&u, 1));
}

std::string Base64EncodeWith(ByteView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

// Decodes unpadded base64 text with the given reverse table. `what` names the encoding
// in error messages.
Result<Bytes> Base64DecodeUnpadded(std::string_view text, const std::array<int8_t, 256>& rev,
                                   std::string_view what) {
  if (text.size() % 4 == 1) {
    return Malformed(std::string(what) + " text has an impossible length (" +
                     std::to_string(text.size()) + ")");
  }
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int8_t v = rev[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return Malformed("not a " + std::string(what) + " character " + CharForMessage(text[i]) +
                       " at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (acc != 0) {
    return Malformed(std::string(what) + " text has non-zero trailing bits in its last character");
  }
  return out;
}

}  // namespace

std::string Base32Encode(ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32Alphabet[(acc >> bits) & 31];
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out += kBase32Alphabet[(acc << (5 - bits)) & 31];
  return out;
}

Result<Bytes> Base32Decode(std::string_view text) {
  // 5 bytes make 8 characters; a tail of 1, 3 or 6 characters carries no whole byte.
  size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) {
    return Malformed("base32 text has an impossible length (" + std::to_string(text.size()) + ")");
  }
  Bytes out;
  out.reserve(text.size() * 5 / 8);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int8_t v = kBase32Reverse[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return Malformed("not a base32 character " + CharForMessage(text[i]) + " at offset " +
                       std::to_string(i));
    }
    acc = (acc << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits must be zero (as Rust nkeys' data-encoding requires), so that one byte
  // string has exactly one text form; Go and JS nkeys ignore them.
  if (acc != 0) return Malformed("base32 text has non-zero trailing bits in its last character");
  return out;
}

std::string Base64UrlEncode(ByteView data) {
  return Base64EncodeWith(data, kBase64UrlAlphabet, false);
}

Result<Bytes> Base64UrlDecode(std::string_view text) {
  return Base64DecodeUnpadded(text, kBase64UrlReverse, "base64url");
}

std::string Base64Encode(ByteView data) { return Base64EncodeWith(data, kBase64StdAlphabet, true); }

Result<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Malformed("base64 text length " + std::to_string(text.size()) +
                     " is not a multiple of 4");
  }
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  return Base64DecodeUnpadded(text.substr(0, text.size() - pad), kBase64StdReverse, "base64");
}

}  // namespace wasmcloud
