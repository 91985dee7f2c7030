// The HTTP server on real sockets, with a recording handler in place of the host: what the
// handler is given, what the client receives, keep-alive, limits (400, 413, 431, timeouts)
// after which the server keeps serving, concurrency, rebinding, and graceful removal/stop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "http_client.h"
#include "httpserver/server.h"

namespace wasmcloud::httpserver {
namespace {

using testing::Accepts;
using testing::ClientResponse;
using testing::Fetch;
using testing::FormatRequest;
using ::testing::HasSubstr;
using testing::HttpConnection;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr char kActor[] = "MACTORAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kOther[] = "MOTHERBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

std::string Text(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Answers by path: /status/N -> N; /throw -> throws; /block -> waits for Release();
// /sleep -> 3 s; anything else -> 200 with the request's parts in X- headers and its body.
class RecordingHandler {
 public:
  HttpReply operator()(const std::string& actor, wire::HttpRequest request) {
    {
      std::lock_guard lock(mu_);
      last_ = request;
      last_actor_ = actor;
      ++calls_;
      if (request.path == "/block") ++blocked_;
      cv_.notify_all();
    }
    if (request.path.starts_with("/status/")) {
      HttpReply r;
      r.status = static_cast<unsigned>(std::stoul(request.path.substr(8)));
      r.body = {'s', 't'};
      return r;
    }
    if (request.path == "/throw") throw std::runtime_error("boom");
    if (request.path == "/block") {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return released_; });
    }
    if (request.path == "/sleep") std::this_thread::sleep_for(3s);
    HttpReply r;
    r.headers = {{"X-Method", request.method},
                 {"X-Path", request.path},
                 {"X-Query", request.query_string},
                 {"Content-Type", "application/octet-stream"}};
    r.body = std::move(request.body);
    return r;
  }

