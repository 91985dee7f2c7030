// Trusting a token: header, issuer and subject key types, the issuer's signature, and
// the time window, each failure with its own IdentityError.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"

namespace wasmcloud::crypto {

// Seconds since the Unix epoch. Injectable so that tests control time.
using UnixClock = std::function<int64_t()>;
int64_t SystemUnixSeconds();

struct VerifyOptions {
  // The time `exp` and `nbf` are compared with; empty means SystemUnixSeconds.
  UnixClock now;
  // Accepted types of `iss`. Empty accepts any public key type (the issuer must always
  // be a public key: it is the verifying key).
  std::vector<KeyType> issuer_types;
  // Accepted types of `sub`. Empty: `sub` is not checked as a key (invocation tokens
  // carry an invocation id there).
  std::vector<KeyType> subject_types;

  // Actors: issued by an account (A) for a module (M). The 0.18 host did not check the
  // types; clear the vectors to accept what it accepted.
  static VerifyOptions ForActor();
  // Providers: issued by an account (A) for a service (V).
  static VerifyOptions ForProvider();
  // Invocations: issued by a host (N); sub is the invocation id.
  static VerifyOptions ForInvocation();
};

// Verifies `token` and returns its claims. Checks, in this order: shape and header
// ("malformed token"), non-empty iss and sub, the types of iss and sub ("wrong key type"
// when a valid key of another type, "bad prefix"/"bad checksum"/... when not a key), the
// signature ("bad signature"), nbf ("not yet valid": now < nbf) and exp ("expired":
// now > exp). The metadata (`wascap`) must be present.
Result<ActorClaims> VerifyActorToken(std::string_view token, const VerifyOptions& options);
Result<ProviderClaims> VerifyProviderToken(std::string_view token, const VerifyOptions& options);
Result<InvocationClaims> VerifyInvocationToken(std::string_view token,
                                               const VerifyOptions& options);

// "2021-02-11T22:01:03Z" (UTC), for messages and the CLI.
std::string FormatUnixTime(uint64_t seconds);

}  // namespace wasmcloud::crypto
