// Providers in shared libraries (src/provider/native_library.h): the test providers of
// tests/provider/data, built as MODULE libraries, loaded through the C ABI. The SDK
// provider runs against a recording fake host; the last tests run the real host with
// the upstream kvcounter actor and an SDK-written keyvalue provider.
#include "provider/native_library.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "core/status.h"
#include "support/run_command.h"
#include "support/status_assert.h"

#ifdef WC_TEST_WITH_HOST
#include "host/host.h"
#include "wasm/v8/v8_engine.h"
#include "wire/core.h"
#include "wire/http.h"
#include "wire/keyvalue.h"
#endif

namespace wasmcloud::provider {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kActor = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

using wasmcloud::testing::Ok;

std::string Text(const Result<Bytes>& r) {
  if (!r.ok()) return "error: " + r.status().message();
  return std::string(AsChars(*r));
}

// Waits up to 10 s for `done`.
bool WaitUntil(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Records what the provider asks of the host. CallActor answers "<op> from host:
// <payload>", or kNotFound for the actor "MNOTFOUND".
class FakeHost : public ProviderHost {
 public:
  struct Call {
    std::string actor;
    std::string operation;
    std::string payload;
    std::thread::id thread;
  };
  struct Line {
    LogLevel level;
    std::string message;
  };

  Result<Bytes> CallActor(std::string_view actor, std::string_view operation,
                          ByteView payload) override {
    std::lock_guard lock(mu_);
    calls_.push_back({std::string(actor), std::string(operation), std::string(AsChars(payload)),
                      std::this_thread::get_id()});
    if (actor == "MNOTFOUND") return NotFound("actor MNOTFOUND is not running on this host");
    if (actor == "MLATE") return DeadlineExceeded("actor MLATE did not return within 10 ms");
    if (actor == "MREMOTE") return Unavailable("call to MREMOTE on the lattice: not connected");
    return ToBytes(std::string(operation) + " from host: " + std::string(AsChars(payload)));
  }
  void Log(LogLevel level, std::string_view message) override {
    std::lock_guard lock(mu_);
    lines_.push_back({level, std::string(message)});
  }

  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<Line> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  bool HasLine(const std::string& message) const {
    for (const auto& l : lines()) {
      if (l.message == message) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::vector<Line> lines_;
};

// Whether the library at `path` is loaded in this process now.
bool IsLoaded(const std::string& path) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) return false;
  dlclose(h);
  return true;
}

// ---------------------------------------------------------------------------------------
// An SDK provider against a fake host

class EchoProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = LoadNativeProvider(WC_TEST_ECHO_PROVIDER);
    ASSERT_TRUE(Ok(p));
    provider_ = *p;
    ASSERT_TRUE(Ok(provider_->Start(&host_)));
  }
  void TearDown() override {
    if (provider_) provider_->Stop();
  }
  Result<Bytes> Call(std::string_view op, std::string_view payload = "") {
    return provider_->HandleCall(kActor, op, AsBytes(payload));
  }

  FakeHost host_;
  std::shared_ptr<Provider> provider_;
};

TEST_F(EchoProviderTest, Describes) {
  ProviderDescriptor d = provider_->Describe();
  EXPECT_EQ(d.contract_id, "test:echo");
  EXPECT_EQ(d.name, "Echo (test)");
  EXPECT_EQ(d.version, "1.2.3");
}

TEST_F(EchoProviderTest, EchoesPayloads) {
  EXPECT_EQ(Text(Call("Echo", "hello")), "hello");
  auto empty = Call("Empty");
  ASSERT_TRUE(Ok(empty));
  EXPECT_TRUE(empty->empty());
  // Binary payloads with NUL bytes cross unchanged.
  const Bytes binary = {0, 1, 2, 0, 255};
  auto r = provider_->HandleCall(kActor, "Echo", binary);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(*r, binary);
  // A large one.
  const std::string large(1 << 20, 'x');
  EXPECT_EQ(Text(Call("Echo", large)).size(), large.size());
}

