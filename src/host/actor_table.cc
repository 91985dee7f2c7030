#include "host/actor_table.h"

#include <mutex>

namespace wasmcloud::host {

ActorPtr ActorTable::Find(std::string_view public_key) const {
  std::shared_lock lock(mu_);
  auto it = actors_.find(public_key);
  return it == actors_.end() ? nullptr : it->second;
}

bool ActorTable::Insert(ActorPtr module) {
  {
    std::unique_lock lock(mu_);
    if (!actors_.emplace(module->public_key, module).second) return false;
  }
  on_change_();
  return true;
}

bool ActorTable::Replace(const ActorPtr& expected, ActorPtr next) {
  {
    std::unique_lock lock(mu_);
    auto it = actors_.find(expected->public_key);
    if (it == actors_.end() || it->second != expected) return false;
    it->second = std::move(next);
  }
  on_change_();
  return true;
}

ActorPtr ActorTable::Erase(std::string_view public_key) {
  ActorPtr erased;
  {
    std::unique_lock lock(mu_);
    auto it = actors_.find(public_key);
    if (it == actors_.end()) return nullptr;
    erased = std::move(it->second);
    actors_.erase(it);
  }
  on_change_();
  return erased;
}

std::vector<ActorPtr> ActorTable::All() const {
  std::shared_lock lock(mu_);
  std::vector<ActorPtr> out;
  out.reserve(actors_.size());
  for (const auto& [key, module] : actors_) out.push_back(module);
  return out;
}

void ActorTable::Clear() {
  {
    std::unique_lock lock(mu_);
    actors_.clear();
  }
  on_change_();
}

bool ActorTable::IsRunning(std::string_view public_key, uint64_t generation) const {
  std::shared_lock lock(mu_);
  auto it = actors_.find(public_key);
  return it != actors_.end() && it->second->generation == generation;
}

}  // namespace wasmcloud::host
