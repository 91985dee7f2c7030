#include "oci/credentials.h"

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/encoding.h"

namespace wasmcloud::oci {
namespace {

// "https://index.docker.io/v1/" -> "index.docker.io"; "127.0.0.1:5000" stays.
std::string HostOfKey(std::string key) {
  if (size_t scheme = key.find("://"); scheme != std::string::npos) key = key.substr(scheme + 3);
  if (size_t slash = key.find('/'); slash != std::string::npos) key = key.substr(0, slash);
  return key;
}

bool SameRegistry(const std::string& key_host, const std::string& registry) {
  if (key_host == registry) return true;
  auto docker = [](const std::string& h) {
    return h == "docker.io" || h == "index.docker.io" || h == "registry-1.docker.io";
  };
  return docker(key_host) && docker(registry);
}

}  // namespace

Result<std::optional<Credentials>> CredentialsFromFile(const std::string& path,
                                                       const std::string& registry) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    return InvalidArgument("cannot read the credentials file " + path + ": " +
                           text.status().message());
  }
  nlohmann::json doc = nlohmann::json::parse(text->begin(), text->end(), nullptr, false);
  auto bad = [&](const std::string& why) {
    return InvalidArgument("the credentials file " + path + " " + why +
                           " (expected {\"auths\": {\"host:port\": {\"auth\": "
                           "\"<base64 of user:password>\"}}})");
  };
  if (doc.is_discarded() || !doc.is_object()) return bad("is not a JSON object");
  auto auths = doc.find("auths");
  if (auths == doc.end()) return std::optional<Credentials>();
  if (!auths->is_object()) return bad("has an \"auths\" that is not an object");
  for (const auto& [key, entry] : auths->items()) {
    if (!SameRegistry(HostOfKey(key), registry)) continue;
    if (!entry.is_object()) return bad("has an entry for " + key + " that is not an object");
    Credentials c;
    auto user = entry.find("username");
    auto pass = entry.find("password");
    auto auth = entry.find("auth");
    if (user != entry.end() && user->is_string() && pass != entry.end() && pass->is_string()) {
      c.username = user->get<std::string>();
      c.password = pass->get<std::string>();
    } else if (auth != entry.end() && auth->is_string()) {
      auto decoded = Base64Decode(auth->get<std::string>());
      if (!decoded.ok()) return bad("has an \"auth\" for " + key + " that is not base64");
      std::string pair(AsChars(*decoded));
      size_t colon = pair.find(':');
      if (colon == std::string::npos) {
        return bad("has an \"auth\" for " + key + " that is not user:password");
      }
      c.username = pair.substr(0, colon);
      c.password = pair.substr(colon + 1);
    } else {
      continue;  // e.g. only "identitytoken" or a credential helper: not ours
    }
    return std::optional<Credentials>(std::move(c));
  }
  return std::optional<Credentials>();
}

Result<std::optional<Credentials>> CredentialsFor(const ClientConfig& config,
                                                  const std::string& registry) {
  if (auto it = config.credentials.find(registry); it != config.credentials.end()) {
    return std::optional<Credentials>(it->second);
  }
  if (config.env_credentials) return config.env_credentials;
  if (!config.credentials_file.empty()) {
    return CredentialsFromFile(config.credentials_file, registry);
  }
  return std::optional<Credentials>();
}

}  // namespace wasmcloud::oci
