// Providers in a child process (provider/process_provider.h), supervised: a misbehaving
// provider written against the C ABI (data/chaos_provider.c) crashes, blocks and calls
// back in every way the fault-boundary issue lists; the test process (the "host") stays
// up, each case is logged once naming the provider, and the provider comes back.
#include "provider/process_provider.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "core/sanitizers.h"
#include "provider/library_copy.h"
#include "provider/pid_namespace.h"
#include "provider/process_protocol.h"
#include "support/log_capture.h"
#include "support/run_command.h"
#include "support/up_process.h"

namespace wasmcloud::provider {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using wasmcloud::testing::Eventually;
using wasmcloud::testing::LogCapture;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Under ASan or TSan the child's SIGSEGV is caught by the sanitizer, which reports it
// and exits (status 1 or 66) instead of dying of the signal.
constexpr bool kSanitized = kAddressSanitizer || kThreadSanitizer;

// The child's filter allows ptrace under AddressSanitizer (its leak check uses it).
constexpr bool kAddressSanitized = kAddressSanitizer;

const bool kChildSanitizerOptions = wasmcloud::testing::LetSanitizedChildrenDieOfSignals();

constexpr const char* kActor = "MACTORAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

// The host as the provider sees it: answers "pong" to call_actor, records the
// supervision events, and logs under "provider Chaos" (as the real host names it).
class TestHost final : public ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view actor, std::string_view operation,
                          ByteView payload) override {
    return ToBytes("pong from " + std::string(actor) + " to " + std::string(operation) + "(" +
                   std::string(AsChars(payload)) + ")");
  }
  void Log(LogLevel level, std::string_view message) override {
    wasmcloud::Log(level, "provider Chaos", message);
  }
  void Count(std::string_view name, std::string_view labels, uint64_t add) override {
    std::lock_guard lock(mu_);
    counts_.push_back(std::string(name) + "{" + std::string(labels) + "} " + std::to_string(add));
  }
  std::vector<std::string> Counts() const {
    std::lock_guard lock(mu_);
    return counts_;
  }
  void OnSupervision(Supervision what, std::string_view detail) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::string(what == Supervision::kCrashed     ? "crashed: "
                                  : what == Supervision::kRestarted ? "restarted: "
                                                                    : "given up: ") +
                      std::string(detail));
  }
  std::vector<std::string> Events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
  std::vector<std::string> counts_;
};

ProcessProviderOptions Options(const char* library) {
  ProcessProviderOptions o;
  o.executable = WC_TEST_WASMCLOUD;
  o.library = library;
  o.display = "chaos";
  o.call_timeout = 2000ms;
  o.restart_backoff = 20ms;
  o.kill_grace = 300ms;
  return o;
}

Result<Bytes> Call(Provider& p, std::string_view what) {
  return p.HandleCall(kActor, "Add", ToBytes(what));
}

std::string Text(const Result<Bytes>& r) {
  return r.ok() ? std::string(AsChars(*r)) : "error: " + r.status().message();
}

class ProcessProviderTest : public ::testing::Test {
 protected:
  void Launch(ProcessProviderOptions o = Options(WC_TEST_CHAOS)) {
    auto p = LaunchProviderProcess(std::move(o));
    ASSERT_TRUE(p.ok()) << p.status().message();
    provider_ = *p;
    ASSERT_TRUE(provider_->Start(&host_).ok());
    ASSERT_TRUE(provider_->BindActor(kActor, {{"URL", "x"}}).ok());
  }
  void TearDown() override {
    if (provider_) provider_->Stop();
    provider_.reset();
  }
  // Back and serving: a normal call answers, and the link was bound again.
  bool ServingAgain() {
    return Eventually([&] { return Text(Call(*provider_, "bound")) == kActor; });
  }
  // The provider's pid in this process's namespace ("" when not found).
  std::string Pid() { return testing::HostPid(Text(Call(*provider_, "pid"))); }

  LogCapture log_;
  TestHost host_;
  std::shared_ptr<Provider> provider_;
};

TEST_F(ProcessProviderTest, ServesCallsFromAnotherProcess) {
  ASSERT_TRUE(kChildSanitizerOptions);
  Launch();
  EXPECT_EQ(provider_->Describe().contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(provider_->Describe().name, "Chaos");
  const std::string pid = Pid();
  EXPECT_NE(pid, std::to_string(::getpid()));
  auto r = Call(*provider_, "count");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(HexEncode(*r), "81a576616c756501");  // {"value": 1}
  EXPECT_EQ(Text(Call(*provider_, "bound")), kActor);
  EXPECT_TRUE(provider_->Health().ok());
  // The provider calls the actor back from a thread of its own.
  EXPECT_EQ(Text(Call(*provider_, "callback")),
            std::string("pong from ") + kActor + " to Ping(ping)");
  // Its counters reach the host through the channel.
  EXPECT_EQ(Text(Call(*provider_, "metric")), "counted");
  EXPECT_TRUE(Eventually(
      [&] { return host_.Counts() == std::vector<std::string>{"chaos_calls{kind=metric} 3"}; }));
  // Its stdout and stderr reach the log, prefixed.
  EXPECT_EQ(Text(Call(*provider_, "print")), "printed");
  EXPECT_TRUE(Eventually([&] {
    return log_.Count("[provider Chaos] stdout: chaos says hello on stdout") == 1 &&
           log_.Count("[provider Chaos] stderr: chaos says hello on stderr") == 1;
  })) << log_.All();
}

struct CrashCase {
  const char* word;
  const char* how;  // what the log and the error say
};

class CrashTest : public ProcessProviderTest, public ::testing::WithParamInterface<CrashCase> {};

TEST_P(CrashTest, CrashIsLoggedOnceAndTheProviderComesBack) {
  Launch();
  const std::string before = Pid();
  auto r = Call(*provider_, GetParam().word);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().message();
  EXPECT_NE(r.status().message().find("provider Chaos crashed ("), std::string::npos)
      << r.status().message();
  const bool signal_case = std::string_view(GetParam().how).find("signal") != std::string::npos;
  if (!(kSanitized && signal_case &&
        std::string_view(GetParam().how).find("SIGSEGV") != std::string::npos)) {
    EXPECT_NE(r.status().message().find(GetParam().how), std::string::npos) << r.status().message();
  }
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), before);
  EXPECT_EQ(log_.Count("ERROR [provider Chaos] process " + before), 1u) << log_.All();
  EXPECT_EQ(log_.Count("restarting in"), 1u) << log_.All();
  EXPECT_EQ(log_.Count("INFO [provider Chaos] restarted: process"), 1u) << log_.All();
  auto events = host_.Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].rfind("crashed: ", 0), 0u);
  EXPECT_EQ(events[1].rfind("restarted: ", 0), 0u);
  EXPECT_NE(events[1].find("1 of 1 link(s) bound again"), std::string::npos) << events[1];
}

