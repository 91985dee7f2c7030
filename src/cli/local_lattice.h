// The local lattice of `wasmcloud up` (docs/cli.md#the-local-lattice): without --rpc-host
// (and without --no-lattice) `up` starts a private `nats-server -js` on a free port of
// 127.0.0.1, joins it as if `--rpc-host 127.0.0.1 --rpc-port PORT` had been given, and
// records where it is in the local lattice file, which `wasmcloud ctl` reads to find it.
// The server stops with `up` (and dies with it when `up` is killed).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "host/host_config.h"

namespace wasmcloud::cli {

// The local lattice file: $WASMCLOUD_LATTICE_FILE when set, else
// $XDG_RUNTIME_DIR/wasmcloud/lattice.json when XDG_RUNTIME_DIR is set, else
// /tmp/wasmcloud-<uid>/lattice.json.
std::string LocalLatticeFilePath();

// What the file holds: {"url":"nats://127.0.0.1:PORT","lattice":"default","host_id":"N…",
// "pid":1234,"admin":"http://127.0.0.1:PORT"} ("admin" only when the endpoints are served).
struct LocalLatticeInfo {
  std::string url;      // the NATS server, nats://127.0.0.1:PORT
  std::string lattice;  // the lattice name (--nsprefix)
  std::string host_id;  // the public key of the host `up` runs
  int pid = 0;          // the `wasmcloud up` process
  std::string admin;    // "http://127.0.0.1:PORT" of its admin endpoints; "" when off
};

// Reads and checks the file. Errors: kNotFound "no local lattice found at PATH: start one
// with `wasmcloud up`, or give --rpc-host" when it does not exist; kMalformed "PATH is not
// a local lattice file: …" when it is not JSON or lacks a field (url a nats:// URL, lattice
// and host_id strings, pid a positive number). It does not check that the pid still runs.
Result<LocalLatticeInfo> ReadLocalLatticeFile(const std::string& path);

// Writes the file atomically (a temporary file renamed over it), mode 0600.
Status WriteLocalLatticeFile(const std::string& path, const LocalLatticeInfo& info);

// Removes the file when it (still) names `pid`; a file another `up` wrote since is kept.
void RemoveLocalLatticeFileOf(const std::string& path, int pid);

// The nats-server program: $WASMCLOUD_NATS_SERVER when set (it must be an executable
// file), else the first of each directory of PATH, /usr/local/sbin and /usr/sbin (where
// Debian installs it, outside a normal user's PATH). kNotFound with the install hint
// ("install nats-server (apt-get install nats-server) or run with --no-lattice").
Result<std::string> FindNatsServer();

// A private `nats-server -js` child process: on 127.0.0.1 and a port the server picks,
// with its JetStream store and log in a new temporary directory (removed when it stops).
class LocalNatsServer {
 public:
  struct Options {
    std::string program;  // the nats-server binary (FindNatsServer())
    std::chrono::milliseconds start_timeout{10000};
    // After SIGTERM, how long the server has to exit before it is killed.
    std::chrono::milliseconds stop_timeout{5000};
    // Polled while the server starts; when it answers true the start is given up
    // (the server is stopped) with kUnavailable "stopped while nats-server was starting".
    std::function<bool()> cancelled;
  };

  // Starts the server and waits (at most start_timeout, no fixed sleep) until its log says
  // it is ready and its port accepts a connection. The child gets PR_SET_PDEATHSIG
  // (SIGKILL), which follows the thread that forks: call this from a thread that lives as
  // long as the server should (the main thread). Errors carry the install hint and the
  // server's log when it exits or does not get ready in time.
  static Result<std::unique_ptr<LocalNatsServer>> Start(const Options& options);
  ~LocalNatsServer();  // Stop()
  LocalNatsServer(const LocalNatsServer&) = delete;
  LocalNatsServer& operator=(const LocalNatsServer&) = delete;

  // SIGTERM, waits up to stop_timeout, then SIGKILL; removes the temporary directory.
  // Idempotent.
  void Stop();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string url() const;  // nats://127.0.0.1:PORT

 private:
  explicit LocalNatsServer(Options options) : options_(std::move(options)) {}
  Status Launch();

  Options options_;
  std::string dir_;  // the temporary directory: js/ (the store), nats.log
  std::string name_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// What `wasmcloud up` runs without --rpc-host: the server above, and the local lattice
// file once the host runs.
class LocalLattice {
 public:
  // Checks the file's directory (made mode 0700 when missing; one another user owns is
  // refused), starts the server and points `config` at it (rpc_host 127.0.0.1, rpc_port
  // its port), so that JoinLattice joins it. `cancelled` as in LocalNatsServer::Options.
  static Result<std::unique_ptr<LocalLattice>> Start(host::HostConfig& config,
                                                     std::function<bool()> cancelled = {});
  // Removes the file when it still names this process, then stops the server.
  ~LocalLattice();
  LocalLattice(const LocalLattice&) = delete;
  LocalLattice& operator=(const LocalLattice&) = delete;

  // Once the host runs: writes the file and logs `local lattice NAME on URL (wasmcloud
  // ctl finds it through PATH)`. A file that cannot be written is logged as a warning.
  void Publish(const std::string& host_id, const std::string& admin = "");

  const std::string& url() const { return info_.url; }
  const std::string& file() const { return file_; }
  pid_t server_pid() const { return server_->pid(); }

 private:
  LocalLattice() = default;

  std::unique_ptr<LocalNatsServer> server_;
  std::string file_;
  LocalLatticeInfo info_;
  bool published_ = false;
};

}  // namespace wasmcloud::cli
