// Helpers for tests that watch the process log and wait for things that happen on other
// threads or in child processes (provider supervision, the host's own log lines).
#pragma once

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.h"

namespace wasmcloud::testing {

// Every log line of the process while it lives, as "LEVEL [component] message".
class LogCapture {
 public:
  LogCapture() {
    SetLogSink([this](LogLevel level, std::string_view component, std::string_view msg) {
      std::lock_guard lock(mu_);
      lines_.push_back(std::string(LogLevelName(level)) + " [" + std::string(component) + "] " +
                       std::string(msg));
    });
  }
  ~LogCapture() { SetLogSink({}); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Lines that contain `a` and (when given) `b`.
  size_t Count(std::string_view a, std::string_view b = "") const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& l : lines_) {
      n += (l.find(a) != std::string::npos && l.find(b) != std::string::npos) ? 1 : 0;
    }
    return n;
  }
  // A copy of the lines so far.
  std::vector<std::string> Lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  // Every line, for failure messages.
  std::string All() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// Polls `pred` every 10 ms until it holds (true) or `limit` passed (its last answer).
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// In the sanitizer suites the child processes a test starts are sanitizer builds too: let
// a child's SIGSEGV/SIGBUS be a real one (no report, no symbolizer run that could outlast
// a deadline). The test's own runtime read its options at start; only children see these.
// Call it before starting children; true, so that it can initialise a constant.
inline bool LetSanitizedChildrenDieOfSignals() {
  for (const char* name : {"ASAN_OPTIONS", "TSAN_OPTIONS"}) {
    const char* old = std::getenv(name);
    std::string value = old != nullptr ? std::string(old) + ":" : std::string();
    setenv(name, (value + "handle_segv=0:handle_sigbus=0").c_str(), 1);
  }
  return true;
}

}  // namespace wasmcloud::testing
