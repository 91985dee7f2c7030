// The host and its worker pool under concurrency, with the fake engine
// (tests/support/fake_engine.h) instead of V8, so that these tests also run under
// ThreadSanitizer (scripts/test.sh builds them with -fsanitize=thread): many callers on
// few workers, nested calls, sweeps during calls, live updates racing stops, provider
// stops that do not wait, and calls across in-process hosts while links and providers
// change.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/claims.h"
#include "crypto/module_claims.h"
#include "host/host.h"
#include "host/test_providers.h"
#include "lattice/memory_kv_bucket.h"
#include "lattice/memory_transport.h"
#include "support/fake_engine.h"
#include "support/log_capture.h"
#include "support/status_assert.h"
#include "wasm/module_info.h"
#include "wire/keyvalue.h"

namespace wasmcloud::host {
namespace {

using test::FakeKeyValueProvider;
using test::ProviderEvent;
using test::WaitUntil;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using wasmcloud::testing::FakeEngine;
using wasmcloud::testing::Ok;

std::string Text(const Result<Bytes>& r) {
  if (!r.ok()) return "error: " + r.status().message();
  return std::string(r->begin(), r->end());
}

// The fake guest's "Call" payload.
Bytes CallPayload(std::string_view binding, std::string_view ns, std::string_view op,
                  std::string_view payload) {
  std::string text = std::string(binding) + "\n" + std::string(ns) + "\n" + std::string(op) + "\n" +
                     std::string(payload);
  return Bytes(text.begin(), text.end());
}

// One actor identity (subject and account) that can be signed at several revisions.
struct ActorKeys {
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair subject = crypto::KeyPair::Generate(crypto::KeyType::kModule);
  std::string key() const { return subject.public_key_text(); }

  // The fake guest signed for this identity at `revision`; `sections` are custom
  // sections for the fake engine ("fake-init", "fake-tag").
  Bytes Module(int32_t revision, std::vector<std::string> caps = {},
               std::map<std::string, std::string> sections = {}) const {
    crypto::ActorClaimsSpec spec;
    spec.name = "fake actor";
    spec.rev = revision;
    spec.caps = std::move(caps);
    auto claims = crypto::NewActorClaims(spec, account.public_key_text(), key(),
                                         static_cast<uint64_t>(crypto::SystemUnixSeconds()));
    Bytes code = test::LoopEchoModule();
    for (const auto& [name, content] : sections) {
      auto with = wasm::AppendCustomSection(code, name, AsBytes(content));
      EXPECT_TRUE(Ok(with));
      if (with.ok()) code = *with;
    }
    auto m = crypto::SignModule(code, claims, account);
    EXPECT_TRUE(Ok(m));
    return m.ok() ? *m : Bytes{};
  }
};

class ConcurrencyTest : public ::testing::Test {
 protected:
  std::unique_ptr<Host> NewHost(HostConfig config = {}, LatticeOptions lattice = {}) {
    config.log_level = LogLevel::kWarn;
    if (config.workers == 0) config.workers = 2;
    auto host = std::make_unique<Host>(config, engine_->Factory(), std::move(lattice));
    Status s = host->Start();
    EXPECT_TRUE(s.ok()) << s.message();
    return host;
  }

  std::shared_ptr<FakeEngine> engine_ = std::make_shared<FakeEngine>();
};

// ---------------------------------------------------------------------------------------
// The worker pool

TEST_F(ConcurrencyTest, ManyThreadsShareTwoWorkers) {
  auto host = NewHost();
  ActorKeys actor;
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1))));
  constexpr int kThreads = 8, kCalls = 300;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        std::string payload = std::to_string(t) + "/" + std::to_string(i);
        if (Text(host->CallActor(actor.key(), "Echo", AsBytes(payload))) != payload) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(engine_->guest_calls(), static_cast<uint64_t>(kThreads * kCalls));
}

TEST_F(ConcurrencyTest, NestedCallsReuseTheirWorkerAndNeverWait) {
  HostConfig config;
  config.workers = 1;  // a nested call that waited for a free worker would never get one
  auto host = NewHost(config);
  ActorKeys outer, inner;
  ASSERT_TRUE(Ok(host->StartActor(outer.Module(1))));
  ASSERT_TRUE(Ok(host->StartActor(inner.Module(1))));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto r = host->CallActor(outer.key(), "Call", CallPayload("", inner.key(), "Echo", "deep"));
        if (Text(r) != "deep") ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(ConcurrencyTest, UpdatesStartsAndStopsWhileCallsRun) {
  HostConfig config;
  config.allow_live_updates = true;
  auto host = NewHost(config);
  ActorKeys busy, churn;
  ASSERT_TRUE(Ok(host->StartActor(busy.Module(1))));
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0}, calls{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&] {
      while (!done.load()) {
        if (Text(host->CallActor(busy.key(), "Echo", AsBytes("x"))) != "x") ++wrong;
        ++calls;
      }
    });
  }
  // Every update and every stop sweeps the workers while the callers hold them.
  for (int rev = 2; rev <= 30; ++rev) {
    ASSERT_TRUE(Ok(host->UpdateActor(busy.key(), busy.Module(rev))));
    ASSERT_TRUE(Ok(host->StartActor(churn.Module(1))));
    ASSERT_TRUE(Ok(host->StopActor(churn.key())));
  }
  done = true;
  for (auto& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(calls.load(), 0);
  auto identity = host->GetActorIdentity(busy.key());
  ASSERT_TRUE(Ok(identity));
  EXPECT_EQ(identity->revision, 30);
}

