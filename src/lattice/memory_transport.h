// Transport in one process: many hosts (and test clients) share one MemoryTransport to
// form an in-process lattice. Subjects, wildcards, queue groups, request/reply with "no
// responders" behave as on a NATS server; the conformance suite
// (tests/lattice/transport_conformance.h) runs against both.
//
// Threads: messages are handed to handlers by a small pool of delivery threads; each
// subscription is a strand (its messages run one at a time, in order), so one slow
// handler delays only its own subscription until every delivery thread is busy.
// Request replies are handed to the waiting caller directly, not through the pool; the
// request itself needs a free delivery thread, so a handler that makes a request while
// every other delivery thread is busy waits for one (or times out).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "lattice/transport.h"

namespace wasmcloud::lattice {

struct MemoryTransportOptions {
  size_t max_payload = 1024 * 1024;  // as nats-server's default max_payload
  unsigned delivery_threads = 4;
};

class MemoryTransport final : public Transport {
 public:
  explicit MemoryTransport(MemoryTransportOptions options = {});
  ~MemoryTransport() override;  // Close()

  Status Publish(std::string_view subject, ByteView data, std::string_view reply = {},
                 const Headers& headers = {}) override;
  Result<Message> Request(std::string_view subject, ByteView data,
                          std::chrono::milliseconds timeout, const Headers& headers = {}) override;
  Result<std::unique_ptr<Subscription>> Subscribe(std::string_view subject,
                                                  std::string_view queue_group,
                                                  MessageHandler handler) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  size_t MaxPayload() const override;

  // Stops delivery and joins the delivery threads; every later call is kUnavailable and
  // requests waiting for a reply fail with kUnavailable. Subscriptions may still be
  // destroyed afterwards. Idempotent.
  void Close();

  // Messages published so far (all subjects, replies included; not a refused publish nor
  // a request that found no responders), for tests.
  uint64_t published() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace wasmcloud::lattice
