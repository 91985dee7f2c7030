#include "messaging/nats_link.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/bytes.h"

namespace wasmcloud::messaging {
namespace {

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

// The chained credentials file libnats reads at every (re)connect: it keeps the seed
// inside libnats, where a credentials callback would make libnats' threads call into
// this library (docs/messaging.md).
Result<std::string> WriteCredentialsFile(const std::string& jwt, const std::string& seed) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  std::string path = (dir / "wasmcloud-messaging-XXXXXX.creds").string();
  const int fd = mkstemps(path.data(), 6);  // mode 0600
  if (fd < 0) return Internal("cannot create a credentials file in " + dir.string());
  const std::string text = "-----BEGIN NATS USER JWT-----\n" + jwt +
                           "\n------END NATS USER JWT------\n\n"
                           "-----BEGIN USER NKEY SEED-----\n" +
                           seed + "\n------END USER NKEY SEED------\n";
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written) {
    unlink(path.c_str());
    return Internal("cannot write the credentials file " + path);
  }
  return path;
}

}  // namespace

std::string NatsError(natsStatus status) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string out = natsStatus_GetText(status);
  if (text == nullptr || last != status) return out;
  std::string_view detail = text;
  // libnats prefixes where it failed: "(conn.c:2088): No server available for connection".
  if (detail.starts_with('(')) {
    if (const size_t end = detail.find("): "); end != std::string_view::npos) {
      detail.remove_prefix(end + 3);
    }
  }
  if (!detail.empty() && detail != out) out += " (" + std::string(detail) + ")";
  return out;
}

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
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) return Internal("libnats: cannot create options: " + NatsError(s));
  std::vector<const char*> servers;
  for (const auto& url : config_.servers) servers.push_back(url.c_str());
  s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, kConnectTimeoutMs);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // a server back later heals
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, kReconnectWaitMs);
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(opts, true);
  if (s == NATS_OK && !config_.jwt.empty()) {
    auto file = WriteCredentialsFile(config_.jwt, config_.seed);
    if (!file.ok()) {
      natsOptions_Destroy(opts);
      return file.status();
    }
    credentials_file_ = *file;
    s = natsOptions_SetUserCredentialsFromFiles(opts, credentials_file_.c_str(), nullptr);
  }
  if (s != NATS_OK) {
    const std::string why = NatsError(s);
    natsOptions_Destroy(opts);
    return InvalidArgument("cannot use the NATS servers " + Where() + ": " + why);
  }
  s = natsConnection_Connect(&connection_, opts);
  natsOptions_Destroy(opts);
  if (s == NATS_OK) return Status::Ok();
  const std::string why = NatsError(s);
  connection_ = nullptr;
  if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED) {
    return Unauthenticated("NATS at " + Where() + " refused the connection: " + why);
  }
  return Unavailable("cannot connect to NATS at " + Where() + ": " + why);
}

Status NatsLink::Subscribe() {
  for (const SubscriptionSpec& spec : config_.subscriptions) {
    auto sub = std::make_unique<Subscription>();
    sub->spec = spec;
    natsStatus s =
        spec.queue.empty()
            ? natsConnection_SubscribeSync(&sub->handle, connection_, spec.subject.c_str())
            : natsConnection_QueueSubscribeSync(&sub->handle, connection_, spec.subject.c_str(),
                                                spec.queue.c_str());
    if (s != NATS_OK) {
      return InvalidArgument("cannot subscribe to \"" + spec.subject + "\" on NATS at " + Where() +
                             ": " + NatsError(s));
    }
    Subscription* raw = sub.get();
    subscriptions_.push_back(std::move(sub));
    raw->thread = std::thread([this, raw, closed = closed_] { DeliveryLoop(raw, closed); });
  }
  // The server has the subscriptions once a PING round trip is done: a message
  // published right after Open returns is delivered.
  if (!subscriptions_.empty()) {
    natsStatus s = natsConnection_FlushTimeout(connection_, kFlushTimeoutMs);
    if (s != NATS_OK) {
      return Unavailable("NATS at " + Where() +
                         " did not confirm the subscriptions: " + NatsError(s));
    }
  }
  return Status::Ok();
}

void NatsLink::DeliveryLoop(Subscription* sub, std::shared_ptr<const std::atomic<bool>> closed) {
  while (!closed->load()) {
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, sub->handle, kNextMessageWaitMs);
    if (s == NATS_TIMEOUT) continue;
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
    natsMsg_Destroy(msg);
    deliver_(std::move(message));
  }
  nats_ReleaseThreadMemory();
}

Status NatsLink::CheckConnected(std::string_view what) const {
  if (closed_->load() || connection_ == nullptr) {
    return Unavailable(std::string(what) + ": the connection to NATS at " + Where() + " is closed");
  }
  const natsConnStatus state = natsConnection_Status(connection_);
  if (state == NATS_CONN_STATUS_CONNECTED) return Status::Ok();
  std::string message =
      std::string(what) + ": not connected to NATS at " + Where() + ": it is " + StateName(state);
  const char* last = nullptr;
  if (natsConnection_GetLastError(connection_, &last) != NATS_OK && last != nullptr &&
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
  natsStatus s = reply_to.empty()
                     ? natsConnection_Publish(connection_, subject.c_str(), PayloadData(body), len)
                     : natsConnection_PublishRequest(connection_, subject.c_str(), reply_to.c_str(),
                                                     PayloadData(body), len);
  if (s == NATS_OK) return Status::Ok();
  if (s == NATS_MAX_PAYLOAD) {
    return InvalidArgument(what + ": the body of " + std::to_string(body.size()) +
                           " bytes is larger than the server allows: " + NatsError(s));
  }
  return Unavailable(what + " failed on NATS at " + Where() + ": " + NatsError(s));
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
  natsStatus s = natsConnection_Request(&reply, connection_, subject.c_str(), PayloadData(body),
                                        len, timeout_ms);
  switch (s) {
    case NATS_OK:
      break;
    case NATS_TIMEOUT:
      return DeadlineExceeded(what + ": no reply within " + std::to_string(timeout_ms) + " ms");
    case NATS_NO_RESPONDERS:
      return Unavailable(what + ": no responders (nobody subscribes to the subject)");
    case NATS_MAX_PAYLOAD:
      return InvalidArgument(what + ": the body of " + std::to_string(body.size()) +
                             " bytes is larger than the server allows: " + NatsError(s));
    default:
      return Unavailable(what + " failed on NATS at " + Where() + ": " + NatsError(s));
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
  if (connection_ != nullptr) {
    if (natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED) {
      natsConnection_FlushTimeout(connection_, kFlushTimeoutMs);  // what was published
    }
    natsConnection_Close(connection_);
  }
}

NatsLink::~NatsLink() {
  Close();
  for (auto& sub : subscriptions_) natsSubscription_Destroy(sub->handle);
  natsConnection_Destroy(connection_);
  if (!credentials_file_.empty()) unlink(credentials_file_.c_str());
}

}  // namespace wasmcloud::messaging
