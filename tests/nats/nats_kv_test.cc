// NatsKvBucket: both lattice conformance suites over JetStream key-value (one nats-server
// -js for the whole binary, a fresh bucket per case, every handle on a connection of its
// own), and what only JetStream has: a server without JetStream, binding an existing
// bucket, a server killed and restarted under a watch and under a LatticeStore.
#include "nats/nats_kv_bucket.h"

#include <gtest/gtest.h>
#include <nats/nats.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lattice/kv_conformance.h"
#include "lattice/lattice_store.h"
#include "lattice/lattice_store_conformance.h"
#include "providers/messaging/nats_server.h"
#include "support/run_command.h"
#include "support/status_assert.h"

namespace wasmcloud::nats {
namespace {

using lattice::kKvWait;
using lattice::KvBucket;
using lattice::KvBucketSpec;
using lattice::KvEvent;
using lattice::KvEventRecorder;
using lattice::KvImplementation;
using lattice::KvTestBucket;
using messaging::testing::NatsServer;
using std::chrono::milliseconds;
using wasmcloud::testing::Ok;

// A restarted server and the clients' reconnects take longer than a plain wait.
constexpr milliseconds kRestartWait{30000};

// A nats-server with JetStream and a store directory of its own, which outlives a
// restart (so the data does).
struct JetStreamServer {
  std::string store_dir;
  std::unique_ptr<NatsServer> server;

  static Result<std::unique_ptr<JetStreamServer>> Start() {
    auto s = std::make_unique<JetStreamServer>();
    s->store_dir = wasmcloud::testing::MakeTempDir();
    WC_ASSIGN_OR_RETURN(s->server, NatsServer::Start({"-js", "-sd", s->store_dir}));
    return s;
  }
  ~JetStreamServer() {
    server.reset();
    std::error_code ec;
    std::filesystem::remove_all(store_dir, ec);
  }
  std::string Url() const { return server->Url(); }
};

bool HaveServer() { return !NatsServer::Binary().empty(); }

Result<std::shared_ptr<NatsConnection>> Connect(const std::string& url,
                                                const std::string& name = "kv-test") {
  NatsConnectionOptions options;
  options.servers = {url};
  options.name = name;
  return NatsConnection::Connect(std::move(options));
}

// A new connection and a bucket handle on it.
Result<std::shared_ptr<NatsKvBucket>> OpenOn(const std::string& url, const std::string& bucket,
                                             NatsKvOptions options = {}) {
  WC_ASSIGN_OR_RETURN(std::shared_ptr<NatsConnection> connection, Connect(url));
  return NatsKvBucket::Open(std::move(connection), bucket, std::move(options));
}

std::string UniqueBucketName() {
  static std::atomic<int> counter{0};
  return "T" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// Deletes a bucket (its stream) through a connection of its own; errors are ignored.
void DeleteBucket(const std::string& url, const std::string& bucket) {
  auto connection = Connect(url, "kv-test-cleanup");
  if (!connection.ok()) return;
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, (*connection)->raw(), nullptr) != NATS_OK) return;
  js_DeleteKeyValue(js, bucket.c_str());
  jsCtx_Destroy(js);
}

// The server of the conformance cases: one per process, started on first use.
Result<std::string> SharedServerUrl() {
  static std::mutex mu;
  static std::unique_ptr<JetStreamServer> server;
  std::lock_guard lock(mu);
  if (!server) {
    WC_ASSIGN_OR_RETURN(server, JetStreamServer::Start());
  }
  return server->Url();
}

// One bucket of the shared server; every Open() is another host's connection.
class JetStreamTestBucket final : public KvTestBucket {
 public:
  JetStreamTestBucket(std::string url, NatsKvOptions options)
      : url_(std::move(url)), name_(UniqueBucketName()), options_(std::move(options)) {}
  ~JetStreamTestBucket() override { DeleteBucket(url_, name_); }

