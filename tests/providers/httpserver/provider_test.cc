// libwasmcloud_httpserver.so in the real host: the upstream echo actor behind it (method,
// path, query, headers and body echoed), keep-alive and concurrent clients, the limits
// through the library, 503 for a stopped actor, 500 for an actor's error, the port closed by
// RemoveLink and host Stop, and the upstream kvcounter counting in Redis through our
// keyvalue provider.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "host/host.h"
#include "host/test_providers.h"
#include "http_client.h"
#include "provider/native_library.h"
#include "provider/provider.h"
#include "support/log_capture.h"
#include "support/log_recording_host.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/v8/v8_engine.h"
#include "wire/core.h"
#ifdef WC_KEYVALUE_PROVIDER
#include "redis_server.h"
#include "support/require_tool.h"
#endif

namespace wasmcloud::httpserver {
namespace {

using testing::Accepts;
using testing::ClientResponse;
using ::testing::EndsWith;
using testing::Fetch;
using testing::FormatRequest;
using testing::FreePort;
using ::testing::HasSubstr;
using testing::HttpConnection;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr char kLibrary[] = WC_HTTPSERVER_PROVIDER;
constexpr char kContract[] = "wasmcloud:httpserver";
constexpr char kEcho[] = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr char kKvCounter[] = "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";

using wasmcloud::testing::Ok;

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// --- The library on its own -----------------------------------------------------------

using NoHost = wasmcloud::testing::LogRecordingHost;

TEST(HttpServerLibraryTest, BadLinkValuesAndBusyPortsFailTheBindWithTheReason) {
  auto p = provider::LoadNativeProvider(kLibrary, kContract);
  ASSERT_TRUE(Ok(p));
  EXPECT_EQ((*p)->Describe().contract_id, kContract);
  NoHost host;
  ASSERT_TRUE(Ok((*p)->Start(&host)));

  Status bad = (*p)->BindActor(kEcho, {{"PORT", "http"}});
  EXPECT_EQ(bad.message(), "link value PORT=\"http\": expected a whole number from 1 to 65535");
  EXPECT_THAT((*p)->BindActor(kEcho, {{"ADDRESS", "example.com"}}).message(),
              HasSubstr("ADDRESS=\"example.com\": expected an IPv4 or IPv6 address"));

  const std::string port = std::to_string(FreePort());
  ASSERT_TRUE(Ok((*p)->BindActor(kEcho, {{"PORT", port}, {"ADDRESS", "127.0.0.1"}})));
  Status busy = (*p)->BindActor(kKvCounter, {{"PORT", port}, {"ADDRESS", "127.0.0.1"}});
  EXPECT_EQ(busy.message(), "cannot listen on 127.0.0.1:" + port + " for actor " +
                                std::string(kKvCounter) +
                                ": Address already in use (another process, or another link, "
                                "has that port: give the link another PORT value)");
  EXPECT_THAT(
      host.Lines(),
      ::testing::Contains("serving http://127.0.0.1:" + port + " → actor " + std::string(kEcho) +
                          " (this machine only; the link value ADDRESS=0.0.0.0 opens it "
                          "to others)"));

  // No actor behind it: the host's "not running" becomes 503.
  auto r = Fetch(static_cast<uint16_t>(std::stoi(port)), "GET", "/");
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status, 503);
  const std::string id = r->Header("x-request-id");
  EXPECT_EQ(r->body, "Actor unavailable (request " + id + ")");
  // The reason is in the log, once, with the request id the client got.
  EXPECT_THAT(host.Lines(),
              ::testing::Contains("actor " + std::string(kEcho) + ": request " + id +
                                  ": 503 Actor unavailable: actor " + std::string(kEcho) +
                                  " is not running on this host (test)"));

  auto health = (*p)->HandleCall("system", "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(Ok(health));
  EXPECT_TRUE(wire::DecodeHealthResponse(*health)->healthy);
  EXPECT_TRUE(Ok((*p)->Health()));
  EXPECT_THAT((*p)->HandleCall(kEcho, "Get", {}).status().message(),
              HasSubstr("wasmcloud:httpserver has no operation \"Get\""));
  (*p)->Stop();
  EXPECT_FALSE(Accepts(static_cast<uint16_t>(std::stoi(port))));
}

// --- On the real host -----------------------------------------------------------------

class HttpHostTest : public ::testing::Test {
 protected:
  // The host's configuration; a fixture may choose another.
  virtual host::HostConfig Config() const { return {}; }

