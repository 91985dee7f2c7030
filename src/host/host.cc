// The Host facade and the host's lifecycle, actors, providers, links, labels and
// manifests. The call paths are in dispatch.cc.
#include "host/host.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/bytes.h"
#include "core/log.h"
#include "host/host_core.h"
#include "oci/client.h"
#include "oci/reference.h"
#include "provider/extras.h"
#include "provider/logging.h"
#include "provider/native_library.h"
#include "provider/par.h"
#include "wasm/v8/v8_engine.h"

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

// A manifest entry that is meant as a file: an absolute or ./ ../ path, or a last
// component without a tag or digest that has the extension of an actor, a provider
// archive or a library (`echo.wasm`; an OCI reference would be `echo.wasm:0.1.0`).
bool LooksLikeFilePath(std::string_view ref) {
  if (ref.starts_with("/") || ref.starts_with("./") || ref.starts_with("../")) return true;
  size_t slash = ref.rfind('/');
  std::string_view last = slash == std::string_view::npos ? ref : ref.substr(slash + 1);
  if (last.find_first_of(":@") != std::string_view::npos) return false;
  for (std::string_view ext : {".wasm", ".par.gz", ".par", ".so"}) {
    if (last.ends_with(ext)) return true;
  }
  return false;
}

std::map<std::string, std::string> CoreLabels() {
  std::string os = "linux", arch = "unknown";
  struct utsname u {};
  if (uname(&u) == 0) {
    os = u.sysname;
    std::transform(os.begin(), os.end(), os.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string m = u.machine;
    if (m == "x86_64" || m == "amd64")
      arch = "x86_64";
    else if (m == "aarch64" || m == "arm64")
      arch = "aarch64";
    else if (m.rfind("arm", 0) == 0)
      arch = "arm";
    else if (m == "i386" || m == "i686")
      arch = "x86";
    else
      arch = m;
  }
  return {{"hostcore.os", os}, {"hostcore.osfamily", "unix"}, {"hostcore.arch", arch}};
}

Result<crypto::KeyPair> HostKey(const std::string& seed_or_path) {
  if (seed_or_path.empty()) return crypto::KeyPair::Generate(crypto::KeyType::kServer);
  std::string seed = seed_or_path;
  if (!(seed.size() == crypto::kSeedLength && seed[0] == 'S')) {
    auto text = ReadFile(seed_or_path);
    if (!text.ok()) return text.status().WithContext("host seed file " + seed_or_path);
    seed.assign(text->begin(), text->end());
    while (!seed.empty() && std::isspace(static_cast<unsigned char>(seed.back()))) seed.pop_back();
  }
  auto key = crypto::KeyPair::FromSeed(seed);
  if (!key.ok()) return key.status().WithContext("host seed");
  if (key->type() != crypto::KeyType::kServer) {
    return InvalidArgument("host seed: a host key must be a server key (\"SN...\"), not a " +
                           std::string(crypto::KeyTypeName(key->type())) + " key");
  }
  return key;
}

}  // namespace

std::string ProviderEntry::DisplayName() const {
  std::string name = claims.wascap && claims.wascap->name ? *claims.wascap->name : contract_id;
  return name + " (" + public_key + ", link " + link_name + ")";
}

void ProviderEntry::StopGuarded() {
  std::lock_guard<std::mutex> control(control_mu);
  Status s = Guard([&] {
    provider->Stop();
    return Status::Ok();
  });
  if (!s.ok()) Log(LogLevel::kError, kLog, s.message());
}

// ---------------------------------------------------------------------------------
// lifecycle

HostCore::~HostCore() { (void)Stop(); }

Status HostCore::CheckRunning() const {
  if (state_.load() != State::kRunning) return FailedPrecondition("the host is not running");
  return Status::Ok();
}

std::string HostCore::id() const { return state_.load() == State::kNew ? std::string() : id_; }

