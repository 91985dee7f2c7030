// The host's state and its dispatcher. Internal to src/host: Host (host.h) is the
// public face; host.cc has the lifecycle, actors, providers, links and manifests,
// dispatch.cc the call paths.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <vector>

#include "actor/actor.h"
#include "crypto/nkeys.h"
#include "host/host.h"
#include "host/worker_pool.h"
#include "oci/client.h"
#include "provider/provider.h"

namespace wasmcloud::host {

class HostCore;

// An empty or blank link name means "default" (0.18 normalize_link_name).
std::string NormalizeLinkName(std::string_view link_name);

// A running provider under (public key, link name).
struct ProviderEntry {
  std::string public_key;
  std::string contract_id;
  std::string link_name;
  crypto::ProviderClaims claims;
  std::shared_ptr<provider::Provider> provider;
  std::optional<std::string> image_ref;
  std::unique_ptr<provider::ProviderHost> host;  // what the provider sees of us
  std::mutex control_mu;  // one of Start/BindActor/RemoveActor/Health/Stop at a time
  std::string DisplayName() const;

  // Runs `call`, a call into the provider's own code returning Status or Result<T>; an
  // exception that escapes it becomes kInternal "provider <name> threw: <what>", so no
  // provider can unwind through the host.
  template <typename Call>
  auto Guard(Call&& call) const -> decltype(call()) {
    try {
      return call();
    } catch (const std::exception& e) {
      return Internal("provider " + DisplayName() + " threw: " + e.what());
    } catch (...) {
      return Internal("provider " + DisplayName() +
                      " threw an exception that is not a std::exception");
    }
  }
  // Stop, under control_mu and the guard; a failure is logged.
  void StopGuarded();
};

using LinkKey = std::tuple<std::string, std::string, std::string>;  // actor, contract, link
using ProviderKey = std::tuple<std::string, std::string>;           // public key, link

class HostCore : public std::enable_shared_from_this<HostCore> {
 public:
  explicit HostCore(HostConfig config) : config_(std::move(config)) {}
  ~HostCore();

  // --- lifecycle (host.cc) ---
  Status Start();
  Status Stop();
  bool running() const { return state_.load() == State::kRunning; }
  std::string id() const;
  const HostConfig& config() const { return config_; }
  void SetAuthorizer(std::shared_ptr<Authorizer> authorizer);
  std::shared_ptr<Authorizer> authorizer() const;

  // --- actors (host.cc) ---
  Result<std::string> StartActor(ByteView module, std::optional<std::string> image_ref);
  Status StopActor(std::string_view actor_ref);
  Status UpdateActor(std::string_view actor_id, ByteView module,
                     std::optional<std::string> image_ref);
  std::vector<std::string> Actors() const;
  Result<ActorIdentity> GetActorIdentity(std::string_view actor_id) const;
  std::map<std::string, crypto::ActorClaims> ActorClaims() const;

  // --- providers (host.cc) ---
  Result<std::string> StartNativeCapability(NativeCapability capability);
  Result<std::string> StartCapabilityFromFile(const std::string& path, std::string_view link_name);
  // A provider archive's bytes (`source` names it in errors: a path or a reference):
  // verified, this platform's library unpacked into the provider cache and loaded.
  Result<std::string> StartCapabilityFromArchive(ByteView bytes, const std::string& source,
                                                 std::string_view link_name,
                                                 std::optional<std::string> image_ref);
  Status StopProvider(std::string_view provider_id, std::string_view contract_id,
                      std::string_view link_name);
  std::vector<ProviderIdentity> Providers() const;
  Result<ProviderIdentity> GetProviderIdentity(std::string_view provider_id,
                                               std::string_view link_name) const;

  // --- links, labels, manifests (host.cc) ---
  Status SetLink(std::string_view actor, std::string_view contract_id, std::string_view link_name,
                 std::string_view provider_id, LinkValues values);
  Status RemoveLink(std::string_view actor, std::string_view contract_id,
                    std::string_view link_name);
  std::vector<LinkDefinition> LinkDefinitions() const;
  Status ApplyManifest(const Manifest& manifest);
  Status ApplyManifestLink(const ManifestLink& link);
  std::map<std::string, std::string> Labels() const;
  std::map<std::string, std::string> OciReferences() const;

