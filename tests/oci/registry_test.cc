// The OCI client against a real docker-registry (anonymous, basic auth over TLS, bearer
// tokens), the cache, failures, and interoperability with skopeo.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/encoding.h"
#include "oci/cache.h"
#include "oci/client.h"
#include "registry_server.h"
#include "support/run_command.h"
#include "token_server.h"

namespace wasmcloud::oci {
namespace {

using testing::MakeTestPki;
using testing::RegistryOptions;
using testing::RegistryServer;
using testing::TokenServer;
using wasmcloud::testing::FixturePath;
using wasmcloud::testing::MakeTempDir;
using wasmcloud::testing::RunCommand;
using Json = nlohmann::json;

Bytes Fixture(const std::string& path) {
  auto b = ReadFile(FixturePath(path));
  EXPECT_TRUE(b.ok()) << path;
  return b.ok() ? *b : Bytes{};
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    echo_ = Fixture("wc-host-0.18/echo.wasm");
    redis_ = Fixture("providers/libwascc_redis.par.gz");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<RegistryServer> StartRegistry(RegistryOptions options = {}) {
    auto r = RegistryServer::Start(std::move(options));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }

  // A config for a plain-HTTP registry, with its own cache.
  ClientConfig Insecure(const RegistryServer& registry, const std::string& cache = "cache") {
    ClientConfig c;
    c.allowed_insecure = {registry.host()};
    c.cache_dir = dir_ + "/" + cache;
    return c;
  }

  Reference Ref(const std::string& text) {
    auto r = ParseReference(text);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : Reference{};
  }

  std::string dir_;
  Bytes echo_;
  Bytes redis_;
};

TEST_F(RegistryTest, ActorPushThenPullGivesTheSameBytes) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  Client client(Insecure(*registry));
  auto pushed = client.Push(Ref(registry->host() + "/echo:0.1.0"), echo_);
  ASSERT_TRUE(pushed.ok()) << pushed.status().message();
  EXPECT_EQ(pushed->kind, ArtifactKind::kActor);
  EXPECT_EQ(pushed->layer_digest, Sha256Digest(echo_));
  EXPECT_EQ(pushed->size, echo_.size());
  EXPECT_EQ(pushed->reference, registry->host() + "/echo:0.1.0");
  EXPECT_TRUE(IsSha256Digest(pushed->manifest_digest));

  auto pulled = client.Pull(registry->host() + "/echo:0.1.0");
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->data, echo_);
  EXPECT_EQ(pulled->manifest_digest, pushed->manifest_digest);
  EXPECT_EQ(pulled->media_type, kWasmLayerMediaType);
  EXPECT_FALSE(pulled->from_cache);

  // By digest too, from a client with no cache.
  ClientConfig no_cache = Insecure(*registry);
  no_cache.cache_dir.clear();
  Client fresh(no_cache);
  auto by_digest = fresh.Pull(registry->host() + "/echo@" + pushed->manifest_digest);
  ASSERT_TRUE(by_digest.ok()) << by_digest.status().message();
  EXPECT_EQ(by_digest->data, echo_);
  // A second push of the same bytes uploads no blob again and gives the same digest.
  auto again = client.Push(Ref(registry->host() + "/echo:0.1.1"), echo_);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->manifest_digest, pushed->manifest_digest);
}

TEST_F(RegistryTest, ProviderArchivePushThenPullGivesTheSameBytes) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  Client client(Insecure(*registry));
  auto pushed = client.Push(Ref(registry->host() + "/providers/redis:0.9.0"), redis_);
  ASSERT_TRUE(pushed.ok()) << pushed.status().message();
  EXPECT_EQ(pushed->kind, ArtifactKind::kProvider);
  auto pulled = client.Pull(registry->host() + "/providers/redis:0.9.0");
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->data, redis_);
  EXPECT_EQ(pulled->media_type, kProviderLayerMediaType);
}

