// NatsTransport (src/nats/nats_transport.h) against a real nats-server on a free loopback
// port: the Transport conformance suite, then what only NATS has: a server that dies and
// comes back, "no responders" from the server, bursts above libnats' default limits,
// hostile bytes from the server, and the request/reply latency figure.
#include "nats/nats_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "lattice/transport_conformance.h"
#include "nats/nats_connection.h"
#include "providers/messaging/nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"

namespace wasmcloud::nats {
namespace {

using lattice::Collector;
using lattice::Flag;
using lattice::kWaitLimit;
using lattice::Message;
using lattice::SubscribeAndFlush;
using lattice::Transport;
using messaging::testing::NatsServer;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::wasmcloud::nats::kControlPendingLimits;
using Clock = std::chrono::steady_clock;

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A new connection (and transport) to `server`. Reconnects quickly: the tests restart
// servers.
Result<std::shared_ptr<NatsTransport>> ConnectTo(
    const NatsServer& server, bool send_asap = false,
    wasmcloud::nats::NatsPendingLimits limits = wasmcloud::nats::kRpcPendingLimits) {
  NatsConnectionOptions options;
  options.servers = {server.Url()};
  options.name = "nats_transport_test";
  options.send_asap = send_asap;
  options.reconnect_wait = milliseconds(50);
  options.reconnect_jitter = milliseconds(10);
  WC_ASSIGN_OR_RETURN(std::shared_ptr<NatsConnection> connection,
                      NatsConnection::Connect(std::move(options)));
  return std::make_shared<NatsTransport>(std::move(connection), limits);
}

// True once `condition` holds, false when `limit` passes first. (libnats' connection
// state has nothing to wait on, so this looks every few ms.)
template <typename Condition>
bool WaitUntil(Condition condition, milliseconds limit = kWaitLimit) {
  const auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// The conformance suite's server: one nats-server; each Connect() a new NatsConnection.
class NatsTransportServer final : public lattice::TransportServer {
 public:
  explicit NatsTransportServer(std::unique_ptr<NatsServer> server) : server_(std::move(server)) {}
  Result<std::shared_ptr<Transport>> Connect() override {
    WC_ASSIGN_OR_RETURN(std::shared_ptr<NatsTransport> transport, ConnectTo(*server_));
    return std::shared_ptr<Transport>(std::move(transport));
  }

 private:
  std::unique_ptr<NatsServer> server_;
};

Result<std::unique_ptr<lattice::TransportServer>> StartNatsTransportServer() {
  WC_ASSIGN_OR_RETURN(std::unique_ptr<NatsServer> server, NatsServer::Start());
  return std::unique_ptr<lattice::TransportServer>(
      std::make_unique<NatsTransportServer>(std::move(server)));
}

// Writes raw protocol to the server on a connection of its own (headers enabled), then
// PING, and waits for the PONG: the server has routed everything when this returns.
Status SendRaw(int port, const std::string& protocol) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Unavailable("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return Unavailable("connect");
  }
  std::string got;
  auto read_until = [&](std::string_view text) {
    const auto deadline = Clock::now() + kWaitLimit;
    char buf[4096];
    while (got.find(text) == std::string::npos) {
      if (Clock::now() >= deadline) return false;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      got.append(buf, static_cast<size_t>(n));
    }
    return true;
  };
  const std::string out =
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}\r\n" + protocol + "PING\r\n";
  bool ok = read_until("\r\n") &&
            write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()) &&
            read_until("PONG\r\n");
  close(fd);
  if (!ok) return Unavailable("the server did not take the protocol: " + got);
  if (got.find("-ERR") != std::string::npos) return Internal("nats-server: " + got);
  return Status::Ok();
}

class NatsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    Result<std::unique_ptr<NatsServer>> server = NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }

  std::shared_ptr<NatsTransport> Connect(
      bool send_asap = false,
      wasmcloud::nats::NatsPendingLimits limits = wasmcloud::nats::kRpcPendingLimits) {
    Result<std::shared_ptr<NatsTransport>> transport = ConnectTo(*server_, send_asap, limits);
    EXPECT_TRUE(transport.ok()) << transport.status().message();
    return transport.ok() ? std::move(transport).value() : nullptr;
  }

  std::unique_ptr<NatsServer> server_;  // declared first: outlives the test's connections
};

