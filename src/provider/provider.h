// The in-process capability provider interface: what the host calls on a provider and
// what a provider may call on the host. The built-in providers (extras, logging) and,
// later, providers loaded through the C ABI (include/wasmcloud/provider.h) all sit
// behind this one interface, so the host has a single path for them.
//
// Threads: HandleCall may be called from several host worker threads at once and must
// be thread-safe. Start, BindActor, RemoveActor, Health and Stop are called by the host
// one at a time (never concurrently with each other), but may run while HandleCall
// calls are in flight on other threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/log.h"
#include "core/status.h"

namespace wasmcloud::provider {

// Link values: a string map, as LinkDefinition.values and CapabilityConfiguration.values.
using LinkValues = std::map<std::string, std::string>;

// What a provider says about itself.
struct ProviderDescriptor {
  std::string contract_id;  // e.g. "wasmcloud:keyvalue"
  std::string name;         // human-readable, e.g. "In-memory key-value store"
  std::string version;      // free text, e.g. "0.1.0"
};

// The host, as a provider sees it. Owned by the host; valid from Start until Stop
// returns. Thread-safe.
class ProviderHost {
 public:
  virtual ~ProviderHost() = default;
  // Calls `operation` on the actor with public key `actor` (origin: this provider, with
  // its contract id and link name). The actor's response, or the error the host or the
  // actor gave (kNotFound when the actor is not running here).
  virtual Result<Bytes> CallActor(std::string_view actor, std::string_view operation,
                                  ByteView payload) = 0;
  // A line in the host's log, tagged with the provider's name.
  virtual void Log(LogLevel level, std::string_view message) = 0;
  // Adds `add` to the provider's counter `name` for `labels` ("k=v,k=v"): wc_host_api.count
  // (include/wasmcloud/provider.h says the rules). The default drops it.
  virtual void Count(std::string_view name, std::string_view labels, uint64_t add) {
    (void)name;
    (void)labels;
    (void)add;
  }

  // Supervision of a provider run in a child process (process_provider.h): it crashed
  // (and will be restarted), it was restarted (links bound again), or the host gave up on
  // it. `detail` says how, in words. Called from the supervisor's thread; the default
  // does nothing.
  enum class Supervision { kCrashed, kRestarted, kGivenUp };
  virtual void OnSupervision(Supervision /*what*/, std::string_view /*detail*/) {}
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual ProviderDescriptor Describe() const = 0;

  // Called once, before anything else. `host` stays valid until Stop returns. An error
  // fails the provider's start; the host then calls nothing else (not even Stop).
  virtual Status Start(ProviderHost* host) = 0;

  // A link to `actor` exists (set_link, or the provider or actor (re)started). `values`
  // are the link's values plus the host's `__wasmcloud_*` entries (issuer, capabilities,
  // name, expires, tags). Must be idempotent: the host sends it again when either side
  // restarts. An error is logged by the host; the link stays defined.
  virtual Status BindActor(std::string_view actor, const LinkValues& values) = 0;

  // The link to `actor` was removed. Idempotent.
  virtual Status RemoveActor(std::string_view actor) = 0;

  // A call from the actor with public key `actor` (the host has already checked that the
  // actor holds this contract in its claims and is linked to this provider). The
  // response bytes, or an error whose message the actor receives as its host error.
  virtual Result<Bytes> HandleCall(std::string_view actor, std::string_view operation,
                                   ByteView payload) = 0;

  // Health, for HealthRequest: ok, or an error whose message says what is wrong.
  virtual Status Health() { return Status::Ok(); }

  // Stops the provider: release resources, stop threads. No call comes after it. Calls
  // still in flight on other threads may be running; Stop should make them end soon.
  virtual void Stop() = 0;
};

}  // namespace wasmcloud::provider
