// A tiny token service for the registry's bearer-token flow, written for the tests: it
// answers GET /token?scope=..&service=.. with a JWT (RS256, the signing certificate in
// `x5c`) granting the scope asked for, after checking HTTP basic credentials when it has
// some. docker-registry trusts it through `auth.token.rootcertbundle` = cert().
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace wasmcloud::oci::testing {

class TokenServer {
 public:
  // Makes an RSA key and a self-signed certificate in `dir` (openssl), listens on a free
  // port of 127.0.0.1. With an empty `user`, anyone gets a token.
  static Result<std::unique_ptr<TokenServer>> Start(const std::string& dir, std::string user,
                                                    std::string password);
  ~TokenServer();

  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& cert() const { return cert_; }
  static constexpr const char* kService = "wasmcloud-test-registry";
  static constexpr const char* kIssuer = "wasmcloud-test-issuer";

  int tokens_issued() const { return issued_; }
  int refusals() const { return refused_; }
  std::string last_scope() const;

 private:
  TokenServer() = default;
  void Serve();
  void Handle(int fd);

  std::string cert_;
  std::string key_;
  std::string cert_der_b64_;
  std::string user_;
  std::string password_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> issued_{0};
  std::atomic<int> refused_{0};
  mutable std::mutex mu_;
  std::string last_scope_;
  std::thread thread_;
};

}  // namespace wasmcloud::oci::testing
