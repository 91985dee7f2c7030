#include "wasm/v8/v8_engine.h"

#include <elf.h>
#include <link.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/cpus.h"
#include "core/log.h"
#include "core/sanitizers.h"
#include "crypto/sha256.h"
#include "wasm/v8/v8_internal.h"
#include "wasm/v8/v8_platform.h"

namespace wasmcloud::wasm {
namespace v8backend {
namespace {

// ASan and V8's wasm trap handler both want SIGSEGV; under ASan, V8 falls back to
// explicit bounds checks.
constexpr bool kUseTrapHandler = !kAddressSanitizer;

// The platform once V8 is initialised, for V8BackgroundTasksPosted (which must not
// initialise V8 itself).
std::atomic<TrackingPlatform*> g_platform{nullptr};

// What the process gave V8 when it started, for the code cache's engine tag.
std::string g_v8_flags;
bool g_trap_handler = false;

// Isolate data slot of the compile isolate that holds its V8Engine.
constexpr uint32_t kEngineSlot = 0;

// The GNU build id of the loaded libnode ("unknown" when none is found): Debian rebuilds
// of one V8 version can generate different code, which V8's own cache check (version
// and flags) would not notice.
std::string LibnodeBuildId() {
  std::string id = "unknown";
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) -> int {
        if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, "libnode.so") == nullptr) {
          return 0;
        }
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          auto* p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
          const uint8_t* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const uint8_t* name = p + sizeof(ElfW(Nhdr));
            const uint8_t* desc = name + ((note->n_namesz + 3) & ~3u);
            if (desc + note->n_descsz > end) break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
                std::memcmp(name, "GNU", 4) == 0) {
              *static_cast<std::string*>(out) = HexEncode(ByteView(desc, note->n_descsz));
              return 1;
            }
            p = desc + ((note->n_descsz + 3) & ~3u);
          }
        }
        *static_cast<std::string*>(out) = info->dlpi_name;  // no build id: at least its path
        return 1;
      },
      &id);
  return id;
}

// Everything the machine code depends on besides the module's bytes.
std::string EngineDescription() {
  return std::string("wasmcloud V8 backend; V8 ") + v8::V8::GetVersion() + "; libnode build " +
         LibnodeBuildId() + "; flags " + g_v8_flags + "; trap handler " +
         (g_trap_handler ? "on" : "off");
}

