// Several hosts in one process on one in-process lattice (a shared MemoryTransport and
// MemoryKvBucket): remote calls by key and call alias with the upstream actors' exact
// bytes, links set on one host binding providers on another, late joiners, providers that
// move between hosts, and invocations refused by the receiving host, each for its own
// reason, with nothing executed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/encoding.h"
#include "crypto/claims.h"
#include "crypto/jwt.h"
#include "crypto/module_claims.h"
#include "crypto/nkeys.h"
#include "host/host.h"
#include "host/legacy_subjects.h"
#include "host/test_providers.h"
#include "lattice/events.h"
#include "lattice/invocation.h"
#include "lattice/lattice_store.h"
#include "lattice/link_definition.h"
#include "lattice/memory_kv_bucket.h"
#include "lattice/memory_transport.h"
#include "lattice/subjects.h"
#include "support/log_capture.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/v8/v8_engine.h"
#include "wire/http.h"
#include "wire/keyvalue.h"

namespace wasmcloud::host {
namespace {

using test::FakeKeyValueProvider;
using test::KeyValueStore;
using test::ProviderEvent;
using test::WaitUntil;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using wasmcloud::testing::Ok;

constexpr std::string_view kEchoKey = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kKvCounterKey =
    "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";
constexpr std::string_view kPingerKey = "MB2ZOJXL67TBHKRPHX6EE3PUAX7QASN3SDX4ALNPO272HB42IBYUA6BV";
constexpr std::string_view kPongerKey = "MAS242Z2N4ZNGKGC2KGLVHLC4FBCDPF634TR563XBTNW3VR5RX25253X";
constexpr std::string_view kPongerAlias = "wasmcloud/examples/ponger";
constexpr std::string_view kEchoIssuer = "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW";
constexpr std::string_view kHealthRequestHex = "81ab706c616365686f6c646572c3";
constexpr std::string_view kHealthResponseHex = "82a76865616c746879c3a76d657373616765a0";

Bytes Hex(std::string_view hex) {
  auto b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

const Bytes& Actor(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, Bytes> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto b = ReadFile(testing::FixturePath("wc-host-0.18/" + name));
    if (!b.ok()) ADD_FAILURE() << name << ": " << b.status().message();
    it = cache.emplace(name, b.ok() ? *b : Bytes{}).first;
  }
  return it->second;
}

// The httpserver Response body of a reply, or what went wrong.
std::string BodyOf(const Result<Bytes>& reply) {
  if (!reply.ok()) return "call failed: " + reply.status().message();
  auto r = wire::DecodeHttpResponse(*reply);
  if (!r.ok()) return "not a Response: " + r.status().message();
  return std::string(AsChars(r->body));
}

// Every host of the process shares one V8 engine (compiled code included).
wasm::EngineFactory SharedEngine() {
  static std::shared_ptr<wasm::Engine> engine = [] {
    auto e = wasm::CreateV8Engine();
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : nullptr;
  }();
  return [](const wasm::EngineConfig&) -> Result<std::shared_ptr<wasm::Engine>> { return engine; };
}

LinkValues KvCounterBindValues(LinkValues link_values) {
  link_values["__wasmcloud_issuer"] = std::string(kEchoIssuer);
  link_values["__wasmcloud_capabilities"] = "wasmcloud:keyvalue,wasmcloud:httpserver";
  link_values["__wasmcloud_name"] = "Key Value Counter";
  link_values["__wasmcloud_expires"] = "0";
  link_values["__wasmcloud_tags"] = "";
  return link_values;
}

class LatticeTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& h : hosts_) (void)h->Stop();
    hosts_.clear();
    transport_->Close();
  }

  LatticeOptions Options() {
    LatticeOptions o;
    o.transport = transport_;
    o.bucket = bucket_;
    o.events = events_;
    return o;
  }
  Host& AddHost(LatticeOptions options, HostConfig config = {}) {
    if (config.workers == 0) config.workers = 2;
    config.log_level = LogLevel::kWarn;
    hosts_.push_back(std::make_unique<Host>(config, SharedEngine(), std::move(options)));
    Status s = hosts_.back()->Start();
    EXPECT_TRUE(s.ok()) << s.message();
    return *hosts_.back();
  }
  Host& AddHost() { return AddHost(Options()); }

  // The fake keyvalue provider under the test's fixed key, on `host`.
  std::shared_ptr<FakeKeyValueProvider> StartKv(Host& host) {
    auto provider = std::make_shared<FakeKeyValueProvider>(kv_data_);
    NativeCapability cap;
    cap.provider = provider;
    cap.claims = test::FakeProviderClaims(account_, service_);
    auto pk = host.StartNativeCapability(std::move(cap));
    EXPECT_TRUE(Ok(pk));
    return provider;
  }
  std::string KvKey() const { return service_.public_key_text(); }
  lattice::Entity KvEntity() const {
    return lattice::Entity::Capability(KvKey(), "wasmcloud:keyvalue", "default");
  }

  static bool WaitForEvent(const FakeKeyValueProvider& p, ProviderEvent::Kind kind,
                           std::string_view actor, size_t n = 1) {
    return WaitUntil([&] {
      size_t seen = 0;
      for (const auto& e : p.Events()) seen += (e.kind == kind && e.actor == actor) ? 1 : 0;
      return seen >= n;
    });
  }

  // Sends an invocation to `target`'s subject as a 0.18 client would, and returns the
  // response (the transport's error fails the test).
  lattice::InvocationResponse Send(const lattice::Entity& target, ByteView bytes) {
    auto reply =
        transport_->Request(lattice::RpcSubject("default", target), bytes, std::chrono::seconds(5));
    EXPECT_TRUE(Ok(reply));
    if (!reply.ok()) return {};
    auto response = lattice::DecodeInvocationResponse(reply->data);
    EXPECT_TRUE(Ok(response));
    return response.ok() ? *response : lattice::InvocationResponse{};
  }
  // A signed invocation from a client with its own host key.
  lattice::Invocation Signed(const lattice::Entity& origin, const lattice::Entity& target,
                             std::string op, Bytes msg, lattice::SignOptions options = {}) {
    if (!options.exp) options.exp = static_cast<uint64_t>(crypto::SystemUnixSeconds() + 5);
    auto inv =
        lattice::NewInvocation(client_key_, origin, target, std::move(op), std::move(msg), options);
    EXPECT_TRUE(Ok(inv));
    return inv.ok() ? *inv : lattice::Invocation{};
  }

  std::shared_ptr<lattice::MemoryTransport> transport_ =
      std::make_shared<lattice::MemoryTransport>();
  std::shared_ptr<lattice::MemoryKvBucket> bucket_ =
      std::make_shared<lattice::MemoryKvBucket>("LATTICEDATA_default");
  std::shared_ptr<lattice::MemoryEventSink> events_ = std::make_shared<lattice::MemoryEventSink>();
  std::vector<std::unique_ptr<Host>> hosts_;
  std::shared_ptr<KeyValueStore> kv_data_ = std::make_shared<KeyValueStore>();
  crypto::KeyPair account_ = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service_ = crypto::KeyPair::Generate(crypto::KeyType::kService);
  crypto::KeyPair client_key_ = crypto::KeyPair::Generate(crypto::KeyType::kServer);
};

