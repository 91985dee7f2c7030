#include "lattice/invocation_verifier.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "crypto/claims.h"
#include "crypto/jwt.h"
#include "crypto/nkeys.h"

namespace wasmcloud::lattice {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

int64_t Clamp(uint64_t v) {
  return v > static_cast<uint64_t>(kMax) ? kMax : static_cast<int64_t>(v);
}

int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMax : kMin;
  return r;
}

int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kMax : kMin;
  return r;
}

std::string Time(uint64_t t) { return crypto::FormatUnixTime(t); }

// A value from the sender, for a refusal message that is logged and sent back: printable
// ASCII as it is, any other byte as \xNN, and at most 200 bytes of it.
std::string Shown(std::string_view s) {
  constexpr size_t kLimit = 200;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < kLimit; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  if (s.size() > kLimit) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

// The header's "alg" (step 3), before anything else in the header: a token that names
// another algorithm is refused as such, whatever else its header says.
Status CheckAlgorithm(const crypto::Jwt& jwt) {
  auto header = nlohmann::json::parse(jwt.header_json, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return Malformed("malformed token: its header is not a JSON object");
  }
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) {
    return Unauthenticated(
        "wrong algorithm: the token's header names no alg, only Ed25519 is accepted");
  }
  const auto& name = alg->get_ref<const std::string&>();
  if (name != "Ed25519") {
    std::string shown = nlohmann::json(name.substr(0, 40))
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (name.size() > 40) shown += "...";
    return Unauthenticated("wrong algorithm: the token's alg is " + shown +
                           ", only Ed25519 is accepted");
  }
  // The rest of the header (typ "jwt") as wascap checks it.
  return crypto::CheckJwtHeader(jwt);
}

}  // namespace

Result<IssuerPolicy> IssuerPolicy::Parse(std::string_view text) {
  std::string_view trimmed = TrimAsciiSpace(text);
  IssuerPolicy policy;
  std::string word = AsciiLower(trimmed);
  if (word == "any") return policy;
  if (word == "lattice") {
    policy.kind = Kind::kLattice;
    return policy;
  }
  if (trimmed.empty()) {
    return InvalidArgument(
        "invocation issuers: empty; expected any, lattice, or a comma-separated list of host "
        "(N...) public keys");
  }
  policy.kind = Kind::kList;
  size_t start = 0;
  while (start <= trimmed.size()) {
    size_t comma = trimmed.find(',', start);
    if (comma == std::string_view::npos) comma = trimmed.size();
    std::string_view entry = TrimAsciiSpace(trimmed.substr(start, comma - start));
    auto key = crypto::ParsePublicKey(entry);
    if (!key.ok()) {
      return InvalidArgument("invocation issuers: \"" + std::string(entry) +
                             "\" is not a host (N...) public key (" + key.status().message() +
                             "); expected any, lattice, or a comma-separated list of keys");
    }
    if (key->type != crypto::KeyType::kServer) {
      return InvalidArgument("invocation issuers: \"" + std::string(entry) +
                             "\" is a key of type " + std::string(crypto::KeyTypeName(key->type)) +
                             ", not a host (server, N...) key");
    }
    if (std::find(policy.keys.begin(), policy.keys.end(), entry) == policy.keys.end()) {
      policy.keys.emplace_back(entry);
    }
    start = comma + 1;
  }
  return policy;
}

InvocationVerifier::InvocationVerifier(VerifierConfig config) : config_(std::move(config)) {
  // A set that can hold nothing would refuse every invocation.
  if (config_.replay_capacity == 0) config_.replay_capacity = 1;
}

int64_t InvocationVerifier::Now() const {
  return config_.now ? config_.now() : crypto::SystemUnixSeconds();
}

size_t InvocationVerifier::replay_entries() const {
  std::lock_guard lock(mu_);
  return seen_.size();
}

