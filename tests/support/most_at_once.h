// How many threads are inside a section at once, and the most there ever were: for tests
// of what lets only N through (a worker pool, a per-key mutex).
#pragma once

#include <atomic>

namespace wasmcloud::testing {

class MostAtOnce {
 public:
  void Enter() {
    const int now = ++inside_;
    int seen = most_.load();
    while (now > seen && !most_.compare_exchange_weak(seen, now)) {
    }
  }
  void Leave() { --inside_; }
  int most() const { return most_.load(); }

 private:
  std::atomic<int> inside_{0};
  std::atomic<int> most_{0};
};

}  // namespace wasmcloud::testing