TEST_F(NatsTransportTest, ServerKilledWhileARequestWaitsIsUnavailableAtOnce) {
  auto requester = Connect();
  auto responder = Connect();
  ASSERT_TRUE(requester && responder);
  Collector silent;
  auto sub = SubscribeAndFlush(*responder, "nt.silent", "", silent.Handler());
  ASSERT_NE(sub, nullptr);

  constexpr milliseconds kTimeout(30000);
  const auto start = Clock::now();
  auto waiting = std::async(std::launch::async, [&] {
    return requester->Request("nt.silent", AsBytes("anyone?"), kTimeout);
  });
  // Delivered: the request waits for its reply now.
  ASSERT_TRUE(silent.WaitFor(1));
  server_->Kill();
  ASSERT_EQ(waiting.wait_for(kWaitLimit), std::future_status::ready) << "the request hangs";
  Result<Message> r = waiting.get();
  const auto elapsed = Clock::now() - start;
  // Not kUnavailable, which says "not delivered, try again".
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
  EXPECT_THAT(r.status().message(), HasSubstr("may have been delivered"));
  EXPECT_LT(elapsed, kTimeout / 3);
  std::printf("request failed %.1f ms after it was sent (server killed)\n", Millis(elapsed));

  // While the server is down nothing is sent, and nothing waits.
  ASSERT_TRUE(WaitUntil([&] { return !requester->connection()->connected(); }));
  EXPECT_EQ(requester->Publish("nt.silent", AsBytes("x")).code(), Code::kUnavailable);
  const auto again = Clock::now();
  Result<Message> down = requester->Request("nt.silent", AsBytes("x"), kTimeout);
  EXPECT_EQ(down.status().code(), Code::kUnavailable) << down.status().message();
  EXPECT_THAT(down.status().message(), HasSubstr("not sent"));
  EXPECT_LT(Clock::now() - again, kTimeout / 3);
  EXPECT_EQ(requester->Flush(milliseconds(100)).code(), Code::kUnavailable);
}

// A server that stops reading (SIGSTOP here; a paused VM or a network that drops packets
// look the same to a client) does not freeze the connection: once the socket's buffers are
// full, the blocked write gives up at the write deadline and the connection is dropped,
// its state can be asked meanwhile, and it reconnects when the server reads again.
// (Without a deadline, the write blocked with libnats' connection lock held, and every
// publish, request and status query waited behind it for as long as TCP kept trying.)
TEST_F(NatsTransportTest, AServerThatStopsReadingDoesNotFreezeTheConnection) {
  NatsConnectionOptions options;
  options.servers = {server_->Url()};
  options.name = "nats_transport_test_stalled";
  options.send_asap = true;
  options.reconnect_wait = milliseconds(50);
  options.ping_interval = milliseconds(600000);  // pings would notice too, later
  options.write_deadline = milliseconds(1000);
  std::atomic<int> disconnects{0};
  options.on_event = [&](const wasmcloud::nats::NatsConnectionEvent& e) {
    if (e.kind == wasmcloud::nats::NatsConnectionEvent::Kind::kDisconnected) ++disconnects;
  };
  auto connection = NatsConnection::Connect(options);
  ASSERT_TRUE(connection.ok()) << connection.status().message();
  auto transport = std::make_shared<NatsTransport>(*connection);
  server_->Pause();
  struct Resume {
    NatsServer& server;
    ~Resume() { server.Resume(); }
  } resume{*server_};
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    const Bytes big(64 << 10, 'x');
    while (!stop.load()) (void)transport->Publish("nt.fill", big);
  });
  const auto t0 = Clock::now();
  EXPECT_TRUE(WaitUntil([&] { return disconnects.load() > 0; }, milliseconds(20000)))
      << "no disconnect while the server does not read";
  std::printf("dropped %.0f ms after the server stopped reading\n", Millis(Clock::now() - t0));
  auto asked = std::async(std::launch::async, [&] { return (*connection)->connected(); });
  // (libnats holds the lock for one reconnect attempt, up to 2 s: allowed for.)
  EXPECT_EQ(asked.wait_for(milliseconds(5000)), std::future_status::ready)
      << "connected() waits behind a blocked write";
  server_->Resume();
  stop = true;
  publisher.join();
  EXPECT_TRUE(WaitUntil([&] { return (*connection)->connected(); }, milliseconds(20000)));
  EXPECT_TRUE(transport->Flush(milliseconds(5000)).ok());
}

