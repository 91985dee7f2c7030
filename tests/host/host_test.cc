// Acceptance tests of the Host (src/host/host.h), written from the headers and the 0.18
// fact sheet (../shared/spec/wasmcloud-0.18-protocol.md), independently of host.cc. Each
// test runs the real upstream actors of ../shared/fixtures and checks what a user of the
// API sees: replies byte for byte, error codes and the 0.18 wording of errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/module_claims.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"
#include "host/host.h"
#include "host/host_core.h"
#include "host/manifest.h"
#include "host/test_providers.h"
#include "support/log_capture.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "support/uuid.h"
#include "wasm/module_info.h"
#include "wasm/v8/v8_engine.h"
#include "wire/core.h"
#include "wire/http.h"
#include "wire/keyvalue.h"

namespace wasmcloud::host {
namespace {

using nlohmann::json;
using test::FakeKeyValueProvider;
using test::KeyValueStore;
using test::ProviderEvent;
using test::RecordingAuthorizer;
using test::WaitUntil;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using wasmcloud::testing::FixturePath;
using wasmcloud::testing::MakeTempDir;
using wasmcloud::testing::RunCommand;
using wasmcloud::testing::WasmcloudBinary;

// Subjects and issuers of the fixtures (fixtures/README.md).
constexpr std::string_view kEchoKey = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kEchoIssuer = "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW";
constexpr std::string_view kKvCounterKey =
    "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";
constexpr std::string_view kPingerKey = "MB2ZOJXL67TBHKRPHX6EE3PUAX7QASN3SDX4ALNPO272HB42IBYUA6BV";
constexpr std::string_view kPongerKey = "MAS242Z2N4ZNGKGC2KGLVHLC4FBCDPF634TR563XBTNW3VR5RX25253X";
constexpr std::string_view kPongerAlias = "wasmcloud/examples/ponger";
constexpr std::string_view kExtrasActorKey =
    "MBBZT42WCIVIBI6XOQFBXJF3LCZTHFD5DU7NHBNCSX5II2RXJ5QKC5X6";
constexpr std::string_view kEchoRevKey = "MDZKXB23KZOEWM7K47BNCX4IQXK7WZ3I3KL7UH6YVVWIUICAYLHCHHR6";

constexpr std::string_view kHealthRequestHex = "81ab706c616365686f6c646572c3";
constexpr std::string_view kHealthResponseHex = "82a76865616c746879c3a76d657373616765a0";
constexpr std::string_view kNotFoundTail =
    " was not found as an actor public key, an actor call alias, or as the contract ID in an "
    "existing link from source actor ";

Bytes Hex(std::string_view hex) {
  auto b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

// A fixture's bytes, read once.
const Bytes& Fixture(const std::string& relative) {
  static std::mutex mu;
  static std::map<std::string, Bytes> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(relative);
  if (it == cache.end()) {
    auto b = ReadFile(FixturePath(relative));
    if (!b.ok()) ADD_FAILURE() << "fixture " << relative << ": " << b.status().message();
    it = cache.emplace(relative, b.ok() ? *b : Bytes{}).first;
  }
  return it->second;
}
const Bytes& Actor(const std::string& name) { return Fixture("wc-host-0.18/" + name); }

using wasmcloud::testing::Ok;

std::unique_ptr<Host> StartHost(HostConfig config = {}) {
  auto host = std::make_unique<Host>(std::move(config), wasm::CreateV8Engine);
  Status s = host->Start();
  EXPECT_TRUE(s.ok()) << s.message();
  return host;
}

// The body of an httpserver Response as text; fails the test when the call failed, the
// reply does not decode or the status is not 200.
std::string BodyOf(const Result<Bytes>& reply) {
  if (!reply.ok()) {
    ADD_FAILURE() << "call failed: " << CodeName(reply.status().code()) << ": "
                  << reply.status().message();
    return "";
  }
  auto r = wire::DecodeHttpResponse(*reply);
  if (!r.ok()) {
    ADD_FAILURE() << "reply is not an http Response: " << r.status().message();
    return "";
  }
  EXPECT_EQ(r->status_code, 200u);
  return std::string(AsChars(r->body));
}

bool HasLink(const std::vector<LinkDefinition>& links, const LinkDefinition& want) {
  for (const auto& l : links) {
    if (l == want) return true;
  }
  return false;
}

const ProviderIdentity* FindProvider(const std::vector<ProviderIdentity>& providers,
                                     std::string_view public_key) {
  for (const auto& p : providers) {
    if (p.public_key == public_key) return &p;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// 1. Host basics

TEST(HostBasicsTest, StartMakesAServerKeyAndStopIsIdempotent) {
  Host host({}, wasm::CreateV8Engine);
  EXPECT_FALSE(host.running());
  EXPECT_EQ(host.id(), "");
  ASSERT_TRUE(Ok(host.Start()));
  EXPECT_TRUE(host.running());
  std::string id = host.id();
  ASSERT_EQ(id.size(), 56u) << id;
  EXPECT_EQ(id[0], 'N') << id;
  auto key = crypto::ParsePublicKey(id);
  ASSERT_TRUE(Ok(key));
  EXPECT_EQ(key->type, crypto::KeyType::kServer);

  EXPECT_EQ(host.Start().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(Ok(host.Stop()));
  EXPECT_FALSE(host.running());
  EXPECT_TRUE(Ok(host.Stop()));
  // A host runs once.
  EXPECT_EQ(host.Start().code(), Code::kFailedPrecondition);
}

TEST(HostBasicsTest, TwoHostsHaveDifferentKeys) {
  auto a = StartHost();
  auto b = StartHost();
  EXPECT_NE(a->id(), b->id());
}

TEST(HostBasicsTest, ConfiguredSeedGivesThatKey) {
  crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  HostConfig config;
  config.host_seed = key.EncodedSeed();
  auto host = StartHost(config);
  EXPECT_EQ(host->id(), key.public_key_text());
}

TEST(HostBasicsTest, SeedFromFileGivesThatKey) {
  crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  std::string dir = MakeTempDir();
  std::string path = dir + "/host.nk";
  ASSERT_TRUE(Ok(WriteFile(path, AsBytes(key.EncodedSeed() + "\n"), 0600)));
  HostConfig config;
  config.host_seed = path;
  auto host = StartHost(config);
  EXPECT_EQ(host->id(), key.public_key_text());
  std::filesystem::remove_all(dir);
}

TEST(HostBasicsTest, LabelsHaveHostcoreKeysAndCustomLabels) {
  HostConfig config;
  config.labels = {{"region", "eu-west"}, {"tier", "gold"}};
  auto host = StartHost(config);
  auto labels = host->Labels();
  EXPECT_EQ(labels["hostcore.os"], "linux");
  EXPECT_EQ(labels["hostcore.osfamily"], "unix");
#if defined(__x86_64__)
  EXPECT_EQ(labels["hostcore.arch"], "x86_64");
#elif defined(__aarch64__)
  EXPECT_EQ(labels["hostcore.arch"], "aarch64");
#else
  EXPECT_FALSE(labels["hostcore.arch"].empty());
#endif
  EXPECT_EQ(labels["region"], "eu-west");
  EXPECT_EQ(labels["tier"], "gold");
  EXPECT_EQ(labels.size(), 5u);
}

TEST(HostBasicsTest, BuiltInProvidersAreListed) {
  auto host = StartHost();
  auto providers = host->Providers();
  EXPECT_EQ(providers.size(), 2u);
  const ProviderIdentity* extras = FindProvider(providers, kExtrasPublicKey);
  ASSERT_NE(extras, nullptr);
  EXPECT_EQ(extras->contract_id, kExtrasContract);
  EXPECT_EQ(extras->link_name, "default");
  EXPECT_EQ(extras->name, "wasmcloud Extras");
  const ProviderIdentity* logging = FindProvider(providers, kLoggingPublicKey);
  ASSERT_NE(logging, nullptr);
  EXPECT_EQ(logging->contract_id, kLoggingContract);
  EXPECT_EQ(logging->link_name, "default");

  auto id = host->GetProviderIdentity(kExtrasPublicKey, "default");
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->contract_id, kExtrasContract);
  EXPECT_EQ(host->GetProviderIdentity(kExtrasPublicKey, "other").status().code(), Code::kNotFound);
  EXPECT_TRUE(host->Actors().empty());
  EXPECT_TRUE(host->LinkDefinitions().empty());
}

// ---------------------------------------------------------------------------------------
// 2. echo.wasm

json Golden() {
  const Bytes& text = Fixture("golden_invocations.json");
  return json::parse(AsChars(text));
}

TEST(EchoTest, GoldenInvocationsGiveTheGoldenBytes) {
  auto host = StartHost();
  auto pk = host->StartActor(Actor("echo.wasm"));
  ASSERT_TRUE(Ok(pk));
  EXPECT_EQ(*pk, kEchoKey);

  json echo;
  const json golden = Golden();
  for (const auto& c : golden["cases"]) {
    if (c["fixture"] == "wc-host-0.18/echo.wasm") echo = c;
  }
  ASSERT_FALSE(echo.is_null());
  ASSERT_GE(echo["invocations"].size(), 4u);
  for (const auto& inv : echo["invocations"]) {
    std::string op = inv["operation"];
    SCOPED_TRACE(op + " " + inv["request_hex"].get<std::string>());
    auto r = host->CallActor(*pk, op, Hex(inv["request_hex"].get<std::string>()));
    const auto& expect = inv["expect"];
    if (expect["guest_call_return"] == 1) {
      ASSERT_TRUE(Ok(r));
      EXPECT_EQ(HexEncode(*r), expect["response_hex"].get<std::string>());
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), Code::kGuestError);
      EXPECT_EQ(r.status().message(), expect["guest_error"].get<std::string>());
    }
  }
}

TEST(EchoTest, HealthRequestAndUnknownOperation) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));

  auto r = host->CallActor(kEchoKey, "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(HexEncode(*r), kHealthResponseHex);
  auto health = wire::DecodeHealthResponse(*r);
  ASSERT_TRUE(Ok(health));
  EXPECT_TRUE(health->healthy);

  auto bad = host->CallActor(kEchoKey, "Frobnicate", Hex("80"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kGuestError);
  EXPECT_EQ(bad.status().message(), "No handler registered for function \"Frobnicate\"");

  // The instance is still fine after a guest error.
  EXPECT_TRUE(Ok(host->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex))));
}

TEST(EchoTest, HandleRequestEchoesTheRequestAsJson) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));
  std::string body =
      BodyOf(host->CallActor(kEchoKey, "HandleRequest", test::HttpGet("", "", "NARF")));
  EXPECT_EQ(body,
            R"({"method":"GET","path":"","query_string":"","headers":{},"body":[78,65,82,70]})");
  auto j = json::parse(
      BodyOf(host->CallActor(kEchoKey, "HandleRequest", test::HttpGet("/foo", "test=kthxbye"))));
  EXPECT_EQ(j["query_string"], "test=kthxbye");
  EXPECT_EQ(j["path"], "/foo");
}

TEST(EchoTest, UnknownTargetsAreNotFound) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));

  // A well-formed actor key that does not run here.
  auto missing = host->CallActor(kKvCounterKey, "HealthRequest", Hex(kHealthRequestHex));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(std::string(kKvCounterKey)));

  // Neither a key nor a call alias.
  auto junk = host->CallActor("not-an-actor", "HealthRequest", Hex(kHealthRequestHex));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), Code::kNotFound);
  // The 0.18 sentence first; the host may add which name it was.
  EXPECT_THAT(junk.status().message(),
              StartsWith("Specified actor was not a public key or a known call alias."));
}

