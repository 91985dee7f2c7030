#include "crypto/verify.h"

#include <chrono>
#include <ctime>

#include "crypto/identity_error.h"
#include "crypto/jwt.h"

namespace wasmcloud::crypto {
namespace {

std::string TypeList(const std::vector<KeyType>& types) {
  std::string s;
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0) s += i + 1 == types.size() ? " or " : ", ";
    s += KeyTypeName(types[i]);
    s += " (";
    s += PrefixChar(types[i]);
    s += "...)";
  }
  return s;
}

bool Contains(const std::vector<KeyType>& types, KeyType t) {
  for (KeyType k : types) {
    if (k == t) return true;
  }
  return false;
}

// Parses `key` (the claims' `role`) and checks its type against `allowed`.
Result<PublicKey> CheckKey(std::string_view role, const std::string& key,
                           const std::vector<KeyType>& allowed) {
  auto pk = ParsePublicKey(key);
  if (!pk.ok()) return pk.status().WithContext(std::string(role) + " " + key);
  if (!allowed.empty() && !Contains(allowed, pk->type)) {
    return IdentityStatus(IdentityError::kWrongKeyType, std::string(role) + " " + key + " is a " +
                                                            std::string(KeyTypeName(pk->type)) +
                                                            " key, expected " + TypeList(allowed));
  }
  return pk;
}

template <typename T>
Result<Claims<T>> Verify(std::string_view token, const VerifyOptions& options,
                         Result<Claims<T>> (*parse)(std::string_view)) {
  WC_ASSIGN_OR_RETURN(Jwt jwt, SplitJwt(token));
  WC_RETURN_IF_ERROR(CheckJwtHeader(jwt));
  WC_ASSIGN_OR_RETURN(Claims<T> claims, parse(jwt.claims_json));
  if (claims.iss.empty() || claims.sub.empty()) {
    return IdentityStatus(IdentityError::kMalformedToken, "claims have an empty iss or sub");
  }
  if (!claims.wascap) {
    return IdentityStatus(IdentityError::kMalformedToken, "claims carry no wascap metadata");
  }
  WC_ASSIGN_OR_RETURN(PublicKey issuer, CheckKey("issuer", claims.iss, options.issuer_types));
  if (!options.subject_types.empty()) {
    WC_RETURN_IF_ERROR(CheckKey("subject", claims.sub, options.subject_types).status());
  }
  Status sig = issuer.Verify(AsBytes(jwt.signing_input), jwt.signature);
  if (!sig.ok()) {
    if (IdentityErrorOf(sig) == IdentityError::kBadSignatureLength) return sig;
    return IdentityStatus(
        IdentityError::kBadSignature,
        "claims token has invalid signature (not signed by issuer " + claims.iss + ")");
  }
  int64_t now = options.now ? options.now() : SystemUnixSeconds();
  if (claims.nbf && (now < 0 || static_cast<uint64_t>(now) < *claims.nbf)) {
    return IdentityStatus(IdentityError::kNotYetValid,
                          "claims cannot be used before " + FormatUnixTime(*claims.nbf));
  }
  if (claims.exp && now >= 0 && static_cast<uint64_t>(now) > *claims.exp) {
    return IdentityStatus(IdentityError::kExpired,
                          "claims expired at " + FormatUnixTime(*claims.exp));
  }
  return claims;
}

}  // namespace

int64_t SystemUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

VerifyOptions VerifyOptions::ForActor() {
  VerifyOptions o;
  o.issuer_types = {KeyType::kAccount};
  o.subject_types = {KeyType::kModule};
  return o;
}

VerifyOptions VerifyOptions::ForProvider() {
  VerifyOptions o;
  o.issuer_types = {KeyType::kAccount};
  o.subject_types = {KeyType::kService};
  return o;
}

VerifyOptions VerifyOptions::ForInvocation() {
  VerifyOptions o;
  o.issuer_types = {KeyType::kServer};
  return o;
}

Result<ActorClaims> VerifyActorToken(std::string_view token, const VerifyOptions& options) {
  return Verify<ActorMetadata>(token, options, ParseActorClaims);
}

Result<ProviderClaims> VerifyProviderToken(std::string_view token, const VerifyOptions& options) {
  return Verify<ProviderMetadata>(token, options, ParseProviderClaims);
}

Result<InvocationClaims> VerifyInvocationToken(std::string_view token,
                                               const VerifyOptions& options) {
  return Verify<InvocationMetadata>(token, options, ParseInvocationClaims);
}

std::string FormatUnixTime(uint64_t seconds) {
  // Beyond year 9999 the calendar form says nothing useful; show the number.
  if (seconds > 253402300799ull) return std::to_string(seconds) + " (unix seconds)";
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace wasmcloud::crypto
