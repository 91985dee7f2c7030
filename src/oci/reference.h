// OCI image references: `[registry[:port]/]repository[:tag][@sha256:<64 hex>]`, parsed and
// validated with the grammar of the distribution project (docs/oci.md#references).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace wasmcloud::oci {

// The registry a reference without one names, as Docker and the oci-distribution crate do.
inline constexpr std::string_view kDefaultRegistry = "docker.io";

struct Reference {
  // "127.0.0.1:5000", "wasmcloud.azurecr.io", "[::1]:5000", "docker.io". Compared exactly
  // with the allowed-insecure list.
  std::string registry;
  // Slash-separated lowercase components: "echo", "wasmcloud/echo", "library/redis".
  std::string repository;
  // The tag; "latest" when the text gave neither a tag nor a digest (`implicit_tag`).
  // Empty when only a digest was given.
  std::string tag;
  bool implicit_tag = false;
  // "sha256:<64 lowercase hex>", or empty.
  std::string digest;

  // The canonical text: "registry/repository[:tag][@digest]" (an implicit tag is written).
  std::string ToString() const;
  // What the manifest is fetched by: the digest when there is one, else the tag.
  const std::string& TagOrDigest() const { return digest.empty() ? tag : digest; }
  // The host[:port] the HTTP API is served on: "registry-1.docker.io" for docker.io.
  std::string ApiHost() const;
};

// Parses and validates a reference. Rules (those of docker/distribution's `reference`):
//  - the first '/'-component is the registry when it contains '.' or ':' or is
//    "localhost"; otherwise the registry is docker.io, and a one-component repository
//    there gets the "library/" prefix ("redis" -> docker.io/library/redis);
//  - repository components are [a-z0-9]+ joined by '.', '_', "__" or runs of '-', the
//    whole repository at most 255 characters;
//  - a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
//  - a digest is "sha256:" and 64 hex digits (lowercase; other algorithms are refused);
//  - no scheme ("https://..."), no whitespace, at most 4096 characters in all.
// Errors: kInvalidArgument, naming the reference and what is wrong with it.
Result<Reference> ParseReference(std::string_view text);

// Whether `digest` is "sha256:" followed by 64 lowercase hex digits.
bool IsSha256Digest(std::string_view digest);

}  // namespace wasmcloud::oci
