// The OCI distribution v2 client: pulls and pushes wasmCloud artefacts (actors as wasm
// modules, providers as provider archives) with the media types of spec §6, on libcurl,
// with a digest-addressed cache on disk (oci/cache.h). See docs/oci.md.
//
//   oci::ClientConfig config = oci::ClientConfig::FromEnvironment();
//   config.allowed_insecure.push_back("localhost:5000");
//   oci::Client client(config);
//   auto ref = oci::ParseReference("localhost:5000/echo:0.2.0");
//   auto artefact = client.Pull(*ref);  // artefact->data: the module's bytes
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "oci/reference.h"

namespace wasmcloud::oci {

class Cache;

// Media types (spec §6).
inline constexpr std::string_view kWasmLayerMediaType =
    "application/vnd.module.wasm.content.layer.v1+wasm";
inline constexpr std::string_view kProviderLayerMediaType =
    "application/vnd.wasmcloud.provider.archive.layer.v1+par";
inline constexpr std::string_view kOciTarLayerMediaType = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kActorConfigMediaType =
    "application/vnd.wasmcloud.actor.archive.config";
inline constexpr std::string_view kProviderConfigMediaType =
    "application/vnd.wasmcloud.provider.archive.config";
inline constexpr std::string_view kOciManifestMediaType =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerManifestMediaType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestListMediaType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciIndexMediaType = "application/vnd.oci.image.index.v1+json";
// The Accept header of a manifest GET, exactly as 0.18 sent it.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.docker.distribution.manifest.v2+json,"
    "application/vnd.docker.distribution.manifest.list.v2+json,"
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kTitleAnnotation = "org.opencontainers.image.title";

// What a pushed artefact is; decided from its content (ArtifactKindOf).
enum class ArtifactKind { kActor, kProvider };
std::string_view ArtifactKindName(ArtifactKind kind);  // "actor", "provider"

// kActor for a wasm module (starts with "\0asm"), kProvider for a gzip'd (1f 8b) or plain
// (ustar) provider archive; kInvalidArgument for anything else.
Result<ArtifactKind> ArtifactKindOf(ByteView data);

struct Credentials {
  std::string username;
  std::string password;
};

struct ClientConfig {
  // Registries reached over plain HTTP: "HOST[:PORT]", compared exactly with the
  // reference's registry (as 0.18's `--allowed-insecure`). Every other one is HTTPS.
  std::vector<std::string> allowed_insecure;
  // Whether a reference whose tag is "latest" (written, or implied by giving no tag) may
  // be pulled or pushed.
  bool allow_latest = false;
  // Credentials by registry ("HOST[:PORT]"), used first.
  std::map<std::string, Credentials> credentials;
  // Then OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD (both set) for every registry, as
  // 0.18 did; FromEnvironment() fills this from the environment.
  std::optional<Credentials> env_credentials;
  // Then a credentials file: Docker's config.json shape (docs/oci.md#credentials).
  std::string credentials_file;
  // A PEM file of CA certificates trusted in addition to the system's.
  std::string ca_file;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{300000};  // each HTTP request, start to end
  std::chrono::milliseconds stall_timeout{30000};     // nothing received for this long: fail
  // Set to true: requests in progress end within about a second, failing the pull or
  // push ("cancelled"); the host sets it when it stops.
  std::shared_ptr<const std::atomic<bool>> cancel;
  // The cache; empty for none. Default: DefaultCacheDir().
  std::string cache_dir;
  // How long a tag's manifest digest, once a registry gave it, is served from the cache
  // without asking the registry again; 0: ask at every pull. A reference pinned by
  // digest is always served from the cache when its blobs are there
  // (docs/oci.md#the-cache).
  std::chrono::seconds tag_ttl{300};
  // Never contact a registry: Pull serves what the cache holds (a tag whatever its age)
  // and fails with kUnavailable for anything else; Push fails.
  bool offline = false;
  // The clock a tag's age is measured with; empty: std::chrono::system_clock::now.
  // Tests set it.
  std::function<std::chrono::system_clock::time_point()> clock;
  uint64_t max_manifest_size = 4u << 20;
  uint64_t max_artifact_size = 512u << 20;  // all layers together

