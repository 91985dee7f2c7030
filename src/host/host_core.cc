// The host's lifecycle, labels and authorizer, and the Host facade.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <thread>

#include "core/bytes.h"
#include "core/cpus.h"
#include "core/log.h"
#include "core/private_dir.h"
#include "host/host_core.h"
#include "lattice/memory_kv_bucket.h"
#include "lattice/subjects.h"
#include "provider/extras.h"
#include "provider/logging.h"
#include "wire/core.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "host";

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

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HostCore::HostCore(HostConfig config, wasm::EngineFactory engine, LatticeOptions lattice)
    : config_(std::move(config)),
      engine_factory_(std::move(engine)),
      lattice_(std::move(lattice)),
      actors_([this] { routing_version_.fetch_add(1, std::memory_order_acq_rel); }),
      providers_([this] { routing_version_.fetch_add(1, std::memory_order_acq_rel); }) {}

HostCore::~HostCore() { (void)Stop(); }

Status HostCore::CheckRunning() const {
  State state = state_.load();
  if (state == State::kRunning) return Status::Ok();
  if (state == State::kStarting) return FailedPrecondition("the host is still starting");
  if (state == State::kStopping) return FailedPrecondition("the host is stopping");
  return FailedPrecondition("the host is not running");
}

std::string HostCore::id() const { return state_.load() == State::kNew ? std::string() : id_; }

actor::LoadOptions HostCore::LoadOptions() const {
  actor::LoadOptions options;
  if (config_.lax_key_types) options.verify = crypto::VerifyOptions{};
  options.allowed_issuers = config_.allowed_issuers;
  options.max_module_bytes = config_.max_module_bytes;
  return options;
}

void HostCore::Publish(const char* type, nlohmann::json data) {
  if (!lattice_.events && !event_publisher_) return;
  lattice::LatticeEvent event;
  event.type = type;
  event.host_id = id_;
  event.time_ms = UnixMillis();
  event.data = std::move(data);
  if (const std::string& op = lattice::OperationScope::Current(); !op.empty()) {
    event.data["operation_id"] = op;
  }
  if (event_publisher_) {
    if (lattice_.events) {
      event_publisher_->Publish(event);
    } else {
      event_publisher_->Publish(std::move(event));
      return;
    }
  }
  lattice_.events->Publish(std::move(event));
}

