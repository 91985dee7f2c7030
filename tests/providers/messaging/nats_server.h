// A real nats-server for tests: started on a free port of 127.0.0.1 under a name of its
// own, ready when a TCP connection gets the server's INFO line carrying that name (so a
// server another test started on the same port is never mistaken for ours), killed by
// the destructor.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

#include "support/run_command.h"

namespace wasmcloud::messaging::testing {

class NatsServer {
 public:
  // The nats-server binary found at configure time; empty when there is none (the tests
  // that need one skip).
  static std::string Binary();

  // `extra_args` are appended to the command line (e.g. {"--user", "u", "--pass", "p"}).
  static Result<std::unique_ptr<NatsServer>> Start(std::vector<std::string> extra_args = {});
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  int port() const { return port_; }
  // nats://127.0.0.1:<port>
  std::string Url() const;

  // Publishes one message through a raw protocol connection of its own (CONNECT, PUB,
  // PING, and the PONG awaited, so the server has routed it when this returns). For
  // tests that must not link libnats themselves. Servers without auth only.
  Status Publish(const std::string& subject, std::string_view body,
                 const std::string& reply_to = "") const;

  // Kills the server (SIGKILL: clients see the connection drop).
  void Kill();
  // Starts it again on the same port and waits until it is ready; with `extra_args`, those
  // replace the ones it was started with (another configuration: other users, say).
  Status Restart();
  Status Restart(std::vector<std::string> extra_args);
  // SIGSTOP / SIGCONT: a server that stops reading, as a paused VM or a network that drops
  // packets looks to its clients (the connection stays open). Pause returns once every
  // thread of the server is stopped.
  void Pause();
  void Resume();

 private:
  NatsServer(std::string dir, std::vector<std::string> extra_args)
      : dir_(std::move(dir)), extra_args_(std::move(extra_args)) {}
  Status Launch();
  // True when the server on port_ answers with our name in its INFO.
  bool Ready() const;

  std::string dir_;
  std::vector<std::string> extra_args_;
  std::string name_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A port of 127.0.0.1 that was free a moment ago (tests/support).
inline int FreePort() { return ::wasmcloud::testing::FreeLoopbackPort(); }

}  // namespace wasmcloud::messaging::testing
