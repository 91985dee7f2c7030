// The wasmcloud:httpserver capability provider (libwasmcloud_httpserver.so), built on the
// C++ provider SDK: each linked actor gets an HTTP listener at BindActor (link values PORT,
// ADDRESS, ...), and each request becomes a HandleRequest call to that actor through the
// host. See docs/httpserver.md.
#include <wasmcloud/provider_sdk.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/log_level.h"
#include "httpserver/exchange.h"
#include "httpserver/server.h"
#include "httpserver/settings.h"
#include "wire/core.h"
#include "wire/http.h"

namespace wasmcloud::httpserver {
namespace {

using providers::ToWcLevel;

class HttpServerProvider final : public sdk::Provider {
 public:
  explicit HttpServerProvider(sdk::Host& host)
      : sdk::Provider(host),
        server_([this](const std::string& actor,
                       wire::HttpRequest request) { return Serve(actor, request); },
                [this](LogLevel level, const std::string& text) {
                  this->host().Log(ToWcLevel(level), text);
                }) {
    // Responses by status go to the host's metrics once a second
    // (wasmcloud_provider_http_requests_total{provider,link_name,actor,status}), so that a
    // request costs an atomic increment, not a call into the host.
    flusher_ = std::thread([this] {
      std::unique_lock lock(flush_mu_);
      while (!flush_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
        lock.unlock();
        FlushCounts();
        lock.lock();
      }
    });
  }
  ~HttpServerProvider() override { StopFlusher(); }

  sdk::Descriptor Describe() const override {
    return {"wasmcloud:httpserver", "HTTP server (Boost.Beast)", WC_VERSION};
  }

  // The host sends BindActor again when either side restarts: same values, nothing changes.
  void BindActor(const std::string& actor, const sdk::LinkValues& values) override {
    Result<ListenerSettings> settings = ParseLinkValues(values);
    if (!settings.ok()) throw sdk::Error(settings.status().message());
    for (const auto& [given, meant] : MisspeltLinkKeys(values)) {
      host().Log(WC_LOG_WARN, "actor " + actor + ": link value " + given +
                                  " is not one of this provider's and is ignored; did you mean " +
                                  meant + "? (docs/httpserver.md)");
    }
    // The host adds the actor's claims to the values: its name makes the log line that
    // says where it is served readable ("serving http://127.0.0.1:8080 → kvcounter (M…)").
    auto name = values.find("__wasmcloud_name");
    Status s = server_.Bind(actor, *settings, name == values.end() ? "" : name->second);
    if (!s.ok()) throw sdk::Error(s.message());
  }

  void RemoveActor(const std::string& actor) override { server_.Remove(actor); }

  // Actors call nothing on this contract; the host sends HealthRequest.
  sdk::Bytes HandleCall(const std::string&, const std::string& operation, const uint8_t*,
                        size_t) override {
    if (operation == "HealthRequest") return wire::Encode(wire::HealthResponse{true, ""});
    throw sdk::Error("wasmcloud:httpserver has no operation \"" + operation + "\"");
  }

  // Every listener drains and the threads are joined before this returns: the host
  // unloads the library right after.
  void Stop() override {
    StopFlusher();
    server_.Stop();
    FlushCounts();  // what the drain answered too
  }

 private:
  HttpReply Serve(const std::string& actor, const wire::HttpRequest& request) {
    const Bytes payload = wire::Encode(request);
    Result<Bytes> reply = [&]() -> Result<Bytes> {
      try {
        return host().CallActor(actor, "HandleRequest", payload);
      } catch (const sdk::Error& e) {
        if (e.code() == WC_ERROR_DEADLINE) return DeadlineExceeded(e.what());
        if (e.code() == WC_ERROR_UNAVAILABLE) return Unavailable(e.what());
        return GuestError(e.what());
      } catch (const std::exception& e) {
        return GuestError(e.what());
      }
    }();
    std::string failure;
    HttpReply r = ReplyFromActor(reply, &failure);
    // Once per failed request, with the id its client was given.
    if (!failure.empty()) host().Log(WC_LOG_WARN, "actor " + actor + ": " + failure);
    return r;
  }

  void StopFlusher() {
    {
      std::lock_guard lock(flush_mu_);
      stopping_ = true;
    }
    flush_cv_.notify_all();
    if (flusher_.joinable()) flusher_.join();
  }

  void FlushCounts() {
    server_.TakeResponseCounts([this](const std::string& actor, unsigned status, uint64_t n) {
      host().Count("http_requests", "actor=" + actor + ",status=" + std::to_string(status), n);
    });
  }

  HttpServer server_;
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace
}  // namespace wasmcloud::httpserver

WASMCLOUD_PROVIDER(wasmcloud::httpserver::HttpServerProvider)
