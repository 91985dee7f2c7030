#include "http_test_server.h"
#include "core/text.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "support/run_command.h"

namespace wasmcloud::httpclient::testing {
namespace {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads more bytes into `buf`; false at EOF or error.
bool ReadMore(int fd, std::string& buf) {
  char chunk[16384];
  for (;;) {
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

size_t ParseSize(std::string_view s) {
  size_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string Pattern(size_t n) {
  std::string out(n, 'a');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

std::string Response(int status, std::string_view reason,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::string_view body, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace

std::string ReceivedRequest::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

bool ReceivedRequest::HasHeader(const std::string& name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return h.first == name; });
}

Result<std::unique_ptr<TestHttpServer>> TestHttpServer::Start() {
  std::unique_ptr<TestHttpServer> server(new TestHttpServer());
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string error = std::strerror(errno);
    close(fd);
    return Internal("test HTTP server: " + error);
  }
  server->listen_fd_ = fd;
  server->port_ = ntohs(addr.sin_port);
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

TestHttpServer::~TestHttpServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

std::string TestHttpServer::Url(const std::string& target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + target;
}

std::vector<ReceivedRequest> TestHttpServer::Requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t TestHttpServer::request_count() {
  std::lock_guard lock(mu_);
  return requests_.size();
}

size_t TestHttpServer::connection_count() {
  std::lock_guard lock(mu_);
  return connections_;
}

void TestHttpServer::AcceptLoop() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::lock_guard lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    ++connections_;
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void TestHttpServer::Serve(int fd) {
  std::string buf;
  for (;;) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, buf)) goto done;
    }
    {
      ReceivedRequest req;
      std::string_view head(buf.data(), end);
      size_t line_end = head.find("\r\n");
      std::string_view request_line = head.substr(0, line_end);
      size_t sp1 = request_line.find(' ');
      size_t sp2 = request_line.rfind(' ');
      req.method = std::string(request_line.substr(0, sp1));
      req.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
      size_t content_length = 0;
      bool close_after = false;
      if (line_end != std::string_view::npos) {
        std::string_view rest = head.substr(line_end + 2);
        while (!rest.empty()) {
          size_t e = rest.find("\r\n");
          std::string_view line = rest.substr(0, e);
          rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
          size_t colon = line.find(':');
          if (colon == std::string_view::npos) continue;
          std::string name = AsciiLower(TrimAsciiSpace(line.substr(0, colon)));
          std::string value(TrimAsciiSpace(line.substr(colon + 1)));
          if (name == "content-length") content_length = ParseSize(value);
          if (name == "connection" && AsciiLower(value) == "close") close_after = true;
          req.headers.emplace_back(std::move(name), std::move(value));
        }
      }
      buf.erase(0, end + 4);
      while (buf.size() < content_length) {
        if (!ReadMore(fd, buf)) goto done;
      }
      req.body.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(content_length));
      buf.erase(0, content_length);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }

      const bool head_only = req.method == "HEAD";
      const std::string_view target = req.target;
      std::string out;
      if (target.starts_with("/echo")) {
        out = Response(
            200, "OK", {{"Content-Type", "application/octet-stream"}},
            std::string_view(reinterpret_cast<const char*>(req.body.data()), req.body.size()),
            head_only);
      } else if (target.starts_with("/status/")) {
        const std::string code(target.substr(8));
        out = Response(std::stoi(code), "Custom Reason", {}, "status " + code, head_only);
      } else if (target == "/headers") {
        out = Response(200, "OK",
                       {{"X-Upper-Case", "Value Kept"},
                        {"X-Multi", "a"},
                        {"x-multi", "b"},
                        {"X-Spaces", "   padded   "},
                        {"X-Binary", "\xff\xfe"},
                        {"X-Utf8", "h\xc3\xa9llo"},
                        {"X-Empty", ""}},
                       "h", head_only);
      } else if (target.starts_with("/bytes/")) {
        out = Response(200, "OK", {}, Pattern(ParseSize(target.substr(7))), head_only);
      } else if (target.starts_with("/chunked/")) {
        const std::string body = Pattern(ParseSize(target.substr(9)));
        out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (size_t i = 0; i < body.size(); i += 1000) {
          const std::string_view chunk = std::string_view(body).substr(i, 1000);
          char size[32];
          auto r = std::to_chars(size, size + sizeof size, chunk.size(), 16);
          out += std::string(size, r.ptr) + "\r\n" + std::string(chunk) + "\r\n";
        }
        out += "0\r\n\r\n";
      } else if (target == "/silent") {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_.load(); });
        goto done;
      } else if (target.starts_with("/redirect/")) {
        const size_t n = ParseSize(target.substr(10));
        out = Response(302, "Found",
                       {{"Location", n == 0 ? "/echo" : "/redirect/" + std::to_string(n - 1)}}, "",
                       head_only);
      } else if (target == "/redirect-file") {
        out = Response(302, "Found", {{"Location", "file:///etc/passwd"}}, "", head_only);
      } else {
        out = Response(404, "Not Found", {}, "no route", head_only);
      }
      if (!SendAll(fd, out) || close_after) goto done;
    }
  }
done:
  std::lock_guard lock(mu_);
  shutdown(fd, SHUT_RDWR);
  close(fd);
  fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
}

}  // namespace wasmcloud::httpclient::testing

namespace wasmcloud::httpclient::testing {

Result<std::unique_ptr<SelfSignedTlsServer>> SelfSignedTlsServer::Start() {
  std::unique_ptr<SelfSignedTlsServer> server(new SelfSignedTlsServer());
  server->dir_ = wasmcloud::testing::MakeTempDir();
  const std::string cert = server->dir_ + "/cert.pem", key = server->dir_ + "/key.pem";
  auto r = wasmcloud::testing::RunCommand(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
       "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert});
  if (r.exit_code != 0) return Internal("openssl req failed: " + r.err);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  server->ctx_ = ctx;
  if (ctx == nullptr || SSL_CTX_use_certificate_file(ctx, cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Internal("cannot set up the TLS context");
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  server->listen_fd_ = fd;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 16) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Internal(std::string("TLS test server: ") + std::strerror(errno));
  }
  server->port_ = ntohs(addr.sin_port);
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

SelfSignedTlsServer::~SelfSignedTlsServer() {
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

// One connection at a time: enough for the tests.
void SelfSignedTlsServer::AcceptLoop() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    ++connections_;
    SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      char buf[4096];
      std::string request;
      while (request.find("\r\n\r\n") == std::string::npos) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      const std::string_view reply = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntls";
      SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(fd);
  }
}

}  // namespace wasmcloud::httpclient::testing
