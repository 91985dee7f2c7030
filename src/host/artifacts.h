// Where actors and providers come from: OCI registries (pulled with the host's settings,
// cache first), provider archives (verified, unpacked, loaded), provider libraries.
// Stateless: each function works from the host's configuration alone and holds no lock.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "host/host.h"
#include "host/host_config.h"
#include "oci/client.h"

namespace wasmcloud::host {

// The OCI client settings: the environment's (credentials), then the host's
// configuration (allowed-insecure, :latest, CA file, cache dir, timeouts, tag TTL,
// offline).
oci::ClientConfig OciClientConfig(const HostConfig& config);

// Pulls `oci_ref` (cache first) and checks it is an artefact of `kind`. Errors start with
// "cannot pull <actor|provider> <ref>: " and end with the client's reason.
// `cancel` set to true ends the pull within about a second ("cancelled (the host is
// stopping)").
// `credentials` (by registry) come before every other source of credentials.
Result<oci::PulledArtifact> PullArtifact(
    const HostConfig& config, std::string_view oci_ref, oci::ArtifactKind kind,
    std::shared_ptr<const std::atomic<bool>> cancel = nullptr,
    const std::map<std::string, oci::Credentials>& credentials = {});

// The canonical form of an OCI reference (oci::Reference::ToString); kInvalidArgument
// naming the reference when it is not one.
Result<std::string> CanonicalReference(std::string_view oci_ref);

// A provider archive's bytes (`source` names it in errors: a path or a reference):
// verified, this platform's library unpacked into the provider cache and loaded with the
// archive's claims.
//
// The library runs in process or in a supervised child process as `isolation` says
// (kAuto: as config.provider_isolation says; its kAuto: first-party archives, whose
// claims name the vendor "wasmcloud-cpp", in process, everything else in a child).
// `before_load`, when given, is asked with the archive's public key once its claims are
// verified and before its library is loaded (or a child started): a refusal is returned
// as is, and nothing of the provider ran (a duplicate of a running one, say).
using BeforeLoad = std::function<Status(const std::string& public_key)>;
Result<NativeCapability> LoadProviderArchive(const HostConfig& config, ByteView bytes,
                                             const std::string& source, std::string_view link_name,
                                             std::optional<std::string> image_ref,
                                             ProviderIsolation isolation = ProviderIsolation::kAuto,
                                             const BeforeLoad& before_load = {});

// A provider file: an archive (`.par.gz`, `.par`) or a library built for the provider C
// ABI (claims made by the host when it starts).
Result<NativeCapability> LoadProviderFile(const HostConfig& config, const std::string& path,
                                          std::string_view link_name,
                                          ProviderIsolation isolation = ProviderIsolation::kAuto,
                                          const BeforeLoad& before_load = {});

// A manifest entry meant as a file: an absolute or ./ ../ path, or a last component
// without a tag or digest that has the extension of an actor, a provider archive or a
// library (`echo.wasm`; an OCI reference would be `echo.wasm:0.1.0`).
bool LooksLikeFilePath(std::string_view ref);

// The environment variables a provider's child process does not get from its host: every
// variable of the option table (the host's seed, NATS JWTs, seeds and credentials files,
// ...) and the others the host reads (registry credentials among them).
std::vector<std::string> HostOnlyEnvironment();

}  // namespace wasmcloud::host
