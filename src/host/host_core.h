// The host's composition root (docs/architecture.md, "The host"): it owns the components
// (actor and provider tables, the lattice store and link binder, the dispatcher, the RPC
// server) and implements the Host API and the ControlHandler as orchestration over them.
// Internal to src/host: Host (host.h) is the public face.
//   host_core.cc      lifecycle, labels, authorizer, the Host facade
//   host_actors.cc    actors: start, stop, live update, identities
//   host_providers.cc providers: start (native, file, archive, registry), stop
//   host_links.cc     links, manifests
//   host_control.cc   ControlHandler
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/keyed_mutex.h"
#include "core/metrics.h"
#include "core/thread_pool.h"
#include "crypto/nkeys.h"
#include "host/actor_table.h"
#include "host/artifacts.h"
#include "host/control_server.h"
#include "host/dispatcher.h"
#include "host/event_publisher.h"
#include "host/heartbeat.h"
#include "host/host.h"
#include "host/host_metrics.h"
#include "host/lattice_hosts.h"
#include "host/legacy_subjects.h"
#include "host/link_binder.h"
#include "host/provider_table.h"
#include "host/rpc_server.h"
#include "host/worker_pool.h"
#include "lattice/control.h"
#include "lattice/lattice_store.h"
#include "oci/client.h"

namespace wasmcloud::host {

class HostCore : public std::enable_shared_from_this<HostCore>, public lattice::ControlHandler {
 public:
  HostCore(HostConfig config, wasm::EngineFactory engine, LatticeOptions lattice);
  ~HostCore() override;

  // --- lifecycle (host_core.cc) ---
  Status Start();
  Status Stop();
  void Interrupt() { interrupted_->store(true); }
  bool running() const { return state_.load() == State::kRunning; }
  std::string id() const;
  const HostConfig& config() const { return config_; }
  void SetAuthorizer(std::shared_ptr<Authorizer> authorizer);
  std::map<std::string, std::string> Labels() const override;
  MetricsRegistry& metrics() { return metrics_registry_; }
  // True while the lattice data bucket is lost and being re-filled (false before Start).
  bool lattice_data_degraded() const { return store_ != nullptr && store_->degraded(); }

  // --- actors (host_actors.cc) ---
  // The same module already running is no error (its reference, if any, is recorded):
  // `already_running`, when given, says whether that was the case.
  Result<std::string> StartActor(ByteView module, std::optional<std::string> image_ref,
                                 bool* already_running = nullptr);
  Result<std::string> StartActorFromRegistry(std::string_view oci_ref,
                                             bool* already_running = nullptr);
  Status StopActorRef(std::string_view actor_ref);
  Status UpdateActor(std::string_view actor_id, ByteView module,
                     std::optional<std::string> image_ref);
  std::vector<std::string> Actors() const;
  Result<ActorIdentity> GetActorIdentity(std::string_view actor_id) const;
  std::map<std::string, crypto::ActorClaims> ActorClaims() const;
  std::map<std::string, std::string> OciReferences() const;

  // --- providers (host_providers.cc) ---
  Result<std::string> StartNativeCapability(NativeCapability capability);
  Result<std::string> StartCapabilityFromFile(const std::string& path, std::string_view link_name,
                                              ProviderIsolation isolation);
  Result<std::string> StartCapabilityFromRegistry(std::string_view oci_ref,
                                                  std::string_view link_name,
                                                  ProviderIsolation isolation);
  Status StopProviderRef(std::string_view provider_ref, std::string_view contract_id,
                         std::string_view link_name);
  std::vector<ProviderIdentity> Providers() const;
  Result<ProviderIdentity> GetProviderIdentity(std::string_view provider_id,
                                               std::string_view link_name) const;

  // --- calls ---
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation, ByteView payload);

  // --- links, manifests (host_links.cc) ---
  Status SetLink(std::string_view actor, std::string_view contract_id, std::string_view link_name,
                 std::string_view provider_id, LinkValues values);
  Status RemoveLink(std::string_view actor, std::string_view contract_id,
                    std::string_view link_name);
  std::vector<LinkDefinition> LinkDefinitions() const;
  Status ApplyManifest(const Manifest& manifest);

