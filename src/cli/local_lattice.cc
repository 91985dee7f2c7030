#include "cli/local_lattice.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "core/private_dir.h"

extern char** environ;

namespace wasmcloud::cli {
namespace {

constexpr std::string_view kLog = "wasmcloud";
constexpr char kInstallHint[] =
    "install nats-server (apt-get install nats-server) or run with --no-lattice";
constexpr char kListening[] = "Listening for client connections on 127.0.0.1:";
constexpr char kReady[] = "Server is ready";

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The last lines of the server's log, for errors.
std::string LogTail(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok() || bytes->empty()) return "(no output)";
  std::string text(AsChars(*bytes));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t start = text.size();
  for (int lines = 0; lines < 8 && start != std::string::npos && start > 0; ++lines) {
    start = text.rfind('\n', start - 1);
  }
  return start == std::string::npos || start == 0 ? text : text.substr(start + 1);
}

// True when something on 127.0.0.1:port answers with a NATS INFO line naming `name`.
bool AnswersAs(int port, const std::string& name) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    char buf[1024];
    while (got.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return got.starts_with("INFO ") &&
         got.find("\"server_name\":\"" + name + "\"") != std::string::npos;
}

Status BadFile(const std::string& path, const std::string& why) {
  return Malformed(path + " is not a local lattice file (" + why +
                   "): remove it and start `wasmcloud up` again, or give --rpc-host");
}

}  // namespace

std::string LocalLatticeFilePath() {
  if (std::string file = Getenv("WASMCLOUD_LATTICE_FILE"); !file.empty()) return file;
  if (std::string run = Getenv("XDG_RUNTIME_DIR"); !run.empty()) {
    return run + "/wasmcloud/lattice.json";
  }
  return "/tmp/wasmcloud-" + std::to_string(::getuid()) + "/lattice.json";
}

Result<LocalLatticeInfo> ReadLocalLatticeFile(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound) {
      return NotFound("no local lattice found at " + path +
                      ": start one with `wasmcloud up`, or give --rpc-host");
    }
    return bytes.status().WithContext("local lattice file");
  }
  auto json = nlohmann::json::parse(AsChars(*bytes), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return BadFile(path, "not JSON");
  if (!json.is_object()) return BadFile(path, "not a JSON object");
  LocalLatticeInfo info;
  for (auto [key, field] : {std::pair<const char*, std::string*>{"url", &info.url},
                            {"lattice", &info.lattice},
                            {"host_id", &info.host_id}}) {
    auto it = json.find(key);
    if (it == json.end() || !it->is_string() || it->get<std::string>().empty()) {
      return BadFile(path, std::string("no \"") + key + "\" string");
    }
    *field = it->get<std::string>();
  }
  if (!info.url.starts_with("nats://")) return BadFile(path, "\"url\" is not a nats:// URL");
  auto pid = json.find("pid");
  if (pid == json.end() || !pid->is_number_integer() || pid->get<int64_t>() <= 0 ||
      pid->get<int64_t>() > INT32_MAX) {
    return BadFile(path, "no positive \"pid\" number");
  }
  info.pid = static_cast<int>(pid->get<int64_t>());
  if (auto admin = json.find("admin"); admin != json.end() && admin->is_string()) {
    info.admin = admin->get<std::string>();
  }
  return info;
}

Status WriteLocalLatticeFile(const std::string& path, const LocalLatticeInfo& info) {
  nlohmann::ordered_json json = {
      {"url", info.url}, {"lattice", info.lattice}, {"host_id", info.host_id}, {"pid", info.pid}};
  if (!info.admin.empty()) json["admin"] = info.admin;
  return WriteFile(path, ToBytes(json.dump() + "\n"), 0600);
}

void RemoveLocalLatticeFileOf(const std::string& path, int pid) {
  auto info = ReadLocalLatticeFile(path);
  if (info.ok() && info->pid == pid) ::unlink(path.c_str());
}

Result<std::string> FindNatsServer() {
  if (std::string given = Getenv("WASMCLOUD_NATS_SERVER"); !given.empty()) {
    if (IsExecutableFile(given)) return given;
    return NotFound("nats-server is not installed (WASMCLOUD_NATS_SERVER names " + given +
                    ", which is not an executable file): " + std::string(kInstallHint));
  }
  std::vector<std::string> dirs;
  std::string path = Getenv("PATH");
  for (size_t start = 0; start <= path.size();) {
    size_t colon = path.find(':', start);
    if (colon == std::string::npos) colon = path.size();
    dirs.push_back(colon == start ? "." : path.substr(start, colon - start));
    start = colon + 1;
  }
  if (path.empty()) dirs.clear();
  dirs.emplace_back("/usr/local/sbin");
  dirs.emplace_back("/usr/sbin");
  for (const auto& dir : dirs) {
    std::string candidate = dir + "/nats-server";
    if (IsExecutableFile(candidate)) return candidate;
  }
  return NotFound("nats-server is not installed (not found on PATH, nor in /usr/sbin): " +
                  std::string(kInstallHint));
}

// --- LocalNatsServer

Result<std::unique_ptr<LocalNatsServer>> LocalNatsServer::Start(const Options& options) {
  std::unique_ptr<LocalNatsServer> server(new LocalNatsServer(options));
  Status s = server->Launch();
  if (!s.ok()) return s;  // the destructor stops what was started
  return server;
}

