#include "provider/process_provider.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/text.h"
#include "core/thread_pool.h"
#include "provider/pid_namespace.h"
#include "provider/process_protocol.h"

extern char** environ;

namespace wasmcloud::provider {
namespace {

using Clock = std::chrono::steady_clock;
using proc::Message;
using proc::Type;

// The provider's calls back into the host (call_actor) that may run at once.
constexpr unsigned kCallbackThreads = 4;
constexpr size_t kMaxQueuedCallbacks = 1024;
// How long a child that closed its channel (or was told to stop) may take to exit.
constexpr auto kExitWait = std::chrono::seconds(2);
// A line of the child's stdout/stderr longer than this is cut.
constexpr size_t kMaxOutputLine = 4096;

std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// One child process and the threads that read from it.
struct Child {
  pid_t pid = -1;
  // In a PID namespace of its own (SpawnInPidNamespace; status_fd set), `pid` is the
  // namespace's process 1 and the provider runs in its child, this one (known once it
  // said hello): the process the log names and the memory limit reads.
  std::atomic<pid_t> provider_pid{-1};
  pid_t shown_pid() const {
    const pid_t p = provider_pid.load();
    return p > 0 ? p : pid;
  }
  int fd = -1;      // the socket to the child
  int out_fd = -1;  // its stdout
  int err_fd = -1;  // its stderr
  uint64_t generation = 0;
  std::mutex write_mu;
  std::thread reader;
  std::thread output;
  // Guarded by ProcessProvider::mu_.
  bool channel_closed = false;
  std::optional<Message> hello;  // kHello or kLoadFailed
  std::string killed_because;    // why the host killed it, when it did
  bool exited = false;           // seen to exit (not yet reaped, maybe)
  bool reaped = false;
  int wait_status = 0;
  // In a PID namespace: the read end of the pipe on which its process 1 reports how the
  // provider's process ended (the child's own wait status says only how process 1 did);
  // -1 otherwise.
  int status_fd = -1;
  bool namespaced() const { return status_fd >= 0; }
  // Set once the child was reaped: the output reader stops when the pipes are quiet
  // (a grandchild may hold them open).
  std::atomic<bool> ended{false};

  Status Send(const Message& m) {
    std::lock_guard lock(write_mu);
    return proc::WriteFrame(fd, m);
  }
  ~Child() {
    for (int f : {fd, out_fd, err_fd, status_fd}) {
      if (f >= 0) ::close(f);
    }
  }
};
using ChildPtr = std::shared_ptr<Child>;

// A request sent to a child, waiting for its reply.
struct Pending {
  std::condition_variable cv;
  uint64_t generation = 0;
  Type type = Type::kCall;
  bool done = false;
  Message reply;
  std::optional<Status> failed;  // the child ended (or the provider stopped) first
  bool abandoned = false;        // the caller gave up at its deadline
  Clock::time_point kill_at{};
};

// The resident memory of process `pid` in KiB (/proc/<pid>/statm); nullopt when it cannot
// be read (it has ended).
std::optional<uint64_t> ResidentKiB(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/statm").c_str(), "r");
  if (f == nullptr) return std::nullopt;
  unsigned long long size = 0, resident = 0;
  const bool ok = std::fscanf(f, "%llu %llu", &size, &resident) == 2;
  std::fclose(f);
  if (!ok) return std::nullopt;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) >> 10;
}

// The children of process `pid`, of all of its threads (/proc/<pid>/task/<tid>/children:
// a child belongs to the thread that forked it); empty when it has none or has ended.
std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(task.c_str());
  if (dir == nullptr) return children;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    FILE* f = std::fopen((task + "/" + e->d_name + "/children").c_str(), "r");
    if (f == nullptr) continue;
    long child = 0;
    while (std::fscanf(f, "%ld", &child) == 1) children.push_back(static_cast<pid_t>(child));
    std::fclose(f);
  }
  ::closedir(dir);
  return children;
}

// What the memory limit reads: the resident memory of some processes, summed (pages they
// share count once per process, as `ps` adds them up), and how many there were.
struct Resident {
  uint64_t mib = 0;
  size_t processes = 0;
};

// The process group of process `pid` (/proc/<pid>/stat), -1 when it cannot be read.
pid_t ProcessGroupOf(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return -1;
  char line[1024];
  const bool read = std::fgets(line, sizeof line, f) != nullptr;
  std::fclose(f);
  if (!read) return -1;
  // After the command's closing parenthesis: state, ppid, pgrp.
  const char* close = strrchr(line, ')');
  char state = 0;
  long ppid = 0, pgrp = -1;
  if (close == nullptr || std::sscanf(close + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) {
    return -1;
  }
  return static_cast<pid_t>(pgrp);
}

// The resident memory of `tops` and of every process below them, at most 4096 processes
// (a tree larger than that is counted in part); nullopt when none of them can be read.
// With `group` > 0, only the processes of that process group count (what a kill of the
// group reaches; the tree below the others is still walked).
std::optional<Resident> ResidentOfTrees(std::vector<pid_t> tops, pid_t group) {
  constexpr size_t kMaxProcesses = 4096;
  uint64_t kib = 0;
  size_t processes = 0;
  std::deque<pid_t> todo(tops.begin(), tops.end());
  for (size_t seen = 0; !todo.empty() && seen < kMaxProcesses; ++seen) {
    const pid_t pid = todo.front();
    todo.pop_front();
    for (pid_t c : ChildrenOf(pid)) todo.push_back(c);
    if (group > 0 && ProcessGroupOf(pid) != group) continue;
    const std::optional<uint64_t> own = ResidentKiB(pid);
    if (!own) continue;  // ended meanwhile
    kib += *own;
    ++processes;
  }
  if (processes == 0) return std::nullopt;
  return Resident{kib >> 10, processes};
}

// SIGKILL to the child and the processes it started that are still in its process group
// (one of its own since Spawn); the child itself even if it left that group. Only for a
// child not yet reaped, whose pid (and so its group's id) cannot be another's.
void KillGroup(pid_t pid) {
  if (pid <= 0) return;  // kill(0) and kill(-1) mean this group and every process
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig);
}

