// libwasmcloud_httpclient.so as the host sees it: loaded with provider::LoadNativeProvider
// and called through the C ABI with the contract's msgpack payloads, against a real HTTP
// server the test starts on a free port (http_test_server.h). What an actor would see:
// the reply bytes of the upstream Response shape, or the error message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "host/host.h"
#include "http_test_server.h"
#include "provider/native_library.h"
#include "provider/provider.h"
#include "support/log_recording_host.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/v8/v8_engine.h"
#include "wire/core.h"
#include "wire/httpclient.h"

namespace wasmcloud::httpclient {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TestHttpServer;

constexpr char kLibrary[] = WC_HTTPCLIENT_PROVIDER;
constexpr std::string_view kContract = "wasmcloud:httpclient";
constexpr std::string_view kActor = "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
constexpr std::string_view kOther = "MBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

// libcurl honours the *_proxy variables; the tests talk to 127.0.0.1 directly.
const bool kNoProxy = [] {
  for (const char* v :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    unsetenv(v);
  }
  return true;
}();

using wasmcloud::testing::Ok;

using RecordingHost = wasmcloud::testing::LogRecordingHost;

Result<std::shared_ptr<provider::Provider>> Load() {
  return provider::LoadNativeProvider(kLibrary, std::string(kContract));
}

Bytes Body(std::string_view s) { return ToBytes(s); }

// The canonical reason phrases the test expects (http::StatusCode's, which 0.18 sent).
std::string ReasonPhraseFor(uint32_t code) {
  static const std::map<uint32_t, std::string> kReasons = {{201, "Created"},
                                                           {204, "No Content"},
                                                           {301, "Moved Permanently"},
                                                           {400, "Bad Request"},
                                                           {404, "Not Found"},
                                                           {418, "I'm a teapot"},
                                                           {500, "Internal Server Error"},
                                                           {503, "Service Unavailable"}};
  auto it = kReasons.find(code);
  return it == kReasons.end() ? "" : it->second;
}

TEST(HttpClientLibraryTest, LoadsAsAnHttpClientProvider) {
  auto p = Load();
  ASSERT_TRUE(Ok(p));
  const provider::ProviderDescriptor d = (*p)->Describe();
  EXPECT_EQ(d.contract_id, kContract);
  EXPECT_EQ(d.name, "HTTP client (libcurl)");
  EXPECT_FALSE(d.version.empty());
  auto wrong = provider::LoadNativeProvider(kLibrary, "wasmcloud:keyvalue");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("contract id wasmcloud:httpclient"));
}

class HttpClientProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TestHttpServer::Start();
    ASSERT_TRUE(Ok(s));
    server_ = std::move(*s);
    auto p = Load();
    ASSERT_TRUE(Ok(p));
    provider_ = *p;
    ASSERT_TRUE(Ok(provider_->Start(&host_)));
  }
  void TearDown() override {
    if (provider_ != nullptr) provider_->Stop();
    provider_.reset();  // the library is closed before the server goes
    server_.reset();
  }

  Status Bind(provider::LinkValues values = {}, std::string_view actor = kActor) {
    return provider_->BindActor(actor, values);
  }
  // The raw reply of "Request", as the actor receives it.
  Result<Bytes> Call(const wire::HttpClientRequest& request, std::string_view actor = kActor) {
    return provider_->HandleCall(actor, "Request", wire::Encode(request));
  }
  Result<wire::HttpClientResponse> Request(const wire::HttpClientRequest& request,
                                           std::string_view actor = kActor) {
    WC_ASSIGN_OR_RETURN(Bytes reply, Call(request, actor));
    return wire::DecodeHttpResponse(reply);
  }
  Result<wire::HttpClientResponse> Get(const std::string& target) {
    return Request({"GET", server_->Url(target), {}, {}});
  }
  // The message the actor gets for a request that must fail.
  std::string ErrorOf(const wire::HttpClientRequest& request, std::string_view actor = kActor) {
    auto r = Call(request, actor);
    EXPECT_FALSE(r.ok()) << request.method << " " << request.url << " did not fail";
    return r.ok() ? "" : r.status().message();
  }
  std::string GetError(const std::string& url) { return ErrorOf({"GET", url, {}, {}}); }

  RecordingHost host_;
  std::unique_ptr<TestHttpServer> server_;
  std::shared_ptr<provider::Provider> provider_;
};

