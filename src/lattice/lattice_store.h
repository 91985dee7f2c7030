// The lattice data (lattice.md, "Lattice data"): links, actor claims, OCI references and
// call aliases, one key per fact in a KvBucket, with a local mirror fed only by the
// bucket's watch. Every host of a lattice, the writer included, applies a change when its
// watch brings it, so all hosts converge on the bucket's state and a late joiner needs
// nothing from its peers.
//
// Keys and values (JSON):
//   LINKDEF_{LinkId(actor, contract, link)}  LinkToJson (link_definition.h)
//   CLAIMS_{actor pk}                         the decoded claims plus "jwt": the token, which
//                                             readers verify again (the bucket is not trusted)
//   REFMAP_{NameKey: EncodeKeyPart(oci ref)}  {"oci_url","public_key"}
//   ALIAS_{NameKey: EncodeKeyPart(alias)}     {"alias","public_key"}, create-if-absent
// Claims, OCI references and aliases are grow-only: this store never deletes them (a
// delete someone else writes is applied to the mirror, without a listener call, so that
// every host still converges on the bucket).
//
// A lost bucket (lattice.md, "Faults"): when the watch restarts (KvEvent::kRestarted: the
// bucket was lost and is there again, emptied), the store keeps serving from its mirror
// and is degraded(); it applies the restarted initial values as usual (a newer value that
// another host put back wins; a key deleted in the new bucket leaves the mirror) and
// drops nothing for being absent from them. At their kInitialValuesDone it puts back
// every mirror entry the bucket no longer has, with Restore (only where the new bucket
// holds nothing for the key: a value another host wrote meanwhile is not clobbered, nor
// a delete made there; a key it cannot write for want of the bucket is written again,
// with backoff, until it goes in), logs "bucket B was lost; re-filled N keys from this
// host's mirror", and is no longer degraded. Writes made while the bucket was gone failed
// with "lattice data unavailable: …" and were not retried. A write that went into a
// bucket another host created again before this store's watch noticed the loss (its
// revision is at or below what the watch had applied) makes the bucket check its stream
// at once, and returns once the watch has started over and brought the write.
//
// Threads: reads may come from any thread and never touch the bucket. Listeners run on
// the watch's thread, one change at a time, in revision order, after the mirror holds the
// change and outside its lock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/verify.h"
#include "lattice/kv_bucket.h"
#include "lattice/link_definition.h"

namespace wasmcloud::lattice {

// Actor claims as the store holds them: verified from the token stored beside them.
struct ClaimsRecord {
  crypto::ActorClaims claims;
  std::string jwt;
};

// What a host does when the lattice data changes (the link binder, routing caches).
class LatticeStoreListener {
 public:
  virtual ~LatticeStoreListener() = default;
  // A link was put (new, or new values / provider: `previous` is the old definition).
  virtual void OnLinkPut(const LinkDefinition& link,
                         const std::optional<LinkDefinition>& previous) {
    (void)link;
    (void)previous;
  }
  virtual void OnLinkDeleted(const LinkDefinition& link) { (void)link; }
  virtual void OnClaims(const ClaimsRecord& record) { (void)record; }
  virtual void OnAlias(const std::string& alias, const std::string& public_key) {
    (void)alias;
    (void)public_key;
  }
  virtual void OnOciRef(const std::string& oci_ref, const std::string& public_key) {
    (void)oci_ref;
    (void)public_key;
  }
  // degraded() changed: true when the bucket was lost and is being re-filled from the
  // mirror, false once it was; `why` says what happened, for an event or a log.
  virtual void OnDegraded(bool degraded, const std::string& why) {
    (void)degraded;
    (void)why;
  }
  // A change written after the watch's initial values reached this mirror `seconds` after
  // the bucket stored it (the bucket's clock against this host's: across machines, clock
  // skew is in it; never negative).
  virtual void OnWatchLag(double seconds) { (void)seconds; }
};

// A text made into a valid part of a key: [A-Za-z0-9_/-] stay, every other byte becomes
// "=XX" (uppercase hex), so that "127.0.0.1:5000/echo:0.1" → "127=2E0=2E0=2E1=3A5000/echo=3A0=2E1".
// Injective; DecodeKeyPart reverses it (kMalformed on a bad escape).
std::string EncodeKeyPart(std::string_view text);
Result<std::string> DecodeKeyPart(std::string_view key_part);
// The key of a name (an OCI reference, an alias) under `prefix` ("REFMAP_", "ALIAS_"):
// prefix + EncodeKeyPart(name), or, when that is longer than a key may be (255 bytes:
// a long reference with many escaped bytes), prefix + "=SHA256_" + the lowercase hex
// SHA-256 of the name. An encoded name never holds "=S" (escapes are uppercase hex), so
// the two forms never meet; the value holds the name whole either way.
std::string NameKey(std::string_view prefix, std::string_view name);

struct LatticeStoreOptions {
  // How the tokens of CLAIMS_ values are verified (key types, issuers); expiry is not
  // checked here (a stored claim outlives its actor; the dispatcher checks expiry when it
  // authorizes).
  crypto::VerifyOptions claims_verify = crypto::VerifyOptions::ForActor();
  // How long a write waits for the watch to bring it back into the mirror.
  std::chrono::milliseconds apply_timeout{5000};
};

class LatticeStore {
 public:
  LatticeStore(std::shared_ptr<KvBucket> bucket, LatticeStoreOptions options = {});
  ~LatticeStore();  // Stop()

