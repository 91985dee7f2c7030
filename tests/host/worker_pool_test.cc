// WorkerPool on its own, with the fake engine (also run under ThreadSanitizer): leases,
// nesting, waiting for a free worker, sweeps of free and leased workers, shutdown.
#include "host/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "support/fake_engine.h"
#include "support/status_assert.h"

namespace wasmcloud::host {
namespace {

using wasmcloud::testing::FakeEngine;
using wasmcloud::testing::Ok;

class RecordingCallbacks final : public InstanceCallbacks {
 public:
  explicit RecordingCallbacks(std::atomic<int>* forgets) : forgets_(forgets) {}
  Result<Bytes> OnHostCall(const wapc::HostCall&) override { return Unavailable("none"); }
  void OnConsoleLog(std::string_view) override {}
  void ForgetRoutes() override { forgets_->fetch_add(1); }

 private:
  std::atomic<int>* forgets_;
};

class WorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<WorkerPool>(engine_, [this](const std::string& actor, uint64_t gen) {
      std::lock_guard<std::mutex> lock(mu_);
      return wanted_.count({actor, gen}) != 0;
    });
    ASSERT_TRUE(Ok(pool_->Init(2)));
  }
  void TearDown() override { pool_->Shutdown(); }

  // Puts an instance record of (actor, generation) on the slot the lease holds.
  void Plant(WorkerSlot& slot, const std::string& actor, uint64_t generation) {
    auto module = std::make_shared<actor::ActorModule>();
    module->public_key = actor;
    module->generation = generation;
    ActorInstance& inst = slot.instances[actor];
    inst.module = module;
    inst.callbacks = std::make_unique<RecordingCallbacks>(&forgets_);
  }
  void Want(const std::string& actor, uint64_t generation, bool wanted) {
    std::lock_guard<std::mutex> lock(mu_);
    if (wanted) {
      wanted_.insert({actor, generation});
    } else {
      wanted_.erase({actor, generation});
    }
  }

  std::shared_ptr<FakeEngine> engine_ = std::make_shared<FakeEngine>();
  std::unique_ptr<WorkerPool> pool_;
  std::mutex mu_;
  std::set<std::pair<std::string, uint64_t>> wanted_;
  std::atomic<int> forgets_{0};
};

TEST_F(WorkerPoolTest, ANestedLeaseIsTheSameWorkerAndDoesNotWait) {
  EXPECT_FALSE(WorkerPool::ThreadInCall());
  auto outer = pool_->Acquire();
  ASSERT_TRUE(Ok(outer));
  EXPECT_TRUE(WorkerPool::ThreadInCall());
  WorkerSlot* slot = &(*outer)->slot();
  {
    auto inner = pool_->Acquire();
    ASSERT_TRUE(Ok(inner));
    EXPECT_EQ(&(*inner)->slot(), slot);
  }
  EXPECT_TRUE(WorkerPool::ThreadInCall());
  outer->reset();
  EXPECT_FALSE(WorkerPool::ThreadInCall());
}

TEST_F(WorkerPoolTest, ACallerWaitsForAFreeWorkerAndTheCallsRunTwoAtATime) {
  std::atomic<int> running{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto lease = pool_->Acquire();
        ASSERT_TRUE(Ok(lease));
        int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --running;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 2);
  EXPECT_GE(most.load(), 1);
}

TEST_F(WorkerPoolTest, SweepDropsUnwantedInstancesAndMakesTheOthersForgetTheirRoutes) {
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
    Plant((*lease)->slot(), "Mkeep", 1);
    Plant((*lease)->slot(), "Mdrop", 1);
  }
  Want("Mkeep", 1, true);
  pool_->SweepAll();
  auto lease = pool_->Acquire();
  ASSERT_TRUE(Ok(lease));
  // The free worker was swept at once (this thread prefers the worker it used last).
  EXPECT_EQ((*lease)->slot().instances.count("Mdrop"), 0u);
  EXPECT_EQ((*lease)->slot().instances.count("Mkeep"), 1u);
  EXPECT_EQ(forgets_.load(), 1);
}

TEST_F(WorkerPoolTest, ALeasedWorkerIsSweptWhenItIsGivenBack) {
  auto lease = pool_->Acquire();
  ASSERT_TRUE(Ok(lease));
  WorkerSlot* slot = &(*lease)->slot();
  Plant(*slot, "Mgone", 7);
  pool_->SweepAll();  // the slot is leased: marked, not touched
  EXPECT_EQ(slot->instances.count("Mgone"), 1u);
  lease->reset();  // given back: swept now
  auto again = pool_->Acquire();
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(&(*again)->slot(), slot);
  EXPECT_EQ(slot->instances.count("Mgone"), 0u);
}

TEST_F(WorkerPoolTest, ShutdownWaitsForLeasesAndLaterLeasesFail) {
  std::promise<void> leased;
  std::promise<void> release;
  std::thread holder([&] {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
    leased.set_value();
    release.get_future().wait();
  });
  leased.get_future().wait();
  auto shutdown = std::async(std::launch::async, [&] { pool_->Shutdown(); });
  EXPECT_EQ(shutdown.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.set_value();
  holder.join();
  shutdown.get();
  auto late = pool_->Acquire();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Code::kUnavailable);
}

