#include "host/event_publisher.h"

#include <utility>

#include "core/log.h"
#include "crypto/claims.h"
#include "lattice/event_json.h"
#include "lattice/subjects.h"

namespace wasmcloud::host {
namespace {

constexpr std::string_view kLog = "events";

// The heartbeat with counts instead of lists, for a lattice too large for one message.
lattice::LatticeEvent Summarized(const lattice::LatticeEvent& e) {
  lattice::LatticeEvent s = e;
  for (const char* key : {"actors", "providers", "claims"}) {
    if (s.data.contains(key) && s.data[key].is_array()) {
      s.data[std::string(key) + "_count"] = s.data[key].size();
      s.data.erase(key);
    }
  }
  if (s.data.contains("entities") && s.data["entities"].is_object()) {
    size_t unhealthy = 0;
    for (const auto& [k, v] : s.data["entities"].items()) unhealthy += v.is_object() ? 1 : 0;
    s.data["entities_count"] = s.data["entities"].size();
    s.data["unhealthy_count"] = unhealthy;
    s.data.erase("entities");
  }
  s.data["summarized"] = true;
  return s;
}

}  // namespace

EventPublisher::EventPublisher(std::shared_ptr<lattice::Transport> transport,
                               std::string lattice_name, size_t max_queued)
    : transport_(std::move(transport)),
      lattice_(std::move(lattice_name)),
      sender_("wc-events", 1, max_queued) {}

EventPublisher::~EventPublisher() { Stop(); }

void EventPublisher::Publish(lattice::LatticeEvent event) {
  if (stopped_.load(std::memory_order_acquire)) return;
  auto shared = std::make_shared<lattice::LatticeEvent>(std::move(event));
  if (!sender_.TrySubmit([this, shared] { Send(*shared); })) {
    Log(LogLevel::kWarn, kLog, "dropped event " + shared->type + ": the send queue is full");
  }
}

void EventPublisher::Stop() {
  if (stopped_.exchange(true)) return;
  sender_.Shutdown();
  (void)transport_->Flush(std::chrono::seconds(2));
}

void EventPublisher::Send(const lattice::LatticeEvent& event) {
  const size_t max = transport_->MaxPayload();
  auto send = [&](const std::string& subject, const std::string& body) {
    Status s = transport_->Publish(subject, AsBytes(body));
    if (!s.ok()) {
      Log(LogLevel::kWarn, kLog,
          "cannot publish event " + event.type + " on " + subject + ": " + s.message());
    }
  };
  const lattice::LatticeEvent* e = &event;
  lattice::LatticeEvent small;
  std::string cloud = lattice::ToCloudEvent(*e, crypto::NewUuidV4());
  std::optional<std::string> legacy = lattice::ToPublishedEvent(*e);
  if (cloud.size() > max || (legacy && legacy->size() > max)) {
    small = Summarized(event);
    e = &small;
    cloud = lattice::ToCloudEvent(*e, crypto::NewUuidV4());
    legacy = lattice::ToPublishedEvent(*e);
  }
  if (legacy) send(lattice::LegacyEventsSubject(lattice_), *legacy);
  send(lattice::EventSubject(lattice_, e->type), cloud);
}

}  // namespace wasmcloud::host