INSTANTIATE_TEST_SUITE_P(Chaos, CrashTest,
                         ::testing::Values(CrashCase{"segv", "killed by signal 11 (SIGSEGV)"},
                                           CrashCase{"abort", "killed by signal 6 (SIGABRT)"},
                                           CrashCase{"exit", "exited with status 3"},
                                           CrashCase{"badbuf", "killed by signal 11 (SIGSEGV)"}),
                         [](const auto& info) { return std::string(info.param.word); });

// What the child does to itself before it loads the provider (child_confinement.h).
int OwnOomScoreAdj() {
  std::ifstream in("/proc/self/oom_score_adj");
  int v = 0;
  in >> v;
  return v;
}

// The seccomp mode of this test's own process (a container's profile, a systemd filter).
long OwnSeccompMode() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Seccomp:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

TEST_F(ProcessProviderTest, TheChildIsConfinedBeforeTheProviderLoads) {
  Launch();
  const std::string confined = Text(Call(*provider_, "confined"));
  EXPECT_THAT(confined, HasSubstr("nnp=1 seccomp=2 "));
  // The kernel ends a provider before its host when memory runs out; other processes of
  // the user cannot read its memory.
  EXPECT_THAT(confined, HasSubstr(" oom=" + std::to_string(std::min(1000, OwnOomScoreAdj() + 500)) +
                                  " dumpable=0 "));
  EXPECT_THAT(confined, HasSubstr(kAddressSanitized ? " ptrace=ESRCH " : " ptrace=EPERM "));
  EXPECT_THAT(confined, HasSubstr(" vmread=EPERM unshare=EPERM clonens=EPERM clone3=ENOSYS "));
  // Threads and processes are still made (libc falls back from clone3 to clone).
  EXPECT_THAT(confined, HasSubstr(" thread=ok spawn=ok "));
  // And it still serves.
  EXPECT_EQ(Text(Call(*provider_, "bound")), kActor);
}

TEST_F(ProcessProviderTest, WithoutSeccompTheCallsReachTheKernel) {
  if (OwnSeccompMode() != 0) GTEST_SKIP() << "this test runs under a seccomp filter of its own";
  auto o = Options(WC_TEST_CHAOS);
  o.seccomp = false;
  o.dumpable = true;
  Launch(o);
  const std::string confined = Text(Call(*provider_, "confined"));
  EXPECT_THAT(confined, HasSubstr("nnp=1 seccomp=0 "));
  EXPECT_THAT(confined, HasSubstr(" dumpable=1 "));
  EXPECT_THAT(confined, HasSubstr(" ptrace=ESRCH "));  // PEEKDATA of a process it does not trace
  EXPECT_THAT(confined, HasSubstr(" unshare=ok "));
  EXPECT_THAT(confined, HasSubstr(" clonens=EINVAL clone3=EINVAL "));  // the kernel's answers
  // As root in a PID namespace of its own it may unmount its /proc, and finds nothing of the
  // host's below it (process 1 detached the host's).
  if (CanMakePidNamespaces()) {
    EXPECT_EQ(Text(Call(*provider_, "uncover")), "umount=ok procs=") << log_.All();
  }
}

TEST_F(ProcessProviderTest, TheChildsOpenFilesAreLimited) {
  auto o = Options(WC_TEST_CHAOS);
  o.max_open_files = 64;
  Launch(o);
  EXPECT_THAT(Text(Call(*provider_, "confined")), EndsWith(" nofile=64"));
  const std::string files = Text(Call(*provider_, "files"));
  int opened = -1;
  ASSERT_EQ(std::sscanf(files.c_str(), "opened %d files", &opened), 1) << files;
  EXPECT_GT(opened, 0);
  EXPECT_LT(opened, 64);
  EXPECT_EQ(Text(Call(*provider_, "bound")), kActor);
}

// The host watches the child's resident memory: above the limit it is killed, which the
// call in flight, the log and the supervision events say, and restarted.
TEST_F(ProcessProviderTest, AChildAboveItsMemoryLimitIsKilledAndRestarted) {
  // What the child uses at rest (more under a sanitizer), plus room for a little work.
  Launch();
  const uint64_t at_rest = std::stoull(Text(Call(*provider_, "rss")));
  provider_->Stop();
  provider_.reset();
  auto o = Options(WC_TEST_CHAOS);
  o.max_memory_mb = at_rest + 128;
  o.call_timeout = 10000ms;
  Launch(o);
  const std::string before = Pid();
  EXPECT_EQ(Text(Call(*provider_, "bound")), kActor);  // small calls are fine
  auto r = Call(*provider_, "hog");                    // 512 MiB, held for 3 s
  ASSERT_FALSE(r.ok()) << Text(r);
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().message();
  const std::string limit =
      "was above the limit of " + std::to_string(at_rest + 128) + " MiB (--provider-max-memory-mb)";
  EXPECT_THAT(r.status().message(), HasSubstr("killed by signal 9 (SIGKILL)"));
  EXPECT_THAT(r.status().message(), HasSubstr(limit));
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), before);
  EXPECT_EQ(log_.Count("killed its process " + before + ": its resident memory, "), 1u)
      << log_.All();
  auto events = host_.Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].rfind("crashed: ", 0), 0u);
  EXPECT_THAT(events[0], HasSubstr(limit));
}