Status HostCore::Start() {
  State expected = State::kNew;
  if (!state_.compare_exchange_strong(expected, State::kRunning)) {
    return FailedPrecondition(expected == State::kRunning ? "the host is already running"
                                                          : "a stopped host cannot start again");
  }
  auto fail = [&](Status s) {
    if (pool_) pool_->Shutdown();
    state_ = State::kStopped;
    return s;
  };
  auto key = HostKey(config_.host_seed);
  if (!key.ok()) return fail(key.status());
  if (!config_.oci_ca_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(config_.oci_ca_file, ec) ||
        access(config_.oci_ca_file.c_str(), R_OK) != 0) {
      return fail(InvalidArgument("OCI CA file " + config_.oci_ca_file +
                                  " (--oci-ca-file) is not a readable file"));
    }
  }
  id_ = key->public_key_text();
  key_.emplace(std::move(*key));

  labels_ = CoreLabels();
  for (const auto& [k, v] : config_.labels) {
    if (k.rfind("hostcore.", 0) == 0) {
      return fail(InvalidArgument("label " + k + ": keys starting with hostcore. are reserved"));
    }
    labels_.emplace(k, v);
  }

  wasm::EngineConfig engine_config;
  engine_config.max_memory_pages = config_.max_memory_pages;
  engine_config.default_call_timeout = config_.call_timeout;
  auto engine = wasm::CreateV8Engine(engine_config);
  if (!engine.ok()) return fail(engine.status());
  engine_ = *engine;

  unsigned workers = config_.workers;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  std::weak_ptr<HostCore> weak = weak_from_this();
  pool_ = std::make_unique<WorkerPool>(engine_, [this](const std::string& actor, uint64_t gen) {
    auto m = FindActor(actor);
    return m != nullptr && m->generation == gen;
  });
  if (Status s = pool_->Init(workers); !s.ok()) return fail(s);
  if (Status s = StartBuiltins(); !s.ok()) return fail(s);
  Log(LogLevel::kInfo, kLog,
      "host " + id_ + " started with " + std::to_string(workers) + " worker(s)");
  return Status::Ok();
}

Status HostCore::StartBuiltins() {
  auto extras_claims = provider::ExtrasClaims();
  if (!extras_claims.ok()) return extras_claims.status().WithContext("built-in extras provider");
  NativeCapability extras;
  extras.provider = provider::NewExtrasProvider();
  extras.claims = std::move(*extras_claims);
  if (auto r = StartNativeCapability(std::move(extras)); !r.ok()) return r.status();

  crypto::ProviderClaims logging_claims;
  logging_claims.iss = id_;
  logging_claims.sub = std::string(kLoggingPublicKey);
  logging_claims.jti = crypto::NewTokenId();
  logging_claims.wascap = crypto::ProviderMetadata{};
  logging_claims.wascap->name = "wasmcloud Logging (built-in)";
  logging_claims.wascap->capid = std::string(kLoggingContract);
  logging_claims.wascap->vendor = "wasmcloud";
  NativeCapability logging;
  logging.provider = provider::NewLoggingProvider();
  logging.claims = std::move(logging_claims);
  if (auto r = StartNativeCapability(std::move(logging)); !r.ok()) return r.status();
  return Status::Ok();
}

Status HostCore::Stop() {
  State expected = State::kRunning;
  if (!state_.compare_exchange_strong(expected, State::kStopped)) return Status::Ok();
  std::vector<std::shared_ptr<ProviderEntry>> providers;
  {
    std::unique_lock lock(mu_);
    for (auto& [key, entry] : providers_) providers.push_back(entry);
    providers_.clear();
    actors_.clear();
    call_aliases_.clear();
    oci_refs_.clear();  // nothing runs any more
    actors_version_.fetch_add(1);
  }
  for (auto& p : providers) p->StopGuarded();
  // Waits for the calls in flight, then frees every instance and isolate.
  if (pool_) pool_->Shutdown();
  Log(LogLevel::kInfo, kLog, "host " + id_ + " stopped");
  return Status::Ok();
}

void HostCore::SetAuthorizer(std::shared_ptr<Authorizer> authorizer) {
  std::unique_lock lock(mu_);
  authorizer_ = std::move(authorizer);
}

std::shared_ptr<Authorizer> HostCore::authorizer() const {
  std::shared_lock lock(mu_);
  return authorizer_;
}

// ---------------------------------------------------------------------------------
// actors

actor::LoadOptions HostCore::LoadOptions() const {
  actor::LoadOptions options;
  if (config_.lax_key_types) options.verify = crypto::VerifyOptions{};
  options.allowed_issuers = config_.allowed_issuers;
  return options;
}

std::shared_ptr<const actor::ActorModule> HostCore::FindActor(std::string_view public_key) const {
  std::shared_lock lock(mu_);
  auto it = actors_.find(public_key);
  return it == actors_.end() ? nullptr : it->second;
}

