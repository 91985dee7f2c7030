#include "host/artifacts.h"

#include <algorithm>
#include <cstdlib>

#include "core/log.h"
#include "core/private_dir.h"
#include "oci/reference.h"
#include "provider/guarded_provider.h"
#include "provider/native_library.h"
#include "provider/par.h"
#include "provider/process_provider.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "host";

std::string ProviderCacheRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/wasmcloudcache";
}

}  // namespace

bool LooksLikeFilePath(std::string_view ref) {
  if (ref.starts_with("/") || ref.starts_with("./") || ref.starts_with("../")) return true;
  size_t slash = ref.rfind('/');
  std::string_view last = slash == std::string_view::npos ? ref : ref.substr(slash + 1);
  if (last.find_first_of(":@") != std::string_view::npos) return false;
  for (std::string_view ext : {".wasm", ".par.gz", ".par", ".so"}) {
    if (last.ends_with(ext)) return true;
  }
  return false;
}

oci::ClientConfig OciClientConfig(const HostConfig& config) {
  // Credentials (OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD, WASMCLOUD_OCI_CREDENTIALS)
  // come from the environment at each pull, as 0.18 read them; what the host's
  // configuration says replaces the client's own reading of the environment.
  oci::ClientConfig c = oci::ClientConfig::FromEnvironment();
  c.allowed_insecure = config.allowed_insecure;
  c.allow_latest = config.allow_oci_latest;
  if (!config.oci_ca_file.empty()) c.ca_file = config.oci_ca_file;
  if (!config.oci_cache_dir.empty()) c.cache_dir = config.oci_cache_dir;
  c.connect_timeout = config.oci_connect_timeout;
  c.request_timeout = config.oci_request_timeout;
  c.tag_ttl = config.oci_tag_ttl;
  c.offline = config.oci_offline;
  return c;
}

Result<std::string> CanonicalReference(std::string_view oci_ref) {
  auto parsed = oci::ParseReference(oci_ref);
  if (!parsed.ok()) {
    return InvalidArgument("\"" + std::string(oci_ref) +
                           "\" is not an OCI reference: " + parsed.status().message());
  }
  return parsed->ToString();
}

Result<oci::PulledArtifact> PullArtifact(
    const HostConfig& config, std::string_view oci_ref, oci::ArtifactKind kind,
    std::shared_ptr<const std::atomic<bool>> cancel,
    const std::map<std::string, oci::Credentials>& credentials) {
  const std::string what =
      "cannot pull " + std::string(oci::ArtifactKindName(kind)) + " " + std::string(oci_ref);
  // One client per pull: a client is not thread-safe, and pulls run on callers' threads.
  oci::ClientConfig client_config = OciClientConfig(config);
  client_config.cancel = std::move(cancel);
  for (const auto& [registry, c] : credentials) client_config.credentials[registry] = c;
  oci::Client client(std::move(client_config));
  auto pulled = client.Pull(oci_ref);
  if (!pulled.ok()) {
    // The client's TLS hint names the flag of the `reg` commands; the host's is another.
    std::string message = pulled.status().message();
    constexpr std::string_view kRegFlag = "with --ca-file)";
    if (size_t at = message.find(kRegFlag); at != std::string::npos) {
      message.replace(at, kRegFlag.size(), "with --oci-ca-file)");
    }
    return Status(pulled.status().code(), what + ": " + message);
  }
  auto actual = oci::ArtifactKindOf(pulled->data);
  if (actual.ok() && *actual != kind) {
    return InvalidArgument(what + ": it is " +
                           (*actual == oci::ArtifactKind::kActor
                                ? "an actor (a wasm module), not a provider archive"
                                : "a provider archive, not an actor (a wasm module)"));
  }
  Log(LogLevel::kInfo, kLog,
      "pulled " + std::string(oci::ArtifactKindName(kind)) + " " + pulled->reference + " (" +
          pulled->manifest_digest + ", " + std::to_string(pulled->data.size()) + " bytes, " +
          (pulled->stale        ? "from the cache, stale: the registry could not be reached"
           : pulled->from_cache ? "from the cache"
                                : "from the registry") +
          ")");
  return pulled;
}

