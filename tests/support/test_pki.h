// Certificates for tests that speak TLS (an OCI registry, nats-server), made with the
// openssl command line in a directory of the test's: a CA, a server certificate it signs
// for 127.0.0.1 and localhost, and a client certificate it signs (mutual TLS). EC P-256
// keys, valid for 2 days. For tests only.
#pragma once

#include <string>

#include "core/status.h"

namespace wasmcloud::testing {

struct TestPki {
  std::string ca_cert;  // PEM files in the directory given
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

// Errors: an openssl command failed (kInternal, with its stderr).
Result<TestPki> MakeTestPki(const std::string& dir);

}  // namespace wasmcloud::testing
