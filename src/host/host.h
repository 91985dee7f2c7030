// The Host: the API of wasmcloud_host::Host 0.18 (see docs/host.md for the mapping of
// every seed method). A host runs signed actors on a pool of worker threads, runs
// capability providers in-process, keeps the links between them, and dispatches calls:
// from the embedding program to actors, from actors to actors and providers, and from
// providers to actors.
//
// Thread-safety: every method may be called from any thread, including from inside a
// provider's HandleCall or while calls are in flight.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "host/host_config.h"
#include "host/manifest.h"
#include "provider/provider.h"

namespace wasmcloud::host {

using LinkValues = provider::LinkValues;

// The two built-in providers. Extras is the 0.18 one (same public key and claims);
// logging writes WriteLog lines into the host's log (0.18 had no built-in logging; this
// key is the one of the 0.18 documentation's logging provider, so its manifests work).
inline constexpr std::string_view kExtrasPublicKey =
    "VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP";
inline constexpr std::string_view kExtrasContract = "wasmcloud:extras";
inline constexpr std::string_view kLoggingPublicKey =
    "VCCANMDC7KONJK435W6T7JFEEL7S3ZG6GUZMZ3FHTBZ32OZHJQR5MJWZ";
inline constexpr std::string_view kLoggingContract = "wasmcloud:logging";

// Where a call comes from or goes to (0.18 WasmCloudEntity).
struct Entity {
  enum class Kind { kActor, kCapability };
  Kind kind = Kind::kActor;
  std::string id;           // actor or provider public key; "system" for the host itself
  std::string contract_id;  // capabilities only
  std::string link_name;    // capabilities only
  static Entity Actor(std::string id) { return {Kind::kActor, std::move(id), {}, {}}; }
  static Entity Capability(std::string id, std::string contract_id, std::string link_name) {
    return {Kind::kCapability, std::move(id), std::move(contract_id), std::move(link_name)};
  }
};

// A policy hook (0.18 Authorizer). It can only deny: the host's own checks (valid
// claims, the capability in the actor's claims) run first.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Before an actor starts (also before a live update takes effect). False: "Permission
  // denied starting actor".
  virtual bool CanLoad(const crypto::ActorClaims& claims) = 0;
  // Before every invocation whose origin is an actor. False: "Authorization denied -
  // authorizer rejected invocation".
  virtual bool CanInvoke(const crypto::ActorClaims& claims, const Entity& target,
                         std::string_view operation) = 0;
};

struct ActorIdentity {
  std::string public_key;
  std::string name;                      // claims name ("" when none)
  int32_t revision = 0;                  // claims rev (0 when none)
  std::string version;                   // claims ver ("" when none)
  std::string call_alias;                // "" when none
  std::optional<std::string> image_ref;  // the OCI reference it was started from
};

struct ProviderIdentity {
  std::string public_key;
  std::string contract_id;
  std::string link_name;
  std::string name;
  int32_t revision = 0;
  std::optional<std::string> image_ref;
};

struct LinkDefinition {
  std::string actor_id;
  std::string provider_id;
  std::string contract_id;
  std::string link_name;
  LinkValues values;
  bool operator==(const LinkDefinition&) const = default;
};

// A provider to run in this process (0.18 NativeCapability::from_instance).
struct NativeCapability {
  std::shared_ptr<provider::Provider> provider;
  std::string link_name = "default";  // empty or blank means "default"
  // Its claims (a provider archive's claims.jwt). Absent: the host makes claims with a
  // new service ("V...") key, the descriptor's contract id and name, issued by the host.
  std::optional<crypto::ProviderClaims> claims;
  std::optional<std::string> image_ref;
};

class HostCore;

class Host {
 public:
  explicit Host(HostConfig config = {});
  ~Host();  // stops the host when it is running
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Starts the worker pool and the built-in providers, and makes the host key. Does not
  // block. kFailedPrecondition when already running (or stopped: a host runs once).
  Status Start();
  // Stops every actor and provider (providers get Stop), waits for calls in flight, and
  // stops the workers. Idempotent.
  Status Stop();
  bool running() const;
  // The host's public key: 56 characters, "N...". Empty before Start.
  std::string id() const;
  const HostConfig& config() const;

  // Replaces the authorizer (the default allows everything). Any time.
  void SetAuthorizer(std::shared_ptr<Authorizer> authorizer);

