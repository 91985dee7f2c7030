#include "admin/admin_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <deque>
#include <exception>
#include <thread>

#include "core/log.h"

namespace wasmcloud::admin {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::string_view kLog = "admin";
constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr size_t kMaxHead = 8 * 1024;

Result<tcp::endpoint> ParseAddress(std::string_view address) {
  const std::string shown = "--http-admin \"" + std::string(address) + "\"";
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument(shown + ": expected IP:PORT, e.g. 127.0.0.1:9090 or [::1]:9090");
  }
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return InvalidArgument(shown + ": an IPv6 address goes in brackets, e.g. [::1]:9090");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return InvalidArgument(shown + ": the port must be a number from 0 to 65535");
  }
  boost::system::error_code bad;
  const auto ip = net::ip::make_address(std::string(host), bad);
  if (bad) {
    return InvalidArgument(shown + ": \"" + std::string(host) +
                           "\" is not an IP address (host names are not accepted)");
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

std::string EndpointText(const tcp::endpoint& e) {
  const std::string ip = e.address().to_string();
  return (e.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(e.port());
}

// One connection: one request read within kRequestTimeout, one response, closed.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const AdminHandlers& handlers, std::atomic<int>& open)
      : stream_(std::move(socket)), handlers_(handlers), open_(open) {
    parser_.header_limit(kMaxHead);
    parser_.body_limit(0);
  }
  ~Session() {
    if (counted_) open_.fetch_sub(1);
  }

  // Whether it is still waiting for its request (not yet read).
  bool waiting() const { return waiting_; }
  // Closes a connection that has not sent its request yet, to make room for a new one:
  // its place is free at once (its read ends with the socket).
  void Evict() {
    if (!waiting_ || !counted_) return;
    waiting_ = false;
    counted_ = false;
    open_.fetch_sub(1);
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  void Run() {
    stream_.expires_after(kRequestTimeout);
    http::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    waiting_ = false;
    if (ec == http::error::body_limit) {
      Respond(http::status::payload_too_large, "a request to these endpoints has no body\n");
      return;
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != http::error::end_of_stream &&
          ec != net::error::operation_aborted) {
        Respond(http::status::bad_request, "bad request: " + ec.message() + "\n");
      }
      return;
    }
    const auto& request = parser_.get();
    head_ = request.method() == http::verb::head;
    if (request.method() != http::verb::get && !head_) {
      Respond(http::status::method_not_allowed, "only GET and HEAD\n", {{"Allow", "GET, HEAD"}});
      return;
    }
    std::string_view target(request.target().data(), request.target().size());
    target = target.substr(0, target.find('?'));
    try {
      if (target == "/livez") {
        Respond(http::status::ok, "ok\n");
      } else if (target == "/readyz") {
        std::string why;
        const bool ready = handlers_.ready ? handlers_.ready(&why) : true;
        if (ready) {
          Respond(http::status::ok, "ready\n");
        } else {
          Respond(http::status::service_unavailable, "not ready: " + why + "\n");
        }
      } else if (target == "/metrics") {
        Respond(http::status::ok, handlers_.metrics ? handlers_.metrics() : std::string(),
                {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}});
      } else {
        Respond(http::status::not_found,
                "not found: the endpoints are /livez, /readyz, /metrics\n");
      }
    } catch (const std::exception& e) {
      Log(LogLevel::kError, kLog,
          std::string("answering ") + std::string(target) + ": " + e.what());
      Respond(http::status::internal_server_error, "internal error\n");
    }
  }

  void Respond(http::status status, std::string body,
               std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
    response_.result(status);
    response_.version(11);
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    for (const auto& [name, value] : headers) response_.set(name, value);
    response_.set(http::field::connection, "close");
    response_.set(http::field::cache_control, "no-store");
    const size_t length = body.size();
    if (!head_) response_.body() = std::move(body);
    response_.content_length(length);
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
  bool head_ = false;
  bool waiting_ = true;  // (the io thread's only)
  bool counted_ = true;  // still counted in open_
  const AdminHandlers& handlers_;
  std::atomic<int>& open_;
};

}  // namespace

struct AdminServer::Impl {
  // Sessions refer to these two: declared before `io`, whose destruction ends the
  // sessions still pending, they are destroyed after it.
  AdminHandlers handlers;
  std::atomic<int> open{0};
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;

  // Sessions in the order they came, to find the oldest still waiting for its request
  // (the io thread's only; expired entries are dropped as they are met).
  std::deque<std::weak_ptr<Session>> arrived;

  // Full: the oldest connection that has not sent its request gives its place, so that
  // idle connections (32 held open by a client that sends nothing) cannot keep a probe
  // of /livez out for as long as they are renewed. False when every place is answering.
  bool EvictOldestWaiting() {
    while (!arrived.empty()) {
      std::shared_ptr<Session> oldest = arrived.front().lock();
      arrived.pop_front();
      if (oldest && oldest->waiting()) {
        oldest->Evict();
        return true;
      }
    }
    return false;
  }

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        if (open.fetch_add(1) >= kMaxConnections && !EvictOldestWaiting()) {
          open.fetch_sub(1);
          beast::error_code ignored;
          socket.close(ignored);  // too many at once: the client sees the connection closed
        } else {
          auto session = std::make_shared<Session>(std::move(socket), handlers, open);
          if (arrived.size() >= 2 * kMaxConnections) {
            std::erase_if(arrived, [](const std::weak_ptr<Session>& w) { return w.expired(); });
          }
          arrived.push_back(session);
          session->Run();
        }
      }
      Accept();
    });
  }
};

Result<std::unique_ptr<AdminServer>> AdminServer::Start(std::string_view address,
                                                        AdminHandlers handlers) {
  WC_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseAddress(address));
  auto impl = std::make_unique<Impl>();
  impl->handlers = std::move(handlers);
  beast::error_code ec;
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot serve the admin endpoints on " + EndpointText(endpoint) + ": " +
                       ec.message());
  }
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    try {
      raw->io.run();
    } catch (const std::exception& e) {
      Log(LogLevel::kError, kLog, std::string("the admin endpoints stopped: ") + e.what());
    }
  });
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() {
  net::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string AdminServer::endpoint() const {
  beast::error_code ec;
  const auto e = impl_->acceptor.local_endpoint(ec);
  return ec ? std::string() : EndpointText(e);
}

}  // namespace wasmcloud::admin