  // --- lattice::ControlHandler (host_control.cc) ---
  lattice::HostSummary Summary() override;
  lattice::HostInventory Inventory() override;
  bool QualifiesForActor(std::string_view actor_ref,
                         const lattice::Constraints& constraints) override;
  bool QualifiesForProvider(std::string_view provider_ref, std::string_view link_name,
                            const lattice::Constraints& constraints) override;
  bool IsRunning() override { return running(); }
  bool RunsActor(std::string_view actor_id) override { return actors_.Find(actor_id) != nullptr; }
  Status StartActor(std::string_view oci_ref) override;
  Status StopActor(std::string_view actor_ref) override;
  Status UpdateActor(std::string_view actor_id, std::string_view new_oci_ref) override;
  Status StartProvider(std::string_view oci_ref, std::string_view link_name) override;
  Status StopProvider(std::string_view provider_ref, std::string_view link_name,
                      std::string_view contract_id) override;
  Status PutLabel(std::string_view key, std::string_view value) override;
  Status DeleteLabel(std::string_view key) override;
  Status PutLink(const lattice::LinkDefinition& link) override;
  Status DeleteLink(std::string_view actor_id, std::string_view contract_id,
                    std::string_view link_name) override;
  Status RequestStop() override;
  Status PutRegistryCredentials(std::string_view registry, std::string_view username,
                                std::string_view password) override;
  // What RequestStop calls (Host::SetStopRequestHandler); empty: remote stops refused.
  void SetStopRequestHandler(std::function<void()> handler);
  // Credentials given through the control interface, by registry.
  std::map<std::string, oci::Credentials> RegistryCredentials() const;

  // What a provider's host calls (ProviderHost::CallActor) reach.
  // An event about this host's entities (also used by provider supervision).
  void PublishEvent(const char* type, nlohmann::json data) { Publish(type, std::move(data)); }
  Result<Bytes> CallActorFromProvider(const ProviderEntry& origin, std::string_view actor,
                                      std::string_view operation, ByteView payload);
  // A provider's counter (wc_host_api.count): wasmcloud_provider_<name>_total{provider,
  // link_name, <its labels>}. What breaks the rules is dropped and said once per name.
  void CountForProvider(const ProviderEntry& origin, std::string_view name, std::string_view labels,
                        uint64_t add);

 private:
  // For Load*Provider*: kAlreadyExists when the archive's provider already runs here under
  // `link_name`, asked before its library is loaded.
  BeforeLoad NotRunning(std::string_view link_name) const;
  // kAlreadyExists when another process answers to this host's id in the lattice (its
  // 0.18 inventory subject), asked before this host serves it.
  Status CheckNoOtherHostHasThisId(lattice::Transport& control);
  // Sets a label of the operator's (checked by CheckLabel, at most kMaxLabels of them
  // beside the hostcore.* ones); labels_mu_ held.
  Status SetCustomLabelLocked(std::string_view key, std::string_view value);
  static constexpr std::chrono::milliseconds kIdCheckTimeout{1000};
  // kStarting: Start is making the components; nothing else may use them yet.
  // kStopping: Stop is under way. Nothing new starts, but providers being drained may
  // still call the actors (an HTTP request received before the stop gets its answer).
  enum class State { kNew, kStarting, kRunning, kStopping, kStopped };

  Status CheckRunning() const;
  actor::LoadOptions LoadOptions() const;
  Status StartBuiltins();
  // The public key an actor reference names: itself when it is an actor key, else the
  // key an OCI reference (as written, or canonical) maps to in the lattice data; empty
  // when neither.
  std::string ResolveActorRef(std::string_view actor_ref) const;
  std::string ResolveOciRef(std::string_view oci_ref) const;
  // Records a started or updated actor in the lattice data (claims, alias, OCI ref).
  Status Advertise(const actor::ActorModule& module);
  void Publish(const char* type, nlohmann::json data);
  // The health checks of every local actor and provider, and the heartbeat event.
  // The health checks of the local actors (when `actors`) and providers. With `actors`
  // (the heartbeat) each is keyed by public key; without (the provider health poll) by
  // "public key|link name".
  std::vector<HealthCheck> HealthChecks(bool actors = true);
  void PublishHeartbeat(nlohmann::json health);
  Status ApplyManifestLink(const ManifestLink& link);
  // The gauges read from this host's tables at scrape time (Start, once the store exists).
  void RegisterGauges();

  const HostConfig config_;
  const wasm::EngineFactory engine_factory_;
  const LatticeOptions lattice_;
  std::atomic<State> state_{State::kNew};
  std::optional<crypto::KeyPair> key_;
  std::string id_;
  std::chrono::steady_clock::time_point started_at_;

  mutable std::mutex labels_mu_;
  std::map<std::string, std::string> labels_;