// The process group of `pid` (field 5 of /proc/<pid>/stat), -1 when it is gone.
long ProcessGroup(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  // After the command's closing parenthesis: state, ppid, pgrp.
  std::istringstream rest(stat.substr(stat.rfind(')') + 1));
  std::string state;
  long ppid = 0;
  long pgrp = -1;
  rest >> state >> ppid >> pgrp;
  return pgrp;
}

// The parent of process `pid` (/proc/<pid>/stat), -1 when it is gone.
long ParentOf(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  std::istringstream rest(stat.substr(stat.rfind(')') + 1));
  std::string state;
  long ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// Gone, or a zombie waiting for init to reap it (it runs no more).
bool ProcessEnded(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return true;
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// The memory limit counts what the provider started too: a helper process that grows
// above it ends with the provider, which is restarted. In a PID namespace of its own and in
// the host's.
TEST_F(ProcessProviderTest, ProcessesItStartedCountInItsMemoryLimit) {
  Launch();
  const uint64_t at_rest = std::stoull(Text(Call(*provider_, "rss")));
  provider_->Stop();
  provider_.reset();
  for (const bool namespaced : {true, false}) {
    SCOPED_TRACE(namespaced ? "in a PID namespace" : "in the host's");
    auto o = Options(WC_TEST_CHAOS);
    o.max_memory_mb = at_rest + 128;
    o.pid_namespace = namespaced;
    Launch(o);
    const std::string before = Pid();
    const std::string helper =
        testing::HostPid(Text(Call(*provider_, "fatchild")));  // 512 MiB for 20 s
    ASSERT_GT(std::atol(helper.c_str()), 0) << helper;
    const std::string killed = "killed its process " + before + ": its resident memory, ";
    EXPECT_TRUE(Eventually([&] { return log_.Count(killed) == 1; })) << log_.All();
    const std::string all = log_.All();
    const size_t at = all.find(killed);
    ASSERT_NE(at, std::string::npos);
    EXPECT_THAT(all.substr(at, all.find('\n', at) - at),
                EndsWith(" MiB in 2 processes (the provider's and those it started), was above "
                         "the limit of " +
                         std::to_string(at_rest + 128) + " MiB (--provider-max-memory-mb)"));
    EXPECT_TRUE(Eventually([&] { return ProcessEnded(helper); })) << "helper " << helper;
    ASSERT_TRUE(ServingAgain()) << log_.All();
    EXPECT_NE(Pid(), before);
    provider_->Stop();
    provider_.reset();
  }
}

TEST_F(ProcessProviderTest, AProviderThatSignalsItsProcessGroupEndsOnlyItself) {
  Launch();
  const std::string before = Pid();
  // Checked before the signal is sent: were the child in this test's group, the SIGTERM
  // would end this test and whatever shares its group (ctest).
  // The group is led by the child (or, in its PID namespace, by the namespace's process 1,
  // the provider's parent), which this test started.
  const long group = ProcessGroup(before);
  ASSERT_EQ(ParentOf(group), static_cast<long>(::getpid())) << "the child leads a process group";
  ASSERT_NE(group, static_cast<long>(::getpgrp()));
  auto r = Call(*provider_, "killgroup");
  ASSERT_FALSE(r.ok()) << Text(r);
  EXPECT_THAT(r.status().message(), HasSubstr("killed by signal 15 (SIGTERM)"));
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), before);
}

TEST_F(ProcessProviderTest, WhatAProviderStartedEndsWithItsProcess) {
  // When the child crashes (and is restarted) ...
  Launch();
  const std::string helper = testing::HostPid(Text(Call(*provider_, "helper")));
  ASSERT_GT(std::atol(helper.c_str()), 0) << helper;
  EXPECT_FALSE(ProcessEnded(helper));
  EXPECT_FALSE(Call(*provider_, "segv").ok());
  EXPECT_TRUE(Eventually([&] { return ProcessEnded(helper); })) << "sleep " << helper;
  ASSERT_TRUE(ServingAgain()) << log_.All();
  // ... and when the provider stops.
  const std::string second = testing::HostPid(Text(Call(*provider_, "helper")));
  ASSERT_GT(std::atol(second.c_str()), 0) << second;
  EXPECT_FALSE(ProcessEnded(second));
  provider_->Stop();
  provider_.reset();
  EXPECT_TRUE(Eventually([&] { return ProcessEnded(second); })) << "sleep " << second;
}

// For tests that play the host on a child's channel: the next frame of `type`, skipping
// the others (log lines).
Result<proc::Message> NextFrame(int fd, proc::Type type) {
  for (;;) {
    auto m = proc::ReadFrame(fd);
    if (!m.ok() || m->type == type) return m;
  }
}

// Calls the chaos provider with `word` (call id 1) on such a channel and returns its reply.
Result<proc::Message> CallOnChannel(int fd, std::string_view word) {
  proc::Message call;
  call.type = proc::Type::kCall;
  call.id = 1;
  call.a = kActor;
  call.b = "Add";
  call.payload = ToBytes(word);
  WC_RETURN_IF_ERROR(proc::WriteFrame(fd, call));
  return NextFrame(fd, proc::Type::kReply);
}

