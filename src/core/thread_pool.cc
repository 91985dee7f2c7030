#include "core/thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <system_error>

#include "core/log.h"

namespace wasmcloud {
namespace {
thread_local const ThreadPool* tls_pool = nullptr;
}  // namespace

bool ThreadPool::OnPoolThread() const { return tls_pool == this; }

ThreadPool::ThreadPool(std::string name, unsigned threads, size_t max_queued)
    : max_queued_(std::max<size_t>(1, max_queued)) {
  threads = std::max(1u, threads);
  name.resize(std::min<size_t>(name.size(), 15));  // the kernel's limit for thread names
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Run(); });
    pthread_setname_np(threads_.back().native_handle(), name.c_str());
  }
}

ThreadPool::~ThreadPool() { Shutdown(); }

bool ThreadPool::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void ThreadPool::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  threads_.clear();
}

void ThreadPool::Run() {
  tls_pool = this;
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      Log(LogLevel::kError, "pool", std::string("a task threw, and was dropped: ") + e.what());
    } catch (...) {
      Log(LogLevel::kError, "pool", "a task threw something that is not a std::exception");
    }
  }
}

BackgroundTasks::~BackgroundTasks() { WaitAll(); }

void BackgroundTasks::ReapLocked(std::vector<std::thread>* finished) {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    if (it->done) {
      finished->push_back(std::move(it->thread));
      it = tasks_.erase(it);
    } else {
      ++it;
    }
  }
}

void BackgroundTasks::Run(std::function<void()> task) {
  std::vector<std::thread> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReapLocked(&finished);
    tasks_.emplace_back();
    Task* slot = &tasks_.back();  // list nodes stay put
    try {
      slot->thread = std::thread([this, slot, task] {
        task();
        std::lock_guard<std::mutex> lock(mu_);
        slot->done = true;
        cv_.notify_all();
      });
      task = nullptr;
    } catch (const std::system_error& e) {
      // No thread (EAGAIN at a limit): the slot goes, so that WaitAll does not wait for it.
      tasks_.pop_back();
      Log(LogLevel::kWarn, "pool",
          std::string("cannot start a thread (") + e.what() + "); running the task in place");
    }
  }
  for (auto& t : finished) t.join();
  if (task) task();
}

void BackgroundTasks::WaitAll() {
  std::vector<std::thread> finished;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      return std::all_of(tasks_.begin(), tasks_.end(), [](const Task& t) { return t.done; });
    });
    ReapLocked(&finished);
  }
  for (auto& t : finished) t.join();
}

size_t BackgroundTasks::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(
      std::count_if(tasks_.begin(), tasks_.end(), [](const Task& t) { return !t.done; }));
}

}  // namespace wasmcloud
