// The operator's endpoints of a running host (`wasmcloud up --http-admin ADDR`,
// docs/operations.md): GET /livez (200 while the process answers), /readyz (200 when
// ready, 503 with the reason when not) and /metrics (the Prometheus text format). HTTP/1.1
// on Boost.Beast, one thread of its own, one request per connection (answered with
// `Connection: close`), at most kMaxConnections at once (the oldest one still waiting for
// its request gives its place to a new one); a request must arrive within
// 5 s and its head fit in 8 KiB. Nothing else is served: other paths are 404, other
// methods than GET and HEAD 405.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace wasmcloud::admin {

struct AdminHandlers {
  // True when ready; otherwise false and *why says what is missing. Called on the
  // server's thread for each /readyz.
  std::function<bool(std::string* why)> ready;
  // The Prometheus text of /metrics. Called on the server's thread.
  std::function<std::string()> metrics;
};

class AdminServer {
 public:
  static constexpr int kMaxConnections = 32;

  // Listens on `address`, "IP:PORT" (an IPv6 address in brackets; port 0: a free one).
  // kInvalidArgument for an address that is not that, kUnavailable when it cannot listen
  // there (the port is in use, the address is not this machine's).
  static Result<std::unique_ptr<AdminServer>> Start(std::string_view address,
                                                    AdminHandlers handlers);
  ~AdminServer();  // stops listening, ends the connections, joins its thread
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Where it listens: "127.0.0.1:9090", "[::1]:9090" (the port chosen when 0 was given).
  std::string endpoint() const;

 private:
  struct Impl;
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wasmcloud::admin