TEST_F(HttpClientProviderTest, GetWithHeadersAndQuery) {
  ASSERT_TRUE(Ok(Bind()));
  auto r = Request({"GET",
                    server_->Url("/echo/path?a=1&b=two%20words"),
                    {{"X-Trace-Id", "abc-123"}, {"Accept", "text/plain"}, {"X-Empty", ""}},
                    {}});
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status_code, 200u);
  EXPECT_EQ(r->status, "OK");
  EXPECT_TRUE(r->body.empty());

  auto seen = server_->Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/echo/path?a=1&b=two%20words");
  EXPECT_EQ(seen[0].Header("x-trace-id"), "abc-123");
  EXPECT_EQ(seen[0].Header("accept"), "text/plain");
  EXPECT_TRUE(seen[0].HasHeader("x-empty"));
  EXPECT_EQ(seen[0].Header("x-empty"), "");
  EXPECT_EQ(seen[0].Header("host"), "127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_FALSE(seen[0].HasHeader("content-length"));
  EXPECT_FALSE(seen[0].HasHeader("content-type"));
  EXPECT_TRUE(seen[0].body.empty());

  // Without headers from the actor, only what HTTP/1.1 needs and curl's Accept go out.
  ASSERT_TRUE(Ok(Request({"GET", server_->Url("/echo"), {}, {}})));
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(server_->Requests().back().headers,
            (Headers{{"host", "127.0.0.1:" + std::to_string(server_->port())}, {"accept", "*/*"}}));
}

TEST_F(HttpClientProviderTest, TheReplyHasTheUpstreamResponseShape) {
  ASSERT_TRUE(Ok(Bind()));
  auto reply = Call({"GET", server_->Url("/status/404"), {}, {}});
  ASSERT_TRUE(Ok(reply));
  // {statusCode: 404 (u16 form), status: "Not Found", header: {"content-length": "10"},
  //  body: bin "status 404"}, in the field order of generated.rs.
  EXPECT_EQ(HexEncode(*reply),
            "84aa737461747573436f6465cd0194a6737461747573a94e6f7420466f756e64a668656164657281ae"
            "636f6e74656e742d6c656e677468a23130a4626f6479c40a73746174757320343034");
}

TEST_F(HttpClientProviderTest, PostSendsTheBodyByteForByte) {
  ASSERT_TRUE(Ok(Bind()));
  Bytes body;
  for (int i = 0; i < 3 * 256; ++i) body.push_back(static_cast<uint8_t>(i % 256));  // NULs too
  auto r = Request({"POST", server_->Url("/echo"), {}, body});
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status_code, 200u);
  EXPECT_EQ(r->body, body);
  auto seen = server_->Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, body);
  EXPECT_EQ(seen[0].Header("content-length"), "768");
  // No Content-Type the actor did not ask for, no Expect: 100-continue.
  EXPECT_FALSE(seen[0].HasHeader("content-type"));
  EXPECT_FALSE(seen[0].HasHeader("expect"));
}

TEST_F(HttpClientProviderTest, LargeBodiesBothWays) {
  ASSERT_TRUE(Ok(Bind()));
  Bytes body(3 * 1024 * 1024 + 7);
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>((i * 131) >> 3);
  const auto start = std::chrono::steady_clock::now();
  auto r = Request({"PUT", server_->Url("/echo"), {{"Content-Type", "application/x-thing"}}, body});
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->body, body);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  auto seen = server_->Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].Header("content-type"), "application/x-thing");
  EXPECT_FALSE(seen[0].HasHeader("expect"));
}

