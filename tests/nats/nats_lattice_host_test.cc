// Several host::Hosts of one process joined into lattices through a real `nats-server -js`
// (each test starts its own on a free loopback port, with a temporary JetStream store),
// every host on connections of its own made as `wasmcloud up --rpc-host` makes them
// (src/cli/lattice_join.cc). The actors run on the fake engine (tests/support/fake_engine.h),
// which records what it ran, so that "nothing executed" and "ran at most once" are facts
// the tests read, and no V8 is needed.
//
//  - invocations sent raw over NATS to a host's wasmbus.rpc subjects by a client that is
//    no host: forged, tampered, replayed, re-aimed, expired, unauthorized; each refused
//    with its reason and nothing run;
//  - nats-server killed (SIGKILL) under load and restarted on the same port and store:
//    no call ran twice, every failure is one the delivery rules allow, the hosts recover
//    without being restarted, and a link set afterwards reaches the other host;
//  - lattices of different names on one server do not see each other's actors or links.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "crypto/claims.h"
#include "crypto/jwt.h"
#include "crypto/module_claims.h"
#include "crypto/nkeys.h"
#include "host/host.h"
#include "host/test_providers.h"
#include "lattice/invocation.h"
#include "lattice/link_definition.h"
#include "lattice/subjects.h"
#include "nats/nats_connection.h"
#include "nats/nats_kv_bucket.h"
#include "nats/nats_transport.h"
#include "providers/messaging/nats_server.h"
#include "support/fake_engine.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wire/keyvalue.h"

namespace wasmcloud::host {
namespace {

using messaging::testing::NatsServer;
using test::FakeKeyValueProvider;
using test::ProviderEvent;
using test::WaitUntil;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using wasmcloud::testing::FakeEngine;
using wasmcloud::testing::Ok;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A restarted server (JetStream recovering its store) and the clients' reconnects take
// longer than a plain wait.
constexpr milliseconds kRestartWait{20000};

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string Text(ByteView b) { return std::string(AsChars(b)); }
// A call's reply as text, or "error: <message>".
std::string Reply(const Result<Bytes>& r) {
  return r.ok() ? Text(*r) : "error: " + r.status().message();
}

// An actor for the fake engine: the tiny waPC module of test_providers.h signed with
// claims listing `caps` (the fake engine runs its operations: Echo, Record, ...).
struct FakeActor {
  Bytes module;
  std::string key;
};

FakeActor MakeActor(std::vector<std::string> caps) {
  crypto::ActorClaimsSpec spec;
  spec.name = "fake actor";
  spec.caps = std::move(caps);
  auto signed_actor = test::SignActor(test::LoopEchoModule(), spec);
  EXPECT_TRUE(Ok(signed_actor));
  if (!signed_actor.ok()) return {};
  return {signed_actor->module, signed_actor->public_key};
}

// One host's connection to the lattice, as lattice_join.cc makes it.
struct Joined {
  std::shared_ptr<nats::NatsConnection> connection;
  std::shared_ptr<nats::NatsTransport> transport;
  std::shared_ptr<nats::NatsKvBucket> bucket;
};

class NatsLatticeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    // (The log level is the process's: hosts do not set it, the CLI does.)
    saved_log_level_ = GetLogLevel();
    SetLogLevel(LogLevel::kWarn);
    store_dir_ = wasmcloud::testing::MakeTempDir();
    auto server = NatsServer::Start({"-js", "-sd", store_dir_});
    ASSERT_TRUE(Ok(server));
    server_ = std::move(*server);
  }

  void TearDown() override {
    for (auto& h : hosts_) (void)h->Stop();
    hosts_.clear();
    joined_.clear();
    client_.reset();
    client_connection_.reset();
    server_.reset();
    if (!store_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(store_dir_, ec);
    }
    SetLogLevel(saved_log_level_);
  }

  // The connection (named after the host key, replies sent at once), the transport on it
  // and the bucket LATTICEDATA_{lattice} bound or created on it: `wasmcloud up
  // --rpc-host 127.0.0.1` (src/cli/lattice_join.cc); `tweak` changes the connection's
  // options first.
  Result<Joined> Join(const std::string& lattice, const crypto::KeyPair& host_key,
                      const std::function<void(nats::NatsConnectionOptions&)>& tweak = {}) {
    nats::NatsConnectionOptions o;
    o.servers = {server_->Url()};
    o.name = "wasmcloud:" + host_key.public_key_text() + ":rpc";
    o.send_asap = true;
    o.connect_timeout = std::chrono::seconds(10);
    if (tweak) tweak(o);
    Joined j;
    WC_ASSIGN_OR_RETURN(j.connection, nats::NatsConnection::Connect(std::move(o)));
    WC_ASSIGN_OR_RETURN(
        j.bucket, nats::NatsKvBucket::Open(j.connection, lattice::LatticeBucketName(lattice)));
    j.transport = std::make_shared<nats::NatsTransport>(j.connection);
    return j;
  }