TEST(EchoTest, IdentityAndClaims) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActorFromFile(FixturePath("wc-host-0.18/echo.wasm"))));
  EXPECT_EQ(host->Actors(), std::vector<std::string>{std::string(kEchoKey)});
  auto id = host->GetActorIdentity(kEchoKey);
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->public_key, kEchoKey);
  EXPECT_EQ(id->name, "Echo");
  EXPECT_EQ(id->revision, 0);
  EXPECT_EQ(id->version, "0.2.0");
  EXPECT_EQ(id->call_alias, "");
  EXPECT_FALSE(id->image_ref.has_value());
  EXPECT_EQ(host->GetActorIdentity(kKvCounterKey).status().code(), Code::kNotFound);

  // Claims are grow-only: still there after the actor stopped.
  ASSERT_TRUE(Ok(host->StopActor(kEchoKey)));
  auto claims = host->ActorClaims();
  ASSERT_EQ(claims.count(std::string(kEchoKey)), 1u);
  EXPECT_EQ(claims[std::string(kEchoKey)].iss, kEchoIssuer);
  ASSERT_TRUE(claims[std::string(kEchoKey)].wascap.has_value());
  EXPECT_EQ(claims[std::string(kEchoKey)].wascap->caps,
            std::vector<std::string>{"wasmcloud:httpserver"});
}

// Registries themselves are tested in host_oci_test.cc (a real docker-registry); these
// refusals come before any request.
TEST(EchoTest, OciReferencesAreCheckedBeforeAnyRequest) {
  auto host = StartHost();
  auto latest = host->StartActorFromRegistry("wasmcloud.azurecr.io/echo:latest");
  EXPECT_EQ(latest.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(latest.status().message(), HasSubstr("--allow-oci-latest"));
  auto bad = host->StartCapabilityFromRegistry("wasmcloud.azurecr.io/Redis:0.10.0", "default");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("invalid OCI reference"));
}

// ---------------------------------------------------------------------------------------
// 3. kvcounter with an in-process keyvalue provider

// The link values plus the five hidden values the host adds for kvcounter (§4.3).
LinkValues KvCounterBindValues(LinkValues link_values) {
  link_values["__wasmcloud_issuer"] = std::string(kEchoIssuer);  // same account as echo
  link_values["__wasmcloud_capabilities"] = "wasmcloud:keyvalue,wasmcloud:httpserver";
  link_values["__wasmcloud_name"] = "Key Value Counter";
  link_values["__wasmcloud_expires"] = "0";
  link_values["__wasmcloud_tags"] = "";
  return link_values;
}

class KeyValueTest : public ::testing::Test {
 protected:
  void SetUp() override { host_ = StartHost(); }

  std::shared_ptr<FakeKeyValueProvider> NewProvider() {
    return std::make_shared<FakeKeyValueProvider>(store_);
  }
  Result<std::string> StartProvider(std::shared_ptr<FakeKeyValueProvider> provider) {
    NativeCapability cap;
    cap.provider = std::move(provider);
    cap.claims = test::FakeProviderClaims(account_, service_);
    return host_->StartNativeCapability(std::move(cap));
  }
  std::string ProviderKey() const { return service_.public_key_text(); }
  Status Link(std::string_view actor, LinkValues values = {}) {
    return host_->SetLink(actor, "wasmcloud:keyvalue", "default", ProviderKey(), values);
  }
  Result<Bytes> Count(std::string_view actor = kKvCounterKey) {
    return host_->CallActor(actor, "HandleRequest", test::HttpGet("/counter"));
  }
  bool WaitForBind(const FakeKeyValueProvider& p, std::string_view actor, size_t binds = 1) {
    return WaitUntil([&] {
      size_t n = 0;
      for (const auto& e : p.Events()) {
        n += (e.kind == ProviderEvent::Kind::kBindActor && e.actor == actor) ? 1 : 0;
      }
      return n >= binds;
    });
  }

  std::unique_ptr<Host> host_;
  std::shared_ptr<KeyValueStore> store_ = std::make_shared<KeyValueStore>();
  crypto::KeyPair account_ = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service_ = crypto::KeyPair::Generate(crypto::KeyType::kService);
};

TEST_F(KeyValueTest, CountsThroughTheLinkedProvider) {
  auto actor = host_->StartActor(Actor("kvcounter.wasm"));
  ASSERT_TRUE(Ok(actor));
  EXPECT_EQ(*actor, kKvCounterKey);
  auto provider = NewProvider();
  auto pk = StartProvider(provider);
  ASSERT_TRUE(Ok(pk));
  EXPECT_EQ(*pk, ProviderKey());
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kStart), 1u);
  EXPECT_NE(provider->host(), nullptr);

  LinkValues values = {{"URL", "redis://127.0.0.1:6379/"}};
  ASSERT_TRUE(Ok(Link(kKvCounterKey, values)));
  ASSERT_TRUE(WaitForBind(*provider, kKvCounterKey));
  EXPECT_EQ(provider->LastBind(kKvCounterKey), KvCounterBindValues(values));

  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
  EXPECT_EQ(BodyOf(Count()), R"({"counter":2})");
  EXPECT_EQ(BodyOf(Count()), R"({"counter":3})");

  // What the provider saw: three Adds from kvcounter, key = path with '/' → ':'.
  ASSERT_EQ(provider->CallCount("Add"), 3u);
  for (const auto& e : provider->Events()) {
    if (e.kind != ProviderEvent::Kind::kHandleCall) continue;
    EXPECT_EQ(e.actor, kKvCounterKey);
    EXPECT_EQ(HexEncode(e.payload), HexEncode(wire::Encode(wire::AddArgs{":counter", 1})));
  }

  EXPECT_TRUE(HasLink(host_->LinkDefinitions(), {std::string(kKvCounterKey), ProviderKey(),
                                                 "wasmcloud:keyvalue", "default", values}));
  const std::vector<ProviderIdentity> providers = host_->Providers();
  const ProviderIdentity* listed = FindProvider(providers, ProviderKey());
  ASSERT_NE(listed, nullptr);
  EXPECT_EQ(listed->contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(listed->link_name, "default");
  EXPECT_EQ(listed->name, "Fake KV");
  EXPECT_EQ(providers.size(), 3u);  // with the two built-in ones
}

TEST_F(KeyValueTest, ProviderWithoutClaimsGetsAServiceKey) {
  NativeCapability cap;
  auto provider = NewProvider();
  cap.provider = provider;
  cap.link_name = "";  // blank means "default"
  auto pk = host_->StartNativeCapability(std::move(cap));
  ASSERT_TRUE(Ok(pk));
  auto key = crypto::ParsePublicKey(*pk);
  ASSERT_TRUE(Ok(key));
  EXPECT_EQ(key->type, crypto::KeyType::kService);
  auto id = host_->GetProviderIdentity(*pk, "default");
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(id->name, "In-memory key-value store (test)");

  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  ASSERT_TRUE(Ok(host_->SetLink(kKvCounterKey, "wasmcloud:keyvalue", "", *pk, {})));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
}

TEST_F(KeyValueTest, LinkSetBeforeActorStarts) {
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kBindActor), 0u);  // no such actor yet
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  ASSERT_TRUE(WaitForBind(*provider, kKvCounterKey));
  EXPECT_EQ(provider->LastBind(kKvCounterKey), KvCounterBindValues({}));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
}

TEST_F(KeyValueTest, LinkSetBeforeProviderStarts) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  ASSERT_TRUE(Ok(Link(kKvCounterKey, {{"k", "v"}})));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(WaitForBind(*provider, kKvCounterKey));
  EXPECT_EQ(provider->LastBind(kKvCounterKey), KvCounterBindValues({{"k", "v"}}));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
}

TEST_F(KeyValueTest, RemoveLinkSendsRemoveActorAndTheCallFails) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");

  ASSERT_TRUE(Ok(host_->RemoveLink(kKvCounterKey, "wasmcloud:keyvalue", "default")));
  EXPECT_TRUE(WaitUntil([&] { return provider->Count(ProviderEvent::Kind::kRemoveActor) == 1; }));
  for (const auto& e : provider->Events()) {
    if (e.kind == ProviderEvent::Kind::kRemoveActor) {
      EXPECT_EQ(e.actor, kKvCounterKey);
    }
  }
  EXPECT_TRUE(host_->LinkDefinitions().empty());

  auto r = Count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  EXPECT_EQ(r.status().message(), "Guest call failed: Host error: The target wasmcloud:keyvalue" +
                                      std::string(kNotFoundTail) + std::string(kKvCounterKey));
  EXPECT_EQ(provider->CallCount("Add"), 1u);

  EXPECT_EQ(host_->RemoveLink(kKvCounterKey, "wasmcloud:keyvalue", "default").code(),
            Code::kNotFound);
}

TEST_F(KeyValueTest, ProviderRestartBindsAgainAndCountingContinues) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto first = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(first)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));
  ASSERT_TRUE(WaitForBind(*first, kKvCounterKey));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");

  ASSERT_TRUE(Ok(host_->StopProvider(ProviderKey(), "wasmcloud:keyvalue", "default")));
  EXPECT_TRUE(WaitUntil([&] { return first->Count(ProviderEvent::Kind::kStop) == 1; }));
  const std::vector<ProviderIdentity> while_stopped = host_->Providers();
  EXPECT_EQ(FindProvider(while_stopped, ProviderKey()), nullptr);
  EXPECT_TRUE(Ok(host_->StopProvider(ProviderKey(), "wasmcloud:keyvalue", "default")));
  EXPECT_FALSE(Count().ok());  // the link stays, but nobody serves it
  EXPECT_EQ(host_->LinkDefinitions().size(), 1u);

  auto second = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(second)));
  ASSERT_TRUE(WaitForBind(*second, kKvCounterKey));
  EXPECT_EQ(second->LastBind(kKvCounterKey), KvCounterBindValues({}));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":2})");
  EXPECT_EQ(first->CallCount("Add"), 1u);
  EXPECT_EQ(second->CallCount("Add"), 1u);
  EXPECT_EQ(first->Count(ProviderEvent::Kind::kStop), 1u);
}

TEST_F(KeyValueTest, ActorRestartBindsAgain) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));
  ASSERT_TRUE(WaitForBind(*provider, kKvCounterKey, 1));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
  ASSERT_TRUE(Ok(host_->StopActor(kKvCounterKey)));
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  EXPECT_TRUE(WaitForBind(*provider, kKvCounterKey, 2));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":2})");
}

TEST_F(KeyValueTest, HostStopStopsProviders) {
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(host_->Stop()));
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kStop), 1u);
  EXPECT_EQ(provider->host(), nullptr);
}

