// Providers: start (in-process, from a file, an archive or a registry), stop (in the
// background), and what the host says about them.
#include <algorithm>

#include "core/log.h"
#include "core/rate_limiter.h"
#include "core/text.h"
#include "core/utf8.h"
#include "host/artifacts.h"
#include "host/host_core.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "host";
// How long a start waits for a provider of the same key and link name to finish stopping.
constexpr std::chrono::seconds kStoppingWait{30};

// What a provider sees of the host.
class ProviderHostImpl final : public provider::ProviderHost {
 public:
  ProviderHostImpl(std::weak_ptr<HostCore> core, ProviderEntry* entry)
      : core_(std::move(core)), entry_(entry) {}
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation,
                          ByteView payload) override {
    auto core = core_.lock();
    if (!core) return Unavailable("the host is gone");
    return core->CallActorFromProvider(*entry_, actor, operation, payload);
  }
  void Log(LogLevel level, std::string_view message) override {
    if (!LogEnabled(level)) return;
    // Limited (a provider that loops on a log call, or a child that floods its stdout,
    // must not fill the disk) but generously: provider lines are the operator's clues.
    uint64_t suppressed = 0;
    if (!limiter_.Allow({}, &suppressed)) return;
    const std::string component = "provider " + entry_->DisplayName();
    if (suppressed > 0) {
      wasmcloud::Log(LogLevel::kWarn, component,
                     "suppressed " + std::to_string(suppressed) +
                         " log line(s) of this provider (more than " +
                         std::to_string(kProviderLogsPerSecond) + " a second)");
    }
    // Escaped: a provider's text (a child's stdout, say) cannot start a forged line.
    wasmcloud::Log(level, component, EscapeLogText(message));
  }
  void Count(std::string_view name, std::string_view labels, uint64_t add) override {
    if (auto core = core_.lock()) core->CountForProvider(*entry_, name, labels, add);
  }
  void OnSupervision(Supervision what, std::string_view detail) override {
    auto core = core_.lock();
    if (!core) return;
    const char* type = what == Supervision::kCrashed     ? lattice::kProviderCrashed
                       : what == Supervision::kRestarted ? lattice::kProviderRestarted
                                                         : lattice::kProviderGivenUp;
    core->PublishEvent(type, {{"public_key", entry_->public_key},
                              {"contract_id", entry_->contract_id},
                              {"link_name", entry_->link_name},
                              {"reason", std::string(detail)}});
  }

 private:
  static constexpr unsigned kProviderLogsPerSecond = 1000;
  std::weak_ptr<HostCore> core_;
  ProviderEntry* entry_;
  KeyedRateLimiter limiter_{kProviderLogsPerSecond, 2000, 1};
};

// What ProviderStarted and ProviderStopped say of `e` (ProviderStarted adds image_ref).
nlohmann::json ProviderEventData(const ProviderEntry& e) {
  return {{"public_key", e.public_key}, {"contract_id", e.contract_id}, {"link_name", e.link_name}};
}

ProviderIdentity IdentityOf(const ProviderEntry& e) {
  ProviderIdentity id;
  id.public_key = e.public_key;
  id.contract_id = e.contract_id;
  id.link_name = e.link_name;
  id.name = e.claims.wascap && e.claims.wascap->name ? *e.claims.wascap->name : "";
  id.revision = e.claims.wascap ? e.claims.wascap->rev.value_or(0) : 0;
  id.image_ref = e.image_ref;
  return id;
}

}  // namespace

