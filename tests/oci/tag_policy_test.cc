// When the client asks a registry again (docs/oci.md#the-cache): a tag's cached digest
// for `tag_ttl` (measured with an injected clock, so no test waits), a digest reference
// always from the cache, offline mode, and a tag past its TTL whose registry cannot be
// reached (the stale digest, with a warning) or answers no (the pull fails).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "oci/cache.h"
#include "oci/client.h"
#include "registry_server.h"
#include "support/run_command.h"

namespace wasmcloud::oci {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::RegistryOptions;
using testing::RegistryServer;
using wasmcloud::testing::FixturePath;
using wasmcloud::testing::MakeTempDir;

Bytes Fixture(const std::string& path) {
  auto b = ReadFile(FixturePath(path));
  EXPECT_TRUE(b.ok()) << path;
  return b.ok() ? *b : Bytes{};
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class TagPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    v1_ = Fixture("wc-host-0.18/echo_r0.wasm");
    v2_ = Fixture("wc-host-0.18/echo_r1.wasm");
    ASSERT_NE(v1_, v2_);
    // Any fixed time: the client reads only this clock.
    now_ = std::chrono::system_clock::time_point(hours(24 * 365 * 55));
    SetLogSink([this](LogLevel level, std::string_view component, std::string_view msg) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      if (level >= LogLevel::kInfo) {
        log_.push_back(std::string(LogLevelName(level)) + " [" + std::string(component) + "] " +
                       std::string(msg));
      }
    });
  }
  void TearDown() override {
    SetLogSink(nullptr);
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartRegistry(RegistryOptions options = {}) {
    auto r = RegistryServer::Start(std::move(options));
    ASSERT_TRUE(r.ok()) << r.status().message();
    registry_ = std::move(*r);
  }

  // A client config for the test's plain-HTTP registry, its cache and its clock.
  ClientConfig Config(seconds ttl = seconds(300)) {
    ClientConfig c;
    c.allowed_insecure = {registry_->host()};
    c.cache_dir = dir_ + "/cache";
    c.tag_ttl = ttl;
    c.clock = [this] { return now_; };
    return c;
  }

  std::string Name(const std::string& repo_and_tag) const {
    return registry_->host() + "/" + repo_and_tag;
  }

  // Pushes `data` as `reg push` would (no cache); returns the manifest digest.
  std::string Push(const std::string& repo_and_tag, ByteView data,
                   std::optional<Credentials> credentials = std::nullopt) {
    ClientConfig c = Config();
    c.cache_dir.clear();
    if (credentials) c.credentials[registry_->host()] = *credentials;
    auto ref = ParseReference(Name(repo_and_tag));
    EXPECT_TRUE(ref.ok()) << ref.status().message();
    if (!ref.ok()) return "";
    auto pushed = Client(c).Push(*ref, data);
    EXPECT_TRUE(pushed.ok()) << pushed.status().message();
    return pushed.ok() ? pushed->manifest_digest : "";
  }

  // One pull by a new client; `requests_` is what it sent.
  Result<PulledArtifact> Pull(const std::string& ref, const ClientConfig& config) {
    Client client(config);
    auto r = client.Pull(ref);
    requests_ = client.requests();
    return r;
  }

  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return log_;
  }
  bool Logged(const std::string& part) {
    for (const auto& line : Lines()) {
      if (Contains(line, part)) return true;
    }
    return false;
  }

  std::string dir_;
  Bytes v1_;
  Bytes v2_;
  std::unique_ptr<RegistryServer> registry_;
  std::chrono::system_clock::time_point now_;
  uint64_t requests_ = 0;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(TagPolicyTest, ATagIsServedFromTheCacheWithinItsTtlAndResolvedAgainAfter) {
  StartRegistry();
  const std::string ref = Name("echo:1");
  const std::string d1 = Push("echo:1", v1_);
  auto first = Pull(ref, Config());
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->from_cache);
  EXPECT_EQ(first->manifest_digest, d1);
  EXPECT_EQ(first->data, v1_);
  // The record says when.
  Cache cache(dir_ + "/cache");
  auto record = cache.LookupReferenceRecord(ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->digest, d1);
  EXPECT_EQ(record->resolved_at, now_);

  // The tag moves in the registry.
  const std::string d2 = Push("echo:1", v2_);
  ASSERT_NE(d1, d2);

  // Within the TTL: the old digest, no request.
  now_ += seconds(299);
  auto within = Pull(ref, Config());
  ASSERT_TRUE(within.ok()) << within.status().message();
  EXPECT_TRUE(within->from_cache);
  EXPECT_FALSE(within->stale);
  EXPECT_EQ(within->manifest_digest, d1);
  EXPECT_EQ(within->data, v1_);
  EXPECT_EQ(requests_, 0u);

  // At the TTL: the registry is asked, the new digest served and recorded.
  now_ += seconds(1);
  auto after = Pull(ref, Config());
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_FALSE(after->from_cache);
  EXPECT_EQ(after->manifest_digest, d2);
  EXPECT_EQ(after->data, v2_);
  EXPECT_GT(requests_, 0u);
  record = cache.LookupReferenceRecord(ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->digest, d2);
  EXPECT_EQ(record->resolved_at, now_);
  EXPECT_TRUE(Logged(ref + " was resolved again: it now names " + d2 + " (was " + d1 + ")"));

  // And the new record starts a new TTL.
  now_ += seconds(10);
  auto again = Pull(ref, Config());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->data, v2_);
  EXPECT_EQ(requests_, 0u);
}