// Set once the kernel has refused a PID namespace (EPERM, EINVAL, ENOSYS): later children
// of this process start without trying again.
std::atomic<bool>& NamespacesRefused() {
  static std::atomic<bool> refused{false};
  return refused;
}

struct Spawned {
  pid_t pid = -1;
  int status_fd = -1;  // in a PID namespace of its own: the read end of its process 1's report
};

Result<Spawned> Spawn(const ProcessProviderOptions& o, int child_fd, int out_fd, int err_fd) {
  // Above 10 first, so that no dup2 below overwrites a source (a host started with 1 or
  // 2 closed hands them out again).
  const bool copy = o.library_copy != nullptr;
  int high[4] = {::fcntl(out_fd, F_DUPFD_CLOEXEC, 10), ::fcntl(err_fd, F_DUPFD_CLOEXEC, 10),
                 ::fcntl(child_fd, F_DUPFD_CLOEXEC, 10),
                 copy ? ::fcntl(o.library_copy->fd(), F_DUPFD_CLOEXEC, 10) : -1};
  struct CloseHigh {
    int* fds;
    ~CloseHigh() {
      for (int i = 0; i < 4; ++i) {
        if (fds[i] >= 0) ::close(fds[i]);
      }
    }
  } close_high{high};
  if (high[0] < 0 || high[1] < 0 || high[2] < 0 || (copy && high[3] < 0)) {
    return Unavailable(std::string("cannot start the provider process: ") + strerror(errno));
  }
  // argv[0] is the program's name as `ps` shows it: "/proc/self/exe" (how `up` starts
  // its own binary) would say nothing there.
  const std::string argv0 = o.executable == "/proc/self/exe" ? "wasmcloud" : o.executable;
  std::vector<std::string> args = {
      argv0,       "provider-host", "--fd",        "3",
      "--library", o.library,       "--log-level", std::string(LogLevelName(o.log_level))};
  if (o.contract) {
    args.push_back("--contract");
    args.push_back(*o.contract);
  }
  args.push_back("--own-group");  // POSIX_SPAWN_SETPGROUP below, or SpawnInPidNamespace
  if (!o.seccomp) args.push_back("--no-seccomp");
  if (o.dumpable) args.push_back("--dumpable");
  if (o.max_open_files != 0) {
    args.push_back("--max-open-files");
    args.push_back(std::to_string(o.max_open_files));
  }
  if (o.uid) {
    args.push_back("--uid");
    args.push_back(std::to_string(*o.uid));
    args.push_back("--gid");
    args.push_back(std::to_string(o.gid.value_or(*o.uid)));
  }
  // The host's environment less what the child must not see.
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    if (std::find(o.hidden_environment.begin(), o.hidden_environment.end(), name) ==
        o.hidden_environment.end()) {
      envp.push_back(*e);
    }
  }
  envp.push_back(nullptr);
  // The signals the host blocks or catches that the child gets back at their default.
  const std::vector<int> default_signals = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT};
  if (o.pid_namespace && !CanMakePidNamespaces()) {
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) {
      Log(LogLevel::kInfo, "provider",
          "provider children run in the host's PID namespace: the host does not run as root "
          "(docs/providers.md#a-pid-namespace-of-its-own)");
    }
  } else if (o.pid_namespace && !NamespacesRefused().load(std::memory_order_acquire)) {
    int status[2];
    if (::pipe2(status, O_CLOEXEC | O_NONBLOCK) != 0) {
      return Unavailable(std::string("cannot create a pipe: ") + strerror(errno));
    }
    // The write end above 9, where the child's dup3 calls cannot land on it.
    const int status_write = ::fcntl(status[1], F_DUPFD_CLOEXEC, 10);
    ::close(status[1]);
    std::vector<std::string> ns_args = args;
    ns_args.push_back("--status-fd");
    ns_args.push_back(std::to_string(kStatusFd));
    ns_args.push_back("--mount-proc");  // and a /proc of its own (process_child.cc)
    if (copy) {
      ns_args.push_back("--library-fd");
      ns_args.push_back(std::to_string(kLibraryFd));
    }
    std::vector<char*> argv;
    for (auto& a : ns_args) argv.push_back(a.data());
    argv.push_back(nullptr);
    NamespaceSpawn spawn;
    spawn.path = o.executable.c_str();
    spawn.argv = argv.data();
    spawn.envp = envp.data();
    spawn.stdout_fd = high[0];
    spawn.stderr_fd = high[1];
    spawn.channel_fd = high[2];
    spawn.status_fd = status_write;
    spawn.library_fd = high[3];
    spawn.default_signals = default_signals;
    Result<pid_t> pid =
        status_write >= 0
            ? SpawnInPidNamespace(spawn)
            : Result<pid_t>(Unavailable(std::string("cannot create a pipe: ") + strerror(errno)));
    if (status_write >= 0) ::close(status_write);
    if (pid.ok()) return Spawned{*pid, status[0]};
    ::close(status[0]);
    if (pid.status().code() != Code::kFailedPrecondition) return pid.status();
    // Refused (a container without CAP_SYS_ADMIN, a seccomp profile, a kernel without
    // namespaces): that does not change while the host runs, so this child and every later
    // one run in the host's PID namespace, as with --no-provider-pid-namespace, without
    // another try (each would try the clone for nothing); the log says so
    // once.
    if (!NamespacesRefused().exchange(true, std::memory_order_acq_rel)) {
      Log(LogLevel::kWarn, "provider",
          o.display + ": its child process, and every later provider child of this host, " +
              "runs in the host's PID namespace: " + pid.status().message() +
              " (a container without CAP_SYS_ADMIN, or a seccomp profile that refuses it; "
              "--no-provider-pid-namespace says that this is meant; "
              "docs/providers.md#a-pid-namespace-of-its-own)");
    }
  }
  // The library's copy on 4 (in a namespace, 4 is process 1's report and the copy 5).
  constexpr int kCopyFd = 4;
  if (copy) {
    args.push_back("--library-fd");
    args.push_back(std::to_string(kCopyFd));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, high[0], 1);
  posix_spawn_file_actions_adddup2(&fa, high[1], 2);
  posix_spawn_file_actions_adddup2(&fa, high[2], 3);
  if (copy) posix_spawn_file_actions_adddup2(&fa, high[3], kCopyFd);
  // Nothing else of the host: its sockets and files are not the provider's.
  posix_spawn_file_actions_addclosefrom_np(&fa, copy ? kCopyFd + 1 : 4);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The host blocks SIGINT/SIGTERM in its threads (one thread waits for them): the child
  // starts with no signal blocked and the default actions.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : default_signals) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  // A process group of its own: a provider that signals its group (kill(0, ...), as some
  // libraries' clean-up does) reaches itself and what it started, not its host; a
  // terminal's Ctrl-C reaches the host, which stops its providers itself. And the host can
  // end the child together with the processes it started (Kill, Reap).
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, o.executable.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Unavailable("cannot start the provider process " + o.executable + ": " + strerror(rc));
  }
  return Spawned{pid};
}

