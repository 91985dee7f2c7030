// One actor's link to NATS: a connection (src/nats/nats_connection.h's NatsConnection,
// the host's own connection wrapper), a subscription per subject of the link, and one
// delivery thread per subscription that hands each message, in order, to a callback
// (the provider calls the actor's HandleMessage there).
//
// No libnats callback is ever registered: the connection is made with
// NatsConnectionOptions::callbacks false (no connection-event, retry or credentials
// callbacks; CLIENT_JWT/CLIENT_SEED go to libnats as a .creds file), and messages are
// taken with natsSubscription_NextMsg on this link's own threads. So libnats' threads
// never run this code, and once the link is destroyed nothing of this library runs on
// their behalf (the provider's .so may then be unloaded; see nats_library.h for libnats
// itself).
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "messaging/link_config.h"
#include "nats/nats_connection.h"
#include "wire/messaging.h"

namespace wasmcloud::messaging {

class NatsLink {
 public:
  // Called on a delivery thread, one message at a time per subscription, in the order
  // the server sent them. Must not throw.
  using Deliver = std::function<void(wire::BrokerMessage message)>;
  using Logger = std::function<void(LogLevel level, const std::string& line)>;

  // Connects to the servers of `config` (at most kConnectTimeoutMs per server; the
  // connection reconnects by itself afterwards, every kReconnectWaitMs) and subscribes
  // to every subject. `name` is the connection name the server shows (e.g. the actor's
  // key). kUnavailable when no server accepts the connection ("cannot connect to NATS at
  // <servers>: <why>"), kUnauthenticated when the server refuses the credentials ("NATS
  // at <servers> refused the credentials: <why>"), kInvalidArgument when a subscription
  // is refused or CLIENT_SEED is not a usable seed. Passwords show as "***".
  static Result<std::unique_ptr<NatsLink>> Open(const LinkConfig& config, const std::string& name,
                                                Deliver deliver, Logger log);
  ~NatsLink();  // Close(), then frees the connection
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  // Publishes `body` on `subject` with an optional reply subject. Fails when the
  // connection is not up at this moment (kUnavailable "... is not connected ...: it is
  // reconnecting"), rather than buffering the message for a later reconnect.
  Status Publish(const std::string& subject, const std::string& reply_to, ByteView body);

  // Sends a request and waits up to `timeout_ms` (1 .. kMaxRequestTimeoutMs) for the
  // first reply. kDeadlineExceeded when none came, kUnavailable when nobody subscribes
  // to the subject (no responders) or the connection is down.
  Result<wire::BrokerMessage> Request(const std::string& subject, ByteView body,
                                      int64_t timeout_ms);

  // Ok when the connection is up, else what it is doing and the last error.
  Status Health() const;

  // Stops the subscriptions (messages not yet handed over are dropped), joins the
  // delivery threads (a delivery in progress completes), flushes what was published and
  // closes the connection. Idempotent; Publish and Request fail afterwards. Called from
  // one of this link's own delivery threads, that thread is left to finish by itself.
  void Close();

  const LinkConfig& config() const { return config_; }

  static constexpr int64_t kConnectTimeoutMs = 2000;
  static constexpr int64_t kReconnectWaitMs = 1000;
  static constexpr int64_t kFlushTimeoutMs = 1000;
  static constexpr int64_t kMaxRequestTimeoutMs = 60000;

 private:
  struct Subscription {
    SubscriptionSpec spec;
    natsSubscription* handle = nullptr;
    std::thread thread;
  };

  NatsLink(LinkConfig config, Deliver deliver, Logger log);
  Status Connect(const std::string& name);
  Status Subscribe();
  // `closed` is shared with the thread: a thread detached by Close must not read the
  // link after it is gone.
  void DeliveryLoop(Subscription* sub, std::shared_ptr<const std::atomic<bool>> closed);
  // kUnavailable naming the connection's state when it is not connected, else Ok.
  Status CheckConnected(std::string_view what) const;
  std::string Where() const { return ServerList(config_); }

  const LinkConfig config_;
  const Deliver deliver_;
  const Logger log_;
  std::shared_ptr<nats::NatsConnection> connection_;  // set once Open connected
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
  std::mutex close_mu_;
  const std::shared_ptr<std::atomic<bool>> closed_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace wasmcloud::messaging
