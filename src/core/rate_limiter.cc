#include "core/rate_limiter.h"

#include <algorithm>

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

}  // namespace wasmcloud
