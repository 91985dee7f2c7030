// HostGate (src/provider/host_gate.h): what stands between a provider and its host in the
// library loader and in a guarded provider. The cases a provider's own threads bring
// about: calls before Start and after Stop, a Stop while calls are in the host on other
// threads, and a Stop from inside a call the provider forwarded.
#include "provider/host_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

namespace wasmcloud::provider {
namespace {

using namespace std::chrono_literals;

// A host whose CallActor can be held inside until released, and which can run something
// from inside the call (a provider that stops itself there).
class FakeHost final : public ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view, std::string_view, ByteView) override {
    calls.fetch_add(1);
    if (inside) inside();
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
    return Bytes{1};
  }
  void Log(LogLevel, std::string_view) override {}

  void WaitEntered() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  void Release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }

  std::atomic<int> calls{0};
  std::function<void()> inside;
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool released = false;
};

TEST(HostGateTest, CallsReachTheHostOnlyBetweenAttachAndDetach) {
  HostGate gate;
  FakeHost host;
  host.Release();
  {
    HostGate::Hold hold(gate);
    EXPECT_EQ(hold.host(), nullptr) << "before Attach";
  }
  EXPECT_FALSE(gate.detached());
  gate.Attach(&host);
  {
    HostGate::Hold hold(gate);
    ASSERT_EQ(hold.host(), &host);
    EXPECT_TRUE(hold.host()->CallActor("M", "op", {}).ok());
  }
  gate.Detach();
  EXPECT_TRUE(gate.detached());
  {
    HostGate::Hold hold(gate);
    EXPECT_EQ(hold.host(), nullptr) << "after Detach";
  }
  // A stopped provider stays stopped: a late Attach changes nothing.
  gate.Attach(&host);
  HostGate::Hold hold(gate);
  EXPECT_EQ(hold.host(), nullptr);
  EXPECT_EQ(host.calls.load(), 1);
}

TEST(HostGateTest, DetachWaitsForTheCallsInTheHostOnOtherThreads) {
  HostGate gate;
  FakeHost host;
  gate.Attach(&host);
  std::thread caller([&] {
    HostGate::Hold hold(gate);
    ASSERT_NE(hold.host(), nullptr);
    (void)hold.host()->CallActor("M", "op", {});
  });
  host.WaitEntered();
  auto detached = std::async(std::launch::async, [&] { gate.Detach(); });
  // The host is still in use by the call: Detach may not return (it would let the host go
  // while the call runs in it).
  EXPECT_EQ(detached.wait_for(200ms), std::future_status::timeout);
  host.Release();
  EXPECT_EQ(detached.wait_for(10s), std::future_status::ready);
  caller.join();
  HostGate::Hold after(gate);
  EXPECT_EQ(after.host(), nullptr);
}

TEST(HostGateTest, ADetachFromInsideAForwardedCallDoesNotWaitForItself) {
  // Owned by the calling thread too: were Detach to wait for its own call, that thread
  // would never end, and the test fails (below) instead of hanging in a join.
  struct State {
    HostGate gate;
    FakeHost host;
    std::atomic<bool> returned{false};
    std::promise<bool> called;
  };
  auto state = std::make_shared<State>();
  state->gate.Attach(&state->host);
  state->host.Release();
  State* s = state.get();
  state->host.inside = [s] {
    s->gate.Detach();  // the provider stops itself from inside its own call
    s->returned = true;
  };
  std::future<bool> call = state->called.get_future();
  std::thread([state] {
    HostGate::Hold hold(state->gate);
    state->called.set_value(hold.host()->CallActor("M", "op", {}).ok());
  }).detach();
  ASSERT_EQ(call.wait_for(10s), std::future_status::ready) << "Detach waited for its own call";
  EXPECT_TRUE(call.get());
  EXPECT_TRUE(state->returned);
  EXPECT_TRUE(state->gate.detached());
}

TEST(HostGateTest, ADetachFromInsideACallStillWaitsForTheOtherThreadsCalls) {
  // Two calls in the host: one on another thread, and the one that stops the provider.
  // Owned by the stopping thread too, which is left behind (not joined): were Detach to
  // wait for its own call, the test fails instead of hanging.
  struct State {
    HostGate gate;
    FakeHost other_host;  // the first call waits in here
    std::promise<void> detached;
  };
  auto state = std::make_shared<State>();
  state->gate.Attach(&state->other_host);
  std::thread first([state] {
    HostGate::Hold hold(state->gate);
    (void)hold.host()->CallActor("M", "op", {});
  });
  state->other_host.WaitEntered();
  std::thread([state] {
    HostGate::Hold hold(state->gate);  // in_flight 2, this thread's own 1
    if (hold.host() == nullptr) return;
    state->gate.Detach();
    state->detached.set_value();
  }).detach();
  auto f = state->detached.get_future();
  EXPECT_EQ(f.wait_for(200ms), std::future_status::timeout);
  state->other_host.Release();
  EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
  first.join();
}

TEST(HostGateTest, AHoldOnAnotherGateDoesNotCountAsThisThreadsOwn) {
  // A call forwarded through gate A that stops provider B (gate B) from inside: B's Detach
  // still waits for B's call on another thread.
  HostGate a;
  HostGate b;
  FakeHost host_a;
  FakeHost host_b;
  host_a.Release();
  a.Attach(&host_a);
  b.Attach(&host_b);
  std::thread b_caller([&] {
    HostGate::Hold hold(b);
    (void)hold.host()->CallActor("M", "op", {});
  });
  host_b.WaitEntered();
  std::promise<void> detached;
  host_a.inside = [&] {
    b.Detach();
    detached.set_value();
  };
  std::thread a_caller([&] {
    HostGate::Hold hold(a);
    (void)hold.host()->CallActor("M", "op", {});
  });
  auto f = detached.get_future();
  EXPECT_EQ(f.wait_for(200ms), std::future_status::timeout);
  host_b.Release();
  EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
  a_caller.join();
  b_caller.join();
}

}  // namespace
}  // namespace wasmcloud::provider