TEST_F(NatsTransportTest, EverythingWorksAgainAfterTheServerRestarts) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  Transport* b_raw = b.get();
  Collector plain;
  Collector queued;
  auto plain_sub = SubscribeAndFlush(*b, "nt.plain", "", plain.Handler());
  auto queue_sub = SubscribeAndFlush(*b, "nt.queued", "group", queued.Handler());
  auto echo = SubscribeAndFlush(
      *b, "nt.echo", "", [b_raw](Message m) { EXPECT_TRUE(b_raw->Publish(m.reply, m.data).ok()); });
  ASSERT_TRUE(plain_sub && queue_sub && echo);
  Result<Message> before = a->Request("nt.echo", AsBytes("before"), kWaitLimit);
  ASSERT_TRUE(before.ok()) << before.status().message();

  server_->Kill();
  ASSERT_TRUE(WaitUntil([&] { return !a->connection()->connected(); }));
  ASSERT_TRUE(WaitUntil([&] { return !b->connection()->connected(); }));
  Status restarted = server_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  ASSERT_TRUE(WaitUntil([&] { return a->connection()->connected(); })) << "a did not reconnect";
  ASSERT_TRUE(WaitUntil([&] { return b->connection()->connected(); })) << "b did not reconnect";
  // libnats subscribes again before anything else it sends after reconnecting: once b's
  // flush is answered, its subscriptions are back on the new server.
  ASSERT_TRUE(b->Flush(kWaitLimit).ok());

  // The old subscriptions, plain and queued, get what is published now.
  ASSERT_TRUE(a->Publish("nt.plain", AsBytes("after")).ok());
  ASSERT_TRUE(a->Publish("nt.queued", AsBytes("after")).ok());
  ASSERT_TRUE(plain.WaitFor(1));
  ASSERT_TRUE(queued.WaitFor(1));
  EXPECT_EQ(Text(plain.Messages()[0].data), "after");
  // Request/reply, on the old subscription.
  Result<Message> reply = a->Request("nt.echo", AsBytes("again"), kWaitLimit);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(Text(reply->data), "again");
  // A new subscription.
  Collector fresh;
  auto fresh_sub = SubscribeAndFlush(*a, "nt.fresh", "", fresh.Handler());
  ASSERT_NE(fresh_sub, nullptr);
  ASSERT_TRUE(b->Publish("nt.fresh", AsBytes("new")).ok());
  ASSERT_TRUE(fresh.WaitFor(1));
  EXPECT_EQ(Text(fresh.Messages()[0].data), "new");
}

TEST_F(NatsTransportTest, NoRespondersComesFromTheServerFast) {
  auto a = Connect();
  ASSERT_TRUE(a);
  constexpr milliseconds kTimeout(5000);
  constexpr int kRequests = 20;
  std::vector<double> ms;
  for (int i = 0; i < kRequests; ++i) {
    const auto start = Clock::now();
    Result<Message> r = a->Request("nt.nobody.home", AsBytes("hello?"), kTimeout);
    ms.push_back(Millis(Clock::now() - start));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(lattice::IsNoResponders(r.status())) << r.status().message();
    EXPECT_EQ(r.status().message(), "no responders for nt.nobody.home");
  }
  std::sort(ms.begin(), ms.end());
  std::printf("no responders: median %.3f ms, slowest %.3f ms (timeout %lld ms)\n",
              ms[ms.size() / 2], ms.back(), static_cast<long long>(kTimeout.count()));
  // Well under the timeout: the server said so, nobody waited.
  EXPECT_LT(ms.back(), kTimeout.count() / 10.0);
}

