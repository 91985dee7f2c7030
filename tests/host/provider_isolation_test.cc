// The host with a misbehaving provider in a child process (tests/provider/data/
// chaos_provider.c, contract wasmcloud:keyvalue, standing in for kvcounter's store): a
// crash or a call that blocks forever does not take the host down or stall another
// actor; the crash is logged once naming the provider and its key, published as events,
// and the provider is back, its link bound again, within seconds.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "host/artifacts.h"
#include "host/host.h"
#include "host/test_providers.h"
#include "lattice/events.h"
#include "support/log_capture.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "support/up_process.h"
#include "wasm/v8/v8_engine.h"
#include "wire/http.h"

namespace wasmcloud::host {
namespace {

using wasmcloud::testing::Eventually;
using wasmcloud::testing::LogCapture;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using wasmcloud::testing::FixturePath;
using wasmcloud::testing::Ok;

constexpr std::string_view kKvCounterKey =
    "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";
constexpr std::string_view kEchoKey = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

const bool kChildSanitizerOptions = wasmcloud::testing::LetSanitizedChildrenDieOfSignals();

class ProviderIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kChildSanitizerOptions);
    HostConfig config;
    config.provider_host_exe = WC_TEST_WASMCLOUD;
    config.call_timeout = 1500ms;
    config.allow_unsigned_providers = true;  // a bare .so
    LatticeOptions lattice;
    lattice.events = events_;
    host_ = std::make_unique<Host>(std::move(config), wasm::CreateV8Engine, std::move(lattice));
    ASSERT_TRUE(Ok(host_->Start()));
    for (const char* actor : {"kvcounter.wasm", "echo.wasm"}) {
      ASSERT_TRUE(Ok(host_->StartActorFromFile(FixturePath(std::string("wc-host-0.18/") + actor))));
    }
    // A bare .so, isolation not given: with a provider-host executable, a child process.
    auto pk = host_->StartCapabilityFromFile(WC_TEST_CHAOS);
    ASSERT_TRUE(Ok(pk));
    provider_key_ = *pk;
    ASSERT_TRUE(
        Ok(host_->SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", provider_key_, {})));
  }
  void TearDown() override {
    if (host_) (void)host_->Stop();
  }

  // kvcounter's answer to GET `path`: the HTTP status and body, or the call's error.
  std::string Get(std::string_view path) {
    auto reply = host_->CallActor(kKvCounterKey, "HandleRequest", test::HttpGet(std::string(path)));
    if (!reply.ok()) return "error: " + reply.status().message();
    auto r = wire::DecodeHttpResponse(*reply);
    if (!r.ok()) return "not a Response: " + r.status().message();
    return std::to_string(r->status_code) + " " + std::string(AsChars(r->body));
  }
  // The echo actor answers, and how long it took.
  std::chrono::milliseconds EchoLatency() {
    const auto t0 = Clock::now();
    auto reply = host_->CallActor(kEchoKey, "HandleRequest", test::HttpGet("/x"));
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  }
  bool HasEvent(std::string_view type) {
    for (const auto& e : events_->Events()) {
      if (e.type == type && e.data.value("public_key", "") == provider_key_) return true;
    }
    return false;
  }

  LogCapture log_;
  std::shared_ptr<lattice::MemoryEventSink> events_ = std::make_shared<lattice::MemoryEventSink>();
  std::unique_ptr<Host> host_;
  std::string provider_key_;
};

TEST_F(ProviderIsolationTest, ACrashingProviderDoesNotTakeTheHostDown) {
  ASSERT_EQ(Get("/counter"), R"(200 {"counter":1})");
  const std::string crashed = Get("/segv");
  EXPECT_EQ(crashed.find("200"), std::string::npos) << crashed;
  // The host is up: other actors answer at their normal latency.
  EXPECT_LT(EchoLatency(), 2s);
  // The provider is back (a new process: its count starts again) with its link bound.
  ASSERT_TRUE(Eventually([&] { return Get("/counter") == R"(200 {"counter":1})"; })) << log_.All();
  EXPECT_TRUE(
      Eventually([&] { return HasEvent("provider_crashed") && HasEvent("provider_restarted"); }));
  // Logged once, naming the provider and its key.
  EXPECT_EQ(log_.Count("ERROR [provider Chaos (" + provider_key_ + ", link default)] process",
                       "restarting in"),
            1u)
      << log_.All();
}

// The host keeps what it verified: a restart after a crash loads the archive's library
// even when its unpacked file is gone (`wasmcloud drain` emptied the cache, a /tmp
// cleaner) or was replaced by another build of the same key and revision.
TEST_F(ProviderIsolationTest, ARestartLoadsTheVerifiedLibraryNotTheCachedFile) {
  ASSERT_TRUE(Ok(host_->StopProvider(provider_key_, "wasmcloud:keyvalue", "default")));
  struct TempDir {
    std::string path = wasmcloud::testing::MakeTempDir();
    ~TempDir() { std::filesystem::remove_all(path); }
  } dir;
  const std::string archive = dir.path + "/chaos.par.gz";
  auto packed = wasmcloud::testing::RunCommand({WC_TEST_WASMCLOUD, "par", "create", "--capid",
                                                "wasmcloud:keyvalue", "--name", "Chaos", "--vendor",
                                                "test", "--binary", WC_TEST_CHAOS, "--keys-dir",
                                                dir.path + "/keys", "-d", archive});
  ASSERT_EQ(packed.exit_code, 0) << packed.err;
  auto pk = host_->StartCapabilityFromFile(archive);
  ASSERT_TRUE(Ok(pk));
  ASSERT_TRUE(Ok(host_->SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", *pk, {})));
  ASSERT_EQ(Get("/counter"), R"(200 {"counter":1})");
  const char* tmp = std::getenv("TMPDIR");
  const std::string unpacked = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                               "/wasmcloudcache/" + *pk + "/0/x86_64-linux.so";
  ASSERT_TRUE(std::filesystem::exists(unpacked)) << unpacked;
  // Replaced by something else, then gone: each restart still runs the verified library.
  for (const bool replace : {true, false}) {
    std::filesystem::remove(unpacked);
    if (replace) std::filesystem::copy_file(WC_TEST_WASMCLOUD, unpacked);
    const std::string crashed = Get("/segv");
    EXPECT_EQ(crashed.find("200"), std::string::npos) << crashed;
    ASSERT_TRUE(Eventually([&] { return Get("/counter") == R"(200 {"counter":1})"; }))
        << log_.All();
  }
  EXPECT_EQ(log_.Count("restart failed"), 0u) << log_.All();
  std::filesystem::remove_all(std::filesystem::path(unpacked).parent_path().parent_path());
}

// The same archive again under the same link name is refused before its library is
// loaded: no second child is started (a provider that opens ports or files in its
// constructor would have done so, and the child's end showed up as an alarming stderr
// line).
TEST_F(ProviderIsolationTest, ADuplicateIsRefusedBeforeItsLibraryLoads) {
  const std::string archive = std::string(WC_BUILD_DIR) + "/providers/keyvalue.par.gz";
  struct Restore {
    LogLevel level = GetLogLevel();
    ~Restore() { SetLogLevel(level); }
  } restore;
  SetLogLevel(LogLevel::kDebug);  // each child started is a debug line
  auto first = host_->StartCapabilityFromFile(archive, "dup", ProviderIsolation::kProcess);
  ASSERT_TRUE(Ok(first));
  const size_t children = log_.Count("running the provider in a child process");
  ASSERT_GE(children, 1u) << log_.All();
  auto second = host_->StartCapabilityFromFile(archive, "dup", ProviderIsolation::kProcess);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(second.status().message(),
            "provider " + *first + " is already running with link name dup");
  EXPECT_EQ(log_.Count("running the provider in a child process"), children) << log_.All();
  EXPECT_EQ(log_.Count("closed the channel without a stop"), 0u) << log_.All();
}

TEST_F(ProviderIsolationTest, AProviderCallThatNeverReturnsIsBounded) {
  ASSERT_EQ(Get("/counter"), R"(200 {"counter":1})");
  std::string blocked;
  const auto t0 = Clock::now();
  std::thread caller([&] { blocked = Get("/block"); });
  // While it blocks, the other actor answers normally.
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 10; ++i) EXPECT_LT(EchoLatency(), 2s);
  caller.join();
  EXPECT_LT(Clock::now() - t0, 4s);
  EXPECT_EQ(blocked.find("200"), std::string::npos) << blocked;
  // The stuck child is killed after the grace period and replaced.
  ASSERT_TRUE(Eventually([&] { return log_.Count("handle_call was still running") >= 1; }))
      << log_.All();
  ASSERT_TRUE(Eventually([&] { return Get("/counter") == R"(200 {"counter":1})"; })) << log_.All();
}

// In the host's process (no provider-host executable: an embedder's default), a provider
// that is not first-party runs behind deadlines: a call that never returns is reported at
// the call deadline while the provider, and every other actor, keeps answering.
TEST(InProcessProviderTest, ACallThatNeverReturnsTimesOutAndTheProviderKeepsServing) {
  HostConfig config;
  config.call_timeout = 1500ms;
  config.allow_unsigned_providers = true;  // a bare .so
  Host host(std::move(config), wasm::CreateV8Engine);
  ASSERT_TRUE(Ok(host.Start()));
  for (const char* actor : {"kvcounter.wasm", "echo.wasm"}) {
    ASSERT_TRUE(Ok(host.StartActorFromFile(FixturePath(std::string("wc-host-0.18/") + actor))));
  }
  auto pk = host.StartCapabilityFromFile(WC_TEST_CHAOS);
  ASSERT_TRUE(Ok(pk));
  ASSERT_TRUE(Ok(host.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", *pk, {})));
  auto get = [&](const std::string& path) {
    auto reply = host.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet(path));
    if (!reply.ok()) return "error: " + reply.status().message();
    auto r = wire::DecodeHttpResponse(*reply);
    if (!r.ok()) return "not a Response: " + r.status().message();
    return std::to_string(r->status_code) + " " + std::string(AsChars(r->body));
  };
  ASSERT_EQ(get("/counter"), R"(200 {"counter":1})");
  std::string blocked;
  const auto t0 = Clock::now();
  std::thread caller([&] { blocked = get("/block"); });
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 10; ++i) {
    const auto e0 = Clock::now();
    auto reply = host.CallActor(kEchoKey, "HandleRequest", test::HttpGet("/x"));
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    EXPECT_LT(Clock::now() - e0, 1s);
  }
  caller.join();
  EXPECT_LT(Clock::now() - t0, 4s);
  EXPECT_EQ(blocked.find("200"), std::string::npos) << blocked;
  // The same provider (its count goes on) answers the next call.
  EXPECT_EQ(get("/counter"), R"(200 {"counter":2})");
  const auto s0 = Clock::now();
  (void)host.Stop();
  EXPECT_LT(Clock::now() - s0, 5s);
}

// A bare library has no claims: nothing says who made it, so it loads only when allowed.
TEST(UnsignedProviderTest, ABareLibraryNeedsAllowUnsignedProviders) {
  Host host(HostConfig{}, wasm::CreateV8Engine);
  ASSERT_TRUE(Ok(host.Start()));
  const size_t built_in = host.Providers().size();
  auto refused = host.StartCapabilityFromFile(WC_TEST_CHAOS);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(refused.status().message(),
            std::string(WC_TEST_CHAOS) +
                " is a bare provider library: it has no claims, so nothing says who made it; "
                "pack it with `wasmcloud par create`, or allow such libraries with "
                "--allow-unsigned-providers");
  EXPECT_EQ(host.Providers().size(), built_in);
  (void)host.Stop();
}

TEST_F(ProviderIsolationTest, ProcessIsolationNeedsAnExecutable) {
  HostConfig config;
  config.allow_unsigned_providers = true;
  Host host(std::move(config), wasm::CreateV8Engine);
  ASSERT_TRUE(Ok(host.Start()));
  auto pk = host.StartCapabilityFromFile(WC_TEST_CHAOS, "default", ProviderIsolation::kProcess);
  ASSERT_FALSE(pk.ok());
  EXPECT_EQ(pk.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(pk.status().message().find("no provider-host executable"), std::string::npos)
      << pk.status().message();
  (void)host.Stop();
}

// What a provider's child does not get of the host's environment: its secrets among the
// rest of its settings.
TEST(ProviderEnvironmentTest, TheHostsSettingsAndCredentialsAreHidden) {
  const std::vector<std::string> hidden = HostOnlyEnvironment();
  for (const char* name :
       {"WASMCLOUD_HOST_SEED", "RPC_SEED", "RPC_JWT", "RPC_CREDS", "CONTROL_SEED", "CONTROL_JWT",
        "CONTROL_CREDS", "OCI_REGISTRY_USER", "OCI_REGISTRY_PASSWORD", "WASMCLOUD_OCI_CREDENTIALS",
        "WASMCLOUD_RPC_TLS_KEY_FILE", "WASMCLOUD_PROVIDER_USER", "WASMCLOUD_REGISTRY_PASSWORD"}) {
    EXPECT_NE(std::find(hidden.begin(), hidden.end(), name), hidden.end()) << name;
  }
  for (const char* name : {"PATH", "HOME", "TMPDIR", "SSL_CERT_FILE", "AWS_ACCESS_KEY_ID"}) {
    EXPECT_EQ(std::find(hidden.begin(), hidden.end(), name), hidden.end()) << name;
  }
}

// The real uid of this process's child whose command line holds `word`, -1 when none.
long ChildUid(std::string_view word) {
  for (pid_t pid : testing::ChildProcesses(::getpid(), word)) {
    const std::string uid = testing::ProcStatus(pid, "Uid:");
    if (!uid.empty()) return std::stol(uid);
  }
  return -1;
}

// --provider-user reaches the child processes the host starts for providers.
TEST(ProviderUserTest, TheHostRunsItsProviderChildrenAsTheGivenUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "starting a child as another user needs root";
  ASSERT_TRUE(kChildSanitizerOptions);
  HostConfig config;
  config.provider_host_exe = WC_TEST_WASMCLOUD;
  config.allow_unsigned_providers = true;  // a bare .so
  config.provider_user = HostConfig::RunAs{65534, 65534};
  Host host(std::move(config), wasm::CreateV8Engine);
  ASSERT_TRUE(Ok(host.Start()));
  ASSERT_TRUE(Ok(host.StartActorFromFile(FixturePath("wc-host-0.18/kvcounter.wasm"))));
  auto pk = host.StartCapabilityFromFile(WC_TEST_CHAOS);
  ASSERT_TRUE(Ok(pk));
  ASSERT_TRUE(Ok(host.SetLink(kKvCounterKey, "wasmcloud:keyvalue", "default", *pk, {})));
  auto reply = host.CallActor(kKvCounterKey, "HandleRequest", test::HttpGet("/counter"));
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  auto r = wire::DecodeHttpResponse(*reply);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(std::string(AsChars(r->body)), R"({"counter":1})");
  EXPECT_EQ(ChildUid("provider-host"), 65534);
  (void)host.Stop();
}

// Where provider children run, seen from outside as an operator would (`/proc`): a root
// host starts each one in a PID namespace of its own (the child the host waits for is the
// namespace's process 1, the provider runs below it as process 2), and
// --no-provider-pid-namespace keeps them in the host's. A host that does not run as root
// (`wasmcloud up` as nobody, through setpriv) makes none, and says why once: a user
// namespace for it would let every process of its user trace the children. A root host
// whose kernel refuses the namespace (root without CAP_SYS_ADMIN, as in a container by
// default: setpriv takes it out of the bounding set) starts its children without one, and
// says so once, not once per child.
TEST(ProviderNamespaceTest, WhereProviderChildrenRunAsSeenFromOutside) {
  if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/setpriv")) {
    GTEST_SKIP() << "runs hosts as root and as nobody (through setpriv)";
  }
  const std::string dir = testing::MakeTempDir();
  std::filesystem::permissions(
      dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
               std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
               std::filesystem::perms::others_exec);
  const std::string manifest = dir + "/m.yaml";
  std::ofstream(manifest) << "capabilities:\n  - image_ref: " << WC_TEST_CHAOS
                          << "\n    isolation: process\n  - image_ref: " << WC_TEST_CHAOS
                          << "\n    link_name: second\n    isolation: process\n";
  std::filesystem::permissions(manifest, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write |
                                             std::filesystem::perms::others_read);
  struct Case {
    bool as_root;
    bool flag_off;
    bool sys_admin;
    bool namespaced;
  };
  const std::string refused = "runs in the host's PID namespace: cannot make";
  for (const Case c : {Case{true, false, true, true}, Case{true, true, true, false},
                       Case{false, false, true, false}, Case{true, false, false, false}}) {
    SCOPED_TRACE((c.as_root ? "root" : "nobody") + std::string(c.flag_off ? ", flag off" : "") +
                 (c.sys_admin ? "" : ", without CAP_SYS_ADMIN"));
    std::vector<std::string> args;
    if (!c.as_root) args = {"--reuid=65534", "--regid=65534", "--clear-groups"};
    if (!c.sys_admin) args = {"--bounding-set=-sys_admin"};
    for (const char* a : {WC_TEST_WASMCLOUD, "up", "--no-lattice", "--no-code-cache",
                          "--allow-unsigned-providers", "-m"}) {
      args.push_back(a);
    }
    args.push_back(manifest);
    if (c.flag_off) args.push_back("--no-provider-pid-namespace");
    testing::UpProcess up(args, {{"HOME", dir}}, false, "/usr/bin/setpriv");
    ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
    if (c.sys_admin && up.log().find(refused) != std::string::npos) {
      GTEST_SKIP() << "this kernel or container refuses PID namespaces: " << up.log();
    }
    EXPECT_EQ(up.log().find("the host does not run as root") != std::string::npos,
              !c.as_root && !c.flag_off)
        << up.log();
    // Refused: said once, at warn, for the first child, with the kernel's reason.
    const size_t said = up.log().find(refused);
    EXPECT_EQ(said != std::string::npos, !c.sys_admin) << up.log();
    if (said != std::string::npos) {
      EXPECT_EQ(up.log().find(refused, said + 1), std::string::npos) << up.log();
      EXPECT_NE(up.log().find("every later provider child of this host, runs in the host's "
                              "PID namespace: cannot make a PID namespace: clone: Operation "
                              "not permitted"),
                std::string::npos)
          << up.log();
    }
    const std::vector<pid_t> children = testing::ChildProcesses(up.pid(), "provider-host");
    ASSERT_EQ(children.size(), 2u) << up.log();
    for (const long child : children) {
      EXPECT_EQ(std::stol(testing::ProcStatus(child, "Uid:")), c.as_root ? 0 : 65534);
      if (c.namespaced) {
        EXPECT_EQ(testing::ProcStatus(child, "NSpid:"), std::to_string(child) + "\t1");
        const long provider = testing::FirstChild(child);
        ASSERT_GT(provider, 0);
        EXPECT_EQ(testing::ProcStatus(provider, "NSpid:"), std::to_string(provider) + "\t2");
        // Its /proc (seen through its root) lists the namespace's processes only.
        std::set<std::string> listed;
        std::error_code ec;
        const std::string its_proc = "/proc/" + std::to_string(provider) + "/root/proc";
        for (const auto& e : std::filesystem::directory_iterator(its_proc, ec)) {
          const std::string name = e.path().filename().string();
          if (name.find_first_not_of("0123456789") == std::string::npos) listed.insert(name);
        }
        EXPECT_EQ(listed, (std::set<std::string>{"1", "2"})) << ec.message() << "\n" << up.log();
      } else {
        EXPECT_EQ(testing::ProcStatus(child, "NSpid:"), std::to_string(child));
      }
    }
    EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wasmcloud::host
