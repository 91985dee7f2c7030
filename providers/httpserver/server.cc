#include "httpserver/server.h"
#include "core/text.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <functional>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <optional>
#include <unordered_map>

namespace wasmcloud::httpserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
// A connection's executor, a strand of the io_context, by its concrete type: the type-erased
// any_io_executor of beast::tcp_stream costs a few percent of a request in copies.
using Strand = net::strand<net::io_context::executor_type>;
using Socket = net::basic_stream_socket<tcp, Strand>;
using Stream = beast::basic_stream<tcp, Strand, beast::unlimited_rate_policy>;

struct HttpServer::Io {
  explicit Io(unsigned threads) : ioc(static_cast<int>(threads)) {}
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> guard{ioc.get_executor()};
};

namespace {

// After an error response (400, 413, 431) the connection is closed, but first the rest of
// what the client sends is read and dropped for at most this long: closing a socket with
// unread data makes the kernel send a reset, which can make the client lose the response.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
// While draining, a connection that has not sent its first request gets this long for it.
constexpr auto kFirstRequestWhileDraining = std::chrono::milliseconds(1000);

const beast::error_category& HttpCategory() {
  return http::make_error_code(http::error::bad_target).category();
}

class Session;

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

// One actor's socket and its connections. Shared by the server (until Remove) and by each
// of its sessions, so whichever ends last frees it.
class HttpServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::string actor, const ListenerSettings& settings,
           const RequestHandler* handler, const LogSink* log, std::shared_ptr<ThreadPool> calls,
           std::atomic<unsigned>* inline_calls, unsigned max_inline_calls,
           std::shared_ptr<StatusCounts> counts)
      : ioc_(ioc),
        inline_calls_(inline_calls),
        max_inline_calls_(max_inline_calls),
        counts_(std::move(counts)),
        actor_(std::move(actor)),
        handler_(handler),
        log_(log),
        calls_(std::move(calls)),
        settings_(std::make_shared<const ListenerSettings>(settings)),
        acceptor_(ioc),
        retry_timer_(ioc) {}

  Status Open() {
    const ListenerSettings& s = *settings_;
    auto fail = [&](const beast::error_code& ec) {
      std::string hint;
      if (ec == net::error::address_in_use) {
        hint =
            " (another process, or another link, has that port: give the link another "
            "PORT value)";
      } else if (ec == net::error::access_denied) {
        hint = " (ports below 1024 need privileges: give the link a PORT from 1024 up)";
      }
      return Unavailable("cannot listen on " + s.Endpoint() + " for actor " + actor_ + ": " +
                         ec.message() + hint);
    };
    beast::error_code ec;
    const auto address = net::ip::make_address(s.address, ec);
    if (ec) return fail(ec);
    const tcp::endpoint endpoint(address, s.port);
    std::lock_guard lock(acceptor_mu_);
    if (acceptor_.open(endpoint.protocol(), ec); ec) return fail(ec);
    // Lets a restarted listener take its port back from connections in TIME_WAIT; a port
    // another socket listens on is still refused (Linux).
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return fail(ec);
    if (address.is_v6()) acceptor_.set_option(net::ip::v6_only(false), ec);
    if (acceptor_.bind(endpoint, ec); ec) return fail(ec);
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) return fail(ec);
    port_ = acceptor_.local_endpoint(ec).port();
    AcceptLocked();
    return Status::Ok();
  }

  // Closes the socket (the port is free when this returns), stops new requests on kept-
  // alive connections and closes those that wait for one.
  void BeginDrain();
  // Closes every connection now.
  void CloseAll();
  // Waits until no connection is left or `deadline` passes; true when none is left.
  bool WaitForSessions(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(sessions_mu_);
    return sessions_cv_.wait_until(lock, deadline, [&] { return sessions_.empty(); });
  }
  size_t OpenConnections() const {
    std::lock_guard lock(sessions_mu_);
    return sessions_.size();
  }

  void Register(Session* session, std::weak_ptr<Session> weak) {
    std::lock_guard lock(sessions_mu_);
    sessions_.emplace(session, std::move(weak));
  }
  void Unregister(Session* session) {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(session);
    if (sessions_.empty()) sessions_cv_.notify_all();
  }

  std::shared_ptr<const ListenerSettings> settings() const {
    std::lock_guard lock(settings_mu_);
    return settings_;
  }
  void set_settings(const ListenerSettings& s) {
    std::lock_guard lock(settings_mu_);
    settings_ = std::make_shared<const ListenerSettings>(s);
  }
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  uint16_t port() const { return port_; }
  const std::string& actor() const { return actor_; }
  void CountResponse(unsigned status) {
    if (status < counts_->by_status.size()) {
      counts_->by_status[status].fetch_add(1, std::memory_order_relaxed);
    }
  }
  const RequestHandler& handler() const { return *handler_; }
  // Runs `task` on a call thread; false when every one is busy and the queue is full.
  bool SubmitCall(std::function<void()> task) { return calls_->TrySubmit(std::move(task)); }
  // Whether the I/O thread that read a request may make its call itself: only while
  // another I/O thread stays free for every other connection (EndInline after the call).
  bool TryInline() {
    if (inline_calls_->fetch_add(1, std::memory_order_acq_rel) < max_inline_calls_) return true;
    inline_calls_->fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  void EndInline() { inline_calls_->fetch_sub(1, std::memory_order_acq_rel); }
  // Set when the drain timed out: calls still queued are answered without the host.
  bool abandoned() const { return abandoned_.load(std::memory_order_acquire); }
  void Abandon() { abandoned_.store(true, std::memory_order_release); }
  void Log(LogLevel level, const std::string& text) const {
    if (*log_) (*log_)(level, text);
  }

 private:
  std::vector<std::shared_ptr<Session>> LiveSessions();
  // Accepts what waits in the backlog (connections the clients think are open), so that
  // closing the socket does not reset them: each is served its first request.
  size_t AcceptBacklogLocked();
  void AcceptLocked() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }
  void OnAccept(beast::error_code ec, Socket socket);

  net::io_context& ioc_;
  std::atomic<unsigned>* const inline_calls_;  // the server's, shared by its listeners
  const unsigned max_inline_calls_;
  const std::shared_ptr<StatusCounts> counts_;
  const std::string actor_;
  const RequestHandler* const handler_;  // owned by the server, which outlives every thread
  const LogSink* const log_;
  const std::shared_ptr<ThreadPool> calls_;
  std::atomic<bool> abandoned_{false};

  mutable std::mutex settings_mu_;
  std::shared_ptr<const ListenerSettings> settings_;

  std::mutex acceptor_mu_;  // the acceptor is used from the accept handler and from Remove
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;  // after an accept error such as EMFILE
  bool closed_ = false;
  uint16_t port_ = 0;
  std::atomic<bool> draining_{false};

  mutable std::mutex sessions_mu_;
  std::condition_variable sessions_cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

