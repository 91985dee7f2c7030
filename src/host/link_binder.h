// Keeps this host's providers bound to the links that name them: a LatticeStore listener
// (BindActor when a link is put or the actor's claims arrive, RemoveActor when a link is
// deleted or moves to another provider), and the binds of a provider that starts here.
// Every host of a lattice runs one; only the host whose provider serves a link acts.
//
// Threads: the store's watch thread (listener calls) and the threads that start
// providers. mu_ is held across each bind or remove, so a delete from the watch and a
// bind from a provider start cannot interleave (lock order: docs/architecture.md).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"
#include "host/provider_table.h"
#include "lattice/lattice_store.h"

namespace wasmcloud::host {

class LinkBinder final : public lattice::LatticeStoreListener {
 public:
  LinkBinder(const lattice::LatticeStore& store, ProviderTable& providers)
      : store_(store), providers_(providers) {}

  void OnLinkPut(const lattice::LinkDefinition& link,
                 const std::optional<lattice::LinkDefinition>& previous) override;
  void OnLinkDeleted(const lattice::LinkDefinition& link) override;
  void OnClaims(const lattice::ClaimsRecord& record) override;

  // A provider started here: BindActor for every link naming it whose actor's claims
  // are known. Refusals are logged (the link stays).
  void BindProvider(const ProviderPtr& entry);

  // An actor started here: BindActor again for every link of it whose provider runs here
  // (providers treat BindActor as idempotent; 0.18 re-bound on every start).
  void BindActorLinks(std::string_view actor_id);

  // Binds `link` again now (when its provider runs here) and returns the outcome: an
  // explicit SetLink after a refusal tries again even if the lattice data did not change.
  Status Rebind(const lattice::LinkDefinition& link);

  // The outcome of the last bind of `link` on this host: Ok when it bound, or when its
  // provider does not run here or its actor's claims are not known yet; the provider's
  // refusal (or a contract mismatch) otherwise.
  Status LastResult(const lattice::LinkDefinition& link) const;
  // Whether the last bind of some link failed (then LastResult says which).
  bool HasRefusals() const;

  // BindActor's values: the link's, plus __wasmcloud_issuer, __wasmcloud_capabilities,
  // __wasmcloud_name, __wasmcloud_expires, __wasmcloud_tags from the actor's claims.
  static provider::LinkValues BindValues(const lattice::LinkDefinition& link,
                                         const crypto::ActorClaims& claims);

 private:
  // Binds `link` when its provider runs here and its actor's claims are known. Caller
  // holds mu_.
  Status EnforceLocked(const lattice::LinkDefinition& link);
  void RemoveLocked(const lattice::LinkDefinition& link);

  const lattice::LatticeStore& store_;
  ProviderTable& providers_;
  mutable std::mutex mu_;
  std::map<std::string, Status> results_;  // by link id
};

}  // namespace wasmcloud::host
