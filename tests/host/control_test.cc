// The 0.18 control interface, events and heartbeat of hosts on an in-process lattice (a
// shared MemoryTransport), seen as a 0.18 client sees them: JSON requests on
// wasmbus.ctl.{ns}.*, JSON replies, PublishedEvents on wasmbus.ctl.{ns}.events and
// CloudEvents on wasmbus.evt.{ns}.{type}. (The same over NATS, from a client written in
// another language: tests/cli/ctl018_client_test.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "crypto/verify.h"
#include "host/host.h"
#include "host/lattice_hosts.h"
#include "host/test_providers.h"
#include "lattice/control_json.h"
#include "lattice/invocation.h"
#include "lattice/memory_kv_bucket.h"
#include "lattice/memory_transport.h"
#include "lattice/subjects.h"
#include "support/log_capture.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud::host {
namespace {

using ::testing::HasSubstr;
using wasmcloud::testing::Ok;
using Json = nlohmann::json;

constexpr std::string_view kEchoKey = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

const Bytes& Echo() {
  static Bytes bytes = [] {
    auto b = ReadFile(testing::FixturePath("wc-host-0.18/echo.wasm"));
    EXPECT_TRUE(b.ok());
    return b.ok() ? *b : Bytes{};
  }();
  return bytes;
}

wasm::EngineFactory SharedEngine() {
  static std::shared_ptr<wasm::Engine> engine = [] {
    auto e = wasm::CreateV8Engine();
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : nullptr;
  }();
  return [](const wasm::EngineConfig&) -> Result<std::shared_ptr<wasm::Engine>> { return engine; };
}

// Every message on a subject (wildcards allowed), as JSON.
class Listener {
 public:
  Listener(lattice::Transport& t, const std::string& subject) {
    auto sub = t.Subscribe(subject, "", [this](lattice::Message m) {
      std::lock_guard lock(mu_);
      messages_.push_back({m.subject, Json::parse(AsChars(m.data), nullptr, false)});
      cv_.notify_all();
    });
    EXPECT_TRUE(Ok(sub));
    if (sub.ok()) sub_ = std::move(*sub);
  }
  // Waits for a message whose JSON matches; returns it (null JSON after 10 s).
  std::pair<std::string, Json> WaitFor(
      const std::function<bool(const std::string&, const Json&)>& match) {
    std::unique_lock lock(mu_);
    std::pair<std::string, Json> found{"", Json()};
    cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const auto& [s, j] : messages_) {
        if (match(s, j)) {
          found = {s, j};
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<std::pair<std::string, Json>> All() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  // Waits (10 s at most) until `n` messages came.
  void WaitForCount(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return messages_.size() >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, Json>> messages_;
  std::unique_ptr<lattice::Subscription> sub_;
};

class ControlTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto& h : hosts_) (void)h->Stop();
    hosts_.clear();
    transport_->Close();
  }

  Host& AddHost(HostConfig config = {}, std::string lattice = "default",
                std::chrono::milliseconds heartbeat = std::chrono::milliseconds(30000),
                lattice::IssuerPolicy issuers = {}) {
    config.workers = 2;
    config.log_level = LogLevel::kWarn;
    LatticeOptions o;
    o.name = lattice;
    o.transport = transport_;
    o.bucket = bucket(lattice);
    o.heartbeat_interval = heartbeat;
    o.invocation_issuers = std::move(issuers);
    hosts_.push_back(std::make_unique<Host>(config, SharedEngine(), std::move(o)));
    Status s = hosts_.back()->Start();
    EXPECT_TRUE(s.ok()) << s.message();
    return *hosts_.back();
  }
  std::shared_ptr<lattice::MemoryKvBucket> bucket(const std::string& lattice) {
    auto& b = buckets_[lattice];
    if (!b) b = std::make_shared<lattice::MemoryKvBucket>(lattice::LatticeBucketName(lattice));
    return b;
  }

  // One request, one reply, as JSON (null when none came).
  Json Ask(const std::string& suffix, const std::string& body = "",
           const std::string& lattice = "default") {
    auto reply = transport_->Request(lattice::ControlSubject(lattice, suffix), AsBytes(body),
                                     std::chrono::seconds(5));
    if (!reply.ok()) return Json();
    return Json::parse(AsChars(reply->data), nullptr, false);
  }
  // Scatter-gather: the replies to one publish. With `expect` > 0, waits (10 s at most)
  // until that many came, then a grace for any beyond them; with 0, the 500 ms window a
  // client uses (for "nobody answers").
  std::vector<Json> Gather(const std::string& suffix, const std::string& body = "",
                           std::size_t expect = 0) {
    return Collect(lattice::ControlSubject("default", suffix), body, expect);
  }
  // The same on the v1 subjects (docs/control-v1.md).
  Json AskV1(const std::string& suffix, const std::string& body = "") {
    auto reply = transport_->Request(lattice::control_json::v1::Subject("default", suffix),
                                     AsBytes(body), std::chrono::seconds(5));
    if (!reply.ok()) return Json();
    return Json::parse(AsChars(reply->data), nullptr, false);
  }
  std::vector<Json> GatherV1(const std::string& suffix, const std::string& body = "",
                             std::size_t expect = 0) {
    return Collect(lattice::control_json::v1::Subject("default", suffix), body, expect);
  }
  std::vector<Json> Collect(const std::string& subject, const std::string& body,
                            std::size_t expect) {
    const std::string inbox = "_INBOX.test." + std::to_string(++inbox_);
    auto replies = std::make_shared<Listener>(*transport_, inbox);
    EXPECT_TRUE(Ok(transport_->Publish(subject, AsBytes(body), inbox)));
    if (expect == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    } else {
      replies->WaitForCount(expect);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // any beyond `expect`
    }
    std::vector<Json> out;
    for (auto& [s, j] : replies->All()) out.push_back(j);
    return out;
  }