  // A config with cache_dir = DefaultCacheDir(), env_credentials from OCI_REGISTRY_USER /
  // OCI_REGISTRY_PASSWORD, allowed_insecure from WASMCLOUD_OCI_ALLOWED_INSECURE
  // (comma-separated) and credentials_file from WASMCLOUD_OCI_CREDENTIALS.
  static ClientConfig FromEnvironment();
};

// "$TMPDIR/wasmcloud_ocicache" ("/tmp" when TMPDIR is unset): 0.18's folder name.
std::string DefaultCacheDir();
// "$TMPDIR/wasmcloudcache": where provider libraries are unpacked (host, 0.18).
std::string DefaultProviderCacheDir();
// The comma-separated list in WASMCLOUD_OCI_ALLOWED_INSECURE, entries trimmed.
std::vector<std::string> AllowedInsecureFromEnv();

struct PulledArtifact {
  Bytes data;                   // every layer, concatenated in manifest order (as 0.18)
  std::string manifest_digest;  // "sha256:..." of the manifest's bytes
  std::string media_type;       // the first layer's
  std::string reference;        // the canonical reference pulled
  bool from_cache = false;      // the digest and every blob came from the cache
  // From the cache although the tag's TTL had passed: the registry could not be reached
  // (or did not answer) to resolve it again; a warning was logged.
  bool stale = false;
};

struct PushedArtifact {
  std::string manifest_digest;  // "sha256:..." of the manifest pushed
  std::string layer_digest;     // "sha256:..." of the artefact
  ArtifactKind kind = ArtifactKind::kActor;
  std::string reference;  // the canonical reference pushed (registry/repo:tag)
  uint64_t size = 0;
};

// Registry errors (Status codes), each message naming the registry or reference:
//  - kInvalidArgument: ":latest" without allow_latest ("Fetching images tagged 'latest'
//    is currently prohibited in this host..."), a push to a digest reference, content
//    that is neither a wasm module nor a provider archive;
//  - kUnavailable: the registry cannot be reached (refused, DNS, TLS; a TLS failure
//    suggests --allowed-insecure when the registry might be plain HTTP);
//  - kDeadlineExceeded: a connect or request timeout passed;
//  - kPermissionDenied: 401/403 (the registry's own message is quoted), or credentials
//    needed and none found;
//  - kNotFound: the manifest (or a blob) does not exist;
//  - kMalformed: a manifest that is not JSON, schemaVersion not 2, a manifest list or
//    index, a layer media type other than those of §6 ("incompatible layer media type");
//  - kUnauthenticated: a manifest or blob whose sha256 is not its digest, or whose size
//    is not the manifest's;
//  - kResourceExhausted: a manifest over max_manifest_size, layers over
//    max_artifact_size.
// A cache that cannot be written is not an error: it is logged (warn) and skipped.
class Client {
 public:
  explicit Client(ClientConfig config);

  // Pulls an artefact: from the cache without any request when the reference is there
  // with every blob and is a digest, or a tag resolved less than tag_ttl ago (any age
  // when offline); else from the registry (blobs already cached by digest are not
  // fetched again), verifying every blob's digest, and stores what it fetched in the
  // cache with the time. A tag past its TTL whose registry cannot be reached
  // (kUnavailable, kDeadlineExceeded) is served from the cache with a warning (`stale`);
  // any answer of the registry (401/403, 404, a manifest that fails its checks) fails
  // the pull. Offline, a reference not cached fails with kUnavailable ("… is not cached
  // and the host is offline (--oci-offline) …").
  Result<PulledArtifact> Pull(const Reference& ref);
  // Parses `ref` then pulls it.
  Result<PulledArtifact> Pull(std::string_view ref);

  // Pushes `data` (a wasm module or a provider archive, kind from its content) to a
  // tagged reference: the layer and the "{}" config blob (skipped when the registry has
  // them), then an OCI image manifest with the §6 media types. kUnavailable when offline.
  Result<PushedArtifact> Push(const Reference& ref, ByteView data);

  // HTTP requests made by this client so far (tests use it to show the cache works).
  uint64_t requests() const { return requests_; }

  const ClientConfig& config() const { return config_; }

 private:
  // The registry part of Pull: the manifest, the layers not cached, the cache filled.
  Result<PulledArtifact> PullFromRegistry(const Reference& ref, const std::string& name,
                                          const Cache* cache);
  std::chrono::system_clock::time_point Now() const;
  // Whether this client may speak plain HTTP to `registry` (--allowed-insecure).
  bool AllowsPlainHttp(const std::string& registry) const;

  ClientConfig config_;
  uint64_t requests_ = 0;
};

}  // namespace wasmcloud::oci
