// The archive the build packs (build/providers/httpserver.par.gz) as a user meets it:
// `wasmcloud par inspect` verifies it, and `wasmcloud up` with a manifest naming it serves
// the upstream echo actor over HTTP until SIGTERM closes the port.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "http_client.h"
#include "support/run_command.h"
#include "support/up_process.h"

namespace wasmcloud::httpserver {
namespace {

using ::testing::HasSubstr;
using wasmcloud::testing::FixturePath;
using wasmcloud::testing::RunCommand;
using wasmcloud::testing::UpProcess;
using wasmcloud::testing::WasmcloudBinary;

const std::string kArchive = std::string(WC_BUILD_DIR) + "/providers/httpserver.par.gz";

struct ScopedTempDir {
  std::string path = wasmcloud::testing::MakeTempDir();
  ~ScopedTempDir() { std::filesystem::remove_all(path); }
};

// The "sub" of the archive's claims: the provider's public key.
std::string ProviderKey(const std::string& inspect_json) {
  const std::string field = "\"sub\":\"";
  size_t at = inspect_json.find(field);
  return at == std::string::npos ? "" : inspect_json.substr(at + field.size(), 56);
}

// A manifest in `dir`: the upstream echo actor behind the built archive on 127.0.0.1:port
// (the link names the provider by the key `par inspect` gives). Empty after a failure,
// which is reported.
std::string EchoManifest(const ScopedTempDir& dir, uint16_t port) {
  auto inspected = RunCommand({WasmcloudBinary(), "par", "inspect", kArchive, "-o", "json"});
  EXPECT_EQ(inspected.exit_code, 0) << inspected.err;
  if (inspected.exit_code != 0) return "";
  const std::string manifest = dir.path + "/echo.yaml";
  std::ofstream(manifest)
      << "actors:\n  - " << FixturePath("wc-host-0.18/echo.wasm")
      << "\ncapabilities:\n  - image_ref: " << kArchive
      << "\nlinks:\n  - actor: MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5"
      << "\n    contract_id: wasmcloud:httpserver\n    provider_id: " << ProviderKey(inspected.out)
      << "\n    values:\n      ADDRESS: 127.0.0.1\n      PORT: " << port << "\n";
  return manifest;
}

TEST(HttpServerArchiveTest, TheBuildPacksASignedVerifiedArchive) {
  auto r = RunCommand({WasmcloudBinary(), "par", "inspect", kArchive, "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"capid\":\"wasmcloud:httpserver\""));
  EXPECT_THAT(r.out, HasSubstr("\"verified\":true"));
  EXPECT_THAT(r.out, HasSubstr("\"x86_64-linux\""));
  EXPECT_EQ(ProviderKey(r.out).substr(0, 1), "V");

  auto text = RunCommand({WasmcloudBinary(), "par", "inspect", kArchive});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("wasmcloud HTTP server"));
}

TEST(HttpServerArchiveTest, UpServesEchoOverHttpUntilSigterm) {
  ScopedTempDir dir;
  const uint16_t port = testing::FreePort();
  const std::string manifest = EchoManifest(dir, port);
  ASSERT_FALSE(manifest.empty());
  // TMPDIR: the archive's library is unpacked under the test's directory.
  UpProcess up({"up", "--manifest", manifest}, {{"TMPDIR", dir.path}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_THAT(up.log(),
              HasSubstr("serving http://127.0.0.1:" + std::to_string(port) + " → Echo (M"));

  auto r = testing::Fetch(port, "GET", "/from/up?via=cli");
  ASSERT_TRUE(r.ok()) << r.status().message() << "\n" << up.log();
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr(R"("path":"/from/up","query_string":"via=cli")"));

  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  EXPECT_FALSE(testing::Accepts(port));
}

// SIGTERM with 20 requests outstanding (sent on 20 connections, some maybe still in the
// accept backlog): every one gets a whole response, 200 or 503 (none a reset or nothing),
// and `up` exits within the drain timeout.
TEST(HttpServerArchiveTest, SigtermUnderLoadAnswersEveryRequest) {
  ScopedTempDir dir;
  const uint16_t port = testing::FreePort();
  const std::string manifest = EchoManifest(dir, port);
  ASSERT_FALSE(manifest.empty());
  UpProcess up({"up", "--manifest", manifest}, {{"TMPDIR", dir.path}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();

  std::vector<std::unique_ptr<testing::HttpConnection>> connections;
  for (int i = 0; i < 20; ++i) {
    auto c = testing::HttpConnection::Connect(port);
    ASSERT_TRUE(c.ok()) << c.status().message();
    ASSERT_TRUE((*c)->Send(testing::FormatRequest("GET", "/n/" + std::to_string(i))).ok());
    connections.push_back(std::move(*c));
  }
  const auto t0 = std::chrono::steady_clock::now();
  up.Signal(SIGTERM);
  int ok = 0, unavailable = 0;
  for (size_t i = 0; i < connections.size(); ++i) {
    auto r = connections[i]->Read(false, std::chrono::seconds(15));
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.status().message() << "\n" << up.log();
    EXPECT_TRUE(r->status == 200 || r->status == 503) << r->status;
    (r->status == 200 ? ok : unavailable) += 1;
  }
  EXPECT_EQ(up.Wait(), 0) << up.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(ok + unavailable, 20);
}

}  // namespace
}  // namespace wasmcloud::httpserver
