// A mutex per key, for changes that must not overlap for one thing (an actor's starts and
// live updates) while those of different things go on side by side. A key is held by one
// Lock at a time; holding two keys at once from one thread is not allowed (no order is
// defined between keys). Keys are kept only while held.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace wasmcloud {

class KeyedMutex {
 public:
  // Holds its key until destroyed (or moved from).
  class [[nodiscard]] Lock {
   public:
    Lock(Lock&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), key_(std::move(other.key_)) {}
    Lock& operator=(Lock&&) = delete;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock() {
      if (owner_ != nullptr) owner_->Release(key_);
    }

   private:
    friend class KeyedMutex;
    Lock(KeyedMutex* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    KeyedMutex* owner_;
    std::string key_;
  };

  // Waits until no other Lock holds `key`, then holds it.
  Lock Acquire(std::string key) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return held_.count(key) == 0; });
    held_.insert(key);
    return Lock(this, std::move(key));
  }

  // Holds `key` when no other Lock does; nullopt (not waiting) when one does.
  std::optional<Lock> TryAcquire(std::string key) {
    std::lock_guard lock(mu_);
    if (!held_.insert(key).second) return std::nullopt;
    return Lock(this, std::move(key));
  }

  // True when some Lock holds `key` now (for tests and logs).
  bool Held(const std::string& key) const {
    std::lock_guard lock(mu_);
    return held_.count(key) != 0;
  }

 private:
  void Release(const std::string& key) {
    {
      std::lock_guard lock(mu_);
      held_.erase(key);
    }
    cv_.notify_all();  // waiters of other keys wake and wait again: contention is rare
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string, std::less<>> held_;
};

}  // namespace wasmcloud
