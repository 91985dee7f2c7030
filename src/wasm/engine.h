// The WebAssembly engine interface. The host core sees only these types; the one
// implementation today is the V8 backend (wasm/v8/v8_engine.h), and nothing outside
// wasm/v8 includes a V8 header.
//
// Threads: an Engine is shared by every thread and is thread-safe. A Module is
// compiled once and is immutable, so any worker may instantiate it. A Worker owns one
// engine context (a V8 isolate); it and its Instances may be used from any thread, but
// by one thread at a time: each call locks the worker for its duration, and a caller
// that makes many calls holds a WorkerLock across them (cheaper, and no other thread
// can slip in between). Instances must be destroyed before their worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "wasm/module_info.h"

namespace wasmcloud::wasm {

// A wasm value of one of the four number types.
struct Value {
  ValType type = ValType::kI32;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
  };
  Value() : i64(0) {}
  static Value I32(int32_t v) {
    Value x;
    x.type = ValType::kI32;
    x.i32 = v;
    return x;
  }
  static Value I64(int64_t v) {
    Value x;
    x.type = ValType::kI64;
    x.i64 = v;
    return x;
  }
  static Value F32(float v) {
    Value x;
    x.type = ValType::kF32;
    x.f32 = v;
    return x;
  }
  static Value F64(double v) {
    Value x;
    x.type = ValType::kF64;
    x.f64 = v;
    return x;
  }
};

// Linear memory of an instance, as the host sees it. Every access is bounds-checked:
// a range that is not entirely inside the memory gives nullopt / false, never a read
// or write outside it. The size can change when the guest grows its memory, so a span
// obtained here is valid only until control returns to the guest.
class GuestMemory {
 public:
  virtual ~GuestMemory() = default;
  virtual size_t size() const = 0;
  // The bytes [offset, offset + length), or nullopt when that range is out of bounds.
  std::optional<std::span<uint8_t>> Slice(uint64_t offset, uint64_t length);
  // Copies `data` to `offset`; false (and nothing written) when out of bounds.
  bool Write(uint64_t offset, ByteView data);
  // Copies [offset, offset + length) into `out`; false when out of bounds.
  bool Read(uint64_t offset, uint64_t length, Bytes* out);
  // Hands the memory's whole pages back to the system (madvise MADV_DONTNEED): they read
  // as zeros afterwards. For a memory whose instance is being thrown away, so that its
  // size leaves the process now rather than when the engine's collector frees it.
  void Discard();

 protected:
  virtual uint8_t* base() const = 0;
};

class Instance;

// What a host function sees of its caller.
class HostContext {
 public:
  virtual ~HostContext() = default;
  // The calling instance's memory exported as "memory"; nullptr when it has none.
  virtual GuestMemory* memory() = 0;
  // The `user_data` given to Worker::Instantiate.
  virtual void* user_data() = 0;
};

// A function the host offers to guests, found by (module, name) and checked against
// the import's signature at instantiation. `results` has room for type.results.size()
// values, already typed. An error return traps the guest: the call that is running
// fails with that Status (its code and message are kept).
struct HostFunction {
  std::string module;
  std::string name;
  FuncType type;
  std::function<Status(HostContext& ctx, std::span<const Value> args, std::span<Value> results)>
      callback;
};

// A compiled module, shareable between workers and threads.
class Module {
 public:
  virtual ~Module() = default;
  // The inspected structure of the bytes that were compiled (after the memory cap).
  virtual const ModuleInfo& info() const = 0;
};

// A handle to an exported function of one instance, from Instance::FindFunction.
struct FunctionRef {
  uint32_t index = 0;
  FuncType type;
};

struct CallOptions {
  // The call is stopped when it runs longer than this; zero means the engine default
  // (EngineConfig::default_call_timeout), negative means no deadline.
  std::chrono::nanoseconds timeout{0};
};