// A guest whose start function calls its own actor, while its instance is being made on a
// second worker: the nested call is refused as re-entrant (it used to find the half-made
// instance's entry and replace the callbacks the outer frames were running on).
TEST_F(ConcurrencyTest, AStartFunctionCallingItsOwnActorIsRefusedAsReentrant) {
  HostConfig config;
  config.max_actor_calls = 2;   // two calls of the one actor at once
  auto host = NewHost(config);  // two workers
  ActorKeys actor;
  const Bytes module = actor.Module(1, {}, {{"fake-init", "\n" + actor.key() + "\nEcho\nx"}});
  ASSERT_TRUE(Ok(host->StartActor(module)));  // its first instance: not callable yet
  // Hold the worker that has an instance, so that the next call makes one on the other.
  auto holder = std::async(
      std::launch::async, [&] { return Text(host->CallActor(actor.key(), "Wait", AsBytes("g"))); });
  ASSERT_TRUE(WaitUntil([&] { return engine_->GetGate("g").waiting() == 1; }));
  EXPECT_EQ(Text(host->CallActor(actor.key(), "Echo", AsBytes("hi"))), "hi");
  engine_->GetGate("g").Open();
  EXPECT_EQ(holder.get(), "opened");
  auto inits = engine_->init_results();
  ASSERT_EQ(inits.size(), 2u);
  EXPECT_THAT(inits[0], HasSubstr("is not running on this host"));  // before it was listed
  EXPECT_THAT(inits[1], HasSubstr("re-entrant calls"));
}

// A live update refused after the new version made an instance (here: the lattice data
// cannot record it) leaves no worker running the new version.
TEST_F(ConcurrencyTest, ARefusedLiveUpdateLeavesNoWorkerOnTheNewVersion) {
  HostConfig config;
  config.allow_live_updates = true;
  auto bucket = std::make_shared<lattice::MemoryKvBucket>("LATTICEDATA_default");
  LatticeOptions lattice;
  lattice.bucket = bucket;
  auto host = NewHost(config, lattice);
  ActorKeys actor;
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1, {}, {{"fake-tag", "one"}}))));
  EXPECT_EQ(Text(host->CallActor(actor.key(), "Tag", AsBytes("x"))), "one");
  bucket->SetUnavailable(true);
  Status s = host->UpdateActor(actor.key(), actor.Module(2, {}, {{"fake-tag", "two"}}));
  bucket->SetUnavailable(false);
  ASSERT_EQ(s.code(), Code::kUnavailable) << s.message();
  // This thread's worker is the one that made the new instance.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Text(host->CallActor(actor.key(), "Tag", AsBytes("x"))), "one");
  }
  std::thread other(
      [&] { EXPECT_EQ(Text(host->CallActor(actor.key(), "Tag", AsBytes("x"))), "one"); });
  other.join();
}

// A provider whose HandleCall uses the host API (here: starts and stops actors) while
// another thread starts actors, on a host with one worker: neither waits for the other
// (actor starts no longer run guests under the host's lifecycle lock).
class HostCallingProvider final : public provider::Provider {
 public:
  explicit HostCallingProvider(std::function<Status()> action) : action_(std::move(action)) {}
  provider::ProviderDescriptor Describe() const override {
    return {"test:hostapi", "host api", "1"};
  }
  Status Start(provider::ProviderHost*) override { return Status::Ok(); }
  Status BindActor(std::string_view, const provider::LinkValues&) override { return Status::Ok(); }
  Status RemoveActor(std::string_view) override { return Status::Ok(); }
  Result<Bytes> HandleCall(std::string_view, std::string_view, ByteView) override {
    Status s = action_();
    std::lock_guard<std::mutex> lock(mu_);
    results_.push_back(s);
    return Bytes{'o', 'k'};
  }
  void Stop() override {}
  std::vector<Status> results() const {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }

 private:
  std::function<Status()> action_;
  mutable std::mutex mu_;
  std::vector<Status> results_;
};

