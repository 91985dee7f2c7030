#include "host/legacy_subjects.h"

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/text.h"
#include "crypto/nkeys.h"
#include "lattice/link_definition.h"
#include "lattice/subjects.h"

namespace wasmcloud::host {
namespace {
constexpr std::string_view kLog = "lattice";
}  // namespace

Bytes EncodeLegacyClaims(const crypto::ActorClaims& claims) {
  // crypto::ToJson writes wascap's field order and leaves out what wascap leaves out; an
  // ordered JSON value keeps that order into msgpack (maps by field name, smallest
  // integer forms, as rmp-serde's struct-map config).
  auto json = nlohmann::ordered_json::parse(crypto::ToJson(claims), nullptr, false);
  if (json.is_discarded()) return {};
  std::vector<uint8_t> out = nlohmann::ordered_json::to_msgpack(json);
  return Bytes(out.begin(), out.end());
}

LegacySubjects::LegacySubjects(std::shared_ptr<lattice::Transport> transport,
                               std::string lattice_name, std::string host_id,
                               lattice::LatticeStore& store)
    : transport_(std::move(transport)),
      lattice_(std::move(lattice_name)),
      host_id_(std::move(host_id)),
      store_(store),
      worker_("wc-legacy-links", 1, 4096) {}

LegacySubjects::~LegacySubjects() { Stop(); }

Status LegacySubjects::Start() {
  auto post = [this](void (LegacySubjects::*handle)(const lattice::Message&)) {
    return [this, handle](lattice::Message m) {
      auto shared = std::make_shared<lattice::Message>(std::move(m));
      if (!worker_.TrySubmit([this, handle, shared] { (this->*handle)(*shared); })) {
        Log(LogLevel::kWarn, kLog, "dropped a message on " + shared->subject + ": queue full");
      }
    };
  };
  auto links =
      transport_->Subscribe(lattice::LinksSubject(lattice_), "", post(&LegacySubjects::OnLinks));
  if (!links.ok()) return links.status();
  auto remlinks = transport_->Subscribe(lattice::RemoveLinksSubject(lattice_), "",
                                        post(&LegacySubjects::OnRemoveLinks));
  if (!remlinks.ok()) return remlinks.status();
  auto claims = transport_->Subscribe(lattice::ClaimsSubject(lattice_), "", [](lattice::Message m) {
    Log(LogLevel::kDebug, kLog,
        "ignored unsigned 0.18 claims on " + m.subject +
            " (claims are shared through the lattice data, with their tokens)");
  });
  if (!claims.ok()) return claims.status();
  std::lock_guard<std::mutex> lock(mu_);
  subscriptions_.push_back(std::move(*links));
  subscriptions_.push_back(std::move(*remlinks));
  subscriptions_.push_back(std::move(*claims));
  return Status::Ok();
}

void LegacySubjects::Stop() {
  std::vector<std::unique_ptr<lattice::Subscription>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subs.swap(subscriptions_);
  }
  subs.clear();
  worker_.Shutdown();
}

void LegacySubjects::OnLinks(const lattice::Message& m) {
  if (m.headers.count(kLatticeDataHeader) != 0) return;  // one of ours: already in the data
  auto link = lattice::DecodeLinkDefinition(m.data);
  if (!link.ok()) {
    Log(LogLevel::kWarn, kLog, "ignored a link on " + m.subject + ": " + link.status().message());
    return;
  }
  if (link->link_name.empty()) link->link_name = "default";
  if (link->actor_id.empty() || link->provider_id.empty() || link->contract_id.empty()) {
    Log(LogLevel::kWarn, kLog,
        "ignored a link on " + m.subject + ": actor, provider or contract missing");
    return;
  }
  // As Host::SetLink checks them: the lattice data holds links between keys.
  auto is_key = [&](std::string_view role, const std::string& id, crypto::KeyType type,
                    std::string_view what) {
    auto key = crypto::ParsePublicKey(id);
    if (key.ok() && key->type == type) return true;
    Log(LogLevel::kWarn, kLog,
        EscapeLogText("ignored a link on " + m.subject + ": the " + std::string(role) + " \"" +
                          id.substr(0, 128) + "\" is not " + std::string(what),
                      512));
    return false;
  };
  if (!is_key("actor", link->actor_id, crypto::KeyType::kModule, "an actor public key") ||
      !is_key("provider", link->provider_id, crypto::KeyType::kService, "a provider public key")) {
    return;
  }
  // Every host receives it: the first one writes it. The mirror may lag the bucket (this
  // message can overtake the watch), so a difference is checked in the bucket itself.
  if (auto current = store_.FindLink(link->actor_id, link->contract_id, link->link_name);
      current && *current == *link) {
    return;
  }
  if (auto stored = store_.FetchLink(link->actor_id, link->contract_id, link->link_name);
      stored.ok() && *stored && **stored == *link) {
    return;
  }
  if (Status s = store_.PutLink(*link); !s.ok()) {
    Log(LogLevel::kWarn, kLog, "cannot record the link from " + m.subject + ": " + s.message());
  }
}

void LegacySubjects::OnRemoveLinks(const lattice::Message& m) {
  if (m.headers.count(kLatticeDataHeader) != 0) return;  // one of ours: already in the data
  auto link = lattice::DecodeLinkDefinition(m.data);
  if (!link.ok()) {
    Log(LogLevel::kWarn, kLog,
        "ignored a link removal on " + m.subject + ": " + link.status().message());
    return;
  }
  if (link->link_name.empty()) link->link_name = "default";
  if (!store_.FindLink(link->actor_id, link->contract_id, link->link_name)) {
    auto stored = store_.FetchLink(link->actor_id, link->contract_id, link->link_name);
    if (!stored.ok() || !*stored) return;  // nothing to remove (another host did it)
  }
  auto removed = store_.DeleteLink(link->actor_id, link->contract_id, link->link_name);
  if (!removed.ok() && removed.status().code() != Code::kNotFound) {
    Log(LogLevel::kWarn, kLog,
        "cannot remove the link from " + m.subject + ": " + removed.status().message());
  }
}

void LegacySubjects::PublishLink(const lattice::LinkDefinition& link) {
  Status s =
      transport_->Publish(lattice::LinksSubject(lattice_), lattice::EncodeLinkDefinition(link), {},
                          {{kLatticeDataHeader, host_id_}});
  if (!s.ok()) Log(LogLevel::kWarn, kLog, "cannot publish the link for 0.18 peers: " + s.message());
}

void LegacySubjects::PublishRemoveLink(const lattice::LinkDefinition& link) {
  lattice::LinkDefinition removal{link.actor_id, "", link.contract_id, link.link_name, {}};
  Status s = transport_->Publish(lattice::RemoveLinksSubject(lattice_),
                                 lattice::EncodeLinkDefinition(removal), {},
                                 {{kLatticeDataHeader, host_id_}});
  if (!s.ok()) {
    Log(LogLevel::kWarn, kLog, "cannot publish the link removal for 0.18 peers: " + s.message());
  }
}

void LegacySubjects::PublishClaims(const crypto::ActorClaims& claims) {
  Bytes body = EncodeLegacyClaims(claims);
  if (body.empty()) return;
  Status s = transport_->Publish(lattice::ClaimsSubject(lattice_), body, {},
                                 {{kLatticeDataHeader, host_id_}});
  if (!s.ok()) Log(LogLevel::kWarn, kLog, "cannot publish claims for 0.18 peers: " + s.message());
}

}  // namespace wasmcloud::host