// The figure of ../shared/spec/lattice.md ("raw request/reply, replier with SendAsap"):
// printed, not asserted (a test never fails on a time).
TEST_F(NatsTransportTest, RequestReplyRoundTripFigure) {
  auto requester = Connect(/*send_asap=*/true);
  auto responder = Connect(/*send_asap=*/true);
  ASSERT_TRUE(requester && responder);
  Transport* replier = responder.get();
  auto echo = SubscribeAndFlush(*responder, "nt.rtt", "", [replier](Message m) {
    EXPECT_TRUE(replier->Publish(m.reply, m.data).ok());
  });
  ASSERT_NE(echo, nullptr);

  const std::string body(16, 'x');
  for (int i = 0; i < 20; ++i) {  // warm-up
    ASSERT_TRUE(requester->Request("nt.rtt", AsBytes(body), kWaitLimit).ok());
  }
  constexpr int kRequests = 200;
  std::vector<double> us;
  for (int i = 0; i < kRequests; ++i) {
    const auto start = Clock::now();
    Result<Message> r = requester->Request("nt.rtt", AsBytes(body), kWaitLimit);
    us.push_back(Millis(Clock::now() - start) * 1000);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(Text(r->data), body);
  }
  std::sort(us.begin(), us.end());
  const double median = us[us.size() / 2];
  const double p90 = us[us.size() * 9 / 10];
  std::printf(
      "request/reply (16 B, send_asap, %d requests): median %.0f us, p90 %.0f us, "
      "max %.0f us\n",
      kRequests, median, p90, us.back());
  RecordProperty("median_us", static_cast<int>(median));
}

// Sends `n` messages from `from` on `subject` to a subscription of `to` whose handler
// blocks in its first call until `to` has read them all (they wait in libnats behind it),
// then lets it go; returns how many it was given: all of them, or what it had once the
// count stood still for a second. -1 when a step failed (reported).
int BlockedBurst(Transport& from, Transport& to, const std::string& subject, int n) {
  Flag entered, release;
  std::atomic<int> calls{0};
  auto sub = SubscribeAndFlush(to, subject, "", [&](Message) {
    if (calls.fetch_add(1) == 0) {
      entered.Set();
      EXPECT_TRUE(release.Wait());
    }
  });
  if (sub == nullptr) return -1;
  for (int i = 0; i < n; ++i) {
    if (Status s = from.Publish(subject, AsBytes("m")); !s.ok()) {
      ADD_FAILURE() << "publish " << i << ": " << s.message();
      release.Set();
      return -1;
    }
  }
  EXPECT_TRUE(entered.Wait());
  EXPECT_TRUE(from.Flush(kWaitLimit).ok());
  // Once `to`'s flush is answered, it has read the whole burst.
  EXPECT_TRUE(to.Flush(kWaitLimit).ok());
  release.Set();
  int seen = -1;
  for (int quiet = 0; quiet < 10 && calls.load() != n;) {
    const int now = calls.load();
    quiet = now == seen ? quiet + 1 : 0;
    seen = now;
    std::this_thread::sleep_for(milliseconds(100));
  }
  sub.reset();
  return calls.load();
}

TEST_F(NatsTransportTest, BurstAboveLibnatsDefaultPendingLimitIsNotDropped) {
  // libnats drops what a subscription has not handled beyond 65,536 messages by default.
  constexpr int kMessages = 70000;
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(BlockedBurst(*a, *b, "nt.burst", kMessages), kMessages);
}

// The control transport keeps libnats' defaults (65,536 messages, 64 MiB per
// subscription): the same burst overflows it, and what overflows is dropped (and logged)
// instead of held.
TEST_F(NatsTransportTest, TheControlTransportsSubscriptionsHaveLibnatsLimits) {
  constexpr int kMessages = 70000;
  auto a = Connect();
  auto b = Connect(false, kControlPendingLimits);
  ASSERT_TRUE(a && b);
  const int delivered = BlockedBurst(*a, *b, "nt.control", kMessages);
  EXPECT_LT(delivered, kMessages);
  EXPECT_GT(delivered, 0);
}