// HoldOnThisThread (an HTTP loop's thread over a pass of requests).
TEST_F(WorkerPoolTest, AHeldWorkerIsKeptBetweenCallsUntilHoldingEnds) {
  WorkerPool::HoldOnThisThread(true);
  WorkerSlot* slot = nullptr;
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
    slot = &(*lease)->slot();
  }
  EXPECT_TRUE(slot->leased.load());  // kept
  EXPECT_FALSE(WorkerPool::ThreadInCall());
  // Another thread gets the other worker meanwhile.
  std::thread([&] {
    auto lease = pool_->Acquire(std::chrono::milliseconds(0));
    ASSERT_TRUE(Ok(lease));
    EXPECT_NE(&(*lease)->slot(), slot);
  }).join();
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
    EXPECT_EQ(&(*lease)->slot(), slot);  // taken back
    EXPECT_TRUE(WorkerPool::ThreadInCall());
    auto nested = pool_->Acquire();
    ASSERT_TRUE(Ok(nested));
    EXPECT_EQ(&(*nested)->slot(), slot);
  }
  EXPECT_TRUE(slot->leased.load());
  WorkerPool::HoldOnThisThread(false);
  EXPECT_FALSE(slot->leased.load());  // given back
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
  }
  EXPECT_FALSE(slot->leased.load());  // holding is off: given back after the call
}

TEST_F(WorkerPoolTest, ACallerThatWaitsGetsTheHeldWorkerAtTheHoldersNextCall) {
  auto one =
      std::make_unique<WorkerPool>(engine_, [](const std::string&, uint64_t) { return true; });
  ASSERT_TRUE(Ok(one->Init(1)));
  WorkerPool::HoldOnThisThread(true);
  { ASSERT_TRUE(Ok(one->Acquire())); }
  std::promise<void> waiting;
  std::atomic<bool> got{false};
  std::thread other([&] {
    waiting.set_value();
    auto lease = one->Acquire(std::chrono::seconds(30));
    ASSERT_TRUE(Ok(lease));
    got = true;
  });
  waiting.get_future().wait();
  // The holder's next call gives the worker to the waiter first (it then waits its turn).
  for (int i = 0; i < 20 && !got.load(); ++i) {
    auto lease = one->Acquire(std::chrono::seconds(30));
    ASSERT_TRUE(Ok(lease));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  other.join();
  EXPECT_TRUE(got.load());
  WorkerPool::HoldOnThisThread(false);
  one->Shutdown();
}

TEST_F(WorkerPoolTest, AWaiterGetsTheHeldWorkerWhenHoldingEnds) {
  auto one =
      std::make_unique<WorkerPool>(engine_, [](const std::string&, uint64_t) { return true; });
  ASSERT_TRUE(Ok(one->Init(1)));
  WorkerPool::HoldOnThisThread(true);
  { ASSERT_TRUE(Ok(one->Acquire())); }
  std::atomic<bool> got{false};
  std::thread other([&] {
    auto lease = one->Acquire(std::chrono::seconds(30));
    ASSERT_TRUE(Ok(lease));
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(got.load());  // kept while this thread holds and makes no call
  WorkerPool::HoldOnThisThread(false);
  other.join();
  EXPECT_TRUE(got.load());
  one->Shutdown();
}

TEST_F(WorkerPoolTest, AThreadThatEndsGivesItsHeldWorkerBack) {
  WorkerSlot* slot = nullptr;
  std::thread([&] {
    WorkerPool::HoldOnThisThread(true);
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
    slot = &(*lease)->slot();
  }).join();
  ASSERT_NE(slot, nullptr);
  EXPECT_FALSE(slot->leased.load());
}

TEST_F(WorkerPoolTest, ASweepAskedForWhileAWorkerIsHeldRunsBeforeItIsUsedAgain) {
  WorkerPool::HoldOnThisThread(true);
  WorkerSlot* slot = nullptr;
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
    slot = &(*lease)->slot();
    Plant(*slot, "Mold", 1);
  }
  pool_->SweepAll();  // the held worker is leased: marked
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(Ok(lease));
    EXPECT_EQ(&(*lease)->slot(), slot);
    EXPECT_EQ(slot->instances.count("Mold"), 0u);  // swept before the call
  }
  WorkerPool::HoldOnThisThread(false);
}

TEST_F(WorkerPoolTest, TheHolderCanShutThePoolDown) {
  WorkerPool::HoldOnThisThread(true);
  { ASSERT_TRUE(Ok(pool_->Acquire())); }
  pool_->Shutdown();  // gives the held worker back first instead of waiting for it
  WorkerPool::HoldOnThisThread(false);
  EXPECT_FALSE(Ok(pool_->Acquire()));
}

}  // namespace
}  // namespace wasmcloud::host
