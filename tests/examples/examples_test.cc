// The example actors of examples/ (written with the actor SDK, built and signed by the
// build) on a real Host: hello's answers, kvcounter counting in the keyvalue provider
// library and answering byte for byte as the upstream kvcounter.wasm does, msgreply
// publishing its reply through a messaging provider, and `wasmcloud call` on hello.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "host/host.h"
#include "host/test_providers.h"
#include "provider/native_library.h"
#include "provider/provider.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/v8/v8_engine.h"
#include "wire/core.h"
#include "wire/http.h"
#include "wire/keyvalue.h"
#include "wire/messaging.h"

namespace wasmcloud::host {
namespace {

using test::HttpGet;
using test::WaitUntil;

constexpr char kHealthRequest[] = "81ab706c616365686f6c646572c3";
constexpr char kHealthy[] = "82a76865616c746879c3a76d657373616765a0";
constexpr char kUpstreamKvCounter[] = "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";

using wasmcloud::testing::Ok;

std::string Example(const std::string& name) {
  return std::string(WC_BUILD_DIR) + "/examples/" + name + "_signed.wasm";
}

// Records what the host asks of a provider and forwards to another one (the keyvalue
// library), or answers wasmcloud:messaging's Publish itself when there is none.
class RecordingProvider final : public provider::Provider {
 public:
  explicit RecordingProvider(std::shared_ptr<provider::Provider> inner,
                             std::string contract = "wasmcloud:keyvalue")
      : inner_(std::move(inner)), contract_(std::move(contract)) {}

  // Set before use: the error every HandleCall returns instead of answering.
  std::string fail_with;

  provider::ProviderDescriptor Describe() const override {
    if (inner_ != nullptr) return inner_->Describe();
    return {contract_, "Recording " + contract_ + " (test)", "0.1.0"};
  }
  Status Start(provider::ProviderHost* host) override {
    host_ = host;
    return inner_ != nullptr ? inner_->Start(host) : Status::Ok();
  }
  Status BindActor(std::string_view actor, const provider::LinkValues& values) override {
    Status s = inner_ != nullptr ? inner_->BindActor(actor, values) : Status::Ok();
    ++binds_;
    return s;
  }
  Status RemoveActor(std::string_view actor) override {
    return inner_ != nullptr ? inner_->RemoveActor(actor) : Status::Ok();
  }
  Result<Bytes> HandleCall(std::string_view actor, std::string_view op, ByteView p) override {
    {
      std::lock_guard lock(mu_);
      calls_.push_back({std::string(actor), std::string(op), Bytes(p.begin(), p.end())});
    }
    if (!fail_with.empty()) return Unavailable(fail_with);
    if (inner_ != nullptr) return inner_->HandleCall(actor, op, p);
    if (op == "Publish") return wire::Encode(wire::PublishResponse{true});
    return Unimplemented("no operation " + std::string(op));
  }
  void Stop() override {
    if (inner_ != nullptr) inner_->Stop();
  }

  struct Call {
    std::string actor, operation;
    Bytes payload;
  };
  std::vector<Call> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int binds() const { return binds_.load(); }
  provider::ProviderHost* host() const { return host_; }

