#include "lattice/kv_conformance.h"

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace wasmcloud::lattice {

KvWatchHandler KvEventRecorder::Handler() {
  return [this](const KvEvent& event) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(event);
    }
    cv_.notify_all();
  };
}

std::vector<KvEvent> KvEventRecorder::Events() const {
  std::lock_guard lock(mu_);
  return events_;
}

namespace {

using Kind = KvEvent::Kind;

size_t MarkerIndex(const std::vector<KvEvent>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind == Kind::kInitialValuesDone) return i;
  }
  return events.size();
}

}  // namespace

std::vector<KvEvent> KvEventRecorder::Changes() const {
  std::lock_guard lock(mu_);
  size_t m = MarkerIndex(events_);
  if (m == events_.size()) return {};
  return {events_.begin() + static_cast<std::ptrdiff_t>(m) + 1, events_.end()};
}

std::vector<KvEvent> KvEventRecorder::InitialValues() const {
  std::lock_guard lock(mu_);
  return {events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(MarkerIndex(events_))};
}

bool KvEventRecorder::WaitUntil(const std::function<bool(const std::vector<KvEvent>&)>& done,
                                std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(events_); });
}

bool KvEventRecorder::WaitForMarker(std::chrono::milliseconds timeout) {
  return WaitUntil([](const auto& events) { return MarkerIndex(events) < events.size(); }, timeout);
}

bool KvEventRecorder::WaitForChanges(size_t count, std::chrono::milliseconds timeout) {
  return WaitUntil(
      [count](const auto& events) {
        size_t m = MarkerIndex(events);
        return m < events.size() && events.size() - m - 1 >= count;
      },
      timeout);
}

std::unique_ptr<KvTestBucket> CreateTestBucket(const KvImplementation& implementation,
                                               const KvBucketSpec& spec) {
  auto made = implementation.create(spec);
  EXPECT_TRUE(made.ok()) << "creating a " << implementation.name
                         << " bucket: " << made.status().ToString();
  if (!made.ok()) return nullptr;
  return *std::move(made);
}

std::shared_ptr<KvBucket> OpenHandle(KvTestBucket& bucket) {
  auto handle = bucket.Open();
  EXPECT_TRUE(handle.ok()) << "opening the bucket: " << handle.status().ToString();
  if (!handle.ok()) return nullptr;
  return *std::move(handle);
}

void KvConformance::SetUp() { NewBucket(KvBucketSpec{}); }

void KvConformance::TearDown() {
  bucket_.reset();
  test_bucket_.reset();
}

std::shared_ptr<KvBucket> KvConformance::NewBucket(const KvBucketSpec& spec) {
  bucket_.reset();
  test_bucket_ = CreateTestBucket(GetParam(), spec);
  if (test_bucket_) bucket_ = OpenHandle(*test_bucket_);
  return bucket_;
}

std::shared_ptr<KvBucket> KvConformance::OpenAnother() {
  if (!test_bucket_) return nullptr;
  return OpenHandle(*test_bucket_);
}

namespace {

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }

// Puts `value` under `key` and returns the revision (0 after a failed assertion).
uint64_t MustPut(KvBucket& bucket, std::string_view key, std::string_view value) {
  auto rev = bucket.Put(key, AsBytes(value));
  EXPECT_TRUE(rev.ok()) << key << ": " << rev.status().ToString();
  return rev.ok() ? *rev : 0;
}

// One write as its writer saw it, by the revision the bucket gave it.
struct Written {
  std::string key;
  Kind kind;
  std::string value;
};

// Waits until `rec` has seen the last of `written`, then checks what it saw: changes in
// strictly increasing revision order (so none twice), each exactly as it was written. A
// watcher that fell behind may skip a value the bucket no longer keeps (JetStream keeps
// `history` values per key), but only a value its key has since replaced: every key's last
// write is seen.
void ExpectWritesSeen(KvEventRecorder& rec, const std::map<uint64_t, Written>& written) {
  ASSERT_FALSE(written.empty());
  std::map<std::string, uint64_t> last_of_key;
  for (const auto& [revision, w] : written) last_of_key[w.key] = revision;
  const uint64_t last = written.rbegin()->first;
  ASSERT_TRUE(rec.WaitUntil(
      [&](const std::vector<KvEvent>& events) {
        return !events.empty() && events.back().revision == last;
      },
      kKvWait))
      << "the last write (revision " << last << ") was not seen";
  std::set<uint64_t> seen;
  uint64_t previous = 0;
  for (const KvEvent& change : rec.Changes()) {
    ASSERT_GT(change.revision, previous) << "changes out of revision order, or one twice";
    previous = change.revision;
    auto it = written.find(change.revision);
    ASSERT_NE(it, written.end()) << "a change nobody wrote: revision " << change.revision;
    EXPECT_EQ(change.key, it->second.key) << change.revision;
    EXPECT_EQ(change.kind, it->second.kind) << change.revision;
    EXPECT_EQ(Text(change.value), it->second.value) << change.revision;
    seen.insert(change.revision);
  }
  for (const auto& [revision, w] : written) {
    if (seen.count(revision) != 0) continue;
    EXPECT_LT(revision, last_of_key[w.key])
        << "the last write of " << w.key << " (revision " << revision << ") was skipped";
  }
}

