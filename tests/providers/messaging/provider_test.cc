// libwasmcloud_messaging.so as the host sees it: loaded with provider::LoadNativeProvider
// and driven through the C ABI against a real nats-server, with a host whose CallActor
// records every HandleMessage; then on the real wasmcloud::host::Host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "host/host.h"
#include "nats_auth.h"
#include "nats_server.h"
#include "provider/native_library.h"
#include "provider/provider.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "support/test_pki.h"
#include "wasm/v8/v8_engine.h"
#include "wire/core.h"
#include "wire/messaging.h"

namespace wasmcloud::wire {
// For gtest's messages.
void PrintTo(const BrokerMessage& m, std::ostream* os) {
  *os << "{subject \"" << m.subject << "\", replyTo \"" << m.reply_to << "\", body "
      << HexEncode(m.body) << "}";
}
}  // namespace wasmcloud::wire

namespace wasmcloud::messaging {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using testing::FreePort;
using ::testing::HasSubstr;
using testing::NatsServer;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kLibrary[] = WC_MESSAGING_PROVIDER;
constexpr char kArchive[] = WC_MESSAGING_PAR;
constexpr std::string_view kContract = "wasmcloud:messaging";
const std::string kActorA = "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const std::string kActorB = "MBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const std::string kActorC = "MCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
constexpr auto kWait = std::chrono::seconds(10);

using wasmcloud::testing::Ok;

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = kWait) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }

// --- the host side: records HandleMessage calls -----------------------------------------

struct Delivery {
  std::string actor;
  std::string operation;
  wire::BrokerMessage message;
};

class RecordingHost final : public provider::ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation,
                          ByteView payload) override {
    auto message = wire::DecodeBrokerMessage(payload);
    std::function<Status(const wire::BrokerMessage&)> handler;
    {
      std::lock_guard lock(mu_);
      deliveries_.push_back(
          {std::string(actor), std::string(operation),
           message.ok() ? *message : wire::BrokerMessage{"(undecodable)", "", {}}});
      handler = handler_;
    }
    changed_.notify_all();
    if (handler && message.ok()) WC_RETURN_IF_ERROR(handler(*message));
    return Bytes{};  // HandleMessage returns nothing
  }
  void Log(LogLevel, std::string_view message) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(message);
  }

  // What the "actor" does with each message (runs on the provider's delivery thread).
  void OnMessage(std::function<Status(const wire::BrokerMessage&)> handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }
  // The deliveries so far, once there are at least `n` (fewer after kWait).
  std::vector<Delivery> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, kWait, [&] { return deliveries_.size() >= n; });
    return deliveries_;
  }
  std::vector<Delivery> Deliveries() {
    std::lock_guard lock(mu_);
    return deliveries_;
  }
  size_t CountFor(const std::string& actor) {
    std::lock_guard lock(mu_);
    return std::count_if(deliveries_.begin(), deliveries_.end(),
                         [&](const Delivery& d) { return d.actor == actor; });
  }
  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> lines_;
  std::function<Status(const wire::BrokerMessage&)> handler_;
};

// --- a plain libnats client, the other end of the test ----------------------------------

struct Received {
  std::string subject;
  std::string reply_to;
  std::string body;
};

class Client {
 public:
  static std::unique_ptr<Client> Connect(const std::string& url) {
    auto c = std::make_unique<Client>();
    if (natsConnection_ConnectTo(&c->nc_, url.c_str()) != NATS_OK) return nullptr;
    return c;
  }
  ~Client() {
    for (natsSubscription* s : subs_) natsSubscription_Destroy(s);
    natsConnection_Destroy(nc_);
  }