  // A started host of lattice `lattice`; `tweak` changes its LatticeOptions first,
  // `connection_tweak` its connection's options.
  Host& AddHost(const std::string& lattice = "default",
                const std::function<void(LatticeOptions&)>& tweak = {}, HostConfig config = {},
                const std::function<void(nats::NatsConnectionOptions&)>& connection_tweak = {}) {
    crypto::KeyPair key = crypto::KeyPair::Generate(crypto::KeyType::kServer);
    auto joined = Join(lattice, key, connection_tweak);
    EXPECT_TRUE(Ok(joined));
    LatticeOptions o;
    o.name = lattice;
    if (joined.ok()) {
      o.transport = joined->transport;
      o.bucket = joined->bucket;
      joined_.push_back(*joined);
    }
    if (tweak) tweak(o);
    config.host_seed = key.EncodedSeed();
    if (config.workers == 0) config.workers = 2;
    hosts_.push_back(std::make_unique<Host>(config, engine_->Factory(), std::move(o)));
    Status s = hosts_.back()->Start();
    EXPECT_TRUE(Ok(s));
    EXPECT_EQ(hosts_.back()->id(), key.public_key_text());
    return *hosts_.back();
  }

  // The fake keyvalue provider under the test's service key, on `host`.
  std::shared_ptr<FakeKeyValueProvider> StartKv(Host& host) {
    auto provider = std::make_shared<FakeKeyValueProvider>();
    NativeCapability cap;
    cap.provider = provider;
    cap.claims = test::FakeProviderClaims(account_, service_);
    EXPECT_TRUE(Ok(host.StartNativeCapability(std::move(cap))));
    return provider;
  }
  std::string KvKey() const { return service_.public_key_text(); }
  lattice::Entity KvEntity() const {
    return lattice::Entity::Capability(KvKey(), "wasmcloud:keyvalue", "default");
  }

  // A NATS client that is no host (as a 0.18 client, or an attacker with access to the
  // server): its own connection and transport.
  nats::NatsTransport& Client() {
    if (!client_) {
      nats::NatsConnectionOptions o;
      o.servers = {server_->Url()};
      o.name = "raw-client";
      auto c = nats::NatsConnection::Connect(std::move(o));
      EXPECT_TRUE(Ok(c));
      client_connection_ = c.ok() ? *c : nullptr;
      client_ = std::make_unique<nats::NatsTransport>(client_connection_);
    }
    return *client_;
  }

  // Sends `bytes` raw to wasmbus.rpc.{lattice}.{target} and returns the host's response
  // (a transport error, or a response that does not decode, fails the test).
  lattice::InvocationResponse Send(const lattice::Entity& target, ByteView bytes,
                                   const std::string& lattice = "default") {
    const std::string subject = lattice::RpcSubject(lattice, target);
    auto reply = Client().Request(subject, bytes, std::chrono::seconds(5));
    EXPECT_TRUE(Ok(reply)) << subject;
    if (!reply.ok()) return {};
    auto response = lattice::DecodeInvocationResponse(reply->data);
    EXPECT_TRUE(Ok(response));
    return response.ok() ? *response : lattice::InvocationResponse{};
  }

  // An invocation signed by the raw client's own host key, valid for 5 s by default.
  lattice::Invocation Signed(const lattice::Entity& origin, const lattice::Entity& target,
                             std::string op, Bytes msg, lattice::SignOptions options = {}) {
    if (!options.exp) options.exp = static_cast<uint64_t>(crypto::SystemUnixSeconds() + 5);
    auto inv =
        lattice::NewInvocation(client_key_, origin, target, std::move(op), std::move(msg), options);
    EXPECT_TRUE(Ok(inv));
    return inv.ok() ? *inv : lattice::Invocation{};
  }

  // How many times the fake engine ran "Record" with `payload`.
  size_t Runs(const std::string& payload) const {
    auto all = engine_->recorded();
    return static_cast<size_t>(std::count(all.begin(), all.end(), payload));
  }

