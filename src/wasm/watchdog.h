// Enforces call deadlines for engine contexts that can be interrupted from another
// thread (V8's TerminateExecution). One thread serves every worker of an engine.
//
// The hot path (Enter/Leave, once per guest call) takes no lock and makes no system
// call in the steady state: Enter is plain stores and one fence (against a lost wake-up,
// see Enter), the outermost Leave one atomic exchange (its handshake with a watchdog
// that may be firing at that moment). The
// watchdog thread sleeps until the earliest deadline it knows of and is woken only when
// a call's deadline is earlier than that.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace wasmcloud::wasm {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // One per worker. `terminate` is called on the watchdog thread, with the watchdog's
  // lock held, when the deadline of the running call has passed; it must be thread-safe
  // and must not block (V8: Isolate::TerminateExecution).
  // Cache-line aligned: the slots of two workers are written by two threads on every
  // call and must not share a line.
  class alignas(64) Slot {
   public:
    // Starts a (possibly nested) call with a deadline; Clock::time_point::max() = none.
    void Enter(Clock::time_point deadline);
    // Ends the innermost call. Returns true when the watchdog stopped the call stack
    // (at any depth) since the outermost Enter; the termination must then be cancelled
    // by the caller once it is back at depth 0 (see depth()). When the outermost Leave
    // returns, the watchdog is done with this call: it will not call `terminate` for it.
    bool Leave();
    // Nesting depth after the last Enter/Leave.
    int depth() const { return static_cast<int>(saved_.size()); }
    // True once the watchdog has fired for the current call stack.
    bool fired() const;

   private:
    friend class Watchdog;
    explicit Slot(Watchdog* owner, std::function<void()> terminate)
        : owner_(owner), terminate_(std::move(terminate)) {}

    // state_: the number of the outermost call (bits 2..63) and two flags. Only the
    // worker writes it while no call runs; while one runs, the watchdog may set kFired
    // with a compare-exchange that names the call, so it can never mark a later call.
    static constexpr uint64_t kInCall = 1;
    static constexpr uint64_t kFired = 2;

    Watchdog* owner_;
    std::function<void()> terminate_;
    std::atomic<uint64_t> state_{0};
    // Effective deadline of the innermost call, in Clock nanoseconds; INT64_MAX = none.
    std::atomic<int64_t> deadline_ns_{INT64_MAX};
    // True while the watchdog is between marking a call fired and the end of its
    // `terminate`: the outermost Leave of a fired call waits for it to become false.
    std::atomic<bool> terminating_{false};
    uint64_t calls_ = 0;          // worker thread only
    std::vector<int64_t> saved_;  // outer deadlines; worker thread only
  };

  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The deadline `timeout` from now, never earlier. A timeout of a second or more is
  // counted from the coarse clock (CLOCK_MONOTONIC_COARSE, ~5 ns to read against ~28 ns
  // for the precise one, once per guest call) plus twice its resolution, so such a
  // deadline may end up to ~8 ms late but never early; shorter ones use Clock::now().
  static Clock::time_point DeadlineAfter(std::chrono::nanoseconds timeout);

  std::shared_ptr<Slot> NewSlot(std::function<void()> terminate);
  // Removes a slot; after this returns, its terminate function is never called again.
  void RemoveSlot(const std::shared_ptr<Slot>& slot);

  // How often the watchdog fired, for tests and metrics.
  uint64_t fired_count() const { return fired_count_.load(); }

 private:
  void Run();
  // `deadline_ns`: Clock nanoseconds, as in Slot::deadline_ns_.
  void Schedule(int64_t deadline_ns);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Slot>> slots_;  // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  // When the watchdog thread will next wake up on its own; max() = only when woken.
  std::atomic<int64_t> next_wake_ns_{INT64_MAX};
  std::atomic<uint64_t> fired_count_{0};
  std::thread thread_;
};

}  // namespace wasmcloud::wasm
