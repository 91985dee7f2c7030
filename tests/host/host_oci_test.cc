// The Host and OCI registries: actors and provider archives pushed by the test to a real
// docker-registry on a free loopback port (tests/oci/registry_server.h), then started
// from their references; the cache; live update to a new reference; manifests with
// references; and each way a registry can refuse, as the caller sees it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "host/artifacts.h"
#include "host/host.h"
#include "host/manifest.h"
#include "host/test_providers.h"
#include "oci/client.h"
#include "oci/reference.h"
#include "oci/registry_server.h"
#include "provider/par.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/v8/v8_engine.h"
#include "wire/http.h"

namespace wasmcloud::host {
namespace {

using oci::testing::RegistryServer;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using wasmcloud::testing::FixturePath;
using wasmcloud::testing::MakeTempDir;

// Subjects of the fixtures (fixtures/README.md).
constexpr std::string_view kEchoKey = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kKvCounterKey =
    "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";
constexpr std::string_view kEchoRevKey = "MDZKXB23KZOEWM7K47BNCX4IQXK7WZ3I3KL7UH6YVVWIUICAYLHCHHR6";
constexpr std::string_view kHealthRequestHex = "81ab706c616365686f6c646572c3";
constexpr std::string_view kHealthResponseHex = "82a76865616c746879c3a76d657373616765a0";

Bytes ReadOrFail(const std::string& path) {
  auto b = ReadFile(path);
  EXPECT_TRUE(b.ok()) << path << ": " << b.status().message();
  return b.ok() ? *b : Bytes{};
}
Bytes Fixture(const std::string& name) { return ReadOrFail(FixturePath("wc-host-0.18/" + name)); }
// Our own provider archive, built by the keyvalue_par target.
std::string KeyValueArchivePath() {
  return std::string(WC_BUILD_DIR) + "/providers/keyvalue.par.gz";
}

using wasmcloud::testing::Ok;

std::string HealthOf(Host& host, std::string_view actor) {
  auto request = HexDecode(kHealthRequestHex);
  auto reply = host.CallActor(actor, "HealthRequest", *request);
  if (!reply.ok()) return "call failed: " + reply.status().message();
  return HexEncode(*reply);
}

// The body of an httpserver reply, or what went wrong.
std::string BodyOf(const Result<Bytes>& reply) {
  if (!reply.ok()) return "call failed: " + reply.status().message();
  auto r = wire::DecodeHttpResponse(*reply);
  if (!r.ok()) return "bad reply: " + r.status().message();
  return std::string(AsChars(r->body));
}

class HostOciTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    auto r = RegistryServer::Start();
    ASSERT_TRUE(r.ok()) << r.status().message();
    registry_ = std::move(*r);
  }
  void TearDown() override {
    hosts_.clear();  // stopped before the registry and the cache go
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Pushes `data` to <registry>/<name_and_tag> as `reg push` does; returns the reference.
  std::string Push(const std::string& name_and_tag, ByteView data) {
    oci::ClientConfig config;
    config.allowed_insecure = {registry_->host()};
    config.allow_latest = true;
    config.cache_dir.clear();  // the pusher keeps nothing
    oci::Client client(config);
    std::string ref = registry_->host() + "/" + name_and_tag;
    auto parsed = oci::ParseReference(ref);
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    if (!parsed.ok()) return ref;
    auto pushed = client.Push(*parsed, data);
    EXPECT_TRUE(pushed.ok()) << pushed.status().message();
    return ref;
  }

  // A config that may use the test's plain-HTTP registry, with the test's own cache.
  HostConfig Config(const std::string& cache = "cache") const {
    HostConfig config;
    config.workers = 2;
    config.allowed_insecure = {registry_->host()};
    config.oci_cache_dir = dir_ + "/" + cache;
    return config;
  }

  Host& StartHost(HostConfig config) {
    hosts_.push_back(std::make_unique<Host>(std::move(config), wasm::CreateV8Engine));
    Status s = hosts_.back()->Start();
    EXPECT_TRUE(s.ok()) << s.message();
    return *hosts_.back();
  }

  std::string dir_;
  std::unique_ptr<RegistryServer> registry_;
  std::vector<std::unique_ptr<Host>> hosts_;
};

TEST_F(HostOciTest, StartsEchoFromTheRegistryServesCallsAndStopsByReference) {
  const std::string ref = Push("wasmcloud/echo:0.2.0", Fixture("echo.wasm"));
  Host& host = StartHost(Config());

  auto started = host.StartActorFromRegistry(ref);
  ASSERT_TRUE(Ok(started));
  EXPECT_EQ(*started, kEchoKey);
  EXPECT_EQ(HealthOf(host, kEchoKey), kHealthResponseHex);
  EXPECT_EQ(BodyOf(host.CallActor(kEchoKey, "HandleRequest", test::HttpGet("", "", "NARF"))),
            R"({"method":"GET","path":"","query_string":"","headers":{},"body":[78,65,82,70]})");

  EXPECT_EQ(host.OciReferences(),
            (std::map<std::string, std::string>{{ref, std::string(kEchoKey)}}));
  auto identity = host.GetActorIdentity(kEchoKey);
  ASSERT_TRUE(Ok(identity));
  EXPECT_EQ(identity->image_ref, ref);
  EXPECT_EQ(identity->name, "Echo");

  // Starting the same reference again changes nothing.
  auto again = host.StartActorFromRegistry(ref);
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(*again, kEchoKey);

  ASSERT_TRUE(Ok(host.StopActor(ref)));
  EXPECT_TRUE(host.Actors().empty());
  // The lattice keeps what the reference named (grow-only, as 0.18's lattice cache).
  EXPECT_EQ(host.OciReferences(),
            (std::map<std::string, std::string>{{ref, std::string(kEchoKey)}}));
  auto gone = host.CallActor(kEchoKey, "HealthRequest", *HexDecode(kHealthRequestHex));
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
}

TEST_F(HostOciTest, StopByTheReferenceAsWrittenOrCanonical) {
  // OciReferences holds canonical references: a reference without a tag is recorded with
  // its implicit ":latest", and StopActor finds it by either text.
  const std::string latest = Push("echo:latest", Fixture("echo.wasm"));
  const std::string untagged = registry_->host() + "/echo";
  HostConfig config = Config();
  config.allow_oci_latest = true;
  Host& host = StartHost(config);
  ASSERT_TRUE(Ok(host.StartActorFromRegistry(untagged)));
  EXPECT_EQ(host.OciReferences(),
            (std::map<std::string, std::string>{{latest, std::string(kEchoKey)}}));
  EXPECT_EQ(host.GetActorIdentity(kEchoKey)->image_ref, latest);
  ASSERT_TRUE(Ok(host.StopActor(untagged)));
  EXPECT_TRUE(host.Actors().empty());
  ASSERT_TRUE(Ok(host.StartActorFromRegistry(untagged)));
  ASSERT_TRUE(Ok(host.StopActor(latest)));
  EXPECT_TRUE(host.Actors().empty());

  // A digest reference is its own canonical text.
  oci::ClientConfig pull_config;
  pull_config.allowed_insecure = {registry_->host()};
  pull_config.allow_latest = true;
  pull_config.cache_dir.clear();
  auto pulled = oci::Client(pull_config).Pull(latest);
  ASSERT_TRUE(Ok(pulled));
  const std::string by_digest = registry_->host() + "/echo@" + pulled->manifest_digest;
  ASSERT_TRUE(Ok(host.StartActorFromRegistry(by_digest)));
  EXPECT_EQ(host.GetActorIdentity(kEchoKey)->image_ref, by_digest);
  ASSERT_TRUE(Ok(host.StopActor(by_digest)));
  EXPECT_TRUE(host.Actors().empty());
}

TEST_F(HostOciTest, StartsOurKeyValueArchiveFromTheRegistryAndKvcounterCounts) {
  const std::string provider_ref =
      Push("providers/keyvalue:0.1.0", ReadOrFail(KeyValueArchivePath()));
  const std::string actor_ref = Push("kvcounter:0.2.0", Fixture("kvcounter.wasm"));
  Host& host = StartHost(Config());

  auto provider = host.StartCapabilityFromRegistry(provider_ref, "default");
  ASSERT_TRUE(Ok(provider));
  auto identity = host.GetProviderIdentity(*provider, "default");
  ASSERT_TRUE(Ok(identity));
  EXPECT_EQ(identity->contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(identity->name, "wasmcloud key-value");
  EXPECT_EQ(identity->image_ref, provider_ref);

  auto actor = host.StartActorFromRegistry(actor_ref);
  ASSERT_TRUE(Ok(actor));
  EXPECT_EQ(*actor, kKvCounterKey);
  EXPECT_EQ(host.OciReferences(),
            (std::map<std::string, std::string>{{provider_ref, *provider}, {actor_ref, *actor}}));

  // The actor of a link may be named by the reference it was started from (the seed).
  ASSERT_TRUE(Ok(host.SetLink(actor_ref, "wasmcloud:keyvalue", "default", *provider, {})));
  ASSERT_EQ(host.LinkDefinitions().size(), 1u);
  EXPECT_EQ(host.LinkDefinitions()[0].actor_id, *actor);
  for (int expected = 1; expected <= 3; ++expected) {
    EXPECT_EQ(BodyOf(host.CallActor(*actor, "HandleRequest", test::HttpGet("/counter"))),
              R"({"counter":)" + std::to_string(expected) + "}");
  }

  // Stopped by its reference (the seed allows a public key or an OCI reference): it is
  // no longer listed nor called, and the reference stays known (grow-only).
  ASSERT_TRUE(Ok(host.StopProvider(provider_ref, "wasmcloud:keyvalue", "default")));
  EXPECT_TRUE(host.GetProviderIdentity(*provider, "default").status().code() == Code::kNotFound);
  EXPECT_THAT(BodyOf(host.CallActor(*actor, "HandleRequest", test::HttpGet("/counter"))),
              Not(HasSubstr("counter")));
  EXPECT_EQ(host.OciReferences(),
            (std::map<std::string, std::string>{{provider_ref, *provider}, {actor_ref, *actor}}));
}

TEST_F(HostOciTest, TheCacheServesASecondHostWithTheRegistryStopped) {
  const std::string actor_ref = Push("echo:0.2.0", Fixture("echo.wasm"));
  const std::string provider_ref = Push("keyvalue:0.1.0", ReadOrFail(KeyValueArchivePath()));
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  Clock::duration from_registry{}, from_cache{};
  {
    Host& first = StartHost(Config());
    auto start = Clock::now();
    ASSERT_TRUE(Ok(first.StartActorFromRegistry(actor_ref)));
    from_registry = Clock::now() - start;
    ASSERT_TRUE(Ok(first.StartCapabilityFromRegistry(provider_ref, "default")));
    ASSERT_TRUE(Ok(first.Stop()));
  }
  registry_->Stop();

  // Same cache: no request is needed.
  Host& second = StartHost(Config());
  auto start = Clock::now();
  ASSERT_TRUE(Ok(second.StartActorFromRegistry(actor_ref)));
  from_cache = Clock::now() - start;
  std::cout << "echo.wasm started from the registry in " << ms(from_registry)
            << " ms, from the cache in " << ms(from_cache) << " ms\n";
  EXPECT_EQ(HealthOf(second, kEchoKey), kHealthResponseHex);
  ASSERT_TRUE(Ok(second.StartCapabilityFromRegistry(provider_ref, "default")));

  // An empty cache: the registry is gone, and the error says which reference and why.
  Host& third = StartHost(Config("other-cache"));
  auto r = third.StartActorFromRegistry(actor_ref);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().message();
  EXPECT_THAT(r.status().message(), StartsWith("cannot pull actor " + actor_ref +
                                               ": cannot reach registry " + registry_->host()));
}

TEST_F(HostOciTest, TheTagTtlAndOfflineModeComeFromTheHostConfig) {
  HostConfig settings = Config();
  settings.oci_tag_ttl = std::chrono::seconds(7);
  settings.oci_offline = true;
  oci::ClientConfig client = OciClientConfig(settings);
  EXPECT_EQ(client.tag_ttl, std::chrono::seconds(7));
  EXPECT_TRUE(client.offline);
  EXPECT_EQ(OciClientConfig(Config()).tag_ttl, std::chrono::seconds(300));
  EXPECT_FALSE(OciClientConfig(Config()).offline);

  // A tag moved in the registry: a host with a TTL of 0 sees it at its next pull; one
  // within the TTL of the cache's record does not.
  const std::string ref = Push("echo-rev:current", Fixture("echo_r0.wasm"));
  auto revision = [](Host& host) {
    auto identity = host.GetActorIdentity(kEchoRevKey);
    return identity.ok() ? identity->revision : -1;
  };
  HostConfig every_time = Config();
  every_time.oci_tag_ttl = std::chrono::seconds(0);
  Host& first = StartHost(every_time);
  ASSERT_TRUE(Ok(first.StartActorFromRegistry(ref)));
  EXPECT_EQ(revision(first), 0);
  Push("echo-rev:current", Fixture("echo_r1.wasm"));
  Host& second = StartHost(every_time);
  ASSERT_TRUE(Ok(second.StartActorFromRegistry(ref)));
  EXPECT_EQ(revision(second), 1);
  Push("echo-rev:current", Fixture("echo_r0.wasm"));
  Host& third = StartHost(Config());  // 300 s: the record the second host just wrote
  ASSERT_TRUE(Ok(third.StartActorFromRegistry(ref)));
  EXPECT_EQ(revision(third), 1);

  // Offline, with the registry gone: the cached tag whatever its age; anything else is
  // refused, saying why.
  registry_->Stop();
  HostConfig offline = every_time;
  offline.oci_offline = true;
  Host& fourth = StartHost(offline);
  ASSERT_TRUE(Ok(fourth.StartActorFromRegistry(ref)));
  EXPECT_EQ(revision(fourth), 1);
  const std::string other = registry_->host() + "/echo:0.2.0";
  auto refused = fourth.StartActorFromRegistry(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_EQ(refused.status().message(),
            "cannot pull actor " + other + ": " + other + " is not cached (OCI cache " + dir_ +
                "/cache) and the host is offline (--oci-offline): no registry is contacted");
}

TEST_F(HostOciTest, LatestIsRefusedWithTheReasonUnlessAllowed) {
  const std::string latest = Push("echo:latest", Fixture("echo.wasm"));
  const std::string implicit = registry_->host() + "/echo";
  Host& host = StartHost(Config());
  for (const std::string& ref : {latest, implicit}) {
    SCOPED_TRACE(ref);
    auto r = host.StartActorFromRegistry(ref);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), StartsWith("cannot pull actor " + ref + ": "));
    EXPECT_THAT(r.status().message(),
                HasSubstr("Fetching images tagged 'latest' is currently prohibited in this host. "
                          "This option can be overridden with --allow-oci-latest"));
  }
  EXPECT_TRUE(host.Actors().empty());

  HostConfig allowed = Config();
  allowed.allow_oci_latest = true;
  Host& permissive = StartHost(allowed);
  ASSERT_TRUE(Ok(permissive.StartActorFromRegistry(implicit)));
  EXPECT_EQ(permissive.OciReferences(),
            (std::map<std::string, std::string>{{latest, std::string(kEchoKey)}}));
}

TEST_F(HostOciTest, APlainHttpRegistryIsRefusedUnlessAllowedInsecure) {
  const std::string ref = Push("echo:0.2.0", Fixture("echo.wasm"));
  HostConfig config = Config();
  config.allowed_insecure.clear();
  Host& host = StartHost(config);
  auto r = host.StartActorFromRegistry(ref);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_THAT(r.status().message(), StartsWith("cannot pull actor " + ref + ": "));
  EXPECT_THAT(r.status().message(), HasSubstr("if " + registry_->host() +
                                              " serves plain HTTP, allow it with "
                                              "--allowed-insecure " +
                                              registry_->host()));
  // The hint names the host's flag for a private CA, not the `reg` commands' one.
  EXPECT_THAT(r.status().message(), HasSubstr("pass that CA with --oci-ca-file)"));
  auto p = host.StartCapabilityFromRegistry(ref, "default");
  EXPECT_THAT(p.status().message(), StartsWith("cannot pull provider " + ref + ": "));
}

TEST_F(HostOciTest, UnreachableNotFoundAndWrongKindNameTheReference) {
  int fd = -1;
  const int closed = oci::testing::ClosedPort(&fd);
  const std::string unreachable = "127.0.0.1:" + std::to_string(closed) + "/echo:0.2.0";
  HostConfig config = Config();
  config.allowed_insecure.push_back("127.0.0.1:" + std::to_string(closed));
  Host& host = StartHost(config);

  auto r = host.StartActorFromRegistry(unreachable);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_THAT(r.status().message(),
              StartsWith("cannot pull actor " + unreachable +
                         ": cannot reach registry 127.0.0.1:" + std::to_string(closed)));
  auto p = host.StartCapabilityFromRegistry(unreachable, "default");
  EXPECT_EQ(p.status().code(), Code::kUnavailable);
  EXPECT_THAT(p.status().message(), StartsWith("cannot pull provider " + unreachable + ": "));
  close(fd);

  const std::string missing = registry_->host() + "/nothing:1";
  auto nf = host.StartActorFromRegistry(missing);
  EXPECT_EQ(nf.status().code(), Code::kNotFound);
  EXPECT_THAT(nf.status().message(), StartsWith("cannot pull actor " + missing + ": "));
  EXPECT_THAT(nf.status().message(), HasSubstr("MANIFEST_UNKNOWN"));

  auto bad = host.StartActorFromRegistry("127.0.0.1:5000/Echo:1");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("invalid OCI reference \"127.0.0.1:5000/Echo:1\""));

