// The HTTP/1.1 server behind the wasmcloud:httpserver provider (docs/httpserver.md): one
// listener per linked actor, every request handed to a RequestHandler, all of them served
// by one set of I/O loops (Boost.Asio/Beast; no Beast type in this header).
//
// Threads: the first Bind starts N = min(2 × cores, cores + 8) I/O loops, cores being
// those the process may run on (or ServerOptions::threads), each an io_context of its own run by
// two threads, a watchdog, and the call threads (ServerOptions::call_threads). Connections are
// dealt to the loops in turn and stay on theirs. A loop's thread that read a request makes the call
// itself only while the loop's other thread is not in one; otherwise a call thread makes it. When
// a call lasts (5 to 10 ms), the watchdog wakes the loop's other thread, which serves the
// loop's connections meanwhile. So a slow actor never holds a loop, and other actors'
// connections are served. Bind, Remove and Stop may be called from any thread but those
// (they wait for connections to end).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "httpserver/exchange.h"
#include "httpserver/settings.h"
#include "wire/http.h"

namespace wasmcloud::httpserver {

// Answers one request of `actor`'s listener. Called on an I/O loop's thread or a call
// thread, from several at once; must not throw (an exception becomes a 500).
using RequestHandler = std::function<HttpReply(const std::string& actor, wire::HttpRequest)>;
// Where the server's own log lines go (listeners opened and closed, errors).
using LogSink = std::function<void(LogLevel, const std::string&)>;

struct ServerOptions {
  // I/O loops (each run by two threads: one serves it, one stands by). 0: two per core,
  // at most 8 more than the cores (UsableCpus: its affinity and its cgroup's CPU quota).
  unsigned threads = 0;
  // How long Remove and Stop let requests in flight finish before their connections are
  // closed under them.
  std::chrono::milliseconds drain_timeout{5000};
  // Threads that run the handler (the actor calls). 0: max(8, 4 × UsableCpus()).
  unsigned call_threads = 0;
  // Requests waiting for a call thread; one more is answered 503 with Retry-After at once
  // (admission control) instead of queueing without bound.
  size_t max_queued_calls = 1024;
};

class HttpServer {
 public:
  HttpServer(RequestHandler handler, LogSink log, ServerOptions options = {});
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Makes `actor`'s listener match `settings`: opens it (kUnavailable with the endpoint and
  // the system's reason, e.g. "cannot listen on 0.0.0.0:8080 for actor M…: Address already
  // in use"); does nothing when it already runs with these settings; on another address
  // or port, opens the new socket first, then closes the old listener as Remove does (a
  // failure keeps the old one); with the same endpoint and other limits, the connections
  // accepted from now on use the new limits. kFailedPrecondition after Stop.
  // `actor_name` (its claims' name, when known) is only for the log line.
  Status Bind(const std::string& actor, const ListenerSettings& settings,
              const std::string& actor_name = "");
  // Closes `actor`'s listener gracefully: no new connection is accepted (the port is closed
  // when Remove returns), idle keep-alive connections are closed, requests in flight get
  // their response (with Connection: close) for up to drain_timeout, then the remaining
  // connections are closed. No-op for an actor without a listener.
  void Remove(const std::string& actor);
  // Remove for every listener at once, then joins the threads. Idempotent; Bind fails after.
  void Stop();

  // The responses sent since the last call, by actor and status (the server's own 400s,
  // 413s, 503s included): `take(actor, status, n)` for each that is not 0, and the counts
  // start again from 0. An atomic increment per response; the provider hands them to the
  // host's metrics every second.
  void TakeResponseCounts(
      const std::function<void(const std::string& actor, unsigned status, uint64_t n)>& take);

  // The local port of `actor`'s listener (the one chosen when its settings said 0).
  std::optional<uint16_t> Port(const std::string& actor) const;
  // Connections currently open on `actor`'s listener (0 when none).
  size_t OpenConnections(const std::string& actor) const;
  // I/O loops (ServerOptions::threads or its default).
  unsigned threads() const { return threads_; }

  class Listener;  // server.cc
  struct Io;       // the I/O loops and their watchdog (server.cc)

 private:
  void StartThreadsLocked();
  // Closes the listeners' sockets and waits for their connections as Remove says.
  void Drain(const std::vector<std::shared_ptr<Listener>>& listeners);

  // Responses by status (100..999) of one actor; kept across its listener's rebinds.
  // A shard per I/O loop, each on cache lines of its own, so that loops do not contend.
  struct StatusCounts {
    struct alignas(64) Shard {
      std::array<std::atomic<uint64_t>, 1000> by_status{};
    };
    explicit StatusCounts(unsigned n) : shards(std::make_unique<Shard[]>(n)), count(n) {}
    std::unique_ptr<Shard[]> shards;
    unsigned count;
  };
  std::shared_ptr<StatusCounts> CountsFor(const std::string& actor);

  const RequestHandler handler_;
  const LogSink log_;
  std::mutex counts_mu_;
  std::map<std::string, std::shared_ptr<StatusCounts>> counts_;  // by actor
  const ServerOptions options_;
  const unsigned threads_;
  const unsigned call_threads_;

  std::unique_ptr<Io> io_;

  std::mutex control_mu_;  // Bind, Remove and Stop, one at a time
  mutable std::mutex mu_;  // the fields below
  bool stopped_ = false;
  std::vector<std::thread> pool_;
  std::shared_ptr<ThreadPool> calls_;  // the call threads; made with the I/O threads
  std::map<std::string, std::shared_ptr<Listener>> listeners_;  // by actor
};

}  // namespace wasmcloud::httpserver
