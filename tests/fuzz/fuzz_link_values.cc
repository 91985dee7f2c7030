// Fuzz target for the parsers of link values and back-end URLs, which reach a provider
// from the lattice (a link definition anyone with lattice access can put): the first
// byte picks the parser; the rest is a Redis URL, or link values as entries separated by
// '\0', each "KEY=VALUE" split at its first '='. Never a crash, and:
//   - keyvalue's Redis URL: a host, a port in 1..65535, a db >= 0; or kInvalidArgument;
//   - messaging's values (NATS URLs, subjects, JWT and seed): every server passes
//     CheckServerUrl, every subscription CheckSubject (wildcards allowed), a JWT only
//     with a seed; or kInvalidArgument;
//   - httpserver's values: an address, a port, limits within their ranges; or
//     kInvalidArgument;
//   - httpclient's values: within the documented ranges; or kInvalidArgument.
// A violated property aborts with a message.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "httpclient/client.h"
#include "httpserver/settings.h"
#include "keyvalue/store.h"
#include "messaging/link_config.h"

namespace {

using namespace wasmcloud;

std::map<std::string, std::string> Values(std::string_view text) {
  std::map<std::string, std::string> values;
  while (!text.empty()) {
    const size_t end = text.find('\0');
    const std::string_view entry = text.substr(0, end);
    const size_t eq = entry.find('=');
    values[std::string(entry.substr(0, eq))] =
        eq == std::string_view::npos ? "" : std::string(entry.substr(eq + 1));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return values;
}

void Redis(std::string_view url) {
  auto a = keyvalue::ParseRedisUrl(url);
  if (!a.ok()) {
    FUZZ_CHECK(a.status().code() == Code::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(!a->host.empty());
  FUZZ_CHECK(a->port >= 1 && a->port <= 65535);
  FUZZ_CHECK(a->db >= 0);
}

void Messaging(const std::map<std::string, std::string>& values) {
  auto c = messaging::ParseLinkConfig(values);
  if (!c.ok()) {
    FUZZ_CHECK(c.status().code() == Code::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(!c->servers.empty());
  for (const auto& s : c->servers) FUZZ_CHECK(messaging::CheckServerUrl(s).ok());
  for (const auto& sub : c->subscriptions) {
    FUZZ_CHECK(messaging::CheckSubject(sub.subject, true, "fuzz").ok());
  }
  FUZZ_CHECK(c->jwt.empty() || !c->seed.empty());
}

void HttpServer(const std::map<std::string, std::string>& values) {
  auto s = httpserver::ParseLinkValues(values);
  if (!s.ok()) {
    FUZZ_CHECK(s.status().code() == Code::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(!s->address.empty());
  FUZZ_CHECK(s->port >= 1);
  FUZZ_CHECK(s->max_body_bytes <= (size_t{1} << 30));
  FUZZ_CHECK(s->max_header_bytes >= 1024 && s->max_header_bytes <= (size_t{1} << 20));
  FUZZ_CHECK(s->read_timeout.count() >= 1 && s->read_timeout.count() <= 3600000);
  FUZZ_CHECK(!s->Endpoint().empty());
}

void HttpClient(const std::map<std::string, std::string>& values) {
  auto s = httpclient::ParseClientSettings(values);
  if (!s.ok()) {
    FUZZ_CHECK(s.status().code() == Code::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(s->timeout.count() >= 1 && s->timeout.count() <= 3600000);
  FUZZ_CHECK(s->max_redirects >= 0 && s->max_redirects <= 100);
  FUZZ_CHECK(s->max_response_bytes <= (uint64_t{1} << 30));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      Redis(text);
      break;
    case 1:
      Messaging(Values(text));
      break;
    case 2:
      HttpServer(Values(text));
      break;
    default:
      HttpClient(Values(text));
      break;
  }
  return 0;
}