TEST_F(ConcurrencyTest, AProviderUsingTheHostApiAndActorStartsDoNotDeadlock) {
  HostConfig config;
  config.workers = 1;
  auto host = NewHost(config);
  ActorKeys caller, churn;
  const Bytes churn_module = churn.Module(1);
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto provider =
      std::make_shared<HostCallingProvider>([&] { return host->StopActor(churn.key()); });
  NativeCapability cap;
  cap.provider = provider;
  cap.claims = test::FakeProviderClaims(crypto::KeyPair::Generate(crypto::KeyType::kAccount),
                                        service, "test:hostapi");
  ASSERT_TRUE(Ok(host->StartNativeCapability(cap)));
  ASSERT_TRUE(Ok(host->StartActor(caller.Module(1, {"test:hostapi"}))));
  ASSERT_TRUE(
      Ok(host->SetLink(caller.key(), "test:hostapi", "default", service.public_key_text(), {})));
  auto calls = std::async(std::launch::async, [&] {
    int ok = 0;
    for (int i = 0; i < 50; ++i) {
      ok += Text(host->CallActor(caller.key(), "Call",
                                 CallPayload("", "test:hostapi", "Go", ""))) == "ok";
    }
    return ok;
  });
  auto starts = std::async(std::launch::async, [&] {
    int ok = 0;
    for (int i = 0; i < 50; ++i) ok += host->StartActor(churn_module).ok();
    return ok;
  });
  ASSERT_EQ(calls.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "deadlock";
  ASSERT_EQ(starts.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "deadlock";
  EXPECT_EQ(calls.get(), 50);
  EXPECT_EQ(starts.get(), 50);
  for (const Status& s : provider->results()) EXPECT_TRUE(Ok(s));
}

// An actor's log text cannot forge a line of the host's log: control characters are
// escaped, the line is tagged with the actor's key; and one actor's flood of lines is cut
// to its rate, with a count of what was suppressed.
TEST_F(ConcurrencyTest, GuestLogLinesAreEscapedTaggedAndLimited) {
  struct Line {
    LogLevel level;
    std::string component, msg;
  };
  std::mutex mu;
  std::vector<Line> lines;
  SetLogSink([&](LogLevel level, std::string_view component, std::string_view msg) {
    std::lock_guard lock(mu);
    lines.push_back({level, std::string(component), std::string(msg)});
  });
  struct Restore {
    ~Restore() { SetLogSink({}); }
  } restore;
  auto host = NewHost();
  ActorKeys actor;
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1))));
  ASSERT_EQ(
      Text(host->CallActor(actor.key(), "Log",
                           AsBytes("x\n2026-01-01T00:00:00.000Z ERROR [host] FORGED\x1b[2J"))),
      "logged");
  {
    std::lock_guard lock(mu);
    size_t found = 0;
    for (const Line& l : lines) {
      EXPECT_FALSE(l.msg.starts_with("2026-01-01")) << l.msg;
      if (l.msg.find("FORGED") == std::string::npos) continue;
      ++found;
      EXPECT_EQ(l.msg, "x\\n2026-01-01T00:00:00.000Z ERROR [host] FORGED\\x1b[2J");
      EXPECT_THAT(l.component, HasSubstr(actor.key()));
    }
    EXPECT_EQ(found, 1u);
    lines.clear();
  }
  const auto flood_start = std::chrono::steady_clock::now();
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(Text(host->CallActor(actor.key(), "Log", AsBytes("flood"))), "logged");
  }
  // What the rate allows while the flood lasted (slow under a sanitizer).
  const double flood_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - flood_start).count();
  const size_t allowed = 200 + static_cast<size_t>(100 * flood_seconds) + 2;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a few lines' worth again
  ASSERT_EQ(Text(host->CallActor(actor.key(), "Log", AsBytes("after"))), "logged");
  std::lock_guard lock(mu);
  // Each line let through after some were suppressed is preceded by their count: once at
  // least (before "after"), more often when the flood ran slowly enough for the rate to
  // let lines through in its middle. Every flood line is either logged or counted.
  size_t flood = 0, summaries = 0, suppressed = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.msg == "flood") ++flood;
    if (l.msg.starts_with("suppressed ")) {
      ++summaries;
      EXPECT_EQ(l.level, LogLevel::kWarn);
      EXPECT_THAT(l.msg, HasSubstr("log line(s) of this actor (more than 100 a second)"));
      suppressed += std::stoul(l.msg.substr(std::string_view("suppressed ").size()));
      ASSERT_LT(i + 1, lines.size());
      EXPECT_THAT(lines[i + 1].msg, ::testing::AnyOf("flood", "after"));
    }
  }
  EXPECT_GE(flood, 190u);     // the burst (one token went to the line above)
  EXPECT_LE(flood, allowed);  // 200 at once, then 100 a second
  EXPECT_LT(flood, 400u);     // some were suppressed
  EXPECT_GE(summaries, 1u);
  EXPECT_EQ(flood + suppressed, 400u);
  EXPECT_EQ(lines.back().msg, "after");
}

// One actor cannot take every worker: with two workers its share is one (all but one), so while
// one of its calls is stuck another actor is served at once, and its own second call
// waits for its first, then is refused as "host overloaded" naming it.
// Failed calls are logged at most 20 lines a second; the ones beyond are counted and the
// count is said, at the latest when the host stops, so that no failure goes unsaid.
TEST_F(ConcurrencyTest, FailedCallsBeyondTheLogLimitAreCountedAndSaid) {
  wasmcloud::testing::LogCapture log;
  auto host = NewHost();
  ActorKeys actor;
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1))));
  constexpr int kCalls = 60;
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_FALSE(host->CallActor(actor.key(), "Fail", AsBytes("x")).ok());
  }
  ASSERT_TRUE(Ok(host->Stop()));
  size_t logged = 0;
  uint64_t counted = 0;
  for (const auto& l : log.Lines()) {
    if (l.find("Fail failed (error): failed on purpose") != std::string::npos) ++logged;
    // "WARN [host] N more failed call(s) were not logged (at most 20 lines a second)"
    const size_t more = l.find(" more failed call(s) were not logged (at most 20 lines a second)");
    if (more == std::string::npos) continue;
    const size_t start = l.rfind(' ', more - 1) + 1;
    counted += std::stoull(l.substr(start, more - start));
  }
  EXPECT_GE(logged, 20u);
  EXPECT_LT(logged, static_cast<size_t>(kCalls)) << "the 60 calls take far less than 3 s";
  EXPECT_EQ(logged + counted, static_cast<uint64_t>(kCalls));
}

