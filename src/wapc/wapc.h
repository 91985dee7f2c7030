// The waPC host ABI (wapc 0.10 as wasmCloud 0.18 hosts it): the `wapc` imports, the
// start functions, the guest-call sequence and the host-call callback. See
// docs/wapc.md and §1 of the protocol fact sheet.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "wasm/engine.h"

namespace wasmcloud::wapc {

// A guest's __host_call, as read from its memory. The views are valid only during the
// callback.
struct HostCall {
  std::string_view binding;  // the link name; "" as the guest sent it
  std::string_view ns;       // namespace: contract id, actor key or call alias
  std::string_view operation;
  ByteView payload;
};

// Bounds on what a guest hands the host in one call.
struct Limits {
  // A __guest_response or __guest_error longer than this traps the call.
  uint64_t max_response_bytes = 64ull << 20;
  // A __host_call payload longer than this is refused to the guest (the call returns 0
  // and __host_error says why) before any callback runs.
  uint64_t max_host_call_bytes = 64ull << 20;
};

// What the host does for a guest. Called on the thread that runs the guest.
class HostCallbacks {
 public:
  virtual ~HostCallbacks() = default;
  // Answers a __host_call. A value is the response the guest reads with
  // __host_response (the call returns 1); an error's message is what it reads with
  // __host_error (the call returns 0).
  virtual Result<Bytes> OnHostCall(const HostCall& call) = 0;
  // A __console_log line.
  virtual void OnConsoleLog(std::string_view message) = 0;
};

// The `wapc` host functions, listed once; the same table serves every instance.
std::span<const wasm::HostFunction> HostFunctions();

// A compiled module that satisfies the waPC contract.
class WapcModule {
 public:
  // Compiles `bytes` and checks: `__guest_call` is exported as (i32, i32) -> i32, a
  // memory is exported as "memory", every import is a `wapc` function the host provides
  // with the right signature, `_start` / `wapc_init` (when exported) take and return
  // nothing. Each failure is an error that names what is missing or wrong.
  static Result<std::shared_ptr<const WapcModule>> Load(wasm::Engine& engine, ByteView bytes);

  const wasm::Module& module() const { return *module_; }
  std::shared_ptr<const wasm::Module> shared_module() const { return module_; }

 private:
  explicit WapcModule(std::shared_ptr<const wasm::Module> module) : module_(std::move(module)) {}
  std::shared_ptr<const wasm::Module> module_;
};

// One instance of a waPC module on one worker. A call holds the worker for its
// duration (the lock nests when the caller already holds it), so calls from several
// threads run one after the other; a call made from inside a call of the same instance
// (re-entry) fails.
class WapcInstance {
 public:
  // Instantiates and runs `_start` then `wapc_init`, each only if exported; a trap or a
  // deadline in either fails the creation. `callbacks` must outlive the instance; `name`
  // is used in log lines.
  static Result<std::unique_ptr<WapcInstance>> Create(wasm::Worker& worker,
                                                      std::shared_ptr<const WapcModule> module,
                                                      HostCallbacks* callbacks, std::string name,
                                                      const wasm::CallOptions& init_options = {},
                                                      const Limits& limits = {});

  // Calls `operation` with `payload`. The guest's response on success. Errors:
  // kGuestError with the guest's own message (e.g. `No handler registered for function
  // "x"`), kTrap (the guest trapped; its message), kDeadlineExceeded, or the error of a
  // host function that found a guest pointer outside memory (kTrap). After any error
  // but kGuestError the instance should be replaced: see healthy().
  Result<Bytes> Call(std::string_view operation, ByteView payload,
                     const wasm::CallOptions& options = {});

  // False once a call trapped or ran past its deadline: its memory may hold a half-done
  // state.
  bool healthy() const { return healthy_; }
  // The bytes of its linear memory now.
  size_t memory_bytes() const;
  // Hands the pages of its memory back to the system (they read as zeros afterwards):
  // for an instance that is about to be destroyed, whose memory V8 would otherwise free
  // only at its next garbage collection. The instance must not be called again.
  void DiscardMemory();
  const std::string& name() const { return name_; }

 private:
  friend struct HostFunctionsImpl;
  WapcInstance(std::shared_ptr<const WapcModule> module, HostCallbacks* callbacks, std::string name)
      : module_(std::move(module)), callbacks_(callbacks), name_(std::move(name)) {}

  std::shared_ptr<const WapcModule> module_;
  wasm::Worker* worker_ = nullptr;
  std::unique_ptr<wasm::Instance> instance_;
  HostCallbacks* callbacks_;
  std::string name_;
  Limits limits_;
  wasm::FunctionRef guest_call_;
  std::vector<wasm::Value> results_;
  bool healthy_ = true;
  bool in_call_ = false;

  // State of the call in progress (reset by every Call).
  std::string_view request_operation_;
  ByteView request_payload_;
  Bytes guest_response_;
  bool has_guest_response_ = false;
  std::string guest_error_;
  bool has_guest_error_ = false;
  // Result of the guest's last __host_call.
  Bytes host_response_;
  std::string host_error_;
};

}  // namespace wasmcloud::wapc