TEST_F(EchoProviderTest, BindAndRemoveWithValues) {
  EXPECT_EQ(Text(Call("Links")), "none");
  ASSERT_TRUE(Ok(provider_->BindActor(kActor, {{"URL", "redis://x"}, {"empty", ""}})));
  EXPECT_EQ(Text(Call("Links")), "URL=redis://x;empty=;");
  ASSERT_TRUE(Ok(provider_->BindActor(kActor, {})));  // bound again, no values now
  EXPECT_EQ(Text(Call("Links")), "");
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActor)));
  EXPECT_EQ(Text(Call("Links")), "none");
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActor)));  // idempotent
}

TEST_F(EchoProviderTest, BindErrorIsAStatus) {
  Status s = provider_->BindActor(kActor, {{"FAIL", "no credentials"}});
  EXPECT_EQ(s.code(), Code::kGuestError);
  EXPECT_EQ(s.message(), "bind refused: no credentials");
}

TEST_F(EchoProviderTest, ErrorThrownInHandleCallIsTheMessage) {
  auto r = Call("Fail", "disk full");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  EXPECT_EQ(r.status().message(), "echo failed: disk full");
  auto unknown = Call("Nope");
  EXPECT_EQ(unknown.status().message(), "no operation Nope");
  // The provider still serves.
  EXPECT_EQ(Text(Call("Echo", "still here")), "still here");
}

TEST_F(EchoProviderTest, ExceptionsOfOtherTypesBecomeErrors) {
  for (const char* op : {"ThrowInt", "ThrowStruct"}) {
    auto r = Call(op);
    ASSERT_FALSE(r.ok()) << op;
    EXPECT_EQ(r.status().message(), "the provider threw an exception that is not a std::exception")
        << op;
  }
  EXPECT_EQ(Text(Call("Echo", "fine")), "fine");
}

TEST_F(EchoProviderTest, CallsTheHostFromHandleCall) {
  EXPECT_EQ(Text(Call("CallBack", "ping")), "via host: Callback from host: ping");
  auto calls = host_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].actor, kActor);
  EXPECT_EQ(calls[0].operation, "Callback");
  EXPECT_EQ(calls[0].payload, "ping");
  EXPECT_EQ(calls[0].thread, std::this_thread::get_id());
}

TEST_F(EchoProviderTest, HostErrorsReachTheProviderAsItsErrors) {
  // The host's kNotFound becomes sdk::Error, which the provider lets through.
  auto r = provider_->HandleCall("MNOTFOUND", "CallBack", AsBytes("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "actor MNOTFOUND is not running on this host");
}

TEST_F(EchoProviderTest, CallsTheHostFromItsOwnThread) {
  EXPECT_EQ(Text(Call("Post", "tick")), "queued");
  EXPECT_EQ(Text(provider_->HandleCall("MNOTFOUND", "Post", AsBytes("tock"))), "queued");
  ASSERT_TRUE(WaitUntil([&] { return host_.lines().size() >= 2; }));
  EXPECT_TRUE(host_.HasLine("posted reply: Posted from host: tick"));
  EXPECT_TRUE(host_.HasLine("posted error: actor MNOTFOUND is not running on this host"));
  auto calls = host_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(calls[0].thread, std::this_thread::get_id());
}

TEST_F(EchoProviderTest, LogsThroughTheHost) {
  ASSERT_TRUE(Ok(Call("Log", "careful")));
  auto lines = host_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].level, LogLevel::kWarn);
  EXPECT_EQ(lines[0].message, "careful");
}

TEST_F(EchoProviderTest, BeforeStartTheHostAnswersAnError) {
  // The provider called the host from its constructor, before Start.
  EXPECT_EQ(Text(Call("Early")), "call_actor: the host has not started this provider");
}

TEST_F(EchoProviderTest, Health) {
  EXPECT_TRUE(Ok(provider_->Health()));
  ASSERT_TRUE(Ok(Call("SetHealth", "backing store unreachable")));
  Status s = provider_->Health();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "backing store unreachable");
  ASSERT_TRUE(Ok(Call("SetHealth", "")));
  EXPECT_TRUE(Ok(provider_->Health()));
  ASSERT_TRUE(Ok(Call("HealthThrows")));
  EXPECT_EQ(provider_->Health().message(), "health check exploded");
}