TEST_F(KeyValueTest, ProviderCallsAnActor) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("echo.wasm"))));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  provider::ProviderHost* ph = provider->host();
  ASSERT_NE(ph, nullptr);
  // The request of golden_invocations.json's "NARF" case, as the httpserver provider
  // would send it.
  auto r = ph->CallActor(kEchoKey, "HandleRequest",
                         Hex("85a66d6574686f64a3474554a470617468a0ab7175657279537472696e67a0a668"
                             "656164657280a4626f6479c4044e415246"));
  EXPECT_EQ(BodyOf(r),
            R"({"method":"GET","path":"","query_string":"","headers":{},"body":[78,65,82,70]})");
  auto missing = ph->CallActor(kPongerKey, "Ping", Hex("81a576616c75650b"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  ph->Log(LogLevel::kInfo, "a line from the fake provider");
}

// ---------------------------------------------------------------------------------------
// 4. Actor to actor through a call alias

TEST(ActorToActorTest, PingerCallsPongerByItsCallAlias) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("pinger.wasm"))));

  auto alone = host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"));
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.status().code(), Code::kGuestError);
  EXPECT_EQ(alone.status().message(),
            "Guest call failed: Host error: The target wasmcloud/examples/ponger" +
                std::string(kNotFoundTail) + std::string(kPingerKey));

  auto ponger = host->StartActor(Actor("ponger.wasm"));
  ASSERT_TRUE(Ok(ponger));
  EXPECT_EQ(*ponger, kPongerKey);
  auto id = host->GetActorIdentity(kPongerKey);
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->call_alias, kPongerAlias);

  EXPECT_EQ(BodyOf(host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/foobar"))),
            R"({"value":53})");

  auto direct = host->CallActor(kPongerAlias, "Ping", Hex("81a576616c75650b"));  // {value: 11}
  ASSERT_TRUE(Ok(direct));
  EXPECT_EQ(HexEncode(*direct), "81a576616c756535");  // {value: 53}

  auto wrong = host->CallActor(kPongerKey, "HandleRequest", test::HttpGet("/"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "No handler registered for function \"HandleRequest\"");
}

TEST(ActorToActorTest, AliasIsGoneWhenPongerStops) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("pinger.wasm"))));
  ASSERT_TRUE(Ok(host->StartActor(Actor("ponger.wasm"))));
  EXPECT_EQ(BodyOf(host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/"))),
            R"({"value":53})");
  ASSERT_TRUE(Ok(host->StopActor(kPongerKey)));
  auto r = host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("Guest call failed: Host error: "));
  auto direct = host->CallActor(kPongerAlias, "Ping", Hex("81a576616c75650b"));
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), Code::kNotFound);
}

// The rule for call aliases: the first actor of the lattice to claim one owns it for good
// (grow-only, as 0.18's lattice cache). A second claimant starts but never gets it, also
// not when the owner stops; the owner serves it again when it returns.
TEST(ActorToActorTest, TheFirstClaimantKeepsACallAlias) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("ponger.wasm"))));
  crypto::ActorClaimsSpec spec;
  spec.name = "another ponger";
  spec.call_alias = std::string(kPongerAlias);
  auto rival = test::SignActor(test::LoopEchoModule(), spec);  // answers its payload
  ASSERT_TRUE(Ok(rival));
  ASSERT_TRUE(Ok(host->StartActor(rival->module)));  // starts, with a warning
  auto identity = host->GetActorIdentity(rival->public_key);
  ASSERT_TRUE(Ok(identity));
  EXPECT_EQ(identity->call_alias, kPongerAlias);  // what its claims say

  const Bytes ping = Hex("81a576616c75650b");
  auto pong = host->CallActor(kPongerAlias, "Ping", ping);
  ASSERT_TRUE(Ok(pong));
  EXPECT_EQ(HexEncode(*pong), "81a576616c756535");  // ponger's answer, not the echo

  ASSERT_TRUE(Ok(host->StopActor(kPongerKey)));
  auto gone = host->CallActor(kPongerAlias, "Ping", ping);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_EQ(gone.status().message(),
            "actor " + std::string(kPongerKey) + " is not running on this host");
  // Restarting the rival does not hand it over either.
  ASSERT_TRUE(Ok(host->StopActor(rival->public_key)));
  ASSERT_TRUE(Ok(host->StartActor(rival->module)));
  EXPECT_FALSE(host->CallActor(kPongerAlias, "Ping", ping).ok());

  ASSERT_TRUE(Ok(host->StartActor(Actor("ponger.wasm"))));
  pong = host->CallActor(kPongerAlias, "Ping", ping);
  ASSERT_TRUE(Ok(pong));
  EXPECT_EQ(HexEncode(*pong), "81a576616c756535");
}

// ---------------------------------------------------------------------------------------
// 5. extras.wasm with the built-in extras provider

TEST(ExtrasTest, GuidRandomAndSequenceFromTheBuiltInProvider) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("extras.wasm"))));

  // Extras needs an explicit link, as in 0.18 (§4.1).
  auto unlinked = host->CallActor(kExtrasActorKey, "HandleRequest", test::HttpGet("/"));
  ASSERT_FALSE(unlinked.ok());
  EXPECT_EQ(unlinked.status().message(),
            "Guest call failed: Host error: The target wasmcloud:extras" +
                std::string(kNotFoundTail) + std::string(kExtrasActorKey));

  ASSERT_TRUE(
      Ok(host->SetLink(kExtrasActorKey, "wasmcloud:extras", "default", kExtrasPublicKey, {})));
  std::set<std::string> guids;
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    std::string body =
        BodyOf(host->CallActor(kExtrasActorKey, "HandleRequest", test::HttpGet("/")));
    json j = json::parse(body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << body;
    EXPECT_EQ(j["sequence"], i) << body;
    ASSERT_TRUE(j["guid"].is_string()) << body;
    std::string guid = j["guid"];
    EXPECT_TRUE(wasmcloud::testing::IsUuidV4(guid)) << guid;
    guids.insert(guid);
    ASSERT_TRUE(j["random"].is_number_integer()) << body;
    EXPECT_GE(j["random"].get<int64_t>(), 0);
    EXPECT_LT(j["random"].get<int64_t>(), 100);
  }
  EXPECT_EQ(guids.size(), 3u);
}

// ---------------------------------------------------------------------------------------
// 6. Live update

// The "revision" of an echo_r0/echo_r1 HandleRequest reply; -1 when the call failed.
int RevisionOf(const Result<Bytes>& reply) {
  if (!reply.ok()) return -1;
  auto r = wire::DecodeHttpResponse(*reply);
  if (!r.ok()) return -1;
  json j = json::parse(AsChars(r->body), nullptr, false);
  if (j.is_discarded() || !j.contains("revision")) return -1;
  return j["revision"].get<int>();
}

TEST(LiveUpdateTest, UpdateUnderLoadLosesNoCall) {
  HostConfig config;
  config.allow_live_updates = true;
  auto host = StartHost(config);
  auto pk = host->StartActor(Actor("echo_r0.wasm"));
  ASSERT_TRUE(Ok(pk));
  EXPECT_EQ(*pk, kEchoRevKey);
  EXPECT_EQ(RevisionOf(host->CallActor(kEchoRevKey, "HandleRequest", test::HttpGet("/foo/bar"))),
            0);

  constexpr int kThreads = 4;
  std::atomic<bool> stop{false};
  std::atomic<bool> updated{false};
  std::atomic<int64_t> calls{0}, failures{0}, stale_after_update{0};
  std::vector<std::atomic<int64_t>> per_thread(kThreads);
  std::vector<std::atomic<int64_t>> after_update(kThreads);
  std::mutex mu;
  std::string first_failure;
  const Bytes health = Hex(kHealthRequestHex);
  const Bytes request = test::HttpGet("/foo/bar", "test=kthxbye");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t i = 0; !stop.load(); ++i) {
        bool was_updated = updated.load();
        bool ok;
        if (i % 2 == 0) {
          auto r = host->CallActor(kEchoRevKey, "HealthRequest", health);
          ok = r.ok() && HexEncode(*r) == kHealthResponseHex;
          if (!ok) {
            std::lock_guard lock(mu);
            if (first_failure.empty()) {
              first_failure =
                  r.ok() ? "HealthRequest reply " + HexEncode(*r) : r.status().message();
            }
          }
        } else {
          auto r = host->CallActor(kEchoRevKey, "HandleRequest", request);
          int rev = RevisionOf(r);
          ok = rev == 0 || rev == 1;
          if (!ok) {
            std::lock_guard lock(mu);
            if (first_failure.empty()) {
              first_failure =
                  r.ok() ? "HandleRequest reply " + HexEncode(*r) : r.status().message();
            }
          }
          if (was_updated && rev == 0) stale_after_update.fetch_add(1);
        }
        calls.fetch_add(1);
        if (!ok) failures.fetch_add(1);
        per_thread[t].fetch_add(1);
        if (was_updated) after_update[t].fetch_add(1);
      }
    });
  }
  auto all_reached = [&](std::vector<std::atomic<int64_t>>& counts, int64_t n) {
    for (auto& c : counts) {
      if (c.load() < n) return false;
    }
    return true;
  };
  bool warmed = WaitUntil([&] { return all_reached(per_thread, 200); }, std::chrono::seconds(60));
  Status update = host->UpdateActor(kEchoRevKey, Actor("echo_r1.wasm"));
  updated.store(true);
  bool drained =
      WaitUntil([&] { return all_reached(after_update, 200); }, std::chrono::seconds(60));
  stop.store(true);
  for (auto& th : threads) th.join();

  EXPECT_TRUE(warmed);
  EXPECT_TRUE(drained);
  ASSERT_TRUE(Ok(update));
  EXPECT_EQ(failures.load(), 0) << "of " << calls.load() << " calls; first: " << first_failure;
  EXPECT_EQ(stale_after_update.load(), 0) << "revision 0 answered after UpdateActor returned";
  std::printf("[          ] %lld calls during the live update, %lld failed\n",
              static_cast<long long>(calls.load()), static_cast<long long>(failures.load()));

  auto id = host->GetActorIdentity(kEchoRevKey);
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->revision, 1);
  EXPECT_EQ(host->Actors().size(), 1u);
  auto claims = host->ActorClaims();
  ASSERT_TRUE(claims[std::string(kEchoRevKey)].wascap.has_value());
  EXPECT_EQ(claims[std::string(kEchoRevKey)].wascap->rev, 1);
  EXPECT_EQ(RevisionOf(host->CallActor(kEchoRevKey, "HandleRequest", test::HttpGet("/foo/bar"))),
            1);
}

TEST(LiveUpdateTest, RefusedUpdates) {
  HostConfig config;
  config.allow_live_updates = true;
  auto host = StartHost(config);
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo_r0.wasm"))));
  // Another module with the same key is not a start but an update.
  EXPECT_EQ(host->StartActor(Actor("echo_r1.wasm")).status().code(), Code::kAlreadyExists);

  Status other = host->UpdateActor(kEchoRevKey, Actor("echo.wasm"));
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.message(),
              HasSubstr("Public keys of old actor and new actor do not match. Update denied."));
  Status same = host->UpdateActor(kEchoRevKey, Actor("echo_r0.wasm"));
  ASSERT_FALSE(same.ok());
  EXPECT_THAT(same.message(),
              HasSubstr("Cannot live update if the new module is not a higher revision number"));

  ASSERT_TRUE(Ok(host->UpdateActor(kEchoRevKey, Actor("echo_r1.wasm"))));
  Status again = host->UpdateActor(kEchoRevKey, Actor("echo_r1.wasm"));
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.message(),
              HasSubstr("Cannot live update if the new module is not a higher revision number"));
  Status lower = host->UpdateActor(kEchoRevKey, Actor("echo_r0.wasm"));
  ASSERT_FALSE(lower.ok());
  EXPECT_THAT(lower.message(),
              HasSubstr("Cannot live update if the new module is not a higher revision number"));
  EXPECT_EQ(host->GetActorIdentity(kEchoRevKey)->revision, 1);
  EXPECT_EQ(RevisionOf(host->CallActor(kEchoRevKey, "HandleRequest", test::HttpGet("/"))), 1);

  EXPECT_FALSE(host->UpdateActor(kEchoKey, Actor("echo.wasm")).ok());  // not running
}

