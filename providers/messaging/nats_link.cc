#include "messaging/nats_link.h"

#include <chrono>
#include <climits>

#include "core/bytes.h"
#include "nats/message_batch.h"

namespace wasmcloud::messaging {
namespace {

using nats::NatsReason;

// How long a delivery thread waits for a message before it looks at closed_ again; a
// closed subscription wakes it at once, so this is only a safety net.
constexpr int64_t kNextMessageWaitMs = 1000;

std::string StateName(natsConnStatus status) {
  switch (status) {
    case NATS_CONN_STATUS_DISCONNECTED:
      return "disconnected";
    case NATS_CONN_STATUS_CONNECTING:
      return "connecting";
    case NATS_CONN_STATUS_CONNECTED:
      return "connected";
    case NATS_CONN_STATUS_CLOSED:
      return "closed";
    case NATS_CONN_STATUS_RECONNECTING:
      return "reconnecting";
    case NATS_CONN_STATUS_DRAINING_SUBS:
    case NATS_CONN_STATUS_DRAINING_PUBS:
      return "draining";
  }
  return "in state " + std::to_string(static_cast<int>(status));
}

int PayloadLength(ByteView body) {
  return body.size() > static_cast<size_t>(INT_MAX) ? -1 : static_cast<int>(body.size());
}

const void* PayloadData(ByteView body) {
  return body.empty() ? static_cast<const void*>("") : body.data();
}

}  // namespace

NatsLink::NatsLink(LinkConfig config, Deliver deliver, Logger log)
    : config_(std::move(config)), deliver_(std::move(deliver)), log_(std::move(log)) {}

Result<std::unique_ptr<NatsLink>> NatsLink::Open(const LinkConfig& config, const std::string& name,
                                                 Deliver deliver, Logger log) {
  std::unique_ptr<NatsLink> link(new NatsLink(config, std::move(deliver), std::move(log)));
  WC_RETURN_IF_ERROR(link->Connect(name));
  Status s = link->Subscribe();
  if (!s.ok()) return s;  // the destructor closes what was opened
  return link;
}

Status NatsLink::Connect(const std::string& name) {
  nats::NatsConnectionOptions options;
  options.servers = config_.servers;
  options.name = name;
  options.jwt = config_.jwt;
  options.seed = config_.seed;
  options.tls_ca_pem = config_.tls_ca;
  options.connect_timeout = std::chrono::milliseconds(kConnectTimeoutMs);
  options.reconnect_wait = std::chrono::milliseconds(kReconnectWaitMs);
  // This library may be unloaded: libnats must never call into it (nats_link.h).
  options.callbacks = false;
  WC_ASSIGN_OR_RETURN(connection_, nats::NatsConnection::Connect(std::move(options)));
  return Status::Ok();
}

Status NatsLink::Subscribe() {
  for (const SubscriptionSpec& spec : config_.subscriptions) {
    auto sub = std::make_unique<Subscription>();
    sub->spec = spec;
    natsStatus s =
        spec.queue.empty()
            ? natsConnection_SubscribeSync(&sub->handle, connection_->raw(), spec.subject.c_str())
            : natsConnection_QueueSubscribeSync(&sub->handle, connection_->raw(),
                                                spec.subject.c_str(), spec.queue.c_str());
    if (s != NATS_OK) {
      return InvalidArgument("cannot subscribe to \"" + spec.subject + "\" on NATS at " + Where() +
                             ": " + NatsReason(s));
    }
    Subscription* raw = sub.get();
    subscriptions_.push_back(std::move(sub));
    raw->thread = std::thread([this, raw, closed = closed_] { DeliveryLoop(raw, closed); });
  }
  // The server has the subscriptions once a PING round trip is done: a message
  // published right after Open returns is delivered.
  if (!subscriptions_.empty()) {
    natsStatus s = natsConnection_FlushTimeout(connection_->raw(), kFlushTimeoutMs);
    if (s != NATS_OK) {
      return Unavailable("NATS at " + Where() +
                         " did not confirm the subscriptions: " + NatsReason(s));
    }
  }
  return Status::Ok();
}

void NatsLink::DeliveryLoop(Subscription* sub, std::shared_ptr<const std::atomic<bool>> closed) {
  // Delivered messages are destroyed in batches (message_batch.h); what is held goes when
  // the subscription is idle for a wait, and when the loop ends.
  nats::MessageBatch done;
  while (!closed->load()) {
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, sub->handle, kNextMessageWaitMs);
    if (s == NATS_TIMEOUT) {
      done.Flush();
      continue;
    }
    if (s == NATS_SLOW_CONSUMER) {
      log_(LogLevel::kWarn, "subscription to \"" + sub->spec.subject + "\" on NATS at " + Where() +
                                " dropped messages: the actor handles them slower than they come");
      continue;
    }
    if (s != NATS_OK) break;  // the subscription or the connection was closed
    wire::BrokerMessage message;
    message.subject = natsMsg_GetSubject(msg);
    if (const char* reply = natsMsg_GetReply(msg); reply != nullptr) message.reply_to = reply;
    const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
    message.body.assign(data, data + natsMsg_GetDataLength(msg));
    done.Destroy(msg);
    deliver_(std::move(message));
  }
  done.Flush();
  nats_ReleaseThreadMemory();
}

