#include "wasm/watchdog.h"

#include <algorithm>

namespace wasmcloud::wasm {
namespace {
int64_t ToNs(Watchdog::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

void Watchdog::Slot::Enter(Clock::time_point deadline) {
  Clock::time_point effective;
  {
    std::lock_guard<std::mutex> lock(mu_);
    saved_.push_back(deadline_);
    if (saved_.size() == 1) fired_ = false;
    // A nested call cannot outlive the call that contains it.
    deadline_ = std::min(deadline_, deadline);
    effective = deadline_;
  }
  if (effective != Clock::time_point::max()) owner_->Schedule(effective);
}

bool Watchdog::Slot::Leave() {
  std::lock_guard<std::mutex> lock(mu_);
  if (saved_.empty()) return fired_;
  deadline_ = saved_.back();
  saved_.pop_back();
  return fired_;
}

bool Watchdog::Slot::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

Watchdog::Watchdog() : thread_([this] { Run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<Watchdog::Slot> Watchdog::NewSlot(std::function<void()> terminate) {
  std::shared_ptr<Slot> slot(new Slot(this, std::move(terminate)));
  std::lock_guard<std::mutex> lock(mu_);
  slots_.push_back(slot);
  return slot;
}

void Watchdog::RemoveSlot(const std::shared_ptr<Slot>& slot) {
  // Holding mu_ excludes the watchdog's scan, which holds it while it fires.
  std::lock_guard<std::mutex> lock(mu_);
  slots_.erase(std::remove(slots_.begin(), slots_.end(), slot), slots_.end());
}

void Watchdog::Schedule(Clock::time_point deadline) {
  int64_t ns = ToNs(deadline);
  // Steady state: the watchdog already wakes up before this deadline; nothing to do.
  if (ns >= next_wake_ns_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ns >= next_wake_ns_.load(std::memory_order_relaxed)) return;
    next_wake_ns_.store(ns, std::memory_order_release);
  }
  cv_.notify_one();
}

void Watchdog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    // While this scan runs (mu_ held), every Schedule takes the slow path and waits for
    // mu_: a deadline set after the scan passed its slot is then never lost.
    next_wake_ns_.store(INT64_MAX, std::memory_order_release);
    auto now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    for (const auto& slot : slots_) {
      std::lock_guard<std::mutex> slot_lock(slot->mu_);
      if (slot->deadline_ == Clock::time_point::max() || slot->fired_) continue;
      if (slot->deadline_ <= now) {
        slot->fired_ = true;
        fired_count_.fetch_add(1);
        slot->terminate_();
      } else {
        next = std::min(next, slot->deadline_);
      }
    }
    next_wake_ns_.store(ToNs(next), std::memory_order_release);
    if (next == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next);
    }
  }
}

}  // namespace wasmcloud::wasm