  wire::HttpRequest last() {
    std::lock_guard lock(mu_);
    return last_;
  }
  std::string last_actor() {
    std::lock_guard lock(mu_);
    return last_actor_;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  bool WaitBlocked(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return blocked_ >= n; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  wire::HttpRequest last_;
  std::string last_actor_;
  int calls_ = 0;
  int blocked_ = 0;
  bool released_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeServer({}); }
  void TearDown() override {
    handler_->Release();
    if (server_) server_->Stop();
  }

  void MakeServer(ServerOptions options) {
    server_ = std::make_unique<HttpServer>(
        [h = handler_](const std::string& actor, wire::HttpRequest r) {
          return (*h)(actor, std::move(r));
        },
        [this](LogLevel, const std::string& line) {
          std::lock_guard lock(log_mu_);
          log_.push_back(line);
        },
        options);
  }

  static ListenerSettings Local(uint16_t port = 0) {
    ListenerSettings s;
    s.address = "127.0.0.1";
    s.port = port;
    return s;
  }
  uint16_t BindLocal(ListenerSettings s = Local(), const std::string& actor = kActor) {
    Status st = server_->Bind(actor, s);
    EXPECT_TRUE(st.ok()) << st.message();
    auto port = server_->Port(actor);
    EXPECT_TRUE(port.has_value());
    return port.value_or(0);
  }
  std::vector<std::string> Log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  std::shared_ptr<RecordingHandler> handler_ = std::make_shared<RecordingHandler>();
  std::unique_ptr<HttpServer> server_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(HttpServerTest, TheHandlerGetsTheRequestAsActorsSawIt) {
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto r = (*c)->RoundTrip(
      "POST /p/q?x=1&y=two HTTP/1.1\r\nHost: test\r\nX-Dup: first\r\nX-DUP: last\r\n"
      "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  wire::HttpRequest got = handler_->last();
  EXPECT_EQ(handler_->last_actor(), kActor);
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/p/q");
  EXPECT_EQ(got.query_string, "x=1&y=two");
  EXPECT_EQ(got.header.at("x-dup"), "last");
  EXPECT_EQ(got.header.at("content-type"), "text/plain");
  EXPECT_EQ(got.header.at("host"), "test");
  EXPECT_EQ(got.header.count("X-Dup"), 0u);
  EXPECT_EQ(Text(got.body), "hello");

  auto get = (*c)->RoundTrip("GET /plain HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(get.ok()) << get.status().message();
  got = handler_->last();
  EXPECT_EQ(got.method, "GET");
  EXPECT_EQ(got.path, "/plain");
  EXPECT_EQ(got.query_string, "");
  EXPECT_TRUE(got.body.empty());
}

TEST_F(HttpServerTest, TheReplyBecomesTheResponseWithItsLength) {
  uint16_t port = BindLocal();
  auto r = Fetch(port, "PUT", "/data?k=v", "0123456789");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->reason, "OK");
  EXPECT_EQ(r->Header("x-method"), "PUT");
  EXPECT_EQ(r->Header("x-path"), "/data");
  EXPECT_EQ(r->Header("x-query"), "k=v");
  EXPECT_EQ(r->Header("content-length"), "10");
  EXPECT_EQ(r->body, "0123456789");

  auto created = Fetch(port, "GET", "/status/201");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->body, "st");
  auto odd = Fetch(port, "GET", "/status/799");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->status, 799);
  EXPECT_EQ(odd->reason, "Unknown");
  auto none = Fetch(port, "GET", "/status/204");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 204);
  EXPECT_EQ(none->Header("content-length"), "");
}

TEST_F(HttpServerTest, HeadGetsTheLengthButNoBody) {
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  auto head = (*c)->RoundTrip(FormatRequest("HEAD", "/x", {}, ""));
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->Header("content-length"), "0");
  auto head_with_body = (*c)->RoundTrip(FormatRequest("HEAD", "/status/201", {}, ""));
  ASSERT_TRUE(head_with_body.ok()) << head_with_body.status().message();
  EXPECT_EQ(head_with_body->status, 201);
  EXPECT_EQ(head_with_body->Header("content-length"), "2");  // the length of "st", not sent
  // The connection is still in step: the next response is whole.
  auto post = (*c)->RoundTrip(FormatRequest("POST", "/y", {}, "abc"));
  ASSERT_TRUE(post.ok()) << post.status().message();
  EXPECT_EQ(post->body, "abc");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 20; ++i) {
    auto r = (*c)->RoundTrip(FormatRequest("POST", "/n", {}, std::to_string(i)));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r->body, std::to_string(i));
    EXPECT_NE(r->Header("connection"), "close");
  }
  // Pipelined: three requests in one write, three responses in order.
  ASSERT_TRUE((*c)->Send(FormatRequest("POST", "/a", {}, "A") +
                         FormatRequest("POST", "/b", {}, "B") +
                         FormatRequest("POST", "/c", {}, "C"))
                  .ok());
  for (const char* want : {"A", "B", "C"}) {
    auto r = (*c)->Read();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->body, want);
  }
  EXPECT_EQ(server_->OpenConnections(kActor), 1u);
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10EndTheConnection) {
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->RoundTrip(FormatRequest("GET", "/bye", {{"Connection", "close"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE((*c)->ClosedByServer());

  auto old = HttpConnection::Connect(port);
  ASSERT_TRUE(old.ok());
  auto r10 = (*old)->RoundTrip("GET /old HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r10.ok()) << r10.status().message();
  EXPECT_EQ(r10->status, 200);
  EXPECT_TRUE((*old)->ClosedByServer());
}

TEST_F(HttpServerTest, Http10WithKeepAliveKeepsTheConnection) {
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 2; ++i) {
    auto r = (*c)->RoundTrip("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("connection"), "keep-alive");
  }
  EXPECT_EQ(server_->OpenConnections(kActor), 1u);
}

// More than the socket takes at once: the rest is written as the client reads, and the
// connection goes on in step.
TEST_F(HttpServerTest, AResponseLargerThanTheSocketBufferArrivesWhole) {
  ListenerSettings s = Local();
  s.max_body_bytes = 32u << 20;
  uint16_t port = BindLocal(s);
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  std::string body(16u << 20, 'x');
  for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + i / 4096 % 26);
  auto big = (*c)->RoundTrip(FormatRequest("POST", "/big", {}, body), 60s);
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(big->Header("content-length"), std::to_string(body.size()));
  EXPECT_EQ(big->body.size(), body.size());
  EXPECT_TRUE(big->body == body);
  auto small = (*c)->RoundTrip(FormatRequest("POST", "/small", {}, "s"));
  ASSERT_TRUE(small.ok()) << small.status().message();
  EXPECT_EQ(small->body, "s");
}

// One I/O loop: a handler that blocks holds the thread that serves it, and the loop's
// other thread (woken by the watchdog) serves its other connections meanwhile; a second
// blocked request goes to a call thread, and so do the requests made while both block.
TEST_F(HttpServerTest, ABlockedHandlerDoesNotStallTheOtherConnectionsOfItsLoop) {
  server_->Stop();
  MakeServer(ServerOptions{1});
  uint16_t port = BindLocal();
  auto first = HttpConnection::Connect(port);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->Send(FormatRequest("GET", "/block")).ok());
  ASSERT_TRUE(handler_->WaitBlocked(1));
  auto second = HttpConnection::Connect(port);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Send(FormatRequest("GET", "/block")).ok());
  ASSERT_TRUE(handler_->WaitBlocked(2));
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto r = Fetch(port, "POST", "/meanwhile", std::to_string(i));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r->body, std::to_string(i));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << i;
  }
  handler_->Release();
  for (auto* c : {&*first, &*second}) {
    auto r = (*c)->Read();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(HttpServerTest, AMalformedRequestIs400AndTheServerKeepsServing) {
  // The start of a TLS ClientHello sent to the plain-HTTP port (with NUL bytes in it).
  static const char kTlsHello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
  uint16_t port = BindLocal();
  for (std::string garbage : {std::string("GARBAGE\r\n\r\n"),
                              std::string("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
                              std::string("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"),
                              std::string(kTlsHello, sizeof kTlsHello - 1)}) {
    auto c = HttpConnection::Connect(port);
    ASSERT_TRUE(c.ok());
    auto r = (*c)->RoundTrip(garbage);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 400);
    EXPECT_THAT(r->body, HasSubstr("Bad Request: "));
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE((*c)->ClosedByServer());
  }
  EXPECT_EQ(handler_->calls(), 0);
  auto good = Fetch(port, "POST", "/after", "ok");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->body, "ok");
}

// What a smuggled or ambiguous request would slip past (RFC 9112): 400 and the
// connection closed, before any handler runs, whatever follows in the same bytes.
TEST_F(HttpServerTest, AmbiguousFramingAndBadTargetsAre400BeforeAnyActorRuns) {
  uint16_t port = BindLocal();
  const std::string second = "GET /second HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"POST /first HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n" + second,
       "Bad Request: Transfer-Encoding \"xchunked\" is not supported: only chunked"},
      {"POST /first HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       "Bad Request: Transfer-Encoding \"gzip, chunked\" is not supported: only chunked"},
      {"POST /first HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "Bad Request: "},  // Beast's own "bad Transfer-Encoding"
      {"POST /first HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
       "\r\n0\r\n\r\n" +
           second,
       "Bad Request: "},  // Beast's own; RefuseRequestHead would say "both …"
      {"GET /first HTTP/1.1\r\nHost: t\r\nX-A: one\r\n two\r\n\r\n",
       "Bad Request: a header is folded over lines (obs-fold)"},
      {"GET /first HTTP/1.1\r\nHost: t\r\nX-A: one\r\n\ttwo\r\n\r\n",
       "Bad Request: a header is folded over lines (obs-fold)"},
      {"GET /first HTTP/1.1\r\nHost: t\r\nX-A: a\x01"
       "b\r\n\r\n",
       "Bad Request: "},
      {"GET /caf\xff HTTP/1.1\r\nHost: t\r\n\r\n", "Bad Request: "},
      {"GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n",
       "Bad Request: the target has a '%' that is not followed by two hex digits"},
      {"GET /a%4 HTTP/1.1\r\nHost: t\r\n\r\n",
       "Bad Request: the target has a '%' that is not followed by two hex digits"},
      // An actor gets headers as msgpack strings: a Latin-1 value made it fail (500).
      {"GET /first HTTP/1.1\r\nHost: t\r\nX-Name: caf\xe9\r\n\r\n",
       "Bad Request: the value of header X-Name is not valid UTF-8"},
      // RFC 9112 §6.1: no chunked framing in HTTP/1.0, so the appended request is not one.
      {"POST /first HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n" +
           second,
       "Bad Request: Transfer-Encoding in an HTTP/1.0 request"},
      // §3.2: Host once in HTTP/1.1.
      {"GET /first HTTP/1.1\r\nAccept: */*\r\n\r\n",
       "Bad Request: an HTTP/1.1 request without Host"},
      {"GET /first HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
       "Bad Request: more than one Host header"},
      // Lines ended by a bare LF (a script through netcat): answered at once, not left to
      // wait out the read timeout for a CRLF that never comes.
      {"GET /first HTTP/1.1\nHost: t\n\n",
       "Bad Request: a line of the request head ends in a bare LF or CR (HTTP lines end in CRLF)"},
      {"GET /first HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n" + second,
       "Bad Request: a line of the request head ends in a bare LF or CR (HTTP lines end in CRLF)"},
      {"GET /first HTTP/1.1\rHost: t\r\r\n",
       "Bad Request: a line of the request head ends in a bare LF or CR (HTTP lines end in CRLF)"},
      {"GET /first HTTP/1.1\r\nHost: t\r\r\n",
       "Bad Request: a line of the request head ends in a bare LF or CR (HTTP lines end in CRLF)"},
  };
  for (const auto& [request, reason] : cases) {
    SCOPED_TRACE(request);
    auto c = HttpConnection::Connect(port);
    ASSERT_TRUE(c.ok());
    auto r = (*c)->RoundTrip(request);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 400);
    EXPECT_THAT(r->body, StartsWith(reason));
    EXPECT_EQ(r->Header("connection"), "close");
    EXPECT_TRUE((*c)->ClosedByServer());  // the "second" request is never answered
  }
  EXPECT_EQ(handler_->calls(), 0);

  // What is well formed is served: chunked (any case), percent-encoded and UTF-8 targets.
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  auto chunked = (*c)->RoundTrip(
      "POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked.ok()) << chunked.status().message();
  EXPECT_EQ(chunked->status, 200);
  EXPECT_EQ(chunked->body, "ok");
  auto utf8 = (*c)->RoundTrip("GET /caf%C3%A9/\xc3\xa9?q=%20 HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(utf8.ok()) << utf8.status().message();
  EXPECT_EQ(utf8->status, 200);
  // Empty lines before a request line are skipped (RFC 9112 §2.2), also between requests.
  auto leading = (*c)->RoundTrip("\r\n\r\nGET /after-empty-lines HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(leading.ok()) << leading.status().message();
  EXPECT_EQ(leading->status, 200);
  EXPECT_EQ(handler_->last().path, "/after-empty-lines");
  EXPECT_EQ(handler_->calls(), 3);
}

TEST_F(HttpServerTest, ABodyOverTheLimitIs413AndTheServerKeepsServing) {
  ListenerSettings s = Local();
  s.max_body_bytes = 1024;
  uint16_t port = BindLocal(s);
  {  // announced by Content-Length: refused before the body is read
    auto c = HttpConnection::Connect(port);
    ASSERT_TRUE(c.ok());
    auto r = (*c)->RoundTrip("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" +
                             std::string(60000, 'x'));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->body, "Payload Too Large: the body is larger than 1024 bytes");
    EXPECT_TRUE((*c)->ClosedByServer());
  }
  {  // chunked: refused when the chunks pass the limit
    auto c = HttpConnection::Connect(port);
    ASSERT_TRUE(c.ok());
    auto r = (*c)->RoundTrip(
        "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" +
        std::string(1024, 'y') + "\r\n1\r\nz\r\n0\r\n\r\n");
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_EQ(handler_->calls(), 0);
  auto exact = Fetch(port, "POST", "/fits", std::string(1024, 'k'));
  ASSERT_TRUE(exact.ok()) << exact.status().message();
  EXPECT_EQ(exact->status, 200);
  EXPECT_EQ(exact->body.size(), 1024u);
  // A chunked body within the limit arrives whole.
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  auto chunked = (*c)->RoundTrip(
      "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked.ok()) << chunked.status().message();
  EXPECT_EQ(chunked->body, "abcde");
}

TEST_F(HttpServerTest, OversizedHeadersAre431AndTheServerKeepsServing) {
  uint16_t port = BindLocal();  // 16 KiB by default
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->RoundTrip("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20000, 'h') +
                           "\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->body,
            "Request Header Fields Too Large: the request line and headers are larger than "
            "16384 bytes");
  EXPECT_TRUE((*c)->ClosedByServer());
  auto good = Fetch(port, "GET", "/fine", "", {{"X-Medium", std::string(8000, 'm')}});
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(handler_->last().header.at("x-medium").size(), 8000u);
}

// A chunked body's trailer section (after the last chunk) and a chunk's size line are
// read whole before Beast parses them: they were bounded by nothing (a 90 MB trailer took
// the host to 1 GB), and trailer fields reached the actor as headers no check had seen.
TEST_F(HttpServerTest, TrailersAndChunkLinesAreBoundedAndTrailersNeverReachTheActor) {
  uint16_t port = BindLocal();  // 16 KiB of head by default
  auto small = HttpConnection::Connect(port);
  ASSERT_TRUE(small.ok());
  auto r = (*small)->RoundTrip(
      "POST /t HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
      "0\r\nX-Trailer: 1\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "abc");
  EXPECT_EQ(handler_->last().header.count("x-trailer"), 0u);
  EXPECT_EQ(handler_->last().header.at("host"), "t");
  // A trailer that repeats head fields' names (Beast files it next to them) changes
  // nothing either, and the head's last field is kept.
  auto repeat = (*small)->RoundTrip(
      "POST /t HTTP/1.1\r\nX-User: alice\r\nHost: good\r\nTransfer-Encoding: chunked\r\n"
      "X-Last: z\r\n\r\n3\r\nabc\r\n0\r\nX-User: admin\r\nHost: caf\xe9\r\n\r\n");
  ASSERT_TRUE(repeat.ok()) << repeat.status().message();
  EXPECT_EQ(repeat->status, 200);
  EXPECT_EQ(handler_->last().header.at("x-user"), "alice");
  EXPECT_EQ(handler_->last().header.at("host"), "good");
  EXPECT_EQ(handler_->last().header.at("x-last"), "z");
  const int served = handler_->calls();
  const std::string head = "POST /t HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& body :
       {"3\r\nabc\r\n0\r\n" + std::string("X-T: ") + std::string(1 << 20, 't') + "\r\n\r\n",
        "3\r\nabc\r\n0\r\n" + std::string(1000, 'X') + ": 1\r\n" + std::string(1 << 20, 'u'),
        "3;ext=" + std::string(1 << 20, 'e') + "\r\nabc\r\n0\r\n\r\n"}) {
    auto c = HttpConnection::Connect(port);
    ASSERT_TRUE(c.ok());
    auto big = (*c)->RoundTrip(head + body);
    ASSERT_TRUE(big.ok()) << big.status().message();
    EXPECT_EQ(big->status, 431);
    EXPECT_EQ(big->body,
              "Request Header Fields Too Large: the trailer of the chunked body, or a chunk's "
              "size line, is larger than 16384 bytes");
    EXPECT_TRUE((*c)->ClosedByServer());
  }
  EXPECT_EQ(handler_->calls(), served);
  // Empty lines before a request line count against the head's limit.
  auto blank = HttpConnection::Connect(port);
  ASSERT_TRUE(blank.ok());
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "\r\n";
  auto b = (*blank)->RoundTrip(lines);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->status, 431);
  auto good = Fetch(port, "GET", "/fine");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->status, 200);
}

// Beast keeps a field in 16 bits and throws past it: with MAX_HEADER_BYTES above 64 KiB a
// longer header line ended the connection without an answer (and an ERROR line).
TEST_F(HttpServerTest, AHeaderLineLongerThanBeastHoldsIs431) {
  ListenerSettings s = Local();
  s.max_header_bytes = 1 << 20;
  uint16_t port = BindLocal(s);
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->RoundTrip("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(70000, 'h') +
                           "\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->body, "Request Header Fields Too Large: a header line is longer than 65535 bytes");
  auto good = Fetch(port, "GET", "/fine", "", {{"X-Medium", std::string(60000, 'm')}});
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->status, 200);
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send("POST /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                         "Content-Length: 4\r\n\r\n")
                  .ok());
  auto interim = (*c)->Read(false, 5s);
  ASSERT_TRUE(interim.ok()) << interim.status().message();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE((*c)->Send("body").ok());
  auto r = (*c)->Read();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "body");
}