  natsSubscription* Subscribe(const std::string& subject) {
    natsSubscription* sub = nullptr;
    EXPECT_EQ(natsConnection_SubscribeSync(&sub, nc_, subject.c_str()), NATS_OK);
    subs_.push_back(sub);
    EXPECT_EQ(natsConnection_Flush(nc_), NATS_OK);
    return sub;
  }
  static std::optional<Received> Next(natsSubscription* sub) {
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub, 10000) != NATS_OK) return std::nullopt;
    Received r{natsMsg_GetSubject(m), natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "",
               std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m))};
    natsMsg_Destroy(m);
    return r;
  }
  // Answers every request on `subject` with "reply to <body>"; with `silent`, takes
  // requests and never answers.
  void Respond(const std::string& subject, bool silent = false) {
    natsSubscription* sub = nullptr;
    natsMsgHandler handler = silent ? &Ignore : &Answer;
    EXPECT_EQ(natsConnection_Subscribe(&sub, nc_, subject.c_str(), handler, nc_), NATS_OK);
    subs_.push_back(sub);
    EXPECT_EQ(natsConnection_Flush(nc_), NATS_OK);
  }
  void Publish(const std::string& subject, std::string_view body) {
    EXPECT_EQ(
        natsConnection_Publish(nc_, subject.c_str(), body.data(), static_cast<int>(body.size())),
        NATS_OK);
  }
  void Flush() { EXPECT_EQ(natsConnection_Flush(nc_), NATS_OK); }

 private:
  static void Answer(natsConnection* nc, natsSubscription*, natsMsg* m, void*) {
    const std::string body =
        "reply to " + std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m));
    if (natsMsg_GetReply(m) != nullptr) {
      natsConnection_Publish(nc, natsMsg_GetReply(m), body.data(), static_cast<int>(body.size()));
    }
    natsMsg_Destroy(m);
  }
  static void Ignore(natsConnection*, natsSubscription*, natsMsg* m, void*) { natsMsg_Destroy(m); }

  natsConnection* nc_ = nullptr;
  std::vector<natsSubscription*> subs_;
};

// --- the library through the loader -----------------------------------------------------

Result<std::shared_ptr<provider::Provider>> Load() {
  return provider::LoadNativeProvider(kLibrary, std::string(kContract));
}

TEST(MessagingLibraryTest, LoadsAsAMessagingProvider) {
  auto p = Load();
  ASSERT_TRUE(Ok(p));
  const provider::ProviderDescriptor d = (*p)->Describe();
  EXPECT_EQ(d.contract_id, kContract);
  EXPECT_EQ(d.name, "Messaging (NATS)");
  auto wrong = provider::LoadNativeProvider(kLibrary, "wasmcloud:keyvalue");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("contract id wasmcloud:messaging"));
}

class MessagingProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    auto server = NatsServer::Start();
    ASSERT_TRUE(Ok(server));
    server_ = std::move(*server);
    client_ = Client::Connect(server_->Url());
    ASSERT_NE(client_, nullptr);
    auto p = Load();
    ASSERT_TRUE(Ok(p));
    provider_ = *p;
    ASSERT_TRUE(Ok(provider_->Start(&host_)));
  }
  void TearDown() override {
    if (provider_ != nullptr) provider_->Stop();
  }

  Status Bind(const std::string& actor, provider::LinkValues values) {
    return provider_->BindActor(actor, values);
  }
  provider::LinkValues Values(const std::string& subscription) {
    return {{"URL", server_->Url()}, {"SUBSCRIPTION", subscription}};
  }
  Result<wire::PublishResponse> Publish(const std::string& actor, const wire::PublishArgs& args) {
    WC_ASSIGN_OR_RETURN(Bytes reply, provider_->HandleCall(actor, "Publish", wire::Encode(args)));
    return wire::DecodePublishResponse(reply);
  }
  Result<wire::BrokerMessage> Request(const std::string& actor, const wire::RequestArgs& args) {
    WC_ASSIGN_OR_RETURN(Bytes reply, provider_->HandleCall(actor, "Request", wire::Encode(args)));
    return wire::DecodeBrokerMessage(reply);
  }

  RecordingHost host_;
  std::unique_ptr<NatsServer> server_;
  std::unique_ptr<Client> client_;
  std::shared_ptr<provider::Provider> provider_;
};

