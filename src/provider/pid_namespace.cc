#include "provider/pid_namespace.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/sanitizers.h"

// The child's code: nothing of a sanitizer's in it, not even the function-entry hooks that
// no_sanitize leaves in place (disable_sanitizer_instrumentation, clang 14; g++ builds
// without sanitizers here).
#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define WC_CHILD_CODE \
  __attribute__((no_sanitize("address", "thread", "undefined"), disable_sanitizer_instrumentation))
#endif
#endif
#ifndef WC_CHILD_CODE
#define WC_CHILD_CODE __attribute__((no_sanitize("address", "thread", "undefined")))
#endif

namespace wasmcloud::provider {
namespace {

// The steps of the child that can fail, as it reports them.
constexpr const char* kSteps[] = {"setpgid", "sigprocmask", "open /dev/null", "dup3", "execve"};
enum Step { kSetpgid, kSigprocmask, kDevNull, kDup, kExec };

// What the child is given (under ThreadSanitizer it is a fork instead: below). It runs in the
// host's memory (CLONE_VM, as posix_spawn's child does), on a stack of its own, while the thread
// that started it waits (CLONE_VFORK) until it executes or exits: no copy of the host's page
// tables, no copy-on-write faults for the host's other threads afterwards, no commit charge of the
// host's size (a fork can fail with ENOMEM under vm.overcommit_memory=2). So until it executes it
// makes system calls only through Sys: no allocation, no lock, no memory of the host's written but
// its own stack and the errno of the waiting thread (libc's syscall sets it; that thread reads it
// only when the clone failed, and then no child ran); its signal handlers are a copy (no
// CLONE_SIGHAND), and its descriptors too (no CLONE_FILES).
struct ChildArgs {
  const NamespaceSpawn* spawn;
  int default_signals[16];  // spawn->default_signals, copied: nothing of libc++ in the child
  int default_count;
  int report_fd;  // close-on-exec, above 9: a failed step is written here, the exec closes it
};

struct Report {
  int step;
  int error;
};

// The kernel's struct sigaction for rt_sigaction (not libc's).
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

// A system call; a negative errno on failure (not libc's errno).
WC_CHILD_CODE long Sys(long number, long a = 0, long b = 0, long c = 0, long d = 0) {
  const long r = ::syscall(number, a, b, c, d);
  return r < 0 ? -errno : r;
}

[[noreturn]] WC_CHILD_CODE void Fail(ChildArgs* args, Step step, long error) {
  Report report{step, static_cast<int>(-error)};
  Sys(SYS_write, args->report_fd, reinterpret_cast<long>(&report), sizeof report);
  for (;;) Sys(SYS_exit_group, 127);
}

WC_CHILD_CODE int ChildMain(void* arg) {
  auto* args = static_cast<ChildArgs*>(arg);
  const NamespaceSpawn& s = *args->spawn;
  long r = Sys(SYS_setpgid, 0, 0);
  if (r < 0) Fail(args, kSetpgid, r);
  // Every signal arrives blocked (the host blocked them all around clone). A handler of
  // the host's must not run here: back to the default before anything is unblocked.
  for (int sig = 1; sig < 65; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction old{};
    if (Sys(SYS_rt_sigaction, sig, 0, reinterpret_cast<long>(&old), 8) != 0) continue;
    bool reset = old.handler != reinterpret_cast<void*>(SIG_DFL) &&
                 old.handler != reinterpret_cast<void*>(SIG_IGN);
    for (int i = 0; i < args->default_count; ++i) reset = reset || args->default_signals[i] == sig;
    if (reset) {
      KernelSigaction dfl{};
      dfl.handler = reinterpret_cast<void*>(SIG_DFL);
      Sys(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, 8);
    }
  }
  unsigned long none = 0;
  r = Sys(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, 8);
  if (r < 0) Fail(args, kSigprocmask, r);
  const long null_fd = Sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/dev/null"), O_RDONLY);
  if (null_fd < 0) Fail(args, kDevNull, null_fd);
  if (null_fd != 0) {
    r = Sys(SYS_dup3, null_fd, 0, 0);
    if (r < 0) Fail(args, kDup, r);
    Sys(SYS_close, null_fd);
  }
  // The sources (and the report's descriptor) are above 9 (F_DUPFD_CLOEXEC), so none is
  // overwritten.
  const int from[4] = {s.stdout_fd, s.stderr_fd, s.channel_fd, s.status_fd};
  for (int to = 1; to <= 4; ++to) {
    r = Sys(SYS_dup3, from[to - 1], to, 0);
    if (r < 0) Fail(args, kDup, r);
  }
  int first_closed = kStatusFd + 1;
  if (s.library_fd >= 0) {
    r = Sys(SYS_dup3, s.library_fd, kLibraryFd, 0);
    if (r < 0) Fail(args, kDup, r);
    first_closed = kLibraryFd + 1;
  }
  // Nothing else of the host's reaches the program; the report's descriptor stays open
  // (close-on-exec) until the exec.
  if (Sys(SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    // Kernels before 5.11: every descriptor up to the limit.
    struct rlimit limit {};
    const long top = Sys(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, reinterpret_cast<long>(&limit)) == 0
                         ? static_cast<long>(limit.rlim_cur)
                         : 65536;
    for (long fd = first_closed; fd < top && fd < (1L << 20); ++fd) {
      if (fd != args->report_fd) Sys(SYS_close, fd);
    }
  }
  r = Sys(SYS_execve, reinterpret_cast<long>(s.path), reinterpret_cast<long>(s.argv),
          reinterpret_cast<long>(s.envp));
  Fail(args, kExec, r);
}

}  // namespace

bool CanMakePidNamespaces() { return ::geteuid() == 0; }

Result<pid_t> SpawnInPidNamespace(const NamespaceSpawn& spawn) {
  ChildArgs args{};
  args.spawn = &spawn;
  for (int sig : spawn.default_signals) {
    if (args.default_count < 16) args.default_signals[args.default_count++] = sig;
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return Unavailable(std::string("cannot start the provider process: ") + strerror(errno));
  }
  // Above 9, where the child's dup3 calls cannot land on it.
  const int report_write = ::fcntl(report[1], F_DUPFD_CLOEXEC, 10);
  ::close(report[1]);
  if (report_write < 0) {
    const int err = errno;
    ::close(report[0]);
    return Unavailable(std::string("cannot start the provider process: ") + strerror(err));
  }
  args.report_fd = report_write;

  // The child's stack, above a page that is never mapped: an overflow faults in the child
  // instead of writing the host's memory it runs in.
  constexpr size_t kStack = 256 * 1024;
  const size_t guard = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* stack = ::mmap(nullptr, guard + kStack, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack != MAP_FAILED && ::mprotect(stack, guard, PROT_NONE) != 0) {
    ::munmap(stack, guard + kStack);
    stack = MAP_FAILED;
  }
  if (stack == MAP_FAILED) {
    const int err = errno;
    ::close(report[0]);
    ::close(report_write);
    return Unavailable(std::string("cannot start the provider process: ") + strerror(err));
  }
  // Every signal blocked, libc's own too (as posix_spawn does), so that no handler of the
  // host's runs in the child before it has reset them.
  const unsigned long all = ~0UL;
  unsigned long old = 0;
  (void)::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof old);
  // The child calls libc's syscall and, on a failure, errno's function: bound here first,
  // so that the dynamic linker's lazy binding never runs in the child.
  (void)Sys(SYS_close, -1);
  // This thread goes on once the child has executed (or failed a step and exited): `args`
  // and the stack are the child's until then. Under ThreadSanitizer a fork-like clone: its
  // runtime's clone hook would do a fork's bookkeeping on the host's own memory.
  const int flags =
      kThreadSanitizer ? CLONE_NEWPID | SIGCHLD : CLONE_VM | CLONE_VFORK | CLONE_NEWPID | SIGCHLD;
  const pid_t pid = ::clone(ChildMain, static_cast<char*>(stack) + guard + kStack, flags, &args);
  const int clone_errno = errno;
  (void)::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, sizeof old);
  ::munmap(stack, guard + kStack);
  ::close(report_write);
  if (pid < 0) {
    ::close(report[0]);
    const std::string why =
        std::string("cannot make a PID namespace: clone: ") + strerror(clone_errno);
    if (clone_errno == EPERM || clone_errno == EINVAL || clone_errno == ENOSYS) {
      return FailedPrecondition(why);
    }
    return Unavailable(why);
  }
  // End of file: the exec closed the report's descriptor, the program runs.
  Report failed{};
  ssize_t n;
  while ((n = ::read(report[0], &failed, sizeof failed)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n != static_cast<ssize_t>(sizeof failed)) return pid;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int count = static_cast<int>(sizeof kSteps / sizeof kSteps[0]);
  const std::string step = failed.step >= 0 && failed.step < count ? kSteps[failed.step] : "?";
  return Unavailable("cannot start the provider process " + std::string(spawn.path) + ": " + step +
                     ": " + strerror(failed.error));
}

}  // namespace wasmcloud::provider
