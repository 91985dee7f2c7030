// The built-in `wasmcloud:extras` provider (spec §4.1–§4.2): GUIDs, random numbers and
// per-actor sequence numbers for actors, which cannot make them themselves. It behaves
// as the 0.18 host's built-in did, except where extras.cc says otherwise.
#pragma once

#include <memory>
#include <string_view>

#include "core/status.h"
#include "crypto/claims.h"
#include "provider/provider.h"

namespace wasmcloud::provider {

inline constexpr std::string_view kExtrasContractId = "wasmcloud:extras";
// The provider's identity in every 0.18 host (EXTRAS_PUBLIC_KEY); actors link to it.
inline constexpr std::string_view kExtrasPublicKey =
    "VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP";
// The claims token the 0.18 host hard-codes for it (EXTRAS_JWT, host v0.18.0
// capability/extras.rs), signed by the wasmCloud account ACOJJN6W…ZMCW.
extern const std::string_view kExtrasJwt;

// Operations (and their replies, all msgpack GeneratorResult unless said otherwise):
//   RequestGuid      a random UUID v4, lowercase and hyphenated; the numbers are 0.
//   RequestRandom    when the request's `random` is true: uniform in [min, max)
//                    (min >= max: kInvalidArgument); otherwise an all-default result.
//   RequestSequence  the calling actor's counter: 0 on its first call, then 1, 2, ...
//                    Kept for the life of the provider (not reset by RemoveActor).
//   HealthRequest    HealthResponse {healthy: true, message: ""}; the payload is ignored.
// The three Request ops decode their payload as a GeneratorRequest first; one that does
// not decode is kMalformed. Any other operation is kNotFound, "bad dispatch: ...".
std::shared_ptr<Provider> NewExtrasProvider();

// The claims of kExtrasJwt (decoded, not verified: the token is a constant of ours).
Result<crypto::ProviderClaims> ExtrasClaims();

}  // namespace wasmcloud::provider
