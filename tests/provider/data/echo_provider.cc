// A test provider written with the SDK (sdk/provider/wasmcloud/provider_sdk.h), loaded by
// native_library_test.cc. Contract "test:echo"; what each operation does is next to it
// in HandleCall. It has a thread of its own that calls the host for "Post".
#include <wasmcloud/provider_sdk.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace {

using wasmcloud::sdk::Bytes;
using wasmcloud::sdk::Error;
using wasmcloud::sdk::LinkValues;

std::string Text(const uint8_t* data, size_t len) {
  return std::string(reinterpret_cast<const char*>(data), len);
}
Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct NotAStdException {
  int code;
};

class EchoProvider : public wasmcloud::sdk::Provider {
 public:
  explicit EchoProvider(wasmcloud::sdk::Host& host) : Provider(host) {
    // Before the host starts the provider, the host answers calls with an error.
    try {
      host.CallActor("MEARLY", "Early", nullptr, 0);
      early_ = "the early call succeeded";
    } catch (const Error& e) {
      early_ = e.what();
    }
    host.Log(WC_LOG_INFO, "echo provider constructed");
    worker_ = std::thread([this] { Work(); });
  }
  ~EchoProvider() override {
    // The host calls Stop first; a provider may still be careful.
    Stop();
  }

  wasmcloud::sdk::Descriptor Describe() const override {
    return {"test:echo", "Echo (test)", "1.2.3"};
  }

  void BindActor(const std::string& actor, const LinkValues& values) override {
    if (values.count("FAIL") != 0) throw Error("bind refused: " + values.at("FAIL"));
    std::lock_guard lock(mu_);
    links_[actor] = values;
  }

  void RemoveActor(const std::string& actor) override {
    std::lock_guard lock(mu_);
    links_.erase(actor);
  }

  Bytes HandleCall(const std::string& actor, const std::string& operation, const uint8_t* data,
                   size_t len) override {
    const std::string payload = Text(data, len);
    if (operation == "Echo") return Bytes(data, data + len);
    if (operation == "Fail") throw Error("echo failed: " + payload);
    if (operation == "ThrowInt") throw 42;
    if (operation == "ThrowStruct") throw NotAStdException{7};
    if (operation == "Empty") return {};
    if (operation == "Links") {  // "key=value;..." of the actor's link, or "none"
      std::lock_guard lock(mu_);
      auto it = links_.find(actor);
      if (it == links_.end()) return ToBytes("none");
      std::string out;
      for (const auto& [k, v] : it->second) out += k + "=" + v + ";";
      return ToBytes(out);
    }
    if (operation == "Early") return ToBytes(early_);
    if (operation == "CallBack") {  // the host, from the calling thread
      Bytes reply = host().CallActor(actor, "Callback", data, len);
      return ToBytes("via host: " + Text(reply.data(), reply.size()));
    }
    if (operation == "Post") {  // the host, from the provider's own thread, later
      std::lock_guard lock(mu_);
      queue_.emplace_back(actor, payload);
      wake_.notify_all();
      return ToBytes("queued");
    }
    if (operation == "Log") {
      host().Log(WC_LOG_WARN, payload);
      return {};
    }
    if (operation == "SetHealth") {  // "" healthy, else the problem
      std::lock_guard lock(mu_);
      problem_ = payload;
      return {};
    }
    if (operation == "HealthThrows") {
      std::lock_guard lock(mu_);
      health_throws_ = true;
      return {};
    }
    throw Error("no operation " + operation);
  }

  std::string Health() override {
    std::lock_guard lock(mu_);
    if (health_throws_) throw std::logic_error("health check exploded");
    return problem_;
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      wake_.notify_all();
    }
    worker_.join();
    // The host is still there until Stop returns.
    host().CallActor("MSTOP", "Stopped", nullptr, 0);
  }

 private:
  // Calls the host for every posted message; logs the outcome.
  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      auto [actor, payload] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      std::string outcome;
      try {
        Bytes reply = host().CallActor(
            actor, "Posted", reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
        outcome = "posted reply: " + Text(reply.data(), reply.size());
      } catch (const Error& e) {
        outcome = std::string("posted error: ") + e.what();
      }
      host().Log(WC_LOG_INFO, outcome);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::map<std::string, LinkValues> links_;
  std::string early_;
  std::string problem_;
  bool health_throws_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace

WASMCLOUD_PROVIDER(EchoProvider)