  // Not owned; call before Start; each must outlive Stop().
  void AddListener(LatticeStoreListener* listener);

  // Starts the watch and returns once its initial values are in the mirror (listeners
  // were called for each). kDeadlineExceeded after `timeout` (the watch goes on, and
  // ready() becomes true when the values arrive); kUnavailable when the watch cannot
  // start. Called once.
  Status Start(std::chrono::milliseconds timeout);
  // Stops the watch. The mirror stays readable. Idempotent.
  void Stop();
  // True once the watch's initial values are in the mirror.
  bool ready() const;
  // True from the moment the watch found the bucket lost (and there again) until this
  // store has re-filled it from its mirror; reads are served from the mirror meanwhile.
  // (A NATS disconnect is not seen here: the connection reports that.)
  bool degraded() const;

  // --- writes. Each returns once the bucket acknowledged it and this store's watch has
  // applied it (listeners included): a caller reads its own write. Errors: kUnavailable
  // "lattice data unavailable: …" (not written); kDeadlineExceeded "written, but …"
  // (written; the watch did not bring it back within apply_timeout, or the store stopped
  // meanwhile) or "… it may have been written" (sent; no acknowledgement came back);
  // kFailedPrecondition before Start or after Stop; kInvalidArgument for an
  // empty or non-UTF-8 id, name or reference. Called from a listener, a write returns
  // after the acknowledgement without waiting.
  Status PutLink(const LinkDefinition& link);
  // kNotFound when the mirror holds no such link; else the definition that was deleted.
  Result<LinkDefinition> DeleteLink(std::string_view actor_id, std::string_view contract_id,
                                    std::string_view link_name);
  // Writes CLAIMS_{claims.sub} unless the mirror already holds this token. The token is
  // first verified as every reader verifies it (its error when it does not verify or its
  // subject is not claims.sub), so that nothing is written that readers would ignore.
  Status PutClaims(const crypto::ActorClaims& claims, std::string_view token);
  Status PutOciRef(std::string_view oci_ref, std::string_view public_key);
  // Create-if-absent: returns the alias's owner, which is `public_key` when this call
  // created it or it was already this key's, and another actor's key when it was taken.
  Result<std::string> ClaimAlias(std::string_view alias, std::string_view public_key);

  // --- reads, from the mirror.
  std::optional<LinkDefinition> FindLink(std::string_view actor_id, std::string_view contract_id,
                                         std::string_view link_name) const;
  std::vector<LinkDefinition> Links() const;  // by (actor, contract, link name)
  std::vector<LinkDefinition> LinksOfActor(std::string_view actor_id) const;
  std::vector<LinkDefinition> LinksOfProvider(std::string_view provider_id,
                                              std::string_view link_name) const;
  std::optional<ClaimsRecord> Claims(std::string_view public_key) const;
  std::map<std::string, crypto::ActorClaims> AllClaims() const;
  // The actor that owns `alias`; empty when none.
  std::string AliasOwner(std::string_view alias) const;
  // The public key an OCI reference maps to, exactly as written; empty when none.
  std::string ResolveOciRef(std::string_view oci_ref) const;
  std::map<std::string, std::string> OciRefs() const;
  // --- read-through, for a miss in the mirror that another host may have written a
  // moment ago (its watch event has not arrived here yet). These read the bucket itself
  // (one Get) and check what they read as the watch would; the mirror is not changed.
  // nullopt / empty when the bucket has nothing valid either; kUnavailable when it
  // cannot be read.
  Result<std::optional<ClaimsRecord>> FetchClaims(std::string_view public_key) const;
  Result<std::string> FetchAliasOwner(std::string_view alias) const;
  Result<std::optional<LinkDefinition>> FetchLink(std::string_view actor_id,
                                                  std::string_view contract_id,
                                                  std::string_view link_name) const;

  // Grows with every change the mirror applies; caches of what they read compare it.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  struct State;
  std::shared_ptr<State> state_;
  // On a cache line of its own: every call reads it, and a neighbour written by another
  // thread would make each read a cache miss.
  alignas(64) std::atomic<uint64_t> version_{0};
};

}  // namespace wasmcloud::lattice
