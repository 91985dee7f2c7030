// An EventSink that publishes on a lattice transport: each event as a 0.18
// PublishedEvent on wasmbus.ctl.{ns}.events (when 0.18 had that event) and as a
// CloudEvents 1.0 event on wasmbus.evt.{ns}.{type} (lattice/event_json.h).
//
// Threads: Publish only queues (bounded); one thread of its own sends, in order. A full
// queue or a failed send is logged and the event dropped; the host's operation never
// fails because of an event. A heartbeat larger than the transport's maximum payload is
// sent with counts instead of lists (lattice.md).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/thread_pool.h"
#include "lattice/events.h"
#include "lattice/transport.h"

namespace wasmcloud::host {

class EventPublisher final : public lattice::EventSink {
 public:
  EventPublisher(std::shared_ptr<lattice::Transport> transport, std::string lattice_name,
                 size_t max_queued = 1024);
  ~EventPublisher() override;  // Stop()

  void Publish(lattice::LatticeEvent event) override;
  // Sends what is queued, flushes the transport (so that the last events, HostStopped
  // among them, reach the server before its connection closes), then stops; later events
  // are dropped. Idempotent.
  void Stop();

 private:
  void Send(const lattice::LatticeEvent& event);

  std::shared_ptr<lattice::Transport> transport_;
  const std::string lattice_;
  ThreadPool sender_;
  std::atomic<bool> stopped_{false};
};

}  // namespace wasmcloud::host
