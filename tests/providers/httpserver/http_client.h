// A small blocking HTTP/1.1 client for the httpserver tests, on plain sockets: every wait
// has a deadline, so a server that hangs fails the test instead of hanging it. Responses
// are framed by Content-Length (or by the end of the connection when there is none).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

#include "support/run_command.h"

namespace wasmcloud::httpserver::testing {

using namespace std::chrono_literals;

struct ClientResponse {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpConnection {
 public:
  // kUnavailable when nothing accepts on 127.0.0.1:port (connection refused) or it does not
  // answer the connect within `timeout`.
  static Result<std::unique_ptr<HttpConnection>> Connect(uint16_t port,
                                                         std::chrono::milliseconds timeout = 5s);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Writes all of `bytes` (kUnavailable when the server closed or reset the connection).
  Status Send(std::string_view bytes, std::chrono::milliseconds timeout = 10s);
  // Reads one response. `head`: a response to HEAD, which has no body whatever its
  // Content-Length says. kDeadlineExceeded when it is not whole within `timeout`,
  // kUnavailable when the connection ends first, kMalformed when it does not parse.
  Result<ClientResponse> Read(bool head = false, std::chrono::milliseconds timeout = 10s);
  // Send, then Read.
  Result<ClientResponse> RoundTrip(std::string_view request,
                                   std::chrono::milliseconds timeout = 10s);
  // True when the server ends the connection (EOF or reset) within `timeout` with nothing
  // more to read; false when bytes arrive or the time passes.
  bool ClosedByServer(std::chrono::milliseconds timeout = 5s);

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}
  // Appends what arrives to buffer_; 0 at EOF, -1 on error or timeout (errno_ tells).
  Result<size_t> Fill(std::chrono::steady_clock::time_point deadline);

  int fd_;
  std::string buffer_;  // received, not yet returned
};

// "GET /x HTTP/1.1\r\nHost: test\r\n<headers>Content-Length: n\r\n\r\n<body>"; the
// Content-Length line only when there is a body or the method is POST/PUT.
std::string FormatRequest(std::string_view method, std::string_view target,
                          const std::map<std::string, std::string>& headers = {},
                          std::string_view body = "");

// One request on a new connection.
Result<ClientResponse> Fetch(uint16_t port, std::string_view method, std::string_view target,
                             std::string_view body = "",
                             const std::map<std::string, std::string>& headers = {});

// Whether something accepts connections on 127.0.0.1:port now.
bool Accepts(uint16_t port);

// A port of 127.0.0.1 that was free a moment ago (tests/support).
inline uint16_t FreePort() {
  return static_cast<uint16_t>(::wasmcloud::testing::FreeLoopbackPort());
}

}  // namespace wasmcloud::httpserver::testing
