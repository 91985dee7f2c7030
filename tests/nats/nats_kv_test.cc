// NatsKvBucket: both lattice conformance suites over JetStream key-value (one nats-server
// -js for the whole binary, a fresh bucket per case, every handle on a connection of its
// own), and what only JetStream has: a server without JetStream, binding an existing
// bucket, a server killed and restarted under a watch and under a LatticeStore, a bucket
// lost (its stream deleted) under a handle, a watch and a LatticeStore.
#include "nats/nats_kv_bucket.h"

#include <gtest/gtest.h>
#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lattice/kv_conformance.h"
#include "lattice/lattice_store.h"
#include "lattice/lattice_store_conformance.h"
#include "providers/messaging/nats_server.h"
#include "support/log_capture.h"
#include "support/require_tool.h"
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

// Without a nats-server installed the suites fail (SharedServerUrl says why), unless
// WASMCLOUD_TEST_ALLOW_SKIP=1: then they have no instance.
std::vector<KvImplementation> Implementations() {
  if (!HaveServer() && wasmcloud::testing::SkipsAllowed()) return {};
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

#define REQUIRE_SERVER() WC_REQUIRE_TOOL(HaveServer(), "nats-server")

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

// A watch checks its stream this often in some tests (5 s by default).
NatsKvOptions FastChecks() {
  NatsKvOptions options;
  options.check_interval = milliseconds(100);
  return options;
}

TEST(NatsKvBucket, OpenWithoutJetStreamIsUnavailable) {
  REQUIRE_SERVER();
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
  REQUIRE_SERVER();
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
  REQUIRE_SERVER();
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
  REQUIRE_SERVER();
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

// A write that went out and got no acknowledgement (the server paused past the bucket's
// timeout) is not reported as "not written": it may have been, and here it was, once the
// server ran again.
TEST(NatsKvBucket, AnUnacknowledgedWriteMayHaveBeenWritten) {
  REQUIRE_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  NatsKvOptions quick;
  quick.timeout = milliseconds(500);
  const std::string name = UniqueBucketName();
  auto bucket = OpenOn((*server)->Url(), name, quick);
  ASSERT_TRUE(Ok(bucket));
  (*server)->server->Pause();
  auto put = (*bucket)->Put("k", AsBytes("v"));
  (*server)->server->Resume();
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), Code::kDeadlineExceeded) << put.status().message();
  EXPECT_NE(put.status().message().find("it may have been written"), std::string::npos)
      << put.status().message();
  EXPECT_TRUE(Eventually([&] {
    auto got = (*bucket)->Get("k");
    return got.ok() && got->has_value() && Text((*got)->value) == "v";
  })) << "the server stored it after all";
}

