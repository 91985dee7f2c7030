#include "nats/nats_transport.h"

#include <nats/nats.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "core/log.h"
#include "lattice/subjects.h"
#include "nats/message_batch.h"

namespace wasmcloud::nats {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kLog = "nats";

// How often (in messages) a subscription asks libnats whether it dropped some.
constexpr uint64_t kDropCheckInterval = 1024;

// Messages go in batches per thread (message_batch.h says why); what a thread holds goes
// when it ends, or, for the main thread, at FlushMessagesOfThisThread before the exit.
MessageBatch& ThisThreadsBatch() {
  thread_local MessageBatch batch;
  return batch;
}

struct MsgDeleter {
  void operator()(natsMsg* m) const { ThisThreadsBatch().Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

// Header names are printable ASCII without ':'; values have no line break or NUL (either
// would let a value forge protocol lines or other headers; libnats does not check).
Status CheckHeaders(const lattice::Headers& headers) {
  for (const auto& [name, value] : headers) {
    bool bad_name = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
                      auto u = static_cast<unsigned char>(c);
                      return u <= 0x20 || u >= 0x7f || c == ':';
                    });
    if (bad_name) {
      return InvalidArgument("invalid header name \"" + name +
                             "\": empty, or not printable ASCII without ':'");
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return InvalidArgument("invalid value of header \"" + name + "\": line break or NUL");
    }
  }
  return Status::Ok();
}

// libnats' status as ours; `what` says what failed ("publish on a.b").
Status FromNats(natsStatus s, const std::string& what) {
  std::string text = what + ": " + NatsError(s);
  switch (s) {
    case NATS_TIMEOUT:
      return DeadlineExceeded(std::move(text));
    case NATS_NO_RESPONDERS:
      return NotFound(std::move(text));
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
    case NATS_NO_SERVER:
    case NATS_SSL_ERROR:
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_DRAINING:
    case NATS_INSUFFICIENT_BUFFER:  // the reconnect buffer is full
      return Unavailable(std::move(text));
    case NATS_MAX_PAYLOAD:
    case NATS_NO_MEMORY:
    case NATS_SLOW_CONSUMER:
      return ResourceExhausted(std::move(text));
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_QUEUE_NAME:
    case NATS_INVALID_ARG:
      return InvalidArgument(std::move(text));
    case NATS_NOT_PERMITTED:
      return PermissionDenied(std::move(text));
    case NATS_NO_SERVER_SUPPORT:
      return FailedPrecondition(std::move(text));
    default:
      return Internal(std::move(text));
  }
}

const char* DataOf(ByteView data) {
  return data.empty() ? "" : reinterpret_cast<const char*>(data.data());
}

Result<MsgPtr> MakeMsg(const std::string& subject, const std::string& reply, ByteView data,
                       const lattice::Headers& headers) {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), reply.empty() ? nullptr : reply.c_str(),
                                DataOf(data), static_cast<int>(data.size()));
  if (s != NATS_OK) return FromNats(s, "message on " + subject);
  MsgPtr msg(raw);
  for (const auto& [name, value] : headers) {
    s = natsMsgHeader_Set(msg.get(), name.c_str(), value.c_str());
    if (s != NATS_OK) return FromNats(s, "header \"" + name + "\" of a message on " + subject);
  }
  return msg;
}

// Copies what the server sent. A header block libnats cannot parse is left out (the
// message is still delivered); of a header with several values, the first is kept.
lattice::Message ToMessage(natsMsg* msg) {
  lattice::Message m;
  if (const char* subject = natsMsg_GetSubject(msg); subject != nullptr) m.subject = subject;
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr) m.reply = reply;
  const char* data = natsMsg_GetData(msg);
  int size = natsMsg_GetDataLength(msg);
  if (data != nullptr && size > 0) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(data);
    m.data.assign(bytes, bytes + size);
  }
  const char** names = nullptr;
  int count = 0;
  natsStatus s = natsMsgHeader_Keys(msg, &names, &count);
  if (s == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* value = nullptr;
      if (names[i] != nullptr && natsMsgHeader_Get(msg, names[i], &value) == NATS_OK &&
          value != nullptr) {
        m.headers.emplace(names[i], value);
      }
    }
    std::free(names);  // the array is ours, the names are the message's
  } else if (s != NATS_NOT_FOUND) {
    Log(LogLevel::kDebug, kLog,
        "headers of a message on " + m.subject + " left out: " + NatsError(s));
  }
  return m;
}

