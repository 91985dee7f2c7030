// MemoryKvBucket: both conformance suites over it, and its test hooks (paused watches,
// an outage, a lost bucket) with the LatticeStore on top.
#include "lattice/memory_kv_bucket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
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

namespace wasmcloud::lattice {
namespace {

using std::chrono::milliseconds;

// Every handle is the bucket itself: in one process, hosts share the object.
class MemoryTestBucket final : public KvTestBucket {
 public:
  explicit MemoryTestBucket(const KvBucketSpec& spec)
      : bucket_(std::make_shared<MemoryKvBucket>(
            "LATTICEDATA_test", MemoryKvOptions{.max_value_size = spec.max_value_size})) {}
  Result<std::shared_ptr<KvBucket>> Open() override { return std::shared_ptr<KvBucket>(bucket_); }

 private:
  std::shared_ptr<MemoryKvBucket> bucket_;
};

const KvImplementation kMemory{
    "Memory", [](const KvBucketSpec& spec) -> Result<std::unique_ptr<KvTestBucket>> {
      return std::unique_ptr<KvTestBucket>(std::make_unique<MemoryTestBucket>(spec));
    }};

INSTANTIATE_TEST_SUITE_P(Memory, KvConformance, ::testing::Values(kMemory), KvImplementationName);
INSTANTIATE_TEST_SUITE_P(Memory, LatticeStoreConformance, ::testing::Values(kMemory),
                         KvImplementationName);

TEST(MemoryKvBucket, PausedWatchesQueueEventsInOrder) {
  MemoryKvBucket bucket("b");
  EXPECT_EQ(bucket.name(), "b");
  KvEventRecorder rec;
  auto watch = bucket.Watch(rec.Handler());
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));

  bucket.PauseWatches();
  auto r1 = bucket.Put("a", AsBytes("1"));
  auto r2 = bucket.Delete("a");
  auto r3 = bucket.Put("b", AsBytes("2"));
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());  // writes still succeed
  // A watch started while paused gets nothing either, not even its initial values.
  KvEventRecorder late;
  auto late_watch = bucket.Watch(late.Handler());
  ASSERT_TRUE(late_watch.ok());
  // Nothing may arrive; this bounded wait is the only way to see "nothing".
  EXPECT_FALSE(rec.WaitForChanges(1, milliseconds(100)));
  EXPECT_TRUE(late.Events().empty());

  bucket.ResumeWatches();
  ASSERT_TRUE(rec.WaitForChanges(3, kKvWait));
  auto changes = rec.Changes();
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].revision, *r1);
  EXPECT_EQ(changes[1].kind, KvEvent::Kind::kDelete);
  EXPECT_EQ(changes[1].revision, *r2);
  EXPECT_EQ(changes[2].revision, *r3);
  ASSERT_TRUE(late.WaitForMarker(kKvWait));
  auto initial = late.InitialValues();
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0].key, "b");
}

