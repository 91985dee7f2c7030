// The Host: the API of wasmcloud_host::Host 0.18 (see docs/host.md for the mapping of
// every seed method). A host runs signed actors on a pool of worker threads, runs
// capability providers in-process, keeps the links between them, and dispatches calls:
// from the embedding program to actors, from actors to actors and providers, and from
// providers to actors.
//
// Thread-safety: every method may be called from any thread, including from inside a
// provider's HandleCall or while calls are in flight (Stop excepted: not from inside a
// call).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/metrics.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "host/host_config.h"
#include "host/manifest.h"
#include "lattice/control.h"
#include "lattice/entity.h"
#include "lattice/events.h"
#include "lattice/invocation_verifier.h"
#include "lattice/kv_bucket.h"
#include "lattice/link_definition.h"
#include "lattice/transport.h"
#include "provider/provider.h"
#include "wasm/engine.h"

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

// Where a call comes from or goes to (0.18 WasmCloudEntity): lattice/entity.h.
using Entity = lattice::Entity;

// A policy hook (0.18 Authorizer). It can only deny: the host's own checks (valid
// claims, the capability in the actor's claims) run first.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // Before an actor starts (also before a live update takes effect). False: "Permission
  // denied starting actor".
  virtual bool CanLoad(const crypto::ActorClaims& claims) = 0;
  // Before every invocation whose origin is an actor: a guest's call to another actor or
  // to a provider (on this host or, when it arrives here, from another one), and
  // CallActor, whose origin is the host itself: then `claims.sub` is "system", `iss` the
  // calling host's key, and there is no `wascap`. (Calls from providers are not checked,
  // as in 0.18.) False: "Authorization denied - authorizer rejected invocation".
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

using LinkDefinition = lattice::LinkDefinition;

// A provider to run in this process (0.18 NativeCapability::from_instance).
struct NativeCapability {
  std::shared_ptr<provider::Provider> provider;
  std::string link_name = "default";  // empty or blank means "default"
  // Its claims (a provider archive's claims.jwt). Absent: the host makes claims with a
  // new service ("V...") key, the descriptor's contract id and name, issued by the host.
  std::optional<crypto::ProviderClaims> claims;
  std::optional<std::string> image_ref;
};

// How a host joins a lattice (docs/lattice.md). The default is single-player mode: a
// private in-process lattice (a MemoryKvBucket of its own), no RPC transport, no events.
// Hosts of one process form a lattice by sharing a MemoryTransport and a MemoryKvBucket.
struct LatticeOptions {
  // The lattice name (0.18 --nsprefix): subjects wasmbus.rpc.{name}.…, bucket
  // LATTICEDATA_{name}. Rules: lattice::ValidateLatticeName.
  std::string name = "default";
  // Invocations to actors and providers that do not run on this host go out over it, and
  // this host's actors and providers are served on it. Null: such calls fail with
  // kNotFound / kUnavailable as in single-player mode.
  std::shared_ptr<lattice::Transport> transport;
  // Links, claims, OCI references and call aliases. Null: a private MemoryKvBucket.
  std::shared_ptr<lattice::KvBucket> bucket;
  // Where host, actor, provider and link events go (also, with a transport, published on
  // the lattice's event subjects). Null: only the lattice's subjects, if any.
  std::shared_ptr<lattice::EventSink> events;
  // The control interface (0.18 subjects) and the event subjects are served on this one
  // (0.18 --control-host / --control-*). Null: on `transport`.
  std::shared_ptr<lattice::Transport> control_transport;
  // How often the heartbeat event goes out (0.18 HEARTBEAT_INTERVAL_S: 30 s); the first one
  // interval after Start. Zero: no heartbeat. Only with a transport.
  std::chrono::milliseconds heartbeat_interval{30000};
  // Provider health: each local provider's Health is asked first this long after Start,
  // then every interval; a change (and the first answer) is a health_check_passed or
  // health_check_failed event and a log line, and the last answer is in the v1 inventory.
  // Zero interval: not polled. With or without a transport.
  std::chrono::milliseconds provider_health_first{5000};
  std::chrono::milliseconds provider_health_interval{30000};
  // Deadline of a call that goes to another host (lattice.md: 2 s).
  std::chrono::milliseconds rpc_timeout{2000};
  // Whose invocations this host accepts, and how old one may be without `exp`.
  // (IssuerPolicy kLattice knows the lattice's hosts from their events: it needs a
  // transport.)
  lattice::IssuerPolicy invocation_issuers;
  std::chrono::seconds invocation_max_age{60};
  // Start waits this long for the lattice data (the bucket watch's initial values).
  std::chrono::milliseconds ready_timeout{30000};
  // Threads and queue of the executor that runs invocations arriving from the lattice.
  unsigned inbound_threads = 4;
  size_t inbound_queue = 1024;
};