  // --- actors ---
  // Verifies the module's claims (signature, hash, exp/nbf, key types, allowed issuers,
  // the authorizer's CanLoad), compiles it and creates a first instance (running
  // `_start` / `wapc_init`). Returns the actor's public key. Starting the same module
  // again is a no-op; another module with the same public key is kAlreadyExists (use
  // UpdateActor).
  Result<std::string> StartActor(ByteView module);
  Result<std::string> StartActorFromFile(const std::string& path);
  // Pulls an actor from an OCI registry (the cache first: docs/oci.md) with the host's
  // OCI settings (allowed-insecure registries, :latest, CA file, cache dir; credentials
  // from OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD), then starts it as StartActor does.
  // The canonical reference is recorded in OciReferences() and the actor's identity.
  // Errors: "cannot pull actor <ref>: <the client's reason>" with the client's code
  // (oci/client.h), or the start's own error prefixed with the reference. The pull holds
  // none of the host's locks.
  Result<std::string> StartActorFromRegistry(std::string_view oci_ref);
  // Stops an actor: a public key, or an OCI reference it was started from (as written or
  // in its canonical form). Calls in flight finish; new calls get kNotFound. Stopping an
  // actor that is not running is not an error.
  Status StopActor(std::string_view actor_ref);
  // Live update (§11): needs allow_live_updates; same subject, higher revision, same
  // capabilities unless strict_update_check is off. Calls made during the update are
  // served (by the old version until the new one is ready); none fails or is lost. With
  // `image_ref`, that reference replaces the actor's old ones in OciReferences() and is
  // the new version's identity image ref (0.18 update_actor(key, oci_ref, bytes)).
  Status UpdateActor(std::string_view actor_id, ByteView module,
                     std::optional<std::string> image_ref = std::nullopt);
  // Public keys of the running actors, sorted.
  std::vector<std::string> Actors() const;
  Result<ActorIdentity> GetActorIdentity(std::string_view actor_id) const;
  // Claims of every actor this host has seen, running or not (grow-only, as 0.18).
  std::map<std::string, crypto::ActorClaims> ActorClaims() const;

  // --- providers ---
  // Starts an in-process provider under (its public key, link name) and binds it to
  // every link that names it. Returns the provider's public key.
  Result<std::string> StartNativeCapability(NativeCapability capability);
  // Starts a provider from a file: a shared library built for this host's provider C ABI
  // (`.so`, docs/providers.md; the host makes its claims) or a provider archive
  // (`.par.gz` / `.par`, docs/par.md: signature and target hash verified, this platform's
  // library unpacked into $TMPDIR/wasmcloudcache/<key>/<rev>/ and loaded with the
  // archive's claims). Returns the provider's public key.
  Result<std::string> StartCapabilityFromFile(const std::string& path,
                                              std::string_view link_name = "default");
  // Pulls a provider archive from an OCI registry (cache first), then starts it as
  // StartCapabilityFromFile does an archive (verified, unpacked, loaded); the canonical
  // reference is recorded in OciReferences() and the provider's identity. Errors as
  // StartActorFromRegistry ("cannot pull provider <ref>: ..."). A pulled actor is refused
  // (kInvalidArgument), as is a provider archive given to StartActorFromRegistry.
  Result<std::string> StartCapabilityFromRegistry(std::string_view oci_ref,
                                                  std::string_view link_name);
  // Stops a provider (Stop is called on it). Links stay defined and are bound again when
  // it returns. Its OCI reference is forgotten when no other link name of it runs.
  // Idempotent.
  Status StopProvider(std::string_view provider_id, std::string_view contract_id,
                      std::string_view link_name);
  // Every running provider, the built-in ones included.
  std::vector<ProviderIdentity> Providers() const;
  Result<ProviderIdentity> GetProviderIdentity(std::string_view provider_id,
                                               std::string_view link_name) const;

  // --- calls ---
  // A raw waPC call to an actor by public key or call alias, with origin "system".
  // Errors: kNotFound ("Specified actor was not a public key or a known call alias." /
  // not running), the guest's own error (kGuestError), kDeadlineExceeded, kTrap.
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation, ByteView payload);

  // --- links ---
  // Defines (or replaces) the link (actor, contract id, link name) → provider. Works
  // before or after either side starts; when both run, the provider gets BindActor.
  Status SetLink(std::string_view actor, std::string_view contract_id, std::string_view link_name,
                 std::string_view provider_id, LinkValues values);
  // Removes a link; its provider, when running, gets RemoveActor. kNotFound when there
  // is no such link.
  Status RemoveLink(std::string_view actor, std::string_view contract_id,
                    std::string_view link_name);
  std::vector<LinkDefinition> LinkDefinitions() const;

  // --- manifests, labels, OCI ---
  // Applies labels, then actors, providers and links, in that order. Every entry is
  // tried; when some fail, the error lists each failure with its manifest location and
  // says which entries were applied. An actor or capability entry that names a regular
  // file is that file; one that looks like a path (/, ./, ../, or a name ending in .wasm,
  // .par.gz, .par or .so) but is no file is kNotFound; any other is an OCI reference,
  // pulled as StartActorFromRegistry / StartCapabilityFromRegistry do.
  Status ApplyManifest(const Manifest& manifest);
  // hostcore.os, hostcore.osfamily, hostcore.arch, plus custom labels (config, manifests).
  std::map<std::string, std::string> Labels() const;
  // Canonical OCI reference → public key of each running actor and provider started from
  // a registry (or updated to a reference).
  std::map<std::string, std::string> OciReferences() const;

 private:
  std::shared_ptr<HostCore> core_;
};

}  // namespace wasmcloud::host
