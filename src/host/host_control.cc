// What this host answers to the control interface (lattice/control.h), whatever
// transport carries the question.
#include <algorithm>

#include "host/artifacts.h"
#include "host/host_core.h"

namespace wasmcloud::host {
namespace {

bool LabelsMatch(const std::map<std::string, std::string>& labels,
                 const lattice::Constraints& constraints) {
  for (const auto& [k, v] : constraints) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

lattice::HostSummary HostCore::Summary() {
  lattice::HostSummary s;
  s.id = id_;
  if (state_.load() != State::kNew) {
    s.uptime_seconds = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                 std::chrono::steady_clock::now() - started_at_)
                                                 .count());
  }
  return s;
}

lattice::HostInventory HostCore::Inventory() {
  lattice::HostInventory inv;
  inv.host_id = id_;
  inv.labels = Labels();
  for (const auto& m : actors_.All()) {
    lattice::ActorDescription a;
    a.id = m->public_key;
    a.image_ref = m->image_ref;
    if (auto name = m->metadata().name; name && !name->empty()) a.name = *name;
    a.revision = m->revision();
    inv.actors.push_back(std::move(a));
  }
  for (const auto& e : providers_.All()) {
    lattice::ProviderDescription p;
    p.id = e->public_key;
    p.link_name = e->link_name;
    p.contract_id = e->contract_id;
    p.image_ref = e->image_ref;
    if (e->claims.wascap && e->claims.wascap->name) p.name = *e->claims.wascap->name;
    p.revision = e->claims.wascap ? e->claims.wascap->rev.value_or(0) : 0;
    {
      std::lock_guard<std::mutex> lock(health_mu_);
      if (auto it = provider_health_state_.find(e->public_key + "|" + e->link_name);
          it != provider_health_state_.end()) {
        p.healthy = it->second.healthy;
        p.health_message = it->second.message;
      }
    }
    inv.providers.push_back(std::move(p));
  }
  // Usually none failed: then no link's id is computed (Inventory also feeds heartbeats).
  if (binder_ && store_ && binder_->HasRefusals()) {
    for (const auto& link : store_->Links()) {
      // A refusal outlives its provider in the binder (until a bind succeeds): a provider
      // stopped since then, or run on another host now, has nothing here to fix.
      if (!providers_.Find(link.provider_id, NormalizeLinkName(link.link_name))) continue;
      if (Status s = binder_->LastResult(link); !s.ok()) {
        inv.failed_links.push_back({link, s.message()});
      }
    }
  }
  return inv;
}

bool HostCore::QualifiesForActor(std::string_view actor_ref,
                                 const lattice::Constraints& constraints) {
  if (!running() || !LabelsMatch(Labels(), constraints)) return false;
  std::string pk = ResolveActorRef(actor_ref);
  return pk.empty() || !actors_.Find(pk);
}

bool HostCore::QualifiesForProvider(std::string_view provider_ref, std::string_view link_name,
                                    const lattice::Constraints& constraints) {
  if (!running() || !LabelsMatch(Labels(), constraints)) return false;
  std::string pk(provider_ref);
  if (!(pk.size() == crypto::kPublicKeyLength && pk[0] == 'V')) pk = ResolveOciRef(provider_ref);
  return pk.empty() || !providers_.Find(pk, NormalizeLinkName(link_name));
}

Status HostCore::StartActor(std::string_view oci_ref) {
  Status s = [&] {
    WC_RETURN_IF_ERROR(CheckRunning());
    if (std::string pk = ResolveOciRef(oci_ref); !pk.empty() && actors_.Find(pk)) {
      return AlreadyExists("Actor with image ref '" + std::string(oci_ref) +
                           "' is already running on this host");
    }
    // The module of the reference may already run, started from a file or another
    // reference: a command to start it has nothing to start, and says so (its outcome
    // is an event either way; the reference names the actor from now on).
    bool already_running = false;
    Result<std::string> started = StartActorFromRegistry(oci_ref, &already_running);
    if (started.ok() && already_running) {
      return AlreadyExists("actor " + *started + ", the module of '" + std::string(oci_ref) +
                           "', is already running on this host (started from another source)");
    }
    return started.status();
  }();
  if (!s.ok())
    Publish(lattice::kActorStartFailed, {{"actor_ref", oci_ref}, {"error", s.message()}});
  return s;
}

Status HostCore::StopActor(std::string_view actor_ref) {
  WC_RETURN_IF_ERROR(CheckRunning());
  std::string pk = ResolveActorRef(actor_ref);
  if (pk.empty() || !actors_.Find(pk)) {
    return NotFound("Actor is either not running on this host or host controller unresponsive");
  }
  return StopActorRef(pk);
}

Status HostCore::UpdateActor(std::string_view actor_id, std::string_view new_oci_ref) {
  Status s = [&] {
    WC_RETURN_IF_ERROR(CheckRunning());
    if (!actors_.Find(actor_id)) {
      return NotFound("actor " + std::string(actor_id) + " is not running on this host");
    }
    auto pulled = PullArtifact(config_, new_oci_ref, oci::ArtifactKind::kActor, interrupted_,
                               RegistryCredentials());
    if (!pulled.ok()) return pulled.status();
    return UpdateActor(actor_id, pulled->data, pulled->reference);
  }();
  if (!s.ok()) {
    Publish(lattice::kActorUpdateFailed,
            {{"public_key", actor_id}, {"new_actor_ref", new_oci_ref}, {"error", s.message()}});
  }
  return s;
}

Status HostCore::StartProvider(std::string_view oci_ref, std::string_view link_name) {
  Status s = [&] {
    WC_RETURN_IF_ERROR(CheckRunning());
    if (std::string pk = ResolveOciRef(oci_ref);
        !pk.empty() && providers_.Find(pk, NormalizeLinkName(link_name))) {
      return AlreadyExists("Provider with image ref '" + std::string(oci_ref) + "' and link name " +
                           NormalizeLinkName(link_name) + " is already running on this host");
    }
    return StartCapabilityFromRegistry(oci_ref, link_name, ProviderIsolation::kAuto).status();
  }();
  if (!s.ok()) {
    Publish(lattice::kProviderStartFailed, {{"provider_ref", oci_ref},
                                            {"link_name", NormalizeLinkName(link_name)},
                                            {"error", s.message()}});
  }
  return s;
}

Status HostCore::StopProvider(std::string_view provider_ref, std::string_view link_name,
                              std::string_view contract_id) {
  WC_RETURN_IF_ERROR(CheckRunning());
  std::string pk(provider_ref);
  if (!(pk.size() == crypto::kPublicKeyLength && pk[0] == 'V')) pk = ResolveOciRef(provider_ref);
  if (pk.empty() || !providers_.Find(pk, NormalizeLinkName(link_name))) {
    return NotFound("Provider " + std::string(provider_ref) + "/" + NormalizeLinkName(link_name) +
                    " is not running on this host");
  }
  return StopProviderRef(pk, contract_id, link_name);
}

Status HostCore::SetCustomLabelLocked(std::string_view key, std::string_view value) {
  WC_RETURN_IF_ERROR(CheckLabel(key, value));
  const size_t custom =
      static_cast<size_t>(std::count_if(labels_.begin(), labels_.end(), [](const auto& l) {
        return !l.first.starts_with("hostcore.");
      }));
  if (custom >= kMaxLabels && !labels_.contains(std::string(key))) {
    return ResourceExhausted("label " + std::string(key) + ": this host already has " +
                             std::to_string(kMaxLabels) + " labels (delete one first)");
  }
  labels_[std::string(key)] = std::string(value);
  return Status::Ok();
}

Status HostCore::PutLabel(std::string_view key, std::string_view value) {
  if (key.empty()) return InvalidArgument("a label key cannot be empty");
  if (key.starts_with("hostcore.")) {
    return InvalidArgument("label " + std::string(key) +
                           ": keys starting with hostcore. are reserved");
  }
  {
    std::lock_guard<std::mutex> lock(labels_mu_);
    WC_RETURN_IF_ERROR(SetCustomLabelLocked(key, value));
  }
  Publish(lattice::kLabelsChanged, {{"labels", Labels()}});
  return Status::Ok();
}

Status HostCore::DeleteLabel(std::string_view key) {
  if (key.starts_with("hostcore.")) {
    return InvalidArgument("label " + std::string(key) +
                           ": keys starting with hostcore. are reserved");
  }
  {
    std::lock_guard<std::mutex> lock(labels_mu_);
    if (labels_.erase(std::string(key)) == 0) {
      return NotFound("no label " + std::string(key) + " on this host");
    }
  }
  Publish(lattice::kLabelsChanged, {{"labels", Labels()}});
  return Status::Ok();
}

Status HostCore::PutLink(const lattice::LinkDefinition& link) {
  return SetLink(link.actor_id, link.contract_id, link.link_name, link.provider_id, link.values);
}

Status HostCore::DeleteLink(std::string_view actor_id, std::string_view contract_id,
                            std::string_view link_name) {
  return RemoveLink(actor_id, contract_id, link_name);
}

void HostCore::SetStopRequestHandler(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(remote_mu_);
  stop_request_ = std::move(handler);
}

Status HostCore::RequestStop() {
  std::function<void()> handler;
  {
    std::lock_guard<std::mutex> lock(remote_mu_);
    handler = stop_request_;
    // HostStopped, published by the stop that follows, carries the command's id.
    if (handler && stop_operation_.empty()) stop_operation_ = lattice::OperationScope::Current();
  }
  if (!handler) return FailedPrecondition("this host cannot be stopped through the lattice");
  handler();
  return Status::Ok();
}

Status HostCore::PutRegistryCredentials(std::string_view registry, std::string_view username,
                                        std::string_view password) {
  if (registry.empty()) return InvalidArgument("a registry cannot be empty");
  std::lock_guard<std::mutex> lock(remote_mu_);
  registry_credentials_[std::string(registry)] = {std::string(username), std::string(password)};
  return Status::Ok();
}

std::map<std::string, oci::Credentials> HostCore::RegistryCredentials() const {
  std::lock_guard<std::mutex> lock(remote_mu_);
  return registry_credentials_;
}

}  // namespace wasmcloud::host
