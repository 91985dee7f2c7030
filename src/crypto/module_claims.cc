#include "crypto/module_claims.h"

#include "crypto/identity_error.h"
#include "crypto/sha256.h"
#include "wasm/module_info.h"

namespace wasmcloud::crypto {
namespace {

constexpr std::string_view kSectionName = "jwt";

}  // namespace

Result<std::string> ExtractModuleToken(ByteView module) {
  WC_ASSIGN_OR_RETURN(wasm::ModuleInfo info, wasm::InspectModule(module));
  auto content = wasm::CustomSectionContent(module, info, kSectionName);
  if (!content) return IdentityStatus(IdentityError::kNoJwtSection, kNoTokenMessage);
  for (uint8_t b : *content) {
    if (b < 0x21 || b > 0x7e) {
      return IdentityStatus(IdentityError::kMalformedToken,
                            "the jwt section holds bytes that are not token text");
    }
  }
  return std::string(AsChars(*content));
}

Result<Bytes> StripModuleToken(ByteView module) {
  WC_ASSIGN_OR_RETURN(wasm::ModuleInfo info, wasm::InspectModule(module));
  const wasm::Section* s = info.FindCustomSection(kSectionName);
  Bytes out(module.begin(), module.end());
  if (s != nullptr) {
    out.erase(out.begin() + static_cast<ptrdiff_t>(s->offset),
              out.begin() + static_cast<ptrdiff_t>(s->offset + s->size));
  }
  return out;
}

Result<std::string> ModuleHash(ByteView module) {
  WC_ASSIGN_OR_RETURN(Bytes stripped, StripModuleToken(module));
  return Sha256HexUpper(stripped);
}

Result<Bytes> SignModule(ByteView module, ActorClaims claims, const KeyPair& issuer) {
  WC_ASSIGN_OR_RETURN(std::string hash, ModuleHash(module));
  if (!claims.wascap) claims.wascap = ActorMetadata{};
  claims.wascap->hash = hash;
  WC_ASSIGN_OR_RETURN(std::string token, EncodeClaims(claims, issuer));
  return wasm::SetCustomSection(module, kSectionName, AsBytes(token));
}

Result<ModuleIdentity> ReadModuleIdentity(ByteView module) {
  ModuleIdentity id;
  WC_ASSIGN_OR_RETURN(id.token, ExtractModuleToken(module));
  WC_ASSIGN_OR_RETURN(id.claims, DecodeActorClaims(id.token));
  WC_ASSIGN_OR_RETURN(id.module_hash, ModuleHash(module));
  return id;
}

Result<ModuleIdentity> VerifyModule(ByteView module, const VerifyOptions& options) {
  ModuleIdentity id;
  WC_ASSIGN_OR_RETURN(id.token, ExtractModuleToken(module));
  WC_ASSIGN_OR_RETURN(id.claims, VerifyActorToken(id.token, options));
  WC_ASSIGN_OR_RETURN(id.module_hash, ModuleHash(module));
  if (id.claims.wascap->hash != id.module_hash) {
    return IdentityStatus(IdentityError::kHashMismatch, "the module's hash " + id.module_hash +
                                                            " does not match the claims' hash " +
                                                            id.claims.wascap->hash);
  }
  return id;
}

}  // namespace wasmcloud::crypto