TEST_F(TagPolicyTest, ATtlOfZeroAsksTheRegistryAtEveryPull) {
  StartRegistry();
  const std::string ref = Name("echo:1");
  Push("echo:1", v1_);
  ASSERT_TRUE(Pull(ref, Config(seconds(0))).ok());
  // Same digest: only the /v2/ probe and the manifest; the layer comes from the cache.
  auto second = Pull(ref, Config(seconds(0)));
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_FALSE(second->from_cache);
  EXPECT_EQ(second->data, v1_);
  EXPECT_EQ(requests_, 2u);

  const std::string d2 = Push("echo:1", v2_);
  auto third = Pull(ref, Config(seconds(0)));
  ASSERT_TRUE(third.ok()) << third.status().message();
  EXPECT_EQ(third->manifest_digest, d2);
  EXPECT_EQ(third->data, v2_);
}

TEST_F(TagPolicyTest, ARecordWithoutATimeOrWithOneInTheFutureCountsAsExpired) {
  StartRegistry();
  const std::string ref = Name("echo:1");
  const std::string d1 = Push("echo:1", v1_);
  ASSERT_TRUE(Pull(ref, Config()).ok());
  // As a version before the TTL wrote it: the digest alone.
  const std::string refs = dir_ + "/cache/refs";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(refs)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  ASSERT_TRUE(WriteFile(files[0].string(), AsBytes(d1 + "\n")).ok());
  Cache cache(dir_ + "/cache");
  ASSERT_TRUE(cache.LookupReferenceRecord(ref).has_value());
  EXPECT_FALSE(cache.LookupReferenceRecord(ref)->resolved_at.has_value());

  const std::string d2 = Push("echo:1", v2_);
  auto old_record = Pull(ref, Config());
  ASSERT_TRUE(old_record.ok()) << old_record.status().message();
  EXPECT_EQ(old_record->manifest_digest, d2);

  // A time after now (the clock was set back): asked again too.
  ASSERT_TRUE(cache.RecordReference(ref, d2, now_ + hours(1)).ok());
  Push("echo:1", v1_);
  auto future = Pull(ref, Config());
  ASSERT_TRUE(future.ok()) << future.status().message();
  EXPECT_EQ(future->manifest_digest, d1);
  EXPECT_EQ(cache.LookupReferenceRecord(ref)->resolved_at, now_);
}

TEST_F(TagPolicyTest, ADigestReferenceNeverContactsTheRegistry) {
  StartRegistry();
  const std::string d1 = Push("echo:1", v1_);
  const std::string by_digest = Name("echo@" + d1);
  auto first = Pull(by_digest, Config(seconds(0)));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->from_cache);

  registry_->Stop();
  now_ += hours(24 * 365 * 10);
  auto later = Pull(by_digest, Config(seconds(0)));
  ASSERT_TRUE(later.ok()) << later.status().message();
  EXPECT_TRUE(later->from_cache);
  EXPECT_FALSE(later->stale);
  EXPECT_EQ(later->data, v1_);
  EXPECT_EQ(requests_, 0u);
  // A tag and a digest: the digest decides.
  auto tagged = Pull(Name("echo:1@" + d1), Config(seconds(0)));
  ASSERT_TRUE(tagged.ok()) << tagged.status().message();
  EXPECT_EQ(requests_, 0u);
}