TEST_F(MessagingProviderTest, DeliversEachMessageToHandleMessageInOrderWithExactBytes) {
  ASSERT_TRUE(Ok(Bind(kActorA, Values(" orders.* , audit.> "))));
  const std::string binary("\x00\xff\x01 z\r\n", 7);
  // Two subscriptions deliver in parallel: one message at a time keeps this order.
  ASSERT_TRUE(Ok(server_->Publish("orders.new", binary, "reply.here")));
  ASSERT_EQ(host_.WaitFor(1).size(), 1u);
  ASSERT_TRUE(Ok(server_->Publish("audit.x.y", "")));
  auto first = host_.WaitFor(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].actor, kActorA);
  EXPECT_EQ(first[0].operation, "HandleMessage");
  EXPECT_EQ(first[0].message, (wire::BrokerMessage{"orders.new", "reply.here", ToBytes(binary)}));
  EXPECT_EQ(first[1].message, (wire::BrokerMessage{"audit.x.y", "", {}}));

  constexpr int kCount = 500;
  for (int i = 0; i < kCount; ++i) client_->Publish("orders.seq", std::to_string(i));
  client_->Publish("ignored.subject", "not subscribed");
  client_->Flush();
  auto all = host_.WaitFor(2 + kCount);
  ASSERT_EQ(all.size(), 2u + kCount);
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(Text(all[2 + i].message.body), std::to_string(i)) << "message " << i;
    EXPECT_EQ(all[2 + i].message.subject, "orders.seq");
  }
  EXPECT_THAT(host_.Lines(), Contains("actor " + kActorA + ": connected to NATS at " +
                                      server_->Url() + ", subscribed to orders.*, audit.>"));
}

TEST_F(MessagingProviderTest, AnActorsErrorIsLoggedAndTheNextMessageStillComes) {
  host_.OnMessage([](const wire::BrokerMessage& m) {
    return Text(m.body) == "bad" ? GuestError("Guest call failed: boom") : Status::Ok();
  });
  ASSERT_TRUE(Ok(Bind(kActorA, Values("jobs"))));
  client_->Publish("jobs", "bad");
  client_->Publish("jobs", "good");
  client_->Flush();
  auto d = host_.WaitFor(2);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(Text(d[1].message.body), "good");
  EXPECT_THAT(host_.Lines(), Contains("actor " + kActorA +
                                      ": HandleMessage for a message on \"jobs\" failed: Guest "
                                      "call failed: boom"));
}

TEST_F(MessagingProviderTest, AQueueGroupSharesMessagesAndOthersStillGetThemAll) {
  ASSERT_TRUE(Ok(
      Bind(kActorA, {{"URL", server_->Url()}, {"SUBSCRIPTION", "work"}, {"QUEUEGROUP", "pool"}})));
  ASSERT_TRUE(Ok(Bind(kActorB, Values("work|pool"))));  // the same group, per subject
  ASSERT_TRUE(Ok(Bind(kActorC, Values("work"))));       // no group: every message
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) client_->Publish("work", std::to_string(i));
  client_->Flush();
  ASSERT_TRUE(WaitUntil([&] {
    return host_.CountFor(kActorC) == kCount &&
           host_.CountFor(kActorA) + host_.CountFor(kActorB) == kCount;
  })) << "A "
      << host_.CountFor(kActorA) << ", B " << host_.CountFor(kActorB) << ", C "
      << host_.CountFor(kActorC);
  EXPECT_GT(host_.CountFor(kActorA), 0u);  // the server spreads a group's messages
  EXPECT_GT(host_.CountFor(kActorB), 0u);
  // Each message went to exactly one member of the group.
  std::vector<int> seen(kCount, 0);
  for (const auto& d : host_.Deliveries()) {
    if (d.actor != kActorC) ++seen[std::stoi(Text(d.message.body))];
  }
  EXPECT_THAT(seen, ::testing::Each(1));
}