TEST_F(RegistryTest, TheCacheServesTheSecondPullWithoutTheRegistry) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  const std::string ref = registry->host() + "/echo:0.2.0";
  ClientConfig config = Insecure(*registry);
  std::string manifest_digest;
  {
    Client client(config);
    ASSERT_TRUE(client.Push(Ref(ref), echo_).ok());
    auto first = client.Pull(ref);
    ASSERT_TRUE(first.ok()) << first.status().message();
    EXPECT_FALSE(first->from_cache);
    manifest_digest = first->manifest_digest;
  }
  // Blobs by digest, and the reference's manifest digest.
  Cache cache(config.cache_dir);
  EXPECT_TRUE(std::filesystem::exists(cache.BlobPath(Sha256Digest(echo_))));
  EXPECT_TRUE(std::filesystem::exists(cache.BlobPath(manifest_digest)));
  EXPECT_EQ(cache.LookupReference(ref), manifest_digest);

  registry->Stop();
  Client client(config);
  auto by_tag = client.Pull(ref);
  ASSERT_TRUE(by_tag.ok()) << by_tag.status().message();
  EXPECT_TRUE(by_tag->from_cache);
  EXPECT_EQ(by_tag->data, echo_);
  auto by_digest = client.Pull(registry->host() + "/echo@" + manifest_digest);
  ASSERT_TRUE(by_digest.ok()) << by_digest.status().message();
  EXPECT_TRUE(by_digest->from_cache);
  EXPECT_EQ(by_digest->data, echo_);
  EXPECT_EQ(client.requests(), 0u);

  // Without the cache the stopped registry is needed: the pulls above did not use it.
  Client uncached(Insecure(*registry, "other-cache"));
  auto fails = uncached.Pull(ref);
  ASSERT_FALSE(fails.ok());
  EXPECT_EQ(fails.status().code(), Code::kUnavailable) << fails.status().message();
  EXPECT_GT(uncached.requests(), 0u);
}

TEST_F(RegistryTest, CachedBlobsAreNotFetchedAgain) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  ClientConfig config = Insecure(*registry);
  Client client(config);
  ASSERT_TRUE(client.Push(Ref(registry->host() + "/echo:1"), echo_).ok());
  ASSERT_TRUE(client.Push(Ref(registry->host() + "/echo:2"), echo_).ok());
  ASSERT_TRUE(client.Pull(registry->host() + "/echo:1").ok());
  // A blob in the registry that no longer matches: only a fetch would notice.
  ASSERT_TRUE(WriteFile(registry->BlobDataPath(Sha256Digest(echo_)), Bytes(echo_.size(), 0)).ok());
  auto second = client.Pull(registry->host() + "/echo:2");  // a new tag, the same layer
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_FALSE(second->from_cache);  // the manifest was fetched
  EXPECT_EQ(second->data, echo_);    // the layer came from the cache
}

TEST_F(RegistryTest, ATamperedBlobFailsTheDigestCheck) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  Client client(Insecure(*registry));
  ASSERT_TRUE(client.Push(Ref(registry->host() + "/echo:0.3.0"), echo_).ok());
  Bytes tampered = echo_;
  tampered[tampered.size() / 2] ^= 0x01;
  const std::string layer = Sha256Digest(echo_);
  ASSERT_TRUE(WriteFile(registry->BlobDataPath(layer), tampered).ok());
  auto pulled = client.Pull(registry->host() + "/echo:0.3.0");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kUnauthenticated);
  EXPECT_TRUE(Contains(pulled.status().message(), "digest mismatch: blob " + layer))
      << pulled.status().message();
  EXPECT_TRUE(Contains(pulled.status().message(), "has " + Sha256Digest(tampered)));
  // Nothing of it was cached.
  Cache cache(dir_ + "/cache");
  EXPECT_FALSE(cache.ReadBlob(layer).has_value());
  EXPECT_FALSE(cache.LookupReference(registry->host() + "/echo:0.3.0").has_value());
}

TEST_F(RegistryTest, NotFound) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  Client client(Insecure(*registry));
  auto pulled = client.Pull(registry->host() + "/nothing:1.0");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(pulled.status().message(), registry->host() + "/nothing:1.0 was not found"))
      << pulled.status().message();
}

TEST_F(RegistryTest, LatestIsRefusedUnlessAllowed) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  Client client(Insecure(*registry));
  for (const std::string& ref :
       std::vector<std::string>{registry->host() + "/echo:latest", registry->host() + "/echo"}) {
    auto pulled = client.Pull(ref);
    ASSERT_FALSE(pulled.ok());
    EXPECT_EQ(pulled.status().code(), Code::kInvalidArgument);
    EXPECT_TRUE(Contains(pulled.status().message(),
                         "Fetching images tagged 'latest' is currently prohibited in this host"))
        << pulled.status().message();
    auto pushed = client.Push(Ref(ref), echo_);
    ASSERT_FALSE(pushed.ok());
    EXPECT_TRUE(Contains(pushed.status().message(), "'latest'")) << pushed.status().message();
  }
  EXPECT_TRUE(Contains(client.Pull(registry->host() + "/echo").status().message(),
                       "a reference without a tag means :latest"));
  EXPECT_EQ(client.requests(), 0u);  // refused before any request
  ClientConfig allowed = Insecure(*registry);
  allowed.allow_latest = true;
  Client permissive(allowed);
  ASSERT_TRUE(permissive.Push(Ref(registry->host() + "/echo:latest"), echo_).ok());
  auto pulled = permissive.Pull(registry->host() + "/echo");
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->data, echo_);
}