// ---------------------------------------------------------------------------------------
// Calls across hosts

TEST_F(LatticeTest, AnActorOnBIsCalledFromAByKeyAndByCallAlias) {
  Host& a = AddHost();
  Host& b = AddHost();
  ASSERT_TRUE(Ok(b.StartActor(Actor("echo.wasm"))));
  ASSERT_TRUE(Ok(b.StartActor(Actor("ponger.wasm"))));
  EXPECT_TRUE(a.Actors().empty());

  // Upstream echo's golden answers (fixtures README), through A.
  auto health = a.CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex));
  ASSERT_TRUE(Ok(health));
  EXPECT_EQ(HexEncode(*health), kHealthResponseHex);
  wire::HttpRequest narf{"GET", "", "", {}, ToBytes("NARF")};
  EXPECT_EQ(BodyOf(a.CallActor(kEchoKey, "HandleRequest", wire::Encode(narf))),
            R"({"method":"GET","path":"","query_string":"","headers":{},"body":[78,65,82,70]})");
  // The guest's own error crosses the lattice as its text.
  auto unknown = a.CallActor(kEchoKey, "Nope", Hex(kHealthRequestHex));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kGuestError);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr(R"(No handler registered for function "Nope")"));

  // Ponger by its call alias (claimed in the lattice data when it started on B).
  auto pong = a.CallActor(kPongerAlias, "Ping", Hex("81a576616c75650b"));
  ASSERT_TRUE(Ok(pong));
  EXPECT_EQ(HexEncode(*pong), "81a576616c756535");
}

// A response larger than the lattice takes (NATS max_payload) was dropped: the caller
// waited out its deadline and reported a timeout, though the call had run. The receiver
// now answers with an error that says so.
TEST_F(LatticeTest, AResponseLargerThanTheLatticeTakesFailsAtOnceSayingItRan) {
  lattice::MemoryTransportOptions small;
  small.max_payload = 64 * 1024;
  transport_ = std::make_shared<lattice::MemoryTransport>(small);
  Host& a = AddHost();
  Host& b = AddHost();
  ASSERT_TRUE(Ok(b.StartActor(Actor("echo.wasm"))));
  // Echo answers the body as a JSON array of numbers: 30 000 bytes in, ~90 000 out.
  wire::HttpRequest big{"POST", "/", "", {}, Bytes(30000, 'A')};
  testing::LogCapture log;
  auto r = a.CallActor(kEchoKey, "HandleRequest", wire::Encode(big));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
  EXPECT_THAT(r.status().message(),
              HasSubstr("bytes is larger than the lattice's maximum payload of 65536 bytes (the "
                        "invocation ran)"));
  EXPECT_EQ(log.Count("is larger than the lattice's maximum payload"), 1u) << log.All();
  // A response that fits still goes.
  wire::HttpRequest fits{"POST", "/", "", {}, Bytes(1000, 'A')};
  EXPECT_TRUE(Ok(a.CallActor(kEchoKey, "HandleRequest", wire::Encode(fits))));
}

// Two processes with one seed (a copied seed file) answered for each other: the id
// listed twice, commands reaching either, one stop host stopping both. The second is
// refused at start; once the first has stopped, the key may be used again.
TEST_F(LatticeTest, ASecondHostWithTheSameKeyIsRefusedAtStart) {
  const crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  HostConfig config;
  config.host_seed = key.EncodedSeed();
  config.workers = 2;
  Host& first = AddHost(Options(), config);
  Host twin(config, SharedEngine(), Options());
  Status refused = twin.Start();
  EXPECT_EQ(refused.code(), Code::kAlreadyExists) << refused.message();
  EXPECT_THAT(refused.message(),
              HasSubstr("host " + key.public_key_text() + " already runs in lattice default"));
  EXPECT_THAT(refused.message(), HasSubstr("give this one another --host-seed"));
  EXPECT_TRUE(Ok(first.Stop()));
  Host again(config, SharedEngine(), Options());
  EXPECT_TRUE(Ok(again.Start()));
  EXPECT_TRUE(Ok(again.Stop()));
}

