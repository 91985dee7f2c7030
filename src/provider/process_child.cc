#include "provider/process_child.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/thread_pool.h"
#include "provider/library_copy.h"
#include "provider/native_library.h"
#include "provider/process_protocol.h"

namespace wasmcloud::provider {
namespace {

using proc::Message;
using proc::Type;

// A line for the host's log at `level`, from `component` ("": the provider's own).
Message LogMessage(LogLevel level, std::string_view component, std::string_view text) {
  Message m;
  m.type = Type::kLog;
  m.level = static_cast<int64_t>(level);
  m.a = std::string(component);
  m.payload = ToBytes(text);
  return m;
}

// Calls at once in the child; beyond them calls queue (the host bounds each one).
constexpr unsigned kCallThreads = 8;
constexpr size_t kMaxQueuedCalls = 4096;

class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}
  Status Send(const Message& m) {
    std::lock_guard lock(write_mu_);
    return proc::WriteFrame(fd_, m);
  }
  int fd() const { return fd_; }

 private:
  const int fd_;
  std::mutex write_mu_;
};

// The host as the provider in this child sees it: call_actor becomes a frame to the host
// and a wait for its answer; log lines become frames.
class ChildHost final : public ProviderHost {
 public:
  explicit ChildHost(Channel* channel) : channel_(channel) {}

  Result<Bytes> CallActor(std::string_view actor, std::string_view operation,
                          ByteView payload) override {
    auto slot = std::make_shared<Slot>();
    uint64_t id;
    {
      std::lock_guard lock(mu_);
      if (closed_) return Unavailable("call_actor: the host is gone");
      id = next_id_++;
      pending_[id] = slot;
    }
    Message m;
    m.type = Type::kCallActor;
    m.id = id;
    m.a = std::string(actor);
    m.b = std::string(operation);
    m.payload.assign(payload.begin(), payload.end());
    if (Status s = channel_->Send(m); !s.ok()) {
      std::lock_guard lock(mu_);
      pending_.erase(id);
      // Its own code: a call too large for a frame is not "unavailable" (which a provider
      // may answer with "retry later"); a host that is gone is.
      return Status(s.code(), "call_actor: " + s.message());
    }
    std::unique_lock lock(mu_);
    slot->cv.wait(lock, [&] { return slot->done || closed_; });
    pending_.erase(id);
    if (!slot->done) return Unavailable("call_actor: the host is gone");
    if (slot->ok) return std::move(slot->reply);
    return Status(proc::CodeFromWire(slot->code), AsString(slot->reply));
  }

  void Log(LogLevel level, std::string_view message) override {
    (void)channel_->Send(LogMessage(level, "", message));
  }

  void Count(std::string_view name, std::string_view labels, uint64_t add) override {
    Message m;
    m.type = Type::kCount;
    m.a = std::string(name);
    m.b = std::string(labels);
    m.level = static_cast<int64_t>(std::min<uint64_t>(add, INT64_MAX));
    (void)channel_->Send(m);
  }

  void Answer(Message m) {
    std::lock_guard lock(mu_);
    auto it = pending_.find(m.id);
    if (it == pending_.end()) return;
    it->second->done = true;
    it->second->ok = m.ok;
    it->second->code = m.level;
    it->second->reply = std::move(m.payload);
    it->second->cv.notify_all();
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& [id, slot] : pending_) slot->cv.notify_all();
  }

 private:
  struct Slot {
    std::condition_variable cv;
    bool done = false;
    bool ok = false;
    int64_t code = 0;
    Bytes reply;
  };
  static std::string AsString(const Bytes& b) { return std::string(b.begin(), b.end()); }

  Channel* channel_;
  std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<Slot>> pending_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
};

Message Reply(uint64_t id, const Status& status) {
  Message m;
  m.type = Type::kReply;
  m.id = id;
  m.ok = status.ok();
  m.level = static_cast<int64_t>(status.code());
  if (!status.ok()) m.payload = ToBytes(status.message());
  return m;
}