Status LocalNatsServer::Launch() {
  std::string tmp = Getenv("TMPDIR");
  if (tmp.empty()) tmp = "/tmp";
  std::string dir = tmp + "/wasmcloud-nats-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    return Unavailable("cannot start nats-server: cannot create a directory in " + tmp + ": " +
                       std::strerror(errno));
  }
  dir_ = dir;
  static std::atomic<int> counter{0};
  name_ = "wasmcloud-up-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  const std::string log = dir_ + "/nats.log";

  // Everything the child uses is made before fork: only async-signal-safe calls after it.
  std::vector<std::string> argv = {options_.program,
                                   "-js",
                                   "-a",
                                   "127.0.0.1",
                                   "-p",
                                   "-1",  // a free port, chosen by the server
                                   "--server_name",
                                   name_,
                                   "-sd",
                                   dir_ + "/js",
                                   "-l",
                                   log};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return Unavailable(std::string("cannot start nats-server: fork failed: ") +
                       std::strerror(errno));
  }
  if (pid == 0) {
    // Dies with `up`, even when `up` is killed (this thread is the main one: the signal
    // follows the thread that forked).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    // Its own process group: a Ctrl-C in the terminal goes to `up`, which stops the host
    // first and the server after it.
    ::setpgid(0, 0);
    // `up` blocks SIGINT and SIGTERM (a thread takes them with sigwait): not the server.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, 0);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    // Nothing of `up` (sockets, pipes) leaks into it.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    ::execve(args[0], args.data(), environ);
    ::_exit(127);
  }
  pid_ = pid;

  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  for (;;) {
    // Its log says the port once it listens, and "Server is ready" once JetStream runs too.
    auto text = ReadFile(log);
    if (text.ok()) {
      std::string_view t = AsChars(*text);
      size_t at = t.find(kListening);
      if (at != std::string_view::npos && t.find(kReady) != std::string_view::npos) {
        port_ = std::atoi(std::string(t.substr(at + sizeof kListening - 1, 5)).c_str());
        if (port_ > 0 && AnswersAs(port_, name_)) return Status::Ok();
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string how =
          WIFEXITED(status) && WEXITSTATUS(status) == 127
              ? "could not be run"
              : "exited at start (" +
                    (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                       : "signal " + std::to_string(WTERMSIG(status))) +
                    ")";
      return Unavailable("cannot start the local lattice: " + options_.program + " " + how + ": " +
                         LogTail(log) + "; " + kInstallHint);
    }
    if (options_.cancelled && options_.cancelled()) {
      return Unavailable("stopped while nats-server was starting");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return DeadlineExceeded("cannot start the local lattice: " + options_.program +
                              " was not ready within " +
                              std::to_string(options_.start_timeout.count()) +
                              " ms: " + LogTail(log) + "; " + kInstallHint);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

LocalNatsServer::~LocalNatsServer() { Stop(); }

void LocalNatsServer::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
    bool reaped = false;
    while (!reaped) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        reaped = true;
      } else if (std::chrono::steady_clock::now() > deadline) {
        Log(LogLevel::kWarn, kLog,
            "nats-server (pid " + std::to_string(pid_) + ") did not stop within " +
                std::to_string(options_.stop_timeout.count()) + " ms: killing it");
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reaped = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string LocalNatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

// --- LocalLattice

Result<std::unique_ptr<LocalLattice>> LocalLattice::Start(host::HostConfig& config,
                                                          std::function<bool()> cancelled) {
  std::unique_ptr<LocalLattice> lattice(new LocalLattice());
  lattice->file_ = LocalLatticeFilePath();
  // The default places are directories of this user's own; a given file's folder is made
  // when missing.
  const std::string dir = std::filesystem::path(lattice->file_).parent_path().string();
  if (Getenv("WASMCLOUD_LATTICE_FILE").empty()) {
    Status s = EnsurePrivateDirectory(dir, "local lattice directory");
    if (!s.ok()) {
      return s.WithContext(
          "cannot record the local lattice (set WASMCLOUD_LATTICE_FILE to a "
          "file elsewhere, or run with --no-lattice)");
    }
  } else if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (!ec) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
      if (ec) {
        return Unavailable("cannot create " + dir + " for WASMCLOUD_LATTICE_FILE: " + ec.message());
      }
    }
  }
  LocalNatsServer::Options options;
  WC_ASSIGN_OR_RETURN(options.program, FindNatsServer());
  options.cancelled = std::move(cancelled);
  WC_ASSIGN_OR_RETURN(lattice->server_, LocalNatsServer::Start(options));
  config.rpc_host = "127.0.0.1";
  config.rpc_port = static_cast<uint16_t>(lattice->server_->port());
  lattice->info_.url = lattice->server_->url();
  lattice->info_.lattice = config.lattice_prefix;
  lattice->info_.pid = static_cast<int>(::getpid());
  return lattice;
}

void LocalLattice::Publish(const std::string& host_id, const std::string& admin) {
  info_.host_id = host_id;
  info_.admin = admin;
  Status s = WriteLocalLatticeFile(file_, info_);
  if (!s.ok()) {
    Log(LogLevel::kWarn, kLog,
        "local lattice " + info_.lattice + " on " + info_.url +
            ", but wasmcloud ctl cannot find it: " + s.message());
    return;
  }
  published_ = true;
  Log(LogLevel::kInfo, kLog,
      "local lattice " + info_.lattice + " on " + info_.url + " (wasmcloud ctl finds it through " +
          file_ + ")");
}

LocalLattice::~LocalLattice() {
  if (published_) RemoveLocalLatticeFileOf(file_, info_.pid);
  if (server_) server_->Stop();
}

}  // namespace wasmcloud::cli
