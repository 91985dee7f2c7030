#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!launch.output_file.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, launch.output_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  const int rc = posix_spawn(pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *pid = -1;
    return Internal("cannot start " + launch.argv[0] + ": error " + std::to_string(rc));
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