TEST_F(NatsTransportTest, UnsubscribeWithMessagesStillQueuedInLibnats) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  Flag entered, destroying;
  std::atomic<int> calls{0};
  auto big = std::make_shared<std::string>(1000, 'q');  // owned by the handler
  auto sub = SubscribeAndFlush(*b, "nt.queued", "", [&, big](Message m) {
    EXPECT_EQ(m.data.size(), big->size());
    if (calls.fetch_add(1) == 0) {
      entered.Set();
      EXPECT_TRUE(destroying.Wait());
      // Still busy a while after the destructor started, so that it has to wait, with
      // the other messages queued in libnats.
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  Collector witness;
  auto witness_sub = SubscribeAndFlush(*a, "nt.queued", "", witness.Handler());
  ASSERT_TRUE(sub && witness_sub);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(a->Publish("nt.queued", AsBytes(*big)).ok());
  ASSERT_TRUE(entered.Wait());
  ASSERT_TRUE(a->Flush(kWaitLimit).ok());
  ASSERT_TRUE(b->Flush(kWaitLimit).ok());  // the rest waits in libnats now

  std::thread destroyer([&] {
    destroying.Set();
    sub.reset();  // waits for the running handler, drops the queued messages
  });
  destroyer.join();
  const int after = calls.load();
  EXPECT_GE(after, 1);
  std::printf("%d of 500 queued messages were handled before the subscription went\n", after);

  ASSERT_TRUE(a->Publish("nt.queued", AsBytes(*big)).ok());
  ASSERT_TRUE(witness.WaitFor(501));
  EXPECT_EQ(calls.load(), after) << "a handler call after the subscription was destroyed";
}

TEST_F(NatsTransportTest, SubscriptionMayOutliveItsTransport) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  Flag entered, release;
  std::atomic<int> calls{0};
  auto sub = SubscribeAndFlush(*b, "nt.outlive", "", [&](Message) {
    if (calls.fetch_add(1) == 0) {
      entered.Set();
      EXPECT_TRUE(release.Wait());
    }
  });
  ASSERT_NE(sub, nullptr);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(a->Publish("nt.outlive", AsBytes("x")).ok());
  ASSERT_TRUE(entered.Wait());
  ASSERT_TRUE(a->Flush(kWaitLimit).ok());
  ASSERT_TRUE(b->Flush(kWaitLimit).ok());
  b.reset();  // the last reference to its connection: closed with messages still queued
  release.Set();
  sub.reset();
  EXPECT_GE(calls.load(), 1);
}

// libnats reports a slow consumer (messages dropped beyond a subscription's pending
// limits) through the connection's error callback, which logs it. The transport's own
// subscriptions have limits far above this; a raw libnats one with tiny limits shows it.
TEST_F(NatsTransportTest, SlowConsumerIsLogged) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  // Shared with the sink, which a libnats thread may still be calling after it is replaced.
  struct Seen {
    std::mutex mu;
    std::vector<std::string> lines;
    Flag logged;
  };
  auto seen = std::make_shared<Seen>();
  SetLogSink([seen](LogLevel level, std::string_view component, std::string_view msg) {
    if (level < LogLevel::kWarn || msg.find("Slow Consumer") == std::string_view::npos) return;
    std::lock_guard lock(seen->mu);
    seen->lines.push_back(std::string(component) + ": " + std::string(msg));
    seen->logged.Set();
  });
  struct Blocker {
    Flag release;
    Flag done;  // libnats' last call for the subscription is over
  } blocker;
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(
                &sub, b->connection()->raw(), "nt.slow",
                [](natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
                  natsMsg_Destroy(msg);
                  EXPECT_TRUE(static_cast<Blocker*>(closure)->release.Wait());
                },
                &blocker),
            NATS_OK);
  ASSERT_EQ(natsSubscription_SetOnCompleteCB(
                sub, [](void* closure) { static_cast<Blocker*>(closure)->done.Set(); }, &blocker),
            NATS_OK);
  ASSERT_EQ(natsSubscription_SetPendingLimits(sub, 10, 1 << 20), NATS_OK);
  ASSERT_TRUE(b->Flush(kWaitLimit).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(a->Publish("nt.slow", AsBytes("x")).ok());
  EXPECT_TRUE(seen->logged.Wait());
  blocker.release.Set();
  natsSubscription_Unsubscribe(sub);
  EXPECT_TRUE(blocker.done.Wait());
  natsSubscription_Destroy(sub);
  SetLogSink({});
  std::lock_guard lock(seen->mu);
  ASSERT_FALSE(seen->lines.empty());
  EXPECT_THAT(seen->lines[0], HasSubstr("nats: NATS error"));
}

TEST_F(NatsTransportTest, ClosedConnectionMakesEveryCallUnavailable) {
  auto a = Connect();
  ASSERT_TRUE(a);
  auto sub = a->Subscribe("nt.closed", "", [](Message) {});
  ASSERT_TRUE(sub.ok());
  a->connection()->Close();
  EXPECT_EQ(a->Publish("nt.closed", AsBytes("x")).code(), Code::kUnavailable);
  EXPECT_EQ(a->Request("nt.closed", AsBytes("x"), milliseconds(100)).status().code(),
            Code::kUnavailable);
  EXPECT_EQ(a->Subscribe("nt.other", "", [](Message) {}).status().code(), Code::kUnavailable);
  EXPECT_EQ(a->Flush(milliseconds(100)).code(), Code::kUnavailable);
  a->connection()->Close();  // idempotent
  sub->reset();              // a subscription may go after its connection closed
}