// `path` opened for reading, or why not.
Result<int> OpenLibrary(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  const int err = errno;
  const std::string why = path + ": cannot open: " + std::strerror(err);
  if (err == ENOENT) return NotFound(path + ": no such file");
  if (err == EACCES || err == EPERM) return PermissionDenied(why);
  return Unavailable(why);
}

// What loads the library `fd` (the host's copy, or the file opened as the host's user
// before this process became another): /proc/self/fd/N itself when this process may read
// it (the directories on the file's path are not looked at again), otherwise a copy in a
// memfd, made from `fd` (which stays readable) and readable by anyone. The descriptors
// stay open for the process's life.
Result<std::string> LoadablePath(int fd, const std::string& path) {
  const std::string by_fd = "/proc/self/fd/" + std::to_string(fd);
  if (const int probe = ::open(by_fd.c_str(), O_RDONLY | O_CLOEXEC); probe >= 0) {
    ::close(probe);
    return by_fd;
  } else if (errno != EACCES && errno != EPERM) {
    return Unavailable(path + ": cannot open: " + std::strerror(errno));
  }
  // The name shows in /proc/<pid>/maps.
  Result<int> memfd = NewMemfd(std::filesystem::path(path).filename().string(), false);
  if (!memfd.ok()) return Unavailable(path + ": cannot make a copy: " + memfd.status().message());
  const int out = *memfd;
  off_t offset = 0;
  for (;;) {
    const ssize_t n = ::sendfile(out, fd, &offset, 1 << 20);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(out);
      return Unavailable(path + ": cannot copy: " + std::strerror(err));
    }
  }
  return "/proc/self/fd/" + std::to_string(out);
}

// The host is gone without stopping this process (killed, crashed), or dropped it. When
// the host started it as the leader of a process group of its own (`own_group`), that
// group is this process and what its provider started: all of it ends. Otherwise (started
// by hand) it only exits.
[[noreturn]] void EndWithTheHost(bool own_group) {
  static constexpr char kLine[] =
      "provider-host: the host closed the channel without a stop or is gone: ending this "
      "process and what its provider started\n";
  (void)!::write(STDERR_FILENO, kLine, sizeof kLine - 1);
  if (own_group && ::getpgrp() == ::getpid()) ::kill(0, SIGKILL);
  ::_exit(0);
}

void NoteChild(int) {}

// Process 1 of a PID namespace (--mount-proc, before it forks the provider's process):
// a mount namespace of its own with a /proc of the PID namespace, so that the provider
// sees its namespace's processes only, not the host's (whose /proc/<pid>/mem a provider
// running as root could otherwise write). In order:
// - unshare(CLONE_NEWNS): a copy of the host's mounts (its own namespace, whoever started
//   this process and however: nothing below touches the host's mounts);
// - every mount a slave: nothing mounted or unmounted here reaches the host's namespace;
// - a new proc instance of processes only (subset=pid, Linux 5.8: no /proc/sys, kcore,
//   sysrq-trigger, meminfo..., so that none of a container runtime's masks of those,
//   which a new instance would not have, is lost), made detached (fsmount), so that
//   nothing has changed if that fails;
// - the host's /proc detached from this namespace (with what is mounted below it), so
//   that not even a provider without the system call filter can uncover it by unmounting
//   the new one; then the new one moved on /proc.
// Returns "" when done. Otherwise what failed: before the detach nothing is changed for
// the provider (it runs with the host's /proc, as without a namespace); a failure after
// it (nothing on /proc) is fatal, and `*fatal` says so.
std::string MountOwnProc(bool* fatal) {
  *fatal = false;
  auto failed = [](const char* step) {
    const int err = errno;
    return std::string("cannot ") + step + ": " + strerror(err);
  };
  if (::unshare(CLONE_NEWNS) != 0) return failed("make a mount namespace (unshare)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    return failed("make the mounts slaves");
  }
  const int fs = ::fsopen("proc", FSOPEN_CLOEXEC);
  if (fs < 0) return failed("open a proc file system (fsopen)");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } close_fs{fs};
  if (::fsconfig(fs, FSCONFIG_SET_STRING, "subset", "pid", 0) != 0) {
    return failed("make a /proc of processes only (subset=pid, Linux 5.8)");
  }
  if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return failed("create a proc instance");
  }
  const int mnt =
      ::fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mnt < 0) return failed("mount a proc instance (fsmount)");
  Closer close_mnt{mnt};
  // EINVAL: /proc is no mount point (a chroot without one); there is nothing to detach.
  if (::umount2("/proc", MNT_DETACH) != 0 && errno != EINVAL) {
    return failed("detach the host's /proc");
  }
  if (::move_mount(mnt, "", AT_FDCWD, "/proc", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    *fatal = true;
    return failed("put the new /proc in place (move_mount) after the host's was detached");
  }
  return "";
}

