// The host's workers: a fixed set of engine workers (V8 isolates) and, on each, the
// instances of the actors that ran there. A call runs inline on the thread that makes
// it: the thread leases a free worker (preferring the one it used last, whose caches
// are warm), and a nested call (actor → actor, actor → provider → actor) made on a
// thread that already holds a worker reuses it, so nesting never waits or deadlocks.
// When every worker is leased, a caller waits for one: that bounds the calls running
// at once to the number of workers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actor/actor.h"
#include "core/status.h"
#include "wapc/wapc.h"
#include "wasm/engine.h"

namespace wasmcloud::host {

// What an instance's guest calls reach (the host's dispatcher). Besides the waPC
// callbacks it may cache what it resolved; a sweep asks it to forget, so that nothing it
// cached (a stopped provider, an old actor version) outlives the sweep.
class InstanceCallbacks : public wapc::HostCallbacks {
 public:
  virtual void ForgetRoutes() {}
};

// One actor's instance on one worker.
struct ActorInstance {
  std::shared_ptr<const actor::ActorModule> module;
  std::unique_ptr<InstanceCallbacks> callbacks;  // must outlive `instance`
  std::unique_ptr<wapc::WapcInstance> instance;
  bool busy = false;                // a call of this instance is on the stack (re-entrancy guard)
  size_t initial_memory_bytes = 0;  // its memory when it was made (recycling compares)
};

struct WorkerSlot {
  size_t index = 0;
  std::unique_ptr<wasm::Worker> worker;
  // By actor public key. Only the thread that holds the slot touches it.
  std::unordered_map<std::string, ActorInstance> instances;
  std::atomic<bool> leased{false};
  std::atomic<bool> sweep_pending{false};
};

class WorkerPool {
 public:
  // Decides whether an instance is still wanted (its actor runs this generation).
  using KeepInstance = std::function<bool(const std::string& actor, uint64_t generation)>;

  WorkerPool(std::shared_ptr<wasm::Engine> engine, KeepInstance keep);
  ~WorkerPool();  // Shutdown() must have been called

  Status Init(unsigned workers);
  // Waits until no worker is leased, destroys every instance and worker. Leases asked
  // for afterwards fail. Idempotent; must not be called by a thread holding a lease.
  void Shutdown();

  // A worker held by the calling thread (and its engine lock) until destroyed.
  class Lease {
   public:
    Lease(Lease&&) = delete;
    ~Lease();
    WorkerSlot& slot() { return *slot_; }

   private:
    friend class WorkerPool;
    Lease(WorkerPool* pool, WorkerSlot* slot, bool outer, const void* saved_pool,
          WorkerSlot* saved_slot)
        : pool_(pool),
          slot_(slot),
          outer_(outer),
          saved_pool_(saved_pool),
          saved_slot_(saved_slot) {}
    WorkerPool* pool_;
    WorkerSlot* slot_;
    bool outer_;  // false: a nested lease on a slot this thread already held
    const void* saved_pool_;
    WorkerSlot* saved_slot_;
  };

  // The calling thread's worker (nested), or a free one; waits up to `max_wait` when all
  // are leased, then fails with kResourceExhausted "host overloaded: …" (the call is not
  // run). The bound also ends a wait that could never end: a provider's thread calling
  // an actor back while every worker waits for that provider. kUnavailable after
  // Shutdown.
  Result<std::unique_ptr<Lease>> Acquire(
      std::chrono::milliseconds max_wait = std::chrono::milliseconds::max());

  // Throws away instances that are no longer wanted on every worker, and makes the
  // others forget their cached routes: now on the free workers, when they are released
  // on the leased ones.
  void SweepAll();

  // True when the calling thread holds a lease of any pool (it is inside a call of some
  // host).
  static bool ThreadInCall();

  wasm::Engine& engine() { return *engine_; }
  size_t size() const { return slots_.size(); }

 private:
  void Release(Lease& lease);
  void Sweep(WorkerSlot& slot);
  // Takes a free slot, preferring `preferred`; null when every slot is leased.
  WorkerSlot* TryTake(size_t preferred);
  // Frees a slot and wakes the waiters, if any.
  void Give(WorkerSlot& slot);

  std::shared_ptr<wasm::Engine> engine_;
  KeepInstance keep_;
  // The fast path (a free worker) takes no lock: a slot is taken with a compare-and-swap
  // of its `leased` flag. Waiting for one uses mu_ and free_cv_; a releaser notifies only
  // when `waiters_` says someone waits (both sides use sequentially consistent
  // operations, so a wake-up cannot be lost).
  std::mutex mu_;
  std::condition_variable free_cv_;
  std::atomic<int> waiters_{0};
  std::vector<std::unique_ptr<WorkerSlot>> slots_;  // fixed after Init, never shrinks
  std::atomic<bool> shut_down_{false};
  std::mutex shutdown_mu_;  // one Shutdown at a time
  bool finished_ = false;   // guarded by shutdown_mu_
};

}  // namespace wasmcloud::host