TEST(MemoryKvBucket, AnOutageFailsCallsButKeepsWatches) {
  MemoryKvBucket bucket("b");
  KvEventRecorder rec;
  auto watch = bucket.Watch(rec.Handler());
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(bucket.Put("k", AsBytes("v")).ok());

  bucket.SetUnavailable(true);
  for (const Status& st :
       {bucket.Put("k", AsBytes("w")).status(), bucket.Create("n", AsBytes("w")).status(),
        bucket.Delete("k").status(), bucket.Get("k").status()}) {
    EXPECT_EQ(st.code(), Code::kUnavailable);
    EXPECT_EQ(st.message(), "lattice data unavailable");
  }
  // Watches may still start during the outage.
  KvEventRecorder during;
  auto during_watch = bucket.Watch(during.Handler());
  ASSERT_TRUE(during_watch.ok());
  ASSERT_TRUE(during.WaitForMarker(kKvWait));

  bucket.SetUnavailable(false);
  auto r = bucket.Put("k", AsBytes("after"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(rec.WaitForChanges(2, kKvWait));
  ASSERT_TRUE(during.WaitForChanges(1, kKvWait));
  EXPECT_EQ(rec.Changes()[1].revision, *r);
  EXPECT_EQ(during.Changes()[0].revision, *r);
  auto got = bucket.Get("k");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(std::string(AsChars((*got)->value)), "after");
}

TEST(MemoryKvBucket, AWatchOutlivesItsBucketObject) {
  KvEventRecorder rec;
  std::unique_ptr<KvWatch> watch;
  {
    auto bucket = std::make_unique<MemoryKvBucket>("b");
    ASSERT_TRUE(bucket->Put("k", AsBytes("v")).ok());
    auto w = bucket->Watch(rec.Handler());
    ASSERT_TRUE(w.ok());
    watch = *std::move(w);
  }
  ASSERT_TRUE(rec.WaitForMarker(kKvWait));
  EXPECT_EQ(rec.InitialValues().size(), 1u);
  watch.reset();
}

TEST(MemoryKvBucket, AWatchNeedsAHandler) {
  MemoryKvBucket bucket("b");
  EXPECT_EQ(bucket.Watch(nullptr).status().code(), Code::kInvalidArgument);
}

TEST(MemoryLatticeStore, StartWithPausedWatchesTimesOutAndBecomesReady) {
  auto bucket = std::make_shared<MemoryKvBucket>("LATTICEDATA_test");
  {
    LatticeStore writer(bucket);
    ASSERT_TRUE(writer.Start(kKvWait).ok());
    ASSERT_TRUE(writer.PutLink(MakeLink("Mold", "wasmcloud:httpserver", "default", "V")).ok());
  }
  bucket->PauseWatches();
  StoreRecorder recorder;
  LatticeStoreOptions options;
  options.apply_timeout = milliseconds(100);
  LatticeStore store(bucket, options);
  store.AddListener(&recorder);
  Status started = store.Start(milliseconds(100));
  EXPECT_EQ(started.code(), Code::kDeadlineExceeded) << started.ToString();
  EXPECT_FALSE(store.ready());

  // A write goes in, but the watch cannot bring it back.
  LinkDefinition link = MakeLink("Mnew", "wasmcloud:httpserver", "default", "V");
  Status put = store.PutLink(link);
  EXPECT_EQ(put.code(), Code::kDeadlineExceeded) << put.ToString();
  EXPECT_EQ(put.message().rfind("written, but", 0), 0u) << put.message();
  EXPECT_FALSE(store.FindLink("Mnew", "wasmcloud:httpserver", "default").has_value());
  EXPECT_FALSE(store.ready());

  bucket->ResumeWatches();
  ASSERT_TRUE(recorder.WaitUntil([](const auto& calls) { return calls.size() >= 2; }));
  // The initial value, the marker (ready) and then the write, in that order.
  EXPECT_TRUE(store.ready());
  auto calls = recorder.Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].link.actor_id, "Mold");
  EXPECT_EQ(calls[1].link, link);
  EXPECT_TRUE(store.FindLink("Mnew", "wasmcloud:httpserver", "default").has_value());
}

TEST(MemoryLatticeStore, WritesFailDuringAnOutageAndTheMirrorStays) {
  auto bucket = std::make_shared<MemoryKvBucket>("LATTICEDATA_test");
  StoreRecorder recorder;
  LatticeStore store(bucket);
  store.AddListener(&recorder);
  ASSERT_TRUE(store.Start(kKvWait).ok());
  LinkDefinition link = MakeLink("Mactor", "wasmcloud:keyvalue", "default", "Vredis");
  ASSERT_TRUE(store.PutLink(link).ok());
  TestActor actor;
  crypto::ActorClaimsSpec spec;
  spec.name = "down";
  SignedClaims signed_claims = actor.Sign(spec);

  bucket->SetUnavailable(true);
  std::vector<Status> errors = {
      store.PutLink(MakeLink("Mother", "wasmcloud:keyvalue", "default", "Vredis")),
      store.DeleteLink("Mactor", "wasmcloud:keyvalue", "default").status(),
      store.PutClaims(signed_claims.claims, signed_claims.token),
      store.PutOciRef("registry/down:1", actor.public_key()),
      store.ClaimAlias("down", actor.public_key()).status(),
  };
  for (const Status& st : errors) {
    EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
    EXPECT_EQ(st.message().rfind("lattice data unavailable: ", 0), 0u) << st.message();
  }
  // Reads keep coming from the mirror.
  EXPECT_EQ(store.FindLink("Mactor", "wasmcloud:keyvalue", "default"), link);
  EXPECT_TRUE(store.ready());

  // Back: the same watch goes on.
  bucket->SetUnavailable(false);
  ASSERT_TRUE(store.PutClaims(signed_claims.claims, signed_claims.token).ok());
  ASSERT_TRUE(store.DeleteLink("Mactor", "wasmcloud:keyvalue", "default").ok());
  auto calls = recorder.Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].kind, StoreRecorder::Call::Kind::kClaims);
  EXPECT_EQ(calls[2].kind, StoreRecorder::Call::Kind::kLinkDeleted);
}