TEST_F(ConcurrencyTest, OneActorCannotTakeEveryWorker) {
  HostConfig config;
  config.call_timeout = std::chrono::milliseconds(300);
  auto host = NewHost(config);  // two workers, max_actor_calls 0: one each
  ActorKeys slow, other;
  ASSERT_TRUE(Ok(host->StartActor(slow.Module(1))));
  ASSERT_TRUE(Ok(host->StartActor(other.Module(1))));
  auto& gate = engine_->GetGate("stuck");
  auto holder = std::async(std::launch::async, [&] {
    return Text(host->CallActor(slow.key(), "Wait", AsBytes("stuck")));
  });
  ASSERT_TRUE(WaitUntil([&] { return gate.waiting() == 1; }));
  // The slow actor's second call waits for its share...
  auto second = std::async(std::launch::async,
                           [&] { return host->CallActor(slow.key(), "Echo", AsBytes("2")); });
  // ...while the other actor gets the free worker at once, many times.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Text(host->CallActor(other.key(), "Echo", AsBytes("o"))), "o");
  }
  auto refused = second.get();
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("host overloaded: actor " + slow.key() +
                        " already runs 1 call(s) at once (--max-actor-calls) and none ended "
                        "within 600 ms; the call was not run"));
  gate.Open();
  EXPECT_EQ(holder.get(), "opened");
  // Its share is back once the stuck call ended.
  EXPECT_EQ(Text(host->CallActor(slow.key(), "Echo", AsBytes("3"))), "3");
}

// Waiting for a worker is bounded (twice the call deadline): a full pool answers "host
// overloaded" instead of queueing the call for ever.
TEST_F(ConcurrencyTest, AFullPoolAnswersHostOverloadedWithinTheCallDeadline) {
  HostConfig config;
  config.workers = 1;
  config.max_actor_calls = 2;  // the pool is what is full, not the actor's share
  config.call_timeout = std::chrono::milliseconds(300);
  auto host = NewHost(config);
  ActorKeys actor;
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1))));
  auto& gate = engine_->GetGate("busy");
  auto holder = std::async(std::launch::async, [&] {
    return Text(host->CallActor(actor.key(), "Wait", AsBytes("busy")));
  });
  ASSERT_TRUE(WaitUntil([&] { return gate.waiting() == 1; }));
  auto start = std::chrono::steady_clock::now();
  auto refused = host->CallActor(actor.key(), "Echo", AsBytes("x"));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("host overloaded: no worker was free within 600 ms (all 1 are busy); "
                        "the call was not run"));
  EXPECT_GE(waited, std::chrono::milliseconds(600));
  EXPECT_LT(waited, std::chrono::seconds(10));
  gate.Open();
  EXPECT_EQ(holder.get(), "opened");
  EXPECT_EQ(Text(host->CallActor(actor.key(), "Echo", AsBytes("x"))), "x")
      << "the pool is free again";
}

