// libwasmcloud_keyvalue.so as the host sees it: loaded with provider::LoadNativeProvider,
// its bindings (in memory or Redis per link), its errors, and, at the end, the upstream
// kvcounter actor on the real host counting in a redis-server the test started.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "host/host.h"
#include "provider/native_library.h"
#include "provider/provider.h"
#include "redis_server.h"
#include "support/log_recording_host.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/v8/v8_engine.h"
#include "wire/core.h"
#include "wire/http.h"
#include "wire/keyvalue.h"

namespace wasmcloud::keyvalue {
namespace {

using testing::FreePort;
using ::testing::HasSubstr;
using testing::RedisServer;
using ::testing::StartsWith;

constexpr char kLibrary[] = WC_KEYVALUE_PROVIDER;
constexpr std::string_view kContract = "wasmcloud:keyvalue";
constexpr std::string_view kKvCounterKey =
    "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";
constexpr std::string_view kActorA = "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
constexpr std::string_view kActorB = "MBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

using wasmcloud::testing::Ok;

bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

using RecordingHost = wasmcloud::testing::LogRecordingHost;

Result<std::shared_ptr<provider::Provider>> Load() {
  return provider::LoadNativeProvider(kLibrary, std::string(kContract));
}

TEST(KeyValueLibraryTest, LoadsAsAKeyValueProvider) {
  auto p = Load();
  ASSERT_TRUE(Ok(p));
  const provider::ProviderDescriptor d = (*p)->Describe();
  EXPECT_EQ(d.contract_id, kContract);
  EXPECT_EQ(d.name, "Key-value store (Redis or in memory)");
  EXPECT_FALSE(d.version.empty());

  auto wrong = provider::LoadNativeProvider(kLibrary, "wasmcloud:httpserver");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("contract id wasmcloud:keyvalue"));
}

class KeyValueProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Load();
    ASSERT_TRUE(Ok(p));
    provider_ = *p;
    ASSERT_TRUE(Ok(provider_->Start(&host_)));
  }
  void TearDown() override {
    if (provider_ != nullptr) provider_->Stop();
  }
  void StartRedis() {
    WC_REQUIRE_TOOL(!RedisServer::Binary().empty(), "redis-server");
    auto s = RedisServer::Start();
    ASSERT_TRUE(Ok(s));
    redis_ = std::move(*s);
  }

  Status Bind(std::string_view actor, provider::LinkValues values = {}) {
    return provider_->BindActor(actor, values);
  }
  Result<int32_t> Add(std::string_view actor, const std::string& key, int32_t n = 1) {
    WC_ASSIGN_OR_RETURN(Bytes reply,
                        provider_->HandleCall(actor, "Add", wire::Encode(wire::AddArgs{key, n})));
    WC_ASSIGN_OR_RETURN(wire::AddResponse r, wire::DecodeAddResponse(reply));
    return r.value;
  }

  RecordingHost host_;
  std::shared_ptr<provider::Provider> provider_;
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(KeyValueProviderTest, AnUnboundActorIsRefused) {
  auto r = Add(kActorA, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "actor " + std::string(kActorA) +
                                      " is not linked to this wasmcloud:keyvalue provider "
                                      "(no BindActor)");
}

TEST_F(KeyValueProviderTest, ActorsWithoutUrlShareTheInMemoryStore) {
  ASSERT_TRUE(Ok(Bind(kActorA)));
  ASSERT_TRUE(Ok(Bind(kActorB, {{"URL", ""}})));  // empty counts as none
  EXPECT_EQ(*Add(kActorA, "k"), 1);
  EXPECT_EQ(*Add(kActorB, "k"), 2);
  EXPECT_EQ(*Add(kActorA, "k", 10), 12);
  EXPECT_THAT(host_.Lines(), ::testing::Contains("actor " + std::string(kActorA) +
                                                 " uses the in-memory store (no URL link value)"));
}