TEST_F(HttpServerTest, ASlowClientIsDisconnectedAfterTheReadTimeout) {
  ListenerSettings s = Local();
  s.read_timeout = 300ms;
  uint16_t port = BindLocal(s);
  auto slow = HttpConnection::Connect(port);
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE((*slow)->Send("GET /slow HTTP/1.1\r\nHost: t\r\n").ok());  // never finished
  auto idle = HttpConnection::Connect(port);
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE((*idle)->RoundTrip(FormatRequest("GET", "/once")).ok());  // then kept idle
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE((*slow)->ClosedByServer(5s));
  EXPECT_TRUE((*idle)->ClosedByServer(5s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 3s);
  auto good = Fetch(port, "GET", "/after");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->status, 200);
}

TEST_F(HttpServerTest, ConnectionsBeyondMaxConnectionsAre503UntilSomeClose) {
  ListenerSettings s = Local();
  s.max_connections = 2;
  uint16_t port = BindLocal(s);
  auto a = HttpConnection::Connect(port);
  auto b = HttpConnection::Connect(port);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->RoundTrip(FormatRequest("GET", "/a")).ok());  // both open and kept
  ASSERT_TRUE((*b)->RoundTrip(FormatRequest("GET", "/b")).ok());
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  auto refused = (*c)->RoundTrip(FormatRequest("GET", "/c"));
  ASSERT_TRUE(refused.ok()) << refused.status().message();
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->Header("retry-after"), "1");
  EXPECT_EQ(refused->Header("connection"), "close");
  EXPECT_TRUE((*c)->ClosedByServer(5s));
  EXPECT_EQ(handler_->calls(), 2) << "the refused request never reached the actor";
  const auto log = Log();
  EXPECT_EQ(std::count_if(log.begin(), log.end(),
                          [](const std::string& l) {
                            return l.find("2 connections open (MAX_CONNECTIONS)") !=
                                   std::string::npos;
                          }),
            1);
  // A flood beyond the limit holds few descriptors: 16 more connections are answered 503
  // (each lingers up to 1 s for its client to read it), the ones after them are closed at
  // once without an answer.
  std::vector<std::unique_ptr<HttpConnection>> flood;
  for (int i = 0; i < 20; ++i) {
    auto f = HttpConnection::Connect(port);
    ASSERT_TRUE(f.ok()) << i;
    flood.push_back(std::move(*f));
  }
  int answered = 0, closed = 0;
  for (auto& f : flood) {
    auto r = f->Read(false, 5s);
    if (r.ok() && r->status == 503) {
      ++answered;
    } else if (!r.ok() && r.status().code() == Code::kUnavailable) {
      ++closed;
    }
  }
  // At most 16 beyond the limit linger (the refused /c may still be one of them).
  EXPECT_EQ(answered + closed, 20);
  EXPECT_GE(answered, 15);
  EXPECT_LE(answered, 16);
  flood.clear();
  // The kept connections are still served; once one closes, a new one is too.
  auto still = (*a)->RoundTrip(FormatRequest("GET", "/a2"));
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->status, 200);
  (*a).reset();
  (*c).reset();
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = Fetch(port, "GET", "/later");
    ASSERT_TRUE(r.ok()) << r.status().message();
    status = r->status;
    if (status == 200) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
}