// One subscription's state, shared by its NatsSubscription and by libnats' delivery
// thread for it (through a heap-allocated SubscriptionState::Ref, the libnats closure,
// which libnats' on-complete callback deletes once that thread is done with it).
struct SubscriptionState {
  using Ref = std::shared_ptr<SubscriptionState>;

  std::string subject;  // for log lines

  std::mutex mu;                 // guards the fields below
  std::condition_variable idle;  // signalled when `running` becomes false
  // Called without the lock, by the delivery that set `running`; moved out (destroyed)
  // only while `running` is false or by that delivery.
  lattice::MessageHandler handler;
  bool running = false;    // the handler runs, on thread `runner`
  bool cancelled = false;  // the NatsSubscription is being destroyed: no further call
  std::thread::id runner;

  // Only libnats' delivery thread of this subscription touches these.
  uint64_t delivered = 0;
  int64_t dropped_reported = 0;

  // Logs messages that libnats dropped since the last check (a slow consumer).
  void ReportDropped(natsSubscription* sub) {
    int64_t dropped = 0;
    if (natsSubscription_GetDropped(sub, &dropped) != NATS_OK || dropped <= dropped_reported) {
      return;
    }
    Log(LogLevel::kError, kLog,
        "slow consumer: libnats dropped " + std::to_string(dropped - dropped_reported) +
            " messages of the subscription to " + subject + " (" + std::to_string(dropped) +
            " in all): its handler falls behind");
    dropped_reported = dropped;
  }

  // libnats' message callback: one message at a time per subscription, on its thread.
  static void OnMessage(natsConnection*, natsSubscription* sub, natsMsg* msg, void* closure) {
    MsgPtr owned(msg);
    if (msg == nullptr) return;
    SubscriptionState& st = **static_cast<Ref*>(closure);
    {
      std::lock_guard<std::mutex> lock(st.mu);
      if (st.cancelled) return;
      st.running = true;
      st.runner = std::this_thread::get_id();
    }
    // No exception may unwind into libnats (a C frame).
    try {
      lattice::Message message = ToMessage(msg);
      owned.reset();
      st.handler(std::move(message));
    } catch (const std::exception& e) {
      Log(LogLevel::kError, kLog,
          "handler of the subscription to " + st.subject + " threw: " + e.what());
    } catch (...) {
      Log(LogLevel::kError, kLog, "handler of the subscription to " + st.subject + " threw");
    }
    std::unique_lock<std::mutex> lock(st.mu);
    bool cancelled = st.cancelled;
    if (cancelled) {
      // Unsubscribed while (or from inside) the handler ran: its captures go now, before
      // a destructor waiting for this call is released.
      lattice::MessageHandler handler = std::move(st.handler);
      lock.unlock();
      handler = nullptr;
      lock.lock();
    }
    st.running = false;
    st.runner = {};
    lock.unlock();
    // `st` outlives this call: the closure holds it until OnComplete, on this thread.
    st.idle.notify_all();
    if (!cancelled && ++st.delivered % kDropCheckInterval == 0) st.ReportDropped(sub);
  }

  // libnats' on-complete callback: its delivery thread for the subscription is done.
  static void OnComplete(void* closure) { delete static_cast<Ref*>(closure); }
};

class NatsSubscription final : public lattice::Subscription {
 public:
  NatsSubscription(natsSubscription* sub, SubscriptionState::Ref state)
      : sub_(sub), state_(std::move(state)) {}
  NatsSubscription(const NatsSubscription&) = delete;
  NatsSubscription& operator=(const NatsSubscription&) = delete;

  ~NatsSubscription() override {
    std::unique_lock<std::mutex> lock(state_->mu);
    state_->cancelled = true;
    const bool inside = state_->running && state_->runner == std::this_thread::get_id();
    lock.unlock();
    // Tells the server, and ends libnats' delivery thread for it (messages still queued
    // in libnats are dropped). An error means the connection (and so the subscription)
    // is closed already.
    natsSubscription_Unsubscribe(sub_);
    if (!inside) {
      // libnats does not wait for a running callback; this does.
      lock.lock();
      state_->idle.wait(lock, [&] { return !state_->running; });
      lattice::MessageHandler handler = std::move(state_->handler);
      lock.unlock();
    }
    // From inside the handler, OnMessage drops the handler when it returns. libnats
    // keeps the subscription alive while its delivery thread runs.
    natsSubscription_Destroy(sub_);
  }

