#include "httpserver/server.h"
#include "core/cpus.h"
#include "core/text.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <charconv>
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
// A connection's executor, its loop's io_context, by its concrete type (the type-erased
// any_io_executor costs a few percent of a request in copies). No strand: a connection has
// one operation pending at a time (its chain of steps), and what other threads do to it
// (the timer, the drain) takes its mutex and acts on the descriptor itself (shutdown).
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                        net::wait_traits<std::chrono::steady_clock>, Executor>;

// How often the watchdog looks for a loop whose serving thread is in a long actor call.
inline constexpr auto kWatchdogTick = std::chrono::milliseconds(5);

// An I/O loop: an io_context (concurrency hint 1: a thread that has more handlers ready
// runs them itself instead of waking another) run by two threads. One serves it; the
// other stays parked in the io_context. A thread of the loop makes an actor call itself
// (the cheap path, no hand-off) only while the other is not in one; when a call lasts,
// the watchdog posts to the loop, which wakes the parked thread, and it serves the loop's
// connections meanwhile (its own calls go to the call threads). A connection belongs to
// one loop for its life; connections are dealt to loops in turn.
// An io_context whose services can be shut down before it is destroyed. A pending accept
// on one loop holds the socket it will fill, made on another loop (connections are dealt
// to loops in turn); destroying the accept's loop destroys that socket, which reads the
// other loop's reactor. So HttpServer::Stop shuts every loop down first (handlers that
// never ran are destroyed while every reactor still exists; a reactor that is shut down
// lets its sockets go later, as Asio does within one context), then destroys them.
class LoopContext : public net::io_context {
 public:
  using net::io_context::io_context;
  void ShutDown() { shutdown(); }
};

struct Loop {
  explicit Loop(unsigned i) : index(i), ioc(1) {}
  const unsigned index;  // in HttpServer::Io::loops
  LoopContext ioc;
  net::executor_work_guard<Executor> guard{ioc.get_executor()};
  // Whether a thread of the loop is in an actor call, and how many calls they started:
  // the watchdog tells one long call from a series of short ones by it.
  std::atomic<bool> in_call{false};
  std::atomic<uint64_t> calls{0};
  // The watchdog's own.
  uint64_t seen = 0;
  uint64_t nudged = 0;
};

struct HttpServer::Io {
  explicit Io(unsigned loop_count) {
    for (unsigned i = 0; i < loop_count; ++i) loops.push_back(std::make_unique<Loop>(i));
  }

  Loop& NextLoop() { return *loops[next.fetch_add(1, std::memory_order_relaxed) % loops.size()]; }

  // Whether the thread that read a request on `loop` may make its call itself: only while
  // no other thread of the loop is in one (EndInline after the call).
  bool TryInline(Loop& loop) {
    if (loop.in_call.exchange(true, std::memory_order_acq_rel)) return false;
    loop.calls.fetch_add(1, std::memory_order_seq_cst);
    if (watchdog_idle.load(std::memory_order_seq_cst)) WakeWatchdog();
    return true;
  }
  void EndInline(Loop& loop) { loop.in_call.store(false, std::memory_order_release); }

  void WakeWatchdog() {
    std::lock_guard lock(watchdog_mu);
    watchdog_idle.store(false, std::memory_order_seq_cst);
    watchdog_cv.notify_one();
  }

  // Every kWatchdogTick while calls are made (asleep otherwise): a loop whose thread is in
  // the same call as at the previous look gets a no-op posted, which wakes its parked
  // thread. So a long call stalls its loop's other connections for one to two ticks (5 to
  // 10 ms), once.
  void RunWatchdog() {
    std::unique_lock lock(watchdog_mu);
    while (!watchdog_stop) {
      watchdog_cv.wait_for(lock, kWatchdogTick, [&] { return watchdog_stop; });
      if (watchdog_stop) break;
      bool active = false;
      for (auto& l : loops) {
        const uint64_t calls = l->calls.load(std::memory_order_seq_cst);
        const bool in_call = l->in_call.load(std::memory_order_seq_cst);
        if (calls != l->seen) {
          l->seen = calls;
          active = true;
        } else if (in_call && l->nudged != calls) {
          l->nudged = calls;
          net::post(l->ioc, [] {});
        }
        active = active || in_call;
      }
      if (active) continue;
      // No call since the last look: sleep until one starts. A call that starts after the
      // loads above either sees watchdog_idle and wakes us, or is seen by the loads below.
      watchdog_idle.store(true, std::memory_order_seq_cst);
      bool changed = false;
      for (auto& l : loops) {
        changed = changed || l->calls.load(std::memory_order_seq_cst) != l->seen ||
                  l->in_call.load(std::memory_order_seq_cst);
      }
      if (changed) {
        watchdog_idle.store(false, std::memory_order_seq_cst);
        continue;
      }
      watchdog_cv.wait(
          lock, [&] { return watchdog_stop || !watchdog_idle.load(std::memory_order_seq_cst); });
    }
  }