namespace {

// The vendor this project's build writes in the claims of the archives it packs
// (cmake/Provider.cmake).
constexpr std::string_view kFirstPartyVendor = "wasmcloud-cpp";

// A provider library, in process or in a supervised child process. `verified`: what
// `library` held when it was verified (an archive's), which a child loads at every start;
// unset (a bare library), a child loads the file at each start.
Result<std::shared_ptr<provider::Provider>> LoadLibrary(
    const HostConfig& config, const std::string& library, std::optional<ByteView> verified,
    std::optional<std::string> contract, const std::string& source, ProviderIsolation isolation,
    bool first_party) {
  if (isolation == ProviderIsolation::kAuto) isolation = config.provider_isolation;
  bool in_process;
  switch (isolation) {
    case ProviderIsolation::kInProcess:
      in_process = true;
      break;
    case ProviderIsolation::kProcess:
      if (config.provider_host_exe.empty()) {
        return FailedPrecondition(source +
                                  ": cannot run the provider in a process of its own: this "
                                  "host has no provider-host executable "
                                  "(HostConfig::provider_host_exe)");
      }
      in_process = false;
      break;
    case ProviderIsolation::kAuto:
    default:
      in_process = first_party || config.provider_host_exe.empty();
      break;
  }
  if (in_process && first_party) return provider::LoadNativeProvider(library, std::move(contract));
  if (in_process) {
    // Said once per start: nothing else tells the operator why a crash of it ended the host.
    Log(LogLevel::kWarn, "host",
        source + ": runs in the host's process (" +
            (isolation == ProviderIsolation::kInProcess ? "isolation: in-process"
                                                        : "no provider-host executable") +
            "): a crash of it ends the host; isolation: process runs it in a supervised child");
    // Not first-party: every call into it runs under a deadline (guarded_provider.h).
    provider::GuardOptions g;
    g.display = source;
    g.call_timeout = config.call_timeout;
    WC_ASSIGN_OR_RETURN(
        std::shared_ptr<provider::Provider> loaded,
        provider::LoadWithDeadline(
            [library, contract]() { return provider::LoadNativeProvider(library, contract); },
            source, g.control_timeout));
    return provider::GuardProvider(std::move(loaded), std::move(g));
  }
  provider::ProcessProviderOptions o;
  o.executable = config.provider_host_exe;
  o.library = library;
  // An archive's library: restarts load the bytes verified, not what the path holds by
  // then (library_copy.h). A bare library (the developer's own file, nothing verified)
  // is loaded from its path at each start, as it is in process: its $ORIGIN (libraries
  // next to it) and its own path (dladdr) stay what they are.
  if (verified) {
    auto copy =
        provider::LibraryCopy::Make(*verified, library.substr(library.find_last_of('/') + 1));
    if (copy.ok()) {
      o.library_copy = std::move(*copy);
    } else {
      // A sandbox that refuses memfds (or no memory for one): the provider still runs, as
      // before there were copies.
      Log(LogLevel::kWarn, "host",
          source + ": " + copy.status().message() + "; its restarts load " + library +
              " as it is then");
    }
  }
  o.contract = std::move(contract);
  o.display = source;
  o.log_level = config.log_level;
  o.call_timeout = config.call_timeout;
  o.seccomp = config.provider_seccomp;
  o.pid_namespace = config.provider_pid_namespace;
  o.dumpable = config.dumpable;
  o.max_memory_mb = config.provider_max_memory_mb;
  o.max_open_files = config.provider_max_open_files;
  if (config.provider_user) {
    o.uid = config.provider_user->uid;
    o.gid = config.provider_user->gid;
  }
  o.hidden_environment = HostOnlyEnvironment();
  Log(LogLevel::kDebug, "host", source + ": running the provider in a child process");
  return provider::LaunchProviderProcess(std::move(o));
}

}  // namespace

std::vector<std::string> HostOnlyEnvironment() {
  std::vector<std::string> names;
  for (const ConfigOption& option : ConfigOptions()) names.emplace_back(option.env);
  // Read outside the option table: registry credentials (the host's, and the one
  // `wasmcloud ctl registry put` sends), the keys of `wasmcloud keys`, experiments with V8.
  for (const char* name :
       {"OCI_REGISTRY_USER", "OCI_REGISTRY_PASSWORD", "WASMCLOUD_OCI_CREDENTIALS",
        "WASMCLOUD_REGISTRY_PASSWORD", "WASMCLOUD_KEYS_DIR", "WASMCLOUD_V8_FLAGS"}) {
    names.emplace_back(name);
  }
  return names;
}