// What other clients may put in the bucket's stream (a key outside this host's key
// alphabet, a marker with an unknown operation) does not stop the watch.
TEST(NatsKvBucket, OddEntriesDoNotStopAWatch) {
  REQUIRE_SERVER();
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
  REQUIRE_SERVER();
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
  REQUIRE_SERVER();
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

// A watch stopped while the server is gone: the stop waits for libnats' deletion of the
// watch's consumer (a JetStream request a disconnected connection holds until it times
// out), and says so; then the handler is never called again.
TEST(NatsKvBucket, StoppingAWatchDuringAnOutageSaysWhatItWaitsFor) {
  REQUIRE_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string url = (*server)->Url();
  NatsKvOptions options;
  options.timeout = milliseconds(1000);  // what the deletion may take
  auto connection = Connect(url, "watcher");
  ASSERT_TRUE(Ok(connection));
  auto bucket = NatsKvBucket::Open(*connection, UniqueBucketName(), options);
  ASSERT_TRUE(Ok(bucket));
  KvEventRecorder rec;
  auto watch = (*bucket)->Watch(rec.Handler());
  ASSERT_TRUE(Ok(watch));
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  (*server)->server->Kill();
  ASSERT_TRUE(Eventually([&] { return !(*connection)->connected(); }));
  wasmcloud::testing::LogCapture log;
  watch->reset();
  EXPECT_EQ(log.Count("while disconnected from NATS: libnats waits for the deletion of its "
                      "consumer (up to 1000 ms)"),
            1u)
      << log.All();
  EXPECT_EQ(rec.Events().size(), 1u);  // the marker only
}

TEST(NatsKvBucket, AWatchKeepsDeliveringAcrossAServerRestart) {
  REQUIRE_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string url = (*server)->Url();
  const std::string name = UniqueBucketName();
  auto writer_connection = Connect(url, "writer");
  ASSERT_TRUE(Ok(writer_connection));
  auto writer = NatsKvBucket::Open(*writer_connection, name);
  ASSERT_TRUE(Ok(writer));
  // Checking its stream often: a restarted server keeps it (no loss, no restart).
  auto watcher = OpenOn(url, name, FastChecks());
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
  EXPECT_EQ(rec.Events().size(), 6u);  // no kRestarted either
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
  REQUIRE_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string url = (*server)->Url();
  const std::string name = "LATTICEDATA_" + UniqueBucketName();
  auto connection = Connect(url, "host-a");
  ASSERT_TRUE(Ok(connection));
  auto bucket = NatsKvBucket::Open(*connection, name, FastChecks());
  ASSERT_TRUE(Ok(bucket));
  lattice::StoreRecorder recorder;
  lattice::DegradedRecorder degraded;
  lattice::LatticeStore store(*bucket);
  store.AddListener(&recorder);
  store.AddListener(&degraded);
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
  // A restart is not a loss: the bucket was never created again nor re-filled.
  EXPECT_TRUE(degraded.Calls().empty());
  EXPECT_FALSE(store.degraded());
  other.Stop();
  store.Stop();
}

// --- a lost bucket: its stream deleted under the hosts that use it.

// Deletes the stream of `bucket` (and so the bucket) through a connection of its own.
Status DeleteStream(const std::string& url, const std::string& bucket) {
  WC_ASSIGN_OR_RETURN(std::shared_ptr<NatsConnection> connection, Connect(url, "kv-test-deleter"));
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, connection->raw(), nullptr) != NATS_OK) {
    return Internal("no JetStream context");
  }
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(js, ("KV_" + bucket).c_str(), nullptr, &code);
  jsCtx_Destroy(js);
  if (s != NATS_OK) return Internal("deleting stream KV_" + bucket + ": " + NatsError(s));
  return Status::Ok();
}

// The per-key history and the message size limit of the stream of `bucket`; {-1, -1}
// when it cannot be read.
std::pair<int64_t, int32_t> StreamLimits(const std::string& url, const std::string& bucket) {
  std::pair<int64_t, int32_t> limits{-1, -1};
  auto connection = Connect(url, "kv-test-info");
  if (!connection.ok()) return limits;
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, (*connection)->raw(), nullptr) != NATS_OK) return limits;
  jsStreamInfo* info = nullptr;
  if (js_GetStreamInfo(&info, js, ("KV_" + bucket).c_str(), nullptr, nullptr) == NATS_OK) {
    limits = {info->Config->MaxMsgsPerSubject, info->Config->MaxMsgSize};
    jsStreamInfo_Destroy(info);
  }
  jsCtx_Destroy(js);
  return limits;
}

