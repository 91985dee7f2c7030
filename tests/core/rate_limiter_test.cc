#include "core/rate_limiter.h"

#include <gtest/gtest.h>

namespace wasmcloud {
namespace {

using Clock = KeyedRateLimiter::Clock;
using std::chrono::milliseconds;

TEST(KeyedRateLimiterTest, ABurstThenTheRateAndTheCountOfWhatWasRefused) {
  KeyedRateLimiter limiter(10, 5);
  const Clock::time_point t0 = Clock::now();
  uint64_t suppressed = 99;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter.Allow("a", &suppressed, t0)) << i;
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(limiter.Allow("a", &suppressed, t0));
  // Another key has its own bucket.
  EXPECT_TRUE(limiter.Allow("b", &suppressed, t0));
  // 100 ms later one token is back; the line let through learns that 7 were dropped.
  EXPECT_TRUE(limiter.Allow("a", &suppressed, t0 + milliseconds(100)));
  EXPECT_EQ(suppressed, 7u);
  EXPECT_FALSE(limiter.Allow("a", &suppressed, t0 + milliseconds(100)));
  EXPECT_TRUE(limiter.Allow("a", &suppressed, t0 + milliseconds(200)));
  EXPECT_EQ(suppressed, 1u);
  // Refilled up to the burst, not beyond.
  const Clock::time_point later = t0 + std::chrono::seconds(60);
  int allowed = 0;
  while (limiter.Allow("a", &suppressed, later)) ++allowed;
  EXPECT_EQ(allowed, 5);
}

TEST(KeyedRateLimiterTest, ATimeGoingBackwardsGivesNoTokens) {
  KeyedRateLimiter limiter(1000, 1);
  const Clock::time_point t0 = Clock::now();
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.Allow("a", &suppressed, t0));
  EXPECT_FALSE(limiter.Allow("a", &suppressed, t0 - milliseconds(100)));
}

TEST(KeyedRateLimiterTest, TheTableOfKeysIsBounded) {
  KeyedRateLimiter limiter(1, 1, 3);
  const Clock::time_point t0 = Clock::now();
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.Allow("a", &suppressed, t0));
  EXPECT_FALSE(limiter.Allow("a", &suppressed, t0));
  EXPECT_TRUE(limiter.Allow("b", &suppressed, t0));
  EXPECT_TRUE(limiter.Allow("c", &suppressed, t0));
  // A fourth key empties the table: "a" starts afresh (its debt forgotten).
  EXPECT_TRUE(limiter.Allow("d", &suppressed, t0));
  EXPECT_TRUE(limiter.Allow("a", &suppressed, t0));
  EXPECT_EQ(suppressed, 0u);
}

}  // namespace
}  // namespace wasmcloud