// A provider that calls an actor back from a thread of its own while the calling actor
// waits for it, with every worker taken: the callback cannot get a worker, and used to
// wait for ever (the whole host stalled). Now it fails after twice the call deadline,
// the provider answers, and the host goes on.
TEST_F(ConcurrencyTest, AProviderCallingBackFromItsOwnThreadCannotStallTheHost) {
  HostConfig config;
  config.workers = 1;
  config.call_timeout = std::chrono::milliseconds(300);
  auto host = NewHost(config);
  ActorKeys caller, other;
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto provider = std::make_shared<HostCallingProvider>([&] {
    Status s;
    std::thread callback([&] { s = host->CallActor(other.key(), "Echo", AsBytes("cb")).status(); });
    callback.join();
    return s;
  });
  NativeCapability cap;
  cap.provider = provider;
  cap.claims = test::FakeProviderClaims(crypto::KeyPair::Generate(crypto::KeyType::kAccount),
                                        service, "test:hostapi");
  ASSERT_TRUE(Ok(host->StartNativeCapability(cap)));
  ASSERT_TRUE(Ok(host->StartActor(caller.Module(1, {"test:hostapi"}))));
  ASSERT_TRUE(Ok(host->StartActor(other.Module(1))));
  ASSERT_TRUE(
      Ok(host->SetLink(caller.key(), "test:hostapi", "default", service.public_key_text(), {})));
  auto call = std::async(std::launch::async, [&] {
    return Text(host->CallActor(caller.key(), "Call", CallPayload("", "test:hostapi", "Go", "")));
  });
  ASSERT_EQ(call.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "stalled";
  EXPECT_EQ(call.get(), "ok");
  ASSERT_EQ(provider->results().size(), 1u);
  EXPECT_THAT(provider->results()[0].message(), HasSubstr("host overloaded"));
  EXPECT_EQ(Text(host->CallActor(other.key(), "Echo", AsBytes("y"))), "y");
}

// Stop waits for the calls in flight: from inside one it would wait for itself, so it is
// refused there, and the host keeps running.
TEST_F(ConcurrencyTest, StopFromInsideAProviderCallIsRefused) {
  auto host = NewHost();
  ActorKeys caller;
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto provider = std::make_shared<HostCallingProvider>([&] { return host->Stop(); });
  NativeCapability cap;
  cap.provider = provider;
  cap.claims = test::FakeProviderClaims(crypto::KeyPair::Generate(crypto::KeyType::kAccount),
                                        service, "test:hostapi");
  ASSERT_TRUE(Ok(host->StartNativeCapability(cap)));
  ASSERT_TRUE(Ok(host->StartActor(caller.Module(1, {"test:hostapi"}))));
  ASSERT_TRUE(
      Ok(host->SetLink(caller.key(), "test:hostapi", "default", service.public_key_text(), {})));
  EXPECT_EQ(Text(host->CallActor(caller.key(), "Call", CallPayload("", "test:hostapi", "Go", ""))),
            "ok");
  ASSERT_EQ(provider->results().size(), 1u);
  EXPECT_EQ(provider->results()[0].code(), Code::kFailedPrecondition);
  EXPECT_THAT(provider->results()[0].message(), HasSubstr("from inside a call of this host"));
  EXPECT_TRUE(host->running());
  EXPECT_TRUE(Ok(host->Stop()));
}

// ---------------------------------------------------------------------------------------
// Lifecycle races

// A live update racing a stop of the same actor: whatever the interleaving, once both
// returned the actor is stopped (the stop wins, or the update failed). Before the host
// serialised them, about 1 in 100 tries brought the stopped actor back.
TEST_F(ConcurrencyTest, AnUpdateRacingAStopNeverBringsTheActorBack) {
  HostConfig config;
  config.allow_live_updates = true;
  auto host = NewHost(config);
  ActorKeys actor;
  const Bytes rev1 = actor.Module(1), rev2 = actor.Module(2);
  // How long an update takes here, alone (sanitizer builds are slower): the stop comes
  // anywhere from before the update starts to after it ends.
  ASSERT_TRUE(Ok(host->StartActor(rev1)));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Ok(host->UpdateActor(actor.key(), rev2)));
  const int64_t update_us = std::max<int64_t>(
      50,
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  ASSERT_TRUE(Ok(host->StopActor(actor.key())));
  std::mt19937 random(12345);
  int updates_ok = 0, updates_failed = 0;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(Ok(host->StartActor(rev1)));
    int delay_update = static_cast<int>(random() % 100);
    int delay_stop = static_cast<int>(random() % static_cast<uint64_t>(2 * update_us));
    Status updated, stopped;
    std::thread updater([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(delay_update));
      updated = host->UpdateActor(actor.key(), rev2);
    });
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::microseconds(delay_stop));
      stopped = host->StopActor(actor.key());
    });
    updater.join();
    stopper.join();
    ASSERT_TRUE(Ok(stopped));
    ASSERT_TRUE(host->Actors().empty()) << "iteration " << i << ": the update ("
                                        << updated.ToString() << ") brought the stopped actor back";
    auto call = host->CallActor(actor.key(), "Echo", AsBytes("x"));
    ASSERT_EQ(call.status().code(), Code::kNotFound);
    if (updated.ok()) {
      ++updates_ok;
    } else {
      ++updates_failed;
      EXPECT_EQ(updated.code(), Code::kNotFound) << updated.message();
    }
  }
  // Both orders happened (the race is real): some updates completed before the stop,
  // others found the actor stopped.
  EXPECT_GT(updates_ok, 0);
  EXPECT_GT(updates_failed, 0);
  std::printf("updates completed before the stop: %d, refused after it: %d\n", updates_ok,
              updates_failed);
}