 private:
  std::shared_ptr<provider::Provider> inner_;
  std::string contract_;
  provider::ProviderHost* host_ = nullptr;
  std::atomic<int> binds_{0};
  std::mutex mu_;
  std::vector<Call> calls_;
};

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = std::make_unique<Host>(HostConfig{}, wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host_->Start()));
  }
  void TearDown() override {
    if (host_ != nullptr) {
      EXPECT_TRUE(Ok(host_->Stop()));
    }
  }

  std::string StartExample(const std::string& name) {
    auto pk = host_->StartActorFromFile(Example(name));
    EXPECT_TRUE(Ok(pk)) << name;
    return pk.ok() ? *pk : "";
  }
  std::string StartUpstream(const std::string& fixture) {
    auto pk = host_->StartActorFromFile(testing::FixturePath(fixture));
    EXPECT_TRUE(Ok(pk)) << fixture;
    return pk.ok() ? *pk : "";
  }
  // Starts `p` and links `actor` to it under `contract`, waiting for the BindActor.
  void StartAndLink(const std::shared_ptr<RecordingProvider>& p, const std::string& actor,
                    const std::string& contract) {
    NativeCapability cap;
    cap.provider = p;
    auto pk = host_->StartNativeCapability(std::move(cap));
    ASSERT_TRUE(Ok(pk));
    const int before = p->binds();
    ASSERT_TRUE(Ok(host_->SetLink(actor, contract, "default", *pk, {})));
    ASSERT_TRUE(WaitUntil([&] { return p->binds() > before; }));
  }
  std::shared_ptr<RecordingProvider> KeyValueLibrary() {
    auto loaded = provider::LoadNativeProvider(WC_KEYVALUE_PROVIDER, "wasmcloud:keyvalue");
    EXPECT_TRUE(Ok(loaded));
    return std::make_shared<RecordingProvider>(loaded.ok() ? *loaded : nullptr);
  }

  // The body of a 200 reply, or what went wrong.
  std::string Body(const std::string& actor, const Bytes& request) {
    auto reply = host_->CallActor(actor, "HandleRequest", request);
    if (!reply.ok()) return "call failed: " + reply.status().message();
    auto r = wire::DecodeHttpResponse(*reply);
    if (!r.ok()) return "bad reply: " + r.status().message();
    if (r->status_code != 200 || r->status != "OK" || !r->header.empty()) {
      return "status " + std::to_string(r->status_code) + " " + r->status;
    }
    return std::string(AsChars(r->body));
  }
  std::string CallError(const std::string& actor, std::string_view op, const Bytes& payload) {
    auto reply = host_->CallActor(actor, op, payload);
    return reply.ok() ? "no error: " + HexEncode(*reply) : reply.status().message();
  }

  std::unique_ptr<Host> host_;
};

TEST_F(ExamplesTest, HelloGreetsTheNameFromTheQuery) {
  std::string hello = StartExample("hello");
  EXPECT_EQ(Body(hello, HttpGet("/")), "Hello, world!");
  EXPECT_EQ(Body(hello, HttpGet("/greet", "name=Ada")), "Hello, Ada!");
  EXPECT_EQ(Body(hello, HttpGet("/", "lang=en&name=J%C3%BCrgen+M")), "Hello, J\xc3\xbcrgen M!");
  EXPECT_EQ(Body(hello, HttpGet("/", "name=")), "Hello, world!");
  // A request larger than the module's initial memory (the arena grows it), many times.
  const std::string long_name(200000, 'n');
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Body(hello, HttpGet("/", "name=" + long_name, std::string(1 << 20, 'b'))),
              "Hello, " + long_name + "!");
  }
  // The whole reply, as a Response the httpserver provider decodes.
  auto reply = host_->CallActor(hello, "HandleRequest", HttpGet("/", "name=Bob"));
  ASSERT_TRUE(Ok(reply));
  EXPECT_EQ(*reply, wire::Encode(wire::HttpResponse{200, "OK", {}, ToBytes("Hello, Bob!")}));
  // Its call alias works too.
  EXPECT_EQ(Body("examples/hello", HttpGet("/", "name=alias")), "Hello, alias!");
}

TEST_F(ExamplesTest, EveryExampleIsHealthyAndRefusesUnknownOperationsAsUpstream) {
  std::string echo = StartUpstream("wc-host-0.18/echo.wasm");
  const std::string upstream_error = CallError(echo, "Nope", {});
  ASSERT_EQ(upstream_error, "No handler registered for function \"Nope\"");
  for (const char* name : {"hello", "kvcounter", "msgreply"}) {
    std::string actor = StartExample(name);
    auto health = host_->CallActor(actor, "HealthRequest", *HexDecode(kHealthRequest));
    ASSERT_TRUE(Ok(health)) << name;
    EXPECT_EQ(HexEncode(*health), kHealthy) << name;
    EXPECT_EQ(CallError(actor, "Nope", {}), upstream_error) << name;
  }
}

TEST_F(ExamplesTest, ClaimsAreThoseTheBuildSigned) {
  std::string kv = StartExample("kvcounter");
  auto id = host_->GetActorIdentity(kv);
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->name, "Example kvcounter");
  EXPECT_EQ(id->call_alias, "examples/kvcounter");
  auto claims = host_->ActorClaims().at(kv);
  ASSERT_TRUE(claims.wascap.has_value());
  EXPECT_EQ(claims.wascap->caps,
            (std::vector<std::string>{"wasmcloud:keyvalue", "wasmcloud:httpserver"}));
}