  std::unique_ptr<NatsServer> server_;  // outlives every connection below
  std::string store_dir_;
  LogLevel saved_log_level_ = LogLevel::kInfo;
  std::shared_ptr<FakeEngine> engine_ = std::make_shared<FakeEngine>();
  std::vector<Joined> joined_;  // joined_[i] is hosts_[i]'s
  std::vector<std::unique_ptr<Host>> hosts_;
  std::shared_ptr<nats::NatsConnection> client_connection_;
  std::unique_ptr<nats::NatsTransport> client_;
  crypto::KeyPair account_ = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service_ = crypto::KeyPair::Generate(crypto::KeyType::kService);
  crypto::KeyPair client_key_ = crypto::KeyPair::Generate(crypto::KeyType::kServer);
};

// ---------------------------------------------------------------------------------------
// A call across hosts, for reference: what the refused ones below are not.

TEST_F(NatsLatticeTest, AnActorOnBIsCalledFromAOverNatsAndRunsOnce) {
  Host& a = AddHost();
  Host& b = AddHost();
  FakeActor actor = MakeActor({});
  ASSERT_TRUE(Ok(b.StartActor(actor.module)));
  EXPECT_TRUE(a.Actors().empty());
  auto reply = a.CallActor(actor.key, "Record", AsBytes("across"));
  ASSERT_TRUE(Ok(reply));
  EXPECT_EQ(Text(*reply), "across");
  EXPECT_EQ(Runs("across"), 1u);
  // The guest's own error comes back as its text.
  auto fail = a.CallActor(actor.key, "Fail", AsBytes("x"));
  EXPECT_EQ(fail.status().code(), Code::kGuestError);
  EXPECT_EQ(fail.status().message(), "failed on purpose");
}

// ---------------------------------------------------------------------------------------
// Invocations sent raw over NATS: each refused by the receiving host with its reason,
// before anything runs.

class NatsInboundTest : public NatsLatticeTest {
 protected:
  void SetUp() override {
    NatsLatticeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    b_ = &AddHost();
    provider_ = StartKv(*b_);
    ASSERT_TRUE(Ok(b_->StartActor(x_.module)));
    ASSERT_TRUE(Ok(b_->StartActor(y_.module)));
    ASSERT_TRUE(Ok(b_->SetLink(x_.key, "wasmcloud:keyvalue", "default", KvKey(), {})));
    ASSERT_TRUE(WaitUntil([&] { return provider_->Count(ProviderEvent::Kind::kBindActor) == 1; }));
    // A valid invocation of each kind goes through, so that the refusals below are the
    // verifier's and not a setup that serves nothing.
    lattice::Invocation echo = ToX("Record", "valid");
    lattice::InvocationResponse r = Send(XEntity(), lattice::Encode(echo));
    ASSERT_FALSE(r.error.has_value()) << *r.error;
    EXPECT_EQ(r.invocation_id, echo.id);
    EXPECT_EQ(Text(r.msg), "valid");
    lattice::Invocation add = AddFromX();
    r = Send(KvEntity(), lattice::Encode(add));
    ASSERT_FALSE(r.error.has_value()) << *r.error;
    EXPECT_EQ(r.msg, wire::Encode(wire::AddResponse{1}));
    ASSERT_EQ(provider_->CallCount("Add"), 1u);
    guest_calls_before_ = engine_->guest_calls();
  }

  lattice::Entity XEntity() const { return lattice::Entity::Actor(x_.key); }
  lattice::Entity YEntity() const { return lattice::Entity::Actor(y_.key); }
  // A host's call of actor X (origin "system").
  lattice::Invocation ToX(std::string op, std::string_view payload,
                          lattice::SignOptions options = {}) {
    return Signed(lattice::Entity::System(), XEntity(), std::move(op), ToBytes(payload), options);
  }
  // Actor X's call of the provider's Add (X's claims list wasmcloud:keyvalue).
  lattice::Invocation AddFromX(lattice::SignOptions options = {}) {
    return Signed(XEntity(), KvEntity(), "Add", wire::Encode(wire::AddArgs{":x", 1}), options);
  }

  // `r` is the refusal of invocation `id` for `reason`, with no payload.
  static void ExpectRefused(const lattice::InvocationResponse& r, const std::string& id,
                            const std::string& reason) {
    ASSERT_TRUE(r.error.has_value()) << "not refused; answered " << Text(r.msg);
    EXPECT_THAT(*r.error, StartsWith("Invocation refused: " + reason)) << *r.error;
    EXPECT_EQ(r.invocation_id, id);
    EXPECT_TRUE(r.msg.empty());
  }
  // Nothing ran since SetUp: no guest call, no provider call beyond SetUp's one.
  void ExpectNothingRan() {
    EXPECT_EQ(engine_->guest_calls(), guest_calls_before_);
    EXPECT_EQ(provider_->CallCount("Add"), 1u);
  }

