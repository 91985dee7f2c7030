#include <gmock/gmock.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "wapc_test_util.h"

namespace wasmcloud::wapc {
namespace {

using testing::LoadFile;
using testing::RecordingHost;
using testing::TestData;
using testing::TestEngine;

class WapcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = TestEngine().NewWorker();
    ASSERT_TRUE(w.ok()) << w.status().message();
    worker_ = std::move(*w);
  }
  void TearDown() override {
    instance_.reset();
    worker_.reset();
  }

  WapcInstance& Guest(const wasm::CallOptions& init = {}, const Limits& limits = {}) {
    auto m = WapcModule::Load(TestEngine(), LoadFile(TestData("test_guest.wasm")));
    EXPECT_TRUE(m.ok()) << m.status().message();
    auto i = WapcInstance::Create(*worker_, *m, &host_, "test_guest", init, limits);
    EXPECT_TRUE(i.ok()) << i.status().message();
    instance_ = std::move(*i);
    return *instance_;
  }

  Status LoadError(const std::string& file) {
    auto m = WapcModule::Load(TestEngine(), LoadFile(TestData(file)));
    if (!m.ok()) return m.status();
    auto i = WapcInstance::Create(*worker_, *m, &host_, file);
    return i.status();
  }

  std::unique_ptr<wasm::Worker> worker_;
  std::unique_ptr<WapcInstance> instance_;
  RecordingHost host_;
};