TEST(HttpServerSettingsTest, TheDefaultConnectionLimitLeavesHalfTheDescriptors) {
  ListenerSettings s;
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const size_t expected =
      limit.rlim_cur == RLIM_INFINITY
          ? 10000
          : std::clamp<size_t>(static_cast<size_t>(limit.rlim_cur / 2), 64, 10000);
  EXPECT_EQ(MaxConnections(s), expected);
  s.max_connections = 3;
  EXPECT_EQ(MaxConnections(s), 3u);
}

TEST_F(HttpServerTest, AHandlerThatThrowsIs500) {
  uint16_t port = BindLocal();
  auto r = Fetch(port, "GET", "/throw");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  const std::string id = r->Header("x-request-id");
  EXPECT_EQ(r->body, "Failed to handle request (request " + id + ")");
  EXPECT_THAT(Log(), ::testing::Contains(::testing::HasSubstr(
                         "request " + id + ": 500 Failed to handle request: boom")));
}

TEST_F(HttpServerTest, ConcurrentClientsAreAllAnsweredCorrectly) {
  uint16_t port = BindLocal();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::atomic<int> good{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half on one kept-alive connection, half on a new connection each.
      auto kept = HttpConnection::Connect(port);
      if (!kept.ok()) {
        failures[t] = kept.status().message();
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        const std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        const std::string request = FormatRequest("POST", "/c/" + body, {}, body);
        Result<ClientResponse> r = i % 2 == 0 ? (*kept)->RoundTrip(request) : [&] {
          auto c = HttpConnection::Connect(port);
          return c.ok() ? (*c)->RoundTrip(request) : Result<ClientResponse>(c.status());
        }();
        if (!r.ok()) {
          failures[t] = r.status().message();
          return;
        }
        if (r->status == 200 && r->body == body && r->Header("x-path") == "/c/" + body) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
  EXPECT_EQ(good.load(), kThreads * kPerThread);
  // Two loops per core by default, at most 8 more than the cores (docs/httpserver.md).
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  const unsigned cores = static_cast<unsigned>(CPU_COUNT(&set));
  EXPECT_EQ(server_->threads(), std::min(2 * cores, cores + 8));
}

TEST_F(HttpServerTest, ABusyPortFailsTheBindWithTheReason) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t busy = ntohs(addr.sin_port);

  Status s = server_->Bind(kActor, Local(busy));
  close(fd);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.message(), "cannot listen on 127.0.0.1:" + std::to_string(busy) + " for actor " +
                             kActor +
                             ": Address already in use (another process, or another link, has "
                             "that port: give the link another PORT value)");
  EXPECT_FALSE(server_->Port(kActor).has_value());

  // Two actors cannot share a port either.
  uint16_t port = BindLocal(Local(), kActor);
  Status second = server_->Bind(kOther, Local(port));
  EXPECT_THAT(second.message(), HasSubstr("Address already in use"));
  ListenerSettings bad = Local();
  bad.address = "300.1.1.1";
  EXPECT_THAT(server_->Bind(kOther, bad).message(), HasSubstr("cannot listen on 300.1.1.1:0"));
  EXPECT_TRUE(Fetch(port, "GET", "/still").ok());
}