TEST_F(EchoProviderTest, StopJoinsTheProviderAndEndsItsHostAccess) {
  EXPECT_EQ(Text(Call("Post", "last")), "queued");
  provider_->Stop();
  // The provider's Stop called the host (allowed until stop returns) after its thread
  // finished the queue.
  auto calls = host_.calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().operation, "Stopped");
  EXPECT_TRUE(host_.HasLine("posted reply: Posted from host: last"));
  // Nothing reaches the library after stop.
  auto r = Call("Echo", "x");
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("is stopped"));
  EXPECT_EQ(provider_->BindActor(kActor, {}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(provider_->Start(&host_).code(), Code::kFailedPrecondition);
  provider_->Stop();  // idempotent
  EXPECT_EQ(host_.calls().size(), calls.size());
}

TEST_F(EchoProviderTest, ConcurrentCalls) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string payload = std::to_string(t) + ":" + std::to_string(i);
        if (Text(Call(i % 2 == 0 ? "Echo" : "CallBack", payload)) !=
            (i % 2 == 0 ? payload : "via host: Callback from host: " + payload)) {
          bad.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(host_.calls().size(), size_t{kThreads * kCalls / 2});
}

TEST(NativeLibraryTest, LogLinesBeforeStartGoToTheHostLog) {
  std::mutex mu;
  std::vector<std::string> seen;
  SetLogSink([&](LogLevel, std::string_view component, std::string_view msg) {
    std::lock_guard lock(mu);
    seen.push_back(std::string(component) + "|" + std::string(msg));
  });
  auto p = LoadNativeProvider(WC_TEST_ECHO_PROVIDER);
  SetLogSink(nullptr);
  ASSERT_TRUE(Ok(p));
  EXPECT_THAT(seen, ::testing::Contains(std::string("provider ") + WC_TEST_ECHO_PROVIDER +
                                        "|echo provider constructed"));
}

TEST(NativeLibraryTest, TheLibraryIsClosedWhenTheLastInstanceGoes) {
  ASSERT_FALSE(IsLoaded(WC_TEST_ECHO_PROVIDER));
  FakeHost host_a, host_b;  // outlive the providers: Stop calls the host
  auto a = LoadNativeProvider(WC_TEST_ECHO_PROVIDER);
  auto b = LoadNativeProvider(WC_TEST_ECHO_PROVIDER);  // a second, independent instance
  ASSERT_TRUE(Ok(a));
  ASSERT_TRUE(Ok(b));
  std::shared_ptr<Provider> pa = std::move(a).value();
  std::shared_ptr<Provider> pb = std::move(b).value();
  ASSERT_TRUE(Ok(pa->Start(&host_a)));
  ASSERT_TRUE(Ok(pb->Start(&host_b)));
  ASSERT_TRUE(Ok(pa->BindActor(kActor, {{"who", "a"}})));
  EXPECT_EQ(Text(pa->HandleCall(kActor, "Links", {})), "who=a;");
  EXPECT_EQ(Text(pb->HandleCall(kActor, "Links", {})), "none");
  EXPECT_TRUE(IsLoaded(WC_TEST_ECHO_PROVIDER));

  pa->Stop();
  pa.reset();
  EXPECT_TRUE(IsLoaded(WC_TEST_ECHO_PROVIDER));  // pb still runs code from it
  EXPECT_EQ(Text(pb->HandleCall(kActor, "Echo", AsBytes("b"))), "b");
  // Never stopped by a host: the last reference stops it, then destroys it.
  pb.reset();
  EXPECT_EQ(host_b.calls().size(), 1u);
  EXPECT_EQ(host_b.calls()[0].operation, "Stopped");
  EXPECT_FALSE(IsLoaded(WC_TEST_ECHO_PROVIDER));
}

// ---------------------------------------------------------------------------------------
// A provider in plain C (no SDK): the host's side of the memory rules

class CProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Our own handle keeps the library loaded, so that its counters can be read.
    handle_ = dlopen(WC_TEST_C_PROVIDER, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    released_ = static_cast<int*>(dlsym(handle_, "wc_test_c_released"));
    live_ = static_cast<int*>(dlsym(handle_, "wc_test_c_live_instances"));
    ASSERT_NE(released_, nullptr);
    ASSERT_NE(live_, nullptr);
    auto p = LoadNativeProvider(WC_TEST_C_PROVIDER, "test:c");
    ASSERT_TRUE(Ok(p));
    provider_ = *p;
    EXPECT_EQ(*live_, 1);
    ASSERT_TRUE(Ok(provider_->Start(&host_)));
  }
  void TearDown() override {
    provider_.reset();
    if (live_ != nullptr) {
      EXPECT_EQ(*live_, 0);
    }
    if (handle_ != nullptr) dlclose(handle_);
  }
  Result<Bytes> Call(std::string_view op, std::string_view payload = "") {
    return provider_->HandleCall(kActor, op, AsBytes(payload));
  }

  FakeHost host_;
  void* handle_ = nullptr;
  int* released_ = nullptr;
  int* live_ = nullptr;
  std::shared_ptr<Provider> provider_;
};