TEST_F(RegistryTest, PlainHttpOnlyForAllowedInsecureRegistries) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  ClientConfig config;
  config.cache_dir = dir_ + "/cache";
  config.allowed_insecure = {"127.0.0.1", "localhost:" + std::to_string(registry->port())};
  Client client(config);  // neither entry is this registry's exact HOST:PORT
  auto pushed = client.Push(Ref(registry->host() + "/echo:1.0"), echo_);
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Contains(pushed.status().message(),
                       "cannot reach registry " + registry->host() + ": GET https://"))
      << pushed.status().message();
  EXPECT_TRUE(Contains(pushed.status().message(), "--allowed-insecure " + registry->host()));
  auto pulled = client.Pull(registry->host() + "/echo:1.0");
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(Contains(pulled.status().message(), "--allowed-insecure " + registry->host()));
}

TEST_F(RegistryTest, AClosedPortFailsAtOnce) {
  int fd = -1;
  int port = testing::ClosedPort(&fd);
  ClientConfig config;
  config.allowed_insecure = {"127.0.0.1:" + std::to_string(port)};
  config.cache_dir = dir_ + "/cache";
  Client client(config);
  auto start = std::chrono::steady_clock::now();
  auto pulled = client.Pull("127.0.0.1:" + std::to_string(port) + "/echo:1");
  auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Contains(pulled.status().message(),
                       "cannot reach registry 127.0.0.1:" + std::to_string(port)))
      << pulled.status().message();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(RegistryTest, ABlackholeFailsWithinTheConnectTimeout) {
  testing::Blackhole blackhole;
  const std::string host = "127.0.0.1:" + std::to_string(blackhole.port());
  ClientConfig config;
  config.cache_dir = dir_ + "/cache";
  config.allowed_insecure = {host};
  config.connect_timeout = std::chrono::milliseconds(700);
  Client client(config);
  auto start = std::chrono::steady_clock::now();
  auto pulled = client.Pull(host + "/echo:1");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kDeadlineExceeded) << pulled.status().message();
  EXPECT_TRUE(Contains(pulled.status().message(), "registry " + host + " did not answer in time"))
      << pulled.status().message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(600));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST_F(RegistryTest, ARoutedBlackholeAddressFailsInTime) {
  // 10.255.255.1 drops packets on most networks; some sandboxes answer for every
  // address instead. Either way the pull ends within the timeout with an error naming it.
  ClientConfig config;
  config.cache_dir = dir_ + "/cache";
  config.connect_timeout = std::chrono::milliseconds(700);
  config.request_timeout = std::chrono::milliseconds(1500);
  Client client(config);
  auto start = std::chrono::steady_clock::now();
  auto pulled = client.Pull("10.255.255.1:5000/echo:1");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(pulled.ok());
  EXPECT_TRUE(Contains(pulled.status().message(), "10.255.255.1:5000"))
      << pulled.status().message();
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
  std::cout << "10.255.255.1: " << pulled.status().message() << " after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
}

TEST_F(RegistryTest, ARegistryThatNeverAnswersFailsWithinTheRequestTimeout) {
  testing::SilentServer silent;
  const std::string host = "127.0.0.1:" + std::to_string(silent.port());
  ClientConfig config;
  config.cache_dir = dir_ + "/cache";
  config.allowed_insecure = {host};
  config.request_timeout = std::chrono::milliseconds(800);
  Client client(config);
  auto start = std::chrono::steady_clock::now();
  auto pulled = client.Pull(host + "/echo:1");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kDeadlineExceeded) << pulled.status().message();
  EXPECT_TRUE(Contains(pulled.status().message(), "registry " + host + " did not answer in time"))
      << pulled.status().message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(700));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