  std::shared_ptr<lattice::MemoryTransport> transport_ =
      std::make_shared<lattice::MemoryTransport>();
  std::map<std::string, std::shared_ptr<lattice::MemoryKvBucket>> buckets_;
  std::vector<std::unique_ptr<Host>> hosts_;
  int inbox_ = 0;
};

TEST_F(ControlTest, EveryHostAnswersGetHostsAndEachItsOwnInventory) {
  HostConfig labelled;
  labelled.labels = {{"zone", "eu"}};
  Host& a = AddHost(labelled);
  Host& b = AddHost();
  AddHost({}, "other");  // another lattice: never answers
  ASSERT_TRUE(Ok(b.StartActor(Echo())));

  std::vector<Json> hosts = Gather("get.hosts", "", 2);
  std::set<std::string> ids;
  for (const Json& h : hosts) {
    ASSERT_TRUE(h.is_object()) << h;
    EXPECT_TRUE(h["uptime"].is_number_unsigned()) << h;
    EXPECT_EQ(h.size(), 2u) << h;
    ids.insert(h["id"].get<std::string>());
  }
  EXPECT_EQ(ids, (std::set<std::string>{a.id(), b.id()}));

  Json inv = Ask("get." + b.id() + ".inv");
  ASSERT_TRUE(inv.is_object()) << inv;
  EXPECT_EQ(inv["host_id"], b.id());
  EXPECT_EQ(inv["labels"]["hostcore.osfamily"], "unix");
  ASSERT_EQ(inv["actors"].size(), 1u) << inv;
  EXPECT_EQ(inv["actors"][0]["id"], kEchoKey);
  EXPECT_TRUE(inv["actors"][0]["name"].is_string());
  EXPECT_TRUE(inv["actors"][0]["revision"].is_number());
  EXPECT_FALSE(inv["actors"][0].contains("image_ref")) << "None fields are left out, as 0.18";
  bool extras = false;
  for (const Json& p : inv["providers"]) {
    extras |= p["id"] == std::string(kExtrasPublicKey) && p["link_name"] == "default";
  }
  EXPECT_TRUE(extras) << inv;
  Json inv_a = Ask("get." + a.id() + ".inv");
  EXPECT_EQ(inv_a["labels"]["zone"], "eu");
  EXPECT_TRUE(inv_a["actors"].empty());
}

TEST_F(ControlTest, LinksAndClaimsComeFromTheLatticeDataOnceAcrossHosts) {
  Host& a = AddHost();
  Host& b = AddHost();
  ASSERT_TRUE(Ok(b.StartActor(Echo())));
  const std::string provider =
      crypto::KeyPair::Generate(crypto::KeyType::kService).public_key_text();
  ASSERT_TRUE(Ok(a.SetLink(kEchoKey, "wasmcloud:keyvalue", "", provider, {{"URL", "x"}})));
  // SetLink returns once A's mirror has it; B's (which may answer) gets it a moment later.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (b.LinkDefinitions().size() != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }

  std::vector<Json> links = Gather("get.links", "", 1);
  ASSERT_EQ(links.size(), 1u) << "one host of the queue group answers";
  ASSERT_EQ(links[0]["links"].size(), 1u) << links[0];
  const Json& l = links[0]["links"][0];
  EXPECT_EQ(
      l.dump(),
      Json::parse(
          R"({"actor_id":")" + std::string(kEchoKey) + R"(","provider_id":")" + provider +
          R"(","link_name":"default","contract_id":"wasmcloud:keyvalue","values":{"URL":"x"}})")
          .dump());

  std::vector<Json> claims = Gather("get.claims", "", 1);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_EQ(claims[0]["claims"].size(), 1u) << claims[0];
  const Json& v = claims[0]["claims"][0]["values"];
  EXPECT_EQ(v["sub"], kEchoKey);
  EXPECT_EQ(v["caps"], "wasmcloud:httpserver");
  EXPECT_TRUE(v["rev"].is_string());
  EXPECT_TRUE(v["version"].is_string());
  EXPECT_TRUE(v["iss"].get<std::string>().starts_with("A"));
}

TEST_F(ControlTest, StopCommandsAnswerAs018) {
  Host& b = AddHost();
  ASSERT_TRUE(Ok(b.StartActor(Echo())));
  const std::string cmd = "cmd." + b.id() + ".";

  Json ack = Ask(cmd + "sa", R"({"host_id":")" + b.id() + R"(","actor_ref":")" +
                                 std::string(kEchoKey) + R"("})");
  EXPECT_EQ(ack, Json::parse(R"({"failure":null})"));
  EXPECT_TRUE(b.Actors().empty());
  ack = Ask(cmd + "sa", R"({"host_id":")" + b.id() + R"(","actor_ref":")" + std::string(kEchoKey) +
                            R"(","count":1})");
  EXPECT_EQ(ack["failure"],
            "Actor is either not running on this host or host controller unresponsive");

  ack = Ask(cmd + "sp", R"({"host_id":")" + b.id() + R"(","provider_ref":")" +
                            std::string(kExtrasPublicKey) +
                            R"(","link_name":"default","contract_id":"wasmcloud:extras"})");
  EXPECT_EQ(ack, Json::parse(R"({"failure":null})"));
  ack = Ask(cmd + "sp", R"({"host_id":")" + b.id() + R"(","provider_ref":")" +
                            std::string(kExtrasPublicKey) +
                            R"(","link_name":"default","contract_id":"wasmcloud:extras"})");
  EXPECT_EQ(ack["failure"],
            "Provider " + std::string(kExtrasPublicKey) + "/default is not running on this host");

  // Bad requests get a failure that says what is wrong, never silence or a crash.
  ack = Ask(cmd + "sa", "{not json");
  EXPECT_THAT(ack["failure"].get<std::string>(), HasSubstr("not valid JSON"));
  ack = Ask(cmd + "sa", R"({"actor_ref":7})");
  EXPECT_THAT(ack["failure"].get<std::string>(), HasSubstr("\"actor_ref\" is not a string"));
  ack = Ask(cmd + "la", "[]");
  EXPECT_THAT(ack["failure"].get<std::string>(), HasSubstr("not a JSON object"));
  EXPECT_EQ(ack["host_id"], b.id());
}

