#include "crypto/identity_error.h"

#include <array>
#include <utility>

namespace wasmcloud::crypto {
namespace {

struct Kind {
  IdentityError error;
  std::string_view phrase;
  Code code;
};

constexpr std::array<Kind, 12> kKinds = {{
    {IdentityError::kBadLength, "bad length", Code::kMalformed},
    {IdentityError::kBadAlphabet, "bad alphabet", Code::kMalformed},
    {IdentityError::kBadChecksum, "bad checksum", Code::kMalformed},
    {IdentityError::kBadPrefix, "bad prefix", Code::kMalformed},
    {IdentityError::kBadSignatureLength, "bad signature length", Code::kMalformed},
    {IdentityError::kNoJwtSection, "no jwt section", Code::kNotFound},
    {IdentityError::kMalformedToken, "malformed token", Code::kMalformed},
    {IdentityError::kBadSignature, "bad signature", Code::kUnauthenticated},
    {IdentityError::kHashMismatch, "hash mismatch", Code::kUnauthenticated},
    {IdentityError::kExpired, "expired", Code::kFailedPrecondition},
    {IdentityError::kNotYetValid, "not yet valid", Code::kFailedPrecondition},
    {IdentityError::kWrongKeyType, "wrong key type", Code::kPermissionDenied},
}};

const Kind* Find(IdentityError e) {
  for (const auto& k : kKinds) {
    if (k.error == e) return &k;
  }
  return nullptr;
}

}  // namespace

std::string_view IdentityErrorPhrase(IdentityError e) {
  const Kind* k = Find(e);
  return k ? k->phrase : std::string_view();
}

Status IdentityStatus(IdentityError e, std::string_view detail) {
  const Kind* k = Find(e);
  if (k == nullptr) return Internal("IdentityStatus called without an error kind");
  std::string msg(k->phrase);
  msg += ": ";
  msg += detail;
  return Status(k->code, std::move(msg));
}

IdentityError IdentityErrorOf(const Status& status) {
  if (status.ok()) return IdentityError::kNone;
  std::string_view msg = status.message();
  // The kind is the phrase at the start of the message or right after a "context: "
  // prefix; the earliest such position wins, and among phrases that start there the
  // longest ("bad signature length" over "bad signature").
  for (size_t pos = 0; pos <= msg.size();) {
    const Kind* best = nullptr;
    for (const auto& k : kKinds) {
      std::string_view rest = msg.substr(pos);
      if (rest.size() > k.phrase.size() && rest.substr(0, k.phrase.size()) == k.phrase &&
          rest.substr(k.phrase.size(), 2) == ": " && k.code == status.code() &&
          (best == nullptr || k.phrase.size() > best->phrase.size())) {
        best = &k;
      }
    }
    if (best != nullptr) return best->error;
    size_t next = msg.find(": ", pos);
    if (next == std::string_view::npos) break;
    pos = next + 2;
  }
  return IdentityError::kNone;
}

}  // namespace wasmcloud::crypto