// What another host wrote a moment ago, before this host's watch brought it: the
// read-through finds it in the bucket (verified as the watch would), the mirror does not.
TEST(MemoryLatticeStore, FetchReadsWhatTheMirrorDoesNotHaveYet) {
  auto bucket = std::make_shared<MemoryKvBucket>("LATTICEDATA_test");
  LatticeStore reader(bucket);
  ASSERT_TRUE(reader.Start(kKvWait).ok());
  TestActor actor;
  crypto::ActorClaimsSpec spec;
  spec.name = "fresh";
  SignedClaims signed_claims = actor.Sign(spec);
  bucket->PauseWatches();  // no watch brings anything until resumed
  {
    LatticeStoreOptions options;
    options.apply_timeout = std::chrono::milliseconds(50);
    LatticeStore writer(bucket, options);
    bucket->ResumeWatches();  // the writer's Start needs its initial values
    ASSERT_TRUE(writer.Start(kKvWait).ok());
    bucket->PauseWatches();
    EXPECT_EQ(writer.PutClaims(signed_claims.claims, signed_claims.token).code(),
              Code::kDeadlineExceeded);  // written, not seen back in 50 ms
    EXPECT_EQ(writer.ClaimAlias("fresh/alias", actor.public_key()).status().code(),
              Code::kDeadlineExceeded);
  }
  EXPECT_FALSE(reader.Claims(actor.public_key()).has_value());
  EXPECT_EQ(reader.AliasOwner("fresh/alias"), "");
  auto claims = reader.FetchClaims(actor.public_key());
  ASSERT_TRUE(claims.ok()) << claims.status().message();
  ASSERT_TRUE(claims->has_value());
  EXPECT_EQ((*claims)->claims.sub, actor.public_key());
  EXPECT_EQ((*claims)->jwt, signed_claims.token);
  auto owner = reader.FetchAliasOwner("fresh/alias");
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(*owner, actor.public_key());
  // Nothing there: empty, not an error; a value that does not verify is not taken.
  TestActor other;
  EXPECT_FALSE(reader.FetchClaims(other.public_key())->has_value());
  EXPECT_EQ(*reader.FetchAliasOwner("nobody"), "");
  ASSERT_TRUE(
      bucket->Put("CLAIMS_" + other.public_key(), AsBytes(std::string(R"({"jwt":"a.b.c"})"))).ok());
  EXPECT_FALSE(reader.FetchClaims(other.public_key())->has_value());
  bucket->SetUnavailable(true);
  EXPECT_EQ(reader.FetchClaims(other.public_key()).status().code(), Code::kUnavailable);
  bucket->SetUnavailable(false);
  bucket->ResumeWatches();
}

std::string Owner(KvBucket& bucket, const std::string& key) {
  auto entry = bucket.Get(key);
  if (!entry.ok() || !entry->has_value()) return "";
  auto j = nlohmann::json::parse(std::string(AsChars((*entry)->value)), nullptr, false);
  return j.is_object() && j.contains("public_key") ? j["public_key"].get<std::string>() : "";
}

