#include "host/worker_pool.h"

namespace wasmcloud::host {
namespace {
// The lease the calling thread holds (innermost), and the worker it used last.
thread_local const void* tls_pool = nullptr;
thread_local WorkerSlot* tls_slot = nullptr;
thread_local const void* tls_preferred_pool = nullptr;
thread_local size_t tls_preferred_index = 0;
}  // namespace

WorkerPool::WorkerPool(std::shared_ptr<wasm::Engine> engine, KeepInstance keep)
    : engine_(std::move(engine)), keep_(std::move(keep)) {}

WorkerPool::~WorkerPool() { Shutdown(); }

Status WorkerPool::Init(unsigned workers) {
  for (unsigned i = 0; i < workers; ++i) {
    auto worker = engine_->NewWorker();
    if (!worker.ok()) return worker.status().WithContext("starting worker " + std::to_string(i));
    auto slot = std::make_unique<WorkerSlot>();
    slot->index = i;
    slot->worker = std::move(*worker);
    slots_.push_back(std::move(slot));
  }
  return Status::Ok();
}

WorkerSlot* WorkerPool::TryTake(size_t preferred) {
  size_t n = slots_.size();
  for (size_t k = 0; k < n; ++k) {
    WorkerSlot* s = slots_[(preferred + k) % n].get();
    bool expected = false;
    if (!s->leased.load(std::memory_order_relaxed) &&
        s->leased.compare_exchange_strong(expected, true)) {
      return s;
    }
  }
  return nullptr;
}

void WorkerPool::Give(WorkerSlot& slot) {
  slot.leased.store(false);  // seq_cst: ordered before the load of waiters_
  if (waiters_.load() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    free_cv_.notify_all();
  }
}

void WorkerPool::Shutdown() {
  std::lock_guard<std::mutex> once(shutdown_mu_);
  if (finished_) return;
  shut_down_.store(true);
  {
    // Takes every slot, waiting for the leased ones to come back. The slots stay taken
    // (and in slots_: a racing Acquire or SweepAll may still be looking at them; they
    // find none free).
    std::unique_lock<std::mutex> lock(mu_);
    waiters_.fetch_add(1);
    free_cv_.notify_all();  // callers waiting for a worker see shut_down_ and leave
    for (auto& s : slots_) {
      free_cv_.wait(lock, [&] {
        bool expected = false;
        return s->leased.compare_exchange_strong(expected, true);
      });
    }
    waiters_.fetch_sub(1);
  }
  for (auto& slot : slots_) {
    {
      wasm::WorkerLock engine_lock(*slot->worker);
      slot->instances.clear();
    }
    slot->worker.reset();
  }
  finished_ = true;
}

Result<std::unique_ptr<WorkerPool::Lease>> WorkerPool::Acquire(std::chrono::milliseconds max_wait) {
  if (tls_pool == this && tls_slot != nullptr) {
    tls_slot->worker->Lock();
    return std::unique_ptr<Lease>(new Lease(this, tls_slot, false, nullptr, nullptr));
  }
  if (shut_down_.load()) return Unavailable("the host is stopping");
  size_t preferred = tls_preferred_pool == this ? tls_preferred_index : 0;
  WorkerSlot* slot = TryTake(preferred);
  if (slot == nullptr) {
    std::unique_lock<std::mutex> lock(mu_);
    waiters_.fetch_add(1);  // seq_cst: ordered before the scans below
    auto ready = [&] { return shut_down_.load() || (slot = TryTake(preferred)) != nullptr; };
    if (max_wait == std::chrono::milliseconds::max()) {
      free_cv_.wait(lock, ready);
    } else {
      free_cv_.wait_for(lock, max_wait, ready);
    }
    waiters_.fetch_sub(1);
    if (slot == nullptr && !shut_down_.load()) {
      return ResourceExhausted("host overloaded: no worker was free within " +
                               std::to_string(max_wait.count()) + " ms (all " +
                               std::to_string(slots_.size()) + " are busy); the call was not run");
    }
  }
  if (shut_down_.load()) {
    if (slot != nullptr) Give(*slot);
    return Unavailable("the host is stopping");
  }
  slot->worker->Lock();
  auto lease = std::unique_ptr<Lease>(new Lease(this, slot, true, tls_pool, tls_slot));
  tls_pool = this;
  tls_slot = slot;
  tls_preferred_pool = this;
  tls_preferred_index = slot->index;
  return lease;
}

bool WorkerPool::ThreadInCall() { return tls_pool != nullptr; }

WorkerPool::Lease::~Lease() { pool_->Release(*this); }

void WorkerPool::Release(Lease& lease) {
  WorkerSlot& slot = *lease.slot_;
  if (!lease.outer_) {
    slot.worker->Unlock();
    return;
  }
  if (slot.sweep_pending.load(std::memory_order_relaxed) && slot.sweep_pending.exchange(false)) {
    Sweep(slot);
  }
  slot.worker->Unlock();
  tls_pool = lease.saved_pool_;
  tls_slot = lease.saved_slot_;
  Give(slot);
}

void WorkerPool::Sweep(WorkerSlot& slot) {
  for (auto it = slot.instances.begin(); it != slot.instances.end();) {
    ActorInstance& inst = it->second;
    if (!inst.busy && !keep_(it->first, inst.module->generation)) {
      it = slot.instances.erase(it);
      continue;
    }
    if (!inst.busy && inst.callbacks) inst.callbacks->ForgetRoutes();
    ++it;
  }
}

void WorkerPool::SweepAll() {
  if (shut_down_.load()) return;
  for (auto& s : slots_) {
    bool expected = false;
    if (!s->leased.compare_exchange_strong(expected, true)) {
      // Its holder sweeps when it gives the slot back; if it did so just now, the slot
      // is free again and is swept here after all.
      s->sweep_pending.store(true);
      expected = false;
      if (!s->leased.compare_exchange_strong(expected, true)) continue;
      s->sweep_pending.store(false);
    }
    {
      wasm::WorkerLock engine_lock(*s->worker);
      Sweep(*s);
    }
    Give(*s);
  }
}

}  // namespace wasmcloud::host