namespace {

// One connection: reads a request, calls the handler (on this thread, blocking), writes the
// response, and again while the connection is kept alive. Every step runs on the
// connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, std::shared_ptr<HttpServer::Listener> listener)
      : stream_(std::move(socket)),
        listener_(std::move(listener)),
        settings_(listener_->settings()) {}
  ~Session() { listener_->Unregister(this); }

  void Start() {
    // Registered at once, not on the strand: a drain that begins now (its backlog
    // sessions are started by the drain itself) finds it and waits for its answer. When it
    // was registered on the strand, a drain could find no session yet, end at once and
    // close the 20 connections of SigtermUnderLoadAnswersEveryRequest unanswered.
    listener_->Register(this, shared_from_this());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
  }

  // From the listener's drain: a kept-alive connection waiting for its next request is
  // closed; a new one (accepted from the backlog, say) gets a short time for its first.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      // Not reading yet (ReadRequest has not run): it gives itself the short time.
      if (!self->parser_) return;
      if (self->state_ == State::kWaiting && !self->parser_->got_some() &&
          self->buffer_.size() == 0) {
        if (self->served_ > 0) {
          self->stream_.close();
        } else {
          self->stream_.expires_after(kFirstRequestWhileDraining);
        }
      }
    });
  }
  void Close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
  }

 private:
  enum class State { kWaiting, kReading, kHandling, kWriting, kClosing };

  void ReadRequest() {
    // A kept-alive connection gets no new request once the listener drains; a new one
    // is still served its first (it was accepted before the socket closed).
    if (listener_->draining() && served_ > 0 && buffer_.size() == 0) return Shutdown();
    state_ = State::kWaiting;
    parser_.emplace();
    parser_->body_limit(settings_->max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(settings_->max_header_bytes));
    // A connection the drain took from the backlog gets a short time for its request.
    stream_.expires_after(listener_->draining() && served_ == 0 ? kFirstRequestWhileDraining
                                                                : settings_->read_timeout);
    ReadHead();
  }

  // Reads until the whole head (request line and headers, up to its empty line) is in
  // buffer_, checks its raw bytes for obs-fold (gone once Beast has parsed it: it folds
  // lines into one value), then has Beast parse it from there.
  void ReadHead() {
    const std::string_view have(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const size_t start = std::min(have.find_first_not_of("\r\n"), have.size());
    const size_t end = have.find("\r\n\r\n", start);
    if (end == std::string_view::npos) {
      if (have.size() - start > settings_->max_header_bytes) {
        return SendError(431, HeaderTooLarge());
      }
      constexpr size_t kReadSize = 4096;
      stream_.async_read_some(
          buffer_.prepare(kReadSize), [self = shared_from_this()](beast::error_code ec, size_t n) {
            self->buffer_.commit(n);
            if (ec)
              return self->OnReadError(ec == net::error::eof && self->buffer_.size() > 0
                                           ? beast::error_code(http::error::partial_message)
                                           : ec);
            self->ReadHead();
          });
      return;
    }
    if (IsFolded(have.substr(start, end + 2 - start))) {
      return SendError(400, "Bad Request: a header is folded over lines (obs-fold)");
    }
    beast::error_code ec;
    const size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) {
      // Not expected with the whole head here; Beast reads the rest itself.
      return http::async_read_header(
          stream_, buffer_, *parser_,
          beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
    }
    OnHeader(ec, used);
  }

  // An obs-fold: a line of the head that starts with a space or a tab.
  static bool IsFolded(std::string_view head) {
    for (size_t i = head.find("\r\n"); i != std::string_view::npos; i = head.find("\r\n", i + 2)) {
      if (i + 2 < head.size() && (head[i + 2] == ' ' || head[i + 2] == '\t')) return true;
    }
    return false;
  }

  std::string HeaderTooLarge() const {
    return "Request Header Fields Too Large: the request line and headers are larger than " +
           std::to_string(settings_->max_header_bytes) + " bytes";
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    state_ = State::kReading;
    const auto& req = parser_->get();
    {
      std::vector<HeadField> fields;
      fields.reserve(16);
      for (const auto& field : req)
        fields.push_back({View(field.name_string()), View(field.value())});
      if (std::optional<std::string> refused = RefuseRequestHead(View(req.target()), fields)) {
        return SendError(400, *refused);
      }
    }
    if (parser_->is_done()) return Handle();
    auto expect = req.find(http::field::expect);
    if (expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      // The client waits for this before it sends the body (curl does for large bodies).
      return net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                              [self = shared_from_this()](beast::error_code ec, size_t) {
                                if (ec) return self->End();
                                self->ReadBody();
                              });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    Handle();
  }

  void OnReadError(const beast::error_code& ec) {
    const ListenerSettings& s = *settings_;
    if (ec == http::error::body_limit) {
      return SendError(413, "Payload Too Large: the body is larger than " +
                                std::to_string(s.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) return SendError(431, HeaderTooLarge());
    if (ec.category() == HttpCategory() && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return SendError(400, "Bad Request: " + ec.message());
    }
    // The client closed or reset the connection, the read timed out (the stream closed
    // the socket) or the server closed it: nothing to answer.
    if (ec == beast::error::timeout && parser_->got_some()) {
      listener_->Log(LogLevel::kDebug, "a request to actor " + listener_->actor() +
                                           " did not arrive within " +
                                           std::to_string(s.read_timeout.count()) + " ms");
    }
    End();
  }

  void Handle() {
    state_ = State::kHandling;
    stream_.expires_never();
    http::request<http::vector_body<uint8_t>> req = parser_->release();
    wire::HttpRequest request;
    request.method = std::string(req.method_string());
    Target target = SplitTarget(View(req.target()));
    request.path = std::move(target.path);
    request.query_string = std::move(target.query);
    for (const auto& field : req) {
      request.header[AsciiLower(View(field.name_string()))] = std::string(field.value());
    }
    request.body = std::move(req.body());
    const bool keep_alive = req.keep_alive();
    const bool head = req.method() == http::verb::head;
    const unsigned version = req.version();

    // The I/O thread makes the call itself while another I/O thread stays free (the
    // cheap path: no hand-off); otherwise a call thread makes it and the reply comes back
    // to the connection's strand. Either way no actor can hold every I/O thread.
    if (listener_->TryInline()) {
      HttpReply reply = Call(std::move(request));
      listener_->EndInline();
      ++served_;
      Respond(std::move(reply), keep_alive && !listener_->draining(), head, version);
      return;
    }
    auto shared_request = std::make_shared<wire::HttpRequest>(std::move(request));
    const bool queued = listener_->SubmitCall([self = shared_from_this(), shared_request,
                                               keep_alive, head, version] {
      auto reply = std::make_shared<HttpReply>(self->Call(std::move(*shared_request)));
      net::post(self->stream_.get_executor(), [self, reply, keep_alive, head, version] {
        ++self->served_;
        self->Respond(std::move(*reply), keep_alive && !self->listener_->draining(), head, version);
      });
    });
    if (!queued) {
      ++served_;
      Respond(OverloadedReply("Service Unavailable: every call thread of the HTTP server is "
                              "busy and its queue is full; retry later"),
              keep_alive && !listener_->draining(), head, version);
    }
  }

  // On a call thread.
  HttpReply Call(wire::HttpRequest request) {
    if (listener_->abandoned()) {
      return TextReply(503, "Actor unavailable: the server stopped before this request ran");
    }
    try {
      return listener_->handler()(listener_->actor(), std::move(request));
    } catch (const std::exception& e) {
      return Failed(e.what());
    } catch (...) {
      return Failed("the handler threw an exception that is not a std::exception");
    }
  }

  HttpReply Failed(std::string_view reason) {
    std::string log;
    HttpReply r = FailureReply(500, "Failed to handle request", reason, &log);
    listener_->Log(LogLevel::kWarn, "actor " + listener_->actor() + ": " + log);
    return r;
  }

  void Respond(HttpReply reply, bool keep_alive, bool head, unsigned version) {
    state_ = State::kWriting;
    res_ = {};
    res_.version(version == 10 ? 10 : 11);
    const unsigned status = reply.status >= 100 && reply.status <= 999 ? reply.status : 500;
    listener_->CountResponse(status);
    res_.result(status);
    if (http::obsolete_reason(static_cast<http::status>(status)) == "<unknown-status>") {
      res_.reason("Unknown");
    }
    for (auto& [name, value] : reply.headers) res_.insert(name, value);
    const bool no_body = status < 200 || status == 204 || status == 304;
    if (!no_body) {
      res_.content_length(reply.body.size());
      if (!head) res_.body() = std::move(reply.body);
    }
    res_.keep_alive(keep_alive);
    stream_.expires_after(settings_->read_timeout);
    http::async_write(stream_, res_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->End();
                        if (!keep_alive) return self->Shutdown();
                        self->ReadRequest();
                      });
  }

  // A response of the server itself, then the connection is closed (what follows in the
  // stream cannot be trusted to be the start of a request).
  void SendError(unsigned status, const std::string& text) {
    state_ = State::kWriting;
    HttpReply reply = TextReply(status, text);
    listener_->CountResponse(status);
    res_ = {};
    res_.version(11);
    res_.result(status);
    for (auto& [name, value] : reply.headers) res_.insert(name, value);
    res_.content_length(reply.body.size());
    res_.body() = std::move(reply.body);
    res_.keep_alive(false);
    stream_.expires_after(settings_->read_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->End();
      self->Linger();
    });
  }

  // Half-closes, then reads and drops what the client still sends until it closes too or
  // kLingerTime passes.
  void Linger() {
    state_ = State::kClosing;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    DrainInput();
  }
  void DrainInput() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->End();
                              self->DrainInput();
                            });
  }

  void Shutdown() {
    state_ = State::kClosing;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    End();
  }
  // Nothing more is started: the last handler's reference goes and the socket closes.
  void End() {
    state_ = State::kClosing;
    stream_.close();
  }

  Stream stream_;
  const std::shared_ptr<HttpServer::Listener> listener_;
  const std::shared_ptr<const ListenerSettings> settings_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::vector_body<uint8_t>>> parser_;
  http::response<http::vector_body<uint8_t>> res_;
  State state_ = State::kWaiting;
  uint64_t served_ = 0;
  std::array<char, 16384> scratch_{};
};

}  // namespace