Status HostCore::WarmUp(const std::shared_ptr<const actor::ActorModule>& module) {
  // The first instance runs _start / wapc_init now, so that a module that traps there
  // is refused at start rather than at its first call.
  auto r = Invoke(module, {}, {});
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::string> HostCore::StartActor(ByteView bytes, std::optional<std::string> image_ref) {
  WC_RETURN_IF_ERROR(CheckRunning());
  auto loaded = actor::LoadActorModule(*engine_, bytes, LoadOptions(), image_ref);
  if (!loaded.ok()) return loaded.status().WithContext("cannot start actor");
  std::shared_ptr<const actor::ActorModule> module = *loaded;
  const std::string& pk = module->public_key;

  std::lock_guard<std::mutex> serial(update_mu_);
  if (auto running = FindActor(pk)) {
    if (running->module_hash == module->module_hash) {  // idempotent
      if (image_ref) {
        std::unique_lock lock(mu_);
        oci_refs_[*image_ref] = pk;
      }
      return pk;
    }
    return AlreadyExists("Cannot start already running actor " + pk + " (revision " +
                         std::to_string(running->revision()) +
                         " is running; use a live update to replace it)");
  }
  if (auto auth = authorizer(); auth && !auth->CanLoad(module->claims)) {
    return PermissionDenied("Permission denied starting actor. (the authorizer refused " +
                            module->DisplayName() + ")");
  }
  if (Status s = WarmUp(module); !s.ok()) {
    return s.WithContext("cannot start actor " + pk + ": its start functions failed");
  }
  std::vector<LinkDefinition> to_bind;
  {
    std::unique_lock lock(mu_);
    actors_[pk] = module;
    actors_version_.fetch_add(1);
    claims_[pk] = module->claims;
    if (image_ref) oci_refs_[*image_ref] = pk;
    if (const auto& alias = module->metadata().call_alias; alias && !alias->empty()) {
      auto [it, inserted] = call_aliases_.emplace(*alias, pk);
      if (!inserted && it->second != pk) {
        Log(LogLevel::kWarn, kLog,
            "actor " + pk + " cannot claim call alias " + *alias + ": it belongs to " + it->second);
      }
    }
    for (const auto& [key, link] : links_) {
      if (link.actor_id == pk) to_bind.push_back(link);
    }
  }
  Log(LogLevel::kInfo, kLog,
      "started actor " + module->DisplayName() + " revision " + std::to_string(module->revision()));
  for (const auto& link : to_bind) (void)EnforceLink(link);  // refusals are logged
  return pk;
}

Status HostCore::StopActor(std::string_view actor_ref) {
  WC_RETURN_IF_ERROR(CheckRunning());
  std::shared_ptr<const actor::ActorModule> stopped;
  {
    std::unique_lock lock(mu_);
    std::string pk(actor_ref);
    if (std::string by_ref = ResolveOciReferenceLocked(actor_ref); !by_ref.empty()) pk = by_ref;
    auto it = actors_.find(pk);
    if (it == actors_.end()) return Status::Ok();  // idempotent
    stopped = it->second;
    actors_.erase(it);
    actors_version_.fetch_add(1);
    std::erase_if(call_aliases_, [&](const auto& e) { return e.second == pk; });
    std::erase_if(oci_refs_, [&](const auto& e) { return e.second == pk; });
  }
  pool_->SweepAll();
  Log(LogLevel::kInfo, kLog, "stopped actor " + stopped->DisplayName());
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
  auto running = FindActor(actor_id);
  if (!running) return NotFound("actor " + std::string(actor_id) + " is not running on this host");
  auto loaded = actor::LoadActorModule(*engine_, bytes, LoadOptions(), image_ref);
  if (!loaded.ok()) return loaded.status().WithContext("cannot update actor");
  std::shared_ptr<const actor::ActorModule> next = *loaded;

  std::lock_guard<std::mutex> serial(update_mu_);
  running = FindActor(actor_id);  // may have changed while the new module compiled
  if (!running) return NotFound("actor " + std::string(actor_id) + " is not running on this host");
  WC_RETURN_IF_ERROR(actor::CheckLiveUpdate(*running, *next, config_.strict_update_check));
  if (auto auth = authorizer(); auth && !auth->CanLoad(next->claims)) {
    return PermissionDenied("Permission denied starting actor. (the authorizer refused " +
                            next->DisplayName() + ")");
  }
  Log(LogLevel::kInfo, kLog,
      "live update of actor " + next->DisplayName() + " from revision " +
          std::to_string(running->revision()) + " to " + std::to_string(next->revision()));
  // Instantiate before the switch: calls keep going to the old version meanwhile, and
  // a module whose start functions fail never replaces a working one.
  if (Status s = WarmUp(next); !s.ok()) {
    return s.WithContext("live update of " + next->public_key +
                         " refused: its start functions failed");
  }
  {
    std::unique_lock lock(mu_);
    actors_[next->public_key] = next;
    actors_version_.fetch_add(1);
    claims_[next->public_key] = next->claims;
    if (image_ref) {
      std::erase_if(oci_refs_, [&](const auto& e) { return e.second == next->public_key; });
      oci_refs_[*image_ref] = next->public_key;
    }
  }
  pool_->SweepAll();
  Log(LogLevel::kInfo, kLog,
      "actor " + next->public_key + " now runs revision " + std::to_string(next->revision()));
  return Status::Ok();
}

std::vector<std::string> HostCore::Actors() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [pk, m] : actors_) out.push_back(pk);
  return out;
}