  Host* b_ = nullptr;
  std::shared_ptr<FakeKeyValueProvider> provider_;
  FakeActor x_ = MakeActor({"wasmcloud:keyvalue"});
  FakeActor y_ = MakeActor({});  // no capabilities in its claims
  uint64_t guest_calls_before_ = 0;
};

TEST_F(NatsInboundTest, AForgedInvocationIsRefusedAndNothingRuns) {
  // A token that names the client's host key as its issuer, with a payload and hash of
  // the forger's choosing, signed by another key.
  lattice::Invocation inv = ToX("Record", "forged");
  auto claims = crypto::DecodeInvocationClaims(inv.encoded_claims);
  ASSERT_TRUE(Ok(claims));
  inv.msg = ToBytes("forged and changed");
  claims->wascap->hash =
      crypto::InvocationHash(claims->wascap->origin_url, claims->wascap->target_url, inv.msg);
  crypto::KeyPair forger = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  inv.encoded_claims = crypto::SignJwt(crypto::ToJson(*claims), forger);
  ExpectRefused(Send(XEntity(), lattice::Encode(inv)), inv.id,
                "bad signature: the token is not signed by host " + client_key_.public_key_text());
  // Signed by the forger as itself, sent in the name of the client's host.
  lattice::Invocation as_other = ToX("Record", "forged and changed");
  auto own = crypto::DecodeInvocationClaims(as_other.encoded_claims);
  ASSERT_TRUE(Ok(own));
  own->iss = forger.public_key_text();
  as_other.encoded_claims = crypto::SignJwt(crypto::ToJson(*own), forger);
  ExpectRefused(Send(XEntity(), lattice::Encode(as_other)), as_other.id, "issuer mismatch");
  ExpectNothingRan();
  EXPECT_EQ(Runs("forged and changed"), 0u);
}

TEST_F(NatsInboundTest, ATamperedInvocationIsRefusedAndNothingRuns) {
  // A validly signed invocation with one bit of its msg flipped on the way ("tampered"
  // becomes "tampexed"): the token's hash no longer covers it.
  lattice::Invocation inv = ToX("Record", "tampered");
  Bytes bytes = lattice::Encode(inv);
  // msg travels as an array of integers: the byte 'r' (0x72, a positive fixint) of
  // "tampered"'s ...r... is found after the array header.
  Bytes marker = {'t', 'a', 'm', 'p', 'e', 'r', 'e', 'd'};
  auto at = std::search(bytes.begin(), bytes.end(), marker.begin(), marker.end());
  ASSERT_NE(at, bytes.end());
  at[5] ^= 0x0a;  // 'r' (0x72) -> 'x' (0x78)
  auto decoded = lattice::DecodeInvocation(bytes);
  ASSERT_TRUE(Ok(decoded));
  ASSERT_EQ(Text(decoded->msg), "tampexed");
  ExpectRefused(Send(XEntity(), bytes), inv.id, "hash mismatch");
  ExpectNothingRan();
  EXPECT_EQ(Runs("tampexed"), 0u);
}

TEST_F(NatsInboundTest, AReplayedInvocationIsRefusedTheSecondTime) {
  lattice::Invocation inv = ToX("Record", "once");
  const Bytes bytes = lattice::Encode(inv);
  lattice::InvocationResponse first = Send(XEntity(), bytes);
  ASSERT_FALSE(first.error.has_value()) << *first.error;
  EXPECT_EQ(Text(first.msg), "once");
  // The same message, captured and sent again over NATS.
  ExpectRefused(Send(XEntity(), bytes), inv.id, "replayed: token ");
  EXPECT_EQ(Runs("once"), 1u);
  EXPECT_EQ(engine_->guest_calls(), guest_calls_before_ + 1);
  // The same for a provider call.
  const Bytes add = lattice::Encode(AddFromX());
  ASSERT_FALSE(Send(KvEntity(), add).error.has_value());
  lattice::InvocationResponse again = Send(KvEntity(), add);
  ASSERT_TRUE(again.error.has_value());
  EXPECT_THAT(*again.error, StartsWith("Invocation refused: replayed"));
  EXPECT_EQ(provider_->CallCount("Add"), 2u);
}

TEST_F(NatsInboundTest, AReAimedInvocationIsRefusedAndNothingRuns) {
  // A valid invocation for actor X, published to actor Y's subject.
  lattice::Invocation inv = ToX("Record", "aimed at X");
  ExpectRefused(Send(YEntity(), lattice::Encode(inv)), inv.id,
                "re-aimed: the invocation targets actor " + x_.key);
  // And one for the provider published to X's subject.
  lattice::Invocation add = AddFromX();
  ExpectRefused(Send(XEntity(), lattice::Encode(add)), add.id, "re-aimed");
  ExpectNothingRan();
  EXPECT_EQ(Runs("aimed at X"), 0u);
  // Refused before the replay set: the token is still good where it was meant to go.
  lattice::InvocationResponse r = Send(XEntity(), lattice::Encode(inv));
  ASSERT_FALSE(r.error.has_value()) << *r.error;
  EXPECT_EQ(Runs("aimed at X"), 1u);
}