  std::vector<std::unique_ptr<Loop>> loops;
  std::atomic<unsigned> next{0};

  std::mutex watchdog_mu;
  std::condition_variable watchdog_cv;
  bool watchdog_stop = false;
  std::atomic<bool> watchdog_idle{false};
  std::thread watchdog;
};

namespace {

// After an error response (400, 413, 431) the connection is closed, but first the rest of
// what the client sends is read and dropped for at most this long: closing a socket with
// unread data makes the kernel send a reset, which can make the client lose the response.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
// While draining, a connection that has not sent its first request gets this long for it.
constexpr auto kFirstRequestWhileDraining = std::chrono::milliseconds(1000);
// A read while the head is incomplete.
constexpr size_t kHeadReadSize = 4096;
// The largest trailer section of a chunked body (see Session::BodyBufferLimit).
constexpr size_t kMaxTrailerBytes = 60 * 1024;
constexpr char kFieldTooLarge[] =
    "Request Header Fields Too Large: a header line is longer than 65535 bytes";

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
  Listener(Io& io, std::string actor, const ListenerSettings& settings,
           const RequestHandler* handler, const LogSink* log, std::shared_ptr<ThreadPool> calls,
           std::shared_ptr<StatusCounts> counts)
      : io_(io),
        counts_(std::move(counts)),
        actor_(std::move(actor)),
        handler_(handler),
        log_(log),
        calls_(std::move(calls)),
        settings_(std::make_shared<const ListenerSettings>(settings)),
        acceptor_(io.NextLoop().ioc),
        retry_timer_(acceptor_.get_executor()) {}

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

  // The number of connections open, this one included.
  size_t Register(Session* session, std::weak_ptr<Session> weak) {
    std::lock_guard lock(sessions_mu_);
    sessions_.emplace(session, std::move(weak));
    return sessions_.size();
  }
  // A connection beyond MAX_CONNECTIONS was refused: said at most once every 10 s.
  void WarnLimitReached(size_t limit) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t last = last_limit_warning_ms_.load(std::memory_order_relaxed);
    if (last != 0 && now - last < 10000) return;
    if (!last_limit_warning_ms_.compare_exchange_strong(last, now)) return;
    Log(LogLevel::kWarn, "port " + std::to_string(port_) + " for actor " + actor_ + " has " +
                             std::to_string(limit) +
                             " connections open (MAX_CONNECTIONS); new ones are answered 503 "
                             "until some close");
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
  // From a thread of loop `shard`.
  void CountResponse(unsigned shard, unsigned status) {
    auto& by_status = counts_->shards[shard].by_status;
    if (status < by_status.size()) by_status[status].fetch_add(1, std::memory_order_relaxed);
  }
  const RequestHandler& handler() const { return *handler_; }
  // Runs `task` on a call thread; false when every one is busy and the queue is full.
  bool SubmitCall(std::function<void()> task) { return calls_->TrySubmit(std::move(task)); }
  Io& io() const { return io_; }
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
  // The connection goes to the next loop in turn (its socket is made on that loop's
  // io_context); the accept itself runs on the listener's loop.
  void AcceptLocked() {
    Loop& loop = io_.NextLoop();
    acceptor_.async_accept(loop.ioc,
                           [self = shared_from_this(), &loop](beast::error_code ec, Socket socket) {
                             self->OnAccept(ec, std::move(socket), loop);
                           });
  }
  void OnAccept(beast::error_code ec, Socket socket, Loop& loop);

  Io& io_;  // the server's, which outlives every thread
  const std::shared_ptr<StatusCounts> counts_;
  const std::string actor_;
  const RequestHandler* const handler_;  // owned by the server, which outlives every thread
  const LogSink* const log_;
  const std::shared_ptr<ThreadPool> calls_;
  std::atomic<bool> abandoned_{false};

  mutable std::mutex settings_mu_;
  std::shared_ptr<const ListenerSettings> settings_;

  std::mutex acceptor_mu_;  // the acceptor is used from the accept handler and from Remove
  net::basic_socket_acceptor<tcp, Executor> acceptor_;
  Timer retry_timer_;  // after an accept error such as EMFILE
  bool closed_ = false;
  uint16_t port_ = 0;
  std::atomic<bool> draining_{false};

