// One connection to a NATS server (libnats 3.4.1), with the client settings of
// ../shared/spec/lattice.md ("NATS client settings"): never give up reconnecting (with
// jitter), retry a failed first connect in the background, fail requests in flight on a
// disconnect, ping every 20 s with 2 outstanding, a name per connection, and callbacks
// that report disconnects, reconnects, closes and errors. The NATS implementations of the
// lattice interfaces (nats_transport.h, nats_kv_bucket.h) share one of these.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "crypto/nkeys.h"

// libnats' types, without its header here.
struct __natsConnection;
struct __natsOptions;

namespace wasmcloud::nats {

struct NatsConnectionEvent {
  enum class Kind { kDisconnected, kReconnected, kClosed, kError };
  Kind kind;
  std::string detail;  // the server URL or the error text
};

struct NatsConnectionOptions {
  // nats://host:port (tls:// for TLS); several for a cluster.
  std::vector<std::string> servers;
  // Shown by the server (connz) and in logs, e.g. "wasmcloud:N…:rpc".
  std::string name;
  // Credentials, at most one way: a creds file (JWT + seed), or a JWT and a seed given
  // as text, or an nkey seed alone ("SU…"), or user/password in the server URL.
  std::string credentials_file;
  std::string jwt;
  std::string seed;
  // Flush every publish at once (the connection that answers invocations: a reply then
  // takes ~0.2 ms on loopback instead of ~1 ms).
  bool send_asap = false;
  // How long Connect keeps trying to reach a server (a server still starting is retried)
  // before it fails.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reconnect_wait{250};
  std::chrono::milliseconds reconnect_jitter{100};
  std::chrono::milliseconds ping_interval{20000};
  int max_pings_out = 2;
  // Called on libnats' threads; must be quick and must not call back into the
  // connection's blocking methods. Never called once the connection's destructor
  // returned (it waits for a call in progress, unless it runs inside that call).
  std::function<void(const NatsConnectionEvent&)> on_event;
};

class NatsConnection {
 public:
  // Connects, waiting up to options.connect_timeout for the server. Errors:
  // kUnavailable "cannot connect to NATS at <servers>: <libnats' reason>" (none answered
  // in time), kInvalidArgument for unusable options (no server, a bad credentials file),
  // kUnauthenticated when the server refused the credentials.
  static Result<std::shared_ptr<NatsConnection>> Connect(NatsConnectionOptions options);
  ~NatsConnection();  // Close()
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // The libnats handle, for the lattice implementations in this folder. Valid until
  // the object is destroyed.
  __natsConnection* raw() const { return connection_; }
  bool connected() const;
  // The server's max_payload (bytes); 1 MiB when not connected yet.
  size_t max_payload() const;
  const NatsConnectionOptions& options() const { return options_; }
  // Flushes what was published, then closes; later calls on the connection fail with
  // kUnavailable. Idempotent.
  void Close();

 private:
  // What libnats' connection callbacks reach: it lives until the closed callback, the
  // last one libnats makes, has run, which may be after this object is gone (libnats
  // calls back on a thread of its own).
  struct Callbacks;

  explicit NatsConnection(NatsConnectionOptions options);

  NatsConnectionOptions options_;
  __natsConnection* connection_ = nullptr;
  std::shared_ptr<Callbacks> callbacks_;
  std::mutex mu_;
  bool closed_ = false;                    // guarded by mu_
  std::unique_ptr<crypto::KeyPair> nkey_;  // signs the server's nonce (jwt + seed, or seed)
};

// "NATS_TIMEOUT: <libnats' last error text>", for messages. (status is a natsStatus.)
std::string NatsError(int status);

}  // namespace wasmcloud::nats
