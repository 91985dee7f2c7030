// A token bucket per key, for log lines that someone outside the host controls (an
// actor's __console_log and WriteLog, a provider's output): a burst, then a steady rate;
// what is refused is counted so that the next line let through can say how many went.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wasmcloud {

class KeyedRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `per_second` tokens come back each second, up to `burst`; a new key starts full.
  // At most `max_keys` keys are kept (keys that come and go, such as actors, would
  // otherwise grow the table): past it the table is emptied, which forgets the debts.
  KeyedRateLimiter(double per_second, double burst, size_t max_keys = 4096)
      : per_second_(per_second), burst_(burst), max_keys_(max_keys) {}

  // True: go ahead (one token taken) and *suppressed is the number refused for this key
  // since the last one allowed (then reset). False: refused and counted.
  bool Allow(std::string_view key, uint64_t* suppressed, Clock::time_point now = Clock::now());

  // The number refused for `key` since the last one allowed (then reset), for a summary
  // line when no further one may come.
  uint64_t TakeSuppressed(std::string_view key);

  double per_second() const { return per_second_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point at{};
    uint64_t suppressed = 0;
  };
  const double per_second_;
  const double burst_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace wasmcloud
