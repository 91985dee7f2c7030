// A real OCI registry for tests: Debian's docker-registry (distribution 2.8) started on a
// free port of 127.0.0.1 with filesystem storage in a temporary directory, optionally
// with htpasswd basic auth, TLS, or token (bearer) auth; ready when /v2/ answers, stopped
// by the destructor.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

#include "support/run_command.h"
#include "support/test_pki.h"

namespace wasmcloud::oci::testing {

// A CA and the certificates it signs (tests/support/test_pki.h).
using ::wasmcloud::testing::MakeTestPki;
using ::wasmcloud::testing::TestPki;

struct RegistryOptions {
  bool tls = false;  // needs `pki`
  TestPki pki;
  std::string htpasswd_user;  // non-empty: basic auth with this user (htpasswd -Bbn)
  std::string htpasswd_password;
  // Non-empty: token auth. The registry trusts tokens signed by the key of this
  // certificate (PEM), issued by `token_issuer` for service `token_service`.
  std::string token_realm;
  std::string token_service;
  std::string token_issuer;
  std::string token_cert;
};

class RegistryServer {
 public:
  static std::string Binary() { return "/usr/bin/docker-registry"; }

  static Result<std::unique_ptr<RegistryServer>> Start(RegistryOptions options = {});
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>": the registry part of references and of --allowed-insecure.
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Where the storage driver keeps a blob's bytes.
  std::string BlobDataPath(const std::string& digest) const;
  const std::string& dir() const { return dir_; }

  // Stops the server (SIGTERM, then waits).
  void Stop();

 private:
  RegistryServer(std::string dir, RegistryOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  Status Launch();
  bool Answers() const;

  std::string dir_;
  RegistryOptions options_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A port of 127.0.0.1 that was free a moment ago (tests/support).
inline int FreePort() { return ::wasmcloud::testing::FreeLoopbackPort(); }
// A port of 127.0.0.1 that nothing listens on (bound, never listened, kept by the
// returned fd until closed): connections to it are refused.
int ClosedPort(int* fd_out);

// A listening socket of 127.0.0.1 whose accept queue is full and never drained: the
// kernel drops further SYNs, so a connect to it hangs as one to a blackholed address
// does. Closed by the destructor.
class Blackhole {
 public:
  Blackhole();
  ~Blackhole();
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  std::vector<int> fillers_;
  int port_ = -1;
};

// A server of 127.0.0.1 that accepts connections and never answers.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  int port_ = -1;
};

}  // namespace wasmcloud::oci::testing
