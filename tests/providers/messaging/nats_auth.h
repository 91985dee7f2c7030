// NATS decentralized authentication for tests, made the way `nsc` makes it: an operator,
// an account it signs and users the account signs, as JWTs (header
// {"typ":"JWT","alg":"ed25519-nkey"}, version-2 claims) signed with nkeys; and the
// nats-server configuration that trusts the operator and knows the account (resolver
// MEMORY). Every key is new and random.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "crypto/nkeys.h"

namespace wasmcloud::messaging::testing {

// What a client connects with: CLIENT_JWT and CLIENT_SEED of a messaging link.
struct NatsUserCredentials {
  std::string jwt;
  std::string seed;  // "SU…"
};

class NatsOperatorAuth {
 public:
  NatsOperatorAuth();

  // A user of the account, allowed everything.
  NatsUserCredentials User(const std::string& name) const;
  // A user signed by an account the server does not know: refused.
  NatsUserCredentials Stranger(const std::string& name) const;

  // Writes the server configuration into `dir` and returns the NatsServer::Start
  // arguments that use it ({"-c", <file>}).
  Result<std::vector<std::string>> ServerArgs(const std::string& dir) const;

 private:
  static NatsUserCredentials UserOf(const crypto::KeyPair& account, const std::string& name);

  crypto::KeyPair operator_;
  crypto::KeyPair account_;
  crypto::KeyPair stranger_account_;
  std::string operator_jwt_;
  std::string account_jwt_;
};

// An nkey user ("U…") for a server configured with `authorization { users = [{nkey: …}] }`.
struct NatsNkeyUser {
  std::string public_key;
  std::string seed;
};
NatsNkeyUser MakeNkeyUser();

// Writes a configuration that admits only `allowed` (nkey auth) into `dir` and returns
// the NatsServer::Start arguments that use it.
Result<std::vector<std::string>> NkeyServerArgs(const std::string& dir,
                                                const std::string& allowed_public_key);

}  // namespace wasmcloud::messaging::testing