// Two live updates of one actor at once: the second waits for the first (and says so in
// the log), so the claims in the lattice data are those of the version that runs. (Each
// used to write its claims before its switch: with rev 2's start functions slow, rev 3
// switched in first, then rev 2 wrote its claims and lost the switch, leaving the
// lattice with rev 2's claims for rev 3.)
TEST_F(ConcurrencyTest, TwoUpdatesOfOneActorAtOnceLeaveTheClaimsOfTheVersionThatRuns) {
  HostConfig config;
  config.allow_live_updates = true;
  config.workers = 4;
  LatticeOptions lattice;
  lattice.bucket = std::make_shared<lattice::MemoryKvBucket>("LATTICEDATA_default");
  auto host = NewHost(config, lattice);
  wasmcloud::testing::LogCapture log;
  SetLogLevel(LogLevel::kInfo);
  ActorKeys actor, waiter;
  ASSERT_TRUE(Ok(host->StartActor(waiter.Module(1))));
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1))));
  // Rev 2's start function waits at gate "rev2" (a call to the waiter's Wait).
  const Bytes rev2 = actor.Module(2, {}, {{"fake-init", "\n" + waiter.key() + "\nWait\nrev2"}});
  const Bytes rev3 = actor.Module(3);
  auto second =
      std::async(std::launch::async, [&] { return host->UpdateActor(actor.key(), rev2); });
  ASSERT_TRUE(WaitUntil([&] { return engine_->GetGate("rev2").waiting() == 1; }));
  auto third = std::async(std::launch::async, [&] { return host->UpdateActor(actor.key(), rev3); });
  ASSERT_TRUE(WaitUntil([&] {
    return log.Count("waiting for its start or live update in progress to end") > 0 ||
           third.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }));
  engine_->GetGate("rev2").Open();
  Status second_status = second.get();
  Status third_status = third.get();
  SetLogLevel(LogLevel::kWarn);
  EXPECT_TRUE(Ok(second_status));
  EXPECT_TRUE(Ok(third_status));
  auto running = host->GetActorIdentity(actor.key());
  ASSERT_TRUE(Ok(running));
  EXPECT_EQ(running->revision, 3);
  auto claims = host->ActorClaims();
  ASSERT_EQ(claims.count(actor.key()), 1u);
  ASSERT_TRUE(claims[actor.key()].wascap.has_value());
  EXPECT_EQ(claims[actor.key()].wascap->rev.value_or(0), running->revision)
      << "the lattice data holds the claims of another revision than the one that runs";
}

// The events of `sink` of `type`s about `key`, as "type" strings, in publication order.
std::vector<std::string> EventsOf(const lattice::MemoryEventSink& sink, const std::string& key,
                                  const std::vector<std::string>& types) {
  std::vector<std::string> out;
  for (const auto& e : sink.Events()) {
    if (std::find(types.begin(), types.end(), e.type) == types.end()) continue;
    if (e.data.value("public_key", "") == key) out.push_back(e.type);
  }
  return out;
}

// The operation id of the event of `type` about `key` ("(none)" without one, "(no event)").
std::string OperationOf(const lattice::MemoryEventSink& sink, const std::string& key,
                        const std::string& type) {
  for (const auto& e : sink.Events()) {
    if (e.type != type || e.data.value("public_key", "") != key) continue;
    return e.data.value("operation_id", std::string("(none)"));
  }
  return "(no event)";
}

// An actor stopped while its start binds its links (held in the provider's BindActor):
// the stop returns at once and the actor is gone, and the events say "started", then
// "stopped", never the other way round (its ActorStopped is published by the start, after
// its ActorStarted).
TEST_F(ConcurrencyTest, AnActorStoppedDuringItsStartIsAnnouncedStoppedAfterStarted) {
  auto events = std::make_shared<lattice::MemoryEventSink>();
  LatticeOptions lattice;
  lattice.events = events;
  auto host = NewHost({}, lattice);
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto provider = std::make_shared<FakeKeyValueProvider>();
  wasmcloud::testing::Gate bind;
  provider->before_bind = [&](std::string_view) { bind.WaitOpen(std::chrono::seconds(30)); };
  NativeCapability cap;
  cap.provider = provider;
  cap.claims = test::FakeProviderClaims(account, service);
  ASSERT_TRUE(Ok(host->StartNativeCapability(cap)));
  ActorKeys actor;
  ASSERT_TRUE(Ok(
      host->SetLink(actor.key(), "wasmcloud:keyvalue", "default", service.public_key_text(), {})));
  auto started = std::async(std::launch::async, [&] {
    return host->StartActor(actor.Module(1, {"wasmcloud:keyvalue"})).status();
  });
  ASSERT_TRUE(WaitUntil([&] { return bind.waiting() == 1; }));
  // A bind of the provider's lane is held (the link's own, or the start's), so the start,
  // once it listed the actor, waits in BindActorLinks until the release.
  ASSERT_TRUE(WaitUntil([&] { return !host->Actors().empty(); }));
  {
    lattice::OperationScope stop_operation("the-stop");  // as a control command runs it
    ASSERT_TRUE(Ok(host->StopActor(actor.key())));  // while the start is held in BindActorLinks
  }
  EXPECT_TRUE(host->Actors().empty());
  bind.Open();
  EXPECT_TRUE(Ok(started.get()));
  EXPECT_TRUE(host->Actors().empty());
  const std::vector<std::string> kinds = {lattice::kActorStarted, lattice::kActorStopped};
  ASSERT_TRUE(WaitUntil([&] { return EventsOf(*events, actor.key(), kinds).size() == 2; }));
  EXPECT_EQ(EventsOf(*events, actor.key(), kinds),
            (std::vector<std::string>{lattice::kActorStarted, lattice::kActorStopped}));
  EXPECT_EQ(OperationOf(*events, actor.key(), lattice::kActorStopped), "the-stop");
}

// ---------------------------------------------------------------------------------------
// Provider stops

// A provider whose Stop blocks until the test lets it go.
class SlowStopProvider final : public provider::Provider {
 public:
  provider::ProviderDescriptor Describe() const override {
    return {"test:slowstop", "slow stop", "1"};
  }
  Status Start(provider::ProviderHost*) override { return Status::Ok(); }
  Status BindActor(std::string_view, const provider::LinkValues&) override { return Status::Ok(); }
  Status RemoveActor(std::string_view) override { return Status::Ok(); }
  Result<Bytes> HandleCall(std::string_view, std::string_view, ByteView) override {
    ++calls;
    return Bytes{'o', 'k'};
  }
  void Stop() override {
    stop_entered = true;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return released; });
    stop_finished = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu);
      released = true;
    }
    cv.notify_all();
  }

  std::atomic<int> calls{0};
  std::atomic<bool> stop_entered{false}, stop_finished{false};
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
};