TEST_F(NatsInboundTest, AnExpiredInvocationIsRefusedAndNothingRuns) {
  const int64_t now = crypto::SystemUnixSeconds();
  lattice::SignOptions o;
  o.iat = static_cast<uint64_t>(now - 30);
  o.exp = static_cast<uint64_t>(now - 10);
  lattice::Invocation inv = ToX("Record", "late", o);
  ExpectRefused(Send(XEntity(), lattice::Encode(inv)), inv.id, "expired: the token expired at ");
  lattice::Invocation add = AddFromX(o);
  ExpectRefused(Send(KvEntity(), lattice::Encode(add)), add.id, "expired");
  // A 0.18 sender's token (no exp) issued longer ago than the maximum age (60 s).
  lattice::SignOptions old;
  old.iat = static_cast<uint64_t>(now - 120);
  lattice::Invocation legacy = ToX("Record", "late", old);
  auto claims = crypto::DecodeInvocationClaims(legacy.encoded_claims);
  ASSERT_TRUE(Ok(claims));
  claims->exp.reset();
  legacy.encoded_claims = crypto::SignJwt(crypto::ToJson(*claims), client_key_);
  ExpectRefused(Send(XEntity(), lattice::Encode(legacy)), legacy.id, "too old");
  ExpectNothingRan();
  EXPECT_EQ(Runs("late"), 0u);
}

TEST_F(NatsInboundTest, AnActorWhoseClaimsLackTheContractIsRefusedByTheProvidersHost) {
  // Y's claims are in the lattice data, without wasmcloud:keyvalue: a validly signed
  // invocation from Y to the provider (a sender that skipped the check) is stopped here.
  lattice::Invocation inv =
      Signed(YEntity(), KvEntity(), "Add", wire::Encode(wire::AddArgs{":y", 1}));
  ExpectRefused(Send(KvEntity(), lattice::Encode(inv)), inv.id,
                "unauthorized: actor " + y_.key +
                    " does not have the capability wasmcloud:keyvalue in its claims");
  // An actor that no host of the lattice ever ran has no claims at all.
  const std::string stranger =
      crypto::KeyPair::Generate(crypto::KeyType::kModule).public_key_text();
  lattice::Invocation from_stranger = Signed(lattice::Entity::Actor(stranger), KvEntity(), "Add",
                                             wire::Encode(wire::AddArgs{":y", 1}));
  ExpectRefused(Send(KvEntity(), lattice::Encode(from_stranger)), from_stranger.id,
                "unauthorized: no claims of actor " + stranger + " are known in this lattice");
  ExpectNothingRan();
}

// ---------------------------------------------------------------------------------------
// nats-server killed and restarted under load

// One call of the load: its payload (unique), when it started and ended, what it gave.
struct CallRecord {
  std::string payload;
  Clock::time_point start, end;
  Code code = Code::kOk;
  std::string message;  // the reply, or the error text
};

