// One connection to a NATS server (libnats 3.4.1), with the client settings of
// ../shared/spec/lattice.md ("NATS client settings"): never give up reconnecting (with
// jitter), retry a failed first connect until connect_timeout, fail requests in flight on a
// disconnect, ping every 20 s with 2 outstanding, a name per connection, and callbacks
// that report disconnects, reconnects, closes and errors. The NATS implementations of the
// lattice interfaces (nats_transport.h, nats_kv_bucket.h) share one of these.
//
// The messaging provider (providers/messaging/nats_link.h) opens its connections with
// this class too, with `callbacks` false (see NatsConnectionOptions::callbacks): it runs
// in a library the host unloads, and libnats must then never call its code.
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
#include <string_view>
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
  // The server URL or the error text. kClosed: empty after Close() (or the destructor);
  // otherwise why libnats closed the connection, which then never reconnects.
  std::string detail;
};

struct NatsConnectionOptions {
  // nats://host:port (tls:// for TLS); several for a cluster.
  std::vector<std::string> servers;
  // Shown by the server (connz) and in logs, e.g. "wasmcloud:N…:rpc".
  std::string name;
  // Credentials, at most one way: a creds file (JWT + seed), or a JWT and a seed given
  // as text, or an nkey seed alone ("SU…"), or user/password in the server URL (shown
  // as "***" in messages and log lines).
  std::string credentials_file;
  std::string jwt;
  std::string seed;
  // TLS: on when `tls` is true, a server URL is tls://, or a CA or a file below is
  // given. The server's certificate must be signed by a trusted CA, and name the server's
  // host. Trusted: the system's CAs (libnats 3.4.1 always loads OpenSSL's defaults:
  // SSL_CERT_FILE / SSL_CERT_DIR, else the system's), plus tls_ca_file or tls_ca_pem (PEM)
  // when given: a private CA is added, it cannot replace them. tls_cert_file +
  // tls_key_file (PEM, both or neither): this client's certificate chain and key, for a
  // server that asks for one (mutual TLS). The files are read by Connect:
  // kInvalidArgument "NATS TLS CA file PATH: <reason>" and alike.
  bool tls = false;
  std::string tls_ca_file;
  // The CA certificates as PEM text instead of a file (the messaging provider's TLS_CA
  // link value); used instead of tls_ca_file, and turns TLS on too.
  std::string tls_ca_pem;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Flush every publish at once (the connection that answers invocations: a reply then
  // takes ~0.2 ms on loopback instead of ~1 ms).
  bool send_asap = false;
  // How long Connect keeps trying to reach a server (a server still starting is retried)
  // before it fails. Without `callbacks`: how long one attempt on one server may take.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds reconnect_wait{250};
  std::chrono::milliseconds reconnect_jitter{100};
  std::chrono::milliseconds ping_interval{20000};
  int max_pings_out = 2;
  // How long one write to the server's socket may block (the server does not read)
  // before the connection is dropped and reconnected. It bounds the write of a whole
  // message: 1 MiB in 10 s needs about 100 KB/s.
  std::chrono::milliseconds write_deadline{10000};
  // Called on libnats' threads; must be quick and must not call back into the
  // connection's blocking methods. Never called once the connection's destructor
  // returned (it waits for a call in progress, unless it runs inside that call).
  std::function<void(const NatsConnectionEvent&)> on_event;

  // false: libnats never calls code of the library this class is linked into, for a
  // connection made in a library the process may unload (a provider's .so: the host
  // dlcloses it after Stop). libnats runs callbacks on threads of its own, and the
  // closed callback may come after the NatsConnection is destroyed: once the library is
  // unmapped, any of them would jump into unmapped code. (libnats itself must stay
  // loaded too: providers/messaging/nats_library.h.) So, without callbacks:
  // - no connection-event callbacks: on_event must be empty (kInvalidArgument
  //   otherwise), and disconnects, reconnects and errors are neither reported nor
  //   logged; the caller looks at connected() and at what its calls return;
  // - no retry of an unreachable first server: Connect tries each server once, each
  //   attempt bounded by connect_timeout, and fails with kUnavailable when none answers
  //   (a host's lattice connection waits for a server still starting; a provider's bind
  //   should not). Once connected, libnats reconnects by itself as usual;
  // - no credentials callbacks: `jwt` + `seed` are written to a chained .creds file, a
  //   `seed` alone to a seed file (natsOptions_SetNKeyFromSeed, with its public key),
  //   both mode 0600 in $TMPDIR, which libnats reads itself at every (re)connect and
  //   which are removed when the NatsConnection is destroyed (libnats 3.4.1 has no
  //   natsOptions_SetUserCredentialsFromMemory). `credentials_file` works as usual;
  // - nothing is logged (in such a library, wasmcloud's log facade is a copy of its own,
  //   not the host's sink): errors are in the Status Connect returns.
  // Once the destructor has returned, libnats holds nothing of this library (its own
  // threads may run a moment longer, in libnats' code only).
  bool callbacks = true;
};

class NatsConnection {
 public:
  // Connects, waiting up to options.connect_timeout for the server. Errors:
  // kUnavailable "cannot connect to NATS at <servers>[ within <n> ms]: <libnats'
  // reason>" (none answered in time), kInvalidArgument for unusable options (no server,
  // a bad credentials file or seed), kUnauthenticated "NATS at <servers> refused the
  // credentials: <reason>" (at once, whatever the time left; credentials that sign a
  // nonce are tried up to 4 times first, as libnats 3.4.1 drops 1 in 256 signatures),
  // kFailedPrecondition at once for TLS that cannot work: "TLS with NATS at <servers>
  // failed: <OpenSSL's reason>" (an untrusted or misnamed server certificate; a server
  // that requires TLS when `tls` was not asked for is one too, as libnats then upgrades to
  // TLS by itself), "NATS at <servers> does not offer TLS", and "NATS at <servers> closed
  // the connection after the TLS handshake (does it require a client certificate[ that it
  // trusts]?)".
  // <servers> has passwords and tokens replaced by "***"; <reason> is NatsReason's.
  static Result<std::shared_ptr<NatsConnection>> Connect(NatsConnectionOptions options);
  ~NatsConnection();  // Close()
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // The libnats handle, for the lattice implementations in this folder and the
  // messaging provider's subscriptions, requests and publishes. Valid until the object
  // is destroyed.
  __natsConnection* raw() const { return connection_; }
  bool connected() const;
  // True while libnats is reconnecting: requests made now wait in its buffer.
  bool reconnecting() const;
  // libnats' counters of this connection (zeros once closed).
  struct Stats {
    uint64_t in_msgs = 0, in_bytes = 0, out_msgs = 0, out_bytes = 0, reconnects = 0;
  };
  Stats stats() const;
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
  // Without callbacks: the .creds or seed file written for libnats; removed by the
  // destructor, after the connection is destroyed.
  std::string secret_file_;
};

// Whether `options` ask for TLS: `tls`, a CA, a client certificate or key, or a tls://
// server URL. Connect turns TLS on by this; callers show tls:// URLs by it.
bool WantsTls(const NatsConnectionOptions& options);

// `url` with the password of its user:password@ part, or the whole token of token@,
// replaced by "***", for logs and error messages.
std::string RedactUrl(std::string_view url);
// The servers joined with ",", each redacted.
std::string ServerList(const std::vector<std::string>& servers);

// "NATS_TIMEOUT: <libnats' last error text>", for messages. (status is a natsStatus.)
std::string NatsError(int status);

// libnats' text of `status`, plus its last error on this thread when that says more,
// without libnats' source location: "No server available for connection",
// "Authentication Violation (Authorization Violation)". (status is a natsStatus.)
std::string NatsReason(int status);

// Before the process exits, on its main thread, once every NatsConnection is destroyed:
// destroys the messages this thread holds (FlushMessagesOfThisThread) and waits (up to
// `timeout`) until libnats' own threads have ended. A destroyed connection's threads may
// still be running, and with TLS they use OpenSSL, whose state the process's exit tears
// down under them (an `up` over TLS ended with SIGSEGV after "host stopped", once). Does
// nothing when no connection was ever made.
void CloseLibraryAtExit(std::chrono::milliseconds timeout);

}  // namespace wasmcloud::nats
