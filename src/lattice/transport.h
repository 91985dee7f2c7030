// The byte-level messaging a lattice needs, without any transport header: publish,
// subscribe (with queue groups and NATS wildcards), and request/reply. Implemented in
// process by MemoryTransport (memory_transport.h) and over NATS by src/nats/.
//
// Thread-safety: every method may be called from any thread, also from inside a handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::lattice {

// NATS message headers (trace context travels here; the 0.18 body never changes).
using Headers = std::map<std::string, std::string>;

struct Message {
  std::string subject;
  std::string reply;  // empty when the sender expects no answer
  Bytes data;
  Headers headers;
};

using MessageHandler = std::function<void(Message message)>;

// An active subscription. Destroying it unsubscribes: once the destructor returns, its
// handler is not running and is never called again. (Destroyed from inside its own
// handler, it returns at once and no further call starts.)
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Delivers `data` to every plain subscriber of `subject` and to one member of each
  // queue group. A message nobody subscribes to is dropped (not an error). Errors:
  // kInvalidArgument for a subject that is empty, has an empty token, whitespace or a
  // wildcard; kResourceExhausted when data is larger than MaxPayload(); kUnavailable when
  // the transport is closed or disconnected. (Over NATS, a disconnect that comes between
  // the check and the write leaves the message in libnats' reconnect buffer: Ok, and it is
  // sent after the reconnect. libnats 3.4.1 cannot turn that buffer off; the window is
  // small, and an invocation sent so is bounded by its signed expiry.)
  virtual Status Publish(std::string_view subject, ByteView data, std::string_view reply = {},
                         const Headers& headers = {}) = 0;

  // Sends `data` to `subject` with a private reply subject and returns the first reply.
  // Errors say whether the request was delivered:
  //  - kNotFound "no responders for <subject>": nobody subscribes; it was NOT delivered;
  //  - kDeadlineExceeded: no reply within `timeout`, or the connection was lost or closed
  //    while the reply was awaited (the message says which); it MAY have been delivered;
  //  - kUnavailable: closed or disconnected before sending: NOT delivered, and a later
  //    try may succeed;
  //  - kInvalidArgument, kResourceExhausted: as Publish (not delivered).
  virtual Result<Message> Request(std::string_view subject, ByteView data,
                                  std::chrono::milliseconds timeout,
                                  const Headers& headers = {}) = 0;

  // Subscribes to `subject` (tokens may be "*", the last may be ">"). With a non-empty
  // `queue_group`, each message goes to one member of the group. The handler runs on a
  // transport thread, one message at a time per subscription, in the order published by
  // any one publisher. Handlers must not block for long: hand work to an executor.
  // Errors: kInvalidArgument for a bad subject or queue group, kUnavailable when closed.
  virtual Result<std::unique_ptr<Subscription>> Subscribe(std::string_view subject,
                                                          std::string_view queue_group,
                                                          MessageHandler handler) = 0;

  // Returns once the subscriptions and messages sent so far are in effect (NATS: the
  // server answered a ping). kDeadlineExceeded after `timeout`.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;

  // The largest message body accepted (NATS: the server's max_payload).
  virtual size_t MaxPayload() const = 0;
};

// True for the "not delivered" errors of Request (kNotFound): safe to send again.
inline bool IsNoResponders(const Status& s) { return s.code() == Code::kNotFound; }

}  // namespace wasmcloud::lattice
