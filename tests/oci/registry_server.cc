#include "registry_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/bytes.h"
#include "support/run_command.h"
#include "support/server_process.h"

namespace wasmcloud::oci::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(20);

Status WriteText(const std::string& path, const std::string& text) {
  return WriteFile(path, AsBytes(text), 0644);
}

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

int ClosedPort(int* fd_out) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  *fd_out = fd;
  return port;
}

Result<std::unique_ptr<RegistryServer>> RegistryServer::Start(RegistryOptions options) {
  if (access(Binary().c_str(), X_OK) != 0) return NotFound(Binary() + " is not installed");
  std::unique_ptr<RegistryServer> server(
      new RegistryServer(wasmcloud::testing::MakeTempDir(), std::move(options)));
  if (!server->options_.htpasswd_user.empty()) {
    auto r = wasmcloud::testing::RunCommand(
        {"htpasswd", "-Bbn", server->options_.htpasswd_user, server->options_.htpasswd_password});
    if (r.exit_code != 0) return Internal("htpasswd failed: " + r.err);
    WC_RETURN_IF_ERROR(WriteText(server->dir_ + "/htpasswd", r.out));
  }
  WC_RETURN_IF_ERROR(
      wasmcloud::testing::LaunchOnFreePort(&server->port_, [&] { return server->Launch(); }));
  return server;
}

Status RegistryServer::Launch() {
  std::string config =
      "version: 0.1\n"
      "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      dir_ +
      "/data\n  delete:\n    enabled: true\n"
      "http:\n  addr: 127.0.0.1:" +
      std::to_string(port_) + "\n  secret: wasmcloud-test-secret\n";
  if (options_.tls) {
    config += "  tls:\n    certificate: " + options_.pki.server_cert +
              "\n    key: " + options_.pki.server_key + "\n";
  }
  if (!options_.htpasswd_user.empty()) {
    config += "auth:\n  htpasswd:\n    realm: wasmcloud-test\n    path: " + dir_ + "/htpasswd\n";
  } else if (!options_.token_realm.empty()) {
    config += "auth:\n  token:\n    realm: " + options_.token_realm +
              "\n    service: " + options_.token_service +
              "\n    issuer: " + options_.token_issuer +
              "\n    rootcertbundle: " + options_.token_cert + "\n";
  }
  const std::string config_path = dir_ + "/config.yml";
  WC_RETURN_IF_ERROR(WriteText(config_path, config));
  const std::string log = dir_ + "/registry.log";
  wasmcloud::testing::ServerLaunch launch;
  launch.argv = {Binary(), "serve", config_path};
  launch.output_file = log;
  launch.log_file = log;
  launch.ready = [this] { return Answers(); };
  launch.timeout = kStartTimeout;
  launch.ready_means = "answer /v2/";
  return wasmcloud::testing::LaunchServer(launch, &pid_);
}

// Any HTTP answer to /v2/ (200, or 401 with auth on) means the registry serves. Another
// server that took the port first would make ours exit, which Launch sees.
bool RegistryServer::Answers() const {
  CURL* curl = curl_easy_init();
  std::string url = std::string(options_.tls ? "https" : "http") +
                    "://127.0.0.1:" + std::to_string(port_) + "/v2/";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Discard);
  if (options_.tls) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.pki.ca_cert.c_str());
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(curl);
  return status == 200 || status == 401;
}

std::string RegistryServer::BlobDataPath(const std::string& digest) const {
  std::string hex = digest.substr(7);
  return dir_ + "/data/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
}

void RegistryServer::Stop() { wasmcloud::testing::StopServer(&pid_, SIGTERM); }

RegistryServer::~RegistryServer() { Stop(); }

Blackhole::Blackhole() {
  listen_fd_ = ::wasmcloud::testing::ListenOnLoopback(0, &port_);
  // A backlog of 0 holds one connection; two more make sure it is full (each filler's
  // handshake completes, or it stays pending, which is just as good).
  for (int i = 0; i < 3; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers_.push_back(fd);
  }
}

Blackhole::~Blackhole() {
  for (int fd : fillers_) close(fd);
  close(listen_fd_);
}

SilentServer::SilentServer() { listen_fd_ = ::wasmcloud::testing::ListenOnLoopback(16, &port_); }
SilentServer::~SilentServer() { close(listen_fd_); }

}  // namespace wasmcloud::oci::testing