TEST_F(LatticeTest, PingerOnAReachesPongerOnBThroughItsCallAlias) {
  LatticeOptions o = Options();
  o.rpc_timeout = std::chrono::milliseconds(500);  // the call to a stopped ponger waits it out
  Host& a = AddHost(o);
  Host& b = AddHost();
  ASSERT_TRUE(Ok(a.StartActor(Actor("pinger.wasm"))));
  ASSERT_TRUE(Ok(b.StartActor(Actor("ponger.wasm"))));
  EXPECT_EQ(BodyOf(a.CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"))),
            R"({"value":53})");
  // Stopped on B: the alias still names ponger (grow-only), which now runs nowhere.
  ASSERT_TRUE(Ok(b.StopActor(kPongerKey)));
  EXPECT_THAT(BodyOf(a.CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"))),
              HasSubstr("is not running on this host or any host of lattice default"));
  // Started on A itself, it is called locally.
  ASSERT_TRUE(Ok(a.StartActor(Actor("ponger.wasm"))));
  EXPECT_EQ(BodyOf(a.CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"))),
            R"({"value":53})");
}

// Every change of the lattice data reaches the routes cached by the hosts, also one no
// host makes (an operator deleting an alias from the bucket).
TEST_F(LatticeTest, AnAliasDeletedFromTheBucketNoLongerRoutes) {
  Host& a = AddHost();
  ASSERT_TRUE(Ok(a.StartActor(Actor("ponger.wasm"))));
  const Bytes ping = Hex("81a576616c75650b");
  ASSERT_TRUE(Ok(a.CallActor(kPongerAlias, "Ping", ping)));  // cached now
  ASSERT_TRUE(Ok(bucket_->Delete("ALIAS_" + lattice::EncodeKeyPart(kPongerAlias))));
  ASSERT_TRUE(WaitUntil([&] { return !a.CallActor(kPongerAlias, "Ping", ping).ok(); }));
  EXPECT_EQ(a.CallActor(kPongerAlias, "Ping", ping).status().code(), Code::kNotFound);
  EXPECT_TRUE(Ok(a.CallActor(kPongerKey, "Ping", ping)));
}

TEST_F(LatticeTest, ACallToAnActorThatRunsNowhereIsNotFoundAtTheDeadline) {
  LatticeOptions o = Options();
  o.rpc_timeout = std::chrono::milliseconds(300);
  Host& a = AddHost(o);
  const std::string nobody = crypto::KeyPair::Generate(crypto::KeyType::kModule).public_key_text();
  auto t0 = std::chrono::steady_clock::now();
  auto r = a.CallActor(nobody, "Ping", Hex("81a576616c75650b"));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "actor " + nobody +
                                      " is not running on this host or any host of lattice "
                                      "default (no responders within 300 ms)");
  // "No responders" means it was not delivered: it was tried again until the deadline.
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
}

// ---------------------------------------------------------------------------------------
// Links across hosts

TEST_F(LatticeTest, ALinkSetOnABindsAProviderOnBAndRemovingItOnBSendsRemoveActor) {
  Host& a = AddHost();
  Host& b = AddHost();
  auto provider = StartKv(b);
  ASSERT_TRUE(Ok(a.StartActor(Actor("kvcounter.wasm"))));
  LinkValues values = {{"URL", "redis://127.0.0.1:6379/"}};
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), values)));
  ASSERT_TRUE(WaitForEvent(*provider, ProviderEvent::Kind::kBindActor, kKvCounterKey));
  EXPECT_EQ(provider->LastBind(kKvCounterKey), KvCounterBindValues(values));
  // Both hosts list the link.
  LinkDefinition link{std::string(kKvCounterKey), KvKey(), "wasmcloud:keyvalue", "default", values};
  EXPECT_EQ(a.LinkDefinitions(), std::vector<LinkDefinition>{link});
  EXPECT_TRUE(WaitUntil([&] { return b.LinkDefinitions() == std::vector<LinkDefinition>{link}; }));

  // kvcounter on A counts in the provider on B: its host call crosses the lattice.
  EXPECT_EQ(BodyOf(a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/counter"))),
            R"({"counter":1})");
  EXPECT_EQ(BodyOf(a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/counter"))),
            R"({"counter":2})");
  ASSERT_EQ(provider->CallCount("Add"), 2u);
  for (const auto& e : provider->Events()) {
    if (e.kind == ProviderEvent::Kind::kHandleCall) {
      EXPECT_EQ(e.actor, kKvCounterKey);
    }
  }

  ASSERT_TRUE(Ok(b.RemoveLink(kKvCounterKey, "wasmcloud:keyvalue", "default")));
  EXPECT_TRUE(WaitForEvent(*provider, ProviderEvent::Kind::kRemoveActor, kKvCounterKey));
  EXPECT_TRUE(WaitUntil([&] { return a.LinkDefinitions().empty(); }));
  EXPECT_THAT(BodyOf(a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/counter"))),
              HasSubstr("was not found as an actor public key, an actor call alias, or as the "
                        "contract ID in an existing link"));
  EXPECT_EQ(provider->CallCount("Add"), 2u);
}

// A provider that is slow to bind delays its own binds only: while its BindActor hangs,
// the host's lattice data moves on and its other provider is bound; once it returns, the
// changes queued for it run in the order they were made.
TEST_F(LatticeTest, AProviderSlowToBindDelaysOnlyItsOwnBinds) {
  Host& a = AddHost();
  Host& b = AddHost();
  // Shared with the provider's hook, which may outlive this scope's variables; released
  // on every way out of the test, so that a failed assertion cannot leave B's stop
  // waiting for a hung bind.
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    int waiting = 0;
    void Open() {
      {
        std::lock_guard lock(mu);
        release = true;
      }
      cv.notify_all();
    }
  };
  auto gate = std::make_shared<Gate>();
  struct OpenAtExit {
    std::shared_ptr<Gate> gate;
    ~OpenAtExit() { gate->Open(); }
  } open_at_exit{gate};
  auto slow = std::make_shared<FakeKeyValueProvider>(kv_data_);
  slow->before_bind = [gate](std::string_view) {
    std::unique_lock lock(gate->mu);
    ++gate->waiting;
    gate->cv.notify_all();
    gate->cv.wait(lock, [&] { return gate->release; });
  };
  NativeCapability cap;
  cap.provider = slow;
  cap.claims = test::FakeProviderClaims(account_, service_);
  cap.link_name = "slow";
  ASSERT_TRUE(Ok(b.StartNativeCapability(std::move(cap))));
  auto fast = StartKv(b);  // link name "default"
  ASSERT_TRUE(Ok(a.StartActor(Actor("kvcounter.wasm"))));

  // A's SetLink returns when A applied it: the slow provider's host is B.
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "slow", KvKey(), {{"v", "1"}})));
  {
    std::unique_lock lock(gate->mu);
    ASSERT_TRUE(
        gate->cv.wait_for(lock, std::chrono::seconds(5), [&] { return gate->waiting == 1; }));
  }
  // Its bind hangs; more changes for it queue behind it, in order.
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "slow", KvKey(), {{"v", "2"}})));
  ASSERT_TRUE(Ok(a.RemoveLink(kKvCounterKey, "wasmcloud:keyvalue", "slow")));
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "slow", KvKey(), {{"v", "3"}})));
  // Meanwhile B applies the lattice data and binds its other provider.
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {{"v", "f"}})));
  EXPECT_TRUE(WaitForEvent(*fast, ProviderEvent::Kind::kBindActor, kKvCounterKey));
  EXPECT_EQ(fast->LastBind(kKvCounterKey), KvCounterBindValues({{"v", "f"}}));
  EXPECT_TRUE(WaitUntil([&] { return b.LinkDefinitions().size() == 2; }));
  EXPECT_EQ(slow->Count(ProviderEvent::Kind::kBindActor), 0u);  // still in its first bind

  gate->Open();
  ASSERT_TRUE(WaitForEvent(*slow, ProviderEvent::Kind::kBindActor, kKvCounterKey, 3));
  std::vector<std::string> seen;
  for (const auto& e : slow->Events()) {
    if (e.kind == ProviderEvent::Kind::kBindActor) seen.push_back("bind " + e.values.at("v"));
    if (e.kind == ProviderEvent::Kind::kRemoveActor) seen.push_back("remove");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"bind 1", "bind 2", "remove", "bind 3"}));
}

