#include "nats_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/server_process.h"

namespace wasmcloud::messaging::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);

int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads until `text` has come (true) or `timeout` passed or the peer closed (false).
bool ReadUntil(int fd, std::string_view text, std::chrono::milliseconds timeout, std::string* got) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (got->find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    got->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// The first line the server sends on a new connection (its INFO), or "" when nothing
// listens or nothing came within 200 ms.
std::string FirstLine(int port) {
  const int fd = ConnectTo(port);
  if (fd < 0) return "";
  std::string line;
  ReadUntil(fd, "\n", std::chrono::milliseconds(200), &line);
  close(fd);
  return line;
}

}  // namespace

std::string NatsServer::Binary() { return WC_NATS_SERVER; }

Result<std::unique_ptr<NatsServer>> NatsServer::Start(std::vector<std::string> extra_args) {
  if (Binary().empty()) return NotFound("nats-server is not installed");
  static std::atomic<int> counter{0};
  std::unique_ptr<NatsServer> server(
      new NatsServer(wasmcloud::testing::MakeTempDir(), std::move(extra_args)));
  server->name_ = "wc-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  WC_RETURN_IF_ERROR(
      wasmcloud::testing::LaunchOnFreePort(&server->port_, [&] { return server->Launch(); }));
  return server;
}

Status NatsServer::Launch() {
  const std::string log = dir_ + "/nats.log";
  std::vector<std::string> argv = {Binary(),        "-a",  "127.0.0.1", "-p", std::to_string(port_),
                                   "--server_name", name_, "-l",        log};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  wasmcloud::testing::ServerLaunch launch;
  launch.argv = argv;
  launch.log_file = log;
  launch.ready = [this] { return Ready(); };
  launch.timeout = kStartTimeout;
  launch.ready_means = "answer with its INFO";
  return wasmcloud::testing::LaunchServer(launch, &pid_);
}

bool NatsServer::Ready() const {
  const std::string line = FirstLine(port_);
  return line.starts_with("INFO ") &&
         line.find("\"server_name\":\"" + name_ + "\"") != std::string::npos;
}

Status NatsServer::Publish(const std::string& subject, std::string_view body,
                           const std::string& reply_to) const {
  const int fd = ConnectTo(port_);
  if (fd < 0) return Unavailable("cannot connect to the test nats-server");
  std::string got;
  std::string out = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPUB " + subject + " " +
                    (reply_to.empty() ? "" : reply_to + " ") + std::to_string(body.size()) +
                    "\r\n" + std::string(body) + "\r\nPING\r\n";
  bool ok = ReadUntil(fd, "\n", std::chrono::seconds(5), &got) &&
            write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()) &&
            ReadUntil(fd, "PONG\r\n", std::chrono::seconds(5), &got);
  close(fd);
  if (!ok) return Unavailable("the test nats-server did not take the message: " + got);
  if (got.find("-ERR") != std::string::npos) return Internal("nats-server: " + got);
  return Status::Ok();
}

NatsServer::~NatsServer() {
  Kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string NatsServer::Url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

void NatsServer::Kill() { wasmcloud::testing::StopServer(&pid_, SIGKILL); }

Status NatsServer::Restart() {
  Kill();
  return Launch();
}

Status NatsServer::Restart(std::vector<std::string> extra_args) {
  Kill();
  extra_args_ = std::move(extra_args);
  return Launch();
}

void NatsServer::Pause() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGSTOP);
  // The signal stops the threads asynchronously (a running one at its next interrupt):
  // returns once every thread of the server is seen stopped (state T), or after 5 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
  while (std::chrono::steady_clock::now() < deadline) {
    bool all_stopped = true;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream in(task.path() / "stat");
      std::string stat;
      std::getline(in, stat);
      const size_t close = stat.rfind(')');
      if (close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'T') {
        all_stopped = false;
        break;
      }
    }
    if (all_stopped && !ec) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void NatsServer::Resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

}  // namespace wasmcloud::messaging::testing
