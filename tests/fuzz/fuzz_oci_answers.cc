// Fuzz target for the parsers of what a registry answers (src/oci/registry_answers.h):
// the first byte picks the parser, the rest is the registry's bytes. Never a crash, and:
//   - a WWW-Authenticate challenge: the scheme is lowercase without blanks; parameter
//     names are non-empty, lowercase, without blanks, '=' or ',';
//   - a token service's answer: a token is a string of the JSON object, else empty;
//   - an error body: at most 500 bytes, no control characters, no trailing blank;
//   - a manifest: either its layers (each an accepted media type with a sha256 digest,
//     their sizes adding up to at most the limit) or kMalformed / kResourceExhausted
//     naming the artefact.
// A violated property aborts with a message.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "oci/client.h"
#include "oci/reference.h"
#include "oci/registry_answers.h"

namespace {

using namespace wasmcloud;

constexpr uint64_t kLimit = 1 << 20;

bool Lower(char c) { return !(c >= 'A' && c <= 'Z'); }

void Challenge(std::string_view text) {
  const oci::Challenge c = oci::ParseChallenge(text);
  for (char ch : c.scheme) FUZZ_CHECK(ch != ' ' && Lower(ch));
  for (const auto& [name, value] : c.params) {
    FUZZ_CHECK(!name.empty());
    for (char ch : name) FUZZ_CHECK(ch != ' ' && ch != '=' && ch != ',' && Lower(ch));
    FUZZ_CHECK(value.size() <= text.size());
  }
}

void Manifest(ByteView body) {
  auto layers = oci::ParseManifest(body, "application/vnd.oci.image.manifest.v1+json",
                                   "fuzz/artefact:1", kLimit);
  if (!layers.ok()) {
    FUZZ_CHECK(layers.status().code() == Code::kMalformed ||
               layers.status().code() == Code::kResourceExhausted);
    FUZZ_CHECK(layers.status().message().find("fuzz/artefact:1") != std::string::npos ||
               layers.status().message().starts_with("incompatible layer media type "));
    return;
  }
  FUZZ_CHECK(!layers->empty());
  uint64_t total = 0;
  for (const auto& l : *layers) {
    FUZZ_CHECK(l.media_type == oci::kWasmLayerMediaType ||
               l.media_type == oci::kProviderLayerMediaType ||
               l.media_type == oci::kOciTarLayerMediaType);
    FUZZ_CHECK(oci::IsSha256Digest(l.digest));
    FUZZ_CHECK(l.size <= kLimit);
    total += l.size;
    FUZZ_CHECK(total <= kLimit);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteView rest(data + 1, size - 1);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      Challenge(text);
      break;
    case 1: {
      const std::string token = oci::TokenFromAnswer(rest);
      FUZZ_CHECK(token.size() <= rest.size());
      break;
    }
    case 2: {
      const std::string message = oci::RegistryMessage(rest);
      FUZZ_CHECK(message.size() <= 500);
      for (char c : message) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
      FUZZ_CHECK(message.empty() || message.back() != ' ');
      break;
    }
    default:
      Manifest(rest);
      break;
  }
  return 0;
}