bool Contains(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

// The handle whose read or write finds the bucket gone creates it again, with the
// settings it was opened with; that call fails (it is not retried), the next one works.
// Another handle, which noticed nothing, writes into the new bucket.
TEST(NatsKvBucket, AReadOrWriteThatFindsItsBucketLostCreatesItAgain) {
  REQUIRE_SERVER();
  auto url = SharedServerUrl();
  ASSERT_TRUE(Ok(url));
  const std::string name = UniqueBucketName();
  NatsKvOptions options;
  options.history = 7;
  options.max_value_size = 1000;
  auto a = OpenOn(*url, name, options);
  auto b = OpenOn(*url, name);
  ASSERT_TRUE(Ok(a) && Ok(b));
  ASSERT_TRUE(Ok((*a)->Put("k", AsBytes("1"))));
  ASSERT_TRUE(Ok((*a)->Put("k", AsBytes("2"))));

  ASSERT_TRUE(Ok(DeleteStream(*url, name)));
  auto lost_read = (*a)->Get("k");
  EXPECT_EQ(lost_read.status().code(), Code::kUnavailable) << lost_read.status().ToString();
  EXPECT_TRUE(Contains(lost_read.status(), "the bucket was lost")) << lost_read.status().message();
  auto after = (*a)->Get("k");
  ASSERT_TRUE(Ok(after));
  EXPECT_FALSE(after->has_value());
  // Created with the settings `a` was opened with.
  EXPECT_EQ(StreamLimits(*url, name), (std::pair<int64_t, int32_t>{7, 1000}));
  // b noticed nothing: the stream is there. Revisions started over.
  auto first = (*b)->Put("other", AsBytes("x"));
  ASSERT_TRUE(Ok(first));
  EXPECT_EQ(*first, 1u);

  ASSERT_TRUE(Ok(DeleteStream(*url, name)));
  auto lost_write = (*b)->Create("c", AsBytes("x"));
  EXPECT_EQ(lost_write.status().code(), Code::kUnavailable) << lost_write.status().ToString();
  EXPECT_TRUE(Contains(lost_write.status(), "the bucket was lost"))
      << lost_write.status().message();
  EXPECT_FALSE((*a)->Get("c")->has_value());  // not retried
  auto created = (*b)->Create("c", AsBytes("x"));
  ASSERT_TRUE(Ok(created));
  EXPECT_EQ(*created, 1u);
  // b created it this time, with its own settings.
  EXPECT_EQ(StreamLimits(*url, name), (std::pair<int64_t, int32_t>{5, 1024 * 1024}));
  DeleteBucket(*url, name);
}

// A watch whose bucket is lost notices (its periodic check), creates the bucket again,
// and starts over: kRestarted, the initial values (none), kInitialValuesDone, then what
// is written into the new bucket, with revisions started over.
TEST(NatsKvBucket, AWatchStartsOverWhenItsBucketIsLost) {
  REQUIRE_SERVER();
  auto url = SharedServerUrl();
  ASSERT_TRUE(Ok(url));
  const std::string name = UniqueBucketName();
  auto watcher = OpenOn(*url, name, FastChecks());
  auto writer = OpenOn(*url, name);
  ASSERT_TRUE(Ok(watcher) && Ok(writer));
  ASSERT_TRUE(Ok((*writer)->Put("a", AsBytes("1"))));
  ASSERT_TRUE(Ok((*writer)->Put("b", AsBytes("2"))));
  KvEventRecorder rec;
  auto watch = (*watcher)->Watch(rec.Handler());
  ASSERT_TRUE(Ok(watch));
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  EXPECT_EQ(rec.InitialValues().size(), 2u);

  ASSERT_TRUE(Ok(DeleteStream(*url, name)));
  auto markers = [](const std::vector<KvEvent>& events) {
    return std::count_if(events.begin(), events.end(), [](const KvEvent& e) {
      return e.kind == KvEvent::Kind::kInitialValuesDone;
    });
  };
  ASSERT_TRUE(rec.WaitUntil([&](const auto& events) { return markers(events) == 2; }, kKvWait));
  // The writer noticed nothing: the bucket is there again.
  auto c = (*writer)->Put("c", AsBytes("3"));
  ASSERT_TRUE(Ok(c));
  EXPECT_EQ(*c, 1u);
  ASSERT_TRUE(rec.WaitUntil([&](const auto& events) { return events.size() == 6; }, kKvWait));
  auto events = rec.Events();
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[3].kind, KvEvent::Kind::kRestarted);
  EXPECT_EQ(events[4].kind, KvEvent::Kind::kInitialValuesDone);
  EXPECT_EQ(events[5].kind, KvEvent::Kind::kPut);
  EXPECT_EQ(events[5].key, "c");
  EXPECT_EQ(events[5].revision, *c);
  EXPECT_FALSE((*writer)->Get("a")->has_value());
  watch->reset();
  DeleteBucket(*url, name);
}

