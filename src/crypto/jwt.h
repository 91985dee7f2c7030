// The JWT envelope wascap uses: base64url (no padding) of a fixed header, of compact
// JSON claims, and of an ed25519 signature by the issuer over "header.claims".
// This file knows nothing about what the claims mean (see claims.h).
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/nkeys.h"

namespace wasmcloud::crypto {

// The only header wascap writes and accepts, and its base64url form.
inline constexpr std::string_view kJwtHeader = R"({"typ":"jwt","alg":"Ed25519"})";
inline constexpr std::string_view kJwtHeaderB64 = "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0";

// Tokens longer than this are refused before decoding: the largest real token is well
// under 4 KiB, and a cap keeps a hostile module from making us parse megabytes of JSON.
inline constexpr size_t kMaxTokenSize = 256 * 1024;

struct Jwt {
  std::string header_json;    // the decoded header text
  std::string claims_json;    // the decoded claims text
  Bytes signature;            // the decoded signature (not checked here)
  std::string signing_input;  // the first two segments and the dot between them, as given
};

// Splits a token into its three segments and base64url-decodes them. Errors are
// "malformed token" (kMalformed): not exactly three segments, a segment that is not
// strict unpadded base64url, or a token over kMaxTokenSize. The header is not checked
// here (CheckJwtHeader does), so that claims can be shown even when they do not verify.
Result<Jwt> SplitJwt(std::string_view token);

// Ok when the header is a JSON object with "typ" exactly "jwt" and "alg" exactly
// "Ed25519" (other members are ignored, as wascap does). Else "malformed token".
Status CheckJwtHeader(const Jwt& jwt);

// Builds a token: kJwtHeader, the given claims text, and the signature of `issuer`.
std::string SignJwt(std::string_view claims_json, const KeyPair& issuer);

}  // namespace wasmcloud::crypto