TEST_F(ExamplesTest, KvCounterCountsInTheKeyValueLibrary) {
  std::string kv = StartExample("kvcounter");
  auto library = KeyValueLibrary();
  StartAndLink(library, kv, "wasmcloud:keyvalue");
  EXPECT_EQ(Body(kv, HttpGet("/hits")), R"({"counter":1})");
  EXPECT_EQ(Body(kv, HttpGet("/hits")), R"({"counter":2})");
  EXPECT_EQ(Body(kv, HttpGet("/hits")), R"({"counter":3})");
  EXPECT_EQ(Body(kv, HttpGet("/foo/bar")), R"({"counter":1})");

  auto calls = library->Calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].actor, kv);
  EXPECT_EQ(calls[0].operation, "Add");
  EXPECT_EQ(calls[0].payload, wire::Encode(wire::AddArgs{":hits", 1}));
  // golden_invocations.json: upstream kvcounter's host call for /foo/bar.
  EXPECT_EQ(HexEncode(calls[3].payload), "82a36b6579a83a666f6f3a626172a576616c756501");
}

TEST_F(ExamplesTest, KvCounterAnswersByteForByteAsTheUpstreamActor) {
  std::string ours = StartExample("kvcounter");
  std::string theirs = StartUpstream("wc-host-0.18/kvcounter.wasm");
  ASSERT_EQ(theirs, kUpstreamKvCounter);
  // A store each, so that both see the same counts: ours counts in the keyvalue library,
  // the upstream actor in the host tests' in-memory fake provider.
  auto our_store = KeyValueLibrary();
  StartAndLink(our_store, ours, "wasmcloud:keyvalue");
  auto memory = std::make_shared<test::KeyValueStore>();
  auto their_store =
      std::make_shared<RecordingProvider>(std::make_shared<test::FakeKeyValueProvider>(memory));
  StartAndLink(their_store, theirs, "wasmcloud:keyvalue");

  // The fixture's request (GET /foo/bar?test=kthxbye with a body), and more paths.
  const std::vector<Bytes> requests = {
      *HexDecode("85a66d6574686f64a3474554a470617468a82f666f6f2f626172ab7175657279537472696e67"
                 "ac746573743d6b746878627965a668656164657280a4626f6479c42154686973206973206120"
                 "746573742e20446f206e6f7420626520616c61726d6564"),
      HttpGet("/foo/bar"), HttpGet("/"), HttpGet(""), HttpGet("/a//b/" + std::string(40, 'x')),
      // Larger than the module's initial memory: the arena grows it.
      HttpGet("/big/" + std::string(300000, 'k'), "", std::string(1 << 20, 'b')),
      HttpGet("/foo/bar")};
  for (const Bytes& request : requests) {
    auto a = host_->CallActor(ours, "HandleRequest", request);
    auto b = host_->CallActor(theirs, "HandleRequest", request);
    ASSERT_TRUE(Ok(a));
    ASSERT_TRUE(Ok(b));
    EXPECT_EQ(HexEncode(*a), HexEncode(*b)) << HexEncode(request);
  }
  auto our_calls = our_store->Calls();
  auto their_calls = their_store->Calls();
  ASSERT_EQ(our_calls.size(), their_calls.size());
  for (size_t i = 0; i < our_calls.size(); ++i) {
    EXPECT_EQ(our_calls[i].operation, their_calls[i].operation);
    EXPECT_EQ(HexEncode(our_calls[i].payload), HexEncode(their_calls[i].payload));
  }

  // Both fail a refused host call with the same text.
  our_store->fail_with = their_store->fail_with = "the store is on fire";
  EXPECT_EQ(CallError(ours, "HandleRequest", HttpGet("/x")),
            "Guest call failed: Host error: the store is on fire");
  EXPECT_EQ(CallError(theirs, "HandleRequest", HttpGet("/x")),
            CallError(ours, "HandleRequest", HttpGet("/x")));
}

TEST_F(ExamplesTest, KvCounterWithoutALinkFailsAsTheUpstreamActorDoes) {
  std::string ours = StartExample("kvcounter");
  std::string theirs = StartUpstream("wc-host-0.18/kvcounter.wasm");
  const std::string our_error = CallError(ours, "HandleRequest", HttpGet("/foo"));
  EXPECT_EQ(our_error,
            "Guest call failed: Host error: The target wasmcloud:keyvalue was not found as an "
            "actor public key, an actor call alias, or as the contract ID in an existing link "
            "from source actor " +
                ours);
  std::string their_error = CallError(theirs, "HandleRequest", HttpGet("/foo"));
  their_error.replace(their_error.find(theirs), theirs.size(), ours);
  EXPECT_EQ(our_error, their_error);
}

