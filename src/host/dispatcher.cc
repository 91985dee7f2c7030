#include "host/dispatcher.h"

#include <thread>

#include <algorithm>

#include "core/log.h"
#include "core/text.h"
#include "crypto/verify.h"
#include "lattice/subjects.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "host";

bool LooksLikeActorKey(std::string_view s) {
  return s.size() == crypto::kPublicKeyLength && s[0] == 'M';
}

// A contract id ("wasmcloud:keyvalue") is never resolved as a call alias: an actor that
// claimed such an alias would otherwise take every actor's calls to that contract.
bool MayBeCallAlias(std::string_view s) { return s.find(':') == std::string_view::npos; }

crypto::ActorClaims SystemClaims(std::string host_id) {
  crypto::ActorClaims c;
  c.sub = std::string(lattice::kSystemId);
  c.iss = std::move(host_id);
  return c;
}

Route ErrorRoute(Status error, uint64_t version) {
  Route r;
  r.kind = Route::Kind::kError;
  r.version = version;
  r.error = std::move(error);
  return r;
}

// What one actor instance's guest calls reach. Lives as long as the instance, on one
// worker: its route cache is used by one thread at a time.
class ActorCallbacks final : public InstanceCallbacks {
 public:
  ActorCallbacks(Dispatcher* dispatcher, const actor::ActorModule* module)
      : dispatcher_(dispatcher),
        module_(module),
        as_origin_(lattice::Entity::Actor(module->public_key)),
        log_component_("actor " + module->DisplayName()) {}
  Result<Bytes> OnHostCall(const wapc::HostCall& call) override {
    return dispatcher_->HostCall(*module_, as_origin_, routes_, call);
  }
  // Escaped (a guest cannot start a forged line) and limited per actor.
  void OnConsoleLog(std::string_view message) override {
    if (!LogEnabled(LogLevel::kInfo)) return;
    uint64_t suppressed = 0;
    if (!dispatcher_->AllowGuestLog(module_->public_key, &suppressed)) return;
    if (suppressed > 0) {
      Log(LogLevel::kWarn, log_component_,
          "suppressed " + std::to_string(suppressed) + " log line(s) of this actor (more than " +
              std::to_string(Dispatcher::kGuestLogsPerSecond) + " a second)");
    }
    Log(LogLevel::kInfo, log_component_, EscapeLogText(message));
  }
  void ForgetRoutes() override { routes_.Clear(); }

 private:
  Dispatcher* dispatcher_;
  const actor::ActorModule* module_;
  const lattice::Entity as_origin_;  // the actor as the origin of its host calls
  std::string log_component_;
  RouteCache routes_;
};

struct OuterRouteCache {
  uint64_t dispatcher = 0;
  uint64_t version = 0;
  std::string key;
  Route route;
};
thread_local OuterRouteCache tls_outer_route;

std::atomic<uint64_t> next_dispatcher_id{1};

}  // namespace

// ---------------------------------------------------------------------------------
// RouteCache

Route* RouteCache::Find(std::string_view binding, std::string_view ns, uint64_t version) {
  for (auto& e : entries_) {
    if (e.ns == ns && e.binding == binding) {
      return e.route.version == version ? &e.route : nullptr;
    }
  }
  return nullptr;
}

Route& RouteCache::Put(std::string_view binding, std::string_view ns, Route route) {
  for (auto& e : entries_) {
    if (e.ns == ns && e.binding == binding) {
      e.route = std::move(route);
      return e.route;
    }
  }
  if (entries_.size() < kCapacity) {
    entries_.push_back(Entry{std::string(binding), std::string(ns), std::move(route)});
    return entries_.back().route;
  }
  Entry& victim = entries_[next_victim_];
  next_victim_ = (next_victim_ + 1) % kCapacity;
  victim = Entry{std::string(binding), std::string(ns), std::move(route)};
  return victim.route;
}

// ---------------------------------------------------------------------------------
// Dispatcher