TEST_P(KvConformance, PutGetAndRevisionsGrow) {
  ASSERT_TRUE(bucket());
  uint64_t r1 = MustPut(*bucket(), "a", "one");
  uint64_t r2 = MustPut(*bucket(), "b", "two");
  uint64_t r3 = MustPut(*bucket(), "a", "three");
  EXPECT_GT(r1, 0u);
  EXPECT_GT(r2, r1);
  EXPECT_GT(r3, r2);

  auto a = bucket()->Get("a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->key, "a");
  EXPECT_EQ(Text((*a)->value), "three");
  EXPECT_EQ((*a)->revision, r3);

  // Another handle (another host) reads the same.
  auto other = OpenAnother();
  ASSERT_TRUE(other);
  auto b = other->Get("b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ(Text((*b)->value), "two");
  EXPECT_EQ((*b)->revision, r2);

  auto missing = bucket()->Get("missing");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());

  // An empty value is a value.
  uint64_t r4 = MustPut(*bucket(), "empty", "");
  auto empty = bucket()->Get("empty");
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_TRUE((*empty)->value.empty());
  EXPECT_EQ((*empty)->revision, r4);
}

TEST_P(KvConformance, CreateIfAbsent) {
  ASSERT_TRUE(bucket());
  auto r1 = bucket()->Create("alias", AsBytes("first"));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();

  auto other = OpenAnother();
  ASSERT_TRUE(other);
  auto again = other->Create("alias", AsBytes("second"));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists) << again.status().ToString();
  auto value = bucket()->Get("alias");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(Text((*value)->value), "first");
  EXPECT_EQ((*value)->revision, *r1);

  // Deleted, the key may be created again.
  auto del = bucket()->Delete("alias");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  auto r2 = bucket()->Create("alias", AsBytes("third"));
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_GT(*r2, *del);
  value = bucket()->Get("alias");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(Text((*value)->value), "third");
}

// Restore writes only where the bucket holds nothing for the key, not even a delete
// marker (which Create writes over).
TEST_P(KvConformance, RestoreWritesOnlyWhereNothingWasWritten) {
  ASSERT_TRUE(bucket());
  auto r1 = bucket()->Restore("fresh", AsBytes("one"));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  auto value = bucket()->Get("fresh");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(Text((*value)->value), "one");
  EXPECT_EQ((*value)->revision, *r1);
  auto again = bucket()->Restore("fresh", AsBytes("two"));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists) << again.status().ToString();

  ASSERT_TRUE(bucket()->Delete("fresh").ok());
  ASSERT_TRUE(bucket()->Delete("never-put").ok());
  for (const char* key : {"fresh", "never-put"}) {
    auto over_marker = bucket()->Restore(key, AsBytes("three"));
    EXPECT_EQ(over_marker.status().code(), Code::kAlreadyExists)
        << key << ": " << over_marker.status().ToString();
    auto absent = bucket()->Get(key);
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value()) << key;
  }
  // Create still writes over the marker.
  ASSERT_TRUE(bucket()->Create("fresh", AsBytes("four")).ok());
  EXPECT_EQ(bucket()->Restore("bad..key", AsBytes("x")).status().code(), Code::kInvalidArgument);
}

TEST_P(KvConformance, DeleteWritesAMarker) {
  ASSERT_TRUE(bucket());
  uint64_t put = MustPut(*bucket(), "k", "v");
  auto del = bucket()->Delete("k");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_GT(*del, put);
  auto got = bucket()->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());

  // Deleting what is absent succeeds, with a revision of its own.
  auto del2 = bucket()->Delete("never-written");
  ASSERT_TRUE(del2.ok()) << del2.status().ToString();
  EXPECT_GT(*del2, *del);
}

