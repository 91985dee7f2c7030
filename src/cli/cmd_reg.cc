// `wasmcloud reg push`, `wasmcloud reg pull` and `wasmcloud drain`: actors and provider
// archives in OCI registries, and the local caches (docs/oci.md).
// Exit codes: 0 ok; 1 the registry failed or refused (unreachable, unauthorised, not
// found, digest mismatch, ...); 2 bad arguments or unusable input (a bad reference, a
// refused :latest, a file that cannot be read or written, content that is neither an
// actor nor a provider archive).
#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/io.h"
#include "host/host_config.h"
#include "oci/cache.h"
#include "oci/client.h"

namespace wasmcloud::cli {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kPush = "reg push";
constexpr std::string_view kPull = "reg pull";
constexpr std::string_view kDrain = "drain";

// The flags push and pull share.
struct RegistryFlags {
  std::vector<std::string> allowed_insecure;
  bool allow_latest = false;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::optional<std::string> credentials_file;
  std::optional<std::string> ca_file;
  double timeout_seconds = 300;
  double connect_timeout_seconds = 10;

  void Register(CLI::App& cmd) {
    cmd.add_option("--allowed-insecure", allowed_insecure,
                   "a registry (HOST[:PORT], exactly as in references) reached over plain HTTP; "
                   "repeatable. Also WASMCLOUD_OCI_ALLOWED_INSECURE (comma-separated)");
    cmd.add_flag("--allow-oci-latest", allow_latest, "allow references tagged :latest");
    cmd.add_option("-u,--user", user,
                   "registry user name (default: OCI_REGISTRY_USER, then the credentials file)");
    cmd.add_option("-p,--password", password, "registry password (default: OCI_REGISTRY_PASSWORD)");
    cmd.add_option("--credentials", credentials_file,
                   "a Docker config.json-style credentials file (default: "
                   "WASMCLOUD_OCI_CREDENTIALS)");
    cmd.add_option("--ca-file", ca_file,
                   "PEM file of CA certificates trusted in addition to the system's");
    cmd.add_option("--timeout", timeout_seconds,
                   "seconds each registry request may take (default 300)")
        ->check(CLI::PositiveNumber);
    cmd.add_option("--connect-timeout", connect_timeout_seconds,
                   "seconds to wait for a connection (default 10)")
        ->check(CLI::PositiveNumber);
  }

  // The client configuration: the environment, then these flags over it.
  Result<oci::ClientConfig> Config(const oci::Reference& ref) const {
    if (user.has_value() != password.has_value()) {
      return InvalidArgument("--user and --password go together");
    }
    oci::ClientConfig c = oci::ClientConfig::FromEnvironment();
    c.allowed_insecure.insert(c.allowed_insecure.end(), allowed_insecure.begin(),
                              allowed_insecure.end());
    c.allow_latest = allow_latest;
    if (user) c.credentials[ref.registry] = oci::Credentials{*user, *password};
    if (credentials_file) c.credentials_file = *credentials_file;
    if (ca_file) c.ca_file = *ca_file;
    auto ms = [](double s) {
      return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(s * 1000)));
    };
    c.request_timeout = ms(timeout_seconds);
    c.connect_timeout = std::min(ms(connect_timeout_seconds), c.request_timeout);
    return c;
  }
};

void PrintJson(const Json& j) {
  std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
}

void Row(const std::string& label, const std::string& value) {
  std::cout << "  " << label << std::string(label.size() < 12 ? 12 - label.size() : 1, ' ') << value
            << "\n";
}

// Bad arguments and unusable input are 2; what the registry did is 1.
int ExitCodeOf(const Status& s) { return s.code() == Code::kInvalidArgument ? 2 : 1; }

int Fail(std::string_view command, bool json, const Status& s) {
  if (json) PrintJson(Json{{"error", s.message()}, {"code", std::string(CodeName(s.code()))}});
  PrintError(command, s.message());
  return ExitCodeOf(s);
}

// --- push ----------------------------------------------------------------------------------

struct PushOptions {
  std::string reference;
  std::string file;
  std::string output = "text";
  RegistryFlags flags;
};

int RunPush(const PushOptions& o) {
  const bool json = o.output == "json";
  auto ref = oci::ParseReference(o.reference);
  if (!ref.ok()) return Fail(kPush, json, ref.status());
  auto config = o.flags.Config(*ref);
  if (!config.ok()) return Fail(kPush, json, config.status());
  auto data = ReadFile(o.file);
  if (!data.ok()) return Fail(kPush, json, InvalidArgument(data.status().message()));
  if (auto kind = oci::ArtifactKindOf(*data); !kind.ok()) {
    return Fail(kPush, json, InvalidArgument(o.file + " is " + kind.status().message()));
  }
  oci::Client client(*config);
  auto pushed = client.Push(*ref, *data);
  if (!pushed.ok()) return Fail(kPush, json, pushed.status());
  std::string media_type(pushed->kind == oci::ArtifactKind::kActor ? oci::kWasmLayerMediaType
                                                                   : oci::kProviderLayerMediaType);
  if (json) {
    PrintJson(Json{{"reference", pushed->reference},
                   {"digest", pushed->manifest_digest},
                   {"kind", std::string(oci::ArtifactKindName(pushed->kind))},
                   {"layer_digest", pushed->layer_digest},
                   {"media_type", media_type},
                   {"size", pushed->size}});
  } else {
    std::cout << "Pushed " << o.file << " to " << pushed->reference << " ("
              << oci::ArtifactKindName(pushed->kind) << ", " << pushed->size << " bytes)\n";
    Row("Digest", pushed->manifest_digest);
    Row("Layer", pushed->layer_digest + " " + media_type);
    std::cout.flush();
  }
  return 0;
}