void HttpServer::Listener::OnAccept(beast::error_code ec, Socket socket) {
  if (!ec) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), shared_from_this())->Start();
  }
  std::lock_guard lock(acceptor_mu_);
  if (closed_) return;
  if (!ec) return AcceptLocked();
  // Out of descriptors or memory: try again a little later instead of spinning.
  Log(LogLevel::kWarn, "accept on port " + std::to_string(port_) + " for actor " + actor_ +
                           " failed: " + ec.message());
  retry_timer_.expires_after(std::chrono::milliseconds(100));
  retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
    std::lock_guard lock(self->acceptor_mu_);
    if (!wait_ec && !self->closed_) self->AcceptLocked();
  });
}

size_t HttpServer::Listener::AcceptBacklogLocked() {
  const int fd = acceptor_.native_handle();
  beast::error_code ec;
  const auto protocol = acceptor_.local_endpoint(ec).protocol();
  if (ec) return 0;
  size_t accepted = 0;
  // Bounded, in case the socket says readable for ever without a connection to take.
  for (int round = 0; round < 100000; ++round) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0) break;
    const int conn = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) {
      // The pending async accept (on an I/O thread) took that one first, or it was reset
      // before it was taken: look again, others may wait behind it. Stopping here would
      // close the port on them, and their clients would get a reset instead of an answer
      // (SigtermUnderLoadAnswersEveryRequest, 1 run in ~30 under ASan). Out of descriptors
      // or memory: stop.
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR) {
        continue;
      }
      break;
    }
    Socket socket(net::make_strand(ioc_));
    socket.assign(protocol, conn, ec);
    if (ec) {
      ::close(conn);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<Session>(std::move(socket), shared_from_this())->Start();
    ++accepted;
  }
  return accepted;
}

