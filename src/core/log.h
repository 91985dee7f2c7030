// The logging facade. Layers log through these functions; the binary decides where the
// lines go (stderr by default) by installing a sink. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace wasmcloud {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

std::string_view LogLevelName(LogLevel level);
// Parses "trace", "debug", "info", "warn", "error", "off" (case-insensitive).
bool ParseLogLevel(std::string_view text, LogLevel* out);

using LogSink = std::function<void(LogLevel, std::string_view component, std::string_view msg)>;

// Replaces the sink; an empty function restores the default (stderr, one line each).
void SetLogSink(LogSink sink);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

void Log(LogLevel level, std::string_view component, std::string_view msg);

}  // namespace wasmcloud
