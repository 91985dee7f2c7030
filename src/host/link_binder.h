// Keeps this host's providers bound to the links that name them: a LatticeStore listener
// (BindActor when a link is put or the actor's claims arrive, RemoveActor when a link is
// deleted or moves to another provider), and the binds of a provider that starts here.
// Every host of a lattice runs one; only the host whose provider serves a link acts.
//
// Threads: each local provider (public key + link name) has a lane: its binds and
// removes run one at a time, in the order they were asked for, on the lane's thread
// (started when work comes, ending after a second without any, when the lane itself goes;
// the next change makes a new one). The store's watch thread only
// queues them, so a provider that is slow to bind (up to the 10 s deadline of a provider
// that is not first-party) delays its own binds, not the lattice data or the other
// providers. The host API's calls (provider start, actor start, SetLink) queue theirs
// and wait for them. A change for a provider that does not run here queues nothing.
// Lock order: lanes_mu_ → a lane's mu (never held while calling a provider); a task
// takes the provider's control_mu (docs/architecture.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "host/provider_table.h"
#include "lattice/lattice_store.h"

namespace wasmcloud::host {

class LinkBinder final : public lattice::LatticeStoreListener {
 public:
  // `allowed_issuers` (--allowed-issuer): when not empty, an actor issued by another
  // account is not bound to this host's providers (the refusal is the link's LastResult).
  // `lane_linger`: how long a lane's thread waits for more work before it ends (and the
  // lane with it), so that a burst of changes (a manifest's links, a late joiner's data, a
  // link changed in a loop) reuses one thread instead of starting one per change.
  LinkBinder(const lattice::LatticeStore& store, ProviderTable& providers,
             std::vector<std::string> allowed_issuers = {},
             std::chrono::milliseconds lane_linger = std::chrono::seconds(1))
      : store_(store),
        providers_(providers),
        allowed_issuers_(std::move(allowed_issuers)),
        lane_linger_(lane_linger) {}
  ~LinkBinder() override;  // Close()
  LinkBinder(const LinkBinder&) = delete;
  LinkBinder& operator=(const LinkBinder&) = delete;

  // Queue the bind or remove on the provider's lane and return at once.
  void OnLinkPut(const lattice::LinkDefinition& link,
                 const std::optional<lattice::LinkDefinition>& previous) override;
  void OnLinkDeleted(const lattice::LinkDefinition& link) override;
  void OnClaims(const lattice::ClaimsRecord& record) override;

  // A provider started here: BindActor for every link naming it whose actor's claims
  // are known; returns when they ran. Refusals are logged (the link stays).
  void BindProvider(const ProviderPtr& entry);

  // An actor started here: BindActor again for every link of it whose provider runs here
  // (providers treat BindActor as idempotent; 0.18 re-bound on every start); returns when
  // they ran.
  void BindActorLinks(std::string_view actor_id);

  // Binds `link` again now (when its provider runs here) and returns the outcome: an
  // explicit SetLink after a refusal tries again even if the lattice data did not change.
  Status Rebind(const lattice::LinkDefinition& link);

  // Waits until what was queued for `link`'s provider so far has run, then returns
  // LastResult(link): SetLink's answer for the change it just made.
  Status Outcome(const lattice::LinkDefinition& link);

  // The outcome of the last bind of `link` on this host: Ok when it bound, or when its
  // provider does not run here or its actor's claims are not known yet; the provider's
  // refusal, a contract mismatch, or an actor issuer this host does not allow otherwise.
  Status LastResult(const lattice::LinkDefinition& link) const;
  // Whether the last bind of some link failed (then LastResult says which).
  bool HasRefusals() const;

  // Drops what is queued, waits for the binds and removes that are running and ends the
  // lanes' threads; later changes are ignored and waits return at once. For the host's
  // stop, after its providers stopped. Idempotent.
  void Close();

  // The lanes that exist now: those with work queued, running, or done less than
  // `lane_linger` ago (for tests).
  size_t lane_count() const;

  // BindActor's values: the link's, plus __wasmcloud_issuer, __wasmcloud_capabilities,
  // __wasmcloud_name, __wasmcloud_expires, __wasmcloud_tags from the actor's claims.
  static provider::LinkValues BindValues(const lattice::LinkDefinition& link,
                                         const crypto::ActorClaims& claims);

 private:
  // Logs a refusal to bind `link` at `level`, or at debug when it repeats the last one.
  void LogRefusal(LogLevel level, const lattice::LinkDefinition& link, const Status& refusal) const;
  struct Lane;
  // A place in a lane's order; Wait returns once it has run (or was dropped).
  struct Ticket {
    std::shared_ptr<Lane> lane;  // null: nothing was queued
    uint64_t number = 0;
  };

  // Queues `task` on the lane of (provider_id, link_name) when that provider is in this
  // host's table; an empty ticket otherwise (or when closed).
  Ticket Enqueue(const std::string& provider_id, const std::string& link_name,
                 std::function<void()> task);
  // Waits for `ticket`; at once when it is empty, or when called on its lane's own
  // thread (a provider that uses the host API from BindActor).
  static void Wait(const Ticket& ticket);
  // A lane's thread: runs its tasks; after a second without any, takes the lane out of
  // lanes_ and ends.
  void RunLane(const std::shared_ptr<Lane>& lane);

  // Binds `link` when its provider runs here and its actor's claims are known; records
  // and returns the outcome. On the provider's lane.
  Status Enforce(const lattice::LinkDefinition& link);
  // RemoveActor for `link` when its provider runs here. On the provider's lane.
  void Remove(const lattice::LinkDefinition& link);
  // Queues Enforce(link); a link whose provider does not run here is recorded Ok.
  Ticket QueueEnforce(const lattice::LinkDefinition& link);
  Status Record(const lattice::LinkDefinition& link, Status s);
  // Forgets the outcome of `link` when it is the outcome of `link`'s provider: a link that
  // moved between two providers of this host keeps the new one's refusal, whichever lane
  // runs first.
  void Forget(const lattice::LinkDefinition& link);

  const lattice::LatticeStore& store_;
  ProviderTable& providers_;
  const std::vector<std::string> allowed_issuers_;
  const std::chrono::milliseconds lane_linger_;
  mutable std::mutex lanes_mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Lane>> lanes_;  // lanes_mu_
  bool closed_ = false;                                                         // lanes_mu_
  struct BindResult {
    std::string provider;  // provider key + "/" + link name of the bind it is about
    Status status;
  };
  mutable std::mutex results_mu_;
  std::map<std::string, BindResult> results_;  // by link id; guarded by results_mu_
};

}  // namespace wasmcloud::host
