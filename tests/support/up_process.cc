#include "support/up_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "support/run_command.h"

namespace wasmcloud::testing {

UpProcess::UpProcess(const std::vector<std::string>& args,
                     const std::vector<std::pair<std::string, std::string>>& env, bool stdout_too,
                     const std::string& binary) {
  int fds[2];
  if (pipe(fds) != 0) return;
  // Everything the child needs is made before fork (only async-signal-safe calls after).
  std::string bin = binary.empty() ? WasmcloudBinary() : binary;
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  argv.push_back(bin.data());
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::pair<std::string, std::string>> given = env;
  given.emplace_back("WASMCLOUD_BUILD_DIR", WC_BUILD_DIR);
  bool file_given = false;
  for (const auto& [name, value] : env) {
    if (name == "WASMCLOUD_LATTICE_FILE") {
      file_given = true;
      lattice_file_ = value;
    }
  }
  if (!file_given) {
    own_dir_ = MakeTempDir();
    lattice_file_ = own_dir_ + "/lattice.json";
    given.emplace_back("WASMCLOUD_LATTICE_FILE", lattice_file_);
  }
  // The test's environment, but for the names given here (getenv takes the first one).
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& g : given) {
      if (entry.starts_with(g.first + "=")) replaced = true;
    }
    if (!replaced) environment.emplace_back(entry);
  }
  for (const auto& [name, value] : given) environment.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // A test killed by a timeout takes its hosts with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    dup2(fds[1], 2);
    if (stdout_too) {
      dup2(fds[1], 1);
    } else {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
    }
    close(fds[0]);
    execve(bin.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  fd_ = fds[0];
}

UpProcess::~UpProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (fd_ >= 0) close(fd_);
  if (!own_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(own_dir_, ec);
  }
}

bool UpProcess::WaitFor(const std::string& text, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (log_.find(text) == std::string::npos) {
    if (fd_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return log_.find(text) != std::string::npos;
    log_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

int UpProcess::Stop(int sig) {
  Signal(sig);
  return Wait();
}

void UpProcess::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int UpProcess::Wait() {
  if (pid_ <= 0) return -1;
  WaitFor("\x01 never printed", std::chrono::seconds(60));  // drains the log to EOF
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<pid_t> ChildProcesses(pid_t parent, std::string_view word) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat_file(entry.path() / "stat");
    const std::string stat((std::istreambuf_iterator<char>(stat_file)),
                           std::istreambuf_iterator<char>());
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = -1;
    rest >> state >> ppid;
    if (ppid != parent || state == "Z" || state == "X") continue;
    std::ifstream cmdline_file(entry.path() / "cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)),
                              std::istreambuf_iterator<char>());
    if (cmdline.find(word) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

std::string ProcStatus(pid_t pid, std::string_view name) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(name)) {
      const size_t start = line.find_first_not_of(" \t", name.size());
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "";
}

std::string HostPid(std::string_view answer) {
  const size_t space = answer.rfind(' ');
  if (space == std::string_view::npos) return std::string(answer);
  const std::string ns(answer.substr(0, space));
  const std::string pid(answer.substr(space + 1));
  std::error_code ec;
  // This process's own namespace: the pid is one of ours. (Another user's non-dumpable
  // processes do not let us read their ns links.)
  if (std::filesystem::read_symlink("/proc/self/ns/pid", ec).string() == ns) return pid;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_ec;
    if (std::filesystem::read_symlink(entry.path() / "ns" / "pid", link_ec).string() != ns) {
      continue;
    }
    // "NSpid:\t<pid here>\t...\t<pid in its own namespace>"
    const std::string ns_pids = ProcStatus(static_cast<pid_t>(std::stol(name)), "NSpid:");
    const size_t last = ns_pids.find_last_of(" \t");
    if (ns_pids.substr(last == std::string::npos ? 0 : last + 1) == pid) return name;
  }
  return "";
}

pid_t FirstChild(pid_t pid) {
  const std::string id = std::to_string(pid);
  std::ifstream children("/proc/" + id + "/task/" + id + "/children");
  long child = -1;
  if (!(children >> child)) child = -1;
  return static_cast<pid_t>(child);
}

}  // namespace wasmcloud::testing