// The bucket lost and there again, empty: the store keeps answering from its mirror,
// takes what another host wrote meanwhile (its values win), puts back the rest with
// create-if-absent, and a store started afterwards sees everything.
TEST(MemoryLatticeStore, ALostBucketIsRefilledFromTheMirror) {
  auto bucket = std::make_shared<MemoryKvBucket>("LATTICEDATA_test");
  StoreRecorder recorder;
  DegradedRecorder degraded;
  LatticeStoreOptions options;
  options.apply_timeout = milliseconds(100);
  LatticeStore store(bucket, options);
  store.AddListener(&recorder);
  store.AddListener(&degraded);
  ASSERT_TRUE(store.Start(kKvWait).ok());
  TestActor actor;
  TestActor other;
  crypto::ActorClaimsSpec spec;
  spec.name = "echo";
  SignedClaims signed_claims = actor.Sign(spec);
  const LinkDefinition l1 = MakeLink("Mone", "wasmcloud:httpserver", "default", "Vhttp");
  const LinkDefinition l2 = MakeLink("Mtwo", "wasmcloud:keyvalue", "default", "Vredis");
  const LinkDefinition l2b =
      MakeLink("Mtwo", "wasmcloud:keyvalue", "default", "Vredis", {{"url", "b"}});
  ASSERT_TRUE(store.PutLink(l1).ok());
  ASSERT_TRUE(store.PutLink(l2).ok());
  ASSERT_TRUE(store.PutClaims(signed_claims.claims, signed_claims.token).ok());
  ASSERT_TRUE(store.PutOciRef("registry/echo:1", actor.public_key()).ok());
  ASSERT_TRUE(*store.ClaimAlias("echo", actor.public_key()) == actor.public_key());
  ASSERT_TRUE(*store.ClaimAlias("shared", actor.public_key()) == actor.public_key());
  // More revisions than the new bucket will reach here (not lattice data: ignored).
  uint64_t last = 0;
  for (int i = 0; i < 20; ++i) last = *bucket->Put("padding", AsBytes(std::to_string(i)));
  ASSERT_TRUE(store.PutOciRef("registry/sync:1", actor.public_key()).ok());  // past `last`
  const size_t calls_before = recorder.size();
  EXPECT_FALSE(store.degraded());
  EXPECT_GT(last, 20u);

  // Lost; before this store's watch hears of it, another host writes into the new bucket.
  bucket->PauseWatches();
  bucket->LoseAndRecreate();
  EXPECT_FALSE(bucket->Get("ALIAS_echo")->has_value());
  const std::string shared_by_other =
      R"({"alias":"shared","public_key":")" + other.public_key() + "\"}";
  ASSERT_TRUE(bucket->Create("ALIAS_shared", AsBytes(shared_by_other)).ok());
  ASSERT_TRUE(bucket
                  ->Put("LINKDEF_" + LinkId("Mtwo", "wasmcloud:keyvalue", "default"),
                        AsBytes(LinkToJson(l2b)))
                  .ok());
  // Reads keep coming from the mirror.
  EXPECT_EQ(store.AliasOwner("echo"), actor.public_key());
  EXPECT_EQ(store.FindLink("Mone", "wasmcloud:httpserver", "default"), l1);
  bucket->ResumeWatches();

  ASSERT_TRUE(degraded.WaitFor(2));
  auto transitions = degraded.Calls();
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_TRUE(transitions[0].first);
  EXPECT_FALSE(transitions[1].first);
  EXPECT_NE(transitions[1].second.find("was lost; re-filled 5 keys"), std::string::npos)
      << transitions[1].second;
  EXPECT_FALSE(store.degraded());
  // What this host had is back in the bucket; what the other host wrote stayed.
  EXPECT_EQ(Owner(*bucket, "ALIAS_echo"), actor.public_key());
  EXPECT_EQ(Owner(*bucket, "ALIAS_shared"), other.public_key());
  EXPECT_EQ(Owner(*bucket, "REFMAP_registry/echo=3A1"), actor.public_key());
  EXPECT_TRUE(bucket->Get("CLAIMS_" + actor.public_key())->has_value());
  auto stored_l2 = bucket->Get("LINKDEF_" + LinkId("Mtwo", "wasmcloud:keyvalue", "default"));
  ASSERT_TRUE(stored_l2.ok() && stored_l2->has_value());
  EXPECT_EQ(*LinkFromJson(AsChars((*stored_l2)->value)), l2b);
  // The mirror took the other host's values (the listeners were told), dropped nothing.
  ASSERT_TRUE(recorder.WaitUntil([&](const auto& c) { return c.size() >= calls_before + 2; }));
  EXPECT_EQ(store.AliasOwner("shared"), other.public_key());
  EXPECT_EQ(store.FindLink("Mtwo", "wasmcloud:keyvalue", "default"), l2b);
  EXPECT_EQ(store.AliasOwner("echo"), actor.public_key());
  EXPECT_TRUE(store.Claims(actor.public_key()).has_value());
  auto calls = recorder.Calls();
  ASSERT_EQ(calls.size(), calls_before + 2);
  EXPECT_EQ(calls[calls_before].kind, StoreRecorder::Call::Kind::kAlias);
  EXPECT_EQ(calls[calls_before + 1].kind, StoreRecorder::Call::Kind::kLinkPut);

  // Revisions started over: a write still waits for this store's watch to apply it (its
  // revision is below those the old bucket had reached).
  const LinkDefinition l3 = MakeLink("Mthree", "wasmcloud:keyvalue", "default", "Vredis");
  bucket->PauseWatches();
  Status unseen = store.PutLink(l3);
  EXPECT_EQ(unseen.code(), Code::kDeadlineExceeded) << unseen.ToString();
  EXPECT_FALSE(store.FindLink("Mthree", "wasmcloud:keyvalue", "default").has_value());
  bucket->ResumeWatches();
  ASSERT_TRUE(recorder.WaitForCall([&](const StoreRecorder::Call& c) { return c.link == l3; }));
  EXPECT_EQ(store.FindLink("Mthree", "wasmcloud:keyvalue", "default"), l3);

  LatticeStore late(bucket);
  ASSERT_TRUE(late.Start(kKvWait).ok());
  EXPECT_EQ(late.Links(), (std::vector<LinkDefinition>{l1, l3, l2b}));
  EXPECT_EQ(late.AliasOwner("echo"), actor.public_key());
  EXPECT_EQ(late.AliasOwner("shared"), other.public_key());
  EXPECT_EQ(late.ResolveOciRef("registry/echo:1"), actor.public_key());
  ASSERT_TRUE(late.Claims(actor.public_key()).has_value());
  EXPECT_EQ(late.Claims(actor.public_key())->jwt, signed_claims.token);
}