// --allowed-issuer on B: an actor of another account is neither bound to B's providers
// (the link stays in the lattice data; SetLink on B says why) nor may it call into B.
TEST_F(LatticeTest, AllowedIssuersAlsoDecideWhoseActorsMayCallIn) {
  // B serves only actors of one account it trusts; kvcounter's issuer is another.
  const std::string trusted =
      crypto::KeyPair::Generate(crypto::KeyType::kAccount).public_key_text();
  HostConfig strict;
  strict.allowed_issuers = {trusted};
  Host& a = AddHost();
  Host& b = AddHost(Options(), strict);
  auto provider = StartKv(b);
  ASSERT_TRUE(Ok(a.StartActor(Actor("kvcounter.wasm"))));
  // A does not run the provider: its SetLink succeeds, and B refuses the bind.
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {})));
  ASSERT_TRUE(WaitUntil([&] { return b.LinkDefinitions().size() == 1; }));
  auto on_b = b.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {});
  EXPECT_EQ(on_b.code(), Code::kPermissionDenied) << on_b.ToString();
  EXPECT_THAT(on_b.message(),
              HasSubstr("is not bound to actor " + std::string(kKvCounterKey) +
                        ": it was issued by " + std::string(kEchoIssuer) +
                        ", which is not an allowed issuer of this host (--allowed-issuer)"));
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kBindActor), 0u);
  auto reply = a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/counter"));
  ASSERT_FALSE(reply.ok());  // kvcounter fails with its host call's error
  EXPECT_THAT(reply.status().message(), HasSubstr("Invocation refused: unauthorized: actor " +
                                                  std::string(kKvCounterKey) + " was issued by "));
  EXPECT_THAT(reply.status().message(),
              HasSubstr("which is not an allowed issuer of this host (--allowed-issuer)"));
  EXPECT_EQ(provider->CallCount("Add"), 0u);
}