TEST_F(HttpClientProviderTest, EveryMethod) {
  ASSERT_TRUE(Ok(Bind()));
  for (std::string method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"}) {
    const bool body_allowed = method != "HEAD" && method != "TRACE";
    auto r = Request({method, server_->Url("/echo"), {}, body_allowed ? Body("x") : Bytes{}});
    ASSERT_TRUE(Ok(r)) << method;
    EXPECT_EQ(r->status_code, 200u) << method;
    EXPECT_EQ(AsChars(r->body), body_allowed ? "x" : "") << method;
    EXPECT_EQ(server_->Requests().back().method, method);
    EXPECT_EQ(AsChars(server_->Requests().back().body), body_allowed ? "x" : "") << method;
  }
  // A POST or PUT without a body says Content-Length: 0, as 0.18's client did.
  ASSERT_TRUE(Ok(Request({"POST", server_->Url("/echo"), {}, {}})));
  EXPECT_EQ(server_->Requests().back().Header("content-length"), "0");

  EXPECT_EQ(ErrorOf({"BREW", server_->Url("/echo"), {}, {}}),
            "Request: unsupported method \"BREW\" (expected GET, POST, PUT, DELETE, HEAD, PATCH, "
            "OPTIONS or TRACE)");
  EXPECT_EQ(ErrorOf({"get", server_->Url("/echo"), {}, {}}),
            "Request: unsupported method \"get\" (expected GET, POST, PUT, DELETE, HEAD, PATCH, "
            "OPTIONS or TRACE)");
  EXPECT_EQ(ErrorOf({"HEAD", server_->Url("/echo"), {}, Body("x")}),
            "Request: HEAD cannot carry a body (1 bytes given)");
}

TEST_F(HttpClientProviderTest, StatusesOtherThan200AreData) {
  ASSERT_TRUE(Ok(Bind()));
  for (uint32_t code : {201u, 204u, 301u, 400u, 404u, 418u, 500u, 503u, 599u}) {
    auto r = Get("/status/" + std::to_string(code));
    ASSERT_TRUE(Ok(r)) << code;
    EXPECT_EQ(r->status_code, code);
    // The canonical reason, not the server's ("Custom Reason"), as 0.18 gave it.
    EXPECT_EQ(r->status, ReasonPhraseFor(code)) << code;
    EXPECT_EQ(AsChars(r->body), code == 204 ? "" : "status " + std::to_string(code));
  }
  auto missing = Get("/nowhere");
  ASSERT_TRUE(Ok(missing));
  EXPECT_EQ(missing->status_code, 404u);
  EXPECT_EQ(AsChars(missing->body), "no route");
}

TEST_F(HttpClientProviderTest, ResponseHeaders) {
  ASSERT_TRUE(Ok(Bind()));
  auto r = Get("/headers");
  ASSERT_TRUE(Ok(r));
  const wire::StringMap expected = {
      {"x-upper-case", "Value Kept"},  // names lowercase, values as sent
      {"x-multi", "a,b"},              // repeated: joined with ",", as 0.18
      {"x-spaces", "padded"},          // surrounding whitespace is not part of the value
      {"x-binary", "//4="},            // not visible ASCII: base64, as 0.18
      {"x-utf8", "aMOpbGxv"},
      {"x-empty", ""},
      {"content-length", "1"},
  };
  EXPECT_EQ(r->header, expected);
}

TEST_F(HttpClientProviderTest, RedirectsAreFollowedUpToTheLimit) {
  ASSERT_TRUE(Ok(Bind()));  // default: 10
  auto r = Get("/redirect/3");
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status_code, 200u);
  EXPECT_EQ(server_->Requests().back().target, "/echo");
  EXPECT_EQ(server_->request_count(), 5u);

  ASSERT_TRUE(Ok(Bind({{"max_redirects", "2"}})));
  EXPECT_EQ(GetError(server_->Url("/redirect/3")), "Request: GET " + server_->Url("/redirect/3") +
                                                       ": more than 2 redirects (max_redirects)");

  ASSERT_TRUE(Ok(Bind({{"max_redirects", "0"}})));  // the 3xx itself
  r = Get("/redirect/3");
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->status_code, 302u);
  EXPECT_EQ(r->status, "Found");
  EXPECT_EQ(r->header["location"], "/redirect/2");

  ASSERT_TRUE(Ok(Bind()));
  EXPECT_THAT(GetError(server_->Url("/redirect-file")),
              StartsWith("Request: GET " + server_->Url("/redirect-file") +
                         ": redirected to a scheme that is not allowed (only http and https)"));
}