// Process 1 of a PID namespace made for this child (SpawnInPidNamespace, --status-fd): the
// provider runs in a process of its own below it, where signals work as anywhere else
// (process 1 ignores every signal it has no handler for, its own abort() included). This
// process reaps what is orphaned in the namespace; when the provider's process ends it
// writes its wait status on `status_fd` for the host (which can only wait for this one)
// and exits, and the kernel ends whatever is left in the namespace. When the host closes
// its end of the channel (a stop, or the host is gone) the provider has 1.5 s to end by
// itself; then this process kills it (even while it still loads) and reports that.
// Returns in the provider's process only.
void BecomeNamespaceInit(const ProviderChildOptions& options) {
  if (options.status_fd < 0 || ::getpid() != 1) return;
  if (options.mount_proc) {
    bool fatal = false;
    if (const std::string failed = MountOwnProc(&fatal); !failed.empty()) {
      // Before the provider's process exists: the only writer of the channel, as the
      // provider's own log lines go.
      if (fatal) {
        (void)proc::WriteFrame(options.fd,
                               LogMessage(LogLevel::kError, "", "provider-host: " + failed));
        ::_exit(1);
      }
      (void)proc::WriteFrame(options.fd,
                             LogMessage(LogLevel::kWarn, "",
                                        "the provider sees the host's /proc (every process of "
                                        "the host's PID namespace): " +
                                            failed));
    }
  }
  // The provider's process goes on once this one is confined (a look at the child the
  // host started, its user, says what the provider runs as).
  int confined[2] = {-1, -1};
  if (::pipe2(confined, O_CLOEXEC) != 0) confined[0] = confined[1] = -1;
  const pid_t provider = ::fork();
  if (provider == 0) {
    ::close(options.status_fd);  // process 1's alone: the provider cannot forge the report
    if (confined[1] >= 0) ::close(confined[1]);
    char byte;
    while (confined[0] >= 0 && ::read(confined[0], &byte, 1) < 0 && errno == EINTR) {
    }
    if (confined[0] >= 0) ::close(confined[0]);
    return;
  }
  if (confined[0] >= 0) ::close(confined[0]);
  if (provider < 0) {
    const std::string line = std::string("provider-host: cannot start the provider's process: ") +
                             strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    ::_exit(1);
  }
  ::signal(SIGPIPE, SIG_IGN);
  // Confined as the provider will be (its user among the rest), with nothing of it loaded
  // here; the provider's process reports a failure.
  (void)ConfineProviderChild(options.confinement);
  if (confined[1] >= 0) ::close(confined[1]);
  // SIGCHLD interrupts the wait on the channel (blocked but there, so none is lost).
  struct sigaction note {};
  note.sa_handler = NoteChild;
  ::sigaction(SIGCHLD, &note, nullptr);
  sigset_t chld, waiting;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, &waiting);
  sigdelset(&waiting, SIGCHLD);
  // After the channel closed: how long the provider's process may take to end by itself
  // (it sees the end of file too: a stop's clean exit, its library's destroy), less than
  // the host waits for this process before it kills it.
  constexpr auto kGrace = std::chrono::milliseconds(1500);
  std::optional<std::chrono::steady_clock::time_point> deadline;  // set once closed
  for (;;) {
    int status = 0;
    pid_t ended;
    while ((ended = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (ended != provider) continue;  // an orphan of the namespace
      const int report = status;
      (void)!::write(options.status_fd, &report, sizeof report);
      ::_exit(0);
    }
    if (ended < 0 && errno == ECHILD) ::_exit(1);  // cannot happen before the provider's end
    if (!deadline) {
      pollfd channel{options.fd, POLLRDHUP, 0};
      const int ready = ::ppoll(&channel, 1, nullptr, &waiting);
      if (ready > 0 && (channel.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) {
        // The host is done with this child (a stop), or gone: the provider gets its grace,
        // then the namespace ends with this process, even while the provider still loads.
        deadline = std::chrono::steady_clock::now() + kGrace;
      }
      continue;
    }
    const auto left_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             *deadline - std::chrono::steady_clock::now())
                             .count();
    if (left_ns <= 0) {
      // Its grace is over: ended here, so that the host is told how.
      ::kill(provider, SIGKILL);
      while (::waitpid(provider, &status, 0) < 0 && errno == EINTR) {
      }
      const int report = status;
      (void)!::write(options.status_fd, &report, sizeof report);
      ::_exit(0);
    }
    const timespec left{left_ns / 1000000000L, left_ns % 1000000000L};
    (void)::ppoll(nullptr, 0, &left, &waiting);  // a SIGCHLD ends it early
  }
}

}  // namespace

