// The one call path of a host (docs/architecture.md, "One invocation, top to bottom").
// Every call enters here: the embedder's CallActor, a provider calling an actor, a
// guest's host call (to an actor or through a link to a provider), and invocations
// arriving from the lattice. Each is resolved (local tables, then the lattice store),
// authorized (claims, the authorizer), then delivered: on this host (an actor on a
// worker, a provider's HandleCall) or, for a target that runs elsewhere, as a signed
// Invocation over the lattice RPC client. Inbound invocations are only delivered here.
//
// Threads: any. Resolved routes are cached per actor instance (guest host calls) and per
// thread (outer calls), tagged with the routing version that every change of the actor
// and provider tables, the store's mirror and the authorizer bumps; a call takes no lock
// on its way to the target.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bytes.h"
#include "core/rate_limiter.h"
#include "core/status.h"
#include "crypto/nkeys.h"
#include "host/actor_table.h"
#include "host/host.h"
#include "host/host_metrics.h"
#include "host/provider_table.h"
#include "host/worker_pool.h"
#include "lattice/invocation.h"
#include "lattice/lattice_store.h"
#include "lattice/rpc_client.h"
#include "wapc/wapc.h"

namespace wasmcloud::host {

// Where a call goes, as resolved at one routing version.
struct Route {
  enum class Kind { kError, kLocalActor, kLocalProvider, kRemote };
  Kind kind = Kind::kError;
  uint64_t version = 0;
  Status error;  // kError: why there is no target (not found, no capability, …)
  lattice::Entity target;
  ActorPtr actor;                          // kLocalActor
  ProviderPtr provider;                    // kLocalProvider
  std::string subject;                     // kRemote
  std::shared_ptr<Authorizer> authorizer;  // as set when resolved; null: allow
};

// The routes one actor instance's guest has resolved, by (binding, namespace). Used by
// one thread at a time (the one holding the instance's worker), so it has no lock.
class RouteCache {
 public:
  static constexpr size_t kCapacity = 16;
  Route* Find(std::string_view binding, std::string_view ns, uint64_t version);
  Route& Put(std::string_view binding, std::string_view ns, Route route);
  void Clear() { entries_.clear(); }

 private:
  struct Entry {
    std::string binding, ns;
    Route route;
  };
  std::vector<Entry> entries_;
  size_t next_victim_ = 0;
};

struct DispatcherOptions {
  std::chrono::milliseconds call_timeout{10000};  // one actor invocation
  // Outer calls of one actor that may hold workers at once (nested calls on a thread that
  // holds a worker do not count); more wait, as for a worker, and then fail with
  // "host overloaded: actor … already runs N calls at once". 0: no limit.
  unsigned max_actor_calls = 0;
  std::chrono::milliseconds rpc_timeout{2000};  // a call to another host
  std::string lattice_name = "default";
  // An instance whose memory is above this after a call (and above its size when it was
  // made) is replaced after the call, its memory handed back to the system. 0: never.
  uint64_t instance_recycle_bytes = 64ull << 20;
  // What a guest may hand over in one call (responses, errors, host-call payloads).
  wapc::Limits guest_limits;
  // Accounts (A…) whose actors this host serves as origins of inbound invocations and
  // resolves call aliases to (the host's --allowed-issuer, which also decides what it
  // starts); empty: any.
  std::vector<std::string> allowed_issuers;
};

class Dispatcher final {
 public:
  // `host_key` signs outbound invocations; `rpc` may be null (no lattice transport).
  // `routing_version` is bumped by every change of the actor and provider tables (the
  // host wires their change callbacks to it) and by SetAuthorizer; a route is also stale
  // once the store's mirror changed (its version()).
  Dispatcher(DispatcherOptions options, const crypto::KeyPair& host_key, ActorTable& actors,
             ProviderTable& providers, const lattice::LatticeStore& store, WorkerPool& pool,
             std::shared_ptr<lattice::RpcClient> rpc, std::atomic<uint64_t>& routing_version);

  // The embedder's call (origin "system"), by public key or call alias.
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation, ByteView payload);
  // A provider's call to an actor (by public key or call alias); not authorized (0.18).
  Result<Bytes> CallFromProvider(const ProviderEntry& origin, std::string_view actor,
                                 std::string_view operation, ByteView payload);
  // An invocation from the lattice that passed the verifier: authorized again here (the
  // origin actor's claims from the store, the authorizer), then delivered on this host
  // only. Refusals are "Invocation refused: …" responses. An invocation whose origin is
  // a provider is not checked (0.18: providers call actors without claims).
  lattice::InvocationResponse HandleInbound(const lattice::Invocation& inv);
  // Makes the actor's first instance on a worker now (runs its start functions).
  Status WarmUp(const ActorPtr& module);

  void SetAuthorizer(std::shared_ptr<Authorizer> authorizer);
  std::shared_ptr<Authorizer> authorizer() const;
  // Counts and times every invocation, and the refusals of inbound ones (null: none).
  // Set before the first call; `metrics` outlives the dispatcher.
  void SetMetrics(HostMetrics* metrics) { metrics_ = metrics; }

  // A guest's __host_call, made by `origin` (the running actor; `as_origin` its entity,
  // made once per instance) through its instance's route cache.
  Result<Bytes> HostCall(const actor::ActorModule& origin, const lattice::Entity& as_origin,
                         RouteCache& cache, const wapc::HostCall& call);

