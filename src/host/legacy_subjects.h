// The 0.18 publish-only subjects of a lattice (spec §7.1, §7.4): wasmbus.rpc.{ns}.links,
// .remlinks and .claims. A 0.18 client (wash 0.18 `ctl link`) advertises a link by
// publishing a msgpack LinkDefinition on `links` and removes one on `remlinks`; this
// host writes what it receives into the lattice data, only when the data differs (every
// host receives each message), and publishes on them the link and claims writes it
// originates itself (never what its watch applies: no feedback loop). Those carry the
// header kLatticeDataHeader (the writing host's id): the change is in the lattice data
// already, so our hosts skip them. Without it, a host that received the message for a
// link's first value after the link had changed again (or was removed) found the data
// different and wrote the old value back.
//
// Claims received on `claims` carry no signature (0.18 sent the decoded claims), so they
// cannot be verified: they are logged and not stored; our hosts share claims through the
// lattice data, with their tokens.
//
// Threads: messages are handed from the transport's thread to a thread of this
// component, which writes to the lattice data (and waits for its watch there).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "crypto/claims.h"
#include "lattice/lattice_store.h"
#include "lattice/transport.h"

namespace wasmcloud::host {

class LegacySubjects {
 public:
  // `host_id`: the value of kLatticeDataHeader on what this host publishes.
  LegacySubjects(std::shared_ptr<lattice::Transport> transport, std::string lattice_name,
                 std::string host_id, lattice::LatticeStore& store);
  ~LegacySubjects();  // Stop()

  // Subscribes to `links`, `remlinks` and `claims`.
  Status Start();
  // Unsubscribes, then finishes what was received. Idempotent.
  void Stop();

  // What this host originates, published for 0.18 peers (failures are logged).
  void PublishLink(const lattice::LinkDefinition& link);
  void PublishRemoveLink(const lattice::LinkDefinition& link);
  void PublishClaims(const crypto::ActorClaims& claims);

 private:
  void OnLinks(const lattice::Message& m);
  void OnRemoveLinks(const lattice::Message& m);

  std::shared_ptr<lattice::Transport> transport_;
  const std::string lattice_;
  const std::string host_id_;
  lattice::LatticeStore& store_;
  ThreadPool worker_;
  std::mutex mu_;
  std::vector<std::unique_ptr<lattice::Subscription>> subscriptions_;
};

// On a 0.18 link, link removal or claims message published by one of our hosts: that
// host's id; the change is in the lattice data already. (0.18 clients never set it.)
inline constexpr char kLatticeDataHeader[] = "Wasmcloud-Lattice-Data";

// The msgpack a 0.18 host published on the claims subject: Claims<Actor> as a struct map
// (the JWT claims' fields and order; optional fields left out as wascap does).
Bytes EncodeLegacyClaims(const crypto::ActorClaims& claims);

}  // namespace wasmcloud::host
