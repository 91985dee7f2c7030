#include "cli/lattice_join.h"

#include <filesystem>

#include "core/bytes.h"
#include "lattice/invocation_verifier.h"
#include "lattice/subjects.h"
#include "nats/nats_kv_bucket.h"
#include "nats/nats_transport.h"

namespace wasmcloud::cli {
namespace {

// A value given as itself or as a file holding it (0.19's reading of --rpc-jwt/-seed).
Result<std::string> ValueOrFile(const std::string& value, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(value, ec)) return value;
  auto bytes = ReadFile(value);
  if (!bytes.ok()) return bytes.status().WithContext(std::string(what));
  std::string text(bytes->begin(), bytes->end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

Result<JoinedLattice> JoinLattice(host::HostConfig& config) {
  JoinedLattice joined;
  joined.options.name = config.lattice_prefix;
  joined.options.rpc_timeout = config.rpc_timeout;
  WC_ASSIGN_OR_RETURN(joined.options.invocation_issuers,
                      lattice::IssuerPolicy::Parse(config.invocation_issuers));
  if (config.rpc_host.empty()) {
    joined.description = "single-player";
    return joined;
  }
  // The connection is named after the host's key: make the key now.
  WC_ASSIGN_OR_RETURN(crypto::KeyPair key, host::LoadHostKey(config.host_seed));
  if (config.host_seed.empty()) config.host_seed = key.EncodedSeed();

  const std::string url = "nats://" + config.rpc_host + ":" + std::to_string(config.rpc_port);
  nats::NatsConnectionOptions o;
  o.servers = {url};
  o.name = "wasmcloud:" + key.public_key_text() + ":rpc";
  o.send_asap = true;  // it answers invocations: replies go out at once
  o.connect_timeout = std::chrono::seconds(10);
  o.credentials_file = config.rpc_credsfile;
  if (!config.rpc_jwt.empty() && config.rpc_seed.empty()) {
    return InvalidArgument("--rpc-jwt needs --rpc-seed (the seed that signs for the JWT's user)");
  }
  if (!config.rpc_seed.empty()) {
    WC_ASSIGN_OR_RETURN(o.seed, ValueOrFile(config.rpc_seed, "--rpc-seed"));
  }
  if (!config.rpc_jwt.empty()) {
    WC_ASSIGN_OR_RETURN(o.jwt, ValueOrFile(config.rpc_jwt, "--rpc-jwt"));
  }
  auto connection = nats::NatsConnection::Connect(o);
  if (!connection.ok()) {
    return connection.status().WithContext("cannot join lattice " + config.lattice_prefix +
                                           " (is nats-server running at " + url + "?)");
  }
  nats::NatsKvOptions kv;
  kv.replicas = static_cast<int>(config.lattice_replicas);
  kv.domain = config.js_domain;
  auto bucket = nats::NatsKvBucket::Open(*connection, lattice::LatticeBucketName(config.lattice_prefix), kv);
  if (!bucket.ok()) {
    return bucket.status().WithContext("cannot join lattice " + config.lattice_prefix);
  }
  joined.rpc = *connection;
  joined.options.transport = std::make_shared<nats::NatsTransport>(joined.rpc);
  joined.options.bucket = *bucket;
  joined.description = "lattice " + config.lattice_prefix + " on " + url;
  return joined;
}

}  // namespace wasmcloud::cli