crypto::ProviderClaims SlowStopClaims(const crypto::KeyPair& service) {
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  return test::FakeProviderClaims(account, service, "test:slowstop");
}

TEST_F(ConcurrencyTest, StopProviderRefusesCallsAtOnceAndDoesNotWaitForItsStop) {
  auto host = NewHost();
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto provider = std::make_shared<SlowStopProvider>();
  NativeCapability cap;
  cap.provider = provider;
  cap.claims = SlowStopClaims(service);
  ASSERT_TRUE(Ok(host->StartNativeCapability(cap)));
  ActorKeys actor;
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1, {"test:slowstop"}))));
  ASSERT_TRUE(
      Ok(host->SetLink(actor.key(), "test:slowstop", "default", service.public_key_text(), {})));
  const Bytes call = CallPayload("", "test:slowstop", "Ping", "");
  EXPECT_EQ(Text(host->CallActor(actor.key(), "Call", call)), "ok");

  ASSERT_TRUE(Ok(host->StopProvider(service.public_key_text(), "test:slowstop", "default")));
  // It returned although the provider's Stop has not (it cannot: it waits for Release).
  EXPECT_FALSE(provider->stop_finished.load());
  // New calls are refused now, without reaching the provider.
  EXPECT_THAT(Text(host->CallActor(actor.key(), "Call", call)),
              AnyOf(HasSubstr("is not running on this host"), HasSubstr("is stopping")));
  EXPECT_EQ(provider->calls.load(), 1);
  for (const auto& p : host->Providers()) EXPECT_NE(p.public_key, service.public_key_text());

  // Host::Stop waits for the stop in the background.
  ASSERT_TRUE(WaitUntil([&] { return provider->stop_entered.load(); }));
  auto stopping = std::async(std::launch::async, [&] { return host->Stop(); });
  EXPECT_EQ(stopping.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  provider->Release();
  ASSERT_TRUE(Ok(stopping.get()));
  EXPECT_TRUE(provider->stop_finished.load());
}

