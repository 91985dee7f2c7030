// `wasmcloud up --http-admin`: /livez, /readyz and /metrics as an operator (and a
// Prometheus scraper, a Kubernetes probe) sees them. The metrics are parsed with
// prometheus_client's own parser (tests/cli/parse_metrics.py, Debian's
// python3-prometheus-client) and their counters followed with traffic; /readyz follows
// the NATS connection of a host in a lattice when the server is killed and restarted.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/messaging/nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/up_process.h"

namespace wasmcloud {
namespace {

using messaging::testing::NatsServer;
using testing::RunCommand;
using testing::UpProcess;
using Json = nlohmann::json;

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// curl, with the status code on the last line of its output.
HttpAnswer Get(const std::string& url, const std::string& method = "GET") {
  auto r =
      RunCommand({"curl", "-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}", url});
  HttpAnswer a;
  const size_t nl = r.out.rfind('\n');
  if (r.exit_code != 0 || nl == std::string::npos) return a;
  a.status = std::stoi(r.out.substr(nl + 1));
  a.body = r.out.substr(0, nl);
  return a;
}

// The admin endpoint from the log line "admin endpoints on http://IP:PORT (…)".
std::string AdminUrl(const UpProcess& up) {
  const std::string marker = "admin endpoints on http://";
  const size_t at = up.log().find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return "http://" + up.log().substr(start, up.log().find(' ', start) - start);
}

// Every sample of /metrics, parsed by prometheus_client (the test fails when it does not
// parse).
Json Scrape(const std::string& admin) {
  HttpAnswer m = Get(admin + "/metrics");
  EXPECT_EQ(m.status, 200);
  auto parsed =
      RunCommand({"/usr/bin/python3", std::string(WC_SOURCE_DIR) + "/tests/cli/parse_metrics.py"},
                 m.body + "\n");
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err << "\n" << m.body;
  Json j = Json::parse(parsed.out, nullptr, false);
  return j.is_array() ? j : Json::array();
}

// The sum of the samples named `name` whose labels include `labels`.
double Sum(const Json& samples, const std::string& name, const Json& labels = Json::object()) {
  double sum = 0;
  for (const auto& s : samples) {
    if (s["name"] != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels.items()) match &= s["labels"].value(k, "") == v;
    if (match) sum += s["value"].get<double>();
  }
  return sum;
}

bool Has(const Json& samples, const std::string& name) {
  for (const auto& s : samples) {
    if (s["name"] == name) return true;
  }
  return false;
}

template <typename Condition>
bool WaitUntil(Condition condition, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

TEST(UpAdminCliTest, LivenessReadinessAndMetricsThatMoveWithTraffic) {
  WC_REQUIRE_TOOL(RunCommand({"/usr/bin/python3", "-c", "import prometheus_client"}).exit_code == 0,
                  "python3-prometheus-client");
  const int port = testing::FreeLoopbackPort();
  UpProcess up({"up", "--manifest", std::string(WC_SOURCE_DIR) + "/examples/demo.yaml",
                "--http-admin", "127.0.0.1:0"},
               {{"DEMO_PORT", std::to_string(port)}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  const std::string admin = AdminUrl(up);
  ASSERT_FALSE(admin.empty()) << up.log();

  EXPECT_EQ(Get(admin + "/livez").status, 200);
  EXPECT_EQ(Get(admin + "/livez").body, "ok\n");
  HttpAnswer ready = Get(admin + "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
  EXPECT_EQ(Get(admin + "/nope").status, 404);
  EXPECT_EQ(Get(admin + "/metrics", "POST").status, 405);

  Json before = Scrape(admin);
  EXPECT_EQ(Sum(before, "wasmcloud_actors"), 1);
  EXPECT_GE(Sum(before, "wasmcloud_providers"), 2);  // httpserver, keyvalue (+ built-ins)
  EXPECT_EQ(Sum(before, "wasmcloud_links"), 2);
  EXPECT_EQ(Sum(before, "wasmcloud_lattice_data_degraded"), 0);
  EXPECT_GT(Sum(before, "process_resident_memory_bytes"), 0);
  EXPECT_TRUE(Has(before, "wasmcloud_host_info"));
  const Json handle = {{"operation", "HandleRequest"}, {"outcome", "ok"}};
  const double handled = Sum(before, "wasmcloud_invocations_total", handle);

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hits";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Get(url).status, 200) << up.log();

  Json after = Scrape(admin);
  EXPECT_EQ(Sum(after, "wasmcloud_invocations_total", handle), handled + 5);
  EXPECT_GE(Sum(after, "wasmcloud_invocation_duration_seconds_count"), handled + 5);
  EXPECT_GT(Sum(after, "wasmcloud_invocation_duration_seconds_sum"), 0);
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

// The endpoints take 32 connections at once. Idle ones (a client that opens them and
// sends nothing, renewing them as they time out) kept every probe out, so a liveness
// probe would have restarted a healthy host: the oldest idle one now gives its place.
TEST(UpAdminCliTest, IdleConnectionsDoNotKeepAProbeOut) {
  UpProcess up({"up", "--no-lattice", "--http-admin", "127.0.0.1:0"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  const std::string admin = AdminUrl(up);
  ASSERT_FALSE(admin.empty()) << up.log();
  const int port = std::stoi(admin.substr(admin.rfind(':') + 1));
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    ::send(fd, "GET /livez HTTP/1.1\r\n", 21, MSG_NOSIGNAL);  // and never the rest
    idle.push_back(fd);
  }
  for (int i = 0; i < 3; ++i) {
    HttpAnswer live = Get(admin + "/livez");
    EXPECT_EQ(live.status, 200) << i;
    EXPECT_EQ(live.body, "ok\n");
  }
  for (int fd : idle) ::close(fd);
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

// The host's process is not dumpable unless --dumpable: other processes of its user, its
// provider children among them, can neither attach to it nor read its memory. /proc says
// so: the files of a process that is not dumpable belong to root. As root the test runs
// the host as nobody (setpriv), since root owns them either way.
TEST(UpAdminCliTest, TheHostProcessIsNotDumpableUnlessAsked) {
  const bool root = ::getuid() == 0;
  const uid_t host_uid = root ? 65534 : ::getuid();
  const std::vector<std::string> as_nobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                              "--clear-groups"};
  if (root) {
    std::vector<std::string> version = as_nobody;
    version.push_back(testing::WasmcloudBinary());
    version.push_back("--version");
    if (RunCommand(version).exit_code != 0) {
      GTEST_SKIP() << "uid 65534 cannot run " << testing::WasmcloudBinary()
                   << " (a build tree it cannot read, or no setpriv)";
    }
  }
  const std::string dir = testing::MakeTempDir();
  std::filesystem::permissions(dir, std::filesystem::perms::all);  // the host writes its cache
  for (bool dumpable : {false, true}) {
    SCOPED_TRACE(dumpable ? "--dumpable" : "default");
    std::vector<std::string> args = {"up", "--no-lattice"};
    if (dumpable) args.push_back("--dumpable");
    std::string binary;
    if (root) {
      binary = as_nobody[0];
      std::vector<std::string> prefix(as_nobody.begin() + 1, as_nobody.end());
      prefix.push_back(testing::WasmcloudBinary());
      args.insert(args.begin(), prefix.begin(), prefix.end());
    }
    UpProcess up(args, {{"XDG_CACHE_HOME", dir}, {"TMPDIR", dir}, {"HOME", dir}}, false, binary);
    ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
    struct stat st {};
    ASSERT_EQ(::stat(("/proc/" + std::to_string(up.pid()) + "/environ").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, dumpable ? host_uid : 0u);
    EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  }
  std::filesystem::remove_all(dir);
}

TEST(UpAdminCliTest, AnAddressThatCannotBeServedIsExitTwo) {
  int port = -1;
  const int busy = testing::ListenOnLoopback(1, &port);
  ASSERT_GE(busy, 0);
  auto r = RunCommand(
      {testing::WasmcloudBinary(), "up", "--http-admin", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot serve the admin endpoints on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << r.err;
  auto name = RunCommand({testing::WasmcloudBinary(), "up", "--http-admin", "localhost:9090"});
  EXPECT_EQ(name.exit_code, 2);
  EXPECT_NE(name.err.find("\"localhost\" is not an IP address"), std::string::npos) << name.err;
  close(busy);
}

// A host in a lattice is ready only while its NATS connection is up: /readyz turns 503
// within seconds of the server going away and 200 again once it is back, and the
// reconnect is counted.
TEST(UpAdminCliTest, ReadinessFollowsTheNatsConnection) {
  WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
  WC_REQUIRE_TOOL(RunCommand({"/usr/bin/python3", "-c", "import prometheus_client"}).exit_code == 0,
                  "python3-prometheus-client");
  const std::string dir = testing::MakeTempDir();
  auto server = NatsServer::Start({"-js", "-sd", dir + "/js"});
  ASSERT_TRUE(server.ok()) << server.status().message();
  UpProcess up({"up", "--manifest", std::string(WC_SOURCE_DIR) + "/examples/echo.yaml",
                "--rpc-host", "127.0.0.1", "--rpc-port", std::to_string((*server)->port()),
                "--http-admin", "127.0.0.1:0"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  const std::string admin = AdminUrl(up);
  ASSERT_FALSE(admin.empty()) << up.log();
  EXPECT_EQ(Get(admin + "/readyz").status, 200);
  Json connected = Scrape(admin);
  EXPECT_EQ(Sum(connected, "wasmcloud_nats_connected", {{"connection", "rpc"}}), 1);
  EXPECT_EQ(Sum(connected, "wasmcloud_nats_reconnects_total", {{"connection", "rpc"}}), 0);

  (*server)->Kill();
  HttpAnswer down;
  // Both connections (rpc, ctl) go; each notices on its own thread, and /readyz names the
  // control connection while only it has: wait for the rpc one's reason.
  EXPECT_TRUE(WaitUntil(
      [&] {
        down = Get(admin + "/readyz");
        return down.status == 503 &&
               down.body.find("not ready: disconnected from NATS") != std::string::npos;
      },
      std::chrono::seconds(15)))
      << down.status << " " << down.body << up.log();
  EXPECT_EQ(Get(admin + "/livez").status, 200) << "alive all along";
  EXPECT_EQ(Sum(Scrape(admin), "wasmcloud_nats_connected", {{"connection", "rpc"}}), 0);

  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_TRUE(
      WaitUntil([&] { return Get(admin + "/readyz").status == 200; }, std::chrono::seconds(30)))
      << up.log();
  Json back = Scrape(admin);
  EXPECT_EQ(Sum(back, "wasmcloud_nats_connected", {{"connection", "rpc"}}), 1);
  EXPECT_GE(Sum(back, "wasmcloud_nats_reconnects_total", {{"connection", "rpc"}}), 1);
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  std::filesystem::remove_all(dir);
}

// --log-format json: every line of the log is one JSON object; once the host has
// started, each names it.
TEST(UpAdminCliTest, JsonLogLinesAreObjectsThatNameTheHost) {
  UpProcess up({"up", "--manifest", std::string(WC_SOURCE_DIR) + "/examples/echo.yaml",
                "--log-format", "json"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  std::istringstream in(up.log());
  std::string line, host_id;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    for (const char* key : {"time", "level", "component", "message"}) {
      EXPECT_TRUE(j.contains(key)) << key << " in " << line;
    }
    const std::string message = j.value("message", "");
    if (message.find(" is up (lattice default on nats://127.0.0.1:") != std::string::npos) {
      host_id = j.value("host_id", "");
    }
    if (!host_id.empty()) {
      EXPECT_EQ(j.value("host_id", ""), host_id) << line;
    }
  }
  EXPECT_GE(lines, 5);
  EXPECT_EQ(host_id.size(), 56u) << up.log();
}

}  // namespace
}  // namespace wasmcloud