Dispatcher::Dispatcher(DispatcherOptions options, const crypto::KeyPair& host_key,
                       ActorTable& actors, ProviderTable& providers,
                       const lattice::LatticeStore& store, WorkerPool& pool,
                       std::shared_ptr<lattice::RpcClient> rpc,
                       std::atomic<uint64_t>& routing_version)
    : options_(std::move(options)),
      host_key_(host_key),
      host_id_(host_key.public_key_text()),
      system_claims_(SystemClaims(host_id_)),
      system_entity_(lattice::Entity::System()),
      actors_(actors),
      providers_(providers),
      store_(store),
      pool_(pool),
      rpc_(std::move(rpc)),
      routing_version_(routing_version),
      instance_id_(next_dispatcher_id.fetch_add(1)) {}

void Dispatcher::SetAuthorizer(std::shared_ptr<Authorizer> authorizer) {
  {
    std::lock_guard<std::mutex> lock(authorizer_mu_);
    authorizer_ = std::move(authorizer);
  }
  Invalidate();
}

std::shared_ptr<Authorizer> Dispatcher::authorizer() const {
  std::lock_guard<std::mutex> lock(authorizer_mu_);
  return authorizer_;
}

Route Dispatcher::ActorRoute(const std::string& public_key, uint64_t version) const {
  // The key goes into a subject: it must be a real actor key (checksum included), not
  // guest text that merely looks like one.
  if (auto key = crypto::ParsePublicKey(public_key);
      !key.ok() || key->type != crypto::KeyType::kModule) {
    return ErrorRoute(NotFound("\"" + public_key + "\" is not a valid actor public key"), version);
  }
  Route r;
  r.version = version;
  r.target = lattice::Entity::Actor(public_key);
  r.authorizer = authorizer();
  if (ActorPtr module = actors_.Find(public_key)) {
    r.kind = Route::Kind::kLocalActor;
    r.actor = std::move(module);
  } else if (rpc_) {
    r.kind = Route::Kind::kRemote;
    r.subject = lattice::RpcSubject(options_.lattice_name, r.target);
  } else {
    r.kind = Route::Kind::kError;
    r.error = NotFound("actor " + public_key + " is not running on this host");
  }
  return r;
}

std::string Dispatcher::AliasOwner(std::string_view alias) const {
  if (std::string owner = store_.AliasOwner(alias); !owner.empty()) return owner;
  // Not in the mirror: another host may have claimed it a moment ago. The answer is
  // cached with the route until the mirror changes, so this read is rare.
  auto fetched = store_.FetchAliasOwner(alias);
  return fetched.ok() ? *fetched : std::string();
}

bool Dispatcher::IssuerAllowed(std::string_view issuer) const {
  const auto& allowed = options_.allowed_issuers;
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), issuer) != allowed.end();
}

Result<std::string> Dispatcher::AliasTarget(std::string_view alias) const {
  std::string owner = AliasOwner(alias);
  if (owner.empty() || options_.allowed_issuers.empty()) return owner;
  if (actors_.Find(owner)) return owner;  // started here, so of an allowed issuer
  // An alias is a name any account's actor may claim first: a host that trusts only some
  // accounts resolves it only to their actors.
  std::optional<lattice::ClaimsRecord> record = store_.Claims(owner);
  if (!record) {
    auto fetched = store_.FetchClaims(owner);
    if (fetched.ok()) record = std::move(*fetched);
  }
  if (!record) {
    return PermissionDenied("call alias \"" + std::string(alias) + "\" names actor " + owner +
                            ", whose claims are not known in this lattice: this host calls by "
                            "alias only actors of its allowed issuers (--allowed-issuer)");
  }
  if (!IssuerAllowed(record->claims.iss)) {
    return PermissionDenied("call alias \"" + std::string(alias) + "\" names actor " + owner +
                            ", which was issued by " + record->claims.iss +
                            ", not an allowed issuer of this host (--allowed-issuer)");
  }
  return owner;
}

Route Dispatcher::ResolveActor(std::string_view key_or_alias, uint64_t version) const {
  std::string pk;
  if (LooksLikeActorKey(key_or_alias)) {
    pk = std::string(key_or_alias);
  } else if (MayBeCallAlias(key_or_alias)) {
    Result<std::string> owner = AliasTarget(key_or_alias);
    if (!owner.ok()) return ErrorRoute(owner.status(), version);
    pk = std::move(*owner);
  }
  if (pk.empty()) {
    return ErrorRoute(NotFound("Specified actor was not a public key or a known call alias. (\"" +
                               std::string(key_or_alias) + "\")"),
                      version);
  }
  return ActorRoute(pk, version);
}

