// What a host tells the lattice about itself: one event per state change, handed to an
// EventSink. The NATS sink (src/nats/) publishes each as CloudEvents 1.0 on
// wasmbus.evt.{ns}.{type} and as a 0.18 PublishedEvent on wasmbus.ctl.{ns}.events;
// MemoryEventSink records them for tests and in-process lattices.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wasmcloud::lattice {

// Event types (the CloudEvents type is "com.wasmcloud.lattice." + type), each with the
// members of its data.
// data: {labels}
inline constexpr const char* kHostStarted = "host_started";
// data: {}
inline constexpr const char* kHostStopped = "host_stopped";
// data: {public_key, image_ref?, name, revision}
inline constexpr const char* kActorStarted = "actor_started";
// data: {public_key}
inline constexpr const char* kActorStopped = "actor_stopped";
// data: {public_key, old_revision, new_revision} (a live update starts: 0.18 ActorUpdateBegan)
inline constexpr const char* kActorUpdateBegan = "actor_update_began";
// data: {public_key, old_revision, new_revision, image_ref?} (done: ActorUpdateCompleted)
inline constexpr const char* kActorUpdated = "actor_updated";
// data: {public_key, contract_id, link_name, image_ref?}
inline constexpr const char* kProviderStarted = "provider_started";
// data: {public_key, contract_id, link_name}
inline constexpr const char* kProviderStopped = "provider_stopped";
// A provider in a child process crashed (or was killed, stuck) and will be restarted;
// was restarted with its links bound again; crashed too often and was given up on.
// data: public_key, contract_id, link_name, reason. CloudEvents only (0.18 had none).
inline constexpr const char* kProviderCrashed = "provider_crashed";
inline constexpr const char* kProviderRestarted = "provider_restarted";
inline constexpr const char* kProviderGivenUp = "provider_given_up";
// data: {id, actor_id, provider_id, contract_id, link_name, values}
inline constexpr const char* kLinkdefSet = "linkdef_set";
// data: {id, actor_id, provider_id, contract_id, link_name}
inline constexpr const char* kLinkdefDeleted = "linkdef_deleted";
// data: {uptime_seconds, labels, actors: [{id, image_ref?, name?, revision}], providers:
// [{id, contract_id, link_name, image_ref?, name?, revision}], claims: [claims JSON of
// every actor in the lattice data], entities: {pk: "Running" | {"Unhealthy": message}}}
inline constexpr const char* kHostHeartbeat = "host_heartbeat";
// data: {reason} (the lattice data bucket was lost; served from this host's mirror)
inline constexpr const char* kLatticeDataDegraded = "lattice_data_degraded";
// data: {reason} (the bucket is back and re-filled)
inline constexpr const char* kLatticeDataRestored = "lattice_data_restored";

// v1 control (docs/control-v1.md): data {actor_ref, error} / {provider_ref, link_name,
// error} / {public_key, new_actor_ref, error} / {labels}. CloudEvents only.
inline constexpr const char* kActorStartFailed = "actor_start_failed";
inline constexpr const char* kProviderStartFailed = "provider_start_failed";
inline constexpr const char* kActorUpdateFailed = "actor_update_failed";
inline constexpr const char* kLabelsChanged = "labels_changed";
// A provider's health check answered healthy / unhealthy, for the first time or unlike
// the time before: data {public_key, link_name, contract_id, message?}. CloudEvents only.
inline constexpr const char* kHealthCheckPassed = "health_check_passed";
inline constexpr const char* kHealthCheckFailed = "health_check_failed";

// The operation id of the control command this thread is carrying out ("" when none):
// the host adds it to the data of every event it publishes meanwhile as "operation_id".
class OperationScope {
 public:
  explicit OperationScope(std::string operation_id);
  ~OperationScope();
  OperationScope(const OperationScope&) = delete;
  OperationScope& operator=(const OperationScope&) = delete;
  static const std::string& Current();

 private:
  std::string previous_;
};

struct LatticeEvent {
  std::string type;
  std::string host_id;  // the host the event is about (CloudEvents source)
  int64_t time_ms = 0;  // Unix milliseconds
  nlohmann::json data = nlohmann::json::object();
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Hands over one event. Must not block for long (a NATS sink queues it); never fails
  // the host's operation: an event that cannot be sent is logged by the sink.
  virtual void Publish(LatticeEvent event) = 0;
};

// Records every event; thread-safe.
class MemoryEventSink final : public EventSink {
 public:
  void Publish(LatticeEvent event) override;
  std::vector<LatticeEvent> Events() const;
  // Waits until an event matching `match` was published (true), or `timeout` (false).
  // `match` sees each event at most once, outside the sink's lock (it may call the sink).
  bool WaitFor(const std::function<bool(const LatticeEvent&)>& match,
               std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<LatticeEvent> events_;
};

}  // namespace wasmcloud::lattice
