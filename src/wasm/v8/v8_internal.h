// Types shared by the files of the V8 backend. Not for use outside wasm/v8.
#pragma once

#include <libplatform/libplatform.h>
#include <v8.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "wasm/engine.h"
#include "wasm/v8/code_cache.h"
#include "wasm/v8/v8_engine.h"
#include "wasm/watchdog.h"

namespace wasmcloud::wasm::v8backend {

// "<constructor name>: <message>" of a caught exception, e.g. "RuntimeError: unreachable".
std::string ExceptionText(v8::Isolate* isolate, const v8::TryCatch& try_catch);

inline v8::Local<v8::String> V8String(v8::Isolate* isolate, std::string_view s) {
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(s.size()))
      .ToLocalChecked();
}

class V8Engine;
class TrackingPlatform;
class CompilePool;

class V8Module final : public Module, public std::enable_shared_from_this<V8Module> {
 public:
  V8Module(ModuleInfo info, v8::CompiledWasmModule compiled)
      : info_(std::move(info)), compiled_(std::move(compiled)), id_(next_id_.fetch_add(1)) {}
  const ModuleInfo& info() const override { return info_; }
  const v8::CompiledWasmModule& compiled() const { return compiled_; }
  uint64_t id() const { return id_; }

 private:
  static inline std::atomic<uint64_t> next_id_{1};
  ModuleInfo info_;
  v8::CompiledWasmModule compiled_;
  uint64_t id_;
};

class V8Instance;

class V8Worker final : public Worker {
 public:
  V8Worker(std::shared_ptr<V8Engine> engine, v8::Isolate* isolate,
           v8::ArrayBuffer::Allocator* allocator);
  ~V8Worker() override;

  Result<std::unique_ptr<Instance>> Instantiate(const Module& module,
                                                std::span<const HostFunction> host_functions,
                                                void* user_data) override;

  void Lock() override;
  void Unlock() override;

  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }
  // True when the calling thread holds this worker (Lock) and its isolate is the one the
  // thread entered last: then the isolate and the worker's context are entered, and a
  // call needs only a HandleScope. False when the thread locked another worker after this
  // one, or called into this worker without its lock.
  bool EnteredHere() const {
    return holder_.load(std::memory_order_relaxed) == std::this_thread::get_id() &&
           v8::Isolate::GetCurrent() == isolate_;
  }
  // The worker's context, entered by Lock; only while EnteredHere().
  v8::Local<v8::Context> entered_context() const { return entered_context_; }
  Watchdog::Slot& slot() { return *slot_; }
  const EngineConfig& config() const;
  // Deadline for a call with these options, per the engine's default.
  Watchdog::Clock::time_point DeadlineFor(const CallOptions& options) const;
  void InstanceGone() { --live_instances_; }
  v8::Local<v8::Function> instance_ctor() const { return instance_ctor_.Get(isolate_); }
  // The module as an object of this isolate; FromCompiledModule once per module.
  v8::MaybeLocal<v8::WasmModuleObject> ModuleObject(const V8Module& module);

 private:
  std::shared_ptr<V8Engine> engine_;
  v8::Isolate* isolate_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> instance_ctor_;  // WebAssembly.Instance
  std::shared_ptr<Watchdog::Slot> slot_;
  // Lock()/Unlock(): the thread that holds the worker, how deep, and its v8::Locker.
  // Every entry point also takes a scoped v8::Locker, which is a cheap no-op when the
  // calling thread already holds one.
  std::mutex lock_mu_;
  std::atomic<std::thread::id> holder_{};
  int lock_depth_ = 0;                // only touched by the holder
  std::optional<v8::Locker> locker_;  // only touched by the holder
  // While locked, the context is entered too (every instance of the worker runs in it),
  // through a handle of a HandleScope that lives as long as the lock. Only touched by the
  // holder.
  std::optional<v8::HandleScope> lock_handles_;
  v8::Local<v8::Context> entered_context_;
  int live_instances_ = 0;
  struct CachedModule {
    std::weak_ptr<const V8Module> module;  // expired: the entry is swept on the next miss
    v8::Global<v8::WasmModuleObject> object;
  };
  std::unordered_map<uint64_t, CachedModule> modules_;
};

class V8Engine final : public Engine, public std::enable_shared_from_this<V8Engine> {
 public:
  explicit V8Engine(const EngineConfig& config);
  ~V8Engine() override;
  Status Init();

  Result<std::shared_ptr<const Module>> Compile(ByteView bytes) override;
  Result<std::unique_ptr<Worker>> NewWorker() override;
  const EngineConfig& config() const override { return config_; }
  Status WaitForBackgroundWork(std::chrono::nanoseconds timeout) override;
  Watchdog& watchdog() { return watchdog_; }
  V8EngineStats stats() const;

 private:
  // What the streaming callback of the compile isolate hands V8 (set under compile_mu_).
  struct StreamInput {
    ByteView cached;        // CompiledWasmModule::Serialize() output
    ByteView wire;          // the module's bytes
    bool called = false;    // the callback ran
    bool accepted = false;  // SetCompiledModuleBytes took the cached bytes
  };
  static void OnStreaming(const v8::FunctionCallbackInfo<v8::Value>& info);

  // The live module compiled from code with this key, or nullptr.
  std::shared_ptr<const V8Module> FindLive(const CodeKey& key);
  // A module object from the cached code (under compile_mu_, on the compile isolate with
  // its context entered). An error says why V8 did not take it (kMalformed: the bytes do
  // not compile); compiled_instead: V8 took the cached code, could not load it after
  // all, and compiled the bytes.
  struct Loaded {
    v8::Local<v8::WasmModuleObject> module;
    bool compiled_instead = false;
  };
  Result<Loaded> Deserialize(ByteView cached, ByteView wire);
  // The thread that writes newly optimised modules to the code cache.
  void WriteLoop();

  EngineConfig config_;
  Watchdog watchdog_;
  std::mutex compile_mu_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> compile_allocator_;
  v8::Isolate* compile_isolate_ = nullptr;  // used under compile_mu_ with a v8::Locker
  v8::Global<v8::Context> compile_context_;
  v8::Global<v8::Object> compile_wasm_;         // WebAssembly
  v8::Global<v8::Function> compile_streaming_;  // WebAssembly.compileStreaming
  StreamInput stream_input_;                    // guarded by compile_mu_
  TrackingPlatform* platform_ = nullptr;        // the process's; set by Init
  CompilePool* compile_pool_ = nullptr;         // the process's; set by Init

  // Modules by code key, weakly: a module lives as long as its users.
  std::mutex live_mu_;
  std::unordered_map<std::string, std::weak_ptr<const V8Module>> live_;  // guarded by live_mu_

  // The code cache (nullptr: none) and its writer.
  std::unique_ptr<CodeCache> code_cache_;
  struct PendingWrite {
    CodeKey key;
    std::weak_ptr<const V8Module> module;
  };
  std::mutex write_mu_;
  std::condition_variable write_cv_;    // work for the writer, or stop
  std::condition_variable written_cv_;  // the writer has nothing left
  std::deque<PendingWrite> pending_;    // guarded by write_mu_
  bool writing_ = false;                // guarded by write_mu_
  bool stop_writer_ = false;            // guarded by write_mu_
  std::thread writer_;

  std::atomic<uint64_t> compiled_{0};
  std::atomic<uint64_t> shared_{0};
  std::atomic<uint64_t> cache_loaded_{0};
  std::atomic<uint64_t> cache_written_{0};
};

}  // namespace wasmcloud::wasm::v8backend