class HostCore;

class Host {
 public:
  // `engine` makes the host's WebAssembly engine at Start (the CLI passes
  // wasm::CreateV8Engine; tests may pass a fake).
  Host(HostConfig config, wasm::EngineFactory engine, LatticeOptions lattice = {});
  ~Host();  // stops the host when it is running
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Makes the host key, the engine and the worker pool, joins the lattice (waits until
  // the lattice data is in this host's mirror: a host that started sees every link,
  // claim, alias and OCI reference, and has bound its providers), and starts the built-in
  // providers. kFailedPrecondition when already running (or stopped: a host runs once);
  // kDeadlineExceeded when the lattice data did not arrive within ready_timeout.
  Status Start();
  // Stops serving the lattice, stops every actor and provider (providers get Stop, also
  // those stopping in the background), waits for calls in flight, and stops the
  // workers. Lattice data stays (links are durable). Idempotent. From inside a call of
  // this host (a provider's HandleCall, a guest's host call, an inbound invocation) it
  // would wait for itself: kFailedPrecondition, and the host keeps running.
  Status Stop();
  // Cancels the registry pulls in progress (they fail within about a second with
  // "cancelled (the host is stopping)") and every later one: for a program that wants to
  // stop while a start or a manifest is still pulling (`wasmcloud up` calls it on the
  // first SIGINT/SIGTERM). Stop does it too. Thread-safe, from any thread.
  void Interrupt();
  bool running() const;
  // The host's public key: 56 characters, "N...". Empty before Start.
  std::string id() const;
  // The host's metrics (docs/operations.md): what it counts and times from Start on, and
  // whatever the embedder adds. `wasmcloud up --http-admin` serves them on /metrics.
  MetricsRegistry& metrics();
  // True while the lattice data bucket is lost and being re-filled from this host's
  // mirror (lattice_data_degraded event); false before Start.
  bool lattice_data_degraded() const;
  const HostConfig& config() const;

  // Replaces the authorizer (the default allows everything). Any time.
  void SetAuthorizer(std::shared_ptr<Authorizer> authorizer);

  // --- actors ---
  // Verifies the module's claims (signature, hash, exp/nbf, key types, allowed issuers,
  // the authorizer's CanLoad), compiles it and creates a first instance (running
  // `_start` / `wapc_init`). Records its claims (and its call alias, when it is the first
  // actor to claim it) in the lattice data, binds the providers of this host to its
  // links, and serves it on the lattice. Returns the actor's public key. Starting the
  // same module again is a no-op; another module with the same public key is
  // kAlreadyExists (use UpdateActor).
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
  // Stops an actor: a public key, or an OCI reference (as written or in its canonical
  // form) that maps to it. Calls in flight finish; new calls get kNotFound. Stopping an
  // actor that is not running is not an error. A stop and a live update of one actor
  // are serialised: after both returned, the actor is stopped, never running again.
  Status StopActor(std::string_view actor_ref);
  // Live update (§11): needs allow_live_updates; same subject, higher revision, same
  // capabilities unless strict_update_check is off. Calls made during the update are
  // served (by the old version until the new one is ready); none fails or is lost. With
  // `image_ref` (a valid OCI reference, else kInvalidArgument; recorded in its canonical
  // form), that reference maps to the actor in OciReferences() and is the new version's
  // identity image ref (0.18 update_actor(key, oci_ref, bytes)); without, the version
  // keeps the image ref of the one it replaces. kFailedPrecondition when the actor was
  // stopped or updated by someone else while this update was being prepared.
  Status UpdateActor(std::string_view actor_id, ByteView module,
                     std::optional<std::string> image_ref = std::nullopt);
  // Public keys of the running actors, sorted.
  std::vector<std::string> Actors() const;
  Result<ActorIdentity> GetActorIdentity(std::string_view actor_id) const;
  // Claims of every actor seen in the lattice, running or not (grow-only, as 0.18).
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
  //
  // `isolation` chooses where a library runs (kAuto: as HostConfig::provider_isolation
  // says); a provider in a child process is supervised (docs/providers.md).
  Result<std::string> StartCapabilityFromFile(
      const std::string& path, std::string_view link_name = "default",
      ProviderIsolation isolation = ProviderIsolation::kAuto);
  // Pulls a provider archive from an OCI registry (cache first), then starts it as
  // StartCapabilityFromFile does an archive (verified, unpacked, loaded); the canonical
  // reference is recorded in OciReferences() and the provider's identity. Errors as
  // StartActorFromRegistry ("cannot pull provider <ref>: ..."). A pulled actor is refused
  // (kInvalidArgument), as is a provider archive given to StartActorFromRegistry.
  Result<std::string> StartCapabilityFromRegistry(
      std::string_view oci_ref, std::string_view link_name,
      ProviderIsolation isolation = ProviderIsolation::kAuto);
  // Stops a provider given by public key or by an OCI reference that maps to one. New
  // calls to it are refused at once and it is no longer listed; its Stop runs in the
  // background (this call does not wait for it; Host::Stop does, and a new start of the
  // same key and link name waits for it). Links stay defined and are bound again when it
  // returns. Idempotent. kInvalidArgument when `contract_id` is given and differs.
  Status StopProvider(std::string_view provider_id, std::string_view contract_id,
                      std::string_view link_name);
  // Every running provider, the built-in ones included.
  std::vector<ProviderIdentity> Providers() const;
  Result<ProviderIdentity> GetProviderIdentity(std::string_view provider_id,
                                               std::string_view link_name) const;

  // --- calls ---
  // A raw waPC call to an actor by public key or call alias, with origin "system",
  // checked by the authorizer's CanInvoke. An actor that does not run here is called on
  // the lattice (when there is a transport). Errors: kNotFound ("Specified actor was not
  // a public key or a known call alias." / not running here or on any host of the
  // lattice), kPermissionDenied (the authorizer; a refusal by the remote host), the
  // guest's own error (kGuestError; also any error text a remote host answered),
  // kDeadlineExceeded, kTrap.
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation, ByteView payload);