TEST_F(ControlTest, StartAndUpdateCommandsAreAcknowledgedFirst) {
  HostConfig live;
  live.allow_live_updates = true;
  Host& a = AddHost();
  Host& b = AddHost(live);
  ASSERT_TRUE(Ok(a.StartActor(Echo())));
  ASSERT_TRUE(Ok(b.StartActor(Echo())));

  // Already running here: refused at once, with 0.18's text.
  Json ack = Ask("cmd." + a.id() + ".la",
                 R"({"actor_ref":")" + std::string(kEchoKey) + R"(","host_id":")" + a.id() + "\"}");
  EXPECT_EQ(ack["failure"],
            "Actor with image ref '" + std::string(kEchoKey) + "' is already running on this host");
  EXPECT_EQ(ack["actor_ref"], kEchoKey);

  // Not running: acknowledged before the registry is asked (none listens here), then the
  // start fails in the background and nothing starts.
  const std::string ref = "127.0.0.1:1/nothing/here:0.1.0";
  ack =
      Ask("cmd." + a.id() + ".la", R"({"actor_ref":")" + ref + R"(","host_id":")" + a.id() + "\"}");
  EXPECT_EQ(ack, Json::parse(R"({"host_id":")" + a.id() + R"(","actor_ref":")" + ref +
                             R"(","failure":null})"));

  // upd: only where the actor runs (named by its key) and live updates are allowed.
  auto upd = [&](const std::string& host, const std::string& actor) {
    return R"({"host_id":")" + host + R"(","actor_id":")" + actor + R"(","new_actor_ref":")" + ref +
           "\"}";
  };
  EXPECT_EQ(Ask("cmd." + a.id() + ".upd", upd(a.id(), std::string(kEchoKey))),
            Json::parse(R"({"accepted":false})"))
      << "live updates are off on A";
  EXPECT_EQ(Ask("cmd." + b.id() + ".upd", upd(b.id(), "MNOTRUNNING")),
            Json::parse(R"({"accepted":false})"));
  EXPECT_EQ(Ask("cmd." + b.id() + ".upd", upd(b.id(), "wasmcloud.azurecr.io/echo:0.3.4")),
            Json::parse(R"({"accepted":false})"))
      << "0.18 names the actor by its key";
  EXPECT_EQ(Ask("cmd." + b.id() + ".upd", upd(a.id(), std::string(kEchoKey))),
            Json::parse(R"({"accepted":false})"))
      << "the body names another host";
  EXPECT_EQ(Ask("cmd." + b.id() + ".upd", upd(b.id(), std::string(kEchoKey))),
            Json::parse(R"({"accepted":true})"));
  // A reference that could never be pulled is refused before the ack.
  ack = Ask("cmd." + a.id() + ".la",
            R"({"actor_ref":"not a reference","host_id":")" + a.id() + "\"}");
  EXPECT_THAT(ack["failure"].get<std::string>(), HasSubstr("is not an OCI reference"));
  ack = Ask("cmd." + a.id() + ".lp", R"({"provider_ref":"","link_name":"default"})");
  EXPECT_THAT(ack["failure"].get<std::string>(), HasSubstr("is not an OCI reference"));
  // A file of the client's machine says how to start one.
  ack = Ask("cmd." + a.id() + ".lp",
            R"({"provider_ref":"/tmp/x//build/clock.par.gz","link_name":"default"})");
  EXPECT_THAT(ack["failure"].get<std::string>(),
              HasSubstr("push it to a registry with `wasmcloud reg push REF FILE`"));
  // Stopping the hosts waits for the commands still running in the background.
  ASSERT_TRUE(Ok(a.Stop()));
  ASSERT_TRUE(Ok(b.Stop()));
}

// A registry that takes connections and never answers: a pull from it waits until the
// host stops (or its request timeout).
class SilentRegistry {
 public:
  SilentRegistry() : fd_(testing::ListenOnLoopback(512, &port_)) { EXPECT_GE(fd_, 0); }
  ~SilentRegistry() { ::close(fd_); }
  std::string Ref(const std::string& name) const {
    return "127.0.0.1:" + std::to_string(port_) + "/silent/" + name + ":0.1.0";
  }

 private:
  int port_ = 0;  // before fd_: set by its initializer
  int fd_ = -1;
};

// Starts acknowledged before the registry answers are bounded: one at a time per
// reference (a host that is starting something does not bid for it either), at most 32
// running or waiting, and the host's stop ends them.
TEST_F(ControlTest, BackgroundCommandsAreOnePerTargetAndBounded) {
  SilentRegistry registry;
  HostConfig config;
  config.allowed_insecure = {"127.0.0.1"};
  Host& a = AddHost(config);
  auto la = [&](const std::string& ref) {
    return Ask("cmd." + a.id() + ".la",
               R"({"actor_ref":")" + ref + R"(","host_id":")" + a.id() + "\"}");
  };
  const std::string first = registry.Ref("a0");
  EXPECT_EQ(la(first)["failure"], nullptr);
  EXPECT_EQ(la(first)["failure"],
            "a command for the same actor " + first + " is already in progress on this host");
  EXPECT_TRUE(
      Gather("auction.actor", R"({"actor_ref":")" + first + R"(","constraints":{}})").empty())
      << "it is starting here";
  EXPECT_EQ(Gather("auction.actor",
                   R"({"actor_ref":")" + registry.Ref("other") + R"(","constraints":{}})", 1)
                .size(),
            1u);
  for (int i = 1; i < 32; ++i) {
    EXPECT_EQ(la(registry.Ref("a" + std::to_string(i)))["failure"], nullptr) << i;
  }
  EXPECT_EQ(la(registry.Ref("a32"))["failure"],
            "host busy: 32 control commands are running or waiting; try again");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Ok(a.Stop()));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  EXPECT_TRUE(a.Actors().empty());
}

// A host answers requests on inboxes only: an auction whose reply subject is another
// host's stop command, or an invocation whose reply subject is a key of the lattice data,
// gets no answer there (the bid would stop the actor; the error response would overwrite
// the key), and the invocation does not run.
TEST_F(ControlTest, AnswersGoToInboxesOnly) {
  Host& a = AddHost();
  Host& b = AddHost();
  ASSERT_TRUE(Ok(b.StartActor(Echo())));
  testing::LogCapture log;
  Listener stops(*transport_, lattice::ControlSubject("default", "cmd." + b.id() + ".sa"));
  ASSERT_TRUE(Ok(transport_->Publish(
      lattice::ControlSubject("default", "auction.actor"),
      AsBytes(R"({"actor_ref":")" + std::string(kEchoKey) + R"(","constraints":{}})"),
      lattice::ControlSubject("default", "cmd." + b.id() + ".sa"))));
  const std::string key = "$KV.LATTICEDATA_default.LINKDEF_x";
  Listener kv(*transport_, key);
  ASSERT_TRUE(Ok(transport_->Publish(
      lattice::RpcSubject("default", lattice::Entity::Actor(std::string(kEchoKey))),
      AsBytes("not an invocation"), key)));
  // Answered on an inbox, the same auction gets A's bid: the requests above were handled.
  EXPECT_EQ(Gather("auction.actor",
                   R"({"actor_ref":")" + std::string(kEchoKey) + R"(","constraints":{}})", 1)
                .size(),
            1u);
  EXPECT_TRUE(testing::Eventually([&] { return log.Count("not an inbox") == 2; })) << log.All();
  EXPECT_EQ(log.Count("ignored an invocation on wasmbus.rpc.default." + std::string(kEchoKey) +
                      ": a reply to \"" + key + "\" is not sent"),
            1u)
      << log.All();
  EXPECT_EQ(stops.All().size(), 0u);
  EXPECT_EQ(kv.All().size(), 0u);
  EXPECT_EQ(b.Actors().size(), 1u);
  EXPECT_TRUE(Ok(a.Stop()));
}