Route Dispatcher::ResolveHostCall(const actor::ActorModule& origin, std::string_view ns,
                                  std::string_view link_name, uint64_t version) const {
  // §1.4: an actor public key, else a call alias, else the contract id of a link of the
  // calling actor.
  if (LooksLikeActorKey(ns)) return ActorRoute(std::string(ns), version);
  if (MayBeCallAlias(ns)) {
    Result<std::string> owner = AliasTarget(ns);
    if (!owner.ok()) return ErrorRoute(owner.status(), version);
    if (!owner->empty()) return ActorRoute(*owner, version);
  }
  auto link = store_.FindLink(origin.public_key, ns, link_name);
  if (!link) {
    return ErrorRoute(NotFound("The target " + std::string(ns) +
                               " was not found as an actor public key, an actor call alias, or as "
                               "the contract ID in an existing link from source actor " +
                               origin.public_key),
                      version);
  }
  if (!origin.HasCapability(ns)) {
    return ErrorRoute(
        PermissionDenied("Authorization denied - Actor does not have required claims (" +
                         origin.public_key + " has no " + std::string(ns) +
                         " capability in its claims)"),
        version);
  }
  Route r;
  r.version = version;
  r.target =
      lattice::Entity::Capability(link->provider_id, std::string(ns), std::string(link_name));
  r.authorizer = authorizer();
  if (ProviderPtr entry = providers_.Find(link->provider_id, link_name)) {
    if (entry->contract_id != ns) {
      r.kind = Route::Kind::kError;
      r.error = FailedPrecondition("the link of actor " + origin.public_key + " names provider " +
                                   link->provider_id + " for " + std::string(ns) +
                                   ", but that provider implements " + entry->contract_id);
      return r;
    }
    r.kind = Route::Kind::kLocalProvider;
    r.provider = std::move(entry);
  } else if (rpc_) {
    r.kind = Route::Kind::kRemote;
    r.subject = lattice::RpcSubject(options_.lattice_name, r.target);
  } else {
    r.kind = Route::Kind::kError;
    r.error = Unavailable("provider " + link->provider_id + " (link " + std::string(link_name) +
                          ") for " + std::string(ns) + " is not running on this host");
  }
  return r;
}

inline const Route& Dispatcher::OuterActorRoute(std::string_view key_or_alias) {
  OuterRouteCache& c = tls_outer_route;
  // Read before resolving: a change after it leaves the entry stale, never wrong.
  uint64_t v = version();
  if (c.dispatcher == instance_id_ && c.version == v && c.key == key_or_alias) return c.route;
  return RefreshOuterRoute(key_or_alias, v);
}

const Route& Dispatcher::RefreshOuterRoute(std::string_view key_or_alias, uint64_t version) {
  OuterRouteCache& c = tls_outer_route;
  c.route = ResolveActor(key_or_alias, version);
  c.dispatcher = instance_id_;
  c.version = version;
  c.key.assign(key_or_alias);
  return c.route;
}

Result<Bytes> Dispatcher::CallActor(std::string_view actor, std::string_view operation,
                                    ByteView payload) {
  if (operation.empty()) return InvalidArgument("the operation name is empty");
  if (!WorkerPool::ThreadInCall()) {
    const Route& route = OuterActorRoute(actor);
    // The common case, an actor of this host and no authorizer, without the detour.
    if (route.kind == Route::Kind::kLocalActor && !route.authorizer) {
      return Invoke(route.actor, operation, payload);
    }
    return Deliver(system_entity_, &system_claims_, route, operation, payload);
  }
  return Deliver(system_entity_, &system_claims_, ResolveActor(actor, version()), operation,
                 payload);
}

