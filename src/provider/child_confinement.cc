#include "provider/child_confinement.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/sanitizers.h"

namespace wasmcloud::provider {
namespace {

std::string Errno(int err) { return std::strerror(err); }

// Namespaces a provider might create with clone(2) (CLONE_NEWTIME shares its bit with the
// exit signal there, and is only for clone3 and unshare, both refused anyway).
constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                        CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET};

// Fails closed: only a kernel without seccomp is kUnavailable (a warning); any other
// failure is an error, and the provider does not run unfiltered.
Status ApplySeccomp() {
  if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
    return Unavailable("this kernel has no seccomp");
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return Internal("seccomp_init failed");
  struct Release {
    scmp_filter_ctx ctx;
    ~Release() { seccomp_release(ctx); }
  } release{ctx};
  // The kernel's own error codes, not libseccomp's ECANCELED.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1); rc != 0) {
    return Internal("seccomp raw error codes: " + Errno(-rc));
  }
  // Every thread of the process, not only the calling one.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) {
    return Internal("seccomp cannot filter every thread: " + Errno(-rc));
  }
  // A system call of another architecture (int 0x80, x32) ends the whole process, which
  // the host then reports as a crash (SIGSYS), rather than only the calling thread.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0) {
    return Internal("seccomp action for other architectures: " + Errno(-rc));
  }
  for (const std::string& name : DeniedSyscalls()) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0); rc != 0) {
      return Internal("seccomp rule for " + name + ": " + Errno(-rc));
    }
  }
  for (uint64_t flag : kNamespaceFlags) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                  SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
        rc != 0) {
      return Internal("seccomp rule for clone: " + Errno(-rc));
    }
  }
  // clone3 passes its flags in memory, which a filter cannot read: ENOSYS makes glibc
  // fall back to clone, whose flags are checked above.
  if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc != 0) {
    return Internal("seccomp rule for clone3: " + Errno(-rc));
  }
  if (int rc = seccomp_load(ctx); rc != 0) {
    return Internal("the kernel refused the seccomp filter: " + Errno(-rc));
  }
  return Status::Ok();
}

// Raises /proc/self/oom_score_adj by `raise` (lowering it would need a privilege).
Status RaiseOomScore(int raise) {
  int fd = ::open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open /proc/self/oom_score_adj: " + Errno(errno));
  char buf[32] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  int current = n > 0 ? std::atoi(buf) : 0;
  int wanted = std::clamp(current + raise, -1000, 1000);
  std::string text = std::to_string(wanted);
  bool ok = ::lseek(fd, 0, SEEK_SET) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  ::close(fd);
  if (!ok) return Unavailable("cannot set oom_score_adj to " + text + ": " + Errno(err));
  return Status::Ok();
}

// Soft and hard limit; at most the inherited hard limit (raising it needs a privilege),
// with a warning when that is less than asked.
Status SetLimit(int resource, const char* name, uint64_t value,
                std::vector<std::string>* warnings) {
  rlimit current{};
  if (::getrlimit(resource, &current) != 0) {
    return Internal(std::string("getrlimit ") + name + ": " + Errno(errno));
  }
  rlim_t v = static_cast<rlim_t>(value);
  if (current.rlim_max != RLIM_INFINITY && v > current.rlim_max) {
    v = current.rlim_max;
    warnings->push_back(std::string("the limit of ") + name + " is " + std::to_string(v) +
                        ", the inherited hard limit, not " + std::to_string(value));
  }
  rlimit wanted{v, v};
  if (::setrlimit(resource, &wanted) != 0) {
    return FailedPrecondition(std::string("cannot limit ") + name + " to " + std::to_string(v) +
                              ": " + Errno(errno));
  }
  return Status::Ok();
}