// What a lattice client sends (a reference, an actor id) reaches the log escaped: a line
// break in it cannot start a forged line of its own.
TEST_F(ControlTest, LatticeInputCannotForgeLogLines) {
  HostConfig live;
  live.allow_live_updates = true;
  Host& a = AddHost(live);
  ASSERT_TRUE(Ok(a.StartActor(Echo())));
  const std::string forged = "x\\n2026-01-01T00:00:00.000Z ERROR [host] FORGED";  // JSON \n
  testing::LogCapture log;
  Ask("cmd." + a.id() + ".la", R"({"actor_ref":")" + forged + R"(","host_id":")" + a.id() + "\"}");
  Ask("cmd." + a.id() + ".lp", R"({"provider_ref":")" + forged + R"(","link_name":"default"})");
  Ask("cmd." + a.id() + ".upd",
      R"({"host_id":"x","actor_id":")" + forged + R"(","new_actor_ref":")" + forged + "\"}");
  ASSERT_TRUE(Ok(a.Stop()));  // waits for the commands running in the background
  EXPECT_GE(log.Count("FORGED"), 3u) << log.All();
  EXPECT_EQ(log.Count("\n"), 0u) << log.All();
}

TEST_F(ControlTest, OnlyQualifyingHostsAnswerAuctions) {
  HostConfig eu, us;
  eu.labels = {{"zone", "eu"}};
  us.labels = {{"zone", "us"}};
  Host& a = AddHost(eu);
  Host& b = AddHost(us);
  ASSERT_TRUE(Ok(b.StartActor(Echo())));

  std::vector<Json> bids = Gather(
      "auction.actor", R"({"actor_ref":")" + std::string(kEchoKey) + R"(","constraints":{}})", 1);
  ASSERT_EQ(bids.size(), 1u) << "B runs echo: only A bids";
  EXPECT_EQ(bids[0]["host_id"], a.id());
  EXPECT_EQ(bids[0]["actor_ref"], kEchoKey);
  EXPECT_EQ(bids[0]["constraints"], Json::object());

  bids = Gather("auction.actor", R"({"actor_ref":"some/ref:1","constraints":{"zone":"us"}})", 1);
  ASSERT_EQ(bids.size(), 1u);
  EXPECT_EQ(bids[0]["host_id"], b.id());
  EXPECT_EQ(bids[0]["constraints"]["zone"], "us");
  EXPECT_TRUE(Gather("auction.actor", R"({"actor_ref":"x:1","constraints":{"zone":"EU"}})").empty())
      << "labels compare exactly";
  EXPECT_TRUE(Gather("auction.actor", R"({"constraints":{}})").empty()) << "malformed: no bid";

  bids = Gather("auction.provider",
                R"({"provider_ref":")" + std::string(kExtrasPublicKey) +
                    R"(","link_name":"other","constraints":{"zone":"eu"}})",
                1);
  ASSERT_EQ(bids.size(), 1u);
  EXPECT_EQ(bids[0], Json::parse(R"({"provider_ref":")" + std::string(kExtrasPublicKey) +
                                 R"(","link_name":"other","host_id":")" + a.id() + "\"}"));
  EXPECT_TRUE(Gather("auction.provider", R"({"provider_ref":")" + std::string(kExtrasPublicKey) +
                                             R"(","link_name":"default","constraints":{}})")
                  .empty())
      << "extras runs under default on every host";
}

TEST_F(ControlTest, EventsArePublishedIn018AndCloudEventsForm) {
  Listener legacy(*transport_, "wasmbus.ctl.default.events");
  Listener cloud(*transport_, "wasmbus.evt.default.>");
  Listener other(*transport_, "wasmbus.ctl.other.events");
  HostConfig live;
  live.allow_live_updates = true;
  Host& a = AddHost(live);
  auto started = legacy.WaitFor(
      [&](auto&, const Json& j) { return j.value("event", Json()) == "HostStarted"; });
  EXPECT_EQ(started.second["header"]["host_origin"], a.id());
  EXPECT_TRUE(started.second["header"]["timestamp"].is_number_unsigned());

  ASSERT_TRUE(Ok(a.StartActor(Echo())));
  auto actor = legacy.WaitFor([](auto&, const Json& j) {
    return j.contains("event") && j["event"].is_object() && j["event"].contains("ActorStarted");
  });
  EXPECT_EQ(actor.second["event"], Json::parse(R"({"ActorStarted":{"actor":")" +
                                               std::string(kEchoKey) + R"(","image_ref":null}})"));
  auto ce = cloud.WaitFor(
      [](const std::string& s, const Json&) { return s == "wasmbus.evt.default.actor_started"; });
  EXPECT_EQ(ce.second["specversion"], "1.0");
  EXPECT_EQ(ce.second["type"], "com.wasmcloud.lattice.actor_started");
  EXPECT_EQ(ce.second["source"], a.id());
  EXPECT_EQ(ce.second["data"]["public_key"], kEchoKey);
  EXPECT_EQ(ce.second["id"].get<std::string>().size(), 36u);
  EXPECT_TRUE(ce.second["time"].get<std::string>().ends_with("Z"));

  // A live update (upstream echo_r0 → echo_r1): began, then completed.
  constexpr std::string_view kEchoRevKey =
      "MDZKXB23KZOEWM7K47BNCX4IQXK7WZ3I3KL7UH6YVVWIUICAYLHCHHR6";
  auto r0 = ReadFile(testing::FixturePath("wc-host-0.18/echo_r0.wasm"));
  auto r1 = ReadFile(testing::FixturePath("wc-host-0.18/echo_r1.wasm"));
  ASSERT_TRUE(Ok(r0));
  ASSERT_TRUE(Ok(r1));
  ASSERT_TRUE(Ok(a.StartActor(*r0)));
  ASSERT_TRUE(Ok(a.UpdateActor(kEchoRevKey, *r1)));
  auto began = legacy.WaitFor([](auto&, const Json& j) {
    return j.contains("event") && j["event"].is_object() && j["event"].contains("ActorUpdateBegan");
  });
  EXPECT_EQ(began.second["event"]["ActorUpdateBegan"],
            Json::parse(R"({"actor":")" + std::string(kEchoRevKey) +
                        R"(","old_revision":0,"new_revision":1})"));
  auto done = legacy.WaitFor([](auto&, const Json& j) {
    return j.contains("event") && j["event"].is_object() &&
           j["event"].contains("ActorUpdateCompleted");
  });
  EXPECT_EQ(done.second["event"]["ActorUpdateCompleted"]["new_revision"], 1);

  ASSERT_TRUE(Ok(a.StopProvider(std::string(kExtrasPublicKey), "wasmcloud:extras", "default")));
  auto stopped = legacy.WaitFor([](auto&, const Json& j) {
    return j.contains("event") && j["event"].is_object() && j["event"].contains("ProviderStopped");
  });
  EXPECT_EQ(stopped.second["event"]["ProviderStopped"]["provider_id"], kExtrasPublicKey);
  EXPECT_EQ(stopped.second["event"]["ProviderStopped"]["link_name"], "default");

  ASSERT_TRUE(Ok(a.Stop()));
  // Stop returns after its events were published; the transport delivers them to this
  // listener on a thread of its own, a moment later.
  auto host_stopped = legacy.WaitFor(
      [](auto&, const Json& j) { return j.value("event", Json()) == "HostStopped"; });
  EXPECT_EQ(host_stopped.second["header"]["host_origin"], a.id());
  EXPECT_TRUE(other.All().empty()) << "nothing reaches another lattice";
}