int RunProviderChild(const ProviderChildOptions& options) {
  BecomeNamespaceInit(options);
  // In a namespace of its own, the parent is its process 1 for good: the channel's end of
  // file says the host is gone.
  const pid_t parent = ::getppid();
  const bool own_group = options.own_group;
  // With --provider-user the library is opened while this process is still the host's
  // user: the user it becomes may be allowed to read neither the library nor the
  // directories on its way (the archive's cache). It is loaded through the descriptor.
  // Given a descriptor (the host's sealed copy of what it verified, library_copy.h), the
  // library is loaded through it and `library` only names it in messages.
  Result<int> library_fd = -1;
  if (options.library_fd >= 0) {
    library_fd = options.library_fd;
    // Not for the processes the provider starts.
    ::fcntl(options.library_fd, F_SETFD, FD_CLOEXEC);
  } else if (options.confinement.uid) {
    library_fd = OpenLibrary(options.library);
  }
  // First, while this process has one thread and nothing of the provider is loaded.
  Result<std::vector<std::string>> confined = ConfineProviderChild(options.confinement);
  // Die with the host. Not PR_SET_PDEATHSIG: it fires when the host *thread* that
  // spawned us ends (a supervisor restarting us, a background task), not the host. The
  // host's end of the channel closes when it dies (EOF below), and a thread here
  // watches for being orphaned in case the main thread is slow to see it.
  std::thread([parent, own_group] {
    while (::getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EndWithTheHost(own_group);
  }).detach();
  ::signal(SIGPIPE, SIG_IGN);
  // A process the provider starts (system, popen) must not hold the channel open: the
  // host notices our end by its end of file.
  ::fcntl(options.fd, F_SETFD, FD_CLOEXEC);
  // The host decides when the child stops (it sends stop, then closes the channel), even
  // if SIGINT reaches it (the child has a process group of its own, so a terminal's Ctrl-C
  // does not, unless the child is started by hand).
  ::signal(SIGINT, SIG_IGN);
  Channel channel(options.fd);
  SetLogLevel(options.log_level);
  SetLogSink([&channel](LogLevel level, std::string_view component, std::string_view msg) {
    (void)channel.Send(LogMessage(level, component, msg));
  });

  if (!confined.ok()) {
    Message m;
    m.type = Type::kLoadFailed;
    m.level = static_cast<int64_t>(confined.status().code());
    m.payload = ToBytes("cannot confine the provider's process: " + confined.status().message());
    (void)channel.Send(m);
    return 1;
  }
  for (const std::string& warning : *confined) {
    Log(LogLevel::kWarn, "provider", "confinement: " + warning);
  }
  Result<std::shared_ptr<Provider>> loaded = library_fd.status();
  if (!options.confinement.uid && options.library_fd < 0) {
    loaded = LoadNativeProvider(options.library, options.contract);
  } else if (library_fd.ok()) {
    // A process's own /proc/self/fd stays open to it even when it is not dumpable.
    Result<std::string> file = LoadablePath(*library_fd, options.library);
    loaded = file.ok() ? LoadNativeProviderFrom(*file, options.library, options.contract)
                       : Result<std::shared_ptr<Provider>>(file.status());
  }
  if (!loaded.ok()) {
    Message m;
    m.type = Type::kLoadFailed;
    m.level = static_cast<int64_t>(loaded.status().code());
    m.payload = ToBytes(loaded.status().message());
    (void)channel.Send(m);
    return 1;
  }
  std::shared_ptr<Provider> provider = *loaded;
  {
    ProviderDescriptor d = provider->Describe();
    Message hello;
    hello.type = Type::kHello;
    hello.a = d.contract_id;
    hello.b = d.name;
    hello.c = d.version;
    if (!channel.Send(hello).ok()) EndWithTheHost(own_group);  // what create started goes
  }

  ChildHost host(&channel);
  std::atomic<bool> stopped{false};
  int exit_code = 0;
  {
    ThreadPool calls("prov-call", kCallThreads, kMaxQueuedCalls);
    ThreadPool control("prov-ctl", 1, 1024);
    for (;;) {
      auto frame = proc::ReadFrame(channel.fd());
      if (!frame.ok()) {
        if (frame.status().message() != "closed") exit_code = 2;
        break;
      }
      Message m = std::move(*frame);
      switch (m.type) {
        case Type::kCall: {
          auto task = [&, m = std::move(m)]() {
            Message r;
            r.type = Type::kReply;
            r.id = m.id;
            auto reply = provider->HandleCall(m.a, m.b, m.payload);
            if (reply.ok()) {
              r.payload = std::move(*reply);
            } else {
              r = Reply(m.id, reply.status());
            }
            if (Status s = channel.Send(r); s.code() == Code::kInvalidArgument) {
              (void)channel.Send(Reply(m.id, ResourceExhausted("the provider's reply is too "
                                                               "large: " +
                                                               s.message())));
            }
          };
          if (!calls.TrySubmit(std::move(task))) {
            (void)channel.Send(Reply(m.id, Unavailable("the provider process has too many calls "
                                                       "queued")));
          }
          break;
        }
        case Type::kActorReply:
          host.Answer(std::move(m));
          break;
        case Type::kStart:
        case Type::kBind:
        case Type::kRemove:
        case Type::kHealth:
        case Type::kStop: {
          auto task = [&, m = std::move(m)]() {
            Status s;
            switch (m.type) {
              case Type::kStart:
                s = provider->Start(&host);
                break;
              case Type::kBind:
                s = provider->BindActor(m.a, m.values);
                break;
              case Type::kRemove:
                s = provider->RemoveActor(m.a);
                break;
              case Type::kHealth:
                s = provider->Health();
                break;
              default:
                if (!stopped.exchange(true)) provider->Stop();
                break;
            }
            (void)channel.Send(Reply(m.id, s));
          };
          if (!control.TrySubmit(std::move(task))) {
            (void)channel.Send(Reply(m.id, Unavailable("the provider process is busy")));
          }
          break;
        }
        default:
          Log(LogLevel::kWarn, "provider-host",
              "unexpected " + std::string(proc::TypeName(m.type)) + " frame from the host");
          break;
      }
    }
    // The host closed the channel: after a stop, end cleanly; otherwise the host is gone
    // (or gave up on us): end at once, without running provider code that may hang, and
    // with what the provider started (the host, if alive, would end that group anyway).
    if (!stopped.load()) EndWithTheHost(own_group);
    host.Close();
    calls.Shutdown();
    control.Shutdown();
  }
  SetLogSink({});
  // The library is closed when `provider` goes; a provider whose threads outlive its
  // stop would crash the process then, which only this child would see.
  provider.reset();
  return exit_code;
}

}  // namespace wasmcloud::provider
