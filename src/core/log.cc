#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/text.h"
#include "core/utf8.h"

namespace wasmcloud {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mu;
std::shared_ptr<LogSink> g_sink;  // guarded by g_mu; null = default sink
std::atomic<LogFormat> g_format{LogFormat::kText};
std::map<std::string, std::string> g_fields;  // guarded by g_mu

thread_local std::vector<std::pair<std::string_view, std::string_view>> t_context;

// `text` as the contents of a JSON string: quotes, backslashes and control characters
// escaped; a byte that is not part of well-formed UTF-8 becomes U+FFFD.
void AppendJsonString(std::string* out, std::string_view text) {
  *out += '"';
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == '"') {
        *out += "\\\"";
      } else if (c == '\\') {
        *out += "\\\\";
      } else if (c == '\n') {
        *out += "\\n";
      } else if (c < 0x20 || c == 0x7f) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        *out += buffer;
      } else {
        *out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (length > 1 && i + length <= text.size() && IsValidUtf8(text.substr(i, length))) {
      *out += text.substr(i, length);
      i += length;
    } else {
      *out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  *out += '"';
}

void AppendField(std::string* out, std::string_view key, std::string_view value) {
  *out += ',';
  AppendJsonString(out, key);
  *out += ':';
  AppendJsonString(out, value);
}

// Each level's names, in the order of LogLevel: as the text log shows it, and as JSON
// lines, --log-level and ParseLogLevel spell it.
struct LevelNames {
  std::string_view upper, lower;
};
constexpr LevelNames kLevelNames[] = {{"TRACE", "trace"}, {"DEBUG", "debug"}, {"INFO", "info"},
                                      {"WARN", "warn"},   {"ERROR", "error"}, {"OFF", "off"}};

const LevelNames& NamesOf(LogLevel level) {
  static constexpr LevelNames kUnknown{"?", "?"};
  const auto i = static_cast<size_t>(level);
  return i < std::size(kLevelNames) ? kLevelNames[i] : kUnknown;
}

void DefaultSink(LogLevel level, std::string_view component, std::string_view msg) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line;
  line.reserve(64 + msg.size());
  line += ts;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms.count()));
  if (g_format.load(std::memory_order_relaxed) == LogFormat::kJson) {
    std::string json = "{\"time\":\"";
    json += line;
    json += frac;
    json += "\",\"level\":\"";
    json += NamesOf(level).lower;
    json += '"';
    AppendField(&json, "component", component);
    AppendField(&json, "message", msg);
    {
      std::lock_guard<std::mutex> lock(g_mu);
      for (const auto& [k, v] : g_fields) AppendField(&json, k, v);
    }
    // The thread's scopes, innermost first; a key of an outer scope that an inner one
    // gives again (an actor calling another) is left out.
    for (size_t i = t_context.size(); i-- > 0;) {
      bool shadowed = false;
      for (size_t j = i + 1; j < t_context.size(); ++j)
        shadowed |= t_context[j].first == t_context[i].first;
      if (!shadowed) AppendField(&json, t_context[i].first, t_context[i].second);
    }
    json += "}\n";
    std::fwrite(json.data(), 1, json.size(), stderr);
    return;
  }
  line += frac;
  line += ' ';
  line += LogLevelName(level);
  line += " [";
  line += component;
  line += "] ";
  line += msg;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::string_view LogLevelName(LogLevel level) { return NamesOf(level).upper; }

bool ParseLogLevel(std::string_view text, LogLevel* out) {
  for (size_t i = 0; i < std::size(kLevelNames); ++i) {
    if (AsciiEqualsIgnoreCase(text, kLevelNames[i].lower)) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

bool ParseLogFormat(std::string_view text, LogFormat* out) {
  if (AsciiEqualsIgnoreCase(text, "text")) {
    *out = LogFormat::kText;
  } else if (AsciiEqualsIgnoreCase(text, "json")) {
    *out = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

void SetLogFormat(LogFormat format) { g_format.store(format, std::memory_order_relaxed); }

void SetLogField(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (value.empty()) {
    g_fields.erase(key);
  } else {
    g_fields[key] = value;
  }
}

LogContext::LogContext(std::string_view key, std::string_view value) : pushed_(1) {
  t_context.emplace_back(key, value);
}

LogContext::LogContext(std::string_view key1, std::string_view value1, std::string_view key2,
                       std::string_view value2)
    : pushed_(2) {
  t_context.emplace_back(key1, value1);
  t_context.emplace_back(key2, value2);
}

LogContext::~LogContext() { t_context.resize(t_context.size() - pushed_); }

std::vector<std::pair<std::string_view, std::string_view>> LogContext::Current() {
  return t_context;
}

void SetLogSink(LogSink sink) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_sink = sink ? std::make_shared<LogSink>(std::move(sink)) : nullptr;
}

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }
bool LogEnabled(LogLevel level) {
  return level != LogLevel::kOff && level >= g_level.load(std::memory_order_relaxed);
}

void Log(LogLevel level, std::string_view component, std::string_view msg) {
  if (!LogEnabled(level)) return;
  std::shared_ptr<LogSink> sink;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    sink = g_sink;
  }
  if (sink) {
    (*sink)(level, component, msg);
  } else {
    DefaultSink(level, component, msg);
  }
}

}  // namespace wasmcloud
