// Actors: start (from bytes or a registry), stop, live update, identities, and what the
// lattice data says about them (claims, call aliases, OCI references).
#include "core/log.h"
#include "crypto/identity_error.h"
#include "host/artifacts.h"
#include "host/host_core.h"

namespace wasmcloud::host {
namespace {
constexpr std::string_view kLog = "host";

bool LooksLikeActorKey(std::string_view s) {
  return s.size() == crypto::kPublicKeyLength && s[0] == 'M';
}
}  // namespace

std::string HostCore::ResolveOciRef(std::string_view oci_ref) const {
  if (std::string pk = store_->ResolveOciRef(oci_ref); !pk.empty()) return pk;
  // The map holds canonical references; `redis:6` finds docker.io/library/redis:6.
  auto canonical = CanonicalReference(oci_ref);
  return canonical.ok() ? store_->ResolveOciRef(*canonical) : std::string();
}

std::string HostCore::ResolveActorRef(std::string_view actor_ref) const {
  if (LooksLikeActorKey(actor_ref)) return std::string(actor_ref);
  return ResolveOciRef(actor_ref);
}

Status HostCore::Advertise(const actor::ActorModule& module) {
  const std::string& pk = module.public_key;
  WC_RETURN_IF_ERROR(store_->PutClaims(module.claims, module.token));
  if (const auto& alias = module.metadata().call_alias;
      alias && alias->find(':') != std::string::npos) {
    // Aliases resolve before links: one shaped like a contract id would take every
    // actor's calls to that contract.
    Log(LogLevel::kWarn, kLog,
        "actor " + pk + " claims call alias " + *alias +
            ", which looks like a contract id; it is not registered");
  } else if (alias && !alias->empty()) {
    // First claimant wins and keeps it, lattice-wide, for good (grow-only, as 0.18).
    auto owner = store_->ClaimAlias(*alias, pk);
    if (!owner.ok()) return owner.status();
    if (*owner != pk) {
      Log(LogLevel::kWarn, kLog,
          "actor " + pk + " cannot claim call alias " + *alias + ": it belongs to " + *owner);
    }
  }
  if (module.image_ref) WC_RETURN_IF_ERROR(store_->PutOciRef(*module.image_ref, pk));
  if (legacy_) legacy_->PublishClaims(module.claims);  // for 0.18 peers and tools
  return Status::Ok();
}

// Until destroyed, a stop of its module leaves its ActorStopped here; the destructor
// publishes it (after the start's or update's own event).
class HostCore::Announcing {
 public:
  Announcing(HostCore* host, ActorPtr module) : host_(host), module_(std::move(module)) {}
  Announcing(Announcing&& other) noexcept
      : host_(std::exchange(other.host_, nullptr)), module_(std::move(other.module_)) {}
  Announcing(const Announcing&) = delete;
  Announcing& operator=(const Announcing&) = delete;
  Announcing& operator=(Announcing&&) = delete;
  ~Announcing() {
    if (host_ == nullptr) return;
    std::optional<std::string> stop_operation;
    {
      std::lock_guard<std::mutex> lifecycle(host_->lifecycle_mu_);
      auto it = host_->announcing_.find(module_.get());
      if (it != host_->announcing_.end()) {
        stop_operation = std::move(it->second);
        host_->announcing_.erase(it);
      }
    }
    if (!stop_operation) return;
    lattice::OperationScope scope(*stop_operation);  // the stop's, not this start's
    host_->Publish(lattice::kActorStopped, {{"public_key", module_->public_key}});
  }