TEST_P(KvConformance, WatchDeliversValuesThenMarkerThenChanges) {
  ASSERT_TRUE(bucket());
  MustPut(*bucket(), "a", "1");
  MustPut(*bucket(), "b", "2");
  uint64_t c = MustPut(*bucket(), "c", "3");
  uint64_t a = MustPut(*bucket(), "a", "4");  // a is now newer than c
  ASSERT_TRUE(bucket()->Delete("b").ok());

  auto other = OpenAnother();
  ASSERT_TRUE(other);
  KvEventRecorder rec;
  auto watch = other->Watch(rec.Handler());
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));

  // The current values only (b is deleted), in revision order.
  auto initial = rec.InitialValues();
  ASSERT_EQ(initial.size(), 2u);
  EXPECT_EQ(initial[0].kind, Kind::kPut);
  EXPECT_EQ(initial[0].key, "c");
  EXPECT_EQ(Text(initial[0].value), "3");
  EXPECT_EQ(initial[0].revision, c);
  EXPECT_EQ(initial[1].kind, Kind::kPut);
  EXPECT_EQ(initial[1].key, "a");
  EXPECT_EQ(Text(initial[1].value), "4");
  EXPECT_EQ(initial[1].revision, a);

  uint64_t d = MustPut(*bucket(), "d", "5");
  auto del = bucket()->Delete("a");
  ASSERT_TRUE(del.ok());
  uint64_t e = MustPut(*bucket(), "a", "6");
  ASSERT_TRUE(rec.WaitForChanges(3, kKvWait));
  auto changes = rec.Changes();
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].kind, Kind::kPut);
  EXPECT_EQ(changes[0].key, "d");
  EXPECT_EQ(Text(changes[0].value), "5");
  EXPECT_EQ(changes[0].revision, d);
  EXPECT_EQ(changes[1].kind, Kind::kDelete);
  EXPECT_EQ(changes[1].key, "a");
  EXPECT_EQ(changes[1].revision, *del);
  EXPECT_EQ(changes[2].kind, Kind::kPut);
  EXPECT_EQ(changes[2].key, "a");
  EXPECT_EQ(Text(changes[2].value), "6");
  EXPECT_EQ(changes[2].revision, e);
}

TEST_P(KvConformance, WatchOnAnEmptyBucketGetsTheMarker) {
  ASSERT_TRUE(bucket());
  KvEventRecorder rec;
  auto watch = bucket()->Watch(rec.Handler());
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  auto events = rec.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kInitialValuesDone);

  uint64_t r = MustPut(*bucket(), "k", "v");
  ASSERT_TRUE(rec.WaitForChanges(1, kKvWait));
  EXPECT_EQ(rec.Changes()[0].revision, r);
}

// Two watchers on two handles see the writes of two concurrent writers in revision
// order, each change as it was written. A watcher that falls behind may skip a value the
// bucket no longer keeps (JetStream keeps `history` values per key and drops older ones,
// so a lagging watcher never sees them), but only a value its key has since replaced: it
// always sees every key's last write.
TEST_P(KvConformance, TwoWatchersSeeTheSameOrder) {
  ASSERT_TRUE(bucket());
  auto other = OpenAnother();
  ASSERT_TRUE(other);
  KvEventRecorder rec1, rec2;
  auto w1 = bucket()->Watch(rec1.Handler());
  auto w2 = other->Watch(rec2.Handler());
  ASSERT_TRUE(w1.ok() && w2.ok());
  ASSERT_TRUE(rec1.WaitForMarker(kKvWait));
  ASSERT_TRUE(rec2.WaitForMarker(kKvWait));

  std::mutex written_mu;
  std::map<uint64_t, Written> written;  // by revision
  constexpr int kPerWriter = 100;
  auto write = [&](std::shared_ptr<KvBucket> b, std::string prefix) {
    for (int i = 0; i < kPerWriter; ++i) {
      std::string key = i % 3 == 0 ? "shared" : prefix + std::to_string(i);
      std::string value = prefix + std::to_string(i);
      Result<uint64_t> r = i % 10 == 9 ? b->Delete(key) : b->Put(key, AsBytes(value));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      std::lock_guard lock(written_mu);
      written[*r] = i % 10 == 9 ? Written{key, Kind::kDelete, ""} : Written{key, Kind::kPut, value};
    }
  };
  std::thread t1(write, bucket(), "x");
  std::thread t2(write, other, "y");
  t1.join();
  t2.join();
  ASSERT_EQ(written.size(), 2u * kPerWriter);

  {
    SCOPED_TRACE("watcher 1");
    ExpectWritesSeen(rec1, written);
  }
  {
    SCOPED_TRACE("watcher 2");
    ExpectWritesSeen(rec2, written);
  }
}