void HttpServer::Listener::BeginDrain() {
  {
    std::lock_guard lock(acceptor_mu_);
    if (!closed_) {
      closed_ = true;
      const size_t accepted = AcceptBacklogLocked();
      if (accepted > 0) {
        Log(LogLevel::kDebug, "actor " + actor_ + ": " + std::to_string(accepted) +
                                  " connection(s) taken from the backlog before closing the port");
      }
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
    }
  }
  draining_.store(true, std::memory_order_release);
  for (const auto& session : LiveSessions()) session->CloseIfIdle();
}

void HttpServer::Listener::CloseAll() {
  for (const auto& session : LiveSessions()) session->Close();
}

std::vector<std::shared_ptr<Session>> HttpServer::Listener::LiveSessions() {
  // Taken under the lock, used and released outside it: the last reference to a session
  // may go here, and its destructor takes the lock.
  std::vector<std::shared_ptr<Session>> live;
  std::lock_guard lock(sessions_mu_);
  live.reserve(sessions_.size());
  for (auto& [raw, weak] : sessions_) {
    if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  return live;
}

// ---------------------------------------------------------------------------------------

namespace {
unsigned DefaultThreads(unsigned wanted) {
  if (wanted != 0) return wanted;
  // One more than the cores: as many may make actor calls themselves, one stays free.
  return std::max(2u, std::thread::hardware_concurrency()) + 1;
}
}  // namespace

HttpServer::HttpServer(RequestHandler handler, LogSink log, ServerOptions options)
    : handler_(std::move(handler)),
      log_(std::move(log)),
      options_(options),
      threads_(DefaultThreads(options.threads)),
      call_threads_(options.call_threads != 0
                        ? options.call_threads
                        : std::max(8u, 4 * std::max(1u, std::thread::hardware_concurrency()))),
      io_(std::make_unique<Io>(threads_)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::StartThreadsLocked() {
  if (!pool_.empty()) return;
  calls_ = std::make_shared<ThreadPool>("http-call", call_threads_, options_.max_queued_calls);
  for (unsigned i = 0; i < threads_; ++i) {
    pool_.emplace_back([this, io = io_.get()] {
      for (;;) {
        try {
          io->ioc.run();
          return;
        } catch (const std::exception& e) {  // a bug; keep the thread serving
          if (log_) log_(LogLevel::kError, std::string("HTTP server thread: ") + e.what());
        }
      }
    });
  }
}

Status HttpServer::Bind(const std::string& actor, const ListenerSettings& settings,
                        const std::string& actor_name) {
  std::lock_guard control(control_mu_);
  std::shared_ptr<Listener> old;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return FailedPrecondition("the HTTP server is stopped");
    auto it = listeners_.find(actor);
    if (it != listeners_.end()) old = it->second;
  }
  // The port asked for may be 0 (any) or the one the system chose for it.
  if (old != nullptr && old->settings()->address == settings.address &&
      (old->settings()->port == settings.port || old->port() == settings.port)) {
    ListenerSettings kept = settings;
    kept.port = old->settings()->port;
    if (*old->settings() != kept) old->set_settings(kept);
    return Status::Ok();
  }
  std::shared_ptr<ThreadPool> calls;
  {
    std::lock_guard lock(mu_);
    StartThreadsLocked();
    calls = calls_;
  }
  auto listener =
      std::make_shared<Listener>(io_->ioc, actor, settings, &handler_, &log_, std::move(calls),
                                 &inline_calls_, threads_ - 1, CountsFor(actor));
  WC_RETURN_IF_ERROR(listener->Open());
  {
    std::lock_guard lock(mu_);
    listeners_[actor] = listener;
  }
  if (log_) {
    ListenerSettings shown = settings;
    shown.port = listener->port();
    const bool loopback = shown.address.starts_with("127.") || shown.address == "::1";
    log_(LogLevel::kInfo,
         "serving http://" + shown.Endpoint() + " → " +
             (actor_name.empty() ? "actor " + actor : actor_name + " (" + actor + ")") +
             (old != nullptr ? " (moved from " + old->settings()->Endpoint() + ")" : "") +
             (loopback ? " (this machine only; the link value ADDRESS=0.0.0.0 opens it to "
                         "others)"
                       : ""));
  }
  if (old != nullptr) Drain({old});
  return Status::Ok();
}

void HttpServer::Remove(const std::string& actor) {
  std::lock_guard control(control_mu_);
  std::shared_ptr<Listener> listener;
  {
    std::lock_guard lock(mu_);
    auto it = listeners_.find(actor);
    if (it == listeners_.end()) return;
    listener = std::move(it->second);
    listeners_.erase(it);
  }
  Drain({listener});
  if (log_) log_(LogLevel::kInfo, "actor " + actor + " no longer serves HTTP");
}

void HttpServer::Drain(const std::vector<std::shared_ptr<Listener>>& listeners) {
  for (const auto& l : listeners) l->BeginDrain();
  const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  bool all_done = true;
  for (const auto& l : listeners) all_done = l->WaitForSessions(deadline) && all_done;
  if (all_done) return;
  for (const auto& l : listeners) {
    l->Abandon();
    l->CloseAll();
  }
  // A connection whose handler is still in the host's call ends when that call returns
  // (the host's call timeout bounds it); Stop joins the threads anyway.
  const auto grace = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  for (const auto& l : listeners) {
    if (!l->WaitForSessions(grace) && log_) {
      log_(LogLevel::kWarn, "actor " + l->actor() + ": " + std::to_string(l->OpenConnections()) +
                                " HTTP connection(s) still busy after " +
                                std::to_string(options_.drain_timeout.count()) + " ms");
    }
  }
}

void HttpServer::Stop() {
  std::lock_guard control(control_mu_);
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::thread> pool;
  std::shared_ptr<ThreadPool> calls;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [actor, l] : listeners_) listeners.push_back(std::move(l));
    listeners_.clear();
    pool = std::move(pool_);
    calls = std::move(calls_);
  }
  Drain(listeners);
  // Calls still queued are answered 503 without the host (abandoned listeners); the ones
  // running end when the host answers (its call timeout bounds them).
  if (calls) calls->Shutdown();
  listeners.clear();  // each goes with its last connection, while the io_context exists
  io_->guard.reset();
  io_->ioc.stop();
  for (auto& t : pool) t.join();
  // Handlers that never ran (and the connections they hold) go now, before the library
  // that holds their code can be unloaded.
  io_.reset();
}

