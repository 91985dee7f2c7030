// `wasmcloud up` without --rpc-host: it starts a private nats-server -js, joins it, records
// it in the local lattice file (WASMCLOUD_LATTICE_FILE, a file of each test's own here),
// and takes the server with it when it stops or is killed. --no-lattice keeps it alone; a
// missing nats-server is exit 2 with the install hint. Also the file's reader.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/local_lattice.h"
#include "core/bytes.h"
#include "nats/nats_connection.h"
#include "nats/nats_transport.h"
#include "providers/messaging/nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/server_process.h"
#include "support/status_assert.h"
#include "support/up_process.h"

namespace wasmcloud {
namespace {

using messaging::testing::NatsServer;
using testing::RunCommand;
using testing::UpProcess;
using testing::WasmcloudBinary;

constexpr char kInstallHint[] =
    "install nats-server (apt-get install nats-server) or run with --no-lattice";

// The fields of /proc/PID/stat after the name: state, ppid, ...; "" when it is gone.
std::string StatAfterName(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  return close == std::string::npos ? "" : stat.substr(close + 2);
}

// A process that no longer runs: gone, or a zombie nobody has reaped yet (in a container
// the orphan's new parent may never reap it).
bool Dead(pid_t pid) {
  std::string rest = StatAfterName(pid);
  return rest.empty() || rest[0] == 'Z' || rest[0] == 'X';
}

// The nats-server children of `parent`.
std::vector<pid_t> NatsServerChildren(pid_t parent) {
  return testing::ChildProcesses(parent, "nats-server");
}

// The command line of a process, arguments split.
std::vector<std::string> CommandLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> out;
  std::string arg;
  while (std::getline(in, arg, '\0')) out.push_back(arg);
  return out;
}

// Waits (bounded) until `done`.
bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class LocalLatticeCliTest : public ::testing::Test {
 protected:
  void SetUp() override { WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_ = testing::MakeTempDir();
};

TEST_F(LocalLatticeCliTest, UpStartsAndJoinsANatsServerOfItsOwnAndTakesItAlongWhenItStops) {
  UpProcess up({"up"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  // The file names the server, the lattice, the host and `up`.
  auto info = cli::ReadLocalLatticeFile(up.lattice_file());
  ASSERT_TRUE(testing::Ok(info)) << up.log();
  EXPECT_TRUE(info->url.starts_with("nats://127.0.0.1:")) << info->url;
  EXPECT_EQ(info->lattice, "default");
  EXPECT_EQ(info->pid, up.pid());
  EXPECT_NE(
      up.log().find("host " + info->host_id + " is up (lattice default on " + info->url + ")"),
      std::string::npos)
      << up.log();
  EXPECT_NE(up.log().find("local lattice default on " + info->url +
                          " (wasmcloud ctl finds it through " + up.lattice_file() + ")"),
            std::string::npos)
      << up.log();
  // A local lattice serves the admin endpoints on a free loopback port, named in the file.
  ASSERT_TRUE(info->admin.starts_with("http://127.0.0.1:")) << info->admin;
  EXPECT_NE(up.log().find("admin endpoints on " + info->admin + " (/livez"), std::string::npos)
      << up.log();
  auto live = RunCommand({"curl", "-sS", "--max-time", "5", info->admin + "/livez"});
  EXPECT_EQ(live.exit_code, 0) << live.err;
  auto ready = RunCommand({"curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w",
                           "%{http_code}", info->admin + "/readyz"});
  EXPECT_EQ(ready.out, "200") << ready.err;
  EXPECT_EQ(std::filesystem::status(std::filesystem::path(up.lattice_file()).parent_path()).type(),
            std::filesystem::file_type::directory);

  // One nats-server child, with JetStream: the lattice data bucket is there.
  const auto servers = NatsServerChildren(up.pid());
  ASSERT_EQ(servers.size(), 1u) << up.log();
  const pid_t server = servers[0];
  std::string store;
  const auto args = CommandLine(server);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "-sd") store = args[i + 1];
  }
  ASSERT_FALSE(store.empty());
  EXPECT_TRUE(std::filesystem::exists(store));
  {
    nats::NatsConnectionOptions o;
    o.servers = {info->url};
    o.name = "test-client";
    auto connection = nats::NatsConnection::Connect(o);
    ASSERT_TRUE(testing::Ok(connection));
    nats::NatsTransport t(*connection);
    auto stream =
        t.Request("$JS.API.STREAM.INFO.KV_LATTICEDATA_default", {}, std::chrono::seconds(5));
    ASSERT_TRUE(testing::Ok(stream));
    auto json = nlohmann::json::parse(AsChars(stream->data), nullptr, false);
    ASSERT_TRUE(json.is_object()) << AsChars(stream->data);
    EXPECT_FALSE(json.contains("error")) << json;
    EXPECT_EQ(json["config"]["name"], "KV_LATTICEDATA_default") << json;
    // The host answers the control interface there.
    auto hosts = t.Request("wasmbus.ctl.default.get.hosts", {}, std::chrono::seconds(5));
    ASSERT_TRUE(testing::Ok(hosts)) << up.log();
    EXPECT_NE(std::string(AsChars(hosts->data)).find(info->host_id), std::string::npos)
        << AsChars(hosts->data);
  }

  // SIGTERM: the host stops, then the server; the file and the store are gone.
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  EXPECT_TRUE(Dead(server));
  EXPECT_FALSE(std::filesystem::exists(up.lattice_file()));
  EXPECT_FALSE(std::filesystem::exists(store));
}

TEST_F(LocalLatticeCliTest, TheServerDiesWithAKilledUp) {
  // (The server's directory is left behind by a killed `up`: this test's own TMPDIR.)
  UpProcess up({"up"}, {{"TMPDIR", dir_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  const auto servers = NatsServerChildren(up.pid());
  ASSERT_EQ(servers.size(), 1u) << up.log();
  EXPECT_EQ(up.Stop(SIGKILL), 128 + SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return Dead(servers[0]); }))
      << "nats-server " << servers[0] << " outlived the killed `up`";
}

TEST_F(LocalLatticeCliTest, ASignalWhileTheServerStartsEndsUpCleanly) {
  // A "nats-server" that never gets ready (it only sleeps): `up` waits for it; SIGINT ends
  // the wait, stops it and exits 0.
  const std::string fake = dir_ + "/nats-server";
  std::ofstream(fake) << "#!/bin/sh\nexec sleep 60\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  UpProcess up({"up"}, {{"WASMCLOUD_NATS_SERVER", fake}});
  // Wait until the fake runs (as `sleep`, a child of `up`).
  pid_t child = -1;
  ASSERT_TRUE(WaitUntil([&] {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string rest = StatAfterName(static_cast<pid_t>(std::stol(name)));
      if (rest.size() > 2 && rest[0] != 'Z' && std::stol(rest.substr(2)) == up.pid()) {
        child = static_cast<pid_t>(std::stol(name));
        return true;
      }
    }
    return false;
  })) << up.log();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(up.Stop(SIGINT), 0) << up.log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(up.log().find("received SIGINT"), std::string::npos) << up.log();
  EXPECT_TRUE(Dead(child));
  EXPECT_FALSE(std::filesystem::exists(up.lattice_file()));
}

TEST_F(LocalLatticeCliTest, TheAdminEndpointsOfALocalLatticeCanBeTurnedOff) {
  UpProcess up({"up", "--http-admin", "off"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_EQ(up.log().find("admin endpoints"), std::string::npos) << up.log();
  auto info = cli::ReadLocalLatticeFile(up.lattice_file());
  ASSERT_TRUE(testing::Ok(info)) << up.log();
  EXPECT_EQ(info->admin, "");
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

TEST_F(LocalLatticeCliTest, NoLatticeRunsAloneWithoutAServerOrAFile) {
  for (const auto& [args, env] : std::vector<
           std::pair<std::vector<std::string>, std::vector<std::pair<std::string, std::string>>>>{
           {{"up", "--no-lattice"}, {}}, {{"up"}, {{"WASMCLOUD_NO_LATTICE", "1"}}}}) {
    UpProcess up(args, env);
    ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
    EXPECT_NE(up.log().find("is up (single-player)"), std::string::npos) << up.log();
    EXPECT_EQ(up.log().find("local lattice"), std::string::npos) << up.log();
    EXPECT_EQ(up.log().find("admin endpoints"), std::string::npos) << "off without a lattice";
    EXPECT_TRUE(NatsServerChildren(up.pid()).empty());
    EXPECT_FALSE(std::filesystem::exists(up.lattice_file()));
    EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  }
  // With --rpc-host it would mean two things at once.
  auto both = RunCommand({WasmcloudBinary(), "up", "--no-lattice", "--rpc-host", "127.0.0.1"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--no-lattice (WASMCLOUD_NO_LATTICE) and --rpc-host (RPC_HOST) "
                          "contradict each other"),
            std::string::npos)
      << both.err;
}

// Without WASMCLOUD_LATTICE_FILE the file is in $XDG_RUNTIME_DIR/wasmcloud, made mode 0700;
// a folder there that others may write is refused before anything starts.
TEST_F(LocalLatticeCliTest, TheDefaultFolderIsPrivate) {
  const std::string run = dir_ + "/run";
  std::filesystem::create_directory(run);
  {
    UpProcess up({"up"}, {{"WASMCLOUD_LATTICE_FILE", ""}, {"XDG_RUNTIME_DIR", run}});
    ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
    EXPECT_TRUE(testing::Ok(cli::ReadLocalLatticeFile(run + "/wasmcloud/lattice.json")));
    EXPECT_EQ(std::filesystem::status(run + "/wasmcloud").permissions(),
              std::filesystem::perms::owner_all);
    EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
    EXPECT_FALSE(std::filesystem::exists(run + "/wasmcloud/lattice.json"));
  }
  std::filesystem::permissions(run + "/wasmcloud", std::filesystem::perms::all);
  auto r = RunCommand(
      {"env", "-u", "WASMCLOUD_LATTICE_FILE", "XDG_RUNTIME_DIR=" + run, WasmcloudBinary(), "up"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("local lattice directory " + run + "/wasmcloud is writable by others"),
            std::string::npos)
      << r.err;
}

TEST_F(LocalLatticeCliTest, AMissingOrFailingNatsServerIsExit2WithTheInstallHint) {
  // Not on PATH, and the named one does not exist.
  const std::string file = dir_ + "/lattice.json";
  auto missing =
      RunCommand({"env", "PATH=" + dir_, "WASMCLOUD_NATS_SERVER=" + dir_ + "/nats-server",
                  "WASMCLOUD_LATTICE_FILE=" + file, WasmcloudBinary(), "up"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(kInstallHint), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("nats-server is not installed"), std::string::npos) << missing.err;
  // One that exits at once: its output is in the message.
  const std::string failing = dir_ + "/failing-nats-server";
  std::ofstream(failing) << "#!/bin/sh\necho 'nats-server: this one fails' >&2\nexit 3\n";
  std::filesystem::permissions(failing, std::filesystem::perms::owner_all);
  auto failed = RunCommand({"env", "WASMCLOUD_NATS_SERVER=" + failing,
                            "WASMCLOUD_LATTICE_FILE=" + file, WasmcloudBinary(), "up"});
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_NE(failed.err.find("exited at start (exit code 3)"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("this one fails"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find(kInstallHint), std::string::npos) << failed.err;
  EXPECT_FALSE(std::filesystem::exists(file));
  // `call` stays single-player: it needs no nats-server.
  auto echo = RunCommand({"env", "PATH=" + dir_, "WASMCLOUD_NATS_SERVER=" + dir_ + "/nats-server",
                          WasmcloudBinary(), "call", "-m",
                          std::string(WC_SOURCE_DIR) + "/examples/echo.yaml", "examples/echo",
                          "echo", "--data", "hello"});
  EXPECT_EQ(echo.exit_code, 0) << echo.err;
  // The example answers the HealthRequest every heartbeat sends (a warn line each, before).
  auto health = RunCommand(
      {WasmcloudBinary(), "call", "-m", std::string(WC_SOURCE_DIR) + "/examples/echo.yaml",
       "examples/echo", "HealthRequest", "--data-hex", "81ab706c616365686f6c646572c3", "--hex"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "82a76865616c746879c3a76d657373616765a0\n");
}

TEST(LocalLatticeFileTest, ReadsWhatItWritesAndSaysWhatIsWrong) {
  const std::string dir = testing::MakeTempDir();
  const std::string path = dir + "/lattice.json";
  auto none = cli::ReadLocalLatticeFile(path);
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_EQ(none.status().message(), "no local lattice found at " + path +
                                         ": start one with `wasmcloud up`, or give --rpc-host");

  cli::LocalLatticeInfo info{"nats://127.0.0.1:4222", "default",
                             "NABTIZR7QAJ2Y7REXGS7XQ3SCDDDD6SE4K36KEJACUMRMTGUAHDSOEY4", 1234, ""};
  ASSERT_TRUE(testing::Ok(cli::WriteLocalLatticeFile(path, info)));
  EXPECT_EQ(testing::ReadTextFile(path),
            "{\"url\":\"nats://127.0.0.1:4222\",\"lattice\":\"default\",\"host_id\":"
            "\"NABTIZR7QAJ2Y7REXGS7XQ3SCDDDD6SE4K36KEJACUMRMTGUAHDSOEY4\",\"pid\":1234}\n");
  auto back = cli::ReadLocalLatticeFile(path);
  ASSERT_TRUE(testing::Ok(back));
  EXPECT_EQ(back->url, info.url);
  EXPECT_EQ(back->lattice, info.lattice);
  EXPECT_EQ(back->host_id, info.host_id);
  EXPECT_EQ(back->pid, 1234);

  // Removed only by the process it names.
  cli::RemoveLocalLatticeFileOf(path, 99);
  EXPECT_TRUE(std::filesystem::exists(path));
  cli::RemoveLocalLatticeFileOf(path, 1234);
  EXPECT_FALSE(std::filesystem::exists(path));

  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"{not json", "not JSON"},
           {"[1]", "not a JSON object"},
           {R"({"lattice":"default","host_id":"N","pid":1})", "no \"url\" string"},
           {R"({"url":"http://x","lattice":"default","host_id":"N","pid":1})",
            "\"url\" is not a nats:// URL"},
           {R"({"url":"nats://x:1","lattice":"default","host_id":"N","pid":"1"})",
            "no positive \"pid\" number"}}) {
    std::ofstream(path) << text;
    auto bad = cli::ReadLocalLatticeFile(path);
    EXPECT_EQ(bad.status().code(), Code::kMalformed) << text;
    EXPECT_NE(bad.status().message().find(path + " is not a local lattice file (" + why + ")"),
              std::string::npos)
        << bad.status().message();
  }
  std::filesystem::remove_all(dir);
}

TEST(LocalLatticeFileTest, ThePathFollowsTheEnvironment) {
  const char* saved_file = std::getenv("WASMCLOUD_LATTICE_FILE");
  const char* saved_run = std::getenv("XDG_RUNTIME_DIR");
  const std::string keep_file = saved_file ? saved_file : "";
  const std::string keep_run = saved_run ? saved_run : "";
  setenv("WASMCLOUD_LATTICE_FILE", "/somewhere/l.json", 1);
  setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
  EXPECT_EQ(cli::LocalLatticeFilePath(), "/somewhere/l.json");
  unsetenv("WASMCLOUD_LATTICE_FILE");
  EXPECT_EQ(cli::LocalLatticeFilePath(), "/run/user/1000/wasmcloud/lattice.json");
  unsetenv("XDG_RUNTIME_DIR");
  EXPECT_EQ(cli::LocalLatticeFilePath(),
            "/tmp/wasmcloud-" + std::to_string(getuid()) + "/lattice.json");
  if (saved_file) setenv("WASMCLOUD_LATTICE_FILE", keep_file.c_str(), 1);
  if (saved_run) setenv("XDG_RUNTIME_DIR", keep_run.c_str(), 1);
}

}  // namespace
}  // namespace wasmcloud
