// Where registry credentials come from (docs/oci.md#credentials). Internal to src/oci.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "oci/client.h"

namespace wasmcloud::oci {

// The credentials for `registry` from `config`: the explicit map, then the environment
// pair, then the credentials file. nullopt: anonymous. Errors: a credentials file that
// cannot be read or does not parse (kInvalidArgument, naming the file).
Result<std::optional<Credentials>> CredentialsFor(const ClientConfig& config,
                                                  const std::string& registry);

// Reads Docker's config.json shape: {"auths": {"<registry>": {"auth": base64("user:pass")}
// or {"username": .., "password": ..}}}; keys may carry a scheme and a path
// ("https://index.docker.io/v1/"). nullopt when the file has no entry for `registry`.
Result<std::optional<Credentials>> CredentialsFromFile(const std::string& path,
                                                       const std::string& registry);

}  // namespace wasmcloud::oci