TEST_F(ControlTest, V1AnswersInItsEnvelopeAndSaysWhatItDoesNotServe) {
  HostConfig labelled;
  labelled.labels = {{"zone", "eu"}};
  Host& a = AddHost(labelled);
  Host& b = AddHost();
  ASSERT_TRUE(Ok(b.StartActor(Echo())));

  std::vector<Json> pings = GatherV1("host.ping", "", 2);
  std::set<std::string> ids;
  for (const Json& p : pings) {
    ASSERT_EQ(p.value("success", false), true) << p;
    EXPECT_EQ(p["message"], "");
    ids.insert(p["response"].value("id", ""));
    EXPECT_EQ(p["response"]["lattice"], "default");
    EXPECT_FALSE(p["response"].value("version", "").empty());
    EXPECT_TRUE(p["response"]["uptime_seconds"].is_number_unsigned());
  }
  EXPECT_EQ(ids, (std::set<std::string>{a.id(), b.id()}));

  Json inv = AskV1("host.get." + b.id());
  ASSERT_EQ(inv.value("success", false), true) << inv;
  ASSERT_EQ(inv["response"]["actors"].size(), 1u) << inv;
  EXPECT_EQ(inv["response"]["actors"][0]["id"], kEchoKey);
  bool extras = false;
  for (const Json& p : inv["response"]["providers"]) {
    extras |= p["id"] == std::string(kExtrasPublicKey) && p["contract_id"] == "wasmcloud:extras";
  }
  EXPECT_TRUE(extras) << "v1 inventories name each provider's contract: " << inv;
  EXPECT_EQ(AskV1("host.get." + a.id())["response"]["labels"]["zone"], "eu");

  // Not a subject of the dialect, or one in the wrong form: said, not silence.
  for (const std::string& wrong : std::vector<std::string>{"foo.bar", "host.ping.extra",
                                                           "link.put." + a.id(), "actor.start"}) {
    Json r = AskV1(wrong, "{}");
    EXPECT_EQ(r, Json::parse(R"({"success":false,"message":"unsupported subject"})")) << wrong;
  }
  // Bad bodies: refused with the reason; nothing changes.
  Json bad = AskV1("label.put." + a.id(), "not json");
  EXPECT_EQ(bad.value("success", true), false);
  EXPECT_THAT(bad.value("message", ""),
              HasSubstr("bad request: label put: the request is not valid JSON"));
  Json missing = AskV1("actor.start." + a.id(), "{}");
  EXPECT_THAT(missing.value("message", ""), HasSubstr("\"actor_ref\" is missing"));
  Json reserved = AskV1("label.put." + a.id(), R"({"key":"hostcore.os","value":"x"})");
  EXPECT_EQ(reserved.value("success", true), false);
  EXPECT_THAT(reserved.value("message", ""), HasSubstr("reserved"));
  // A live update where live updates are off, of an actor that is not there.
  Json off = AskV1("actor.update." + b.id(),
                   R"({"actor_id":")" + std::string(kEchoKey) + R"(","new_actor_ref":"r:1"})");
  EXPECT_THAT(off.value("message", ""), HasSubstr("--allow-live-updates")) << off;
  Json absent = AskV1("actor.update." + a.id(),
                      R"({"actor_id":")" + std::string(kEchoKey) + R"(","new_actor_ref":"r:1"})");
  EXPECT_THAT(absent.value("message", ""), HasSubstr("is not running on host")) << absent;

  // Stopping a host needs its embedder's consent.
  Json refused = AskV1("host.stop." + a.id(), "{}");
  EXPECT_EQ(refused.value("success", true), false);
  EXPECT_THAT(refused.value("message", ""), HasSubstr("cannot be stopped through the lattice"));
  std::atomic<int> asked{0};
  a.SetStopRequestHandler([&] { asked.fetch_add(1); });
  Json accepted = AskV1("host.stop." + a.id(), "{}");
  EXPECT_EQ(accepted.value("success", false), true) << accepted;
  EXPECT_EQ(accepted["response"].value("operation_id", "").size(), 36u);
  EXPECT_EQ(asked.load(), 1);
  // A handler that stops the host on the spot runs on a control thread, which the stop
  // would join: refused with a reason, not a crash.
  Status stopped_inside;
  a.SetStopRequestHandler([&] { stopped_inside = a.Stop(); });
  EXPECT_EQ(AskV1("host.stop." + a.id(), "{}").value("success", false), true);
  EXPECT_EQ(stopped_inside.code(), Code::kFailedPrecondition) << stopped_inside.message();
  EXPECT_THAT(stopped_inside.message(), HasSubstr("a thread of the control interface"));
}

// An answer larger than the server takes (max_payload; get.links with thousands of links)
// is a failure that says so in the v1 envelope, and is logged; 0.18 has no shape for it.
TEST_F(ControlTest, AnAnswerLargerThanTheServerTakesIsSaid) {
  lattice::MemoryTransportOptions small;
  small.max_payload = 4096;
  transport_ = std::make_shared<lattice::MemoryTransport>(small);
  Host& a = AddHost();
  ASSERT_TRUE(Ok(a.SetLink(kEchoKey, "wasmcloud:extras", "big", kExtrasPublicKey,
                           {{"VALUE", std::string(5000, 'v')}})));
  testing::LogCapture log;
  Json v1 = AskV1("link.get", "{}");
  EXPECT_EQ(v1.value("success", true), false) << v1;
  EXPECT_THAT(v1.value("message", ""),
              HasSubstr("more than the NATS server's max_payload of 4096 bytes"));
  EXPECT_TRUE(Ask("get.links").is_null()) << "no 0.18 answer";
  EXPECT_GE(log.Count("cannot answer a control request on wasmbus.ctl.default.get.links: the "
                      "answer is "),
            1u)
      << log.All();
}