std::string KeyText(const CodeKey& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

std::string ShortHex(const CodeKey& key) { return HexEncode(ByteView(key.data(), 6)); }

// V8 can be initialised only once per process and never again after disposal, so the
// platform lives until the process exits.
TrackingPlatform* InitializeV8Once() {
  static TrackingPlatform* platform = [] {
    // Shared tier-up counters make threads running one module ~4x slower; see
    // docs/v8.md.
    const char kFlags[] = "--no-wasm-dynamic-tiering";
    v8::V8::SetFlagsFromString(kFlags, std::strlen(kFlags));
    g_v8_flags = kFlags;
    // For experiments and diagnosis only (docs/v8.md): more V8 flags, after ours.
    if (const char* extra = std::getenv("WASMCLOUD_V8_FLAGS"); extra != nullptr && *extra) {
      Log(LogLevel::kWarn, "wasm", std::string("extra V8 flags from WASMCLOUD_V8_FLAGS: ") + extra);
      v8::V8::SetFlagsFromString(extra, std::strlen(extra));
      g_v8_flags += std::string(" ") + extra;
    }
    // V8's own worker threads (GC, tasks): one fewer than the cores this process may use
    // (its affinity and cgroup CPU quota, which V8's default of all the machine's cores
    // does not see), 1 to 16 as V8 would.
    const int v8_threads = static_cast<int>(std::clamp(UsableCpus(), 2u, 17u) - 1);
    auto p = std::make_unique<TrackingPlatform>(v8::platform::NewDefaultPlatform(v8_threads));
    v8::V8::InitializePlatform(p.get());
    if (kUseTrapHandler) {
      g_trap_handler = v8::V8::EnableWebAssemblyTrapHandler(true);
      if (!g_trap_handler) {
        Log(LogLevel::kWarn, "wasm", "V8 trap handler unavailable; using explicit bounds checks");
      }
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
  if (writer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      stop_writer_ = true;
    }
    write_cv_.notify_all();
    writer_.join();
  }
  if (compile_isolate_ != nullptr) {
    {
      v8::Locker locker(compile_isolate_);
      compile_streaming_.Reset();
      compile_wasm_.Reset();
      compile_context_.Reset();
    }
    compile_isolate_->Dispose();
  }
}

Status V8Engine::WaitForBackgroundWork(std::chrono::nanoseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!platform_->WaitIdle(timeout)) {
    return DeadlineExceeded("the engine's helper threads were still busy after " +
                            std::to_string(timeout.count() / 1000000) + " ms");
  }
  // The optimised code is ready; the writer stores it.
  std::unique_lock<std::mutex> lock(write_mu_);
  if (!written_cv_.wait_until(lock, deadline, [&] { return pending_.empty() && !writing_; })) {
    return DeadlineExceeded("the code cache was still being written after " +
                            std::to_string(timeout.count() / 1000000) + " ms");
  }
  return Status::Ok();
}

V8EngineStats V8Engine::stats() const {
  V8EngineStats s;
  s.compiled = compiled_.load();
  s.shared = shared_.load();
  s.cache_loaded = cache_loaded_.load();
  s.cache_rejected = code_cache_ ? code_cache_->rejected() : 0;
  s.cache_written = cache_written_.load();
  return s;
}

Status V8Engine::Init() {
  platform_ = InitializeV8Once();
  unsigned threads = config_.background_compile_threads;
  if (threads == 0) threads = std::max(1u, UsableCpus() / 4);
  compile_pool_ =
      platform_->StartCompilePool(threads, std::clamp(config_.background_compile_nice, 0, 19));
  if (!config_.code_cache_dir.empty()) {
    WC_ASSIGN_OR_RETURN(code_cache_, CodeCache::Open(config_.code_cache_dir, EngineDescription(),
                                                     config_.code_cache_max_bytes));
  }
  compile_allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = compile_allocator_.get();
  compile_isolate_ = v8::Isolate::New(params);
  if (compile_isolate_ == nullptr) return Internal("V8 could not create an isolate");
  v8::Locker locker(compile_isolate_);
  v8::Isolate::Scope isolate_scope(compile_isolate_);
  v8::HandleScope handles(compile_isolate_);
  compile_isolate_->SetData(kEngineSlot, this);
  // Before Context::New: WebAssembly.compileStreaming exists only with a callback.
  compile_isolate_->SetWasmStreamingCallback(&V8Engine::OnStreaming);
  // WasmModuleObject::Compile crashes in 10.2 unless a context is entered.
  v8::Local<v8::Context> context = v8::Context::New(compile_isolate_);
  compile_context_.Reset(compile_isolate_, context);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> wa;
  v8::Local<v8::Value> streaming;
  if (!context->Global()->Get(context, V8String(compile_isolate_, "WebAssembly")).ToLocal(&wa) ||
      !wa->IsObject() ||
      !wa.As<v8::Object>()
           ->Get(context, V8String(compile_isolate_, "compileStreaming"))
           .ToLocal(&streaming) ||
      !streaming->IsFunction()) {
    return Internal("V8 has no WebAssembly.compileStreaming");
  }
  compile_wasm_.Reset(compile_isolate_, wa.As<v8::Object>());
  compile_streaming_.Reset(compile_isolate_, streaming.As<v8::Function>());
  if (code_cache_) writer_ = std::thread([this] { WriteLoop(); });
  return Status::Ok();
}

void V8Engine::OnStreaming(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  auto* engine = static_cast<V8Engine*>(isolate->GetData(kEngineSlot));
  std::shared_ptr<v8::WasmStreaming> streaming = v8::WasmStreaming::Unpack(isolate, info.Data());
  StreamInput& in = engine->stream_input_;
  in.called = true;
  // The cached bytes stay alive until Deserialize returns, after Finish.
  if (!streaming->SetCompiledModuleBytes(in.cached.data(), in.cached.size())) {
    streaming->Abort(v8::Exception::Error(V8String(isolate, "cached code refused")));
    return;
  }
  in.accepted = true;
  streaming->OnBytesReceived(in.wire.data(), in.wire.size());
  streaming->Finish();
}

Result<V8Engine::Loaded> V8Engine::Deserialize(ByteView cached, ByteView wire) {
  v8::Local<v8::Context> context = compile_context_.Get(compile_isolate_);
  stream_input_ = StreamInput{cached, wire};
  v8::TryCatch try_catch(compile_isolate_);
  v8::Local<v8::Value> arg = v8::Undefined(compile_isolate_);
  v8::Local<v8::Value> result;
  if (!compile_streaming_.Get(compile_isolate_)
           ->Call(context, compile_wasm_.Get(compile_isolate_), 1, &arg)
           .ToLocal(&result) ||
      !result->IsPromise()) {
    return Internal("WebAssembly.compileStreaming failed: " +
                    ExceptionText(compile_isolate_, try_catch));
  }
  auto promise = result.As<v8::Promise>();
  // The callback runs as a reaction to the argument's promise: a microtask.
  compile_isolate_->PerformMicrotaskCheckpoint();
  const StreamInput in = stream_input_;
  stream_input_ = StreamInput{};
  if (!in.called) return Internal("V8 did not call the streaming callback");
  if (!in.accepted) {
    return FailedPrecondition(
        "V8 refused the cached code (another V8 version, other flags or another CPU)");
  }
  // Accepted bytes are deserialised within Finish. When V8 cannot deserialise them after
  // all, it compiles the wire bytes instead, asynchronously: then the compile isolate's
  // tasks are run here until it is done.
  const bool fell_back = promise->State() == v8::Promise::kPending;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (promise->State() == v8::Promise::kPending) {
    if (std::chrono::steady_clock::now() > give_up) {
      return DeadlineExceeded("V8 did not finish loading a module from the code cache");
    }
    if (!v8::platform::PumpMessageLoop(platform_->inner(), compile_isolate_)) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    compile_isolate_->PerformMicrotaskCheckpoint();
  }
  if (promise->State() == v8::Promise::kRejected) {
    v8::String::Utf8Value text(compile_isolate_, promise->Result());
    return Malformed(std::string("module does not compile: ") +
                     (*text != nullptr ? *text : "unknown error"));
  }
  v8::Local<v8::Value> value = promise->Result();
  if (!value->IsWasmModuleObject()) return Internal("compileStreaming gave no module");
  return Loaded{value.As<v8::WasmModuleObject>(), fell_back};
}

std::shared_ptr<const V8Module> V8Engine::FindLive(const CodeKey& key) {
  std::lock_guard<std::mutex> lock(live_mu_);
  auto it = live_.find(KeyText(key));
  if (it == live_.end()) return nullptr;
  return it->second.lock();
}

Result<std::shared_ptr<const Module>> V8Engine::Compile(ByteView bytes) {
  // The limits, and no signature: it is not code, and without it re-signed copies and
  // revisions with the same code share one compiled module (and one cache file).
  WC_ASSIGN_OR_RETURN(
      Bytes code,
      CapModuleLimits(bytes, ModuleCaps{
                                 .max_memory_pages = config_.max_memory_pages,
                                 .max_table_elements = config_.max_table_elements,
                                 .max_total_table_elements = config_.max_total_table_elements,
                                 .drop_custom = "jwt",
                             }));
  WC_ASSIGN_OR_RETURN(ModuleInfo info, InspectModule(code));
  const CodeKey key = crypto::Sha256(code);
  if (auto live = FindLive(key)) {
    shared_.fetch_add(1);
    return std::shared_ptr<const Module>(std::move(live));
  }

  std::lock_guard<std::mutex> lock(compile_mu_);
  if (auto live = FindLive(key)) {  // compiled by another thread meanwhile
    shared_.fetch_add(1);
    return std::shared_ptr<const Module>(std::move(live));
  }
  v8::Locker locker(compile_isolate_);
  v8::Isolate::Scope isolate_scope(compile_isolate_);
  v8::HandleScope handles(compile_isolate_);
  v8::Local<v8::Context> context = compile_context_.Get(compile_isolate_);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::WasmModuleObject> module;
  bool from_cache = false;
  if (code_cache_) {
    if (std::optional<Bytes> cached = code_cache_->Load(key)) {
      auto loaded = Deserialize(*cached, code);
      if (!loaded.ok()) {
        if (loaded.status().code() == Code::kMalformed) return loaded.status();
        code_cache_->Reject(key, loaded.status().message());
      } else if (loaded->compiled_instead) {
        // V8 took the cached bytes but could not load them, and compiled the module.
        module = loaded->module;
        compiled_.fetch_add(1);
        code_cache_->Reject(key, "V8 could not load the cached code");
      } else {
        module = loaded->module;
        from_cache = true;
        cache_loaded_.fetch_add(1);
        Log(LogLevel::kDebug, "wasm",
            "module " + ShortHex(key) + " loaded from the code cache (" +
                std::to_string(cached->size()) + " bytes of machine code)");
      }
    }
  }
  if (module.IsEmpty()) {
    // V8 posts the jobs that optimise the module from this thread: they go to the pool.
    TrackingPlatform::RouteJobsToCompilePool route;
    v8::TryCatch try_catch(compile_isolate_);
    if (!v8::WasmModuleObject::Compile(compile_isolate_, {code.data(), code.size()})
             .ToLocal(&module)) {
      return Malformed("module does not compile: " + ExceptionText(compile_isolate_, try_catch));
    }
    compiled_.fetch_add(1);
  }
  auto result = std::make_shared<V8Module>(std::move(info), module->GetCompiledModule());
  {
    std::lock_guard<std::mutex> live_lock(live_mu_);
    std::erase_if(live_, [](const auto& entry) { return entry.second.expired(); });
    live_[KeyText(key)] = result;
  }
  if (code_cache_ && !from_cache) {
    {
      std::lock_guard<std::mutex> write_lock(write_mu_);
      pending_.push_back(PendingWrite{key, result});
    }
    write_cv_.notify_all();
  }
  return std::shared_ptr<const Module>(std::move(result));
}

void V8Engine::WriteLoop() {
  // Serialising and writing are background work like the optimisation itself.
  if (compile_pool_->nice() > 0) {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), compile_pool_->nice());
  }
  std::unique_lock<std::mutex> lock(write_mu_);
  while (true) {
    write_cv_.wait(lock, [&] { return stop_writer_ || !pending_.empty(); });
    if (stop_writer_) return;
    writing_ = true;
    lock.unlock();
    // V8 writes only optimised code: wait until the pool has optimised every module
    // compiled so far (its jobs are the only ones the pool runs).
    bool idle = false;
    while (!idle) {
      idle = compile_pool_->WaitIdle(std::chrono::milliseconds(100));
      std::lock_guard<std::mutex> check(write_mu_);
      if (stop_writer_) {
        writing_ = false;
        return;
      }
    }
    lock.lock();
    std::deque<PendingWrite> batch;
    batch.swap(pending_);
    lock.unlock();
    for (PendingWrite& w : batch) {
      std::shared_ptr<const V8Module> module = w.module.lock();
      if (!module) continue;  // stopped before it was optimised: nothing to keep
      v8::CompiledWasmModule compiled = module->compiled();
      module.reset();
      v8::OwnedBuffer buffer = compiled.Serialize();
      if (buffer.size == 0) {
        Log(LogLevel::kDebug, "wasm",
            "module " + ShortHex(w.key) + " not cached: V8 serialised no optimised code");
        continue;
      }
      Status s = code_cache_->Store(w.key, ByteView(buffer.buffer.get(), buffer.size));
      if (s.ok()) {
        cache_written_.fetch_add(1);
      } else {
        Log(LogLevel::kWarn, "wasm", "code cache: " + s.message());
      }
    }
    lock.lock();
    writing_ = false;
    if (pending_.empty()) written_cv_.notify_all();
  }
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
  lock_depth_ = 1;
  locker_.emplace(isolate_);
  // Entered for as long as the lock is held, so that calls made under it need no
  // Isolate::Scope (or take V8's fast path: same isolate, same thread). Entering afresh
  // takes a mutex inside V8 that two workers' threads were seen to contend on (a perf
  // profile of `wapc_bench --scaling-only=2`: about 10% of their time).
  isolate_->Enter();
  // The context too: every instance of this worker runs in it, so a call made while the
  // worker is held needs no Context::Scope of its own (V8Instance::Call).
  lock_handles_.emplace(isolate_);
  entered_context_ = context_.Get(isolate_);
  entered_context_->Enter();
  holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
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
  holder_.store(std::thread::id(), std::memory_order_relaxed);
  entered_context_->Exit();
  entered_context_.Clear();
  lock_handles_.reset();
  isolate_->Exit();
  locker_.reset();
  lock_mu_.unlock();
}