TEST_F(NatsTransportTest, RefusesHeadersThatWouldForgeProtocol) {
  auto a = Connect();
  ASSERT_TRUE(a);
  const lattice::Headers forged = {{"traceparent", "x\r\nInjected: yes"}};
  EXPECT_EQ(a->Publish("nt.h", AsBytes("x"), {}, forged).code(), Code::kInvalidArgument);
  EXPECT_EQ(a->Request("nt.h", AsBytes("x"), milliseconds(100), forged).status().code(),
            Code::kInvalidArgument);
  for (const char* name : {"", "bad name", "bad:name", "bad\nname"}) {
    Status s = a->Publish("nt.h", AsBytes("x"), {}, {{name, "v"}});
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << "\"" << name << "\"";
  }
  EXPECT_THAT(a->Publish("nt.h", AsBytes("x"), "bad reply").message(), HasSubstr("reply subject"));
}

TEST_F(NatsTransportTest, BinaryBodiesAndOddHeadersFromTheServerArrive) {
  auto b = Connect();
  ASSERT_TRUE(b);
  Collector got;
  auto sub = SubscribeAndFlush(*b, "nt.raw", "", got.Handler());
  ASSERT_NE(sub, nullptr);

  const std::string binary("a\0b\r\n\xff", 6);
  // A body with NUL, CR LF and a non-UTF-8 byte; a header block libnats cannot parse (a
  // line without ':'); one that names a key twice; and a plain message after them.
  const std::string bad_headers = "NATS/1.0\r\nno colon here\r\n\r\n";
  const std::string twice = "NATS/1.0\r\nk: first\r\nk: second\r\n\r\n";
  std::string protocol;
  protocol += "PUB nt.raw 6\r\n" + binary + "\r\n";
  protocol += "HPUB nt.raw " + std::to_string(bad_headers.size()) + " " +
              std::to_string(bad_headers.size() + 4) + "\r\n" + bad_headers + "body\r\n";
  protocol += "HPUB nt.raw reply.to " + std::to_string(twice.size()) + " " +
              std::to_string(twice.size() + 2) + "\r\n" + twice + "hi\r\n";
  protocol += "PUB nt.raw 4\r\nlast\r\n";
  Status sent = SendRaw(server_->port(), protocol);
  ASSERT_TRUE(sent.ok()) << sent.message();

  ASSERT_TRUE(got.WaitFor(4));
  std::vector<Message> m = got.Messages();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(Text(m[0].data), binary);
  EXPECT_EQ(Text(m[1].data), "body");  // delivered, headers left out
  EXPECT_TRUE(m[1].headers.empty());
  EXPECT_EQ(Text(m[2].data), "hi");
  EXPECT_EQ(m[2].reply, "reply.to");
  ASSERT_EQ(m[2].headers.count("k"), 1u);
  EXPECT_EQ(m[2].headers.at("k"), "first");
  EXPECT_EQ(Text(m[3].data), "last");
}

TEST_F(NatsTransportTest, MaxPayloadIsTheServers) {
  server_.reset();
  const std::string dir = wasmcloud::testing::MakeTempDir();
  const std::string config = dir + "/small.conf";
  ASSERT_TRUE(WriteFile(config, AsBytes("max_payload: 4096\n")).ok());
  Result<std::unique_ptr<NatsServer>> small = NatsServer::Start({"-c", config});
  ASSERT_TRUE(small.ok()) << small.status().message();
  server_ = std::move(small).value();
  auto a = Connect();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->MaxPayload(), 4096u);
  Status s = a->Publish("nt.big", Bytes(4097, 1));
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("exceeds the maximum payload of 4096"));
  EXPECT_TRUE(a->Publish("nt.big", Bytes(4096, 1)).ok());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace wasmcloud::nats

namespace wasmcloud::lattice {
namespace {

INSTANTIATE_TEST_SUITE_P(Nats, TransportConformance,
                         ::testing::Values(TransportImplementation{
                             "Nats", &::wasmcloud::nats::StartNatsTransportServer}),
                         TransportImplementationName);

}  // namespace
}  // namespace wasmcloud::lattice
