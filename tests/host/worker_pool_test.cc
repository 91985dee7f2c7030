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
#include "support/most_at_once.h"
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
  wasmcloud::testing::MostAtOnce running;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto lease = pool_->Acquire();
        ASSERT_TRUE(Ok(lease));
        running.Enter();
        std::this_thread::yield();
        running.Leave();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(running.most(), 2);
  EXPECT_GE(running.most(), 1);
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

}  // namespace
}  // namespace wasmcloud::host