// A host that goes away without stopping its child (killed, crashed): the child ends, and
// so does what its provider started. The test plays that host: it starts
// `wasmcloud provider-host` as a host does (a process group of its own, the channel on fd
// 3), has the provider start a helper, then closes its end of the channel.
TEST_F(ProcessProviderTest, WhenItsHostVanishesTheChildEndsWithWhatItStarted) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  std::string exe = WC_TEST_WASMCLOUD;
  std::string library = WC_TEST_CHAOS;
  std::vector<std::string> args = {"wasmcloud", "provider-host", "--fd",       "3",
                                   "--library", library,         "--own-group"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = -1;
  ASSERT_EQ(posix_spawn(&child, exe.c_str(), &fa, &attr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  const int fd = sv[0];
  ASSERT_TRUE(NextFrame(fd, proc::Type::kHello).ok());
  auto reply = CallOnChannel(fd, "helper");
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  const std::string helper = testing::HostPid(std::string(AsChars(reply->payload)));
  ASSERT_GT(std::atol(helper.c_str()), 0) << AsChars(reply->payload);
  EXPECT_FALSE(ProcessEnded(helper));

  ::close(fd);  // the host is gone
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_TRUE(Eventually([&] { return ProcessEnded(helper); })) << "sleep " << helper;
}

// The host's own settings and credentials stay out of the child's environment; the rest
// of it is passed on.
TEST_F(ProcessProviderTest, TheChildDoesNotGetTheHostsHiddenEnvironment) {
  ::setenv("WC_TEST_HOST_SECRET", "SNAAAASECRET", 1);
  ::setenv("WC_TEST_PROVIDER_SETTING", "kept", 1);
  auto o = Options(WC_TEST_CHAOS);
  o.hidden_environment = {"WC_TEST_HOST_SECRET"};
  Launch(o);
  EXPECT_EQ(Text(Call(*provider_, "getenv:WC_TEST_HOST_SECRET")), "(unset)");
  EXPECT_EQ(Text(Call(*provider_, "getenv:WC_TEST_PROVIDER_SETTING")), "kept");
  ::unsetenv("WC_TEST_HOST_SECRET");
  ::unsetenv("WC_TEST_PROVIDER_SETTING");
}

// --provider-user: the child becomes another user before anything of the provider runs.
// It still loads a library only the host's user can read (copied before the change), and
// then can neither read the host's files nor signal it.
TEST_F(ProcessProviderTest, TheChildRunsAsTheUserItIsGiven) {
  if (::geteuid() != 0) GTEST_SKIP() << "starting a child as another user needs root";
  const std::string dir = ::testing::TempDir() + "/wc_user_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  struct RemoveAtExit {
    std::string dir;
    ~RemoveAtExit() { std::filesystem::remove_all(dir); }
  } remove_at_exit{dir};
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);  // 0700
  // The library itself readable by root alone, too (0600: loaded from a copy).
  const std::string library = dir + "/chaos.so";
  std::filesystem::copy_file(WC_TEST_CHAOS, library);
  std::filesystem::permissions(
      library, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // And one that anyone may read, in the same directory (loaded through its descriptor).
  const std::string readable = dir + "/chaos-readable.so";
  std::filesystem::copy_file(WC_TEST_CHAOS, readable);
  std::filesystem::permissions(readable, std::filesystem::perms::owner_all |
                                             std::filesystem::perms::group_read |
                                             std::filesystem::perms::others_read);
  const std::string secret = dir + "/host.seed";
  std::ofstream(secret) << "SNAAAA";
  std::filesystem::permissions(
      secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // The user alone, without the PID namespace (tested on its own below), which would
  // hide the host from the child whatever its user.
  const std::string whoami = "whoami signal:" + std::to_string(::getpid()) + " read:" + secret;
  auto o = Options(library.c_str());
  o.uid = 65534;
  o.gid = 65534;
  o.pid_namespace = false;
  Launch(o);
  EXPECT_EQ(Text(Call(*provider_, whoami)),
            "uid=65534 gid=65534 groups=1 signal_host=EPERM read=EACCES");
  EXPECT_EQ(Text(Call(*provider_, "bound")), kActor);
  // The rest of its confinement holds as before.
  const std::string confined = Text(Call(*provider_, "confined"));
  EXPECT_THAT(confined, HasSubstr("nnp=1"));
  EXPECT_THAT(confined, HasSubstr("dumpable=0"));
  // A restart (after a crash) runs as that user again.
  const std::string before = Pid();
  EXPECT_FALSE(Call(*provider_, "segv").ok());
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), before);
  EXPECT_EQ(Text(Call(*provider_, whoami)),
            "uid=65534 gid=65534 groups=1 signal_host=EPERM read=EACCES");
  provider_->Stop();
  provider_.reset();

  auto o2 = Options(readable.c_str());
  o2.uid = 65534;
  o2.gid = 65534;
  o2.pid_namespace = false;
  Launch(o2);
  EXPECT_EQ(Text(Call(*provider_, whoami)),
            "uid=65534 gid=65534 groups=1 signal_host=EPERM read=EACCES");
  provider_->Stop();
  provider_.reset();

  // The host's sealed copy of the library (what a host hands its children): loaded as that
  // user too, though the file the path names may be read by root alone.
  auto bytes = ReadFile(library);
  ASSERT_TRUE(bytes.ok());
  auto copy = LibraryCopy::Make(*bytes, "chaos.so");
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  auto o4 = Options(library.c_str());
  o4.uid = 65534;
  o4.gid = 65534;
  o4.pid_namespace = false;
  o4.library_copy = *copy;
  Launch(o4);
  EXPECT_EQ(Text(Call(*provider_, whoami)),
            "uid=65534 gid=65534 groups=1 signal_host=EPERM read=EACCES");
  provider_->Stop();
  provider_.reset();

  // Without it: the host's user, which may read its own file.
  auto o3 = Options(library.c_str());
  o3.pid_namespace = false;
  Launch(o3);
  EXPECT_EQ(
      Text(Call(*provider_, whoami)),
      "uid=0 gid=0 groups=" + std::to_string(::getgroups(0, nullptr)) + " signal_host=ok read=ok");
}

// A child started from the host's copy of the library (library_copy.h) loads that copy
// at every restart: the file its path names may have been replaced by another build of
// the same key and revision (another host unpacked it into the shared cache) or removed
// (`wasmcloud drain`); before, a restart loaded whatever the path held then, or failed
// until the provider was given up on. With and without a PID namespace of its own (the
// copy reaches the child on another descriptor in each).
std::string NsPids(const std::string& pid);  // below

class LibraryCopyTest : public ProcessProviderTest, public ::testing::WithParamInterface<bool> {};

