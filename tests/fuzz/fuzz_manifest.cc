// Fuzz target for host manifests (src/host/manifest.h): any bytes, read as YAML and as
// JSON, must parse or give a kMalformed "<source>:<line>:<col>: ..." error, never crash,
// hang or exhaust the stack (yaml-cpp recurses once per nesting level; the parser
// refuses nesting deeper than kManifestMaxNesting first). What parses has every entry
// located inside the input. Text without "${" is left as it is by expansion.
// No base directory is given, so the file system is never touched.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fuzz_check.h"
#include "host/manifest.h"

namespace {

using namespace wasmcloud;
using namespace wasmcloud::host;

// A fixed environment, so that runs are reproducible: one short value, one that
// changes the line count, one empty.
const char* FuzzEnv(const char* name) {
  if (std::strcmp(name, "A") == 0)
    return "MAP7EXS72YJ5Z6U5AJ6IMYIRVMRJRZJBLVTC6H4E552K7SJDRYBPA3YF";
  if (std::strcmp(name, "NL") == 0) return "x\n  - y\n";
  if (std::strcmp(name, "E") == 0) return "";
  return nullptr;
}

// "<source>:<line>:<col>: " with line and column >= 1.
bool HasLocationPrefix(const std::string& message, std::string_view source) {
  if (message.compare(0, source.size(), source) != 0) return false;
  size_t i = source.size();
  for (int field = 0; field < 2; ++field) {
    if (i >= message.size() || message[i] != ':') return false;
    ++i;
    size_t digits = 0;
    unsigned long value = 0;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9') {
      value = value * 10 + static_cast<unsigned long>(message[i] - '0');
      ++i, ++digits;
      if (digits > 12) return false;
    }
    if (digits == 0 || value == 0) return false;
  }
  return message.compare(i, 2, ": ") == 0;
}

bool Within(const SourceLocation& loc, std::string_view source, size_t lines, size_t size) {
  return loc.file == source && loc.line >= 1 && loc.line <= lines && loc.column >= 1 &&
         loc.column <= size + 1;
}

void Check(std::string_view text, ManifestFormat format, std::string_view source) {
  auto m = ParseManifest(text, format, source, {}, FuzzEnv);
  if (!m.ok()) {
    FUZZ_CHECK(m.status().code() == Code::kMalformed);
    // Errors that come from the text have a location; only an unexpected exception
    // inside the parser gives "<source>: cannot parse the manifest: ...".
    FUZZ_CHECK(HasLocationPrefix(m.status().message(), source) ||
               m.status().message().rfind(std::string(source) + ": cannot parse", 0) == 0);
    return;
  }
  FUZZ_CHECK(m->source == source);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const auto& a : m->actors) {
    FUZZ_CHECK(!a.ref.empty());
    FUZZ_CHECK(Within(a.location, source, lines, text.size()));
  }
  for (const auto& c : m->capabilities) {
    FUZZ_CHECK(!c.image_ref.empty() && !c.link_name.empty());
    FUZZ_CHECK(Within(c.location, source, lines, text.size()));
  }
  for (const auto& l : m->links) {
    // An actor key (M...) or a call alias (not empty, no spaces or control characters);
    // a provider key (V...) or nothing (the host's provider of the contract).
    if (!(l.actor.size() == 56 && l.actor[0] == 'M')) {
      FUZZ_CHECK(!l.actor.empty());
      for (char c : l.actor) FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
    }
    FUZZ_CHECK(l.provider_id.empty() || (l.provider_id.size() == 56 && l.provider_id[0] == 'V'));
    FUZZ_CHECK(!l.contract_id.empty() && !l.link_name.empty());
    FUZZ_CHECK(Within(l.location, source, lines, text.size()));
  }
  for (const auto& [k, v] : m->labels) FUZZ_CHECK(k.rfind("hostcore.", 0) != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.find("${") == std::string_view::npos) {
    FUZZ_CHECK(ExpandEnvironment(text, FuzzEnv) == text);
  }
  Check(text, ManifestFormat::kYaml, "fuzz.yaml");
  Check(text, ManifestFormat::kJson, "fuzz.json");
  return 0;
}