Status HostCore::Start() {
  State expected = State::kNew;
  if (!state_.compare_exchange_strong(expected, State::kStarting)) {
    return FailedPrecondition(expected == State::kStopped || expected == State::kStopping
                                  ? "a stopped host cannot start again"
                                  : "the host is already running");
  }
  started_at_ = std::chrono::steady_clock::now();
  auto fail = [&](Status s) {
    if (lattice_hosts_) lattice_hosts_->Stop();
    if (heartbeat_) heartbeat_->Stop();
    if (provider_health_) provider_health_->Stop();
    if (control_server_) control_server_->Stop();
    if (legacy_) legacy_->Stop();
    if (rpc_server_) rpc_server_->Stop();
    if (store_) store_->Stop();
    if (pool_) pool_->Shutdown();
    state_ = State::kStopped;
    return s;
  };
  if (!engine_factory_) return fail(InvalidArgument("no engine factory was given to the host"));
  if (Status s = lattice::ValidateLatticeName(lattice_.name); !s.ok()) {
    return fail(s.WithContext("lattice name"));
  }
  if (lattice_.rpc_timeout > lattice_.invocation_max_age) {
    // Our invocations carry exp = now + rpc_timeout; receivers refuse a token valid for
    // longer than their maximum age.
    return fail(InvalidArgument("the RPC timeout (" + std::to_string(lattice_.rpc_timeout.count()) +
                                " ms) is longer than the invocation max age (" +
                                std::to_string(lattice_.invocation_max_age.count()) +
                                " s): receivers would refuse this host's invocations"));
  }
  if (lattice_.invocation_issuers.kind == lattice::IssuerPolicy::Kind::kLattice &&
      !lattice_.transport) {
    return fail(InvalidArgument(
        "invocation issuer policy \"lattice\" needs a lattice (a transport): the hosts of the "
        "lattice are learnt from its events"));
  }
  auto key = LoadHostKey(config_.host_seed);
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

  {
    std::lock_guard<std::mutex> lock(labels_mu_);
    labels_ = CoreLabels();
    for (const auto& [k, v] : config_.labels) {
      if (k.rfind("hostcore.", 0) == 0) {
        return fail(InvalidArgument("label " + k + ": keys starting with hostcore. are reserved"));
      }
      if (Status bad = CheckLabel(k, v); !bad.ok()) return fail(bad);
      labels_.emplace(k, v);
    }
    if (config_.labels.size() > kMaxLabels) {
      return fail(InvalidArgument("more than " + std::to_string(kMaxLabels) + " labels"));
    }
  }

  unsigned workers = config_.workers;
  // One per core, plus one: an actor may hold all workers but one (max_actor_calls), so
  // one busy actor can still use every core while another actor always finds a worker.
  // The cores this process may use: its affinity, lowered by its cgroup's CPU quota.
  const CpuLimit cpus = ReadCpuLimit();
  if (workers == 0) workers = cpus.usable + 1;

  wasm::EngineConfig engine_config;
  // A worker holds at most one instance of an actor: capping each instance at the
  // actor's budget shared by the workers caps all of its instances together.
  const uint64_t budget_pages = config_.max_actor_memory_mb * 16 / workers;  // 16 pages a MiB
  engine_config.max_memory_pages = std::min(config_.max_memory_pages, budget_pages);
  if (budget_pages < config_.max_memory_pages) {
    Log(LogLevel::kInfo, kLog,
        "each actor instance may use at most " + std::to_string(budget_pages / 16) +
            " MiB of memory: --max-actor-memory-mb " + std::to_string(config_.max_actor_memory_mb) +
            " shared by " + std::to_string(workers) + " workers (--max-memory-pages would allow " +
            std::to_string(config_.max_memory_pages / 16) + " MiB)");
  }
  engine_config.max_table_elements = config_.max_table_elements;
  engine_config.max_total_table_elements = config_.max_total_table_elements;
  engine_config.default_call_timeout = config_.call_timeout;
  engine_config.code_cache_dir = CodeCacheDir(config_);
  engine_config.code_cache_max_bytes = config_.code_cache_max_mb << 20;
  if (!engine_config.code_cache_dir.empty() && config_.code_cache_dir.empty()) {
    // The default place: a host that cannot use it runs without a cache rather than not
    // at all (a directory given with --code-cache-dir must be usable; the engine says why
    // not).
    if (Status s = EnsurePrivateDirectory(engine_config.code_cache_dir, "code cache"); !s.ok()) {
      Log(LogLevel::kWarn, kLog, s.message() + "; running without a code cache");
      engine_config.code_cache_dir.clear();
    }
  }
  auto engine = engine_factory_(engine_config);
  if (!engine.ok()) return fail(engine.status());
  engine_ = *engine;
  pool_ = std::make_unique<WorkerPool>(engine_, [this](const std::string& actor, uint64_t gen) {
    return actors_.IsRunning(actor, gen);
  });
  if (Status s = pool_->Init(workers); !s.ok()) return fail(s);

  // The lattice data: this host's mirror, then the components that follow it.
  std::shared_ptr<lattice::KvBucket> bucket = lattice_.bucket;
  if (!bucket) {
    bucket = std::make_shared<lattice::MemoryKvBucket>(lattice::LatticeBucketName(lattice_.name));
  }
  lattice::LatticeStoreOptions store_options;
  store_options.claims_verify = LoadOptions().verify;
  store_ = std::make_unique<lattice::LatticeStore>(bucket, store_options);
  binder_ = std::make_unique<LinkBinder>(*store_, providers_, config_.allowed_issuers);
  std::shared_ptr<lattice::RpcClient> rpc;
  if (lattice_.transport) rpc = std::make_shared<lattice::RpcClient>(lattice_.transport);
  DispatcherOptions dispatch_options;
  dispatch_options.call_timeout = config_.call_timeout;
  dispatch_options.allowed_issuers = config_.allowed_issuers;
  dispatch_options.instance_recycle_bytes = config_.instance_recycle_mb << 20;
  dispatch_options.guest_limits.max_response_bytes = config_.max_response_bytes;
  dispatch_options.guest_limits.max_host_call_bytes = config_.max_host_call_bytes;
  dispatch_options.max_actor_calls =
      config_.max_actor_calls != 0 ? config_.max_actor_calls : std::max(1u, workers - 1);
  dispatch_options.rpc_timeout = lattice_.rpc_timeout;
  dispatch_options.lattice_name = lattice_.name;
  dispatcher_ = std::make_unique<Dispatcher>(dispatch_options, *key_, actors_, providers_, *store_,
                                             *pool_, rpc, routing_version_);
  host_metrics_ = std::make_unique<HostMetrics>(metrics_registry_);
  dispatcher_->SetMetrics(host_metrics_.get());
  RegisterGauges();
  {
    std::lock_guard<std::mutex> lock(authorizer_mu_);
    dispatcher_->SetAuthorizer(authorizer_);
    dispatcher_ready_ = true;
  }
  store_->AddListener(binder_.get());
  store_->AddListener(&data_health_);
  if (Status s = store_->Start(lattice_.ready_timeout); !s.ok()) {
    return fail(
        s.WithContext("cannot join lattice " + lattice_.name + " (bucket " + bucket->name() + ")"));
  }
  if (lattice_.transport) {
    RpcServerOptions rpc_options;
    rpc_options.lattice_name = lattice_.name;
    rpc_options.threads = lattice_.inbound_threads;
    rpc_options.max_queued = lattice_.inbound_queue;
    rpc_options.verifier.issuers = lattice_.invocation_issuers;
    std::shared_ptr<lattice::Transport> control =
        lattice_.control_transport ? lattice_.control_transport : lattice_.transport;
    if (rpc_options.verifier.issuers.kind == lattice::IssuerPolicy::Kind::kLattice) {
      lattice_hosts_ = std::make_shared<LatticeHosts>(control, lattice_.name, id_);
      if (Status s = lattice_hosts_->Start(); !s.ok()) return fail(s);
      rpc_options.verifier.issuers.is_lattice_host =
          [hosts = lattice_hosts_](std::string_view key) { return hosts->Known(key); };
    }
    rpc_options.verifier.max_age = lattice_.invocation_max_age;
    rpc_options.verifier.max_bytes = lattice_.transport->MaxPayload();
    rpc_options.metrics = host_metrics_.get();
    rpc_server_ = std::make_unique<RpcServer>(lattice_.transport, rpc_options, *dispatcher_);
    legacy_ = std::make_unique<LegacySubjects>(lattice_.transport, lattice_.name, id_, *store_);
    if (Status s = legacy_->Start(); !s.ok()) {
      return fail(s.WithContext("cannot subscribe to the 0.18 link subjects"));
    }
    // Two processes with one key (a copied seed file) would answer for each other:
    // `ctl get hosts` listed the id twice, commands reached either, and one `stop host`
    // stopped both. Asked before this host answers to its own id.
    if (Status s = CheckNoOtherHostHasThisId(*control); !s.ok()) return fail(s);
    event_publisher_ = std::make_shared<EventPublisher>(control, lattice_.name);
    ControlServerOptions control_options;
    control_options.lattice_name = lattice_.name;
    control_options.host_id = id_;
    control_options.live_updates = config_.allow_live_updates;
    control_options.version = WC_VERSION;
    control_server_ = std::make_unique<ControlServer>(control, control_options, *this, *store_);
    if (Status s = control_server_->Start(); !s.ok()) {
      return fail(s.WithContext("cannot serve the control interface"));
    }
  }
  // Every component exists: the API may be used from here on (the built-in providers are
  // started through it).
  state_ = State::kRunning;
  if (Status s = StartBuiltins(); !s.ok()) {
    (void)Stop();
    return s;
  }
  Log(LogLevel::kInfo, kLog,
      "host " + id_ + " started with " + std::to_string(workers) + " worker(s) on " +
          cpus.Describe() + " in lattice " + lattice_.name +
          (lattice_.transport ? "" : " (single-player: no lattice transport)"));
  Publish(lattice::kHostStarted, {{"labels", Labels()}});
  if (lattice_.transport && lattice_.heartbeat_interval.count() > 0) {
    HeartbeatOptions beat;
    beat.interval = lattice_.heartbeat_interval;
    heartbeat_ = std::make_unique<Heartbeat>(
        beat, [this] { return HealthChecks(); },
        [this](nlohmann::json health) { PublishHeartbeat(std::move(health)); });
    heartbeat_->Start();
  }
  // With or without a lattice: a single host logs a provider turning unhealthy too.
  if (lattice_.provider_health_interval.count() > 0) {
    HeartbeatOptions poll;
    poll.interval = lattice_.provider_health_interval;
    poll.first = lattice_.provider_health_first;
    provider_health_ = std::make_unique<Heartbeat>(
        poll, [this] { return HealthChecks(/*actors=*/false); },
        [this](nlohmann::json health) { OnProviderHealth(health); });
    provider_health_->Start();
  }
  return Status::Ok();
}