// setgroups, setgid, setuid, in that order (each later one needs the privilege the
// earlier ones still have), then a check that the process cannot become root again.
Status SwitchUser(uint32_t uid, uint32_t gid) {
  const std::string who = "uid " + std::to_string(uid) + ", gid " + std::to_string(gid);
  const gid_t groups[1] = {static_cast<gid_t>(gid)};
  if (::setgroups(1, groups) != 0) {
    return FailedPrecondition("cannot run as " + who + ": setgroups: " + Errno(errno) +
                              " (--provider-user needs a host that runs as root)");
  }
  if (::setresgid(gid, gid, gid) != 0) {
    return FailedPrecondition("cannot run as " + who + ": setresgid: " + Errno(errno));
  }
  if (::setresuid(uid, uid, uid) != 0) {
    return FailedPrecondition("cannot run as " + who + ": setresuid: " + Errno(errno));
  }
  // Capabilities go with root's ids only when the ids were root's: a host given
  // capabilities without being root would hand them on. None are kept.
  (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2] = {};
  if (::syscall(SYS_capset, &header, caps) != 0) {
    return Internal("cannot run as " + who + ": capset: " + Errno(errno));
  }
  if (::syscall(SYS_capget, &header, caps) != 0 || caps[0].permitted != 0 ||
      caps[1].permitted != 0 || caps[0].effective != 0 || caps[1].effective != 0) {
    return Internal("cannot run as " + who + ": capabilities remain");
  }
  uid_t r = 0, e = 0, saved = 0;
  gid_t gr = 0, ge = 0, gsaved = 0;
  if (::getresuid(&r, &e, &saved) != 0 || r != uid || e != uid || saved != uid ||
      ::getresgid(&gr, &ge, &gsaved) != 0 || gr != gid || ge != gid || gsaved != gid) {
    return Internal("cannot run as " + who + ": the ids did not change");
  }
  if (uid != 0 && ::setuid(0) == 0) return Internal("cannot run as " + who + ": setuid(0) works");
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& DeniedSyscalls() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = {
        // Other processes' memory and state.
        "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
        // The kernel itself.
        "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "bpf",
        "perf_event_open", "userfaultfd", "add_key", "request_key", "keyctl", "iopl", "ioperm",
        "lookup_dcookie", "open_by_handle_at",
        // Namespaces and mounts.
        "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
        "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        // The whole machine.
        "reboot", "swapon", "swapoff", "sethostname", "setdomainname", "settimeofday",
        "clock_settime", "clock_adjtime", "adjtimex", "acct", "quotactl", "syslog", "vhangup"};
    // LeakSanitizer stops the process's threads with ptrace when it exits.
    if (!kAddressSanitizer) v.insert(v.begin(), "ptrace");
    return v;
  }();
  return names;
}

Result<std::vector<std::string>> ConfineProviderChild(const ConfinementOptions& options) {
  std::vector<std::string> warnings;
  // Nothing it executes gains privileges (setuid, file capabilities); also what lets an
  // unprivileged process install a seccomp filter.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    warnings.push_back("no_new_privs: " + Errno(errno));
  }
  if (options.oom_score_adj_raise != 0) {
    if (Status s = RaiseOomScore(options.oom_score_adj_raise); !s.ok()) {
      warnings.push_back(s.message());
    }
  }
  if (options.max_open_files != 0) {
    WC_RETURN_IF_ERROR(SetLimit(RLIMIT_NOFILE, "open files", options.max_open_files, &warnings));
  }
  // The user last of these: the OOM score's file is the process's own only while it is
  // dumpable, which a change of user ends.
  if (options.uid) {
    WC_RETURN_IF_ERROR(SwitchUser(*options.uid, options.gid.value_or(*options.uid)));
  }
  // After the OOM score and the user: the /proc files of a process that is not dumpable
  // belong to root. Other processes of the user (the other providers' children among
  // them) can then neither attach to it nor read its memory; LeakSanitizer turns it on
  // again for its own check. A change of user has already made it not dumpable: with
  // --dumpable it becomes dumpable again.
  if (!options.dumpable && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    warnings.push_back("not dumpable: " + Errno(errno));
  }
  if (options.dumpable && options.uid && ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
    warnings.push_back("dumpable: " + Errno(errno));
  }
  if (options.seccomp) {
    if (Status s = ApplySeccomp(); !s.ok()) {
      if (s.code() != Code::kUnavailable) return s;
      warnings.push_back(s.message() + "; the provider runs without the filter");
    }
  }
  return warnings;
}

}  // namespace wasmcloud::provider