TEST_P(LibraryCopyTest, ARestartLoadsTheCopyNotWhatThePathHoldsNow) {
  if (GetParam() && !CanMakePidNamespaces()) GTEST_SKIP() << "PID namespaces are made by root";
  struct TempDir {
    std::string path = testing::MakeTempDir();
    ~TempDir() { std::filesystem::remove_all(path); }
  } temp;
  const std::string& dir = temp.path;
  const std::string library = dir + "/x86_64-linux.so";
  std::filesystem::copy_file(WC_TEST_CHAOS, library);
  auto bytes = ReadFile(library);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto copy = LibraryCopy::Make(*bytes, "x86_64-linux.so");
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  // Read-only, and sealed: nothing can write into it, through any descriptor.
  EXPECT_EQ(::write((*copy)->fd(), "x", 1), -1);
  EXPECT_EQ(errno, EBADF);
  const int writable =
      ::open(("/proc/self/fd/" + std::to_string((*copy)->fd())).c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(writable, 0);
  EXPECT_EQ(::write(writable, "x", 1), -1);
  EXPECT_EQ(errno, EPERM);
  ::close(writable);
  auto o = Options(library.c_str());
  o.library_copy = *copy;
  o.pid_namespace = GetParam();
  Launch(o);
  if (GetParam() && log_.Count("runs in the host's PID namespace") > 0) {
    GTEST_SKIP() << "this kernel or container refuses PID namespaces: " << log_.All();
  }
  if (GetParam()) {  // on descriptor 5, below the namespace's process 1
    EXPECT_EQ(NsPids(Pid()).substr(NsPids(Pid()).find('\t') + 1), "2");
  }
  EXPECT_EQ(Text(Call(*provider_, "bound")), kActor);

  // Another provider (another contract) where the path points.
  const std::string other = dir + "/other.so";
  std::filesystem::copy_file(WC_TEST_C_PROVIDER, other);
  std::filesystem::rename(other, library);
  EXPECT_FALSE(Call(*provider_, "segv").ok());
  ASSERT_TRUE(ServingAgain()) << log_.All();  // "bound" is chaos's
  EXPECT_EQ(provider_->Describe().contract_id, "wasmcloud:keyvalue");

  // Nothing where the path points.
  std::filesystem::remove(library);
  const std::string before = Pid();
  EXPECT_FALSE(Call(*provider_, "segv").ok());
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), before);
  EXPECT_EQ(log_.Count("restart failed"), 0u) << log_.All();
}

INSTANTIATE_TEST_SUITE_P(Namespace, LibraryCopyTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "InOne" : "WithoutOne"; });

// The NSpid line of /proc/<pid>/status: the pid in each PID namespace it is in, the
// host's first ("1234\t1" for process 1 of a namespace of its own).
std::string NsPids(const std::string& pid) {
  return testing::ProcStatus(static_cast<pid_t>(std::stol(pid)), "NSpid:");
}

// By default the child is process 1 of a PID namespace of its own: it cannot name its
// host (or anything else of the host's namespace) to signal it, whatever its user.
TEST_F(ProcessProviderTest, TheChildRunsInAPidNamespaceOfItsOwn) {
  if (!CanMakePidNamespaces()) GTEST_SKIP() << "PID namespaces are made by a root host";
  const std::string host = std::to_string(::getpid());
  Launch();
  if (log_.Count("runs in the host's PID namespace") != 0) {
    GTEST_SKIP() << "this kernel or container refuses PID namespaces: " << log_.All();
  }
  const std::string pid = Pid();
  ASSERT_FALSE(pid.empty());
  // The provider is process 2, below the namespace's process 1 (the host's child).
  EXPECT_EQ(Text(Call(*provider_, "nspid")), "2");
  // Its /proc is the namespace's: it lists the namespace's processes only, and has no
  // entry for the host (whose memory a provider running as root could otherwise write).
  EXPECT_EQ(Text(Call(*provider_, "procs")), "1 2");
  EXPECT_THAT(Text(Call(*provider_, "whoami read:/proc/" + host + "/mem")),
              HasSubstr(" read=ENOENT"))
      << log_.All();
  // Processes only: nothing of the machine's (a container's masks of those stay whole).
  EXPECT_THAT(Text(Call(*provider_, "whoami read:/proc/sys/kernel/core_pattern")),
              HasSubstr(" read=ENOENT"));
  EXPECT_THAT(Text(Call(*provider_, "whoami read:/proc/self/status")), HasSubstr(" read=ok"));
  // The filter refuses to unmount it.
  EXPECT_EQ(Text(Call(*provider_, "uncover")), "umount=EPERM procs=1 2");
  EXPECT_EQ(NsPids(pid), pid + "\t2");
  EXPECT_EQ(NsPids(std::to_string(ParentOf(std::stol(pid)))),
            std::to_string(ParentOf(std::stol(pid))) + "\t1");
  EXPECT_EQ(ParentOf(ParentOf(std::stol(pid))), static_cast<long>(::getpid()));
  EXPECT_THAT(Text(Call(*provider_, "whoami signal:" + host + " read:/")),
              HasSubstr(" signal_host=ESRCH "));
  // What it starts is in its namespace and ends with it.
  const std::string helper_answer = Text(Call(*provider_, "helper"));  // "pid:[N] <pid>"
  const std::string helper = testing::HostPid(helper_answer);
  ASSERT_FALSE(helper.empty()) << helper_answer;
  EXPECT_THAT(NsPids(helper), ::testing::StartsWith(helper + "\t"));
  EXPECT_EQ(Text(Call(*provider_, "procs")),
            "1 2 " + helper_answer.substr(helper_answer.rfind(' ') + 1));
  // A restart gets a namespace again; the host supervises it by its own pid.
  EXPECT_FALSE(Call(*provider_, "segv").ok());
  EXPECT_TRUE(Eventually([&] { return ProcessEnded(helper); })) << "sleep " << helper;
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), pid);
  EXPECT_EQ(Text(Call(*provider_, "nspid")), "2");
  EXPECT_EQ(Text(Call(*provider_, "procs")), "1 2");
  provider_->Stop();
  provider_.reset();

  // With --provider-user, both processes of the namespace run as that user.
  auto as_nobody = Options(WC_TEST_CHAOS);
  as_nobody.uid = 65534;
  as_nobody.gid = 65534;
  Launch(as_nobody);
  const std::string nobody = Pid();
  EXPECT_THAT(Text(Call(*provider_, "whoami signal:" + host + " read:/")),
              ::testing::StartsWith("uid=65534 gid=65534 groups=1 signal_host=ESRCH "));
  EXPECT_THAT(NsPids(nobody), nobody + "\t2");
  EXPECT_EQ(Text(Call(*provider_, "procs")), "1 2");
  EXPECT_THAT(testing::ProcStatus(static_cast<pid_t>(ParentOf(std::stol(nobody))), "Uid:"),
              ::testing::StartsWith("65534\t65534"));
  provider_->Stop();
  provider_.reset();

  // Without it, the child is in the host's namespace and (as the same user) may signal it.
  auto o = Options(WC_TEST_CHAOS);
  o.pid_namespace = false;
  Launch(o);
  const std::string shared = Pid();
  EXPECT_EQ(Text(Call(*provider_, "nspid")), shared);
  EXPECT_EQ(NsPids(shared), shared);
  EXPECT_THAT(Text(Call(*provider_, "whoami signal:" + host + " read:/")),
              HasSubstr(" signal_host=ok "));
  // ... and sees the host's processes in /proc.
  EXPECT_THAT(Text(Call(*provider_, "procs")), HasSubstr(" " + host));
  EXPECT_THAT(Text(Call(*provider_, "whoami read:/proc/" + host + "/status")),
              HasSubstr(" read=ok"));
  EXPECT_THAT(Text(Call(*provider_, "whoami read:/proc/sys/kernel/core_pattern")),
              HasSubstr(" read=ok"));
}