  Result<std::shared_ptr<KvBucket>> Open() override {
    WC_ASSIGN_OR_RETURN(std::shared_ptr<NatsKvBucket> bucket, OpenOn(url_, name_, options_));
    return std::shared_ptr<KvBucket>(std::move(bucket));
  }

 private:
  const std::string url_;
  const std::string name_;
  const NatsKvOptions options_;
};

const KvImplementation kJetStream{
    "JetStream", [](const KvBucketSpec& spec) -> Result<std::unique_ptr<KvTestBucket>> {
      WC_ASSIGN_OR_RETURN(std::string url, SharedServerUrl());
      NatsKvOptions options;
      options.max_value_size = spec.max_value_size;
      return std::unique_ptr<KvTestBucket>(
          std::make_unique<JetStreamTestBucket>(std::move(url), options));
    }};

// Without a nats-server installed the suites have no instance (and the tests below skip).
std::vector<KvImplementation> Implementations() {
  if (!HaveServer()) return {};
  return {kJetStream};
}

}  // namespace
}  // namespace wasmcloud::nats

namespace wasmcloud::lattice {

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(KvConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LatticeStoreConformance);
INSTANTIATE_TEST_SUITE_P(JetStream, KvConformance,
                         ::testing::ValuesIn(wasmcloud::nats::Implementations()),
                         KvImplementationName);
INSTANTIATE_TEST_SUITE_P(JetStream, LatticeStoreConformance,
                         ::testing::ValuesIn(wasmcloud::nats::Implementations()),
                         KvImplementationName);

}  // namespace wasmcloud::lattice