class Instance {
 public:
  virtual ~Instance() = default;
  // An exported function by name. kNotFound when there is no such export or it is not a
  // function.
  virtual Result<FunctionRef> FindFunction(std::string_view name) = 0;
  // Calls `fn` with `args` (checked against its signature) and writes its results.
  // Errors: kTrap with the engine's message ("RuntimeError: unreachable"),
  // kDeadlineExceeded when the deadline stopped it, the Status of a failing host
  // function, kInvalidArgument on an argument mismatch. The instance stays usable
  // after a trap, but its memory may hold a half-done state: callers that care throw
  // it away.
  virtual Status Call(const FunctionRef& fn, std::span<const Value> args,
                      std::vector<Value>* results, const CallOptions& options = {}) = 0;
  // The exported memory named "memory", or nullptr.
  virtual GuestMemory* memory() = 0;
};

// One engine context, used by one thread at a time.
class Worker {
 public:
  virtual ~Worker() = default;
  // Binds the worker to the calling thread until the matching Unlock; blocks while
  // another thread holds it. Nests on the same thread. A thread holding several workers
  // must release them in the reverse order (the V8 backend aborts otherwise: its
  // isolates stay entered while locked). Prefer WorkerLock, which does that.
  virtual void Lock() = 0;
  virtual void Unlock() = 0;
  // Instantiates `module` with imports taken from `host_functions` by (module, name).
  // Errors (kFailedPrecondition) name the import that is missing or whose signature
  // differs, and say that the module imports a memory, table or global when it does.
  // `user_data` is handed to every host function through HostContext.
  virtual Result<std::unique_ptr<Instance>> Instantiate(
      const Module& module, std::span<const HostFunction> host_functions,
      void* user_data = nullptr) = 0;
};

// Holds a worker for the calling thread for the lifetime of the object.
class WorkerLock {
 public:
  explicit WorkerLock(Worker& worker) : worker_(worker) { worker_.Lock(); }
  ~WorkerLock() { worker_.Unlock(); }
  WorkerLock(const WorkerLock&) = delete;
  WorkerLock& operator=(const WorkerLock&) = delete;

 private:
  Worker& worker_;
};

struct EngineConfig {
  // The most pages (64 KiB) a guest memory may have; each module's memory limits are
  // rewritten to this maximum before compilation. Default 16384 pages = 1 GiB.
  uint64_t max_memory_pages = 16384;
  // Caps on a module's tables: elements of one table, of all of them together
  // (CapTableElements; a module whose tables start above them is refused).
  uint64_t max_table_elements = 1000000;
  uint64_t max_total_table_elements = 2000000;
  // Deadline of a call made with CallOptions::timeout == 0. Negative: none.
  std::chrono::nanoseconds default_call_timeout = std::chrono::seconds(10);
  // Compiled code kept across restarts, one file per module's code: this directory is
  // made (mode 0700) or checked like the OCI cache, and an engine whose directory is not
  // this user's alone fails to start, naming why. Empty: no code cache.
  std::string code_cache_dir;
  // Bound on the code cache's files together; the oldest go first.
  uint64_t code_cache_max_bytes = 256ull << 20;
  // Threads that optimise newly compiled modules in the background, and their nice
  // value (0-19; higher yields more CPU to calls). 0 threads: a quarter of the cores, at
  // least 1. The engine backend may have one such pool per process, set by the first
  // engine that starts it (the V8 backend does).
  unsigned background_compile_threads = 0;
  int background_compile_nice = 10;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Inspects and compiles a module. kMalformed with the inspector's message when the
  // bytes do not parse; kMalformed with the engine's message when they do not
  // compile; kResourceExhausted when the memory minimum or the tables' minimums are
  // above the caps.
  virtual Result<std::shared_ptr<const Module>> Compile(ByteView bytes) = 0;
  // A new worker for the calling thread.
  virtual Result<std::unique_ptr<Worker>> NewWorker() = 0;
  virtual const EngineConfig& config() const = 0;
  // Waits until the engine's helper threads have no work left. V8 goes on optimising
  // a module on helper threads after Compile returns; until that is done, its calls run
  // baseline code and the helpers take CPU time from the callers. Benchmarks of steady
  // state wait for this. kDeadlineExceeded when still busy after `timeout`.
  virtual Status WaitForBackgroundWork(std::chrono::nanoseconds timeout) = 0;
};

// Makes an engine; the host is given one (the CLI passes wasm::CreateV8Engine), so the
// host core never depends on a particular engine and tests can give it a fake one.
using EngineFactory = std::function<Result<std::shared_ptr<Engine>>(const EngineConfig& config)>;

}  // namespace wasmcloud::wasm