TEST_F(KeyValueProviderTest, BindIsIdempotentAndRemoveForgetsTheActor) {
  ASSERT_TRUE(Ok(Bind(kActorA)));
  EXPECT_EQ(*Add(kActorA, "k"), 1);
  ASSERT_TRUE(Ok(Bind(kActorA)));  // again, as after a restart: same store
  EXPECT_EQ(*Add(kActorA, "k"), 2);
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActorA)));
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActorA)));
  EXPECT_THAT(Add(kActorA, "k").status().message(), HasSubstr("is not linked"));
  ASSERT_TRUE(Ok(Bind(kActorA)));
  EXPECT_EQ(*Add(kActorA, "k"), 3);  // the in-memory data outlives the link
}

TEST_F(KeyValueProviderTest, EveryOperationGoesThroughTheLibrary) {
  ASSERT_TRUE(Ok(Bind(kActorA)));
  auto call = [&](std::string_view op, const Bytes& payload) {
    auto r = provider_->HandleCall(kActorA, op, payload);
    EXPECT_TRUE(Ok(r)) << op;
    return r.ok() ? HexEncode(*r) : "";
  };
  EXPECT_EQ(call("Set", wire::Encode(wire::SetArgs{"s", "v", 0})), "81a576616c7565a176");
  EXPECT_EQ(call("Get", wire::Encode(wire::KeyArgs{"s"})), "82a576616c7565a176a6657869737473c3");
  EXPECT_EQ(call("Push", wire::Encode(wire::KeyValueArgs{"l", "a"})), "81a86e6577436f756e7401");
  EXPECT_EQ(call("SetAdd", wire::Encode(wire::KeyValueArgs{"t", "a"})), "81a96e65775f636f756e7401");
  EXPECT_EQ(call("SetQuery", wire::Encode(wire::KeyArgs{"t"})), "81a676616c75657391a161");
  EXPECT_EQ(call("Del", wire::Encode(wire::KeyArgs{"s"})), "81a36b6579a173");
  EXPECT_EQ(call("HealthRequest", wire::Encode(wire::HealthRequest{})),
            "82a76865616c746879c3a76d657373616765a0");

  auto unknown = provider_->HandleCall(kActorA, "Increment", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "wasmcloud:keyvalue has no operation \"Increment\"");
  auto malformed = provider_->HandleCall(kActorA, "Get", AsBytes("\xff"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_THAT(malformed.status().message(), StartsWith("Get: malformed payload: "));
}

TEST_F(KeyValueProviderTest, ABadUrlFailsTheBindAndSaysWhy) {
  Status s = Bind(kActorA, {{"URL", "redis://localhost:99999"}});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(),
              HasSubstr("bad Redis URL \"redis://localhost:99999\": the port \"99999\" is not"));
  EXPECT_THAT(Add(kActorA, "k").status().message(), HasSubstr("is not linked"));
}

TEST_F(KeyValueProviderTest, UrlPutsTheActorsDataInRedis) {
  StartRedis();
  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", redis_->Url()}, {"__wasmcloud_name", "a"}})));
  ASSERT_TRUE(Ok(Bind(kActorB, {{"URL", "redis://127.0.0.1:" + std::to_string(redis_->port()) +
                                            "/"}})));  // the same server: shared
  EXPECT_EQ(*Add(kActorA, "n"), 1);
  EXPECT_EQ(*Add(kActorB, "n"), 2);
  EXPECT_EQ(*redis_->Command({"GET", "n"}), "2");
  EXPECT_THAT(host_.Lines(),
              ::testing::Contains("actor " + std::string(kActorA) +
                                  " uses Redis at 127.0.0.1:" + std::to_string(redis_->port())));

  // Another database is another store; switching the link moves the actor.
  ASSERT_TRUE(Ok(Bind(kActorB, {{"URL", redis_->Url(2)}})));
  EXPECT_EQ(*Add(kActorB, "n"), 1);
  EXPECT_EQ(*redis_->Command({"GET", "n"}, 2), "1");
  ASSERT_TRUE(Ok(Bind(kActorB)));
  EXPECT_EQ(*Add(kActorB, "n"), 1);  // memory
  EXPECT_EQ(*redis_->Command({"GET", "n"}), "2");
  EXPECT_EQ(provider_->Health().ok(), true);
}

TEST_F(KeyValueProviderTest, UnreachableRedisFailsCallsAndHealthUntilTheLinkGoes) {
  const std::string url = "redis://127.0.0.1:" + std::to_string(FreePort());
  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", url}})));  // binding does not connect
  auto r = Add(kActorA, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("Add \"k\": cannot connect to Redis at 127.0.0.1:"));
  Status health = provider_->Health();
  ASSERT_FALSE(health.ok());
  EXPECT_THAT(health.message(), HasSubstr("cannot connect to Redis at 127.0.0.1:"));
  auto reply =
      provider_->HandleCall("system", "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(Ok(reply));
  EXPECT_FALSE(wire::DecodeHealthResponse(*reply)->healthy);

  ASSERT_TRUE(Ok(provider_->RemoveActor(kActorA)));
  EXPECT_TRUE(Ok(provider_->Health()));  // nobody uses that server any more
}

TEST_F(KeyValueProviderTest, ConcurrentCallsThroughTheLibraryLoseNothing) {
  StartRedis();
  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", redis_->Url()}})));
  ASSERT_TRUE(Ok(Bind(kActorB)));
  constexpr int kThreads = 4;
  constexpr int kEach = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!Add(kActorA, "n").ok() || !Add(kActorB, "n").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*redis_->Command({"GET", "n"}), std::to_string(kThreads * kEach));
  EXPECT_EQ(*Add(kActorB, "n", 0), kThreads * kEach);
}

// --- On the real host, with the upstream kvcounter actor ------------------------------

// Forwards to the loaded library and counts BindActor calls, so a test can wait for the
// host to have bound a link.
class BindCounter final : public provider::Provider {
 public:
  explicit BindCounter(std::shared_ptr<provider::Provider> inner) : inner_(std::move(inner)) {}
  provider::ProviderDescriptor Describe() const override { return inner_->Describe(); }
  Status Start(provider::ProviderHost* host) override { return inner_->Start(host); }
  Status BindActor(std::string_view actor, const provider::LinkValues& values) override {
    Status s = inner_->BindActor(actor, values);
    ++binds_;
    return s;
  }
  Status RemoveActor(std::string_view actor) override { return inner_->RemoveActor(actor); }
  Result<Bytes> HandleCall(std::string_view actor, std::string_view op, ByteView p) override {
    return inner_->HandleCall(actor, op, p);
  }
  Status Health() override { return inner_->Health(); }
  void Stop() override { inner_->Stop(); }
  int binds() const { return binds_.load(); }

 private:
  std::shared_ptr<provider::Provider> inner_;
  std::atomic<int> binds_{0};
};

Bytes HttpGet(std::string path) {
  wire::HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  return wire::Encode(r);
}

class KvCounterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = std::make_unique<host::Host>(host::HostConfig{}, wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host_->Start()));
    auto module = ReadFile(wasmcloud::testing::FixturePath("wc-host-0.18/kvcounter.wasm"));
    ASSERT_TRUE(Ok(module));
    auto actor = host_->StartActor(*module);
    ASSERT_TRUE(Ok(actor));
    ASSERT_EQ(*actor, kKvCounterKey);
    auto loaded = Load();
    ASSERT_TRUE(Ok(loaded));
    provider_ = std::make_shared<BindCounter>(*loaded);
    host::NativeCapability cap;
    cap.provider = provider_;
    auto pk = host_->StartNativeCapability(std::move(cap));
    ASSERT_TRUE(Ok(pk));
    provider_key_ = *pk;
  }
  void TearDown() override {
    if (host_ != nullptr) {
      EXPECT_TRUE(Ok(host_->Stop()));
    }
  }

  void Link(provider::LinkValues values) {
    const int before = provider_->binds();
    ASSERT_TRUE(
        Ok(host_->SetLink(kKvCounterKey, kContract, "default", provider_key_, std::move(values))));
    ASSERT_TRUE(WaitUntil([&] { return provider_->binds() > before; }));
  }
  // The body of kvcounter's reply to GET `path`, or a description of what went wrong.
  std::string Count(const std::string& path) {
    auto reply = host_->CallActor(kKvCounterKey, "HandleRequest", HttpGet(path));
    if (!reply.ok()) return "call failed: " + reply.status().message();
    auto r = wire::DecodeHttpResponse(*reply);
    if (!r.ok()) return "bad reply: " + r.status().message();
    if (r->status_code != 200) {
      return "status " + std::to_string(r->status_code) + ": " + std::string(AsChars(r->body));
    }
    return std::string(AsChars(r->body));
  }

  std::unique_ptr<host::Host> host_;
  std::shared_ptr<BindCounter> provider_;
  std::string provider_key_;
};