namespace wasmcloud::nats {
namespace {

#define SKIP_WITHOUT_SERVER()                         \
  do {                                                \
    if (!HaveServer()) {                              \
      GTEST_SKIP() << "nats-server is not installed"; \
    }                                                 \
  } while (0)

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }

// Calls `attempt` until it returns true or `timeout` passes; true when it did. For states
// that come from outside (a server coming back), which nothing here can wait on directly.
bool Eventually(const std::function<bool()>& attempt, milliseconds timeout = kRestartWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (attempt()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

TEST(NatsKvBucket, OpenWithoutJetStreamIsUnavailable) {
  SKIP_WITHOUT_SERVER();
  auto server = NatsServer::Start();
  ASSERT_TRUE(Ok(server));
  auto connection = Connect((*server)->Url());
  ASSERT_TRUE(Ok(connection));
  auto bucket = NatsKvBucket::Open(*connection, "LATTICEDATA_default");
  EXPECT_EQ(bucket.status().code(), Code::kUnavailable) << bucket.status().ToString();
  EXPECT_NE(bucket.status().message().find("JetStream is not enabled"), std::string::npos)
      << bucket.status().message();
  EXPECT_NE(bucket.status().message().find("nats-server with -js"), std::string::npos)
      << bucket.status().message();
}

TEST(NatsKvBucket, BadNamesAndOptionsAreRefused) {
  SKIP_WITHOUT_SERVER();
  auto url = SharedServerUrl();
  ASSERT_TRUE(Ok(url));
  auto connection = Connect(*url);
  ASSERT_TRUE(Ok(connection));
  for (const char* name : {"", "a.b", "a b", "a*", "a>", "LATTICEDATA_\xc3\xa9"}) {
    EXPECT_EQ(NatsKvBucket::Open(*connection, name).status().code(), Code::kInvalidArgument)
        << name;
  }
  NatsKvOptions options;
  options.history = 0;
  EXPECT_EQ(NatsKvBucket::Open(*connection, UniqueBucketName(), options).status().code(),
            Code::kInvalidArgument);
  options.history = 65;
  EXPECT_EQ(NatsKvBucket::Open(*connection, UniqueBucketName(), options).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(NatsKvBucket::Open(nullptr, UniqueBucketName()).status().code(),
            Code::kInvalidArgument);
  // Settings the server refuses when it creates the bucket.
  options.history = 5;
  options.replicas = 3;  // a single server
  auto replicated = NatsKvBucket::Open(*connection, UniqueBucketName(), options);
  EXPECT_EQ(replicated.status().code(), Code::kFailedPrecondition)
      << replicated.status().ToString();
  options = NatsKvOptions();
  options.domain = "a.b";
  EXPECT_EQ(NatsKvBucket::Open(*connection, UniqueBucketName(), options).status().code(),
            Code::kInvalidArgument);
  // A JetStream domain nobody serves.
  options = NatsKvOptions();
  options.domain = "nowhere";
  auto elsewhere = NatsKvBucket::Open(*connection, UniqueBucketName(), options);
  EXPECT_EQ(elsewhere.status().code(), Code::kUnavailable) << elsewhere.status().ToString();
}

TEST(NatsKvBucket, AnExistingBucketIsBoundAsItIs) {
  SKIP_WITHOUT_SERVER();
  auto url = SharedServerUrl();
  ASSERT_TRUE(Ok(url));
  const std::string name = UniqueBucketName();
  NatsKvOptions small;
  small.max_value_size = 100;
  auto first = OpenOn(*url, name, small);
  ASSERT_TRUE(Ok(first));
  EXPECT_EQ((*first)->name(), name);
  auto second = OpenOn(*url, name);  // asks for 1 MiB values: the bucket says 100 bytes
  ASSERT_TRUE(Ok(second));
  EXPECT_TRUE(Ok((*second)->Put("k", AsBytes(std::string(100, 'x')))));
  auto big = (*second)->Put("k", AsBytes(std::string(101, 'x')));
  EXPECT_EQ(big.status().code(), Code::kResourceExhausted) << big.status().ToString();
  // Create adds a header (the expected last sequence), which JetStream counts too.
  auto near = (*second)->Create("n", AsBytes(std::string(100, 'x')));
  EXPECT_EQ(near.status().code(), Code::kResourceExhausted) << near.status().ToString();
  DeleteBucket(*url, name);
}

TEST(NatsKvBucket, DeleteReturnsTheMarkersRevision) {
  SKIP_WITHOUT_SERVER();
  auto url = SharedServerUrl();
  ASSERT_TRUE(Ok(url));
  const std::string name = UniqueBucketName();
  auto bucket = OpenOn(*url, name);
  ASSERT_TRUE(Ok(bucket));
  auto put = (*bucket)->Put("k", AsBytes("v"));
  auto del = (*bucket)->Delete("k");
  auto put2 = (*bucket)->Put("other", AsBytes("v"));
  ASSERT_TRUE(Ok(put) && Ok(del) && Ok(put2));
  // Revisions are the stream's sequence numbers: the marker took the one between.
  EXPECT_EQ(*del, *put + 1);
  EXPECT_EQ(*put2, *del + 1);
  DeleteBucket(*url, name);
}

// What other clients may put in the bucket's stream (a key outside this host's key
// alphabet, a marker with an unknown operation) does not stop the watch.
TEST(NatsKvBucket, OddEntriesDoNotStopAWatch) {
  SKIP_WITHOUT_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string name = UniqueBucketName();
  auto bucket = OpenOn((*server)->Url(), name);
  ASSERT_TRUE(Ok(bucket));
  KvEventRecorder rec;
  auto watch = (*bucket)->Watch(rec.Handler());
  ASSERT_TRUE(Ok(watch));
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  ASSERT_TRUE(Ok((*server)->server->Publish("$KV." + name + ".odd\\key", "raw")));
  auto after = (*bucket)->Put("after", AsBytes("v"));
  ASSERT_TRUE(Ok(after));
  ASSERT_TRUE(rec.WaitForChanges(2, kKvWait));
  auto changes = rec.Changes();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].key, "odd\\key");
  EXPECT_EQ(Text(changes[0].value), "raw");
  EXPECT_EQ(changes[1].key, "after");
  EXPECT_EQ(changes[1].revision, *after);
}

// Watches that start while another host writes (and deletes): each one's events, in
// strictly growing revisions, add up to what the bucket holds in the end, whichever of
// the writes were counted among its initial values.
TEST(NatsKvBucket, WatchesStartedDuringWritesConverge) {
  SKIP_WITHOUT_SERVER();
  auto url = SharedServerUrl();
  ASSERT_TRUE(Ok(url));
  const std::string name = UniqueBucketName();
  auto writer = OpenOn(*url, name);
  auto reader = OpenOn(*url, name);
  ASSERT_TRUE(Ok(writer) && Ok(reader));
  constexpr int kKeys = 20;
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(Ok((*writer)->Put("k" + std::to_string(k), AsBytes("0"))));
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> last{0};
  std::thread writes([&] {
    for (int i = 1; !stop.load(); ++i) {
      std::string key = "k" + std::to_string(i % kKeys);
      auto rev =
          i % 3 == 0 ? (*writer)->Delete(key) : (*writer)->Put(key, AsBytes(std::to_string(i)));
      EXPECT_TRUE(Ok(rev));
      if (rev.ok()) last.store(*rev);
    }
  });
  constexpr int kWatches = 8;
  std::vector<std::unique_ptr<KvEventRecorder>> recorders;
  std::vector<std::unique_ptr<lattice::KvWatch>> watches;
  for (int w = 0; w < kWatches; ++w) {
    // Each starts after a few more writes went in.
    const uint64_t seen = last.load();
    ASSERT_TRUE(Eventually([&] { return last.load() >= seen + 5; }, kKvWait));
    recorders.push_back(std::make_unique<KvEventRecorder>());
    auto watch = (*reader)->Watch(recorders.back()->Handler());
    ASSERT_TRUE(Ok(watch));
    watches.push_back(*std::move(watch));
  }
  for (auto& rec : recorders) ASSERT_TRUE(rec->WaitForMarker(kKvWait));
  stop.store(true);
  writes.join();
  // A last write after every marker, which every watch delivers as a change.
  auto sentinel = (*writer)->Put("sentinel", AsBytes("end"));
  ASSERT_TRUE(Ok(sentinel));
  const uint64_t final_revision = *sentinel;

  std::map<std::string, std::pair<std::string, uint64_t>> expected;
  for (int k = 0; k < kKeys; ++k) {
    std::string key = "k" + std::to_string(k);
    auto entry = (*reader)->Get(key);
    ASSERT_TRUE(Ok(entry));
    if (entry->has_value()) expected[key] = {Text((*entry)->value), (*entry)->revision};
  }
  expected["sentinel"] = {"end", final_revision};
  for (size_t w = 0; w < recorders.size(); ++w) {
    SCOPED_TRACE("watch " + std::to_string(w));
    ASSERT_TRUE(recorders[w]->WaitUntil(
        [&](const std::vector<KvEvent>& events) {
          return !events.empty() && events.back().revision >= final_revision;
        },
        kKvWait));
    std::map<std::string, std::pair<std::string, uint64_t>> state;
    uint64_t previous = 0;
    bool initial = true;
    for (const KvEvent& e : recorders[w]->Events()) {
      if (e.kind == KvEvent::Kind::kInitialValuesDone) {
        initial = false;
        continue;
      }
      EXPECT_GT(e.revision, previous);
      previous = e.revision;
      if (e.kind == KvEvent::Kind::kPut) {
        state[e.key] = {Text(e.value), e.revision};
      } else {
        // Before the marker, only a key delivered earlier may be deleted.
        EXPECT_TRUE(!initial || state.count(e.key)) << e.key;
        state.erase(e.key);
      }
    }
    EXPECT_EQ(state, expected);
  }
}

TEST(NatsKvBucket, AWatchEndsWhenItsConnectionCloses) {
  SKIP_WITHOUT_SERVER();
  auto url = SharedServerUrl();
  ASSERT_TRUE(Ok(url));
  auto connection = Connect(*url);
  ASSERT_TRUE(Ok(connection));
  const std::string name = UniqueBucketName();
  auto bucket = NatsKvBucket::Open(*connection, name);
  ASSERT_TRUE(Ok(bucket));
  KvEventRecorder rec;
  auto watch = (*bucket)->Watch(rec.Handler());
  ASSERT_TRUE(Ok(watch));
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  (*connection)->Close();
  EXPECT_EQ((*bucket)->Put("k", AsBytes("v")).status().code(), Code::kUnavailable);
  EXPECT_EQ((*bucket)->Get("k").status().code(), Code::kUnavailable);
  EXPECT_EQ((*bucket)->Watch(rec.Handler()).status().code(), Code::kUnavailable);
  watch->reset();  // joins a thread that has ended, or ends it
  EXPECT_EQ(rec.Changes().size(), 0u);
  DeleteBucket(*url, name);
}

TEST(NatsKvBucket, AWatchKeepsDeliveringAcrossAServerRestart) {
  SKIP_WITHOUT_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string url = (*server)->Url();
  const std::string name = UniqueBucketName();
  auto writer_connection = Connect(url, "writer");
  ASSERT_TRUE(Ok(writer_connection));
  auto writer = NatsKvBucket::Open(*writer_connection, name);
  ASSERT_TRUE(Ok(writer));
  auto watcher = OpenOn(url, name);
  ASSERT_TRUE(Ok(watcher));

  auto r1 = (*writer)->Put("before", AsBytes("1"));
  ASSERT_TRUE(Ok(r1));
  KvEventRecorder rec;
  auto watch = (*watcher)->Watch(rec.Handler());
  ASSERT_TRUE(Ok(watch));
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  auto r2 = (*writer)->Put("changed", AsBytes("2"));
  ASSERT_TRUE(Ok(r2));
  ASSERT_TRUE(rec.WaitForChanges(1, kKvWait));

  (*server)->server->Kill();
  ASSERT_TRUE(Eventually([&] { return !(*writer_connection)->connected(); }));
  // The outage: every call fails at once with kUnavailable, and nothing is written.
  auto during_put = (*writer)->Put("during", AsBytes("x"));
  EXPECT_EQ(during_put.status().code(), Code::kUnavailable) << during_put.status().ToString();
  EXPECT_EQ((*writer)->Create("during", AsBytes("x")).status().code(), Code::kUnavailable);
  EXPECT_EQ((*writer)->Delete("before").status().code(), Code::kUnavailable);
  EXPECT_EQ((*writer)->Get("before").status().code(), Code::kUnavailable);

  ASSERT_TRUE(Ok((*server)->server->Restart()));
  // Writes work again once the client reconnected and JetStream has its stream back.
  Result<uint64_t> r3 = Unavailable("not tried");
  ASSERT_TRUE(Eventually([&] {
    r3 = (*writer)->Put("after", AsBytes("3"));
    if (!r3.ok()) {
      EXPECT_EQ(r3.status().code(), Code::kUnavailable) << r3.status().ToString();
    }
    return r3.ok();
  }));
  auto r4 = (*writer)->Delete("changed");
  auto r5 = (*writer)->Put("after", AsBytes("5"));
  ASSERT_TRUE(Ok(r4) && Ok(r5));
  ASSERT_TRUE(rec.WaitForChanges(4, kRestartWait));

  // The same watch: no initial values again, nothing lost or repeated, in order.
  auto changes = rec.Changes();
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].revision, *r2);
  EXPECT_EQ(changes[1].key, "after");
  EXPECT_EQ(changes[1].revision, *r3);
  EXPECT_EQ(Text(changes[1].value), "3");
  EXPECT_EQ(changes[2].kind, KvEvent::Kind::kDelete);
  EXPECT_EQ(changes[2].key, "changed");
  EXPECT_EQ(changes[2].revision, *r4);
  EXPECT_EQ(changes[3].revision, *r5);
  EXPECT_EQ(rec.InitialValues().size(), 1u);
  EXPECT_GT(*r3, *r2);

