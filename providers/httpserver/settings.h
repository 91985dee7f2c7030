// The settings of one actor's HTTP listener, read from the link's values (docs/httpserver.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace wasmcloud::httpserver {

struct ListenerSettings {
  // ADDRESS: an IPv4 or IPv6 address (no host names). Loopback unless told otherwise, as a
  // development host should (0.18 listened on 0.0.0.0).
  std::string address = "127.0.0.1";
  uint16_t port = 8080;                // PORT (0.18's default); 0 (only from code) = any free port
  size_t max_body_bytes = 1 << 20;     // MAX_BODY_BYTES: a larger body is answered 413
  size_t max_header_bytes = 16 << 10;  // MAX_HEADER_BYTES: request line + headers, else 431
  // READ_TIMEOUT_MS: a request must arrive whole within this time of its first byte being
  // awaited (and an idle keep-alive connection is closed after it); a response must be
  // written within it too.
  std::chrono::milliseconds read_timeout{30000};
  // MAX_CONNECTIONS: connections open at once; one more is answered 503 with Retry-After
  // and closed. 0 (the default) = half the process's descriptor limit (RLIMIT_NOFILE, its
  // soft value), at most 10000 and at least 64: descriptors stay for the host's other
  // sockets, files and provider processes whatever the clients do.
  size_t max_connections = 0;

  bool operator==(const ListenerSettings&) const = default;
  // "0.0.0.0:8080", "[::1]:8080"
  std::string Endpoint() const;
};

// The connection limit `settings` ask for (max_connections, or the default above).
size_t MaxConnections(const ListenerSettings& settings);

// Reads PORT, ADDRESS, MAX_BODY_BYTES, MAX_HEADER_BYTES, READ_TIMEOUT_MS and MAX_CONNECTIONS
// from a link's
// values; a missing or empty value keeps its default, other keys are ignored (the host's
// __wasmcloud_* entries, 0.18's WORKERS). kInvalidArgument, naming the key and the value,
// for a value out of range or not a number, an ADDRESS that is not an IP address, and
// 0.18's BIND (not supported: it would silently listen elsewhere than asked).
Result<ListenerSettings> ParseLinkValues(const std::map<std::string, std::string>& values);

// The keys of `values` that look like a misspelt key of ParseLinkValues (another case, or
// one edit off: `port`, `ADRESS`), each with the key meant: such a value is ignored, and
// the link would otherwise serve on the defaults without a word. Sorted by key.
std::vector<std::pair<std::string, std::string>> MisspeltLinkKeys(
    const std::map<std::string, std::string>& values);

}  // namespace wasmcloud::httpserver