// Whatever the request timeout (300 s by default, for large layers), a registry that
// sends nothing for stall_timeout (30 s by default) fails the pull.
TEST_F(RegistryTest, ARegistryThatStopsAnsweringFailsAfterTheStallTimeout) {
  testing::SilentServer silent;
  const std::string host = "127.0.0.1:" + std::to_string(silent.port());
  ClientConfig config;
  config.cache_dir = dir_ + "/cache";
  config.allowed_insecure = {host};
  EXPECT_EQ(config.stall_timeout, std::chrono::seconds(30));
  config.stall_timeout = std::chrono::milliseconds(1000);
  Client client(config);
  auto start = std::chrono::steady_clock::now();
  auto pulled = client.Pull(host + "/echo:1");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kDeadlineExceeded) << pulled.status().message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(10)) << "not the 300 s request timeout";
}

TEST_F(RegistryTest, ManifestTooLarge) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  ClientConfig config = Insecure(*registry);
  Client client(config);
  ASSERT_TRUE(client.Push(Ref(registry->host() + "/echo:1"), echo_).ok());
  config.max_manifest_size = 100;
  config.cache_dir.clear();
  Client small(config);
  auto pulled = small.Pull(registry->host() + "/echo:1");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(Contains(pulled.status().message(),
                       "manifest of " + registry->host() + "/echo:1 is too large (over 100 bytes)"))
      << pulled.status().message();
  config.max_manifest_size = 4 << 20;
  config.max_artifact_size = 1000;
  Client tiny(config);
  pulled = tiny.Pull(registry->host() + "/echo:1");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kResourceExhausted) << pulled.status().message();
}

TEST_F(RegistryTest, PushRefusesWhatIsNeitherAnActorNorAProviderAndDigestReferences) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  Client client(Insecure(*registry));
  auto pushed = client.Push(Ref(registry->host() + "/x:1"), ToBytes("#!/bin/sh\necho hi\n"));
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Contains(pushed.status().message(), "neither a wasm module"));
  pushed = client.Push(Ref(registry->host() + "/x@" + Sha256Digest(echo_)), echo_);
  ASSERT_FALSE(pushed.ok());
  EXPECT_TRUE(Contains(pushed.status().message(), "a push needs a tag"));
  EXPECT_EQ(client.requests(), 0u);
}

// --- basic auth over TLS ----------------------------------------------------------------

class TlsRegistryTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    auto pki = MakeTestPki(dir_);
    ASSERT_TRUE(pki.ok()) << pki.status().message();
    RegistryOptions options;
    options.tls = true;
    options.pki = *pki;
    options.htpasswd_user = "wasmcloud";
    options.htpasswd_password = "s3cret pass";
    registry_ = StartRegistry(options);
    ASSERT_NE(registry_, nullptr);
    ca_ = pki->ca_cert;
  }
  ClientConfig Config(std::optional<Credentials> credentials) {
    ClientConfig c;
    c.ca_file = ca_;
    c.cache_dir = dir_ + "/cache";
    if (credentials) c.credentials[registry_->host()] = *credentials;
    return c;
  }
  std::unique_ptr<RegistryServer> registry_;
  std::string ca_;
};

TEST_F(TlsRegistryTest, RightCredentialsPushAndPull) {
  Client client(Config(Credentials{"wasmcloud", "s3cret pass"}));
  const std::string ref = registry_->host() + "/echo:0.4.0";
  auto pushed = client.Push(Ref(ref), echo_);
  ASSERT_TRUE(pushed.ok()) << pushed.status().message();
  auto pulled = client.Pull(ref);
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->data, echo_);
  EXPECT_FALSE(pulled->from_cache);
}

TEST_F(TlsRegistryTest, WrongOrMissingCredentialsAreRefusedClearly) {
  Client wrong(Config(Credentials{"wasmcloud", "not it"}));
  auto pushed = wrong.Push(Ref(registry_->host() + "/echo:0.4.0"), echo_);
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(Contains(pushed.status().message(),
                       "registry " + registry_->host() +
                           " refused the credentials of user \"wasmcloud\" (HTTP 401: "
                           "UNAUTHORIZED: authentication required)"))
      << pushed.status().message();
  Client none(Config(std::nullopt));
  auto pulled = none.Pull(registry_->host() + "/echo:0.4.0");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(Contains(pulled.status().message(), "requires credentials (HTTP basic)"))
      << pulled.status().message();
}

