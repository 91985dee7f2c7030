#include "wasm/v8/v8_platform.h"

namespace wasmcloud::wasm::v8backend {
namespace {

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

}  // namespace

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
  // As V8's default platform does (default_platform.cc), with this platform as the one
  // that runs the job's worker tasks.
  size_t workers = static_cast<size_t>(NumberOfWorkerThreads());
  if (priority == v8::TaskPriority::kBestEffort && workers > 2) workers = 2;
  return v8::platform::NewDefaultJobHandle(this, priority, std::move(job_task), workers);
}

}  // namespace wasmcloud::wasm::v8backend