Status NatsLink::CheckConnected(std::string_view what) const {
  if (closed_->load() || connection_ == nullptr) {
    return Unavailable(std::string(what) + ": the connection to NATS at " + Where() + " is closed");
  }
  const natsConnStatus state = natsConnection_Status(connection_->raw());
  if (state == NATS_CONN_STATUS_CONNECTED) return Status::Ok();
  std::string message =
      std::string(what) + ": not connected to NATS at " + Where() + ": it is " + StateName(state);
  const char* last = nullptr;
  if (natsConnection_GetLastError(connection_->raw(), &last) != NATS_OK && last != nullptr &&
      *last != '\0') {
    message += " (last error: " + std::string(last) + ")";
  }
  return Unavailable(std::move(message));
}

Status NatsLink::Publish(const std::string& subject, const std::string& reply_to, ByteView body) {
  const std::string what = "Publish \"" + subject + "\"";
  WC_RETURN_IF_ERROR(CheckSubject(subject, false, "Publish: subject"));
  if (!reply_to.empty()) WC_RETURN_IF_ERROR(CheckSubject(reply_to, false, "Publish: replyTo"));
  const int len = PayloadLength(body);
  if (len < 0) return InvalidArgument(what + ": the body is larger than 2 GiB");
  WC_RETURN_IF_ERROR(CheckConnected(what));
  natsConnection* nc = connection_->raw();
  natsStatus s = reply_to.empty()
                     ? natsConnection_Publish(nc, subject.c_str(), PayloadData(body), len)
                     : natsConnection_PublishRequest(nc, subject.c_str(), reply_to.c_str(),
                                                     PayloadData(body), len);
  if (s == NATS_OK) return Status::Ok();
  if (s == NATS_MAX_PAYLOAD) {
    return InvalidArgument(what + ": the body of " + std::to_string(body.size()) +
                           " bytes is larger than the server allows: " + NatsReason(s));
  }
  return Unavailable(what + " failed on NATS at " + Where() + ": " + NatsReason(s));
}

Result<wire::BrokerMessage> NatsLink::Request(const std::string& subject, ByteView body,
                                              int64_t timeout_ms) {
  const std::string what = "Request \"" + subject + "\"";
  WC_RETURN_IF_ERROR(CheckSubject(subject, false, "Request: subject"));
  if (timeout_ms <= 0 || timeout_ms > kMaxRequestTimeoutMs) {
    return InvalidArgument(what + ": the timeout must be from 1 to " +
                           std::to_string(kMaxRequestTimeoutMs) + " ms, not " +
                           std::to_string(timeout_ms));
  }
  const int len = PayloadLength(body);
  if (len < 0) return InvalidArgument(what + ": the body is larger than 2 GiB");
  WC_RETURN_IF_ERROR(CheckConnected(what));
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_Request(&reply, connection_->raw(), subject.c_str(),
                                        PayloadData(body), len, timeout_ms);
  switch (s) {
    case NATS_OK:
      break;
    case NATS_TIMEOUT:
      return DeadlineExceeded(what + ": no reply within " + std::to_string(timeout_ms) + " ms");
    case NATS_NO_RESPONDERS:
      return Unavailable(what + ": no responders (nobody subscribes to the subject)");
    case NATS_MAX_PAYLOAD:
      return InvalidArgument(what + ": the body of " + std::to_string(body.size()) +
                             " bytes is larger than the server allows: " + NatsReason(s));
    default:
      return Unavailable(what + " failed on NATS at " + Where() + ": " + NatsReason(s));
  }
  wire::BrokerMessage out;
  out.subject = natsMsg_GetSubject(reply);
  if (const char* r = natsMsg_GetReply(reply); r != nullptr) out.reply_to = r;
  const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(reply));
  out.body.assign(data, data + natsMsg_GetDataLength(reply));
  natsMsg_Destroy(reply);
  return out;
}

Status NatsLink::Health() const { return CheckConnected("NATS connection"); }

void NatsLink::Close() {
  std::lock_guard lock(close_mu_);
  if (closed_->exchange(true)) return;
  // Unsubscribing closes each subscription, which wakes its delivery thread at once.
  for (auto& sub : subscriptions_) {
    if (sub->handle != nullptr) natsSubscription_Unsubscribe(sub->handle);
  }
  for (auto& sub : subscriptions_) {
    if (!sub->thread.joinable()) continue;
    if (sub->thread.get_id() == std::this_thread::get_id()) {
      sub->thread.detach();  // Close from inside a delivery: that thread ends after it
    } else {
      sub->thread.join();
    }
  }
  // Flushes what was published (up to 1 s), then closes.
  if (connection_ != nullptr) connection_->Close();
}

NatsLink::~NatsLink() {
  Close();
  for (auto& sub : subscriptions_) natsSubscription_Destroy(sub->handle);
  connection_.reset();  // destroys the connection and removes its .creds file
}

}  // namespace wasmcloud::messaging
