#include "wasm/v8/v8_platform.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <thread>

namespace wasmcloud::wasm::v8backend {
namespace {

// Set while a RouteJobsToCompilePool lives on this thread, and for good on the pool's.
thread_local bool t_route_to_pool = false;

// Counts a helper task from the moment it is posted until it has run or been dropped
// (V8 drops queued tasks at shutdown).
class TrackedTask final : public v8::Task {
 public:
  TrackedTask(TrackingPlatform* platform, std::unique_ptr<v8::Task> task)
      : platform_(platform), task_(std::move(task)) {
    platform_->TaskQueued();
  }
  ~TrackedTask() override {
    task_.reset();
    platform_->TaskDone();
  }
  void Run() override { task_->Run(); }

 private:
  TrackingPlatform* platform_;
  std::unique_ptr<v8::Task> task_;
};

// The platform the compile pool's jobs run on: every call goes to the TrackingPlatform,
// except that the jobs' worker tasks go to the pool (V8's default job machinery posts
// them through the platform it was given).
class PoolJobPlatform final : public v8::Platform {
 public:
  PoolJobPlatform(TrackingPlatform* platform, CompilePool* pool)
      : platform_(platform), pool_(pool) {}

  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override { Post(std::move(task)); }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    Post(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    Post(std::move(task));
  }
  int NumberOfWorkerThreads() override { return static_cast<int>(pool_->threads()); }

  v8::PageAllocator* GetPageAllocator() override { return platform_->GetPageAllocator(); }
  v8::ZoneBackingAllocator* GetZoneBackingAllocator() override {
    return platform_->GetZoneBackingAllocator();
  }
  void OnCriticalMemoryPressure() override { platform_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override {
    return platform_->OnCriticalMemoryPressure(length);
  }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return platform_->GetForegroundTaskRunner(isolate);
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    platform_->CallDelayedOnWorkerThread(std::move(task), delay_in_seconds);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override {
    return platform_->IdleTasksEnabled(isolate);
  }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job_task) override {
    return platform_->PostJob(priority, std::move(job_task));
  }
  double MonotonicallyIncreasingTime() override { return platform_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return platform_->CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return platform_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override {
    return platform_->GetTracingController();
  }
  void DumpWithoutCrashing() override { platform_->DumpWithoutCrashing(); }
  v8::HighAllocationThroughputObserver* GetHighAllocationThroughputObserver() override {
    return platform_->GetHighAllocationThroughputObserver();
  }

 private:
  void Post(std::unique_ptr<v8::Task> task) { pool_->Post(platform_->Track(std::move(task))); }

  TrackingPlatform* platform_;
  CompilePool* pool_;
};

uint64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

CompilePool::CompilePool(TrackingPlatform* platform, unsigned threads, int nice)
    : threads_(threads == 0 ? 1 : threads),
      nice_(nice),
      job_platform_(std::make_unique<PoolJobPlatform>(platform, this)) {
  for (unsigned i = 0; i < threads_; ++i) std::thread([this] { Loop(); }).detach();
}

void CompilePool::Post(std::unique_ptr<v8::Task> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(task));
    ++outstanding_;
  }
  work_cv_.notify_one();
}

bool CompilePool::WaitIdle(std::chrono::nanoseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return outstanding_ == 0; });
}

void CompilePool::Loop() {
  // Linux: a thread's nice value is its own (setpriority on its thread id). Raising it
  // needs no privilege; failure leaves the thread at normal priority.
  if (nice_ > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice_);
  TrackingPlatform::RouteThisThreadToCompilePool();
  while (true) {
    std::unique_ptr<v8::Task> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return !queue_.empty(); });
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    const uint64_t start = ThreadCpuNs();
    task->Run();
    // Counted before the task is dropped: its tracking wrapper then tells
    // WaitForBackgroundWork that it is done.
    cpu_ns_.fetch_add(ThreadCpuNs() - start);
    tasks_run_.fetch_add(1);
    task.reset();
    std::lock_guard<std::mutex> lock(mu_);
    if (--outstanding_ == 0) idle_cv_.notify_all();
  }
}

TrackingPlatform::RouteJobsToCompilePool::RouteJobsToCompilePool() : previous_(t_route_to_pool) {
  t_route_to_pool = true;
}

TrackingPlatform::RouteJobsToCompilePool::~RouteJobsToCompilePool() { t_route_to_pool = previous_; }

void TrackingPlatform::RouteThisThreadToCompilePool() { t_route_to_pool = true; }

CompilePool* TrackingPlatform::StartCompilePool(unsigned threads, int nice) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (CompilePool* pool = compile_pool_.load()) return pool;
  auto* pool = new CompilePool(this, threads, nice);  // never freed: jobs point at it
  compile_pool_.store(pool);
  return pool;
}

std::unique_ptr<v8::Task> TrackingPlatform::Track(std::unique_ptr<v8::Task> task) {
  return std::make_unique<TrackedTask>(this, std::move(task));
}

void TrackingPlatform::TaskQueued() {
  std::lock_guard<std::mutex> lock(mu_);
  ++outstanding_;
  ++posted_;
}

void TrackingPlatform::TaskDone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--outstanding_ == 0) idle_cv_.notify_all();
}

bool TrackingPlatform::WaitIdle(std::chrono::nanoseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return outstanding_ == 0; });
}

uint64_t TrackingPlatform::tasks_posted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return posted_;
}

void TrackingPlatform::CallOnWorkerThread(std::unique_ptr<v8::Task> task) {
  inner_->CallOnWorkerThread(Track(std::move(task)));
}

void TrackingPlatform::CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) {
  inner_->CallBlockingTaskOnWorkerThread(Track(std::move(task)));
}

void TrackingPlatform::CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) {
  inner_->CallLowPriorityTaskOnWorkerThread(Track(std::move(task)));
}

std::unique_ptr<v8::JobHandle> TrackingPlatform::PostJob(v8::TaskPriority priority,
                                                         std::unique_ptr<v8::JobTask> job_task) {
  if (t_route_to_pool) {
    if (CompilePool* pool = compile_pool_.load()) {
      return v8::platform::NewDefaultJobHandle(pool->job_platform(), priority, std::move(job_task),
                                               pool->threads());
    }
  }
  // As V8's default platform does (default_platform.cc), with this platform as the one
  // that runs the job's worker tasks.
  size_t workers = static_cast<size_t>(NumberOfWorkerThreads());
  if (priority == v8::TaskPriority::kBestEffort && workers > 2) workers = 2;
  return v8::platform::NewDefaultJobHandle(this, priority, std::move(job_task), workers);
}

}  // namespace wasmcloud::wasm::v8backend