TEST_F(NatsLatticeTest, ServerKilledAndRestartedUnderLoadRunsNoCallTwiceAndTheHostsRecover) {
  const auto test_start = Clock::now();
  constexpr milliseconds kRpcTimeout{1000};
  SetLogLevel(LogLevel::kError);  // the outage makes every host say so, loudly
  Host& a = AddHost("default", [&](LatticeOptions& o) { o.rpc_timeout = kRpcTimeout; });
  HostConfig b_config;
  b_config.workers = 4;
  // B comes back later than A (it waits 5 s between reconnect attempts, A 250 ms): for a
  // while after the restart A's invocations find no responders, which A sends again
  // until B serves them or the deadline passes (then kNotFound, and they never ran). (With
  // 2 s, B was back about 1.45 s after A here: 0.45 s more than the RPC timeout, which a
  // slow restart of the server could eat.)
  Host& b = AddHost("default", {}, b_config, [](nats::NatsConnectionOptions& o) {
    o.reconnect_wait = std::chrono::milliseconds(5000);
  });
  const auto a_connection = joined_[0].connection;
  const auto b_connection = joined_[1].connection;
  FakeActor actor = MakeActor({"wasmcloud:keyvalue"});
  ASSERT_TRUE(Ok(b.StartActor(actor.module)));
  auto provider = StartKv(b);
  ASSERT_EQ(Reply(a.CallActor(actor.key, "Record", AsBytes("warm-up"))), "warm-up");

  // 4 callers on A call the actor on B, each call with a payload of its own, until told
  // to stop; a failed call waits 10 ms before the next (as a client would).
  constexpr int kCallers = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> succeeded{0};
  std::vector<std::vector<CallRecord>> records(kCallers);
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        CallRecord rec;
        rec.payload = "call-" + std::to_string(t) + "-" + std::to_string(i);
        rec.start = Clock::now();
        auto r = a.CallActor(actor.key, "Record", AsBytes(rec.payload));
        rec.end = Clock::now();
        if (r.ok()) {
          rec.message = Text(*r);
          succeeded.fetch_add(1);
        } else {
          rec.code = r.status().code();
          rec.message = r.status().message();
        }
        const bool ok = r.ok();
        records[t].push_back(std::move(rec));
        if (!ok) std::this_thread::sleep_for(milliseconds(10));
      }
    });
  }
  auto stop_callers = [&] {
    stop = true;
    for (auto& c : callers) c.join();
    callers.clear();
  };

  // Mid-load: 1,500 calls went through, then SIGKILL.
  constexpr int kCallsPerPhase = 1500;
  bool loaded =
      WaitUntil([&] { return succeeded.load() >= kCallsPerPhase; }, std::chrono::seconds(15));
  if (!loaded) stop_callers();
  ASSERT_TRUE(loaded) << "only " << succeeded.load() << " calls went through before the kill";
  const auto kill_time = Clock::now();
  const int before_kill = succeeded.load();
  server_->Kill();  // returns once the process is gone
  const auto killed_time = Clock::now();
  bool noticed = WaitUntil([&] { return !a_connection->connected() && !b_connection->connected(); },
                           kRestartWait);
  // Down for a while: the callers keep calling.
  std::this_thread::sleep_for(milliseconds(300));
  const auto restart_time = Clock::now();
  Status restarted = server_->Restart();
  const auto restarted_time = Clock::now();
  bool a_back =
      restarted.ok() && WaitUntil([&] { return a_connection->connected(); }, kRestartWait);
  const auto a_back_time = Clock::now();
  bool b_back = a_back && WaitUntil([&] { return b_connection->connected(); }, kRestartWait);
  const auto b_back_time = Clock::now();
  const bool reconnected = a_back && b_back;
  // The hosts recover on their own: 1,500 more calls go through.
  const int after_restart = succeeded.load();
  bool recovered =
      reconnected &&
      WaitUntil([&] { return succeeded.load() >= after_restart + kCallsPerPhase; }, kRestartWait);
  stop_callers();
  ASSERT_TRUE(noticed) << "the hosts did not notice the server was gone";
  ASSERT_TRUE(Ok(restarted));
  ASSERT_TRUE(reconnected) << "the hosts did not reconnect";
  ASSERT_TRUE(recovered) << "calls did not go through again after the restart";
  EXPECT_TRUE(a.running());
  EXPECT_TRUE(b.running());

  // What the actor ran: each payload at most once.
  std::map<std::string, int> runs;
  for (const std::string& p : engine_->recorded()) ++runs[p];
  int duplicates = 0;
  for (const auto& [payload, n] : runs) {
    if (n > 1) {
      ++duplicates;
      ADD_FAILURE() << payload << " ran " << n << " times";
    }
  }
  EXPECT_EQ(duplicates, 0);

  // The end of the first call to succeed that started once the server was gone: from
  // then on, the lattice is back.
  Clock::time_point recovered_at = Clock::time_point::max();
  for (const auto& per_thread : records) {
    for (const auto& rec : per_thread) {
      if (rec.code == Code::kOk && rec.start > killed_time) {
        recovered_at = std::min(recovered_at, rec.end);
      }
    }
  }
  ASSERT_NE(recovered_at, Clock::time_point::max());

  size_t total = 0, ok = 0, ran_but_failed = 0, retried = 0;
  std::map<Code, size_t> failures;
  for (const auto& per_thread : records) {
    for (const auto& rec : per_thread) {
      ++total;
      const int n = runs.count(rec.payload) ? runs[rec.payload] : 0;
      if (rec.code == Code::kOk) {
        ++ok;
        EXPECT_EQ(rec.message, rec.payload);
        EXPECT_EQ(n, 1) << rec.payload << " succeeded but ran " << n << " times";
        // Sent while A was back and B not yet: no responders at first, sent again until
        // B served it.
        if (rec.start >= a_back_time && rec.start + milliseconds(20) < b_back_time) ++retried;
        continue;
      }
      ++failures[rec.code];
      if (n > 0) ++ran_but_failed;
      SCOPED_TRACE(rec.payload + ": " + std::string(CodeName(rec.code)) + " " + rec.message +
                   " (started " + std::to_string(Millis(rec.start - kill_time)) +
                   " ms after the kill, ended " + std::to_string(Millis(rec.end - kill_time)) +
                   " ms after)");
      // Healthy before the kill and once recovered: nothing fails there.
      EXPECT_GE(rec.end, kill_time) << "failed before the server was killed";
      EXPECT_LE(rec.start, recovered_at) << "failed after the lattice had recovered";
      switch (rec.code) {
        case Code::kDeadlineExceeded:  // may have run (at most once: checked above)
          break;
        case Code::kUnavailable:
          // Not sent (one in flight fails kDeadlineExceeded): certainly did not run.
          EXPECT_EQ(n, 0) << "a call that was not sent ran";
          break;
        case Code::kNotFound:
          // No responders until the deadline: never delivered, never ran; only while B's
          // subscriptions were not back on the restarted server.
          EXPECT_THAT(rec.message, HasSubstr("no responders"));
          EXPECT_EQ(n, 0) << "a call that had no responders ran";
          EXPECT_GE(rec.end, restart_time);
          break;
        default:
          ADD_FAILURE() << "a failure the delivery rules do not allow";
      }
    }
  }
  EXPECT_GE(total, 3000u);
  EXPECT_GE(ok, 3000u);
  // B was away for longer than the RPC timeout while A was back: both outcomes of "no
  // responders" happened (sent again until B served it; not found at the deadline).
  EXPECT_GE(retried, 1u);
  EXPECT_GE(failures[Code::kNotFound], 1u);

  // A link set on A after the restart reaches B, whose provider is bound to it. (Writes
  // fail as "lattice data unavailable" until JetStream has its stream back.)
  Status link = Unavailable("not tried");
  int link_attempts = 0;
  const auto link_start = Clock::now();
  ASSERT_TRUE(WaitUntil(
      [&] {
        ++link_attempts;
        link =
            a.SetLink(actor.key, "wasmcloud:keyvalue", "default", KvKey(), {{"after", "restart"}});
        if (!link.ok()) {
          EXPECT_EQ(link.code(), Code::kUnavailable) << link.message();
          std::this_thread::sleep_for(milliseconds(50));
        }
        return link.ok();
      },
      kRestartWait))
      << link.ToString();
  const LinkDefinition expected{
      actor.key, KvKey(), "wasmcloud:keyvalue", "default", {{"after", "restart"}}};
  EXPECT_TRUE(
      WaitUntil([&] { return b.LinkDefinitions() == std::vector<LinkDefinition>{expected}; }));
  ASSERT_TRUE(WaitUntil([&] { return provider->Count(ProviderEvent::Kind::kBindActor) == 1; }));
  EXPECT_EQ(provider->LastBind(actor.key)->at("after"), "restart");
  const auto link_done = Clock::now();
  // And a call after it all goes through.
  EXPECT_EQ(Reply(a.CallActor(actor.key, "Record", AsBytes("the end"))), "the end");

  std::printf(
      "calls: %zu (%zu ok, %zu before the kill); failed: %zu deadline, %zu unavailable, %zu "
      "not found; ok after no responders: %zu; ran although the caller saw a failure: %zu; "
      "duplicates: %d\n",
      total, ok, static_cast<size_t>(before_kill), failures[Code::kDeadlineExceeded],
      failures[Code::kUnavailable], failures[Code::kNotFound], retried, ran_but_failed, duplicates);
  std::printf(
      "down %.0f ms; restart took %.0f ms; A reconnected %.0f ms after it, B %.0f ms; calls "
      "back %.0f ms after it; link set after %d attempts in %.0f ms; test %.1f s\n",
      Millis(restart_time - kill_time), Millis(restarted_time - restart_time),
      Millis(a_back_time - restarted_time), Millis(b_back_time - restarted_time),
      Millis(recovered_at - restarted_time), link_attempts, Millis(link_done - link_start),
      std::chrono::duration<double>(Clock::now() - test_start).count());
  EXPECT_LT(Clock::now() - test_start, std::chrono::seconds(45));
}

