#include "lattice/events.h"

#include <cstddef>
#include <utility>

namespace wasmcloud::lattice {
namespace {
thread_local std::string current_operation;
}  // namespace

OperationScope::OperationScope(std::string operation_id)
    : previous_(std::exchange(current_operation, std::move(operation_id))) {}

OperationScope::~OperationScope() { current_operation = std::move(previous_); }

const std::string& OperationScope::Current() { return current_operation; }

void MemoryEventSink::Publish(LatticeEvent event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

std::vector<LatticeEvent> MemoryEventSink::Events() const {
  std::lock_guard lock(mu_);
  return events_;
}

bool MemoryEventSink::WaitFor(const std::function<bool(const LatticeEvent&)>& match,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t checked = 0;  // events before this index did not match
  std::unique_lock lock(mu_);
  for (;;) {
    // `match` runs outside the lock, so that it may call the sink.
    std::vector<LatticeEvent> fresh(events_.begin() + static_cast<std::ptrdiff_t>(checked),
                                    events_.end());
    checked = events_.size();
    lock.unlock();
    for (const LatticeEvent& e : fresh) {
      if (match(e)) return true;
    }
    lock.lock();
    if (cv_.wait_until(lock, deadline, [&] { return checked < events_.size(); })) continue;
    return false;
  }
}

}  // namespace wasmcloud::lattice
