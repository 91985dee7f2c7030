// The libcurl client of the httpclient provider on its own (providers/httpclient/
// client.h, dispatch.h): link value parsing, and the error codes of Perform against the
// test server, which the provider's C ABI does not carry (there only the message
// reaches the actor; provider_test.cc checks those through the loader).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "core/bytes.h"
#include "http_test_server.h"
#include "httpclient/client.h"
#include "httpclient/dispatch.h"
#include "support/run_command.h"
#include "wire/httpclient.h"

namespace wasmcloud::httpclient {
namespace {

using ::testing::HasSubstr;
using testing::TestHttpServer;

// The client honours the *_proxy variables as libcurl does; the tests talk to 127.0.0.1.
const bool kNoProxy = [] {
  for (const char* v :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    unsetenv(v);
  }
  return true;
}();

TEST(ClientSettingsTest, DefaultsWithoutValues) {
  auto s = ParseClientSettings({{"__wasmcloud_name", "x"}, {"URL", "ignored"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(s->max_redirects, 10);
  EXPECT_EQ(s->max_response_bytes, 16u * 1024 * 1024);
}

TEST(ClientSettingsTest, NamesAnyCaseAndThe018Names) {
  auto s = ParseClientSettings(
      {{"TIMEOUT_MS", "250"}, {"Max_Redirects", "0"}, {"max_response_bytes", "1000"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(s->max_redirects, 0);
  EXPECT_EQ(s->max_response_bytes, 1000u);
  s = ParseClientSettings({{"timeout", "30"}});  // the 0.18 provider: seconds
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->timeout, std::chrono::seconds(30));
}

TEST(ClientSettingsTest, BadValuesSayWhichAndWhy) {
  auto message = [](std::map<std::string, std::string> v) {
    auto s = ParseClientSettings(v);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    return s.status().message();
  };
  EXPECT_EQ(message({{"TIMEOUT_MS", "abc"}}),
            "link value TIMEOUT_MS=\"abc\" is not 1..3600000 milliseconds");
  EXPECT_EQ(message({{"TIMEOUT_MS", "0"}}),
            "link value TIMEOUT_MS=\"0\" is not 1..3600000 milliseconds");
  EXPECT_EQ(message({{"timeout", "-1"}}), "link value timeout=\"-1\" is not 1..3600 seconds");
  EXPECT_EQ(message({{"max_redirects", "101"}}),
            "link value max_redirects=\"101\" is not 0..100 redirects");
  EXPECT_EQ(message({{"MAX_RESPONSE_BYTES", "1e6"}}),
            "link value MAX_RESPONSE_BYTES=\"1e6\" is not 0..1073741824 bytes");
  EXPECT_EQ(message({{"TIMEOUT_MS", "5"}, {"timeout", "5"}}),
            "link values TIMEOUT_MS and timeout both set the timeout; give one");
  EXPECT_EQ(message({{"MAX_REDIRECTS", "1"}, {"max_redirects", "2"}}),
            "link values MAX_REDIRECTS and max_redirects are the same setting; give one");
}

TEST(ReasonPhraseTest, CanonicalPhrases) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(404), "Not Found");
  EXPECT_EQ(ReasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(ReasonPhrase(299), "");
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TestHttpServer::Start();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  Result<wire::HttpClientResponse> Get(const std::string& url, ClientSettings settings = {}) {
    return client_.Perform({"GET", url, {}, {}}, settings);
  }
  Code CodeOf(const Result<wire::HttpClientResponse>& r) { return r.status().code(); }

  std::unique_ptr<TestHttpServer> server_;
  HttpClient client_;
};

TEST_F(ClientTest, ErrorCodes) {
  ClientSettings quick;
  quick.timeout = std::chrono::milliseconds(200);
  quick.max_response_bytes = 10;
  quick.max_redirects = 1;
  EXPECT_EQ(CodeOf(Get(server_->Url("/silent"), quick)), Code::kDeadlineExceeded);
  EXPECT_EQ(CodeOf(Get(server_->Url("/bytes/11"), quick)), Code::kResourceExhausted);
  EXPECT_EQ(CodeOf(Get(server_->Url("/chunked/11"), quick)), Code::kResourceExhausted);
  EXPECT_EQ(CodeOf(Get(server_->Url("/redirect/3"), quick)), Code::kFailedPrecondition);
  EXPECT_EQ(CodeOf(Get(server_->Url("/redirect-file"), quick)), Code::kPermissionDenied);
  EXPECT_EQ(CodeOf(Get("http://127.0.0.1:" +
                       std::to_string(::wasmcloud::testing::FreeLoopbackPort()) + "/")),
            Code::kUnavailable);
  EXPECT_EQ(CodeOf(Get("file:///etc/passwd")), Code::kPermissionDenied);
  EXPECT_EQ(CodeOf(Get("http://")), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf(client_.Perform({"BREW", server_->Url("/echo"), {}, {}}, {})),
            Code::kInvalidArgument);
  auto ok = Get(server_->Url("/bytes/10"), quick);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(AsChars(ok->body), "abcdefghij");
}

TEST_F(ClientTest, DispatchNamesTheOperationInErrors) {
  auto r = HandleHttpClientCall(client_, {}, "Request", AsBytes("\x81"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_THAT(r.status().message(), ::testing::StartsWith("Request: malformed payload: "));
  r = HandleHttpClientCall(client_, {}, "PerformRequest", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnimplemented);
  r = HandleHttpClientCall(client_, {}, "Request",
                           wire::Encode(wire::HttpClientRequest{"GET", "gopher://x/", {}, {}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(r.status().message(), ::testing::StartsWith("Request: refused URL"));
}

TEST_F(ClientTest, StopEndsARequestInFlightAndRefusesLaterOnes) {
  ClientSettings patient;
  patient.timeout = std::chrono::seconds(60);
  Result<wire::HttpClientResponse> r = Internal("not run");
  std::thread t([&] { r = Get(server_->Url("/silent"), patient); });
  while (server_->request_count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto stopped_at = std::chrono::steady_clock::now();
  client_.Stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("the provider is stopping"));
  EXPECT_EQ(Get(server_->Url("/echo")).status().message(), "the provider is stopping");
}

}  // namespace
}  // namespace wasmcloud::httpclient