// ---------------------------------------------------------------------------------------
// Lattices isolated by name on one server

TEST_F(NatsLatticeTest, LatticesOfDifferentNamesOnOneServerDoNotSeeEachOther) {
  constexpr milliseconds kRpcTimeout{300};
  auto quick = [&](LatticeOptions& o) { o.rpc_timeout = kRpcTimeout; };
  Host& alpha = AddHost("alpha", quick);
  Host& beta = AddHost("beta", quick);
  FakeActor in_alpha = MakeActor({"wasmcloud:keyvalue"});
  FakeActor in_beta = MakeActor({"wasmcloud:keyvalue"});
  ASSERT_TRUE(Ok(alpha.StartActor(in_alpha.module)));
  ASSERT_TRUE(Ok(beta.StartActor(in_beta.module)));

  // A call from alpha to the actor that runs only in beta: nobody in alpha serves it.
  auto from_alpha = alpha.CallActor(in_beta.key, "Record", AsBytes("from alpha"));
  ASSERT_FALSE(from_alpha.ok());
  EXPECT_EQ(from_alpha.status().code(), Code::kNotFound);
  EXPECT_EQ(from_alpha.status().message(),
            "actor " + in_beta.key +
                " is not running on this host or any host of lattice alpha (no responders "
                "within 300 ms)");
  auto from_beta = beta.CallActor(in_alpha.key, "Record", AsBytes("from beta"));
  ASSERT_FALSE(from_beta.ok());
  EXPECT_EQ(from_beta.status().code(), Code::kNotFound);
  EXPECT_THAT(from_beta.status().message(), HasSubstr("any host of lattice beta (no responders"));
  EXPECT_EQ(Runs("from alpha"), 0u);
  EXPECT_EQ(Runs("from beta"), 0u);
  // Each reaches its own.
  EXPECT_EQ(Reply(alpha.CallActor(in_alpha.key, "Record", AsBytes("alpha"))), "alpha");
  EXPECT_EQ(Reply(beta.CallActor(in_beta.key, "Record", AsBytes("beta"))), "beta");
  // Raw, a valid invocation on beta's subject for alpha's actor finds nobody either.
  auto raw = Client().Request(
      lattice::RpcSubject("beta", lattice::Entity::Actor(in_alpha.key)),
      lattice::Encode(Signed(lattice::Entity::System(), lattice::Entity::Actor(in_alpha.key),
                             "Record", ToBytes("raw"))),
      milliseconds(2000));
  EXPECT_EQ(raw.status().code(), Code::kNotFound) << raw.status().ToString();
  EXPECT_EQ(Runs("raw"), 0u);

  // Links set in one lattice are not seen in the other.
  const LinkDefinition la{
      in_alpha.key, KvKey(), "wasmcloud:keyvalue", "default", {{"in", "alpha"}}};
  const LinkDefinition lb{in_beta.key, KvKey(), "wasmcloud:keyvalue", "default", {{"in", "beta"}}};
  ASSERT_TRUE(
      Ok(alpha.SetLink(la.actor_id, la.contract_id, la.link_name, la.provider_id, la.values)));
  EXPECT_EQ(alpha.LinkDefinitions(), std::vector<LinkDefinition>{la});
  ASSERT_TRUE(
      Ok(beta.SetLink(lb.actor_id, lb.contract_id, lb.link_name, lb.provider_id, lb.values)));
  EXPECT_EQ(beta.LinkDefinitions(), std::vector<LinkDefinition>{lb});
  // Removing alpha's link in beta: beta has no such link.
  EXPECT_EQ(beta.RemoveLink(la.actor_id, la.contract_id, la.link_name).code(), Code::kNotFound);
  // A while later (both watches had time to bring anything), still apart ...
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(alpha.LinkDefinitions(), std::vector<LinkDefinition>{la});
  EXPECT_EQ(beta.LinkDefinitions(), std::vector<LinkDefinition>{lb});
  // ... and so are the actors' claims (each lattice knows its own actor only).
  EXPECT_EQ(alpha.ActorClaims().count(in_beta.key), 0u);
  EXPECT_EQ(beta.ActorClaims().count(in_alpha.key), 0u);
  EXPECT_EQ(alpha.ActorClaims().count(in_alpha.key), 1u);

  // Hosts that join each lattice now are ready with its data only (Start waits for the
  // bucket's values: this is what each bucket holds, not a race with a watch).
  Host& alpha2 = AddHost("alpha", quick);
  Host& beta2 = AddHost("beta", quick);
  EXPECT_EQ(alpha2.LinkDefinitions(), std::vector<LinkDefinition>{la});
  EXPECT_EQ(beta2.LinkDefinitions(), std::vector<LinkDefinition>{lb});
  EXPECT_EQ(alpha2.ActorClaims().count(in_beta.key), 0u);
  EXPECT_EQ(beta2.ActorClaims().count(in_alpha.key), 0u);
  // The late joiner of alpha reaches alpha's actor on the first host.
  EXPECT_EQ(Reply(alpha2.CallActor(in_alpha.key, "Record", AsBytes("alpha2"))), "alpha2");
}

}  // namespace
}  // namespace wasmcloud::host