TEST(LiveUpdateTest, RefusedWithoutAllowLiveUpdates) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo_r0.wasm"))));
  Status s = host->UpdateActor(kEchoRevKey, Actor("echo_r1.wasm"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("Attempt to live update actor denied. Runtime updates for "
                                     "this actor are not enabled"));
  EXPECT_EQ(host->GetActorIdentity(kEchoRevKey)->revision, 0);
  EXPECT_EQ(RevisionOf(host->CallActor(kEchoRevKey, "HandleRequest", test::HttpGet("/"))), 0);
}

// The same subject signed twice by one account, to exercise the capability check.
Result<Bytes> SignWith(const crypto::KeyPair& account, const std::string& subject, int32_t rev,
                       std::vector<std::string> caps) {
  crypto::ActorClaimsSpec spec;
  spec.name = "updatable";
  spec.rev = rev;
  spec.caps = std::move(caps);
  auto claims = crypto::NewActorClaims(spec, account.public_key_text(), subject,
                                       static_cast<uint64_t>(crypto::SystemUnixSeconds()));
  return crypto::SignModule(test::LoopEchoModule(), claims, account);
}

TEST(LiveUpdateTest, StrictCheckRefusesOtherCapabilities) {
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  std::string subject = crypto::KeyPair::Generate(crypto::KeyType::kModule).public_key_text();
  auto r0 = SignWith(account, subject, 0, {"wasmcloud:httpserver"});
  auto r1 = SignWith(account, subject, 1, {"wasmcloud:httpserver", "wasmcloud:keyvalue"});
  ASSERT_TRUE(Ok(r0));
  ASSERT_TRUE(Ok(r1));

  HostConfig strict;
  strict.allow_live_updates = true;
  auto host = StartHost(strict);
  ASSERT_TRUE(Ok(host->StartActor(*r0)));
  Status s = host->UpdateActor(subject, *r1);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("Strict claims checking does not allow live updated actors "
                                     "to have different capability claims"));
  EXPECT_EQ(host->GetActorIdentity(subject)->revision, 0);

  HostConfig lax = strict;
  lax.strict_update_check = false;
  auto lax_host = StartHost(lax);
  ASSERT_TRUE(Ok(lax_host->StartActor(*r0)));
  EXPECT_TRUE(Ok(lax_host->UpdateActor(subject, *r1)));
  EXPECT_EQ(lax_host->GetActorIdentity(subject)->revision, 1);
  auto echoed = lax_host->CallActor(subject, "Echo", AsBytes("still here"));
  ASSERT_TRUE(Ok(echoed));
  EXPECT_EQ(AsChars(*echoed), "still here");
}

// ---------------------------------------------------------------------------------------
// 7. The capability check

TEST_F(KeyValueTest, ActorWithoutTheCapabilityIsDenied) {
  std::string dir = MakeTempDir();
  std::string out = dir + "/kv_http_only.wasm";
  ASSERT_TRUE(std::filesystem::exists(WasmcloudBinary()))
      << WasmcloudBinary() << " is missing: build the wasmcloud target";
  auto signed_ = RunCommand({WasmcloudBinary(), "claims", "sign",
                             FixturePath("wc-host-0.18/kvcounter.wasm"), "-d", out, "--name", "kv",
                             "--cap", "wasmcloud:httpserver", "--keys-dir", dir + "/keys"});
  ASSERT_EQ(signed_.exit_code, 0) << signed_.out << signed_.err;

  auto pk = host_->StartActorFromFile(out);
  ASSERT_TRUE(Ok(pk));
  EXPECT_NE(*pk, kKvCounterKey);
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(*pk)));

  auto r = Count(*pk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  // The 0.18 sentence first (golden_invocations.json has it alone); the host may add
  // which actor and capability it was.
  EXPECT_THAT(r.status().message(),
              StartsWith("Guest call failed: Host error: Authorization denied - Actor does not "
                         "have required claims"));
  EXPECT_EQ(provider->CallCount("Add"), 0u);
  std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------
// 8. Refusals at start, and the authorizer

TEST(StartRefusalTest, UnsignedModule) {
  auto host = StartHost();
  auto r = host->StartActor(Fixture("wascap/loop.wasm"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("Unable to extract embedded token from WebAssembly module (sign it "
                        "with `wasmcloud claims sign`)"));
  EXPECT_TRUE(host->Actors().empty());
}

TEST(StartRefusalTest, ChangedCodeIsAHashMismatch) {
  Bytes module = Actor("echo.wasm");
  auto info = wasm::InspectModule(module);
  ASSERT_TRUE(Ok(info));
  size_t at = 0;
  for (const auto& s : info->sections) {
    if (s.id == 10) at = s.payload_offset + s.payload_size / 2;  // the code section
  }
  ASSERT_NE(at, 0u);
  module[at] ^= 0x01;
  auto host = StartHost();
  auto r = host->StartActor(module);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("hash mismatch"));
  EXPECT_TRUE(host->Actors().empty());
}

TEST(StartRefusalTest, ForgedSignature) {
  Bytes module = Actor("echo.wasm");
  auto info = wasm::InspectModule(module);
  ASSERT_TRUE(Ok(info));
  const wasm::Section* jwt = info->FindCustomSection("jwt");
  ASSERT_NE(jwt, nullptr);
  std::string token(AsChars(ByteView(module).subspan(jwt->content_offset, jwt->content_size)));
  size_t at = jwt->content_offset + token.rfind('.') + 20;
  module[at] = module[at] == 'A' ? 'B' : 'A';
  auto host = StartHost();
  auto r = host->StartActor(module);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("bad signature"));
}

// echo.wasm's claims with `edit` applied, signed again by a new account.
Result<Bytes> ResignedEcho(const std::function<void(crypto::ActorClaims&)>& edit) {
  WC_ASSIGN_OR_RETURN(auto identity, crypto::ReadModuleIdentity(Actor("echo.wasm")));
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::ActorClaims claims = identity.claims;
  claims.iss = account.public_key_text();
  claims.jti = crypto::NewTokenId();
  edit(claims);
  return crypto::SignModule(Actor("echo.wasm"), claims, account);
}

TEST(StartRefusalTest, ExpiredAndNotYetValidClaims) {
  uint64_t now = static_cast<uint64_t>(crypto::SystemUnixSeconds());
  auto expired = ResignedEcho([&](crypto::ActorClaims& c) { c.exp = now - 3600; });
  auto early = ResignedEcho([&](crypto::ActorClaims& c) { c.nbf = now + 3600; });
  auto fine = ResignedEcho([&](crypto::ActorClaims& c) { c.exp = now + 3600; });
  ASSERT_TRUE(Ok(expired));
  ASSERT_TRUE(Ok(early));
  ASSERT_TRUE(Ok(fine));
  auto host = StartHost();
  auto r = host->StartActor(*expired);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("expired"));
  r = host->StartActor(*early);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not yet valid"));
  EXPECT_TRUE(host->Actors().empty());
  r = host->StartActor(*fine);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(*r, kEchoKey);
}

TEST(StartRefusalTest, IssuerKeyTypeIsCheckedUnlessLax) {
  crypto::KeyPair operator_key = crypto::KeyPair::Generate(crypto::KeyType::kOperator);
  auto identity = crypto::ReadModuleIdentity(Actor("echo.wasm"));
  ASSERT_TRUE(Ok(identity));
  crypto::ActorClaims claims = identity->claims;
  claims.iss = operator_key.public_key_text();
  auto module = crypto::SignModule(Actor("echo.wasm"), claims, operator_key);
  ASSERT_TRUE(Ok(module));

  auto strict = StartHost();
  auto r = strict->StartActor(*module);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("wrong key type"));

  HostConfig config;
  config.lax_key_types = true;
  auto lax = StartHost(config);
  EXPECT_TRUE(Ok(lax->StartActor(*module)));
}

TEST(StartRefusalTest, AllowedIssuers) {
  HostConfig other;
  other.allowed_issuers = {crypto::KeyPair::Generate(crypto::KeyType::kAccount).public_key_text()};
  auto host = StartHost(other);
  auto r = host->StartActor(Actor("echo.wasm"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(std::string(kEchoIssuer)));
  EXPECT_TRUE(host->Actors().empty());

  HostConfig listed;
  listed.allowed_issuers = {other.allowed_issuers[0], std::string(kEchoIssuer)};
  auto host2 = StartHost(listed);
  EXPECT_TRUE(Ok(host2->StartActor(Actor("echo.wasm"))));
}

TEST(AuthorizerTest, CanLoadFalseRefusesTheStart) {
  auto host = StartHost();
  auto authorizer = std::make_shared<RecordingAuthorizer>();
  authorizer->allow_load = false;
  host->SetAuthorizer(authorizer);
  auto r = host->StartActor(Actor("echo.wasm"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Permission denied starting actor"));
  EXPECT_GE(authorizer->load_queries.load(), 1);
  EXPECT_TRUE(host->Actors().empty());

  authorizer->allow_load = true;
  EXPECT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));
}

TEST_F(KeyValueTest, CanInvokeFalseFailsTheProviderCall) {
  auto authorizer = std::make_shared<RecordingAuthorizer>();
  authorizer->allow_invoke = false;
  host_->SetAuthorizer(authorizer);
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));

  auto r = Count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  EXPECT_EQ(r.status().message(),
            "Guest call failed: Host error: Authorization denied - authorizer rejected invocation");
  EXPECT_EQ(provider->CallCount("Add"), 0u);

  // The authorizer was asked about exactly this call, after the host's own checks (and
  // about the CallActor that made kvcounter run, whose origin is the host: allowed).
  auto queries = authorizer->ActorQueries();
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].actor, kKvCounterKey);
  EXPECT_EQ(queries[0].target.kind, Entity::Kind::kCapability);
  EXPECT_EQ(queries[0].target.id, ProviderKey());
  EXPECT_EQ(queries[0].target.contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(queries[0].target.link_name, "default");
  EXPECT_EQ(queries[0].operation, "Add");

  authorizer->allow_invoke = true;
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
}

TEST(AuthorizerTest, CanInvokeAppliesToActorToActorCalls) {
  auto host = StartHost();
  auto authorizer = std::make_shared<RecordingAuthorizer>();
  host->SetAuthorizer(authorizer);
  ASSERT_TRUE(Ok(host->StartActor(Actor("pinger.wasm"))));
  ASSERT_TRUE(Ok(host->StartActor(Actor("ponger.wasm"))));
  EXPECT_EQ(BodyOf(host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/"))),
            R"({"value":53})");
  auto queries = authorizer->ActorQueries();
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].actor, kPingerKey);
  EXPECT_EQ(queries[0].target.kind, Entity::Kind::kActor);
  EXPECT_EQ(queries[0].target.id, kPongerKey);
  EXPECT_EQ(queries[0].operation, "Ping");

  authorizer->allow_invoke = false;
  auto r = host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Guest call failed: Host error: Authorization denied - authorizer rejected invocation");
  // A call from the host itself ("system") is allowed by this authorizer.
  EXPECT_TRUE(Ok(host->CallActor(kPongerKey, "Ping", Hex("81a576616c75650b"))));
}