  void SetUp() override {
    host_ = std::make_unique<host::Host>(Config(), wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host_->Start()));
    auto echo =
        host_->StartActorFromFile(wasmcloud::testing::FixturePath("wc-host-0.18/echo.wasm"));
    ASSERT_TRUE(Ok(echo));
    ASSERT_EQ(*echo, kEcho);
    auto loaded = provider::LoadNativeProvider(kLibrary, kContract);
    ASSERT_TRUE(Ok(loaded));
    provider_ = *loaded;
    host::NativeCapability cap;
    cap.provider = provider_;
    auto pk = host_->StartNativeCapability(std::move(cap));
    ASSERT_TRUE(Ok(pk));
    provider_key_ = *pk;
    port_ = Link(kEcho);
  }
  void TearDown() override {
    if (host_ != nullptr) {
      EXPECT_TRUE(Ok(host_->Stop()));
    }
  }

  // Links `actor` to the HTTP server on a free port of 127.0.0.1 and waits until it
  // accepts connections.
  uint16_t Link(const std::string& actor, provider::LinkValues extra = {}) {
    const uint16_t port = FreePort();
    provider::LinkValues values = {{"PORT", std::to_string(port)}, {"ADDRESS", "127.0.0.1"}};
    values.merge(extra);
    EXPECT_TRUE(Ok(host_->SetLink(actor, kContract, "default", provider_key_, values)));
    EXPECT_TRUE(WaitUntil([&] { return Accepts(port); })) << "nothing listens on " << port;
    return port;
  }

#ifdef WC_KEYVALUE_PROVIDER
  // kvcounter counting in `redis` through our keyvalue library, on its own HTTP port (0
  // after a failure, which is reported).
  uint16_t KvCounterOnRedis(const keyvalue::testing::RedisServer& redis) {
    if (!Ok(host_->StartActorFromFile(
            wasmcloud::testing::FixturePath("wc-host-0.18/kvcounter.wasm")))) {
      ADD_FAILURE() << "kvcounter did not start";
      return 0;
    }
    auto kv = provider::LoadNativeProvider(WC_KEYVALUE_PROVIDER, "wasmcloud:keyvalue");
    if (!Ok(kv)) return 0;
    host::NativeCapability cap;
    cap.provider = *kv;
    auto kv_key = host_->StartNativeCapability(std::move(cap));
    if (!Ok(kv_key)) return 0;
    if (!Ok(host_->SetLink(kKvCounter, "wasmcloud:keyvalue", "default", *kv_key,
                           {{"URL", redis.Url()}}))) {
      return 0;
    }
    return Link(kKvCounter);
  }
#endif

