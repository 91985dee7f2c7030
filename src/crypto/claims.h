// wascap 0.6 claims: the JSON inside a JWT. Claims<T> is the common part (jti, iat, iss,
// sub, exp, nbf) and T the `wascap` metadata of an actor, a capability provider or an
// invocation. Encoding writes the keys in wascap's order, compact, so that a token we
// write is byte-for-byte what wascap would write for the same values; decoding ignores
// unknown keys and rejects wrong types, as serde does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "crypto/nkeys.h"

namespace wasmcloud::crypto {

// `wascap` of an actor, in serialisation order.
struct ActorMetadata {
  std::optional<std::string> name;
  std::string hash;  // HEXUPPER SHA-256 of the module without its jwt section
  std::optional<std::vector<std::string>> tags;
  std::optional<std::vector<std::string>> caps;  // capability contract ids
  std::optional<int32_t> rev;
  std::optional<std::string> ver;
  std::optional<std::string> call_alias;
  bool prov = false;  // always written; false when absent on decode
};

// `wascap` of a capability provider (in a provider archive).
struct ProviderMetadata {
  std::optional<std::string> name;  // written as null when absent
  std::string capid;
  std::string vendor;
  std::optional<int32_t> rev;
  std::optional<std::string> ver;
  // target ("x86_64-linux") -> HEXUPPER SHA-256 of its library, in the token's order.
  std::vector<std::pair<std::string, std::string>> target_hashes;
};

// `wascap` of an invocation's anti-forgery token (signed by the sending host).
struct InvocationMetadata {
  std::string target_url;
  std::string origin_url;
  std::string hash;  // InvocationHash(origin_url, target_url, msg)
};

template <typename T>
struct Claims {
  std::optional<uint64_t> exp;  // seconds since the epoch; none = never expires
  std::string jti;              // token id (22 random base62 characters when we make it)
  uint64_t iat = 0;             // issued at
  std::string iss;              // issuer public key
  std::string sub;              // subject: a public key, or an invocation id
  std::optional<uint64_t> nbf;  // not before
  std::optional<T> wascap;
};

using ActorClaims = Claims<ActorMetadata>;
using ProviderClaims = Claims<ProviderMetadata>;
using InvocationClaims = Claims<InvocationMetadata>;

// The claims JSON text (compact, wascap's key order).
std::string ToJson(const ActorClaims& claims);
std::string ToJson(const ProviderClaims& claims);
std::string ToJson(const InvocationClaims& claims);

// Parses claims JSON text. Errors: "malformed token" with the key that is missing or of
// the wrong type. A missing `wascap` is not an error here (it is when verifying).
Result<ActorClaims> ParseActorClaims(std::string_view json);
Result<ProviderClaims> ParseProviderClaims(std::string_view json);
Result<InvocationClaims> ParseInvocationClaims(std::string_view json);

// Decodes a token's claims without verifying anything but its shape (for inspection;
// see verify.h to trust them).
Result<ActorClaims> DecodeActorClaims(std::string_view token);
Result<ProviderClaims> DecodeProviderClaims(std::string_view token);
Result<InvocationClaims> DecodeInvocationClaims(std::string_view token);

// Signs claims as a token. `claims.iss` must be the issuer's public key (kInvalidArgument
// otherwise: a token whose iss is not its signer can never verify).
Result<std::string> EncodeClaims(const ActorClaims& claims, const KeyPair& issuer);
Result<std::string> EncodeClaims(const ProviderClaims& claims, const KeyPair& issuer);
Result<std::string> EncodeClaims(const InvocationClaims& claims, const KeyPair& issuer);

// wascap's call alias normalisation, applied when actor claims are made: lowercase,
// trim, drop non-ASCII characters, and replace ' ', '-' and '.' with '_' ('/' stays).
std::string NormalizeCallAlias(std::string_view alias);

// A fresh token id: 22 random characters of [0-9A-Za-z], the shape of wascap's nuid.
std::string NewTokenId();

// A random (version 4, RFC 4122 variant) UUID from libsodium's CSPRNG, written as
// 8-4-4-4-12 lowercase hex: what Rust's `Uuid::new_v4()` displays (invocation ids,
// wasmcloud:extras guids).
std::string NewUuidV4();

// What a new actor's claims say; NewActorClaims fills in the rest.
struct ActorClaimsSpec {
  std::string name;
  std::vector<std::string> caps;
  std::vector<std::string> tags;
  std::optional<int32_t> rev;
  std::optional<std::string> ver;
  std::optional<std::string> call_alias;  // normalised by NewActorClaims
  bool prov = false;
  std::optional<uint64_t> exp;
  std::optional<uint64_t> nbf;
};

// Claims for an actor as wascap makes them: a new jti, iat = `now`, tags and caps
// always written (possibly empty), the call alias normalised. The hash is left empty
// (signing a module fills it in).
ActorClaims NewActorClaims(const ActorClaimsSpec& spec, std::string issuer, std::string subject,
                           uint64_t now);

// HEXUPPER(SHA-256(origin_url ‖ target_url ‖ msg)): origin first, although the claims
// list the target first (0.18 dispatch.rs).
std::string InvocationHash(std::string_view origin_url, std::string_view target_url, ByteView msg);

}  // namespace wasmcloud::crypto