TEST_F(WapcTest, EchoesThePayload) {
  WapcInstance& g = Guest();
  auto r = g.Call("echo", AsBytes("hello, waPC"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(AsChars(*r), "hello, waPC");
  auto empty = g.Call("echo", {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(WapcTest, LargePayloadGrowsGuestMemory) {
  WapcInstance& g = Guest();
  Bytes big(3 * 1024 * 1024);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  auto r = g.Call("echo", big);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, big);
}

TEST_F(WapcTest, RunsWapcInitBeforeTheFirstCall) {
  auto r = Guest().Call("initialized", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(AsChars(*r), "yes");
}

TEST_F(WapcTest, RunsStartThenWapcInit) {
  auto m = WapcModule::Load(TestEngine(), LoadFile(TestData("start_order.wasm")));
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto i = WapcInstance::Create(*worker_, *m, &host_, "start_order");
  ASSERT_TRUE(i.ok()) << i.status().message();
  auto r = (*i)->Call("x", {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(AsChars(*r), "si");
}

TEST_F(WapcTest, GuestErrorIsReturnedVerbatim) {
  WapcInstance& g = Guest();
  auto r = g.Call("fail", AsBytes("because"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  EXPECT_EQ(r.status().message(), "the guest says no: because");
  auto unknown = g.Call("nope", {});
  EXPECT_EQ(unknown.status().message(), "No handler registered for function \"nope\"");
  EXPECT_TRUE(g.healthy());
}

TEST_F(WapcTest, ReturnValuesWithoutMessagesFollowWapc) {
  WapcInstance& g = Guest();
  EXPECT_EQ(g.Call("silent_failure", {}).status().message(),
            "No error message set for call failure");
  EXPECT_EQ(g.Call("no_response", {}).status().message(),
            "No error message OR response set for call success");
}

TEST_F(WapcTest, HostCallReachesTheHostAndReturnsItsReply) {
  WapcInstance& g = Guest();
  host_.replies.push_back(ToBytes("pong"));
  auto r = g.Call("host", AsBytes("myBinding|wapc:sample|Ping|this is a test"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(AsChars(*r), "pong");
  ASSERT_EQ(host_.calls.size(), 1u);
  EXPECT_EQ(host_.calls[0].binding, "myBinding");
  EXPECT_EQ(host_.calls[0].ns, "wapc:sample");
  EXPECT_EQ(host_.calls[0].operation, "Ping");
  EXPECT_EQ(AsChars(host_.calls[0].payload), "this is a test");
}

TEST_F(WapcTest, HostErrorReachesTheGuest) {
  WapcInstance& g = Guest();
  host_.replies.push_back(PermissionDenied("Authorization denied"));
  auto r = g.Call("host", AsBytes("|wasmcloud:keyvalue|Add|x"));
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  EXPECT_EQ(r.status().message(), "Host error: Authorization denied");
  ASSERT_EQ(host_.calls.size(), 1u);
  EXPECT_EQ(host_.calls[0].binding, "");
}

TEST_F(WapcTest, WhatAGuestHandsOverIsBounded) {
  WapcInstance& h = Guest({}, Limits{.max_response_bytes = 200, .max_host_call_bytes = 8});
  // A host call's payload above the limit is refused to the guest, before the host sees it.
  host_.replies.push_back(ToBytes("pong"));
  EXPECT_TRUE(h.Call("host", AsBytes("b|ns|Op|12345678")).ok());
  ASSERT_EQ(host_.calls.size(), 1u);
  auto refused = h.Call("host", AsBytes("b|ns|Op|123456789"));
  EXPECT_EQ(refused.status().code(), Code::kGuestError);
  EXPECT_EQ(refused.status().message(),
            "Host error: host call rejected: its payload of 9 bytes is above the host's limit of "
            "8 bytes (--max-host-call-bytes)");
  EXPECT_EQ(host_.calls.size(), 1u);
  EXPECT_TRUE(h.healthy());
  // A response or an error text above the limit traps the call.
  WapcInstance& g = Guest({}, Limits{.max_response_bytes = 16, .max_host_call_bytes = 8});
  EXPECT_TRUE(g.Call("echo", Bytes(16, 'x')).ok());
  auto response = g.Call("echo", Bytes(17, 'x'));
  EXPECT_EQ(response.status().code(), Code::kTrap);
  EXPECT_EQ(response.status().message(),
            "__guest_response: 17 bytes are above the host's limit of 16 bytes for what an actor "
            "returns (--max-response-bytes)");
  EXPECT_FALSE(g.healthy());
  WapcInstance& g2 = Guest({}, Limits{.max_response_bytes = 16, .max_host_call_bytes = 8});
  auto error = g2.Call("fail", Bytes(40, 'x'));  // "the guest says no: " + 40 bytes
  EXPECT_EQ(error.status().code(), Code::kTrap);
  EXPECT_THAT(error.status().message(), ::testing::HasSubstr("__guest_error: 59 bytes are above"));
}

TEST_F(WapcTest, MemoryReportsItsSizeAndCanBeDiscarded) {
  WapcInstance& g = Guest();
  const size_t before = g.memory_bytes();
  EXPECT_GT(before, 0u);
  ASSERT_TRUE(g.Call("grow", AsBytes("4")).ok());
  EXPECT_EQ(g.memory_bytes(), before + 4 * 65536);
  g.DiscardMemory();  // only before the instance goes; the size does not change
  EXPECT_EQ(g.memory_bytes(), before + 4 * 65536);
}

TEST_F(WapcTest, HostCallWithInvalidUtf8IsRefusedNotCrashed) {
  WapcInstance& g = Guest();
  auto r = g.Call("bad_utf8_host_call", {});
  EXPECT_EQ(r.status().message(), "Host error: host call rejected: the binding is not valid UTF-8");
  EXPECT_TRUE(host_.calls.empty());
}

TEST_F(WapcTest, ConsoleLogGoesToTheHost) {
  WapcInstance& g = Guest();
  ASSERT_TRUE(g.Call("log", AsBytes("Received message: hi")).ok());
  ASSERT_EQ(host_.logs.size(), 1u);
  EXPECT_EQ(host_.logs[0], "Received message: hi");
}

TEST_F(WapcTest, TrapIsAnErrorAndTheEngineStaysUsable) {
  WapcInstance& g = Guest();
  auto r = g.Call("trap", {});
  EXPECT_EQ(r.status().code(), Code::kTrap);
  EXPECT_EQ(r.status().message(), "call to __guest_call trapped: RuntimeError: unreachable");
  EXPECT_FALSE(g.healthy());
  // The same instance still answers (the host would replace it; the engine allows both).
  EXPECT_EQ(AsChars(*g.Call("echo", AsBytes("again"))), "again");
  auto stack = g.Call("recurse", {});
  EXPECT_EQ(stack.status().code(), Code::kTrap);
  EXPECT_NE(stack.status().message().find("Maximum call stack size exceeded"), std::string::npos)
      << stack.status().message();
}

TEST_F(WapcTest, EndlessLoopIsStoppedByTheDeadline) {
  WapcInstance& g = Guest();
  auto start = std::chrono::steady_clock::now();
  auto r = g.Call("loop", {}, {.timeout = std::chrono::milliseconds(100)});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
  EXPECT_EQ(r.status().message(), "call to __guest_call was stopped: it ran past its deadline");
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::seconds(5));  // a hang would be far longer
  EXPECT_FALSE(g.healthy());
  // The worker is usable again, for this instance and a fresh one.
  EXPECT_EQ(AsChars(*g.Call("echo", AsBytes("alive"))), "alive");
  auto r2 = g.Call("loop", {}, {.timeout = std::chrono::milliseconds(20)});
  EXPECT_EQ(r2.status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(AsChars(*g.Call("echo", AsBytes("still"))), "still");
}

TEST_F(WapcTest, FastCallsAfterAFiredDeadlineAreNotStopped) {
  WapcInstance& g = Guest();
  ASSERT_EQ(g.Call("loop", {}, {.timeout = std::chrono::milliseconds(10)}).status().code(),
            Code::kDeadlineExceeded);
  for (int i = 0; i < 20000; ++i) {
    auto r = g.Call("echo", AsBytes("x"), {.timeout = std::chrono::milliseconds(50)});
    ASSERT_TRUE(r.ok()) << "call " << i << ": " << r.status().message();
  }
}

TEST_F(WapcTest, PointersOutsideGuestMemoryTrapWithAClearError) {
  WapcInstance& g = Guest();
  auto r = g.Call("bad_response_ptr", {});
  EXPECT_EQ(r.status().code(), Code::kTrap);
  EXPECT_EQ(r.status().message(),
            "__guest_response: guest range [0xfffffff0, 0xfffffff0 + 100) is outside guest "
            "memory of 131072 bytes");
  auto h = g.Call("bad_host_call_ptr", {});
  EXPECT_EQ(h.status().code(), Code::kTrap);
  EXPECT_NE(h.status().message().find("__host_call: guest range [0x7ffffff0"), std::string::npos)
      << h.status().message();
  EXPECT_TRUE(host_.calls.empty());
  auto e = g.Call("huge_error_len", {});
  EXPECT_EQ(e.status().code(), Code::kTrap);
  EXPECT_EQ(AsChars(*g.Call("echo", AsBytes("ok"))), "ok");
}

TEST_F(WapcTest, MemoryIsCappedByTheEngine) {
  WapcInstance& g = Guest();
  // The engine in these tests caps guest memory at 256 pages (16 MiB).
  EXPECT_TRUE(g.Call("grow", AsBytes("100")).ok());
  auto r = g.Call("grow", AsBytes("200"));
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  EXPECT_EQ(r.status().message(), "memory.grow refused");
  auto big = g.Call("echo", Bytes(32 * 1024 * 1024));
  EXPECT_EQ(big.status().code(), Code::kTrap) << big.status().message();
}

TEST_F(WapcTest, MissingGuestCallIsALoadError) {
  Status s = LoadError("no_guest_call.wasm");
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "not a waPC module: it does not export the function __guest_call");
}

TEST_F(WapcTest, ForeignImportIsALoadError) {
  Status s = LoadError("foreign_import.wasm");
  EXPECT_EQ(s.message(),
            "module imports function env.now, which the host does not provide (a waPC host "
            "offers only the wapc.* functions)");
}

TEST_F(WapcTest, MissingMemoryExportIsALoadError) {
  EXPECT_EQ(LoadError("no_memory.wasm").message(),
            "not a waPC module: it does not export its memory as \"memory\"");
}

TEST_F(WapcTest, WrongImportSignatureIsALoadError) {
  EXPECT_EQ(LoadError("wrong_signature.wasm").message(),
            "module imports wapc.__host_call with type (i32, i32) -> i32, but waPC defines "
            "(i32, i32, i32, i32, i32, i32, i32, i32) -> i32");
}

TEST_F(WapcTest, TrapInWapcInitIsALoadError) {
  Status s = LoadError("init_traps.wasm");
  EXPECT_EQ(s.code(), Code::kTrap);
  EXPECT_EQ(s.message(), "wapc_init failed: call to wapc_init trapped: RuntimeError: unreachable");
}

TEST_F(WapcTest, MalformedBytesAreALoadError) {
  Bytes module = LoadFile(TestData("test_guest.wasm"));
  Status truncated = LoadError("test_guest.wasm");
  ASSERT_TRUE(truncated.ok());
  auto r = WapcModule::Load(TestEngine(), ByteView(module).first(module.size() / 2));
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  auto magic = WapcModule::Load(TestEngine(), AsBytes("\x7f"
                                                      "ELF\x01\x00\x00\x00"));
  EXPECT_EQ(magic.status().code(), Code::kMalformed);
}

TEST_F(WapcTest, ModuleIsSharedBetweenWorkerThreads) {
  auto m = WapcModule::Load(TestEngine(), LoadFile(TestData("test_guest.wasm")));
  ASSERT_TRUE(m.ok());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto w = TestEngine().NewWorker();
      if (!w.ok()) return;
      RecordingHost host;
      auto i = WapcInstance::Create(**w, *m, &host, "t");
      if (!i.ok()) return;
      std::string msg = "thread " + std::to_string(t);
      for (int k = 0; k < 1000; ++k) {
        auto r = (*i)->Call("echo", AsBytes(msg));
        if (r.ok() && AsChars(*r) == msg) good.fetch_add(1);
      }
      i->reset();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 4000);
}

TEST_F(WapcTest, WorkerServesAnyThreadOneAtATime) {
  WapcInstance& g = Guest();
  // Another thread may call the instance when nobody holds the worker.
  Result<Bytes> r = Internal("not called");
  std::thread([&] { r = g.Call("echo", AsBytes("from another thread")); }).join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(AsChars(*r), "from another thread");

  // While this thread holds the worker, the other thread's call waits for it.
  std::atomic<bool> released{false};
  bool other_saw_release = false;
  Status other;
  std::thread t;
  {
    wasm::WorkerLock lock(*worker_);
    t = std::thread([&] {
      other = g.Call("echo", AsBytes("x")).status();
      other_saw_release = released.load();
    });
    auto mine = g.Call("echo", AsBytes("mine"));
    ASSERT_TRUE(mine.ok()) << mine.status().message();
    released = true;
  }
  t.join();
  EXPECT_TRUE(other.ok()) << other.message();
  EXPECT_TRUE(other_saw_release);
}

}  // namespace
}  // namespace wasmcloud::wapc
