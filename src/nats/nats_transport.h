// lattice::Transport over a NATS connection (libnats 3.4.1). Subjects, wildcards and
// queue groups are the server's; "no responders" comes from the server (NATS 2.2+
// headers), so Request knows when a request was certainly not delivered.
//
// Threads: libnats delivers each subscription's messages on a thread of its own, one at a
// time and in order; the handler runs there, so it must hand long work to an executor
// (the host's RpcServer does). A subscription's destructor waits for a running handler
// (unless called from inside it), as transport.h requires.
#pragma once

#include <memory>

#include "lattice/transport.h"
#include "nats/nats_connection.h"

namespace wasmcloud::nats {

// What libnats may buffer for one subscription of a transport before it drops messages
// (a slow consumer, logged). libnats' defaults are 65,536 messages and 64 MiB.
struct NatsPendingLimits {
  int messages = 1 << 20;
  int bytes = 1 << 30;
};

// For the RPC transport: a burst of invocations (each handed on to a pool at once) may be
// above libnats' defaults. These are limits, not allocations.
inline constexpr NatsPendingLimits kRpcPendingLimits{};
// For the control transport (control requests, events, links): libnats' defaults. Its
// handlers parse what they get, and every subject of it is open to more publishers, so a
// flood of large messages meets a limit of 64 MiB per subscription instead of 1 GiB.
inline constexpr NatsPendingLimits kControlPendingLimits{65536, 64 << 20};

class NatsTransport final : public lattice::Transport {
 public:
  explicit NatsTransport(std::shared_ptr<NatsConnection> connection,
                         NatsPendingLimits limits = kRpcPendingLimits);
  ~NatsTransport() override;

  Status Publish(std::string_view subject, ByteView data, std::string_view reply = {},
                 const lattice::Headers& headers = {}) override;
  Result<lattice::Message> Request(std::string_view subject, ByteView data,
                                   std::chrono::milliseconds timeout,
                                   const lattice::Headers& headers = {}) override;
  Result<std::unique_ptr<lattice::Subscription>> Subscribe(
      std::string_view subject, std::string_view queue_group,
      lattice::MessageHandler handler) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  size_t MaxPayload() const override;

  const std::shared_ptr<NatsConnection>& connection() const { return connection_; }

 private:
  std::shared_ptr<NatsConnection> connection_;
  const NatsPendingLimits limits_;
};

// Destroys the libnats messages this thread still holds for destruction in a batch (each
// thread holds up to 16 until it ends; the main thread's would be destroyed during the
// process's exit, after CloseLibraryAtExit closed the library under them).
void FlushMessagesOfThisThread();

}  // namespace wasmcloud::nats
