#include "wasm/watchdog.h"

#include <time.h>

#include <algorithm>

namespace wasmcloud::wasm {
namespace {
int64_t ToNs(Watchdog::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

Watchdog::Clock::time_point Watchdog::DeadlineAfter(std::chrono::nanoseconds timeout) {
  // The coarse clock is CLOCK_MONOTONIC as of the last tick, the base steady_clock uses
  // on Linux: behind the precise one by less than its resolution.
  static const std::chrono::nanoseconds margin = [] {
    timespec res{};
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0 || res.tv_sec != 0) {
      return std::chrono::nanoseconds::max();  // unusable: always the precise clock
    }
    return 2 * std::chrono::nanoseconds(res.tv_nsec);
  }();
  if (timeout > std::chrono::hours(24 * 365)) return Clock::time_point::max();  // no overflow
  if (timeout >= std::chrono::seconds(1) && margin < std::chrono::milliseconds(50)) {
    timespec now{};
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &now) == 0) {
      const std::chrono::nanoseconds since_boot =
          std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
      return Clock::time_point(
          std::chrono::duration_cast<Clock::duration>(since_boot + margin + timeout));
    }
  }
  return Clock::now() + timeout;
}

void Watchdog::Slot::Enter(Clock::time_point deadline) {
  int64_t wanted = deadline == Clock::time_point::max() ? INT64_MAX : ToNs(deadline);
  int64_t effective;
  if (saved_.empty()) {
    // No call runs, so the watchdog does not write state_ now (its compare-exchange
    // needs kInCall): plain stores suffice. The deadline is stored first, so a
    // watchdog that sees the new call also sees its deadline.
    ++calls_;
    effective = wanted;
    saved_.push_back(INT64_MAX);
    deadline_ns_.store(effective, std::memory_order_relaxed);
    state_.store((calls_ << 2) | kInCall, std::memory_order_release);
  } else {
    // A nested call cannot outlive the call that contains it.
    int64_t outer = deadline_ns_.load(std::memory_order_relaxed);
    saved_.push_back(outer);
    effective = std::min(outer, wanted);
    deadline_ns_.store(effective, std::memory_order_release);
  }
  if (effective != INT64_MAX) {
    // Pairs with the fence in Run(): the store above and the watchdog's store of
    // next_wake_ns_ = INT64_MAX at the start of a scan are each followed by a load of
    // the other's variable, and without both fences both loads may see the old values
    // (store buffering, allowed on x86 too). The scan would then miss this call and
    // Schedule would take its fast path: a lost wake-up, and a runaway call never stopped.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    owner_->Schedule(effective);
  }
}

bool Watchdog::Slot::Leave() {
  if (saved_.empty()) return fired();
  int64_t outer = saved_.back();
  saved_.pop_back();
  deadline_ns_.store(outer, std::memory_order_relaxed);
  if (!saved_.empty()) return fired();
  // The outermost call ends: from here on the watchdog's compare-exchange fails.
  uint64_t old = state_.exchange(calls_ << 2, std::memory_order_acq_rel);
  if ((old & kFired) == 0) return false;
  // It fired for this call and may still be inside `terminate`; once that returns, the
  // caller can cancel the termination without a late one arriving after it.
  while (terminating_.load(std::memory_order_acquire)) std::this_thread::yield();
  return true;
}

bool Watchdog::Slot::fired() const {
  return (state_.load(std::memory_order_acquire) & kFired) != 0;
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

void Watchdog::Schedule(int64_t ns) {
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
    std::atomic_thread_fence(std::memory_order_seq_cst);  // see Slot::Enter
    auto now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    for (const auto& slot : slots_) {
      uint64_t state = slot->state_.load(std::memory_order_acquire);
      if ((state & Slot::kInCall) == 0 || (state & Slot::kFired) != 0) continue;
      int64_t deadline = slot->deadline_ns_.load(std::memory_order_acquire);
      if (deadline == INT64_MAX) continue;
      auto when = Clock::time_point(std::chrono::nanoseconds(deadline));
      if (when > now) {
        next = std::min(next, when);
        continue;
      }
      // Raised before the compare-exchange, so the worker's Leave, which follows it in
      // state_'s order when it succeeds, waits until `terminate` has returned.
      slot->terminating_.store(true, std::memory_order_seq_cst);
      if (slot->state_.compare_exchange_strong(state, state | Slot::kFired,
                                               std::memory_order_seq_cst)) {
        fired_count_.fetch_add(1);
        slot->terminate_();
      }
      slot->terminating_.store(false, std::memory_order_release);
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
