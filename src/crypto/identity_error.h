// The distinct failures of keys and claims. Every error the crypto layer returns starts
// with the phrase of its kind ("bad checksum: ...", "expired: ..."), and carries a Code
// that fits it, so a caller can tell them apart with IdentityErrorOf() and a user sees
// the reason in the message.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace wasmcloud::crypto {

enum class IdentityError {
  kNone = 0,  // the Status is ok, or not an identity error
  // nkeys text
  kBadLength,           // "bad length": not 56 (public key) / 58 (seed) characters
  kBadAlphabet,         // "bad alphabet": not base32 A-Z 2-7 (or non-zero unused bits)
  kBadChecksum,         // "bad checksum": CRC-16 does not match
  kBadPrefix,           // "bad prefix": unknown or wrong prefix byte
  kBadSignatureLength,  // "bad signature length": not 64 bytes
  // claims
  kNoJwtSection,    // "no jwt section": the module carries no token
  kMalformedToken,  // "malformed token": not 3 base64url segments of JSON, bad header
  kBadSignature,    // "bad signature": ed25519 check by the issuer key failed
  kHashMismatch,    // "hash mismatch": wascap.hash is not the module's hash
  kExpired,         // "expired": now > exp
  kNotYetValid,     // "not yet valid": now < nbf
  kWrongKeyType,    // "wrong key type": iss or sub is not of an accepted type
};

// The phrase that starts messages of that kind ("" for kNone).
std::string_view IdentityErrorPhrase(IdentityError e);

// A Status of kind `e`: message "<phrase>: <detail>" and the Code that fits the kind
// (kMalformed for bad text, kUnauthenticated for signatures and hashes, kNotFound for a
// missing section, kFailedPrecondition for time, kPermissionDenied for key types).
Status IdentityStatus(IdentityError e, std::string_view detail);

// The kind of an error made by IdentityStatus, also after callers added context with
// Status::WithContext ("echo.wasm: expired: ..."). kNone for ok and for other errors.
IdentityError IdentityErrorOf(const Status& status);

}  // namespace wasmcloud::crypto