// --- pull ----------------------------------------------------------------------------------

struct PullOptions {
  std::string reference;
  std::string destination;
  std::string format = "text";
  bool no_cache = false;
  RegistryFlags flags;
};

int RunPull(const PullOptions& o) {
  const bool json = o.format == "json";
  auto ref = oci::ParseReference(o.reference);
  if (!ref.ok()) return Fail(kPull, json, ref.status());
  auto config = o.flags.Config(*ref);
  if (!config.ok()) return Fail(kPull, json, config.status());
  if (o.no_cache) config->cache_dir.clear();
  oci::Client client(*config);
  auto pulled = client.Pull(*ref);
  if (!pulled.ok()) return Fail(kPull, json, pulled.status());
  if (Status s = WriteFile(o.destination, pulled->data, 0644); !s.ok()) {
    return Fail(kPull, json, InvalidArgument(s.message()));
  }
  if (json) {
    PrintJson(Json{{"reference", pulled->reference},
                   {"digest", pulled->manifest_digest},
                   {"file", o.destination},
                   {"size", pulled->data.size()},
                   {"media_type", pulled->media_type},
                   {"from_cache", pulled->from_cache}});
  } else {
    std::cout << "Pulled " << pulled->reference << " to " << o.destination << " ("
              << pulled->data.size() << " bytes, "
              << (pulled->from_cache ? "from the cache" : "from the registry") << ")\n";
    Row("Digest", pulled->manifest_digest);
    Row("Media type", pulled->media_type);
    std::cout.flush();
  }
  return 0;
}

// --- drain ---------------------------------------------------------------------------------

struct DrainOptions {
  bool oci = false;
  bool providers = false;
  bool code = false;
  std::string output = "text";
};

int RunDrain(const DrainOptions& o) {
  const bool all = !o.oci && !o.providers && !o.code;
  std::vector<std::pair<std::string, std::string>> dirs;  // what, path
  if (all || o.oci) dirs.emplace_back("oci", oci::DefaultCacheDir());
  if (all || o.providers) dirs.emplace_back("providers", oci::DefaultProviderCacheDir());
  if (all || o.code) dirs.emplace_back("code", host::DefaultCodeCacheDir());
  Json report = Json::array();
  int rc = 0;
  for (const auto& [what, path] : dirs) {
    auto removed = oci::RemoveDirectory(path);
    if (!removed.ok()) {
      PrintError(kDrain, removed.status().message());
      report.push_back({{"cache", what}, {"path", path}, {"error", removed.status().message()}});
      rc = 1;
      continue;
    }
    report.push_back({{"cache", what},
                      {"path", path},
                      {"existed", removed->existed},
                      {"files", removed->files},
                      {"bytes", removed->bytes}});
    if (o.output != "json") {
      if (removed->existed) {
        std::cout << "Removed " << path << " (" << removed->files << " files, " << removed->bytes
                  << " bytes)\n";
      } else {
        std::cout << "Nothing to remove at " << path << "\n";
      }
    }
  }
  if (o.output == "json") PrintJson(Json{{"drained", report}});
  std::cout.flush();
  return rc;
}

}  // namespace

void AddRegCommands(CLI::App& app, int* exit_code) {
  CLI::App* reg =
      app.add_subcommand("reg", "Push and pull actors and provider archives to OCI registries");
  reg->require_subcommand(1);

  auto po = std::make_shared<PushOptions>();
  CLI::App* push = reg->add_subcommand(
      "push", "Push an actor (.wasm) or a provider archive (.par.gz) to a registry");
  push->add_option("REF", po->reference, "where to: [registry[:port]/]repository:tag")->required();
  push->add_option("FILE", po->file, "the artefact; its kind is read from its content")->required();
  AddFormatOption(*push, &po->output);
  po->flags.Register(*push);
  push->callback([po, exit_code] { *exit_code = RunPush(*po); });

  auto lo = std::make_shared<PullOptions>();
  CLI::App* pull =
      reg->add_subcommand("pull", "Pull an actor or a provider archive from a registry");
  pull->add_option("REF", lo->reference, "what: [registry[:port]/]repository[:tag][@sha256:digest]")
      ->required();
  pull->add_option("-d,--destination", lo->destination, "the file to write")->required();
  AddFormatOption(*pull, &lo->format, /*writes_file=*/true);
  pull->add_flag("--no-cache", lo->no_cache,
                 "neither read nor fill the cache ($TMPDIR/wasmcloud_ocicache)");
  lo->flags.Register(*pull);
  pull->callback([lo, exit_code] { *exit_code = RunPull(*lo); });

  auto dr = std::make_shared<DrainOptions>();
  CLI::App* drain = app.add_subcommand(
      "drain",
      "Empty the caches: pulled artefacts, unpacked provider libraries, compiled actor code");
  drain->add_flag("--oci", dr->oci, "only $TMPDIR/wasmcloud_ocicache (pulled artefacts)");
  drain->add_flag("--providers", dr->providers,
                  "only $TMPDIR/wasmcloudcache (unpacked provider libraries)");
  drain->add_flag("--code", dr->code,
                  "only the compiled-code cache ($XDG_CACHE_HOME/wasmcloud/code, else "
                  "~/.cache/wasmcloud/code)");
  AddFormatOption(*drain, &dr->output);
  drain->callback([dr, exit_code] { *exit_code = RunDrain(*dr); });
}

}  // namespace wasmcloud::cli
