// Threads that run work handed to them: a bounded pool (inbound lattice invocations run
// on one, never on the transport's threads), and a set of background tasks that a
// component waits for when it stops (provider stops run in one).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wasmcloud {

// A fixed number of threads taking tasks from a bounded queue, in order.
class ThreadPool {
 public:
  // `threads` ≥ 1 threads, named `name` (visible in debuggers and `top -H`); at most
  // `max_queued` tasks wait to run.
  ThreadPool(std::string name, unsigned threads, size_t max_queued);
  ~ThreadPool();  // Shutdown()

  // Queues `task`; false when the queue is full or the pool is shut down (the task is
  // not run: the caller answers "busy"). A task that throws is logged and the pool goes on.
  bool TrySubmit(std::function<void()> task);
  // Runs the tasks already queued, then joins the threads; later submissions fail.
  // Idempotent. Must not be called from one of the pool's own threads.
  void Shutdown();
  // True on the pool's own threads (a task that would wait for the pool to shut down).
  bool OnPoolThread() const;

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Tasks that each run on a thread of their own, until done; WaitAll joins them.
class BackgroundTasks {
 public:
  BackgroundTasks() = default;
  ~BackgroundTasks();  // WaitAll()
  BackgroundTasks(const BackgroundTasks&) = delete;
  BackgroundTasks& operator=(const BackgroundTasks&) = delete;

  // Starts `task` on a new thread (finished threads are joined here first); when no thread
  // can be made (the process's or the user's limit), runs it here and now instead.
  void Run(std::function<void()> task);
  // Waits until every task started so far has finished. Not from inside a task.
  void WaitAll();
  // Tasks started and not yet finished.
  size_t running() const;

 private:
  struct Task {
    std::thread thread;
    bool done = false;
  };
  void ReapLocked(std::vector<std::thread>* finished);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::list<Task> tasks_;
};

}  // namespace wasmcloud