 private:
  natsSubscription* sub_;
  SubscriptionState::Ref state_;
};

}  // namespace

void FlushMessagesOfThisThread() { ThisThreadsBatch().Flush(); }

NatsTransport::NatsTransport(std::shared_ptr<NatsConnection> connection, NatsPendingLimits limits)
    : connection_(std::move(connection)), limits_(limits) {}

NatsTransport::~NatsTransport() = default;

namespace {

// Ok when `nc` can send now. While libnats reconnects it would buffer what is sent and
// send it later, or never; transport.h wants kUnavailable instead.
Status CheckConnected(natsConnection* nc, const std::string& what) {
  if (nc == nullptr) return Unavailable(what + ": no NATS connection");
  switch (natsConnection_Status(nc)) {
    case NATS_CONN_STATUS_CONNECTED:
    case NATS_CONN_STATUS_DRAINING_SUBS:
      return Status::Ok();
    case NATS_CONN_STATUS_CLOSED:
      return Unavailable(what + ": the NATS connection is closed");
    case NATS_CONN_STATUS_RECONNECTING:
      return Unavailable(what + ": not connected to NATS (reconnecting)");
    default:
      return Unavailable(what + ": not connected to NATS");
  }
}

}  // namespace

Status NatsTransport::Publish(std::string_view subject, ByteView data, std::string_view reply,
                              const lattice::Headers& headers) {
  WC_RETURN_IF_ERROR(lattice::ValidateSubject(subject, /*wildcards=*/false));
  if (!reply.empty()) {
    WC_RETURN_IF_ERROR(
        lattice::ValidateSubject(reply, /*wildcards=*/false).WithContext("reply subject"));
  }
  WC_RETURN_IF_ERROR(CheckHeaders(headers));
  const std::string subj(subject);
  if (size_t max = MaxPayload(); data.size() > max) {
    return ResourceExhausted("message of " + std::to_string(data.size()) +
                             " bytes exceeds the maximum payload of " + std::to_string(max));
  }
  natsConnection* nc = connection_ ? connection_->raw() : nullptr;
  WC_RETURN_IF_ERROR(CheckConnected(nc, "publish on " + subj));
  natsStatus s;
  if (headers.empty()) {
    const int size = static_cast<int>(data.size());
    s = reply.empty() ? natsConnection_Publish(nc, subj.c_str(), DataOf(data), size)
                      : natsConnection_PublishRequest(nc, subj.c_str(), std::string(reply).c_str(),
                                                      DataOf(data), size);
  } else {
    WC_ASSIGN_OR_RETURN(MsgPtr msg, MakeMsg(subj, std::string(reply), data, headers));
    s = natsConnection_PublishMsg(nc, msg.get());
  }
  if (s != NATS_OK) return FromNats(s, "publish on " + subj);
  return Status::Ok();
}

Result<lattice::Message> NatsTransport::Request(std::string_view subject, ByteView data,
                                                milliseconds timeout,
                                                const lattice::Headers& headers) {
  WC_RETURN_IF_ERROR(lattice::ValidateSubject(subject, /*wildcards=*/false));
  WC_RETURN_IF_ERROR(CheckHeaders(headers));
  const std::string subj(subject);
  if (size_t max = MaxPayload(); data.size() > max) {
    return ResourceExhausted("request of " + std::to_string(data.size()) +
                             " bytes exceeds the maximum payload of " + std::to_string(max));
  }
  natsConnection* nc = connection_ ? connection_->raw() : nullptr;
  WC_RETURN_IF_ERROR(CheckConnected(nc, "request on " + subj + " not sent"));
  if (timeout.count() <= 0) {
    return DeadlineExceeded("request on " + subj + " not sent: no time left");
  }
  natsMsg* raw_reply = nullptr;
  natsStatus s;
  if (headers.empty()) {  // no message of its own to make and destroy
    s = natsConnection_Request(&raw_reply, nc, subj.c_str(), DataOf(data),
                               static_cast<int>(data.size()), timeout.count());
  } else {
    WC_ASSIGN_OR_RETURN(MsgPtr msg, MakeMsg(subj, "", data, headers));
    s = natsConnection_RequestMsg(&raw_reply, nc, msg.get(), timeout.count());
  }
  MsgPtr reply(raw_reply);
  switch (s) {
    case NATS_OK:
      if (reply == nullptr) return Internal("request on " + subj + ": libnats gave no reply");
      return ToMessage(reply.get());
    case NATS_NO_RESPONDERS:
      return NotFound("no responders for " + subj);
    case NATS_TIMEOUT:
      return DeadlineExceeded("no reply to the request on " + subj + " within " +
                              std::to_string(timeout.count()) + " ms");
    // Sent (or perhaps sent): it may have been delivered, so not kUnavailable, which says
    // it was not and may be tried again.
    case NATS_CONNECTION_DISCONNECTED:
      return DeadlineExceeded("disconnected from NATS while waiting for the reply on " + subj +
                              " (the request may have been delivered)");
    case NATS_CONNECTION_CLOSED:
      return DeadlineExceeded("the NATS connection closed before the reply on " + subj +
                              " came (the request may have been delivered)");
    default:
      return FromNats(s, "request on " + subj);
  }
}

