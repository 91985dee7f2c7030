#include "actor/actor.h"

#include <algorithm>
#include <atomic>

#include "crypto/module_claims.h"

namespace wasmcloud::actor {
namespace {
std::atomic<uint64_t> next_generation{1};
const std::vector<std::string> kNoCaps;
}  // namespace

const std::vector<std::string>& ActorModule::caps() const {
  return metadata().caps ? *metadata().caps : kNoCaps;
}

bool ActorModule::HasCapability(std::string_view contract_id) const {
  const auto& c = caps();
  return std::find(c.begin(), c.end(), contract_id) != c.end();
}

std::string ActorModule::DisplayName() const {
  std::string name = metadata().name.value_or("");
  if (name.empty()) return public_key;
  return name + " (" + public_key + ")";
}

Result<std::shared_ptr<const ActorModule>> LoadActorModule(wasm::Engine& engine, ByteView bytes,
                                                           const LoadOptions& options,
                                                           std::optional<std::string> image_ref) {
  if (bytes.size() > options.max_module_bytes) {
    return ResourceExhausted("the actor module has " + std::to_string(bytes.size()) +
                             " bytes, above the host's limit of " +
                             std::to_string(options.max_module_bytes) +
                             " bytes (--max-module-bytes)");
  }
  WC_ASSIGN_OR_RETURN(crypto::ModuleIdentity identity, crypto::VerifyModule(bytes, options.verify));
  const std::string& issuer = identity.claims.iss;
  if (!options.allowed_issuers.empty() &&
      std::find(options.allowed_issuers.begin(), options.allowed_issuers.end(), issuer) ==
          options.allowed_issuers.end()) {
    return PermissionDenied("issuer " + issuer + " of actor " + identity.claims.sub +
                            " is not in the allowed issuers list");
  }
  auto loaded = wapc::WapcModule::Load(engine, bytes);
  if (!loaded.ok()) return loaded.status().WithContext("actor " + identity.claims.sub);
  auto module = std::make_shared<ActorModule>();
  module->public_key = identity.claims.sub;
  module->claims = std::move(identity.claims);
  module->token = std::move(identity.token);
  module->module_hash = std::move(identity.module_hash);
  module->wapc = std::move(*loaded);
  module->image_ref = std::move(image_ref);
  module->generation = next_generation.fetch_add(1);
  return std::shared_ptr<const ActorModule>(std::move(module));
}

Status CheckLiveUpdate(const ActorModule& running, const ActorModule& next, bool strict) {
  if (running.public_key != next.public_key) {
    return InvalidArgument("Public keys of old actor and new actor do not match. Update denied. (" +
                           running.public_key + " is running, the new module is " +
                           next.public_key + ")");
  }
  if (next.revision() <= running.revision()) {
    return FailedPrecondition(
        "Cannot live update if the new module is not a higher revision number (running " +
        std::to_string(running.revision()) + ", new " + std::to_string(next.revision()) + ")");
  }
  std::vector<std::string> a = running.caps(), b = next.caps();
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (strict && a != b) {
    return PermissionDenied(
        "Strict claims checking does not allow live updated actors to have different "
        "capability claims");
  }
  return Status::Ok();
}

}  // namespace wasmcloud::actor
