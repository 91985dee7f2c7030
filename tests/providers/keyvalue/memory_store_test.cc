// What only MemoryStore has: expiry on an injected clock, the sweep of expired keys, and
// its lock under concurrent callers. The contract both stores share is in store_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "keyvalue/store.h"

namespace wasmcloud::keyvalue {
namespace {

using std::chrono::seconds;

class FakeClock {
 public:
  std::chrono::steady_clock::time_point Now() const {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void Advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  MemoryStore::Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<int64_t> ms_{1'000'000};
};

class MemoryStoreTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  MemoryStore store_{clock_.AsClock()};
};

TEST_F(MemoryStoreTest, ExpiredKeysAreGoneForEveryOperation) {
  ASSERT_TRUE(store_.Set("k", "v", seconds(10)).ok());
  clock_.Advance(std::chrono::milliseconds(9999));
  EXPECT_EQ(*store_.Get("k"), "v");
  EXPECT_TRUE(*store_.KeyExists("k"));
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(store_.Get("k")->has_value());
  EXPECT_FALSE(*store_.KeyExists("k"));

  // An expired string no longer blocks a list or an Add from zero.
  ASSERT_TRUE(store_.Set("a", "x", seconds(1)).ok());
  ASSERT_TRUE(store_.Set("b", "x", seconds(1)).ok());
  ASSERT_TRUE(store_.Set("c", "x", seconds(1)).ok());
  clock_.Advance(seconds(1));
  EXPECT_EQ(*store_.Push("a", "v"), 1);
  EXPECT_EQ(*store_.Add("b", 5), 5);
  EXPECT_EQ(*store_.SetAdd("c", "v"), 1);
}

TEST_F(MemoryStoreTest, ZeroOrNegativeExpiryMeansNever) {
  ASSERT_TRUE(store_.Set("zero", "v", seconds(0)).ok());
  ASSERT_TRUE(store_.Set("neg", "v", seconds(-1)).ok());
  clock_.Advance(seconds(100'000'000));
  EXPECT_EQ(*store_.Get("zero"), "v");
  EXPECT_EQ(*store_.Get("neg"), "v");
}

TEST_F(MemoryStoreTest, SetReplacesTheExpiryAndAddKeepsIt) {
  ASSERT_TRUE(store_.Set("k", "1", seconds(5)).ok());
  ASSERT_TRUE(store_.Set("k", "2", seconds(0)).ok());  // no expiry any more
  clock_.Advance(seconds(10));
  EXPECT_EQ(*store_.Get("k"), "2");

  ASSERT_TRUE(store_.Set("c", "1", seconds(5)).ok());
  clock_.Advance(seconds(3));
  EXPECT_EQ(*store_.Add("c", 1), 2);  // as INCRBY: the key keeps its deadline
  clock_.Advance(seconds(2));
  EXPECT_FALSE(*store_.KeyExists("c"));
}

TEST_F(MemoryStoreTest, ExpiredKeysNobodyReadsAreSweptAway) {
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(store_.Set("t" + std::to_string(i), "v", seconds(1)).ok());
  ASSERT_TRUE(store_.Set("keep", "v", seconds(0)).ok());
  clock_.Advance(seconds(2));
  EXPECT_EQ(store_.KeyCountForTesting(), 101u);
  // Enough writes to other keys trigger a sweep.
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(store_.Add("counter", 1).ok());
  EXPECT_EQ(store_.KeyCountForTesting(), 2u);
  EXPECT_EQ(*store_.Get("keep"), "v");
  EXPECT_EQ(*store_.Get("counter"), "250");
}

TEST_F(MemoryStoreTest, DefaultClockIsTheSteadyClock) {
  MemoryStore store;
  ASSERT_TRUE(store.Set("k", "v", seconds(1000)).ok());
  EXPECT_EQ(*store.Get("k"), "v");
}

TEST(MemoryStoreConcurrencyTest, ConcurrentCallersLoseNoUpdate) {
  MemoryStore store;
  constexpr int kThreads = 8;
  constexpr int kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(store.Add("n", 1).ok());
        ASSERT_TRUE(store.Push("l", std::to_string(t)).ok());
        ASSERT_TRUE(store.SetAdd("s", std::to_string(t * kEach + i)).ok());
        ASSERT_TRUE(store.Get("n").ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(*store.Get("n"), std::to_string(kThreads * kEach));
  EXPECT_EQ(store.Range("l", 0, -1)->size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(store.SetMembers("s")->size(), static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace wasmcloud::keyvalue