  mutable std::mutex sessions_mu_;
  std::condition_variable sessions_cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  std::atomic<int64_t> last_limit_warning_ms_{0};
};

namespace {

// One connection: reads a request, calls the handler (on this thread, blocking), writes the
// response, and again while the connection is kept alive. Its steps run one after the
// other on its loop (one operation pending at a time); the chain of steps holds the one
// reference that keeps the session alive between them (moved from step to step, never
// copied); the timer holds a weak one, the drain a strong one only while it acts. What
// runs beside the chain (the timer, the drain's closes) takes mu_ and acts on the
// descriptor with shutdown(2), which ends the pending operation; the chain alone closes
// it (End, under mu_).
class Session : public std::enable_shared_from_this<Session> {
 public:
  using Ptr = std::shared_ptr<Session>;
  using Clock = std::chrono::steady_clock;

  Session(Socket socket, Loop& loop, std::shared_ptr<HttpServer::Listener> listener)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        loop_(loop),
        listener_(std::move(listener)),
        settings_(listener_->settings()),
        fd_(socket_.native_handle()) {}
  ~Session() { listener_->Unregister(this); }

  // On the thread that accepted it (the listener's loop, or the drain taking the backlog).
  void Start() {
    // Registered before anything else: a drain that begins now (its backlog sessions are
    // started by the drain itself) finds it and waits for its answer. When it was
    // registered later, a drain could find no session yet, end at once and close the 20
    // connections of SigtermUnderLoadAnswersEveryRequest unanswered.
    const size_t open = listener_->Register(this, weak_from_this());
    beast::error_code ignored;
    // Responses are written at once when the socket takes them (it nearly always does),
    // without a round through the io_context; a write that would block goes on
    // asynchronously.
    socket_.non_blocking(true, ignored);
    const size_t limit = MaxConnections(*settings_);
    if (open > limit) {
      // Answered 503 while a few are (each lingers up to kLingerTime so that its client
      // reads the answer); beyond those, closed at once, so that a flood of connections
      // holds at most limit + limit / 16 (at least 16) descriptors.
      if (open - limit > std::max<size_t>(16, limit / 16)) {
        listener_->WarnLimitReached(limit);
        return End();
      }
      return Refuse(shared_from_this(), limit);
    }
    ReadRequest(shared_from_this());
  }

  // From the listener's drain (its thread): a kept-alive connection waiting for its next
  // request is closed; a new one (accepted from the backlog, say) gets a short time for
  // its first.
  void CloseIfIdle() {
    if (served_.load(std::memory_order_acquire) > 0) {
      Wait idle = Wait::kIdle;
      if (wait_.compare_exchange_strong(idle, Wait::kClosed)) ShutdownSocket();
      return;
    }
    std::lock_guard lock(mu_);
    if (wait_.load() == Wait::kIdle) {
      SetDeadlineLocked(std::min(deadline_, Clock::now() + kFirstRequestWhileDraining));
    }
  }
  // From the drain, past its timeout: the pending read or write fails, and a handler still
  // in its call finds the connection closed when it answers.
  void Close() { ShutdownSocket(); }

 private:
  // Between requests: whether the next one has started to arrive (the drain closes a
  // kept-alive connection only before that).
  enum class Wait { kIdle, kBusy, kClosed };