TEST_F(MessagingProviderTest, PublishReachesAPlainSubscriber) {
  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", server_->Url()}})));  // no subscriptions needed
  natsSubscription* sub = client_->Subscribe("out.>");
  const std::string body("bin\x00ary", 7);
  auto reply = provider_->HandleCall(
      kActorA, "Publish", wire::Encode(wire::PublishArgs{"out.a", "back.1", ToBytes(body)}));
  ASSERT_TRUE(Ok(reply));
  EXPECT_EQ(HexEncode(*reply), "81a97075626c6973686564c3");  // {published: true}
  auto got = Client::Next(sub);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->subject, "out.a");
  EXPECT_EQ(got->reply_to, "back.1");
  EXPECT_EQ(got->body, body);
  ASSERT_TRUE(Ok(Publish(kActorA, {"out.b", "", {}})));
  got = Client::Next(sub);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->subject, "out.b");
  EXPECT_EQ(got->reply_to, "");
  EXPECT_EQ(got->body, "");
}

TEST_F(MessagingProviderTest, RequestGetsTheRespondersReply) {
  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", server_->Url()}})));
  client_->Respond("svc.echo");
  auto reply = Request(kActorA, {"svc.echo", ToBytes("ping"), 2000});
  ASSERT_TRUE(Ok(reply));
  EXPECT_EQ(Text(reply->body), "reply to ping");
  EXPECT_THAT(reply->subject, StartsWith("_INBOX."));  // the reply came on the request's inbox
  EXPECT_EQ(reply->reply_to, "");
}