const EngineConfig& V8Worker::config() const { return engine_->config(); }

Watchdog::Clock::time_point V8Worker::DeadlineFor(const CallOptions& options) const {
  std::chrono::nanoseconds timeout =
      options.timeout.count() == 0 ? engine_->config().default_call_timeout : options.timeout;
  if (timeout.count() < 0) return Watchdog::Clock::time_point::max();
  return Watchdog::DeadlineAfter(timeout);
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

V8EngineStats GetV8EngineStats(const Engine& engine) {
  auto* v8 = dynamic_cast<const v8backend::V8Engine*>(&engine);
  return v8 == nullptr ? V8EngineStats{} : v8->stats();
}

V8CompilePoolStats GetV8CompilePoolStats() {
  V8CompilePoolStats s;
  v8backend::TrackingPlatform* platform = v8backend::g_platform.load();
  v8backend::CompilePool* pool = platform == nullptr ? nullptr : platform->compile_pool();
  if (pool == nullptr) return s;
  s.threads = pool->threads();
  s.nice = pool->nice();
  s.tasks = pool->tasks_run();
  s.cpu_seconds = static_cast<double>(pool->cpu_ns()) / 1e9;
  return s;
}

Result<std::shared_ptr<Engine>> CreateV8Engine(const EngineConfig& config) {
  auto engine = std::make_shared<v8backend::V8Engine>(config);
  WC_RETURN_IF_ERROR(engine->Init());
  return std::shared_ptr<Engine>(std::move(engine));
}

}  // namespace wasmcloud::wasm
