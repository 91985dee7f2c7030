// What a receiving host checks before any Wasm runs (lattice.md, "Verifying an inbound
// invocation", steps 1-8; step 9, authorization, is the host's dispatcher's, since it
// needs the actor claims and the authorizer). Cheap checks first, the signature last
// but one, then the issuer policy.
//
// Thread-safe: one verifier serves every subscription of a host.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/verify.h"
#include "lattice/invocation.h"

namespace wasmcloud::lattice {

// Whose invocations a host accepts (`--invocation-issuers any|lattice|KEY,…`).
struct IssuerPolicy {
  enum class Kind {
    kAny,      // any valid host key: what 0.18 clients need (they sign with random keys)
    kLattice,  // keys for which `is_lattice_host` says true (hosts seen in this lattice)
    kList,     // only the keys in `keys`
  };
  Kind kind = Kind::kAny;
  std::vector<std::string> keys;                          // kList
  std::function<bool(std::string_view)> is_lattice_host;  // kLattice

  // "any", "lattice", or a comma-separated list of server ("N…") public keys.
  // kInvalidArgument naming the entry that is not such a key.
  static Result<IssuerPolicy> Parse(std::string_view text);
};

struct VerifierConfig {
  // Step 1: a message larger than this is refused without being decoded.
  size_t max_bytes = 1024 * 1024;
  // Step 5: with `exp`, refused when now > exp + skew, or when exp is more than
  // max_age + skew ahead (such a token would occupy the replay set for too long);
  // without `exp` (0.18 senders), refused when |now - iat| > max_age.
  std::chrono::seconds skew{2};
  std::chrono::seconds max_age{60};
  // Step 6: at most this many (iss, jti) pairs are remembered. When full, the pair that
  // expires first is forgotten and every token expiring no later than it is refused from
  // then on ("too old for the replay window"), so a forgotten pair can never be replayed.
  size_t replay_capacity = 100000;
  IssuerPolicy issuers;
  // Seconds since the epoch; empty: the system clock.
  crypto::UnixClock now;
};

class InvocationVerifier {
 public:
  explicit InvocationVerifier(VerifierConfig config);

  // Checks `bytes` as an invocation delivered to a subscription that serves `served`
  // (an actor, or a provider's key with its contract id and link name), in order:
  //  1. size ≤ max_bytes, then a bounded decode;
  //  2. target binding: the invocation's target is `served` (kind, id, and for a
  //     provider contract id and link name), so a captured token cannot be re-aimed;
  //  3. the token's header alg is Ed25519; iss equals host_id and both are server ("N")
  //     keys; sub equals the invocation id;
  //  4. the claims' origin_url and target_url equal the ones recomputed from the
  //     invocation, and hash equals InvocationHash(origin_url, target_url, msg);
  //  5. freshness (see VerifierConfig);
  //  6. replay: an (iss, jti) already accepted is refused;
  //  7. the Ed25519 signature of the token by iss;
  //  8. the issuer policy.
  // The pair (iss, jti) is remembered only once 1-8 passed. On success the invocation;
  // on failure kPermissionDenied (policy, binding, replay, freshness), kUnauthenticated
  // (signature, algorithm, hash, URL, key mismatches), kResourceExhausted (over
  // max_bytes) or kMalformed, with a message that is the reason alone (callers prefix
  // kRefusedPrefix), e.g. "replayed: token … of host N… was already accepted". Values
  // from the sender appear in it escaped and cut short.
  Result<Invocation> Verify(ByteView bytes, const Entity& served);

  // Pairs remembered now (for tests and metrics).
  size_t replay_entries() const;

 private:
  int64_t Now() const;
  // Step 6 before the signature (no insert) and after it (insert; a concurrent copy that
  // passed the first look is refused here).
  Status CheckReplay(const std::string& iss, const std::string& jti, int64_t expires, bool insert);

  VerifierConfig config_;
  mutable std::mutex mu_;
  // (iss, jti) → expiry, and expiry → pairs, to forget the earliest first.
  std::map<std::pair<std::string, std::string>, int64_t> seen_;
  std::multimap<int64_t, std::pair<std::string, std::string>> by_expiry_;
  int64_t forgotten_up_to_ = INT64_MIN;  // tokens expiring at or before this are refused
};

}  // namespace wasmcloud::lattice