Result<std::string> HostCore::StartNativeCapability(NativeCapability capability) {
  WC_RETURN_IF_ERROR(CheckRunning());
  if (!capability.provider) return InvalidArgument("start_native_capability: no provider given");
  provider::ProviderDescriptor descriptor = capability.provider->Describe();
  if (descriptor.contract_id.empty()) {
    return InvalidArgument("provider " + EscapeLogText(descriptor.name, 256) +
                           " declares no contract id");
  }
  auto entry = std::make_shared<ProviderEntry>();
  entry->link_name = NormalizeLinkName(capability.link_name);
  entry->provider = std::move(capability.provider);
  entry->image_ref = std::move(capability.image_ref);
  if (capability.claims) {
    entry->claims = std::move(*capability.claims);
    if (!entry->claims.wascap) {
      return InvalidArgument("provider claims of " + entry->claims.sub +
                             " have no wascap metadata");
    }
    if (entry->claims.wascap->capid != descriptor.contract_id) {
      return InvalidArgument("provider " + entry->claims.sub + ": its claims say contract " +
                             EscapeLogText(entry->claims.wascap->capid, 256) +
                             " but the provider implements " +
                             EscapeLogText(descriptor.contract_id, 256));
    }
    auto key = crypto::ParsePublicKey(entry->claims.sub);
    if (!key.ok() || key->type != crypto::KeyType::kService) {
      return InvalidArgument("provider claims subject " + entry->claims.sub +
                             " is not a service (\"V...\") public key");
    }
  } else {
    // An in-process provider without claims: the host vouches for it with a new key.
    crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kService);
    entry->claims.iss = id_;
    entry->claims.sub = key.public_key_text();
    entry->claims.jti = crypto::NewTokenId();
    entry->claims.iat = static_cast<uint64_t>(crypto::SystemUnixSeconds());
    entry->claims.wascap = crypto::ProviderMetadata{};
    entry->claims.wascap->name = descriptor.name;
    entry->claims.wascap->capid = descriptor.contract_id;
    entry->claims.wascap->vendor = "in-process";
    entry->claims.wascap->ver = descriptor.version;
  }
  entry->public_key = entry->claims.sub;
  entry->contract_id = descriptor.contract_id;
  entry->as_origin =
      lattice::Entity::Capability(entry->public_key, entry->contract_id, entry->link_name);
  entry->host = std::make_unique<ProviderHostImpl>(weak_from_this(), entry.get());

  // Reserved: calls to it wait for Start below (control_mu), as do binds.
  WC_RETURN_IF_ERROR(providers_.Reserve(entry, kStoppingWait));
  // However the start ends (announced, or failed), a stop left meanwhile is published
  // after ProviderStarted, or dropped.
  struct StartOver {
    HostCore& host;
    ProviderEntry& entry;
    bool announced = false;
    ~StartOver() {
      std::optional<std::string> stop_operation;
      {
        std::lock_guard<std::mutex> lock(entry.announce_mu);
        entry.announce =
            announced ? ProviderEntry::Announce::kAnnounced : ProviderEntry::Announce::kFailed;
        stop_operation = entry.stopped_during_start;
      }
      if (!stop_operation || !announced) return;
      lattice::OperationScope scope(*stop_operation);  // the stop's, not this start's
      host.Publish(lattice::kProviderStopped, ProviderEventData(entry));
    }
  } start_over{*this, *entry};
  Status started;
  {
    std::lock_guard<std::mutex> control(entry->control_mu);
    started = entry->Guard([&] { return entry->provider->Start(entry->host.get()); });
  }
  if (!started.ok()) {
    providers_.Unreserve(*entry);
    return started.WithContext("provider " + entry->public_key + " did not start");
  }
  entry->started.store(true);
  Log(LogLevel::kInfo, kLog,
      "started provider " + entry->DisplayName() + " for " +
          EscapeLogText(entry->contract_id, 256) +
          (entry->image_ref ? " from " + *entry->image_ref : std::string()));
  if (entry->image_ref) {
    if (Status s = store_->PutOciRef(*entry->image_ref, entry->public_key); !s.ok()) {
      Log(LogLevel::kWarn, kLog,
          "cannot record OCI reference " + *entry->image_ref + " of provider " + entry->public_key +
              ": " + s.message());
    }
  }
  if (rpc_server_) {
    lattice::Entity served =
        lattice::Entity::Capability(entry->public_key, entry->contract_id, entry->link_name);
    if (Status s = rpc_server_->Serve(served); !s.ok()) {
      Log(LogLevel::kError, kLog, s.message() + " (it serves actors on this host only)");
    }
    // A StopProvider that came between Start and Serve found nothing to unsubscribe;
    // it marked the entry first, so one of the two always sees the other.
    if (entry->stopping.load()) rpc_server_->Unserve(served);
  }
  binder_->BindProvider(entry);  // refusals are logged
  nlohmann::json data = ProviderEventData(*entry);
  if (entry->image_ref) data["image_ref"] = *entry->image_ref;
  Publish(lattice::kProviderStarted, std::move(data));
  start_over.announced = true;
  return entry->public_key;
}

