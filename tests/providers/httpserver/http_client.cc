#include "http_client.h"
#include "core/text.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wasmcloud::httpserver::testing {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

Result<std::unique_ptr<HttpConnection>> HttpConnection::Connect(uint16_t port,
                                                                std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal(std::string("socket: ") + strerror(errno));
  std::unique_ptr<HttpConnection> c(new HttpConnection(fd));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return c;
  if (errno != EINPROGRESS) {
    return Unavailable("connect to port " + std::to_string(port) + ": " + strerror(errno));
  }
  pollfd p{fd, POLLOUT, 0};
  int n = poll(&p, 1, static_cast<int>(timeout.count()));
  if (n == 0) return Unavailable("connect to port " + std::to_string(port) + ": timed out");
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0)
    return Unavailable("connect to port " + std::to_string(port) + ": " + strerror(err));
  return c;
}

HttpConnection::~HttpConnection() { close(fd_); }

Status HttpConnection::Send(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Unavailable(std::string("send: ") + strerror(errno));
    }
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) == 0) {
      return DeadlineExceeded("send: the server took nothing for " +
                              std::to_string(timeout.count()) + " ms");
    }
  }
  return Status::Ok();
}

Result<size_t> HttpConnection::Fill(Clock::time_point deadline) {
  for (;;) {
    char chunk[16384];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (n == 0) return size_t{0};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Unavailable(std::string("recv: ") + strerror(errno));
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, RemainingMs(deadline)) == 0) {
      return DeadlineExceeded("no response within the test's timeout (received so far: \"" +
                              buffer_.substr(0, 200) + "\")");
    }
  }
}

Result<ClientResponse> HttpConnection::Read(bool head, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    WC_ASSIGN_OR_RETURN(size_t n, Fill(deadline));
    if (n == 0) {
      return Unavailable(
          "the server closed the connection before a whole response header "
          "(received: \"" +
          buffer_ + "\")");
    }
  }
  ClientResponse r;
  std::string_view head_text(buffer_.data(), end);
  size_t line_end = head_text.find("\r\n");
  std::string_view status_line = head_text.substr(0, line_end);
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12 || status_line[8] != ' ') {
    return Malformed("bad status line \"" + std::string(status_line) + "\"");
  }
  r.status = std::stoi(std::string(status_line.substr(9, 3)));
  r.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : "";
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view() : head_text.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Malformed("bad header line \"" + std::string(line) + "\"");
    }
    std::string name = AsciiLower(std::string(line.substr(0, colon)));
    if (r.headers.count(name) != 0) {
      return Malformed("header " + name + " is repeated (the server sent it twice)");
    }
    r.headers[name] = std::string(TrimAsciiSpace(line.substr(colon + 1)));
  }
  buffer_.erase(0, end + 4);
  const bool no_body = head || r.status < 200 || r.status == 204 || r.status == 304;
  if (no_body) return r;
  if (r.headers.count("transfer-encoding") != 0) {
    return Malformed("unexpected Transfer-Encoding: " + r.headers["transfer-encoding"]);
  }
  auto cl = r.headers.find("content-length");
  if (cl == r.headers.end()) {  // until the end of the connection
    for (;;) {
      WC_ASSIGN_OR_RETURN(size_t n, Fill(deadline));
      if (n == 0) break;
    }
    r.body = std::move(buffer_);
    buffer_.clear();
    return r;
  }
  const size_t length = std::stoull(cl->second);
  while (buffer_.size() < length) {
    WC_ASSIGN_OR_RETURN(size_t n, Fill(deadline));
    if (n == 0) {
      return Unavailable("the server closed the connection after " +
                         std::to_string(buffer_.size()) + " of " + std::to_string(length) +
                         " body bytes");
    }
  }
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return r;
}

Result<ClientResponse> HttpConnection::RoundTrip(std::string_view request,
                                                 std::chrono::milliseconds timeout) {
  WC_RETURN_IF_ERROR(Send(request, timeout));
  return Read(request.substr(0, 5) == "HEAD ", timeout);
}

bool HttpConnection::ClosedByServer(std::chrono::milliseconds timeout) {
  if (!buffer_.empty()) return false;
  auto n = Fill(Clock::now() + timeout);
  if (!n.ok()) return n.status().code() == Code::kUnavailable;  // reset
  return *n == 0;
}

std::string FormatRequest(std::string_view method, std::string_view target,
                          const std::map<std::string, std::string>& headers,
                          std::string_view body) {
  std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n";
  for (const auto& [name, value] : headers) r += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  r += "\r\n";
  r += body;
  return r;
}

Result<ClientResponse> Fetch(uint16_t port, std::string_view method, std::string_view target,
                             std::string_view body,
                             const std::map<std::string, std::string>& headers) {
  WC_ASSIGN_OR_RETURN(auto c, HttpConnection::Connect(port));
  return c->RoundTrip(FormatRequest(method, target, headers, body));
}

bool Accepts(uint16_t port) { return HttpConnection::Connect(port, 2s).ok(); }

}  // namespace wasmcloud::httpserver::testing