TEST_F(HttpServerTest, BindingAgainWithTheSameValuesChangesNothing) {
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->RoundTrip(FormatRequest("GET", "/1")).ok());
  ListenerSettings same = Local(port);
  ASSERT_TRUE(server_->Bind(kActor, same).ok());
  ASSERT_TRUE(server_->Bind(kActor, same).ok());
  EXPECT_EQ(server_->Port(kActor), port);
  auto r = (*c)->RoundTrip(FormatRequest("GET", "/2"));  // the connection lives on
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, BindingWithOtherValuesMovesOrUpdatesTheListener) {
  uint16_t first = BindLocal();
  const uint16_t second = testing::FreePort();
  ASSERT_TRUE(server_->Bind(kActor, Local(second)).ok());
  EXPECT_EQ(server_->Port(kActor), second);
  EXPECT_FALSE(Accepts(first));
  auto r = Fetch(second, "POST", "/moved", "m");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "m");
  EXPECT_THAT(Log(), ::testing::Contains(HasSubstr("(moved from 127.0.0.1:")));

  // Same endpoint, smaller body limit: new connections get it.
  ListenerSettings limited = Local(second);
  limited.max_body_bytes = 2;
  ASSERT_TRUE(server_->Bind(kActor, limited).ok());
  auto big = Fetch(second, "POST", "/b", "abc");
  ASSERT_TRUE(big.ok()) << big.status().message();
  EXPECT_EQ(big->status, 413);
}