// --allowed-issuer on A: a call alias resolves only to an actor of an allowed issuer. Any
// account's actor may claim a name first; calls by public key are explicit and go out.
TEST_F(LatticeTest, AllowedIssuersAlsoDecideWhichActorsACallAliasNames) {
  // Ponger as another account signed it: the same module key and call alias.
  const crypto::KeyPair other = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  auto identity = crypto::ReadModuleIdentity(Actor("ponger.wasm"));
  ASSERT_TRUE(Ok(identity));
  const std::string pinger_issuer = identity->claims.iss;  // pinger's and ponger's account
  crypto::ActorClaims claims = identity->claims;
  claims.iss = other.public_key_text();
  auto foreign_ponger = crypto::SignModule(Actor("ponger.wasm"), claims, other);
  ASSERT_TRUE(Ok(foreign_ponger));

  HostConfig strict;
  strict.allowed_issuers = {pinger_issuer};
  Host& a = AddHost(Options(), strict);
  Host& b = AddHost();
  ASSERT_TRUE(Ok(a.StartActor(Actor("pinger.wasm"))));
  ASSERT_TRUE(Ok(b.StartActor(*foreign_ponger)));
  const std::string refused = "call alias \"" + std::string(kPongerAlias) + "\" names actor " +
                              std::string(kPongerKey) + ", which was issued by " +
                              other.public_key_text() +
                              ", not an allowed issuer of this host (--allowed-issuer)";
  // Pinger's host call by alias is refused on A; pinger answers with the error.
  EXPECT_THAT(BodyOf(a.CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"))),
              HasSubstr(refused));
  auto by_alias = a.CallActor(kPongerAlias, "Ping", Hex("81a576616c75650b"));
  EXPECT_EQ(by_alias.status().code(), Code::kPermissionDenied) << by_alias.status().ToString();
  EXPECT_THAT(by_alias.status().message(), HasSubstr(refused));
  // A manifest link that names its actor by that alias is refused the same way, before
  // anything is written (the link's values would reach the other account's actor).
  Manifest manifest;
  ManifestLink by_alias_link;
  by_alias_link.actor = std::string(kPongerAlias);
  by_alias_link.contract_id = "wasmcloud:keyvalue";
  by_alias_link.provider_id = KvKey();
  by_alias_link.values = {{"SECRET", "for pinger's account only"}};
  manifest.links = {by_alias_link};
  Status applied = a.ApplyManifest(manifest);
  EXPECT_EQ(applied.code(), Code::kPermissionDenied) << applied.ToString();
  EXPECT_THAT(applied.message(), HasSubstr(refused));
  EXPECT_TRUE(a.LinkDefinitions().empty());
  // By its key the call goes out, and B serves it.
  auto by_key = a.CallActor(kPongerKey, "Ping", Hex("81a576616c75650b"));
  ASSERT_TRUE(Ok(by_key));
  EXPECT_EQ(HexEncode(*by_key), "81a576616c756535");
  // A host without the list resolves the alias.
  Host& c = AddHost();
  EXPECT_TRUE(Ok(c.CallActor(kPongerAlias, "Ping", Hex("81a576616c75650b"))));

  // An alias written straight into the bucket for an actor whose claims nobody wrote.
  const std::string unknown = crypto::KeyPair::Generate(crypto::KeyType::kModule).public_key_text();
  const nlohmann::json entry = {{"alias", "nobody/knows"}, {"public_key", unknown}};
  ASSERT_TRUE(
      Ok(bucket_->Put("ALIAS_" + lattice::EncodeKeyPart("nobody/knows"), ToBytes(entry.dump()))));
  ASSERT_TRUE(WaitUntil([&] {
    return a.CallActor("nobody/knows", "Ping", {}).status().code() == Code::kPermissionDenied;
  }));
  EXPECT_THAT(a.CallActor("nobody/knows", "Ping", {}).status().message(),
              HasSubstr("call alias \"nobody/knows\" names actor " + unknown +
                        ", whose claims are not known in this lattice"));

  // The upstream ponger (pinger's account) in its place: the alias resolves on A again.
  ASSERT_TRUE(Ok(b.StopActor(kPongerKey)));
  ASSERT_TRUE(Ok(b.StartActor(Actor("ponger.wasm"))));
  EXPECT_TRUE(WaitUntil([&] {
    return BodyOf(a.CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"))) ==
           R"({"value":53})";
  }));

  // Ponger running on A is judged by the module A verified, not by the lattice's record of
  // its key, which the other account overwrites by starting its copy on B again.
  ASSERT_TRUE(Ok(a.StartActor(Actor("ponger.wasm"))));
  ASSERT_TRUE(Ok(b.StopActor(kPongerKey)));
  ASSERT_TRUE(Ok(b.StartActor(*foreign_ponger)));
  ASSERT_TRUE(WaitUntil([&] {
    auto claims = a.ActorClaims();
    auto it = claims.find(std::string(kPongerKey));
    return it != claims.end() && it->second.iss == other.public_key_text();
  }));
  EXPECT_EQ(BodyOf(a.CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"))),
            R"({"value":53})");
}

TEST_F(LatticeTest, AProviderStoppedOnBAndStartedOnCIsBoundOnCAndServesThere) {
  Host& a = AddHost();
  Host& b = AddHost();
  Host& c = AddHost();
  auto on_b = StartKv(b);
  ASSERT_TRUE(Ok(a.StartActor(Actor("kvcounter.wasm"))));
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {})));
  EXPECT_EQ(BodyOf(a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/n"))),
            R"({"counter":1})");

  ASSERT_TRUE(Ok(b.StopProvider(KvKey(), "wasmcloud:keyvalue", "default")));
  ASSERT_TRUE(WaitUntil([&] { return on_b->Count(ProviderEvent::Kind::kStop) == 1; }));
  auto on_c = StartKv(c);
  // C binds its new provider to the link that names it (set on A long before).
  ASSERT_TRUE(WaitForEvent(*on_c, ProviderEvent::Kind::kBindActor, kKvCounterKey));
  EXPECT_EQ(on_c->LastBind(kKvCounterKey), KvCounterBindValues({}));
  EXPECT_EQ(BodyOf(a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/n"))),
            R"({"counter":2})");
  EXPECT_EQ(on_c->CallCount("Add"), 1u);
  EXPECT_EQ(on_b->CallCount("Add"), 1u);
}

// A 0.18 client advertises links by publishing a msgpack LinkDefinition on
// wasmbus.rpc.{ns}.links and removes them on .remlinks; the hosts record them in the
// lattice data and bind / unbind as for their own. Links and claims a host originates
// are published there for 0.18 peers.
TEST_F(LatticeTest, LinksAdvertisedOnTheLegacySubjectsAreRecordedAndOursArePublished) {
  Host& a = AddHost();
  Host& b = AddHost();
  auto provider = StartKv(b);
  std::vector<lattice::Message> published;
  std::mutex mu;
  auto watch = [&](const std::string& subject) {
    auto sub = transport_->Subscribe(subject, "", [&](lattice::Message m) {
      std::lock_guard<std::mutex> lock(mu);
      published.push_back(std::move(m));
    });
    EXPECT_TRUE(Ok(sub));
    return sub.ok() ? std::move(*sub) : nullptr;
  };
  auto claims_sub = watch(lattice::ClaimsSubject("default"));
  ASSERT_TRUE(Ok(a.StartActor(Actor("kvcounter.wasm"))));
  // Our claims went out for 0.18 peers (the decoded claims, msgpack).
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !published.empty();
  }));
  {
    std::lock_guard<std::mutex> lock(mu);
    auto claims = nlohmann::json::from_msgpack(published[0].data, true, false);
    ASSERT_FALSE(claims.is_discarded());
    EXPECT_EQ(claims.value("sub", ""), kKvCounterKey);
    EXPECT_EQ(claims["wascap"].value("name", ""), "Key Value Counter");
  }

  // A link whose ends are not keys is refused, as SetLink refuses it.
  testing::LogCapture log;
  LinkDefinition bogus{"echo", KvKey(), "wasmcloud:keyvalue", "default", {}};
  ASSERT_TRUE(Ok(
      transport_->Publish(lattice::LinksSubject("default"), lattice::EncodeLinkDefinition(bogus))));
  EXPECT_TRUE(WaitUntil([&] {
    return log.Count(
               "ignored a link on wasmbus.rpc.default.links: the actor \"echo\" is not an "
               "actor public key") >= 1;
  })) << log.All();

  LinkDefinition link{
      std::string(kKvCounterKey), KvKey(), "wasmcloud:keyvalue", "default", {{"FROM", "0.18"}}};
  ASSERT_TRUE(Ok(
      transport_->Publish(lattice::LinksSubject("default"), lattice::EncodeLinkDefinition(link))));
  ASSERT_TRUE(WaitForEvent(*provider, ProviderEvent::Kind::kBindActor, kKvCounterKey));
  EXPECT_EQ(provider->LastBind(kKvCounterKey), KvCounterBindValues({{"FROM", "0.18"}}));
  EXPECT_TRUE(WaitUntil([&] { return a.LinkDefinitions() == std::vector<LinkDefinition>{link}; }));
  EXPECT_EQ(BodyOf(a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/n"))),
            R"({"counter":1})");
  // Every host received it; the ones that found it already in the data wrote nothing
  // (two that look at the same moment may both write it: binds are idempotent).
  EXPECT_LE(provider->Count(ProviderEvent::Kind::kBindActor), 2u);

  LinkDefinition removal{std::string(kKvCounterKey), "", "wasmcloud:keyvalue", "default", {}};
  ASSERT_TRUE(Ok(transport_->Publish(lattice::RemoveLinksSubject("default"),
                                     lattice::EncodeLinkDefinition(removal))));
  ASSERT_TRUE(WaitForEvent(*provider, ProviderEvent::Kind::kRemoveActor, kKvCounterKey));
  EXPECT_TRUE(
      WaitUntil([&] { return a.LinkDefinitions().empty() && b.LinkDefinitions().empty(); }));

  // A link set through the API goes out on .links for 0.18 peers.
  auto links_sub = watch(lattice::LinksSubject("default"));
  {
    std::lock_guard<std::mutex> lock(mu);
    published.clear();
  }
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {})));
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !published.empty();
  }));
  LinkDefinition first{std::string(kKvCounterKey), KvKey(), "wasmcloud:keyvalue", "default", {}};
  {
    std::lock_guard<std::mutex> lock(mu);
    auto sent = lattice::DecodeLinkDefinition(published[0].data);
    ASSERT_TRUE(Ok(sent));
    EXPECT_EQ(*sent, first);
    // Marked as ours: the change is in the lattice data already.
    EXPECT_EQ(published[0].headers.count(kLatticeDataHeader), 1u);
  }

  // Such a message arriving late (after the link changed again) is not written back over
  // the newer value: every host skips messages marked as ours. A 0.18 client's message
  // (no mark) published after it is applied, so the marked one was looked at first.
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {{"v", "2"}})));
  ASSERT_TRUE(
      Ok(transport_->Publish(lattice::LinksSubject("default"), lattice::EncodeLinkDefinition(first),
                             {}, {{kLatticeDataHeader, "N-some-host-of-ours"}})));
  LinkDefinition other{std::string(kPongerKey), KvKey(), "wasmcloud:keyvalue", "default", {}};
  ASSERT_TRUE(Ok(
      transport_->Publish(lattice::LinksSubject("default"), lattice::EncodeLinkDefinition(other))));
  ASSERT_TRUE(WaitUntil([&] { return b.LinkDefinitions().size() == 2; }));
  for (Host* h : {&a, &b}) {
    for (const LinkDefinition& l : h->LinkDefinitions()) {
      if (l.actor_id == kKvCounterKey) {
        EXPECT_EQ(l.values, (LinkValues{{"v", "2"}}));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// A late joiner

TEST_F(LatticeTest, ALateJoinerSeesEveryLinkClaimAliasAndReferenceAndBindsItsProviders) {
  Host& a = AddHost();
  ASSERT_TRUE(Ok(a.StartActor(Actor("kvcounter.wasm"))));
  ASSERT_TRUE(Ok(a.StartActor(Actor("ponger.wasm"))));
  ASSERT_TRUE(Ok(a.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {{"K", "V"}})));
  // An OCI reference recorded by some other host of the lattice.
  {
    lattice::LatticeStore writer(bucket_);
    ASSERT_TRUE(Ok(writer.Start(std::chrono::seconds(5))));
    ASSERT_TRUE(Ok(writer.PutOciRef("registry.example/ponger:0.1.0", kPongerKey)));
  }

  // C is not ready (Start does not return) before its watch's initial values arrived.
  bucket_->PauseWatches();
  auto c_host = std::make_unique<Host>(HostConfig{}, SharedEngine(), Options());
  auto started = std::async(std::launch::async, [&] { return c_host->Start(); });
  EXPECT_EQ(started.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  bucket_->ResumeWatches();
  ASSERT_TRUE(Ok(started.get()));
  Host& c = *c_host;
  hosts_.push_back(std::move(c_host));

  // Everything A wrote, without asking A.
  LinkDefinition link{
      std::string(kKvCounterKey), KvKey(), "wasmcloud:keyvalue", "default", {{"K", "V"}}};
  EXPECT_EQ(c.LinkDefinitions(), std::vector<LinkDefinition>{link});
  auto claims = c.ActorClaims();
  EXPECT_EQ(claims.count(std::string(kKvCounterKey)), 1u);
  EXPECT_EQ(claims.count(std::string(kPongerKey)), 1u);
  EXPECT_EQ(c.OciReferences().at("registry.example/ponger:0.1.0"), kPongerKey);
  auto pong = c.CallActor(kPongerAlias, "Ping", Hex("81a576616c75650b"));
  ASSERT_TRUE(Ok(pong));
  EXPECT_EQ(HexEncode(*pong), "81a576616c756535");
  // Its provider is bound to the link at once, with the actor's claims from the data.
  auto provider = StartKv(c);
  ASSERT_TRUE(WaitForEvent(*provider, ProviderEvent::Kind::kBindActor, kKvCounterKey));
  EXPECT_EQ(provider->LastBind(kKvCounterKey), KvCounterBindValues({{"K", "V"}}));
  // And stopping an actor by a reference another host recorded works here too.
  ASSERT_TRUE(Ok(c.StartActor(Actor("ponger.wasm"))));
  ASSERT_TRUE(Ok(c.StopActor("registry.example/ponger:0.1.0")));
  EXPECT_TRUE(c.Actors().empty());
}

TEST_F(LatticeTest, AHostWhoseLatticeDataDoesNotArriveDoesNotStart) {
  bucket_->PauseWatches();
  LatticeOptions o = Options();
  o.ready_timeout = std::chrono::milliseconds(200);
  Host host(HostConfig{}, SharedEngine(), o);
  Status s = host.Start();
  bucket_->ResumeWatches();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kDeadlineExceeded);
  EXPECT_THAT(s.message(), StartsWith("cannot join lattice default (bucket LATTICEDATA_default)"));
  EXPECT_FALSE(host.running());
}

TEST_F(LatticeTest, WhenTheLatticeDataIsUnavailableWritesFailAndCallsGoOn) {
  Host& a = AddHost();
  ASSERT_TRUE(Ok(a.StartActor(Actor("echo.wasm"))));
  bucket_->SetUnavailable(true);
  // Starting an actor needs its claims recorded: it fails and nothing starts.
  auto ponger = a.StartActor(Actor("ponger.wasm"));
  ASSERT_FALSE(ponger.ok());
  EXPECT_EQ(ponger.status().code(), Code::kUnavailable);
  EXPECT_THAT(ponger.status().message(), HasSubstr("lattice data unavailable"));
  EXPECT_EQ(a.Actors(), std::vector<std::string>{std::string(kEchoKey)});
  Status link = a.SetLink(kEchoKey, "wasmcloud:keyvalue", "default", KvKey(), {});
  EXPECT_EQ(link.code(), Code::kUnavailable);
  EXPECT_THAT(link.message(), HasSubstr("lattice data unavailable"));
  // What runs keeps serving from the mirror.
  auto health = a.CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex));
  ASSERT_TRUE(Ok(health));
  EXPECT_EQ(HexEncode(*health), kHealthResponseHex);
  bucket_->SetUnavailable(false);
  EXPECT_TRUE(Ok(a.StartActor(Actor("ponger.wasm"))));
}

