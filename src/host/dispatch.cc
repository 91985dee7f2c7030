// The call paths: outside → actor, actor → actor, actor → provider, provider → actor;
// target resolution (§1.4), the capability check and the authorizer (§7.3, §10.1), and
// the instance of an actor on the calling thread's worker.
#include <algorithm>
#include <atomic>
#include <cctype>

#include "core/log.h"
#include "host/host_core.h"

namespace wasmcloud::host {

std::string NormalizeLinkName(std::string_view link_name) {
  bool blank = std::all_of(link_name.begin(), link_name.end(),
                           [](unsigned char c) { return std::isspace(c) != 0; });
  return blank ? std::string("default") : std::string(link_name);
}

namespace {

// What one actor instance's guest calls reach. Lives as long as the instance.
class ActorCallbacks final : public wapc::HostCallbacks {
 public:
  ActorCallbacks(HostCore* core, const actor::ActorModule* module)
      : core_(core), module_(module), log_component_("actor " + module->DisplayName()) {}
  Result<Bytes> OnHostCall(const wapc::HostCall& call) override {
    return core_->OnHostCall(*module_, call);
  }
  void OnConsoleLog(std::string_view message) override {
    Log(LogLevel::kInfo, log_component_, message);
  }

 private:
  HostCore* core_;
  const actor::ActorModule* module_;
  std::string log_component_;
};

bool LooksLikeActorKey(std::string_view s) {
  return s.size() == crypto::kPublicKeyLength && s[0] == 'M';
}

struct ActorLookupCache {
  uint64_t host = 0;
  uint64_t version = 0;
  std::string key;
  std::shared_ptr<const actor::ActorModule> module;
};
thread_local ActorLookupCache tls_actor_cache;

std::atomic<uint64_t> next_instance_id{1};

}  // namespace

uint64_t HostCore::NextInstanceId() { return next_instance_id.fetch_add(1); }

const std::shared_ptr<const actor::ActorModule>& HostCore::FindActorForOuterCall(
    std::string_view key_or_alias) {
  ActorLookupCache& c = tls_actor_cache;
  // Read before the lookup: a change after it leaves the entry stale, never wrong.
  uint64_t version = actors_version_.load(std::memory_order_acquire);
  if (c.host == instance_id_ && c.version == version && c.key == key_or_alias) return c.module;
  std::string pk = ResolveActor(key_or_alias);
  c.module = pk.empty() ? nullptr : FindActor(pk);
  c.host = instance_id_;
  c.version = version;
  c.key.assign(key_or_alias);
  return c.module;
}

std::string HostCore::ResolveActor(std::string_view key_or_alias) const {
  if (LooksLikeActorKey(key_or_alias)) return std::string(key_or_alias);
  std::shared_lock lock(mu_);
  auto it = call_aliases_.find(key_or_alias);
  return it == call_aliases_.end() ? std::string() : it->second;
}

Result<Bytes> HostCore::Invoke(const std::shared_ptr<const actor::ActorModule>& module,
                               std::string_view operation, ByteView payload) {
  WC_ASSIGN_OR_RETURN(auto lease, pool_->Acquire());
  WorkerSlot& slot = lease->slot();
  auto it = slot.instances.try_emplace(module->public_key).first;
  ActorInstance& inst = it->second;
  if (inst.instance && inst.module->generation < module->generation) {
    if (inst.busy) {
      return FailedPrecondition("actor " + module->public_key +
                                " was updated while it was calling itself; try again");
    }
    inst.instance.reset();
    inst.callbacks.reset();
  }
  if (!inst.instance) {
    inst.module = module;
    inst.callbacks = std::make_unique<ActorCallbacks>(this, module.get());
    wasm::CallOptions init_options{config_.call_timeout};
    auto created = wapc::WapcInstance::Create(*slot.worker, module->wapc, inst.callbacks.get(),
                                              module->DisplayName(), init_options);
    if (!created.ok()) {
      slot.instances.erase(it);
      return created.status();
    }
    inst.instance = std::move(*created);
  }
  if (operation.empty()) return Bytes{};
  if (inst.busy) {
    return FailedPrecondition(
        "actor " + module->public_key +
        " is already handling a call on this thread: re-entrant calls (an "
        "actor calling itself, directly or through others) are not supported");
  }
  inst.busy = true;
  Result<Bytes> result =
      inst.instance->Call(operation, payload, wasm::CallOptions{config_.call_timeout});
  inst.busy = false;
  if (!inst.instance->healthy()) {
    // A trap or a deadline may leave the guest's memory half-updated: this instance goes,
    // the next call on this worker makes a new one, the others are not touched.
    Log(LogLevel::kWarn, "host",
        "replacing the instance of " + module->DisplayName() +
            " after: " + result.status().message());
    inst.instance.reset();
    inst.callbacks.reset();
  }
  return result;
}

Result<Bytes> HostCore::CallActor(std::string_view actor, std::string_view operation,
                                  ByteView payload) {
  WC_RETURN_IF_ERROR(CheckRunning());
  if (operation.empty()) return InvalidArgument("the operation name is empty");
  if (!WorkerPool::ThreadInCall()) {
    const auto& cached = FindActorForOuterCall(actor);
    if (cached) return Invoke(cached, operation, payload);
  }
  std::string pk = ResolveActor(actor);
  if (pk.empty()) {
    return NotFound("Specified actor was not a public key or a known call alias. (\"" +
                    std::string(actor) + "\")");
  }
  auto module = FindActor(pk);
  if (!module) return NotFound("actor " + pk + " is not running on this host");
  return Invoke(module, operation, payload);
}

Result<Bytes> HostCore::CallActorFromProvider(const ProviderEntry& origin, std::string_view actor,
                                              std::string_view operation, ByteView payload) {
  WC_RETURN_IF_ERROR(CheckRunning());
  if (!WorkerPool::ThreadInCall() && !operation.empty()) {
    const auto& cached = FindActorForOuterCall(actor);
    if (cached) return Invoke(cached, operation, payload);
  }
  std::string pk = ResolveActor(actor);
  auto module = pk.empty() ? nullptr : FindActor(pk);
  if (!module) {
    return NotFound("actor " + std::string(actor) + " is not running on this host (call from " +
                    origin.DisplayName() + ")");
  }
  if (operation.empty()) return InvalidArgument("the operation name is empty");
  return Invoke(module, operation, payload);
}

Result<Bytes> HostCore::OnHostCall(const actor::ActorModule& origin, const wapc::HostCall& call) {
  const std::string link_name = NormalizeLinkName(call.binding);
  const std::string_view ns = call.ns;

  // One look at the tables per host call, under one read lock, copying only what outlives
  // it: the target is (1) an actor public key, (2) a call alias, or (3) a provider through
  // the origin's link for this contract and link name.
  std::shared_ptr<Authorizer> auth;
  std::string alias_target;
  std::string_view target_actor;
  std::shared_ptr<const actor::ActorModule> module;
  bool linked = false;
  std::string provider_id;
  std::shared_ptr<ProviderEntry> entry;
  {
    std::shared_lock lock(mu_);
    auth = authorizer_;
    if (LooksLikeActorKey(ns)) {
      target_actor = ns;
    } else if (auto a = call_aliases_.find(ns); a != call_aliases_.end()) {
      alias_target = a->second;
      target_actor = alias_target;
    }
    if (!target_actor.empty()) {
      if (auto m = actors_.find(target_actor); m != actors_.end()) module = m->second;
    } else if (auto link =
                   links_.find(std::tuple<std::string_view, std::string_view, std::string_view>(
                       origin.public_key, ns, link_name));
               link != links_.end()) {
      linked = true;
      provider_id = link->second.provider_id;
      auto p =
          providers_.find(std::tuple<std::string_view, std::string_view>(provider_id, link_name));
      if (p != providers_.end()) entry = p->second;
    }
  }

  if (!target_actor.empty()) {
    if (auth &&
        !auth->CanInvoke(origin.claims, Entity::Actor(std::string(target_actor)), call.operation)) {
      return PermissionDenied("Authorization denied - authorizer rejected invocation");
    }
    if (!module) {
      return NotFound("actor " + std::string(target_actor) + " is not running on this host");
    }
    return Invoke(module, call.operation, call.payload);
  }
  if (!linked) {
    return NotFound("The target " + std::string(ns) +
                    " was not found as an actor public key, an actor call alias, or as the "
                    "contract ID in an existing link from source actor " +
                    origin.public_key);
  }
  if (!origin.HasCapability(ns)) {
    return PermissionDenied("Authorization denied - Actor does not have required claims (" +
                            origin.public_key + " has no " + std::string(ns) +
                            " capability in its claims)");
  }
  if (auth &&
      !auth->CanInvoke(origin.claims, Entity::Capability(provider_id, std::string(ns), link_name),
                       call.operation)) {
    return PermissionDenied("Authorization denied - authorizer rejected invocation");
  }
  if (!entry) {
    return Unavailable("provider " + provider_id + " (link " + link_name + ") for " +
                       std::string(ns) + " is not running on this host");
  }
  return entry->Guard(
      [&] { return entry->provider->HandleCall(origin.public_key, call.operation, call.payload); });
}

}  // namespace wasmcloud::host