void HostCore::OnProviderHealth(const nlohmann::json& health) {
  // Keys are "public key|link name" (HealthChecks(false)); values "Running" or
  // {"Unhealthy": message}, the heartbeat's shape.
  std::map<std::string, ProviderHealth> now;
  for (const auto& [key, value] : health.items()) {
    ProviderHealth h;
    if (!value.is_string()) {
      h.healthy = false;
      h.message = value.value("Unhealthy", std::string("unhealthy"));
    }
    now[key] = std::move(h);
  }
  std::vector<std::pair<std::string, ProviderHealth>> changed;
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    for (const auto& [key, h] : now) {
      auto it = provider_health_state_.find(key);
      if (it == provider_health_state_.end() || it->second.healthy != h.healthy) {
        changed.emplace_back(key, h);
      }
    }
    provider_health_state_ = now;
  }
  for (const auto& [key, h] : changed) {
    const size_t bar = key.find('|');
    const std::string pk = key.substr(0, bar), link = key.substr(bar + 1);
    auto entry = providers_.Find(pk, link);
    nlohmann::json data = {{"public_key", pk},
                           {"link_name", link},
                           {"contract_id", entry ? entry->contract_id : std::string()}};
    if (!h.healthy) data["message"] = h.message;
    Log(h.healthy ? LogLevel::kInfo : LogLevel::kWarn, kLog,
        "provider " + pk + " (" + link + ") is " +
            (h.healthy ? std::string("healthy") : "unhealthy: " + h.message));
    Publish(h.healthy ? lattice::kHealthCheckPassed : lattice::kHealthCheckFailed, std::move(data));
  }
}