TEST_F(TagPolicyTest, OfflineServesWhatIsCachedAndRefusesTheRest) {
  StartRegistry();
  const std::string ref = Name("echo:1");
  const std::string d1 = Push("echo:1", v1_);
  ASSERT_TRUE(Pull(ref, Config()).ok());
  // The registry runs and the tag moved, but offline nothing asks it, whatever the age.
  const std::string d2 = Push("echo:1", v2_);
  Push("echo:2", v2_);
  now_ += hours(24 * 365);
  ClientConfig offline = Config(seconds(0));
  offline.offline = true;
  auto tag = Pull(ref, offline);
  ASSERT_TRUE(tag.ok()) << tag.status().message();
  EXPECT_TRUE(tag->from_cache);
  EXPECT_FALSE(tag->stale);
  EXPECT_EQ(tag->manifest_digest, d1);
  EXPECT_EQ(tag->data, v1_);
  EXPECT_EQ(requests_, 0u);
  auto digest = Pull(Name("echo@" + d1), offline);
  ASSERT_TRUE(digest.ok()) << digest.status().message();
  EXPECT_EQ(requests_, 0u);

  // Not cached: refused, saying why, without a request.
  for (const std::string& missing : {Name("echo:2"), Name("echo@" + d2)}) {
    auto r = Pull(missing, offline);
    ASSERT_FALSE(r.ok()) << missing;
    EXPECT_EQ(r.status().code(), Code::kUnavailable);
    EXPECT_EQ(r.status().message(),
              missing + " is not cached (OCI cache " + dir_ +
                  "/cache) and the host is offline (--oci-offline): no registry is contacted");
    EXPECT_EQ(requests_, 0u);
  }
  // No cache at all.
  offline.cache_dir.clear();
  auto none = Pull(ref, offline);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Contains(none.status().message(), ref + " is not cached (no OCI cache) and the host "
                                                      "is offline (--oci-offline)"))
      << none.status().message();
  // A push is refused too.
  Client pusher(offline);
  auto pushed = pusher.Push(*ParseReference(Name("echo:3")), v1_);
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Contains(pushed.status().message(), "offline")) << pushed.status().message();
  EXPECT_EQ(pusher.requests(), 0u);
}

TEST_F(TagPolicyTest, AnUnreachableRegistryPastTheTtlServesTheStaleDigestWithAWarning) {
  StartRegistry();
  const std::string ref = Name("echo:1");
  const std::string d1 = Push("echo:1", v1_);
  ASSERT_TRUE(Pull(ref, Config()).ok());
  const auto resolved = now_;
  registry_->Stop();

  now_ += seconds(301);
  auto stale = Pull(ref, Config());
  ASSERT_TRUE(stale.ok()) << stale.status().message();
  EXPECT_TRUE(stale->from_cache);
  EXPECT_TRUE(stale->stale);
  EXPECT_EQ(stale->manifest_digest, d1);
  EXPECT_EQ(stale->data, v1_);
  EXPECT_GT(requests_, 0u);  // it tried
  EXPECT_TRUE(Logged("WARN [oci] serving " + ref + " from the OCI cache as " + d1 +
                     " (resolved 301 s ago, tag TTL 300 s): the registry could not be asked "
                     "again: cannot reach registry " +
                     registry_->host()))
      << (Lines().empty() ? "" : Lines().back());
  // The record keeps its time: the next pull asks again.
  Cache cache(dir_ + "/cache");
  EXPECT_EQ(cache.LookupReferenceRecord(ref)->resolved_at, resolved);

  // A tag never pulled has nothing to fall back on.
  auto uncached = Pull(Name("echo:2"), Config());
  ASSERT_FALSE(uncached.ok());
  EXPECT_EQ(uncached.status().code(), Code::kUnavailable);

  // A host that is stopping (cancel set) does not fall back.
  ClientConfig cancelled = Config();
  auto flag = std::make_shared<std::atomic<bool>>(true);
  cancelled.cancel = flag;
  auto stopping = Pull(ref, cancelled);
  ASSERT_FALSE(stopping.ok());
  EXPECT_TRUE(Contains(stopping.status().message(), "cancelled")) << stopping.status().message();
}