// v1 link.put waits until the host's watch has applied the write (up to 5 s). Such
// commands run on the command pool, not on the threads that answer queries: with three of
// them waiting (the watch paused), a query is still answered at once.
TEST_F(ControlTest, V1LinkWritesThatWaitDoNotHoldUpQueries) {
  Host& a = AddHost();
  (void)a;
  auto data = bucket("default");
  data->PauseWatches();  // writes go in; the watch, and so every writer, waits
  std::vector<std::shared_ptr<Listener>> answers;
  std::vector<std::string> keys;
  for (int i = 0; i < 3; ++i) {
    const std::string contract = "wasmcloud:test" + std::to_string(i);
    const std::string inbox = "_INBOX.test.put" + std::to_string(i);
    answers.push_back(std::make_shared<Listener>(*transport_, inbox));
    keys.push_back("LINKDEF_" + lattice::LinkId(kEchoKey, contract, "default"));
    const std::string body = R"({"actor_id":")" + std::string(kEchoKey) + R"(","provider_id":")" +
                             std::string(kExtrasPublicKey) + R"(","contract_id":")" + contract +
                             R"(","values":{}})";
    ASSERT_TRUE(Ok(transport_->Publish(lattice::control_json::v1::Subject("default", "link.put"),
                                       AsBytes(body), inbox)));
  }
  // All three wrote and now wait for the watch.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (const std::string& key : keys) {
    while (!data->Get(key)->has_value() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(data->Get(key)->has_value()) << key;
  }
  // Answered well within the writers' wait (5 s), which has not ended.
  auto reply = transport_->Request(lattice::control_json::v1::Subject("default", "claims.get"),
                                   AsBytes(""), std::chrono::seconds(2));
  ASSERT_TRUE(Ok(reply));
  Json claims = Json::parse(AsChars(reply->data), nullptr, false);
  EXPECT_EQ(claims.value("success", false), true) << claims;
  for (const auto& answer : answers) EXPECT_TRUE(answer->All().empty());
  data->ResumeWatches();
  for (const auto& answer : answers) {
    auto put = answer->WaitFor([](const std::string&, const Json&) { return true; });
    EXPECT_EQ(put.second.value("success", false), true) << put.second;
  }
}

TEST_F(ControlTest, V1CommandsCarryTheirOperationIdIntoTheirEvents) {
  Listener cloud(*transport_, "wasmbus.evt.default.>");
  Host& a = AddHost();
  Host& b = AddHost();
  // A write through one host reaches the other's mirror a moment later (its watch): a
  // read answered by the other host waits for that, as a client reading its own write
  // through the queue group would have to.
  auto both_have = [&](size_t links) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (a.LinkDefinitions().size() != links || b.LinkDefinitions().size() != links) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  };
  ASSERT_TRUE(Ok(a.StartActor(Echo())));
  auto event_of = [&](const std::string& type, const std::string& op) {
    return cloud.WaitFor([&](const std::string& s, const Json& j) {
      return s == "wasmbus.evt.default." + type && j["data"].value("operation_id", "") == op;
    });
  };

  Json put = AskV1("label.put." + a.id(), R"({"key":"zone","value":"west"})");
  ASSERT_EQ(put.value("success", false), true) << put;
  const std::string label_op = put["response"].value("operation_id", "");
  auto labels = event_of("labels_changed", label_op);
  EXPECT_EQ(labels.second["data"]["labels"]["zone"], "west") << labels.second;
  EXPECT_EQ(labels.second["source"], a.id());
  EXPECT_EQ(a.Labels().at("zone"), "west");

  // Links: written once through the queue group, read back with their ids.
  const std::string provider =
      crypto::KeyPair::Generate(crypto::KeyType::kService).public_key_text();
  Json link = AskV1("link.put",
                    R"({"actor_id":")" + std::string(kEchoKey) + R"(","provider_id":")" + provider +
                        R"(","contract_id":"wasmcloud:keyvalue","values":{"URL":"x"}})");
  ASSERT_EQ(link.value("success", false), true) << link;
  ASSERT_TRUE(both_have(1));
  std::vector<Json> got = GatherV1("link.get", "", 1);
  ASSERT_EQ(got.size(), 1u) << "one host of the queue group answers";
  ASSERT_EQ(got[0]["response"].size(), 1u) << got[0];
  const Json& l = got[0]["response"][0];
  EXPECT_EQ(l["link_name"], "default");
  EXPECT_EQ(l["values"]["URL"], "x");
  EXPECT_EQ(l["id"], lattice::LinkId(kEchoKey, "wasmcloud:keyvalue", "default"));
  Json claims = AskV1("claims.get");
  ASSERT_EQ(claims["response"].size(), 1u) << claims;
  EXPECT_EQ(claims["response"][0]["sub"], kEchoKey);
  EXPECT_TRUE(claims["response"][0]["name"].is_string()) << claims;
  Json del = AskV1("link.del", R"({"actor_id":")" + std::string(kEchoKey) +
                                   R"(","contract_id":"wasmcloud:keyvalue"})");
  ASSERT_EQ(del.value("success", false), true) << del;
  ASSERT_TRUE(both_have(0));
  Json del_again = AskV1("link.del", R"({"actor_id":")" + std::string(kEchoKey) +
                                         R"(","contract_id":"wasmcloud:keyvalue"})");
  EXPECT_EQ(del_again.value("success", true), false) << del_again;

  // A start that fails (no such registry) is accepted, then reported with its id.
  Json start = AskV1("actor.start." + a.id(), R"({"actor_ref":"127.0.0.1:1/nothing:0.1.0"})");
  ASSERT_EQ(start.value("success", false), true) << start;
  auto failed = event_of("actor_start_failed", start["response"].value("operation_id", ""));
  EXPECT_EQ(failed.second["data"]["actor_ref"], "127.0.0.1:1/nothing:0.1.0") << failed.second;
  EXPECT_THAT(failed.second["data"].value("error", ""), HasSubstr("nothing:0.1.0"));

  Json stop = AskV1("actor.stop." + a.id(), R"({"actor_ref":")" + std::string(kEchoKey) + "\"}");
  ASSERT_EQ(stop.value("success", false), true) << stop;
  auto stopped = event_of("actor_stopped", stop["response"].value("operation_id", ""));
  EXPECT_EQ(stopped.second["data"]["public_key"], kEchoKey);
  Json twice = AskV1("actor.stop." + a.id(), R"({"actor_ref":")" + std::string(kEchoKey) + "\"}");
  EXPECT_EQ(twice.value("success", true), false) << twice;
  // A provider's stop runs in the background; its event still carries the command's id.
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair service = crypto::KeyPair::Generate(crypto::KeyType::kService);
  NativeCapability kv;
  kv.provider = std::make_shared<test::FakeKeyValueProvider>();
  kv.claims = test::FakeProviderClaims(account, service);
  ASSERT_TRUE(Ok(a.StartNativeCapability(kv)));
  Json stop_provider = AskV1("provider.stop." + a.id(),
                             R"({"provider_ref":")" + service.public_key_text() +
                                 R"(","contract_id":"wasmcloud:keyvalue","link_name":"default"})");
  ASSERT_EQ(stop_provider.value("success", false), true) << stop_provider;
  auto provider_stopped =
      event_of("provider_stopped", stop_provider["response"].value("operation_id", ""));
  EXPECT_EQ(provider_stopped.second["data"]["public_key"], service.public_key_text());

  // Registry credentials: every host keeps them (plain subject).
  std::vector<Json> creds =
      GatherV1("registry.put", R"({"registry":"127.0.0.1:5000","username":"u","password":"p"})", 2);
  EXPECT_EQ(creds.size(), 2u);
  for (const Json& c : creds) EXPECT_EQ(c.value("success", false), true) << c;
  EXPECT_EQ(GatherV1("registry.put", R"({"username":"u"})", 2).size(), 2u)
      << "a bad request is answered (refused) by every host";
}

