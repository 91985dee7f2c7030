// Text encodings of binary data used by identities and tokens: RFC 4648 base32 (nkeys)
// and base64 in its URL-safe (JWT segments) and standard (nkeys.js signatures) forms.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud {

// RFC 4648 base32, alphabet A-Z 2-7, without '=' padding (what nkeys use).
std::string Base32Encode(ByteView data);
// Decodes unpadded base32. Uppercase only: nkeys are case-sensitive text.
// Errors (kMalformed): a character outside the alphabet ("not a base32 character 'x'
// at offset N"), a length that no byte string encodes to (1, 3 or 6 mod 8), or non-zero
// unused bits in the last character (so every byte string has one encoding).
Result<Bytes> Base32Decode(std::string_view text);

// base64url (RFC 4648 §5) without padding, as JWT segments are written.
std::string Base64UrlEncode(ByteView data);
// Decodes unpadded base64url. Strict: '=' padding, characters of the standard alphabet
// ('+', '/'), a length of 1 mod 4, and non-zero unused bits in the last character are
// all errors (kMalformed), so every byte string has exactly one accepted encoding.
Result<Bytes> Base64UrlDecode(std::string_view text);

// Standard base64 (RFC 4648 §4) with '=' padding.
std::string Base64Encode(ByteView data);
// Decodes padded standard base64 (the length must be a multiple of 4). kMalformed on
// anything else.
Result<Bytes> Base64Decode(std::string_view text);

}  // namespace wasmcloud
