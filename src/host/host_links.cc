// Links (in the lattice data; bound by the LinkBinder of whichever host runs the
// provider), labels from manifests, and manifests.
#include <filesystem>

#include "core/log.h"
#include "host/artifacts.h"
#include "host/host_core.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "host";

nlohmann::json LinkJson(const LinkDefinition& link, bool with_values) {
  nlohmann::json j = {{"id", lattice::LinkId(link.actor_id, link.contract_id, link.link_name)},
                      {"actor_id", link.actor_id},
                      {"provider_id", link.provider_id},
                      {"contract_id", link.contract_id},
                      {"link_name", link.link_name}};
  if (with_values) j["values"] = link.values;
  return j;
}

}  // namespace

Status HostCore::SetLink(std::string_view actor, std::string_view contract_id,
                         std::string_view link_name, std::string_view provider_id,
                         LinkValues values) {
  WC_RETURN_IF_ERROR(CheckRunning());
  std::string actor_pk = ResolveActorRef(actor);
  auto actor_key = crypto::ParsePublicKey(actor_pk);
  if (!actor_key.ok() || actor_key->type != crypto::KeyType::kModule) {
    return InvalidArgument("set_link: actor \"" + std::string(actor) +
                           "\" is neither an actor public key (56 characters starting with M) "
                           "nor an OCI reference of an actor of this lattice");
  }
  auto provider_key = crypto::ParsePublicKey(provider_id);
  if (!provider_key.ok() || provider_key->type != crypto::KeyType::kService) {
    return InvalidArgument("set_link: provider \"" + std::string(provider_id) +
                           "\" is not a provider public key (56 characters starting with V)");
  }
  if (contract_id.empty()) return InvalidArgument("set_link: the contract id is empty");
  LinkDefinition link{actor_pk, std::string(provider_id), std::string(contract_id),
                      NormalizeLinkName(link_name), std::move(values)};
  // Returns once this host's watch applied it: the binder has queued its bind here
  // (Outcome below waits for it).
  if (Status s = store_->PutLink(link); !s.ok()) return s.WithContext("set_link");
  Log(LogLevel::kInfo, kLog,
      "link " + link.actor_id + " → " + link.contract_id + " (" + link.link_name + ") → " +
          link.provider_id);
  Publish(lattice::kLinkdefSet, LinkJson(link, true));
  if (legacy_) legacy_->PublishLink(link);
  // As in 0.18 the link stays when the provider refuses it (it is offered again when the
  // provider or the actor starts again), but the caller learns of the refusal: a busy
  // port, say, would otherwise show only in the log.
  Status bound = binder_->Outcome(link);
  // The same link put again changes nothing in the data and binds nothing: after a
  // refusal (a busy port, since freed), the caller's SetLink tries again here.
  if (!bound.ok()) bound = binder_->Rebind(link);
  if (!bound.ok()) {
    return Status(bound.code(),
                  "set_link: " + bound.message() +
                      " (the link is kept and offered again when the provider "
                      "or the actor starts again; `wasmcloud ctl link del " +
                      link.actor_id + " " + link.contract_id +
                      (link.link_name == "default" ? std::string() : " -l " + link.link_name) +
                      "` removes it)");
  }
  return Status::Ok();
}

Status HostCore::RemoveLink(std::string_view actor, std::string_view contract_id,
                            std::string_view link_name) {
  WC_RETURN_IF_ERROR(CheckRunning());
  std::string actor_pk = ResolveActorRef(actor);
  if (actor_pk.empty()) actor_pk = std::string(actor);
  const std::string link = NormalizeLinkName(link_name);
  // The provider's host (this one or another) sends RemoveActor when its watch applies it.
  auto removed = store_->DeleteLink(actor_pk, contract_id, link);
  if (!removed.ok()) {
    if (removed.status().code() == Code::kNotFound) {
      return NotFound("no link from actor " + actor_pk + " for " + std::string(contract_id) +
                      " with link name " + link);
    }
    return removed.status().WithContext("remove_link");
  }
  // When the provider runs here, its RemoveActor has run when this returns (a port it
  // listened on for the actor is free for the next link).
  (void)binder_->Outcome(*removed);
  Log(LogLevel::kInfo, kLog, "removed link " + removed->actor_id + " → " + removed->contract_id);
  Publish(lattice::kLinkdefDeleted, LinkJson(*removed, false));
  if (legacy_) legacy_->PublishRemoveLink(*removed);
  return Status::Ok();
}

std::vector<LinkDefinition> HostCore::LinkDefinitions() const {
  if (!store_) return {};
  return store_->Links();
}