  // An actor is not a provider, and a provider archive is not an actor.
  const std::string echo = Push("echo:0.2.0", Fixture("echo.wasm"));
  const std::string kv = Push("keyvalue:0.1.0", ReadOrFail(KeyValueArchivePath()));
  auto wrong_provider = host.StartCapabilityFromRegistry(echo, "default");
  EXPECT_EQ(wrong_provider.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(
      wrong_provider.status().message(),
      "cannot pull provider " + echo + ": it is an actor (a wasm module), not a provider archive");
  auto wrong_actor = host.StartActorFromRegistry(kv);
  EXPECT_EQ(wrong_actor.status().message(),
            "cannot pull actor " + kv + ": it is a provider archive, not an actor (a wasm module)");
  EXPECT_TRUE(host.Actors().empty());
  EXPECT_TRUE(host.OciReferences().empty());
}

TEST_F(HostOciTest, APullHoldsNoLockOfTheHost) {
  // A registry whose accept queue is full: the pull waits for the connect timeout (the
  // client's default, 10 s). Meanwhile the host serves calls and starts other actors.
  oci::testing::Blackhole blackhole;
  const std::string hole = "127.0.0.1:" + std::to_string(blackhole.port());
  const std::string echo_ref = Push("echo:0.2.0", Fixture("echo.wasm"));
  HostConfig config = Config();
  config.allowed_insecure.push_back(hole);
  Host& host = StartHost(config);
  ASSERT_TRUE(Ok(host.StartActorFromRegistry(echo_ref)));

  std::atomic<bool> pulling{true};
  auto stuck = std::async(std::launch::async, [&] {
    auto r = host.StartActorFromRegistry(hole + "/ponger:1");
    pulling = false;
    return r;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the pull begin
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(HealthOf(host, kEchoKey), kHealthResponseHex);
  ASSERT_TRUE(Ok(host.StartActor(Fixture("ponger.wasm"))));
  ASSERT_TRUE(Ok(host.StopActor(echo_ref)));
  EXPECT_EQ(host.Actors().size(), 1u);
  EXPECT_TRUE(pulling.load()) << "the pull ended early; the test shows nothing";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  auto r = stuck.get();
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
  EXPECT_THAT(r.status().message(),
              StartsWith("cannot pull actor " + hole + "/ponger:1: registry " + hole +
                         " did not answer in time"));
}

TEST_F(HostOciTest, TheHostsRegistryTimeoutIsTheClients) {
  // --oci-timeout-ms reaches the client: a registry that accepts and never answers fails
  // the start after 0.8 s, not after the client's default of 300 s.
  oci::testing::SilentServer silent;
  const std::string host_port = "127.0.0.1:" + std::to_string(silent.port());
  HostConfig config = Config();
  config.allowed_insecure.push_back(host_port);
  config.oci_request_timeout = std::chrono::milliseconds(800);
  Host& host = StartHost(config);
  auto start = std::chrono::steady_clock::now();
  auto r = host.StartActorFromRegistry(host_port + "/echo:1");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
  EXPECT_THAT(r.status().message(), HasSubstr("registry " + host_port + " did not answer in time"));
  EXPECT_GE(elapsed, std::chrono::milliseconds(700));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST_F(HostOciTest, InterruptCancelsAPullInProgress) {
  // A registry that accepts and never answers: the pull would wait for its 300 s timeout;
  // Interrupt (what `up` does on the first signal, and Stop) ends it within seconds.
  oci::testing::SilentServer silent;
  const std::string host_port = "127.0.0.1:" + std::to_string(silent.port());
  HostConfig config = Config();
  config.allowed_insecure.push_back(host_port);
  Host& host = StartHost(config);
  Result<std::string> r = Unavailable("not run");
  std::thread puller([&] { r = host.StartActorFromRegistry(host_port + "/echo:1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  host.Interrupt();
  puller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cancelled (the host is stopping)"));
  // Later pulls do not start.
  auto again = host.StartActorFromRegistry(host_port + "/echo:2");
  EXPECT_THAT(again.status().message(), HasSubstr("cancelled (the host is stopping)"));
}

TEST_F(HostOciTest, LiveUpdateToANewReference) {
  const std::string r0 = Push("echo-rev:r0", Fixture("echo_r0.wasm"));
  const std::string r1 = Push("echo-rev:r1", Fixture("echo_r1.wasm"));
  HostConfig config = Config();
  config.allow_live_updates = true;
  Host& host = StartHost(config);
  ASSERT_TRUE(Ok(host.StartActorFromRegistry(r0)));
  EXPECT_THAT(BodyOf(host.CallActor(kEchoRevKey, "HandleRequest", test::HttpGet("/foo/bar"))),
              StartsWith(R"({"revision":0,)"));

  // The update as 0.18's update_actor(key, oci_ref, bytes) takes it: the bytes pulled
  // from the new reference.
  oci::ClientConfig pull_config;
  pull_config.allowed_insecure = {registry_->host()};
  pull_config.cache_dir = dir_ + "/cache";
  auto next = oci::Client(pull_config).Pull(r1);
  ASSERT_TRUE(Ok(next));
  ASSERT_TRUE(Ok(host.UpdateActor(kEchoRevKey, next->data, r1)));

  EXPECT_THAT(BodyOf(host.CallActor(kEchoRevKey, "HandleRequest", test::HttpGet("/foo/bar"))),
              StartsWith(R"({"revision":1,)"));
  auto identity = host.GetActorIdentity(kEchoRevKey);
  ASSERT_TRUE(Ok(identity));
  EXPECT_EQ(identity->revision, 1);
  EXPECT_EQ(identity->image_ref, r1);
  // Both references name the actor (grow-only); either stops it.
  EXPECT_EQ(host.OciReferences(),
            (std::map<std::string, std::string>{{r0, std::string(kEchoRevKey)},
                                                {r1, std::string(kEchoRevKey)}}));
  ASSERT_TRUE(Ok(host.StopActor(r0)));
  EXPECT_TRUE(host.Actors().empty());
  ASSERT_TRUE(Ok(host.StopActor(r1)));  // idempotent
}

TEST_F(HostOciTest, AManifestWithReferencesStartsAndLinksThem) {
  const std::string provider_ref = Push("keyvalue:0.1.0", ReadOrFail(KeyValueArchivePath()));
  const std::string actor_ref = Push("kvcounter:0.2.0", Fixture("kvcounter.wasm"));
  const std::string text = "actors:\n  - " + actor_ref +
                           "\ncapabilities:\n  - image_ref: " + provider_ref +
                           "\nlinks:\n  - actor: " + std::string(kKvCounterKey) +
                           "\n    contract_id: wasmcloud:keyvalue\n";
  auto manifest = ParseManifest(text, ManifestFormat::kYaml, "oci.yaml");
  ASSERT_TRUE(Ok(manifest));
  Host& host = StartHost(Config());
  ASSERT_TRUE(Ok(host.ApplyManifest(*manifest)));
  EXPECT_EQ(host.OciReferences().size(), 2u);
  EXPECT_EQ(host.OciReferences().at(actor_ref), kKvCounterKey);
  EXPECT_EQ(BodyOf(host.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/m"))),
            R"({"counter":1})");
  EXPECT_EQ(BodyOf(host.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/m"))),
            R"({"counter":2})");
}

TEST_F(HostOciTest, AManifestSaysWhichEntriesFailedAndWhy) {
  const std::string missing = registry_->host() + "/nothing:1";
  const std::string text =
      "actors:\n  - " + missing +
      "\n  - no-such-dir/echo.wasm\ncapabilities:\n  - image_ref: " + registry_->host() +
      "/echo:latest\n";
  auto manifest = ParseManifest(text, ManifestFormat::kYaml, "bad.yaml");
  ASSERT_TRUE(Ok(manifest));
  Host& host = StartHost(Config());
  Status s = host.ApplyManifest(*manifest);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("bad.yaml:2:5: actor " + missing + ": cannot pull actor " +
                                     missing + ": "));
  EXPECT_THAT(s.message(), HasSubstr("bad.yaml:3:5: actor no-such-dir/echo.wasm: no such file"));
  EXPECT_THAT(s.message(),
              HasSubstr("capability " + registry_->host() + "/echo:latest: cannot pull provider " +
                        registry_->host() + "/echo:latest: Fetching images tagged 'latest'"));
}

TEST_F(HostOciTest, ConcurrentStartsOfOneReferenceAllSucceed) {
  const std::string ref = Push("echo:0.2.0", Fixture("echo.wasm"));
  Host& host = StartHost(Config());
  std::vector<std::future<Result<std::string>>> starts;
  for (int i = 0; i < 4; ++i) {
    starts.push_back(
        std::async(std::launch::async, [&] { return host.StartActorFromRegistry(ref); }));
  }
  for (auto& f : starts) {
    auto r = f.get();
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(*r, kEchoKey);
  }
  EXPECT_EQ(host.Actors().size(), 1u);
  EXPECT_EQ(HealthOf(host, kEchoKey), kHealthResponseHex);
}

// Sets an environment variable for one test, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(HostOciTlsTest, APrivateCaAndBasicCredentialsFromTheEnvironment) {
  const std::string dir = MakeTempDir();
  auto pki = oci::testing::MakeTestPki(dir);
  ASSERT_TRUE(Ok(pki));
  oci::testing::RegistryOptions options;
  options.tls = true;
  options.pki = *pki;
  options.htpasswd_user = "robot";
  options.htpasswd_password = "s3cret pass";
  auto registry = RegistryServer::Start(options);
  ASSERT_TRUE(Ok(registry));
  const std::string ref = (*registry)->host() + "/echo:0.2.0";
  {
    oci::ClientConfig push;
    push.ca_file = pki->ca_cert;
    push.cache_dir.clear();
    push.credentials[(*registry)->host()] = {"robot", "s3cret pass"};
    auto parsed = oci::ParseReference(ref);
    ASSERT_TRUE(Ok(parsed));
    ASSERT_TRUE(Ok(oci::Client(push).Push(*parsed, Fixture("echo.wasm"))));
  }
  ScopedEnv no_user("OCI_REGISTRY_USER", nullptr);
  ScopedEnv no_password("OCI_REGISTRY_PASSWORD", nullptr);
  ScopedEnv no_file("WASMCLOUD_OCI_CREDENTIALS", nullptr);

  HostConfig config;
  config.workers = 1;
  config.oci_ca_file = pki->ca_cert;
  config.oci_cache_dir = dir + "/cache";
  {
    // Without the CA the certificate is not trusted, and the hint names the host's flag.
    HostConfig no_ca = config;
    no_ca.oci_ca_file.clear();
    Host host(no_ca, wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host.Start()));
    auto r = host.StartActorFromRegistry(ref);
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().message();
    EXPECT_THAT(r.status().message(), StartsWith("cannot pull actor " + ref + ": "));
    EXPECT_THAT(r.status().message(), HasSubstr("--oci-ca-file"));
  }
  Host host(config, wasm::CreateV8Engine);
  ASSERT_TRUE(Ok(host.Start()));
  auto anonymous = host.StartActorFromRegistry(ref);
  EXPECT_EQ(anonymous.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(anonymous.status().message(),
              StartsWith("cannot pull actor " + ref + ": registry " + (*registry)->host() +
                         " requires credentials"));
  {
    // As 0.18: OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD, read at the pull.
    ScopedEnv user("OCI_REGISTRY_USER", "robot");
    ScopedEnv password("OCI_REGISTRY_PASSWORD", "s3cret pass");
    ASSERT_TRUE(Ok(host.StartActorFromRegistry(ref)));
  }
  EXPECT_EQ(HealthOf(host, kEchoKey), kHealthResponseHex);
  EXPECT_EQ(host.GetActorIdentity(kEchoKey)->image_ref, ref);
  ASSERT_TRUE(Ok(host.Stop()));
  registry->reset();
  std::filesystem::remove_all(dir);
}

// The folder provider libraries are unpacked into and loaded from: one others can write
// (where a planted library would run) is refused; the same archive loads once it is ours.
TEST(HostProviderCacheTest, AProviderCacheOthersCanWriteIsRefused) {
  char tmpl[] = "/tmp/wc_provider_cache_XXXXXX";
  const std::string tmp = mkdtemp(tmpl);
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  const std::string cache = tmp + "/wasmcloudcache";
  ASSERT_EQ(mkdir(cache.c_str(), 0700), 0);
  ASSERT_EQ(chmod(cache.c_str(), 0777), 0);
  {
    Host host(HostConfig{}, wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host.Start()));
    auto refused = host.StartCapabilityFromFile(KeyValueArchivePath());
    EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
    EXPECT_NE(refused.status().message().find("the provider cache " + cache +
                                              " is writable by others (mode 0777)"),
              std::string::npos)
        << refused.status().message();
    ASSERT_EQ(chmod(cache.c_str(), 0700), 0);
    EXPECT_TRUE(Ok(host.StartCapabilityFromFile(KeyValueArchivePath())));
    (void)host.Stop();
  }
  if (old != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  std::filesystem::remove_all(tmp);
}

// --allowed-issuer applies to provider archives as it does to actors.
TEST(HostProviderIssuerTest, AnArchiveOfAnotherIssuerIsRefused) {
  auto archive = provider::ReadProviderArchive(ReadOrFail(KeyValueArchivePath()));
  ASSERT_TRUE(archive.ok()) << archive.status().message();
  const std::string issuer = archive->claims.iss;
  const std::string other = "ACJ2QRFVNEXN2RRAB5ZLWW2EPRQAQJMNS3MFVIZSWJWGMVULQXPRNZ6Y";
  ASSERT_NE(issuer, other);
  {
    HostConfig config;
    config.allowed_issuers = {other};
    Host host(std::move(config), wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host.Start()));
    auto refused = host.StartCapabilityFromFile(KeyValueArchivePath());
    EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
    EXPECT_EQ(refused.status().message(),
              "provider archive " + KeyValueArchivePath() + " is signed by " + issuer +
                  ", which is not an allowed issuer (--allowed-issuer)");
    (void)host.Stop();
  }
  HostConfig config;
  config.allowed_issuers = {other, issuer};
  Host host(std::move(config), wasm::CreateV8Engine);
  ASSERT_TRUE(Ok(host.Start()));
  EXPECT_TRUE(Ok(host.StartCapabilityFromFile(KeyValueArchivePath())));
  (void)host.Stop();
}

TEST_F(HostOciTest, AMissingCaFileIsRefusedAtStart) {
  HostConfig config = Config();
  config.oci_ca_file = dir_ + "/no-such-ca.pem";
  Host host(config, wasm::CreateV8Engine);
  Status s = host.Start();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "OCI CA file " + config.oci_ca_file + " (--oci-ca-file) is not a readable file");
}

}  // namespace
}  // namespace wasmcloud::host