TEST_F(TlsRegistryTest, CredentialsFromTheEnvironmentPairAndAFile) {
  ClientConfig env = Config(std::nullopt);
  env.env_credentials = Credentials{"wasmcloud", "s3cret pass"};
  Client from_env(env);
  ASSERT_TRUE(from_env.Push(Ref(registry_->host() + "/echo:0.5.0"), echo_).ok());

  // Docker's config.json shape: "auth" is base64 of user:password.
  const std::string file = dir_ + "/auth.json";
  Json doc = {{"auths",
               {{"other.example:5000", {{"auth", Base64Encode(AsBytes("x:y"))}}},
                {"https://" + registry_->host() + "/v1/",
                 {{"auth", Base64Encode(AsBytes("wasmcloud:s3cret pass"))}}}}}};
  ASSERT_TRUE(WriteFile(file, AsBytes(doc.dump())).ok());
  ClientConfig from_file = Config(std::nullopt);
  from_file.credentials_file = file;
  from_file.cache_dir.clear();
  Client client(from_file);
  auto pulled = client.Pull(registry_->host() + "/echo:0.5.0");
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->data, echo_);

  ASSERT_TRUE(WriteFile(file, AsBytes("{\"auths\": [1]}")).ok());
  Client bad(from_file);
  pulled = bad.Pull(registry_->host() + "/echo:0.5.0");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Contains(pulled.status().message(), "the credentials file " + file))
      << pulled.status().message();
}

TEST_F(TlsRegistryTest, AnUnknownCertificateIsRefused) {
  ClientConfig config = Config(Credentials{"wasmcloud", "s3cret pass"});
  config.ca_file.clear();
  Client client(config);
  auto pulled = client.Pull(registry_->host() + "/echo:0.4.0");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Contains(pulled.status().message(), "certificate")) << pulled.status().message();
}

// --- bearer tokens ------------------------------------------------------------------------

TEST_F(RegistryTest, BearerTokenFlow) {
  auto tokens = TokenServer::Start(dir_, "robot", "t0ken-pass");
  ASSERT_TRUE(tokens.ok()) << tokens.status().message();
  RegistryOptions options;
  options.token_realm = (*tokens)->realm();
  options.token_service = TokenServer::kService;
  options.token_issuer = TokenServer::kIssuer;
  options.token_cert = (*tokens)->cert();
  auto registry = StartRegistry(options);
  ASSERT_NE(registry, nullptr);
  // The realm is plain HTTP: credentials go there only because it is allowed insecure.
  ClientConfig config = Insecure(*registry);
  config.credentials[registry->host()] = Credentials{"robot", "t0ken-pass"};
  {
    Client refused(config);
    auto pushed = refused.Push(Ref(registry->host() + "/echo:0.6.0"), echo_);
    ASSERT_FALSE(pushed.ok());
    EXPECT_EQ(pushed.status().code(), Code::kPermissionDenied);
    EXPECT_TRUE(Contains(pushed.status().message(), "which is not HTTPS: refused"))
        << pushed.status().message();
    EXPECT_EQ((*tokens)->tokens_issued(), 0);
  }
  config.allowed_insecure.push_back((*tokens)->host());
  Client client(config);
  auto pushed = client.Push(Ref(registry->host() + "/echo:0.6.0"), echo_);
  ASSERT_TRUE(pushed.ok()) << pushed.status().message();
  EXPECT_EQ((*tokens)->last_scope(), "repository:echo:pull,push");
  int issued = (*tokens)->tokens_issued();
  EXPECT_GE(issued, 1);
  config.cache_dir.clear();
  Client puller(config);
  auto pulled = puller.Pull(registry->host() + "/echo:0.6.0");
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->data, echo_);
  EXPECT_EQ((*tokens)->last_scope(), "repository:echo:pull");
  EXPECT_GT((*tokens)->tokens_issued(), issued);

  config.credentials[registry->host()] = Credentials{"robot", "wrong"};
  Client wrong(config);
  pulled = wrong.Pull(registry->host() + "/echo:0.6.0");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(Contains(pulled.status().message(),
                       "the token service of registry " + registry->host() + " (" +
                           (*tokens)->realm() + ") refused the credentials of user \"robot\""))
      << pulled.status().message();
  EXPECT_GE((*tokens)->refusals(), 1);
}

// --- skopeo -----------------------------------------------------------------------------