TEST_F(MessagingProviderTest, RequestsWithoutAnAnswerFailWithAClearMessage) {
  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", server_->Url()}})));
  client_->Respond("svc.silent", /*silent=*/true);
  const auto start = std::chrono::steady_clock::now();
  auto r = Request(kActorA, {"svc.silent", ToBytes("x"), 200});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Request \"svc.silent\": no reply within 200 ms");
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::seconds(5));

  r = Request(kActorA, {"svc.nobody", ToBytes("x"), 2000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Request \"svc.nobody\": no responders (nobody subscribes to the subject)");

  r = Request(kActorA, {"svc.silent", ToBytes("x"), 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Request \"svc.silent\": the timeout must be from 1 to 60000 ms, not 0");
}

TEST_F(MessagingProviderTest, CallsFromAnUnlinkedActorOrWithBadInputFail) {
  auto r = Publish(kActorA, {"x", "", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.status().message(),
      "actor " + kActorA + " is not linked to this wasmcloud:messaging provider (no BindActor)");
  ASSERT_FALSE(Request(kActorA, {"x", {}, 100}).ok());

  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", server_->Url()}})));
  auto unknown = provider_->HandleCall(kActorA, "Subscribe", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "wasmcloud:messaging has no operation \"Subscribe\"");
  auto malformed = provider_->HandleCall(kActorA, "Publish", AsBytes("\xc1"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_THAT(malformed.status().message(), StartsWith("Publish: malformed payload: "));
  EXPECT_EQ(Publish(kActorA, {"a.*", "", {}}).status().message(),
            "Publish: subject \"a.*\": wildcards (* and >) are not allowed here");
  EXPECT_EQ(Publish(kActorA, {"a\r\nPUB b 0", "", {}}).status().message(),
            "Publish: subject \"a\r\nPUB b 0\": a subject has no blanks or control characters");
  EXPECT_EQ(Publish(kActorA, {"a", "r r", {}}).status().message(),
            "Publish: replyTo \"r r\": a subject has no blanks or control characters");
  EXPECT_EQ(Publish(kActorA, {"", "", {}}).status().message(),
            "Publish: subject \"\": the subject is empty");
  // A body over the server's max_payload (1 MiB by default).
  auto big = Publish(kActorA, {"big", "", Bytes(2 << 20, 'x')});
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(
      big.status().message(),
      StartsWith("Publish \"big\": the body of 2097152 bytes is larger than the server allows"));
  EXPECT_TRUE(Ok(Publish(kActorA, {"small", "", {}})));  // the connection is still fine
}

TEST_F(MessagingProviderTest, ABadOrUnreachableUrlFailsTheBind) {
  Status s = Bind(kActorA, {{"URL", "http://127.0.0.1:4222"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "bad NATS URL \"http://127.0.0.1:4222\": the scheme must be nats:// or tls://");

  const std::string nobody = "nats://127.0.0.1:" + std::to_string(FreePort());
  const auto start = std::chrono::steady_clock::now();
  s = Bind(kActorA, {{"URL", nobody}, {"SUBSCRIPTION", "x"}});
  ASSERT_FALSE(s.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(s.message(),
            "cannot connect to NATS at " + nobody + ": No server available for connection");
  EXPECT_THAT(Publish(kActorA, {"x", "", {}}).status().message(), HasSubstr("is not linked"));

  s = Bind(kActorA, {{"URL", server_->Url()}, {"SUBSCRIPTION", "a..b"}});
  EXPECT_EQ(s.message(), "SUBSCRIPTION \"a..b\": a subject has no empty tokens");
}

TEST_F(MessagingProviderTest, UserAndPasswordInTheUrl) {
  auto secured = NatsServer::Start({"--user", "app", "--pass", "s3cret"});
  ASSERT_TRUE(Ok(secured));
  const std::string hostport = "127.0.0.1:" + std::to_string((*secured)->port());
  ASSERT_TRUE(Ok(Bind(kActorA, {{"URL", "nats://app:s3cret@" + hostport}})));
  EXPECT_TRUE(Ok(Publish(kActorA, {"x", "", {}})));
  Status wrong = Bind(kActorB, {{"URL", "nats://app:wrong@" + hostport}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.message(), "NATS at nats://app:***@" + hostport +
                                 " refused the credentials: Authentication Violation "
                                 "(Authorization Violation)");
  for (const auto& line : host_.Lines()) EXPECT_THAT(line, Not(HasSubstr("s3cret")));
}

// TLS_CA: the link's CA certificates (PEM text) verify a server that requires TLS; the
// actor's messages go out and come back over it. Without them the system's CAs do not
// know the test's CA, and the bind says so.
TEST_F(MessagingProviderTest, TlsWithTheLinksCaCertificates) {
  WC_REQUIRE_TOOL(!wasmcloud::testing::RunCommand({"openssl", "version"}).out.empty(), "openssl");
  const std::string dir = wasmcloud::testing::MakeTempDir();
  auto pki = wasmcloud::testing::MakeTestPki(dir);
  ASSERT_TRUE(Ok(pki));
  auto secured =
      NatsServer::Start({"--tls", "--tlscert", pki->server_cert, "--tlskey", pki->server_key});
  ASSERT_TRUE(Ok(secured));
  const std::string url = "tls://127.0.0.1:" + std::to_string((*secured)->port());
  auto ca = ReadFile(pki->ca_cert);
  ASSERT_TRUE(Ok(ca));
  ASSERT_TRUE(Ok(
      Bind(kActorA,
           {{"URL", url}, {"SUBSCRIPTION", "secure.in"}, {"TLS_CA", std::string(AsChars(*ca))}})));
  ASSERT_TRUE(Ok(Publish(kActorA, {"secure.in", "", ToBytes("over TLS")})));
  auto got = host_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message, (wire::BrokerMessage{"secure.in", "", ToBytes("over TLS")}));

  Status untrusted = Bind(kActorB, {{"URL", url}});  // (the C ABI carries the message only)
  EXPECT_THAT(untrusted.message(), HasSubstr("unable to get local issuer certificate"));
  EXPECT_THAT(untrusted.message(), HasSubstr("TLS with NATS at " + url + " failed: "));
  Status not_pem = Bind(kActorB, {{"URL", url}, {"TLS_CA", "MIIB..."}});
  EXPECT_EQ(not_pem.message(), "TLS_CA holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  std::filesystem::remove_all(dir);
}

// CLIENT_JWT/CLIENT_SEED against a server in operator mode (an operator, an account and
// its users, made like `nsc` makes them): they reach libnats as a .creds file, with no
// callback into the provider.
TEST_F(MessagingProviderTest, ClientJwtAndSeedOnAnOperatorModeServer) {
  testing::NatsOperatorAuth auth;
  const std::string dir = wasmcloud::testing::MakeTempDir();
  auto args = auth.ServerArgs(dir);
  ASSERT_TRUE(Ok(args));
  auto secured = NatsServer::Start(*args);
  ASSERT_TRUE(Ok(secured));
  const std::string url = (*secured)->Url();
  const auto a = auth.User("actor-a");
  const auto b = auth.User("actor-b");
  ASSERT_TRUE(Ok(Bind(
      kActorA,
      {{"URL", url}, {"SUBSCRIPTION", "jobs"}, {"CLIENT_JWT", a.jwt}, {"CLIENT_SEED", a.seed}})));
  ASSERT_TRUE(Ok(Bind(kActorB, {{"URL", url}, {"CLIENT_JWT", b.jwt}, {"CLIENT_SEED", b.seed}})));
  ASSERT_TRUE(Ok(Publish(kActorB, {"jobs", "", ToBytes("from b")})));
  const std::vector<Delivery> got = host_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].actor, kActorA);
  EXPECT_EQ(Text(got[0].message.body), "from b");

  const auto stranger = auth.Stranger("not-of-this-account");
  Status refused =
      Bind(kActorC, {{"URL", url}, {"CLIENT_JWT", stranger.jwt}, {"CLIENT_SEED", stranger.seed}});
  EXPECT_EQ(refused.message(), "NATS at " + url +
                                   " refused the credentials: Authentication Violation "
                                   "(Authorization Violation)");
  Status bad_seed = Bind(kActorC, {{"URL", url}, {"CLIENT_JWT", a.jwt}, {"CLIENT_SEED", "SUAAA"}});
  EXPECT_THAT(bad_seed.message(), StartsWith("NATS seed: "));
  for (const auto& line : host_.Lines()) {
    EXPECT_THAT(line, Not(HasSubstr(a.seed)));
    EXPECT_THAT(line, Not(HasSubstr(b.seed)));
  }
  EXPECT_TRUE(Ok(provider_->RemoveActor(kActorA)));
  EXPECT_TRUE(Ok(provider_->RemoveActor(kActorB)));
  std::filesystem::remove_all(dir);
}

TEST_F(MessagingProviderTest, RebindingWithTheSameValuesKeepsTheLinkAndNewValuesReplaceIt) {
  ASSERT_TRUE(Ok(Bind(kActorA, Values("one"))));
  provider::LinkValues again = Values(" one ");
  again["__wasmcloud_name"] = "renamed";  // host values do not count
  ASSERT_TRUE(Ok(Bind(kActorA, again)));
  EXPECT_THAT(host_.Lines(), Not(Contains(HasSubstr("the link changed"))));
  ASSERT_TRUE(Ok(server_->Publish("one", "1")));
  ASSERT_EQ(host_.WaitFor(1).size(), 1u);  // subscribed once, delivered once

  ASSERT_TRUE(Ok(Bind(kActorA, Values("two"))));
  EXPECT_THAT(host_.Lines(), Contains(HasSubstr("the link changed")));
  ASSERT_TRUE(Ok(server_->Publish("one", "old subject")));
  ASSERT_TRUE(Ok(server_->Publish("two", "2")));
  auto d = host_.WaitFor(2);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(Text(d[1].message.body), "2");

  // A failed rebind leaves the actor unbound rather than on the old link.
  ASSERT_FALSE(Bind(kActorA, {{"URL", "nats://127.0.0.1:" + std::to_string(FreePort())}}).ok());
  EXPECT_THAT(Publish(kActorA, {"x", "", {}}).status().message(), HasSubstr("is not linked"));
}

TEST_F(MessagingProviderTest, RemoveActorStopsDeliveryAndCalls) {
  ASSERT_TRUE(Ok(Bind(kActorA, Values("topic"))));
  ASSERT_TRUE(Ok(Bind(kActorB, Values("topic"))));
  ASSERT_TRUE(Ok(server_->Publish("topic", "before")));
  ASSERT_EQ(host_.WaitFor(2).size(), 2u);
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActorA)));
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActorA)));  // idempotent
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Ok(server_->Publish("topic", "after")));
  // B, still linked, sees all of them; A (same subject, same server) none.
  ASSERT_TRUE(WaitUntil([&] { return host_.CountFor(kActorB) == 21; }));
  EXPECT_EQ(host_.CountFor(kActorA), 1u);
  EXPECT_THAT(Publish(kActorA, {"x", "", {}}).status().message(), HasSubstr("is not linked"));
  EXPECT_THAT(host_.Lines(),
              Contains("actor " + kActorA + ": unlinked, its NATS connection is closed"));
}

