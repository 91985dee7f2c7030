#include "wasm/v8/v8_engine.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/log.h"
#include "wasm/v8/v8_internal.h"
#include "wasm/v8/v8_platform.h"

namespace wasmcloud::wasm {
namespace v8backend {
namespace {

// ASan and V8's wasm trap handler both want SIGSEGV; under ASan, V8 falls back to
// explicit bounds checks.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUseTrapHandler = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUseTrapHandler = false;
#else
constexpr bool kUseTrapHandler = true;
#endif
#else
constexpr bool kUseTrapHandler = true;
#endif

// The platform once V8 is initialised, for V8BackgroundTasksPosted (which must not
// initialise V8 itself).
std::atomic<TrackingPlatform*> g_platform{nullptr};

// V8 can be initialised only once per process and never again after disposal, so the
// platform lives until the process exits.
TrackingPlatform* InitializeV8Once() {
  static TrackingPlatform* platform = [] {
    // Shared tier-up counters make threads running one module ~4x slower; see
    // docs/v8.md.
    const char kFlags[] = "--no-wasm-dynamic-tiering";
    v8::V8::SetFlagsFromString(kFlags, std::strlen(kFlags));
    // For experiments and diagnosis only (docs/v8.md): more V8 flags, after ours.
    if (const char* extra = std::getenv("WASMCLOUD_V8_FLAGS"); extra != nullptr && *extra) {
      Log(LogLevel::kWarn, "wasm", std::string("extra V8 flags from WASMCLOUD_V8_FLAGS: ") + extra);
      v8::V8::SetFlagsFromString(extra, std::strlen(extra));
    }
    auto p = std::make_unique<TrackingPlatform>(v8::platform::NewDefaultPlatform());
    v8::V8::InitializePlatform(p.get());
    if (kUseTrapHandler && !v8::V8::EnableWebAssemblyTrapHandler(true)) {
      Log(LogLevel::kWarn, "wasm", "V8 trap handler unavailable; using explicit bounds checks");
    }
    v8::V8::Initialize();
    g_platform.store(p.get());
    return p.release();
  }();
  return platform;
}

}  // namespace

std::string ExceptionText(v8::Isolate* isolate, const v8::TryCatch& try_catch) {
  if (try_catch.HasTerminated()) return "execution terminated";
  v8::Local<v8::Value> ex = try_catch.Exception();
  if (ex.IsEmpty()) return "unknown error";
  v8::String::Utf8Value text(isolate, ex);
  if (*text == nullptr) return "unprintable exception";
  return std::string(*text, static_cast<size_t>(text.length()));
}

V8Engine::V8Engine(const EngineConfig& config) : config_(config) {}

V8Engine::~V8Engine() {
  if (compile_isolate_ != nullptr) {
    {
      v8::Locker locker(compile_isolate_);
      compile_context_.Reset();
    }
    compile_isolate_->Dispose();
  }
}

Status V8Engine::WaitForBackgroundWork(std::chrono::nanoseconds timeout) {
  if (platform_->WaitIdle(timeout)) return Status::Ok();
  return DeadlineExceeded("the engine's helper threads were still busy after " +
                          std::to_string(timeout.count() / 1000000) + " ms");
}

Status V8Engine::Init() {
  platform_ = InitializeV8Once();
  compile_allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = compile_allocator_.get();
  compile_isolate_ = v8::Isolate::New(params);
  if (compile_isolate_ == nullptr) return Internal("V8 could not create an isolate");
  v8::Locker locker(compile_isolate_);
  v8::Isolate::Scope isolate_scope(compile_isolate_);
  v8::HandleScope handles(compile_isolate_);
  // WasmModuleObject::Compile crashes in 10.2 unless a context is entered.
  compile_context_.Reset(compile_isolate_, v8::Context::New(compile_isolate_));
  return Status::Ok();
}

Result<std::shared_ptr<const Module>> V8Engine::Compile(ByteView bytes) {
  WC_ASSIGN_OR_RETURN(Bytes capped, CapMemoryPages(bytes, config_.max_memory_pages));
  WC_ASSIGN_OR_RETURN(capped, CapTableElements(capped, config_.max_table_elements,
                                               config_.max_total_table_elements));
  WC_ASSIGN_OR_RETURN(ModuleInfo info, InspectModule(capped));

  std::lock_guard<std::mutex> lock(compile_mu_);
  v8::Locker locker(compile_isolate_);
  v8::Isolate::Scope isolate_scope(compile_isolate_);
  v8::HandleScope handles(compile_isolate_);
  v8::Local<v8::Context> context = compile_context_.Get(compile_isolate_);
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(compile_isolate_);
  v8::Local<v8::WasmModuleObject> module;
  if (!v8::WasmModuleObject::Compile(compile_isolate_, {capped.data(), capped.size()})
           .ToLocal(&module)) {
    return Malformed("module does not compile: " + ExceptionText(compile_isolate_, try_catch));
  }
  return std::shared_ptr<const Module>(
      std::make_shared<V8Module>(std::move(info), module->GetCompiledModule()));
}

Result<std::unique_ptr<Worker>> V8Engine::NewWorker() {
  auto allocator = v8::ArrayBuffer::Allocator::NewDefaultAllocator();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator;
  v8::Isolate* isolate = v8::Isolate::New(params);
  if (isolate == nullptr) {
    delete allocator;
    return Internal("V8 could not create an isolate");
  }
  return std::unique_ptr<Worker>(new V8Worker(shared_from_this(), isolate, allocator));
}

V8Worker::V8Worker(std::shared_ptr<V8Engine> engine, v8::Isolate* isolate,
                   v8::ArrayBuffer::Allocator* allocator)
    : engine_(std::move(engine)), isolate_(isolate), allocator_(allocator) {
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = v8::Context::New(isolate_);
  context_.Reset(isolate_, context);
  v8::Context::Scope context_scope(context);
  auto wa = context->Global()
                ->Get(context, V8String(isolate_, "WebAssembly"))
                .ToLocalChecked()
                .As<v8::Object>();
  auto ctor = wa->Get(context, V8String(isolate_, "Instance")).ToLocalChecked().As<v8::Function>();
  instance_ctor_.Reset(isolate_, ctor);
  v8::Isolate* iso = isolate_;
  slot_ = engine_->watchdog().NewSlot([iso] { iso->TerminateExecution(); });
}

V8Worker::~V8Worker() {
  if (live_instances_ != 0) {
    // Instances hold handles into this isolate; freeing it under them is memory
    // corruption, so this is a bug to stop at once.
    Log(LogLevel::kError, "wasm", "a worker was destroyed before its instances");
    std::abort();
  }
  engine_->watchdog().RemoveSlot(slot_);
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    modules_.clear();
    instance_ctor_.Reset();
    context_.Reset();
  }
  isolate_->Dispose();
}

void V8Worker::Lock() {
  if (holder_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
    ++lock_depth_;
    return;
  }
  lock_mu_.lock();
  holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  lock_depth_ = 1;
  locker_.emplace(isolate_);
  // Entered for as long as the lock is held, so that the Isolate::Scope of every call
  // made under it takes V8's fast path (same isolate, same thread). Entering afresh
  // takes a mutex inside V8 that two workers' threads were seen to contend on (a perf
  // profile of `wapc_bench --scaling-only=2`: about 10% of their time).
  isolate_->Enter();
}

void V8Worker::Unlock() {
  if (--lock_depth_ > 0) return;
  if (v8::Isolate::GetCurrent() != isolate_) {
    // Another worker locked after this one is still held: V8's per-thread record of the
    // entered isolates would be corrupted by exiting this one first.
    Log(LogLevel::kError, "wasm",
        "worker locks released out of order on one thread (they must nest); aborting");
    std::abort();
  }
  isolate_->Exit();
  locker_.reset();
  holder_.store(std::thread::id(), std::memory_order_relaxed);
  lock_mu_.unlock();
}

const EngineConfig& V8Worker::config() const { return engine_->config(); }

Watchdog::Clock::time_point V8Worker::DeadlineFor(const CallOptions& options) const {
  std::chrono::nanoseconds timeout =
      options.timeout.count() == 0 ? engine_->config().default_call_timeout : options.timeout;
  if (timeout.count() < 0) return Watchdog::Clock::time_point::max();
  return Watchdog::Clock::now() + timeout;
}

v8::MaybeLocal<v8::WasmModuleObject> V8Worker::ModuleObject(const V8Module& module) {
  auto it = modules_.find(module.id());
  if (it != modules_.end()) return it->second.object.Get(isolate_);
  std::erase_if(modules_, [](const auto& entry) { return entry.second.module.expired(); });
  v8::Local<v8::WasmModuleObject> object;
  if (!v8::WasmModuleObject::FromCompiledModule(isolate_, module.compiled()).ToLocal(&object)) {
    return {};
  }
  CachedModule& cached = modules_[module.id()];
  cached.module = module.weak_from_this();
  cached.object.Reset(isolate_, object);
  return object;
}

}  // namespace v8backend

uint64_t V8BackgroundTasksPosted() {
  v8backend::TrackingPlatform* platform = v8backend::g_platform.load();
  return platform == nullptr ? 0 : platform->tasks_posted();
}

Result<std::shared_ptr<Engine>> CreateV8Engine(const EngineConfig& config) {
  auto engine = std::make_shared<v8backend::V8Engine>(config);
  WC_RETURN_IF_ERROR(engine->Init());
  return std::shared_ptr<Engine>(std::move(engine));
}

}  // namespace wasmcloud::wasm
