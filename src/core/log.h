// The logging facade. Layers log through these functions; the binary decides where the
// lines go (stderr by default) by installing a sink. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wasmcloud {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

std::string_view LogLevelName(LogLevel level);
// Parses "trace", "debug", "info", "warn", "error", "off" (case-insensitive).
bool ParseLogLevel(std::string_view text, LogLevel* out);

using LogSink = std::function<void(LogLevel, std::string_view component, std::string_view msg)>;

// How the default sink writes a line:
//   text: 2026-12-05T09:26:21.469Z INFO [host] started actor …
//   json: {"time":"2026-12-05T09:26:21.469Z","level":"info","component":"host",
//          "message":"started actor …","host_id":"N…","actor":"M…","operation":"…"}
//         one object per line: the process's fields (SetLogField) and those of the
//         thread's LogContext scopes follow the message; invalid UTF-8 becomes U+FFFD.
enum class LogFormat { kText, kJson };
// Parses "text" or "json" (case-insensitive).
bool ParseLogFormat(std::string_view text, LogFormat* out);
void SetLogFormat(LogFormat format);
// A field of every JSON line from now on ("host_id"); an empty value removes it.
void SetLogField(const std::string& key, const std::string& value);

// Fields of the JSON lines logged on this thread while the scope lives (nested scopes
// add theirs). The strings are not copied: they must outlive the scope.
class LogContext {
 public:
  // The fields of the calling thread's scopes, outermost first (for sinks of their own).
  static std::vector<std::pair<std::string_view, std::string_view>> Current();

  LogContext(std::string_view key, std::string_view value);
  LogContext(std::string_view key1, std::string_view value1, std::string_view key2,
             std::string_view value2);
  ~LogContext();
  LogContext(const LogContext&) = delete;
  LogContext& operator=(const LogContext&) = delete;

 private:
  int pushed_;
};

// Replaces the sink; an empty function restores the default (stderr, one line each).
void SetLogSink(LogSink sink);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

void Log(LogLevel level, std::string_view component, std::string_view msg);

}  // namespace wasmcloud