Result<std::unique_ptr<lattice::Subscription>> NatsTransport::Subscribe(
    std::string_view subject, std::string_view queue_group, lattice::MessageHandler handler) {
  WC_RETURN_IF_ERROR(lattice::ValidateSubject(subject, /*wildcards=*/true));
  WC_RETURN_IF_ERROR(lattice::ValidateQueueGroup(queue_group));
  if (!handler) return InvalidArgument("subscription to " + std::string(subject) + ": no handler");
  natsConnection* nc = connection_ ? connection_->raw() : nullptr;
  // While reconnecting, libnats subscribes when the connection is back.
  if (nc == nullptr || natsConnection_IsClosed(nc)) {
    return Unavailable("subscribe to " + std::string(subject) + ": the NATS connection is closed");
  }

  auto state = std::make_shared<SubscriptionState>();
  state->subject = std::string(subject);
  state->handler = std::move(handler);
  auto closure = std::make_unique<SubscriptionState::Ref>(state);
  const std::string group(queue_group);
  natsSubscription* sub = nullptr;
  natsStatus s =
      group.empty() ? natsConnection_Subscribe(&sub, nc, state->subject.c_str(),
                                               &SubscriptionState::OnMessage, closure.get())
                    : natsConnection_QueueSubscribe(&sub, nc, state->subject.c_str(), group.c_str(),
                                                    &SubscriptionState::OnMessage, closure.get());
  // Failed: libnats never delivered to it (the server did not know it), so the closure
  // is still ours and goes.
  if (s != NATS_OK) return FromNats(s, "subscribe to " + state->subject);

  s = natsSubscription_SetOnCompleteCB(sub, &SubscriptionState::OnComplete, closure.get());
  if (s != NATS_OK) {
    // The connection closed in the meantime: libnats will not call OnComplete, and its
    // delivery thread may still be about to make one last call with the closure. The
    // closure is left to it (a small leak, only in this race); the handler goes now.
    closure.release();
    NatsSubscription closed(sub, state);
    return Unavailable("subscribe to " + state->subject + ": the NATS connection closed");
  }
  closure.release();  // OnComplete deletes it
  s = natsSubscription_SetPendingLimits(sub, limits_.messages, limits_.bytes);
  if (s != NATS_OK) {
    Log(LogLevel::kWarn, kLog,
        "subscription to " + state->subject + ": pending limits not set: " + NatsError(s));
  }
  return std::unique_ptr<lattice::Subscription>(
      std::make_unique<NatsSubscription>(sub, std::move(state)));
}

Status NatsTransport::Flush(milliseconds timeout) {
  natsConnection* nc = connection_ ? connection_->raw() : nullptr;
  WC_RETURN_IF_ERROR(CheckConnected(nc, "flush"));
  natsStatus s = natsConnection_FlushTimeout(nc, std::max<int64_t>(timeout.count(), 1));
  if (s == NATS_TIMEOUT) {
    return DeadlineExceeded("the NATS server did not answer a flush within " +
                            std::to_string(timeout.count()) + " ms");
  }
  if (s != NATS_OK) return FromNats(s, "flush");
  return Status::Ok();
}

size_t NatsTransport::MaxPayload() const {
  return connection_ ? connection_->max_payload() : 1024 * 1024;
}

}  // namespace wasmcloud::nats