Result<Bytes> Dispatcher::CallFromProvider(const ProviderEntry& origin, std::string_view actor,
                                           std::string_view operation, ByteView payload) {
  if (operation.empty()) return InvalidArgument("the operation name is empty");
  const bool outer = !WorkerPool::ThreadInCall();
  Route nested;
  const Route& route = outer ? OuterActorRoute(actor) : (nested = ResolveActor(actor, version()));
  if (route.kind == Route::Kind::kError && route.error.code() == Code::kNotFound) {
    return NotFound("actor " + std::string(actor) + " is not running on this host (call from " +
                    origin.DisplayName() + ")");
  }
  return Deliver(origin.as_origin, nullptr, route, operation, payload);
}

Result<Bytes> Dispatcher::HostCall(const actor::ActorModule& origin,
                                   const lattice::Entity& as_origin, RouteCache& cache,
                                   const wapc::HostCall& call) {
  uint64_t v = version();
  Route* route = cache.Find(call.binding, call.ns, v);
  if (route == nullptr) {
    const std::string link_name = NormalizeLinkName(call.binding);
    route = &cache.Put(call.binding, call.ns, ResolveHostCall(origin, call.ns, link_name, v));
  }
  return Deliver(as_origin, &origin.claims, *route, call.operation, call.payload);
}

Result<Bytes> Dispatcher::Deliver(const lattice::Entity& origin,
                                  const crypto::ActorClaims* origin_claims, const Route& route,
                                  std::string_view operation, ByteView payload) {
  if (route.kind == Route::Kind::kError) return route.error;
  if (origin_claims != nullptr && route.authorizer &&
      !route.authorizer->CanInvoke(*origin_claims, route.target, operation)) {
    return PermissionDenied("Authorization denied - authorizer rejected invocation");
  }
  switch (route.kind) {
    case Route::Kind::kLocalActor:
      return Invoke(route.actor, operation, payload);
    case Route::Kind::kLocalProvider: {
      const ProviderPtr& entry = route.provider;
      if (entry->stopping.load(std::memory_order_relaxed)) {
        return Unavailable("provider " + entry->DisplayName() + " is stopping");
      }
      if (!entry->started.load(std::memory_order_acquire)) {
        return Unavailable("provider " + entry->DisplayName() + " is starting");
      }
      return entry->Guard(
          [&] { return entry->provider->HandleCall(origin.id, operation, payload); });
    }
    case Route::Kind::kRemote:
      return DeliverRemote(origin, route, operation, payload);
    case Route::Kind::kError:
      break;
  }
  return route.error;
}

Result<Bytes> Dispatcher::DeliverRemote(const lattice::Entity& origin, const Route& route,
                                        std::string_view operation, ByteView payload) {
  const auto timeout = options_.rpc_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The signed deadline (whole seconds, rounded up): a receiver refuses the invocation
  // once it has passed (plus its clock skew allowance), so a late delivery never runs.
  const int64_t timeout_s =
      std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(timeout).count());
  lattice::SignOptions sign;
  sign.exp = static_cast<uint64_t>(crypto::SystemUnixSeconds() + timeout_s);
  auto inv = lattice::NewInvocation(host_key_, origin, route.target, std::string(operation),
                                    Bytes(payload.begin(), payload.end()), sign);
  if (!inv.ok()) return inv.status().WithContext("cannot sign the invocation");
  auto response = rpc_->Call(*inv, route.subject, deadline);
  if (!response.ok()) {
    const Status& s = response.status();
    if (lattice::IsNoResponders(s)) {
      return NotFound(route.target.ToString() +
                      " is not running on this host or any host of lattice " +
                      options_.lattice_name + " (no responders within " +
                      std::to_string(timeout.count()) + " ms)");
    }
    return s.WithContext("call to " + route.target.ToString() + " on the lattice");
  }
  if (response->error) {
    const std::string& error = *response->error;
    if (std::string_view(error).starts_with(lattice::kRefusedPrefix)) {
      return PermissionDenied(error);
    }
    return GuestError(error);
  }
  return std::move(response->msg);
}