  // --- links ---
  // Defines (or replaces) the link (actor, contract id, link name) → provider in the
  // lattice data. The actor is a public key, or an OCI reference that maps to one. Works
  // before or after either side starts; the host whose provider serves the link sends it
  // BindActor once the actor's claims are known. Returns once this host applied the link;
  // when the provider runs here and refuses the bind, its error (the link is kept and
  // offered again when the provider or the actor starts again, or SetLink is called
  // again with it).
  Status SetLink(std::string_view actor, std::string_view contract_id, std::string_view link_name,
                 std::string_view provider_id, LinkValues values);
  // Removes a link from the lattice data; its provider, wherever it runs, gets
  // RemoveActor. kNotFound when there is no such link.
  Status RemoveLink(std::string_view actor, std::string_view contract_id,
                    std::string_view link_name);
  // Every link of the lattice, by (actor, contract id, link name).
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
  // Canonical OCI reference → public key of every actor and provider started from a
  // registry (or updated to a reference) on any host of the lattice, running or not
  // (grow-only, as 0.18's lattice cache).
  std::map<std::string, std::string> OciReferences() const;

  // What this host answers to the control interface (lattice/control.h). Valid while
  // the Host lives.
  lattice::ControlHandler& control();
  // What a control client's "stop host" (v1 host.stop) calls: it should stop the host
  // soon, from another thread (it runs on a control thread: Stop called there returns
  // kFailedPrecondition). Without one, the request is refused.
  void SetStopRequestHandler(std::function<void()> handler);

 private:
  std::shared_ptr<HostCore> core_;
};

}  // namespace wasmcloud::host