Result<NativeCapability> LoadProviderArchive(const HostConfig& config, ByteView bytes,
                                             const std::string& source, std::string_view link_name,
                                             std::optional<std::string> image_ref,
                                             ProviderIsolation isolation,
                                             const BeforeLoad& before_load) {
  const std::string what = "provider archive " + source;
  auto archive = provider::ReadProviderArchive(bytes);
  if (!archive.ok()) return archive.status().WithContext(what);
  crypto::VerifyOptions verify = crypto::VerifyOptions::ForProvider();
  if (config.lax_key_types) verify = crypto::VerifyOptions{};
  WC_RETURN_IF_ERROR(provider::VerifyProviderArchive(*archive, verify).WithContext(what));
  if (!config.allowed_issuers.empty()) {
    const std::string& issuer = archive->claims.iss;
    if (std::find(config.allowed_issuers.begin(), config.allowed_issuers.end(), issuer) ==
        config.allowed_issuers.end()) {
      return PermissionDenied(what + " is signed by " + issuer +
                              ", which is not an allowed issuer (--allowed-issuer)");
    }
  }
  if (before_load) WC_RETURN_IF_ERROR(before_load(archive->claims.sub));
  std::string target = provider::NativeTarget();
  WC_RETURN_IF_ERROR(EnsurePrivateDirectory(ProviderCacheRoot(), "provider cache"));
  auto library = provider::ExtractForTarget(*archive, target, ProviderCacheRoot());
  if (!library.ok()) return library.status().WithContext(what);
  const bool first_party = archive->claims.wascap->vendor == kFirstPartyVendor;
  auto loaded = LoadLibrary(config, *library, ByteView(archive->binaries.at(target)),
                            archive->claims.wascap->capid, source, isolation, first_party);
  if (!loaded.ok()) {
    if (loaded.status().message().find("not a wasmcloud provider") != std::string::npos) {
      return Status(loaded.status().code(),
                    what + ": its " + target +
                        " library does not implement this host's provider C ABI (wasmcloud "
                        "0.18 providers were Rust trait objects and cannot be loaded here; "
                        "rebuild the provider with sdk/provider): " +
                        loaded.status().message());
    }
    const std::string& capid = archive->claims.wascap->capid;
    if (loaded.status().message().ends_with(", expected " + capid)) {
      return Status(loaded.status().code(),
                    what + ": " + loaded.status().message() + " (the library declares another " +
                        "contract than the archive's claims, `par create --capid " + capid +
                        "`: pack it with the library's)");
    }
    return loaded.status().WithContext(what);
  }
  NativeCapability capability;
  capability.link_name = std::string(link_name);
  capability.provider = std::move(*loaded);
  capability.claims = archive->claims;
  capability.image_ref = std::move(image_ref);
  return capability;
}

Result<NativeCapability> LoadProviderFile(const HostConfig& config, const std::string& path,
                                          std::string_view link_name, ProviderIsolation isolation,
                                          const BeforeLoad& before_load) {
  if (path.ends_with(".par.gz") || path.ends_with(".par")) {
    auto bytes = ReadFile(path);
    if (!bytes.ok()) return bytes.status().WithContext("provider archive " + path);
    return LoadProviderArchive(config, *bytes, path, link_name, std::nullopt, isolation,
                               before_load);
  }
  if (!config.allow_unsigned_providers) {
    return PermissionDenied(path +
                            " is a bare provider library: it has no claims, so nothing says "
                            "who made it; pack it with `wasmcloud par create`, or allow such "
                            "libraries with --allow-unsigned-providers");
  }
  NativeCapability capability;
  capability.link_name = std::string(link_name);
  auto loaded = LoadLibrary(config, path, std::nullopt, std::nullopt, path, isolation, false);
  if (!loaded.ok()) return loaded.status();
  capability.provider = std::move(*loaded);
  return capability;
}

}  // namespace wasmcloud::host
