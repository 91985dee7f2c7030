// Host manifests (§8.1 of the protocol fact sheet): labels, actors, capabilities and
// links to apply to a host, written in YAML or JSON, with ${VAR} and ${VAR:default}
// expansion. Parsing checks the whole document before anything is applied, so a bad
// manifest changes nothing; every error says file, line, column and what was expected.
#pragma once

#include <cstddef>
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
};

struct ManifestLink {
  std::string actor;        // actor public key (M...) or call alias
  std::string contract_id;  // e.g. "wasmcloud:keyvalue"
  std::string provider_id;  // provider public key (V...)
  std::string link_name = "default";
  std::map<std::string, std::string> values;
  SourceLocation location;
};

struct Manifest {
  std::string source;  // the file name (or "<text>")
  std::map<std::string, std::string> labels;
  std::vector<ManifestActor> actors;
  std::vector<ManifestCapability> capabilities;
  std::vector<ManifestLink> links;
};

enum class ManifestFormat { kYaml, kJson };

// The format a file name implies: .yaml/.yml (any case) or no extension → YAML;
// anything else → JSON (as 0.18).
ManifestFormat FormatForPath(std::string_view path);

// Environment lookup for ${VAR} expansion: the value, or nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Replaces ${VAR} and ${VAR:default} in `text`; a bare $VAR is left alone, and so is
// ${VAR} when VAR is unset and there is no default (as envmnt does for 0.18).
std::string ExpandEnvironment(std::string_view text, const EnvLookup& env);

// Expands ${VAR} in `text` with `env` (the process environment when empty), then
// parses it. `source` names the manifest in errors and
// becomes Manifest::source; relative actor and capability paths are resolved against
// `base_dir` when it is not empty. Errors are kMalformed "<source>:<line>:<col>: <what
// was expected>".
Result<Manifest> ParseManifest(std::string_view text, ManifestFormat format,
                               std::string_view source, std::string_view base_dir = {},
                               const EnvLookup& env = {});

// Reads, expands (with `env`, or the process environment when empty) and parses a
// manifest file; relative paths in it are resolved against the file's directory.
Result<Manifest> LoadManifest(const std::string& path, const EnvLookup& env = {});

}  // namespace wasmcloud::host
