// The V8 platform of the process: V8's default platform, with the work it runs on its
// helper threads counted, so the engine can tell when that work is done.
//
// After Compile returns, V8 keeps optimising the module on helper threads, and calls
// run the baseline (Liftoff) code until the optimised (TurboFan) code is in place
// (docs/v8.md). Counting the helper tasks is the only signal of that V8 10.2 gives an
// embedder: its public API has no "tier-up finished" event. libplatform functions that
// need V8's own DefaultPlatform (PumpMessageLoop, RunIdleTasks) must not be given this
// wrapper; the backend calls none of them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include <libplatform/libplatform.h>
#include <v8-platform.h>

namespace wasmcloud::wasm::v8backend {

class TrackingPlatform final : public v8::Platform {
 public:
  explicit TrackingPlatform(std::unique_ptr<v8::Platform> inner) : inner_(std::move(inner)) {}

  // Waits until no helper task is queued or running (delayed tasks, which V8 uses
  // for housekeeping such as memory reduction, are not counted). False on timeout.
  bool WaitIdle(std::chrono::nanoseconds timeout);
  // Helper tasks posted since the process started (delayed ones excluded).
  uint64_t tasks_posted() const;

  // The task wrapper's bookkeeping.
  void TaskQueued();
  void TaskDone();

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
  std::unique_ptr<v8::Task> Track(std::unique_ptr<v8::Task> task);

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  uint64_t outstanding_ = 0;  // guarded by mu_
  uint64_t posted_ = 0;       // guarded by mu_
  // Last, so it is destroyed first: tasks it drops then still find mu_ (the platform is
  // kept until the process exits, but this order keeps that from mattering).
  std::unique_ptr<v8::Platform> inner_;
};

}  // namespace wasmcloud::wasm::v8backend