std::shared_ptr<HttpServer::StatusCounts> HttpServer::CountsFor(const std::string& actor) {
  std::lock_guard lock(counts_mu_);
  auto& c = counts_[actor];
  if (!c) c = std::make_shared<StatusCounts>();
  return c;
}

void HttpServer::TakeResponseCounts(
    const std::function<void(const std::string& actor, unsigned status, uint64_t n)>& take) {
  std::vector<std::pair<std::string, std::shared_ptr<StatusCounts>>> all;
  {
    std::lock_guard lock(counts_mu_);
    all.assign(counts_.begin(), counts_.end());
  }
  for (const auto& [actor, counts] : all) {
    for (unsigned status = 100; status < counts->by_status.size(); ++status) {
      if (uint64_t n = counts->by_status[status].exchange(0, std::memory_order_relaxed); n > 0) {
        take(actor, status, n);
      }
    }
  }
}

std::optional<uint16_t> HttpServer::Port(const std::string& actor) const {
  std::lock_guard lock(mu_);
  auto it = listeners_.find(actor);
  if (it == listeners_.end()) return std::nullopt;
  return it->second->port();
}

size_t HttpServer::OpenConnections(const std::string& actor) const {
  std::lock_guard lock(mu_);
  auto it = listeners_.find(actor);
  return it == listeners_.end() ? 0 : it->second->OpenConnections();
}

}  // namespace wasmcloud::httpserver
