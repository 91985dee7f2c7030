// A small HTTP/1.1 server for the httpclient tests, on plain POSIX sockets: it listens on
// 127.0.0.1 on a port the kernel picks (bound before Start returns, so it is ready at
// once), serves each connection on its own thread with keep-alive, and records every
// request it reads. Routes:
//   /echo...           200, the request body as the body
//   /status/N          status N (reason "Custom Reason"), body "status N"
//   /headers           200 with mixed-case, repeated and non-ASCII response headers
//   /bytes/N           N bytes ('a'..'z' repeated) with Content-Length
//   /chunked/N         N bytes in 1000-byte chunks, no Content-Length
//   /silent            reads the request and never answers (until the server stops)
//   /redirect/N        302 to /redirect/N-1; /redirect/0 to /echo
//   /redirect-file     302 to file:///etc/passwd
//   anything else      404
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::httpclient::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;                                        // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  Bytes body;
  // The value of the header `name` (lowercase), "" when absent; HasHeader tells.
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
};

class TestHttpServer {
 public:
  static Result<std::unique_ptr<TestHttpServer>> Start();
  ~TestHttpServer();  // closes every connection (a /silent request ends) and joins

  int port() const { return port_; }
  std::string Url(const std::string& target) const;
  std::vector<ReceivedRequest> Requests();
  // How many requests have been read, and how many TCP connections accepted.
  size_t request_count();
  size_t connection_count();

 private:
  TestHttpServer() = default;
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;  // /silent handlers wait on it for stopping_
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
  std::vector<ReceivedRequest> requests_;
  size_t connections_ = 0;
};

}  // namespace wasmcloud::httpclient::testing

namespace wasmcloud::httpclient::testing {

// A TLS server on 127.0.0.1 (a port the kernel picks) whose certificate is self-signed
// for 127.0.0.1 (made with the openssl command into a temporary directory): a client
// that verifies certificates must refuse it. It completes handshakes that succeed and
// answers each request with 200 "tls".
class SelfSignedTlsServer {
 public:
  static Result<std::unique_ptr<SelfSignedTlsServer>> Start();
  ~SelfSignedTlsServer();
  int port() const { return port_; }
  // Handshakes begun (TCP connections accepted).
  size_t connection_count() const { return connections_.load(); }

 private:
  SelfSignedTlsServer() = default;
  void AcceptLoop();

  std::string dir_;
  void* ctx_ = nullptr;  // SSL_CTX*
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<size_t> connections_{0};
  std::thread acceptor_;
};

}  // namespace wasmcloud::httpclient::testing
