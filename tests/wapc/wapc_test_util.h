// Shared set-up of the waPC tests: one engine per process, a recording host.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "wapc/wapc.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud::wapc::testing {

inline wasm::Engine& TestEngine() {
  static std::shared_ptr<wasm::Engine> engine = [] {
    wasm::EngineConfig config;
    config.max_memory_pages = 256;  // 16 MiB: the memory-cap test grows past it
    auto e = wasm::CreateV8Engine(config);
    if (!e.ok()) {
      ADD_FAILURE() << e.status().message();
      std::abort();
    }
    return *e;
  }();
  return *engine;
}

inline Bytes LoadFile(const std::string& path) {
  auto b = ReadFile(path);
  EXPECT_TRUE(b.ok()) << b.status().message();
  return b.ok() ? *b : Bytes{};
}

inline std::string TestData(const std::string& name) {
  return std::string(WC_WAPC_TEST_DATA) + "/" + name;
}

struct RecordedCall {
  std::string binding, ns, operation;
  Bytes payload;
};

// A host that records what the guest asks and answers from a script.
class RecordingHost : public HostCallbacks {
 public:
  std::vector<RecordedCall> calls;
  std::vector<std::string> logs;
  std::deque<Result<Bytes>> replies;  // popped in order; empty -> error "no reply scripted"

  Result<Bytes> OnHostCall(const HostCall& call) override {
    calls.push_back({std::string(call.binding), std::string(call.ns), std::string(call.operation),
                     Bytes(call.payload.begin(), call.payload.end())});
    if (replies.empty()) return Unavailable("no reply scripted");
    Result<Bytes> r = std::move(replies.front());
    replies.pop_front();
    return r;
  }
  void OnConsoleLog(std::string_view message) override { logs.emplace_back(message); }
};

}  // namespace wasmcloud::wapc::testing