// ---------------------------------------------------------------------------------------
// Events and the control handler

TEST_F(LatticeTest, HostsPublishEventsAndAnswerTheControlHandler) {
  HostConfig config;
  config.labels = {{"zone", "east"}};
  Host& a = AddHost(Options(), config);
  Host& b = AddHost();
  ASSERT_TRUE(Ok(b.StartActor(Actor("echo.wasm"))));
  ASSERT_TRUE(events_->WaitFor(
      [&](const lattice::LatticeEvent& e) {
        return e.type == lattice::kActorStarted && e.host_id == b.id() &&
               e.data.value("public_key", "") == kEchoKey;
      },
      std::chrono::seconds(5)));

  lattice::HostInventory inv = b.control().Inventory();
  EXPECT_EQ(inv.host_id, b.id());
  ASSERT_EQ(inv.actors.size(), 1u);
  EXPECT_EQ(inv.actors[0].id, kEchoKey);
  EXPECT_EQ(inv.actors[0].name, "Echo");
  EXPECT_EQ(inv.providers.size(), 2u);  // the built-in ones
  // Auctions: A has the label and does not run echo; B runs it; C-less constraints fail.
  EXPECT_TRUE(a.control().QualifiesForActor(kEchoKey, {{"zone", "east"}}));
  EXPECT_FALSE(b.control().QualifiesForActor(kEchoKey, {}));
  EXPECT_FALSE(a.control().QualifiesForActor(kEchoKey, {{"zone", "west"}}));
  // Commands: stop on B by key (0.18's answer when nothing runs there).
  ASSERT_TRUE(Ok(b.control().StopActor(kEchoKey)));
  EXPECT_EQ(a.control().StopActor(kEchoKey).message(),
            "Actor is either not running on this host or host controller unresponsive");
  ASSERT_TRUE(Ok(a.control().PutLabel("tier", "gold")));
  EXPECT_EQ(a.Labels().at("tier"), "gold");
  EXPECT_EQ(a.control().PutLabel("hostcore.os", "x").code(), Code::kInvalidArgument);
  // Bounded and one line: a host with megabytes of labels could no longer answer a ping
  // or send a heartbeat, and control characters reached operators' terminals.
  EXPECT_EQ(a.control().PutLabel("k", "v\r\nInjected: 1").message(),
            "label k: its value holds a control character");
  EXPECT_EQ(a.control().PutLabel("big", std::string(60000, 'v')).message(),
            "label big: its value has 60000 bytes, more than 4096");
  size_t custom = 0;
  for (const auto& [k, v] : a.Labels()) custom += k.starts_with("hostcore.") ? 0 : 1;
  for (size_t i = custom; i < 100; ++i) {
    ASSERT_TRUE(Ok(a.control().PutLabel("k" + std::to_string(i), "v")));
  }
  EXPECT_TRUE(Ok(a.control().PutLabel("tier", "silver")));  // replacing one is fine
  Status full = a.control().PutLabel("one-more", "v");
  EXPECT_EQ(full.code(), Code::kResourceExhausted);
  EXPECT_EQ(full.message(), "label one-more: this host already has 100 labels (delete one first)");
}