// A cache shared by hosts of different policies: what one host resolved over plain HTTP
// (--allowed-insecure) is not taken by a host that allows only TLS for that registry,
// within the TTL or past it (it served the stale digest "the registry could not be
// asked again", though it was its own policy that refused the registry).
TEST_F(TagPolicyTest, AResolutionMadeOverPlainHttpIsNotTakenByAHostThatRefusesIt) {
  StartRegistry();
  const std::string ref = Name("echo:1");
  Push("echo:1", v1_);
  ASSERT_TRUE(Pull(ref, Config()).ok());
  Cache cache(dir_ + "/cache");
  auto record = cache.LookupReferenceRecord(ref);
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->plain_http);
  ClientConfig tls_only = Config();
  tls_only.allowed_insecure.clear();
  for (seconds later : {seconds(0), seconds(600)}) {  // within the TTL, then past it
    now_ += later;
    auto r = Pull(ref, tls_only);
    ASSERT_FALSE(r.ok()) << later.count();
    EXPECT_TRUE(Contains(r.status().message(), "allow it with --allowed-insecure"))
        << r.status().message();
    EXPECT_GT(requests_, 0u);
  }
  EXPECT_TRUE(Logged("the cached resolution of " + ref + " was made over plain HTTP"));
  EXPECT_FALSE(Logged("from the OCI cache"));
  // The host that allows it still takes it, and a digest reference needs no resolution.
  auto same = Pull(ref, Config(seconds(3600)));
  ASSERT_TRUE(same.ok()) << same.status().message();
  auto pinned = Pull(Name("echo@" + record->digest), tls_only);
  ASSERT_TRUE(pinned.ok()) << pinned.status().message();
  EXPECT_EQ(requests_, 0u);
}

TEST_F(TagPolicyTest, ARegistrySayingNotFoundPastTheTtlFailsThePull) {
  StartRegistry();
  const std::string d1 = Push("echo:1", v1_);
  ASSERT_TRUE(Pull(Name("echo:1"), Config()).ok());
  // A tag recorded for the same manifest that the registry does not have (deleted).
  const std::string gone = Name("echo:gone");
  Cache cache(dir_ + "/cache");
  ASSERT_TRUE(cache.RecordReference(gone, d1, now_).ok());
  auto within = Pull(gone, Config());
  ASSERT_TRUE(within.ok()) << within.status().message();
  EXPECT_TRUE(within->from_cache);

  now_ += seconds(300);
  auto after = Pull(gone, Config());
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(after.status().message(), gone + " was not found in the registry"))
      << after.status().message();
  EXPECT_FALSE(Logged("serving " + gone));
}

TEST_F(TagPolicyTest, ARegistryRefusingTheCredentialsPastTheTtlFailsThePull) {
  RegistryOptions options;
  options.htpasswd_user = "wasmcloud";
  options.htpasswd_password = "s3cret";
  StartRegistry(options);
  const Credentials right{"wasmcloud", "s3cret"};
  const std::string ref = Name("echo:1");
  Push("echo:1", v1_, right);
  ClientConfig with = Config();
  with.credentials[registry_->host()] = right;
  ASSERT_TRUE(Pull(ref, with).ok());

  now_ += seconds(300);
  ClientConfig wrong = Config();
  wrong.credentials[registry_->host()] = Credentials{"wasmcloud", "wrong"};
  auto refused = Pull(ref, wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status().message();
  auto anonymous = Pull(ref, Config());
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().code(), Code::kPermissionDenied) << anonymous.status().message();
  EXPECT_FALSE(Logged("serving " + ref));
  // The right credentials resolve it again.
  auto fresh = Pull(ref, with);
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_FALSE(fresh->from_cache);
}

}  // namespace
}  // namespace wasmcloud::oci