Result<ActorIdentity> HostCore::GetActorIdentity(std::string_view actor_id) const {
  auto m = FindActor(actor_id);
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
  std::shared_lock lock(mu_);
  return {claims_.begin(), claims_.end()};
}

// ---------------------------------------------------------------------------------
// providers

namespace {
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
    wasmcloud::Log(level, "provider " + entry_->contract_id, message);
  }

 private:
  std::weak_ptr<HostCore> core_;
  ProviderEntry* entry_;
};
}  // namespace

std::shared_ptr<ProviderEntry> HostCore::FindProvider(std::string_view public_key,
                                                      std::string_view link_name) const {
  std::shared_lock lock(mu_);
  auto it = providers_.find(std::tuple<std::string_view, std::string_view>(public_key, link_name));
  return it == providers_.end() ? nullptr : it->second;
}

Result<std::string> HostCore::StartNativeCapability(NativeCapability capability) {
  WC_RETURN_IF_ERROR(CheckRunning());
  if (!capability.provider) return InvalidArgument("start_native_capability: no provider given");
  provider::ProviderDescriptor descriptor = capability.provider->Describe();
  if (descriptor.contract_id.empty()) {
    return InvalidArgument("provider " + descriptor.name + " declares no contract id");
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
                             entry->claims.wascap->capid + " but the provider implements " +
                             descriptor.contract_id);
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
  entry->host = std::make_unique<ProviderHostImpl>(weak_from_this(), entry.get());

  ProviderKey key{entry->public_key, entry->link_name};
  {
    std::unique_lock lock(mu_);
    if (providers_.count(key) != 0) {
      return AlreadyExists("provider " + entry->public_key + " is already running with link name " +
                           entry->link_name);
    }
    providers_[key] = entry;  // reserved; calls to it wait for Start below
  }
  Status started;
  {
    std::lock_guard<std::mutex> control(entry->control_mu);
    started = entry->Guard([&] { return entry->provider->Start(entry->host.get()); });
  }
  if (!started.ok()) {
    std::unique_lock lock(mu_);
    providers_.erase(key);
    return started.WithContext("provider " + entry->public_key + " did not start");
  }
  Log(LogLevel::kInfo, kLog,
      "started provider " + entry->DisplayName() + " for " + entry->contract_id +
          (entry->image_ref ? " from " + *entry->image_ref : std::string()));
  std::vector<LinkDefinition> to_bind;
  {
    std::unique_lock lock(mu_);
    if (entry->image_ref) oci_refs_[*entry->image_ref] = entry->public_key;
    for (const auto& [k, link] : links_) {
      if (link.provider_id == entry->public_key && link.link_name == entry->link_name) {
        to_bind.push_back(link);
      }
    }
  }
  for (const auto& link : to_bind) (void)EnforceLink(link);  // refusals are logged
  return entry->public_key;
}

namespace {
std::string ProviderCacheRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/wasmcloudcache";
}
}  // namespace

Result<std::string> HostCore::StartCapabilityFromFile(const std::string& path,
                                                      std::string_view link_name) {
  WC_RETURN_IF_ERROR(CheckRunning());
  if (path.ends_with(".par.gz") || path.ends_with(".par")) {
    auto bytes = ReadFile(path);
    if (!bytes.ok()) return bytes.status().WithContext("provider archive " + path);
    return StartCapabilityFromArchive(*bytes, path, link_name, std::nullopt);
  }
  NativeCapability capability;
  capability.link_name = std::string(link_name);
  auto loaded = provider::LoadNativeProvider(path);
  if (!loaded.ok()) return loaded.status();
  capability.provider = std::move(*loaded);
  return StartNativeCapability(std::move(capability));
}

