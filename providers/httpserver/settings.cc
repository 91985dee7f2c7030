#include "httpserver/settings.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "core/text.h"

namespace wasmcloud::httpserver {
namespace {

// A whole decimal number in [min, max], the whole text and nothing else.
Result<uint64_t> ParseNumber(const std::string& key, const std::string& text, uint64_t min,
                             uint64_t max) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) {
    return InvalidArgument("link value " + key + "=\"" + text +
                           "\": expected a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max));
  }
  return value;
}

bool IsIpAddress(const std::string& text) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

}  // namespace

std::string ListenerSettings::Endpoint() const {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

Result<ListenerSettings> ParseLinkValues(const std::map<std::string, std::string>& values) {
  ListenerSettings s;
  auto given = [&](const char* key) -> const std::string* {
    auto it = values.find(key);
    return it == values.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const std::string* bind = given("BIND")) {
    return InvalidArgument("link value BIND=\"" + *bind +
                           "\" is not supported by this provider: use PORT and ADDRESS");
  }
  if (const std::string* v = given("PORT")) {
    WC_ASSIGN_OR_RETURN(uint64_t port, ParseNumber("PORT", *v, 1, 65535));
    s.port = static_cast<uint16_t>(port);
  }
  if (const std::string* v = given("ADDRESS")) {
    if (!IsIpAddress(*v)) {
      return InvalidArgument("link value ADDRESS=\"" + *v +
                             "\": expected an IPv4 or IPv6 address such as 0.0.0.0 or ::1");
    }
    s.address = *v;
  }
  if (const std::string* v = given("MAX_BODY_BYTES")) {
    WC_ASSIGN_OR_RETURN(s.max_body_bytes, ParseNumber("MAX_BODY_BYTES", *v, 0, 1ull << 30));
  }
  if (const std::string* v = given("MAX_HEADER_BYTES")) {
    WC_ASSIGN_OR_RETURN(s.max_header_bytes, ParseNumber("MAX_HEADER_BYTES", *v, 1024, 1 << 20));
  }
  if (const std::string* v = given("READ_TIMEOUT_MS")) {
    WC_ASSIGN_OR_RETURN(uint64_t ms, ParseNumber("READ_TIMEOUT_MS", *v, 1, 3600000));
    s.read_timeout = std::chrono::milliseconds(ms);
  }
  if (const std::string* v = given("MAX_CONNECTIONS")) {
    WC_ASSIGN_OR_RETURN(s.max_connections, ParseNumber("MAX_CONNECTIONS", *v, 1, 1000000));
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> MisspeltLinkKeys(
    const std::map<std::string, std::string>& values) {
  // The keys ParseLinkValues reads.
  static constexpr std::string_view kKeys[] = {
      "PORT",           "ADDRESS", "MAX_BODY_BYTES", "MAX_HEADER_BYTES", "READ_TIMEOUT_MS",
      "MAX_CONNECTIONS"};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : values) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys)) continue;
    const std::string lower = AsciiLower(key);
    for (std::string_view known : kKeys) {
      if (lower == AsciiLower(known) ||
          (key.size() >= 4 && EditDistance(lower, AsciiLower(known)) == 1)) {
        out.emplace_back(key, std::string(known));
        break;
      }
    }
  }
  return out;
}

size_t MaxConnections(const ListenerSettings& settings) {
  if (settings.max_connections > 0) return settings.max_connections;
  // Read once (a session asks at every accept); the process's limit does not change.
  static const size_t kDefault = [] {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 10000ul;
    return std::clamp<size_t>(static_cast<size_t>(limit.rlim_cur / 2), 64, 10000);
  }();
  return kDefault;
}

}  // namespace wasmcloud::httpserver