TEST_F(MessagingProviderTest, AServerThatGoesAwayFailsPublishAndHealthUntilItIsBack) {
  ASSERT_TRUE(Ok(Bind(kActorA, Values("live"))));
  EXPECT_TRUE(Ok(provider_->Health()));
  auto health =
      provider_->HandleCall("system", "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(Ok(health));
  EXPECT_EQ(*wire::DecodeHealthResponse(*health), (wire::HealthResponse{true, ""}));

  client_.reset();
  server_->Kill();
  ASSERT_TRUE(WaitUntil([&] { return !provider_->Health().ok(); }));
  Status down = provider_->Health();
  EXPECT_THAT(down.message(),
              StartsWith("actor " + kActorA + ": NATS connection: not connected to NATS at " +
                         server_->Url() + ": it is reconnecting"));
  health = provider_->HandleCall("system", "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(Ok(health));
  EXPECT_FALSE(wire::DecodeHealthResponse(*health)->healthy);
  EXPECT_EQ(wire::DecodeHealthResponse(*health)->message, down.message());

  auto r = Publish(kActorA, {"live", "", ToBytes("lost?")});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("Publish \"live\": not connected to NATS at " +
                                               server_->Url() + ": it is reconnecting"));
  auto q = Request(kActorA, {"svc", {}, 1000});
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), StartsWith("Request \"svc\": not connected to NATS"));

  // Back on the same port: the connection and its subscription heal by themselves.
  ASSERT_TRUE(Ok(server_->Restart()));
  ASSERT_TRUE(WaitUntil([&] { return provider_->Health().ok(); }));
  ASSERT_TRUE(WaitUntil([&] {
    (void)server_->Publish("live", "again");
    return !host_.Deliveries().empty();
  }));
  EXPECT_EQ(Text(host_.Deliveries()[0].message.body), "again");
  EXPECT_TRUE(Ok(Publish(kActorA, {"live", "", {}})));
}