  // The data survived the restart; the failed writes left nothing.
  auto before = (*writer)->Get("before");
  ASSERT_TRUE(Ok(before));
  ASSERT_TRUE(before->has_value());
  EXPECT_EQ((*before)->revision, *r1);
  auto during = (*writer)->Get("during");
  ASSERT_TRUE(Ok(during));
  EXPECT_FALSE(during->has_value());

  // A watch started now sees the bucket as it is.
  KvEventRecorder late;
  auto late_watch = (*writer)->Watch(late.Handler());
  ASSERT_TRUE(Ok(late_watch));
  ASSERT_TRUE(late.WaitForMarker(kKvWait));
  auto initial = late.InitialValues();
  ASSERT_EQ(initial.size(), 2u);
  EXPECT_EQ(initial[0].key, "before");
  EXPECT_EQ(initial[1].key, "after");
  EXPECT_EQ(initial[1].revision, *r5);
}

TEST(NatsKvBucket, ALatticeStoreSurvivesAServerRestart) {
  SKIP_WITHOUT_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string url = (*server)->Url();
  const std::string name = "LATTICEDATA_" + UniqueBucketName();
  auto connection = Connect(url, "host-a");
  ASSERT_TRUE(Ok(connection));
  auto bucket = NatsKvBucket::Open(*connection, name);
  ASSERT_TRUE(Ok(bucket));
  lattice::StoreRecorder recorder;
  lattice::LatticeStore store(*bucket);
  store.AddListener(&recorder);
  ASSERT_TRUE(Ok(store.Start(kKvWait)));
  const auto l1 = lattice::MakeLink("Mone", "wasmcloud:httpserver", "default", "Vhttp");
  const auto l2 = lattice::MakeLink("Mtwo", "wasmcloud:keyvalue", "default", "Vredis");
  const auto l3 = lattice::MakeLink("Mthree", "wasmcloud:keyvalue", "default", "Vredis");
  ASSERT_TRUE(Ok(store.PutLink(l1)));

  (*server)->server->Kill();
  ASSERT_TRUE(Eventually([&] { return !(*connection)->connected(); }));
  // Reads keep coming from the mirror; writes fail as "lattice data unavailable".
  EXPECT_EQ(store.FindLink("Mone", "wasmcloud:httpserver", "default"), l1);
  EXPECT_TRUE(store.ready());
  Status down = store.PutLink(l2);
  EXPECT_EQ(down.code(), Code::kUnavailable) << down.ToString();
  EXPECT_EQ(down.message().rfind("lattice data unavailable: ", 0), 0u) << down.message();

  ASSERT_TRUE(Ok((*server)->server->Restart()));
  // Back: the write goes in and this store's (same) watch brings it back.
  ASSERT_TRUE(Eventually([&] {
    Status st = store.PutLink(l2);
    return st.ok();
  }));
  EXPECT_EQ(store.FindLink("Mtwo", "wasmcloud:keyvalue", "default"), l2);

  // Another host joining now finds everything; what it writes reaches the first.
  auto other_bucket = OpenOn(url, name);
  ASSERT_TRUE(Ok(other_bucket));
  lattice::LatticeStore other(*other_bucket);
  ASSERT_TRUE(Ok(other.Start(kKvWait)));
  EXPECT_EQ(other.Links(), (std::vector<lattice::LinkDefinition>{l1, l2}));
  ASSERT_TRUE(Ok(other.PutLink(l3)));
  ASSERT_TRUE(recorder.WaitForCall([&](const lattice::StoreRecorder::Call& c) {
    return c.kind == lattice::StoreRecorder::Call::Kind::kLinkPut && c.link == l3;
  }));
  // Each link reached the first store's listener once.
  size_t puts = 0;
  for (const auto& c : recorder.Calls()) {
    if (c.kind == lattice::StoreRecorder::Call::Kind::kLinkPut) ++puts;
  }
  EXPECT_EQ(puts, 3u);
  other.Stop();
  store.Stop();
}

}  // namespace
}  // namespace wasmcloud::nats