// Holds a store's watch thread inside a listener call (a put of a link of `actor`) while
// armed, until released: that store notices nothing meanwhile (no event, no check of its
// stream), so that the tests can act between a loss and its refill.
class WatchGate : public lattice::LatticeStoreListener {
 public:
  void Arm(std::string actor) {
    std::lock_guard lock(mu_);
    actor_ = std::move(actor);
    entered_ = false;
    released_ = false;
  }
  void OnLinkPut(const lattice::LinkDefinition& link,
                 const std::optional<lattice::LinkDefinition>&) override {
    std::unique_lock lock(mu_);
    if (actor_.empty() || link.actor_id != actor_) return;
    entered_ = true;
    cv_.notify_all();
    cv_.wait_for(lock, kRestartWait, [&] { return released_; });  // bounded, whatever the test does
    actor_.clear();
  }
  bool WaitEntered() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kKvWait, [&] { return entered_; });
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string actor_;
  bool entered_ = false;
  bool released_ = false;
};

std::string LinkKey(const lattice::LinkDefinition& link) {
  return "LINKDEF_" + lattice::LinkId(link.actor_id, link.contract_id, link.link_name);
}

// The value of `key` read through `bucket`, "" when absent or unreadable.
std::string ValueOf(KvBucket& bucket, const std::string& key) {
  auto entry = bucket.Get(key);
  if (!entry.ok() || !entry->has_value()) return "";
  return Text((*entry)->value);
}

std::string OwnerIn(const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("public_key") || !j["public_key"].is_string()) return "";
  return j["public_key"].get<std::string>();
}

