// `wasmcloud ctl` against the local lattice of `wasmcloud up` (a private nats-server -js
// that `up` starts), driven only through ctl: the hosts and the inventory, an actor and
// the httpserver provider started from a real docker-registry by OCI reference, a link
// put and served (curl), a live update under load with no failed request, a call, the
// actor stopped, the link deleted, the host stopped; every step's events watched by a
// `ctl watch events -o json` beside it, matched to the step by operation id. And what
// ctl says when something is wrong.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/registry_server.h"
#include "providers/messaging/nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/up_process.h"

namespace wasmcloud {
namespace {

using Json = nlohmann::json;
using messaging::testing::NatsServer;
using oci::testing::RegistryServer;
using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::UpProcess;
using testing::WasmcloudBinary;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CtlCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    WC_REQUIRE_TOOL(access(RegistryServer::Binary().c_str(), X_OK) == 0, "docker-registry");
    tmp_ = dir_ + "/tmp";
    std::filesystem::create_directories(tmp_);
    auto registry = RegistryServer::Start();
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    registry_ = std::move(*registry);
  }
  void TearDown() override {
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  CommandResult Wasmcloud(const std::vector<std::string>& args,
                          const std::string& lattice_file = "") const {
    std::vector<std::string> argv = {
        "env", "TMPDIR=" + tmp_,
        "WASMCLOUD_LATTICE_FILE=" + (lattice_file.empty() ? dir_ + "/none.json" : lattice_file),
        WasmcloudBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
  std::string Push(const std::string& name, const std::string& file) {
    const std::string ref = registry_->host() + "/" + name;
    auto r = Wasmcloud({"reg", "push", ref, file, "--allowed-insecure", registry_->host()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ref;
  }

  std::string dir_ = testing::MakeTempDir();
  std::string tmp_;
  std::unique_ptr<RegistryServer> registry_;
};

// The JSON objects among a log's lines (the watcher's stdout shares it with stderr).
std::vector<Json> JsonLines(const std::string& log) {
  std::vector<Json> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

// The types (without the CloudEvents prefix) of the events carrying operation `op`.
std::vector<std::string> TypesOf(const std::vector<Json>& events, const std::string& op) {
  std::vector<std::string> out;
  for (const Json& e : events) {
    if (e.contains("data") && e["data"].value("operation_id", "") == op) {
      std::string type = e.value("type", "");
      out.push_back(type.substr(std::string("com.wasmcloud.lattice.").size()));
    }
  }
  return out;
}

std::string Curl(int port, const std::string& path) {
  auto r = RunCommand({"curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                       "http://127.0.0.1:" + std::to_string(port) + path});
  return r.exit_code == 0 ? r.out : "curl exit " + std::to_string(r.exit_code) + ": " + r.err;
}

TEST_F(CtlCliTest, CtlDrivesTheLocalLatticeOfUpEndToEnd) {
  const std::string echo_r0 =
      Push("wasmcloud/echo:0.1.0", FixturePath("wc-host-0.18/echo_r0.wasm"));
  const std::string echo_r1 =
      Push("wasmcloud/echo:0.1.1", FixturePath("wc-host-0.18/echo_r1.wasm"));
  const std::string httpserver = Push("providers/httpserver:0.1.0",
                                      std::string(WC_BUILD_DIR) + "/providers/httpserver.par.gz");

  UpProcess up({"up", "--allow-live-updates", "--allowed-insecure", registry_->host()},
               {{"TMPDIR", tmp_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM", std::chrono::seconds(30))) << up.log();
  ASSERT_TRUE(Contains(up.log(), "local lattice default on nats://127.0.0.1:")) << up.log();
  const std::string file = up.lattice_file();
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "ctl");
    return Wasmcloud(args, file);
  };
  // ctl's -o json answer, parsed; the test stops at the first that fails.
  auto ctl_json = [&](std::vector<std::string> args) {
    args.push_back("-o");
    args.push_back("json");
    CommandResult r = ctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  };

  UpProcess watch({"ctl", "watch", "events", "-o", "json"}, {{"WASMCLOUD_LATTICE_FILE", file}},
                  /*stdout_too=*/true);
  ASSERT_TRUE(watch.WaitFor("watching events of lattice default", std::chrono::seconds(10)))
      << watch.log();

  // The hosts: this one, with its labels; its inventory: built-in providers only.
  Json hosts = ctl_json({"get", "hosts", "--timeout-ms", "2000"});
  ASSERT_TRUE(hosts.is_array() && hosts.size() == 1u) << hosts;
  const std::string host = hosts[0].value("id", "");
  ASSERT_EQ(host.size(), 56u);
  EXPECT_EQ(hosts[0]["labels"].value("hostcore.os", ""), "linux") << hosts;
  auto text = ctl({"get", "hosts", "--timeout-ms", "2000"});
  EXPECT_TRUE(Contains(text.out, "HOST ID") && Contains(text.out, host)) << text.out;
  Json inventory = ctl_json({"get", "inventory", host});
  EXPECT_EQ(inventory.value("host_id", ""), host);
  EXPECT_TRUE(inventory["actors"].empty()) << inventory;

  // Start the actor (auction: the one host) and the provider from the registry.
  Json started = ctl_json({"start", "actor", echo_r0});
  ASSERT_EQ(started.value("success", false), true) << started;
  const std::string start_op = started.value("operation_id", "");
  const std::string echo = started["event"].value("public_key", "");
  ASSERT_EQ(echo.size(), 56u) << started;
  Json provider = ctl_json({"start", "provider", httpserver, "--host", host});
  const std::string provider_op = provider.value("operation_id", "");
  const std::string provider_key = provider["event"].value("public_key", "");
  ASSERT_EQ(provider_key.size(), 56u) << provider;
  // The same again is refused by the auction: no host qualifies.
  auto again = ctl({"start", "actor", echo_r0, "--timeout-ms", "500"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, "no host of lattice default can take it")) << again.err;

  // Link and serve.
  const int port = testing::FreeLoopbackPort();
  Json linked = ctl_json(
      {"link", "put", echo, provider_key, "wasmcloud:httpserver", "PORT=" + std::to_string(port)});
  const std::string link_op = linked.value("operation_id", "");
  std::string status;
  for (int i = 0; i < 100 && status != "200"; ++i) {  // the provider binds after the KV watch
    status = Curl(port, "/hello");
    if (status != "200") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(status, "200") << up.log();
  Json links = ctl_json({"get", "links"});
  ASSERT_EQ(links.size(), 1u) << links;
  EXPECT_EQ(links[0].value("actor_id", ""), echo);
  EXPECT_EQ(links[0]["values"].value("PORT", ""), std::to_string(port));
  Json claims = ctl_json({"get", "claims"});
  ASSERT_FALSE(claims.empty()) << claims;
  EXPECT_EQ(claims[0].value("sub", ""), echo);

  // A call through the lattice, as JSON: an httpserver Request in, the Response out.
  auto call = ctl({"call", echo, "HandleRequest", "--data",
                   R"({"method":"GET","path":"/from-ctl","body":"hi"})"});
  ASSERT_EQ(call.exit_code, 0) << call.err;
  Json reply = Json::parse(call.out, nullptr, false);
  ASSERT_FALSE(reply.is_discarded()) << call.out;
  EXPECT_EQ(reply.value("statusCode", 0), 200) << call.out;
  EXPECT_TRUE(Contains(reply.value("body", ""), "/from-ctl")) << call.out;
  EXPECT_EQ(call.out.back(), '\n');

  // Live update to the next revision while requests keep coming: none fails.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::vector<std::string> failures;
  std::thread load([&] {
    while (!stop.load()) {
      std::string s = Curl(port, "/load");
      if (s == "200") {
        ok.fetch_add(1);
      } else {
        failures.push_back(s);
      }
    }
  });
  while (ok.load() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Json updated = ctl_json({"update", "actor", host, echo, echo_r1});
  const std::string update_op = updated.value("operation_id", "");
  const int before = ok.load();
  while (ok.load() < before + 5) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  load.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures[0];
  inventory = ctl_json({"get", "inventory", host});
  ASSERT_EQ(inventory["actors"].size(), 1u) << inventory;
  EXPECT_EQ(inventory["actors"][0].value("revision", -1), 1) << inventory;
  EXPECT_EQ(inventory["actors"][0].value("image_ref", ""), echo_r1) << inventory;

  // Labels, stop the actor, delete the link.
  Json label = ctl_json({"label", "put", host, "zone", "east"});
  const std::string label_op = label.value("operation_id", "");
  EXPECT_EQ(ctl_json({"get", "hosts", "--timeout-ms", "2000"})[0]["labels"].value("zone", ""),
            "east");
  Json stopped = ctl_json({"stop", "actor", host, echo});
  const std::string stop_op = stopped.value("operation_id", "");
  EXPECT_TRUE(ctl_json({"get", "inventory", host})["actors"].empty());
  Json unlinked = ctl_json({"link", "del", echo, "wasmcloud:httpserver"});
  const std::string unlink_op = unlinked.value("operation_id", "");
  EXPECT_TRUE(ctl_json({"get", "links"}).empty());

  // A reader that goes away ends a watch (`… | head -n 1`), even while no event comes: it
  // ignored the broken pipe and ran until killed, so the pipeline never ended.
  auto piped = RunCommand({"timeout", "20", "env", "WASMCLOUD_LATTICE_FILE=" + file, "sh", "-c",
                           "\"$0\" ctl watch events | true", WasmcloudBinary()});
  EXPECT_EQ(piped.exit_code, 0) << "124: the watch outlived its reader; " << piped.err;

  // Stop the host through the lattice: up ends as on SIGTERM.
  Json stopping = ctl_json({"stop", "host", host});
  EXPECT_EQ(stopping.value("success", false), true);
  EXPECT_EQ(up.Wait(), 0) << up.log();
  EXPECT_TRUE(Contains(up.log(), "a control client asked this host to stop")) << up.log();

  // Every step's events, by operation id (the host's stop is the last of them).
  EXPECT_TRUE(watch.WaitFor("lattice.host_stopped", std::chrono::seconds(10))) << watch.log();
  watch.Stop(SIGTERM);
  const std::vector<Json> events = JsonLines(watch.log());
  using Types = std::vector<std::string>;
  EXPECT_EQ(TypesOf(events, start_op), Types({"actor_started"})) << watch.log();
  EXPECT_EQ(TypesOf(events, provider_op), Types({"provider_started"})) << watch.log();
  EXPECT_EQ(TypesOf(events, update_op), Types({"actor_update_began", "actor_updated"}))
      << watch.log();
  EXPECT_EQ(TypesOf(events, label_op), Types({"labels_changed"})) << watch.log();
  EXPECT_EQ(TypesOf(events, stop_op), Types({"actor_stopped"})) << watch.log();
  // Link events are published by the host that wrote the link, in its command.
  EXPECT_EQ(TypesOf(events, link_op), Types({"linkdef_set"})) << watch.log();
  EXPECT_EQ(TypesOf(events, unlink_op), Types({"linkdef_deleted"})) << watch.log();
  // The host's stop, asked by `stop host`, ends with its event.
  EXPECT_EQ(TypesOf(events, stopping.value("operation_id", "")), Types({"host_stopped"}))
      << watch.log();
}

TEST_F(CtlCliTest, RegistryCredentialsGivenThroughCtlAreUsedForLaterPulls) {
  oci::testing::RegistryOptions options;
  options.htpasswd_user = "ops";
  options.htpasswd_password = "s3cret-pass";
  auto locked = RegistryServer::Start(options);
  ASSERT_TRUE(locked.ok()) << locked.status().message();
  const std::string reg = (*locked)->host();
  const std::string ref = reg + "/wasmcloud/echo:0.1.0";
  auto push =
      RunCommand({"env", "TMPDIR=" + tmp_, "OCI_REGISTRY_USER=ops",
                  "OCI_REGISTRY_PASSWORD=s3cret-pass", WasmcloudBinary(), "reg", "push", ref,
                  FixturePath("wc-host-0.18/echo_r0.wasm"), "--allowed-insecure", reg});
  ASSERT_EQ(push.exit_code, 0) << push.err;

  UpProcess up({"up", "--allowed-insecure", reg},
               {{"TMPDIR", tmp_}, {"OCI_REGISTRY_USER", ""}, {"OCI_REGISTRY_PASSWORD", ""}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM", std::chrono::seconds(30))) << up.log();
  const std::string file = up.lattice_file();
  auto denied = Wasmcloud({"ctl", "start", "actor", ref}, file);
  EXPECT_EQ(denied.exit_code, 1) << denied.out;
  EXPECT_TRUE(Contains(denied.err, "401") || Contains(denied.err, "auth")) << denied.err;

  auto put = RunCommand({"env", "WASMCLOUD_LATTICE_FILE=" + file,
                         "WASMCLOUD_REGISTRY_PASSWORD=s3cret-pass", WasmcloudBinary(), "ctl",
                         "registry", "put", reg, "--user", "ops", "--timeout-ms", "2000"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_TRUE(Contains(put.out, "given to 1 host(s)")) << put.out;
  auto started = Wasmcloud({"ctl", "start", "actor", ref}, file);
  EXPECT_EQ(started.exit_code, 0) << started.err << up.log();
  EXPECT_FALSE(Contains(up.log(), "s3cret-pass")) << "the password is never logged";
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

TEST_F(CtlCliTest, ALinkThatCannotBindIsLoggedWithTheFixAndShownFailingInTheInventory) {
  int port = 0;
  const int busy = testing::ListenOnLoopback(4, &port);  // someone else has the port
  ASSERT_GE(busy, 0);
  const std::string manifest = dir_ + "/busy.yaml";
  std::ofstream(manifest) << "actors:\n  - " << FixturePath("wc-host-0.18/echo.wasm")
                          << "\ncapabilities:\n  - image_ref: " << WC_BUILD_DIR
                          << "/providers/httpserver.par.gz\nlinks:\n  - actor: "
                          << "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5"
                          << "\n    contract_id: wasmcloud:httpserver\n    values:\n      PORT: \""
                          << port << "\"\n";
  UpProcess up({"up", "-m", manifest, "--keep-going"}, {{"TMPDIR", tmp_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM", std::chrono::seconds(30))) << up.log();
  EXPECT_TRUE(Contains(up.log(),
                       "Address already in use (another process, or another link, "
                       "has that port: give the link another PORT value)"))
      << up.log();
  // Said once, though the link is enforced twice (the manifest's write, then the watch);
  // the manifest's own report of the failed step is another line.
  std::istringstream lines(up.log());
  size_t refusals = 0;
  for (std::string line; std::getline(lines, line);) {
    if (Contains(line, "ERROR [host] provider") && Contains(line, " refused to bind actor ")) {
      ++refusals;
    }
  }
  EXPECT_EQ(refusals, 1u) << up.log();
  auto inventory = Wasmcloud({"ctl", "get", "inventory", "-o", "json"}, up.lattice_file());
  ASSERT_EQ(inventory.exit_code, 0) << inventory.err;
  Json all = Json::parse(inventory.out, nullptr, false);
  ASSERT_TRUE(all.is_array() && all.size() == 1u) << inventory.out;
  const Json& failed = all[0]["failed_links"];
  ASSERT_EQ(failed.size(), 1u) << inventory.out;
  EXPECT_EQ(failed[0].value("contract_id", ""), "wasmcloud:httpserver");
  EXPECT_TRUE(Contains(failed[0].value("error", ""), "Address already in use")) << failed;
  auto text = Wasmcloud({"ctl", "get", "inventory"}, up.lattice_file());
  EXPECT_TRUE(Contains(text.out, "FAILED LINK") && Contains(text.out, "give the link another PORT"))
      << text.out;
  // Its provider stopped, the link has nothing left to fix on this host.
  Json provider;
  for (const Json& p : all[0]["providers"]) {
    if (p.value("contract_id", "") == "wasmcloud:httpserver") provider = p;
  }
  ASSERT_TRUE(provider.is_object()) << inventory.out;
  auto stop =
      Wasmcloud({"ctl", "stop", "provider", all[0].value("host_id", ""), provider.value("id", ""),
                 provider.value("link_name", ""), provider.value("contract_id", "")},
                up.lattice_file());
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  auto after = Wasmcloud({"ctl", "get", "inventory", "-o", "json"}, up.lattice_file());
  Json now = Json::parse(after.out, nullptr, false);
  ASSERT_TRUE(now.is_array() && now.size() == 1u) << after.out;
  EXPECT_FALSE(Contains(now[0]["providers"].dump(), "wasmcloud:httpserver")) << after.out;
  EXPECT_TRUE(now[0]["failed_links"].empty()) << after.out;
  close(busy);
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

// The module of a reference already runs, started from a file: the start has nothing to
// do and its outcome says so at once (it was accepted, then nothing came for 60 s).
TEST_F(CtlCliTest, StartingByReferenceAModuleThatRunsFromAFileSaysItRuns) {
  const std::string echo_file = FixturePath("wc-host-0.18/echo.wasm");
  const std::string echo_ref = Push("wasmcloud/echo:0.2.0", echo_file);
  const std::string manifest = dir_ + "/echo.yaml";
  std::ofstream(manifest) << "actors:\n  - " << echo_file << "\n";
  UpProcess up({"up", "-m", manifest, "--allowed-insecure", registry_->host()}, {{"TMPDIR", tmp_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM", std::chrono::seconds(30))) << up.log();
  const auto began = std::chrono::steady_clock::now();
  auto start =
      Wasmcloud({"ctl", "start", "actor", echo_ref, "--wait-ms", "20000"}, up.lattice_file());
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(15)) << start.err;
  EXPECT_EQ(start.exit_code, 1) << start.out;
  EXPECT_TRUE(Contains(start.err,
                       "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5, the "
                       "module of '" +
                           echo_ref + "', is already running on this host"))
      << start.err;
  // The reference names the running actor from now on: the auction skips this host.
  auto again =
      Wasmcloud({"ctl", "start", "actor", echo_ref, "--timeout-ms", "500"}, up.lattice_file());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, "no host of lattice default can take it")) << again.err;
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

// kvcounter's keyvalue provider runs nowhere: the host's own call to it fails after its
// RPC timeout (2 s) with the reason. ctl call waited 2 s too, so it said "no reply" just
// before the reason came; it waits 12 s unless told otherwise.
TEST_F(CtlCliTest, CallShowsTheReasonANestedCallFailedFor) {
  const std::string manifest = dir_ + "/kv.yaml";
  std::ofstream(manifest)
      << "actors:\n  - " << WC_BUILD_DIR
      << "/examples/kvcounter_signed.wasm\nlinks:\n  - actor: examples/kvcounter"
      << "\n    contract_id: wasmcloud:keyvalue\n    provider_id: "
      << "VADDERJ5F246KOBI2FUUF6VYPKKO4LHYI5MMBS3HCNRUJGENEFJ6XU6B\n";
  UpProcess up({"up", "-m", manifest}, {{"TMPDIR", tmp_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM", std::chrono::seconds(30))) << up.log();
  auto call = Wasmcloud(
      {"ctl", "call", "examples/kvcounter", "HandleRequest", "--data", R"({"path":"/hits"})"},
      up.lattice_file());
  EXPECT_EQ(call.exit_code, 1);
  EXPECT_TRUE(Contains(call.err, "is not running on this host or any host of lattice default"))
      << call.err;
  // Links are named by call alias too, as in manifests.
  auto del = Wasmcloud({"ctl", "link", "del", "examples/kvcounter", "wasmcloud:keyvalue"},
                       up.lattice_file());
  EXPECT_EQ(del.exit_code, 0) << del.err;
  auto put = Wasmcloud({"ctl", "link", "put", "examples/kvcounter",
                        "VADDERJ5F246KOBI2FUUF6VYPKKO4LHYI5MMBS3HCNRUJGENEFJ6XU6B",
                        "wasmcloud:keyvalue", "BUCKET=b"},
                       up.lattice_file());
  EXPECT_EQ(put.exit_code, 0) << put.err;
  auto links = Wasmcloud({"ctl", "get", "links", "-o", "json"}, up.lattice_file());
  Json all = Json::parse(links.out, nullptr, false);
  ASSERT_TRUE(all.is_array() && all.size() == 1u) << links.out;
  EXPECT_EQ(all[0]["values"].value("BUCKET", ""), "b");
  EXPECT_EQ(all[0].value("actor_id", "").size(), 56u) << links.out;
  // An empty ACTOR (an unset $ACTOR in a script) matched the first actor without an alias.
  auto empty = Wasmcloud({"ctl", "link", "del", "", "wasmcloud:keyvalue"}, up.lattice_file());
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_TRUE(Contains(empty.err, "ACTOR is empty")) << empty.err;
  auto nobody =
      Wasmcloud({"ctl", "link", "del", "no-such-alias", "wasmcloud:keyvalue"}, up.lattice_file());
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_TRUE(Contains(nobody.err,
                       "\"no-such-alias\" is neither an actor's public key nor a "
                       "call alias or OCI reference"))
      << nobody.err;
  // Update and stop take the alias as well (they said "not running on host").
  Json hosts = Json::parse(
      Wasmcloud({"ctl", "get", "hosts", "-o", "json", "--timeout-ms", "2000"}, up.lattice_file())
          .out,
      nullptr, false);
  ASSERT_TRUE(hosts.is_array() && hosts.size() == 1u) << hosts;
  const std::string host = hosts[0].value("id", "");
  auto update =
      Wasmcloud({"ctl", "update", "actor", host, "examples/kvcounter", "x/y:2"}, up.lattice_file());
  EXPECT_EQ(update.exit_code, 1);
  EXPECT_FALSE(Contains(update.err, "not running")) << update.err;
  EXPECT_TRUE(Contains(update.err, "--allow-live-updates")) << update.err;
  auto stop = Wasmcloud({"ctl", "stop", "actor", host, "examples/kvcounter"}, up.lattice_file());
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  Json inventory =
      Json::parse(Wasmcloud({"ctl", "get", "inventory", host, "-o", "json"}, up.lattice_file()).out,
                  nullptr, false);
  EXPECT_TRUE(inventory["actors"].empty()) << inventory;
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

TEST_F(CtlCliTest, FailuresSayWhatToDoAndExitNonZero) {
  // No local lattice: say how to get one.
  auto none = Wasmcloud({"ctl", "get", "hosts"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(Contains(none.err, "no local lattice found")) << none.err;
  EXPECT_TRUE(Contains(none.err, "wasmcloud up")) << none.err;
  auto json = Wasmcloud({"ctl", "get", "hosts", "-o", "json"});
  EXPECT_EQ(json.exit_code, 1);
  Json j = Json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out;
  EXPECT_EQ(j.value("success", true), false);
  // Bad arguments too (refused before any ctl code runs): the JSON failure on stdout,
  // the message on stderr as without -o json, exit 2.
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"ctl", "get", "hosts", "-o", "json", "--timeout-ms", "abc"},
            "--timeout-ms: Value abc not in range 1 to 3600000"},
           {{"ctl", "get", "hostz", "--output=json"},
            "wasmcloud ctl get: unknown command \"hostz\"; did you mean \"hosts\"? (wasmcloud "
            "ctl get --help lists the commands)"},
           {{"ctl", "get", "hosts", "-ojson", "--bogus"},
            "The following argument was not expected: --bogus"}}) {
    auto bad = Wasmcloud(args);
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    Json failure = Json::parse(bad.out, nullptr, false);
    ASSERT_TRUE(failure.is_object()) << bad.out;
    EXPECT_EQ(failure.value("success", true), false);
    EXPECT_EQ(failure.value("message", ""), message);
    EXPECT_TRUE(Contains(bad.err, message)) << bad.err;
  }
  auto text = Wasmcloud({"ctl", "get", "hosts", "--timeout-ms", "abc"});
  EXPECT_EQ(text.exit_code, 2);
  EXPECT_EQ(text.out, "");

  UpProcess up({"up", "--allowed-insecure", registry_->host()}, {{"TMPDIR", tmp_}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM", std::chrono::seconds(30))) << up.log();
  const std::string file = up.lattice_file();
  std::smatch m;
  const std::string log = up.log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("host (N[A-Z2-7]{55}) is up"))) << log;
  const std::string host = m[1];

  // A reference the registry does not have: the start fails, and ctl says why.
  auto missing = Wasmcloud({"ctl", "start", "actor", registry_->host() + "/nothing:0.1.0"}, file);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "nothing:0.1.0")) << missing.err;
  // Live updates not allowed on this host; an actor that does not run.
  auto update = Wasmcloud(
      {"ctl", "update", "actor", host, "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5",
       registry_->host() + "/echo:0.1.1"},
      file);
  EXPECT_EQ(update.exit_code, 1);
  EXPECT_TRUE(Contains(update.err, "is not running on host")) << update.err;
  // A local lattice file whose `up` is gone (a process that has ended): said at once.
  pid_t ended = fork();
  ASSERT_GE(ended, 0);
  if (ended == 0) _exit(0);
  ASSERT_EQ(waitpid(ended, nullptr, 0), ended);
  const std::string stale = dir_ + "/stale.json";
  std::ofstream(stale) << R"({"url":"nats://127.0.0.1:)" << testing::FreeLoopbackPort()
                       << R"(","lattice":"default","host_id":"NX","pid":)" << ended << "}";
  auto gone = Wasmcloud({"ctl", "get", "hosts"}, stale);
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_TRUE(Contains(
      gone.err, "names `wasmcloud up` process " + std::to_string(ended) + ", which is not running"))
      << gone.err;
  // One whose process runs but whose server does not answer: asked whether it still runs.
  std::ofstream(stale) << R"({"url":"nats://127.0.0.1:)" << testing::FreeLoopbackPort()
                       << R"(","lattice":"default","host_id":"NX","pid":)" << getpid() << "}";
  auto silent = Wasmcloud({"ctl", "get", "hosts"}, stale);
  EXPECT_EQ(silent.exit_code, 1);
  EXPECT_TRUE(Contains(silent.err, "names `wasmcloud up` process " + std::to_string(getpid()) +
                                       ": is it still running?"))
      << silent.err;
  // A host that does not exist: no answer, and a hint.
  auto ghost =
      Wasmcloud({"ctl", "stop", "actor", "NXXXX",
                 "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5", "--timeout-ms", "300"},
                file);
  EXPECT_EQ(ghost.exit_code, 1);
  EXPECT_TRUE(
      Contains(ghost.err,
               "cannot stop actor MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5: "
               "no answer"))
      << ghost.err;
  // Neither a key nor a call alias of the lattice: the host says it runs no such actor.
  auto nothing = Wasmcloud({"ctl", "stop", "actor", host, "MXXXX"}, file);
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_TRUE(Contains(nothing.err, "cannot stop actor MXXXX: ")) << nothing.err;
  // A refusal reads as one (it began "stopped actor …: " like a success).
  auto not_running = Wasmcloud(
      {"ctl", "stop", "actor", host, "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5"},
      file);
  EXPECT_EQ(not_running.exit_code, 1);
  EXPECT_TRUE(
      Contains(not_running.err,
               "cannot stop actor MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5: "))
      << not_running.err;
  auto reserved = Wasmcloud({"ctl", "label", "put", host, "hostcore.os", "plan9"}, file);
  EXPECT_EQ(reserved.exit_code, 1);
  EXPECT_TRUE(Contains(reserved.err, "cannot set label hostcore.os=plan9 on host " + host + ": "))
      << reserved.err;
  // Bad arguments are exit 2.
  auto pairs = Wasmcloud({"ctl", "link", "put", "MA", "VB", "wasmcloud:x", "novalue"}, file);
  EXPECT_EQ(pairs.exit_code, 2);
  EXPECT_TRUE(Contains(pairs.err, "is not KEY=VALUE")) << pairs.err;
  // An HTTP request given as JSON with a member of the wrong type (it aborted ctl).
  for (const char* data : {R"({"path":1})", R"({"method":true})", R"({"queryString":null})",
                           R"({"header":{"a":1}})", R"({"header":[1]})"}) {
    auto typed =
        Wasmcloud({"ctl", "call", "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5",
                   "HandleRequest", "--data", data},
                  file);
    EXPECT_EQ(typed.exit_code, 2) << data << ": " << typed.err;
    EXPECT_TRUE(Contains(typed.err, "--data: ") && Contains(typed.err, "must be")) << typed.err;
  }
  auto call = Wasmcloud({"ctl", "call", "not-an-alias", "Op"}, file);
  EXPECT_EQ(call.exit_code, 1);
  EXPECT_TRUE(Contains(call.err, "neither an actor's public key nor a call alias")) << call.err;
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

}  // namespace
}  // namespace wasmcloud
