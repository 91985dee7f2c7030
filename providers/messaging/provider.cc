// The wasmcloud:messaging capability provider (libwasmcloud_messaging.so), built on the
// C++ provider SDK and libnats: each linked actor gets its own NATS connection and
// subscriptions (NatsLink); each message is delivered to the actor's HandleMessage, and
// the actor publishes and requests through its connection. See docs/messaging.md.
#include <wasmcloud/provider_sdk.h>

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/log_level.h"
#include "messaging/dispatch.h"
#include "messaging/link_config.h"
#include "messaging/nats_library.h"
#include "messaging/nats_link.h"
#include "wire/core.h"
#include "wire/messaging.h"

namespace wasmcloud::messaging {
namespace {

using providers::ToWcLevel;

std::string Subjects(const LinkConfig& config) {
  if (config.subscriptions.empty()) return "no subjects";
  std::string out;
  for (const auto& s : config.subscriptions) {
    out += (out.empty() ? "" : ", ") + s.subject;
    if (!s.queue.empty()) out += " (queue " + s.queue + ")";
  }
  return out;
}

class MessagingProvider final : public sdk::Provider {
 public:
  explicit MessagingProvider(sdk::Host& host) : sdk::Provider(host) {
    // Before any libnats thread exists (docs/messaging.md, "Unloading").
    Status pinned = PinNatsLibrary();
    if (!pinned.ok()) throw sdk::Error(pinned.message());
  }

  sdk::Descriptor Describe() const override {
    return {"wasmcloud:messaging", "Messaging (NATS)", WC_VERSION};
  }

  // Connects the actor to the link's servers and subscribes. The same values again keep
  // the connection; other values replace it (the old one is closed first, so a failed
  // rebind leaves the actor unbound, never on the old link's subjects).
  void BindActor(const std::string& actor, const sdk::LinkValues& values) override {
    Result<LinkConfig> config = ParseLinkConfig(values);
    if (!config.ok()) throw sdk::Error(config.status().message());
    std::shared_ptr<NatsLink> old;
    {
      std::unique_lock lock(mu_);
      if (stopped_) throw sdk::Error("the provider is stopped");
      auto it = links_.find(actor);
      if (it != links_.end()) {
        if (it->second->config() == *config) return;  // a repeated bind: nothing changes
        old = std::move(it->second);
        links_.erase(it);
      }
    }
    if (old != nullptr) {
      old->Close();  // outside mu_: a delivery in progress may call back into HandleCall
      host().Log(WC_LOG_INFO,
                 "actor " + actor + ": the link changed, its old NATS connection is closed");
    }
    auto deliver = [this, actor](wire::BrokerMessage message) {
      Deliver(actor, std::move(message));
    };
    auto log = [this, actor](LogLevel level, const std::string& line) {
      host().Log(ToWcLevel(level), "actor " + actor + ": " + line);
    };
    Result<std::unique_ptr<NatsLink>> link =
        NatsLink::Open(*config, "wasmcloud:messaging " + actor, deliver, log);
    if (!link.ok()) throw sdk::Error(link.status().message());
    std::shared_ptr<NatsLink> opened = std::move(link).value();
    {
      std::unique_lock lock(mu_);
      links_[actor] = opened;
    }
    host().Log(WC_LOG_INFO, "actor " + actor + ": connected to NATS at " + ServerList(*config) +
                                ", subscribed to " + Subjects(*config));
  }

  void RemoveActor(const std::string& actor) override {
    std::shared_ptr<NatsLink> link;
    {
      std::unique_lock lock(mu_);
      auto it = links_.find(actor);
      if (it == links_.end()) return;
      link = std::move(it->second);
      links_.erase(it);
    }
    link->Close();
    host().Log(WC_LOG_INFO, "actor " + actor + ": unlinked, its NATS connection is closed");
  }

  sdk::Bytes HandleCall(const std::string& actor, const std::string& operation, const uint8_t* data,
                        size_t len) override {
    if (operation == "HealthRequest") {  // from the host, not from an actor's link
      const std::string problem = Health();
      return wire::Encode(wire::HealthResponse{problem.empty(), problem});
    }
    std::shared_ptr<NatsLink> link;
    {
      std::shared_lock lock(mu_);
      auto it = links_.find(actor);
      if (it != links_.end()) link = it->second;
    }
    if (link == nullptr) {
      throw sdk::Error("actor " + actor +
                       " is not linked to this wasmcloud:messaging provider (no BindActor)");
    }
    Result<Bytes> reply = HandleMessagingCall(*link, operation, ByteView(data, len));
    if (!reply.ok()) throw sdk::Error(reply.status().message());
    return std::move(reply).value();
  }

  // Every actor's connection must be up.
  std::string Health() override {
    std::vector<std::pair<std::string, std::shared_ptr<NatsLink>>> links;
    {
      std::shared_lock lock(mu_);
      links.assign(links_.begin(), links_.end());
    }
    std::string problems;
    for (const auto& [actor, link] : links) {
      Status s = link->Health();
      if (!s.ok())
        problems += (problems.empty() ? "" : "; ") + ("actor " + actor + ": " + s.message());
    }
    return problems;
  }

  // Closes every connection and joins every delivery thread; after this no code of this
  // library runs on any thread (libnats never calls into it), so the host may unload it.
  void Stop() override {
    std::map<std::string, std::shared_ptr<NatsLink>> links;
    {
      std::unique_lock lock(mu_);
      stopped_ = true;
      links.swap(links_);
    }
    for (auto& [actor, link] : links) link->Close();
  }

 private:
  // On a delivery thread. The actor's failure is its own: logged, and the next message
  // is delivered.
  void Deliver(const std::string& actor, wire::BrokerMessage message) {
    try {
      try {
        host().CallActor(actor, kHandleMessage, wire::Encode(message));
      } catch (const std::exception& e) {
        host().Log(WC_LOG_WARN, "actor " + actor + ": HandleMessage for a message on \"" +
                                    message.subject + "\" failed: " + e.what());
      }
    } catch (...) {  // not even the log line: nothing may escape onto the delivery thread
    }
  }

  std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<NatsLink>> links_;  // by actor
  bool stopped_ = false;
};

}  // namespace
}  // namespace wasmcloud::messaging

WASMCLOUD_PROVIDER(wasmcloud::messaging::MessagingProvider)
