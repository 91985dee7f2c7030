#include "provider/logging.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "core/log.h"
#include "core/rate_limiter.h"
#include "core/text.h"
#include "core/utf8.h"
#include "wire/core.h"
#include "wire/messaging.h"

namespace wasmcloud::provider {
namespace {

// An actor's text longer than this is cut: one call should not be able to put megabytes
// into a single log line.
constexpr size_t kMaxTextBytes = 16 * 1024;
// WriteLog lines of one actor: a burst of 200, then 100 a second (as __console_log).
constexpr unsigned kWriteLogsPerSecond = 100;
constexpr unsigned kWriteLogBurst = 200;

// Levels as wasmcloud:logging names them. ParseLogLevel would also take "off", which is
// not a level a line can have.
bool ParseLineLevel(std::string_view text, LogLevel* out) {
  LogLevel level;
  if (!ParseLogLevel(text, &level) || level == LogLevel::kOff) return false;
  *out = level;
  return true;
}

std::string FormatLine(std::string_view actor, std::string_view target, std::string_view text) {
  std::string line;
  line.reserve(actor.size() + target.size() + std::min(text.size(), kMaxTextBytes) + 40);
  line += '[';
  AppendEscaped(line, actor);
  line += "] ";
  if (!target.empty()) {
    AppendEscaped(line, target);
    line += ": ";
  }
  if (text.size() > kMaxTextBytes) {
    AppendEscaped(line, text.substr(0, kMaxTextBytes));
    line += " [" + std::to_string(text.size() - kMaxTextBytes) + " more bytes cut]";
  } else {
    AppendEscaped(line, text);
  }
  return line;
}

class LoggingProvider final : public Provider {
 public:
  ProviderDescriptor Describe() const override {
    return {std::string(kLoggingContractId), "wasmcloud Logging", "0.18"};
  }

  Status Start(ProviderHost* host) override {
    if (host == nullptr) return InvalidArgument("the logging provider needs a host to log to");
    std::unique_lock lock(mu_);
    host_ = host;
    return Status::Ok();
  }

  Status BindActor(std::string_view, const LinkValues&) override { return Status::Ok(); }
  Status RemoveActor(std::string_view) override { return Status::Ok(); }

  Result<Bytes> HandleCall(std::string_view actor, std::string_view operation,
                           ByteView payload) override {
    if (operation == "HealthRequest") {
      return wire::Encode(wire::HealthResponse{.healthy = true, .message = ""});
    }
    if (operation != "WriteLog") {
      return NotFound("bad dispatch: " + std::string(kLoggingContractId) + " has no operation \"" +
                      std::string(operation) + "\"");
    }
    auto request = wire::DecodeWriteLog(payload);
    if (!request.ok()) {
      return request.status().WithContext("WriteLog: the payload is not a WriteLog");
    }
    LogLevel level;
    if (!ParseLineLevel(request->level, &level)) {
      std::string shown;
      AppendEscaped(shown, request->level.substr(0, 64));
      return InvalidArgument("WriteLog: level must be error, warn, info, debug or trace, got \"" +
                             shown + "\"");
    }
    // Limited per actor, as its __console_log lines are: a flood from one actor neither
    // fills the disk nor drowns everyone else's lines. The guest is not told.
    uint64_t suppressed = 0;
    if (!limiter_.Allow(actor, &suppressed)) return Bytes{};
    std::string line = FormatLine(actor, request->target, request->text);
    {
      // Shared: calls log in parallel; Stop waits for them (the host is only valid until
      // Stop returns).
      std::shared_lock lock(mu_);
      if (host_ == nullptr) {
        return FailedPrecondition("WriteLog: the logging provider is not running");
      }
      if (suppressed > 0) {
        std::string note = "[";
        AppendEscaped(note, actor);
        note += "] suppressed " + std::to_string(suppressed) +
                " WriteLog line(s) of this actor (more than " +
                std::to_string(kWriteLogsPerSecond) + " a second)";
        host_->Log(LogLevel::kWarn, note);
      }
      host_->Log(level, line);
    }
    // wasmcloud-logging 0.9.3 replied `Ok(vec![])`: no bytes at all (not msgpack nil).
    return Bytes{};
  }

  void Stop() override {
    std::unique_lock lock(mu_);
    host_ = nullptr;
  }

 private:
  std::shared_mutex mu_;
  ProviderHost* host_ = nullptr;  // guarded by mu_; set by Start, cleared by Stop
  KeyedRateLimiter limiter_{kWriteLogsPerSecond, kWriteLogBurst};
};

}  // namespace

std::shared_ptr<Provider> NewLoggingProvider() { return std::make_shared<LoggingProvider>(); }

}  // namespace wasmcloud::provider