TEST_F(ControlTest, ProviderHealthIsPolledAndReportedWhenItChanges) {
  Listener cloud(*transport_, "wasmbus.evt.default.>");
  LatticeOptions o;
  o.transport = transport_;
  o.bucket = bucket("default");
  o.provider_health_first = std::chrono::milliseconds(50);
  o.provider_health_interval = std::chrono::milliseconds(100);
  HostConfig config;
  config.workers = 2;
  config.log_level = LogLevel::kWarn;
  hosts_.push_back(std::make_unique<Host>(config, SharedEngine(), std::move(o)));
  Host& a = *hosts_.back();
  ASSERT_TRUE(Ok(a.Start()));
  auto provider = std::make_shared<test::FakeKeyValueProvider>();
  std::atomic<bool> sick{false};
  provider->health = [&]() -> Status {
    return sick.load() ? Unavailable("redis is gone") : Status::Ok();
  };
  NativeCapability cap;
  cap.provider = provider;
  cap.link_name = "cache";
  auto key = a.StartNativeCapability(std::move(cap));
  ASSERT_TRUE(Ok(key));
  auto health_event = [&](const std::string& type, size_t nth) {
    return cloud.WaitFor([&, seen = size_t{0}](const std::string& s, const Json& j) mutable {
      return s == "wasmbus.evt.default." + type && j["data"]["public_key"] == *key &&
             j["data"]["link_name"] == "cache" && ++seen == nth;
    });
  };
  auto passed = health_event("health_check_passed", 1);
  ASSERT_FALSE(passed.first.empty()) << "the first answer is reported";
  EXPECT_EQ(passed.second["data"]["contract_id"], "wasmcloud:keyvalue");
  auto provider_in = [&](const Json& inv) {
    for (const Json& p : inv["response"]["providers"]) {
      if (p["id"] == *key && p["link_name"] == "cache") return p;
    }
    return Json();
  };
  EXPECT_EQ(provider_in(AskV1("host.get." + a.id()))["health"], "healthy");

  sick = true;
  auto failed = health_event("health_check_failed", 1);
  ASSERT_FALSE(failed.first.empty());
  EXPECT_EQ(failed.second["data"]["message"], "redis is gone");
  Json p = provider_in(AskV1("host.get." + a.id()));
  EXPECT_EQ(p["health"], "unhealthy") << p;
  EXPECT_EQ(p["health_message"], "redis is gone") << p;
  // Still sick: no second failure event; back: passed again.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  sick = false;
  ASSERT_FALSE(health_event("health_check_passed", 2).first.empty());
  int failures = 0;
  for (const auto& [s, j] : cloud.All()) {
    failures += s == "wasmbus.evt.default.health_check_failed" && j["data"]["public_key"] == *key;
  }
  EXPECT_EQ(failures, 1) << "only changes are events";
}

// A host without a lattice polls its providers too: the log says when one turns unhealthy
// (`up --no-lattice` said nothing), and the events reach an event sink.
TEST(SinglePlayerHealthTest, AnUnhealthyProviderIsLogged) {
  testing::LogCapture log;
  auto events = std::make_shared<lattice::MemoryEventSink>();
  LatticeOptions o;
  o.events = events;
  o.provider_health_first = std::chrono::milliseconds(50);
  o.provider_health_interval = std::chrono::milliseconds(100);
  HostConfig config;
  config.workers = 2;
  Host host(config, SharedEngine(), o);
  ASSERT_TRUE(Ok(host.Start()));
  auto provider = std::make_shared<test::FakeKeyValueProvider>();
  provider->health = []() -> Status { return Unavailable("database unreachable"); };
  NativeCapability cap;
  cap.provider = provider;
  cap.link_name = "cache";
  auto key = host.StartNativeCapability(std::move(cap));
  ASSERT_TRUE(Ok(key));
  EXPECT_TRUE(testing::Eventually([&] {
    return log.Count("WARN [host] provider " + *key +
                     " (cache) is unhealthy: database "
                     "unreachable") == 1;
  })) << log.All();
  EXPECT_TRUE(testing::Eventually([&] {
    for (const auto& e : events->Events()) {
      if (e.type == "health_check_failed" && e.data.value("public_key", "") == *key) return true;
    }
    return false;
  }));
  ASSERT_TRUE(Ok(host.Stop()));
}

