// The host heartbeat (spec §7.7, lattice.md): every interval (first one interval after
// Start) the health of each local actor and provider is asked, each with a deadline of
// `check_timeout` (0.18: 200 ms), and the result handed to `publish`.
//
// Health is a map public key → "Running" | {"Unhealthy": message} (0.18's shape). A check
// that does not answer in time is "No successful health check response from target"; it
// keeps running on the checker's pool (2 threads, bounded) and its late answer is
// dropped; while the pool is full, further checks are reported unanswered at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/thread_pool.h"

namespace wasmcloud::host {

inline constexpr std::string_view kNoHealthResponse =
    "No successful health check response from target";

struct HealthCheck {
  std::string public_key;
  // Ok: Running; an error: Unhealthy with its message.
  std::function<Status()> check;
};

struct HeartbeatOptions {
  std::chrono::milliseconds interval{30000};
  // The first beat, after Start; default: one interval.
  std::optional<std::chrono::milliseconds> first;
  std::chrono::milliseconds check_timeout{200};
};

class Heartbeat {
 public:
  // `collect` lists this beat's checks; `publish` gets the health map. Both run on the
  // heartbeat's thread.
  Heartbeat(HeartbeatOptions options, std::function<std::vector<HealthCheck>()> collect,
            std::function<void(nlohmann::json health)> publish);
  ~Heartbeat();  // Stop()

  void Start();
  // Ends the thread (a beat in progress finishes) and waits for running checks.
  // Idempotent.
  void Stop();

  // Runs `checks`, waits up to check_timeout for them, returns the health map.
  nlohmann::json CheckAll(std::vector<HealthCheck> checks);

 private:
  void Run();

  const HeartbeatOptions options_;
  const std::function<std::vector<HealthCheck>()> collect_;
  const std::function<void(nlohmann::json)> publish_;
  ThreadPool checker_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace wasmcloud::host
