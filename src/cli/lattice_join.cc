#include "cli/lattice_join.h"

#include "cli/io.h"
#include "core/bytes.h"
#include "lattice/invocation_verifier.h"
#include "lattice/subjects.h"
#include "nats/nats_kv_bucket.h"
#include "nats/nats_transport.h"

namespace wasmcloud::cli {

void ConnectionLoss::OnLoss(std::function<void(const std::string&)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
  if (why_ && handler_) handler_(*why_);
}

void ConnectionLoss::Lost(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (why_) return;
  why_ = why;
  if (handler_) handler_(why);
}

bool ConnectionLoss::lost() const {
  std::lock_guard<std::mutex> lock(mu_);
  return why_.has_value();
}

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

  // The TLS part of each connection's options; the control connection's are the RPC
  // connection's unless any --control-tls* option is given.
  auto tls_options = [](bool on, const std::string& ca, const std::string& cert,
                        const std::string& key) {
    nats::NatsConnectionOptions o;
    o.tls = on;
    o.tls_ca_file = ca;
    o.tls_cert_file = cert;
    o.tls_key_file = key;
    return o;
  };
  const nats::NatsConnectionOptions rpc_tls = tls_options(
      config.rpc_tls, config.rpc_tls_ca_file, config.rpc_tls_cert_file, config.rpc_tls_key_file);
  const nats::NatsConnectionOptions own_control_tls =
      tls_options(config.control_tls, config.control_tls_ca_file, config.control_tls_cert_file,
                  config.control_tls_key_file);
  const bool own_tls = nats::WantsTls(own_control_tls);
  const nats::NatsConnectionOptions& control_tls = own_tls ? own_control_tls : rpc_tls;
  // Shown as tls:// when TLS is on (libnats takes either scheme).
  const std::string url = std::string(nats::WantsTls(rpc_tls) ? "tls://" : "nats://") +
                          config.rpc_host + ":" + std::to_string(config.rpc_port);
  // `tls_flags`: "rpc" or "control", for the options a TLS failure names.
  auto connect =
      [&](const std::string& server, const std::string& role, const std::string& creds,
          const std::string& jwt, const std::string& seed, const std::string& flags,
          const nats::NatsConnectionOptions& tls,
          const std::string& tls_flags) -> Result<std::shared_ptr<nats::NatsConnection>> {
    nats::NatsConnectionOptions o = tls;
    o.servers = {server};
    o.name = "wasmcloud:" + key.public_key_text() + ":" + role;
    o.on_event = [loss = joined.loss, role](const nats::NatsConnectionEvent& e) {
      if (e.kind == nats::NatsConnectionEvent::Kind::kClosed && !e.detail.empty()) {
        loss->Lost("its " + role + " connection to NATS is closed and will not reconnect (" +
                   e.detail + ")");
      }
    };
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
    if (!c.ok() && c.status().code() == Code::kFailedPrecondition) {
      // TLS that cannot work: say which options decide it.
      const std::string f = "--" + tls_flags + "-tls";
      return c.status().WithContext("cannot join lattice " + config.lattice_prefix + " (TLS: " + f +
                                    ", " + f + "-ca-file, " + f + "-cert-file, " + f +
                                    "-key-file)");
    }
    if (!c.ok() && c.status().code() == Code::kInvalidArgument) {
      return c.status().WithContext("cannot join lattice " + config.lattice_prefix);
    }
    if (!c.ok()) {
      return c.status().WithContext("cannot join lattice " + config.lattice_prefix +
                                    " (is nats-server running at " + server + "?)");
    }
    return *c;
  };
  WC_ASSIGN_OR_RETURN(std::shared_ptr<nats::NatsConnection> rpc,
                      connect(url, "rpc", config.rpc_credsfile, config.rpc_jwt, config.rpc_seed,
                              "rpc", rpc_tls, "rpc"));
  // The control connection: its own server and credentials when given, else the RPC ones.
  const std::string control_url =
      std::string(nats::WantsTls(control_tls) ? "tls://" : "nats://") +
      (config.control_host.empty() ? config.rpc_host : config.control_host) + ":" +
      std::to_string(config.control_port == 0 ? config.rpc_port : config.control_port);
  const bool own_credentials = !config.control_credsfile.empty() || !config.control_jwt.empty() ||
                               !config.control_seed.empty();
  WC_ASSIGN_OR_RETURN(
      std::shared_ptr<nats::NatsConnection> control,
      own_credentials
          ? connect(control_url, "ctl", config.control_credsfile, config.control_jwt,
                    config.control_seed, "control", control_tls, own_tls ? "control" : "rpc")
          : connect(control_url, "ctl", config.rpc_credsfile, config.rpc_jwt, config.rpc_seed,
                    "rpc", control_tls, own_tls ? "control" : "rpc"));
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
  joined.options.control_transport =
      std::make_shared<nats::NatsTransport>(control, nats::kControlPendingLimits);
  joined.options.bucket = *bucket;
  joined.options.heartbeat_interval = config.heartbeat_interval;
  joined.description = "lattice " + config.lattice_prefix + " on " + url +
                       (control_url == url ? "" : ", control on " + control_url);
  return joined;
}

}  // namespace wasmcloud::cli
