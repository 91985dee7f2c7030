#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/run_command.h"

extern char** environ;

namespace wasmcloud::testing {

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Status LaunchServer(const ServerLaunch& launch, pid_t* pid) {
  *pid = -1;
  if (launch.argv.empty()) return InvalidArgument("no program to start");
  const std::string name = std::filesystem::path(launch.argv[0]).filename().string();
  std::vector<std::string> argv = launch.argv;
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  // fork + exec rather than posix_spawn, for PR_SET_PDEATHSIG: a test killed by a
  // timeout (or a crash) takes its servers with it instead of leaving them running. (The
  // signal follows the thread that forked: servers are started from the test's thread.)
  const pid_t parent = getpid();
  const char* output = launch.output_file.empty() ? nullptr : launch.output_file.c_str();
  *pid = fork();
  if (*pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent is already gone
    if (output != nullptr) {
      int fd = open(output, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
    }
    execve(args[0], args.data(), environ);
    _exit(127);
  }
  if (*pid < 0) {
    *pid = -1;
    return Internal("cannot start " + launch.argv[0] + ": fork failed");
  }
  const auto deadline = std::chrono::steady_clock::now() + launch.timeout;
  while (!launch.ready()) {
    int status = 0;
    if (waitpid(*pid, &status, WNOHANG) == *pid) {
      *pid = -1;
      return Unavailable(name + " exited at start: " + ReadTextFile(launch.log_file));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      StopServer(pid, SIGKILL);
      return DeadlineExceeded(name + " did not " + launch.ready_means + " within " +
                              std::to_string(launch.timeout.count()) +
                              " ms: " + ReadTextFile(launch.log_file));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Status::Ok();
}

void StopServer(pid_t* pid, int sig) {
  if (*pid <= 0) return;
  kill(*pid, sig);
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  *pid = -1;
}

Status LaunchOnFreePort(int* port, const std::function<Status()>& launch, int attempts) {
  Status s = Unavailable("no free port of 127.0.0.1");
  for (int attempt = 0; attempt < attempts; ++attempt) {
    *port = FreeLoopbackPort();
    if (*port <= 0) continue;
    s = launch();
    if (s.ok()) return s;
  }
  return s;
}

}  // namespace wasmcloud::testing