TEST_F(CProviderTest, TheHostReleasesEveryBufferItIsGiven) {
  const int before = *released_;
  // The provider answers only when its response buffer arrives zeroed.
  EXPECT_EQ(Text(Call("Echo", "abc")), "abc");
  EXPECT_EQ(*released_, before + 1);
  EXPECT_EQ(Text(Call("Echo")), "");
  EXPECT_EQ(*released_, before + 2);
  // bind_actor succeeds but leaves a message: released all the same.
  ASSERT_TRUE(Ok(provider_->BindActor(kActor, {{"a", "b"}})));
  EXPECT_EQ(*released_, before + 3);
  auto r = Call("Nope");
  EXPECT_EQ(r.status().message(), "no operation Nope");
  EXPECT_EQ(*released_, before + 4);
  // An error without a message gets one.
  EXPECT_EQ(Call("FailSilently").status().message(),
            std::string(WC_TEST_C_PROVIDER) + ": handle_call failed without a message");
  EXPECT_EQ(*released_, before + 4);
}

TEST_F(CProviderTest, CallsAndLogsThroughTheHostApi) {
  EXPECT_EQ(Text(Call("Call", "hi")), "host said: FromC from host: hi");
  auto r = provider_->HandleCall("MNOTFOUND", "Call", AsBytes("hi"));
  EXPECT_EQ(r.status().message(), "host error: actor MNOTFOUND is not running on this host");
  // The two specific failures a provider can tell apart (the httpserver answers 504, 503).
  r = provider_->HandleCall("MLATE", "Call", AsBytes("hi"));
  EXPECT_EQ(r.status().message(), "host error (deadline): actor MLATE did not return within 10 ms");
  r = provider_->HandleCall("MREMOTE", "Call", AsBytes("hi"));
  EXPECT_EQ(r.status().message(),
            "host error (unavailable): call to MREMOTE on the lattice: not connected");
  ASSERT_TRUE(Ok(Call("Log")));
  auto lines = host_.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].level, LogLevel::kError);
  EXPECT_EQ(lines[0].message, "from C");
  EXPECT_EQ(lines[1].level, LogLevel::kError);  // an unknown level counts as an error
  EXPECT_EQ(lines[1].message, "odd level");
}

// ---------------------------------------------------------------------------------------
// Libraries the host refuses

TEST(NativeLibraryTest, MissingFile) {
  auto r = LoadNativeProvider("/nonexistent/libnothing.so");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent/libnothing.so: no such file");
}

TEST(NativeLibraryTest, NotALibrary) {
  const std::string dir = testing::MakeTempDir();
  const std::string path = dir + "/libtext.so";
  std::ofstream(path) << std::string(4096, 'x');  // long enough to have an ELF header
  auto r = LoadNativeProvider(path);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith(path + ": cannot load: "));
  EXPECT_THAT(r.status().message(), HasSubstr("invalid ELF header"));
}