TEST_P(KvConformance, DestroyingAWatchStopsIt) {
  ASSERT_TRUE(bucket());
  auto other = OpenAnother();
  ASSERT_TRUE(other);
  KvEventRecorder stopped, sentinel;
  auto watch = bucket()->Watch(stopped.Handler());
  auto sentinel_watch = other->Watch(sentinel.Handler());
  ASSERT_TRUE(watch.ok() && sentinel_watch.ok());
  MustPut(*bucket(), "before", "1");
  ASSERT_TRUE(stopped.WaitForChanges(1, kKvWait));
  ASSERT_TRUE(sentinel.WaitForChanges(1, kKvWait));

  watch->reset();
  size_t seen = stopped.Events().size();
  MustPut(*bucket(), "after", "2");
  ASSERT_TRUE(sentinel.WaitForChanges(2, kKvWait));
  // The sentinel has the write; the stopped watch never gets it.
  EXPECT_EQ(stopped.Events().size(), seen);
}

TEST_P(KvConformance, DestroyingAWatchWaitsForItsRunningHandler) {
  ASSERT_TRUE(bucket());
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  std::atomic<bool> handler_returned{false};
  std::atomic<int> calls{0};
  auto watch = bucket()->Watch([&](const KvEvent& event) {
    if (event.kind != Kind::kPut) return;
    calls.fetch_add(1);
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    lock.unlock();
    handler_returned.store(true);
  });
  ASSERT_TRUE(watch.ok());
  MustPut(*bucket(), "k", "v");
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kKvWait, [&] { return entered; }));
  }

  std::atomic<bool> destroying{false};
  bool returned_after_handler = false;
  std::thread destroyer([&] {
    destroying.store(true);
    watch->reset();
    returned_after_handler = handler_returned.load();
  });
  while (!destroying.load()) std::this_thread::yield();
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  destroyer.join();
  EXPECT_TRUE(returned_after_handler);
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(KvConformance, AWatchCanBeDestroyedFromItsHandler) {
  ASSERT_TRUE(bucket());
  std::mutex mu;
  std::atomic<int> puts{0};
  // Owned by the handler: the handler still runs (on its own) after the test has seen it,
  // so what it touches after destroying its watch must live as long as it does.
  auto destructor_returned = std::make_shared<std::promise<void>>();
  std::future<void> returned = destructor_returned->get_future();
  std::unique_ptr<KvWatch> self;  // destroyed before what its handler uses
  auto watch = bucket()->Watch([&, destructor_returned](const KvEvent& event) {
    if (event.kind != Kind::kPut) return;
    puts.fetch_add(1);
    if (event.key != "stop") return;
    std::unique_ptr<KvWatch> mine;
    {
      std::lock_guard lock(mu);
      mine = std::move(self);
    }
    mine.reset();  // returns at once, although this handler is still running
    destructor_returned->set_value();
  });
  ASSERT_TRUE(watch.ok());
  {
    std::lock_guard lock(mu);
    self = *std::move(watch);
  }
  auto other = OpenAnother();
  ASSERT_TRUE(other);
  KvEventRecorder sentinel;
  auto sentinel_watch = other->Watch(sentinel.Handler());
  ASSERT_TRUE(sentinel_watch.ok());
  ASSERT_TRUE(sentinel.WaitForMarker(kKvWait));

  MustPut(*bucket(), "stop", "1");
  MustPut(*bucket(), "after", "2");
  ASSERT_TRUE(sentinel.WaitForChanges(2, kKvWait));
  ASSERT_EQ(returned.wait_for(kKvWait), std::future_status::ready);
  EXPECT_EQ(puts.load(), 1);  // "stop" only
  std::lock_guard lock(mu);
  EXPECT_EQ(self, nullptr);
}