TEST_F(ExamplesTest, MsgReplyPublishesTheReplyThroughTheMessagingProvider) {
  std::string actor = StartExample("msgreply");
  auto messaging = std::make_shared<RecordingProvider>(nullptr, "wasmcloud:messaging");
  StartAndLink(messaging, actor, "wasmcloud:messaging");

  // A message as a messaging provider delivers it: through its ProviderHost.
  auto reply = messaging->host()->CallActor(
      actor, "HandleMessage",
      wire::Encode(wire::BrokerMessage{"orders.new", "_INBOX.42", ToBytes("hello")}));
  ASSERT_TRUE(Ok(reply));
  EXPECT_EQ(HexEncode(*reply), "c0");  // unit
  auto calls = messaging->Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].actor, actor);
  EXPECT_EQ(calls[0].operation, "Publish");
  auto publish = wire::DecodePublishArgs(calls[0].payload);
  ASSERT_TRUE(Ok(publish));
  EXPECT_EQ(*publish, (wire::PublishArgs{"_INBOX.42", "", ToBytes("reply: hello")}));

  // Without a reply subject nothing is published.
  reply = messaging->host()->CallActor(
      actor, "HandleMessage", wire::Encode(wire::BrokerMessage{"orders.new", "", ToBytes("x")}));
  ASSERT_TRUE(Ok(reply));
  EXPECT_EQ(messaging->Calls().size(), 1u);

  // A failing Publish fails the message, with the provider's text.
  messaging->fail_with = "no connection to NATS";
  EXPECT_EQ(
      CallError(actor, "HandleMessage", wire::Encode(wire::BrokerMessage{"s", "r", ToBytes("x")})),
      "Guest call failed: Host error: no connection to NATS");
  // Not a BrokerMessage.
  EXPECT_EQ(CallError(actor, "HandleMessage", *HexDecode("81a77375626a656374c3")),
            "Guest call failed: BrokerMessage: field `subject`: expected str, found bool at "
            "offset 9");
}

TEST(ExamplesCliTest, WasmcloudCallRunsHelloFromItsManifest) {
  const std::string manifest = std::string(WC_SOURCE_DIR) + "/examples/hello/hello.yaml";
  const std::string env = std::string("WASMCLOUD_BUILD_DIR=") + WC_BUILD_DIR;
  auto health = testing::RunCommand({"env", env, testing::WasmcloudBinary(), "call", "-m", manifest,
                                     "examples/hello", "HealthRequest", "--data-hex",
                                     kHealthRequest, "--hex"});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, std::string(kHealthy) + "\n");

  auto hello = testing::RunCommand({"env", env, testing::WasmcloudBinary(), "call", "-m", manifest,
                                    "examples/hello", "HandleRequest", "--data-hex",
                                    HexEncode(HttpGet("/", "name=CLI")), "--hex"});
  ASSERT_EQ(hello.exit_code, 0) << hello.err;
  EXPECT_EQ(
      hello.out,
      HexEncode(wire::Encode(wire::HttpResponse{200, "OK", {}, ToBytes("Hello, CLI!")})) + "\n");

  auto nope = testing::RunCommand(
      {"env", env, testing::WasmcloudBinary(), "call", "-m", manifest, "examples/hello", "Nope"});
  EXPECT_EQ(nope.exit_code, 1);
  EXPECT_NE(nope.err.find("No handler registered for function \"Nope\""), std::string::npos)
      << nope.err;
}

TEST(ExamplesCliTest, TheSdkWorksFromCxxCompiledForWasm) {
  const std::string module = std::string(WC_BUILD_DIR) + "/tests/sdk/cxx_actor.wasm";
  auto r =
      testing::RunCommand({testing::WasmcloudBinary(), "wapc", module, "Reverse", "--data", "abc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "cba");
  auto health = testing::RunCommand({testing::WasmcloudBinary(), "wapc", module, "HealthRequest",
                                     "--data-hex", kHealthRequest, "--hex"});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, std::string(kHealthy) + "\n");
}

}  // namespace
}  // namespace wasmcloud::host