// A key deleted in the new bucket after the restart's initial values, before this store's
// re-fill (by another host): the re-fill does not put it back over the delete marker
// (Restore, not Create), and the delete reaches the mirror.
TEST(MemoryLatticeStore, ARefillDoesNotUndoADeleteMadeInTheNewBucket) {
  auto bucket = std::make_shared<MemoryKvBucket>("LATTICEDATA_test");
  StoreRecorder recorder;
  DegradedRecorder degraded;
  LatticeStore store(bucket);
  store.AddListener(&recorder);
  store.AddListener(&degraded);
  ASSERT_TRUE(store.Start(kKvWait).ok());
  const LinkDefinition l1 = MakeLink("Mone", "wasmcloud:httpserver", "default", "Vhttp");
  const LinkDefinition l2 = MakeLink("Mtwo", "wasmcloud:keyvalue", "default", "Vredis");
  ASSERT_TRUE(store.PutLink(l1).ok());
  ASSERT_TRUE(store.PutLink(l2).ok());
  const std::string key1 = "LINKDEF_" + LinkId("Mone", "wasmcloud:httpserver", "default");

  bucket->PauseWatches();
  bucket->LoseAndRecreate();
  ASSERT_TRUE(bucket->Delete(key1).ok());  // queued after the restart's initial values
  bucket->ResumeWatches();

  ASSERT_TRUE(degraded.WaitFor(2));
  auto transitions = degraded.Calls();
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_NE(transitions[1].second.find("re-filled 1 keys from this host's mirror (1 more were "
                                       "there already"),
            std::string::npos)
      << transitions[1].second;
  ASSERT_TRUE(recorder.WaitForCall([&](const StoreRecorder::Call& c) {
    return c.kind == StoreRecorder::Call::Kind::kLinkDeleted && c.link == l1;
  }));
  EXPECT_FALSE(bucket->Get(key1)->has_value());
  EXPECT_EQ(store.Links(), (std::vector<LinkDefinition>{l2}));
  LatticeStore late(bucket);
  ASSERT_TRUE(late.Start(kKvWait).ok());
  EXPECT_EQ(late.Links(), (std::vector<LinkDefinition>{l2}));
}

TEST(MemoryLatticeStore, StopFromInsideAListener) {
  auto bucket = std::make_shared<MemoryKvBucket>("LATTICEDATA_test");
  struct Stopper : LatticeStoreListener {
    LatticeStore* store = nullptr;
    std::atomic<int> calls{0};
    void OnLinkPut(const LinkDefinition&, const std::optional<LinkDefinition>&) override {
      calls.fetch_add(1);
      store->Stop();
    }
  };
  Stopper stopper;
  StoreRecorder after;  // added after the stopper: not called once it stopped the store
  LatticeStore store(bucket);
  stopper.store = &store;
  store.AddListener(&stopper);
  store.AddListener(&after);
  ASSERT_TRUE(store.Start(kKvWait).ok());
  Status put = store.PutLink(MakeLink("Mactor", "wasmcloud:httpserver", "default", "V"));
  EXPECT_EQ(put.code(), Code::kDeadlineExceeded) << put.ToString();
  EXPECT_EQ(stopper.calls.load(), 1);
  EXPECT_EQ(after.size(), 0u);
  EXPECT_TRUE(store.FindLink("Mactor", "wasmcloud:httpserver", "default").has_value());
  EXPECT_EQ(store.PutLink(MakeLink("Mx", "c", "l", "V")).code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace wasmcloud::lattice