// In a PID namespace the provider runs in process 1's first child: learnt once (at its
// hello, or by the memory check before). False when the child has a namespace and that
// process cannot be found (yet); true otherwise.
bool FindProviderProcess(Child& child) {
  if (!child.namespaced() || child.provider_pid.load() > 0) return true;
  const std::vector<pid_t> children = ChildrenOf(child.pid);
  if (children.empty() || children.front() <= 0) return false;
  child.provider_pid.store(children.front());
  return true;
}

// "process 1234", or "the process" for one that never started (its restart could not
// spawn it: there is no pid to name).
std::string ProcessLabel(pid_t pid) {
  return pid > 0 ? "process " + std::to_string(pid) : std::string("the process");
}

// "killed by signal 11 (SIGSEGV)", "exited with status 3": a waitpid status in words.
std::string DescribeExitStatus(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    return "killed by signal " + std::to_string(sig) + " (" + SignalName(sig) + ")";
  }
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  return "ended (wait status " + std::to_string(wait_status) + ")";
}

class ProcessProvider final : public Provider,
                              public std::enable_shared_from_this<ProcessProvider> {
 public:
  explicit ProcessProvider(ProcessProviderOptions options) : o_(std::move(options)) {}

  ~ProcessProvider() override {
    Stop();
    if (supervisor_.joinable()) supervisor_.join();
  }

  // Spawns the first child and waits for its hello.
  Status Launch() {
    auto child = SpawnChild();
    if (!child.ok()) return child.status();
    auto hello = AwaitHello(*child);
    if (!hello.ok()) {
      Discard(*child);
      return hello.status();
    }
    descriptor_ = *hello;
    {
      std::lock_guard lock(mu_);
      current_ = *child;
      state_ = State::kUp;
    }
    supervisor_ = std::thread([this] { Supervise(); });
    return Status::Ok();
  }

  ProviderDescriptor Describe() const override { return descriptor_; }

  Status Start(ProviderHost* host) override {
    if (host == nullptr) return InvalidArgument(Name() + ": Start needs a host");
    ChildPtr child;
    {
      std::lock_guard lock(mu_);
      if (state_ == State::kStopped) return FailedPrecondition(Name() + " has been stopped");
      if (started_) return FailedPrecondition(Name() + " is already started");
      auto usable = UsableLocked();
      if (!usable.ok()) return usable.status();
      child = *usable;
      started_ = true;
      callbacks_ = std::make_unique<ThreadPool>("prov-cb", kCallbackThreads, kMaxQueuedCallbacks);
    }
    {
      std::unique_lock lock(host_mu_);
      host_ = host;
    }
    Message m;
    m.type = Type::kStart;
    auto reply = Request(child, std::move(m), o_.control_timeout, false);
    if (!reply.ok()) {
      // The host calls nothing else after a failed Start, and may free `host` right after
      // (Stop then runs from our destructor): let go of it now.
      std::unique_ptr<ThreadPool> callbacks;
      {
        std::lock_guard lock(mu_);
        callbacks_cancelled_.store(true);
        callbacks = std::move(callbacks_);
      }
      if (callbacks) callbacks->Shutdown();
      std::unique_lock lock(host_mu_);
      host_ = nullptr;
    }
    return reply.status();
  }

  Status BindActor(std::string_view actor, const LinkValues& values) override {
    ChildPtr child;
    {
      std::lock_guard lock(mu_);
      if (state_ == State::kStopped) return FailedPrecondition(Name() + " has been stopped");
      binds_[std::string(actor)] = values;
      ++binds_version_;
      // Bound when the child is back (a restart binds every link again).
      if (state_ == State::kRestarting) return Status::Ok();
      WC_ASSIGN_OR_RETURN(child, UsableLocked());
    }
    Message m;
    m.type = Type::kBind;
    m.a = std::string(actor);
    m.values = values;
    return Request(child, std::move(m), o_.control_timeout, false).status();
  }

  Status RemoveActor(std::string_view actor) override {
    ChildPtr child;
    {
      std::lock_guard lock(mu_);
      if (state_ == State::kStopped) return FailedPrecondition(Name() + " has been stopped");
      binds_.erase(std::string(actor));
      ++binds_version_;
      if (state_ == State::kRestarting) return Status::Ok();
      WC_ASSIGN_OR_RETURN(child, UsableLocked());
    }
    Message m;
    m.type = Type::kRemove;
    m.a = std::string(actor);
    return Request(child, std::move(m), o_.control_timeout, false).status();
  }

  Result<Bytes> HandleCall(std::string_view actor, std::string_view operation,
                           ByteView payload) override {
    ChildPtr child;
    {
      std::lock_guard lock(mu_);
      WC_ASSIGN_OR_RETURN(child, UsableLocked());
    }
    Message m;
    m.type = Type::kCall;
    m.a = std::string(actor);
    m.b = std::string(operation);
    m.payload.assign(payload.begin(), payload.end());
    WC_ASSIGN_OR_RETURN(Message reply, Request(child, std::move(m), o_.call_timeout, false));
    return std::move(reply.payload);
  }

  Status Health() override {
    ChildPtr child;
    {
      std::lock_guard lock(mu_);
      WC_ASSIGN_OR_RETURN(child, UsableLocked());
    }
    Message m;
    m.type = Type::kHealth;
    return Request(child, std::move(m), o_.health_timeout, false).status();
  }

  void Stop() override {
    ChildPtr child;
    bool was_up;
    std::unique_ptr<ThreadPool> callbacks;
    {
      std::lock_guard lock(mu_);
      if (stop_requested_) return;
      stop_requested_ = true;
      was_up = state_ == State::kUp && started_;
      state_ = State::kStopped;
      // call_actor requests still queued are answered "stopped" without the host.
      callbacks_cancelled_.store(true);
      cv_.notify_all();
      for (auto& [id, p] : pending_) p->cv.notify_all();  // restart steps end
    }
    // The supervisor ends (killing a child it was restarting); then the last child is
    // asked to stop, and made to.
    if (supervisor_.joinable() && supervisor_.get_id() != std::this_thread::get_id()) {
      supervisor_.join();
    }
    {
      std::lock_guard lock(mu_);
      child = current_;
    }
    if (child) {
      bool alive;
      {
        std::lock_guard lock(mu_);
        alive = !child->channel_closed;
      }
      if (alive && was_up) {
        Message m;
        m.type = Type::kStop;
        auto r = Request(child, std::move(m), o_.control_timeout, false);
        if (!r.ok()) LogLine(LogLevel::kWarn, "stop: " + r.status().message() + "; killing it");
      }
      ::shutdown(child->fd, SHUT_RDWR);  // the child's read ends: it exits
      Reap(child, kExitWait);
      Discard(child);
    }
    {
      std::lock_guard lock(mu_);
      FailPendingLocked(0, FailedPrecondition(Name() + " is stopped"));
      callbacks = std::move(callbacks_);
    }
    // call_actor requests still running use the host, which is valid until we return.
    if (callbacks) {
      if (callbacks->OnPoolThread()) {
        LogLine(LogLevel::kError,
                "stopped from one of its own call_actor threads: its "
                "remaining calls are not waited for");
        (void)callbacks.release();  // cannot join itself; the threads end on their own
      } else {
        callbacks->Shutdown();
      }
    }
    std::unique_lock lock(host_mu_);
    host_ = nullptr;
  }

 private:
  // kStarting: launching (before the first hello). kRestarting: after a crash, until
  // the new child is started and bound again; binds and removes are only recorded.
  enum class State { kStarting, kUp, kRestarting, kGivenUp, kStopped };

  std::string Name() const {
    std::string name = descriptor_.name.empty() ? o_.display : descriptor_.name;
    return "provider " + name;
  }

  // Log lines about this provider: through the host (which names it with its key) once
  // started, to the process log before.
  void LogLine(LogLevel level, const std::string& text) {
    std::shared_lock lock(host_mu_);
    if (host_ != nullptr) {
      host_->Log(level, text);
    } else {
      Log(level, "provider " + o_.display, EscapeLogText(text));
    }
  }

  // The child to send to, or why there is none. Under mu_.
  Result<ChildPtr> UsableLocked() const {
    switch (state_) {
      case State::kUp:
        return current_;
      case State::kStarting:
        return FailedPrecondition(Name() + " is still loading");
      case State::kRestarting:
        return Unavailable(Name() + " is restarting after a crash (" + last_crash_ + ")");
      case State::kGivenUp:
        return Unavailable(given_up_);
      case State::kStopped:
        break;
    }
    return FailedPrecondition(Name() + " is stopped");
  }

  Result<ChildPtr> SpawnChild() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return Unavailable(std::string("cannot create the provider channel: ") + strerror(errno));
    }
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(sv[0]);
      ::close(sv[1]);
      return Unavailable(std::string("cannot create a pipe: ") + strerror(errno));
    }
    if (::pipe2(err, O_CLOEXEC) != 0) {
      for (int f : {sv[0], sv[1], out[0], out[1]}) ::close(f);
      return Unavailable(std::string("cannot create a pipe: ") + strerror(errno));
    }
    // A child that stops reading cannot block a sender for long.
    timeval send_timeout{5, 0};
    ::setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    auto child = std::make_shared<Child>();
    child->fd = sv[0];
    child->out_fd = out[0];
    child->err_fd = err[0];
    auto pid = Spawn(o_, sv[1], out[1], err[1]);
    for (int f : {sv[1], out[1], err[1]}) ::close(f);
    if (!pid.ok()) return pid.status();
    child->pid = pid->pid;
    child->status_fd = pid->status_fd;
    {
      std::lock_guard lock(mu_);
      child->generation = ++generation_;
    }
    child->reader = std::thread([this, child] { ReadChild(child); });
    child->output = std::thread([this, child] { ReadOutput(child); });
    return child;
  }

  // The child's descriptor once it said hello, or why it did not.
  Result<ProviderDescriptor> AwaitHello(const ChildPtr& child) {
    std::unique_lock lock(mu_);
    const bool answered = cv_.wait_for(lock, o_.load_timeout, [&] {
      return child->hello.has_value() || child->channel_closed || stop_requested_;
    });
    if (child->hello && child->hello->type == Type::kHello) {
      const Message& h = *child->hello;
      if (h.a.empty())
        return InvalidArgument(o_.library + ": the provider declares no contract id");
      return ProviderDescriptor{h.a, h.b, h.c};
    }
    if (child->hello) {  // kLoadFailed: the loader's own error
      return Status(proc::CodeFromWire(child->hello->level),
                    std::string(AsChars(child->hello->payload)));
    }
    const bool stopped = stop_requested_;
    lock.unlock();
    if (stopped) {
      Kill(child, "the provider was stopped while it loaded");
      return FailedPrecondition(Name() + " is stopped");
    }
    if (!answered) {
      Kill(child, "it did not load within " + Ms(o_.load_timeout));
      return Unavailable(o_.display + ": the provider process did not load within " +
                         Ms(o_.load_timeout));
    }
    Reap(child, kExitWait);
    return Unavailable(o_.display + ": the provider process crashed while loading: " +
                       DescribeExitStatus(child->wait_status));
  }

  // Sends `m` to `child` and waits for the reply until `timeout`. With `abort_on_stop`,
  // a stop ends the wait (the supervisor's restart steps).
  Result<Message> Request(const ChildPtr& child, Message m, std::chrono::milliseconds timeout,
                          bool abort_on_stop) {
    auto p = std::make_shared<Pending>();
    p->generation = child->generation;
    p->type = m.type;
    {
      std::lock_guard lock(mu_);
      if (child->channel_closed) return Unavailable(Name() + " is not running (its process ended)");
      m.id = next_id_++;
      pending_[m.id] = p;
    }
    const uint64_t id = m.id;
    const Type type = m.type;
    const auto deadline = Clock::now() + timeout;  // the send's time counts
    if (Status s = child->Send(m); !s.ok()) {
      if (s.code() == Code::kDeadlineExceeded) {
        // A frame may be half written: the channel cannot be used any more.
        Kill(child, "its channel did not take a request (" + s.message() + ")");
      }
      std::lock_guard lock(mu_);
      pending_.erase(id);
      if (s.code() == Code::kInvalidArgument) {  // too large; nothing was written
        return ResourceExhausted(Name() + ": " + s.message());
      }
      if (p->failed) return *p->failed;
      return Unavailable(Name() + " is not running (its process ended)");
    }
    std::unique_lock lock(mu_);
    // A child that ended is reported by the supervisor (with how it ended); during a stop
    // there is none, and the wait ends at once.
    const bool finished = p->cv.wait_until(lock, deadline, [&] {
      return p->done || p->failed.has_value() || (abort_on_stop && stop_requested_) ||
             (stop_requested_ && child->channel_closed);
    });
    if (p->done) {
      pending_.erase(id);
      if (p->reply.ok) return std::move(p->reply);
      return Status(proc::CodeFromWire(p->reply.level), std::string(AsChars(p->reply.payload)));
    }
    if (p->failed) {
      pending_.erase(id);
      return *p->failed;
    }
    if (finished) {  // stopped
      pending_.erase(id);
      return FailedPrecondition(Name() + " is stopped");
    }
    // Abandoned: if the child has not answered within the grace period, it is killed.
    p->abandoned = true;
    p->kill_at = Clock::now() + o_.kill_grace;
    cv_.notify_all();
    return DeadlineExceeded(Name() + " did not answer " + std::string(proc::TypeName(type)) +
                            " within " + Ms(timeout));
  }

  // The reader of one child's frames; ends at the end of the channel.
  void ReadChild(ChildPtr child) {
    for (;;) {
      auto frame = proc::ReadFrame(child->fd);
      if (!frame.ok()) {
        if (frame.status().code() == Code::kInvalidArgument) {
          Kill(child, "it sent a bad frame (" + frame.status().message() + ")");
        }
        break;
      }
      Message m = std::move(*frame);
      switch (m.type) {
        case Type::kHello:
        case Type::kLoadFailed: {
          FindProviderProcess(*child);  // alive while it says hello
          std::lock_guard lock(mu_);
          if (!child->hello) child->hello = std::move(m);
          cv_.notify_all();
          break;
        }
        case Type::kReply: {
          std::lock_guard lock(mu_);
          auto it = pending_.find(m.id);
          if (it == pending_.end() || it->second->generation != child->generation) break;
          if (it->second->abandoned) {
            pending_.erase(it);
            cv_.notify_all();
            break;
          }
          it->second->done = true;
          it->second->reply = std::move(m);
          it->second->cv.notify_all();
          break;
        }
        case Type::kCallActor:
          CallActorFor(child, std::move(m));
          break;
        case Type::kCount: {
          std::shared_lock lock(host_mu_);
          if (host_ != nullptr && m.level >= 0) {
            host_->Count(m.a, m.b, static_cast<uint64_t>(m.level));
          }
          break;
        }
        case Type::kLog: {
          const int64_t lv =
              std::clamp<int64_t>(m.level, 0, static_cast<int64_t>(LogLevel::kError));
          std::string text(AsChars(m.payload));
          if (!m.a.empty() && m.a != "provider " + o_.library) text = "[" + m.a + "] " + text;
          LogLine(static_cast<LogLevel>(lv), text);
          break;
        }
        default:
          Kill(child, "it sent an unexpected " + std::string(proc::TypeName(m.type)) + " frame");
          break;
      }
    }
    std::lock_guard lock(mu_);
    child->channel_closed = true;
    for (auto& [id, p] : pending_) {
      if (p->generation == child->generation) p->cv.notify_all();
    }
    cv_.notify_all();
  }

  // A call from the provider to an actor: run on the callback pool (never on the reader,
  // which must stay free to read the replies such a call may wait for).
  void CallActorFor(const ChildPtr& child, Message m) {
    auto answer = [this, child](uint64_t id, const Status& status, Bytes reply) {
      Message r;
      r.type = Type::kActorReply;
      r.id = id;
      r.ok = status.ok();
      r.level = static_cast<int64_t>(status.code());
      r.payload = status.ok() ? std::move(reply) : ToBytes(status.message());
      Status sent = child->Send(r);
      if (sent.code() == Code::kInvalidArgument) {  // too large: the provider gets why
        Message e;
        e.type = Type::kActorReply;
        e.id = id;
        e.ok = false;
        e.level = static_cast<int64_t>(Code::kResourceExhausted);
        e.payload = ToBytes("call_actor: the actor's reply is too large: " + sent.message());
        sent = child->Send(e);
      }
      if (sent.code() == Code::kDeadlineExceeded) {
        Kill(child, "its channel did not take a call_actor reply (" + sent.message() + ")");
      }
    };
    const uint64_t id = m.id;
    Status refused;
    {
      std::lock_guard lock(mu_);
      if (!started_ || !callbacks_ || callbacks_cancelled_.load()) {
        refused = FailedPrecondition(stop_requested_
                                         ? "call_actor: the host has stopped this provider"
                                         : "call_actor: the host has not started this provider");
      } else if (!callbacks_->TrySubmit([this, answer, m = std::move(m)]() {
                   Result<Bytes> r =
                       FailedPrecondition("call_actor: the host has stopped this provider");
                   if (!callbacks_cancelled_.load()) {
                     std::shared_lock host_lock(host_mu_);
                     if (host_ != nullptr) r = host_->CallActor(m.a, m.b, m.payload);
                   }
                   if (r.ok()) {
                     answer(m.id, Status::Ok(), std::move(*r));
                   } else {
                     answer(m.id, r.status(), {});
                   }
                 })) {
        refused = Unavailable("call_actor: the host has too many calls from this provider queued");
      }
    }
    // A refusal is a short frame; the socket has room for it unless the child stopped
    // reading, and then the send timeout ends the wait.
    if (!refused.ok()) answer(id, refused, {});
  }

  // The child's stdout and stderr, line by line, into the host's log.
  void ReadOutput(ChildPtr child) {
    struct Stream {
      int fd;
      const char* name;
      std::string line;
      bool open = true;
    };
    Stream streams[2] = {{child->out_fd, "stdout", {}}, {child->err_fd, "stderr", {}}};
    auto flush = [&](Stream& s) {
      if (!s.line.empty()) LogLine(LogLevel::kInfo, std::string(s.name) + ": " + s.line);
      s.line.clear();
    };
    Clock::time_point ended_at{};
    while (streams[0].open || streams[1].open) {
      pollfd fds[2];
      nfds_t n = 0;
      Stream* which[2];
      for (auto& s : streams) {
        if (!s.open) continue;
        fds[n] = {s.fd, POLLIN, 0};
        which[n++] = &s;
      }
      // After the child ended, what is left is read for a short while; a process it
      // started may hold the pipes open for ever.
      if (child->ended.load()) {
        if (ended_at == Clock::time_point{}) ended_at = Clock::now();
        if (Clock::now() - ended_at > std::chrono::milliseconds(200)) break;
      }
      const int ready = ::poll(fds, n, 100);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (ready == 0) continue;
      for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        Stream& s = *which[i];
        char buf[4096];
        ssize_t got = ::read(s.fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          flush(s);
          s.open = false;
          continue;
        }
        for (ssize_t k = 0; k < got; ++k) {
          if (buf[k] == '\n') {
            flush(s);
          } else if (s.line.size() < kMaxOutputLine) {
            s.line.push_back(buf[k]);
          }
        }
      }
    }
    for (auto& s : streams) flush(s);
  }

  void Kill(const ChildPtr& child, const std::string& because) {
    {
      std::lock_guard lock(mu_);
      // An exited child (seen by Reap) is not signalled: its pid may be another's soon.
      if (child->pid < 0 || child->exited || !child->killed_because.empty()) return;
      // A channel that already ended is a crash on its own, not something we did.
      if (child->channel_closed) return;
      child->killed_because = because;
      KillGroup(child->pid);
    }
    // The reader sees the end now, even if a process the child started holds the socket.
    ::shutdown(child->fd, SHUT_RDWR);
    LogLine(LogLevel::kError,
            "killed its process " + std::to_string(child->shown_pid()) + ": " + because);
  }

  // Waits for the child to exit, at most `wait`, then kills it and waits.
  void Reap(const ChildPtr& child, std::chrono::milliseconds wait) {
    {
      std::lock_guard lock(mu_);
      if (child->reaped) return;
    }
    // Seen to exit first (WNOWAIT keeps it a zombie, so its pid stays ours), marked,
    // then reaped: Kill never signals a pid that may belong to another process.
    const auto until = Clock::now() + wait;
    bool exited = false;
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid != 0) {
        exited = true;
        break;
      }
      if (Clock::now() >= until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    {
      std::lock_guard lock(mu_);
      if (!exited && child->killed_because.empty()) {
        child->killed_because = "it did not exit within " + Ms(wait) + " after its channel closed";
      }
      if (!exited) ::kill(child->pid, SIGKILL);
      child->exited = true;
      // What the child started and left behind in its group goes with it (the zombie keeps
      // the group's id ours until the waitpid below).
      KillGroup(child->pid);
    }
    int status = 0;
    while (::waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::lock_guard lock(mu_);
    child->reaped = true;
    // A child in a PID namespace of its own ends once its provider's process has, and
    // reported how: that is what the log says. Without a report (the host killed process
    // 1 first), process 1's own status.
    child->wait_status = status;
    if (child->status_fd >= 0) {
      int reported = 0;
      if (::read(child->status_fd, &reported, sizeof reported) ==
          static_cast<ssize_t>(sizeof reported)) {
        child->wait_status = reported;
      }
    }
    child->ended.store(true);
  }

  // Joins a child's threads (it has ended or is being made to); closes its fds.
  void Discard(const ChildPtr& child) {
    ::shutdown(child->fd, SHUT_RDWR);
    if (!child->reaped) Reap(child, kExitWait);
    for (std::thread* t : {&child->reader, &child->output}) {
      if (!t->joinable()) continue;
      if (t->get_id() == std::this_thread::get_id()) {
        t->detach();  // it ends on its own (the channel is closed)
      } else {
        t->join();
      }
    }
  }

  // Under mu_: fails the requests to generation `generation` (0: all).
  void FailPendingLocked(uint64_t generation, const Status& why) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto& p = it->second;
      if (generation != 0 && p->generation != generation) {
        ++it;
        continue;
      }
      if (p->abandoned) {
        it = pending_.erase(it);
        continue;
      }
      if (!p->done && !p->failed) {
        p->failed = why;
        p->cv.notify_all();
      }
      ++it;
    }
  }

  void Notify(ProviderHost::Supervision what, const std::string& detail) {
    std::shared_lock lock(host_mu_);
    if (host_ != nullptr) host_->OnSupervision(what, detail);
  }

  // The supervisor: notices a child that ended (or is stuck), restarts it.
  void Supervise() {
    std::unique_lock lock(mu_);
    while (!stop_requested_) {
      ChildPtr child = current_;
      // A request abandoned at its deadline and still unanswered after the grace period.
      Clock::time_point next_kill = Clock::time_point::max();
      std::string stuck;
      for (auto& [id, p] : pending_) {
        if (!p->abandoned || p->generation != child->generation) continue;
        if (!child->killed_because.empty()) break;  // killed already: wait for its end
        if (p->kill_at <= Clock::now()) {
          stuck = std::string(proc::TypeName(p->type)) + " was still running " + Ms(o_.kill_grace) +
                  " after its deadline";
        }
        next_kill = std::min(next_kill, p->kill_at);
      }
      if (!stuck.empty() && child->killed_because.empty() && !child->channel_closed) {
        lock.unlock();
        Kill(child, stuck);
        lock.lock();
        continue;
      }
      if (!child->channel_closed) {
        Clock::time_point wake = next_kill;
        // The memory limit: a child seen above it is killed and restarted as a crashed one.
        // Under mu_ and while not marked exited, its pid is still ours (Reap marks first).
        if (o_.max_memory_mb != 0 && child->pid > 0 && !child->exited &&
            child->killed_because.empty()) {
          if (Clock::now() >= next_memory_check_) {
            next_memory_check_ = Clock::now() + o_.memory_check_interval;
            if (!FindProviderProcess(*child) && child->hello &&
                !std::exchange(said_no_provider_pid_, true)) {
              LogLine(LogLevel::kWarn,
                      "cannot find the provider's process below process " +
                          std::to_string(child->pid) +
                          " of its PID namespace (/proc/<pid>/task/<pid>/children): "
                          "--provider-max-memory-mb reads that process 1 instead");
            }
            // What the kill below ends: in a namespace, every process in it but process 1
            // (orphans of the provider's helpers are process 1's children), or process 1
            // alone when the provider cannot be found; without one, the provider's process
            // and the processes below it that stayed in its process group.
            std::optional<Resident> rss =
                child->provider_pid.load() > 0
                    ? ResidentOfTrees(ChildrenOf(child->pid), 0)
                    : ResidentOfTrees({child->shown_pid()}, child->namespaced() ? 0 : child->pid);
            if (rss && rss->mib > o_.max_memory_mb) {
              const std::string in = rss->processes == 1
                                         ? ""
                                         : " in " + std::to_string(rss->processes) +
                                               " processes (the provider's and those it started)";
              lock.unlock();
              Kill(child, "its resident memory, " + std::to_string(rss->mib) + " MiB" + in +
                              ", was above the limit of " + std::to_string(o_.max_memory_mb) +
                              " MiB (--provider-max-memory-mb)");
              lock.lock();
              continue;
            }
          }
          wake = std::min(wake, next_memory_check_);
        }
        if (wake == Clock::time_point::max()) {
          cv_.wait(lock);
        } else {
          cv_.wait_until(lock, wake);
        }
        continue;
      }
      // The child ended.
      lock.unlock();
      Discard(child);
      lock.lock();
      if (stop_requested_) break;
      HandleCrashLocked(lock, child);
    }
  }

  // Under mu_ (released while waiting and restarting).
  void HandleCrashLocked(std::unique_lock<std::mutex>& lock, const ChildPtr& child) {
    std::string how =
        child->pid < 0 ? std::string("did not start") : DescribeExitStatus(child->wait_status);
    if (!child->killed_because.empty()) how += " (" + child->killed_because + ")";
    last_crash_ = how;
    size_t in_flight = 0;
    for (auto& [id, p] : pending_) {
      if (p->generation == child->generation && !p->abandoned && !p->done && !p->failed)
        ++in_flight;
    }
    FailPendingLocked(child->generation,
                      Unavailable(Name() + " crashed (" + how + ") before answering"));
    const auto now = Clock::now();
    crashes_.push_back(now);
    while (!crashes_.empty() && crashes_.front() < now - o_.crash_window) crashes_.pop_front();
    const size_t n = crashes_.size();
    if (n > o_.max_crashes) {
      state_ = State::kGivenUp;
      given_up_ = Name() + " was given up on: it crashed " + std::to_string(n) + " times within " +
                  Ms(o_.crash_window) + " (last: " + how + "); stop and start it again";
      lock.unlock();
      LogLine(LogLevel::kError, ProcessLabel(child->shown_pid()) + " " + how + "; " +
                                    given_up_.substr(Name().size() + 1));
      Notify(ProviderHost::Supervision::kGivenUp, given_up_);
      lock.lock();
      cv_.wait(lock, [&] { return stop_requested_; });
      return;
    }
    state_ = State::kRestarting;
    auto delay = o_.restart_backoff * (1u << std::min<size_t>(n - 1, 16));
    delay = std::min<std::chrono::milliseconds>(delay, o_.max_backoff);
    lock.unlock();
    const std::string what =
        ProcessLabel(child->shown_pid()) + " " + how + "; " + std::to_string(in_flight) +
        " call(s) in flight failed; restarting in " + Ms(delay) + " (crash " + std::to_string(n) +
        " of at most " + std::to_string(o_.max_crashes) + " within " + Ms(o_.crash_window) + ")";
    LogLine(LogLevel::kError, what);
    Notify(ProviderHost::Supervision::kCrashed, how);
    lock.lock();
    if (cv_.wait_for(lock, delay, [&] { return stop_requested_; })) return;
    lock.unlock();
    Restart();
    lock.lock();
  }

  // Spawns a new child, starts it and binds every link again. A failure counts as a
  // crash (the supervisor sees the new child end).
  void Restart() {
    auto spawned = SpawnChild();
    if (!spawned.ok()) {
      // No process: record a pseudo-child that ended, so the loop counts a crash.
      LogLine(LogLevel::kError, "restart failed: " + spawned.status().message());
      auto dead = std::make_shared<Child>();
      dead->channel_closed = true;
      dead->reaped = true;
      dead->ended.store(true);
      dead->killed_because = "it could not be started: " + spawned.status().message();
      std::lock_guard lock(mu_);
      dead->generation = ++generation_;
      current_ = dead;
      return;
    }
    ChildPtr child = *spawned;
    {
      std::lock_guard lock(mu_);
      current_ = child;
    }
    auto fail = [&](const std::string& why) {
      LogLine(LogLevel::kError, "restart failed: " + why);
      Kill(child, "its restart failed");
    };
    auto hello = AwaitHello(child);
    if (!hello.ok()) return fail(hello.status().message());
    if (hello->contract_id != descriptor_.contract_id) {
      return fail("it now implements " + hello->contract_id + ", not " + descriptor_.contract_id);
    }
    bool started;
    {
      std::lock_guard lock(mu_);
      if (stop_requested_) return;
      started = started_;
    }
    if (started) {
      Message m;
      m.type = Type::kStart;
      auto r = Request(child, std::move(m), o_.control_timeout, true);
      if (!r.ok()) return fail("start: " + r.status().message());
    }
    // Every link bound again. Binds and removes made meanwhile are only recorded (state
    // kRestarting), so the child is bound from the record until the record stops changing.
    std::map<std::string, LinkValues> binds;
    std::set<std::string> sent;
    size_t bound = 0;
    for (;;) {
      uint64_t version;
      {
        std::lock_guard lock(mu_);
        if (stop_requested_ || child->channel_closed) return;
        binds = binds_;
        version = binds_version_;
      }
      for (const std::string& actor : sent) {
        if (binds.count(actor) != 0) continue;  // removed meanwhile
        Message m;
        m.type = Type::kRemove;
        m.a = actor;
        (void)Request(child, std::move(m), o_.control_timeout, true);
      }
      sent.clear();
      bound = 0;
      for (const auto& [actor, values] : binds) {
        Message m;
        m.type = Type::kBind;
        m.a = actor;
        m.values = values;
        auto r = Request(child, std::move(m), o_.control_timeout, true);
        sent.insert(actor);
        if (r.ok()) {
          ++bound;
        } else {
          LogLine(LogLevel::kWarn,
                  "bind_actor " + actor + " after the restart: " + r.status().message());
        }
      }
      std::lock_guard lock(mu_);
      if (binds_version_ == version) break;
    }
    const std::string detail = "process " + std::to_string(child->shown_pid()) + ", " +
                               std::to_string(bound) + " of " + std::to_string(binds.size()) +
                               " link(s) bound again";
    LogLine(LogLevel::kInfo, "restarted: " + detail);
    Notify(ProviderHost::Supervision::kRestarted, detail);
    std::lock_guard lock(mu_);
    if (stop_requested_ || child->channel_closed) return;
    state_ = State::kUp;
  }

  const ProcessProviderOptions o_;
  ProviderDescriptor descriptor_;
  std::thread supervisor_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // hello, child ended, abandoned requests, stop
  State state_ = State::kStarting;
  bool stop_requested_ = false;
  ChildPtr current_;
  uint64_t generation_ = 0;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Pending>> pending_;
  std::map<std::string, LinkValues> binds_;
  bool started_ = false;  // Start sent start to the child
  uint64_t binds_version_ = 0;
  std::unique_ptr<ThreadPool> callbacks_;
  std::atomic<bool> callbacks_cancelled_{false};
  // The host: set by Start, cleared by Stop (or a failed Start) once no thread uses it.
  // Taken shared by whoever calls it (log lines, events, call_actor).
  std::shared_mutex host_mu_;
  ProviderHost* host_ = nullptr;
  std::deque<Clock::time_point> crashes_;
  Clock::time_point next_memory_check_{};  // guarded by mu_
  bool said_no_provider_pid_ = false;      // guarded by mu_
  std::string last_crash_;
  std::string given_up_;
};

}  // namespace

Result<std::shared_ptr<Provider>> LaunchProviderProcess(ProcessProviderOptions options) {
  if (options.executable.empty()) {
    return InvalidArgument(options.library +
                           ": no provider-host executable to run it in a process");
  }
  if (options.display.empty()) options.display = options.library;
  auto provider = std::make_shared<ProcessProvider>(std::move(options));
  WC_RETURN_IF_ERROR(provider->Launch());
  return std::shared_ptr<Provider>(std::move(provider));
}

}  // namespace wasmcloud::provider