 private:
  HostCore* host_;
  ActorPtr module_;
};

HostCore::Announcing HostCore::BeginAnnouncingLocked(const ActorPtr& module) {
  announcing_[module.get()] = std::nullopt;
  return Announcing(this, module);
}

KeyedMutex::Lock HostCore::AcquireActorChange(const std::string& pk) {
  if (std::optional<KeyedMutex::Lock> free = actor_changes_.TryAcquire(pk)) return std::move(*free);
  Log(LogLevel::kInfo, kLog,
      "actor " + pk + ": waiting for its start or live update in progress to end");
  return actor_changes_.Acquire(pk);
}

Result<std::string> HostCore::StartActor(ByteView bytes, std::optional<std::string> image_ref,
                                         bool* already_running) {
  WC_RETURN_IF_ERROR(CheckRunning());
  auto loaded = actor::LoadActorModule(*engine_, bytes, LoadOptions(), image_ref);
  if (!loaded.ok()) {
    Status s = loaded.status().WithContext("cannot start actor");
    if (crypto::IdentityErrorOf(s) == crypto::IdentityError::kNoJwtSection) {
      return Status(s.code(), s.message() + " (sign it with `wasmcloud claims sign`)");
    }
    return s;
  }
  ActorPtr module = *loaded;
  const std::string& pk = module->public_key;
  // One start or update of this actor at a time: a concurrent one of another module of
  // this key would otherwise write its claims to the lattice, then lose the insert.
  KeyedMutex::Lock change = AcquireActorChange(pk);
  auto same_module_runs = [&]() -> std::optional<Result<std::string>> {
    ActorPtr running = actors_.Find(pk);
    if (!running) return std::nullopt;
    if (running->module_hash != module->module_hash) {
      return Result<std::string>(AlreadyExists("Cannot start already running actor " + pk +
                                               " (revision " + std::to_string(running->revision()) +
                                               " is running; use a live update to replace it)"));
    }
    // The same module again: nothing to start; a reference it came from is recorded.
    if (already_running != nullptr) *already_running = true;
    if (image_ref) {
      if (Status s = store_->PutOciRef(*image_ref, pk); !s.ok()) return Result<std::string>(s);
    }
    return Result<std::string>(pk);
  };
  if (auto done = same_module_runs()) return std::move(*done);
  if (auto auth = dispatcher_->authorizer(); auth && !auth->CanLoad(module->claims)) {
    return PermissionDenied("Permission denied starting actor. (the authorizer refused " +
                            module->DisplayName() + ")");
  }
  // Neither the start functions nor the lattice data are waited for under
  // lifecycle_mu_: they may take long, and a guest's start functions may call back into
  // the host. An instance made here for a start that then fails is dropped by a sweep.
  if (Status s = dispatcher_->WarmUp(module); !s.ok()) {
    pool_->SweepAll();
    return s.WithContext("cannot start actor " + pk + ": its start functions failed");
  }
  // The lattice learns of it before it is callable here, so that a call it makes at
  // once (or one made to it) is authorized by every host.
  if (Status s = Advertise(*module); !s.ok()) {
    pool_->SweepAll();
    return s.WithContext("cannot start actor " + pk + ": the lattice data cannot record it");
  }
  std::optional<Announcing> announcing;
  {
    std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
    WC_RETURN_IF_ERROR(CheckRunning());
    // Unreachable while only StartActor inserts (it holds the key); kept as a guard.
    if (auto done = same_module_runs()) return std::move(*done);
    actors_.Insert(module);
    announcing.emplace(BeginAnnouncingLocked(module));  // published at the end
    // Subscribed under the lock: a stop cannot come between and leave it subscribed.
    if (rpc_server_) {
      if (Status s = rpc_server_->Serve(lattice::Entity::Actor(pk)); !s.ok()) {
        Log(LogLevel::kError, kLog, s.message() + " (it serves calls made on this host only)");
      }
    }
  }
  binder_->BindActorLinks(pk);  // refusals are logged
  Log(LogLevel::kInfo, kLog,
      "started actor " + module->DisplayName() + " revision " + std::to_string(module->revision()) +
          (module->image_ref ? " from " + *module->image_ref : std::string()));
  nlohmann::json data = {{"public_key", pk},
                         {"name", module->metadata().name.value_or("")},
                         {"revision", module->revision()}};
  if (module->image_ref) data["image_ref"] = *module->image_ref;
  Publish(lattice::kActorStarted, std::move(data));
  return pk;
}

Result<std::string> HostCore::StartActorFromRegistry(std::string_view oci_ref,
                                                     bool* already_running) {
  WC_RETURN_IF_ERROR(CheckRunning());
  auto pulled = PullArtifact(config_, oci_ref, oci::ArtifactKind::kActor, interrupted_,
                             RegistryCredentials());
  if (!pulled.ok()) return pulled.status();
  auto started = StartActor(pulled->data, pulled->reference, already_running);
  if (!started.ok()) return started.status().WithContext(pulled->reference);
  return started;
}

Status HostCore::StopActorRef(std::string_view actor_ref) {
  WC_RETURN_IF_ERROR(CheckRunning());
  ActorPtr stopped;
  bool left_to_start = false;
  {
    std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
    std::string pk = ResolveActorRef(actor_ref);
    if (pk.empty() || !actors_.Find(pk)) return Status::Ok();  // idempotent
    // No new invocation from the lattice reaches it; calls in flight finish.
    if (rpc_server_) rpc_server_->Unserve(lattice::Entity::Actor(pk));
    stopped = actors_.Erase(pk);
    // Stopped while its start (or update) binds its links: that one publishes
    // ActorStopped after its own event.
    if (auto it = announcing_.find(stopped.get()); it != announcing_.end()) {
      it->second = lattice::OperationScope::Current();
      left_to_start = true;
    }
  }
  if (!stopped) return Status::Ok();
  pool_->SweepAll();
  Log(LogLevel::kInfo, kLog, "stopped actor " + stopped->DisplayName());
  if (!left_to_start) Publish(lattice::kActorStopped, {{"public_key", stopped->public_key}});
  return Status::Ok();
}

Status HostCore::UpdateActor(std::string_view actor_id, ByteView bytes,
                             std::optional<std::string> image_ref) {
  WC_RETURN_IF_ERROR(CheckRunning());
  if (!config_.allow_live_updates) {
    return FailedPrecondition(
        "Attempt to live update actor denied. Runtime updates for this actor are not enabled "
        "(start the host with --allow-live-updates)");
  }
  if (image_ref) {
    auto canonical = CanonicalReference(*image_ref);
    if (!canonical.ok()) return canonical.status().WithContext("cannot update actor");
    image_ref = *canonical;
  }
  // One start or update of this actor at a time: two concurrent updates would each write
  // their claims, and the one that lost the switch could leave its own in the lattice.
  KeyedMutex::Lock change = AcquireActorChange(std::string(actor_id));
  ActorPtr running = actors_.Find(actor_id);
  if (!running) return NotFound("actor " + std::string(actor_id) + " is not running on this host");
  // Without a new reference the new version keeps the old one's: it is still what
  // OciReferences() maps to this actor (grow-only).
  auto loaded = actor::LoadActorModule(*engine_, bytes, LoadOptions(),
                                       image_ref ? image_ref : running->image_ref);
  if (!loaded.ok()) return loaded.status().WithContext("cannot update actor");
  ActorPtr next = *loaded;
  WC_RETURN_IF_ERROR(actor::CheckLiveUpdate(*running, *next, config_.strict_update_check));
  if (auto auth = dispatcher_->authorizer(); auth && !auth->CanLoad(next->claims)) {
    return PermissionDenied("Permission denied starting actor. (the authorizer refused " +
                            next->DisplayName() + ")");
  }
  Publish(lattice::kActorUpdateBegan, {{"public_key", next->public_key},
                                       {"old_revision", running->revision()},
                                       {"new_revision", next->revision()}});
  Log(LogLevel::kInfo, kLog,
      "live update of actor " + next->DisplayName() + " from revision " +
          std::to_string(running->revision()) + " to " + std::to_string(next->revision()));
  // Instantiate before the switch: calls keep going to the old version meanwhile (the
  // worker that made the new instance makes an old one again for them), and a module
  // whose start functions fail never replaces a working one. Not under lifecycle_mu_:
  // start functions may take long and may call back into the host.
  if (Status s = dispatcher_->WarmUp(next); !s.ok()) {
    pool_->SweepAll();
    return s.WithContext("live update of " + next->public_key +
                         " refused: its start functions failed");
  }
  if (Status s = Advertise(*next); !s.ok()) {
    pool_->SweepAll();
    return s.WithContext("live update of " + next->public_key +
                         " refused: the lattice data cannot record it");
  }
  std::optional<Announcing> announcing;
  {
    std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
    // The switch, only from the version that was checked: a stop that came first wins,
    // and this update fails. (Another update cannot come between: actor_changes_.)
    if (!actors_.Replace(running, next)) {
      pool_->SweepAll();
      if (!actors_.Find(actor_id)) {
        return NotFound("actor " + std::string(actor_id) +
                        " is not running on this host (it was stopped during the update)");
      }
      return FailedPrecondition("actor " + std::string(actor_id) +
                                " was updated by someone else during this update; try again");
    }
    announcing.emplace(BeginAnnouncingLocked(next));
  }
  pool_->SweepAll();
  Log(LogLevel::kInfo, kLog,
      "actor " + next->public_key + " now runs revision " + std::to_string(next->revision()));
  nlohmann::json data = {{"public_key", next->public_key},
                         {"old_revision", running->revision()},
                         {"new_revision", next->revision()}};
  if (next->image_ref) data["image_ref"] = *next->image_ref;
  Publish(lattice::kActorUpdated, std::move(data));
  return Status::Ok();
}

std::vector<std::string> HostCore::Actors() const {
  std::vector<std::string> out;
  for (const auto& m : actors_.All()) out.push_back(m->public_key);
  return out;
}

Result<ActorIdentity> HostCore::GetActorIdentity(std::string_view actor_id) const {
  ActorPtr m = actors_.Find(actor_id);
  if (!m) return NotFound("actor " + std::string(actor_id) + " is not running on this host");
  ActorIdentity id;
  id.public_key = m->public_key;
  id.name = m->metadata().name.value_or("");
  id.revision = m->revision();
  id.version = m->metadata().ver.value_or("");
  id.call_alias = m->metadata().call_alias.value_or("");
  id.image_ref = m->image_ref;
  return id;
}

std::map<std::string, crypto::ActorClaims> HostCore::ActorClaims() const {
  if (!store_) return {};
  return store_->AllClaims();
}

std::map<std::string, std::string> HostCore::OciReferences() const {
  if (!store_) return {};
  return store_->OciRefs();
}

}  // namespace wasmcloud::host
