#include "oci/registry_answers.h"

#include <nlohmann/json.hpp>

#include <cctype>

#include "oci/client.h"
#include "oci/reference.h"

namespace wasmcloud::oci {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxMessage = 500;  // bytes of a registry's message kept

Challenge ParseChallenge(std::string_view header) {
  Challenge c;
  size_t i = 0;
  while (i < header.size() && header[i] == ' ') ++i;
  while (i < header.size() && header[i] != ' ') {
    c.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(header[i])));
    ++i;
  }
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    std::string name;
    while (i < header.size() && header[i] != '=' && header[i] != ',') {
      if (header[i] != ' ') {
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(header[i])));
      }
      ++i;
    }
    if (i >= header.size() || header[i] != '=') continue;
    ++i;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i++];
      }
      ++i;  // the closing quote
    } else {
      while (i < header.size() && header[i] != ',') value += header[i++];
      while (!value.empty() && value.back() == ' ') value.pop_back();
    }
    if (!name.empty()) c.params[name] = value;
  }
  return c;
}

std::string TokenFromAnswer(ByteView body) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr, false);
  std::string token;
  if (!doc.is_discarded() && doc.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      if (token.empty() && doc.contains(key) && doc[key].is_string()) token = doc[key];
    }
  }
  return token;
}

std::string RegistryMessage(ByteView body) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr, false);
  std::string out;
  if (!doc.is_discarded() && doc.is_object()) {
    auto errors = doc.find("errors");
    if (errors != doc.end() && errors->is_array()) {
      for (const auto& e : *errors) {
        if (!e.is_object()) continue;
        // Strings only: a registry's "code": 5 must not throw.
        auto text = [&e](const char* key) {
          auto it = e.find(key);
          return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        const std::string code = text("code");
        const std::string message = text("message");
        if (!out.empty()) out += "; ";
        out += code.empty() ? message : (message.empty() ? code : code + ": " + message);
      }
    }
    for (const char* key : {"details", "error", "message"}) {
      if (out.empty() && doc.contains(key) && doc[key].is_string())
        out = doc[key].get<std::string>();
    }
  }
  if (out.empty()) {
    for (uint8_t c : body) {
      if (out.size() >= 200) break;
      out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : ' ';
    }
  }
  // It goes into error messages and log lines: no control characters (a line break
  // would let a registry write a line of its own into the host's log), and bounded.
  if (out.size() > kMaxMessage) out.resize(kMaxMessage);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Result<std::vector<Layer>> ParseManifest(ByteView body, const std::string& content_type,
                                         const std::string& what, uint64_t max_total) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Malformed("the manifest of " + what + " is not a JSON object");
  }
  std::string media_type = doc.contains("mediaType") && doc["mediaType"].is_string()
                               ? doc["mediaType"].get<std::string>()
                               : content_type.substr(0, content_type.find(';'));
  if (media_type == kDockerManifestListMediaType || media_type == kOciIndexMediaType ||
      doc.contains("manifests")) {
    return Malformed(what + " is a manifest list (" + media_type +
                     "), not one artefact: wasmCloud artefacts have a single manifest");
  }
  if (!doc.contains("schemaVersion") || doc["schemaVersion"] != 2) {
    return Malformed("the manifest of " + what + " does not have schemaVersion 2");
  }
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array() || layers->empty()) {
    return Malformed("the manifest of " + what + " has no layers");
  }
  std::vector<Layer> out;
  uint64_t total = 0;
  for (const auto& l : *layers) {
    if (!l.is_object() || !l.contains("mediaType") || !l["mediaType"].is_string() ||
        !l.contains("digest") || !l["digest"].is_string() || !l.contains("size") ||
        !l["size"].is_number_unsigned()) {
      return Malformed("the manifest of " + what +
                       " has a layer without a mediaType, digest or size");
    }
    Layer layer{l["mediaType"], l["digest"], l["size"]};
    if (layer.media_type != kWasmLayerMediaType && layer.media_type != kProviderLayerMediaType &&
        layer.media_type != kOciTarLayerMediaType) {
      return Malformed("incompatible layer media type " + layer.media_type + " in " + what +
                       " (accepted: " + std::string(kWasmLayerMediaType) + ", " +
                       std::string(kProviderLayerMediaType) + ", " +
                       std::string(kOciTarLayerMediaType) + ")");
    }
    if (!IsSha256Digest(layer.digest)) {
      return Malformed("the manifest of " + what +
                       " has a layer digest that is not sha256: " + layer.digest.substr(0, 100));
    }
    total += layer.size;
    if (layer.size > max_total || total > max_total) {
      return ResourceExhausted(what + " is larger than the limit of " + std::to_string(max_total) +
                               " bytes");
    }
    out.push_back(std::move(layer));
  }
  return out;
}

}  // namespace wasmcloud::oci
