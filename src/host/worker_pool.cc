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
  std::lock_guard<std::mutex> lock(mu_);
  free_count_ = slots_.size();
  return Status::Ok();
}

void WorkerPool::Shutdown() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (shut_down_ && slots_.empty()) return;
    shut_down_ = true;
    free_cv_.wait(lock, [&] { return free_count_ == slots_.size(); });
  }
  for (auto& slot : slots_) {
    {
      wasm::WorkerLock engine_lock(*slot->worker);
      slot->instances.clear();
    }
    slot->worker.reset();
  }
  std::lock_guard<std::mutex> lock(mu_);
  slots_.clear();
  free_count_ = 0;
}

Result<std::unique_ptr<WorkerPool::Lease>> WorkerPool::Acquire() {
  if (tls_pool == this && tls_slot != nullptr) {
    tls_slot->worker->Lock();
    return std::unique_ptr<Lease>(new Lease(this, tls_slot, false, nullptr, nullptr));
  }
  WorkerSlot* slot = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    free_cv_.wait(lock, [&] { return shut_down_ || free_count_ > 0; });
    if (shut_down_) return Unavailable("the host is stopping");
    if (tls_preferred_pool == this && tls_preferred_index < slots_.size() &&
        !slots_[tls_preferred_index]->leased) {
      slot = slots_[tls_preferred_index].get();
    } else {
      for (auto& s : slots_) {
        if (!s->leased) {
          slot = s.get();
          break;
        }
      }
    }
    slot->leased = true;
    --free_count_;
  }
  slot->worker->Lock();
  auto lease = std::unique_ptr<Lease>(new Lease(this, slot, true, tls_pool, tls_slot));
  tls_pool = this;
  tls_slot = slot;
  tls_preferred_pool = this;
  tls_preferred_index = slot->index;
  return lease;
}

WorkerPool::Lease::~Lease() { pool_->Release(*this); }

void WorkerPool::Release(Lease& lease) {
  WorkerSlot& slot = *lease.slot_;
  if (!lease.outer_) {
    slot.worker->Unlock();
    return;
  }
  bool sweep;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sweep = slot.sweep_pending;
    slot.sweep_pending = false;
  }
  if (sweep) Sweep(slot);
  slot.worker->Unlock();
  tls_pool = lease.saved_pool_;
  tls_slot = lease.saved_slot_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot.leased = false;
    ++free_count_;
  }
  free_cv_.notify_one();
}

void WorkerPool::Sweep(WorkerSlot& slot) {
  std::erase_if(slot.instances, [&](const auto& entry) {
    const ActorInstance& inst = entry.second;
    return !inst.busy && !keep_(entry.first, inst.module->generation);
  });
}

void WorkerPool::SweepAll() {
  for (auto& s : slots_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shut_down_) return;
      if (s->leased) {
        s->sweep_pending = true;
        continue;
      }
      s->leased = true;
      --free_count_;
    }
    {
      wasm::WorkerLock engine_lock(*s->worker);
      Sweep(*s);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      s->leased = false;
      ++free_count_;
    }
    free_cv_.notify_one();
  }
}

}  // namespace wasmcloud::host