  // --- OCI (host.cc) ---
  // Pull, then start as from bytes; the canonical reference is recorded in OciReferences
  // and the identity. The pull holds none of the host's locks.
  Result<std::string> StartActorFromRegistry(std::string_view oci_ref);
  Result<std::string> StartCapabilityFromRegistry(std::string_view oci_ref,
                                                  std::string_view link_name);
  // The OCI client settings: the environment's (credentials), then this host's
  // configuration (allowed-insecure, :latest, CA file, cache dir).
  oci::ClientConfig OciClientConfig() const;
  // Pulls `oci_ref` (cache first) and checks it is an artefact of `kind`. Errors start
  // with "cannot pull <actor|provider> <ref>: " and end with the client's reason.
  Result<oci::PulledArtifact> Pull(std::string_view oci_ref, oci::ArtifactKind kind) const;

  // --- calls (dispatch.cc) ---
  // A call from outside (origin "system") by public key or call alias.
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation, ByteView payload);
  // A call from a provider to an actor (by public key).
  Result<Bytes> CallActorFromProvider(const ProviderEntry& origin, std::string_view actor,
                                      std::string_view operation, ByteView payload);
  // A guest's __host_call, made by `origin` (the running actor).
  Result<Bytes> OnHostCall(const actor::ActorModule& origin, const wapc::HostCall& call);

  // Runs `operation` on the actor's instance on the calling thread's worker, creating
  // the instance when the worker has none of this generation (or a newer one). An empty
  // operation only makes sure the instance exists.
  Result<Bytes> Invoke(const std::shared_ptr<const actor::ActorModule>& module,
                       std::string_view operation, ByteView payload);

 private:
  enum class State { kNew, kRunning, kStopped };

  // The running version of `key_or_alias` for a call that is the outermost one on its
  // thread; null when there is none. A thread-local cache, checked against
  // actors_version_, spares the read lock and the reference count of the shared map on
  // repeated calls (with two calling threads those shared cache lines cost more than the
  // call itself). Only for a thread that is in no call of any host: the returned reference
  // is to the cache entry, which a nested call would overwrite.
  const std::shared_ptr<const actor::ActorModule>& FindActorForOuterCall(
      std::string_view key_or_alias);
  // The running version of an actor, or null. Takes the read lock.
  std::shared_ptr<const actor::ActorModule> FindActor(std::string_view public_key) const;
  // Public key for a key or a call alias; empty when neither.
  std::string ResolveActor(std::string_view key_or_alias) const;
  // The public key an OCI reference was started as (as written, or in its canonical
  // form), or empty. Caller holds mu_.
  std::string ResolveOciReferenceLocked(std::string_view oci_ref) const;
  std::shared_ptr<ProviderEntry> FindProvider(std::string_view public_key,
                                              std::string_view link_name) const;
  // Creates the first instance on a worker (runs the start functions).
  Status WarmUp(const std::shared_ptr<const actor::ActorModule>& module);
  // BindActor to the provider of `link` when it runs and the actor's claims are known.
  // Ok when it bound or when there is nothing to bind yet; the provider's refusal (or a
  // provider of another contract) otherwise, which is also logged.
  Status EnforceLink(const LinkDefinition& link);
  LinkValues BindValues(const LinkDefinition& link, const crypto::ActorClaims& claims) const;
  Status StartBuiltins();
  Status CheckRunning() const;
  actor::LoadOptions LoadOptions() const;

  HostConfig config_;
  std::atomic<State> state_{State::kNew};
  std::optional<crypto::KeyPair> key_;
  std::string id_;
  std::map<std::string, std::string> labels_;

  std::shared_ptr<wasm::Engine> engine_;
  std::unique_ptr<WorkerPool> pool_;

  // Unique per HostCore in the process (a cache key that an address reused by a later
  // host cannot alias), and bumped whenever actors_ or call_aliases_ change.
  const uint64_t instance_id_ = NextInstanceId();
  std::atomic<uint64_t> actors_version_{0};
  static uint64_t NextInstanceId();

  mutable std::shared_mutex mu_;  // guards everything below
  std::shared_ptr<Authorizer> authorizer_;
  std::map<std::string, std::shared_ptr<const actor::ActorModule>, std::less<>> actors_;
  std::map<std::string, crypto::ActorClaims, std::less<>> claims_;  // grow-only
  std::map<std::string, std::string, std::less<>> call_aliases_;    // alias -> public key
  std::map<std::string, std::string, std::less<>> oci_refs_;        // ref -> public key
  // Transparent comparators: a guest's host call looks both up with string_views, without
  // copying its keys.
  std::map<ProviderKey, std::shared_ptr<ProviderEntry>, std::less<>> providers_;
  std::map<LinkKey, LinkDefinition, std::less<>> links_;

  std::mutex update_mu_;  // one live update or actor start at a time
};

}  // namespace wasmcloud::host