// ---------------------------------------------------------------------------------------
// The receiver verifies every inbound invocation

class InboundTest : public LatticeTest {
 protected:
  void SetUp() override {
    LatticeOptions o = Options();
    o.invocation_issuers = issuers_;
    b_ = &AddHost(o);
    provider_ = StartKv(*b_);
    ASSERT_TRUE(Ok(b_->StartActor(Actor("kvcounter.wasm"))));
    ASSERT_TRUE(Ok(b_->StartActor(Actor("echo.wasm"))));
    ASSERT_TRUE(Ok(b_->SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", KvKey(), {})));
  }

  // kvcounter → the provider's Add, as host A would send it.
  lattice::Invocation AddFromKvCounter(lattice::SignOptions options = {}) {
    return Signed(lattice::Entity::Actor(std::string(kKvCounterKey)), KvEntity(), "Add",
                  wire::Encode(wire::AddArgs{":x", 1}), options);
  }
  void ExpectRefused(const lattice::InvocationResponse& r, const std::string& reason_start) {
    ASSERT_TRUE(r.error.has_value()) << "not refused";
    EXPECT_THAT(*r.error, StartsWith("Invocation refused: " + reason_start));
  }

  lattice::IssuerPolicy issuers_;
  Host* b_ = nullptr;
  std::shared_ptr<FakeKeyValueProvider> provider_;
};

TEST_F(InboundTest, AValidInvocationRunsOnce) {
  lattice::Invocation inv = AddFromKvCounter();
  lattice::InvocationResponse r = Send(KvEntity(), lattice::Encode(inv));
  ASSERT_FALSE(r.error.has_value()) << *r.error;
  EXPECT_EQ(r.invocation_id, inv.id);
  EXPECT_EQ(HexEncode(r.msg), HexEncode(wire::Encode(wire::AddResponse{1})));
  EXPECT_EQ(provider_->CallCount("Add"), 1u);
}

TEST_F(InboundTest, AForgedInvocationIsRefusedAndNothingRuns) {
  Bytes bytes = lattice::Encode(AddFromKvCounter());
  // Flip a bit of the payload (the key ":x" becomes ":y"): the token's hash no longer
  // covers it.
  Bytes marker = ToBytes(":x");
  auto at = std::search(bytes.begin(), bytes.end(), marker.begin(), marker.end());
  ASSERT_NE(at, bytes.end());
  at[1] ^= 0x01;
  ExpectRefused(Send(KvEntity(), bytes), "hash mismatch");
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
}

// Anyone who may publish on the lattice can send refusals by the thousand: each was a
// warn line (20 000 garbage messages, 20 000 lines). At most 20 a second now, and every
// refusal is either logged or counted in a later line.
TEST_F(InboundTest, RefusalsAreLoggedAtARateAndCountedOtherwise) {
  testing::LogCapture log;
  const Bytes garbage = ToBytes("not an invocation");
  int sent = 0;
  for (; sent < 500; ++sent) {
    lattice::InvocationResponse r = Send(KvEntity(), garbage);
    ASSERT_TRUE(r.error.has_value());
  }
  EXPECT_LT(log.Count("refused invocation to "), 100u) << "at most 20 a second, burst 20";
  // Go on until a line after the flood says how many were not logged (the count of
  // those not logged is said with the next line logged).
  const size_t summaries = log.Count("more refused invocation(s) were not logged");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log.Count("more refused invocation(s) were not logged") == summaries) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log.All();
    ExpectRefused(Send(KvEntity(), garbage), "");
    ++sent;
  }
  const std::string all = log.All();
  size_t counted = 0;
  for (size_t at = all.find("more refused invocation(s)"); at != std::string::npos;
       at = all.find("more refused invocation(s)", at + 1)) {
    const size_t start = all.rfind(' ', at - 2) + 1;
    counted += std::stoul(all.substr(start, at - 1 - start));
  }
  EXPECT_EQ(log.Count("refused invocation to " + KvEntity().ToString() + ": "), sent - counted)
      << all;
  EXPECT_EQ(log.Count("refused invocation  "), 0u) << "no empty id in the line";
}

