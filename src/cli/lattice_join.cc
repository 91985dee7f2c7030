#include "cli/lattice_join.h"

#include "cli/io.h"
#include "core/bytes.h"
#include "lattice/invocation_verifier.h"
#include "lattice/subjects.h"
#include "nats/nats_kv_bucket.h"
#include "nats/nats_transport.h"

namespace wasmcloud::cli {

Result<JoinedLattice> JoinLattice(host::HostConfig& config) {
  JoinedLattice joined;
  joined.options.name = config.lattice_prefix;
  joined.options.rpc_timeout = config.rpc_timeout;
  WC_ASSIGN_OR_RETURN(joined.options.invocation_issuers,
                      lattice::IssuerPolicy::Parse(config.invocation_issuers));
  if (config.no_lattice && !config.rpc_host.empty()) {
    return InvalidArgument(
        "--no-lattice (WASMCLOUD_NO_LATTICE) and --rpc-host (RPC_HOST) contradict each other: "
        "give one of them");
  }
  if (config.rpc_host.empty()) {
    joined.description = "single-player";
    return joined;
  }
  // The connection is named after the host's key: make the key now.
  WC_ASSIGN_OR_RETURN(crypto::KeyPair key, host::LoadHostKey(config.host_seed));
  if (config.host_seed.empty()) config.host_seed = key.EncodedSeed();

  const std::string url = "nats://" + config.rpc_host + ":" + std::to_string(config.rpc_port);
  auto connect = [&](const std::string& server, const std::string& role, const std::string& creds,
                     const std::string& jwt, const std::string& seed,
                     const std::string& flags) -> Result<std::shared_ptr<nats::NatsConnection>> {
    nats::NatsConnectionOptions o;
    o.servers = {server};
    o.name = "wasmcloud:" + key.public_key_text() + ":" + role;
    o.send_asap = true;  // it answers requests: replies go out at once
    o.connect_timeout = std::chrono::seconds(10);
    o.credentials_file = creds;
    if (!jwt.empty() && seed.empty()) {
      return InvalidArgument("--" + flags + "-jwt needs --" + flags +
                             "-seed (the seed that signs for the JWT's user)");
    }
    if (!seed.empty()) {
      WC_ASSIGN_OR_RETURN(o.seed, ValueOrFile(seed, "--" + flags + "-seed"));
    }
    if (!jwt.empty()) {
      WC_ASSIGN_OR_RETURN(o.jwt, ValueOrFile(jwt, "--" + flags + "-jwt"));
    }
    auto c = nats::NatsConnection::Connect(o);
    if (!c.ok()) {
      return c.status().WithContext("cannot join lattice " + config.lattice_prefix +
                                    " (is nats-server running at " + server + "?)");
    }
    return *c;
  };
  WC_ASSIGN_OR_RETURN(
      std::shared_ptr<nats::NatsConnection> rpc,
      connect(url, "rpc", config.rpc_credsfile, config.rpc_jwt, config.rpc_seed, "rpc"));
  // The control connection: its own server and credentials when given, else the RPC ones.
  const std::string control_url =
      "nats://" + (config.control_host.empty() ? config.rpc_host : config.control_host) + ":" +
      std::to_string(config.control_port == 0 ? config.rpc_port : config.control_port);
  const bool own_credentials = !config.control_credsfile.empty() || !config.control_jwt.empty() ||
                               !config.control_seed.empty();
  WC_ASSIGN_OR_RETURN(std::shared_ptr<nats::NatsConnection> control,
                      own_credentials ? connect(control_url, "ctl", config.control_credsfile,
                                                config.control_jwt, config.control_seed, "control")
                                      : connect(control_url, "ctl", config.rpc_credsfile,
                                                config.rpc_jwt, config.rpc_seed, "rpc"));
  nats::NatsKvOptions kv;
  kv.replicas = static_cast<int>(config.lattice_replicas);
  kv.domain = config.js_domain;
  auto bucket =
      nats::NatsKvBucket::Open(rpc, lattice::LatticeBucketName(config.lattice_prefix), kv);
  if (!bucket.ok()) {
    return bucket.status().WithContext("cannot join lattice " + config.lattice_prefix);
  }
  joined.rpc = rpc;
  joined.control = control;
  joined.options.transport = std::make_shared<nats::NatsTransport>(rpc);
  joined.options.control_transport = std::make_shared<nats::NatsTransport>(control);
  joined.options.bucket = *bucket;
  joined.options.heartbeat_interval = config.heartbeat_interval;
  joined.description = "lattice " + config.lattice_prefix + " on " + url +
                       (control_url == url ? "" : ", control on " + control_url);
  return joined;
}

}  // namespace wasmcloud::cli
