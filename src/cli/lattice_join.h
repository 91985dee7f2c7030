// What `wasmcloud up` and `wasmcloud call` give a host to join a lattice over NATS
// (--rpc-host and the options beside it, docs/configuration.md): the connection, the
// transport and the lattice data bucket. Without --rpc-host: nothing (single-player);
// `wasmcloud up` then starts a local lattice first unless --no-lattice (local_lattice.h).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"
#include "host/host.h"
#include "host/host_config.h"
#include "nats/nats_connection.h"

namespace wasmcloud::cli {

// Where a lattice connection that libnats closed for good is reported (it will not
// reconnect: libnats 3.4.1 gives up after the same authentication error twice in a row).
// `up` stops the host and exits 1 (a supervisor restarts it), rather than run on without
// its lattice.
class ConnectionLoss {
 public:
  // `handler` is called once, on a libnats thread, with the reason; at once when the loss
  // came before. Empty: none.
  void OnLoss(std::function<void(const std::string&)> handler);
  void Lost(const std::string& why);
  bool lost() const;

 private:
  mutable std::mutex mu_;
  std::function<void(const std::string&)> handler_;
  std::optional<std::string> why_;
};

struct JoinedLattice {
  std::shared_ptr<nats::NatsConnection> rpc;      // null in single-player mode
  std::shared_ptr<nats::NatsConnection> control;  // the control interface's and events'
  host::LatticeOptions options;
  std::string description;  // "lattice default on nats://127.0.0.1:4222", or "single-player"
  std::shared_ptr<ConnectionLoss> loss = std::make_shared<ConnectionLoss>();
};

// Connects (within a bounded time) the RPC connection ("wasmcloud:{key}:rpc") and the
// control connection ("wasmcloud:{key}:ctl", to --control-host/--control-port with the
// --control-* credentials, each defaulting to the RPC one's), and binds or creates the
// lattice data bucket. The connections are named after the host's key, so `config.host_seed` is set
// to a new seed when it was empty. Errors: the server cannot be reached, refuses the credentials,
// or has no JetStream; each says which and how to fix it. --no-lattice with --rpc-host is
// kInvalidArgument.
Result<JoinedLattice> JoinLattice(host::HostConfig& config);

}  // namespace wasmcloud::cli
