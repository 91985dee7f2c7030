#include "support/run_command.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

extern char** environ;

namespace wasmcloud::testing {

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  CommandResult result;
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    result.err = "spawn failed: " + std::to_string(rc);
    return result;
  }
  size_t written = 0;
  if (stdin_data.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
  int open_reads = 2;
  while (open_reads > 0) {
    int n = poll(fds, in[1] >= 0 ? 3 : 2, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) {
        char buf[65536];
        ssize_t r = read(fds[i].fd, buf, sizeof buf);
        if (r <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;
          --open_reads;
        } else {
          (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(r));
        }
      }
    }
    if (in[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in[1], stdin_data.data() + written, stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 || written == stdin_data.size()) {
        close(in[1]);
        in[1] = -1;
      }
    }
  }
  if (in[1] >= 0) close(in[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string WasmcloudBinary() { return std::string(WC_BUILD_DIR) + "/wasmcloud"; }

std::string FixturePath(const std::string& relative) {
  return std::string(WC_SHARED_DIR) + "/fixtures/" + relative;
}

std::string MakeTempDir() {
  char tmpl[] = "/tmp/wc_test_XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

}  // namespace wasmcloud::testing

namespace wasmcloud::testing {

namespace {

// Binds a TCP socket to 127.0.0.1 at `wanted`, or at a port the kernel chooses when it is
// 0; listens when backlog >= 0.
int BindLoopback(int backlog, int* port, int wanted = 0) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(wanted));
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      (backlog >= 0 && listen(fd, backlog) != 0) ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

int FreeLoopbackPort() {
  // A port the kernel chose itself would come from the ephemeral range, where the kernel
  // also takes the source ports of outgoing connections and the ports of servers bound to
  // port 0 (a `wasmcloud up`'s nats-server): between this close and the test's bind, one
  // of those could take it (seen once in CI: the demo's HTTP port was the one the local
  // nats-server got). So the port is drawn below that range, where only binds that name a
  // port land.
  int ephemeral_low = 32768;
  if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    int low = 0, high = 0;
    if (std::fscanf(f, "%d %d", &low, &high) == 2) ephemeral_low = low;
    std::fclose(f);
  }
  const int low = std::max(1024, ephemeral_low / 2);
  if (ephemeral_low - low >= 1024) {
    thread_local std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
    std::uniform_int_distribution<int> pick(low, ephemeral_low - 1);
    for (int attempt = 0; attempt < 64; ++attempt) {
      int port = -1;
      int fd = BindLoopback(-1, &port, pick(random));
      if (fd >= 0) {
        close(fd);
        return port;
      }
    }
  }
  int port = -1;
  int fd = BindLoopback(-1, &port);
  if (fd >= 0) close(fd);
  return port;
}

int ListenOnLoopback(int backlog, int* port) { return BindLoopback(backlog, port); }

}  // namespace wasmcloud::testing
