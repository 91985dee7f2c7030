// The wasmcloud:keyvalue capability provider (libwasmcloud_keyvalue.so), built on the C++
// provider SDK. Each linked actor gets a store at BindActor: Redis when the link has a
// URL value (actors linked with the same server share one RedisStore and its
// connections), otherwise the provider's one in-memory store. See docs/keyvalue.md.
#include <wasmcloud/provider_sdk.h>

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <tuple>

#include "keyvalue/dispatch.h"
#include "keyvalue/store.h"
#include "wire/core.h"

namespace wasmcloud::keyvalue {
namespace {

constexpr char kUrlKey[] = "URL";

std::string Where(const RedisAddress& a) {
  return a.host + ":" + std::to_string(a.port) + (a.db != 0 ? "/" + std::to_string(a.db) : "");
}

class KeyValueProvider final : public sdk::Provider {
 public:
  explicit KeyValueProvider(sdk::Host& host) : sdk::Provider(host) {}

  sdk::Descriptor Describe() const override {
    return {"wasmcloud:keyvalue", "Key-value store (Redis or in memory)", WC_VERSION};
  }

  // Chooses the actor's store; a URL that does not parse fails the bind (and the actor's
  // calls then fail as unbound) rather than quietly using memory.
  void BindActor(const std::string& actor, const sdk::LinkValues& values) override {
    auto url = values.find(kUrlKey);
    if (url == values.end() || url->second.empty()) {
      std::unique_lock lock(mu_);
      bindings_[actor] = memory_;
      lock.unlock();
      host().Log(WC_LOG_INFO, "actor " + actor + " uses the in-memory store (no URL link value)");
      return;
    }
    Result<RedisAddress> address = ParseRedisUrl(url->second);
    if (!address.ok()) throw sdk::Error(address.status().message());
    std::unique_lock lock(mu_);
    std::shared_ptr<RedisStore>& store = redis_[Identity(*address)];
    if (store == nullptr) store = std::make_shared<RedisStore>(*address);
    bindings_[actor] = store;
    DropUnusedRedisLocked();
    lock.unlock();
    host().Log(WC_LOG_INFO, "actor " + actor + " uses Redis at " + Where(*address));
  }

  void RemoveActor(const std::string& actor) override {
    std::unique_lock lock(mu_);
    bindings_.erase(actor);
    DropUnusedRedisLocked();
  }

  sdk::Bytes HandleCall(const std::string& actor, const std::string& operation, const uint8_t* data,
                        size_t len) override {
    if (operation == "HealthRequest") {  // from the host, not from an actor's link
      const std::string problem = Health();
      return wire::Encode(wire::HealthResponse{problem.empty(), problem});
    }
    std::shared_ptr<KeyValueStore> store;
    {
      std::shared_lock lock(mu_);
      auto it = bindings_.find(actor);
      if (it != bindings_.end()) store = it->second;
    }
    if (store == nullptr) {
      throw sdk::Error("actor " + actor +
                       " is not linked to this wasmcloud:keyvalue provider (no BindActor)");
    }
    Result<Bytes> reply = HandleKeyValueCall(*store, operation, ByteView(data, len));
    if (!reply.ok()) throw sdk::Error(reply.status().message());
    return std::move(reply).value();
  }

  // Every Redis server in use must answer PING.
  std::string Health() override {
    std::vector<std::shared_ptr<RedisStore>> stores;
    {
      std::shared_lock lock(mu_);
      for (const auto& [id, store] : redis_) stores.push_back(store);
    }
    std::string problems;
    for (const auto& store : stores) {
      Status s = store->Health();
      if (!s.ok()) problems += (problems.empty() ? "" : "; ") + s.message();
    }
    return problems;
  }

  void Stop() override {
    std::unique_lock lock(mu_);
    bindings_.clear();
    redis_.clear();  // calls in flight keep their store alive until they return
  }

 private:
  // Two URLs naming the same server, database and credentials share a store.
  using RedisIdentity = std::tuple<std::string, int, int, std::string, std::string>;
  static RedisIdentity Identity(const RedisAddress& a) {
    return {a.host, a.port, a.db, a.user, a.password};
  }

  // Closes the connections of Redis servers no actor uses any more. Needs mu_.
  void DropUnusedRedisLocked() {
    std::erase_if(redis_, [&](const auto& entry) {
      for (const auto& [actor, store] : bindings_) {
        if (store == entry.second) return false;
      }
      return true;
    });
  }

  std::shared_mutex mu_;
  const std::shared_ptr<MemoryStore> memory_ = std::make_shared<MemoryStore>();
  std::map<std::string, std::shared_ptr<KeyValueStore>> bindings_;  // by actor
  std::map<RedisIdentity, std::shared_ptr<RedisStore>> redis_;
};

}  // namespace
}  // namespace wasmcloud::keyvalue

WASMCLOUD_PROVIDER(wasmcloud::keyvalue::KeyValueProvider)
