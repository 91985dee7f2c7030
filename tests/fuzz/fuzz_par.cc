// Fuzz target for provider archives (src/provider/par.h): any input must read or give a
// kMalformed / kResourceExhausted error, never crash or allocate past the limits; what
// reads must be well-formed and round-trip:
//   - every target is one plain file name, the token decodes, there is a library;
//   - verifying it never crashes, and any failure is an identity error;
//   - re-written by us (signed by a fixed key), it reads back with the same libraries and
//     metadata, and its hashes verify.
// Reading runs twice: with the default limits and with tiny ones.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/identity_error.h"
#include "crypto/nkeys.h"
#include "fuzz_check.h"
#include "provider/par.h"

namespace {

using namespace wasmcloud;

const crypto::KeyPair& Issuer() {
  static const crypto::KeyPair* kp = [] {
    uint8_t raw[32];
    for (int i = 0; i < 32; ++i) raw[i] = static_cast<uint8_t>(i);
    return new crypto::KeyPair(
        std::move(crypto::KeyPair::FromRawSeed(crypto::KeyType::kAccount, raw)).value());
  }();
  return *kp;
}

void CheckRead(ByteView in, const provider::ParLimits& limits) {
  auto par = provider::ReadProviderArchive(in, limits);
  if (!par.ok()) {
    Code c = par.status().code();
    if (c != Code::kMalformed && c != Code::kResourceExhausted) {
      std::fprintf(stderr, "unexpected error: %s\n", par.status().message().c_str());
    }
    FUZZ_CHECK(c == Code::kMalformed || c == Code::kResourceExhausted);
    return;
  }
  FUZZ_CHECK(!par->binaries.empty());
  FUZZ_CHECK(par->claims.wascap.has_value());
  FUZZ_CHECK(par->binaries.size() + 1 <= limits.max_members);
  uint64_t total = par->token.size();
  for (const auto& [target, bytes] : par->binaries) {
    FUZZ_CHECK(!target.empty() && target.find('/') == std::string::npos &&
               target.find("..") == std::string::npos);
    FUZZ_CHECK(bytes.size() <= limits.max_member_size);
    total += bytes.size();
  }
  FUZZ_CHECK(total <= limits.max_total_size);

  Status verified = provider::VerifyProviderArchive(*par, crypto::VerifyOptions::ForProvider());
  FUZZ_CHECK(verified.ok() || crypto::IdentityErrorOf(verified) != crypto::IdentityError::kNone);
  Status hashes = provider::VerifyTargetHashes(*par);
  FUZZ_CHECK(hashes.ok() ||
             crypto::IdentityErrorOf(hashes) == crypto::IdentityError::kHashMismatch);

  crypto::ProviderClaims claims = par->claims;
  claims.iss = Issuer().public_key_text();
  auto rewritten = provider::WriteProviderArchive(claims, Issuer(), par->binaries);
  FUZZ_CHECK(rewritten.ok());
  auto again = provider::ReadProviderArchive(*rewritten);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->compressed);
  FUZZ_CHECK(again->binaries == par->binaries);
  FUZZ_CHECK(again->claims.sub == par->claims.sub);
  FUZZ_CHECK(again->claims.jti == par->claims.jti);
  FUZZ_CHECK(again->claims.wascap->name == par->claims.wascap->name);
  FUZZ_CHECK(again->claims.wascap->capid == par->claims.wascap->capid);
  FUZZ_CHECK(again->claims.wascap->rev == par->claims.wascap->rev);
  FUZZ_CHECK(provider::VerifyTargetHashes(*again).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  CheckRead(in, provider::ParLimits{});
  provider::ParLimits tiny;
  tiny.max_members = 3;
  tiny.max_member_size = 700;
  tiny.max_total_size = 1500;
  tiny.max_claims_size = 800;
  CheckRead(in, tiny);
  return 0;
}