Result<std::string> HostCore::StartCapabilityFromFile(const std::string& path,
                                                      std::string_view link_name,
                                                      ProviderIsolation isolation) {
  WC_RETURN_IF_ERROR(CheckRunning());
  WC_ASSIGN_OR_RETURN(NativeCapability capability,
                      LoadProviderFile(config_, path, link_name, isolation, NotRunning(link_name)));
  return StartNativeCapability(std::move(capability));
}

BeforeLoad HostCore::NotRunning(std::string_view link_name) const {
  // The same refusal StartNativeCapability gives, before a second copy is constructed (a
  // provider that opens ports or files in its constructor would have done so for nothing).
  return [this, link = NormalizeLinkName(link_name)](const std::string& pk) {
    return providers_.Find(pk, link) ? ProviderTable::AlreadyRunning(pk, link) : Status::Ok();
  };
}

Result<std::string> HostCore::StartCapabilityFromRegistry(std::string_view oci_ref,
                                                          std::string_view link_name,
                                                          ProviderIsolation isolation) {
  WC_RETURN_IF_ERROR(CheckRunning());
  auto pulled = PullArtifact(config_, oci_ref, oci::ArtifactKind::kProvider, interrupted_,
                             RegistryCredentials());
  if (!pulled.ok()) return pulled.status();
  WC_ASSIGN_OR_RETURN(NativeCapability capability,
                      LoadProviderArchive(config_, pulled->data, pulled->reference, link_name,
                                          pulled->reference, isolation, NotRunning(link_name)));
  return StartNativeCapability(std::move(capability));
}

Status HostCore::StopProviderRef(std::string_view provider_ref, std::string_view contract_id,
                                 std::string_view link_name) {
  WC_RETURN_IF_ERROR(CheckRunning());
  const std::string link = NormalizeLinkName(link_name);
  std::string pk(provider_ref);
  if (!(pk.size() == crypto::kPublicKeyLength && pk[0] == 'V')) {
    pk = ResolveOciRef(provider_ref);
    if (pk.empty()) return Status::Ok();  // names nothing that ever ran: nothing to stop
  }
  if (ProviderPtr running = providers_.Find(pk, link);
      running && !contract_id.empty() && running->contract_id != contract_id) {
    return InvalidArgument("provider " + pk + " implements " +
                           EscapeLogText(running->contract_id, 256) + ", not " +
                           EscapeLogText(contract_id, 256));
  }
  // Taken out and handed to the background as one step with respect to Host::Stop, so
  // that the host's stop always waits for this provider's.
  std::lock_guard<std::mutex> stopping(stop_mu_);
  WC_RETURN_IF_ERROR(CheckRunning());
  ProviderPtr entry = providers_.BeginStop(pk, link);
  if (!entry) return Status::Ok();  // idempotent
  if (rpc_server_) {
    rpc_server_->Unserve(
        lattice::Entity::Capability(entry->public_key, entry->contract_id, entry->link_name));
  }
  // Routes cached by actor instances let go of it.
  pool_->SweepAll();
  Log(LogLevel::kInfo, kLog, "stopping provider " + entry->DisplayName());
  // New calls are refused from now on (entry->stopping); its Stop may take a while and
  // runs in the background. Host::Stop waits for it.
  // Its event carries this stop's operation id, from whichever thread publishes it.
  provider_stops_.Run([this, entry, operation = lattice::OperationScope::Current()] {
    lattice::OperationScope scope(operation);
    entry->StopGuarded();
    providers_.DoneStopping(*entry);
    Log(LogLevel::kInfo, kLog, "stopped provider " + entry->DisplayName());
    {
      // Stopped during its start: the start publishes ProviderStopped after its own event.
      std::lock_guard<std::mutex> lock(entry->announce_mu);
      if (entry->announce == ProviderEntry::Announce::kFailed) return;  // never announced
      if (entry->announce == ProviderEntry::Announce::kStarting) {
        entry->stopped_during_start = operation;
        return;
      }
    }
    Publish(lattice::kProviderStopped, ProviderEventData(*entry));
  });
  return Status::Ok();
}