// The seed: call_actor goes through the authorizer. Its origin is the host: the claims
// the authorizer sees have sub "system" and the host's key as issuer.
TEST(AuthorizerTest, CallActorIsCheckedByTheAuthorizer) {
  auto host = StartHost();
  auto authorizer = std::make_shared<RecordingAuthorizer>();
  host->SetAuthorizer(authorizer);
  ASSERT_TRUE(Ok(host->StartActor(Actor("ponger.wasm"))));
  auto pong = host->CallActor(kPongerKey, "Ping", Hex("81a576616c75650b"));
  ASSERT_TRUE(Ok(pong));
  EXPECT_EQ(HexEncode(*pong), "81a576616c756535");

  authorizer->allow_system = false;
  auto denied = host->CallActor("wasmcloud/examples/ponger", "Ping", Hex("81a576616c75650b"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "Authorization denied - authorizer rejected invocation");
  auto queries = authorizer->Queries();
  ASSERT_EQ(queries.size(), 2u);
  for (const auto& q : queries) {
    EXPECT_EQ(q.actor, "system");
    EXPECT_EQ(q.issuer, host->id());
    EXPECT_EQ(q.target, Entity::Actor(std::string(kPongerKey)));
    EXPECT_EQ(q.operation, "Ping");
  }
  // Taking the authorizer away allows the call again.
  host->SetAuthorizer(nullptr);
  EXPECT_TRUE(Ok(host->CallActor(kPongerKey, "Ping", Hex("81a576616c75650b"))));
}

// ---------------------------------------------------------------------------------------
// 9. Idempotence

TEST(IdempotenceTest, StartAndStopTwice) {
  auto host = StartHost();
  auto a = host->StartActor(Actor("echo.wasm"));
  auto b = host->StartActor(Actor("echo.wasm"));
  ASSERT_TRUE(Ok(a));
  ASSERT_TRUE(Ok(b));
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(host->Actors(), std::vector<std::string>{std::string(kEchoKey)});

  EXPECT_TRUE(Ok(host->StopActor(kEchoKey)));
  EXPECT_TRUE(Ok(host->StopActor(kEchoKey)));
  EXPECT_TRUE(Ok(host->StopActor(kPongerKey)));  // never started
  EXPECT_TRUE(host->Actors().empty());

  auto r = host->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);

  // And it can start again.
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));
  EXPECT_TRUE(Ok(host->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex))));
}

TEST(IdempotenceTest, ActorsAreListedSorted) {
  auto host = StartHost();
  for (const char* name : {"ponger.wasm", "echo.wasm", "pinger.wasm"}) {
    ASSERT_TRUE(Ok(host->StartActor(Actor(name))));
  }
  std::vector<std::string> want = {std::string(kEchoKey), std::string(kPingerKey),
                                   std::string(kPongerKey)};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(host->Actors(), want);
}

TEST(IdempotenceTest, StopWithActorsAndProvidersRunning) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));
  ASSERT_TRUE(Ok(host->StartActor(Actor("extras.wasm"))));
  ASSERT_TRUE(
      Ok(host->SetLink(kExtrasActorKey, "wasmcloud:extras", "default", kExtrasPublicKey, {})));
  EXPECT_TRUE(Ok(host->Stop()));
  EXPECT_FALSE(host->running());
  EXPECT_FALSE(host->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex)).ok());
}

// ---------------------------------------------------------------------------------------
// 10. Deadline

TEST(DeadlineTest, RunawayCallIsStoppedAndTheHostKeepsServing) {
  HostConfig config;
  config.call_timeout = std::chrono::milliseconds(200);
  auto host = StartHost(config);
  auto looper = test::SignActor(test::LoopEchoModule());
  ASSERT_TRUE(Ok(looper));
  auto pk = host->StartActor(looper->module);
  ASSERT_TRUE(Ok(pk));
  EXPECT_EQ(*pk, looper->public_key);
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));

  auto started = std::chrono::steady_clock::now();
  auto r = host->CallActor(*pk, "Spin", {});  // an empty payload loops forever
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));
  EXPECT_LT(elapsed, std::chrono::seconds(5));

  auto health = host->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex));
  ASSERT_TRUE(Ok(health));
  EXPECT_EQ(HexEncode(*health), kHealthResponseHex);
  // The looping actor's instance was replaced: it answers again.
  auto echoed = host->CallActor(*pk, "Echo", AsBytes("hello"));
  ASSERT_TRUE(Ok(echoed));
  EXPECT_EQ(AsChars(*echoed), "hello");
}

TEST(DeadlineTest, RunawayCallsOnEveryWorkerAtOnce) {
  HostConfig config;
  config.call_timeout = std::chrono::milliseconds(200);
  config.workers = 2;
  config.max_actor_calls = 2;  // the one actor may take both workers here
  auto host = StartHost(config);
  auto looper = test::SignActor(test::LoopEchoModule());
  ASSERT_TRUE(Ok(looper));
  ASSERT_TRUE(Ok(host->StartActor(looper->module)));
  std::vector<std::thread> threads;
  std::atomic<int> deadlines{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto r = host->CallActor(looper->public_key, "Spin", {});
      if (!r.ok() && r.status().code() == Code::kDeadlineExceeded) deadlines.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(deadlines.load(), 4);
  auto echoed = host->CallActor(looper->public_key, "Echo", AsBytes("x"));
  ASSERT_TRUE(Ok(echoed));
  EXPECT_EQ(AsChars(*echoed), "x");
}

// ---------------------------------------------------------------------------------------
// 11. Concurrency

TEST(ConcurrencyTest, EightThreadsTenThousandCallsEach) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));
  constexpr int kThreads = 8;
  constexpr int kCalls = 10000;
  const Bytes request = Hex(kHealthRequestHex);
  const Bytes want = Hex(kHealthResponseHex);
  std::atomic<int64_t> good{0}, bad{0};
  std::mutex mu;
  std::string first_bad;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        auto r = host->CallActor(kEchoKey, "HealthRequest", request);
        if (r.ok() && *r == want) {
          good.fetch_add(1);
        } else {
          bad.fetch_add(1);
          std::lock_guard lock(mu);
          if (first_bad.empty()) first_bad = r.ok() ? HexEncode(*r) : r.status().message();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), int64_t{kThreads} * kCalls);
  EXPECT_EQ(bad.load(), 0) << first_bad;
}

TEST(ConcurrencyTest, CallsWhileActorsStartAndStop) {
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo.wasm"))));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> bad{0}, calls{0};
  std::thread caller([&] {
    const Bytes request = Hex(kHealthRequestHex);
    while (!stop.load()) {
      auto r = host->CallActor(kEchoKey, "HealthRequest", request);
      calls.fetch_add(1);
      if (!r.ok() || HexEncode(*r) != kHealthResponseHex) bad.fetch_add(1);
    }
  });
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Ok(host->StartActor(Actor("ponger.wasm"))));
    auto r = host->CallActor(kPongerAlias, "Ping", Hex("81a576616c75650b"));
    ASSERT_TRUE(Ok(r));
    ASSERT_TRUE(Ok(host->StopActor(kPongerKey)));
  }
  stop.store(true);
  caller.join();
  EXPECT_GT(calls.load(), 0);
  EXPECT_EQ(bad.load(), 0);
}

// ---------------------------------------------------------------------------------------
// 12. Manifests

TEST(ManifestTest, AppliesWhatItCanAndNamesWhatFailed) {
  std::string dir = MakeTempDir();
  Manifest m;
  m.source = "demo.yaml";
  m.labels = {{"region", "eu-west"}};
  m.actors = {
      {FixturePath("wc-host-0.18/echo.wasm"), {"demo.yaml", 4, 5}},
      {dir + "/missing.wasm", {"demo.yaml", 5, 5}},
      {FixturePath("wc-host-0.18/extras.wasm"), {"demo.yaml", 6, 5}},
  };
  m.capabilities = {{dir + "/missing_provider.par.gz", "default", {"demo.yaml", 8, 5}, ""}};
  ManifestLink link;
  link.actor = std::string(kExtrasActorKey);
  link.contract_id = "wasmcloud:extras";
  link.provider_id = std::string(kExtrasPublicKey);
  link.location = {"demo.yaml", 10, 5};
  m.links = {link};

  auto host = StartHost();
  Status s = host->ApplyManifest(m);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("demo.yaml:5:5"));
  EXPECT_THAT(s.message(), HasSubstr("missing.wasm"));
  EXPECT_THAT(s.message(), HasSubstr("demo.yaml:8:5"));

  std::vector<std::string> want = {std::string(kEchoKey), std::string(kExtrasActorKey)};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(host->Actors(), want);
  EXPECT_TRUE(HasLink(host->LinkDefinitions(), {std::string(kExtrasActorKey),
                                                std::string(kExtrasPublicKey),
                                                "wasmcloud:extras",
                                                "default",
                                                {}}));
  auto labels = host->Labels();
  EXPECT_EQ(labels["region"], "eu-west");
  EXPECT_EQ(labels["hostcore.os"], "linux");

  // The link works: extras answers through the built-in provider.
  json j =
      json::parse(BodyOf(host->CallActor(kExtrasActorKey, "HandleRequest", test::HttpGet("/"))),
                  nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["sequence"], 0);
  std::filesystem::remove_all(dir);
}

TEST(ManifestTest, GoodManifestIsApplied) {
  Manifest m;
  m.source = "<text>";
  m.actors = {{FixturePath("wc-host-0.18/pinger.wasm"), {"<text>", 1, 1}},
              {FixturePath("wc-host-0.18/ponger.wasm"), {"<text>", 2, 1}}};
  auto host = StartHost();
  ASSERT_TRUE(Ok(host->ApplyManifest(m)));
  EXPECT_EQ(host->Actors().size(), 2u);
  EXPECT_EQ(BodyOf(host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/"))),
            R"({"value":53})");
}

// A link may name its actor by call alias and leave out provider_id: the host resolves
// both when it applies the manifest, and says which could not be resolved.
TEST(ManifestTest, LinksByCallAliasAndWithoutProviderId) {
  Manifest m;
  m.source = "demo.yaml";
  m.actors = {{FixturePath("wc-host-0.18/ponger.wasm"), {"demo.yaml", 2, 5}},
              {FixturePath("wc-host-0.18/extras.wasm"), {"demo.yaml", 3, 5}}};
  auto link = [](std::string actor, std::string contract, size_t line) {
    ManifestLink l;
    l.actor = std::move(actor);
    l.contract_id = std::move(contract);
    l.location = {"demo.yaml", line, 5};
    return l;
  };
  m.links = {link(std::string(kPongerAlias), "wasmcloud:extras", 5),
             link(std::string(kExtrasActorKey), "wasmcloud:extras", 8),
             link("nobody/here", "wasmcloud:extras", 11),
             link(std::string(kExtrasActorKey), "wasmcloud:nothing", 14)};
  auto host = StartHost();
  Status s = host->ApplyManifest(m);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("2 entries failed, 4 applied:\n"))
      << "no labels: none are said applied";
  EXPECT_THAT(s.message(),
              HasSubstr("demo.yaml:11:5: link nobody/here → wasmcloud:extras: no actor "
                        "has the call alias \"nobody/here\""));
  EXPECT_THAT(s.message(), HasSubstr("demo.yaml:14:5"));
  EXPECT_THAT(s.message(), HasSubstr("no provider of wasmcloud:nothing with link name default"));
  EXPECT_TRUE(HasLink(
      host->LinkDefinitions(),
      {std::string(kPongerKey), std::string(kExtrasPublicKey), "wasmcloud:extras", "default", {}}));
  EXPECT_TRUE(HasLink(host->LinkDefinitions(), {std::string(kExtrasActorKey),
                                                std::string(kExtrasPublicKey),
                                                "wasmcloud:extras",
                                                "default",
                                                {}}));
  json j =
      json::parse(BodyOf(host->CallActor(kExtrasActorKey, "HandleRequest", test::HttpGet("/"))),
                  nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["sequence"], 0);
}