TEST_F(ControlTest, TheHeartbeatReportsEachEntitysHealth) {
  Listener legacy(*transport_, "wasmbus.ctl.default.events");
  Listener cloud(*transport_, "wasmbus.evt.default.host_heartbeat");
  Host& a = AddHost({}, "default", std::chrono::milliseconds(200));
  ASSERT_TRUE(Ok(a.StartActor(Echo())));
  auto beat = legacy.WaitFor([&](auto&, const Json& j) {
    return j.contains("event") && j["event"].is_object() && j["event"].contains("Heartbeat") &&
           j["event"]["Heartbeat"]["entities"].contains(std::string(kEchoKey));
  });
  ASSERT_TRUE(beat.second.is_object()) << "no heartbeat with echo";
  const Json& hb = beat.second["event"]["Heartbeat"];
  EXPECT_EQ(hb["entities"][std::string(kEchoKey)], "Running");
  EXPECT_EQ(hb["entities"][std::string(kExtrasPublicKey)], "Running");
  bool echo_claims = false;
  for (const Json& c : hb["claims"]) echo_claims |= c["sub"] == kEchoKey;
  EXPECT_TRUE(echo_claims) << hb;
  auto ce = cloud.WaitFor([](auto&, const Json& j) { return !j["data"]["actors"].empty(); });
  EXPECT_EQ(ce.second["data"]["actors"][0]["id"], kEchoKey);
  EXPECT_TRUE(ce.second["data"]["uptime_seconds"].is_number());
}

// Issuer policy "lattice": only hosts seen in the lattice (their events, or their answer
// to get.hosts at start) may sign the invocations a host runs.
TEST_F(ControlTest, TheLatticeIssuerPolicyAcceptsOnlyHostsOfTheLattice) {
  Host& before = AddHost();
  auto policy = lattice::IssuerPolicy::Parse("lattice");
  ASSERT_TRUE(Ok(policy));
  // Where the strict host asks get.hosts to answer: anyone who listens there sees it.
  std::mutex asked_mu;
  std::vector<std::string> asked;
  auto asking = transport_->Subscribe(lattice::ControlSubject("default", "get.hosts"), "",
                                      [&](lattice::Message m) {
                                        std::lock_guard lock(asked_mu);
                                        asked.push_back(m.reply);
                                      });
  ASSERT_TRUE(Ok(asking));
  Host& strict = AddHost({}, "default", std::chrono::milliseconds(30000), *policy);
  // Its start published get.hosts; the memory transport delivers it on a thread of its
  // own, which may come after the start returned.
  ASSERT_TRUE(testing::Eventually([&] {
    std::lock_guard lock(asked_mu);
    return !asked.empty();
  }));
  std::string strict_inbox;
  {
    std::lock_guard lock(asked_mu);
    strict_inbox = asked.front();
  }
  ASSERT_TRUE(Ok(strict.StartActor(Echo())));
  Host& after = AddHost();
  const Bytes health = {0x81, 0xab, 'p', 'l', 'a', 'c', 'e', 'h', 'o', 'l', 'd', 'e', 'r', 0xc3};
  // Both hosts become known (answers and events arrive on the transport's threads).
  for (Host* h : {&before, &after}) {
    Result<Bytes> r = Internal("not called");
    for (int i = 0; i < 200 && !r.ok(); ++i) {
      r = h->CallActor(kEchoKey, "HealthRequest", health);
      if (!r.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    EXPECT_TRUE(Ok(r)) << "host " << h->id();
  }
  // A signer that never joined (what a 0.18 client is) is refused.
  crypto::KeyPair stranger = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  lattice::SignOptions sign;
  sign.exp = static_cast<uint64_t>(crypto::SystemUnixSeconds() + 5);
  auto inv = lattice::NewInvocation(stranger, lattice::Entity::System(),
                                    lattice::Entity::Actor(std::string(kEchoKey)), "HealthRequest",
                                    health, sign);
  ASSERT_TRUE(Ok(inv));
  auto reply = transport_->Request(
      lattice::RpcSubject("default", lattice::Entity::Actor(std::string(kEchoKey))),
      lattice::Encode(*inv), std::chrono::seconds(5));
  ASSERT_TRUE(Ok(reply));
  auto response = lattice::DecodeInvocationResponse(reply->data);
  ASSERT_TRUE(Ok(response));
  ASSERT_TRUE(response->error.has_value());
  EXPECT_THAT(*response->error, HasSubstr("Invocation refused: untrusted issuer: host " +
                                          stranger.public_key_text()));
  // An "answer" sent to the strict host's get.hosts inbox after its window does not make
  // the stranger a host of the lattice.
  std::this_thread::sleep_for(LatticeHosts::kAnswerWindow + std::chrono::milliseconds(200));
  ASSERT_TRUE(Ok(transport_->Publish(
      strict_inbox, AsBytes(R"({"id":")" + stranger.public_key_text() + R"(","uptime":1})"))));
  ASSERT_TRUE(Ok(transport_->Flush(std::chrono::seconds(5))));
  auto again = lattice::NewInvocation(stranger, lattice::Entity::System(),
                                      lattice::Entity::Actor(std::string(kEchoKey)),
                                      "HealthRequest", health, sign);
  ASSERT_TRUE(Ok(again));
  reply = transport_->Request(
      lattice::RpcSubject("default", lattice::Entity::Actor(std::string(kEchoKey))),
      lattice::Encode(*again), std::chrono::seconds(5));
  ASSERT_TRUE(Ok(reply));
  response = lattice::DecodeInvocationResponse(reply->data);
  ASSERT_TRUE(Ok(response));
  ASSERT_TRUE(response->error.has_value()) << "a late answer made the stranger a host";
  EXPECT_THAT(*response->error, HasSubstr("untrusted issuer"));
  // Without a lattice the policy cannot work: a clear error.
  HostConfig config;
  LatticeOptions alone;
  alone.invocation_issuers = *policy;
  Host single(config, SharedEngine(), alone);
  EXPECT_THAT(single.Start().message(), HasSubstr("needs a lattice"));
}

// A lost lattice data bucket: the host says so (degraded), re-fills it from its mirror,
// and says so again (restored).
TEST_F(ControlTest, ALostBucketIsReportedDegradedThenRestoredAndRefilled) {
  Listener cloud(*transport_, "wasmbus.evt.default.>");
  Host& a = AddHost();
  ASSERT_TRUE(Ok(a.StartActor(Echo())));
  bucket("default")->LoseAndRecreate();
  auto degraded = cloud.WaitFor([](const std::string& s, const Json&) {
    return s == "wasmbus.evt.default.lattice_data_degraded";
  });
  EXPECT_EQ(degraded.second["source"], a.id());
  EXPECT_FALSE(degraded.second["data"]["reason"].get<std::string>().empty());
  auto restored = cloud.WaitFor([](const std::string& s, const Json&) {
    return s == "wasmbus.evt.default.lattice_data_restored";
  });
  EXPECT_EQ(restored.second["source"], a.id());
  auto claims = bucket("default")->Get("CLAIMS_" + std::string(kEchoKey));
  ASSERT_TRUE(Ok(claims));
  EXPECT_TRUE(claims->has_value()) << "the claims are back in the bucket";
}

}  // namespace
}  // namespace wasmcloud::host