Json SkopeoInspect(const std::string& ref) {
  auto r = RunCommand(
      {"skopeo", "--insecure-policy", "inspect", "--raw", "--tls-verify=false", "docker://" + ref});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

TEST_F(RegistryTest, SkopeoSeesOurMediaTypes) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  Client client(Insecure(*registry));
  auto actor = client.Push(Ref(registry->host() + "/echo:0.7.0"), echo_);
  ASSERT_TRUE(actor.ok()) << actor.status().message();
  auto provider = client.Push(Ref(registry->host() + "/redis:0.7.0"), redis_);
  ASSERT_TRUE(provider.ok()) << provider.status().message();

  Json m = SkopeoInspect(registry->host() + "/echo:0.7.0");
  EXPECT_EQ(m["schemaVersion"], 2);
  EXPECT_EQ(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(m["config"]["mediaType"], "application/vnd.wasmcloud.actor.archive.config");
  EXPECT_EQ(m["config"]["digest"], Sha256Digest(AsBytes("{}")));
  EXPECT_EQ(m["config"]["size"], 2);
  ASSERT_EQ(m["layers"].size(), 1u);
  EXPECT_EQ(m["layers"][0]["mediaType"], "application/vnd.module.wasm.content.layer.v1+wasm");
  EXPECT_EQ(m["layers"][0]["digest"], Sha256Digest(echo_));
  EXPECT_EQ(m["layers"][0]["size"], echo_.size());
  EXPECT_EQ(m["layers"][0]["annotations"]["org.opencontainers.image.title"], Sha256Digest(echo_));
  // The bytes skopeo got hash to the digest we reported.
  EXPECT_EQ(Sha256Digest(AsBytes(m.dump())).size(), actor->manifest_digest.size());

  m = SkopeoInspect(registry->host() + "/redis:0.7.0");
  EXPECT_EQ(m["config"]["mediaType"], "application/vnd.wasmcloud.provider.archive.config");
  EXPECT_EQ(m["layers"][0]["mediaType"], "application/vnd.wasmcloud.provider.archive.layer.v1+par");
  EXPECT_EQ(m["layers"][0]["digest"], Sha256Digest(redis_));
}

// Writes an OCI image layout (https://github.com/opencontainers/image-spec, layout.md)
// holding one manifest with one layer of `layer_media_type`, tagged `tag`.
void WriteOciLayout(const std::string& dir, ByteView layer, const std::string& layer_media_type,
                    const std::string& tag) {
  std::filesystem::create_directories(dir + "/blobs/sha256");
  auto blob = [&](ByteView data) {
    std::string digest = Sha256Digest(data);
    EXPECT_TRUE(WriteFile(dir + "/blobs/sha256/" + digest.substr(7), data).ok());
    return digest;
  };
  std::string config = R"({"created":"2021-01-01T00:00:00Z"})";
  Json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.wasmcloud.actor.archive.config"},
        {"digest", blob(AsBytes(config))},
        {"size", config.size()}}},
      {"layers",
       {{{"mediaType", layer_media_type}, {"digest", blob(layer)}, {"size", layer.size()}}}}};
  std::string text = manifest.dump();
  Json index = {{"schemaVersion", 2},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"digest", blob(AsBytes(text))},
                   {"size", text.size()},
                   {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
  EXPECT_TRUE(WriteFile(dir + "/index.json", AsBytes(index.dump())).ok());
  EXPECT_TRUE(WriteFile(dir + "/oci-layout", AsBytes(R"({"imageLayoutVersion":"1.0.0"})")).ok());
}

TEST_F(RegistryTest, WePullWhatSkopeoCopiedFromAnOciLayout) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  WriteOciLayout(dir_ + "/layout", echo_, std::string(kWasmLayerMediaType), "1.2.3");
  auto copied = RunCommand({"skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                            "oci:" + dir_ + "/layout:1.2.3",
                            "docker://" + registry->host() + "/from-skopeo:1.2.3"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  Client client(Insecure(*registry));
  auto pulled = client.Pull(registry->host() + "/from-skopeo:1.2.3");
  ASSERT_TRUE(pulled.ok()) << pulled.status().message();
  EXPECT_EQ(pulled->data, echo_);
  EXPECT_EQ(pulled->media_type, kWasmLayerMediaType);

  // A layer of another media type (a container image's) is refused by name.
  WriteOciLayout(dir_ + "/image", echo_, "application/vnd.oci.image.layer.v1.tar+gzip", "9");
  copied = RunCommand({"skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                       "oci:" + dir_ + "/image:9", "docker://" + registry->host() + "/image:9"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  pulled = client.Pull(registry->host() + "/image:9");
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.status().code(), Code::kMalformed);
  EXPECT_TRUE(Contains(pulled.status().message(),
                       "incompatible layer media type application/vnd.oci.image.layer.v1.tar+gzip"))
      << pulled.status().message();
}

}  // namespace
}  // namespace wasmcloud::oci