  // --- the read timeout ---------------------------------------------------------------
  // One deadline per connection, moved by each step (no timer operation); the timer is
  // armed when none is pending, and when it fires before the deadline it is armed again
  // for it. So a kept-alive connection's timer fires about once per read_timeout, not
  // twice per request.
  void ExpireAfter(Clock::duration d) { SetDeadline(Clock::now() + d); }
  void SetDeadline(Clock::time_point t) {
    std::lock_guard lock(mu_);
    SetDeadlineLocked(t);
  }
  void SetDeadlineLocked(Clock::time_point t) {
    deadline_ = t;
    if (closed_ || t == Clock::time_point::max()) return;
    if (!timer_armed_) return ArmTimerLocked();
    // Earlier than the pending wait (the drain's short times): the wait ends now and its
    // handler arms the timer again.
    if (t < timer_.expiry()) timer_.cancel();
  }
  void ArmTimerLocked() {
    timer_armed_ = true;
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = weak_from_this()](beast::error_code) {
      if (auto self = weak.lock()) self->OnTimer();
    });
  }
  // On a thread of the loop, maybe beside the chain.
  void OnTimer() {
    std::lock_guard lock(mu_);
    timer_armed_ = false;
    if (closed_ || deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < deadline_) return ArmTimerLocked();
    // The pending read or write ends (end of stream, broken pipe); its handler sees
    // timed_out_.
    timed_out_.store(true, std::memory_order_release);
    deadline_ = Clock::time_point::max();
    ::shutdown(fd_, SHUT_RDWR);
  }
  void ShutdownSocket() {
    std::lock_guard lock(mu_);
    if (!closed_) ::shutdown(fd_, SHUT_RDWR);
  }
  // What a failed read means: the timer shut the socket, or the client closed it in the
  // middle of a request.
  beast::error_code ReadError(beast::error_code ec) const {
    if (timed_out_.load(std::memory_order_acquire)) return beast::error::timeout;
    if (ec == net::error::eof && buffer_.size() > 0) return http::error::partial_message;
    return ec;
  }

  // --- reading --------------------------------------------------------------------------
  void ReadRequest(Ptr self) {
    // Empty lines left after a request (some clients end a POST body with a CRLF) are not
    // a request begun: the connection is idle, and a drain closes it.
    const bool idle = OnlyEmptyLines();
    wait_.store(idle ? Wait::kIdle : Wait::kBusy, std::memory_order_seq_cst);
    const bool draining = listener_->draining();
    // A kept-alive connection gets no new request once the listener drains; a new one
    // is still served its first (it was accepted before the socket closed).
    if (draining && served_ > 0 && idle) return Shutdown();
    buffer_.max_size(HeadBufferLimit());
    parser_.emplace();
    parser_->body_limit(settings_->max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(settings_->max_header_bytes));
    // A connection the drain took from the backlog gets a short time for its request.
    ExpireAfter(draining && served_ == 0 ? kFirstRequestWhileDraining : settings_->read_timeout);
    ReadHead(std::move(self));
  }

  // Reads until the whole head (request line and headers, up to its empty line) is in
  // buffer_, checks its raw bytes for obs-fold (gone once Beast has parsed it: it folds
  // lines into one value), then has Beast parse it from there.
  void ReadHead(Ptr self) {
    const std::string_view have = Buffered();
    // Empty lines before the request line are skipped (RFC 9112 §2.2; Beast takes them for
    // a method).
    const size_t start = EmptyLinesAtStart(have);
    const size_t end = have.find("\r\n\r\n", start);
    // A line ended by a bare LF or CR: Beast waits for a CRLF that a client which sends
    // such lines (a script through netcat) never sends, so the client would wait out the
    // read timeout without an answer. Refused, not taken as a line end (RFC 9112 §2.2
    // allows a bare LF): a proxy in front that split lines differently could smuggle a
    // request.
    if (HasBareLineEnd(have.substr(start, end == std::string_view::npos ? end : end + 2 - start))) {
      return SendError(std::move(self), 400,
                       "Bad Request: a line of the request head ends in a bare LF or CR (HTTP "
                       "lines end in CRLF)");
    }
    if (end == std::string_view::npos) {
      // Leading empty lines count too: only CRLFs, sent without end, filled the buffer.
      if (have.size() > settings_->max_header_bytes) {
        return SendError(std::move(self), 431, HeaderTooLarge());
      }
      socket_.async_read_some(
          buffer_.prepare(kHeadReadSize),
          [this, self = std::move(self)](beast::error_code ec, size_t n) mutable {
            buffer_.commit(n);
            if (ec) return OnReadError(std::move(self), ReadError(ec));
            // The request has begun: the drain no longer closes the connection under it
            // (unless it just did). Empty lines alone (a CRLF after the last request, in a
            // packet of its own) have not begun one.
            if (wait_.load(std::memory_order_relaxed) != Wait::kBusy && !OnlyEmptyLines()) {
              Wait idle = Wait::kIdle;
              if (!wait_.compare_exchange_strong(idle, Wait::kBusy) && idle == Wait::kClosed) {
                return End();
              }
            }
            ReadHead(std::move(self));
          });
      return;
    }
    if (IsFolded(have.substr(start, end + 2 - start))) {
      return SendError(std::move(self), 400,
                       "Bad Request: a header is folded over lines (obs-fold)");
    }
    buffer_.consume(start);
    beast::error_code ec;
    size_t used = 0;
    try {
      used = parser_->put(buffer_.data(), ec);
    } catch (const std::length_error&) {
      // Beast keeps a field's name and value in 16 bits: a line this long (possible with
      // MAX_HEADER_BYTES above 64 KiB) throws instead of failing.
      return SendError(std::move(self), 431, kFieldTooLarge);
    }
    buffer_.consume(used);
    if (ec == http::error::need_more) {
      // Not expected with the whole head here; Beast reads the rest itself.
      return http::async_read_header(
          socket_, buffer_, *parser_,
          [this, self = std::move(self)](beast::error_code ec, size_t) mutable {
            OnHeader(std::move(self), ec ? ReadError(ec) : ec);
          });
    }
    OnHeader(std::move(self), ec);
  }

  std::string_view Buffered() const {
    return {static_cast<const char*>(buffer_.data().data()), buffer_.size()};
  }
  // The bytes of the CRLFs (empty lines) `have` starts with.
  static size_t EmptyLinesAtStart(std::string_view have) {
    size_t n = 0;
    while (have.substr(n, 2) == "\r\n") n += 2;
    return n;
  }
  bool OnlyEmptyLines() const { return EmptyLinesAtStart(Buffered()) == buffer_.size(); }

  // An LF without a CR before it, or a CR with something other than an LF after it (a CR
  // that ends `head` may still get its LF).
  static bool HasBareLineEnd(std::string_view head) {
    for (size_t i = head.find_first_of("\r\n"); i != std::string_view::npos;
         i = head.find_first_of("\r\n", i + 1)) {
      if (head[i] == '\n') {
        if (i == 0 || head[i - 1] != '\r') return true;
      } else if (i + 1 < head.size() && head[i + 1] != '\n') {
        return true;
      }
    }
    return false;
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

  void OnHeader(Ptr self, beast::error_code ec) {
    if (ec) return OnReadError(std::move(self), ec);
    const auto& req = parser_->get();
    fields_.clear();  // its capacity stays for the next request
    for (const auto& field : req)
      fields_.push_back({View(field.name_string()), View(field.value())});
    if (std::optional<std::string> refused =
            RefuseRequestHead(req.version(), View(req.target()), fields_)) {
      return SendError(std::move(self), 400, *refused);
    }
    if (parser_->is_done()) return Handle(std::move(self));
    auto expect = req.find(http::field::expect);
    if (expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      // The client waits for this before it sends the body (curl does for large bodies).
      return net::async_write(socket_, net::buffer(kContinue, sizeof(kContinue) - 1),
                              [this, self = std::move(self)](beast::error_code ec, size_t) mutable {
                                if (ec) return End();
                                ReadBody(std::move(self));
                              });
    }
    ReadBody(std::move(self));
  }

  // The buffer holds at most the head being read (and what came with its last read).
  size_t HeadBufferLimit() const { return settings_->max_header_bytes + kHeadReadSize; }
  // While a body is read: a chunk's size line or the trailer section (after the last
  // chunk) has to be whole in the buffer before Beast parses it, so without this bound a
  // client could send either without end. The trailer is held to MAX_HEADER_BYTES and
  // below 64 KiB (so that no field of it reaches the 65 535 bytes Beast throws at).
  size_t BodyBufferLimit() const {
    return std::min<size_t>(settings_->max_header_bytes, kMaxTrailerBytes) + kHeadReadSize;
  }

  void ReadBody(Ptr self) {
    buffer_.max_size(std::max(BodyBufferLimit(), buffer_.size()));
    http::async_read(socket_, buffer_, *parser_,
                     [this, self = std::move(self)](beast::error_code ec, size_t) mutable {
                       if (ec) return OnReadError(std::move(self), ReadError(ec));
                       Handle(std::move(self));
                     });
  }

  void OnReadError(Ptr self, const beast::error_code& ec) {
    const ListenerSettings& s = *settings_;
    if (ec == http::error::body_limit) {
      return SendError(std::move(self), 413,
                       "Payload Too Large: the body is larger than " +
                           std::to_string(s.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) return SendError(std::move(self), 431, HeaderTooLarge());
    if (ec == http::error::buffer_overflow) {
      return SendError(std::move(self), 431,
                       "Request Header Fields Too Large: the trailer of the chunked body, or a "
                       "chunk's size line, is larger than " +
                           std::to_string(BodyBufferLimit() - kHeadReadSize) + " bytes");
    }
    if (ec.category() == HttpCategory() && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return SendError(std::move(self), 400, "Bad Request: " + ec.message());
    }
    // The client closed or reset the connection, the read timed out (the timer shut the
    // socket) or the server closed it: nothing to answer.
    if (ec == beast::error::timeout && parser_->got_some()) {
      listener_->Log(LogLevel::kDebug, "a request to actor " + listener_->actor() +
                                           " did not arrive within " +
                                           std::to_string(s.read_timeout.count()) + " ms");
    }
    End();
  }

  // --- the call -------------------------------------------------------------------------
  void Handle(Ptr self) {
    SetDeadline(Clock::time_point::max());
    http::request<http::vector_body<uint8_t>> req = parser_->release();
    wire::HttpRequest request;
    request.method = std::string(req.method_string());
    Target target = SplitTarget(View(req.target()));
    request.path = std::move(target.path);
    request.query_string = std::move(target.query);
    // The head's fields only, as checked (fields_: views of the head's elements, which
    // `req` still holds): a chunked body's trailer fields are dropped. Not the first N
    // fields of `req`: Beast puts a field next to one of the same name, so a trailer
    // repeating a head field's name lands among them.
    for (const HeadField& field : fields_) {
      request.header[AsciiLower(field.name)] = std::string(field.value);
    }
    request.body = std::move(req.body());
    const Reply how{req.keep_alive(), req.method() == http::verb::head, req.version()};

    // The loop's thread makes the call itself while the loop's other thread is not in one
    // (the cheap path: no hand-off); otherwise a call thread makes it and the reply comes
    // back to the loop. Either way no actor can hold every thread of a loop.
    HttpServer::Io& io = listener_->io();
    if (io.TryInline(loop_)) {
      HttpReply reply = Call(std::move(request));
      io.EndInline(loop_);
      return Respond(std::move(self), std::move(reply), how, Send::kAfterReadyWork);
    }
    auto shared_request = std::make_shared<wire::HttpRequest>(std::move(request));
    Session* s = self.get();
    const bool queued = listener_->SubmitCall([self, shared_request, how] {
      auto reply = std::make_shared<HttpReply>(self->Call(std::move(*shared_request)));
      net::post(self->socket_.get_executor(), [self, reply, how]() mutable {
        Session* s = self.get();
        s->Respond(std::move(self), std::move(*reply), how);
      });
    });
    if (!queued) {
      s->Respond(std::move(self),
                 OverloadedReply("Service Unavailable: every call thread of the HTTP server is "
                                 "busy and its queue is full; retry later"),
                 how);
    }
  }

  // On a thread of the loop or a call thread.
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

  // --- writing --------------------------------------------------------------------------
  // How the request wants its response.
  struct Reply {
    bool keep_alive;
    bool head;
    unsigned version;
  };

  // When a response goes out. kAfterReadyWork: after the handlers the loop already has
  // ready (requests read on its other connections), so that under load the responses of
  // one pass over the ready connections leave together. Sent one by one between calls,
  // each send woke a client that had gone to sleep for want of answers, and the woken
  // client preempted the loop's thread on its way out of send(2) (finish_task_switch
  // under __send was the largest item of a profile under wrk -c50). Posted after the
  // ready work, the first send wakes the client and the others mostly find it awake:
  // +18-43 % requests/s in http_bench (docs/httpserver.md). With one connection nothing
  // else is ready and the post costs one turn of the loop (no change measured).
  enum class Send { kNow, kAfterReadyWork };

  void Respond(Ptr self, HttpReply reply, Reply how, Send when = Send::kNow) {
    served_.fetch_add(1, std::memory_order_release);
    const bool keep_alive = how.keep_alive && !listener_->draining();
    const unsigned status = reply.status >= 100 && reply.status <= 999 ? reply.status : 500;
    const bool no_body = status < 200 || status == 204 || status == 304;
    const unsigned version = how.version == 10 ? 10 : 11;
    StartResponse(version, status, reply.headers);
    if (!no_body) {
      AddContentLength(reply.body.size());
      if (!how.head) out_body_ = std::move(reply.body);
    }
    EndResponse(version, keep_alive);
    const AfterWrite then = keep_alive ? AfterWrite::kNextRequest : AfterWrite::kShutdown;
    if (when == Send::kAfterReadyWork) {
      net::post(socket_.get_executor(),
                [this, self = std::move(self), then]() mutable { Write(std::move(self), then); });
      return;
    }
    Write(std::move(self), then);
  }

  // A connection beyond the listener's limit: 503 with Retry-After before anything is
  // read, then the connection is closed (lingering, so the client reads the answer
  // instead of a reset). It holds its descriptor for at most kLingerTime.
  void Refuse(Ptr self, size_t limit) {
    listener_->WarnLimitReached(limit);
    HttpReply reply = OverloadedReply(
        "Service Unavailable: too many connections are open to "
        "this server; retry later");
    StartResponse(11, 503, reply.headers);
    AddContentLength(reply.body.size());
    out_body_ = std::move(reply.body);
    EndResponse(11, false);
    Write(std::move(self), AfterWrite::kLinger);
  }

  // A response of the server itself, then the connection is closed (what follows in the
  // stream cannot be trusted to be the start of a request).
  void SendError(Ptr self, unsigned status, const std::string& text) {
    HttpReply reply = TextReply(status, text);
    StartResponse(11, status, reply.headers);
    AddContentLength(reply.body.size());
    out_body_ = std::move(reply.body);
    EndResponse(11, false);
    Write(std::move(self), AfterWrite::kLinger);
  }

  // The head as Beast's serializer wrote it: the status line with the standard reason
  // ("Unknown" for a code without one), the reply's headers in their order, then
  // Content-Length and Connection (the actor's were dropped by ReplyFromActor).
  void StartResponse(unsigned version, unsigned status,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
    listener_->CountResponse(loop_.index, status);
    out_head_.clear();
    out_body_.clear();
    out_head_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    AppendNumber(status);
    out_head_ += ' ';
    const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
    if (reason == "<unknown-status>") {
      out_head_ += "Unknown";
    } else {
      out_head_.append(reason.data(), reason.size());
    }
    out_head_ += "\r\n";
    for (const auto& [name, value] : headers) {
      out_head_ += name;
      out_head_ += ": ";
      out_head_ += value;
      out_head_ += "\r\n";
    }
  }
  void AddContentLength(size_t n) {
    out_head_ += "Content-Length: ";
    AppendNumber(n);
    out_head_ += "\r\n";
  }
  // HTTP/1.1 keeps the connection unless told "close"; HTTP/1.0 closes it unless told
  // "keep-alive".
  void EndResponse(unsigned version, bool keep_alive) {
    if (version == 10 && keep_alive) out_head_ += "Connection: keep-alive\r\n";
    if (version != 10 && !keep_alive) out_head_ += "Connection: close\r\n";
    out_head_ += "\r\n";
  }
  void AppendNumber(size_t n) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
    out_head_.append(digits, end);
  }

  enum class AfterWrite { kNextRequest, kShutdown, kLinger };

  // Writes out_head_ and out_body_: at once when the socket takes them (one send or
  // sendmsg), the rest asynchronously.
  void Write(Ptr self, AfterWrite then) {
    ExpireAfter(settings_->read_timeout);
    // A small body is copied behind the head: one buffer is a send(2), cheaper for the
    // kernel than a sendmsg(2) of two.
    constexpr size_t kCopiedBody = 16384;
    if (!out_body_.empty() && out_body_.size() <= kCopiedBody) {
      out_head_.append(reinterpret_cast<const char*>(out_body_.data()), out_body_.size());
      out_body_.clear();
    }
    const size_t total = out_head_.size() + out_body_.size();
    beast::error_code ec;
    const size_t n =
        out_body_.empty()
            ? socket_.write_some(net::buffer(out_head_), ec)
            : socket_.write_some(
                  std::array<net::const_buffer, 2>{net::buffer(out_head_), net::buffer(out_body_)},
                  ec);
    if (!ec && n == total) return Written(std::move(self), then);
    if (ec && ec != net::error::would_block && ec != net::error::try_again) return End();
    const size_t sent = ec ? 0 : n;
    std::array<net::const_buffer, 2> rest{net::buffer(out_head_), net::buffer(out_body_)};
    if (sent < out_head_.size()) {
      rest[0] = net::buffer(out_head_) + sent;
    } else {
      rest[0] = net::const_buffer();
      rest[1] = net::buffer(out_body_) + (sent - out_head_.size());
    }
    net::async_write(socket_, rest,
                     [this, self = std::move(self), then](beast::error_code ec, size_t) mutable {
                       if (ec) return End();
                       Written(std::move(self), then);
                     });
  }

  void Written(Ptr self, AfterWrite then) {
    switch (then) {
      case AfterWrite::kNextRequest:
        return ReadRequest(std::move(self));
      case AfterWrite::kShutdown:
        return Shutdown();
      case AfterWrite::kLinger:
        return Linger(std::move(self));
    }
  }

  // --- closing --------------------------------------------------------------------------
  // Half-closes, then reads and drops what the client still sends until it closes too or
  // kLingerTime passes.
  void Linger(Ptr self) {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    ExpireAfter(kLingerTime);
    scratch_ = std::make_unique<std::array<char, 16384>>();
    DrainInput(std::move(self));
  }
  void DrainInput(Ptr self) {
    socket_.async_read_some(net::buffer(*scratch_),
                            [this, self = std::move(self)](beast::error_code ec, size_t) mutable {
                              if (ec) return End();
                              DrainInput(std::move(self));
                            });
  }

  void Shutdown() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    End();
  }
  // Nothing more is started: the chain's reference goes and the session with it.
  void End() {
    std::lock_guard lock(mu_);
    closed_ = true;
    deadline_ = Clock::time_point::max();
    if (timer_armed_) timer_.cancel();
    beast::error_code ignored;
    socket_.close(ignored);
  }

  Socket socket_;
  Timer timer_;
  Loop& loop_;
  const std::shared_ptr<HttpServer::Listener> listener_;
  const std::shared_ptr<const ListenerSettings> settings_;
  const int fd_;  // socket_'s, for shutdown(2) from other threads until closed_
  // The chain's own.
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::vector_body<uint8_t>>> parser_;
  std::vector<HeadField> fields_;  // of the head (views of its elements in parser_, then req)
  std::string out_head_;
  Bytes out_body_;
  std::unique_ptr<std::array<char, 16384>> scratch_;  // what Linger drops
  // Shared with the drain and the timer.
  std::atomic<Wait> wait_{Wait::kIdle};
  std::atomic<uint64_t> served_{0};
  std::atomic<bool> timed_out_{false};
  std::mutex mu_;  // the fields below, timer_, and the descriptor against closing
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timer_armed_ = false;
  bool closed_ = false;
};

}  // namespace

