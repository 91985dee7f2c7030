#include "host/link_binder.h"

#include "core/log.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "host";

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace

provider::LinkValues LinkBinder::BindValues(const lattice::LinkDefinition& link,
                                            const crypto::ActorClaims& claims) {
  provider::LinkValues values = link.values;
  const crypto::ActorMetadata empty;
  const crypto::ActorMetadata& md = claims.wascap ? *claims.wascap : empty;
  values["__wasmcloud_issuer"] = claims.iss;
  values["__wasmcloud_capabilities"] = md.caps ? Join(*md.caps, ",") : "";
  values["__wasmcloud_name"] = md.name.value_or("");
  values["__wasmcloud_expires"] = std::to_string(claims.exp.value_or(0));
  values["__wasmcloud_tags"] = md.tags ? Join(*md.tags, ",") : "";
  return values;
}

Status LinkBinder::EnforceLocked(const lattice::LinkDefinition& link) {
  const std::string id = lattice::LinkId(link.actor_id, link.contract_id, link.link_name);
  auto record = [&](Status s) {
    results_[id] = s;
    return s;
  };
  ProviderPtr entry = providers_.Find(link.provider_id, link.link_name);
  // Not served here (or not started yet: BindProvider binds it once it is).
  if (!entry || !entry->started.load()) return record(Status::Ok());
  auto claims = store_.Claims(link.actor_id);
  if (!claims) return record(Status::Ok());  // the actor has not been seen yet
  if (entry->contract_id != link.contract_id) {
    Status mismatch = FailedPrecondition("the link of actor " + link.actor_id + " names provider " +
                                         link.provider_id + " for " + link.contract_id +
                                         ", but that provider implements " + entry->contract_id);
    Log(LogLevel::kWarn, kLog, mismatch.message());
    return record(mismatch);
  }
  Status s;
  {
    std::lock_guard<std::mutex> control(entry->control_mu);
    if (entry->stopping.load()) return record(Status::Ok());
    s = entry->Guard([&] {
      return entry->provider->BindActor(link.actor_id, BindValues(link, claims->claims));
    });
  }
  if (!s.ok()) {
    Status refused(s.code(), "provider " + entry->DisplayName() + " refused to bind actor " +
                                 link.actor_id + ": " + s.message());
    Log(LogLevel::kError, kLog, refused.message());
    return record(refused);
  }
  Log(LogLevel::kDebug, kLog, "bound actor " + link.actor_id + " to " + entry->DisplayName());
  return record(Status::Ok());
}

void LinkBinder::RemoveLocked(const lattice::LinkDefinition& link) {
  results_.erase(lattice::LinkId(link.actor_id, link.contract_id, link.link_name));
  ProviderPtr entry = providers_.Find(link.provider_id, link.link_name);
  // Not started yet: it was never bound (BindProvider binds what exists once it is).
  if (!entry || !entry->started.load()) return;
  std::lock_guard<std::mutex> control(entry->control_mu);
  if (entry->stopping.load()) return;
  Status s = entry->Guard([&] { return entry->provider->RemoveActor(link.actor_id); });
  if (!s.ok()) {
    Log(LogLevel::kWarn, kLog,
        "provider " + entry->DisplayName() + " failed to remove actor " + link.actor_id + ": " +
            s.message());
  }
}

void LinkBinder::OnLinkPut(const lattice::LinkDefinition& link,
                           const std::optional<lattice::LinkDefinition>& previous) {
  std::lock_guard<std::mutex> lock(mu_);
  // The link moved to another provider (or link name): the old one lets go of the actor.
  if (previous &&
      (previous->provider_id != link.provider_id || previous->link_name != link.link_name)) {
    RemoveLocked(*previous);
  }
  (void)EnforceLocked(link);  // refusals are logged and kept for LastResult
}

void LinkBinder::OnLinkDeleted(const lattice::LinkDefinition& link) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveLocked(link);
}

void LinkBinder::OnClaims(const lattice::ClaimsRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& link : store_.LinksOfActor(record.claims.sub)) (void)EnforceLocked(link);
}

void LinkBinder::BindProvider(const ProviderPtr& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& link : store_.LinksOfProvider(entry->public_key, entry->link_name)) {
    (void)EnforceLocked(link);
  }
}

void LinkBinder::BindActorLinks(std::string_view actor_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& link : store_.LinksOfActor(actor_id)) (void)EnforceLocked(link);
}

Status LinkBinder::Rebind(const lattice::LinkDefinition& link) {
  std::lock_guard<std::mutex> lock(mu_);
  return EnforceLocked(link);
}

bool LinkBinder::HasRefusals() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : results_) {
    if (!s.ok()) return true;
  }
  return false;
}

Status LinkBinder::LastResult(const lattice::LinkDefinition& link) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = results_.find(lattice::LinkId(link.actor_id, link.contract_id, link.link_name));
  return it == results_.end() ? Status::Ok() : it->second;
}

}  // namespace wasmcloud::host