TEST_F(HttpClientProviderTest, ASilentServerTimesOut) {
  ASSERT_TRUE(Ok(Bind({{"TIMEOUT_MS", "300"}})));
  const auto start = std::chrono::steady_clock::now();
  const std::string message = GetError(server_->Url("/silent"));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(message, StartsWith("Request: GET " + server_->Url("/silent") +
                                  ": no complete response within 300 ms ("));
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(server_->request_count(), 1u);  // the request did reach the server

  ASSERT_TRUE(Ok(Bind({{"timeout", "1"}})));  // the 0.18 name, in seconds
  EXPECT_THAT(GetError(server_->Url("/silent")), HasSubstr("no complete response within 1000 ms"));
}

TEST_F(HttpClientProviderTest, UnreachableAndUnresolvable) {
  // Long enough for a slow resolver to give its answer before the request times out.
  ASSERT_TRUE(Ok(Bind({{"TIMEOUT_MS", "30000"}})));
  const std::string url =
      "http://127.0.0.1:" + std::to_string(::wasmcloud::testing::FreeLoopbackPort()) + "/x";
  const std::string refused = GetError(url);
  EXPECT_THAT(refused, StartsWith("Request: GET " + url + ": cannot connect ("));
  // A name under .invalid never resolves (RFC 6761); the resolver answers at once.
  EXPECT_THAT(GetError("http://no-such-host.invalid/"),
              StartsWith("Request: GET http://no-such-host.invalid/: cannot resolve the host ("));
}

// https is TLS with the certificate verified against the system's CA bundle: a
// self-signed certificate is refused.
TEST_F(HttpClientProviderTest, HttpsVerifiesTheCertificate) {
  auto tls = testing::SelfSignedTlsServer::Start();
  ASSERT_TRUE(Ok(tls));
  ASSERT_TRUE(Ok(Bind()));
  const std::string url = "https://127.0.0.1:" + std::to_string((*tls)->port()) + "/";
  const std::string message = GetError(url);
  EXPECT_THAT(message, StartsWith("Request: GET " + url + ": "));
  EXPECT_THAT(message, HasSubstr("self-signed certificate"));
  EXPECT_EQ((*tls)->connection_count(), 1u);
}

TEST_F(HttpClientProviderTest, OnlyHttpAndHttpsUrls) {
  ASSERT_TRUE(Ok(Bind()));
  EXPECT_EQ(GetError("file:///etc/passwd"),
            "Request: refused URL \"file:///etc/passwd\": the scheme \"file\" is not allowed "
            "(only http and https)");
  EXPECT_EQ(GetError("FTP://example.com/x"),
            "Request: refused URL \"FTP://example.com/x\": the scheme \"ftp\" is not allowed "
            "(only http and https)");
  EXPECT_EQ(GetError("gopher://127.0.0.1:70/"),
            "Request: refused URL \"gopher://127.0.0.1:70/\": the scheme \"gopher\" is not "
            "allowed (only http and https)");
  EXPECT_EQ(GetError("127.0.0.1/echo"),
            "Request: bad URL \"127.0.0.1/echo\": no scheme (expected http:// or https://)");
  EXPECT_EQ(GetError(""), "Request: bad URL \"\": no scheme (expected http:// or https://)");
  EXPECT_THAT(GetError("http://"), StartsWith("Request: bad URL \"http://\": "));
  EXPECT_THAT(GetError("http://exa mple.com/"),
              StartsWith("Request: bad URL \"http://exa mple.com/\": "));
  // The scheme is not case-sensitive; user and password stay out of error messages.
  const std::string url =
      "HTTP://user:secret@127.0.0.1:" + std::to_string(::wasmcloud::testing::FreeLoopbackPort()) +
      "/x";
  const std::string message = GetError(url);
  EXPECT_THAT(message, HasSubstr("cannot connect"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("secret")));
}

TEST_F(HttpClientProviderTest, HeadersThatCannotBeSentAreRefused) {
  ASSERT_TRUE(Ok(Bind()));
  const std::string url = server_->Url("/echo");
  EXPECT_EQ(ErrorOf({"GET", url, {{"X-Evil", "a\r\nInjected: yes"}}, {}}),
            "Request: GET " + url + ": the value of header X-Evil contains CR, LF or NUL");
  EXPECT_EQ(ErrorOf({"GET", url, {{"Bad Name", "v"}}, {}}),
            "Request: GET " + url + ": the header name \"Bad Name\" is not an HTTP token");
  EXPECT_EQ(ErrorOf({"GET", url, {{"", "v"}}, {}}),
            "Request: GET " + url + ": the header name \"\" is not an HTTP token");
  EXPECT_EQ(server_->request_count(), 0u);
  // Content-Length comes from the body, whatever the actor says (a forwarded header).
  auto r = Request({"POST", url, {{"Content-Length", "999"}}, Body("four")});
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(AsChars(r->body), "four");
  EXPECT_EQ(server_->Requests().back().Header("content-length"), "4");
}