  std::unique_ptr<host::Host> host_;
  std::shared_ptr<provider::Provider> provider_;
  std::string provider_key_;
  uint16_t port_ = 0;
};

TEST_F(HttpHostTest, EchoAnswersWithTheMethodPathQueryHeadersAndBody) {
  auto r = Fetch(port_, "POST", "/foo/bar?test=kthxbye&x=1", "NARF", {{"X-Test", "Yes"}});
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-length"), std::to_string(r->body.size()));
  // echo's JSON (fixture README): method, path, query_string, headers, body as numbers.
  EXPECT_THAT(r->body, StartsWith(R"({"method":"POST","path":"/foo/bar",)"
                                  R"("query_string":"test=kthxbye&x=1","headers":{)"));
  EXPECT_THAT(r->body, EndsWith(R"(},"body":[78,65,82,70]})"));
  EXPECT_THAT(r->body, HasSubstr(R"("x-test":"Yes")"));  // names lowercase, value as sent
  EXPECT_THAT(r->body, HasSubstr(R"("host":"test")"));
  EXPECT_THAT(r->body, HasSubstr(R"("content-length":"4")"));

  auto get = Fetch(port_, "GET", "/");
  ASSERT_TRUE(Ok(get));
  EXPECT_EQ(get->body, R"({"method":"GET","path":"/","query_string":"","headers":{"host":"test"},)"
                       R"("body":[]})");
}

TEST_F(HttpHostTest, KeepAliveAndConcurrentClientsAreServedByTheActor) {
  auto c = HttpConnection::Connect(port_);
  ASSERT_TRUE(Ok(c));
  for (int i = 0; i < 10; ++i) {
    auto r = (*c)->RoundTrip(FormatRequest("GET", "/k?i=" + std::to_string(i)));
    ASSERT_TRUE(Ok(r)) << i;
    EXPECT_THAT(r->body, HasSubstr(R"("query_string":"i=)" + std::to_string(i) + "\""));
  }

  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::atomic<int> good{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto conn = HttpConnection::Connect(port_);
      if (!conn.ok()) {
        failures[t] = conn.status().message();
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto r = (*conn)->RoundTrip(FormatRequest("GET", path));
        if (!r.ok()) {
          failures[t] = r.status().message();
          return;
        }
        if (r->status == 200 && r->body.find("\"path\":\"" + path + "\"") != std::string::npos) {
          ++good;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
  EXPECT_EQ(good.load(), kThreads * kEach);
}

TEST_F(HttpHostTest, BadRequestsAreRefusedAndTheServerKeepsServing) {
  auto garbage = HttpConnection::Connect(port_);
  ASSERT_TRUE(Ok(garbage));
  auto r400 = (*garbage)->RoundTrip("BLAH BLAH BLAH\r\n\r\n");
  ASSERT_TRUE(Ok(r400));
  EXPECT_EQ(r400->status, 400);

  auto big = HttpConnection::Connect(port_);
  ASSERT_TRUE(Ok(big));
  auto r413 = (*big)->RoundTrip(FormatRequest("POST", "/", {}, std::string((1 << 20) + 1, 'b')));
  ASSERT_TRUE(Ok(r413));
  EXPECT_EQ(r413->status, 413);
  EXPECT_EQ(r413->body, "Payload Too Large: the body is larger than 1048576 bytes");

  auto header = Fetch(port_, "GET", "/", "", {{"Cookie", std::string(32 << 10, 'c')}});
  ASSERT_TRUE(Ok(header));
  EXPECT_EQ(header->status, 431);

  auto fits = Fetch(port_, "POST", "/fits", std::string(100000, 'f'));
  ASSERT_TRUE(Ok(fits));
  EXPECT_EQ(fits->status, 200);
  EXPECT_THAT(fits->body, HasSubstr(R"("path":"/fits")"));

  // Every response by status, the server's own refusals too, in the host's metrics (the
  // provider hands them over once a second).
  const std::string series = "wasmcloud_provider_http_requests_total{provider=\"" + provider_key_ +
                             "\",link_name=\"default\",actor=\"" + kEcho + "\",status=\"";
  std::string metrics;
  EXPECT_TRUE(WaitUntil([&] {
    metrics = host_->metrics().Render();
    for (const char* status : {"400", "413", "431", "200"}) {
      if (metrics.find(series + status + "\"} 1\n") == std::string::npos) return false;
    }
    return true;
  })) << metrics;
}

TEST_F(HttpHostTest, AStoppedActorIs503UntilItRunsAgain) {
  ASSERT_TRUE(Ok(host_->StopActor(kEcho)));  // the link stays, so does the listener
  auto r = Fetch(port_, "GET", "/gone");
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status, 503);
  EXPECT_THAT(r->body, StartsWith("Actor unavailable (request "));
  ASSERT_TRUE(
      Ok(host_->StartActorFromFile(wasmcloud::testing::FixturePath("wc-host-0.18/echo.wasm"))));
  auto back = Fetch(port_, "GET", "/back");
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(back->status, 200);
}

TEST_F(HttpHostTest, AnActorsErrorIs500AndItsReasonGoesToTheLogOnly) {
  wasmcloud::testing::LogCapture log;
  // kvcounter without a keyvalue link fails its host call, and so the request.
  ASSERT_TRUE(Ok(
      host_->StartActorFromFile(wasmcloud::testing::FixturePath("wc-host-0.18/kvcounter.wasm"))));
  const uint16_t port = Link(kKvCounter);
  auto r = Fetch(port, "GET", "/hits");
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->Header("content-type"), "text/plain; charset=utf-8");
  const std::string id = r->Header("x-request-id");
  EXPECT_EQ(r->body, "Failed to handle request (request " + id + ")");
  EXPECT_EQ(log.Count("WARN [provider HTTP server (Boost.Beast)",
                      "request " + id +
                          ": 500 Failed to handle request: Guest call failed: Host "
                          "error: The target wasmcloud:keyvalue was not found"),
            1u)
      << log.All();
  // The echo actor's listener is another: untouched.
  auto echo = Fetch(port_, "GET", "/e");
  ASSERT_TRUE(Ok(echo));
  EXPECT_EQ(echo->status, 200);
}

TEST_F(HttpHostTest, LinkingAgainKeepsOrMovesTheListener) {
  provider::LinkValues same = {{"PORT", std::to_string(port_)}, {"ADDRESS", "127.0.0.1"}};
  auto c = HttpConnection::Connect(port_);
  ASSERT_TRUE(Ok(c));
  ASSERT_TRUE(Ok((*c)->RoundTrip(FormatRequest("GET", "/1"))));
  ASSERT_TRUE(Ok(host_->SetLink(kEcho, kContract, "default", provider_key_, same)));
  auto again = (*c)->RoundTrip(FormatRequest("GET", "/2"));  // same connection, still served
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(again->status, 200);

  const uint16_t moved = Link(kEcho);
  EXPECT_FALSE(Accepts(port_));
  auto r = Fetch(moved, "GET", "/moved");
  ASSERT_TRUE(Ok(r));
  EXPECT_THAT(r->body, HasSubstr(R"("path":"/moved")"));
}

TEST_F(HttpHostTest, RemovingTheLinkClosesThePort) {
  ASSERT_TRUE(Ok(host_->RemoveLink(kEcho, kContract, "default")));
  EXPECT_FALSE(Accepts(port_));
}

TEST_F(HttpHostTest, StoppingTheHostClosesThePort) {
  auto idle = HttpConnection::Connect(port_);
  ASSERT_TRUE(Ok(idle));
  ASSERT_TRUE(Ok((*idle)->RoundTrip(FormatRequest("GET", "/"))));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Ok(host_->Stop()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_FALSE(Accepts(port_));
  EXPECT_TRUE((*idle)->ClosedByServer(2s));
  host_.reset();
}

// --- Fault boundaries -----------------------------------------------------------------

// test::LoopEchoModule with its loop taken on every call: each request spins until the
// call deadline stops it.
Bytes SpinModule() {
  Bytes m = host::test::LoopEchoModule();
  const uint8_t cond[] = {0x20, 0x01, 0x45, 0x04, 0x40};  // local.get 1; i32.eqz; if
  auto at = std::search(m.begin(), m.end(), std::begin(cond), std::end(cond));
  EXPECT_NE(at, m.end());
  if (at != m.end()) {
    at[0] = 0x41;  // i32.const 1
    at[1] = 0x01;
    at[2] = 0x01;  // nop
  }
  return m;
}

// The host of HttpHostTest (echo on port_) with two workers, so that one actor's share is
// one worker, and a short call deadline; the actors a test adds get ports of their own.
class HttpFaultTest : public HttpHostTest {
 protected:
  host::HostConfig Config() const override {
    host::HostConfig config;
    config.workers = 2;  // the share of one actor: one worker
    config.call_timeout = 1500ms;
    return config;
  }
  // Echo answers, fast, ten times in a row.
  void EchoAnswersAtItsNormalLatency() {
    for (int i = 0; i < 10; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = Fetch(port_, "GET", "/meanwhile");
      const auto took = std::chrono::steady_clock::now() - t0;
      ASSERT_TRUE(Ok(r));
      EXPECT_EQ(r->status, 200);
      EXPECT_LT(took, 1000ms) << "request " << i;
    }
  }
  // Sends GET `target` to `port` from `n` threads; their statuses (-1: no response).
  std::vector<std::thread> InBackground(uint16_t port, const std::string& target, int n,
                                        std::vector<int>* statuses) {
    statuses->assign(static_cast<size_t>(n), 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([port, target, i, statuses] {
        auto r = Fetch(port, "GET", target);
        (*statuses)[static_cast<size_t>(i)] = r.ok() ? r->status : -1;
      });
    }
    return threads;
  }
};

// Two requests to one actor spin until their deadline (2 = the workers, and the HTTP
// server's I/O threads): another actor on another port answers at its normal latency
// meanwhile (it used to wait ~9.5 s: the calls ran on the I/O threads, and the spinning
// actor could hold every worker).
TEST_F(HttpFaultTest, TwoSpinningRequestsDoNotStallAnotherActorsPort) {
  auto spinner = host::test::SignActor(SpinModule());
  ASSERT_TRUE(Ok(spinner));
  ASSERT_TRUE(Ok(host_->StartActor(spinner->module)));
  const uint16_t spin_port = Link(spinner->public_key);
  std::vector<int> statuses;
  auto spinning = InBackground(spin_port, "/spin", 2, &statuses);
  std::this_thread::sleep_for(200ms);  // both sent and being handled
  EchoAnswersAtItsNormalLatency();
  for (auto& t : spinning) t.join();
  for (int status : statuses) {
    // 504: stopped at its deadline; 503: waited for the spinner's share past its bound.
    EXPECT_TRUE(status == 504 || status == 503) << status;
  }
  // The first one ran until its deadline: a 504, the host's deadline crossing the C ABI.
  EXPECT_GE(std::count(statuses.begin(), statuses.end(), 504), 1);
}

#ifdef WC_KEYVALUE_PROVIDER
// kvcounter's Redis stops answering (SIGSTOP): its requests wait on Redis, and echo, which
// does not use Redis, still answers at its normal latency (it used to wait 7.8 s).
TEST_F(HttpFaultTest, APausedRedisDoesNotStallAnActorThatDoesNotUseIt) {
  using keyvalue::testing::RedisServer;
  WC_REQUIRE_TOOL(!RedisServer::Binary().empty(), "redis-server");
  auto redis = RedisServer::Start();
  ASSERT_TRUE(Ok(redis));
  const uint16_t kv_port = KvCounterOnRedis(**redis);
  ASSERT_NE(kv_port, 0);
  auto first = Fetch(kv_port, "GET", "/hits");
  ASSERT_TRUE(Ok(first));
  EXPECT_EQ(first->body, "{\"counter\":1}");

  (*redis)->Pause();
  struct Resume {
    RedisServer* r;
    ~Resume() { r->Resume(); }
  } resume{redis->get()};
  std::vector<int> statuses;
  auto waiting = InBackground(kv_port, "/hits", 2, &statuses);
  std::this_thread::sleep_for(200ms);
  EchoAnswersAtItsNormalLatency();
  (*redis)->Resume();
  for (auto& t : waiting) t.join();
  for (int status : statuses) EXPECT_GT(status, 0);  // answered (200, or 500/503 with why)
}

TEST_F(HttpHostTest, KvCounterCountsInRedisThroughOurKeyValueProvider) {
  using keyvalue::testing::RedisServer;
  WC_REQUIRE_TOOL(!RedisServer::Binary().empty(), "redis-server");
  auto redis = RedisServer::Start();
  ASSERT_TRUE(Ok(redis));
  const uint16_t port = KvCounterOnRedis(**redis);
  ASSERT_NE(port, 0);

  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(Ok(c));
  for (int n = 1; n <= 3; ++n) {
    auto r = (*c)->RoundTrip(FormatRequest("GET", "/hits"));
    ASSERT_TRUE(Ok(r));
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"counter\":" + std::to_string(n) + "}");
  }
  EXPECT_EQ(*(*redis)->Command({"GET", ":hits"}), "3");  // the path with "/" -> ":"

  // Redis gone: a 500 with a request id; where Redis was is for the log, not the client.
  wasmcloud::testing::LogCapture log;
  (*redis)->Kill();
  auto down = Fetch(port, "GET", "/hits");
  ASSERT_TRUE(Ok(down));
  EXPECT_EQ(down->status, 500);
  const std::string id = down->Header("x-request-id");
  EXPECT_EQ(down->body, "Failed to handle request (request " + id + ")");
  EXPECT_EQ(log.Count("request " + id +
                      ": 500 Failed to handle request: Guest call failed: "
                      "Host error: Add \":hits\": cannot connect to Redis"),
            1u)
      << log.All();
}
#endif

}  // namespace
}  // namespace wasmcloud::httpserver