TEST_F(ConcurrencyTest, StartingAProviderThatIsStillStoppingWaitsForItsStop) {
  auto host = NewHost();
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto first = std::make_shared<SlowStopProvider>();
  NativeCapability cap;
  cap.provider = first;
  cap.claims = SlowStopClaims(service);
  ASSERT_TRUE(Ok(host->StartNativeCapability(cap)));
  ASSERT_TRUE(Ok(host->StopProvider(service.public_key_text(), "", "default")));

  auto second = std::make_shared<SlowStopProvider>();
  cap.provider = second;
  auto started = std::async(std::launch::async, [&] { return host->StartNativeCapability(cap); });
  // Not before the first one's Stop returned (it may hold what the second needs, a port).
  EXPECT_EQ(started.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  first->Release();
  ASSERT_TRUE(Ok(started.get()));
  EXPECT_TRUE(first->stop_finished.load());
  second->Release();
}

// A provider stopped while its start binds its links: ProviderStopped comes after its
// ProviderStarted (the stop, which runs in the background, leaves its event to the start).
TEST_F(ConcurrencyTest, AProviderStoppedDuringItsStartIsAnnouncedStoppedAfterStarted) {
  auto events = std::make_shared<lattice::MemoryEventSink>();
  LatticeOptions lattice;
  lattice.events = events;
  auto host = NewHost({}, lattice);
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  ActorKeys actor;
  ASSERT_TRUE(Ok(host->StartActor(actor.Module(1, {"wasmcloud:keyvalue"}))));
  ASSERT_TRUE(Ok(
      host->SetLink(actor.key(), "wasmcloud:keyvalue", "default", service.public_key_text(), {})));
  auto provider = std::make_shared<FakeKeyValueProvider>();
  wasmcloud::testing::Gate bind;
  provider->before_bind = [&](std::string_view) { bind.WaitOpen(std::chrono::seconds(30)); };
  NativeCapability cap;
  cap.provider = provider;
  cap.claims = test::FakeProviderClaims(account, service);
  auto started =
      std::async(std::launch::async, [&] { return host->StartNativeCapability(cap).status(); });
  ASSERT_TRUE(WaitUntil([&] { return bind.waiting() == 1; }));
  {
    lattice::OperationScope stop_operation("the-stop");
    ASSERT_TRUE(Ok(host->StopProvider(service.public_key_text(), "", "default")));
  }
  bind.Open();
  EXPECT_TRUE(Ok(started.get()));
  const std::vector<std::string> kinds = {lattice::kProviderStarted, lattice::kProviderStopped};
  ASSERT_TRUE(
      WaitUntil([&] { return EventsOf(*events, service.public_key_text(), kinds).size() == 2; }));
  EXPECT_EQ(EventsOf(*events, service.public_key_text(), kinds),
            (std::vector<std::string>{lattice::kProviderStarted, lattice::kProviderStopped}));
  EXPECT_EQ(OperationOf(*events, service.public_key_text(), lattice::kProviderStopped), "the-stop");
  for (const auto& p : host->Providers()) EXPECT_NE(p.public_key, service.public_key_text());
}

// A provider stopped while its Start runs, and whose Start then fails, is announced
// neither started nor stopped.
TEST_F(ConcurrencyTest, AProviderStoppedDuringAStartThatFailsIsNeverAnnounced) {
  auto events = std::make_shared<lattice::MemoryEventSink>();
  LatticeOptions lattice;
  lattice.events = events;
  auto host = NewHost({}, lattice);
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto provider = std::make_shared<FakeKeyValueProvider>();
  wasmcloud::testing::Gate start;
  provider->before_start = [&] { start.WaitOpen(std::chrono::seconds(30)); };
  provider->start_error = Unavailable("the test made this start fail");
  NativeCapability cap;
  cap.provider = provider;
  cap.claims = test::FakeProviderClaims(account, service);
  auto started =
      std::async(std::launch::async, [&] { return host->StartNativeCapability(cap).status(); });
  ASSERT_TRUE(WaitUntil([&] { return start.waiting() == 1; }));
  ASSERT_TRUE(Ok(host->StopProvider(service.public_key_text(), "", "default")));
  start.Open();
  EXPECT_EQ(started.get().code(), Code::kUnavailable);
  // The host's stop waits for the provider's stop in the background, and HostStopped is
  // its last event.
  ASSERT_TRUE(Ok(host->Stop()));
  ASSERT_TRUE(WaitUntil([&] {
    for (const auto& e : events->Events()) {
      if (e.type == lattice::kHostStopped) return true;
    }
    return false;
  }));
  EXPECT_EQ(EventsOf(*events, service.public_key_text(),
                     {lattice::kProviderStarted, lattice::kProviderStopped}),
            std::vector<std::string>{});
}

// ---------------------------------------------------------------------------------------
// Hosts of one in-process lattice under load

TEST_F(ConcurrencyTest, CallsAcrossHostsWhileLinksAndProvidersChange) {
  auto transport = std::make_shared<lattice::MemoryTransport>();
  auto bucket = std::make_shared<lattice::MemoryKvBucket>("LATTICEDATA_default");
  LatticeOptions lattice;
  lattice.transport = transport;
  lattice.bucket = bucket;
  lattice.rpc_timeout = std::chrono::milliseconds(1000);
  auto a = NewHost({}, lattice);
  auto b = NewHost({}, lattice);
  auto c = NewHost({}, lattice);

  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  auto data = std::make_shared<test::KeyValueStore>();
  auto start_kv = [&](Host& host) {
    NativeCapability cap;
    cap.provider = std::make_shared<FakeKeyValueProvider>(data);
    cap.claims = test::FakeProviderClaims(account, service);
    return host.StartNativeCapability(cap).status();
  };
  ASSERT_TRUE(Ok(start_kv(*b)));
  ActorKeys actor;
  ASSERT_TRUE(Ok(a->StartActor(actor.Module(1, {"wasmcloud:keyvalue"}))));
  ASSERT_TRUE(
      Ok(a->SetLink(actor.key(), "wasmcloud:keyvalue", "default", service.public_key_text(), {})));

  const std::string add = [] {
    Bytes b = wire::Encode(wire::AddArgs{"n", 1});
    return std::string(b.begin(), b.end());
  }();
  const Bytes call = CallPayload("", "wasmcloud:keyvalue", "Add", add);
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0}, unexpected{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      while (!done.load()) {
        auto r = a->CallActor(actor.key(), "Call", call);
        std::string text = Text(r);
        if (r.ok() && wire::DecodeAddResponse(*r).ok()) {
          ++ok;
        } else if (text.find("host error") != std::string::npos) {
          ++failed;  // the provider was moving: refused or not found, never a crash
        } else {
          ++unexpected;
        }
      }
    });
  }
  // Move the provider between B and C and change the link's values meanwhile.
  for (int round = 0; round < 10; ++round) {
    Host& from = round % 2 == 0 ? *b : *c;
    Host& to = round % 2 == 0 ? *c : *b;
    ASSERT_TRUE(Ok(a->SetLink(actor.key(), "wasmcloud:keyvalue", "default",
                              service.public_key_text(), {{"round", std::to_string(round)}})));
    ASSERT_TRUE(Ok(from.StopProvider(service.public_key_text(), "", "default")));
    ASSERT_TRUE(Ok(start_kv(to)));
    // Calls go through in every placement before the next move.
    const int before = ok.load();
    ASSERT_TRUE(WaitUntil([&] { return ok.load() >= before + 20; }));
  }
  done = true;
  for (auto& t : callers) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_GT(ok.load(), 0);
  // Settled: the provider runs on B again and the call works.
  EXPECT_TRUE(wire::DecodeAddResponse(*a->CallActor(actor.key(), "Call", call)).ok());
  for (auto* h : {a.get(), b.get(), c.get()}) EXPECT_TRUE(Ok(h->Stop()));
  transport->Close();
}

}  // namespace
}  // namespace wasmcloud::host
