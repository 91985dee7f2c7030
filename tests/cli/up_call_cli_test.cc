// `wasmcloud call` and `wasmcloud up`: what a user sees on stdout, stderr and in the
// exit code, with the upstream actors and manifests written by the test.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "support/run_command.h"
#include "support/up_process.h"

namespace wasmcloud {
namespace {

using testing::FixturePath;
using testing::RunCommand;
using testing::UpProcess;
using testing::WasmcloudBinary;

constexpr char kEcho[] = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr char kHealthRequest[] = "81ab706c616365686f6c646572c3";
constexpr char kHealthResponse[] = "82a76865616c746879c3a76d657373616765a0";

struct ScopedTempDir {
  std::string path = testing::MakeTempDir();
  ~ScopedTempDir() { std::filesystem::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
};

TEST(CallCliTest, CallsAnActorOfAManifestAndPrintsTheResponse) {
  ScopedTempDir dir;
  std::string manifest =
      dir.Write("echo.yaml", "actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") + "\n");
  auto r = RunCommand({WasmcloudBinary(), "call", "-m", manifest, kEcho, "HealthRequest",
                       "--data-hex", kHealthRequest, "--hex"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kHealthResponse) + "\n");
}

TEST(CallCliTest, CallsByCallAliasWithAManifestInJson) {
  ScopedTempDir dir;
  std::string manifest =
      dir.Write("m.json", "{\"actors\": [\"" + FixturePath("wc-host-0.18/ponger.wasm") + "\"]}");
  // Ping {value: 11} -> {value: 53}
  auto r =
      RunCommand({WasmcloudBinary(), "call", "--manifest", manifest, "wasmcloud/examples/ponger",
                  "Ping", "--data-hex", "81a576616c75650b", "--hex"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "81a576616c756535\n");
}

TEST(CallCliTest, GuestErrorIsExitOneWithTheGuestsMessage) {
  ScopedTempDir dir;
  std::string manifest =
      dir.Write("echo.yaml", "actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") + "\n");
  auto r = RunCommand({WasmcloudBinary(), "call", "-m", manifest, kEcho, "Nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("No handler registered for function \"Nope\""), std::string::npos) << r.err;
}

TEST(CallCliTest, UnknownActorIsExitOne) {
  ScopedTempDir dir;
  std::string manifest = dir.Write("empty.yaml", "labels:\n  a: b\n");
  auto r = RunCommand({WasmcloudBinary(), "call", "-m", manifest, "no-such-alias", "Op"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Specified actor was not a public key or a known call alias."),
            std::string::npos)
      << r.err;
}

TEST(CallCliTest, BadManifestIsExitTwoWithLineAndColumn) {
  ScopedTempDir dir;
  std::string manifest = dir.Write("bad.yaml", "actors:\n  - a.wasm\nlinks:\n  - actor: x\n");
  auto r = RunCommand({WasmcloudBinary(), "call", "-m", manifest, kEcho, "HealthRequest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:4:"), std::string::npos) << r.err;
}

TEST(CallCliTest, AManifestEntryThatFailsIsExitOneNamingIt) {
  ScopedTempDir dir;
  std::string manifest =
      dir.Write("m.yaml", "actors:\n  - " + FixturePath("wascap/loop.wasm") + "\n  - " +
                              FixturePath("wc-host-0.18/echo.wasm") + "\n");
  auto r = RunCommand({WasmcloudBinary(), "call", "-m", manifest, kEcho, "HealthRequest"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("m.yaml:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no jwt section"), std::string::npos) << r.err;
}

TEST(CallCliTest, HostFlagsAreCheckedAndFallBackToTheEnvironment) {
  ScopedTempDir dir;
  std::string manifest =
      dir.Write("echo.yaml", "actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") + "\n");
  auto bad = RunCommand(
      {WasmcloudBinary(), "call", "-m", manifest, kEcho, "HealthRequest", "--workers", "many"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--workers"), std::string::npos) << bad.err;
  // An issuer list without echo's issuer refuses it; the variable is the flag's fallback.
  auto refused = RunCommand(
      {"env", "WASMCLOUD_ALLOWED_ISSUERS=ABWB27PJPGIGRSYSZ55WGXZOWB3RDV3ESI2V2J5A4JUQLDP6NHM5YXAL",
       WasmcloudBinary(), "call", "-m", manifest, kEcho, "HealthRequest"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("allowed issuers"), std::string::npos) << refused.err;
}

// kvcounter's HandleRequest for GET /foo (its key is ":foo").
constexpr char kGetFoo[] =
    "85a66d6574686f64a3474554a470617468a42f666f6fab7175657279537472696e67a0a668656164657280a4"
    "626f6479c400";

std::string KeyValueLibrary() {
  return std::string(WC_BUILD_DIR) + "/providers/libwasmcloud_keyvalue.so";
}

TEST(CallCliTest, AProviderArchiveMadeByParCreateServesKvcounter) {
  ScopedTempDir dir;
  std::string par = dir.path + "/kv.par.gz";
  auto created = RunCommand({WasmcloudBinary(), "par", "create", "--capid", "wasmcloud:keyvalue",
                             "--name", "KV", "--vendor", "test", "--binary", KeyValueLibrary(),
                             "-d", par, "--keys-dir", dir.path + "/keys", "--format", "json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto inspected = RunCommand({WasmcloudBinary(), "par", "inspect", par, "-o", "json"});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  std::string key_field = "\"sub\":\"";
  size_t at = inspected.out.find(key_field);
  ASSERT_NE(at, std::string::npos) << inspected.out;
  std::string provider = inspected.out.substr(at + key_field.size(), 56);
  std::string manifest = dir.Write(
      "m.yaml", "actors:\n  - " + FixturePath("wc-host-0.18/kvcounter.wasm") +
                    "\ncapabilities:\n  - image_ref: kv.par.gz\nlinks:\n"
                    "  - actor: MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E\n"
                    "    contract_id: wasmcloud:keyvalue\n    provider_id: " +
                    provider + "\n");
  // TMPDIR keeps the unpacked library in the test's directory.
  auto r = RunCommand({"env", "TMPDIR=" + dir.path, WasmcloudBinary(), "call", "-m", manifest,
                       "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E", "HandleRequest",
                       "--data-hex", kGetFoo});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("{\"counter\":1}"), std::string::npos) << r.out;
  EXPECT_TRUE(
      std::filesystem::exists(dir.path + "/wasmcloudcache/" + provider + "/0/x86_64-linux.so"));

  // The same library packed under another contract: the host says which is which.
  std::string other = dir.path + "/other.par.gz";
  created = RunCommand({WasmcloudBinary(), "par", "create", "--capid", "acme:other", "--name", "KV",
                        "--vendor", "test", "--binary", KeyValueLibrary(), "-d", other,
                        "--keys-dir", dir.path + "/keys"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string wrong = dir.Write("w.yaml", "capabilities:\n  - image_ref: other.par.gz\n");
  r = RunCommand({"env", "TMPDIR=" + dir.path, WasmcloudBinary(), "call", "-m", wrong,
                  "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E", "HandleRequest",
                  "--data-hex", kGetFoo});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("contract id wasmcloud:keyvalue, expected acme:other (the library "
                       "declares another contract than the archive's claims, `par create "
                       "--capid acme:other`: pack it with the library's)"),
            std::string::npos)
      << r.err;
}

TEST(CallCliTest, TheBuildPacksTheKeyValueProviderAsASignedArchive) {
  auto r = RunCommand({WasmcloudBinary(), "par", "inspect",
                       std::string(WC_BUILD_DIR) + "/providers/keyvalue.par.gz", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"capid\":\"wasmcloud:keyvalue\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"verified\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"x86_64-linux\""), std::string::npos) << r.out;
}

TEST(CallCliTest, AProviderLibraryByPathServesKvcounter) {
  ScopedTempDir dir;
  // A library without claims gets a key from the host, so the link cannot name it in a
  // manifest; the test only checks that it starts (and the call reaches the actor).
  std::string manifest =
      dir.Write("m.yaml", "actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") +
                              "\ncapabilities:\n  - image_ref: " + KeyValueLibrary() + "\n");
  // Without claims nothing says who made it: refused unless allowed.
  auto refused = RunCommand({WasmcloudBinary(), "call", "-m", manifest, kEcho, "HealthRequest",
                             "--data-hex", kHealthRequest, "--hex"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(KeyValueLibrary() + " is a bare provider library"), std::string::npos)
      << refused.err;
  auto r = RunCommand({WasmcloudBinary(), "call", "-m", manifest, kEcho, "HealthRequest",
                       "--data-hex", kHealthRequest, "--hex", "--allow-unsigned-providers"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kHealthResponse) + "\n");
}

TEST(CallCliTest, UpstreamRustProviderArchivesAreRefusedWithAClearReason) {
  ScopedTempDir dir;
  std::string manifest = dir.Write(
      "m.yaml",
      "capabilities:\n  - image_ref: " + FixturePath("providers/libwascc_redis.par.gz") + "\n");
  auto r = RunCommand(
      {"env", "TMPDIR=" + dir.path, WasmcloudBinary(), "call", "-m", manifest, kEcho, "Op"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("m.yaml:2:5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not implement this host's provider C ABI"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Rust trait objects"), std::string::npos) << r.err;
}

TEST(UpCliTest, RunsUntilSigtermLogsWhatItStartedAndStopsCleanly) {
  ScopedTempDir dir;
  std::string manifest = dir.Write("m.yaml", "labels:\n  zone: test\nactors:\n  - " +
                                                 FixturePath("wc-host-0.18/echo.wasm") + "\n  - " +
                                                 FixturePath("wc-host-0.18/ponger.wasm") + "\n");
  UpProcess up({"up", "--manifest", manifest, "--label", "team=core", "--no-lattice"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_NE(up.log().find("is up (single-player)"), std::string::npos) << up.log();
  EXPECT_NE(up.log().find("started actor Echo (" + std::string(kEcho) + ")"), std::string::npos)
      << up.log();
  // The start-up ends with counts, not the inventory again: each start was said once.
  EXPECT_NE(up.log().find("running until SIGINT or SIGTERM: 2 actor(s), 2 provider(s)"),
            std::string::npos)
      << up.log();
  EXPECT_EQ(up.log().find(kEcho), up.log().rfind(kEcho)) << up.log();
  EXPECT_NE(up.log().find("MAS242Z2N4ZNGKGC2KGLVHLC4FBCDPF634TR563XBTNW3VR5RX25253X"),
            std::string::npos);
  EXPECT_NE(up.log().find("wasmcloud:extras"), std::string::npos);
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  EXPECT_NE(up.log().find("received SIGTERM, stopping"), std::string::npos) << up.log();
  EXPECT_NE(up.log().find("stopped"), std::string::npos) << up.log();
}

// A cgroup of its own with a CPU quota (cgroup v1's cpu controller or v2's cpu.max), for
// processes moved into it; removed by the destructor. `dir` is empty where this process
// may not make one (not root, no cpu controller mounted where systemd and runtimes put it).
struct ScopedCpuCgroup {
  std::string dir;
  std::string limit_file;
  explicit ScopedCpuCgroup(int quota_us) {
    const std::string name = "/wc_test_" + std::to_string(getpid());
    if (geteuid() != 0) return;
    if (std::filesystem::exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) {
      dir = "/sys/fs/cgroup/cpu" + name;
      limit_file = dir + "/cpu.cfs_quota_us";
      if (!Make(limit_file, std::to_string(quota_us)) ||
          !Write(dir + "/cpu.cfs_period_us", "100000")) {
        Remove();
      }
      return;
    }
    std::ifstream subtree("/sys/fs/cgroup/cgroup.subtree_control");
    std::string controllers((std::istreambuf_iterator<char>(subtree)), {});
    if (controllers.find("cpu") == std::string::npos) return;
    dir = "/sys/fs/cgroup" + name;
    limit_file = dir + "/cpu.max";
    if (!Make(limit_file, std::to_string(quota_us) + " 100000")) Remove();
  }
  ~ScopedCpuCgroup() { Remove(); }
  bool Make(const std::string& file, const std::string& text) {
    return mkdir(dir.c_str(), 0755) == 0 && Write(file, text);
  }
  static bool Write(const std::string& file, const std::string& text) {
    std::ofstream out(file);
    out << text;
    out.close();
    return !out.fail();
  }
  void Remove() {
    if (!dir.empty()) rmdir(dir.c_str());
    dir.clear();
  }
};

// Under a CPU quota of one CPU (a container's --cpus 1, a Kubernetes limit of 1000m) on a
// machine of more, the host sizes its defaults to one CPU, and says why.
TEST(UpCliTest, SizesItsWorkersToItsCgroupsCpuQuota) {
  ScopedCpuCgroup cgroup(100000);
  if (cgroup.dir.empty()) GTEST_SKIP() << "needs root and a cpu cgroup controller";
  UpProcess up({"-c", "echo $$ > \"$1\" && exec \"$0\" up --no-lattice", WasmcloudBinary(),
                cgroup.dir + "/cgroup.procs"},
               {}, false, "/bin/sh");
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  // One worker per usable CPU, plus one.
  EXPECT_NE(up.log().find(" started with 2 worker(s) on 1 CPU (of "), std::string::npos)
      << up.log();
  EXPECT_NE(up.log().find(" by affinity, cgroup CPU quota 1.00 in " + cgroup.limit_file + ")"),
            std::string::npos)
      << up.log();
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();

  // Outside it, the same host counts the CPUs of its affinity and names no quota
  // (where the test itself runs under none).
  UpProcess free({"up", "--no-lattice"});
  ASSERT_TRUE(free.WaitFor("running until SIGINT or SIGTERM")) << free.log();
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  const int cpus = CPU_COUNT(&set);
  if (free.log().find("cgroup CPU quota") == std::string::npos) {
    EXPECT_NE(free.log().find(" started with " + std::to_string(cpus + 1) + " worker(s) on " +
                              std::to_string(cpus) + (cpus == 1 ? " CPU " : " CPUs ")),
              std::string::npos)
        << free.log();
  }
  EXPECT_EQ(free.Stop(SIGTERM), 0) << free.log();
}

// A provider in a child process that crashes after the host's binary was removed (an
// upgrade in place replaces it) is restarted from the build the host runs: the child is
// started through /proc/self/exe, not through a path that now names nothing (or another
// build).
TEST(UpCliTest, AProviderRestartsAfterTheHostsBinaryWasRemoved) {
  ScopedTempDir dir;
  const std::string binary = dir.path + "/wasmcloud";
  std::filesystem::copy_file(WasmcloudBinary(), binary);
  std::string manifest =
      dir.Write("m.yaml", "capabilities:\n  - image_ref: " + KeyValueLibrary() + "\n");
  // --dumpable: the children too, whose /proc/<pid>/exe a test run by the same user reads.
  UpProcess up({"up", "--no-lattice", "--manifest", manifest, "--allow-unsigned-providers",
                "--provider-isolation", "process", "--dumpable"},
               {{"TMPDIR", dir.path}}, false, binary);
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  std::vector<pid_t> children = testing::ChildProcesses(up.pid(), "provider-host");
  ASSERT_EQ(children.size(), 1u) << up.log();
  const pid_t first = children[0];
  // Named as the host is (started through /proc/self/exe, the kernel called it "exe",
  // which pgrep and pidof do not find by the program's name).
  std::ifstream comm("/proc/" + std::to_string(first) + "/comm");
  std::string name;
  std::getline(comm, name);
  EXPECT_EQ(name, "wasmcloud");

  std::filesystem::remove(binary);
  ASSERT_EQ(kill(first, SIGKILL), 0);
  ASSERT_TRUE(up.WaitFor("restarted", std::chrono::seconds(30))) << up.log();
  EXPECT_NE(up.log().find("killed by signal 9 (SIGKILL)"), std::string::npos) << up.log();
  EXPECT_EQ(up.log().find("restart failed"), std::string::npos) << up.log();
  children = testing::ChildProcesses(up.pid(), "provider-host");
  ASSERT_EQ(children.size(), 1u) << up.log();
  EXPECT_NE(children[0], first);
  // The new child runs the removed file: the same build as its host.
  std::error_code ec;
  const std::string exe =
      std::filesystem::read_symlink("/proc/" + std::to_string(children[0]) + "/exe", ec).string();
  EXPECT_EQ(exe, binary + " (deleted)");
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

TEST(UpCliTest, SigintStopsItToo) {
  UpProcess up({"up"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_EQ(up.Stop(SIGINT), 0) << up.log();
  EXPECT_NE(up.log().find("received SIGINT"), std::string::npos) << up.log();
}

// coreutils `timeout` sends its SIGTERM to the process and then to its process group: the
// same signal from the same sender twice, microseconds apart. That is one request to stop,
// not two (the second used to end `up` at once, skipping the graceful stop). Two signals
// sent back to back here would merge while the first is pending; the second goes once
// the first has been taken, well inside the second `up` allows.
TEST(UpCliTest, TheSameSignalDeliveredTwiceAtOnceIsOneRequest) {
  UpProcess up({"up", "--no-lattice"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  up.Signal(SIGTERM);
  ASSERT_TRUE(up.WaitFor("received SIGTERM, stopping")) << up.log();
  up.Signal(SIGTERM);
  EXPECT_EQ(up.Wait(), 0) << up.log();
  EXPECT_EQ(up.log().find("exiting at once"), std::string::npos) << up.log();
  // (It logs "received SIGTERM again from process N at once …" at info; not asserted: on a
  // loaded machine the stop may be over before the second signal comes.)
}

// A second signal ends `up` at once, during a stop that would take long (a provider whose
// stop never returns holds the graceful stop for its 10 s control timeout). And signals
// work from the first moment: during a manifest that hangs on a registry that never
// answers, a SIGINT cancels the pull and stops `up` (nothing after it is applied).
TEST(UpCliTest, ASecondSignalStopsAtOnceAndTheFirstIsHonouredAfterStartUp) {
  int port = 0;
  int silent = testing::ListenOnLoopback(16, &port);  // accepts, never answers
  ASSERT_GE(silent, 0);
  ScopedTempDir dir;
  const std::string registry = "127.0.0.1:" + std::to_string(port);
  std::string manifest = dir.Write("m.yaml", "actors:\n  - " + registry + "/hangs:0.1.0\n");
  std::string later =
      dir.Write("later.yaml", "actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") + "\n");
  {
    // (The stop must still be under way when the second signal comes: a stop that ends
    // by itself, as one cancelling a pull does within curl's next progress call, races
    // with it.)
    std::string blocking =
        dir.Write("blocking.yaml", std::string("capabilities:\n  - image_ref: ") +
                                       WC_TEST_CHAOS_BLOCK_STOP + "\n    isolation: in-process\n");
    UpProcess up({"up", "--manifest", blocking, "--allow-unsigned-providers", "--no-lattice"});
    ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
    // A third-party provider in the host's process is said to be one.
    EXPECT_NE(up.log().find(": runs in the host's process (isolation: in-process): a crash of "
                            "it ends the host"),
              std::string::npos)
        << up.log();
    up.Signal(SIGTERM);
    ASSERT_TRUE(up.WaitFor("send it again to exit at once")) << up.log();
    auto start = std::chrono::steady_clock::now();
    // From another process, as a user's second `kill` is.
    ASSERT_EQ(RunCommand({"kill", "-TERM", std::to_string(up.pid())}).exit_code, 0);
    EXPECT_EQ(up.Wait(), 128 + SIGTERM) << up.log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_NE(up.log().find("received SIGTERM again: exiting at once"), std::string::npos)
        << up.log();
    // It ended inside the stop, which had not finished.
    EXPECT_TRUE(std::regex_search(up.log(), std::regex("\\[host\\] host N[A-Z0-9]+ started")))
        << up.log();
    EXPECT_FALSE(std::regex_search(up.log(), std::regex("\\[host\\] host N[A-Z0-9]+ stopped")))
        << up.log();
  }
  {
    UpProcess up({"up", "--manifest", manifest, "--manifest", later, "--allowed-insecure", registry,
                  "--no-lattice"});
    ASSERT_TRUE(up.WaitFor("is up (single-player)")) << up.log();
    // The pull has begun once its connection waits in the registry's backlog.
    pollfd pulling{silent, POLLIN, 0};
    ASSERT_EQ(::poll(&pulling, 1, 10000), 1) << up.log();
    auto start = std::chrono::steady_clock::now();
    up.Signal(SIGINT);
    // The pull is cancelled (not left to its 300 s timeout); `up` stops without applying
    // `later`.
    EXPECT_EQ(up.Wait(), 0) << up.log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_NE(up.log().find("cancelled (the host is stopping)"), std::string::npos) << up.log();
    EXPECT_NE(up.log().find("received SIGINT, stopping"), std::string::npos) << up.log();
    EXPECT_EQ(up.log().find("started actor"), std::string::npos) << up.log();
    EXPECT_EQ(up.log().find("running until"), std::string::npos) << up.log();
  }
  close(silent);
}

TEST(UpCliTest, TheExampleManifestOfTheMainJobRuns) {
  UpProcess up({"up", "--manifest", std::string(WC_SOURCE_DIR) + "/examples/echo.yaml"});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_NE(up.log().find("started actor Example echo"), std::string::npos) << up.log();
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
}

// The README's main job: examples/demo.yaml serves the example kvcounter over HTTP with
// the first-party archives; each GET counts up (on a free port instead of 8080).
TEST(UpCliTest, TheDemoManifestServesACounterOverHttp) {
  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  UpProcess up({"up", "--manifest", std::string(WC_SOURCE_DIR) + "/examples/demo.yaml"},
               {{"DEMO_PORT", std::to_string(port)}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_EQ(up.log().find("failed"), std::string::npos) << up.log();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hits";
  for (int i = 1; i <= 3; ++i) {
    auto r = RunCommand({"curl", "-sS", "--max-time", "10", url});
    ASSERT_EQ(r.exit_code, 0) << r.err << up.log();
    EXPECT_EQ(r.out, "{\"counter\":" + std::to_string(i) + "}");
  }
  // Another path is another key.
  auto other = RunCommand(
      {"curl", "-sS", "--max-time", "10", "http://127.0.0.1:" + std::to_string(port) + "/other"});
  EXPECT_EQ(other.out, "{\"counter\":1}");
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  // Stopped: the port no longer answers.
  auto after = RunCommand({"curl", "-sS", "--max-time", "5", url});
  EXPECT_NE(after.exit_code, 0);
}

TEST(UpCliTest, APortInUseIsReportedAsTheManifestLinkThatFailed) {
  // Something else listens on the port the demo's HTTP server link asks for.
  int port = -1;
  const int busy = testing::ListenOnLoopback(1, &port);
  ASSERT_GE(busy, 0);

  UpProcess up({"up", "--manifest", std::string(WC_SOURCE_DIR) + "/examples/demo.yaml"},
               {{"DEMO_PORT", std::to_string(port)}});
  // It stops (exit 1) rather than run with nothing served on the port.
  EXPECT_EQ(up.Wait(), 1) << up.log();
  EXPECT_EQ(up.log().find("running until"), std::string::npos) << up.log();
  // The manifest's result names the link, the provider's refusal and the address.
  EXPECT_NE(up.log().find("1 entry failed"), std::string::npos) << up.log();
  EXPECT_NE(up.log().find("refused to bind actor"), std::string::npos) << up.log();
  EXPECT_NE(up.log().find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << up.log();
  EXPECT_NE(up.log().find("stopping: an entry of"), std::string::npos) << up.log();
  EXPECT_NE(up.log().find("(--keep-going runs with what could be applied)"), std::string::npos)
      << up.log();

  // --keep-going: it runs with the rest (the echo actor is there), the failure logged.
  UpProcess going(
      {"up", "--keep-going", "--manifest", std::string(WC_SOURCE_DIR) + "/examples/demo.yaml"},
      {{"DEMO_PORT", std::to_string(port)}});
  ASSERT_TRUE(going.WaitFor("running until SIGINT or SIGTERM")) << going.log();
  EXPECT_NE(going.log().find("cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << going.log();
  EXPECT_EQ(going.Stop(SIGTERM), 0) << going.log();
  close(busy);
}

}  // namespace
}  // namespace wasmcloud