std::vector<ProviderIdentity> HostCore::Providers() const {
  std::vector<ProviderIdentity> out;
  for (const auto& entry : providers_.All()) out.push_back(IdentityOf(*entry));
  return out;
}

Result<ProviderIdentity> HostCore::GetProviderIdentity(std::string_view provider_id,
                                                       std::string_view link_name) const {
  ProviderPtr entry = providers_.Find(provider_id, NormalizeLinkName(link_name));
  if (!entry) {
    return NotFound("provider " + std::string(provider_id) + " with link name " +
                    NormalizeLinkName(link_name) + " is not running on this host");
  }
  return IdentityOf(*entry);
}

namespace {

bool IsCounterToken(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// "k=v,k=v" into keys and values (at most 4 pairs, values ≤ 64 bytes of UTF-8 without
// control characters); nullopt when it breaks a rule.
std::optional<std::pair<std::vector<std::string>, std::vector<std::string>>> ParseCounterLabels(
    std::string_view text) {
  std::vector<std::string> keys, values;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view pair = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (!IsCounterToken(key) || key == "provider" || key == "link_name" || value.size() > 64 ||
        !IsValidUtf8(value) || keys.size() == 4) {
      return std::nullopt;
    }
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) return std::nullopt;
    }
    // A key given twice would make two labels of one name: Prometheus refuses the whole
    // exposition for that.
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return std::nullopt;
    keys.emplace_back(key);
    values.emplace_back(value);
  }
  return std::make_pair(std::move(keys), std::move(values));
}

}  // namespace

void HostCore::CountForProvider(const ProviderEntry& origin, std::string_view name,
                                std::string_view labels, uint64_t add) {
  auto parsed = IsCounterToken(name) ? ParseCounterLabels(labels) : std::nullopt;
  std::string refusal;
  if (!parsed) {
    refusal = "its name or labels break the rules of wc_host_api.count (labels \"" +
              std::string(labels.substr(0, 200)) + "\")";
  } else {
    std::lock_guard<std::mutex> lock(provider_counters_mu_);
    auto it = provider_counter_keys_.find(name);
    if (it == provider_counter_keys_.end()) {
      if (provider_counter_keys_.size() >= kMaxProviderCounters) {
        refusal = "the host keeps at most " + std::to_string(kMaxProviderCounters) +
                  " provider counters, and they are all taken";
      } else {
        provider_counter_keys_.emplace(std::string(name), parsed->first);
      }
    } else if (it->second != parsed->first) {
      refusal = "it was counted before with other label keys";
    }
  }
  if (!refusal.empty()) {
    std::lock_guard<std::mutex> lock(provider_counters_mu_);
    if (provider_counter_refusals_.size() < 100 &&
        provider_counter_refusals_.insert(std::string(name.substr(0, 64))).second) {
      Log(LogLevel::kWarn, kLog,
          EscapeLogText("dropped counter \"" + std::string(name.substr(0, 64)) + "\" of provider " +
                        origin.DisplayName() + ": " + refusal + " (said once)"));
    }
    return;
  }
  std::vector<std::string> label_names = {"provider", "link_name"};
  LabelValues values = {origin.public_key, origin.link_name};
  label_names.insert(label_names.end(), parsed->first.begin(), parsed->first.end());
  values.insert(values.end(), parsed->second.begin(), parsed->second.end());
  Counter* counter = metrics_registry_.AddCounter(
      "wasmcloud_provider_" + std::string(name) + "_total",
      "Counted by capability providers (each provider's documentation says what).",
      std::move(label_names));
  counter->Add(values, static_cast<double>(add));
}

}  // namespace wasmcloud::host
