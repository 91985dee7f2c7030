#include "core/rate_limiter.h"

#include <algorithm>
#include <utility>

namespace wasmcloud {

bool KeyedRateLimiter::Allow(std::string_view key, uint64_t* suppressed, Clock::time_point now) {
  std::string k(key);
  std::lock_guard lock(mu_);
  if (buckets_.size() >= max_keys_ && !buckets_.contains(k)) buckets_.clear();
  auto [it, fresh] = buckets_.try_emplace(std::move(k));
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;
    b.at = now;
  }
  if (now > b.at) {
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.at = now;
  }
  if (b.tokens < 1.0) {
    ++b.suppressed;
    return false;
  }
  b.tokens -= 1.0;
  *suppressed = b.suppressed;
  b.suppressed = 0;
  return true;
}

uint64_t KeyedRateLimiter::TakeSuppressed(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) return 0;
  return std::exchange(it->second.suppressed, 0);
}

}  // namespace wasmcloud