// A library built for another CPU: glibc says "No such file or directory" about a file
// that exists; the message says what it is built for.
TEST(NativeLibraryTest, ALibraryForAnotherCpuSaysSo) {
#if defined(__x86_64__)
  const std::string dir = testing::MakeTempDir();
  const std::string path = dir + "/libarm.so";
  auto bytes = ReadFile(WC_TEST_C_PROVIDER);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[18] = 183;  // e_machine: EM_AARCH64
  (*bytes)[19] = 0;
  ASSERT_TRUE(WriteFile(path, *bytes).ok());
  auto r = LoadNativeProvider(path);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              StartsWith(path + ": cannot load: it is built for aarch64, and this host runs on "
                                "x86_64 ("));
#else
  GTEST_SKIP() << "written for an x86_64 host";
#endif
}

TEST(NativeLibraryTest, MissingSymbol) {
  auto r = LoadNativeProvider(WC_TEST_ONE_SYMBOL);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), std::string(WC_TEST_ONE_SYMBOL) +
                                      ": not a wasmcloud provider: symbol "
                                      "wasmcloud_provider_create not found");
  EXPECT_FALSE(IsLoaded(WC_TEST_ONE_SYMBOL));
}

TEST(NativeLibraryTest, AbiVersionMismatch) {
  auto r = LoadNativeProvider(WC_TEST_ABI99);
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            std::string(WC_TEST_ABI99) +
                ": ABI version mismatch: the library was built for ABI 99, this host speaks 1");
}

TEST(NativeLibraryTest, ContractMismatch) {
  auto r = LoadNativeProvider(WC_TEST_ECHO_PROVIDER, "wasmcloud:keyvalue");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), std::string(WC_TEST_ECHO_PROVIDER) +
                                      ": contract id test:echo, expected wasmcloud:keyvalue");
  EXPECT_FALSE(IsLoaded(WC_TEST_ECHO_PROVIDER));  // the instance went again
  EXPECT_TRUE(Ok(LoadNativeProvider(WC_TEST_ECHO_PROVIDER, "test:echo")));
}

TEST(NativeLibraryTest, CreateFailsWithTheProvidersMessage) {
  auto r = LoadNativeProvider(WC_TEST_THROWING_PROVIDER);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().message(), std::string(WC_TEST_THROWING_PROVIDER) +
                                      ": wasmcloud_provider_create failed: cannot reach the "
                                      "backing store");
}

TEST(NativeLibraryTest, IncompleteVtableIsRefusedAndTheInstanceDestroyed) {
  // Our own handle keeps the library loaded so that its counter can be read.
  void* h = dlopen(WC_TEST_BAD_VTABLE, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << dlerror();
  auto* live = static_cast<int*>(dlsym(h, "wc_test_live_instances"));
  ASSERT_NE(live, nullptr);
  auto r = LoadNativeProvider(WC_TEST_BAD_VTABLE);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            std::string(WC_TEST_BAD_VTABLE) + ": the provider's vtable has no health");
  EXPECT_EQ(*live, 0);
  dlclose(h);
}