// The stream deleted under a LatticeStore with links, claims, an OCI reference and aliases
// in it, twice: first another host notices (its write fails and it creates the bucket
// again) and writes before this store's refill; then this store's own write notices.
// Each time the store keeps answering from its mirror, is degraded until it re-filled the
// bucket, never clobbers what the other host wrote, and a store started afterwards sees
// everything.
TEST(NatsKvBucket, ALostLatticeBucketComesBackFromTheMirror) {
  REQUIRE_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string url = (*server)->Url();
  const std::string name = "LATTICEDATA_" + UniqueBucketName();
  auto connection = Connect(url, "host-a");
  ASSERT_TRUE(Ok(connection));
  auto bucket = NatsKvBucket::Open(*connection, name, FastChecks());
  ASSERT_TRUE(Ok(bucket));
  WatchGate gate;
  lattice::DegradedRecorder degraded;
  lattice::StoreRecorder recorder;
  lattice::LatticeStore store(*bucket);
  store.AddListener(&gate);
  store.AddListener(&degraded);
  store.AddListener(&recorder);
  ASSERT_TRUE(Ok(store.Start(kKvWait)));

  lattice::TestActor actor;
  lattice::TestActor other;
  crypto::ActorClaimsSpec spec;
  spec.name = "echo";
  lattice::SignedClaims claims = actor.Sign(spec);
  using lattice::MakeLink;
  const auto l1 = MakeLink("Mone", "wasmcloud:httpserver", "default", "Vhttp");
  const auto l2 = MakeLink("Mtwo", "wasmcloud:keyvalue", "default", "Vredis");
  const auto l2b = MakeLink("Mtwo", "wasmcloud:keyvalue", "default", "Vredis", {{"url", "b"}});
  const auto l3 = MakeLink("Mthree", "wasmcloud:keyvalue", "default", "Vredis");
  const auto l4 = MakeLink("Mfour", "wasmcloud:keyvalue", "default", "Vredis");
  const auto gate1 = MakeLink("Mgate", "wasmcloud:keyvalue", "default", "Vredis", {{"round", "1"}});
  const auto gate2 = MakeLink("Mgate", "wasmcloud:keyvalue", "default", "Vredis", {{"round", "2"}});
  ASSERT_TRUE(Ok(store.PutLink(l1)));
  ASSERT_TRUE(Ok(store.PutLink(l2)));
  ASSERT_TRUE(Ok(store.PutClaims(claims.claims, claims.token)));
  ASSERT_TRUE(Ok(store.PutOciRef("registry/echo:1", actor.public_key())));
  auto echo = store.ClaimAlias("echo", actor.public_key());
  auto shared = store.ClaimAlias("shared", actor.public_key());
  ASSERT_TRUE(Ok(echo) && Ok(shared));
  ASSERT_EQ(*echo, actor.public_key());
  ASSERT_EQ(*shared, actor.public_key());
  EXPECT_FALSE(store.degraded());
  auto other_host = OpenOn(url, name, FastChecks());  // another host, on its own connection
  auto reader = OpenOn(url, name);
  ASSERT_TRUE(Ok(other_host) && Ok(reader));

  // 1. Lost while this store's watch is held: the other host notices first.
  gate.Arm("Mgate");
  ASSERT_TRUE(Ok((*other_host)->Put(LinkKey(gate1), AsBytes(lattice::LinkToJson(gate1)))));
  ASSERT_TRUE(gate.WaitEntered());
  ASSERT_TRUE(Ok(DeleteStream(url, name)));
  const std::string shared_by_other =
      R"({"alias":"shared","public_key":")" + other.public_key() + "\"}";
  auto lost = (*other_host)->Create("ALIAS_shared", AsBytes(shared_by_other));
  EXPECT_EQ(lost.status().code(), Code::kUnavailable) << lost.status().ToString();
  EXPECT_TRUE(Contains(lost.status(), "the bucket was lost")) << lost.status().message();
  // Written between the loss and this store's refill.
  ASSERT_TRUE(Ok((*other_host)->Create("ALIAS_shared", AsBytes(shared_by_other))));
  ASSERT_TRUE(Ok((*other_host)->Put(LinkKey(l2), AsBytes(lattice::LinkToJson(l2b)))));
  // The store keeps answering from its mirror.
  EXPECT_EQ(store.AliasOwner("echo"), actor.public_key());
  EXPECT_EQ(store.FindLink("Mone", "wasmcloud:httpserver", "default"), l1);
  EXPECT_TRUE(store.ready());
  gate.Release();

  // Its watch finds the stream replaced, starts over, and the store re-fills the bucket.
  ASSERT_TRUE(degraded.WaitFor(2));
  auto transitions = degraded.Calls();
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_TRUE(transitions[0].first);
  EXPECT_FALSE(transitions[1].first);
  // claims, reference, alias echo, l1 and the gate link; not what the other host wrote
  EXPECT_NE(transitions[1].second.find("was lost; re-filled 5 keys"), std::string::npos)
      << transitions[1].second;
  EXPECT_FALSE(store.degraded());
  // Back in the bucket, read on another connection; the other host's values stayed.
  EXPECT_EQ(OwnerIn(ValueOf(**reader, "ALIAS_echo")), actor.public_key());
  EXPECT_EQ(OwnerIn(ValueOf(**reader, "ALIAS_shared")), other.public_key());
  EXPECT_EQ(OwnerIn(ValueOf(**reader, "REFMAP_registry/echo=3A1")), actor.public_key());
  auto stored_claims =
      nlohmann::json::parse(ValueOf(**reader, "CLAIMS_" + actor.public_key()), nullptr, false);
  ASSERT_TRUE(stored_claims.is_object());
  EXPECT_EQ(stored_claims.value("jwt", ""), claims.token);
  auto stored_l1 = lattice::LinkFromJson(ValueOf(**reader, LinkKey(l1)));
  auto stored_l2 = lattice::LinkFromJson(ValueOf(**reader, LinkKey(l2)));
  ASSERT_TRUE(Ok(stored_l1) && Ok(stored_l2));
  EXPECT_EQ(*stored_l1, l1);
  EXPECT_EQ(*stored_l2, l2b);
  // The mirror took the other host's values.
  EXPECT_EQ(store.AliasOwner("shared"), other.public_key());
  EXPECT_EQ(store.FindLink("Mtwo", "wasmcloud:keyvalue", "default"), l2b);
  // Revisions started over: a write still returns once this store's watch brought it.
  ASSERT_TRUE(Ok(store.PutLink(l3)));
  EXPECT_EQ(store.FindLink("Mthree", "wasmcloud:keyvalue", "default"), l3);

  // 2. Lost again while the watch is held: this store's own write notices. It fails, is
  // not retried, and the bucket is created again and re-filled; the next write goes in.
  gate.Arm("Mgate");
  ASSERT_TRUE(Ok((*other_host)->Put(LinkKey(gate2), AsBytes(lattice::LinkToJson(gate2)))));
  ASSERT_TRUE(gate.WaitEntered());
  ASSERT_TRUE(Ok(DeleteStream(url, name)));
  Status failed = store.PutLink(l4);
  EXPECT_EQ(failed.code(), Code::kUnavailable) << failed.ToString();
  EXPECT_EQ(failed.message().rfind("lattice data unavailable: ", 0), 0u) << failed.message();
  EXPECT_TRUE(Contains(failed, "the bucket was lost")) << failed.message();
  gate.Release();
  ASSERT_TRUE(degraded.WaitFor(4));
  transitions = degraded.Calls();
  ASSERT_EQ(transitions.size(), 4u);
  EXPECT_NE(transitions[3].second.find("was lost; re-filled 8 keys"), std::string::npos)
      << transitions[3].second;
  EXPECT_EQ(ValueOf(**reader, LinkKey(l4)), "");  // the failed write left nothing
  EXPECT_EQ(OwnerIn(ValueOf(**reader, "ALIAS_shared")), other.public_key());
  ASSERT_TRUE(Ok(store.PutLink(l4)));

  // A host started now sees everything.
  auto late_bucket = OpenOn(url, name);
  ASSERT_TRUE(Ok(late_bucket));
  lattice::LatticeStore late(*late_bucket);
  ASSERT_TRUE(Ok(late.Start(kKvWait)));
  EXPECT_EQ(late.Links(), (std::vector<lattice::LinkDefinition>{l4, gate2, l1, l3, l2b}));
  EXPECT_EQ(store.Links(), late.Links());
  EXPECT_EQ(late.AliasOwner("echo"), actor.public_key());
  EXPECT_EQ(late.AliasOwner("shared"), other.public_key());
  EXPECT_EQ(late.ResolveOciRef("registry/echo:1"), actor.public_key());
  auto late_claims = late.Claims(actor.public_key());
  ASSERT_TRUE(late_claims.has_value());
  EXPECT_EQ(late_claims->jwt, claims.token);
  late.Stop();
  store.Stop();
}