void HttpServer::Listener::OnAccept(beast::error_code ec, Socket socket, Loop& loop) {
  if (!ec) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), loop, shared_from_this())->Start();
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
    Loop& loop = io_.NextLoop();
    Socket socket(loop.ioc);
    socket.assign(protocol, conn, ec);
    if (ec) {
      ::close(conn);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<Session>(std::move(socket), loop, shared_from_this())->Start();
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
  // Two loops per core (each with a thread that stands by), at most 8 more than the
  // cores: a loop's thread also runs the actor's call, and with one loop per core on a
  // busy machine the scheduler preempted them (docs/httpserver.md, "Two loops per core").
  // The cores this process may run on (taskset, cpuset, its cgroup's CPU quota), not
  // every core of the machine.
  const unsigned cores = UsableCpus();
  return std::min(2 * cores, cores + 8);
}
}  // namespace

HttpServer::HttpServer(RequestHandler handler, LogSink log, ServerOptions options)
    : handler_(std::move(handler)),
      log_(std::move(log)),
      options_(options),
      threads_(DefaultThreads(options.threads)),
      call_threads_(options.call_threads != 0 ? options.call_threads
                                              : std::max(8u, 4 * UsableCpus())),
      io_(std::make_unique<Io>(threads_)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::StartThreadsLocked() {
  if (!pool_.empty()) return;
  calls_ = std::make_shared<ThreadPool>("http-call", call_threads_, options_.max_queued_calls);
  // Two threads per loop: one serves it, the other stands by (see Loop).
  for (unsigned i = 0; i < 2 * threads_; ++i) {
    pool_.emplace_back([this, loop = io_->loops[i % threads_].get()] {
      for (;;) {
        try {
          loop->ioc.run();
          return;
        } catch (const std::exception& e) {  // a bug; keep the thread serving
          if (log_) log_(LogLevel::kError, std::string("HTTP server thread: ") + e.what());
        }
      }
    });
  }
  io_->watchdog = std::thread([io = io_.get()] { io->RunWatchdog(); });
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
  auto listener = std::make_shared<Listener>(*io_, actor, settings, &handler_, &log_,
                                             std::move(calls), CountsFor(actor));
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
  for (auto& loop : io_->loops) {
    loop->guard.reset();
    loop->ioc.stop();
  }
  for (auto& t : pool) t.join();
  if (io_->watchdog.joinable()) {
    {
      std::lock_guard lock(io_->watchdog_mu);
      io_->watchdog_stop = true;
    }
    io_->watchdog_cv.notify_all();
    io_->watchdog.join();
  }
  // Handlers that never ran (and the connections they hold) go now, before the library
  // that holds their code can be unloaded: every loop shut down first, then destroyed
  // (LoopContext says why).
  for (auto& loop : io_->loops) loop->ioc.ShutDown();
  io_.reset();
}

std::shared_ptr<HttpServer::StatusCounts> HttpServer::CountsFor(const std::string& actor) {
  std::lock_guard lock(counts_mu_);
  auto& c = counts_[actor];
  if (!c) c = std::make_shared<StatusCounts>(threads_);
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
    for (unsigned status = 100; status < 1000; ++status) {
      uint64_t n = 0;
      for (unsigned i = 0; i < counts->count; ++i) {
        n += counts->shards[i].by_status[status].exchange(0, std::memory_order_relaxed);
      }
      if (n > 0) take(actor, status, n);
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
