// One holder per key: changes of one actor wait for each other, those of different
// actors do not.
#include "core/keyed_mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "support/most_at_once.h"

namespace wasmcloud {
namespace {

TEST(KeyedMutexTest, HoldersOfOneKeyTakeTurns) {
  KeyedMutex keys;
  testing::MostAtOnce inside;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        KeyedMutex::Lock held = keys.Acquire("Mactor");
        inside.Enter();
        std::this_thread::yield();
        inside.Leave();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(inside.most(), 1);
  EXPECT_FALSE(keys.Held("Mactor"));
}

TEST(KeyedMutexTest, AnotherKeyDoesNotWait) {
  KeyedMutex keys;
  KeyedMutex::Lock a = keys.Acquire("Ma");
  // Acquired on another thread while "Ma" is held: returns (a wait would hang the test).
  auto other = std::async(std::launch::async, [&] {
    KeyedMutex::Lock b = keys.Acquire("Mb");
    return keys.Held("Mb");
  });
  EXPECT_TRUE(other.get());
  EXPECT_TRUE(keys.Held("Ma"));
  EXPECT_FALSE(keys.Held("Mb"));
}

// TryAcquire takes a free key at once and refuses a held one without waiting, from any
// thread; a refused try holds nothing.
TEST(KeyedMutexTest, TryAcquireRefusesAHeldKeyWithoutWaiting) {
  KeyedMutex keys;
  std::optional<KeyedMutex::Lock> first = keys.TryAcquire("Ma");
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(keys.Held("Ma"));
  auto other = std::async(std::launch::async, [&] {
    return std::make_pair(keys.TryAcquire("Ma").has_value(), keys.TryAcquire("Mb").has_value());
  });
  auto [same, different] = other.get();
  EXPECT_FALSE(same);
  EXPECT_TRUE(different);
  EXPECT_TRUE(keys.Held("Ma"));
  EXPECT_FALSE(keys.Held("Mb"));  // released when the other thread's lock went
  first.reset();
  EXPECT_FALSE(keys.Held("Ma"));
  EXPECT_TRUE(keys.TryAcquire("Ma").has_value());
}

}  // namespace
}  // namespace wasmcloud
