// An actor as the host runs it: a module whose claims were verified, compiled once for
// every worker. Immutable: a live update makes a new ActorModule with a new generation.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/verify.h"
#include "wapc/wapc.h"
#include "wasm/engine.h"

namespace wasmcloud::actor {

struct ActorModule {
  std::string public_key;  // claims sub, "M..."
  crypto::ActorClaims claims;
  std::string token;
  std::string module_hash;
  std::shared_ptr<const wapc::WapcModule> wapc;
  std::optional<std::string> image_ref;
  // Unique in the process; instances made from another generation are stale.
  uint64_t generation = 0;
  // The host's bookkeeping: calls of this actor that hold a worker of their own (outer
  // calls), for its per-actor limit (host/dispatcher.h).
  mutable std::atomic<uint32_t> outer_calls{0};

  const crypto::ActorMetadata& metadata() const { return *claims.wascap; }
  int32_t revision() const { return metadata().rev.value_or(0); }
  const std::vector<std::string>& caps() const;
  bool HasCapability(std::string_view contract_id) const;
  // "Echo (MBCF…3WD5)" for log lines.
  std::string DisplayName() const;
};

struct LoadOptions {
  crypto::VerifyOptions verify = crypto::VerifyOptions::ForActor();
  // Account keys allowed to issue actors; empty: any.
  std::vector<std::string> allowed_issuers;
  // Larger modules are refused before anything else is done with them (kResourceExhausted).
  uint64_t max_module_bytes = 64ull << 20;
};

// Verifies the claims (the module parses, has a jwt section, signature, hash, time
// window, key types, allowed issuer), then compiles it as a waPC module. Errors keep the
// crypto layer's IdentityError phrases ("no jwt section: ...", "expired: ...").
Result<std::shared_ptr<const ActorModule>> LoadActorModule(wasm::Engine& engine, ByteView bytes,
                                                           const LoadOptions& options,
                                                           std::optional<std::string> image_ref);

// The live-update rules of 0.18 (§11): same subject, a higher revision (a missing one
// counts as 0), and, when `strict`, the same capabilities (as a multiset).
Status CheckLiveUpdate(const ActorModule& running, const ActorModule& next, bool strict);

}  // namespace wasmcloud::actor
