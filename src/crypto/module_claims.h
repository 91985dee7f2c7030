// Claims embedded in a WebAssembly module (wascap 0.6 wasm.rs): the token is the payload
// of the first custom section named "jwt", and wascap.hash is the uppercase hex SHA-256
// of the module with that whole section (id, size, name, payload) cut out.
//
// About the hash: wascap re-serialises the module with parity-wasm before hashing. For
// every module wascap itself wrote (all the signed fixtures) that is byte-identical to
// the input, so cutting the section out is exact; a module with non-minimal LEB128s that
// was signed by wascap directly from a compiler's output would hash differently here.
#pragma once

#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"

namespace wasmcloud::crypto {

// Text of the host's error for a module without a token (0.18 wasmcloud_actor.rs).
inline constexpr std::string_view kNoTokenMessage =
    "Unable to extract embedded token from WebAssembly module";

// The token in the module's first "jwt" section. Errors: the module does not parse (the
// inspector's kMalformed error), "no jwt section: Unable to extract embedded token from
// WebAssembly module", or a section that is not ASCII text ("malformed token").
Result<std::string> ExtractModuleToken(ByteView module);

// The module without its first "jwt" section (unchanged when there is none).
Result<Bytes> StripModuleToken(ByteView module);

// HEXUPPER(SHA-256(StripModuleToken(module))).
Result<std::string> ModuleHash(ByteView module);

// Signs a module as wascap's embed_claims does: computes the hash of the module without
// its token, stores it in claims.wascap.hash (creating the metadata if absent), signs
// the claims with `issuer` (claims.iss must be its public key), and stores the token in
// the first "jwt" section in place, or in a new section at the end.
Result<Bytes> SignModule(ByteView module, ActorClaims claims, const KeyPair& issuer);

struct ModuleIdentity {
  std::string token;
  ActorClaims claims;
  std::string module_hash;  // computed from the bytes, to compare with claims' hash
};

// Reads the token and decodes its claims without trusting them (for inspection).
Result<ModuleIdentity> ReadModuleIdentity(ByteView module);

// Reads and verifies: everything VerifyActorToken checks, plus "hash mismatch" when
// wascap.hash is not the module's hash. The hash is checked after the signature, so a
// forged token reports the signature and a changed module reports the hash.
Result<ModuleIdentity> VerifyModule(ByteView module, const VerifyOptions& options);

}  // namespace wasmcloud::crypto