// A host that vanishes while its provider is still loading (blocked in create): the
// namespace's process 1 sees the channel close, gives the provider its grace (1.5 s) and
// kills it. (Without a namespace the provider's own watcher does this; in one,
// its parent is process 1 for good.) The test plays the host.
TEST(ProcessProviderNamespaceTest, WhenItsHostVanishesDuringTheLoadTheNamespaceEnds) {
  if (!CanMakePidNamespaces()) GTEST_SKIP() << "PID namespaces are made by a root host";
  int sv[2], out[2], status[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(status, O_CLOEXEC), 0);
  std::vector<std::string> args = {WC_TEST_WASMCLOUD,
                                   "provider-host",
                                   "--fd",
                                   "3",
                                   "--library",
                                   WC_TEST_CHAOS_BLOCK_CREATE,
                                   "--own-group",
                                   "--status-fd",
                                   std::to_string(kStatusFd)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  NamespaceSpawn spawn;
  spawn.path = WC_TEST_WASMCLOUD;
  spawn.argv = argv.data();
  spawn.envp = environ;
  spawn.stdout_fd = ::fcntl(out[1], F_DUPFD_CLOEXEC, 10);
  spawn.stderr_fd = ::fcntl(out[1], F_DUPFD_CLOEXEC, 10);
  spawn.channel_fd = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
  spawn.status_fd = ::fcntl(status[1], F_DUPFD_CLOEXEC, 10);
  Result<pid_t> pid = SpawnInPidNamespace(spawn);
  for (int fd : {spawn.stdout_fd, spawn.stderr_fd, spawn.channel_fd, spawn.status_fd, sv[1], out[1],
                 status[1]}) {
    ::close(fd);
  }
  if (!pid.ok() && pid.status().code() == Code::kFailedPrecondition) {
    GTEST_SKIP() << pid.status().message();
  }
  ASSERT_TRUE(pid.ok()) << pid.status().message();
  // The provider's process, blocked in create.
  long provider = -1;
  ASSERT_TRUE(Eventually([&] { return (provider = testing::FirstChild(*pid)) > 0; }));
  EXPECT_EQ(NsPids(std::to_string(provider)), std::to_string(provider) + "\t2");
  ::close(sv[0]);  // the host is gone
  int wait_status = 0;
  EXPECT_TRUE(Eventually([&] { return ::waitpid(*pid, &wait_status, WNOHANG) == *pid; }))
      << "process 1 is still there";
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  EXPECT_TRUE(ProcessEnded(std::to_string(provider)));
  // After its grace, process 1 killed the provider and said so.
  int reported = 0;
  ASSERT_EQ(::read(status[0], &reported, sizeof reported), static_cast<ssize_t>(sizeof reported));
  EXPECT_TRUE(WIFSIGNALED(reported) && WTERMSIG(reported) == SIGKILL) << reported;
  ::close(status[0]);
  ::close(out[0]);
}

// Where process 1 may not make its mount namespace (a seccomp profile that refuses
// unshare, as a container runtime's may), it says so at warn on the channel and the
// provider runs with the host's /proc. The test plays the host: a fork of it makes a PID
// namespace, refuses unshare to itself and what it starts (a raw filter: nothing that
// allocates after the fork), and its child, process 1, executes provider-host as the host
// would start it.
TEST(ProcessProviderNamespaceTest, AProcessOneThatCannotMountSaysSoAndTheProviderRunsOn) {
  if (!CanMakePidNamespaces()) GTEST_SKIP() << "PID namespaces are made by a root host";
  if (kThreadSanitizer) GTEST_SKIP() << "runs code in a fork of a multi-threaded process";
  int sv[2], status[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_EQ(::pipe2(status, O_CLOEXEC), 0);
  // Above 9 and without close-on-exec, so that dup2 to 3 and 4 cannot overwrite them.
  const int channel_end = ::fcntl(sv[1], F_DUPFD, 10);
  const int status_end = ::fcntl(status[1], F_DUPFD, 10);
  ASSERT_GE(channel_end, 10);
  ASSERT_GE(status_end, 10);
  std::vector<std::string> args = {
      WC_TEST_WASMCLOUD, "provider-host",           "--fd",        "3", "--library", WC_TEST_CHAOS,
      "--status-fd",     std::to_string(kStatusFd), "--mount-proc"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  const pid_t outer = ::fork();
  if (outer == 0) {
    // The test's ends stay the test's alone: its close of the channel is the host's end.
    ::close(sv[0]);
    ::close(status[0]);
    if (::unshare(CLONE_NEWPID) != 0) ::_exit(10);
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) ::_exit(11);
    const pid_t one = ::fork();
    if (one == 0) {
      if (::dup2(channel_end, 3) != 3 || ::dup2(status_end, kStatusFd) != kStatusFd) ::_exit(12);
      ::execve(argv[0], argv.data(), environ);
      ::_exit(13);
    }
    ::close(channel_end);
    ::close(status_end);
    int st = 0;
    while (::waitpid(one, &st, 0) < 0 && errno == EINTR) {
    }
    ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 14);
  }
  for (int fd : {channel_end, status_end, sv[1], status[1]}) ::close(fd);
  ASSERT_GT(outer, 0);
  const int fd = sv[0];
  // Process 1's warning comes before the provider's hello.
  std::vector<proc::Message> logs;
  Result<proc::Message> m = proc::ReadFrame(fd);
  while (m.ok() && m->type == proc::Type::kLog) {
    logs.push_back(*m);
    m = proc::ReadFrame(fd);
  }
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->type, proc::Type::kHello);
  bool warned = false;
  for (const auto& l : logs) {
    const std::string text(AsChars(l.payload));
    if (text.find("the provider sees the host's /proc") == std::string::npos) continue;
    warned = true;
    EXPECT_EQ(l.level, static_cast<int64_t>(LogLevel::kWarn));
    EXPECT_THAT(text,
                HasSubstr("cannot make a mount namespace (unshare): Operation not permitted"));
  }
  EXPECT_TRUE(warned);
  // It serves, and sees this process in its /proc.
  Result<proc::Message> reply = CallOnChannel(fd, "procs");
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_THAT(std::string(AsChars(reply->payload)), HasSubstr(" " + std::to_string(::getpid())));
  ::close(fd);  // the host is done: the namespace ends after the provider's grace
  int wait_status = 0;
  ASSERT_EQ(::waitpid(outer, &wait_status, 0), outer);
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  ::close(status[0]);
}