TEST_F(HttpServerTest, RemoveClosesThePortAndLetsRequestsInFlightFinish) {
  uint16_t port = BindLocal();
  auto busy = HttpConnection::Connect(port);
  auto idle = HttpConnection::Connect(port);
  auto idle_crlf = HttpConnection::Connect(port);
  auto idle_late_crlf = HttpConnection::Connect(port);
  ASSERT_TRUE(busy.ok());
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(idle_crlf.ok());
  ASSERT_TRUE(idle_late_crlf.ok());
  ASSERT_TRUE((*idle)->RoundTrip(FormatRequest("GET", "/first")).ok());
  // A request followed by an empty line (as some clients end a POST): idle all the same,
  // whether the empty line comes with the request or after its response.
  ASSERT_TRUE((*idle_crlf)->RoundTrip(FormatRequest("GET", "/first") + "\r\n").ok());
  ASSERT_TRUE((*idle_late_crlf)->RoundTrip(FormatRequest("GET", "/first")).ok());
  ASSERT_TRUE((*idle_late_crlf)->Send("\r\n").ok());
  std::this_thread::sleep_for(100ms);  // the server reads it (else the drain finds it idle)
  ASSERT_TRUE((*busy)->Send(FormatRequest("GET", "/block")).ok());
  ASSERT_TRUE(handler_->WaitBlocked(1));

  auto removed = std::async(std::launch::async, [&] { server_->Remove(kActor); });
  EXPECT_TRUE((*idle)->ClosedByServer(3s));  // an idle kept-alive connection goes at once
  EXPECT_TRUE((*idle_crlf)->ClosedByServer(3s));
  EXPECT_TRUE((*idle_late_crlf)->ClosedByServer(3s));
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (Accepts(port) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_FALSE(Accepts(port));
  EXPECT_EQ(removed.wait_for(0s), std::future_status::timeout);  // waits for /block
  handler_->Release();
  auto r = (*busy)->Read();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE((*busy)->ClosedByServer());
  EXPECT_EQ(removed.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(server_->Port(kActor).has_value());
  server_->Remove(kActor);  // again: nothing
}

TEST_F(HttpServerTest, RemoveClosesConnectionsStillBusyAfterTheDrainTimeout) {
  server_->Stop();
  MakeServer(ServerOptions{0, 200ms});
  uint16_t port = BindLocal();
  auto c = HttpConnection::Connect(port);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send(FormatRequest("GET", "/sleep")).ok());  // 3 s in the handler
  const auto wait_end = std::chrono::steady_clock::now() + 10s;
  while (handler_->calls() == 0 && std::chrono::steady_clock::now() < wait_end) {
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_EQ(handler_->calls(), 1);  // the request is in the handler
  const auto start = std::chrono::steady_clock::now();
  server_->Remove(kActor);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 2s);  // did not wait for the handler (200 ms + 500 ms of grace)
  EXPECT_THAT(Log(), ::testing::Contains(HasSubstr("HTTP connection(s) still busy after 200 ms")));
  // The client is not left hanging: the response or the end of the connection comes.
  auto r = (*c)->Read(false, 5s);
  if (r.ok()) {
    EXPECT_EQ(r->Header("connection"), "close");
  } else {
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().message();
  }
}

TEST_F(HttpServerTest, StopClosesEveryListenerAndRefusesNewBinds) {
  uint16_t a = BindLocal(Local(), kActor);
  uint16_t b = BindLocal(Local(), kOther);
  auto idle = HttpConnection::Connect(a);
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE((*idle)->RoundTrip(FormatRequest("GET", "/x")).ok());
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(Accepts(a));
  EXPECT_FALSE(Accepts(b));
  EXPECT_TRUE((*idle)->ClosedByServer(1s));
  Status s = server_->Bind(kActor, Local());
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "the HTTP server is stopped");
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, IPv6LoopbackServesToo) {
  ListenerSettings s;
  s.address = "::1";
  s.port = 0;
  Status st = server_->Bind(kActor, s);
  if (!st.ok() && (st.message().find("Cannot assign") != std::string::npos ||
                   st.message().find("not supported") != std::string::npos)) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_GT(*server_->Port(kActor), 0);
}

}  // namespace
}  // namespace wasmcloud::httpserver