TEST(NativeLibraryTest, ABareNameIsAFileNotALibrarySearch) {
  // "libc.so.6" exists in the library path but not in the working directory.
  auto r = LoadNativeProvider("libc.so.6");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace wasmcloud::provider

#ifdef WC_TEST_WITH_HOST
// ---------------------------------------------------------------------------------------
// The real host: kvcounter (upstream 0.18 actor) linked to a keyvalue provider library

namespace wasmcloud::host {
namespace {

constexpr std::string_view kKvCounterKey =
    "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";

using wasmcloud::testing::Ok;

// The body of kvcounter's httpserver Response, or what went wrong.
std::string CountBody(Host& host, const std::string& path = "/counter") {
  wire::HttpRequest request;
  request.method = "GET";
  request.path = path;
  auto reply = host.CallActor(kKvCounterKey, "HandleRequest", wire::Encode(request));
  if (!reply.ok()) return "call failed: " + reply.status().message();
  auto response = wire::DecodeHttpResponse(*reply);
  if (!response.ok()) return "not a Response: " + response.status().message();
  if (response->status_code != 200) return "status " + std::to_string(response->status_code);
  return std::string(AsChars(response->body));
}

class KvCounterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Ok(host_.Start()));
    auto provider = provider::LoadNativeProvider(WC_TEST_KV_PROVIDER, "wasmcloud:keyvalue");
    ASSERT_TRUE(Ok(provider));
    NativeCapability capability;
    capability.provider = std::move(provider).value();
    auto pk = host_.StartNativeCapability(std::move(capability));
    ASSERT_TRUE(Ok(pk));
    provider_key_ = *pk;
    auto actor =
        host_.StartActorFromFile(wasmcloud::testing::FixturePath("wc-host-0.18/kvcounter.wasm"));
    ASSERT_TRUE(Ok(actor));
    ASSERT_EQ(*actor, kKvCounterKey);
    ASSERT_TRUE(
        Ok(host_.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", provider_key_, {})));
  }

  Host host_{HostConfig{}, wasm::CreateV8Engine};
  std::string provider_key_;
};

TEST_F(KvCounterTest, CountsThroughTheLibraryProvider) {
  EXPECT_EQ(CountBody(host_), R"({"counter":1})");
  EXPECT_EQ(CountBody(host_), R"({"counter":2})");
  EXPECT_EQ(CountBody(host_), R"({"counter":3})");

  auto identity = host_.GetProviderIdentity(provider_key_, "default");
  ASSERT_TRUE(Ok(identity));
  EXPECT_EQ(identity->contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(identity->name, "In-memory key-value (test)");

  // Stopped and let go by the host: calls are refused at once; its Stop runs in the
  // background, then the instance is destroyed and the library closed.
  ASSERT_TRUE(Ok(host_.StopProvider(provider_key_, "wasmcloud:keyvalue", "default")));
  EXPECT_NE(CountBody(host_), R"({"counter":4})");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (provider::IsLoaded(WC_TEST_KV_PROVIDER) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_FALSE(provider::IsLoaded(WC_TEST_KV_PROVIDER));
}

// A provider that fails (throws a std::exception, or something else) in a call: the actor
// gets the error as a host error and fails its own call with it; the host and the
// provider keep serving.
TEST_F(KvCounterTest, ProviderThatThrowsFailsTheCallAndTheHostKeepsServing) {
  EXPECT_EQ(CountBody(host_), R"({"counter":1})");
  const std::string failed = CountBody(host_, "/fail");
  EXPECT_THAT(failed, ::testing::HasSubstr("call failed"));
  EXPECT_THAT(failed, ::testing::HasSubstr("Host error"));
  EXPECT_THAT(failed, ::testing::HasSubstr("backing store unavailable"));
  const std::string odd = CountBody(host_, "/throw-int");
  EXPECT_THAT(odd, ::testing::HasSubstr("call failed"));
  EXPECT_THAT(odd, ::testing::HasSubstr("Host error"));
  EXPECT_EQ(CountBody(host_), R"({"counter":2})");
  // Failing calls on several threads at once do not disturb good ones either.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const bool fail = (i + t) % 2 == 0;
        const std::string body = CountBody(host_, fail ? "/fail" : "/other");
        if (fail != (body.find("backing store unavailable") != std::string::npos)) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(CountBody(host_, "/other"), R"({"counter":41})");
  auto health =
      host_.CallActor(kKvCounterKey, "HealthRequest", wire::Encode(wire::HealthRequest{}));
  EXPECT_TRUE(Ok(health));
}

TEST_F(KvCounterTest, ConcurrentCallers) {
  constexpr int kThreads = 4;
  constexpr int kCalls = 25;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (CountBody(host_).rfind(R"({"counter":)", 0) != 0) failed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(CountBody(host_), R"({"counter":)" + std::to_string(kThreads * kCalls + 1) + "}");
  // The host stops the provider with itself.
  ASSERT_TRUE(Ok(host_.Stop()));
}

}  // namespace
}  // namespace wasmcloud::host
#endif  // WC_TEST_WITH_HOST
