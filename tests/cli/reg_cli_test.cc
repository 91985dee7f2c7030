// `wasmcloud reg push`, `reg pull` and `drain` against a real docker-registry: output,
// files, exit codes and messages. Each run gets its own TMPDIR, so its caches are its own.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "oci/registry_server.h"
#include "support/run_command.h"

namespace wasmcloud::cli {
namespace {

using oci::testing::RegistryOptions;
using oci::testing::RegistryServer;
using wasmcloud::testing::CommandResult;
using wasmcloud::testing::FixturePath;
using wasmcloud::testing::MakeTempDir;
using wasmcloud::testing::RunCommand;
using Json = nlohmann::json;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class RegCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    tmp_ = dir_ + "/tmp";
    std::filesystem::create_directories(tmp_);
    echo_ = FixturePath("wc-host-0.18/echo.wasm");
    redis_ = FixturePath("providers/libwascc_redis.par.gz");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `wasmcloud args...` with TMPDIR=tmp_, no OCI variables but `env`.
  CommandResult Wasmcloud(const std::vector<std::string>& args,
                          const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {"env",
                                     "-u",
                                     "OCI_REGISTRY_USER",
                                     "-u",
                                     "OCI_REGISTRY_PASSWORD",
                                     "-u",
                                     "WASMCLOUD_OCI_ALLOWED_INSECURE",
                                     "-u",
                                     "WASMCLOUD_OCI_CREDENTIALS",
                                     "TMPDIR=" + tmp_,
                                     "XDG_CACHE_HOME=" + dir_ + "/xdg"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(wasmcloud::testing::WasmcloudBinary());
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }

  std::unique_ptr<RegistryServer> StartRegistry(RegistryOptions options = {}) {
    auto r = RegistryServer::Start(std::move(options));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }

  Bytes Read(const std::string& path) {
    auto b = ReadFile(path);
    EXPECT_TRUE(b.ok()) << path;
    return b.ok() ? *b : Bytes{};
  }

  std::string dir_;
  std::string tmp_;
  std::string echo_;
  std::string redis_;
};

TEST_F(RegCliTest, PushThenPullThroughTheCacheThenDrain) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  const std::string ref = registry->host() + "/echo:0.1.0";
  auto push = Wasmcloud({"reg", "push", ref, echo_, "--allowed-insecure", registry->host()});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  const size_t size = Read(echo_).size();
  EXPECT_TRUE(Contains(push.out, "Pushed " + echo_ + " to " + ref + " (actor, " +
                                     std::to_string(size) + " bytes)\n  Digest      sha256:"))
      << push.out;