TEST_F(ProcessProviderTest, StrayThreadCrashAfterTheReply) {
  Launch();
  const std::string before = Pid();
  EXPECT_EQ(Text(Call(*provider_, "stray")), "ok");
  ASSERT_TRUE(Eventually([&] {
    return log_.Count("ERROR [provider Chaos] process " + before) == 1;
  })) << log_.All();
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), before);
}

TEST_F(ProcessProviderTest, BlockedCallTimesOutOthersGoOnAndTheChildIsReplaced) {
  Launch();
  const std::string before = Pid();
  const auto t0 = Clock::now();
  std::thread blocked([&] {
    auto r = Call(*provider_, "block");
    EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
    EXPECT_NE(r.status().message().find("did not answer handle_call within 2000 ms"),
              std::string::npos)
        << r.status().message();
  });
  // While one call blocks, others are answered at once.
  for (int i = 0; i < 20; ++i) {
    const auto c0 = Clock::now();
    ASSERT_TRUE(Call(*provider_, "count").ok());
    EXPECT_LT(Clock::now() - c0, 1500ms);
  }
  blocked.join();
  EXPECT_LT(Clock::now() - t0, 5s);
  // Past the grace period the stuck child is killed and a new one serves.
  ASSERT_TRUE(Eventually([&] { return log_.Count("handle_call was still running") >= 1; }))
      << log_.All();
  ASSERT_TRUE(ServingAgain()) << log_.All();
  EXPECT_NE(Pid(), before);
}

TEST_F(ProcessProviderTest, GivenUpAfterTooManyCrashes) {
  auto o = Options(WC_TEST_CHAOS);
  o.max_crashes = 2;
  Launch(o);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Eventually([&] {
      auto r = Call(*provider_, "abort");
      return r.status().message().find("crashed") != std::string::npos;
    })) << i;
  }
  ASSERT_TRUE(Eventually([&] {
    auto r = Call(*provider_, "count");
    return !r.ok() && r.status().message().find("was given up on") != std::string::npos;
  })) << log_.All();
  auto r = Call(*provider_, "count");
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("crashed 3 times within 60000 ms"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(Eventually([&] {
    return log_.Count("was given up on") == 1 && !host_.Events().empty() &&
           host_.Events().back().rfind("given up: ", 0) == 0;
  })) << log_.All();
  auto events = host_.Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().rfind("given up: ", 0), 0u);
}

// An executable given by path (an embedder's choice; `up` uses /proc/self/exe) that is gone
// when a restart needs it: each restart fails with the reason, counts as a crash, and the
// provider is given up on; the log names no pid for a process that never started.
TEST_F(ProcessProviderTest, ARestartWhoseExecutableIsGoneFailsClearlyAndIsGivenUp) {
  const std::string dir = ::testing::TempDir() + "/wc_exe_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string exe = dir + "/wasmcloud";
  std::filesystem::copy_file(WC_TEST_WASMCLOUD, exe,
                             std::filesystem::copy_options::overwrite_existing);
  auto o = Options(WC_TEST_CHAOS);
  o.executable = exe;
  o.max_crashes = 2;
  Launch(o);
  std::filesystem::remove_all(dir);
  EXPECT_NE(Call(*provider_, "abort").status().message().find("crashed"), std::string::npos);
  ASSERT_TRUE(Eventually([&] {
    auto r = Call(*provider_, "count");
    return !r.ok() && r.status().message().find("was given up on") != std::string::npos;
  })) << log_.All();
  EXPECT_GE(log_.Count("restart failed: cannot start the provider process " + exe), 1u)
      << log_.All();
  EXPECT_GE(log_.Count("the process did not start"), 1u) << log_.All();
  EXPECT_EQ(log_.Count("process -1"), 0u) << log_.All();
}

TEST_F(ProcessProviderTest, CallsDuringTheRestartFailClearly) {
  auto o = Options(WC_TEST_CHAOS);
  o.restart_backoff = 1000ms;
  Launch(o);
  ASSERT_FALSE(Call(*provider_, "segv").ok());
  auto r = Call(*provider_, "count");
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("is restarting after a crash"), std::string::npos)
      << r.status().message();
  ASSERT_TRUE(ServingAgain());
}