// ---------------------------------------------------------------------------------------
// 13. Robustness: provider failures, re-entrant calls, races, stopping with calls in flight

// Runs `body` on a thread and fails the test (instead of hanging it) when it has not
// returned after `limit`: the thread and `keep` are then leaked on purpose.
template <typename Keep>
bool FinishesWithin(std::chrono::seconds limit, std::unique_ptr<Keep>& keep,
                    std::function<void()> body) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> f = done->get_future();
  std::thread([body = std::move(body), done] {
    body();
    done->set_value();
  }).detach();
  if (f.wait_for(limit) == std::future_status::ready) return true;
  ADD_FAILURE() << "still running after " << limit.count() << " s (deadlock?)";
  (void)keep.release();
  return false;
}

TEST_F(KeyValueTest, ProviderErrorReachesTheActorAsItsHostError) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  provider->before_call = [](provider::ProviderHost*, std::string_view, std::string_view) {
    return Unavailable("the store is down");
  };
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));
  auto r = Count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kGuestError);
  EXPECT_THAT(r.status().message(), StartsWith("Guest call failed: Host error: "));
  EXPECT_THAT(r.status().message(), HasSubstr("the store is down"));
}

TEST_F(KeyValueTest, ProviderThatFailsToStartIsNotListedNorStopped) {
  auto provider = NewProvider();
  provider->start_error = Unavailable("cannot reach the store");
  auto r = StartProvider(provider);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot reach the store"));
  const std::vector<ProviderIdentity> providers = host_->Providers();
  EXPECT_EQ(FindProvider(providers, ProviderKey()), nullptr);
  ASSERT_TRUE(Ok(host_->Stop()));
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kStop), 0u);
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kStart), 1u);
}

TEST_F(KeyValueTest, BindErrorKeepsTheLink) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  provider->bind_error = Internal("cannot bind");
  ASSERT_TRUE(Ok(StartProvider(provider)));
  Status linked = Link(kKvCounterKey);
  EXPECT_FALSE(linked.ok());
  EXPECT_THAT(linked.message(),
              HasSubstr("refused to bind actor " + std::string(kKvCounterKey) + ": cannot bind"));
  EXPECT_THAT(linked.message(), HasSubstr("the link is kept"));
  EXPECT_THAT(linked.message(), HasSubstr("`wasmcloud ctl link del " + std::string(kKvCounterKey) +
                                          " wasmcloud:keyvalue` removes it)"));
  ASSERT_TRUE(WaitForBind(*provider, kKvCounterKey));
  EXPECT_EQ(host_->LinkDefinitions().size(), 1u);
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
}

// The same link set again after a refusal (the port has been freed, say) is offered to
// the provider again, although the lattice data does not change.
TEST_F(KeyValueTest, SettingTheSameLinkAgainAfterARefusalBindsAgain) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  provider->bind_error = Internal("cannot bind");
  ASSERT_TRUE(Ok(StartProvider(provider)));
  EXPECT_FALSE(Link(kKvCounterKey, {{"PORT", "1"}}).ok());
  const size_t binds = provider->Count(ProviderEvent::Kind::kBindActor);
  provider->bind_error = Status::Ok();
  EXPECT_TRUE(Ok(Link(kKvCounterKey, {{"PORT", "1"}})));
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kBindActor), binds + 1);
  // Once bound, setting it again unchanged binds nothing more (the data did not change).
  EXPECT_TRUE(Ok(Link(kKvCounterKey, {{"PORT", "1"}})));
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kBindActor), binds + 1);
}

// A call alias shaped like a contract id would take every actor's calls to that
// contract (aliases resolve before links): such an alias is not registered.
TEST_F(KeyValueTest, AnAliasThatLooksLikeAContractIdCannotHijackIt) {
  crypto::ActorClaimsSpec spec;
  spec.name = "hijacker";
  spec.call_alias = "wasmcloud:keyvalue";
  auto hijacker = test::SignActor(test::LoopEchoModule(), spec);
  ASSERT_TRUE(Ok(hijacker));
  ASSERT_TRUE(Ok(host_->StartActor(hijacker->module)));
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));
  EXPECT_EQ(BodyOf(Count()), R"({"counter":1})");
  EXPECT_EQ(provider->CallCount("Add"), 1u);
  EXPECT_FALSE(host_->CallActor("wasmcloud:keyvalue", "Echo", AsBytes("x")).ok());
}

TEST_F(KeyValueTest, ALinkNamingAProviderOfAnotherContractSaysSo) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  Status s = host_->SetLink(kKvCounterKey, "wasmcloud:messaging", "default", ProviderKey(), {});
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.message();
  EXPECT_THAT(s.message(), HasSubstr("names provider " + ProviderKey() +
                                     " for wasmcloud:messaging, but that provider implements "
                                     "wasmcloud:keyvalue"));
  EXPECT_EQ(provider->Count(ProviderEvent::Kind::kBindActor), 0u);
}

TEST_F(KeyValueTest, SetLinkAgainReplacesItsValues) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  auto provider = NewProvider();
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey, {{"URL", "one"}})));
  ASSERT_TRUE(WaitForBind(*provider, kKvCounterKey, 1));
  ASSERT_TRUE(Ok(Link(kKvCounterKey, {{"URL", "two"}})));
  ASSERT_TRUE(WaitForBind(*provider, kKvCounterKey, 2));
  EXPECT_EQ(provider->LastBind(kKvCounterKey), KvCounterBindValues({{"URL", "two"}}));
  auto links = host_->LinkDefinitions();
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].values, (LinkValues{{"URL", "two"}}));
}

TEST_F(KeyValueTest, ConcurrentCountsAreExact) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  ASSERT_TRUE(Ok(StartProvider(NewProvider())));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));
  constexpr int kThreads = 4;
  constexpr int kCalls = 100;
  std::mutex mu;
  std::set<std::string> bodies;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        std::string body = BodyOf(Count());
        std::lock_guard lock(mu);
        bodies.insert(body);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> want;
  for (int n = 1; n <= kThreads * kCalls; ++n) {
    want.insert(R"({"counter":)" + std::to_string(n) + "}");
  }
  EXPECT_EQ(bodies, want);
}

// A host with one worker: calls that nest (actor → provider → actor, actor → actor) must
// not wait for a second worker.
class SingleWorkerKeyValueTest : public KeyValueTest {
 protected:
  void SetUp() override {
    HostConfig config;
    config.workers = 1;
    config.call_timeout = std::chrono::seconds(5);
    host_ = StartHost(config);
  }
};

TEST_F(SingleWorkerKeyValueTest, ProviderCallsBackIntoTheHostDuringHandleCall) {
  ASSERT_TRUE(Ok(host_->StartActor(Actor("kvcounter.wasm"))));
  ASSERT_TRUE(Ok(host_->StartActor(Actor("echo.wasm"))));
  auto provider = NewProvider();
  Host* host = host_.get();
  std::atomic<int> nested_ok{0};
  provider->before_call = [&, host](provider::ProviderHost* ph, std::string_view,
                                    std::string_view) -> Status {
    // Through the provider's own handle and through the Host API, from inside a call.
    auto a = ph->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex));
    if (!a.ok()) return a.status();
    auto b = host->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex));
    if (!b.ok()) return b.status();
    if (host->Actors().size() != 2 || host->LinkDefinitions().size() != 1) {
      return Internal("unexpected host state seen from HandleCall");
    }
    nested_ok.fetch_add(1);
    return Status::Ok();
  };
  ASSERT_TRUE(Ok(StartProvider(provider)));
  ASSERT_TRUE(Ok(Link(kKvCounterKey)));

  std::atomic<int> good{0};
  ASSERT_TRUE(FinishesWithin(std::chrono::seconds(60), host_, [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 25; ++i) {
          auto r = Count();
          if (r.ok()) {
            good.fetch_add(1);
          } else {
            ADD_FAILURE() << r.status().message();
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }));
  EXPECT_EQ(good.load(), 100);
  EXPECT_EQ(nested_ok.load(), 100);
}

TEST(ActorToActorTest, ManyCallersOnOneWorker) {
  HostConfig config;
  config.workers = 1;
  config.call_timeout = std::chrono::seconds(5);
  auto host = StartHost(config);
  ASSERT_TRUE(Ok(host->StartActor(Actor("pinger.wasm"))));
  ASSERT_TRUE(Ok(host->StartActor(Actor("ponger.wasm"))));
  std::atomic<int> good{0};
  std::atomic<int> bad{0};
  ASSERT_TRUE(FinishesWithin(std::chrono::seconds(60), host, [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 200; ++i) {
          auto r = host->CallActor(kPingerKey, "HandleRequest", test::HttpGet("/"));
          auto resp =
              r.ok() ? wire::DecodeHttpResponse(*r) : Result<wire::HttpResponse>(r.status());
          if (resp.ok() && AsChars(resp->body) == R"({"value":53})") {
            good.fetch_add(1);
          } else {
            bad.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }));
  EXPECT_EQ(good.load(), 800);
  EXPECT_EQ(bad.load(), 0);
}

TEST(DeadlineTest, GuestPointerOutsideMemoryTrapsAndTheActorRecovers) {
  auto host = StartHost();
  auto actor = test::SignActor(test::LoopEchoModule());
  ASSERT_TRUE(Ok(actor));
  ASSERT_TRUE(Ok(host->StartActor(actor->module)));
  // The module copies the payload to offset 1024 of its single 64 KiB page.
  Bytes big(70000, 'x');
  auto r = host->CallActor(actor->public_key, "Echo", big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kTrap) << r.status().message();
  auto again = host->CallActor(actor->public_key, "Echo", AsBytes("fine"));
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(AsChars(*again), "fine");
}

TEST(IdempotenceTest, ConcurrentStartsOfOneModule) {
  auto host = StartHost();
  std::vector<Result<std::string>> results(4, Result<std::string>(Internal("not run")));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = host->StartActor(Actor("echo.wasm")); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(*r, kEchoKey);
  }
  EXPECT_EQ(host->Actors().size(), 1u);
  EXPECT_TRUE(Ok(host->CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex))));
}

TEST(StopTest, StopActorWithACallInFlight) {
  HostConfig config;
  config.call_timeout = std::chrono::milliseconds(1000);
  auto host = StartHost(config);
  auto actor = test::SignActor(test::LoopEchoModule());
  ASSERT_TRUE(Ok(actor));
  ASSERT_TRUE(Ok(host->StartActor(actor->module)));
  Result<Bytes> in_flight = Internal("not run");
  std::thread caller([&] { in_flight = host->CallActor(actor->public_key, "Spin", {}); });
  // The call is in the actor (what the host counts as in flight) before it stops.
  ASSERT_TRUE(testing::Eventually([&] {
    return host->metrics().Render().find("wasmcloud_invocations_in_flight 1\n") !=
           std::string::npos;
  }));
  ASSERT_TRUE(Ok(host->StopActor(actor->public_key)));
  EXPECT_TRUE(host->Actors().empty());
  auto after = host->CallActor(actor->public_key, "Echo", AsBytes("x"));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), Code::kNotFound);
  caller.join();
  ASSERT_FALSE(in_flight.ok());
  EXPECT_EQ(in_flight.status().code(), Code::kDeadlineExceeded) << in_flight.status().message();
}

