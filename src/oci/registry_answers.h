// Parsers of what a registry answers, which the client must treat as untrusted bytes: a
// WWW-Authenticate challenge, a token service's answer, an error body, and an image
// manifest (an index or manifest list is refused: wasmCloud artefacts have a single
// manifest). None throws or reads past its input; fuzzed by tests/fuzz/fuzz_oci_answers.cc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::oci {

// A WWW-Authenticate challenge, e.g.
// `Bearer realm="https://a/token",service="reg",scope="repository:x:pull,push"`.
struct Challenge {
  std::string scheme;                         // lowercase: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lowercased, never empty
};
// Anything parses; what is not a parameter is skipped.
Challenge ParseChallenge(std::string_view header);

// The token of a token service's JSON answer ("token", else "access_token"); empty when
// there is none.
std::string TokenFromAnswer(ByteView body);

// The registry's own words from an error body ({"errors":[{"code","message"}]}, or a
// "details"/"error"/"message" string), or else up to 200 printable characters of the
// body; at most 500 bytes, control characters as spaces (it goes into log lines).
std::string RegistryMessage(ByteView body);

// One layer of a manifest.
struct Layer {
  std::string media_type;  // one of the accepted layer media types (client.h)
  std::string digest;      // "sha256:" and 64 lowercase hex digits
  uint64_t size = 0;
};
// The layers of an image manifest (`content_type`: the response's Content-Type, used
// when the document has no mediaType; `what` names the artefact in errors). Errors:
// kMalformed "the manifest of <what> …" or "<what> is a manifest list …" or
// "incompatible layer media type …"; kResourceExhausted when the layers' sizes add up
// to more than `max_total` bytes.
Result<std::vector<Layer>> ParseManifest(ByteView body, const std::string& content_type,
                                         const std::string& what, uint64_t max_total);

}  // namespace wasmcloud::oci
