#include "host/heartbeat.h"

#include <memory>
#include <optional>
#include <utility>

#include "core/log.h"

namespace wasmcloud::host {
namespace {

nlohmann::json Unhealthy(const std::string& message) { return {{"Unhealthy", message}}; }

}  // namespace

Heartbeat::Heartbeat(HeartbeatOptions options, std::function<std::vector<HealthCheck>()> collect,
                     std::function<void(nlohmann::json)> publish)
    : options_(options),
      collect_(std::move(collect)),
      publish_(std::move(publish)),
      checker_("wc-health", 2, 256) {}

Heartbeat::~Heartbeat() { Stop(); }

void Heartbeat::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void Heartbeat::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  checker_.Shutdown();
}

void Heartbeat::Run() {
  std::unique_lock lock(mu_);
  for (auto wait = options_.first.value_or(options_.interval);; wait = options_.interval) {
    if (cv_.wait_for(lock, wait, [this] { return stopping_; })) return;
    lock.unlock();
    publish_(CheckAll(collect_()));
    lock.lock();
  }
}

nlohmann::json Heartbeat::CheckAll(std::vector<HealthCheck> checks) {
  struct Results {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<Status>> done;
    size_t pending = 0;
  };
  auto results = std::make_shared<Results>();
  results->done.resize(checks.size());
  for (size_t i = 0; i < checks.size(); ++i) {
    {
      std::lock_guard lock(results->mu);
      ++results->pending;
    }
    auto check = checks[i].check;
    bool queued = checker_.TrySubmit([results, i, check] {
      Status s = check ? check() : Status::Ok();
      std::lock_guard lock(results->mu);
      results->done[i] = std::move(s);
      --results->pending;
      results->cv.notify_all();
    });
    if (!queued) {  // the pool is full of checks that did not answer: this one is unanswered
      std::lock_guard lock(results->mu);
      --results->pending;
    }
  }
  std::unique_lock lock(results->mu);
  results->cv.wait_for(lock, options_.check_timeout, [&] { return results->pending == 0; });
  nlohmann::json health = nlohmann::json::object();
  for (size_t i = 0; i < checks.size(); ++i) {
    nlohmann::json h;
    if (!results->done[i]) {
      h = Unhealthy(std::string(kNoHealthResponse));
    } else if (results->done[i]->ok()) {
      h = "Running";
    } else {
      h = Unhealthy(results->done[i]->message());
    }
    // One key under several link names: an unhealthy one wins.
    auto it = health.find(checks[i].public_key);
    if (it == health.end() || h.is_object()) health[checks[i].public_key] = std::move(h);
  }
  return health;
}

}  // namespace wasmcloud::host