TEST(StopTest, HostStopWaitsForCallsInFlight) {
  HostConfig config;
  config.call_timeout = std::chrono::milliseconds(1000);
  auto host = StartHost(config);
  auto actor = test::SignActor(test::LoopEchoModule());
  ASSERT_TRUE(Ok(actor));
  ASSERT_TRUE(Ok(host->StartActor(actor->module)));
  using Clock = std::chrono::steady_clock;
  std::atomic<int64_t> call_started_ns{0};
  Result<Bytes> in_flight = Internal("not run");
  std::thread caller([&] {
    call_started_ns = Clock::now().time_since_epoch().count();
    in_flight = host->CallActor(actor->public_key, "Spin", {});
  });
  // Once the call has reached the actor (what Stop counts), it spins until its 1 s
  // deadline.
  ASSERT_TRUE(testing::Eventually([&] {
    return host->metrics().Render().find("wasmcloud_invocations_in_flight 1\n") !=
           std::string::npos;
  }));
  testing::LogCapture log;
  ASSERT_TRUE(Ok(host->Stop()));
  auto stopped = Clock::now();
  // It said what it waited for, before waiting.
  EXPECT_EQ(log.Count("stopping: waiting for 1 actor call(s) in progress", "at most 1000 ms"), 1u)
      << log.All();
  caller.join();
  // Stop returned only once the spinning call had ended at its deadline (checked by time:
  // the call's own return is not observable before Stop returns without racing with it).
  auto since_call = stopped - Clock::time_point(Clock::duration(call_started_ns.load()));
  EXPECT_GE(since_call, std::chrono::milliseconds(900)) << "Stop returned while a call was running";
  EXPECT_LT(since_call, std::chrono::seconds(10));
  ASSERT_FALSE(in_flight.ok());
  EXPECT_EQ(in_flight.status().code(), Code::kDeadlineExceeded) << in_flight.status().message();
}

// Labels given by an embedder or a manifest are held to what flags and label.put are:
// one line, bounded (a label with a newline and 60 KB went through a manifest).
TEST(HostBasicsTest, LabelsFromTheConfigAndFromManifestsAreBoundedToo) {
  HostConfig config;
  config.labels = {{"k", "a\nInjected: 1"}};
  Host host(config, wasm::CreateV8Engine);
  Status s = host.Start();
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.message();
  EXPECT_EQ(s.message(), "label k: its value holds a control character");

  auto ok = StartHost();
  Manifest m;
  m.source = "labels.yaml";
  m.labels = {{"zone", "west"}, {"big", std::string(60000, 'v')}, {"k", "\x1b[2J"}};
  Status applied = ok->ApplyManifest(m);
  EXPECT_FALSE(applied.ok());
  EXPECT_THAT(applied.message(), HasSubstr("labels: label big: its value has 60000 bytes"));
  EXPECT_THAT(applied.message(), HasSubstr("labels: label k: its value holds a control character"));
  EXPECT_EQ(ok->Labels()["zone"], "west");
  EXPECT_EQ(ok->Labels().count("big"), 0u);
  EXPECT_EQ(ok->Labels().count("k"), 0u);
}

TEST(HostBasicsTest, CustomLabelsCannotReplaceHostcoreLabels) {
  HostConfig config;
  config.labels = {{"hostcore.os", "plan9"}};
  Host host(config, wasm::CreateV8Engine);
  Status s = host.Start();
  if (s.ok()) {
    EXPECT_EQ(host.Labels()["hostcore.os"], "linux");
  } else {
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.message();
  }
}

TEST(HostBasicsTest, NothingRunsBeforeStartOrAfterStop) {
  Host host({}, wasm::CreateV8Engine);
  EXPECT_FALSE(host.StartActor(Actor("echo.wasm")).ok());
  EXPECT_FALSE(host.CallActor(kEchoKey, "HealthRequest", Hex(kHealthRequestHex)).ok());
  ASSERT_TRUE(Ok(host.Start()));
  ASSERT_TRUE(Ok(host.Stop()));
  EXPECT_FALSE(host.StartActor(Actor("echo.wasm")).ok());
  EXPECT_TRUE(host.Actors().empty());
}

TEST(StartRefusalTest, MemoryAboveTheCap) {
  HostConfig config;
  config.max_memory_pages = 16;  // echo.wasm asks for 17 pages at start
  auto host = StartHost(config);
  auto r = host->StartActor(Actor("echo.wasm"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << r.status().message();
  EXPECT_THAT(r.status().message(), HasSubstr("17"));
  EXPECT_THAT(r.status().message(), HasSubstr("16"));
  EXPECT_TRUE(host->Actors().empty());
}

// --- resource limits (issue 16): what an actor can make the host hold.

// The resident memory of this process, in bytes.
uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// A hand-written guest of tests/host/data, signed for the test.
test::SignedActor LimitGuest(const std::string& name) {
  auto bytes = ReadFile(std::string(WC_HOST_TEST_DATA) + "/" + name + ".wasm");
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  auto signed_actor = test::SignActor(bytes.ok() ? *bytes : Bytes{});
  EXPECT_TRUE(signed_actor.ok()) << signed_actor.status().message();
  return signed_actor.ok() ? *signed_actor : test::SignedActor{};
}

Bytes Pages(uint32_t n) {
  return Bytes{static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n >> 16),
               static_cast<uint8_t>(n >> 24)};
}

// A provider that only keeps the host it was given, so the test can log through it.
class LoggingOnlyProvider : public provider::Provider {
 public:
  provider::ProviderDescriptor Describe() const override {
    return {"test:noisy", "Noisy (test)", "0.1.0"};
  }
  Status Start(provider::ProviderHost* host) override {
    host_.store(host);
    return Status::Ok();
  }
  Status BindActor(std::string_view, const LinkValues&) override { return Status::Ok(); }
  Status RemoveActor(std::string_view) override { return Status::Ok(); }
  Result<Bytes> HandleCall(std::string_view, std::string_view, ByteView) override {
    return Bytes{};
  }
  void Stop() override { host_.store(nullptr); }
  std::atomic<provider::ProviderHost*> host_{nullptr};
};

TEST(ProviderLogTest, AFloodingProviderIsLimitedAndTheDroppedLinesCounted) {
  auto host = StartHost();
  auto noisy = std::make_shared<LoggingOnlyProvider>();
  NativeCapability cap;
  cap.provider = noisy;
  ASSERT_TRUE(Ok(host->StartNativeCapability(std::move(cap))));
  provider::ProviderHost* ph = noisy->host_.load();
  ASSERT_NE(ph, nullptr);
  testing::LogCapture logs;
  for (int i = 0; i < 10000; ++i) ph->Log(LogLevel::kInfo, "flood");
  const size_t logged = logs.Count("[provider Noisy (test)", "flood");
  EXPECT_GE(logged, 2000u);  // the burst
  EXPECT_LT(logged, 4000u) << "10000 lines at once should not all reach the log";
  ASSERT_TRUE(testing::Eventually([&] {
    ph->Log(LogLevel::kInfo, "later");
    return logs.Count("later") > 0;
  }));
  // Each line let through after some were dropped is preceded by their count.
  EXPECT_GE(logs.Count("suppressed ", "log line(s) of this provider (more than 1000 a second)"), 1u)
      << logs.All();
}

TEST(ClaimsExpiryTest, AnActorWhoseClaimsExpireStopsServingCalls) {
  // The host first: its start (V8, on a slow machine a second or more) is not taken from
  // the claims' life, in which the actor must still start and answer once.
  auto host = StartHost();
  crypto::ActorClaimsSpec spec;
  spec.exp = static_cast<uint64_t>(crypto::SystemUnixSeconds()) + 3;
  auto echo = test::SignActor(test::LoopEchoModule(), spec);
  ASSERT_TRUE(Ok(echo));
  ASSERT_TRUE(Ok(host->StartActor(echo->module)));
  EXPECT_TRUE(Ok(host->CallActor(echo->public_key, "Echo", ToBytes("hi"))));
  Status last;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        last = host->CallActor(echo->public_key, "Echo", ToBytes("hi")).status();
        return !last.ok();
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(last.code(), Code::kPermissionDenied);
  EXPECT_THAT(last.message(),
              HasSubstr("the claims of actor " + echo->public_key + " expired at "));
  EXPECT_THAT(last.message(), HasSubstr("it runs no more calls"));
}

TEST(ResourceLimitTest, TablesCountAgainstTheHostsCaps) {
  // Twelve tables of ten million elements: about 1 GB resident once instantiated, though
  // the module is 174 bytes and its memory one page. Refused before it is compiled.
  HostConfig config;
  config.max_memory_pages = 16;
  auto host = StartHost(config);
  const uint64_t before = ResidentBytes();
  test::SignedActor tables = LimitGuest("twelve_tables");
  auto r = host->StartActor(tables.module);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << r.status().message();
  EXPECT_THAT(r.status().message(),
              HasSubstr("table 0 needs at least 10000000 elements, above the cap of 1000000 "
                        "elements per table"));
  EXPECT_TRUE(host->Actors().empty());
  EXPECT_LT(ResidentBytes(), before + (64u << 20));

  // With the caps raised for one table, the total still refuses the twelve.
  HostConfig per_table;
  per_table.max_table_elements = 10000000;
  auto host2 = StartHost(per_table);
  auto r2 = host2->StartActor(tables.module);
  ASSERT_FALSE(r2.ok());
  EXPECT_THAT(r2.status().message(),
              HasSubstr("the tables need at least 10000000 elements together (up to table 0), "
                        "above the cap of 2000000 elements for all tables"));
}

TEST(ResourceLimitTest, AnInstanceThatGrewIsReplacedAndItsMemoryReturned) {
  test::SignedActor hog = LimitGuest("memory_hog");
  constexpr uint32_t kPages = 3200;  // 200 MiB, touched
  // Without recycling (what the host did before): the grown memory stays resident.
  {
    HostConfig keep;
    keep.workers = 1;
    keep.instance_recycle_mb = 0;
    auto host = StartHost(keep);
    ASSERT_TRUE(Ok(host->StartActor(hog.module)));
    const uint64_t before = ResidentBytes();
    ASSERT_TRUE(Ok(host->CallActor(hog.public_key, "Grow", Pages(kPages))));
    EXPECT_GT(ResidentBytes(), before + (150u << 20)) << "the memory should still be held";
  }
  HostConfig config;
  config.workers = 1;
  config.instance_recycle_mb = 64;
  auto host = StartHost(config);
  ASSERT_TRUE(Ok(host->StartActor(hog.module)));
  // Below the threshold: the instance is kept (no new instance, no recycling counted).
  ASSERT_TRUE(Ok(host->CallActor(hog.public_key, "Grow", Pages(16))));
  EXPECT_EQ(host->metrics().Render().find("wasmcloud_instances_recycled_total{"),
            std::string::npos);
  const uint64_t before = ResidentBytes();
  auto reply = host->CallActor(hog.public_key, "Grow", Pages(kPages));
  ASSERT_TRUE(Ok(reply));
  EXPECT_EQ(*reply, Pages(kPages));  // the call itself succeeds
  EXPECT_LT(ResidentBytes(), before + (64u << 20)) << "the grown memory was not returned";
  EXPECT_THAT(host->metrics().Render(),
              HasSubstr("wasmcloud_instances_recycled_total{actor=\"" + hog.public_key + "\"} 1"));
  // The next call runs on a new instance, which starts small again.
  ASSERT_TRUE(Ok(host->CallActor(hog.public_key, "Grow", Pages(1))));
}

TEST(ResourceLimitTest, AnActorsInstancesShareOneMemoryBudget) {
  testing::LogCapture logs;
  HostConfig config;
  config.workers = 2;
  config.max_actor_memory_mb = 64;  // 32 MiB (512 pages) for each of the two instances
  auto host = StartHost(config);
  EXPECT_EQ(logs.Count("each actor instance may use at most 32 MiB of memory: "
                       "--max-actor-memory-mb 64 shared by 2 workers"),
            1u)
      << logs.All();
  test::SignedActor hog = LimitGuest("memory_hog");
  ASSERT_TRUE(Ok(host->StartActor(hog.module)));
  EXPECT_TRUE(Ok(host->CallActor(hog.public_key, "Grow", Pages(400))));
  auto over = host->CallActor(hog.public_key, "Grow", Pages(600));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kTrap) << over.status().message();
  EXPECT_THAT(over.status().message(), HasSubstr("unreachable"));  // memory.grow said no
}

