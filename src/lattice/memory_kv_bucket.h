// KvBucket in one process, shared by the hosts of an in-process lattice (and used alone,
// privately, by a single-player host). Revisions, create-if-absent, delete markers and
// watches behave as JetStream key-value does; the conformance suite
// (tests/lattice/kv_conformance.h) runs against both.
//
// Threads: each watch has its own delivery thread; writes return once the value is
// stored, and watchers get it afterwards, in revision order.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "lattice/kv_bucket.h"

namespace wasmcloud::lattice {

struct MemoryKvOptions {
  size_t max_value_size = 1024 * 1024;
};

class MemoryKvBucket final : public KvBucket {
 public:
  explicit MemoryKvBucket(std::string name, MemoryKvOptions options = {});
  ~MemoryKvBucket() override;

  std::string name() const override;
  Result<std::optional<KvEntry>> Get(std::string_view key) override;
  Result<uint64_t> Put(std::string_view key, ByteView value) override;
  Result<uint64_t> Create(std::string_view key, ByteView value) override;
  Result<uint64_t> Delete(std::string_view key) override;
  Result<uint64_t> Restore(std::string_view key, ByteView value) override;
  Result<std::unique_ptr<KvWatch>> Watch(KvWatchHandler handler) override;

  // Test hooks. While paused, watchers receive nothing (events queue up, in order, and
  // are delivered on Resume); writes still succeed.
  void PauseWatches();
  void ResumeWatches();
  // While unavailable, every call but Watch fails with kUnavailable "lattice data
  // unavailable" (a JetStream outage); existing watches stay.
  void SetUnavailable(bool unavailable);
  // Loses the bucket and brings it back empty, as a JetStream bucket whose stream was
  // deleted and created again: every value is gone, revisions start over, and every
  // watch restarts (kRestarted, no initial values, kInitialValuesDone, then changes).
  void LoseAndRecreate();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace wasmcloud::lattice
