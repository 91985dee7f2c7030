// `wasmcloud up` and `wasmcloud call` with a manifest whose actor and capability are OCI
// references, pushed with `wasmcloud reg push` to a real docker-registry on a free
// loopback port (tests/oci/registry_server.h). Each run has its own TMPDIR, so the
// artefact and provider caches are the test's own.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "oci/registry_server.h"
#include "support/run_command.h"
#include "support/up_process.h"
#include "wire/http.h"

namespace wasmcloud {
namespace {

using oci::testing::RegistryServer;
using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::UpProcess;

constexpr char kEcho[] = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr char kKvCounter[] = "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";
constexpr char kHealthRequest[] = "81ab706c616365686f6c646572c3";
constexpr char kHealthResponse[] = "82a76865616c746879c3a76d657373616765a0";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class UpOciCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    tmp_ = dir_ + "/tmp";
    std::filesystem::create_directories(tmp_);
    auto r = RegistryServer::Start();
    ASSERT_TRUE(r.ok()) << r.status().message();
    registry_ = std::move(*r);
    echo_ref_ = registry_->host() + "/echo:0.2.0";
    kvcounter_ref_ = registry_->host() + "/kvcounter:0.2.0";
    keyvalue_ref_ = registry_->host() + "/providers/keyvalue:0.1.0";
    Push(echo_ref_, FixturePath("wc-host-0.18/echo.wasm"));
    Push(kvcounter_ref_, FixturePath("wc-host-0.18/kvcounter.wasm"));
    Push(keyvalue_ref_, std::string(WC_BUILD_DIR) + "/providers/keyvalue.par.gz");
    manifest_ = dir_ + "/oci.yaml";
    std::ofstream(manifest_) << "actors:\n  - " << echo_ref_ << "\n  - " << kvcounter_ref_
                             << "\ncapabilities:\n  - image_ref: " << keyvalue_ref_
                             << "\nlinks:\n  - actor: " << kKvCounter
                             << "\n    contract_id: wasmcloud:keyvalue\n";
  }
  void TearDown() override {
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The environment of every run: the test's TMPDIR, no OCI variables from outside.
  std::vector<std::string> Env(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> env = {"env",
                                    "-u",
                                    "OCI_REGISTRY_USER",
                                    "-u",
                                    "OCI_REGISTRY_PASSWORD",
                                    "-u",
                                    "WASMCLOUD_OCI_ALLOWED_INSECURE",
                                    "-u",
                                    "WASMCLOUD_OCI_CACHE_DIR",
                                    "TMPDIR=" + tmp_};
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }
  CommandResult Wasmcloud(const std::vector<std::string>& args,
                          const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv = Env(env);
    argv.push_back(testing::WasmcloudBinary());
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
  void Push(const std::string& ref, const std::string& file) const {
    auto r = Wasmcloud({"reg", "push", ref, file, "--allowed-insecure", registry_->host()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string dir_, tmp_, manifest_;
  std::unique_ptr<RegistryServer> registry_;
  std::string echo_ref_, kvcounter_ref_, keyvalue_ref_;
};

TEST_F(UpOciCliTest, UpPullsTheManifestsReferencesAndLogsWhatItStarted) {
  UpProcess up({"up", "--manifest", manifest_, "--allowed-insecure", registry_->host()},
               {{"TMPDIR", tmp_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  const std::string& log = up.log();
  EXPECT_TRUE(Contains(log, "pulled actor " + echo_ref_ + " (sha256:")) << log;
  EXPECT_TRUE(Contains(log, "pulled provider " + keyvalue_ref_ + " (sha256:")) << log;
  EXPECT_TRUE(Contains(log, "from the registry)")) << log;
  EXPECT_TRUE(Contains(log, "applied manifest " + manifest_ + " (4 entries)")) << log;
  // The start lines name each image reference.
  EXPECT_TRUE(
      Contains(log, "started actor Echo (" + std::string(kEcho) + ") revision 0 from " + echo_ref_))
      << log;
  EXPECT_TRUE(Contains(log, "started actor Key Value Counter (" + std::string(kKvCounter) +
                                ") revision 2 from " + kvcounter_ref_))
      << log;
  EXPECT_TRUE(Contains(log, ", link default) for wasmcloud:keyvalue from " + keyvalue_ref_)) << log;
  EXPECT_TRUE(Contains(log, "link " + std::string(kKvCounter) + " → wasmcloud:keyvalue")) << log;
  // Once each: the start-up ends with counts, not the inventory again.
  EXPECT_TRUE(Contains(log, "running until SIGINT or SIGTERM: 2 actor(s), ")) << log;
  EXPECT_EQ(log.find("Key Value Counter"), log.rfind("Key Value Counter")) << log;
  EXPECT_FALSE(Contains(log, "ERROR")) << log;
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

TEST_F(UpOciCliTest, CallRunsTheReferencesOfTheManifest) {
  auto health = Wasmcloud({"call", "-m", manifest_, "--allowed-insecure", registry_->host(), kEcho,
                           "HealthRequest", "--data-hex", kHealthRequest, "--hex"});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, std::string(kHealthResponse) + "\n");

  // kvcounter through our keyvalue provider, pulled as an archive; the allowed registry
  // comes from the environment this time, and everything from the cache.
  wire::HttpRequest get;
  get.method = "GET";
  get.path = "/c";
  auto count = Wasmcloud({"call", "-m", manifest_, kKvCounter, "HandleRequest", "--data-hex",
                          HexEncode(wire::Encode(get)), "--hex"},
                         {"WASMCLOUD_OCI_ALLOWED_INSECURE=" + registry_->host()});
  ASSERT_EQ(count.exit_code, 0) << count.err;
  auto bytes = HexDecode(count.out.substr(0, count.out.size() - 1));
  ASSERT_TRUE(bytes.ok()) << count.out;
  auto response = wire::DecodeHttpResponse(*bytes);
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(std::string(AsChars(response->body)), R"({"counter":1})");

  // The registry is gone: the cache of this TMPDIR still serves the references.
  registry_->Stop();
  auto cached = Wasmcloud({"call", "-m", manifest_, "--allowed-insecure", registry_->host(), kEcho,
                           "HealthRequest", "--data-hex", kHealthRequest, "--hex"});
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_EQ(cached.out, std::string(kHealthResponse) + "\n");
}

TEST_F(UpOciCliTest, APlainHttpRegistryNeedsAllowedInsecure) {
  auto r =
      Wasmcloud({"call", "-m", manifest_, kEcho, "HealthRequest", "--data-hex", kHealthRequest});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(Contains(r.err, "actor " + echo_ref_ + ": cannot pull actor " + echo_ref_ +
                                  ": cannot reach registry " + registry_->host()))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "allow it with --allowed-insecure " + registry_->host())) << r.err;
  EXPECT_TRUE(
      Contains(r.err, "capability " + keyvalue_ref_ + ": cannot pull provider " + keyvalue_ref_))
      << r.err;
}

TEST_F(UpOciCliTest, UpLogsARefusedLatestReferenceAndKeepsRunning) {
  std::string manifest = dir_ + "/latest.yaml";
  std::ofstream(manifest) << "actors:\n  - " << registry_->host() << "/echo\n";
  UpProcess up(
      {"up", "--keep-going", "--manifest", manifest, "--allowed-insecure", registry_->host()},
      {{"TMPDIR", tmp_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_TRUE(Contains(up.log(), "cannot pull actor " + registry_->host() +
                                     "/echo: Fetching images tagged 'latest' is currently "
                                     "prohibited in this host. This option can be overridden "
                                     "with --allow-oci-latest"))
      << up.log();
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

}  // namespace
}  // namespace wasmcloud