  // Bumped by every change that can alter a route (Dispatcher).
  alignas(64) std::atomic<uint64_t> routing_version_{0};  // read by every call: a line of its own
  // Declared before everything that counts into them: destroyed after.
  MetricsRegistry metrics_registry_;
  std::unique_ptr<HostMetrics> host_metrics_;  // made by Start
  ActorTable actors_;
  ProviderTable providers_;
  std::shared_ptr<wasm::Engine> engine_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<lattice::LatticeStore> store_;
  std::unique_ptr<LinkBinder> binder_;
  // Turns the store's degraded/restored changes into events.
  struct DataHealth final : lattice::LatticeStoreListener {
    explicit DataHealth(HostCore& h) : host(h) {}
    void OnDegraded(bool degraded, const std::string& why) override;
    void OnWatchLag(double seconds) override;
    HostCore& host;
    Histogram* lag = nullptr;  // set by RegisterGauges
  };
  DataHealth data_health_{*this};
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<RpcServer> rpc_server_;            // null without a transport
  std::unique_ptr<LegacySubjects> legacy_;           // null without a transport
  std::shared_ptr<EventPublisher> event_publisher_;  // null without a transport
  // Set by Interrupt and Stop: registry pulls in progress end, later ones do not start.
  std::shared_ptr<std::atomic<bool>> interrupted_ = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<ControlServer> control_server_;  // null without a transport
  std::unique_ptr<Heartbeat> heartbeat_;           // null without a transport or interval
  std::unique_ptr<Heartbeat> provider_health_;     // the same, for provider health
  struct ProviderHealth {
    bool healthy = true;
    std::string message;
  };
  std::mutex health_mu_;  // provider_health_state_
  // By "public key|link name": the last answer of each local provider's health check.
  std::map<std::string, ProviderHealth> provider_health_state_;
  void OnProviderHealth(const nlohmann::json& health);
  std::shared_ptr<LatticeHosts> lattice_hosts_;  // with the issuer policy "lattice" only
  // The authorizer as last set (also before Start), and whether the dispatcher exists to
  // take it.
  std::mutex authorizer_mu_;
  std::shared_ptr<Authorizer> authorizer_;
  bool dispatcher_ready_ = false;

  // The last step of an actor start, live update and stop (the table change and the
  // lattice subscription), one at a time, so that a stop and an update of one actor
  // cannot interleave and bring a stopped actor back. Never held while running a guest,
  // calling a provider or writing to the bucket.
  std::mutex lifecycle_mu_;
  // An actor's starts and live updates, one at a time per actor key (from before the
  // check of what runs until the event is published): the second of two concurrent ones
  // sees the first's result, so the claims written last are those of what runs. Held
  // while the guest's start functions run, the links are bound and the bucket is
  // written: nothing reachable from a guest, a provider call or a store listener may start
  // or update an actor synchronously (today none can; such a path would deadlock).
  KeyedMutex actor_changes_;
  // Starts and updates between their table change and their event (ActorStarted, which
  // comes after the links are bound, or ActorUpdated), with the operation id of a stop
  // that took the module out meanwhile (set, maybe empty, when there was one): such a stop
  // leaves its ActorStopped to the start, which publishes it after its own, with the
  // stop's operation id, so that the events never say "stopped" before "started". Guarded
  // by lifecycle_mu_.
  std::map<const actor::ActorModule*, std::optional<std::string>> announcing_;
  // Makes `module` announcing until the returned guard is destroyed (it takes
  // lifecycle_mu_ then, and publishes a stop left meanwhile). lifecycle_mu_ held.
  class Announcing;
  Announcing BeginAnnouncingLocked(const ActorPtr& module);
  // Waits for the other start or update of `pk` in progress, if any (said in the log).
  KeyedMutex::Lock AcquireActorChange(const std::string& pk);
  // Provider stops running in the background; Stop() waits for them. stop_mu_ orders a
  // StopProvider (take out, hand to the background) against the host's Stop.
  std::mutex stop_mu_;
  BackgroundTasks provider_stops_;

  std::mutex provider_counters_mu_;
  // By counter name: its label keys (the first use fixes them), and the names already
  // refused in the log. At most kMaxProviderCounters names (each is a metric family kept
  // for the host's lifetime).
 public:
  static constexpr size_t kMaxProviderCounters = 100;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> provider_counter_keys_;
  std::set<std::string> provider_counter_refusals_;

  mutable std::mutex remote_mu_;  // the two below
  std::function<void()> stop_request_;
  std::string stop_operation_;  // the control command that asked for the stop (remote_mu_)
  std::map<std::string, oci::Credentials> registry_credentials_;
};

}  // namespace wasmcloud::host