  // Invocations of actors running now (Invoke calls not yet returned, nested ones too).
  size_t InFlight() const { return in_flight_.load(std::memory_order_relaxed); }
  // Says how many failed calls were not logged since the last line about them (the
  // host's Stop calls it once the calls in flight ended, so that the count of a burst
  // that stops is not left unsaid).
  void FlushFailureSummary();

  // The actor a call alias names (empty when no actor claimed it), or PermissionDenied
  // when this host has allowed issuers and the actor is not one of theirs: an actor
  // running here is (it was checked at start); another is judged by its claims in the
  // lattice data (one record per module key, the last written).
  Result<std::string> AliasTarget(std::string_view alias) const;

 private:
  void Invalidate() { routing_version_.fetch_add(1, std::memory_order_acq_rel); }
  // Grows with every change a route may depend on: the sum of two counters that only
  // grow. Read before resolving, so that a change made meanwhile leaves the new entry
  // stale, never wrong.
  uint64_t version() const {
    return routing_version_.load(std::memory_order_acquire) + store_.version();
  }

  // Resolution.
  // The owner of a call alias: the mirror, else the bucket; empty when neither knows it.
  std::string AliasOwner(std::string_view alias) const;
  // Whether --allowed-issuer lets this host deal with actors of `issuer` (no list: any).
  bool IssuerAllowed(std::string_view issuer) const;
  Route ResolveActor(std::string_view key_or_alias, uint64_t version) const;
  Route ResolveHostCall(const actor::ActorModule& origin, std::string_view ns,
                        std::string_view link_name, uint64_t version) const;
  Route ActorRoute(const std::string& public_key, uint64_t version) const;
  // The route of an outer call (a thread in no call of any host), cached per thread. The
  // reference is to the thread's cache entry: a nested call would overwrite it.
  const Route& OuterActorRoute(std::string_view key_or_alias);
  const Route& RefreshOuterRoute(std::string_view key_or_alias, uint64_t version);

  // Authorization of an actor (or "system") origin, then delivery.
  Result<Bytes> Deliver(const lattice::Entity& origin, const crypto::ActorClaims* origin_claims,
                        const Route& route, std::string_view operation, ByteView payload);
  Result<Bytes> DeliverRemote(const lattice::Entity& origin, const Route& route,
                              std::string_view operation, ByteView payload);
  // Runs `operation` on the actor's instance on the calling thread's worker (creating it
  // when that worker has none of this generation). An empty operation only makes sure
  // the instance exists.
  Result<Bytes> Invoke(const ActorPtr& module, std::string_view operation, ByteView payload);
  Result<Bytes> RunOnWorker(const ActorPtr& module, std::string_view operation,
                            ByteView payload);  // Invoke without the metrics
  // The per-actor limit: takes one of `module`'s outer-call places, waiting (bounded) when
  // it has max_actor_calls running; LeaveActor gives it back.
  Status EnterActor(const actor::ActorModule& module);

 public:
  // Guest log lines (__console_log) of one actor: a burst of kGuestLogBurst, then
  // kGuestLogsPerSecond. True: log it; *suppressed says how many were dropped before it.
  static constexpr unsigned kGuestLogsPerSecond = 100;
  static constexpr unsigned kGuestLogBurst = 200;
  bool AllowGuestLog(const std::string& actor, uint64_t* suppressed) {
    return guest_logs_.Allow(actor, suppressed);
  }

 private:
  KeyedRateLimiter guest_logs_{kGuestLogsPerSecond, kGuestLogBurst};
  void LeaveActor(const actor::ActorModule& module);

  const DispatcherOptions options_;
  HostMetrics* metrics_ = nullptr;
  const crypto::KeyPair& host_key_;
  const std::string host_id_;
  const crypto::ActorClaims system_claims_;  // what the authorizer sees of origin "system"
  const lattice::Entity system_entity_;
  ActorTable& actors_;
  ProviderTable& providers_;
  const lattice::LatticeStore& store_;
  WorkerPool& pool_;
  std::shared_ptr<lattice::RpcClient> rpc_;
  std::atomic<uint64_t>& routing_version_;
  std::atomic<size_t> in_flight_{0};
  // The warn lines of failed calls: at most kFailureLinesPerSecond a second, then one line
  // saying how many more there were (a failing actor under load cannot flood the log).
  static constexpr int kFailureLinesPerSecond = 20;
  void LogFailure(const ActorPtr& module, std::string_view operation, const Status& status);
  static void LogUnloggedFailures(uint64_t n);
  std::mutex failure_log_mu_;
  int64_t failure_log_second_ = 0;  // guarded by failure_log_mu_
  int failure_lines_ = 0;           // in that second
  uint64_t failures_unlogged_ = 0;  // beyond the cap, in that second
  const uint64_t instance_id_;      // unique per dispatcher in the process (thread caches)

  mutable std::mutex authorizer_mu_;
  std::shared_ptr<Authorizer> authorizer_;

  // Calls waiting for a place of their actor (any actor): a leaving call notifies only
  // when someone waits.
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  std::atomic<int> gate_waiters_{0};
};

}  // namespace wasmcloud::host
