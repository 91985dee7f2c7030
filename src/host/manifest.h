// Host manifests (§8.1 of the protocol fact sheet): labels, actors, capabilities and
// links to apply to a host, written in YAML or JSON, with ${VAR} and ${VAR:default}
// expansion. Parsing checks the whole document before anything is applied, so a bad
// manifest changes nothing; every error says file, line, column and what was expected.
// docs/manifest.md has the format, the rules and where they are stricter than 0.18.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace wasmcloud::host {

// Where an entry was written: "demo.yaml:12:5".
struct SourceLocation {
  std::string file;
  size_t line = 0;    // 1-based
  size_t column = 0;  // 1-based
  std::string ToString() const;
};

struct ManifestActor {
  std::string ref;  // a file path (relative paths are relative to the manifest) or an OCI reference
  SourceLocation location;
};

struct ManifestCapability {
  std::string image_ref;  // a path to a provider .so / .par.gz, or an OCI reference
  std::string link_name = "default";
  SourceLocation location;
  // Where its library runs: "process", "in-process", or empty (the host's
  // --provider-isolation). Checked by the parser.
  std::string isolation;
};

struct ManifestLink {
  // An actor public key (M..., checked) or the call alias of an actor (0.18 took keys
  // only); the host resolves an alias when it applies the manifest.
  std::string actor;
  std::string contract_id;  // e.g. "wasmcloud:keyvalue"
  // A provider public key (V..., checked), or empty when not written: the host links to
  // the provider it runs for contract_id and link_name (0.18 required the key).
  std::string provider_id;
  std::string link_name = "default";          // also when written empty or blank
  std::map<std::string, std::string> values;  // scalars as written: `PORT: 8080` is "8080"
  SourceLocation location;
};

struct Manifest {
  std::string source;  // the file name (or "<text>" when ParseManifest got no source)
  // hostcore.* keys are refused (the host sets them).
  std::map<std::string, std::string> labels;
  std::vector<ManifestActor> actors;
  std::vector<ManifestCapability> capabilities;
  std::vector<ManifestLink> links;
};

enum class ManifestFormat { kYaml, kJson };

// Collections nested deeper than this are refused before the parser descends further
// (a manifest needs 4: top map, links, a link, its values), so that hostile input such
// as "[[[[..." cannot exhaust the stack.
inline constexpr size_t kManifestMaxNesting = 32;

// The format a file name implies: .yaml/.yml (any case) or no extension → YAML;
// anything else → JSON (as 0.18).
ManifestFormat FormatForPath(std::string_view path);

// Environment lookup for ${VAR} expansion: the value, or nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Replaces ${VAR} and ${VAR:default} in `text` (VAR is [A-Za-z_][A-Za-z0-9_]*; the
// default runs to the first '}' and may be empty; a set but empty VAR gives ""). A bare
// $VAR is left alone, and so are ${VAR} when VAR is unset and there is no default, and
// an unterminated "${VAR:..." (as envmnt does for 0.18). Values are inserted as they are
// and not expanded again. `env` empty → the process environment.
std::string ExpandEnvironment(std::string_view text, const EnvLookup& env);

// Expands ${VAR} in `text` with `env` (the process environment when empty), then
// parses it. `source` names the manifest in errors and becomes Manifest::source
// ("<text>" when empty). A relative actor ref or capability image_ref becomes
// base_dir/ref when `base_dir` is not empty and that is an existing file; otherwise it
// is kept as written (an OCI reference, or a path for the host to try). An empty
// document is an empty manifest. Errors are kMalformed "<source>:<line>:<col>: <what was
// expected / found>", with the 1-based line and byte column of the text as written
// (before expansion); the first error found is the one returned.
Result<Manifest> ParseManifest(std::string_view text, ManifestFormat format,
                               std::string_view source, std::string_view base_dir = {},
                               const EnvLookup& env = {});

// Reads, expands (with `env`, or the process environment when empty) and parses a
// manifest file (format by FormatForPath, source = `path` as given); relative paths in
// it are resolved against the file's directory. A file that cannot be read gives
// ReadFile's error, which names the path (kNotFound when it does not exist).
// A manifest file larger than kMaxManifestBytes is refused (kResourceExhausted) unread.
inline constexpr uint64_t kMaxManifestBytes = 16ull << 20;
Result<Manifest> LoadManifest(const std::string& path, const EnvLookup& env = {});

}  // namespace wasmcloud::host
