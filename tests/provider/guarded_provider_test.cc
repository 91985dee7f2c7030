// Deadlines for providers in the host's process (provider/guarded_provider.h): a call,
// create, bind or stop that does not return is reported as timed out at its deadline
// while the rest of the provider keeps serving; nothing reaches the host after it gave up
// on the provider; the provider (and its library) lives until the stuck code returns.
// A fake provider whose calls wait on gates the test opens, and the chaos provider of the
// supervision tests (data/chaos_provider.c) loaded in process through the real C ABI.
#include "provider/guarded_provider.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "provider/native_library.h"
#include "support/log_capture.h"

namespace wasmcloud::provider {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using wasmcloud::testing::Eventually;

// Closed until Open; Wait blocks until then.
class Gate {
 public:
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

struct Counters {
  std::atomic<int> calls{0};
  std::atomic<int> started_blocking{0};
  std::atomic<int> stops{0};
  std::atomic<bool> destroyed{false};
  std::atomic<ProviderHost*> host{nullptr};  // what the provider was given at Start
};

// HandleCall: "block" waits for `gate`, "throw" throws, "callback" calls the host, else
// echoes. Bind to actor "block" and Stop (when `block_stop`) wait for `gate` too.
class FakeProvider final : public Provider {
 public:
  FakeProvider(std::shared_ptr<Gate> gate, std::shared_ptr<Counters> counters, bool block_stop)
      : gate_(std::move(gate)), counters_(std::move(counters)), block_stop_(block_stop) {}
  ~FakeProvider() override { counters_->destroyed = true; }

  ProviderDescriptor Describe() const override { return {"wasmcloud:test", "Fake", "1"}; }
  Status Start(ProviderHost* host) override {
    host_ = host;
    counters_->host = host;
    return Status::Ok();
  }
  Status BindActor(std::string_view actor, const LinkValues&) override {
    if (actor == "block") Block();
    return Status::Ok();
  }
  Status RemoveActor(std::string_view) override { return Status::Ok(); }
  Result<Bytes> HandleCall(std::string_view, std::string_view operation,
                           ByteView payload) override {
    ++counters_->calls;
    if (operation == "block") Block();
    if (operation == "throw") throw std::runtime_error("boom");
    if (operation == "callback") return host_->CallActor("M1", "Ping", payload);
    return Bytes(payload.begin(), payload.end());
  }
  void Stop() override {
    ++counters_->stops;
    if (block_stop_) Block();
  }

 private:
  void Block() {
    ++counters_->started_blocking;
    gate_->Wait();
  }
  std::shared_ptr<Gate> gate_;
  std::shared_ptr<Counters> counters_;
  const bool block_stop_;
  ProviderHost* host_ = nullptr;
};

// Counts the calls that reach it.
class CountingHost final : public ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view, std::string_view, ByteView payload) override {
    ++calls;
    return Bytes(payload.begin(), payload.end());
  }
  void Log(LogLevel, std::string_view) override {}
  std::atomic<int> calls{0};
};

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

class GuardedProviderTest : public ::testing::Test {
 protected:
  std::shared_ptr<Provider> Make(bool block_stop = false, size_t threads = 16) {
    GuardOptions o;
    o.display = "fake.so";
    o.call_timeout = 300ms;
    o.control_timeout = 300ms;
    o.health_timeout = 300ms;
    o.max_call_threads = threads;
    return GuardProvider(std::make_shared<FakeProvider>(gate_, counters_, block_stop), o);
  }
  void TearDown() override { gate_->Open(); }

  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
  CountingHost host_;
};

