// The watchdog's contract with a worker: it stops a call stack only while a call whose
// deadline has passed is running, never a call that has ended or one still in time.
#include "wasm/watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace wasmcloud::wasm {
namespace {

using Clock = Watchdog::Clock;
using namespace std::chrono_literals;

// Spins until the watchdog has fired for the slot's current call (or 10 s passed).
bool WaitUntilFired(const Watchdog::Slot& slot) {
  auto give_up = Clock::now() + 10s;
  while (!slot.fired()) {
    if (Clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(WatchdogTest, FiresOnlyForARunningCallPastItsDeadline) {
  Watchdog watchdog;
  // The call the worker is in, from just before Enter to just after Leave; -1 = none.
  std::atomic<int> current{-1};
  std::atomic<bool> current_overdue{false};
  std::atomic<int> fired_outside_a_call{0}, fired_for_a_call_in_time{0}, terminations{0};
  auto slot = watchdog.NewSlot([&] {
    ++terminations;
    if (current.load() < 0)
      ++fired_outside_a_call;
    else if (!current_overdue.load())
      ++fired_for_a_call_in_time;
  });

  constexpr int kCalls = 3000;
  int overdue_calls = 0, fired_calls = 0, wrongly_reported = 0;
  for (int i = 0; i < kCalls; ++i) {
    // Every 60th call overruns a 1 ms deadline; the others are short with 10 s.
    bool overdue = i % 60 == 0;
    current_overdue.store(overdue);
    current.store(i);
    slot->Enter(Clock::now() + (overdue ? 1ms : 10s));
    if (overdue) {
      ++overdue_calls;
      EXPECT_TRUE(WaitUntilFired(*slot)) << "call " << i << " was never stopped";
    }
    bool fired = slot->Leave();
    current.store(-1);
    if (fired) ++fired_calls;
    if (fired != overdue) ++wrongly_reported;
    EXPECT_EQ(slot->depth(), 0);
  }
  watchdog.RemoveSlot(slot);

  EXPECT_EQ(fired_outside_a_call.load(), 0);
  EXPECT_EQ(fired_for_a_call_in_time.load(), 0);
  EXPECT_EQ(wrongly_reported, 0);
  EXPECT_EQ(fired_calls, overdue_calls);
  EXPECT_EQ(terminations.load(), overdue_calls);
  EXPECT_EQ(watchdog.fired_count(), static_cast<uint64_t>(overdue_calls));
}

TEST(WatchdogTest, TheLastLeaveWaitsUntilATerminationInProgressHasBeenIssued) {
  // A slow `terminate` (V8's takes locks): the call that was stopped must not end, and
  // its caller must not cancel the termination, before `terminate` has returned, or the
  // termination would land on the next call.
  Watchdog watchdog;
  std::atomic<bool> terminated{false};
  auto slot = watchdog.NewSlot([&] {
    std::this_thread::sleep_for(50ms);
    terminated.store(true);
  });
  slot->Enter(Clock::now() + 1ms);
  ASSERT_TRUE(WaitUntilFired(*slot));  // marked fired: `terminate` has just begun
  EXPECT_TRUE(slot->Leave());
  EXPECT_TRUE(terminated.load()) << "Leave returned while terminate was still running";
  watchdog.RemoveSlot(slot);
}

TEST(WatchdogTest, ACallStartedWhileTheWatchdogSleepsIndefinitelyIsStillStopped) {
  // With no call in flight the watchdog sleeps with no timeout; the next call's deadline
  // must wake it (repeated, so that a lost wake-up between a call's Enter and the
  // watchdog's scan would show up as a call never stopped).
  Watchdog watchdog;
  auto slot = watchdog.NewSlot([] {});
  for (int i = 0; i < 200; ++i) {
    slot->Enter(Clock::now() + (i % 2 == 0 ? 100us : 10s));
    if (i % 2 == 0) {
      ASSERT_TRUE(WaitUntilFired(*slot)) << "call " << i << " was never stopped";
      EXPECT_TRUE(slot->Leave());
    } else {
      EXPECT_FALSE(slot->Leave());
    }
  }
  watchdog.RemoveSlot(slot);
}

TEST(WatchdogTest, ANestedCallCannotOutliveItsCaller) {
  Watchdog watchdog;
  std::atomic<int> terminations{0};
  auto slot = watchdog.NewSlot([&] { ++terminations; });

  // The outer call has 2 ms; a nested call asking for 10 s still stops at 2 ms.
  slot->Enter(Clock::now() + 2ms);
  slot->Enter(Clock::now() + 10s);
  EXPECT_EQ(slot->depth(), 2);
  ASSERT_TRUE(WaitUntilFired(*slot));
  EXPECT_TRUE(slot->Leave());  // the inner call learns the stack was stopped
  EXPECT_EQ(slot->depth(), 1);
  EXPECT_TRUE(slot->Leave());
  EXPECT_EQ(slot->depth(), 0);
  EXPECT_EQ(terminations.load(), 1);

  // A nested call with an earlier deadline stops the stack at its own deadline.
  slot->Enter(Clock::now() + 10s);
  slot->Enter(Clock::now() + 1ms);
  ASSERT_TRUE(WaitUntilFired(*slot));
  EXPECT_TRUE(slot->Leave());
  EXPECT_TRUE(slot->Leave());
  EXPECT_EQ(terminations.load(), 2);

  // The next call starts afresh.
  slot->Enter(Clock::now() + 10s);
  EXPECT_FALSE(slot->fired());
  EXPECT_FALSE(slot->Leave());
  watchdog.RemoveSlot(slot);
  EXPECT_EQ(terminations.load(), 2);
}

TEST(WatchdogTest, CallsWithoutADeadlineAreNeverStopped) {
  Watchdog watchdog;
  std::atomic<int> terminations{0};
  auto slot = watchdog.NewSlot([&] { ++terminations; });
  // A second slot whose deadline passes wakes the watchdog while the first one runs.
  auto other = watchdog.NewSlot([] {});
  slot->Enter(Clock::time_point::max());
  other->Enter(Clock::now() + 1ms);
  ASSERT_TRUE(WaitUntilFired(*other));
  EXPECT_TRUE(other->Leave());
  EXPECT_FALSE(slot->fired());
  EXPECT_FALSE(slot->Leave());
  watchdog.RemoveSlot(slot);
  watchdog.RemoveSlot(other);
  EXPECT_EQ(terminations.load(), 0);
}

TEST(WatchdogDeadlineTest, ADeadlineIsNeverEarlyAndLongOnesAtMostAFewMillisecondsLate) {
  using Clock = Watchdog::Clock;
  for (auto timeout : {std::chrono::nanoseconds(std::chrono::milliseconds(10)),
                       std::chrono::nanoseconds(std::chrono::seconds(1)),
                       std::chrono::nanoseconds(std::chrono::seconds(10))}) {
    for (int i = 0; i < 1000; ++i) {
      const Clock::time_point before = Clock::now();
      const Clock::time_point deadline = Watchdog::DeadlineAfter(timeout);
      const Clock::time_point after = Clock::now();
      ASSERT_GE(deadline, before + timeout) << timeout.count();
      ASSERT_LE(deadline, after + timeout + std::chrono::milliseconds(50)) << timeout.count();
    }
  }
  EXPECT_EQ(Watchdog::DeadlineAfter(std::chrono::nanoseconds::max()), Clock::time_point::max());
}

}  // namespace
}  // namespace wasmcloud::wasm