TEST_F(ProcessProviderTest, CreateThatBlocksIsBounded) {
  auto o = Options(WC_TEST_CHAOS_BLOCK_CREATE);
  o.load_timeout = 500ms;
  const auto t0 = Clock::now();
  auto p = LaunchProviderProcess(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kUnavailable);
  EXPECT_NE(p.status().message().find("did not load within 500 ms"), std::string::npos)
      << p.status().message();
  EXPECT_LT(Clock::now() - t0, 3s);
}

TEST_F(ProcessProviderTest, CreateThatAbortsIsAnError) {
  auto p = LaunchProviderProcess(Options(WC_TEST_CHAOS_ABORT_CREATE));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kUnavailable);
  EXPECT_NE(p.status().message().find("crashed while loading: killed by signal 6 (SIGABRT)"),
            std::string::npos)
      << p.status().message();
}

TEST_F(ProcessProviderTest, CreateThatThrowsIsAnError) {
  auto p = LaunchProviderProcess(Options(WC_TEST_THROW_CREATE));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("wasmcloud_provider_create threw: chaos: thrown from create"),
            std::string::npos)
      << p.status().message();
}

TEST_F(ProcessProviderTest, LoadErrorsOfTheChildAreReported) {
  auto missing = LaunchProviderProcess(Options("/nonexistent/libnothing.so"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/libnothing.so: no such file"),
            std::string::npos)
      << missing.status().message();
  auto o = Options(WC_TEST_C_PROVIDER);
  o.contract = "wasmcloud:keyvalue";
  auto wrong = LaunchProviderProcess(o);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("contract id test:c, expected wasmcloud:keyvalue"),
            std::string::npos)
      << wrong.status().message();
  o.executable = "/nonexistent/wasmcloud";
  auto no_exe = LaunchProviderProcess(o);
  ASSERT_FALSE(no_exe.ok());
  EXPECT_EQ(no_exe.status().code(), Code::kUnavailable);
}

TEST_F(ProcessProviderTest, BindThatBlocksIsBoundedAndTheChildReplaced) {
  auto o = Options(WC_TEST_CHAOS_BLOCK_BIND);
  o.control_timeout = 300ms;
  auto p = LaunchProviderProcess(o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  provider_ = *p;
  ASSERT_TRUE(provider_->Start(&host_).ok());
  const auto t0 = Clock::now();
  Status s = provider_->BindActor(kActor, {});
  EXPECT_EQ(s.code(), Code::kDeadlineExceeded) << s.message();
  EXPECT_NE(s.message().find("did not answer bind_actor within 300 ms"), std::string::npos)
      << s.message();
  EXPECT_LT(Clock::now() - t0, 2s);
  EXPECT_TRUE(Eventually([&] { return log_.Count("bind_actor was still running") >= 1; }))
      << log_.All();
}

TEST_F(ProcessProviderTest, StopThatBlocksIsBounded) {
  auto o = Options(WC_TEST_CHAOS_BLOCK_STOP);
  o.control_timeout = 300ms;
  auto p = LaunchProviderProcess(o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_TRUE((*p)->Start(&host_).ok());
  const pid_t pid = static_cast<pid_t>(std::stoi(testing::HostPid(Text(Call(**p, "pid")))));
  const auto t0 = Clock::now();
  (*p)->Stop();
  EXPECT_LT(Clock::now() - t0, 8s);  // 300 ms for stop, up to 2 s for the exit, then a kill
  EXPECT_NE(::kill(pid, 0), 0);      // gone (and reaped)
  auto r = Call(**p, "count");
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
}

// A stop lets the provider's process end by itself, in its PID namespace too: what a clean
// exit does (stdio flushed, the library's destroy) happens before the namespace ends.
TEST_F(ProcessProviderTest, AStoppedProviderExitsCleanly) {
  size_t stops = 0;
  for (const bool namespaced : {true, false}) {
    SCOPED_TRACE(namespaced ? "in a PID namespace" : "in the host's");
    ++stops;
    auto o = Options(WC_TEST_CHAOS);
    o.pid_namespace = namespaced;
    Launch(o);
    EXPECT_EQ(Text(Call(*provider_, "unflushed")), "buffered");
    provider_->Stop();
    EXPECT_TRUE(Eventually([&] {
      return log_.Count("stdout: chaos wrote this at its exit") == stops;
    })) << log_.All();
    provider_.reset();
  }
}

TEST_F(ProcessProviderTest, StopEndsTheChildAndLaterCallsAreRefused) {
  Launch();
  const pid_t pid = static_cast<pid_t>(std::stoi(Pid()));
  provider_->Stop();
  EXPECT_NE(::kill(pid, 0), 0);
  auto r = Call(*provider_, "count");
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("is stopped"), std::string::npos) << r.status().message();
  EXPECT_TRUE(host_.Events().empty());  // a stop is not a crash
  EXPECT_EQ(log_.Count("ERROR"), 0u) << log_.All();
}

TEST_F(ProcessProviderTest, APayloadTooLargeForTheChannelFailsThatCallOnly) {
  Launch();
  const std::string before = Pid();
  Bytes huge(65u << 20, 'x');
  auto r = provider_->HandleCall(kActor, "Add", huge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << r.status().message();
  EXPECT_NE(r.status().message().find("at most 67108864"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Pid(), before);  // the child was not restarted for it
  EXPECT_TRUE(host_.Events().empty());
}

TEST_F(ProcessProviderTest, ConcurrentCallsWhileItCrashesAllGetAnAnswer) {
  Launch();
  std::atomic<int> answered{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = Call(*provider_, (t == 0 && i == 10) ? "segv" : "count");
        (void)r;  // ok, crashed, or restarting: never a hang
        answered.fetch_add(1);
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(answered.load(), 400);
  ASSERT_TRUE(ServingAgain()) << log_.All();
}

}  // namespace
}  // namespace wasmcloud::provider