lattice::InvocationResponse Dispatcher::HandleInbound(const lattice::Invocation& inv) {
  auto refuse = [&](const std::string& reason) {
    Log(LogLevel::kWarn, "lattice",
        EscapeLogText("refused invocation " + inv.id + " from host " + inv.host_id + " to " +
                      inv.target.ToString() + ": " + reason));
    if (metrics_ != nullptr) metrics_->Refused(reason);
    return lattice::ErrorResponse(inv.id, std::string(lattice::kRefusedPrefix) + reason);
  };
  if (inv.operation.empty()) return refuse("malformed invocation: the operation is empty");
  // Step 9 of lattice.md: authorization again, here. An actor origin needs claims known
  // to the lattice (verified when they entered the store) listing a provider target's
  // contract; the authorizer runs for actor and "system" origins; providers are not
  // checked (0.18).
  std::shared_ptr<Authorizer> auth = authorizer();
  if (inv.origin.is_system()) {
    if (auth && !auth->CanInvoke(SystemClaims(inv.host_id), inv.target, inv.operation)) {
      return refuse("unauthorized: the authorizer rejected a call from the system of host " +
                    inv.host_id);
    }
  } else if (inv.origin.is_actor()) {
    // The mirror first; a miss is read from the bucket (the origin may have started on
    // its host a moment ago, before its claims reached this host's watch).
    std::optional<lattice::ClaimsRecord> record = store_.Claims(inv.origin.id);
    if (!record) {
      auto fetched = store_.FetchClaims(inv.origin.id);
      if (fetched.ok()) record = std::move(*fetched);
    }
    if (!record) {
      return refuse("unauthorized: no claims of actor " + inv.origin.id +
                    " are known in this lattice");
    }
    const crypto::ActorClaims& claims = record->claims;
    int64_t now = crypto::SystemUnixSeconds();
    if (claims.exp && static_cast<int64_t>(*claims.exp) < now) {
      return refuse("unauthorized: the claims of actor " + inv.origin.id + " expired at " +
                    crypto::FormatUnixTime(*claims.exp));
    }
    if (!IssuerAllowed(claims.iss)) {
      return refuse("unauthorized: actor " + inv.origin.id + " was issued by " + claims.iss +
                    ", which is not an allowed issuer of this host (--allowed-issuer)");
    }
    if (inv.target.is_capability()) {
      const auto& caps =
          claims.wascap && claims.wascap->caps ? *claims.wascap->caps : std::vector<std::string>{};
      if (std::find(caps.begin(), caps.end(), inv.target.contract_id) == caps.end()) {
        return refuse("unauthorized: actor " + inv.origin.id + " does not have the capability " +
                      inv.target.contract_id + " in its claims");
      }
    }
    if (auth && !auth->CanInvoke(claims, inv.target, inv.operation)) {
      return refuse("unauthorized: the authorizer rejected the invocation");
    }
  }

  Result<Bytes> result = Status::Ok();
  if (inv.target.is_actor()) {
    ActorPtr module = actors_.Find(inv.target.id);
    if (!module) {
      return lattice::ErrorResponse(
          inv.id, "actor " + inv.target.id + " is not running on host " + host_id_);
    }
    result = Invoke(module, inv.operation, inv.msg);
  } else {
    ProviderPtr entry = providers_.Find(inv.target.id, inv.target.link_name);
    if (!entry || entry->stopping.load() || !entry->started.load()) {
      return lattice::ErrorResponse(inv.id, "provider " + inv.target.id + " (link " +
                                                inv.target.link_name + ") is not running on host " +
                                                host_id_);
    }
    if (entry->contract_id != inv.target.contract_id) {
      return refuse("provider " + inv.target.id + " implements " + entry->contract_id + ", not " +
                    inv.target.contract_id);
    }
    result = entry->Guard(
        [&] { return entry->provider->HandleCall(inv.origin.id, inv.operation, inv.msg); });
  }
  if (!result.ok()) return lattice::ErrorResponse(inv.id, result.status().message());
  return lattice::SuccessResponse(inv, std::move(*result));
}

Status Dispatcher::WarmUp(const ActorPtr& module) {
  auto r = Invoke(module, {}, {});
  return r.ok() ? Status::Ok() : r.status();
}

