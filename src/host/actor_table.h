// The actors running on this host, by public key. Each entry is the running version
// (an immutable ActorModule); a live update swaps it. Thread-safe; its lock guards only
// the map and is never held while calling anything else.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actor/actor.h"

namespace wasmcloud::host {

using ActorPtr = std::shared_ptr<const actor::ActorModule>;

class ActorTable {
 public:
  // `on_change` runs after every change (the dispatcher's routing caches), outside the lock.
  explicit ActorTable(std::function<void()> on_change) : on_change_(std::move(on_change)) {}

  // The running version of the actor, or null.
  ActorPtr Find(std::string_view public_key) const;
  // Adds a new actor; false (and nothing changes) when one with that key runs.
  bool Insert(ActorPtr module);
  // Replaces `expected` by `next` (same key); false when `expected` is no longer the
  // running version (the actor was stopped or replaced meanwhile): then nothing changes.
  bool Replace(const ActorPtr& expected, ActorPtr next);
  // Removes the actor; the version that ran, or null when none did.
  ActorPtr Erase(std::string_view public_key);
  // Every running actor, by key.
  std::vector<ActorPtr> All() const;
  // Removes every actor (host stop).
  void Clear();
  // Whether instances of (actor, generation) are still wanted (WorkerPool's sweep).
  bool IsRunning(std::string_view public_key, uint64_t generation) const;

 private:
  std::function<void()> on_change_;
  mutable std::shared_mutex mu_;
  std::map<std::string, ActorPtr, std::less<>> actors_;
};

}  // namespace wasmcloud::host