TEST_P(KvConformance, InvalidKeysAreRefused) {
  ASSERT_TRUE(bucket());
  const std::vector<std::string> invalid = {
      "",
      ".a",
      "a.",
      "a..b",
      "a b",
      "a*",
      "a>",
      "a\n",
      "a:b",
      "a\xc3\xa9",
      std::string("a\0b", 3),
      std::string(256, 'k'),
  };
  for (const std::string& key : invalid) {
    SCOPED_TRACE("key \"" + key + "\"");
    EXPECT_EQ(bucket()->Put(key, AsBytes("v")).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(bucket()->Create(key, AsBytes("v")).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(bucket()->Delete(key).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(bucket()->Get(key).status().code(), Code::kInvalidArgument);
    EXPECT_EQ(ValidateKvKey(key).code(), Code::kInvalidArgument);
  }
  const std::vector<std::string> valid = {"a", "A-b_c/d=e.f", "x.y.z", std::string(255, 'k')};
  for (const std::string& key : valid) {
    SCOPED_TRACE("key \"" + key + "\"");
    EXPECT_TRUE(ValidateKvKey(key).ok());
    uint64_t r = MustPut(*bucket(), key, "v");
    auto got = bucket()->Get(key);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->revision, r);
  }
}

TEST_P(KvConformance, ValuesOverTheLimitAreRefused) {
  auto b = NewBucket(KvBucketSpec{.max_value_size = 1024});
  ASSERT_TRUE(b);
  uint64_t r = MustPut(*b, "k", std::string(1024, 'x'));
  auto big = b->Put("k", AsBytes(std::string(1025, 'y')));
  EXPECT_EQ(big.status().code(), Code::kResourceExhausted) << big.status().ToString();
  auto big_create = b->Create("new", AsBytes(std::string(4096, 'y')));
  EXPECT_EQ(big_create.status().code(), Code::kResourceExhausted);
  auto got = b->Get("k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->revision, r);
  EXPECT_EQ((*got)->value.size(), 1024u);
  auto absent = b->Get("new");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

// Four writers on two handles, some keys shared: every write gets its own revision, and
// the watch sees them in revision order, none twice, each as written (skipping only
// values their key has since replaced, as ExpectWritesSeen says).
TEST_P(KvConformance, ConcurrentWritersAreSeenInOrderOnce) {
  ASSERT_TRUE(bucket());
  KvEventRecorder rec;
  auto watch = bucket()->Watch(rec.Handler());
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));

  constexpr int kWriters = 4;
  constexpr int kWrites = 100;
  std::vector<std::shared_ptr<KvBucket>> handles = {bucket(), OpenAnother()};
  ASSERT_TRUE(handles[1]);
  std::mutex written_mu;
  std::map<uint64_t, Written> written;  // by revision
  size_t duplicates = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      auto& b = handles[t % handles.size()];
      for (int i = 0; i < kWrites; ++i) {
        // Some keys are shared between writers, some are not.
        std::string key = i % 2 == 0 ? "k" + std::to_string(i % 10) : "w" + std::to_string(t);
        std::string value = std::to_string(t) + ":" + std::to_string(i);
        auto rev = b->Put(key, AsBytes(value));
        EXPECT_TRUE(rev.ok()) << rev.status().ToString();
        if (!rev.ok()) continue;
        std::lock_guard lock(written_mu);
        if (!written.emplace(*rev, Written{key, Kind::kPut, value}).second) ++duplicates;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(duplicates, 0u) << "two writes were given the same revision";
  ASSERT_EQ(written.size(), static_cast<size_t>(kWriters * kWrites));
  ExpectWritesSeen(rec, written);
}

// A watcher slower than its writers (its handler takes a millisecond per change) still
// ends with every key's last write, in order, each change as written. (JetStream stops
// sending to a consumer that does not keep up and meanwhile drops values past a key's
// history, so such a watcher skips some: ExpectWritesSeen allows exactly that.)
TEST_P(KvConformance, ASlowWatcherStillSeesEveryKeysLastWrite) {
  ASSERT_TRUE(bucket());
  KvEventRecorder rec;
  KvWatchHandler record = rec.Handler();
  auto watch = bucket()->Watch([&record](const KvEvent& event) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    record(event);
  });
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  std::map<uint64_t, Written> written;
  const std::string padding(4000, 'x');
  for (int i = 0; i < 1000; ++i) {
    std::string key = "k" + std::to_string(i % 3);
    std::string value = std::to_string(i) + padding;
    uint64_t revision = MustPut(*bucket(), key, value);
    ASSERT_NE(revision, 0u);
    written.emplace(revision, Written{key, Kind::kPut, value});
  }
  ExpectWritesSeen(rec, written);
}

}  // namespace
}  // namespace wasmcloud::lattice