Result<std::string> HostCore::StartCapabilityFromArchive(ByteView bytes, const std::string& source,
                                                         std::string_view link_name,
                                                         std::optional<std::string> image_ref) {
  WC_RETURN_IF_ERROR(CheckRunning());
  const std::string what = "provider archive " + source;
  auto archive = provider::ReadProviderArchive(bytes);
  if (!archive.ok()) return archive.status().WithContext(what);
  crypto::VerifyOptions verify = crypto::VerifyOptions::ForProvider();
  if (config_.lax_key_types) verify = crypto::VerifyOptions{};
  WC_RETURN_IF_ERROR(provider::VerifyProviderArchive(*archive, verify).WithContext(what));
  std::string target = provider::NativeTarget();
  auto library = provider::ExtractForTarget(*archive, target, ProviderCacheRoot());
  if (!library.ok()) return library.status().WithContext(what);
  auto loaded = provider::LoadNativeProvider(*library, archive->claims.wascap->capid);
  if (!loaded.ok()) {
    if (loaded.status().message().find("not a wasmcloud provider") != std::string::npos) {
      return Status(loaded.status().code(),
                    what + ": its " + target +
                        " library does not implement this host's provider C ABI (wasmcloud "
                        "0.18 providers were Rust trait objects and cannot be loaded here; "
                        "rebuild the provider with sdk/provider): " +
                        loaded.status().message());
    }
    return loaded.status().WithContext(what);
  }
  NativeCapability capability;
  capability.link_name = std::string(link_name);
  capability.provider = std::move(*loaded);
  capability.claims = archive->claims;
  capability.image_ref = std::move(image_ref);
  return StartNativeCapability(std::move(capability));
}

Status HostCore::StopProvider(std::string_view provider_id, std::string_view contract_id,
                              std::string_view link_name) {
  WC_RETURN_IF_ERROR(CheckRunning());
  std::shared_ptr<ProviderEntry> entry;
  {
    std::unique_lock lock(mu_);
    auto it = providers_.find({std::string(provider_id), NormalizeLinkName(link_name)});
    if (it == providers_.end()) return Status::Ok();  // idempotent
    if (!contract_id.empty() && it->second->contract_id != contract_id) {
      return InvalidArgument("provider " + std::string(provider_id) + " implements " +
                             it->second->contract_id + ", not " + std::string(contract_id));
    }
    entry = it->second;
    providers_.erase(it);
    // Its OCI reference goes when no other link name of the same provider runs on.
    bool still_running = std::any_of(providers_.begin(), providers_.end(), [&](const auto& p) {
      return p.second->public_key == entry->public_key;
    });
    if (!still_running) {
      std::erase_if(oci_refs_, [&](const auto& e) { return e.second == entry->public_key; });
    }
  }
  entry->StopGuarded();
  Log(LogLevel::kInfo, kLog, "stopped provider " + entry->DisplayName());
  return Status::Ok();
}

