// Fuzz target for the identity decoders (src/crypto): JWT tokens, the claims JSON of
// actors, providers and invocations, and nkeys text. Any input must decode or give an
// identity error of a known kind, never crash; and what decodes must round-trip:
//   - claims re-encoded by us decode to the same claims (ToJson is a fixed point);
//   - claims JSON signed by us verifies, or fails only for its own time window;
//   - a public key or seed that parses re-encodes to the same text.
// A violated property aborts with a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/claims.h"
#include "crypto/identity_error.h"
#include "crypto/jwt.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"
#include "fuzz_check.h"

namespace {

using namespace wasmcloud;
using namespace wasmcloud::crypto;

// Every failure of the crypto layer is one of its documented kinds.
void CheckClassified(const Status& st) {
  if (st.ok()) return;
  if (IdentityErrorOf(st) == IdentityError::kNone) {
    std::fprintf(stderr, "unclassified error: %s\n", st.message().c_str());
  }
  FUZZ_CHECK(IdentityErrorOf(st) != IdentityError::kNone);
}

const KeyPair& Issuer() {
  // A fixed account key: the raw seed 00..1f (§2.3 of the protocol sheet).
  static const KeyPair* kp = [] {
    uint8_t raw[32];
    for (int i = 0; i < 32; ++i) raw[i] = static_cast<uint8_t>(i);
    return new KeyPair(std::move(KeyPair::FromRawSeed(KeyType::kAccount, raw)).value());
  }();
  return *kp;
}

template <typename T>
void CheckReencodes(const Result<Claims<T>>& decoded,
                    Result<Claims<T>> (*parse)(std::string_view)) {
  CheckClassified(decoded.status());
  if (!decoded.ok()) return;
  std::string json = ToJson(*decoded);
  auto again = parse(json);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ToJson(*again) == json);
}

// Claims JSON signed by us verifies with any key types allowed, at a time inside its
// window; outside it, only the time checks may fail.
template <typename T>
void CheckSignVerify(std::string_view text, Result<Claims<T>> (*parse)(std::string_view),
                     Result<Claims<T>> (*verify)(std::string_view, const VerifyOptions&)) {
  auto claims = parse(text);
  CheckClassified(claims.status());
  if (!claims.ok()) return;
  claims->iss = Issuer().public_key_text();
  if (claims->sub.empty()) claims->sub = "s";
  auto token = EncodeClaims(*claims, Issuer());
  FUZZ_CHECK(token.ok());
  VerifyOptions lax;
  uint64_t now = claims->nbf.value_or(0);
  lax.now = [now] { return static_cast<int64_t>(now > INT64_MAX ? INT64_MAX : now); };
  auto verified = verify(*token, lax);
  if (verified.ok()) {
    FUZZ_CHECK(ToJson(*verified) == ToJson(*claims));
    return;
  }
  IdentityError kind = IdentityErrorOf(verified.status());
  bool no_metadata = !claims->wascap && kind == IdentityError::kMalformedToken;
  bool window = kind == IdentityError::kExpired || kind == IdentityError::kNotYetValid;
  if (!no_metadata && !window) {
    std::fprintf(stderr, "our own token failed: %s\n", verified.status().message().c_str());
  }
  FUZZ_CHECK(no_metadata || window);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  // As a token.
  CheckReencodes(DecodeActorClaims(text), ParseActorClaims);
  CheckReencodes(DecodeProviderClaims(text), ParseProviderClaims);
  CheckReencodes(DecodeInvocationClaims(text), ParseInvocationClaims);
  CheckClassified(VerifyActorToken(text, VerifyOptions::ForActor()).status());
  CheckClassified(VerifyProviderToken(text, VerifyOptions::ForProvider()).status());
  CheckClassified(VerifyInvocationToken(text, VerifyOptions::ForInvocation()).status());

  // As claims JSON.
  CheckSignVerify(text, ParseActorClaims, VerifyActorToken);
  CheckSignVerify(text, ParseProviderClaims, VerifyProviderToken);
  CheckSignVerify(text, ParseInvocationClaims, VerifyInvocationToken);

  // As nkeys text.
  auto pk = ParsePublicKey(text);
  CheckClassified(pk.status());
  if (pk.ok()) FUZZ_CHECK(EncodePublicKey(pk->type, pk->key) == text);
  auto kp = KeyPair::FromSeed(text);
  CheckClassified(kp.status());
  if (kp.ok()) {
    FUZZ_CHECK(kp->EncodedSeed() == text);
    FUZZ_CHECK(ParsePublicKey(kp->public_key_text()).ok());
  }
  return 0;
}
