// The V8 platform of the process: V8's default platform, with the work it runs on its
// helper threads counted, so the engine can tell when that work is done.
//
// After Compile returns, V8 keeps optimising the module on helper threads, and calls
// run the baseline (Liftoff) code until the optimised (TurboFan) code is in place
// (docs/v8.md). Counting the helper tasks is the only signal of that V8 10.2 gives an
// embedder: its public API has no "tier-up finished" event. libplatform functions that
// need V8's own DefaultPlatform (PumpMessageLoop, RunIdleTasks) must not be given this
// wrapper: give them inner().
//
// The jobs V8 posts from a thread marked with RouteJobsToCompilePool (the engine marks
// the thread that compiles a module), or from a thread of the pool itself, run on the
// compile pool: a few threads of our own at a low priority, so that optimising new
// modules yields the CPU to calls (docs/architecture.md, "Background optimisation").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include <libplatform/libplatform.h>
#include <v8-platform.h>

namespace wasmcloud::wasm::v8backend {

class TrackingPlatform;

// Threads that run the worker tasks of V8's compile jobs, at a low priority.
class CompilePool {
 public:
  // Starts `threads` threads, each with nice value `nice` (setpriority on the thread).
  CompilePool(TrackingPlatform* platform, unsigned threads, int nice);
  // The tasks of the jobs the pool runs; counted by the TrackingPlatform too.
  void Post(std::unique_ptr<v8::Task> task);
  // Waits until no task is queued or running; false on timeout.
  bool WaitIdle(std::chrono::nanoseconds timeout);
  unsigned threads() const { return threads_; }
  int nice() const { return nice_; }
  uint64_t tasks_run() const { return tasks_run_.load(); }
  // CPU time the pool's threads spent in tasks (CLOCK_THREAD_CPUTIME_ID).
  uint64_t cpu_ns() const { return cpu_ns_.load(); }
  // The v8::Platform given to the pool's jobs: the TrackingPlatform, except that worker
  // tasks come here.
  v8::Platform* job_platform() const { return job_platform_.get(); }

 private:
  void Loop();

  const unsigned threads_;
  const int nice_;
  std::unique_ptr<v8::Platform> job_platform_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::unique_ptr<v8::Task>> queue_;  // guarded by mu_
  uint64_t outstanding_ = 0;                     // queued or running; guarded by mu_
  std::atomic<uint64_t> tasks_run_{0};
  std::atomic<uint64_t> cpu_ns_{0};
};

class TrackingPlatform final : public v8::Platform {
 public:
  explicit TrackingPlatform(std::unique_ptr<v8::Platform> inner) : inner_(std::move(inner)) {}

  // V8's default platform, for the libplatform functions that need it (PumpMessageLoop).
  v8::Platform* inner() const { return inner_.get(); }

  // Starts the compile pool; once per process: later calls keep the first pool. The pool
  // lives until the process exits (V8's jobs keep pointers to it).
  CompilePool* StartCompilePool(unsigned threads, int nice);
  // The pool, or nullptr before StartCompilePool.
  CompilePool* compile_pool() const { return compile_pool_.load(); }

  // While one lives, the jobs V8 posts from this thread run on the compile pool (when
  // there is one). Nests.
  class RouteJobsToCompilePool {
   public:
    RouteJobsToCompilePool();
    ~RouteJobsToCompilePool();
    RouteJobsToCompilePool(const RouteJobsToCompilePool&) = delete;
    RouteJobsToCompilePool& operator=(const RouteJobsToCompilePool&) = delete;

   private:
    bool previous_;
  };
  // Marks the calling thread for good (the pool's own threads).
  static void RouteThisThreadToCompilePool();

  // Waits until no helper task is queued or running (delayed tasks, which V8 uses
  // for housekeeping such as memory reduction, are not counted). False on timeout.
  bool WaitIdle(std::chrono::nanoseconds timeout);
  // Helper tasks posted since the process started (delayed ones excluded).
  uint64_t tasks_posted() const;

  // The task wrapper's bookkeeping.
  void TaskQueued();
  void TaskDone();
  // `task`, counted until it has run or been dropped.
  std::unique_ptr<v8::Task> Track(std::unique_ptr<v8::Task> task);

  // v8::Platform, forwarded to V8's default platform.
  v8::PageAllocator* GetPageAllocator() override { return inner_->GetPageAllocator(); }
  v8::ZoneBackingAllocator* GetZoneBackingAllocator() override {
    return inner_->GetZoneBackingAllocator();
  }
  void OnCriticalMemoryPressure() override { inner_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override {
    return inner_->OnCriticalMemoryPressure(length);
  }
  int NumberOfWorkerThreads() override { return inner_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return inner_->GetForegroundTaskRunner(isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override;
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override;
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override;
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    inner_->CallDelayedOnWorkerThread(std::move(task), delay_in_seconds);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override { return inner_->IdleTasksEnabled(isolate); }
  // Jobs (V8 compiles wasm in one) are run by V8's default job machinery, which
  // posts its worker tasks back through this platform, where they are counted.
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job_task) override;
  double MonotonicallyIncreasingTime() override { return inner_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return inner_->CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return inner_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override { return inner_->GetTracingController(); }
  void DumpWithoutCrashing() override { inner_->DumpWithoutCrashing(); }
  v8::HighAllocationThroughputObserver* GetHighAllocationThroughputObserver() override {
    return inner_->GetHighAllocationThroughputObserver();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  uint64_t outstanding_ = 0;                         // guarded by mu_
  uint64_t posted_ = 0;                              // guarded by mu_
  std::atomic<CompilePool*> compile_pool_{nullptr};  // set once, never freed
  std::mutex pool_mu_;                               // StartCompilePool
  // Last, so it is destroyed first: tasks it drops then still find mu_ (the platform is
  // kept until the process exits, but this order keeps that from mattering).
  std::unique_ptr<v8::Platform> inner_;
};

}  // namespace wasmcloud::wasm::v8backend