namespace {
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

std::vector<ProviderIdentity> HostCore::Providers() const {
  std::shared_lock lock(mu_);
  std::vector<ProviderIdentity> out;
  for (const auto& [key, entry] : providers_) out.push_back(IdentityOf(*entry));
  return out;
}

Result<ProviderIdentity> HostCore::GetProviderIdentity(std::string_view provider_id,
                                                       std::string_view link_name) const {
  auto entry = FindProvider(provider_id, NormalizeLinkName(link_name));
  if (!entry) {
    return NotFound("provider " + std::string(provider_id) + " with link name " +
                    NormalizeLinkName(link_name) + " is not running on this host");
  }
  return IdentityOf(*entry);
}

// ---------------------------------------------------------------------------------
// links

LinkValues HostCore::BindValues(const LinkDefinition& link,
                                const crypto::ActorClaims& claims) const {
  LinkValues values = link.values;
  const crypto::ActorMetadata empty;
  const crypto::ActorMetadata& md = claims.wascap ? *claims.wascap : empty;
  values["__wasmcloud_issuer"] = claims.iss;
  values["__wasmcloud_capabilities"] = md.caps ? Join(*md.caps, ",") : "";
  values["__wasmcloud_name"] = md.name.value_or("");
  values["__wasmcloud_expires"] = std::to_string(claims.exp.value_or(0));
  values["__wasmcloud_tags"] = md.tags ? Join(*md.tags, ",") : "";
  return values;
}

Status HostCore::EnforceLink(const LinkDefinition& link) {
  std::shared_ptr<ProviderEntry> entry;
  crypto::ActorClaims claims;
  {
    std::shared_lock lock(mu_);
    auto c = claims_.find(link.actor_id);
    if (c == claims_.end()) return Status::Ok();  // the actor has not been seen yet
    claims = c->second;
    auto p = providers_.find({link.provider_id, link.link_name});
    if (p == providers_.end()) return Status::Ok();  // the provider is not running
    entry = p->second;
  }
  if (entry->contract_id != link.contract_id) {
    Status mismatch = FailedPrecondition("the link of actor " + link.actor_id + " names provider " +
                                         link.provider_id + " for " + link.contract_id +
                                         ", but that provider implements " + entry->contract_id);
    Log(LogLevel::kWarn, kLog, mismatch.message());
    return mismatch;
  }
  Status s;
  {
    std::lock_guard<std::mutex> control(entry->control_mu);
    s = entry->Guard(
        [&] { return entry->provider->BindActor(link.actor_id, BindValues(link, claims)); });
  }
  if (!s.ok()) {
    Status refused(s.code(), "provider " + entry->DisplayName() + " refused to bind actor " +
                                 link.actor_id + ": " + s.message());
    Log(LogLevel::kError, kLog, refused.message());
    return refused;
  }
  Log(LogLevel::kDebug, kLog, "bound actor " + link.actor_id + " to " + entry->DisplayName());
  return Status::Ok();
}

Status HostCore::SetLink(std::string_view actor, std::string_view contract_id,
                         std::string_view link_name, std::string_view provider_id,
                         LinkValues values) {
  WC_RETURN_IF_ERROR(CheckRunning());
  auto actor_key = crypto::ParsePublicKey(actor);
  if (!actor_key.ok() || actor_key->type != crypto::KeyType::kModule) {
    return InvalidArgument("set_link: actor \"" + std::string(actor) +
                           "\" is not an actor public key (56 characters starting with M)");
  }
  auto provider_key = crypto::ParsePublicKey(provider_id);
  if (!provider_key.ok() || provider_key->type != crypto::KeyType::kService) {
    return InvalidArgument("set_link: provider \"" + std::string(provider_id) +
                           "\" is not a provider public key (56 characters starting with V)");
  }
  if (contract_id.empty()) return InvalidArgument("set_link: the contract id is empty");
  LinkDefinition link{std::string(actor), std::string(provider_id), std::string(contract_id),
                      NormalizeLinkName(link_name), std::move(values)};
  {
    std::unique_lock lock(mu_);
    links_[{link.actor_id, link.contract_id, link.link_name}] = link;
  }
  Log(LogLevel::kInfo, kLog,
      "link " + link.actor_id + " → " + link.contract_id + " (" + link.link_name + ") → " +
          link.provider_id);
  // As in 0.18 the link stays when the provider refuses it (it is offered again when the
  // provider or the actor starts again), but the caller learns of the refusal: a busy
  // port, say, would otherwise show only in the log.
  Status bound = EnforceLink(link);
  if (!bound.ok()) {
    return Status(bound.code(), "set_link: " + bound.message() +
                                    " (the link is kept and offered again when the provider "
                                    "or the actor starts again)");
  }
  return Status::Ok();
}

Status HostCore::RemoveLink(std::string_view actor, std::string_view contract_id,
                            std::string_view link_name) {
  WC_RETURN_IF_ERROR(CheckRunning());
  LinkDefinition link;
  std::shared_ptr<ProviderEntry> entry;
  {
    std::unique_lock lock(mu_);
    auto it =
        links_.find({std::string(actor), std::string(contract_id), NormalizeLinkName(link_name)});
    if (it == links_.end()) {
      return NotFound("no link from actor " + std::string(actor) + " for " +
                      std::string(contract_id) + " with link name " + NormalizeLinkName(link_name));
    }
    link = it->second;
    links_.erase(it);
    auto p = providers_.find({link.provider_id, link.link_name});
    if (p != providers_.end()) entry = p->second;
  }
  if (entry) {
    std::lock_guard<std::mutex> control(entry->control_mu);
    Status s = entry->Guard([&] { return entry->provider->RemoveActor(link.actor_id); });
    if (!s.ok()) {
      Log(LogLevel::kWarn, kLog,
          "provider " + entry->DisplayName() + " failed to remove actor " + link.actor_id + ": " +
              s.message());
    }
  }
  Log(LogLevel::kInfo, kLog, "removed link " + link.actor_id + " → " + link.contract_id);
  return Status::Ok();
}

std::vector<LinkDefinition> HostCore::LinkDefinitions() const {
  std::shared_lock lock(mu_);
  std::vector<LinkDefinition> out;
  for (const auto& [k, link] : links_) out.push_back(link);
  return out;
}

// ---------------------------------------------------------------------------------
// labels, OCI references, manifests

std::map<std::string, std::string> HostCore::Labels() const {
  std::shared_lock lock(mu_);
  return labels_;
}

std::map<std::string, std::string> HostCore::OciReferences() const {
  std::shared_lock lock(mu_);
  return {oci_refs_.begin(), oci_refs_.end()};
}

std::string HostCore::ResolveOciReferenceLocked(std::string_view oci_ref) const {
  if (auto it = oci_refs_.find(oci_ref); it != oci_refs_.end()) return it->second;
  // The map holds canonical references; `redis:6` finds docker.io/library/redis:6.
  auto parsed = oci::ParseReference(oci_ref);
  if (!parsed.ok()) return {};
  auto it = oci_refs_.find(parsed->ToString());
  return it == oci_refs_.end() ? std::string() : it->second;
}

oci::ClientConfig HostCore::OciClientConfig() const {
  // Credentials (OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD, WASMCLOUD_OCI_CREDENTIALS)
  // come from the environment at each pull, as 0.18 read them; what the host's
  // configuration says replaces the client's own reading of the environment.
  oci::ClientConfig c = oci::ClientConfig::FromEnvironment();
  c.allowed_insecure = config_.allowed_insecure;
  c.allow_latest = config_.allow_oci_latest;
  if (!config_.oci_ca_file.empty()) c.ca_file = config_.oci_ca_file;
  if (!config_.oci_cache_dir.empty()) c.cache_dir = config_.oci_cache_dir;
  c.connect_timeout = config_.oci_connect_timeout;
  c.request_timeout = config_.oci_request_timeout;
  return c;
}

Result<oci::PulledArtifact> HostCore::Pull(std::string_view oci_ref, oci::ArtifactKind kind) const {
  const std::string what =
      "cannot pull " + std::string(oci::ArtifactKindName(kind)) + " " + std::string(oci_ref);
  // One client per pull: a client is not thread-safe, and pulls run on callers' threads.
  oci::Client client(OciClientConfig());
  auto pulled = client.Pull(oci_ref);
  if (!pulled.ok()) {
    // The client's TLS hint names the flag of the `reg` commands; the host's is another.
    std::string message = pulled.status().message();
    constexpr std::string_view kRegFlag = "with --ca-file)";
    if (size_t at = message.find(kRegFlag); at != std::string::npos) {
      message.replace(at, kRegFlag.size(), "with --oci-ca-file)");
    }
    return Status(pulled.status().code(), what + ": " + message);
  }
  auto actual = oci::ArtifactKindOf(pulled->data);
  if (actual.ok() && *actual != kind) {
    return InvalidArgument(what + ": it is " +
                           (*actual == oci::ArtifactKind::kActor
                                ? "an actor (a wasm module), not a provider archive"
                                : "a provider archive, not an actor (a wasm module)"));
  }
  Log(LogLevel::kInfo, kLog,
      "pulled " + std::string(oci::ArtifactKindName(kind)) + " " + pulled->reference + " (" +
          pulled->manifest_digest + ", " + std::to_string(pulled->data.size()) + " bytes, " +
          (pulled->from_cache ? "from the cache" : "from the registry") + ")");
  return pulled;
}

Result<std::string> HostCore::StartActorFromRegistry(std::string_view oci_ref) {
  WC_RETURN_IF_ERROR(CheckRunning());
  auto pulled = Pull(oci_ref, oci::ArtifactKind::kActor);
  if (!pulled.ok()) return pulled.status();
  auto started = StartActor(pulled->data, pulled->reference);
  if (!started.ok()) return started.status().WithContext(pulled->reference);
  return started;
}

Result<std::string> HostCore::StartCapabilityFromRegistry(std::string_view oci_ref,
                                                          std::string_view link_name) {
  WC_RETURN_IF_ERROR(CheckRunning());
  auto pulled = Pull(oci_ref, oci::ArtifactKind::kProvider);
  if (!pulled.ok()) return pulled.status();
  return StartCapabilityFromArchive(pulled->data, pulled->reference, link_name, pulled->reference);
}

// A manifest link may name its actor by call alias (of an actor running here, such as one
// the manifest started) and leave out the provider (the one this host runs for the
// contract and link name).
Status HostCore::ApplyManifestLink(const ManifestLink& l) {
  std::string actor = ResolveActor(l.actor);
  if (actor.empty()) {
    return NotFound("no running actor has the call alias \"" + l.actor +
                    "\" (a link names an actor by public key, or by the call alias of a "
                    "running actor)");
  }
  std::string provider = l.provider_id;
  if (provider.empty()) {
    std::shared_lock lock(mu_);
    for (const auto& [key, entry] : providers_) {
      if (entry->contract_id == l.contract_id && entry->link_name == l.link_name) {
        provider = entry->public_key;
        break;
      }
    }
    if (provider.empty()) {
      return NotFound("no provider of " + l.contract_id + " with link name " + l.link_name +
                      " runs in this host (start one, or give provider_id)");
    }
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
    std::unique_lock lock(mu_);
    for (const auto& [k, v] : manifest.labels) {
      if (k.rfind("hostcore.", 0) == 0) continue;  // the parser refuses these already
      labels_[k] = v;
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
    if (std::filesystem::is_regular_file(c.image_ref, ec)) {
      s = StartCapabilityFromFile(c.image_ref, c.link_name).status();
    } else if (LooksLikeFilePath(c.image_ref)) {
      s = NotFound("no such file (and a path is not an OCI reference)");
    } else {
      s = StartCapabilityFromRegistry(c.image_ref, c.link_name).status();
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
                        std::to_string(applied) + " applied (and the labels):";
  for (const auto& f : failures) message += "\n  " + f;
  return Status(first_code, message);
}

// ---------------------------------------------------------------------------------
// Host: the public face

Host::Host(HostConfig config) : core_(std::make_shared<HostCore>(std::move(config))) {}
Host::~Host() { (void)core_->Stop(); }
Status Host::Start() { return core_->Start(); }
Status Host::Stop() { return core_->Stop(); }
bool Host::running() const { return core_->running(); }
std::string Host::id() const { return core_->id(); }
const HostConfig& Host::config() const { return core_->config(); }
void Host::SetAuthorizer(std::shared_ptr<Authorizer> a) { core_->SetAuthorizer(std::move(a)); }

Result<std::string> Host::StartActor(ByteView module) { return core_->StartActor(module, {}); }
Result<std::string> Host::StartActorFromFile(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status().WithContext("actor " + path);
  auto r = core_->StartActor(*bytes, {});
  if (!r.ok()) return r.status().WithContext(path);
  return r;
}
Result<std::string> Host::StartActorFromRegistry(std::string_view oci_ref) {
  return core_->StartActorFromRegistry(oci_ref);
}
Status Host::StopActor(std::string_view actor_ref) { return core_->StopActor(actor_ref); }
Status Host::UpdateActor(std::string_view actor_id, ByteView module,
                         std::optional<std::string> image_ref) {
  return core_->UpdateActor(actor_id, module, std::move(image_ref));
}
std::vector<std::string> Host::Actors() const { return core_->Actors(); }
Result<ActorIdentity> Host::GetActorIdentity(std::string_view actor_id) const {
  return core_->GetActorIdentity(actor_id);
}
std::map<std::string, crypto::ActorClaims> Host::ActorClaims() const {
  return core_->ActorClaims();
}

Result<std::string> Host::StartNativeCapability(NativeCapability capability) {
  return core_->StartNativeCapability(std::move(capability));
}
Result<std::string> Host::StartCapabilityFromFile(const std::string& path,
                                                  std::string_view link_name) {
  return core_->StartCapabilityFromFile(path, link_name);
}
Result<std::string> Host::StartCapabilityFromRegistry(std::string_view oci_ref,
                                                      std::string_view link_name) {
  return core_->StartCapabilityFromRegistry(oci_ref, link_name);
}
Status Host::StopProvider(std::string_view provider_id, std::string_view contract_id,
                          std::string_view link_name) {
  return core_->StopProvider(provider_id, contract_id, link_name);
}
std::vector<ProviderIdentity> Host::Providers() const { return core_->Providers(); }
Result<ProviderIdentity> Host::GetProviderIdentity(std::string_view provider_id,
                                                   std::string_view link_name) const {
  return core_->GetProviderIdentity(provider_id, link_name);
}

Result<Bytes> Host::CallActor(std::string_view actor, std::string_view operation,
                              ByteView payload) {
  return core_->CallActor(actor, operation, payload);
}

Status Host::SetLink(std::string_view actor, std::string_view contract_id,
                     std::string_view link_name, std::string_view provider_id, LinkValues values) {
  return core_->SetLink(actor, contract_id, link_name, provider_id, std::move(values));
}
Status Host::RemoveLink(std::string_view actor, std::string_view contract_id,
                        std::string_view link_name) {
  return core_->RemoveLink(actor, contract_id, link_name);
}
std::vector<LinkDefinition> Host::LinkDefinitions() const { return core_->LinkDefinitions(); }
Status Host::ApplyManifest(const Manifest& manifest) { return core_->ApplyManifest(manifest); }
std::map<std::string, std::string> Host::Labels() const { return core_->Labels(); }
std::map<std::string, std::string> Host::OciReferences() const { return core_->OciReferences(); }

}  // namespace wasmcloud::host