Status InvocationVerifier::CheckReplay(const std::string& iss, const std::string& jti,
                                       int64_t expires, bool insert) {
  auto too_old = [&] {
    return PermissionDenied("too old for the replay window: token " + Shown(jti) + " of host " +
                            iss +
                            " expires no later than tokens already forgotten (the replay set "
                            "holds at most " +
                            std::to_string(config_.replay_capacity) + ")");
  };
  std::lock_guard lock(mu_);
  auto key = std::make_pair(iss, jti);
  if (seen_.contains(key)) {
    return PermissionDenied("replayed: token " + Shown(jti) + " of host " + iss +
                            " was already accepted");
  }
  if (expires <= forgotten_up_to_) return too_old();
  if (!insert) return Status::Ok();

  // Pairs whose tokens have expired need not be remembered: freshness refuses them. The
  // bound still moves past them, so that a clock set back cannot revive one.
  int64_t now = Now();
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
    forgotten_up_to_ = std::max(forgotten_up_to_, by_expiry_.begin()->first);
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  if (expires <= forgotten_up_to_) return too_old();
  if (seen_.size() >= config_.replay_capacity) {
    // Full: forget the pair that expires first, and from then on refuse every token that
    // expires no later than it. A token that would itself be the first to go is refused.
    if (expires <= by_expiry_.begin()->first) return too_old();
    forgotten_up_to_ = std::max(forgotten_up_to_, by_expiry_.begin()->first);
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  seen_.emplace(key, expires);
  by_expiry_.emplace(expires, std::move(key));
  return Status::Ok();
}

Result<Invocation> InvocationVerifier::Verify(ByteView bytes, const Entity& served) try {
  // 1. Size, then a bounded decode.
  if (bytes.size() > config_.max_bytes) {
    return ResourceExhausted("too large: " + std::to_string(bytes.size()) +
                             " bytes, more than the limit of " + std::to_string(config_.max_bytes));
  }
  auto decoded = DecodeInvocation(bytes);
  if (!decoded.ok()) return Malformed("malformed invocation: " + decoded.status().message());
  Invocation& inv = *decoded;

  // 2. Target binding.
  bool same_target = inv.target.kind == served.kind && inv.target.id == served.id &&
                     (served.is_actor() || (inv.target.contract_id == served.contract_id &&
                                            inv.target.link_name == served.link_name));
  if (!same_target) {
    return PermissionDenied("re-aimed: the invocation targets " + Shown(inv.target.ToString()) +
                            ", this subscription serves " + served.ToString());
  }

  // 3. Header, issuer and subject.
  auto jwt = crypto::SplitJwt(inv.encoded_claims);
  if (!jwt.ok()) return Malformed(jwt.status().message());
  WC_RETURN_IF_ERROR(CheckAlgorithm(*jwt));
  auto parsed = crypto::ParseInvocationClaims(jwt->claims_json);
  if (!parsed.ok()) return Malformed(parsed.status().message());
  const crypto::InvocationClaims& claims = *parsed;
  if (!claims.wascap) return Malformed("malformed token: the claims carry no wascap metadata");
  auto host = crypto::ParsePublicKey(inv.host_id);
  if (!host.ok() || host->type != crypto::KeyType::kServer) {
    std::string why = host.ok() ? "it is of type " + std::string(crypto::KeyTypeName(host->type))
                                : host.status().message();
    return Unauthenticated("bad host id: host_id \"" + Shown(inv.host_id) +
                           "\" is not a host (server, N...) public key (" + why + ")");
  }
  if (claims.iss != inv.host_id) {
    return Unauthenticated("issuer mismatch: the token is issued by \"" + Shown(claims.iss) +
                           "\", the invocation's host_id is " + inv.host_id);
  }
  if (claims.sub != inv.id) {
    return Unauthenticated("subject mismatch: the token's subject \"" + Shown(claims.sub) +
                           "\" is not the invocation id \"" + Shown(inv.id) + "\"");
  }

  // 4. What the token covers: the URLs and the hash of the call.
  std::string origin_url = inv.origin.Url();
  std::string target_url = inv.target.OperationUrl(inv.operation);
  if (claims.wascap->origin_url != origin_url) {
    return Unauthenticated("origin mismatch: the token's origin_url \"" +
                           Shown(claims.wascap->origin_url) + "\" is not the invocation's origin " +
                           Shown(origin_url));
  }
  if (claims.wascap->target_url != target_url) {
    return Unauthenticated("target mismatch: the token's target_url \"" +
                           Shown(claims.wascap->target_url) + "\" is not the invocation's target " +
                           Shown(target_url));
  }
  std::string hash = crypto::InvocationHash(origin_url, target_url, inv.msg);
  if (claims.wascap->hash != hash) {
    return Unauthenticated("hash mismatch: the token's hash " + Shown(claims.wascap->hash) +
                           " is not the hash of the invocation's URLs and msg, " + hash);
  }

  // 5. Freshness.
  int64_t now = Now();
  int64_t skew = config_.skew.count();
  int64_t max_age = config_.max_age.count();
  if (claims.nbf && now < SatSub(Clamp(*claims.nbf), skew)) {
    return PermissionDenied("not yet valid: the token may not be used before " + Time(*claims.nbf));
  }
  int64_t expires;
  if (claims.exp) {
    expires = SatAdd(Clamp(*claims.exp), skew);
    if (now > expires) {
      return PermissionDenied("expired: the token expired at " + Time(*claims.exp) + ", " +
                              std::to_string(SatSub(now, Clamp(*claims.exp))) +
                              " s ago (more than the " + std::to_string(skew) +
                              " s of clock skew allowed)");
    }
    // A token valid for longer than max_age would stay in the replay set that long: a
    // sender could fill it with far-future tokens and push genuine ones out.
    if (Clamp(*claims.exp) > SatAdd(now, SatAdd(max_age, skew))) {
      return PermissionDenied("too long-lived: the token expires at " + Time(*claims.exp) + ", " +
                              std::to_string(SatSub(Clamp(*claims.exp), now)) +
                              " s from now, more than the maximum age of " +
                              std::to_string(max_age) + " s");
    }
  } else {
    int64_t iat = Clamp(claims.iat);
    expires = SatAdd(iat, max_age);
    if (now > expires) {
      return PermissionDenied("too old: the token (without exp) was issued at " + Time(claims.iat) +
                              ", " + std::to_string(SatSub(now, iat)) +
                              " s ago, more than the maximum age of " + std::to_string(max_age) +
                              " s");
    }
    if (iat > SatAdd(now, max_age)) {
      return PermissionDenied("issued in the future: the token (without exp) was issued at " +
                              Time(claims.iat) + ", " + std::to_string(SatSub(iat, now)) +
                              " s from now, more than the maximum age of " +
                              std::to_string(max_age) + " s");
    }
  }

  // 6. Replay (a first look; the pair is remembered once everything passed).
  WC_RETURN_IF_ERROR(CheckReplay(claims.iss, claims.jti, expires, /*insert=*/false));

  // 7. Signature (the issuer is host_id, a server key: parsed above).
  if (!host->Verify(AsBytes(jwt->signing_input), jwt->signature).ok()) {
    return Unauthenticated("bad signature: the token is not signed by host " + claims.iss);
  }

  // 8. Issuer policy.
  switch (config_.issuers.kind) {
    case IssuerPolicy::Kind::kAny:
      break;
    case IssuerPolicy::Kind::kLattice:
      if (!config_.issuers.is_lattice_host || !config_.issuers.is_lattice_host(claims.iss)) {
        return PermissionDenied("untrusted issuer: host " + claims.iss +
                                " is not a host of this lattice (invocation issuers: lattice)");
      }
      break;
    case IssuerPolicy::Kind::kList: {
      const auto& keys = config_.issuers.keys;
      if (std::find(keys.begin(), keys.end(), claims.iss) == keys.end()) {
        return PermissionDenied("untrusted issuer: host " + claims.iss +
                                " is not one of the accepted invocation issuers");
      }
      break;
    }
  }

  // Remember the pair; a concurrent copy of the same token that got this far is refused.
  WC_RETURN_IF_ERROR(CheckReplay(claims.iss, claims.jti, expires, /*insert=*/true));
  return std::move(inv);
} catch (const std::exception& e) {
  return Internal(std::string("verifying an invocation: ") + e.what());
}

}  // namespace wasmcloud::lattice
