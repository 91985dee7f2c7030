// The bounded pool inbound lattice invocations and provider callbacks run on: every task
// runs once, in order, within its bound, and a shutdown runs what was queued.
#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/log_capture.h"

namespace wasmcloud {
namespace {

TEST(ThreadPoolTest, OneThreadRunsTasksInOrder) {
  ThreadPool pool("test-pool", 1, 100);
  std::mutex mu;
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
    }));
  }
  pool.Shutdown();
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(ThreadPoolTest, AFullQueueRefusesAndShutdownRunsWhatWasQueued) {
  ThreadPool pool("test-pool", 2, 3);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0}, ran{0};
  // Both threads busy, then three queued: the fourth is refused.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&, gate] {
      ++started;
      gate.wait();
      ++ran;
    }));
  }
  while (started.load() < 2) std::this_thread::yield();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));
  release.set_value();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 5);
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));  // after the shutdown
  EXPECT_EQ(ran.load(), 5);
}

// A task that throws (a std::exception or anything else) is logged and dropped; the
// thread that ran it goes on with the next task.
TEST(ThreadPoolTest, ATaskThatThrowsIsLoggedAndThePoolGoesOn) {
  wasmcloud::testing::LogCapture log;
  ThreadPool pool("test-pool", 1, 10);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit([] { throw std::runtime_error("broken task"); }));
  ASSERT_TRUE(pool.TrySubmit([] { throw 42; }));
  ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(log.Count("a task threw, and was dropped: broken task"), 1u) << log.All();
  EXPECT_EQ(log.Count("a task threw something that is not a std::exception"), 1u) << log.All();
}

TEST(ThreadPoolTest, ManySubmittersEveryTaskRunsOnce) {
  ThreadPool pool("test-pool", 3, 1 << 16);
  constexpr int kSubmitters = 4, kEach = 5000;
  std::atomic<int> ran{0}, refused{0};
  std::vector<std::thread> submitters;
  for (int s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!pool.TrySubmit([&] { ran.fetch_add(1, std::memory_order_relaxed); })) ++refused;
      }
    });
  }
  for (auto& t : submitters) t.join();
  pool.Shutdown();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(ran.load(), kSubmitters * kEach);
}

TEST(ThreadPoolTest, OnPoolThreadIsTrueOnlyInsideItsTasks) {
  ThreadPool pool("test-pool", 2, 10);
  EXPECT_FALSE(pool.OnPoolThread());
  std::promise<bool> inside;
  auto got = inside.get_future();
  ASSERT_TRUE(pool.TrySubmit([&] { inside.set_value(pool.OnPoolThread()); }));
  EXPECT_TRUE(got.get());
}

}  // namespace
}  // namespace wasmcloud