TEST_F(HttpClientProviderTest, ResponsesLargerThanTheLimitFail) {
  ASSERT_TRUE(Ok(Bind({{"MAX_RESPONSE_BYTES", "1000"}})));
  auto r = Get("/bytes/1000");
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->body.size(), 1000u);
  r = Get("/chunked/1000");
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->body.size(), 1000u);
  // With a Content-Length (refused before the body is read) and without one (stopped
  // when the limit is passed).
  for (const std::string target : {"/bytes/1001", "/chunked/5000"}) {
    EXPECT_EQ(GetError(server_->Url(target)),
              "Request: GET " + server_->Url(target) +
                  ": the response body is larger than 1000 bytes (MAX_RESPONSE_BYTES)");
  }
  // The default is 16 MiB.
  ASSERT_TRUE(Ok(Bind()));
  r = Get("/bytes/" + std::to_string(16 * 1024 * 1024));
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->body.size(), 16u * 1024 * 1024);
  EXPECT_THAT(GetError(server_->Url("/chunked/" + std::to_string(16 * 1024 * 1024 + 1))),
              HasSubstr("the response body is larger than 16777216 bytes"));
}

TEST_F(HttpClientProviderTest, UnknownOperationsAndMalformedPayloads) {
  ASSERT_TRUE(Ok(Bind()));
  auto r = provider_->HandleCall(kActor, "PerformRequest", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "wasmcloud:httpclient has no operation \"PerformRequest\" (it has \"Request\")");
  r = provider_->HandleCall(kActor, "Request", AsBytes("\x92\xa3GET"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("Request: malformed payload: "));
  EXPECT_THAT(r.status().message(), HasSubstr("RequestArgs"));
  r = provider_->HandleCall(kActor, "Request", {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), StartsWith("Request: malformed payload: "));
}

TEST_F(HttpClientProviderTest, AnActorNotLinkedIsRefused) {
  const std::string not_linked = "actor " + std::string(kActor) +
                                 " is not linked to this wasmcloud:httpclient provider (no "
                                 "BindActor)";
  EXPECT_EQ(GetError(server_->Url("/echo")), not_linked);
  ASSERT_TRUE(Ok(Bind({}, kOther)));
  EXPECT_EQ(GetError(server_->Url("/echo")), not_linked);
  ASSERT_TRUE(Ok(Bind()));
  ASSERT_TRUE(Ok(Get("/echo")));
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActor)));
  ASSERT_TRUE(Ok(provider_->RemoveActor(kActor)));  // idempotent
  EXPECT_EQ(GetError(server_->Url("/echo")), not_linked);
  EXPECT_EQ(server_->request_count(), 1u);
}