TEST_F(InboundTest, AReAimedInvocationIsRefused) {
  // A token made for echo, sent to kvcounter's subject.
  lattice::Invocation inv =
      Signed(lattice::Entity::System(), lattice::Entity::Actor(std::string(kEchoKey)),
             "HandleRequest", test::HttpGet("/counter"));
  ExpectRefused(Send(lattice::Entity::Actor(std::string(kKvCounterKey)), lattice::Encode(inv)),
                "re-aimed");
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
}

TEST_F(InboundTest, AReplayedInvocationIsRefused) {
  Bytes bytes = lattice::Encode(AddFromKvCounter());
  lattice::InvocationResponse first = Send(KvEntity(), bytes);
  ASSERT_FALSE(first.error.has_value()) << *first.error;
  ExpectRefused(Send(KvEntity(), bytes), "replayed");
  EXPECT_EQ(provider_->CallCount("Add"), 1u);
}

TEST_F(InboundTest, AnExpiredInvocationIsRefused) {
  lattice::SignOptions o;
  int64_t now = crypto::SystemUnixSeconds();
  o.iat = static_cast<uint64_t>(now - 30);
  o.exp = static_cast<uint64_t>(now - 10);
  ExpectRefused(Send(KvEntity(), lattice::Encode(AddFromKvCounter(o))), "expired");
  // A 0.18 sender (no exp) whose token is older than the maximum age.
  lattice::SignOptions old;
  old.iat = static_cast<uint64_t>(now - 120);
  lattice::Invocation inv = AddFromKvCounter(old);
  auto claims = crypto::DecodeInvocationClaims(inv.encoded_claims);
  ASSERT_TRUE(Ok(claims));
  claims->exp.reset();
  inv.encoded_claims = crypto::SignJwt(crypto::ToJson(*claims), client_key_);
  ExpectRefused(Send(KvEntity(), lattice::Encode(inv)), "too old");
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
}

TEST_F(InboundTest, AnAlgorithmOtherThanEd25519IsRefused) {
  lattice::Invocation inv = AddFromKvCounter();
  auto jwt = crypto::SplitJwt(inv.encoded_claims);
  ASSERT_TRUE(Ok(jwt));
  std::string input = Base64UrlEncode(AsBytes(R"({"typ":"jwt","alg":"HS256"})")) + "." +
                      Base64UrlEncode(AsBytes(jwt->claims_json));
  inv.encoded_claims = input + "." + Base64UrlEncode(client_key_.Sign(AsBytes(input)));
  ExpectRefused(Send(KvEntity(), lattice::Encode(inv)), "wrong algorithm");
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
}

TEST_F(InboundTest, AnIssuerOtherThanTheSendingHostIsRefused) {
  lattice::Invocation inv = AddFromKvCounter();
  inv.host_id = crypto::KeyPair::Generate(crypto::KeyType::kServer).public_key_text();
  ExpectRefused(Send(KvEntity(), lattice::Encode(inv)), "issuer mismatch");
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
}

TEST_F(InboundTest, AnActorWithoutTheContractInItsClaimsIsRefusedAtTheReceiver) {
  // Echo's claims are in the lattice data, without wasmcloud:keyvalue: a sender that
  // skipped the check (or a forger with a valid host key) is stopped here.
  ExpectRefused(Send(KvEntity(), lattice::Encode(Signed(
                                     lattice::Entity::Actor(std::string(kEchoKey)), KvEntity(),
                                     "Add", wire::Encode(wire::AddArgs{":x", 1})))),
                "unauthorized: actor " + std::string(kEchoKey) +
                    " does not have the capability wasmcloud:keyvalue in its claims");
  // An actor the lattice has never seen has no claims at all.
  const std::string stranger =
      crypto::KeyPair::Generate(crypto::KeyType::kModule).public_key_text();
  ExpectRefused(
      Send(KvEntity(), lattice::Encode(Signed(lattice::Entity::Actor(stranger), KvEntity(), "Add",
                                              wire::Encode(wire::AddArgs{":x", 1})))),
      "unauthorized: no claims of actor " + stranger + " are known in this lattice");
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
}

TEST_F(InboundTest, TheReceiversAuthorizerIsAsked) {
  auto authorizer = std::make_shared<test::RecordingAuthorizer>();
  authorizer->allow_invoke = false;
  b_->SetAuthorizer(authorizer);
  ExpectRefused(Send(KvEntity(), lattice::Encode(AddFromKvCounter())),
                "unauthorized: the authorizer rejected the invocation");
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
  auto queries = authorizer->Queries();
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].actor, kKvCounterKey);
  EXPECT_EQ(queries[0].target, KvEntity());
  EXPECT_EQ(queries[0].operation, "Add");
}

TEST_F(InboundTest, AnEmptyOperationIsRefused) {
  lattice::Invocation inv =
      Signed(lattice::Entity::System(), lattice::Entity::Actor(std::string(kEchoKey)), "", {});
  ExpectRefused(Send(lattice::Entity::Actor(std::string(kEchoKey)), lattice::Encode(inv)),
                "malformed invocation: the operation is empty");
}

class TrustedIssuersTest : public InboundTest {
 protected:
  void SetUp() override {
    issuers_.kind = lattice::IssuerPolicy::Kind::kList;
    issuers_.keys = {trusted_.public_key_text()};
    InboundTest::SetUp();
  }
  crypto::KeyPair trusted_ = crypto::KeyPair::Generate(crypto::KeyType::kServer);
};

TEST_F(TrustedIssuersTest, OnlyListedHostsAreServed) {
  ExpectRefused(Send(KvEntity(), lattice::Encode(AddFromKvCounter())),
                "untrusted issuer: host " + client_key_.public_key_text());
  EXPECT_EQ(provider_->CallCount("Add"), 0u);
  // A host started with the trusted key reaches kvcounter on B, whose Add runs.
  HostConfig config;
  config.host_seed = trusted_.EncodedSeed();
  Host& a = AddHost(Options(), config);
  EXPECT_EQ(BodyOf(a.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/t"))),
            R"({"counter":1})");
  EXPECT_EQ(provider_->CallCount("Add"), 1u);
}

}  // namespace
}  // namespace wasmcloud::host