Status Dispatcher::EnterActor(const actor::ActorModule& module) {
  const uint32_t limit = options_.max_actor_calls;
  auto try_enter = [&] {
    uint32_t n = module.outer_calls.load();
    while (n < limit) {
      if (module.outer_calls.compare_exchange_weak(n, n + 1)) return true;
    }
    return false;
  };
  if (try_enter()) return Status::Ok();
  // Calls of a busy actor are short as a rule: a brief spin takes the place a call is
  // about to give back without two context switches.
  for (int i = 0; i < 64; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    for (int k = 0; k < 16; ++k) __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
    if (try_enter()) return Status::Ok();
  }
  const auto wait = 2 * options_.call_timeout;
  std::unique_lock lock(gate_mu_);
  gate_waiters_.fetch_add(1);
  const bool entered = gate_cv_.wait_for(lock, wait, try_enter);
  gate_waiters_.fetch_sub(1);
  if (entered) return Status::Ok();
  return ResourceExhausted("host overloaded: actor " + module.public_key + " already runs " +
                           std::to_string(limit) +
                           " call(s) at once (--max-actor-calls) and "
                           "none ended within " +
                           std::to_string(wait.count()) + " ms; the call was not run");
}

void Dispatcher::LeaveActor(const actor::ActorModule& module) {
  module.outer_calls.fetch_sub(1);
  if (gate_waiters_.load() > 0) {
    std::lock_guard lock(gate_mu_);
    gate_cv_.notify_all();
  }
}