TEST_F(HttpClientProviderTest, BadLinkValuesFailTheBind) {
  Status s = Bind({{"TIMEOUT_MS", "soon"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "link value TIMEOUT_MS=\"soon\" is not 1..3600000 milliseconds");
  EXPECT_THAT(GetError(server_->Url("/echo")), HasSubstr("is not linked"));
}

TEST_F(HttpClientProviderTest, SettingsArePerActor) {
  ASSERT_TRUE(Ok(Bind({{"MAX_RESPONSE_BYTES", "10"}}, kActor)));
  ASSERT_TRUE(Ok(Bind({}, kOther)));
  EXPECT_THAT(GetError(server_->Url("/bytes/11")), HasSubstr("larger than 10 bytes"));
  auto r = Request({"GET", server_->Url("/bytes/11"), {}, {}}, kOther);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->body.size(), 11u);
  EXPECT_THAT(host_.Lines(),
              ::testing::Contains("actor " + std::string(kActor) +
                                  " linked: timeout 5000 ms, 10 redirects, 10 bytes"));
}

TEST_F(HttpClientProviderTest, Health) {
  EXPECT_TRUE(Ok(provider_->Health()));
  auto r = provider_->HandleCall("system", "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(HexEncode(*r), "82a76865616c746879c3a76d657373616765a0");  // {healthy: true, ""}
}

TEST_F(HttpClientProviderTest, ConcurrentCallsReuseConnections) {
  ASSERT_TRUE(Ok(Bind()));
  constexpr int kThreads = 8, kPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string body = std::to_string(t) + "/" + std::to_string(i);
        auto r = Request({"POST", server_->Url("/echo"), {}, Body(body)});
        if (!r.ok() || AsChars(r->body) != body) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server_->request_count(), size_t{kThreads * kPerThread});
  // Idle handles keep their connections: far fewer connections than requests.
  EXPECT_LE(server_->connection_count(), size_t{2 * kThreads});
  std::printf("[ figures  ] %d POSTs on %d threads in %.1f ms (%.1f us each, %zu connections)\n",
              kThreads * kPerThread, kThreads,
              std::chrono::duration<double, std::milli>(took).count(),
              std::chrono::duration<double, std::micro>(took).count() / (kThreads * kPerThread),
              server_->connection_count());
}

TEST_F(HttpClientProviderTest, StopEndsARequestInFlight) {
  ASSERT_TRUE(Ok(Bind({{"TIMEOUT_MS", "60000"}})));
  Result<Bytes> r = Internal("not run");
  std::thread t([&] { r = Call({"GET", server_->Url("/silent"), {}, {}}); });
  while (server_->request_count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto stopped_at = std::chrono::steady_clock::now();
  provider_->Stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("the provider is stopping"));
}

// The host may close the library and load it again in one process, and run two
// instances at once. The library really goes (dlclose), libcurl stays: it is pinned, so
// its global state and any resolver thread it left running survive the unload.
TEST(HttpClientLibraryTest, UnloadedAndLoadedAgain) {
  auto server = TestHttpServer::Start();
  ASSERT_TRUE(Ok(server));
  RecordingHost host;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::shared_ptr<provider::Provider>> instances;
    for (int i = 0; i < 2; ++i) {
      auto p = Load();
      ASSERT_TRUE(Ok(p));
      ASSERT_TRUE(Ok((*p)->Start(&host)));
      ASSERT_TRUE(Ok((*p)->BindActor(kActor, {})));
      instances.push_back(*p);
    }
    for (auto& p : instances) {
      auto r = p->HandleCall(
          kActor, "Request",
          wire::Encode(wire::HttpClientRequest{"GET", (*server)->Url("/bytes/3"), {}, {}}));
      ASSERT_TRUE(Ok(r)) << round;
      auto response = wire::DecodeHttpResponse(*r);
      ASSERT_TRUE(Ok(response));
      EXPECT_EQ(AsChars(response->body), "abc");
    }
    for (auto& p : instances) p->Stop();
    instances.clear();
    EXPECT_EQ(dlopen(kLibrary, RTLD_NOW | RTLD_NOLOAD), nullptr) << "the library is still loaded";
    void* curl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(curl, nullptr) << "libcurl was unloaded";
    if (curl != nullptr) dlclose(curl);
  }
  EXPECT_EQ((*server)->request_count(), 6u);
}

// The build's signed archive (providers/httpclient.par.gz) verifies and starts on the
// real host, which knows it by the contract and name of its claims.
TEST(HttpClientArchiveTest, TheHostStartsTheSignedArchive) {
  const std::string dir = wasmcloud::testing::MakeTempDir();
  setenv("TMPDIR", dir.c_str(), 1);  // the host unpacks the library under $TMPDIR
  {
    host::Host host({}, wasm::CreateV8Engine);
    ASSERT_TRUE(Ok(host.Start()));
    auto key = host.StartCapabilityFromFile(WC_HTTPCLIENT_PAR);
    ASSERT_TRUE(Ok(key));
    auto id = host.GetProviderIdentity(*key, "default");
    ASSERT_TRUE(Ok(id));
    EXPECT_EQ(id->contract_id, kContract);
    EXPECT_EQ(id->name, "wasmcloud HTTP client");
    EXPECT_EQ(id->revision, 1);
    EXPECT_TRUE(Ok(host.Stop()));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wasmcloud::httpclient