void HostCore::RegisterGauges() {
  using Samples = std::vector<std::pair<LabelValues, double>>;
  metrics_registry_.AddGauge("wasmcloud_host_info", "This host: its key and lattice (always 1).",
                             {"host_id", "lattice"}, [this]() -> Samples {
                               return {{{id_, lattice_.name}, 1}};
                             });
  metrics_registry_.AddGauge("wasmcloud_actors", "Actors running on this host.", {},
                             [this]() -> Samples {
                               return {{{}, static_cast<double>(actors_.All().size())}};
                             });
  metrics_registry_.AddGauge("wasmcloud_providers",
                             "Capability providers running on this host (each link name).", {},
                             [this]() -> Samples {
                               return {{{}, static_cast<double>(providers_.All().size())}};
                             });
  data_health_.lag = metrics_registry_.AddHistogram(
      "wasmcloud_lattice_data_watch_lag_seconds",
      "From a lattice data write (the bucket's clock) to this host's mirror applying it.", {},
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  metrics_registry_.AddGauge(
      "wasmcloud_invocations_in_flight", "Actor invocations running now (nested ones too).", {},
      [this]() -> Samples {
        return {{{}, static_cast<double>(dispatcher_ ? dispatcher_->InFlight() : 0)}};
      });
  metrics_registry_.AddGauge("wasmcloud_links", "Link definitions in the lattice data.", {},
                             [this]() -> Samples {
                               return {{{}, static_cast<double>(store_->Links().size())}};
                             });
  metrics_registry_.AddGauge(
      "wasmcloud_lattice_data_degraded",
      "1 while the lattice data bucket is lost and being re-filled from this host's mirror.", {},
      [this]() -> Samples {
        return {{{}, store_->degraded() ? 1.0 : 0.0}};
      });
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

Status HostCore::CheckNoOtherHostHasThisId(lattice::Transport& control) {
  const std::string subject = lattice::ControlSubject(lattice_.name, "get." + id_ + ".inv");
  auto answer = control.Request(subject, {}, kIdCheckTimeout);
  if (answer.ok()) {
    return AlreadyExists("host " + id_ + " already runs in lattice " + lattice_.name +
                         " (another process answered " + subject +
                         "): every host needs a key of its own; give this one another "
                         "--host-seed, or none for a new key");
  }
  if (!lattice::IsNoResponders(answer.status())) {
    // A server without "no responders" (before NATS 2.2), or one slow to answer: this
    // host cannot tell, and goes on.
    Log(LogLevel::kDebug, kLog,
        "could not check that no other host has id " + id_ + ": " + answer.status().message());
  }
  return Status::Ok();
}

Status HostCore::Stop() {
  // Stop waits for the calls in flight and the inbound executor: from inside one of them
  // it would wait for itself.
  if (WorkerPool::ThreadInCall() || (rpc_server_ && rpc_server_->OnExecutorThread())) {
    if (running()) {
      return FailedPrecondition(
          "Stop cannot be called from inside a call of this host (it waits for the calls "
          "in flight); call it from another thread");
    }
  }
  // The same for a control request's thread (a stop-request handler that stops the host
  // itself): the control server's stop joins that thread.
  if (control_server_ && control_server_->OnOwnThread()) {
    if (running()) {
      return FailedPrecondition(
          "Stop cannot be called from a thread of the control interface (it waits for "
          "them); call it from another thread");
    }
  }
  State expected = State::kRunning;
  if (!state_.compare_exchange_strong(expected, State::kStopping)) {
    return expected == State::kStarting ? FailedPrecondition("the host is still starting")
                                        : Status::Ok();
  }
  interrupted_->store(true);  // a pull in progress (a manifest, a control command) ends
  // What the stop waits for, said before waiting (a Ctrl-C that seems to hang otherwise).
  if (const size_t calls = dispatcher_ ? dispatcher_->InFlight() : 0; calls > 0) {
    Log(LogLevel::kInfo, kLog,
        "stopping: waiting for " + std::to_string(calls) +
            " actor call(s) in progress (each ends by its deadline, at most " +
            std::to_string(config_.call_timeout.count()) +
            " ms), then for the providers to finish the requests they hold");
  } else {
    Log(LogLevel::kInfo, kLog,
        "stopping: no actor call in progress; the providers finish the requests they hold");
  }
  // No new control commands (those running in the background end: the host is no
  // longer running), no heartbeat.
  if (control_server_) control_server_->Stop();
  if (heartbeat_) heartbeat_->Stop();
  if (provider_health_) provider_health_->Stop();
  // No new invocations from the lattice; those already queued run to the end.
  if (rpc_server_) rpc_server_->Stop();
  if (legacy_) legacy_->Stop();
  std::vector<ProviderPtr> providers;
  {
    // After this, no StopProvider is half done and no provider can be reserved.
    std::lock_guard<std::mutex> stopping(stop_mu_);
    providers = providers_.BeginStopAll();
  }
  for (const auto& entry : providers) {
    entry->StopGuarded();
    providers_.DoneStopping(*entry);
  }
  {
    std::lock_guard<std::mutex> lifecycle(lifecycle_mu_);
    actors_.Clear();
  }
  // Providers stopped by StopProvider may still be stopping.
  provider_stops_.WaitAll();
  // Every provider stopped: no bind or remove is due any more (those queued are dropped).
  if (binder_) binder_->Close();
  if (store_) store_->Stop();
  if (lattice_hosts_) lattice_hosts_->Stop();
  // Waits for the calls in flight, then frees every instance and isolate.
  if (pool_) pool_->Shutdown();
  if (dispatcher_) dispatcher_->FlushFailureSummary();
  state_ = State::kStopped;
  Log(LogLevel::kInfo, kLog, "host " + id_ + " stopped");
  {
    std::string operation;
    {
      std::lock_guard<std::mutex> lock(remote_mu_);
      operation = stop_operation_;
    }
    lattice::OperationScope scope(operation);  // the `stop host` command's, if one asked
    Publish(lattice::kHostStopped, nlohmann::json::object());
  }
  if (event_publisher_) event_publisher_->Stop();  // sends what is queued, HostStopped last
  return Status::Ok();
}

void HostCore::DataHealth::OnWatchLag(double seconds) {
  if (lag != nullptr) lag->Observe({}, seconds);
}

void HostCore::DataHealth::OnDegraded(bool degraded, const std::string& why) {
  host.Publish(degraded ? lattice::kLatticeDataDegraded : lattice::kLatticeDataRestored,
               {{"reason", why}});
}

std::vector<HealthCheck> HostCore::HealthChecks(bool actors) {
  std::vector<HealthCheck> checks;
  std::weak_ptr<HostCore> weak = weak_from_this();
  for (const auto& m : actors_.All()) {
    if (!actors) break;
    checks.push_back(
        {m->public_key, [weak, pk = m->public_key]() -> Status {
           auto self = weak.lock();
           if (!self) return Unavailable("the host stopped");
           auto r = self->CallActor(pk, "HealthRequest", wire::Encode(wire::HealthRequest{true}));
           if (!r.ok())
             return Unavailable(std::string(kNoHealthResponse) + ": " + r.status().message());
           auto h = wire::DecodeHealthResponse(*r);
           if (!h.ok()) {
             return Malformed("Failed to de-serialize health check response from target");
           }
           if (!h->healthy) return Unavailable(h->message);
           return Status::Ok();
         }});
  }
  for (const auto& e : providers_.All()) {
    // The heartbeat's map is by public key (0.18); the provider poll tells link names apart.
    checks.push_back({actors ? e->public_key : e->public_key + "|" + e->link_name, [e]() -> Status {
                        std::lock_guard<std::mutex> lock(e->control_mu);
                        return e->Guard([&] { return e->provider->Health(); });
                      }});
  }
  return checks;
}

void HostCore::PublishHeartbeat(nlohmann::json health) {
  lattice::HostInventory inv = Inventory();
  nlohmann::json actors = nlohmann::json::array();
  for (const auto& a : inv.actors) {
    nlohmann::json x = {{"id", a.id}, {"revision", a.revision}};
    if (a.image_ref) x["image_ref"] = *a.image_ref;
    if (a.name) x["name"] = *a.name;
    actors.push_back(std::move(x));
  }
  nlohmann::json providers = nlohmann::json::array();
  for (const auto& p : inv.providers) {
    nlohmann::json x = {{"id", p.id},
                        {"contract_id", p.contract_id},
                        {"link_name", p.link_name},
                        {"revision", p.revision}};
    if (p.image_ref) x["image_ref"] = *p.image_ref;
    if (p.name) x["name"] = *p.name;
    providers.push_back(std::move(x));
  }
  nlohmann::json claims = nlohmann::json::array();
  if (store_) {
    for (const auto& [pk, c] : store_->AllClaims()) {
      auto j = nlohmann::json::parse(crypto::ToJson(c), nullptr, false);
      if (!j.is_discarded()) claims.push_back(std::move(j));
    }
  }
  Publish(lattice::kHostHeartbeat, {{"uptime_seconds", Summary().uptime_seconds},
                                    {"labels", inv.labels},
                                    {"actors", std::move(actors)},
                                    {"providers", std::move(providers)},
                                    {"claims", std::move(claims)},
                                    {"entities", std::move(health)}});
}

void HostCore::SetAuthorizer(std::shared_ptr<Authorizer> authorizer) {
  std::lock_guard<std::mutex> lock(authorizer_mu_);
  authorizer_ = authorizer;
  if (dispatcher_ready_) dispatcher_->SetAuthorizer(std::move(authorizer));
}

std::map<std::string, std::string> HostCore::Labels() const {
  std::lock_guard<std::mutex> lock(labels_mu_);
  return labels_;
}

Result<Bytes> HostCore::CallActor(std::string_view actor, std::string_view operation,
                                  ByteView payload) {
  WC_RETURN_IF_ERROR(CheckRunning());
  return dispatcher_->CallActor(actor, operation, payload);
}

Result<Bytes> HostCore::CallActorFromProvider(const ProviderEntry& origin, std::string_view actor,
                                              std::string_view operation, ByteView payload) {
  // Also while stopping: the providers are drained before the actors stop.
  if (state_.load() != State::kStopping) WC_RETURN_IF_ERROR(CheckRunning());
  return dispatcher_->CallFromProvider(origin, actor, operation, payload);
}

// ---------------------------------------------------------------------------------
// Host: the public face

Host::Host(HostConfig config, wasm::EngineFactory engine, LatticeOptions lattice)
    : core_(std::make_shared<HostCore>(std::move(config), std::move(engine), std::move(lattice))) {}
Host::~Host() { (void)core_->Stop(); }
Status Host::Start() { return core_->Start(); }
Status Host::Stop() { return core_->Stop(); }
void Host::Interrupt() { core_->Interrupt(); }
bool Host::running() const { return core_->running(); }
std::string Host::id() const { return core_->id(); }
MetricsRegistry& Host::metrics() { return core_->metrics(); }
bool Host::lattice_data_degraded() const { return core_->lattice_data_degraded(); }
const HostConfig& Host::config() const { return core_->config(); }
void Host::SetAuthorizer(std::shared_ptr<Authorizer> a) { core_->SetAuthorizer(std::move(a)); }

Result<std::string> Host::StartActor(ByteView module) { return core_->StartActor(module, {}); }
Result<std::string> Host::StartActorFromFile(const std::string& path) {
  // The size is checked before reading, so a huge file (or a device that never ends) is
  // refused instead of read into memory.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    return InvalidArgument("actor " + path + ": not a regular file");
  }
  if (const uintmax_t size = std::filesystem::file_size(path, ec);
      !ec && size > config().max_module_bytes) {
    return ResourceExhausted("actor " + path + ": the file has " + std::to_string(size) +
                             " bytes, above the host's limit of " +
                             std::to_string(config().max_module_bytes) +
                             " bytes for a module (--max-module-bytes)");
  }
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status().WithContext("actor " + path);
  auto r = core_->StartActor(*bytes, {});
  if (!r.ok()) return r.status().WithContext(path);
  return r;
}
Result<std::string> Host::StartActorFromRegistry(std::string_view oci_ref) {
  return core_->StartActorFromRegistry(oci_ref);
}
Status Host::StopActor(std::string_view actor_ref) { return core_->StopActorRef(actor_ref); }
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
                                                  std::string_view link_name,
                                                  ProviderIsolation isolation) {
  return core_->StartCapabilityFromFile(path, link_name, isolation);
}
Result<std::string> Host::StartCapabilityFromRegistry(std::string_view oci_ref,
                                                      std::string_view link_name,
                                                      ProviderIsolation isolation) {
  return core_->StartCapabilityFromRegistry(oci_ref, link_name, isolation);
}
Status Host::StopProvider(std::string_view provider_id, std::string_view contract_id,
                          std::string_view link_name) {
  return core_->StopProviderRef(provider_id, contract_id, link_name);
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
lattice::ControlHandler& Host::control() { return *core_; }

void Host::SetStopRequestHandler(std::function<void()> handler) {
  core_->SetStopRequestHandler(std::move(handler));
}

}  // namespace wasmcloud::host