Result<Bytes> Dispatcher::Invoke(const ActorPtr& module, std::string_view operation,
                                 ByteView payload) {
  // The host's JSON log lines say which actor and operation they are about.
  LogContext context("actor", module->public_key, "operation", operation);
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  struct Done {
    std::atomic<size_t>& n;
    ~Done() { n.fetch_sub(1, std::memory_order_relaxed); }
  } done{in_flight_};
  // Whoever called (a provider, the lattice, `call`, an embedder) gets the error; the log
  // says it once, for the outermost call only (a nested failure is its caller's to tell).
  const bool outer = !WorkerPool::ThreadInCall();
  if (metrics_ == nullptr || operation.empty()) {
    Result<Bytes> result = RunOnWorker(module, operation, payload);
    if (outer && !result.ok() && !operation.empty()) LogFailure(module, operation, result.status());
    return result;
  }
  const auto start = std::chrono::steady_clock::now();
  Result<Bytes> result = RunOnWorker(module, operation, payload);
  metrics_->Invocation(
      module->public_key, operation, result.status(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (outer && !result.ok()) LogFailure(module, operation, result.status());
  return result;
}

void Dispatcher::LogUnloggedFailures(uint64_t n) {
  Log(LogLevel::kWarn, kLog,
      std::to_string(n) + " more failed call(s) were not logged (at most " +
          std::to_string(kFailureLinesPerSecond) + " lines a second)");
}

void Dispatcher::FlushFailureSummary() {
  uint64_t dropped = 0;
  {
    std::lock_guard lock(failure_log_mu_);
    dropped = failures_unlogged_;
    failures_unlogged_ = 0;
  }
  if (dropped > 0) LogUnloggedFailures(dropped);
}

void Dispatcher::LogFailure(const ActorPtr& module, std::string_view operation,
                            const Status& status) {
  const int64_t second = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  uint64_t dropped = 0;
  {
    std::lock_guard lock(failure_log_mu_);
    if (second != failure_log_second_) {
      dropped = failures_unlogged_;
      failure_log_second_ = second;
      failure_lines_ = 0;
      failures_unlogged_ = 0;
    }
    if (failure_lines_ >= kFailureLinesPerSecond) {
      ++failures_unlogged_;
      return;
    }
    ++failure_lines_;
  }
  if (dropped > 0) LogUnloggedFailures(dropped);
  Log(LogLevel::kWarn, kLog,
      EscapeLogText("call of actor " + module->DisplayName() + " " + std::string(operation) +
                    " failed (" + std::string(HostMetrics::Outcome(status)) +
                    "): " + status.message()));
}

Result<Bytes> Dispatcher::RunOnWorker(const ActorPtr& module, std::string_view operation,
                                      ByteView payload) {
  // Claims are checked at start; ones that expire later stop the actor's calls here, as
  // receivers on other hosts refuse its invocations (only actors whose claims expire pay
  // for the clock read).
  if (module->claims.exp &&
      static_cast<int64_t>(*module->claims.exp) < crypto::SystemUnixSeconds()) {
    return PermissionDenied("the claims of actor " + module->public_key + " expired at " +
                            crypto::FormatUnixTime(*module->claims.exp) +
                            ": it runs no more calls (start a module signed anew)");
  }
  // One actor may not hold every worker: its outer calls beyond the limit wait for one of
  // its own to end (a nested call runs on the worker its thread holds).
  const bool gated = options_.max_actor_calls != 0 && !WorkerPool::ThreadInCall();
  if (gated) WC_RETURN_IF_ERROR(EnterActor(*module));
  struct Leave {
    Dispatcher* d;
    const actor::ActorModule* m;
    ~Leave() {
      if (m != nullptr) d->LeaveActor(*m);
    }
  } leave{this, gated ? module.get() : nullptr};
  // A call that cannot get a worker fails instead of waiting for ever (all workers busy,
  // or waiting for a provider that calls back from its own thread). It may wait for as
  // long as two calls can run: a call queued behind one that runs to its deadline still
  // gets its turn (a bound of one deadline would race with that call's end).
  WC_ASSIGN_OR_RETURN(auto lease, pool_.Acquire(2 * options_.call_timeout));
  WorkerSlot& slot = lease->slot();
  // References to elements of an unordered_map stay valid when other keys are added (by
  // nested calls to other actors); iterators do not, so only `inst` is kept.
  ActorInstance& inst = slot.instances.try_emplace(module->public_key).first->second;
  if (inst.busy) {
    // A call of this actor is on this thread's stack (or its instance is being made and
    // its start functions called back into it): a waPC instance cannot be re-entered.
    return FailedPrecondition(
        "actor " + module->public_key +
        " is already handling a call on this thread: re-entrant calls (an "
        "actor calling itself, directly or through others) are not supported");
  }
  // Another version than the one asked for (a live update, or a refused one that made an
  // instance before it was refused): replaced.
  if (inst.instance && inst.module->generation != module->generation) {
    inst.instance.reset();
    inst.callbacks.reset();
  }
  if (!inst.instance) {
    auto callbacks = std::make_unique<ActorCallbacks>(this, module.get());
    wasm::CallOptions init_options{options_.call_timeout};
    inst.busy = true;  // its start functions may make host calls that come back here
    auto created =
        wapc::WapcInstance::Create(*slot.worker, module->wapc, callbacks.get(),
                                   module->DisplayName(), init_options, options_.guest_limits);
    inst.busy = false;
    if (!created.ok()) {
      slot.instances.erase(module->public_key);
      return created.status();
    }
    inst.module = module;
    inst.callbacks = std::move(callbacks);
    inst.instance = std::move(*created);
    inst.initial_memory_bytes = inst.instance->memory_bytes();
  }
  if (operation.empty()) return Bytes{};
  inst.busy = true;
  Result<Bytes> result =
      inst.instance->Call(operation, payload, wasm::CallOptions{options_.call_timeout});
  inst.busy = false;
  if (!inst.instance->healthy()) {
    // A trap or a deadline may leave the guest's memory half-updated: this instance goes,
    // the next call on this worker makes a new one, the others are not touched.
    Log(LogLevel::kWarn, kLog,
        "replacing the instance of " + module->DisplayName() +
            " after: " + result.status().message());
    inst.instance->DiscardMemory();
    inst.instance.reset();
    inst.callbacks.reset();
  } else if (const size_t bytes = inst.instance->memory_bytes();
             options_.instance_recycle_bytes != 0 && bytes > options_.instance_recycle_bytes &&
             bytes > inst.initial_memory_bytes) {
    // Memory a guest grew stays with its instance (wasm cannot shrink it): above the
    // threshold, the instance goes after its call and its pages go back to the system.
    Log(LogLevel::kDebug, kLog,
        "replacing the instance of " + module->DisplayName() +
            " after its call: its memory grew to " + std::to_string(bytes >> 20) +
            " MiB, above --instance-recycle-mb " +
            std::to_string(options_.instance_recycle_bytes >> 20));
    if (metrics_ != nullptr) metrics_->InstanceRecycled(module->public_key);
    inst.instance->DiscardMemory();
    inst.instance.reset();
    inst.callbacks.reset();
  }
  return result;
}

}  // namespace wasmcloud::host