  auto json =
      Wasmcloud({"reg", "push", ref, echo_, "--allowed-insecure", registry->host(), "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  Json pushed = Json::parse(json.out);
  EXPECT_EQ(pushed["kind"], "actor");
  EXPECT_EQ(pushed["media_type"], "application/vnd.module.wasm.content.layer.v1+wasm");
  EXPECT_EQ(pushed["size"], size);
  const std::string digest = pushed["digest"];
  EXPECT_TRUE(Contains(push.out, digest));

  const std::string out = dir_ + "/pulled.wasm";
  auto pull = Wasmcloud({"reg", "pull", ref, "-d", out, "--allowed-insecure", registry->host()});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(pull.out, "Pulled " + ref + " to " + out + " (" + std::to_string(size) +
                          " bytes, from the registry)\n  Digest      " + digest +
                          "\n  Media type  application/vnd.module.wasm.content.layer.v1+wasm\n");
  EXPECT_EQ(Read(out), Read(echo_));
  EXPECT_TRUE(std::filesystem::exists(tmp_ + "/wasmcloud_ocicache/sha256/" + digest.substr(7)));

  // The registry is gone; the cache answers.
  registry->Stop();
  std::filesystem::remove(out);
  pull = Wasmcloud(
      {"reg", "pull", ref, "-d", out, "--allowed-insecure", registry->host(), "--format", "json"});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  Json pulled = Json::parse(pull.out);
  EXPECT_EQ(pulled["from_cache"], true);
  EXPECT_EQ(pulled["digest"], digest);
  EXPECT_EQ(pulled["file"], out);
  EXPECT_EQ(Read(out), Read(echo_));
  // --no-cache needs the registry.
  pull = Wasmcloud(
      {"reg", "pull", ref, "-d", out, "--allowed-insecure", registry->host(), "--no-cache"});
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_TRUE(Contains(pull.err, "wasmcloud reg pull: cannot reach registry " + registry->host()))
      << pull.err;

  // drain --oci keeps the provider cache; drain empties both.
  std::filesystem::create_directories(tmp_ + "/wasmcloudcache/VKEY/0");
  ASSERT_TRUE(WriteFile(tmp_ + "/wasmcloudcache/VKEY/0/x86_64-linux.so", ToBytes("lib")).ok());
  auto drain = Wasmcloud({"drain", "--oci"});
  ASSERT_EQ(drain.exit_code, 0) << drain.err;
  EXPECT_TRUE(Contains(drain.out, "Removed " + tmp_ + "/wasmcloud_ocicache (3 files, "))
      << drain.out;
  EXPECT_FALSE(Contains(drain.out, "wasmcloudcache"));
  EXPECT_FALSE(std::filesystem::exists(tmp_ + "/wasmcloud_ocicache"));
  EXPECT_TRUE(std::filesystem::exists(tmp_ + "/wasmcloudcache"));
  pull = Wasmcloud({"reg", "pull", ref, "-d", out, "--allowed-insecure", registry->host()});
  EXPECT_EQ(pull.exit_code, 1);  // drained: the stopped registry is needed again

  // The compiled-code cache: --code alone, and with the others when nothing is named.
  std::filesystem::create_directories(dir_ + "/xdg/wasmcloud/code");
  ASSERT_TRUE(WriteFile(dir_ + "/xdg/wasmcloud/code/k.v8code", ToBytes("code")).ok());
  drain = Wasmcloud({"drain", "--code"});
  ASSERT_EQ(drain.exit_code, 0) << drain.err;
  EXPECT_EQ(drain.out, "Removed " + dir_ + "/xdg/wasmcloud/code (1 files, 4 bytes)\n");
  EXPECT_TRUE(std::filesystem::exists(tmp_ + "/wasmcloudcache"));

  drain = Wasmcloud({"drain", "-o", "json"});
  ASSERT_EQ(drain.exit_code, 0) << drain.err;
  Json drained = Json::parse(drain.out);
  ASSERT_EQ(drained["drained"].size(), 3u);
  EXPECT_EQ(drained["drained"][2]["cache"], "code");
  EXPECT_EQ(drained["drained"][2]["existed"], false);
  EXPECT_EQ(drained["drained"][0]["cache"], "oci");
  EXPECT_EQ(drained["drained"][0]["existed"], false);
  EXPECT_EQ(drained["drained"][1]["cache"], "providers");
  EXPECT_EQ(drained["drained"][1]["path"], tmp_ + "/wasmcloudcache");
  EXPECT_EQ(drained["drained"][1]["existed"], true);
  EXPECT_EQ(drained["drained"][1]["files"], 1);
  EXPECT_FALSE(std::filesystem::exists(tmp_ + "/wasmcloudcache"));
  drain = Wasmcloud({"drain"});
  EXPECT_EQ(drain.exit_code, 0);
  EXPECT_EQ(drain.out,
            "Nothing to remove at " + tmp_ + "/wasmcloud_ocicache\nNothing to remove at " + tmp_ +
                "/wasmcloudcache\nNothing to remove at " + dir_ + "/xdg/wasmcloud/code\n");
}

TEST_F(RegCliTest, ProviderArchiveAndTheEnvironmentsInsecureList) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  const std::string ref = registry->host() + "/redis:0.1.0";
  const std::string env = "WASMCLOUD_OCI_ALLOWED_INSECURE=other:1, " + registry->host();
  auto push = Wasmcloud({"reg", "push", ref, redis_, "-o", "json"}, {env});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(Json::parse(push.out)["kind"], "provider");
  const std::string out = dir_ + "/redis.par.gz";
  auto pull = Wasmcloud({"reg", "pull", ref, "-d", out}, {env});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_TRUE(Contains(pull.out, "application/vnd.wasmcloud.provider.archive.layer.v1+par"));
  EXPECT_EQ(Read(out), Read(redis_));
  // Without the list, HTTPS is tried, and the error says what to do.
  pull = Wasmcloud({"reg", "pull", ref, "-d", out, "--no-cache"});
  EXPECT_EQ(pull.exit_code, 1);
  EXPECT_TRUE(Contains(pull.err, "--allowed-insecure " + registry->host())) << pull.err;
}

TEST_F(RegCliTest, RefusalsAndTheirExitCodes) {
  auto registry = StartRegistry();
  ASSERT_NE(registry, nullptr);
  const std::string insecure = registry->host();
  const std::string out = dir_ + "/x.wasm";
  // Bad arguments: 2.
  auto r = Wasmcloud({"reg", "pull", insecure + "/echo:1", "-o", out});  // -d is the file
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "the file to write is -d/--destination")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  r = Wasmcloud({"reg", "pull", "Bad/Ref:1", "-d", out});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err,
                       "wasmcloud reg pull: invalid OCI reference \"Bad/Ref:1\": the "
                       "repository must be lowercase"))
      << r.err;
  r = Wasmcloud(
      {"reg", "pull", insecure + "/echo:latest", "-d", out, "--allowed-insecure", insecure});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err,
                       "Fetching images tagged 'latest' is currently prohibited in this host. This "
                       "option can be overridden with --allow-oci-latest"))
      << r.err;
  r = Wasmcloud({"reg", "push", insecure + "/echo", echo_, "--allowed-insecure", insecure});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "a reference without a tag means :latest")) << r.err;
  r = Wasmcloud({"reg", "push", insecure + "/echo:latest", echo_, "--allowed-insecure", insecure,
                 "--allow-oci-latest"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Wasmcloud({"reg", "pull", insecure + "/echo:latest", "-d", out, "--allowed-insecure",
                 insecure, "--allow-oci-latest"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Wasmcloud(
      {"reg", "push", insecure + "/x:1", dir_ + "/missing.wasm", "--allowed-insecure", insecure});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "missing.wasm")) << r.err;
  const std::string script = dir_ + "/script.sh";
  ASSERT_TRUE(WriteFile(script, ToBytes("#!/bin/sh\n")).ok());
  r = Wasmcloud({"reg", "push", insecure + "/x:1", script, "--allowed-insecure", insecure});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, script + " is neither a wasm module (actor) nor a provider archive"))
      << r.err;
  r = Wasmcloud({"reg", "push", insecure + "/x:1", echo_, "--user", "u"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--user and --password go together")) << r.err;
  r = Wasmcloud({"reg", "pull", insecure + "/x:1"});
  EXPECT_EQ(r.exit_code, 2);  // no -o
  r = Wasmcloud({"reg", "push", insecure + "/x:1", echo_, "--timeout", "0"});
  EXPECT_EQ(r.exit_code, 2);

  // A cache folder others can write (where a planted artefact would be trusted): refused,
  // nothing read from it.
  const std::string cache = tmp_ + "/wasmcloud_ocicache";
  std::filesystem::create_directories(cache);
  ASSERT_EQ(chmod(cache.c_str(), 0777), 0);
  r = Wasmcloud({"reg", "pull", insecure + "/echo:latest", "-d", out, "--allowed-insecure",
                 insecure, "--allow-oci-latest"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.err, "the OCI cache " + cache +
                                  " is writable by others (mode 0777); the host refuses to use it"))
      << r.err;
  ASSERT_EQ(chmod(cache.c_str(), 0755), 0);  // ours, others read only: tightened and used
  r = Wasmcloud({"reg", "pull", insecure + "/echo:latest", "-d", out, "--allowed-insecure",
                 insecure, "--allow-oci-latest"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(stat(cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // Registry failures: 1.
  r = Wasmcloud({"reg", "pull", insecure + "/nothing:1", "-d", out, "--allowed-insecure", insecure,
                 "--format", "json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, insecure + "/nothing:1 was not found in the registry")) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["code"], "not found");
  int fd = -1;
  int port = oci::testing::ClosedPort(&fd);
  const std::string closed = "127.0.0.1:" + std::to_string(port);
  r = Wasmcloud({"reg", "pull", closed + "/echo:1", "-d", out, "--allowed-insecure", closed,
                 "--timeout", "2"});
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "wasmcloud reg pull: cannot reach registry " + closed)) << r.err;
}

TEST_F(RegCliTest, BasicAuthOverTls) {
  auto pki = oci::testing::MakeTestPki(dir_);
  ASSERT_TRUE(pki.ok()) << pki.status().message();
  RegistryOptions options;
  options.tls = true;
  options.pki = *pki;
  options.htpasswd_user = "ci";
  options.htpasswd_password = "pa55";
  auto registry = StartRegistry(options);
  ASSERT_NE(registry, nullptr);
  const std::string ref = registry->host() + "/echo:2.0.0";
  auto r = Wasmcloud(
      {"reg", "push", ref, echo_, "--ca-file", pki->ca_cert, "--user", "ci", "--password", "pa55"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Wasmcloud(
      {"reg", "push", ref, echo_, "--ca-file", pki->ca_cert, "--user", "ci", "--password", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "wasmcloud reg push: registry " + registry->host() +
                                  " refused the credentials of user \"ci\""))
      << r.err;
  const std::string out = dir_ + "/echo.wasm";
  r = Wasmcloud({"reg", "pull", ref, "-d", out, "--ca-file", pki->ca_cert},
                {"OCI_REGISTRY_USER=ci", "OCI_REGISTRY_PASSWORD=pa55"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Read(out), Read(echo_));
  r = Wasmcloud({"reg", "pull", ref, "-d", out, "--ca-file", pki->ca_cert, "--no-cache"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "requires credentials (HTTP basic)")) << r.err;
}

}  // namespace
}  // namespace wasmcloud::cli