// The bucket lost and created again by another host while this store's watch has not
// noticed yet (held by the gate: its check of the stream runs on that thread). A delete
// and a put this store makes meanwhile go into the new bucket, with revisions below what
// its watch had applied from the old one: each returns only once the watch started over
// and brought it (this store reads its own write), and the re-fill puts back neither the
// link this store deleted nor one the other host deleted in the new bucket. The writes
// make the bucket check its stream at once, rather than at the watch's next check.
TEST(NatsKvBucket, WritesIntoABucketCreatedAgainUnnoticedAreNotUndone) {
  REQUIRE_SERVER();
  auto server = JetStreamServer::Start();
  ASSERT_TRUE(Ok(server));
  const std::string url = (*server)->Url();
  const std::string name = "LATTICEDATA_" + UniqueBucketName();
  auto bucket = OpenOn(url, name);  // checks its stream every 5 s
  ASSERT_TRUE(Ok(bucket));
  WatchGate gate;
  lattice::DegradedRecorder degraded;
  // Less than the 5 s between the watch's own checks: the writes must make it check.
  lattice::LatticeStoreOptions options;
  options.apply_timeout = milliseconds(2000);
  lattice::LatticeStore store(*bucket, options);
  store.AddListener(&gate);
  store.AddListener(&degraded);
  ASSERT_TRUE(Ok(store.Start(kKvWait)));
  using lattice::MakeLink;
  const auto l1 = MakeLink("Mone", "wasmcloud:httpserver", "default", "Vhttp");
  const auto l2 = MakeLink("Mtwo", "wasmcloud:keyvalue", "default", "Vredis");
  const auto l3 = MakeLink("Mthree", "wasmcloud:keyvalue", "default", "Vredis");
  const auto l3b = MakeLink("Mthree", "wasmcloud:keyvalue", "default", "Vredis", {{"url", "b"}});
  const auto l4 = MakeLink("Mfour", "wasmcloud:keyvalue", "default", "Vredis");
  const auto gated = MakeLink("Mgate", "wasmcloud:keyvalue", "default", "Vredis");
  for (const auto& link : {l1, l2, l3, l3b}) ASSERT_TRUE(Ok(store.PutLink(link)));
  auto other_host = OpenOn(url, name, FastChecks());
  auto reader = OpenOn(url, name);
  ASSERT_TRUE(Ok(other_host) && Ok(reader));

  gate.Arm("Mgate");  // revision 5 in the old stream
  ASSERT_TRUE(Ok((*other_host)->Put(LinkKey(gated), AsBytes(lattice::LinkToJson(gated)))));
  ASSERT_TRUE(gate.WaitEntered());
  ASSERT_TRUE(Ok(DeleteStream(url, name)));
  // The other host notices and creates the bucket again; it deletes l2 there (revision 1).
  EXPECT_FALSE(Ok((*other_host)->Get(LinkKey(l1))));
  ASSERT_TRUE(Ok((*other_host)->Delete(LinkKey(l2))));
  KvEventRecorder seen;  // what reaches the new bucket
  auto watch = (*other_host)->Watch(seen.Handler());
  ASSERT_TRUE(Ok(watch));

  // This store deletes l1 and puts l4: revisions 2 and 3 of the new stream.
  auto deleted = std::async(std::launch::async, [&] {
    return store.DeleteLink("Mone", "wasmcloud:httpserver", "default").status();
  });
  auto put = std::async(std::launch::async, [&] { return store.PutLink(l4); });
  ASSERT_TRUE(seen.WaitUntil(
      [&](const std::vector<KvEvent>& events) {
        bool d = false;
        bool p = false;
        for (const KvEvent& e : events) {
          d = d || (e.kind == KvEvent::Kind::kDelete && e.key == LinkKey(l1));
          p = p || (e.kind == KvEvent::Kind::kPut && e.key == LinkKey(l4));
        }
        return d && p;
      },
      kKvWait));
  // Neither is in this store's mirror yet, and its watch is held: neither has returned.
  EXPECT_EQ(deleted.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(put.wait_for(milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(store.FindLink("Mone", "wasmcloud:httpserver", "default"), l1);
  gate.Release();

  Status deleted_status = deleted.get();
  EXPECT_TRUE(Ok(deleted_status));
  EXPECT_EQ(store.FindLink("Mone", "wasmcloud:httpserver", "default"), std::nullopt);
  EXPECT_TRUE(Ok(put.get()));
  EXPECT_EQ(store.FindLink("Mfour", "wasmcloud:keyvalue", "default"), l4);
  // The re-fill: l3 and the gated link; not l1 (deleted by this store), not l2 (deleted by
  // the other host in the new bucket).
  ASSERT_TRUE(degraded.WaitFor(2));
  auto transitions = degraded.Calls();
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_NE(transitions[1].second.find("was lost; re-filled 2 keys"), std::string::npos)
      << transitions[1].second;
  EXPECT_EQ(ValueOf(**reader, LinkKey(l1)), "");
  EXPECT_EQ(ValueOf(**reader, LinkKey(l2)), "");
  EXPECT_EQ(store.Links(), (std::vector<lattice::LinkDefinition>{l4, gated, l3b}));
  auto late_bucket = OpenOn(url, name);
  ASSERT_TRUE(Ok(late_bucket));
  lattice::LatticeStore late(*late_bucket);
  ASSERT_TRUE(Ok(late.Start(kKvWait)));
  EXPECT_EQ(late.Links(), store.Links());
  watch->reset();
  late.Stop();
  store.Stop();
}

}  // namespace
}  // namespace wasmcloud::nats
