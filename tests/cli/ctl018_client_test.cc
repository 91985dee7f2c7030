// A wasmCloud 0.18 lattice client drives `wasmcloud up` hosts end to end: the scripted
// client tests/cli/ctl018_client.mjs (Node, with the npm packages nats, @msgpack/msgpack
// and @nats-io/nkeys that scripts/setup.sh installs into .deps/npm) speaks only the 0.18
// JSON and msgpack shapes on the 0.18 subjects (spec §7, §12) to two hosts joined into
// one lattice through a real nats-server -js, with labels zone=east and zone=west. It
// finds both hosts (get.hosts), holds auctions, starts echo_r0 from a real
// docker-registry by OCI reference (la), calls it as the 0.18 client crate's call_actor
// does (a signed Invocation from "system"), advertises and removes a link on the 0.18
// links/remlinks subjects, live-updates it to echo_r1 (upd), reads the claims, starts and
// stops a provider archive (lp/sp), stops the actor (sa) and checks the heartbeats, with
// every event on wasmbus.ctl.{ns}.events checked against the 0.18 ControlEvent shapes.
// The client prints one line per step and exits 0 only when nothing differed from 0.18.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/registry_server.h"
#include "providers/messaging/nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/up_process.h"

namespace wasmcloud {
namespace {

using messaging::testing::NatsServer;
using oci::testing::RegistryServer;
using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::UpProcess;
using testing::WasmcloudBinary;

constexpr char kLattice[] = "ctl018";

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string NodeModules() { return std::string(WC_SOURCE_DIR) + "/.deps/npm/node_modules"; }

class Ctl018ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(RunCommand({"node", "--version"}).exit_code == 0, "node");
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    WC_REQUIRE_TOOL(access(RegistryServer::Binary().c_str(), X_OK) == 0, "docker-registry");
    for (const char* package : {"nats", "@msgpack/msgpack", "@nats-io/nkeys"}) {
      ASSERT_TRUE(Exists(NodeModules() + "/" + package + "/package.json"))
          << "the npm package " << package << " is not installed in " << NodeModules()
          << ": run scripts/setup.sh";
    }
    tmp_ = dir_ + "/tmp";
    std::filesystem::create_directories(tmp_);
    auto nats = NatsServer::Start({"-js", "-sd", dir_ + "/js"});
    ASSERT_TRUE(nats.ok()) << nats.status().message();
    nats_ = std::move(*nats);
    auto registry = RegistryServer::Start();
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    registry_ = std::move(*registry);
  }
  void TearDown() override {
    hosts_.clear();
    registry_.reset();
    nats_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `wasmcloud ARGS...` with the test's TMPDIR (its own OCI cache).
  CommandResult Wasmcloud(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"env", "TMPDIR=" + tmp_, WasmcloudBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
  // Pushes `file` as registry/name and returns the reference.
  std::string Push(const std::string& name, const std::string& file) {
    const std::string ref = registry_->host() + "/" + name;
    auto r = Wasmcloud({"reg", "push", ref, file, "--allowed-insecure", registry_->host()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ref;
  }
  // A host of the lattice with label zone=`zone`; returns its key once it runs.
  std::string Up(const std::string& zone) {
    auto up = std::make_unique<UpProcess>(
        std::vector<std::string>{"up", "--rpc-host", "127.0.0.1", "--rpc-port",
                                 std::to_string(nats_->port()), "--nsprefix", kLattice,
                                 "--allow-live-updates", "--allowed-insecure", registry_->host(),
                                 "--label", "zone=" + zone, "--heartbeat-interval", "1"},
        std::vector<std::pair<std::string, std::string>>{{"TMPDIR", tmp_}});
    EXPECT_TRUE(up->WaitFor("running until SIGINT or SIGTERM", std::chrono::seconds(20)))
        << up->log();
    std::smatch m;
    const std::string log = up->log();
    std::string key;
    if (std::regex_search(log, m, std::regex("host (N[A-Z2-7]{55}) is up"))) key = m[1];
    EXPECT_FALSE(key.empty()) << log;
    hosts_.push_back(std::move(up));
    return key;
  }
  std::string HostLogs() const {
    std::string out;
    for (const auto& h : hosts_) out += "\n--- host log ---\n" + h->log();
    return out;
  }

  std::string dir_ = testing::MakeTempDir();
  std::string tmp_;
  std::unique_ptr<NatsServer> nats_;
  std::unique_ptr<RegistryServer> registry_;
  std::vector<std::unique_ptr<UpProcess>> hosts_;
};

TEST_F(Ctl018ClientTest, A018ClientControlsTwoHostsOfTheLattice) {
  const std::string build = WC_BUILD_DIR;
  const std::string echo_r0 =
      Push("wasmcloud/echo_r0:0.1.0", FixturePath("wc-host-0.18/echo_r0.wasm"));
  const std::string echo_r1 =
      Push("wasmcloud/echo_r1:0.1.1", FixturePath("wc-host-0.18/echo_r1.wasm"));
  const std::string provider =
      Push("providers/keyvalue:0.1.0", build + "/providers/keyvalue.par.gz");
  auto inspect = Wasmcloud({"par", "inspect", build + "/providers/keyvalue.par.gz", "-o", "json"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const std::string provider_key = nlohmann::json::parse(inspect.out).value("sub", "");
  ASSERT_EQ(provider_key.size(), 56u) << inspect.out;

  const std::string east = Up("east");
  const std::string west = Up("west");
  ASSERT_FALSE(east.empty() || west.empty()) << HostLogs();

  // The client bounds itself (40 s); `timeout` is the last resort.
  auto client = RunCommand({"timeout",
                            "-k",
                            "5",
                            "50",
                            "env",
                            "NODE_PATH=" + NodeModules(),
                            "node",
                            std::string(WC_SOURCE_DIR) + "/tests/cli/ctl018_client.mjs",
                            "--nats",
                            nats_->Url(),
                            "--lattice",
                            kLattice,
                            "--host-a",
                            east,
                            "--host-b",
                            west,
                            "--label-a",
                            "zone=east",
                            "--label-b",
                            "zone=west",
                            "--echo-r0",
                            echo_r0,
                            "--echo-r1",
                            echo_r1,
                            "--provider",
                            provider,
                            "--provider-key",
                            provider_key});
  EXPECT_EQ(client.exit_code, 0) << client.out << client.err << HostLogs();
  for (int step = 0; step <= 10; ++step) {
    EXPECT_NE(client.out.find("step " + std::to_string(step) + " ok: "), std::string::npos)
        << "step " << step << "\n"
        << client.out;
  }
  EXPECT_NE(client.out.find("all steps passed"), std::string::npos) << client.out;
  EXPECT_EQ(client.out.find("MISMATCH"), std::string::npos) << client.out;

  for (auto& h : hosts_) EXPECT_EQ(h->Stop(SIGTERM), 0) << h->log();
}

}  // namespace
}  // namespace wasmcloud
