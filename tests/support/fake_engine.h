// A wasm::Engine that runs no WebAssembly, for tests of the host and its worker pool
// that must run under ThreadSanitizer (V8 cannot). It accepts any module the inspector
// parses; an instance honours the waPC contract through the real `wapc` host functions,
// with a guest written in C++ whose behaviour is chosen by the operation name:
//
//   Echo            answers its payload
//   Fail            fails with the guest error "failed on purpose"
//   HealthRequest   answers {healthy: true, message: ""}
//   Call            payload "binding\nnamespace\noperation\npayload": makes that host
//                   call and answers its response, or fails with "host error: <message>"
//   Wait            payload = the name of a gate (FakeEngine::Gate): blocks until the gate
//                   opens, then answers "opened"
//   Tag             answers the content of the module's custom section "fake-tag" (to tell
//                   versions of one actor apart)
//   Log             writes its payload with __console_log, answers "logged"
//   Record          records its payload (FakeEngine::recorded(), every run, in order, all
//                   instances) and answers it: tests that count executions
//   anything else   fails with `No handler registered for function "<op>"`
//
// A module with a custom section "fake-init" ("binding\nnamespace\noperation\npayload")
// makes that host call while it is instantiated, as a guest's start function could; its
// outcome is recorded (FakeEngine::init_results).
//
// Linear memory is 1 MiB; payloads up to 256 KiB. Deadlines are not enforced.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "wasm/engine.h"

namespace wasmcloud::testing {

// A gate that a guest's "Wait" blocks on until the test opens it.
class Gate {
 public:
  void Open();
  // True once opened; false when `timeout` passed first.
  bool WaitOpen(std::chrono::milliseconds timeout);
  // How many guests are waiting at it now.
  int waiting() const { return waiting_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::atomic<int> waiting_{0};
};

class FakeEngine final : public wasm::Engine, public std::enable_shared_from_this<FakeEngine> {
 public:
  explicit FakeEngine(wasm::EngineConfig config = {}) : config_(config) {}

  Result<std::shared_ptr<const wasm::Module>> Compile(ByteView bytes) override;
  Result<std::unique_ptr<wasm::Worker>> NewWorker() override;
  const wasm::EngineConfig& config() const override { return config_; }
  Status WaitForBackgroundWork(std::chrono::nanoseconds) override { return Status::Ok(); }

  // The gate named `name` (made on first use).
  Gate& GetGate(const std::string& name);
  // Guest calls made so far (operations run through __guest_call), all instances.
  uint64_t guest_calls() const { return guest_calls_.load(); }
  void CountGuestCall() { guest_calls_.fetch_add(1); }

  // What the "fake-init" host calls answered, in order: the response, or "error: <text>".
  std::vector<std::string> init_results() const;
  void RecordInitResult(std::string r);

  // The payloads of every "Record" run so far, in the order they ran (all instances).
  std::vector<std::string> recorded() const;
  void Record(std::string payload);

  // A factory for Host: every host gets this engine.
  wasm::EngineFactory Factory();

 private:
  wasm::EngineConfig config_;
  std::mutex gates_mu_;
  std::map<std::string, std::unique_ptr<Gate>> gates_;
  std::atomic<uint64_t> guest_calls_{0};
  mutable std::mutex init_mu_;
  std::vector<std::string> init_results_;
  mutable std::mutex recorded_mu_;
  std::vector<std::string> recorded_;
};

}  // namespace wasmcloud::testing