// An actor that publishes from its HandleMessage, as an echo service does: the reply
// goes out through the same provider while the delivery is in progress.
TEST_F(MessagingProviderTest, AnActorCanPublishFromItsHandler) {
  natsSubscription* replies = client_->Subscribe("replies");
  host_.OnMessage([&](const wire::BrokerMessage& m) -> Status {
    return Publish(kActorA, {m.reply_to, "", m.body}).status();
  });
  ASSERT_TRUE(Ok(Bind(kActorA, Values("ask"))));
  ASSERT_TRUE(Ok(server_->Publish("ask", "question", "replies")));
  auto got = Client::Next(replies);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, "question");
}

// --- loading, stopping and unloading -----------------------------------------------------

TEST(MessagingLifecycleTest, StopWhileMessagesFlowThenLoadAgain) {
  WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
  auto server = NatsServer::Start();
  ASSERT_TRUE(Ok(server));
  auto client = Client::Connect((*server)->Url());
  ASSERT_NE(client, nullptr);
  std::atomic<bool> publishing{true};
  std::thread publisher([&] {
    while (publishing.load()) {
      client->Publish("flood", "x");
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  for (int round = 0; round < 3; ++round) {
    RecordingHost host;
    // A slow actor: deliveries are in progress when Stop comes.
    host.OnMessage([](const wire::BrokerMessage&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return Status::Ok();
    });
    auto p = Load();
    ASSERT_TRUE(Ok(p)) << "round " << round;
    ASSERT_TRUE(Ok((*p)->Start(&host)));
    ASSERT_TRUE(
        Ok((*p)->BindActor(kActorA, {{"URL", (*server)->Url()}, {"SUBSCRIPTION", "flood"}})));
    ASSERT_TRUE(
        Ok((*p)->BindActor(kActorB, {{"URL", (*server)->Url()}, {"SUBSCRIPTION", "flood"}})));
    ASSERT_GE(host.WaitFor(20).size(), 20u) << "round " << round;
    (*p)->Stop();
    const size_t at_stop = host.Deliveries().size();
    p->reset();  // destroys the instance and closes the library
    // Nothing reached the host after Stop returned, though messages kept coming.
    client->Flush();
    EXPECT_EQ(host.Deliveries().size(), at_stop) << "round " << round;
  }
  publishing = false;
  publisher.join();
}

// --- on the real host --------------------------------------------------------------------

// Log lines of the process (the host logs what providers log), for one test.
class LogCapture {
 public:
  LogCapture() {
    previous_ = GetLogLevel();
    SetLogLevel(LogLevel::kDebug);
    SetLogSink([this](LogLevel, std::string_view component, std::string_view msg) {
      std::lock_guard lock(mu_);
      lines_.push_back(std::string(component) + ": " + std::string(msg));
    });
  }
  ~LogCapture() {
    SetLogSink({});
    SetLogLevel(previous_);
  }
  bool Has(const std::string& text) {
    std::lock_guard lock(mu_);
    return std::any_of(lines_.begin(), lines_.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }
  std::string All() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
  LogLevel previous_;
};

constexpr std::string_view kKvCounterKey =
    "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";

// The signed archive the build made, started by the host; a link binds and subscribes;
// a message reaches the host's dispatch to the linked actor. No actor with
// wasmcloud:messaging exists among the fixtures, so the actor is kvcounter, which has no
// HandleMessage: the call fails and the provider logs the host's answer. Done twice in
// one process: the host unloads the library at Stop and loads it again.
TEST(MessagingOnHostTest, TheArchiveRunsOnTheHostAndDeliversToTheLinkedActor) {
  WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
  auto server = NatsServer::Start();
  ASSERT_TRUE(Ok(server));
  auto module = ReadFile(wasmcloud::testing::FixturePath("wc-host-0.18/kvcounter.wasm"));
  ASSERT_TRUE(Ok(module));
  for (int round = 0; round < 2; ++round) {
    LogCapture log;
    host::Host host({}, wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host.Start()));
    ASSERT_TRUE(Ok(host.StartActor(*module)));
    auto pk = host.StartCapabilityFromFile(kArchive);
    ASSERT_TRUE(Ok(pk));
    auto identity = host.GetProviderIdentity(*pk, "default");
    ASSERT_TRUE(Ok(identity));
    EXPECT_EQ(identity->contract_id, kContract);
    EXPECT_EQ(identity->name, "wasmcloud messaging");

    ASSERT_TRUE(Ok(host.SetLink(kKvCounterKey, kContract, "default", *pk,
                                {{"URL", (*server)->Url()}, {"SUBSCRIPTION", "to.actor"}})));
    ASSERT_TRUE(WaitUntil([&] { return log.Has("subscribed to to.actor"); })) << log.All();
    ASSERT_TRUE(Ok((*server)->Publish("to.actor", "hello")));
    ASSERT_TRUE(WaitUntil([&] {
      // The guest's own answer: the call went through the host into the wasm actor.
      return log.Has("actor " + std::string(kKvCounterKey) +
                     ": HandleMessage for a message on \"to.actor\" failed: No handler "
                     "registered for function \"HandleMessage\"");
    })) << log.All();

    ASSERT_TRUE(Ok(host.RemoveLink(kKvCounterKey, kContract, "default")));
    EXPECT_TRUE(log.Has("unlinked, its NATS connection is closed")) << log.All();
    EXPECT_TRUE(Ok(host.Stop()));
  }
}

}  // namespace
}  // namespace wasmcloud::messaging