// A manifest link may name its actor by call alias (such as that of an actor the manifest
// started) and leave out the provider (the one this host runs for the contract and link
// name).
Status HostCore::ApplyManifestLink(const ManifestLink& l) {
  std::string actor = l.actor;
  if (!(actor.size() == crypto::kPublicKeyLength && actor[0] == 'M')) {
    // As calls by alias do: with --allowed-issuer, only to an actor of an allowed issuer.
    WC_ASSIGN_OR_RETURN(actor, dispatcher_->AliasTarget(l.actor));
    if (actor.empty()) actor = ResolveOciRef(l.actor);
    if (actor.empty()) {
      return NotFound("no actor has the call alias \"" + l.actor +
                      "\" (a link names an actor by public key, by call alias or by an OCI "
                      "reference it was started from)");
    }
  }
  std::string provider = l.provider_id;
  if (provider.empty()) {
    ProviderPtr entry = providers_.FindByContract(l.contract_id, NormalizeLinkName(l.link_name));
    if (!entry) {
      return NotFound("no provider of " + l.contract_id + " with link name " + l.link_name +
                      " runs in this host (start one, or give provider_id)");
    }
    provider = entry->public_key;
  }
  return SetLink(actor, l.contract_id, l.link_name, provider, l.values);
}

Status HostCore::ApplyManifest(const Manifest& manifest) {
  WC_RETURN_IF_ERROR(CheckRunning());
  std::vector<std::string> failures;
  Code first_code = Code::kOk;
  size_t applied = 0;
  auto record = [&](const SourceLocation& where, std::string_view what, const Status& s) {
    if (s.ok()) {
      ++applied;
      return;
    }
    if (first_code == Code::kOk) first_code = s.code();
    failures.push_back(where.ToString() + ": " + std::string(what) + ": " + s.message());
  };
  {
    std::lock_guard<std::mutex> lock(labels_mu_);
    for (const auto& [k, v] : manifest.labels) {
      if (k.rfind("hostcore.", 0) == 0) continue;  // the parser refuses these already
      if (Status bad = SetCustomLabelLocked(k, v); !bad.ok()) {
        failures.push_back("labels: " + bad.message());
        if (first_code == Code::kOk) first_code = bad.code();
      }
    }
  }
  // An entry that names a regular file is that file; one that looks like a path but is no
  // file is an error; anything else is an OCI reference, pulled.
  for (const auto& a : manifest.actors) {
    std::error_code ec;
    Status s;
    if (std::filesystem::is_regular_file(a.ref, ec)) {
      auto bytes = ReadFile(a.ref);
      s = bytes.ok() ? StartActor(*bytes, std::nullopt).status() : bytes.status();
    } else if (LooksLikeFilePath(a.ref)) {
      s = NotFound("no such file (and a path is not an OCI reference)");
    } else {
      s = StartActorFromRegistry(a.ref).status();
    }
    record(a.location, "actor " + a.ref, s);
  }
  for (const auto& c : manifest.capabilities) {
    std::error_code ec;
    Status s;
    ProviderIsolation isolation = ProviderIsolation::kAuto;
    if (!c.isolation.empty()) {
      auto parsed = ParseProviderIsolation(c.isolation);  // checked by the parser
      if (parsed.ok()) isolation = *parsed;
    }
    if (std::filesystem::is_regular_file(c.image_ref, ec)) {
      s = StartCapabilityFromFile(c.image_ref, c.link_name, isolation).status();
    } else if (LooksLikeFilePath(c.image_ref)) {
      s = NotFound("no such file (and a path is not an OCI reference)");
    } else {
      s = StartCapabilityFromRegistry(c.image_ref, c.link_name, isolation).status();
    }
    record(c.location, "capability " + c.image_ref, s);
  }
  for (const auto& l : manifest.links) {
    record(l.location, "link " + l.actor + " → " + l.contract_id, ApplyManifestLink(l));
  }
  if (failures.empty()) {
    Log(LogLevel::kInfo, kLog,
        "applied manifest " + manifest.source + " (" + std::to_string(applied) + " entries)");
    return Status::Ok();
  }
  std::string message = "manifest " + manifest.source + ": " + std::to_string(failures.size()) +
                        " entr" + (failures.size() == 1 ? "y" : "ies") + " failed, " +
                        std::to_string(applied) + " applied" +
                        (manifest.labels.empty() ? ":" : " (and the labels):");
  for (const auto& f : failures) message += "\n  " + f;
  return Status(first_code, message);
}

}  // namespace wasmcloud::host
