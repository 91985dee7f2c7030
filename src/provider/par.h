// Provider archives (PAR, `.par.gz`): a tar, usually gzip'd, holding `claims.jwt` (signed
// provider claims) and one native library per platform, `<target>.bin`, whose uppercase
// hex SHA-256 is `wascap.target_hashes[<target>]` (spec §3.5, §5.2; docs/par.md).
//
// Reading is bounded (members, member size, total size) and strict about names, so a
// hostile archive is refused with a clear error before anything is allocated for it.
// Unlike the 0.18 host, which only decoded the claims, VerifyProviderArchive checks the
// signature and the time window as well as every hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"

namespace wasmcloud::provider {

// What ReadProviderArchive accepts. The defaults fit every real provider (a few
// targets of tens of MiB each) with room to spare.
struct ParLimits {
  size_t max_members = 32;                  // tar entries, claims.jwt included
  uint64_t max_member_size = 256ull << 20;  // one library
  uint64_t max_total_size = 512ull << 20;   // every member together, uncompressed
  uint64_t max_claims_size = 64ull << 10;   // claims.jwt
};

struct ProviderArchive {
  std::string token;  // the text of claims.jwt (surrounding whitespace removed)
  // The claims as decoded, NOT verified (VerifyProviderArchive does that). The `wascap`
  // metadata is always present.
  crypto::ProviderClaims claims;
  std::map<std::string, Bytes> binaries;  // target ("x86_64-linux") -> library bytes
  bool compressed = false;                // the input was gzip'd
};

// Parses an archive from memory: gzip'd tar or plain tar (detected, as 0.18 did, from the
// content). Errors, every one naming what is wrong:
//  - kMalformed: not a tar (or gzip of one), truncated or corrupt data, a member that is
//    not a regular file (directory, link, device), a member name with '/' or "..", a
//    name other than `claims.jwt` or `<target>.bin`, a repeated name, no claims.jwt, no
//    library, claims that do not decode ("malformed token: ...", an IdentityError), or
//    claims without provider metadata;
//  - kResourceExhausted: more members than `limits.max_members`, a member over
//    `max_member_size` (`max_claims_size` for claims.jwt), or more than `max_total_size`.
Result<ProviderArchive> ReadProviderArchive(ByteView data, const ParLimits& limits = {});

// Checks that every library matches the claims: each `<target>.bin` has a hash in
// `target_hashes` and it equals the library's SHA-256, and each hash there has its
// library. The first failure is a crypto::IdentityError::kHashMismatch (kUnauthenticated)
// naming the target. Does not look at the signature.
Status VerifyTargetHashes(const ProviderArchive& archive);

// Verifies the archive before use: its token (crypto::VerifyProviderToken with `options`:
// header, key types, signature by `iss`, nbf and exp), then every library against the
// verified claims as VerifyTargetHashes does. Ok, or the first failure as an
// IdentityError (crypto::IdentityErrorOf tells which).
Status VerifyProviderArchive(const ProviderArchive& archive, const crypto::VerifyOptions& options);

// This platform's target as Rust's std::env::consts give it ("{ARCH}-{OS}"):
// "x86_64-linux", "aarch64-linux", "arm-linux", "x86_64-macos", ...
std::string NativeTarget();
// The ELF machine (e_machine) of a target's architecture ("x86_64-linux": 62) for the
// 64-bit little-endian ones a provider library may be built for (x86_64, aarch64,
// riscv64, powerpc64); nullopt for any other.
std::optional<unsigned> ElfMachineOfTarget(std::string_view target);
// What an e_machine names: "aarch64", "x86", … or "machine N".
std::string ElfMachineName(unsigned machine);

// Writes the library of `target` to `<cache_root>/<sub>/<rev or 0>/<target>.so` (mode
// 0755, directories made as needed with mode 0755) and returns that path. The file is
// written to a temporary name in the same directory and renamed into place, so readers
// never see half a library. An existing file with the same SHA-256 is reused as it is;
// one that differs is replaced. Does not verify the archive: call VerifyProviderArchive
// first. Errors: kNotFound "No binary found in archive for target <t>"; kMalformed when
// `sub` is not a public key (it becomes a directory name); kUnavailable for file system
// failures.
Result<std::string> ExtractForTarget(const ProviderArchive& archive, std::string_view target,
                                     const std::string& cache_root);

// Builds a gzip'd archive: computes `target_hashes` from `binaries` (replacing any in
// `claims`), sets `iss` to the issuer when empty, signs the claims with `issuer`
// (crypto::EncodeClaims) and writes claims.jwt then each `<target>.bin`, sorted, with
// fixed metadata (mode 0644, owner 0, mtime 0) so that equal inputs give equal bytes.
// kInvalidArgument: no binaries, a target name that could not be read back (empty, '/',
// starting with '.', characters outside [A-Za-z0-9_.-]), claims without metadata, or an
// `iss` that is not the issuer's key.
Result<Bytes> WriteProviderArchive(const crypto::ProviderClaims& claims,
                                   const crypto::KeyPair& issuer,
                                   const std::map<std::string, Bytes>& binaries);

}  // namespace wasmcloud::provider