TEST_F(KvCounterTest, CountsInRedis) {
  WC_REQUIRE_TOOL(!RedisServer::Binary().empty(), "redis-server");
  auto redis = RedisServer::Start();
  ASSERT_TRUE(Ok(redis));
  Link({{"URL", "redis://127.0.0.1:" + std::to_string((*redis)->port())}});

  EXPECT_EQ(Count("/foo"), R"({"counter":1})");
  EXPECT_EQ(Count("/foo"), R"({"counter":2})");
  EXPECT_EQ(Count("/foo"), R"({"counter":3})");
  EXPECT_EQ(*(*redis)->Command({"GET", ":foo"}), "3");  // kvcounter's key for /foo
  EXPECT_EQ(Count("/foo/bar"), R"({"counter":1})");
  EXPECT_EQ(*(*redis)->Command({"GET", ":foo:bar"}), "1");
}

TEST_F(KvCounterTest, CountsInMemoryWithoutUrl) {
  Link({});
  EXPECT_EQ(Count("/foo"), R"({"counter":1})");
  EXPECT_EQ(Count("/foo"), R"({"counter":2})");
  EXPECT_EQ(Count("/other"), R"({"counter":1})");
}

TEST_F(KvCounterTest, RedisGoingAwayFailsTheRequestAndComingBackHeals) {
  WC_REQUIRE_TOOL(!RedisServer::Binary().empty(), "redis-server");
  auto redis = RedisServer::Start();
  ASSERT_TRUE(Ok(redis));
  Link({{"URL", (*redis)->Url()}});
  EXPECT_EQ(Count("/foo"), R"({"counter":1})");

  (*redis)->Kill();
  // kvcounter fails the call with the provider's message as its host error.
  EXPECT_EQ(Count("/foo"),
            "call failed: Guest call failed: Host error: Add \":foo\": cannot "
            "connect to Redis at 127.0.0.1:" +
                std::to_string((*redis)->port()) + ": Connection refused");

  ASSERT_TRUE(Ok((*redis)->Restart()));
  EXPECT_EQ(Count("/foo"), R"({"counter":1})");  // a new, empty server
}

TEST_F(KvCounterTest, RemovingTheLinkUnbindsTheActor) {
  Link({});
  EXPECT_EQ(Count("/foo"), R"({"counter":1})");
  ASSERT_TRUE(Ok(host_->RemoveLink(kKvCounterKey, kContract, "default")));
  EXPECT_THAT(Count("/foo"), HasSubstr("The target wasmcloud:keyvalue was not found"));
  // Linked again: the provider's in-memory data is still there.
  Link({});
  EXPECT_EQ(Count("/foo"), R"({"counter":2})");
}

}  // namespace
}  // namespace wasmcloud::keyvalue