TEST(ResourceLimitTest, ModulesResponsesAndPayloadsAreBounded) {
  HostConfig config;
  config.max_module_bytes = 100000;  // echo.wasm has 421 KB
  config.max_response_bytes = 1000;
  auto host = StartHost(config);
  auto big = host->StartActor(Actor("echo.wasm"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), Code::kResourceExhausted);
  EXPECT_THAT(big.status().message(),
              HasSubstr("above the host's limit of 100000 bytes (--max-module-bytes)"));
  auto file = host->StartActorFromFile(FixturePath("wc-host-0.18/echo.wasm"));
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), HasSubstr("bytes, above the host's limit of 100000 bytes "
                                                 "for a module (--max-module-bytes)"));
  EXPECT_THAT(host->StartActorFromFile("/dev/zero").status().message(),
              HasSubstr("not a regular file"));
  EXPECT_TRUE(host->Actors().empty());

  // An actor answering more than the limit: the call fails, and says why.
  auto echo = test::SignActor(test::LoopEchoModule());
  ASSERT_TRUE(Ok(echo));
  ASSERT_TRUE(Ok(host->StartActor(echo->module)));
  EXPECT_TRUE(Ok(host->CallActor(echo->public_key, "Echo", Bytes(1000, 'a'))));
  auto over = host->CallActor(echo->public_key, "Echo", Bytes(1001, 'a'));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kTrap);
  EXPECT_THAT(over.status().message(),
              HasSubstr("__guest_response: 1001 bytes are above the host's limit of 1000 bytes "
                        "for what an actor returns (--max-response-bytes)"));
}

TEST(LiveUpdateTest, ImageRefOfTheUpdateIsKept) {
  HostConfig config;
  config.allow_live_updates = true;
  auto host = StartHost(config);
  ASSERT_TRUE(Ok(host->StartActor(Actor("echo_r0.wasm"))));
  // A reference that is not one is refused, and changes nothing.
  Status bad = host->UpdateActor(kEchoRevKey, Actor("echo_r1.wasm"), "not a ref!");
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("\"not a ref!\" is not an OCI reference"));
  EXPECT_EQ(host->GetActorIdentity(kEchoRevKey)->revision, 0);
  EXPECT_TRUE(host->OciReferences().empty());

  ASSERT_TRUE(Ok(host->UpdateActor(kEchoRevKey, Actor("echo_r1.wasm"), "example.com/echo:0.2.1")));
  auto id = host->GetActorIdentity(kEchoRevKey);
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->image_ref, std::optional<std::string>("example.com/echo:0.2.1"));

  // An update without a reference keeps the image ref, which OciReferences() still maps
  // to the actor (the two agree).
  auto identity = crypto::ReadModuleIdentity(Actor("echo_r1.wasm"));
  ASSERT_TRUE(Ok(identity));
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::ActorClaims claims = identity->claims;
  claims.iss = account.public_key_text();
  claims.jti = crypto::NewTokenId();
  claims.wascap->rev = 2;
  auto r2 = crypto::SignModule(Actor("echo_r1.wasm"), claims, account);
  ASSERT_TRUE(Ok(r2));
  ASSERT_TRUE(Ok(host->UpdateActor(kEchoRevKey, *r2)));
  id = host->GetActorIdentity(kEchoRevKey);
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->revision, 2);
  EXPECT_EQ(id->image_ref, std::optional<std::string>("example.com/echo:0.2.1"));
  EXPECT_EQ(
      host->OciReferences(),
      (std::map<std::string, std::string>{{"example.com/echo:0.2.1", std::string(kEchoRevKey)}}));
}

TEST_F(KeyValueTest, ProviderImageRefIsKept) {
  NativeCapability cap;
  cap.provider = NewProvider();
  cap.claims = test::FakeProviderClaims(account_, service_);
  cap.image_ref = "example.com/fake-kv:0.1.0";
  ASSERT_TRUE(Ok(host_->StartNativeCapability(std::move(cap))));
  auto id = host_->GetProviderIdentity(ProviderKey(), "default");
  ASSERT_TRUE(Ok(id));
  EXPECT_EQ(id->image_ref, std::optional<std::string>("example.com/fake-kv:0.1.0"));
  EXPECT_EQ(id->revision, 1);
  EXPECT_EQ(id->name, "Fake KV");
}

// Lines logged while an invocation runs carry its actor and operation (the JSON log's
// fields), and the invocation is counted with its outcome.
TEST(HostObservabilityTest, ProviderCountersBecomeMetricsAndBadOnesAreDroppedOnce) {
  auto host = StartHost();
  auto provider = std::make_shared<test::FakeKeyValueProvider>();
  NativeCapability cap;
  cap.provider = provider;
  cap.link_name = "cache";
  auto key = host->StartNativeCapability(std::move(cap));
  ASSERT_TRUE(Ok(key));
  provider::ProviderHost* h = provider->host();
  ASSERT_NE(h, nullptr);
  testing::LogCapture log;
  h->Count("requests", "status=200", 3);
  h->Count("requests", "status=200", 2);
  h->Count("requests", "status=500", 1);
  h->Count("plain", "", 7);
  for (int i = 0; i < 3; ++i) {
    h->Count("Bad-Name", "", 1);               // not [a-z][a-z0-9_]*
    h->Count("requests", "method=GET", 1);     // other label keys than the first use
    h->Count("spoof", "provider=someone", 1);  // the host's own label
    h->Count("ctl", "status=2\n00", 1);        // a control character
    h->Count("twice", "a=1,a=2", 1);           // a key given twice
  }
  // A bounded number of names: past it, new names are refused (each metric family is
  // kept for the host's lifetime).
  for (size_t i = 0; i < HostCore::kMaxProviderCounters + 10; ++i) {
    h->Count("name_" + std::to_string(i), "", 1);
  }
  const std::string metrics = host->metrics().Render();
  const std::string who = "provider=\"" + *key + "\",link_name=\"cache\"";
  EXPECT_NE(metrics.find("wasmcloud_provider_requests_total{" + who + ",status=\"200\"} 5\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wasmcloud_provider_requests_total{" + who + ",status=\"500\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wasmcloud_provider_plain_total{" + who + "} 7\n"), std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("method"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("spoof"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("ctl_total"), std::string::npos) << metrics;
  // Each refused name is said once.
  EXPECT_EQ(log.Count("dropped counter \"Bad-Name\""), 1u) << log.All();
  EXPECT_EQ(log.Count("dropped counter \"requests\"", "other label keys"), 1u) << log.All();
  EXPECT_EQ(log.Count("dropped counter \"spoof\""), 1u) << log.All();
  EXPECT_EQ(log.Count("dropped counter \"ctl\""), 1u) << log.All();
  EXPECT_EQ(log.Count("dropped counter \"twice\""), 1u) << log.All();
  EXPECT_EQ(metrics.find("twice"), std::string::npos) << metrics;
  // "requests" and "plain" took two of the places.
  const std::string after = host->metrics().Render();
  const std::string last_kept =
      "wasmcloud_provider_name_" + std::to_string(HostCore::kMaxProviderCounters - 3) + "_total";
  const std::string first_refused =
      "wasmcloud_provider_name_" + std::to_string(HostCore::kMaxProviderCounters - 2) + "_total";
  EXPECT_NE(after.find(last_kept + "{"), std::string::npos);
  EXPECT_EQ(after.find(first_refused), std::string::npos);
  EXPECT_EQ(log.Count("provider counters, and they are all taken"), 12u) << log.All();
}

TEST(HostObservabilityTest, ACallsLogLinesAndMetricsNameItsActorAndOperation) {
  auto actor = test::SignActor(test::LoopEchoModule());
  ASSERT_TRUE(Ok(actor));
  HostConfig config;
  config.call_timeout = std::chrono::milliseconds(200);
  auto host = StartHost(config);
  ASSERT_TRUE(Ok(host->StartActor(actor->module)));
  std::mutex mu;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> lines;
  SetLogSink([&](LogLevel, std::string_view, std::string_view msg) {
    std::map<std::string, std::string> fields;
    for (const auto& [k, v] : LogContext::Current()) fields[std::string(k)] = std::string(v);
    std::lock_guard lock(mu);
    lines.emplace_back(std::string(msg), std::move(fields));
  });
  auto spun = host->CallActor(actor->public_key, "Spin", {});  // empty payload: loops
  SetLogSink({});
  ASSERT_FALSE(spun.ok());
  EXPECT_EQ(spun.status().code(), Code::kDeadlineExceeded);
  bool found = false;
  for (const auto& [msg, fields] : lines) {
    if (msg.find("replacing the instance of") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(fields.at("actor"), actor->public_key);
    EXPECT_EQ(fields.at("operation"), "Spin");
  }
  EXPECT_TRUE(found) << "no line about the trapped instance";
  ASSERT_TRUE(Ok(host->CallActor(actor->public_key, "Echo", ToBytes("hi"))));
  const std::string metrics = host->metrics().Render();
  EXPECT_NE(metrics.find("wasmcloud_invocations_total{actor=\"" + actor->public_key +
                         "\",operation=\"Spin\",outcome=\"deadline\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wasmcloud_invocations_total{actor=\"" + actor->public_key +
                         "\",operation=\"Echo\",outcome=\"ok\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wasmcloud_invocation_duration_seconds_count{actor=\"" +
                         actor->public_key + "\"} 2\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wasmcloud_actors 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("wasmcloud_invocations_in_flight 0\n"), std::string::npos) << metrics;
  // The actor's claims were written to the lattice data after the host started, and the
  // watch brought them back: one lag observed, at least.
  const std::string lag = "wasmcloud_lattice_data_watch_lag_seconds_count ";
  const size_t at = metrics.find(lag);
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_GE(std::stod(metrics.substr(at + lag.size())), 1.0) << metrics;
}

}  // namespace
}  // namespace wasmcloud::host