TEST_F(GuardedProviderTest, ACallThatDoesNotReturnTimesOutWhileOthersAreAnswered) {
  auto p = Make();
  ASSERT_TRUE(p->Start(&host_).ok());
  const auto t0 = Clock::now();
  std::thread stuck([&] {
    auto r = p->HandleCall("M1", "block", B("x"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
    EXPECT_NE(r.status().message().find("fake.so: the provider did not answer the call block "
                                        "within 300 ms"),
              std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("isolation: process"), std::string::npos);
  });
  ASSERT_TRUE(Eventually([&] { return counters_->started_blocking == 1; }));
  for (int i = 0; i < 20; ++i) {
    auto r = p->HandleCall("M1", "echo", B("hello"));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(*r, B("hello"));
  }
  stuck.join();
  EXPECT_GE(Clock::now() - t0, 300ms);
  EXPECT_LT(Clock::now() - t0, 3s);
  // The stuck call returns later; the provider still serves.
  gate_->Open();
  auto r = p->HandleCall("M1", "echo", B("after"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  p->Stop();
}

TEST_F(GuardedProviderTest, ACallThatCouldNotStartBeforeItsDeadlineNeverRuns) {
  auto p = Make(false, 1);  // one call thread
  ASSERT_TRUE(p->Start(&host_).ok());
  std::thread stuck([&] { (void)p->HandleCall("M1", "block", B("x")); });
  ASSERT_TRUE(Eventually([&] { return counters_->started_blocking == 1; }));
  auto queued = p->HandleCall("M1", "echo", B("late"));
  EXPECT_EQ(queued.status().code(), Code::kDeadlineExceeded) << queued.status().message();
  stuck.join();
  gate_->Open();
  auto r = p->HandleCall("M1", "echo", B("next"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(counters_->calls, 2);  // "block" and "next": the abandoned call never ran
  p->Stop();
}

TEST_F(GuardedProviderTest, AThrowingCallIsAnError) {
  auto p = Make();
  ASSERT_TRUE(p->Start(&host_).ok());
  auto r = p->HandleCall("M1", "throw", B("x"));
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_NE(r.status().message().find("fake.so: the call throw threw an exception"),
            std::string::npos)
      << r.status().message();
  EXPECT_TRUE(p->HandleCall("M1", "echo", B("x")).ok());
  p->Stop();
}

TEST_F(GuardedProviderTest, AStuckBindTimesOutAndTheControlCallsBehindItToo) {
  auto p = Make();
  ASSERT_TRUE(p->Start(&host_).ok());
  Status bind = p->BindActor("block", {});
  EXPECT_EQ(bind.code(), Code::kDeadlineExceeded) << bind.message();
  EXPECT_NE(bind.message().find("did not answer bind_actor within 300 ms"), std::string::npos)
      << bind.message();
  // Control calls run one at a time: the next waits behind the stuck one.
  EXPECT_EQ(p->Health().code(), Code::kDeadlineExceeded);
  // Calls are not control calls: they are answered.
  EXPECT_TRUE(p->HandleCall("M1", "echo", B("x")).ok());
  gate_->Open();
  EXPECT_TRUE(Eventually([&] { return p->Health().ok(); }));
  EXPECT_TRUE(p->BindActor("M2", {}).ok());
  p->Stop();
}

TEST_F(GuardedProviderTest, AfterAStuckStopNothingReachesTheHost) {
  auto p = Make(/*block_stop=*/true);
  ASSERT_TRUE(p->Start(&host_).ok());
  auto r = p->HandleCall("M1", "callback", B("ping"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(host_.calls, 1);
  wasmcloud::testing::LogCapture log;
  const auto t0 = Clock::now();
  p->Stop();
  EXPECT_LT(Clock::now() - t0, 3s);
  EXPECT_EQ(log.Count("fake.so: the provider did not answer stop within 300 ms",
                      "left to finish on its own"),
            1u)
      << log.All();
  // The host may be gone now: what the provider's own threads call on it gets an error.
  EXPECT_EQ(p->HandleCall("M1", "echo", B("x")).status().code(), Code::kUnavailable);
  auto after = counters_->host.load()->CallActor("M1", "Ping", B("ping"));
  EXPECT_EQ(after.status().code(), Code::kUnavailable) << after.status().message();
  EXPECT_NE(after.status().message().find("fake.so: the provider is stopped"), std::string::npos)
      << after.status().message();
  EXPECT_EQ(host_.calls, 1);
  // Gone while its stop is stuck: the provider lives until stop returns, then goes.
  p.reset();
  EXPECT_FALSE(counters_->destroyed);
  gate_->Open();
  EXPECT_TRUE(Eventually([&] { return counters_->destroyed.load(); }));
}

TEST_F(GuardedProviderTest, TheProviderOutlivesTheGuardWhileACallIsStuckInIt) {
  auto p = Make();
  ASSERT_TRUE(p->Start(&host_).ok());
  std::thread stuck([&] { (void)p->HandleCall("M1", "block", B("x")); });
  ASSERT_TRUE(Eventually([&] { return counters_->started_blocking == 1; }));
  stuck.join();  // timed out
  p->Stop();
  EXPECT_EQ(counters_->stops, 1);
  const auto t0 = Clock::now();
  p.reset();
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_FALSE(counters_->destroyed);  // code of it still runs
  gate_->Open();
  EXPECT_TRUE(Eventually([&] { return counters_->destroyed.load(); }));
}

TEST_F(GuardedProviderTest, AGuardThatReturnedIsGoneWithItsProvider) {
  auto p = Make();
  ASSERT_TRUE(p->Start(&host_).ok());
  EXPECT_TRUE(p->HandleCall("M1", "echo", B("x")).ok());
  p->Stop();
  p.reset();
  EXPECT_TRUE(counters_->destroyed);  // at once, not later on another thread
}

TEST_F(GuardedProviderTest, LoadWithDeadlineGivesUpOnACreateThatDoesNotReturn) {
  auto late_gate = std::make_shared<Gate>();
  auto late = std::make_shared<Counters>();
  const auto t0 = Clock::now();
  auto loaded = LoadWithDeadline(
      [&, late_gate, late]() -> Result<std::shared_ptr<Provider>> {
        late_gate->Wait();
        return std::shared_ptr<Provider>(std::make_shared<FakeProvider>(gate_, late, false));
      },
      "slow.so", 200ms);
  EXPECT_EQ(loaded.status().code(), Code::kDeadlineExceeded);
  EXPECT_NE(loaded.status().message().find("slow.so: the provider's create did not return "
                                           "within 200 ms"),
            std::string::npos)
      << loaded.status().message();
  EXPECT_LT(Clock::now() - t0, 3s);
  // A provider created after its caller gave up is dropped.
  late_gate->Open();
  EXPECT_TRUE(Eventually([&] { return late->destroyed.load(); }));

  auto quick = LoadWithDeadline(
      [&]() -> Result<std::shared_ptr<Provider>> {
        return std::shared_ptr<Provider>(std::make_shared<FakeProvider>(gate_, counters_, false));
      },
      "quick.so", 5s);
  ASSERT_TRUE(quick.ok()) << quick.status().message();
  EXPECT_EQ((*quick)->Describe().name, "Fake");
}

// The chaos provider in process, through the C ABI: what blocks is bounded.
GuardOptions ChaosOptions() {
  GuardOptions o;
  o.display = "chaos.so";
  o.call_timeout = 300ms;
  o.control_timeout = 300ms;
  return o;
}

TEST(GuardedChaosTest, BlockingCallsBindAndStopAreBounded) {
  CountingHost host;
  auto inner = LoadNativeProvider(WC_TEST_CHAOS);
  ASSERT_TRUE(inner.ok()) << inner.status().message();
  auto p = GuardProvider(*inner, ChaosOptions());
  ASSERT_TRUE(p->Start(&host).ok());
  auto blocked = p->HandleCall("M1", "Add", B("block"));
  EXPECT_EQ(blocked.status().code(), Code::kDeadlineExceeded) << blocked.status().message();
  auto counted = p->HandleCall("M1", "Add", B("key"));
  ASSERT_TRUE(counted.ok()) << counted.status().message();
  EXPECT_EQ(*counted, Bytes({0x81, 0xa5, 'v', 'a', 'l', 'u', 'e', 0x01}));
  p->Stop();
}

TEST(GuardedChaosTest, ABindThatNeverReturnsIsBounded) {
  CountingHost host;
  auto inner = LoadNativeProvider(WC_TEST_CHAOS_BLOCK_BIND);
  ASSERT_TRUE(inner.ok()) << inner.status().message();
  auto p = GuardProvider(*inner, ChaosOptions());
  ASSERT_TRUE(p->Start(&host).ok());
  EXPECT_EQ(p->BindActor("M1", {}).code(), Code::kDeadlineExceeded);
  EXPECT_TRUE(p->HandleCall("M1", "Add", B("key")).ok());
  const auto t0 = Clock::now();
  p->Stop();  // behind the stuck bind: times out too
  p.reset();
  EXPECT_LT(Clock::now() - t0, 3s);
}

TEST(GuardedChaosTest, AStopThatNeverReturnsIsBounded) {
  CountingHost host;
  auto inner = LoadNativeProvider(WC_TEST_CHAOS_BLOCK_STOP);
  ASSERT_TRUE(inner.ok()) << inner.status().message();
  auto p = GuardProvider(*inner, ChaosOptions());
  ASSERT_TRUE(p->Start(&host).ok());
  const auto t0 = Clock::now();
  p->Stop();
  p.reset();
  EXPECT_LT(Clock::now() - t0, 3s);
}

TEST(GuardedChaosTest, ACreateThatNeverReturnsIsBounded) {
  const auto t0 = Clock::now();
  auto loaded = LoadWithDeadline([] { return LoadNativeProvider(WC_TEST_CHAOS_BLOCK_CREATE); },
                                 "chaos_block_create.so", 300ms);
  EXPECT_EQ(loaded.status().code(), Code::kDeadlineExceeded) << loaded.status().message();
  EXPECT_LT(Clock::now() - t0, 3s);
}

}  // namespace
}  // namespace wasmcloud::provider
